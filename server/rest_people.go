package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"unicode/utf8"

	"yunxin/proto"
	"yunxin/server/store"
)

// The people actions of the NIM server API (the app's backend calls them;
// s.rest checks the checksum and parses the form). Form fields and replies
// have NetEase's names and shapes; a bad field is 414 with a desc naming
// it. What an action commits is pushed to every connection of the
// accounts concerned (no requesting connection to skip).

// MaxGetUinfos is the most accounts one user/getUinfos may name (NIM's 200).
const MaxGetUinfos = 200

// formAccount reads the form field name, which must be a valid account id.
func formAccount(r *http.Request, name string) (string, error) {
	v := r.PostForm.Get(name)
	if v == "" {
		return "", errorf(proto.CodeBadParam, "%s is required", name)
	}
	if !proto.ValidAccount(v) {
		return "", errorf(proto.CodeBadParam, "%s %q is not a valid account", name, v)
	}
	return v, nil
}

// formString returns the form field name when the form has it (even
// empty), nil otherwise.
func formString(r *http.Request, name string) *string {
	if _, ok := r.PostForm[name]; !ok {
		return nil
	}
	v := r.PostForm.Get(name)
	return &v
}

// formBool reads a true/false form field; absent or empty is def.
func formBool(r *http.Request, name string, def bool) (bool, error) {
	switch r.PostForm.Get(name) {
	case "":
		return def, nil
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, errorf(proto.CodeBadParam, "%s must be true or false", name)
}

// formInt reads an integer form field; absent or empty is def.
func formInt(r *http.Request, name string, def int64) (int64, error) {
	v := r.PostForm.Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, errorf(proto.CodeBadParam, "%s must be an integer", name)
	}
	return n, nil
}

// uinfoFormField maps proto.UserProblem's doc names to user/updateUinfo's
// form fields.
var uinfoFormField = map[string]string{"nickName": "name", "avatar": "icon", "ext": "ex"}

// restUpdateUinfo is user/updateUinfo: the given fields of accid's profile
// change (an empty value clears one); its devices, friends and P2P
// partners get the new profile.
func (s *Server) restUpdateUinfo(r *http.Request) (any, error) {
	accid, err := formAccount(r, "accid")
	if err != nil {
		return nil, err
	}
	upd := proto.UpdateUserReq{
		Name:   formString(r, "name"),
		Icon:   formString(r, "icon"),
		Sign:   formString(r, "sign"),
		Email:  formString(r, "email"),
		Birth:  formString(r, "birth"),
		Mobile: formString(r, "mobile"),
		Ext:    formString(r, "ex"),
	}
	if g := formString(r, "gender"); g != nil {
		n, err := strconv.Atoi(*g)
		if err != nil {
			return nil, errorf(proto.CodeBadParam, "gender must be 0 (unknown), 1 (male) or 2 (female)")
		}
		upd.Gender = &n
	}
	if upd == (proto.UpdateUserReq{}) {
		return nil, errorf(proto.CodeBadParam, "set at least one of name, icon, sign, gender, email, birth, mobile, ex")
	}
	if field, problem := proto.UserProblem(upd); field != "" {
		if f, ok := uinfoFormField[field]; ok {
			field = f
		}
		return nil, errorf(proto.CodeBadParam, "%s %s", field, problem)
	}
	_, changes, err := s.store.UpdateProfile(r.Context(), accid, upd, s.now().UnixMilli())
	if errors.Is(err, store.ErrNotFound) {
		return nil, errorf(proto.CodeNotFound, "user not found: %s", accid)
	}
	if err != nil {
		return nil, fmt.Errorf("update profile of %s: %w", accid, err)
	}
	s.publishChanges(r.Context(), changes, "")
	return nil, nil
}

// restUinfo is one profile of user/getUinfos, with NetEase's field names
// (empty ones left out).
type restUinfo struct {
	Accid  string `json:"accid"`
	Name   string `json:"name,omitempty"`
	Icon   string `json:"icon,omitempty"`
	Sign   string `json:"sign,omitempty"`
	Email  string `json:"email,omitempty"`
	Birth  string `json:"birth,omitempty"`
	Mobile string `json:"mobile,omitempty"`
	Gender int    `json:"gender,omitempty"`
	Ex     string `json:"ex,omitempty"`
}

// restGetUinfos is user/getUinfos: the profiles of the accounts of accids
// (a JSON array of at most 200) that exist, in the order asked.
func (s *Server) restGetUinfos(r *http.Request) (any, error) {
	raw := r.PostForm.Get("accids")
	if raw == "" {
		return nil, errorf(proto.CodeBadParam, "accids is required")
	}
	var accids []string
	if err := json.Unmarshal([]byte(raw), &accids); err != nil {
		return nil, errorf(proto.CodeBadParam, `accids must be a JSON array of accounts, like ["a","b"]`)
	}
	if len(accids) > MaxGetUinfos {
		return nil, errorf(proto.CodeBadParam, "accids: %d accounts, at most %d", len(accids), MaxGetUinfos)
	}
	for i, a := range accids {
		if !proto.ValidAccount(a) {
			return nil, errorf(proto.CodeBadParam, "accids[%d] %q is not a valid account", i, a)
		}
	}
	users, err := s.store.Profiles(r.Context(), accids)
	if err != nil {
		return nil, fmt.Errorf("profiles of %d accounts: %w", len(accids), err)
	}
	out := make([]restUinfo, 0, len(users))
	for _, u := range users {
		out = append(out, restUinfo{Accid: u.Account, Name: u.Name, Icon: u.Icon, Sign: u.Sign, Email: u.Email,
			Birth: u.Birth, Mobile: u.Mobile, Gender: u.Gender, Ex: u.Ext})
	}
	return restTop{"uinfos": out}, nil
}

// restBlock is user/block: accid's logins are refused (422) from now on;
// with needkick=true its connections are closed now too (a kick push with
// reason KickByServer, every client type).
func (s *Server) restBlock(r *http.Request) (any, error) {
	accid, err := formAccount(r, "accid")
	if err != nil {
		return nil, err
	}
	kick, err := formBool(r, "needkick", false)
	if err != nil {
		return nil, err
	}
	if err := s.setBlocked(r.Context(), accid, true); err != nil {
		return nil, err
	}
	if kick {
		frame, err := encodePush(proto.PushKick, proto.Kick{Reason: proto.KickByServer})
		if err != nil {
			return nil, err
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), dispatchTimeout)
		defer cancel()
		if err := s.bus.Publish(ctx, Push{Account: accid, Frame: frame, Kick: true, KickAll: true}); err != nil {
			return nil, fmt.Errorf("kick %s: %w", accid, err)
		}
	}
	return nil, nil
}

// restUnblock is user/unblock: accid may log in again.
func (s *Server) restUnblock(r *http.Request) (any, error) {
	accid, err := formAccount(r, "accid")
	if err != nil {
		return nil, err
	}
	return nil, s.setBlocked(r.Context(), accid, false)
}

func (s *Server) setBlocked(ctx context.Context, accid string, blocked bool) error {
	err := s.store.SetBlocked(ctx, accid, blocked)
	if errors.Is(err, store.ErrNotFound) {
		return errorf(proto.CodeNotFound, "user not found: %s", accid)
	}
	if err != nil {
		return fmt.Errorf("set blocked %v for %s: %w", blocked, accid, err)
	}
	return nil
}

// friendPair reads accid and faccid: two valid, different accounts.
func friendPair(r *http.Request) (accid, faccid string, err error) {
	if accid, err = formAccount(r, "accid"); err != nil {
		return "", "", err
	}
	if faccid, err = formAccount(r, "faccid"); err != nil {
		return "", "", err
	}
	if accid == faccid {
		return "", "", errorf(proto.CodeBadParam, "faccid must not be accid")
	}
	return accid, faccid, nil
}

// restFriendAdd is friend/add: accid does type (1 add, 2 request, 3
// accept, 4 reject) towards faccid, as requestFriend does.
func (s *Server) restFriendAdd(r *http.Request) (any, error) {
	accid, faccid, err := friendPair(r)
	if err != nil {
		return nil, err
	}
	op, err := formInt(r, "type", 0)
	if err != nil {
		return nil, err
	}
	if op < proto.FriendAdd || op > proto.FriendReject {
		return nil, errorf(proto.CodeBadParam, "type must be 1 (add), 2 (request), 3 (accept) or 4 (reject)")
	}
	msg := r.PostForm.Get("msg")
	if n := utf8.RuneCountInString(msg); n > proto.MaxFriendMsgRunes {
		return nil, errorf(proto.CodeBadParam, "msg must be at most %d characters, not %d", proto.MaxFriendMsgRunes, n)
	}
	if err := s.userExists(r.Context(), accid); err != nil {
		return nil, err
	}
	changes, err := s.befriend(r.Context(), accid, faccid, int(op), msg)
	if err != nil {
		return nil, err
	}
	s.publishChanges(r.Context(), changes, "")
	return nil, nil
}

// restFriendDelete is friend/delete: the friendship of accid and faccid
// ends for both; isDeleteAlias=true also clears accid's alias of faccid.
// Not friends: nothing changes.
func (s *Server) restFriendDelete(r *http.Request) (any, error) {
	accid, faccid, err := friendPair(r)
	if err != nil {
		return nil, err
	}
	removeAlias, err := formBool(r, "isDeleteAlias", false)
	if err != nil {
		return nil, err
	}
	if err := s.userExists(r.Context(), accid); err != nil {
		return nil, err
	}
	changes, err := s.store.Unfriend(r.Context(), accid, faccid, removeAlias, s.now().UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("unfriend %s and %s: %w", accid, faccid, err)
	}
	s.publishChanges(r.Context(), changes, "")
	return nil, nil
}

// restFriend is one friend of friend/get, with NetEase's field names. Ex
// is the friend's ex as friend/update sets it (the SDK's serverExt).
type restFriend struct {
	Faccid      string `json:"faccid"`
	Alias       string `json:"alias,omitempty"`
	Ex          string `json:"ex,omitempty"`
	CreateTime  int64  `json:"createtime"`
	UpdateTime  int64  `json:"updatetime"`
	Bidirection bool   `json:"bidirection"`
}

// restFriendGet is friend/get: accid's friends changed after updatetime
// (ms; 0 or absent: all).
func (s *Server) restFriendGet(r *http.Request) (any, error) {
	accid, err := formAccount(r, "accid")
	if err != nil {
		return nil, err
	}
	since, err := formInt(r, "updatetime", 0)
	if err != nil {
		return nil, err
	}
	if since < 0 {
		return nil, errorf(proto.CodeBadParam, "updatetime must not be negative")
	}
	if err := s.userExists(r.Context(), accid); err != nil {
		return nil, err
	}
	friends, err := s.store.Friends(r.Context(), accid, since)
	if err != nil {
		return nil, fmt.Errorf("friends of %s: %w", accid, err)
	}
	out := make([]restFriend, 0, len(friends))
	for _, f := range friends {
		// Friendships are always mutual here.
		out = append(out, restFriend{Faccid: f.Account, Alias: f.Alias, Ex: f.ServerExt, CreateTime: f.Time, UpdateTime: f.Update, Bidirection: true})
	}
	return restTop{"size": len(out), "friends": out}, nil
}

// MaxFriendServerExt bounds friend/update's ex (the friend's serverExt).
const MaxFriendServerExt = 1024

// restFriendUpdate is friend/update: accid's alias and/or ex (the SDK's
// serverExt) of its friend faccid; accid's devices get the change.
func (s *Server) restFriendUpdate(r *http.Request) (any, error) {
	accid, faccid, err := friendPair(r)
	if err != nil {
		return nil, err
	}
	alias, ex := formString(r, "alias"), formString(r, "ex")
	if alias == nil && ex == nil {
		return nil, errorf(proto.CodeBadParam, "alias or ex is required")
	}
	if alias != nil && utf8.RuneCountInString(*alias) > proto.MaxAliasRunes {
		return nil, errorf(proto.CodeBadParam, "alias must be at most %d characters", proto.MaxAliasRunes)
	}
	if ex != nil && len(*ex) > MaxFriendServerExt {
		return nil, errorf(proto.CodeBadParam, "ex must be at most %d bytes", MaxFriendServerExt)
	}
	changes, err := s.store.UpdateFriend(r.Context(), accid, faccid, alias, ex, s.now().UnixMilli())
	if errors.Is(err, store.ErrNotFound) {
		return nil, errorf(proto.CodeNotFound, "%s is not a friend of %s", faccid, accid)
	}
	if err != nil {
		return nil, fmt.Errorf("update friend %s of %s: %w", faccid, accid, err)
	}
	s.publishChanges(r.Context(), changes, "")
	return nil, nil
}

// restSendAttachMsg is msg/sendAttachMsg: a custom system notification
// from from to the account to (msgtype 0), or to the team to (msgtype 1:
// from must be a valid member; it reaches the other valid members). save 1
// pushes it to the receivers' connections online now; save 2 (the default)
// also stores it, so that their devices offline now get it at their next
// sync. payload, sound and
// option (mobile push settings) are accepted and ignored.
func (s *Server) restSendAttachMsg(r *http.Request) (any, error) {
	from, err := formAccount(r, "from")
	if err != nil {
		return nil, err
	}
	msgtype, err := formInt(r, "msgtype", -1)
	if err != nil {
		return nil, err
	}
	to := r.PostForm.Get("to")
	if to == "" {
		return nil, errorf(proto.CodeBadParam, "to is required")
	}
	attach := r.PostForm.Get("attach")
	if attach == "" {
		return nil, errorf(proto.CodeBadParam, "attach is required")
	}
	if len(attach) > proto.MaxCustomBytes {
		return nil, errorf(proto.CodeBadParam, "attach must be at most %d bytes, not %d", proto.MaxCustomBytes, len(attach))
	}
	save, err := formInt(r, "save", 2)
	if err != nil {
		return nil, err
	}
	if save != 1 && save != 2 {
		return nil, errorf(proto.CodeBadParam, "save must be 1 (online only) or 2 (also stored for offline)")
	}
	switch msgtype {
	case proto.CustomToAccount:
		if !proto.ValidAccount(to) {
			return nil, errorf(proto.CodeBadParam, "to %q is not a valid account", to)
		}
	case proto.CustomToTeam:
		if err := checkTeamID("to", to); err != nil {
			return nil, err
		}
	default:
		return nil, errorf(proto.CodeBadParam, "msgtype must be 0 (to an account) or 1 (to a team)")
	}
	if err := s.userExists(r.Context(), from); err != nil {
		return nil, err
	}
	n := proto.CustomNote{From: from, To: to, ToType: int(msgtype), Content: attach}
	if msgtype == proto.CustomToAccount {
		if err := s.userExists(r.Context(), to); err != nil {
			return nil, err
		}
		return nil, s.sendCustom(r.Context(), n, []string{to}, save == 2)
	}
	receivers, err := s.teamCustomReceivers(r.Context(), from, to)
	if err != nil {
		return nil, err
	}
	if len(receivers) == 0 {
		return nil, nil // from is the team's only member
	}
	return nil, s.sendCustom(r.Context(), n, receivers, save == 2)
}

// teamCustomReceivers checks that from is a valid member of the live team
// tid (803 no such team or dismissed, 804 not a member) and returns the
// team's other valid members: a custom notification to a team reaches
// every member but its sender.
func (s *Server) teamCustomReceivers(ctx context.Context, from, tid string) ([]string, error) {
	t, err := s.store.Team(ctx, tid)
	if err != nil {
		return nil, teamErr(err, "team "+tid)
	}
	if t.Dismissed {
		return nil, errorf(proto.CodeTeamNotFound, "team does not exist: %s", tid)
	}
	m, err := s.store.TeamMember(ctx, tid, from)
	if err != nil {
		return nil, teamErr(err, "member "+from+" of team "+tid)
	}
	if !m.Valid {
		return nil, errorf(proto.CodeTeamNotMember, "%s is not a member of team %s", from, tid)
	}
	all, err := s.store.TeamAccounts(ctx, tid)
	if err != nil {
		return nil, fmt.Errorf("members of team %s: %w", tid, err)
	}
	return slices.DeleteFunc(all, func(a string) bool { return a == from }), nil
}
