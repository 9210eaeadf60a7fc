package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"yunxin/proto"
	"yunxin/server/store"
)

// The team actions of the NIM server API (team/create, add, kick, remove,
// update, query, leave, changeOwner, addManager, removeManager, muteTlist,
// muteTlistAll), with NetEase's form fields and reply shapes. An action
// naming an owner acts as that owner, who must own the team (802
// otherwise); what it commits is pushed to every connection of the
// accounts concerned and its team notification messages to the team's
// members, as a client's team op is.

// MaxQueryTeams is the most teams one team/query may name.
const MaxQueryTeams = 200

// publishTeamWrite pushes what a REST team write committed: its changes to
// their accounts, its messages to the teams' members (even when the REST
// caller went away).
func (s *Server) publishTeamWrite(ctx context.Context, w store.TeamWrite) {
	s.publishChanges(ctx, w.Changes, "")
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), dispatchTimeout)
	defer cancel()
	s.publishMsgs(pctx, w.Msgs, "")
}

// formAccounts reads a form field holding a JSON array of accounts
// (checkTeamAccounts' rules, without duplicates).
func formAccounts(r *http.Request, name string) ([]string, error) {
	raw := r.PostForm.Get(name)
	if raw == "" {
		return nil, errorf(proto.CodeBadParam, "%s is required", name)
	}
	var accs []string
	if err := json.Unmarshal([]byte(raw), &accs); err != nil {
		return nil, errorf(proto.CodeBadParam, `%s must be a JSON array of accounts, like ["a","b"]`, name)
	}
	return checkTeamAccounts(name, accs, "")
}

// formMode reads an integer form field that must be one of allowed;
// absent or empty is def.
func formMode(r *http.Request, name string, def int, allowed ...int) (int, error) {
	n, err := formInt(r, name, int64(def))
	if err != nil {
		return 0, err
	}
	if err := checkMode(name, int(n), allowed...); err != nil {
		return 0, err
	}
	return int(n), nil
}

// formModePtr reads an optional mode field: nil when absent.
func formModePtr(r *http.Request, name string, allowed ...int) (*int, error) {
	if r.PostForm.Get(name) == "" {
		return nil, nil
	}
	n, err := formMode(r, name, 0, allowed...)
	if err != nil {
		return nil, err
	}
	return &n, nil
}

// restTeamOwner reads tid and owner and checks that owner owns the live
// team tid: 414 for a bad field, 803 when there is no such team (or it was
// dismissed), 802 when owner is not its owner.
func (s *Server) restTeamOwner(r *http.Request) (proto.Team, string, error) {
	tid := r.PostForm.Get("tid")
	if tid == "" {
		return proto.Team{}, "", errorf(proto.CodeBadParam, "tid is required")
	}
	if err := checkTeamID("tid", tid); err != nil {
		return proto.Team{}, "", err
	}
	owner, err := formAccount(r, "owner")
	if err != nil {
		return proto.Team{}, "", err
	}
	t, err := s.liveTeam(r.Context(), tid)
	if err != nil {
		return proto.Team{}, "", err
	}
	if t.Owner != owner {
		return proto.Team{}, "", errorf(proto.CodeTeamPermission, "%s is not the owner of team %s", owner, tid)
	}
	return t, owner, nil
}

// liveTeam returns the team tid unless it does not exist or was
// dismissed (803).
func (s *Server) liveTeam(ctx context.Context, tid string) (proto.Team, error) {
	t, err := s.store.Team(ctx, tid)
	if errors.Is(err, store.ErrNotFound) || err == nil && t.Dismissed {
		return proto.Team{}, errorf(proto.CodeTeamNotFound, "team does not exist: %s", tid)
	}
	if err != nil {
		return proto.Team{}, teamErr(err, "team "+tid)
	}
	return t, nil
}

// formPs reads a postscript field (msg): at most MaxTeamPsRunes.
func formPs(r *http.Request, name string) (string, error) {
	ps := r.PostForm.Get(name)
	if err := checkRunes(name, ps, proto.MaxTeamPsRunes, false); err != nil {
		return "", err
	}
	return ps, nil
}

// formMagree reads magree: 0 (the default) the members join without
// consent, 1 they must accept an invitation.
func formMagree(r *http.Request) (bool, error) {
	n, err := formMode(r, "magree", 0, 0, 1)
	return n == 1, err
}

// restAddMembers adds members to tid as NetEase's magree says: without
// consent (the app's server adds them at once), or as owner's invitations
// (the team's beInviteMode decides whether they must accept), with
// postscript ps and, on the invitations, notifyExt attach.
func (s *Server) restAddMembers(ctx context.Context, tid, owner string, members []string, ps, attach string, consent bool) ([]string, store.TeamWrite, error) {
	by := ""
	if consent {
		by = owner
	}
	failed, _, w, err := s.store.InviteToTeamExt(ctx, by, tid, members, ps, attach, consent, s.now().UnixMilli())
	if err != nil {
		return nil, store.TeamWrite{}, teamErr(err, "add to team "+tid)
	}
	return failed, w, nil
}

// restFailed is NetEase's faccid of a reply: the accounts not added.
func restFailed(top restTop, failed []string) restTop {
	if len(failed) > 0 {
		top["faccid"] = map[string]any{"accid": failed, "msg": "not added: unknown accounts, members already, or the owner is on their blacklist"}
	}
	return top
}

// restTeamCreate is team/create: an advanced team owned by owner, its
// members added (magree 0) or invited (magree 1; they must accept unless
// beinvitemode is 1). custom is the team's server custom info.
func (s *Server) restTeamCreate(r *http.Request) (any, error) {
	owner, err := formAccount(r, "owner")
	if err != nil {
		return nil, err
	}
	req := proto.CreateTeamReq{
		Name:         r.PostForm.Get("tname"),
		Type:         proto.TeamAdvanced,
		Icon:         r.PostForm.Get("icon"),
		Intro:        r.PostForm.Get("intro"),
		Announcement: r.PostForm.Get("announcement"),
	}
	if req.Postscript, err = formPs(r, "msg"); err != nil {
		return nil, err
	}
	if req.JoinMode, err = formMode(r, "joinmode", proto.JoinAnyone, joinModes...); err != nil {
		return nil, err
	}
	if req.BeInviteMode, err = formMode(r, "beinvitemode", proto.BeInviteNeedsConsent, binaryModes...); err != nil {
		return nil, err
	}
	if req.InviteMode, err = formMode(r, "invitemode", proto.ModeManagers, binaryModes...); err != nil {
		return nil, err
	}
	if req.UpdateInfoMode, err = formMode(r, "uptinfomode", proto.ModeManagers, binaryModes...); err != nil {
		return nil, err
	}
	if req.UpdateCustomMode, err = formMode(r, "upcustommode", proto.ModeManagers, binaryModes...); err != nil {
		return nil, err
	}
	limit, err := formInt(r, "teamMemberLimit", 0)
	if err != nil {
		return nil, err
	}
	if limit < 0 || limit > MaxTeamMembersConfig {
		return nil, errorf(proto.CodeBadParam, "teamMemberLimit must be 0 (the default) to %d", MaxTeamMembersConfig)
	}
	req.MaxMembers = int(limit)
	custom := formString(r, "custom")
	if custom != nil {
		if err := checkBytes("custom", *custom, proto.MaxTeamCustomBytes); err != nil {
			return nil, err
		}
	}
	if err := checkCreateTeam(&req, "", map[string]string{"name": "tname", "postscript": "msg"}); err != nil {
		return nil, err
	}
	members, err := formAccounts(r, "members")
	if err != nil {
		return nil, err
	}
	consent, err := formMagree(r)
	if err != nil {
		return nil, err
	}
	if err := s.userExists(r.Context(), owner); err != nil {
		return nil, err
	}
	ctx := r.Context()
	if !consent {
		// magree 0: create the team alone, then the app's server adds the
		// members at once whatever the team's beInviteMode.
		req.Members = nil
	} else {
		req.Members = members
	}
	t, failed, _, w, err := s.createTeam(ctx, owner, req, "members", "teamMemberLimit")
	if err != nil {
		return nil, err
	}
	s.publishTeamWrite(ctx, w)
	if !consent {
		added := slicesWithout(members, owner)
		if len(added) > 0 {
			failed, w, err = s.restAddMembers(ctx, t.ID, owner, added, req.Postscript, "", false)
			if err != nil {
				return nil, err
			}
			s.publishTeamWrite(ctx, w)
		}
	}
	if custom != nil && *custom != "" {
		w, err := s.store.UpdateTeam(ctx, "", t.ID, proto.TeamUpdate{ServerCustom: custom}, s.now().UnixMilli())
		if err != nil {
			return nil, teamErr(err, "server custom of team "+t.ID)
		}
		s.publishTeamWrite(ctx, w)
	}
	return restFailed(restTop{"tid": t.ID}, failed), nil
}

// slicesWithout returns accs without a.
func slicesWithout(accs []string, a string) []string {
	out := make([]string, 0, len(accs))
	for _, x := range accs {
		if x != a {
			out = append(out, x)
		}
	}
	return out
}

// restTeamAdd is team/add: owner adds members (magree 0) or invites them
// (magree 1) with the postscript msg.
func (s *Server) restTeamAdd(r *http.Request) (any, error) {
	t, owner, err := s.restTeamOwner(r)
	if err != nil {
		return nil, err
	}
	members, err := formAccounts(r, "members")
	if err != nil {
		return nil, err
	}
	members = slicesWithout(members, owner)
	if len(members) == 0 {
		return nil, errorf(proto.CodeBadParam, "members must name an account other than the owner")
	}
	ps, err := formPs(r, "msg")
	if err != nil {
		return nil, err
	}
	consent, err := formMagree(r)
	if err != nil {
		return nil, err
	}
	// attach: NetEase's extension of the invitations (their notifyExt).
	attach := r.PostForm.Get("attach")
	if err := checkBytes("attach", attach, proto.MaxTeamCustomBytes); err != nil {
		return nil, err
	}
	failed, w, err := s.restAddMembers(r.Context(), t.ID, owner, members, ps, attach, consent)
	if err != nil {
		return nil, err
	}
	s.publishTeamWrite(r.Context(), w)
	return restFailed(restTop{}, failed), nil
}

// restTeamKick is team/kick: owner removes member (one account) or
// members (a JSON array).
func (s *Server) restTeamKick(r *http.Request) (any, error) {
	t, owner, err := s.restTeamOwner(r)
	if err != nil {
		return nil, err
	}
	var members []string
	if r.PostForm.Get("members") != "" {
		if members, err = formAccounts(r, "members"); err != nil {
			return nil, err
		}
	} else {
		m, err := formAccount(r, "member")
		if err != nil {
			return nil, errorf(proto.CodeBadParam, "member or members is required: %s", err.(*Error).Msg)
		}
		members = []string{m}
	}
	for _, m := range members {
		if m == owner {
			return nil, errorf(proto.CodeBadParam, "members must not name the owner (dismiss with team/remove)")
		}
	}
	w, err := s.store.KickFromTeam(r.Context(), owner, t.ID, members, s.now().UnixMilli())
	if err != nil {
		return nil, teamErr(err, "kick from team "+t.ID)
	}
	s.publishTeamWrite(r.Context(), w)
	return nil, nil
}

// restTeamRemove is team/remove: owner dismisses the team.
func (s *Server) restTeamRemove(r *http.Request) (any, error) {
	t, owner, err := s.restTeamOwner(r)
	if err != nil {
		return nil, err
	}
	w, err := s.store.DismissTeam(r.Context(), owner, t.ID, s.now().UnixMilli())
	if err != nil {
		return nil, teamErr(err, "dismiss team "+t.ID)
	}
	s.publishTeamWrite(r.Context(), w)
	return nil, nil
}

// restUpdateParams names a proto.TeamUpdate's fields after team/update's
// form fields.
var restUpdateParams = map[string]string{
	"name": "tname", "icon": "icon", "intro": "intro", "announcement": "announcement",
	"serverCustom": "custom", "clientCustom": "clientCustom", "joinMode": "joinmode",
	"beInviteMode": "beinvitemode", "inviteMode": "invitemode", "updateInfoMode": "uptinfomode",
	"updateCustomMode": "upcustommode",
}

// restTeamUpdate is team/update: the given fields of the team change
// (custom is its server custom info). It acts as owner, or as the app's
// server when custom is given (only it sets that).
func (s *Server) restTeamUpdate(r *http.Request) (any, error) {
	t, owner, err := s.restTeamOwner(r)
	if err != nil {
		return nil, err
	}
	upd := proto.TeamUpdate{
		Name:         formString(r, "tname"),
		Icon:         formString(r, "icon"),
		Intro:        formString(r, "intro"),
		Announcement: formString(r, "announcement"),
		ServerCustom: formString(r, "custom"),
		ClientCustom: formString(r, "clientCustom"),
	}
	modes := []struct {
		name    string
		dst     **int
		allowed []int
	}{
		{"joinmode", &upd.JoinMode, joinModes},
		{"beinvitemode", &upd.BeInviteMode, binaryModes},
		{"invitemode", &upd.InviteMode, binaryModes},
		{"uptinfomode", &upd.UpdateInfoMode, binaryModes},
		{"upcustommode", &upd.UpdateCustomMode, binaryModes},
	}
	for _, m := range modes {
		if *m.dst, err = formModePtr(r, m.name, m.allowed...); err != nil {
			return nil, err
		}
	}
	if upd == (proto.TeamUpdate{}) {
		return nil, errorf(proto.CodeBadParam, "set at least one of tname, icon, intro, announcement, custom, clientCustom, joinmode, beinvitemode, invitemode, uptinfomode, upcustommode")
	}
	if err := checkTeamUpdate(upd, restUpdateParams); err != nil {
		return nil, err
	}
	by := owner
	if upd.ServerCustom != nil {
		by = ""
	}
	w, err := s.store.UpdateTeam(r.Context(), by, t.ID, upd, s.now().UnixMilli())
	if err != nil {
		return nil, teamErr(err, "update team "+t.ID)
	}
	s.publishTeamWrite(r.Context(), w)
	return nil, nil
}

// restTinfo is one team of team/query, with NetEase's field names.
// Admins and Members (ope 1 only) are the managers and the normal members;
// the owner is Owner.
type restTinfo struct {
	Tid          string   `json:"tid"`
	Tname        string   `json:"tname"`
	Owner        string   `json:"owner"`
	Type         int      `json:"type"`
	MaxUsers     int      `json:"maxusers"`
	Size         int      `json:"size"`
	JoinMode     int      `json:"joinmode"`
	BeInviteMode int      `json:"beinvitemode"`
	InviteMode   int      `json:"invitemode"`
	UptInfoMode  int      `json:"uptinfomode"`
	UpCustomMode int      `json:"upcustommode"`
	Mute         bool     `json:"mute"`
	MuteType     int      `json:"muteType"`
	Intro        string   `json:"intro,omitempty"`
	Announcement string   `json:"announcement,omitempty"`
	Icon         string   `json:"icon,omitempty"`
	Custom       string   `json:"custom,omitempty"`
	ClientCustom string   `json:"clientCustom,omitempty"`
	CreateTime   int64    `json:"createtime"`
	UpdateTime   int64    `json:"updatetime"`
	Admins       []string `json:"admins,omitempty"`
	Members      []string `json:"members,omitempty"`
}

// restTeamQuery is team/query: the live teams of tids (a JSON array of at
// most MaxQueryTeams) that exist, in the order asked; ope 1 adds their
// admins and members.
func (s *Server) restTeamQuery(r *http.Request) (any, error) {
	raw := r.PostForm.Get("tids")
	if raw == "" {
		return nil, errorf(proto.CodeBadParam, "tids is required")
	}
	var tids []string
	if err := json.Unmarshal([]byte(raw), &tids); err != nil {
		return nil, errorf(proto.CodeBadParam, `tids must be a JSON array of team ids, like ["1001","1002"]`)
	}
	if len(tids) == 0 || len(tids) > MaxQueryTeams {
		return nil, errorf(proto.CodeBadParam, "tids: %d teams, want 1 to %d", len(tids), MaxQueryTeams)
	}
	for i, tid := range tids {
		if err := checkTeamID(fmt.Sprintf("tids[%d]", i), tid); err != nil {
			return nil, err
		}
	}
	ope, err := formMode(r, "ope", 0, 0, 1)
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	out := []restTinfo{}
	for _, tid := range tids {
		t, err := s.liveTeam(ctx, tid)
		var e *Error
		if errors.As(err, &e) && e.Code == proto.CodeTeamNotFound {
			continue
		}
		if err != nil {
			return nil, err
		}
		ti := restTinfo{Tid: t.ID, Tname: t.Name, Owner: t.Owner, Type: t.Type, MaxUsers: t.MaxMembers, Size: t.Members,
			JoinMode: t.JoinMode, BeInviteMode: t.BeInviteMode, InviteMode: t.InviteMode, UptInfoMode: t.UpdateInfoMode,
			UpCustomMode: t.UpdateCustomMode, Mute: t.MuteMode != proto.MuteNone, MuteType: t.MuteMode, Intro: t.Intro,
			Announcement: t.Announcement, Icon: t.Icon, Custom: t.ServerCustom, ClientCustom: t.ClientCustom,
			CreateTime: t.Created, UpdateTime: t.Updated}
		if ope == 1 {
			ti.Admins, ti.Members = []string{}, []string{}
			var afterVer int64
			afterAcc := ""
			for {
				ms, more, err := s.store.TeamMembers(ctx, tid, 0, afterVer, afterAcc, proto.MaxTeamMembersPage)
				if err != nil {
					return nil, teamErr(err, "members of team "+tid)
				}
				for _, m := range ms {
					switch {
					case !m.Valid:
					case m.Type == proto.MemberManager:
						ti.Admins = append(ti.Admins, m.Account)
					case m.Type == proto.MemberNormal:
						ti.Members = append(ti.Members, m.Account)
					}
				}
				if !more || len(ms) == 0 {
					break
				}
				afterVer, afterAcc = ms[len(ms)-1].Ver, ms[len(ms)-1].Account
			}
		}
		out = append(out, ti)
	}
	return restTop{"tinfos": out}, nil
}

// restTeamLeave is team/leave: accid leaves tid (not the owner: 802).
func (s *Server) restTeamLeave(r *http.Request) (any, error) {
	tid := r.PostForm.Get("tid")
	if err := checkTeamID("tid", tid); err != nil {
		return nil, err
	}
	accid, err := formAccount(r, "accid")
	if err != nil {
		return nil, err
	}
	w, err := s.store.QuitTeam(r.Context(), accid, tid, s.now().UnixMilli())
	if err != nil {
		return nil, teamErr(err, "leave team "+tid)
	}
	s.publishTeamWrite(r.Context(), w)
	return nil, nil
}

// restTeamChangeOwner is team/changeOwner: newowner owns the team; leave
// 1 the old owner leaves, 2 it stays as a normal member.
func (s *Server) restTeamChangeOwner(r *http.Request) (any, error) {
	t, owner, err := s.restTeamOwner(r)
	if err != nil {
		return nil, err
	}
	newOwner, err := formAccount(r, "newowner")
	if err != nil {
		return nil, err
	}
	if newOwner == owner {
		return nil, errorf(proto.CodeBadParam, "newowner must not be the owner")
	}
	leave, err := formMode(r, "leave", 0, 1, 2)
	if err != nil {
		return nil, errorf(proto.CodeBadParam, "leave must be 1 (the owner leaves) or 2 (it stays)")
	}
	w, err := s.store.TransferTeam(r.Context(), owner, t.ID, newOwner, leave == 1, s.now().UnixMilli())
	if err != nil {
		return nil, teamErr(err, "transfer team "+t.ID)
	}
	s.publishTeamWrite(r.Context(), w)
	return nil, nil
}

// restTeamManagers is team/addManager (add) and team/removeManager.
func (s *Server) restTeamManagers(add bool) func(r *http.Request) (any, error) {
	return func(r *http.Request) (any, error) {
		t, owner, err := s.restTeamOwner(r)
		if err != nil {
			return nil, err
		}
		members, err := formAccounts(r, "members")
		if err != nil {
			return nil, err
		}
		for _, m := range members {
			if m == owner {
				return nil, errorf(proto.CodeBadParam, "members must not name the owner")
			}
		}
		w, err := s.store.SetManagers(r.Context(), owner, t.ID, members, add, s.now().UnixMilli())
		if err != nil {
			return nil, teamErr(err, "managers of team "+t.ID)
		}
		s.publishTeamWrite(r.Context(), w)
		return nil, nil
	}
}

// restTeamMuteTlist is team/muteTlist: owner mutes (mute 1) or unmutes
// (mute 0) the member accid.
func (s *Server) restTeamMuteTlist(r *http.Request) (any, error) {
	t, owner, err := s.restTeamOwner(r)
	if err != nil {
		return nil, err
	}
	accid, err := formAccount(r, "accid")
	if err != nil {
		return nil, err
	}
	if accid == owner {
		return nil, errorf(proto.CodeBadParam, "accid must not be the owner")
	}
	if r.PostForm.Get("mute") == "" {
		return nil, errorf(proto.CodeBadParam, "mute is required: 1 (mute) or 0 (unmute)")
	}
	mute, err := formMode(r, "mute", 0, 0, 1)
	if err != nil {
		return nil, err
	}
	w, err := s.store.MuteMember(r.Context(), owner, t.ID, accid, mute == 1, s.now().UnixMilli())
	if err != nil {
		return nil, teamErr(err, "mute in team "+t.ID)
	}
	s.publishTeamWrite(r.Context(), w)
	return nil, nil
}

// restTeamMuteTlistAll is team/muteTlistAll: the whole team muted or not,
// by mute (true: normal members muted, false: none) or muteType (0 none,
// 1 normal members, 3 everyone), which wins when both are given.
func (s *Server) restTeamMuteTlistAll(r *http.Request) (any, error) {
	t, owner, err := s.restTeamOwner(r)
	if err != nil {
		return nil, err
	}
	var mode int
	switch {
	case r.PostForm.Get("muteType") != "":
		if mode, err = formMode(r, "muteType", 0, muteModes...); err != nil {
			return nil, err
		}
	case r.PostForm.Get("mute") != "":
		mute, err := formBool(r, "mute", false)
		if err != nil {
			return nil, err
		}
		if mute {
			mode = proto.MuteNormal
		}
	default:
		return nil, errorf(proto.CodeBadParam, "mute (true/false) or muteType (0, 1 or 3) is required")
	}
	w, err := s.store.UpdateTeam(r.Context(), owner, t.ID, proto.TeamUpdate{MuteMode: &mode}, s.now().UnixMilli())
	if err != nil {
		return nil, teamErr(err, "mute team "+t.ID)
	}
	s.publishTeamWrite(r.Context(), w)
	return nil, nil
}
