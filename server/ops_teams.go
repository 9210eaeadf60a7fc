package server

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"unicode"
	"unicode/utf8"

	"yunxin/internal/jx"
	"yunxin/proto"
	"yunxin/server/store"
)

// The teams domain (issue 8): the team ops of proto/teamops.go. The
// permission model lives in the store (store.Teams): the ops validate
// their input (414 naming the plugin doc's parameter), call the store and
// map its refusals (store.TeamError) to their NetEase codes. Every write
// replies a proto.TeamResp with the changes it appended to the caller's
// own log and hands all of its changes and its team notification messages
// to the dispatcher, which pushes the changes to their accounts and the
// messages to the team's valid members, never to the requesting
// connection (it sees them at its next pull or in the history).
func init() {
	register(proto.OpTeamCreate, opTeamCreate)
	register(proto.OpTeamUpdate, opTeamUpdate)
	register(proto.OpTeamDismiss, opTeamDismiss)
	register(proto.OpTeamInvite, opTeamInvite)
	register(proto.OpTeamApply, opTeamApply)
	register(proto.OpTeamAnswer, opTeamAnswer)
	register(proto.OpTeamKick, opTeamKick)
	register(proto.OpTeamQuit, opTeamQuit)
	register(proto.OpTeamTransfer, opTeamTransfer)
	register(proto.OpTeamManagers, opTeamManagers)
	register(proto.OpTeamMute, opTeamMute)
	register(proto.OpTeamMember, opTeamMember)
	register(proto.OpTeamNotify, opTeamNotify)
	register(proto.OpTeamMembers, opTeamMembers)
	register(proto.OpTeamInfo, opTeamInfo)
}

// maxTeamIDBytes bounds a team id a request may name (the store's ids are
// shorter).
const maxTeamIDBytes = 64

// validTeamID reports whether tid may be a team id: 1-64 of letters,
// digits and _ . @ -.
func validTeamID(tid string) bool {
	if len(tid) == 0 || len(tid) > maxTeamIDBytes {
		return false
	}
	for i := 0; i < len(tid); i++ {
		c := tid[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '@' || c == '-') {
			return false
		}
	}
	return true
}

// checkTeamID fails with 414 naming param unless tid may be a team id.
func checkTeamID(param, tid string) error {
	if !validTeamID(tid) {
		return errorf(proto.CodeBadParam, "%s %q is not a valid team id", param, tid)
	}
	return nil
}

// checkRunes fails with 414 naming param when s is longer than max runes,
// is not UTF-8, or (with noControl) holds a control character.
func checkRunes(param, s string, max int, noControl bool) error {
	if !utf8.ValidString(s) {
		return errorf(proto.CodeBadParam, "%s must be valid UTF-8", param)
	}
	if n := utf8.RuneCountInString(s); n > max {
		return errorf(proto.CodeBadParam, "%s must be at most %d characters, not %d", param, max, n)
	}
	if noControl && containsControl(s) {
		return errorf(proto.CodeBadParam, "%s must not contain control characters", param)
	}
	return nil
}

// containsControl reports whether s holds a control character.
func containsControl(s string) bool {
	for _, r := range s {
		if unicode.IsControl(r) {
			return true
		}
	}
	return false
}

// checkBytes fails with 414 naming param when s is longer than max bytes
// or is not UTF-8.
func checkBytes(param, s string, max int) error {
	if !utf8.ValidString(s) {
		return errorf(proto.CodeBadParam, "%s must be valid UTF-8", param)
	}
	if len(s) > max {
		return errorf(proto.CodeBadParam, "%s must be at most %d bytes, not %d", param, max, len(s))
	}
	return nil
}

// checkTeamName validates a team name: 1-64 runes without control
// characters.
func checkTeamName(param, name string) error {
	if name == "" {
		return errorf(proto.CodeBadParam, "%s is required", param)
	}
	return checkRunes(param, name, proto.MaxTeamNameRunes, true)
}

// checkMode fails with 414 naming param unless v is one of allowed.
func checkMode(param string, v int, allowed ...int) error {
	if slices.Contains(allowed, v) {
		return nil
	}
	return errorf(proto.CodeBadParam, "%s must be one of %v, not %d", param, allowed, v)
}

// The modes' allowed values.
var (
	joinModes     = []int{proto.JoinAnyone, proto.JoinApproval, proto.JoinNobody}
	binaryModes   = []int{proto.ModeManagers, proto.ModeEveryone}
	muteModes     = []int{proto.MuteNone, proto.MuteNormal, proto.MuteAll}
	notifyStates  = []int{proto.NotifyAll, proto.NotifyManagers, proto.NotifyNone}
	teamTypeNames = []int{proto.TeamNormal, proto.TeamAdvanced, proto.TeamSuper}
)

// teamUpdateParams names the fields of a proto.TeamUpdate after the
// plugin doc's parameters (updateTeamName's teamName, ...).
var teamUpdateParams = map[string]string{
	"name": "teamName", "icon": "teamAvatarUrl", "intro": "intro", "announcement": "announcement",
	"clientCustom": "customInfo", "serverCustom": "serverCustom", "joinMode": "joinMode",
	"inviteMode": "inviteMode", "beInviteMode": "beInviteMode", "updateInfoMode": "infoMode",
	"updateCustomMode": "clientCustomMode", "muteMode": "muteMode",
}

// checkTeamUpdate validates the fields upd sets; param maps a field's
// JSON name to the parameter name the error message gives.
func checkTeamUpdate(upd proto.TeamUpdate, param map[string]string) error {
	if upd == (proto.TeamUpdate{}) {
		return errorf(proto.CodeBadParam, "set at least one team field to update")
	}
	p := func(field string) string {
		if n, ok := param[field]; ok {
			return n
		}
		return field
	}
	var errs []error
	str := func(v *string, check func(string) error) {
		if v != nil {
			if err := check(*v); err != nil {
				errs = append(errs, err)
			}
		}
	}
	mode := func(v *int, field string, allowed []int) {
		if v != nil {
			if err := checkMode(p(field), *v, allowed...); err != nil {
				errs = append(errs, err)
			}
		}
	}
	str(upd.Name, func(s string) error { return checkTeamName(p("name"), s) })
	str(upd.Icon, func(s string) error { return checkBytes(p("icon"), s, proto.MaxTeamIconBytes) })
	str(upd.Intro, func(s string) error { return checkRunes(p("intro"), s, proto.MaxTeamIntroRunes, false) })
	str(upd.Announcement, func(s string) error {
		return checkRunes(p("announcement"), s, proto.MaxTeamAnnounceRunes, false)
	})
	str(upd.ClientCustom, func(s string) error { return checkBytes(p("clientCustom"), s, proto.MaxTeamCustomBytes) })
	str(upd.ServerCustom, func(s string) error { return checkBytes(p("serverCustom"), s, proto.MaxTeamCustomBytes) })
	mode(upd.JoinMode, "joinMode", joinModes)
	mode(upd.InviteMode, "inviteMode", binaryModes)
	mode(upd.BeInviteMode, "beInviteMode", binaryModes)
	mode(upd.UpdateInfoMode, "updateInfoMode", binaryModes)
	mode(upd.UpdateCustomMode, "updateCustomMode", binaryModes)
	mode(upd.MuteMode, "muteMode", muteModes)
	if len(errs) > 0 {
		return errs[0]
	}
	return nil
}

// checkTeamAccounts validates the accounts of a request (param names
// them): 1-MaxTeamAccounts valid accounts, without self when self is not
// "" (it makes no sense there). It returns them without duplicates, in
// their order.
func checkTeamAccounts(param string, accounts []string, self string) ([]string, error) {
	if len(accounts) == 0 {
		return nil, errorf(proto.CodeBadParam, "%s must name at least one account", param)
	}
	if len(accounts) > proto.MaxTeamAccounts {
		return nil, errorf(proto.CodeBadParam, "%s: %d accounts, at most %d", param, len(accounts), proto.MaxTeamAccounts)
	}
	out := make([]string, 0, len(accounts))
	seen := make(map[string]bool, len(accounts))
	for i, a := range accounts {
		if !proto.ValidAccount(a) {
			return nil, errorf(proto.CodeBadParam, "%s[%d] %q is not a valid account", param, i, a)
		}
		if self != "" && a == self {
			return nil, errorf(proto.CodeBadParam, "%s must not name your own account", param)
		}
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	return out, nil
}

// checkAccountParam validates one account parameter; self (when not "")
// must not be it.
func checkAccountParam(param, account, self string) error {
	if !proto.ValidAccount(account) {
		return errorf(proto.CodeBadParam, "%s %q is not a valid account", param, account)
	}
	if self != "" && account == self {
		return errorf(proto.CodeBadParam, "%s must not be your own account", param)
	}
	return nil
}

// teamErr maps a store error of a team operation: a store.TeamError to
// its code and message, ErrNotFound to 404, anything else to a 500 naming
// what failed.
func teamErr(err error, what string) error {
	var te *store.TeamError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &te):
		return errorf(te.Code, "%s", te.Msg)
	case errors.Is(err, store.ErrNotFound):
		return errorf(proto.CodeNotFound, "%s: not found", what)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// teamWritten is the result of a team write by c: the reply resp with
// c's own changes, all changes and the team notification messages for
// the dispatcher.
func (c *conn) teamWritten(w store.TeamWrite, resp proto.TeamResp) result {
	resp.Changes = ownChanges(c.account, w.Changes).Changes
	resp.Msgs = w.Msgs
	return result{reply: resp, changes: w.Changes, msgs: w.Msgs}
}

// teamMaxMembers is the member limit of a new team of type typ and
// requested limit req (0: the configured default): 414 naming param when
// req is negative or above the configured limit of the type.
func (s *Server) teamMaxMembers(param string, typ, req int) (int, error) {
	limit := s.teamCap(typ)
	switch {
	case req < 0:
		return 0, errorf(proto.CodeBadParam, "%s must not be negative", param)
	case req > limit:
		return 0, errorf(proto.CodeBadParam, "%s must be at most %d for this team type, not %d", param, limit, req)
	case req == 0:
		return limit, nil
	}
	return req, nil
}

// teamCap is the configured member cap of a team type.
func (s *Server) teamCap(typ int) int {
	if typ == proto.TeamSuper {
		return s.cfg.superTeamMaxMembers()
	}
	return s.cfg.teamMaxMembers()
}

// checkCreateTeam validates createTeam's option (the doc's names, under
// prefix: "option." for the op) besides the members.
func checkCreateTeam(req *proto.CreateTeamReq, prefix string, names map[string]string) error {
	p := func(field string) string {
		if n, ok := names[field]; ok {
			return n
		}
		return prefix + field
	}
	if err := checkTeamName(p("name"), req.Name); err != nil {
		return err
	}
	checks := []error{
		checkMode(p("type"), req.Type, teamTypeNames...),
		checkBytes(p("icon"), req.Icon, proto.MaxTeamIconBytes),
		checkRunes(p("intro"), req.Intro, proto.MaxTeamIntroRunes, false),
		checkRunes(p("announcement"), req.Announcement, proto.MaxTeamAnnounceRunes, false),
		checkBytes(p("clientCustomInfo"), req.ClientCustom, proto.MaxTeamCustomBytes),
		checkRunes(p("postscript"), req.Postscript, proto.MaxTeamPsRunes, false),
		checkMode(p("joinMode"), req.JoinMode, joinModes...),
		checkMode(p("inviteMode"), req.InviteMode, binaryModes...),
		checkMode(p("beInviteMode"), req.BeInviteMode, binaryModes...),
		checkMode(p("updateInfoMode"), req.UpdateInfoMode, binaryModes...),
		checkMode(p("updateClientCustomMode"), req.UpdateCustomMode, binaryModes...),
		checkMode(p("muteMode"), req.MuteMode, muteModes...),
	}
	for _, err := range checks {
		if err != nil {
			return err
		}
	}
	return nil
}

// createTeam creates a team owned by owner after the checks of
// checkCreateTeam (members checked too: the owner among them is dropped).
// pending reports invitations waiting for the invitees.
func (s *Server) createTeam(ctx context.Context, owner string, req proto.CreateTeamReq, membersParam, maxParam string) (proto.Team, []string, bool, store.TeamWrite, error) {
	var members []string
	if len(req.Members) > 0 {
		m, err := checkTeamAccounts(membersParam, req.Members, "")
		if err != nil {
			return proto.Team{}, nil, false, store.TeamWrite{}, err
		}
		members = slices.DeleteFunc(m, func(a string) bool { return a == owner })
	}
	req.Members = members
	limit, err := s.teamMaxMembers(maxParam, req.Type, req.MaxMembers)
	if err != nil {
		return proto.Team{}, nil, false, store.TeamWrite{}, err
	}
	req.MaxMembers = limit
	if req.Members == nil {
		req.Members = []string{}
	}
	// The store takes the cap for the type and clamps req.MaxMembers to it.
	t, failed, w, err := s.store.CreateTeam(ctx, owner, req, s.teamCap(req.Type), s.now().UnixMilli())
	if err != nil {
		return proto.Team{}, nil, false, store.TeamWrite{}, teamErr(err, "create team of "+owner)
	}
	invited := len(members) - len(failed)
	pending := invited > 0 && req.Type != proto.TeamNormal && req.BeInviteMode == proto.BeInviteNeedsConsent
	return t, failed, pending, w, nil
}

// opTeamCreate is createTeam: the caller owns the new team; users are
// added or invited (TeamResp.Pending: invitations wait for them).
func opTeamCreate(ctx context.Context, c *conn, d jx.RawMessage) (result, error) {
	var req proto.CreateTeamReq
	if err := decode(d, &req); err != nil {
		return result{}, err
	}
	if err := checkCreateTeam(&req, "option.", nil); err != nil {
		return result{}, err
	}
	t, failed, pending, w, err := c.s.createTeam(ctx, c.account, req, "users", "option.maxMember")
	if err != nil {
		return result{}, err
	}
	return c.teamWritten(w, proto.TeamResp{TeamID: t.ID, Failed: failed, Pending: pending}), nil
}

// opTeamUpdate is updateTeamName … updateTeamCustomInfo, muteAllFromTeam
// (muteMode): the given fields change.
func opTeamUpdate(ctx context.Context, c *conn, d jx.RawMessage) (result, error) {
	var req proto.TeamUpdateReq
	if err := decode(d, &req); err != nil {
		return result{}, err
	}
	if err := checkTeamID("teamId", req.TeamID); err != nil {
		return result{}, err
	}
	if req.ServerCustom != nil {
		return result{}, errorf(proto.CodeBadParam, "serverCustom is set by the app's server (team/update), not by a client")
	}
	if err := checkTeamUpdate(req.TeamUpdate, teamUpdateParams); err != nil {
		return result{}, err
	}
	w, err := c.s.store.UpdateTeam(ctx, c.account, req.TeamID, req.TeamUpdate, c.s.now().UnixMilli())
	if err != nil {
		return result{}, teamErr(err, "update team "+req.TeamID)
	}
	return c.teamWritten(w, proto.TeamResp{}), nil
}

// opTeamDismiss is dismissTeam (the owner).
func opTeamDismiss(ctx context.Context, c *conn, d jx.RawMessage) (result, error) {
	var req proto.TeamReq
	if err := decode(d, &req); err != nil {
		return result{}, err
	}
	if err := checkTeamID("teamId", req.TeamID); err != nil {
		return result{}, err
	}
	w, err := c.s.store.DismissTeam(ctx, c.account, req.TeamID, c.s.now().UnixMilli())
	if err != nil {
		return result{}, teamErr(err, "dismiss team "+req.TeamID)
	}
	return c.teamWritten(w, proto.TeamResp{}), nil
}

// opTeamInvite is invitationToTeam: users join at once or get an
// invitation (Pending, NetEase's 810 as a success).
func opTeamInvite(ctx context.Context, c *conn, d jx.RawMessage) (result, error) {
	var req proto.TeamAccountsReq
	if err := decode(d, &req); err != nil {
		return result{}, err
	}
	if err := checkTeamID("teamId", req.TeamID); err != nil {
		return result{}, err
	}
	accounts, err := checkTeamAccounts("users", req.Accounts, c.account)
	if err != nil {
		return result{}, err
	}
	if err := checkRunes("postscript", req.Ps, proto.MaxTeamPsRunes, false); err != nil {
		return result{}, err
	}
	// attach: the invitations' notifyExt.
	if err := checkBytes("attach", req.Attach, proto.MaxTeamCustomBytes); err != nil {
		return result{}, err
	}
	failed, pending, w, err := c.s.store.InviteToTeamExt(ctx, c.account, req.TeamID, accounts, req.Ps, req.Attach, true, c.s.now().UnixMilli())
	if err != nil {
		return result{}, teamErr(err, "invite to team "+req.TeamID)
	}
	return c.teamWritten(w, proto.TeamResp{Failed: failed, Pending: pending}), nil
}

// opTeamApply is applyToTeam: joined at once (JoinAnyone) or the
// application waits for the owner and managers (Pending, 808).
func opTeamApply(ctx context.Context, c *conn, d jx.RawMessage) (result, error) {
	var req proto.TeamReq
	if err := decode(d, &req); err != nil {
		return result{}, err
	}
	if err := checkTeamID("teamId", req.TeamID); err != nil {
		return result{}, err
	}
	if err := checkRunes("message", req.Ps, proto.MaxTeamPsRunes, false); err != nil {
		return result{}, err
	}
	pending, w, err := c.s.store.ApplyToTeam(ctx, c.account, req.TeamID, req.Ps, c.s.now().UnixMilli())
	if err != nil {
		return result{}, teamErr(err, "apply to team "+req.TeamID)
	}
	return c.teamWritten(w, proto.TeamResp{Pending: pending}), nil
}

// opTeamAnswer is passApplyToTeam / rejectApplyToTeam (Kind apply, the
// caller the owner or a manager) and acceptInviteWithTeam /
// rejectInviteWithTeam (Kind invite, the caller the invitee).
func opTeamAnswer(ctx context.Context, c *conn, d jx.RawMessage) (result, error) {
	var req proto.TeamAnswerReq
	if err := decode(d, &req); err != nil {
		return result{}, err
	}
	if err := checkTeamID("teamId", req.TeamID); err != nil {
		return result{}, err
	}
	param := "userId"
	if req.Kind == proto.AnswerInvite {
		param = "invitorId"
	} else if req.Kind != proto.AnswerApply {
		return result{}, errorf(proto.CodeBadParam, "kind must be %q or %q, not %q", proto.AnswerApply, proto.AnswerInvite, req.Kind)
	}
	if err := checkAccountParam(param, req.Account, c.account); err != nil {
		return result{}, err
	}
	if err := checkRunes("reason", req.Ps, proto.MaxTeamPsRunes, false); err != nil {
		return result{}, err
	}
	now := c.s.now().UnixMilli()
	var w store.TeamWrite
	var err error
	if req.Kind == proto.AnswerApply {
		w, err = c.s.store.AnswerApplication(ctx, c.account, req.TeamID, req.Account, req.Accept, req.Ps, now)
	} else {
		w, err = c.s.store.AnswerInvitation(ctx, c.account, req.TeamID, req.Account, req.Accept, req.Ps, now)
	}
	if err != nil {
		return result{}, teamErr(err, fmt.Sprintf("answer the %s of %s in team %s", req.Kind, req.Account, req.TeamID))
	}
	return c.teamWritten(w, proto.TeamResp{}), nil
}

// opTeamKick is kickUsersFromTeam.
func opTeamKick(ctx context.Context, c *conn, d jx.RawMessage) (result, error) {
	var req proto.TeamAccountsReq
	if err := decode(d, &req); err != nil {
		return result{}, err
	}
	if err := checkTeamID("teamId", req.TeamID); err != nil {
		return result{}, err
	}
	accounts, err := checkTeamAccounts("users", req.Accounts, c.account)
	if err != nil {
		return result{}, err
	}
	w, err := c.s.store.KickFromTeam(ctx, c.account, req.TeamID, accounts, c.s.now().UnixMilli())
	if err != nil {
		return result{}, teamErr(err, "kick from team "+req.TeamID)
	}
	return c.teamWritten(w, proto.TeamResp{}), nil
}

// opTeamQuit is quitTeam (not the owner: 802).
func opTeamQuit(ctx context.Context, c *conn, d jx.RawMessage) (result, error) {
	var req proto.TeamReq
	if err := decode(d, &req); err != nil {
		return result{}, err
	}
	if err := checkTeamID("teamId", req.TeamID); err != nil {
		return result{}, err
	}
	w, err := c.s.store.QuitTeam(ctx, c.account, req.TeamID, c.s.now().UnixMilli())
	if err != nil {
		return result{}, teamErr(err, "quit team "+req.TeamID)
	}
	return c.teamWritten(w, proto.TeamResp{}), nil
}

// opTeamTransfer is transferManagerWithTeam (the owner).
func opTeamTransfer(ctx context.Context, c *conn, d jx.RawMessage) (result, error) {
	var req proto.TeamTransferReq
	if err := decode(d, &req); err != nil {
		return result{}, err
	}
	if err := checkTeamID("teamId", req.TeamID); err != nil {
		return result{}, err
	}
	if err := checkAccountParam("newOwnerId", req.Owner, c.account); err != nil {
		return result{}, err
	}
	w, err := c.s.store.TransferTeam(ctx, c.account, req.TeamID, req.Owner, req.Leave, c.s.now().UnixMilli())
	if err != nil {
		return result{}, teamErr(err, "transfer team "+req.TeamID)
	}
	return c.teamWritten(w, proto.TeamResp{}), nil
}

// opTeamManagers is addManagersToTeam (On) / removeManagersFromTeam.
func opTeamManagers(ctx context.Context, c *conn, d jx.RawMessage) (result, error) {
	var req proto.TeamAccountsReq
	if err := decode(d, &req); err != nil {
		return result{}, err
	}
	if err := checkTeamID("teamId", req.TeamID); err != nil {
		return result{}, err
	}
	accounts, err := checkTeamAccounts("users", req.Accounts, c.account)
	if err != nil {
		return result{}, err
	}
	w, err := c.s.store.SetManagers(ctx, c.account, req.TeamID, accounts, req.On, c.s.now().UnixMilli())
	if err != nil {
		return result{}, teamErr(err, "managers of team "+req.TeamID)
	}
	return c.teamWritten(w, proto.TeamResp{}), nil
}

// opTeamMute is muteUserFromTeam: one account (userId), On mutes.
func opTeamMute(ctx context.Context, c *conn, d jx.RawMessage) (result, error) {
	var req proto.TeamAccountsReq
	if err := decode(d, &req); err != nil {
		return result{}, err
	}
	if err := checkTeamID("teamId", req.TeamID); err != nil {
		return result{}, err
	}
	if len(req.Accounts) != 1 {
		return result{}, errorf(proto.CodeBadParam, "userId: name exactly one account")
	}
	if err := checkAccountParam("userId", req.Accounts[0], c.account); err != nil {
		return result{}, err
	}
	w, err := c.s.store.MuteMember(ctx, c.account, req.TeamID, req.Accounts[0], req.On, c.s.now().UnixMilli())
	if err != nil {
		return result{}, teamErr(err, "mute in team "+req.TeamID)
	}
	return c.teamWritten(w, proto.TeamResp{}), nil
}

// opTeamMember is updateUserNick (any member's nick, by itself or the
// owner/a manager) and the caller's own member custom info.
func opTeamMember(ctx context.Context, c *conn, d jx.RawMessage) (result, error) {
	var req proto.TeamMemberReq
	if err := decode(d, &req); err != nil {
		return result{}, err
	}
	if err := checkTeamID("teamId", req.TeamID); err != nil {
		return result{}, err
	}
	if err := checkAccountParam("userId", req.Account, ""); err != nil {
		return result{}, err
	}
	if req.Nick == nil && req.Custom == nil {
		return result{}, errorf(proto.CodeBadParam, "newNick is required")
	}
	if req.Nick != nil {
		if err := checkRunes("newNick", *req.Nick, proto.MaxTeamNickRunes, true); err != nil {
			return result{}, err
		}
	}
	if req.Custom != nil {
		if req.Account != c.account {
			return result{}, errorf(proto.CodeBadParam, "custom may be set for your own account only")
		}
		if err := checkBytes("custom", *req.Custom, proto.MaxTeamCustomBytes); err != nil {
			return result{}, err
		}
	}
	w, err := c.s.store.UpdateMember(ctx, c.account, req.TeamID, req.Account, req.Nick, req.Custom, c.s.now().UnixMilli())
	if err != nil {
		return result{}, teamErr(err, "update member "+req.Account+" of team "+req.TeamID)
	}
	return c.teamWritten(w, proto.TeamResp{}), nil
}

// opTeamNotify is updateTeamNotifyState: the caller's own devices learn
// it; no team notification message.
func opTeamNotify(ctx context.Context, c *conn, d jx.RawMessage) (result, error) {
	var req proto.TeamNotifyReq
	if err := decode(d, &req); err != nil {
		return result{}, err
	}
	if err := checkTeamID("teamId", req.TeamID); err != nil {
		return result{}, err
	}
	if err := checkMode("notifyState", req.Notify, notifyStates...); err != nil {
		return result{}, err
	}
	w, err := c.s.store.SetTeamNotify(ctx, c.account, req.TeamID, req.Notify, c.s.now().UnixMilli())
	if err != nil {
		return result{}, teamErr(err, "notify state in team "+req.TeamID)
	}
	return c.teamWritten(w, proto.TeamResp{}), nil
}

// teamAndMe returns a team and the caller's member row: 803 when there is
// no such team, 804 when the caller never was a member.
func (c *conn) teamAndMe(ctx context.Context, tid string) (proto.Team, proto.TeamMember, error) {
	t, err := c.s.store.Team(ctx, tid)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return proto.Team{}, proto.TeamMember{}, errorf(proto.CodeTeamNotFound, "team does not exist: %s", tid)
		}
		return proto.Team{}, proto.TeamMember{}, teamErr(err, "team "+tid)
	}
	me, err := c.s.store.TeamMember(ctx, tid, c.account)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return proto.Team{}, proto.TeamMember{}, errorf(proto.CodeTeamNotMember, "not a member of team %s", tid)
		}
		return proto.Team{}, proto.TeamMember{}, teamErr(err, "member "+c.account+" of team "+tid)
	}
	return t, me, nil
}

// opTeamMembers is fetchTeamMembers: a page of the team's member rows
// changed after Since (0: the valid members), cut by count
// (MaxTeamMembersPage) and bytes (MaxPage). The caller must be or have
// been a member (one who left reads the list as it is now). Notify is
// blanked in rows other than the caller's own (it is private).
func opTeamMembers(ctx context.Context, c *conn, d jx.RawMessage) (result, error) {
	var req proto.TeamMembersReq
	if err := decode(d, &req); err != nil {
		return result{}, err
	}
	if err := checkTeamID("teamId", req.TeamID); err != nil {
		return result{}, err
	}
	if req.Since < 0 || req.AfterVer < 0 {
		return result{}, errorf(proto.CodeBadParam, "since and afterVer must not be negative")
	}
	if req.AfterAccount != "" && !proto.ValidAccount(req.AfterAccount) {
		return result{}, errorf(proto.CodeBadParam, "afterAccount %q is not a valid account", req.AfterAccount)
	}
	if _, _, err := c.teamAndMe(ctx, req.TeamID); err != nil {
		return result{}, err
	}
	members, more, err := c.s.store.TeamMembers(ctx, req.TeamID, req.Since, req.AfterVer, req.AfterAccount, proto.MaxTeamMembersPage)
	if err != nil {
		return result{}, teamErr(err, "members of team "+req.TeamID)
	}
	resp := proto.TeamMembersResp{Members: []proto.TeamMember{}, More: more}
	var page pageBudget
	for _, m := range members {
		if m.Account != c.account {
			m.Notify = 0 // private to its account
		}
		if !page.fits(len(resp.Members), m) {
			resp.More = true
			break
		}
		resp.Members = append(resp.Members, m)
	}
	return result{reply: resp}, nil
}

// opTeamInfo is the caller's view of a team (proto.TeamState): the team
// and its own member row, for a team it is or was a member of.
func opTeamInfo(ctx context.Context, c *conn, d jx.RawMessage) (result, error) {
	var req proto.TeamReq
	if err := decode(d, &req); err != nil {
		return result{}, err
	}
	if err := checkTeamID("teamId", req.TeamID); err != nil {
		return result{}, err
	}
	t, me, err := c.teamAndMe(ctx, req.TeamID)
	if err != nil {
		return result{}, err
	}
	return result{reply: proto.TeamState{Team: t, Me: me}}, nil
}
