package core

import (
	"context"
	"sort"
	"strings"
	"sync"

	"yunxin/internal/jx"
	"yunxin/proto"
)

// The team domain's state, kept as domain records (Cache Records):
//
//   - "team" (proto.ChangeTeam), key the team id: a proto.TeamState (the
//     team and the account's own membership) from the change log; Ver the
//     change's ver.
//   - "tmember", key "<tid>|<account>": a proto.TeamMember; Ver the
//     member row's own version (its team's MemberVer when it last
//     changed), so that rows from the member list (OpTeamMembers) and the
//     own row from the log (TeamState.Me) compare: the newer one wins.
//   - "tmcursor", key the team id: the MemberVer the cached member list is
//     complete up to (Ver: that MemberVer). Absent until the members were
//     fetched on this device (lazily, by fetchTeamMembers); once present,
//     a ChangeTeam showing a later MemberVer refreshes the list in the
//     background and the member events come from that refresh.
//
// A team that was dismissed or left stays cached (IsMyTeam false), so its
// session and history stay readable.

// Record kinds of the team domain besides proto.ChangeTeam.
const (
	recMember       = "tmember"
	recMemberCursor = "tmcursor"
)

// Team listener event kinds (addTeamListen's eventType).
const (
	evTeamAdded         = "onTeamAdded"
	evTeamUpdated       = "onTeamUpdated"
	evTeamRemoved       = "onTeamRemoved"
	evTeamMemberChanged = "onTeamMemberChanged"
	evTeamMemberRemoved = "onTeamMemberRemoved"
)

func init() {
	registerChange(proto.ChangeTeam, applyTeamChange)
}

// memberKey is the record key of account's member row in team tid.
func memberKey(tid, account string) RecordKey {
	return RecordKey{recMember, tid + "|" + account}
}

// teamOf returns the cached state of team tid.
func teamOf(get lookup, tid string) (proto.TeamState, bool) {
	rec, ok := get(RecordKey{proto.ChangeTeam, tid})
	if !ok {
		return proto.TeamState{}, false
	}
	var ts proto.TeamState
	if jx.Unmarshal(rec.Data, &ts) != nil {
		return proto.TeamState{}, false
	}
	return ts, true
}

// memberOf returns the cached member row of account in team tid (valid or
// not).
func memberOf(get lookup, tid, account string) (proto.TeamMember, bool) {
	rec, ok := get(memberKey(tid, account))
	if !ok {
		return proto.TeamMember{}, false
	}
	var m proto.TeamMember
	if jx.Unmarshal(rec.Data, &m) != nil {
		return proto.TeamMember{}, false
	}
	return m, true
}

// memberCursor returns the MemberVer the cached member list of team tid is
// complete up to; ok false when it was never fetched on this device.
func memberCursor(get lookup, tid string) (int64, bool) {
	rec, ok := get(RecordKey{recMemberCursor, tid})
	if !ok {
		return 0, false
	}
	return rec.Ver, true
}

// isMine reports whether the account is a member of team ts now.
func isMine(ts proto.TeamState) bool { return ts.Me.Valid && !ts.Team.Dismissed }

// teamView is the doc's 群组信息 of ts. There is no thumbnail service:
// thumbAvatarUrl is the icon's url too.
func teamView(ts proto.TeamState) TeamView {
	t := ts.Team
	return TeamView{TeamID: t.ID, TeamName: t.Name, AvatarURL: t.Icon, ThumbAvatarURL: t.Icon, Type: t.Type, Owner: t.Owner,
		Intro: t.Intro, Announcement: t.Announcement, MemberNumber: t.Members, Level: t.MaxMembers, CreateTime: t.Created,
		JoinMode: t.JoinMode, InviteMode: t.InviteMode, BeInviteMode: t.BeInviteMode, UpdateInfoMode: t.UpdateInfoMode,
		UpdateClientCustomMode: t.UpdateCustomMode, ServerCustomInfo: t.ServerCustom, ClientCustomInfo: t.ClientCustom,
		InAllMuteMode: t.MuteMode != proto.MuteNone, MuteMode: t.MuteMode, IsMyTeam: isMine(ts), NotifyState: ts.Me.Notify}
}

// memberView is the doc's 群成员信息 of m; self is the logged-in account
// (Invitor is given for its own row only, as iOS does).
func memberView(m proto.TeamMember, self string) TeamMemberView {
	v := TeamMemberView{TeamID: m.TeamID, UserID: m.Account, InviterAccid: m.Inviter, Type: m.Type, Nickname: m.Nick,
		IsMuted: m.Muted, CreateTime: m.Joined, CustomInfo: m.Custom}
	if m.Account == self {
		v.Invitor = m.Inviter
	}
	return v
}

// teamEvent is the team event of team k going from prev (nil: not cached)
// to now: added when it became the account's, removed when it stopped
// being so, updated when what the page sees of it changed while it is the
// account's.
func teamEvent(k RecordKey, prev *proto.TeamState, now proto.TeamState) (Event, bool) {
	was, is := prev != nil && isMine(*prev), isMine(now)
	v := teamView(now)
	var e TeamEvent
	switch {
	case !was && is:
		e = TeamEvent{EventType: evTeamAdded, Team: &v, Teams: []TeamView{v}}
	case was && !is:
		e = TeamEvent{EventType: evTeamRemoved, Team: &v}
	case was && is && teamView(*prev) != v:
		e = TeamEvent{EventType: evTeamUpdated, Team: &v, Teams: []TeamView{v}}
	default:
		return Event{}, false
	}
	return Event{Kind: EventTeam, Data: e, rec: k}, true
}

// memberEvent is the member event of a member row going from prev (nil:
// not cached) to now in team ts (whose Me is the account's own row): onTeamMemberRemoved when a valid member
// is no more, onTeamMemberChanged when one joined or its view changed.
func memberEvent(k RecordKey, ts proto.TeamState, prev *proto.TeamMember, now proto.TeamMember) (Event, bool) {
	self := ts.Me.Account
	was := prev != nil && prev.Valid
	v := memberView(now, self)
	tv := teamView(ts)
	switch {
	case was && !now.Valid:
		return Event{Kind: EventTeam, Data: TeamEvent{EventType: evTeamMemberRemoved, Team: &tv, RemovedMembers: []TeamMemberView{v}}, rec: k}, true
	case now.Valid && (!was || memberView(*prev, self) != v):
		return Event{Kind: EventTeam, Data: TeamEvent{EventType: evTeamMemberChanged, Team: &tv, UpdateMembers: []TeamMemberView{v}}, rec: k}, true
	}
	return Event{}, false
}

// settledTeamEvent is settledEvent for the team domain's records: what
// changed for the page between a moved record's prev and now.
func (st *state) settledTeamEvent(m movedRecord) (Event, bool) {
	if m.now.Deleted {
		return Event{}, false // team records are never deleted
	}
	switch m.k.Kind {
	case proto.ChangeTeam:
		var now proto.TeamState
		if jx.Unmarshal(m.now.Data, &now) != nil {
			return Event{}, false
		}
		var prev *proto.TeamState
		if m.prev != nil {
			var p proto.TeamState
			if jx.Unmarshal(m.prev.Data, &p) == nil {
				prev = &p
			}
		}
		return teamEvent(m.k, prev, now)
	case recMember:
		var now proto.TeamMember
		if jx.Unmarshal(m.now.Data, &now) != nil {
			return Event{}, false
		}
		var prev *proto.TeamMember
		if m.prev != nil {
			var p proto.TeamMember
			if jx.Unmarshal(m.prev.Data, &p) == nil {
				prev = &p
			}
		}
		if prev == nil && !now.Valid {
			return Event{}, false
		}
		if _, fetched := memberCursor(st.lookup, now.TeamID); !fetched {
			return Event{}, false // no member events where the list was never fetched (applyTeamChange)
		}
		ts, _ := teamOf(st.lookup, now.TeamID)
		return memberEvent(m.k, ts, prev, now)
	}
	return Event{}, false
}

// applyTeamChange applies a ChangeTeam: team Key as the account sees it
// (proto.TeamState). It stages the team record and the account's own
// member row, the team event of what changed for the page, a member event
// of its own row when the team's members were fetched on this device, and
// a background refresh of those members when the change shows they moved.
func applyTeamChange(t *tx, ch proto.Change) error {
	if ch.Deleted {
		return nil // teams are never deleted from a log
	}
	var ts proto.TeamState
	if err := decode(ch, &ts); err != nil {
		return err
	}
	if ts.Team.ID == "" {
		ts.Team.ID = ch.Key
	}
	if ts.Team.ID != ch.Key || ch.Key == "" {
		return Errf(proto.CodeBadParam, "team change of "+ch.Key+" holds team "+ts.Team.ID)
	}
	k := RecordKey{proto.ChangeTeam, ch.Key}
	if t.newer(k) {
		return nil
	}
	if ts.Me.Account != "" && !ts.Me.Valid && ts.Me.LeftSeq > 0 {
		// Left, kicked or dismissed: the history up to the leave is still
		// the account's (the sync no longer lists the conversation).
		t.teamLeft(ch.Key, proto.TeamChatType(ts.Team.Type), ts.Me.LeftSeq)
	}
	prev, had := teamOf(t.record, ch.Key)
	data, _ := jx.Marshal(&ts)
	t.putRecord(Record{Kind: k.Kind, Key: k.Key, Data: data})
	var pp *proto.TeamState
	if had {
		pp = &prev
	}
	if e, ok := teamEvent(k, pp, ts); ok {
		t.events = append(t.events, e)
	}
	cursor, fetched := memberCursor(t.record, ch.Key)
	if ts.Me.Account != "" {
		ts.Me.TeamID = ch.Key
		old, hadMe := memberOf(t.record, ch.Key, ts.Me.Account)
		if t.putMember(ts.Me) && fetched {
			var po *proto.TeamMember
			if hadMe {
				po = &old
			}
			if e, ok := memberEvent(memberKey(ch.Key, ts.Me.Account), ts, po, ts.Me); ok {
				t.events = append(t.events, e)
			}
		}
	}
	if fetched && ts.Team.MemberVer > cursor {
		c, r, tid := t.c, t.r, ch.Key
		t.after = append(t.after, func() { c.refreshMembersLater(r, tid) })
	}
	return nil
}

// putMember stages member row m, unless the cached one is newer or the
// same. It reports whether it staged anything.
func (t *tx) putMember(m proto.TeamMember) bool {
	k := memberKey(m.TeamID, m.Account)
	ver := max(m.Ver, 1)
	if old, ok := t.record(k); ok {
		if old.Ver > ver {
			return false
		}
		var om proto.TeamMember
		if jx.Unmarshal(old.Data, &om) == nil && om == m {
			return false
		}
	}
	data, _ := jx.Marshal(&m)
	t.putRecord(Record{Kind: k.Kind, Key: k.Key, Ver: ver, Data: data})
	return true
}

// storeMembers stages one page of team tid's member rows and the member
// cursor, with a member event for each row that changed for the page
// when the list had been fetched before (the first fetch reports
// nothing: those members are not news).
func (t *tx) storeMembers(tid string, members []proto.TeamMember, cursor int64) {
	_, fetched := memberCursor(t.record, tid)
	ts, _ := teamOf(t.record, tid)
	for _, m := range members {
		if m.TeamID != tid || !proto.ValidAccount(m.Account) {
			continue
		}
		old, had := memberOf(t.record, tid, m.Account)
		if m.Account != t.r.account && had {
			m.Notify = old.Notify // private: the server blanks it in others' rows
		}
		if !t.putMember(m) || !fetched {
			continue
		}
		var po *proto.TeamMember
		if had {
			po = &old
		}
		if e, ok := memberEvent(memberKey(tid, m.Account), ts, po, m); ok {
			t.events = append(t.events, e)
		}
	}
	k := RecordKey{recMemberCursor, tid}
	if cur, ok := memberCursor(t.record, tid); !ok || cursor > cur {
		t.putRecord(Record{Kind: k.Kind, Key: k.Key, Ver: max(cursor, 1), Data: jx.RawMessage(`{}`)})
	}
}

// syncMembers brings the cached member list of team tid up to date: when
// it was never fetched or its cursor is behind the team's MemberVer (or
// the team is not cached, or with force), it pages OpTeamMembers from the
// cursor and stores each page with the cursor in one change. It returns
// the accounts of the rows it stored. (force: a write that moved a row
// the caller's log does not tell about, e.g. another member's nick.)
func (c *Client) syncMembers(ctx context.Context, r *run, l *link, tid string, force bool) ([]string, error) {
	c.mu.Lock()
	ts, known := teamOf(r.st.lookup, tid)
	cursor, fetched := memberCursor(r.st.lookup, tid)
	c.mu.Unlock()
	if !force && known && fetched && cursor >= ts.Team.MemberVer {
		return nil, nil
	}
	target := ts.Team.MemberVer // complete up to at least this once all pages are in
	req := proto.TeamMembersReq{TeamID: tid, Since: cursor}
	var accounts []string
	for {
		var resp proto.TeamMembersResp
		if err := l.call(ctx, proto.OpTeamMembers, &req, &resp); err != nil {
			return accounts, err
		}
		last := req.Since
		for _, m := range resp.Members {
			if m.Ver > last {
				last = m.Ver
			}
			accounts = append(accounts, m.Account)
		}
		upTo := max(last, target)
		if resp.More && len(resp.Members) > 0 {
			// Rows of the last page's Ver may be on the next page too.
			upTo = max(resp.Members[len(resp.Members)-1].Ver-1, req.Since)
		}
		err := c.cacheFailed(r, c.change(r, func(t *tx) { t.storeMembers(tid, resp.Members, upTo) }))
		if err != nil {
			return accounts, err
		}
		if !resp.More || len(resp.Members) == 0 {
			return accounts, nil
		}
		lastRow := resp.Members[len(resp.Members)-1]
		req.AfterVer, req.AfterAccount = lastRow.Ver, lastRow.Account
	}
}

// refreshes tracks the background member refreshes in flight, by run and
// team: a refresh asked for while one runs makes that one go again.
var refreshes = struct {
	sync.Mutex
	m map[refreshKey]bool // in flight; true: asked again meanwhile
}{m: map[refreshKey]bool{}}

type refreshKey struct {
	r   *run
	tid string
}

// refreshMembersLater refreshes team tid's cached members in the
// background (a ChangeTeam showed they moved): the member events come
// from that refresh. Network failures are ignored (the next change or
// fetchTeamMembers tries again); panics are logged.
func (c *Client) refreshMembersLater(r *run, tid string) {
	k := refreshKey{r, tid}
	refreshes.Lock()
	if _, busy := refreshes.m[k]; busy {
		refreshes.m[k] = true
		refreshes.Unlock()
		return
	}
	refreshes.m[k] = false
	refreshes.Unlock()
	go func() {
		defer func() {
			if p := recover(); p != nil {
				c.logf("refreshing the members of team " + tid + ": internal error: " + panicText(p))
				refreshes.Lock()
				delete(refreshes.m, k)
				refreshes.Unlock()
			}
		}()
		for {
			if _, l, err := c.online(); err == nil && r.ctx.Err() == nil {
				if _, err := c.syncMembers(r.ctx, r, l, tid, false); err != nil && !isNetwork(err) && r.ctx.Err() == nil {
					c.logf("refreshing the members of team " + tid + ": " + err.Error())
				}
			}
			// Done, or asked again meanwhile: decided and the entry updated
			// under one lock, so a request made after this check starts a
			// refresh of its own.
			refreshes.Lock()
			again := refreshes.m[k]
			if again {
				refreshes.m[k] = false
			} else {
				delete(refreshes.m, k)
			}
			refreshes.Unlock()
			if !again {
				return
			}
		}
	}()
}

// cachedMembers returns the valid cached members of team tid (muted only
// with mutedOnly; self is the logged-in account), owner first, then managers, then by join time.
func (st *state) cachedMembers(tid, self string, mutedOnly bool) []TeamMemberView {
	prefix := tid + "|"
	var ms []proto.TeamMember
	for k, rec := range st.records {
		if k.Kind != recMember || !strings.HasPrefix(k.Key, prefix) {
			continue
		}
		var m proto.TeamMember
		if jx.Unmarshal(rec.Data, &m) != nil || !m.Valid || m.Type == proto.MemberApplicant || mutedOnly && !m.Muted {
			continue
		}
		ms = append(ms, m)
	}
	rank := func(t int) int {
		switch t {
		case proto.MemberOwner:
			return 0
		case proto.MemberManager:
			return 1
		}
		return 2
	}
	sort.Slice(ms, func(i, j int) bool {
		a, b := ms[i], ms[j]
		if ra, rb := rank(a.Type), rank(b.Type); ra != rb {
			return ra < rb
		}
		return a.Joined < b.Joined || a.Joined == b.Joined && a.Account < b.Account
	})
	out := make([]TeamMemberView, 0, len(ms))
	for _, m := range ms {
		out = append(out, memberView(m, self))
	}
	return out
}
