package jsapi

import (
	"context"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"yunxin/core"
	"yunxin/internal/jx"
	"yunxin/proto"
)

// TeamsEngine is the team group's part of Engine (issue 8): the 35 team
// methods (sendTeamMessageReceipts is MessagingEngine's).
type TeamsEngine interface {
	CreateTeam(ctx context.Context, p core.CreateTeamParams) (*core.CreateTeamResult, error)
	AllMyTeams(ctx context.Context) ([]core.TeamView, error)
	DismissTeam(ctx context.Context, teamID string) error
	ApplyToTeam(ctx context.Context, teamID, message string) (int, error)
	PassApplyToTeam(ctx context.Context, teamID, account string) (int, error)
	RejectApplyToTeam(ctx context.Context, teamID, account, reason string) error
	InvitationToTeam(ctx context.Context, teamID string, accounts []string, postscript, attach string) ([]core.TeamMemberView, error)
	AcceptInviteWithTeam(ctx context.Context, teamID, invitor string) error
	RejectInviteWithTeam(ctx context.Context, teamID, invitor, reason string) error
	KickUsersFromTeam(ctx context.Context, teamID string, accounts []string) error
	QuitTeam(ctx context.Context, teamID string) error
	FetchTeamMembers(ctx context.Context, teamID string) ([]core.TeamMemberView, error)
	TeamMember(ctx context.Context, teamID, account string) (*core.TeamMemberView, error)
	UpdateUserNick(ctx context.Context, teamID, account, nick string) error
	IsMyTeam(ctx context.Context, teamID string) (bool, error)
	TransferManagerWithTeam(ctx context.Context, teamID, newOwner string, leave bool) error
	SetTeamManagers(ctx context.Context, teamID string, accounts []string, on bool) error
	MuteUserFromTeam(ctx context.Context, teamID, account string, mute bool) error
	MuteAllFromTeam(ctx context.Context, teamID string, mute bool) error
	FetchTeamMutedMembers(ctx context.Context, teamID string) ([]core.TeamMemberView, error)
	UpdateTeamInfo(ctx context.Context, teamID string, u core.TeamInfoUpdate) error
	UpdateTeamNotifyState(ctx context.Context, teamID string, state int) error
	FetchTeamNotifyState(ctx context.Context, teamID string) (int, error)
}

// The team handlers check their params' types and values here (team ids,
// account ids, lengths, counts, modes) with a 414 naming the doc's
// parameter, so a bad call never reaches core; permissions and the team's
// state are the server's.

// teamIDRule is core's wording of the server's rule for a team id.
const teamIDRule = "is not a valid team id (1-64 letters, digits, _ . @ -)"

// teamID returns the required team id parameter name (teamId; sessionId
// for sendTeamMessageReceipts): not empty, the server's rule (teamIDRule).
func teamID(p params, name string) (string, error) {
	s, err := p.need(name)
	if err != nil {
		return "", err
	}
	if s == "" {
		return "", core.BadParam(name, "must not be empty")
	}
	if len(s) > 64 {
		return "", core.BadParam(name, teamIDRule)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '@' || c == '-') {
			return "", core.BadParam(name, teamIDRule)
		}
	}
	return s, nil
}

// teamAccounts returns the required array of account ids name (users), 1
// to proto.MaxTeamAccounts of them, or none when empty is allowed
// (createTeam), never the logged-in account (core's rule; createTeam drops it, the
// others refuse it). A single account id string is taken as a one-element list:
// the doc types kickUsersFromTeam's users as a string.
func teamAccounts(e Engine, p params, name string, empty bool) ([]string, error) {
	v := p.get(name)
	if v != nil && v[0] == '"' {
		s, err := p.str(name)
		if err != nil {
			return nil, err
		}
		if err := checkAccount(name, s); err != nil {
			return nil, err
		}
		if err := other(e, name, s); err != nil {
			return nil, core.BadParam(name, "must not name your own account")
		}
		return []string{s}, nil
	}
	ids, err := accounts(p, name, proto.MaxTeamAccounts)
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 && !empty {
		return nil, core.BadParam(name, "must name at least one account")
	}
	if me := e.CurrentAccount(); me != "" {
		kept := ids[:0:0]
		for _, id := range ids {
			switch {
			case id != me:
				kept = append(kept, id)
			case !empty: // createTeam (empty allowed) drops the owner, as the server does
				return nil, core.BadParam(name, "must not name your own account")
			}
		}
		ids = kept
	}
	return ids, nil
}

// runes returns the optional string parameter name, at most max characters.
func runes(p params, name string, max int) (string, error) {
	s, err := p.str(name)
	if err != nil {
		return "", err
	}
	return s, checkRunes(name, s, max, false)
}

// checkRunes checks the text s of parameter name: at most max characters
// and (noControl) no control characters.
func checkRunes(name, s string, max int, noControl bool) error {
	if utf8.RuneCountInString(s) > max {
		return core.BadParam(name, "must be at most "+strconv.Itoa(max)+" characters")
	}
	if noControl && strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return core.BadParam(name, "must not contain control characters")
	}
	return nil
}

// bytesParam returns the optional string parameter name, at most max bytes.
func bytesParam(p params, name string, max int) (string, error) {
	s, err := p.str(name)
	if err != nil {
		return "", err
	}
	if len(s) > max {
		return "", core.BadParam(name, "must be at most "+strconv.Itoa(max)+" bytes")
	}
	return s, nil
}

// teamName checks a team name parameter: 1 to proto.MaxTeamNameRunes
// characters, no control ones.
func teamName(name, s string) error {
	if s == "" {
		return core.BadParam(name, "is required")
	}
	return checkRunes(name, s, proto.MaxTeamNameRunes, true)
}

// mode is one of the team's numeric settings: its allowed values and the
// 414's wording of them.
type mode struct {
	ok      func(int) bool
	problem string
}

var (
	joinModes    = mode{func(n int) bool { return n >= 0 && n <= 2 }, "must be 0 (anyone), 1 (approval) or 2 (nobody)"}
	inviteModes  = mode{func(n int) bool { return n == 0 || n == 1 }, "must be 0 (owner and managers) or 1 (everyone)"}
	beInvModes   = mode{func(n int) bool { return n == 0 || n == 1 }, "must be 0 (the invitee must accept) or 1 (joins at once)"}
	teamTypes    = mode{func(n int) bool { return n >= proto.TeamNormal && n <= proto.TeamSuper }, "must be 0 (normal), 1 (advanced) or 2 (super)"}
	muteModes    = mode{func(n int) bool { return n == proto.MuteNone || n == proto.MuteNormal || n == proto.MuteAll }, "must be 0 (none), 1 (normal members) or 3 (everyone)"}
	notifyStates = mode{func(n int) bool { return n >= proto.NotifyAll && n <= proto.NotifyManagers }, "must be 0 (all), 1 (none) or 2 (managers only)"}
)

// modeParam returns the integer parameter name (def when absent, required
// when need), one of m's values.
func modeParam(p params, name string, def int, need bool, m mode) (int, error) {
	var n int
	var err error
	if need {
		n, err = p.needInt(name)
	} else {
		n, err = p.integer(name, def)
	}
	if err != nil {
		return 0, err
	}
	if !m.ok(n) {
		return 0, core.BadParam(name, m.problem)
	}
	return n, nil
}

// members is the ret of the methods that list members: {status, members}
// (none is [], never null).
func members(m []core.TeamMemberView, err error) (jx.Value, error) {
	if err != nil {
		return nil, err
	}
	if m == nil {
		m = []core.TeamMemberView{}
	}
	return &membersRet{true, m}, nil
}

// applied is the ret of applyToTeam and passApplyToTeam.
func applied(st int, err error) (jx.Value, error) {
	if err != nil {
		return nil, err
	}
	return &appliedRet{true, st}, nil
}

// optionKeys are createTeam's option keys, in the doc's order.
var optionKeys = "name, type, intro, icon, announcement, clientCustomInfo, postscript, joinMode, inviteMode, beInviteMode, updateInfoMode, updateClientCustomMode, maxMember, muteMode"

// doCreateTeam reads users (the accounts invited, none allowed) and
// option {name (required), type, intro, icon, announcement,
// clientCustomInfo, postscript, joinMode, inviteMode, beInviteMode,
// updateInfoMode, updateClientCustomMode, maxMember, muteMode}; the doc's
// defaults are 0. A bad option key is named option.key.
func doCreateTeam(ctx context.Context, e Engine, p params) (jx.Value, error) {
	users, err := teamAccounts(e, p, "users", true)
	if err != nil {
		return nil, err
	}
	raw, err := p.object("option")
	if err != nil || raw == nil {
		return nil, core.BadParam("option", "must be an object {"+optionKeys+"}")
	}
	o, err := decodeParams(string(raw))
	if err != nil {
		return nil, core.BadParam("option", "must be an object")
	}
	// named prefixes the parameter of a 414 from o's helpers with "option.".
	named := func(err error) error {
		if ce, ok := err.(*core.Error); ok {
			ce.Msg = strings.Replace(ce.Msg, "parameter ", "parameter option.", 1)
		}
		return err
	}
	q := core.CreateTeamParams{Users: users}
	if q.Name, err = o.need("name"); err != nil {
		return nil, named(err)
	}
	if err := teamName("option.name", q.Name); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		dst  *string
		name string
		max  int
		byte bool
	}{
		{&q.Intro, "intro", proto.MaxTeamIntroRunes, false},
		{&q.Icon, "icon", proto.MaxTeamIconBytes, true},
		{&q.Announcement, "announcement", proto.MaxTeamAnnounceRunes, false},
		{&q.ClientCustomInfo, "clientCustomInfo", proto.MaxTeamCustomBytes, true},
		{&q.Postscript, "postscript", proto.MaxTeamPsRunes, false},
	} {
		if f.byte {
			*f.dst, err = bytesParam(o, f.name, f.max)
		} else {
			*f.dst, err = runes(o, f.name, f.max)
		}
		if err != nil {
			return nil, named(err)
		}
	}
	for _, f := range []struct {
		dst  *int
		name string
		m    mode
	}{
		{&q.Type, "type", teamTypes},
		{&q.JoinMode, "joinMode", joinModes},
		{&q.InviteMode, "inviteMode", inviteModes},
		{&q.BeInviteMode, "beInviteMode", beInvModes},
		{&q.UpdateInfoMode, "updateInfoMode", inviteModes},
		{&q.UpdateCustomMode, "updateClientCustomMode", inviteModes},
		{&q.MuteMode, "muteMode", muteModes},
	} {
		if *f.dst, err = modeParam(o, f.name, 0, false, f.m); err != nil {
			return nil, named(err)
		}
	}
	if q.MaxMember, err = o.integer("maxMember", 0); err != nil {
		return nil, named(err)
	}
	if q.MaxMember < 0 {
		return nil, core.BadParam("option.maxMember", "must not be negative")
	}
	r, err := e.CreateTeam(ctx, q)
	if err != nil {
		return nil, err
	}
	if r == nil {
		r = &core.CreateTeamResult{}
	}
	failed := r.FailedUserIDs
	if failed == nil {
		failed = []string{}
	}
	return &createdTeamRet{true, r.TeamID, failed}, nil
}

func doAllMyTeams(ctx context.Context, e Engine, _ params) (jx.Value, error) {
	t, err := e.AllMyTeams(ctx)
	if err != nil {
		return nil, err
	}
	if t == nil {
		t = []core.TeamView{}
	}
	return &teamsRet{t}, nil
}

// team returns the handler of a method whose only parameter is teamId
// (dismissTeam, quitTeam).
func team(call func(e Engine, ctx context.Context, tid string) error) handler {
	return func(ctx context.Context, e Engine, p params) (jx.Value, error) {
		tid, err := teamID(p, "teamId")
		if err != nil {
			return nil, err
		}
		return done(call(e, ctx, tid))
	}
}

// doApplyToTeam: message (optional) is the application's postscript.
func doApplyToTeam(ctx context.Context, e Engine, p params) (jx.Value, error) {
	tid, err := teamID(p, "teamId")
	if err != nil {
		return nil, err
	}
	msg, err := runes(p, "message", proto.MaxTeamPsRunes)
	if err != nil {
		return nil, err
	}
	return applied(e.ApplyToTeam(ctx, tid, msg))
}

// teamAndAccount returns teamId and the account id parameter name.
func teamAndAccount(p params, name string) (string, string, error) {
	tid, err := teamID(p, "teamId")
	if err != nil {
		return "", "", err
	}
	id, err := account(p, name)
	return tid, id, err
}

// teamAndOther returns teamId and the account id parameter name, which
// must not be the logged-in account (core's rule: applications,
// invitations, owner transfers and mutes are about someone else).
func teamAndOther(e Engine, p params, name string) (string, string, error) {
	tid, id, err := teamAndAccount(p, name)
	if err == nil {
		err = other(e, name, id)
	}
	return tid, id, err
}

func doPassApplyToTeam(ctx context.Context, e Engine, p params) (jx.Value, error) {
	tid, id, err := teamAndOther(e, p, "userId")
	if err != nil {
		return nil, err
	}
	return applied(e.PassApplyToTeam(ctx, tid, id))
}

// doRejectApply: reason (optional) goes to the applicant.
func doRejectApply(ctx context.Context, e Engine, p params) (jx.Value, error) {
	tid, id, err := teamAndOther(e, p, "userId")
	if err != nil {
		return nil, err
	}
	reason, err := runes(p, "reason", proto.MaxTeamPsRunes)
	if err != nil {
		return nil, err
	}
	return done(e.RejectApplyToTeam(ctx, tid, id, reason))
}

// doInvitationToTeam reads users (1–200 accounts), postscript and attach
// (the invitations' extension, at most proto.MaxTeamCustomBytes bytes);
// members are those added at once (none when the invitees must accept).
func doInvitationToTeam(ctx context.Context, e Engine, p params) (jx.Value, error) {
	tid, err := teamID(p, "teamId")
	if err != nil {
		return nil, err
	}
	ids, err := teamAccounts(e, p, "users", false)
	if err != nil {
		return nil, err
	}
	ps, err := runes(p, "postscript", proto.MaxTeamPsRunes)
	if err != nil {
		return nil, err
	}
	attach, err := bytesParam(p, "attach", proto.MaxTeamCustomBytes)
	if err != nil {
		return nil, err
	}
	return members(e.InvitationToTeam(ctx, tid, ids, ps, attach))
}

func doAcceptInvite(ctx context.Context, e Engine, p params) (jx.Value, error) {
	tid, id, err := teamAndOther(e, p, "invitorId")
	if err != nil {
		return nil, err
	}
	return done(e.AcceptInviteWithTeam(ctx, tid, id))
}

func doRejectInvite(ctx context.Context, e Engine, p params) (jx.Value, error) {
	tid, id, err := teamAndOther(e, p, "invitorId")
	if err != nil {
		return nil, err
	}
	reason, err := runes(p, "reason", proto.MaxTeamPsRunes)
	if err != nil {
		return nil, err
	}
	return done(e.RejectInviteWithTeam(ctx, tid, id, reason))
}

func doKickUsers(ctx context.Context, e Engine, p params) (jx.Value, error) {
	tid, err := teamID(p, "teamId")
	if err != nil {
		return nil, err
	}
	ids, err := teamAccounts(e, p, "users", false)
	if err != nil {
		return nil, err
	}
	return done(e.KickUsersFromTeam(ctx, tid, ids))
}

// teamMembers returns the handler of fetchTeamMembers and fetchTeamMutedMembers.
func teamMembers(call func(e Engine, ctx context.Context, tid string) ([]core.TeamMemberView, error)) handler {
	return func(ctx context.Context, e Engine, p params) (jx.Value, error) {
		tid, err := teamID(p, "teamId")
		if err != nil {
			return nil, err
		}
		return members(call(e, ctx, tid))
	}
}

// doTeamMember answers {member}: null when the member is not cached.
func doTeamMember(ctx context.Context, e Engine, p params) (jx.Value, error) {
	tid, id, err := teamAndAccount(p, "userId")
	if err != nil {
		return nil, err
	}
	m, err := e.TeamMember(ctx, tid, id)
	if err != nil {
		return nil, err
	}
	return &memberRet{m}, nil
}

// doUpdateUserNick: newNick "" clears the nickname.
func doUpdateUserNick(ctx context.Context, e Engine, p params) (jx.Value, error) {
	tid, id, err := teamAndAccount(p, "userId")
	if err != nil {
		return nil, err
	}
	if !p.has("newNick") {
		return nil, core.BadParam("newNick", "must be a string")
	}
	nick, err := p.str("newNick")
	if err != nil {
		return nil, err
	}
	if err := checkRunes("newNick", nick, proto.MaxTeamNickRunes, true); err != nil {
		return nil, err
	}
	return done(e.UpdateUserNick(ctx, tid, id, nick))
}

func doIsMyTeam(ctx context.Context, e Engine, p params) (jx.Value, error) {
	tid, err := teamID(p, "teamId")
	if err != nil {
		return nil, err
	}
	b, err := e.IsMyTeam(ctx, tid)
	return flag("isMyTeam", b, err)
}

// doTransferOwner: isLeave (default false) leaves the team as well.
func doTransferOwner(ctx context.Context, e Engine, p params) (jx.Value, error) {
	tid, id, err := teamAndOther(e, p, "newOwnerId")
	if err != nil {
		return nil, err
	}
	leave, err := p.boolean("isLeave", false)
	if err != nil {
		return nil, err
	}
	return done(e.TransferManagerWithTeam(ctx, tid, id, leave))
}

// managers returns the handler of addManagersToTeam (on) and removeManagersFromTeam.
func managers(on bool) handler {
	return func(ctx context.Context, e Engine, p params) (jx.Value, error) {
		tid, err := teamID(p, "teamId")
		if err != nil {
			return nil, err
		}
		ids, err := teamAccounts(e, p, "users", false)
		if err != nil {
			return nil, err
		}
		return done(e.SetTeamManagers(ctx, tid, ids, on))
	}
}

// doMuteUser: isMute (default true) mutes userId, false unmutes.
func doMuteUser(ctx context.Context, e Engine, p params) (jx.Value, error) {
	tid, id, err := teamAndOther(e, p, "userId")
	if err != nil {
		return nil, err
	}
	mute, err := p.boolean("isMute", true)
	if err != nil {
		return nil, err
	}
	return done(e.MuteUserFromTeam(ctx, tid, id, mute))
}

// doMuteAll: isMute (default true) mutes the normal members, false unmutes.
func doMuteAll(ctx context.Context, e Engine, p params) (jx.Value, error) {
	tid, err := teamID(p, "teamId")
	if err != nil {
		return nil, err
	}
	mute, err := p.boolean("isMute", true)
	if err != nil {
		return nil, err
	}
	return done(e.MuteAllFromTeam(ctx, tid, mute))
}

// updateText returns the handler of an update method whose parameter name
// is a string of at most max characters (bytes when inBytes), stored in
// the field set picks; name checks a team name.
func updateText(name string, max int, inBytes bool, set func(u *core.TeamInfoUpdate, s *string)) handler {
	return func(ctx context.Context, e Engine, p params) (jx.Value, error) {
		tid, err := teamID(p, "teamId")
		if err != nil {
			return nil, err
		}
		if !p.has(name) {
			return nil, core.BadParam(name, "must be a string")
		}
		var s string
		switch {
		case name == "teamName":
			if s, err = p.str(name); err == nil {
				err = teamName(name, s)
			}
		case inBytes:
			s, err = bytesParam(p, name, max)
		default:
			s, err = runes(p, name, max)
		}
		if err != nil {
			return nil, err
		}
		var u core.TeamInfoUpdate
		set(&u, &s)
		return done(e.UpdateTeamInfo(ctx, tid, u))
	}
}

// updateMode returns the handler of an update method whose required
// parameter name is one of m's values, stored in the field set picks.
func updateMode(name string, m mode, set func(u *core.TeamInfoUpdate, n *int)) handler {
	return func(ctx context.Context, e Engine, p params) (jx.Value, error) {
		tid, err := teamID(p, "teamId")
		if err != nil {
			return nil, err
		}
		n, err := modeParam(p, name, 0, true, m)
		if err != nil {
			return nil, err
		}
		var u core.TeamInfoUpdate
		set(&u, &n)
		return done(e.UpdateTeamInfo(ctx, tid, u))
	}
}

func doUpdateNotifyState(ctx context.Context, e Engine, p params) (jx.Value, error) {
	tid, err := teamID(p, "teamId")
	if err != nil {
		return nil, err
	}
	n, err := modeParam(p, "notifyState", 0, true, notifyStates)
	if err != nil {
		return nil, err
	}
	return done(e.UpdateTeamNotifyState(ctx, tid, n))
}

// doFetchNotifyState answers {status, notifyState}: the doc's ret is
// {notifyState}, its example tests ret.status.
func doFetchNotifyState(ctx context.Context, e Engine, p params) (jx.Value, error) {
	tid, err := teamID(p, "teamId")
	if err != nil {
		return nil, err
	}
	n, err := e.FetchTeamNotifyState(ctx, tid)
	if err != nil {
		return nil, err
	}
	return &notifyStateRet{true, n}, nil
}
