package jsapi

import (
	"context"
	"strconv"
	"strings"
	"unicode/utf8"

	"yunxin/core"
	"yunxin/internal/jx"
	"yunxin/proto"
)

// PeopleEngine is the user and friend groups' part of Engine: profiles,
// friends, the blacklist and the mute list.
type PeopleEngine interface {
	LocalUserInfo(ctx context.Context, account string) (*core.UserView, error)
	OpenLocalCache(ctx context.Context, account string) error
	FetchUserInfos(ctx context.Context, accounts []string) ([]core.UserView, error)
	GetUserInfoList(ctx context.Context, accounts []string) ([]core.UserView, error)
	UpdateMyUserInfo(ctx context.Context, u core.UserUpdate) error
	MyFriends(ctx context.Context) ([]core.UserView, error)
	RequestFriend(ctx context.Context, account string, op int, msg string) error
	DeleteFriend(ctx context.Context, account string, removeAlias bool) error
	IsMyFriend(ctx context.Context, account string) (bool, error)
	MyBlackList(ctx context.Context) ([]core.UserView, error)
	SetBlackList(ctx context.Context, account string, on bool) error
	IsUserInBlackList(ctx context.Context, account string) (bool, error)
	MyMuteUserList(ctx context.Context) ([]core.UserView, error)
	SetMute(ctx context.Context, account string, on bool) error
	IsMute(ctx context.Context, account string) (bool, error)
	SearchUser(ctx context.Context, p core.SearchParams) ([]core.UserView, error)
}

// The people methods check the values of their params here as well as in
// core (account ids, operation, counts, ranges), with core's wording, so a
// page gets the same 414 whichever layer sees it first.

// accountRule is core's wording of NIM's account id rules.
const accountRule = "must be an account id (1-32 letters, digits, _ . @ -)"

// checkAccount checks an account id named name: not empty, NIM's rules.
func checkAccount(name, s string) error {
	if strings.TrimSpace(s) == "" {
		return core.BadParam(name, "must not be empty")
	}
	if !proto.ValidAccount(s) {
		return core.BadParam(name, accountRule)
	}
	return nil
}

// account returns the required account id parameter name.
func account(p params, name string) (string, error) {
	s, err := p.need(name)
	if err != nil {
		return "", err
	}
	return s, checkAccount(name, s)
}

// other checks that id, the value of the parameter called name, is not the
// logged-in account: nobody befriends, blacklists or mutes themselves.
// Handlers call it last, once every param is read.
func other(e Engine, name, id string) error {
	if me := e.CurrentAccount(); me != "" && me == id {
		return core.BadParam(name, "must not be your own account")
	}
	return nil
}

// accounts returns the required array of account ids name (users,
// userIds), at most max of them (0: no limit); a bad element is named
// name[i].
func accounts(p params, name string, max int) ([]string, error) {
	ids, err := p.strings(name)
	if err != nil {
		return nil, err
	}
	if max > 0 && len(ids) > max {
		return nil, core.BadParam(name, core.MaxAccountsProblem(max))
	}
	for i, id := range ids {
		if err := checkAccount(name+"["+strconv.Itoa(i)+"]", id); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// users returns the ret maker of a method that lists users under name
// ({users:[…]}, {blackUsers:[…]}, {muteUsers:[…]}): none is [], never
// null.
func users(name string) func([]core.UserView, error) (jx.Value, error) {
	return func(u []core.UserView, err error) (jx.Value, error) {
		if err != nil {
			return nil, err
		}
		if u == nil {
			u = []core.UserView{}
		}
		switch name {
		case "blackUsers":
			return &blackUsersRet{u}, nil
		case "muteUsers":
			return &muteUsersRet{u}, nil
		}
		return &usersRet{u}, nil
	}
}

// usersStatus is the ret of fetchUserInfos and searchUser: status and users.
type usersStatus struct {
	Status bool            `json:"status"`
	Users  []core.UserView `json:"users"`
}

func usersStatusRet(u []core.UserView, err error) (jx.Value, error) {
	if err != nil {
		return nil, err
	}
	if u == nil {
		u = []core.UserView{}
	}
	return &usersStatus{true, u}, nil
}

// flag is the ret of the Is methods: {name: b}, name one of isFriend,
// isBlack, isMute, isMyTeam.
func flag(name string, b bool, err error) (jx.Value, error) {
	if err != nil {
		return nil, err
	}
	switch name {
	case "isFriend":
		return &isFriendRet{b}, nil
	case "isBlack":
		return &isBlackRet{b}, nil
	case "isMute":
		return &isMuteRet{b}, nil
	}
	return &isMyTeamRet{b}, nil
}

func doLocalUserInfo(ctx context.Context, e Engine, p params) (jx.Value, error) {
	id, err := account(p, "userId")
	if err != nil {
		return nil, err
	}
	u, err := e.LocalUserInfo(ctx, id)
	if err != nil {
		return nil, err
	}
	return &userRet{u}, nil
}

// doOpenLocalCache opens account's cache without connecting (core's
// OpenLocalCache): the page reads its cached data offline.
func doOpenLocalCache(ctx context.Context, e Engine, p params) (jx.Value, error) {
	id, err := account(p, "account")
	if err != nil {
		return nil, err
	}
	return done(e.OpenLocalCache(ctx, id))
}

func doFetchUserInfos(ctx context.Context, e Engine, p params) (jx.Value, error) {
	ids, err := accounts(p, "users", proto.MaxUsers)
	if err != nil {
		return nil, err
	}
	return usersStatusRet(e.FetchUserInfos(ctx, ids))
}

func doGetUserInfoList(ctx context.Context, e Engine, p params) (jx.Value, error) {
	ids, err := accounts(p, "userIds", proto.MaxUsers)
	if err != nil {
		return nil, err
	}
	return users("users")(e.GetUserInfoList(ctx, ids))
}

// userFields are updateMyUserInfo's userInfo keys, in the doc's order.
var userFields = []string{"nickName", "avatar", "sign", "gender", "email", "birth", "mobile", "ext"}

// doUpdateMyUserInfo reads userInfo: {nickName, avatar, sign, gender,
// email, birth, mobile, ext}. Only the keys given change (null counts as
// absent); unknown keys are ignored; at least one key must be given.
func doUpdateMyUserInfo(ctx context.Context, e Engine, p params) (jx.Value, error) {
	raw, err := p.object("userInfo")
	if err != nil || raw == nil {
		return nil, core.BadParam("userInfo", "must be an object")
	}
	in, err := decodeParams(string(raw))
	if err != nil {
		return nil, core.BadParam("userInfo", "must be an object")
	}
	var u core.UserUpdate
	str := func(key string, dst **string) error {
		if !in.has(key) {
			return nil
		}
		s, err := in.str(key)
		if err != nil {
			return core.BadParam("userInfo."+key, "must be a string")
		}
		*dst = &s
		return nil
	}
	for _, err := range []error{
		str("nickName", &u.NickName), str("avatar", &u.Avatar), str("sign", &u.Sign),
		str("email", &u.Email), str("birth", &u.Birth), str("mobile", &u.Mobile), str("ext", &u.Ext),
	} {
		if err != nil {
			return nil, err
		}
	}
	if in.has("gender") {
		g, err := in.integer("gender", 0)
		if err != nil {
			return nil, core.BadParam("userInfo.gender", "must be an integer (0 unknown, 1 male, 2 female)")
		}
		u.Gender = &g
	}
	if u == (core.UserUpdate{}) {
		return nil, core.BadParam("userInfo", "must have at least one of "+strings.Join(userFields, ", "))
	}
	if field, problem := proto.UserProblem(proto.UpdateUserReq{
		Name: u.NickName, Icon: u.Avatar, Sign: u.Sign, Gender: u.Gender,
		Email: u.Email, Birth: u.Birth, Mobile: u.Mobile, Ext: u.Ext,
	}); field != "" {
		return nil, core.BadParam("userInfo."+field, problem)
	}
	return done(e.UpdateMyUserInfo(ctx, u))
}

func doMyFriends(ctx context.Context, e Engine, _ params) (jx.Value, error) {
	return users("users")(e.MyFriends(ctx))
}

// doRequestFriend: operation 1 add, 2 request (the default), 3 accept, 4
// reject (proto.Friend*); message is the postscript.
func doRequestFriend(ctx context.Context, e Engine, p params) (jx.Value, error) {
	id, err := account(p, "userId")
	if err != nil {
		return nil, err
	}
	op, err := p.integer("operation", proto.FriendRequest)
	if err != nil {
		return nil, err
	}
	if op < proto.FriendAdd || op > proto.FriendReject {
		return nil, core.BadParam("operation", "must be 1 (add), 2 (request), 3 (accept) or 4 (reject)")
	}
	msg, err := p.str("message")
	if err != nil {
		return nil, err
	}
	if utf8.RuneCountInString(msg) > proto.MaxFriendMsgRunes {
		return nil, core.BadParam("message", "must be at most "+strconv.Itoa(proto.MaxFriendMsgRunes)+" characters")
	}
	if err := other(e, "userId", id); err != nil {
		return nil, err
	}
	return done(e.RequestFriend(ctx, id, op, msg))
}

func doDeleteFriend(ctx context.Context, e Engine, p params) (jx.Value, error) {
	id, err := account(p, "userId")
	if err != nil {
		return nil, err
	}
	rm, err := p.boolean("removeAlias", true)
	if err != nil {
		return nil, err
	}
	if err := other(e, "userId", id); err != nil {
		return nil, err
	}
	return done(e.DeleteFriend(ctx, id, rm))
}

func doIsMyFriend(ctx context.Context, e Engine, p params) (jx.Value, error) {
	id, err := account(p, "userId")
	if err != nil {
		return nil, err
	}
	b, err := e.IsMyFriend(ctx, id)
	return flag("isFriend", b, err)
}

func doMyBlackList(ctx context.Context, e Engine, _ params) (jx.Value, error) {
	return users("blackUsers")(e.MyBlackList(ctx))
}

// blackList returns the handler of addToBlackList (on) or
// removeFromBlackList.
func blackList(on bool) handler {
	return func(ctx context.Context, e Engine, p params) (jx.Value, error) {
		id, err := account(p, "userId")
		if err != nil {
			return nil, err
		}
		if err := other(e, "userId", id); err != nil {
			return nil, err
		}
		return done(e.SetBlackList(ctx, id, on))
	}
}

func doIsUserInBlackList(ctx context.Context, e Engine, p params) (jx.Value, error) {
	id, err := account(p, "userId")
	if err != nil {
		return nil, err
	}
	b, err := e.IsUserInBlackList(ctx, id)
	return flag("isBlack", b, err)
}

func doMyMuteUserList(ctx context.Context, e Engine, _ params) (jx.Value, error) {
	return users("muteUsers")(e.MyMuteUserList(ctx))
}

// doSetMute: isNotify is the doc's 是否免打扰 ("do not disturb?"): true
// (the default) mutes userId, false unmutes.
func doSetMute(ctx context.Context, e Engine, p params) (jx.Value, error) {
	id, err := account(p, "userId")
	if err != nil {
		return nil, err
	}
	on, err := p.boolean("isNotify", true)
	if err != nil {
		return nil, err
	}
	if err := other(e, "userId", id); err != nil {
		return nil, err
	}
	return done(e.SetMute(ctx, id, on))
}

func doIsMute(ctx context.Context, e Engine, p params) (jx.Value, error) {
	id, err := account(p, "userId")
	if err != nil {
		return nil, err
	}
	b, err := e.IsMute(ctx, id)
	return flag("isMute", b, err)
}

// doSearchUser reads searchContent, ignoreingCase (the doc's spelling,
// default true), searchRange (0 friends, the default; 1 everyone) and
// searchContentOption (0 id, 1 alias, 2 nickname, 3 all, the default).
func doSearchUser(ctx context.Context, e Engine, p params) (jx.Value, error) {
	q := core.SearchParams{}
	var err error
	if q.Text, err = p.need("searchContent"); err != nil {
		return nil, err
	}
	if strings.TrimSpace(q.Text) == "" {
		return nil, core.BadParam("searchContent", "must not be empty")
	}
	if utf8.RuneCountInString(q.Text) > proto.MaxSearchRunes {
		return nil, core.BadParam("searchContent", "must be at most "+strconv.Itoa(proto.MaxSearchRunes)+" characters")
	}
	if q.IgnoreCase, err = p.boolean("ignoreingCase", true); err != nil {
		return nil, err
	}
	if q.Range, err = p.integer("searchRange", 0); err != nil {
		return nil, err
	}
	if q.Range != 0 && q.Range != 1 {
		return nil, core.BadParam("searchRange", "must be 0 (friends) or 1 (everyone)")
	}
	if q.Option, err = p.integer("searchContentOption", proto.SearchAll); err != nil {
		return nil, err
	}
	if q.Option < proto.SearchID || q.Option > proto.SearchAll {
		return nil, core.BadParam("searchContentOption", "must be 0 (id), 1 (alias), 2 (nickname) or 3 (all)")
	}
	return usersStatusRet(e.SearchUser(ctx, q))
}
