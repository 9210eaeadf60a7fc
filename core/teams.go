package core

import (
	"context"
	"sort"
	"unicode"
	"unicode/utf8"

	"yunxin/internal/jx"
	"yunxin/proto"
)

// The team domain's Client methods (issue 8). Reads come from the cache
// (teamstate.go) and work offline and after OpenLocalCache; writes go to
// the server (proto's team ops, 415 offline), whose reply (the caller's
// own changes) is applied at once through the same appliers as a sync's,
// and reaches the other members and the account's other devices as
// pushes. Parameters are checked here as the server checks them (414
// naming the doc's parameter).

// checkTeamID checks a teamId parameter: 1-64 letters, digits, _ . @ -.
func checkTeamID(tid string) error {
	if tid == "" {
		return BadParam("teamId", "must not be empty")
	}
	ok := len(tid) <= 64 // the server's bound
	for i := 0; ok && i < len(tid); i++ {
		c := tid[i]
		ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '@' || c == '-'
	}
	if !ok {
		return BadParam("teamId", "is not a valid team id (1-64 letters, digits, _ . @ -)")
	}
	return nil
}

// checkTeamRunes checks a text parameter: valid UTF-8, at most max
// characters, and (noControl) without control characters.
func checkTeamRunes(name, s string, max int, noControl bool) error {
	if !utf8.ValidString(s) {
		return BadParam(name, "must be valid UTF-8")
	}
	if utf8.RuneCountInString(s) > max {
		return BadParam(name, "must be at most "+itoa(max)+" characters")
	}
	if noControl {
		for _, r := range s {
			if unicode.IsControl(r) {
				return BadParam(name, "must not contain control characters")
			}
		}
	}
	return nil
}

// checkTeamBytes checks a parameter of at most max bytes of UTF-8.
func checkTeamBytes(name, s string, max int) error {
	if !utf8.ValidString(s) {
		return BadParam(name, "must be valid UTF-8")
	}
	if len(s) > max {
		return BadParam(name, "must be at most "+itoa(max)+" bytes")
	}
	return nil
}

// checkTeamName checks a team name: 1-64 characters, no control ones.
func checkTeamName(name, s string) error {
	if s == "" {
		return BadParam(name, "is required")
	}
	return checkTeamRunes(name, s, proto.MaxTeamNameRunes, true)
}

// checkTeamMode fails with 414 naming name unless v is one of allowed
// (described by what).
func checkTeamMode(name string, v int, what string, allowed ...int) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return BadParam(name, "must be "+what)
}

// Descriptions of the modes' allowed values.
const (
	joinModesText   = "0 (anyone), 1 (approval) or 2 (nobody)"
	binaryModesText = "0 (owner and managers) or 1 (everyone)"
	beInviteText    = "0 (the invitee must accept) or 1 (joins at once)"
	muteModesText   = "0 (none), 1 (normal members) or 3 (everyone)"
	notifyText      = "0 (all), 1 (none) or 2 (managers only)"
)

// checkTeamAccounts checks a list of accounts of a team write (name[i]
// each): 1-MaxTeamAccounts accounts, not the caller's own (as the
// server), without duplicates.
func (c *Client) checkTeamAccounts(name string, accounts []string) ([]string, error) {
	if len(accounts) == 0 {
		return nil, BadParam(name, "must name at least one account")
	}
	if len(accounts) > proto.MaxTeamAccounts {
		return nil, BadParam(name, MaxAccountsProblem(proto.MaxTeamAccounts))
	}
	out, err := checkAccounts(name, accounts)
	if err != nil {
		return nil, err
	}
	self := c.CurrentAccount()
	for _, a := range out {
		if a == self {
			return nil, BadParam(name, "must not name your own account")
		}
	}
	return out, nil
}

// checkTeamOther checks one account parameter that must not be the
// caller's own.
func (c *Client) checkTeamOther(name, account string) error {
	if err := checkAccount(name, account); err != nil {
		return err
	}
	if account == c.CurrentAccount() {
		return BadParam(name, "must not be your own account")
	}
	return nil
}

// teamWrite sends team op with req and applies the reply's changes; resp
// gets the reply.
func (c *Client) teamWrite(ctx context.Context, op string, req jx.Value, resp *proto.TeamResp) (*run, *link, error) {
	r, l, err := c.online()
	if err != nil {
		return nil, nil, err
	}
	if err := l.call(ctx, op, req, resp); err != nil {
		return r, l, err
	}
	// The reply's changes first (the team as the write left it), then its
	// notification messages, which the server pushes to everyone but this
	// connection.
	return r, l, c.cacheFailed(r, c.change(r, func(t *tx) {
		for _, ch := range resp.Changes {
			t.applyChange(ch)
			if m := t.getMeta(); ch.Ver == m.Ver+1 {
				m.Ver = ch.Ver
				t.setMeta(m)
			}
		}
		t.ingest(resp.Msgs, true)
	}))
}

// CreateTeam creates a team owned by the logged-in account (createTeam)
// and adds or invites users (a normal team, or one whose beInviteMode is
// 1, adds them at once; otherwise each gets an invitation). The new team
// is cached at once (onTeamAdded). FailedUserIDs lists the users neither
// added nor invited. 415 offline.
func (c *Client) CreateTeam(ctx context.Context, p CreateTeamParams) (*CreateTeamResult, error) {
	if err := checkTeamName("option.name", p.Name); err != nil {
		return nil, err
	}
	// The owner among the users is dropped, as the server does: it is a
	// member anyway.
	var users []string
	self := c.CurrentAccount()
	for _, u := range p.Users {
		if u != self || self == "" {
			users = append(users, u)
		}
	}
	if len(users) > 0 {
		var err error
		if users, err = c.checkTeamAccounts("users", users); err != nil {
			return nil, err
		}
	}
	checks := []error{
		checkTeamMode("option.type", p.Type, "0 (normal), 1 (advanced) or 2 (super)", proto.TeamNormal, proto.TeamAdvanced, proto.TeamSuper),
		checkTeamBytes("option.icon", p.Icon, proto.MaxTeamIconBytes),
		checkTeamRunes("option.intro", p.Intro, proto.MaxTeamIntroRunes, false),
		checkTeamRunes("option.announcement", p.Announcement, proto.MaxTeamAnnounceRunes, false),
		checkTeamBytes("option.clientCustomInfo", p.ClientCustomInfo, proto.MaxTeamCustomBytes),
		checkTeamRunes("option.postscript", p.Postscript, proto.MaxTeamPsRunes, false),
		checkTeamMode("option.joinMode", p.JoinMode, joinModesText, proto.JoinAnyone, proto.JoinApproval, proto.JoinNobody),
		checkTeamMode("option.inviteMode", p.InviteMode, binaryModesText, proto.ModeManagers, proto.ModeEveryone),
		checkTeamMode("option.beInviteMode", p.BeInviteMode, beInviteText, proto.BeInviteNeedsConsent, proto.BeInviteAtOnce),
		checkTeamMode("option.updateInfoMode", p.UpdateInfoMode, binaryModesText, proto.ModeManagers, proto.ModeEveryone),
		checkTeamMode("option.updateClientCustomMode", p.UpdateCustomMode, binaryModesText, proto.ModeManagers, proto.ModeEveryone),
		checkTeamMode("option.muteMode", p.MuteMode, muteModesText, proto.MuteNone, proto.MuteNormal, proto.MuteAll),
	}
	for _, err := range checks {
		if err != nil {
			return nil, err
		}
	}
	if p.MaxMember < 0 {
		return nil, BadParam("option.maxMember", "must not be negative")
	}
	req := proto.CreateTeamReq{Name: p.Name, Type: p.Type, Icon: p.Icon, Intro: p.Intro, Announcement: p.Announcement,
		ClientCustom: p.ClientCustomInfo, Postscript: p.Postscript, JoinMode: p.JoinMode, InviteMode: p.InviteMode,
		BeInviteMode: p.BeInviteMode, UpdateInfoMode: p.UpdateInfoMode, UpdateCustomMode: p.UpdateCustomMode,
		MaxMembers: p.MaxMember, MuteMode: p.MuteMode, Members: users}
	var resp proto.TeamResp
	if _, _, err := c.teamWrite(ctx, proto.OpTeamCreate, &req, &resp); err != nil {
		return nil, err
	}
	failed := resp.Failed
	if failed == nil {
		failed = []string{}
	}
	return &CreateTeamResult{TeamID: resp.TeamID, FailedUserIDs: failed}, nil
}

// AllMyTeams returns the teams the account is a member of, from the cache
// (allMyTeams), by creation time. Works offline.
func (c *Client) AllMyTeams(ctx context.Context) ([]TeamView, error) {
	r, err := c.current()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	out := []TeamView{}
	for _, tid := range r.st.keys(proto.ChangeTeam) {
		if ts, ok := teamOf(r.st.lookup, tid); ok && isMine(ts) {
			out = append(out, teamView(ts))
		}
	}
	sortTeams(out)
	return out, nil
}

// sortTeams orders teams by creation time, then id.
func sortTeams(ts []TeamView) {
	sort.Slice(ts, func(i, j int) bool {
		a, b := ts[i], ts[j]
		return a.CreateTime < b.CreateTime || a.CreateTime == b.CreateTime && a.TeamID < b.TeamID
	})
}

// DismissTeam dismisses a team (the owner only; dismissTeam): every member
// hears onTeamRemoved; the team stays cached, read-only. 415 offline.
func (c *Client) DismissTeam(ctx context.Context, teamID string) error {
	if err := checkTeamID(teamID); err != nil {
		return err
	}
	_, _, err := c.teamWrite(ctx, proto.OpTeamDismiss, &proto.TeamReq{TeamID: teamID}, &proto.TeamResp{})
	return err
}

// ApplyToTeam applies to join a team (applyToTeam): ApplyJoined when it
// joined at once, ApplyWaiting when the application waits (808). 415
// offline.
func (c *Client) ApplyToTeam(ctx context.Context, teamID, message string) (int, error) {
	if err := checkTeamID(teamID); err != nil {
		return ApplyInvalid, err
	}
	if err := checkTeamRunes("message", message, proto.MaxTeamPsRunes, false); err != nil {
		return ApplyInvalid, err
	}
	var resp proto.TeamResp
	if _, _, err := c.teamWrite(ctx, proto.OpTeamApply, &proto.TeamReq{TeamID: teamID, Ps: message}, &resp); err != nil {
		if e := AsError(err); e.Code == proto.CodeTeamApplied {
			return ApplyWaiting, nil
		}
		return ApplyInvalid, err
	}
	if resp.Pending {
		return ApplyWaiting, nil
	}
	return ApplyJoined, nil
}

// PassApplyToTeam passes account's application (passApplyToTeam; the
// owner or a manager); the applyStatus is ApplyJoined. 415 offline.
func (c *Client) PassApplyToTeam(ctx context.Context, teamID, account string) (int, error) {
	if err := c.answer(ctx, teamID, proto.AnswerApply, "userId", account, true, ""); err != nil {
		return ApplyInvalid, err
	}
	return ApplyJoined, nil
}

// RejectApplyToTeam rejects account's application (rejectApplyToTeam). 415 offline.
func (c *Client) RejectApplyToTeam(ctx context.Context, teamID, account, reason string) error {
	return c.answer(ctx, teamID, proto.AnswerApply, "userId", account, false, reason)
}

// answer passes or rejects an application, or accepts or rejects an
// invitation (kind); param names account.
func (c *Client) answer(ctx context.Context, teamID, kind, param, account string, accept bool, reason string) error {
	if err := checkTeamID(teamID); err != nil {
		return err
	}
	if err := c.checkTeamOther(param, account); err != nil {
		return err
	}
	if err := checkTeamRunes("reason", reason, proto.MaxTeamPsRunes, false); err != nil {
		return err
	}
	req := proto.TeamAnswerReq{TeamID: teamID, Kind: kind, Account: account, Accept: accept, Ps: reason}
	_, _, err := c.teamWrite(ctx, proto.OpTeamAnswer, &req, &proto.TeamResp{})
	return err
}

// InvitationToTeam invites accounts (invitationToTeam): the members added
// at once (their views, the team's member list brought up to date first),
// or none when the invitees must accept (810 is success). attach is the
// invitations' extension (≤ proto.MaxTeamCustomBytes). 415 offline.
func (c *Client) InvitationToTeam(ctx context.Context, teamID string, accounts []string, postscript, attach string) ([]TeamMemberView, error) {
	if err := checkTeamID(teamID); err != nil {
		return nil, err
	}
	accounts, err := c.checkTeamAccounts("users", accounts)
	if err != nil {
		return nil, err
	}
	if err := checkTeamRunes("postscript", postscript, proto.MaxTeamPsRunes, false); err != nil {
		return nil, err
	}
	if err := checkTeamBytes("attach", attach, proto.MaxTeamCustomBytes); err != nil {
		return nil, err
	}
	var resp proto.TeamResp
	req := proto.TeamAccountsReq{TeamID: teamID, Accounts: accounts, Ps: postscript, Attach: attach}
	r, l, err := c.teamWrite(ctx, proto.OpTeamInvite, &req, &resp)
	if err != nil {
		if e := AsError(err); e.Code == proto.CodeTeamInvited {
			return []TeamMemberView{}, nil
		}
		return nil, err
	}
	out := []TeamMemberView{}
	if resp.Pending {
		return out, nil
	}
	if _, err := c.syncMembers(ctx, r, l, teamID, false); err != nil && !isNetwork(err) {
		return nil, err
	}
	failed := make(map[string]bool, len(resp.Failed))
	for _, a := range resp.Failed { // not added: members already, unknown accounts…
		failed[a] = true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, a := range accounts {
		if failed[a] {
			continue
		}
		if m, ok := memberOf(r.st.lookup, teamID, a); ok && m.Valid {
			out = append(out, memberView(m, r.account))
		}
	}
	return out, nil
}

// AcceptInviteWithTeam accepts invitor's invitation (acceptInviteWithTeam):
// the team becomes the account's (onTeamAdded). 415 offline.
func (c *Client) AcceptInviteWithTeam(ctx context.Context, teamID, invitor string) error {
	return c.answer(ctx, teamID, proto.AnswerInvite, "invitorId", invitor, true, "")
}

// RejectInviteWithTeam rejects invitor's invitation (rejectInviteWithTeam). 415 offline.
func (c *Client) RejectInviteWithTeam(ctx context.Context, teamID, invitor, reason string) error {
	return c.answer(ctx, teamID, proto.AnswerInvite, "invitorId", invitor, false, reason)
}

// accountsWrite sends a team op naming accounts (param users).
func (c *Client) accountsWrite(ctx context.Context, op, teamID string, accounts []string, on bool) error {
	if err := checkTeamID(teamID); err != nil {
		return err
	}
	accounts, err := c.checkTeamAccounts("users", accounts)
	if err != nil {
		return err
	}
	_, _, err = c.teamWrite(ctx, op, &proto.TeamAccountsReq{TeamID: teamID, Accounts: accounts, On: on}, &proto.TeamResp{})
	return err
}

// KickUsersFromTeam removes accounts from a team (kickUsersFromTeam; the
// owner, or a manager for normal members). 415 offline.
func (c *Client) KickUsersFromTeam(ctx context.Context, teamID string, accounts []string) error {
	return c.accountsWrite(ctx, proto.OpTeamKick, teamID, accounts, false)
}

// teamOnly sends a team op naming only the team.
func (c *Client) teamOnly(ctx context.Context, op, teamID string) error {
	if err := checkTeamID(teamID); err != nil {
		return err
	}
	_, _, err := c.teamWrite(ctx, op, &proto.TeamReq{TeamID: teamID}, &proto.TeamResp{})
	return err
}

// QuitTeam leaves a team (quitTeam; not the owner: 802): onTeamRemoved;
// the team stays cached, read-only. 415 offline.
func (c *Client) QuitTeam(ctx context.Context, teamID string) error {
	return c.teamOnly(ctx, proto.OpTeamQuit, teamID)
}

// FetchTeamMembers returns a team's members (fetchTeamMembers): from the
// cache, brought up to date from the server first when online and the
// cached list is behind the team (incrementally: only the rows changed
// since). It also fetches the profiles of members not cached, without
// onUserInfoChanged. Offline it answers what is cached.
func (c *Client) FetchTeamMembers(ctx context.Context, teamID string) ([]TeamMemberView, error) {
	return c.fetchMembers(ctx, teamID, false)
}

// fetchMembers is FetchTeamMembers (mutedOnly: FetchTeamMutedMembers).
func (c *Client) fetchMembers(ctx context.Context, teamID string, mutedOnly bool) ([]TeamMemberView, error) {
	if err := checkTeamID(teamID); err != nil {
		return nil, err
	}
	r, err := c.current()
	if err != nil {
		return nil, err
	}
	if _, l, err := c.online(); err == nil {
		if _, err := c.syncMembers(ctx, r, l, teamID, false); err != nil && !isNetwork(err) {
			return nil, err
		}
	}
	c.mu.Lock()
	out := r.st.cachedMembers(teamID, r.account, mutedOnly)
	var missing []string
	for _, m := range out {
		if _, ok := profile(r.st.lookup, m.UserID); !ok {
			missing = append(missing, m.UserID)
		}
	}
	c.mu.Unlock()
	if len(missing) > 0 {
		if _, l, err := c.online(); err == nil {
			if err := c.fetchUsers(ctx, r, l, missing); err != nil && !isNetwork(err) {
				return nil, err
			}
		}
	}
	return out, nil
}

// TeamMember returns one cached member (teamMember); nil when not cached
// or no longer a member. Works offline.
func (c *Client) TeamMember(ctx context.Context, teamID, account string) (*TeamMemberView, error) {
	if err := checkTeamID(teamID); err != nil {
		return nil, err
	}
	if err := checkAccount("userId", account); err != nil {
		return nil, err
	}
	r, err := c.current()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	m, ok := memberOf(r.st.lookup, teamID, account)
	if !ok || !m.Valid {
		return nil, nil
	}
	v := memberView(m, r.account)
	return &v, nil
}

// UpdateUserNick sets account's nickname in a team (updateUserNick; its
// own, or any member's by the owner or a manager). It is a member change
// for the whole team: the other members' devices that cached the list
// refresh it in the background (onTeamMemberChanged). 415 offline.
func (c *Client) UpdateUserNick(ctx context.Context, teamID, account, nick string) error {
	if err := checkTeamID(teamID); err != nil {
		return err
	}
	if err := checkAccount("userId", account); err != nil {
		return err
	}
	if err := checkTeamRunes("newNick", nick, proto.MaxTeamNickRunes, true); err != nil {
		return err
	}
	r, l, err := c.teamWrite(ctx, proto.OpTeamMember, &proto.TeamMemberReq{TeamID: teamID, Account: account, Nick: &nick}, &proto.TeamResp{})
	if err != nil || account == r.account {
		return err
	}
	// Refresh the cached list (when there is one) now, so that it holds
	// the new nick when the callback runs.
	c.mu.Lock()
	_, fetched := memberCursor(r.st.lookup, teamID)
	c.mu.Unlock()
	if fetched {
		if _, err := c.syncMembers(ctx, r, l, teamID, true); err != nil && !isNetwork(err) {
			return err
		}
	}
	return nil
}

// IsMyTeam reports whether the account is a member of a team (isMyTeam),
// from the cache: false for a team it left, was kicked from, or that was
// dismissed. Works offline.
func (c *Client) IsMyTeam(ctx context.Context, teamID string) (bool, error) {
	if err := checkTeamID(teamID); err != nil {
		return false, err
	}
	r, err := c.current()
	if err != nil {
		return false, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	ts, ok := teamOf(r.st.lookup, teamID)
	return ok && isMine(ts), nil
}

// TransferManagerWithTeam makes newOwner the owner (the caller becomes a
// normal member), and with leave the caller leaves too
// (transferManagerWithTeam). 415 offline.
func (c *Client) TransferManagerWithTeam(ctx context.Context, teamID, newOwner string, leave bool) error {
	if err := checkTeamID(teamID); err != nil {
		return err
	}
	if err := c.checkTeamOther("newOwnerId", newOwner); err != nil {
		return err
	}
	_, _, err := c.teamWrite(ctx, proto.OpTeamTransfer, &proto.TeamTransferReq{TeamID: teamID, Owner: newOwner, Leave: leave}, &proto.TeamResp{})
	return err
}

// SetTeamManagers appoints (on) or removes accounts as managers
// (addManagersToTeam, removeManagersFromTeam; the owner only: 802). 415
// offline.
func (c *Client) SetTeamManagers(ctx context.Context, teamID string, accounts []string, on bool) error {
	return c.accountsWrite(ctx, proto.OpTeamManagers, teamID, accounts, on)
}

// MuteUserFromTeam mutes or unmutes one member (muteUserFromTeam; the
// owner or a manager). 415 offline.
func (c *Client) MuteUserFromTeam(ctx context.Context, teamID, account string, mute bool) error {
	if err := checkTeamID(teamID); err != nil {
		return err
	}
	if err := c.checkTeamOther("userId", account); err != nil {
		return err
	}
	_, _, err := c.teamWrite(ctx, proto.OpTeamMute, &proto.TeamAccountsReq{TeamID: teamID, Accounts: []string{account}, On: mute}, &proto.TeamResp{})
	return err
}

// MuteAllFromTeam mutes (proto.MuteNormal) or unmutes the normal members
// (muteAllFromTeam): the team's muteMode. 415 offline.
func (c *Client) MuteAllFromTeam(ctx context.Context, teamID string, mute bool) error {
	if err := checkTeamID(teamID); err != nil {
		return err
	}
	mode := proto.MuteNone
	if mute {
		mode = proto.MuteNormal
	}
	req := proto.TeamUpdateReq{TeamID: teamID, TeamUpdate: proto.TeamUpdate{MuteMode: &mode}}
	_, _, err := c.teamWrite(ctx, proto.OpTeamUpdate, &req, &proto.TeamResp{})
	return err
}

// FetchTeamMutedMembers returns a team's muted members
// (fetchTeamMutedMembers), as FetchTeamMembers brings them up to date.
func (c *Client) FetchTeamMutedMembers(ctx context.Context, teamID string) ([]TeamMemberView, error) {
	return c.fetchMembers(ctx, teamID, true)
}

// UpdateTeamInfo changes a team's info or modes (updateTeamName …
// updateTeamCustomInfo: one field each; the owner and managers, or
// everyone where the team's updateInfoMode / updateClientCustomMode says
// so: 802 otherwise). Every member hears onTeamUpdated. 415 offline.
func (c *Client) UpdateTeamInfo(ctx context.Context, teamID string, u TeamInfoUpdate) error {
	if err := checkTeamID(teamID); err != nil {
		return err
	}
	upd := proto.TeamUpdate{Name: u.Name, Icon: u.Avatar, Intro: u.Intro, Announcement: u.Announcement,
		ClientCustom: u.ClientCustom, JoinMode: u.JoinMode, InviteMode: u.InviteMode, BeInviteMode: u.BeInviteMode,
		UpdateInfoMode: u.UpdateInfoMode, UpdateCustomMode: u.UpdateCustomMode}
	if upd == (proto.TeamUpdate{}) {
		return BadParam("teamInfo", "must give a field to change")
	}
	str := func(v *string, check func(string) error) error {
		if v == nil {
			return nil
		}
		return check(*v)
	}
	mode := func(name string, v *int, what string, allowed ...int) error {
		if v == nil {
			return nil
		}
		return checkTeamMode(name, *v, what, allowed...)
	}
	checks := []error{
		str(u.Name, func(s string) error { return checkTeamName("teamName", s) }),
		str(u.Avatar, func(s string) error { return checkTeamBytes("teamAvatarUrl", s, proto.MaxTeamIconBytes) }),
		str(u.Intro, func(s string) error { return checkTeamRunes("intro", s, proto.MaxTeamIntroRunes, false) }),
		str(u.Announcement, func(s string) error {
			return checkTeamRunes("announcement", s, proto.MaxTeamAnnounceRunes, false)
		}),
		str(u.ClientCustom, func(s string) error { return checkTeamBytes("customInfo", s, proto.MaxTeamCustomBytes) }),
		mode("joinMode", u.JoinMode, joinModesText, proto.JoinAnyone, proto.JoinApproval, proto.JoinNobody),
		mode("beInviteMode", u.BeInviteMode, beInviteText, proto.BeInviteNeedsConsent, proto.BeInviteAtOnce),
		mode("inviteMode", u.InviteMode, binaryModesText, proto.ModeManagers, proto.ModeEveryone),
		mode("infoMode", u.UpdateInfoMode, binaryModesText, proto.ModeManagers, proto.ModeEveryone),
		mode("clientCustomMode", u.UpdateCustomMode, binaryModesText, proto.ModeManagers, proto.ModeEveryone),
	}
	for _, err := range checks {
		if err != nil {
			return err
		}
	}
	_, _, err := c.teamWrite(ctx, proto.OpTeamUpdate, &proto.TeamUpdateReq{TeamID: teamID, TeamUpdate: upd}, &proto.TeamResp{})
	return err
}

// UpdateTeamNotifyState sets the account's notify state in a team
// (updateTeamNotifyState, proto.Notify*), synced to its other devices
// (onTeamUpdated there). 415 offline.
func (c *Client) UpdateTeamNotifyState(ctx context.Context, teamID string, state int) error {
	if err := checkTeamID(teamID); err != nil {
		return err
	}
	if err := checkTeamMode("notifyState", state, notifyText, proto.NotifyAll, proto.NotifyNone, proto.NotifyManagers); err != nil {
		return err
	}
	_, _, err := c.teamWrite(ctx, proto.OpTeamNotify, &proto.TeamNotifyReq{TeamID: teamID, Notify: state}, &proto.TeamResp{})
	return err
}

// FetchTeamNotifyState returns the account's notify state in a team
// (fetchTeamNotifyState), from the cache: 803 when the team is not cached.
// Works offline.
func (c *Client) FetchTeamNotifyState(ctx context.Context, teamID string) (int, error) {
	if err := checkTeamID(teamID); err != nil {
		return 0, err
	}
	r, err := c.current()
	if err != nil {
		return 0, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	ts, ok := teamOf(r.st.lookup, teamID)
	if !ok {
		return 0, Errf(proto.CodeTeamNotFound, "team "+teamID+" is not cached")
	}
	return ts.Me.Notify, nil
}
