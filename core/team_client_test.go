//go:build !js

package core_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"yunxin/core"
	"yunxin/proto"
)

// These tests drive the team domain end to end: the real server in
// process, three accounts (and a second device of one), each Client with
// its own cache.

// teamEvents returns the team events of d of eventType ("" all).
func (d *device) teamEvents(eventType string) []core.TeamEvent {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []core.TeamEvent
	for _, e := range d.events {
		if te, ok := e.Data.(core.TeamEvent); ok && (eventType == "" || te.EventType == eventType) {
			out = append(out, te)
		}
	}
	return out
}

// countTeam counts d's team events of eventType about team tid for which
// f (nil: any) holds.
func (d *device) countTeam(eventType, tid string, f func(core.TeamEvent) bool) int {
	n := 0
	for _, e := range d.teamEvents(eventType) {
		if e.Team != nil && e.Team.TeamID == tid && (f == nil || f(e)) {
			n++
		}
	}
	return n
}

// waitTeam waits until d has heard n team events of eventType about tid
// satisfying f.
func (d *device) waitTeam(eventType, tid string, n int, f func(core.TeamEvent) bool) {
	d.t.Helper()
	d.waitFor(fmt.Sprintf("%s of %s ×%d", eventType, tid, n), func() bool { return d.countTeam(eventType, tid, f) >= n })
}

// changed matches an onTeamMemberChanged naming account (with extra
// condition f, nil: none).
func changed(account string, f func(core.TeamMemberView) bool) func(core.TeamEvent) bool {
	return func(e core.TeamEvent) bool {
		for _, m := range e.UpdateMembers {
			if m.UserID == account && (f == nil || f(m)) {
				return true
			}
		}
		return false
	}
}

// removed matches an onTeamMemberRemoved naming account.
func removed(account string) func(core.TeamEvent) bool {
	return func(e core.TeamEvent) bool {
		for _, m := range e.RemovedMembers {
			if m.UserID == account {
				return true
			}
		}
		return false
	}
}

func wantCode(t *testing.T, what string, err error, code int) {
	t.Helper()
	var e *core.Error
	if !errors.As(err, &e) || e.Code != code {
		t.Fatalf("%s: got %v, want code %d", what, err, code)
	}
}

func wantBadParam(t *testing.T, what string, err error, param string) {
	t.Helper()
	wantCode(t, what, err, proto.CodeBadParam)
	if !strings.Contains(err.Error(), "parameter "+param+" ") {
		t.Fatalf("%s: %v does not name %s", what, err, param)
	}
}

func (d *device) team(tid string) *core.TeamView {
	d.t.Helper()
	ts, err := d.c.AllMyTeams(context.Background())
	if err != nil {
		d.t.Fatal(err)
	}
	for i := range ts {
		if ts[i].TeamID == tid {
			return &ts[i]
		}
	}
	return nil
}

func (d *device) isMyTeam(tid string) bool {
	d.t.Helper()
	ok, err := d.c.IsMyTeam(context.Background(), tid)
	if err != nil {
		d.t.Fatal(err)
	}
	return ok
}

func (d *device) members(tid string) string {
	d.t.Helper()
	ms, err := d.c.FetchTeamMembers(context.Background(), tid)
	if err != nil {
		d.t.Fatalf("fetchTeamMembers %s: %v", tid, err)
	}
	return memberList(ms)
}

// memberList renders members as "account/type[/muted]" joined by spaces.
func memberList(ms []core.TeamMemberView) string {
	var s []string
	for _, m := range ms {
		x := fmt.Sprintf("%s/%d", m.UserID, m.Type)
		if m.IsMuted {
			x += "/muted"
		}
		s = append(s, x)
	}
	return strings.Join(s, " ")
}

func (d *device) create(p core.CreateTeamParams) string {
	d.t.Helper()
	res, err := d.c.CreateTeam(context.Background(), p)
	if err != nil {
		d.t.Fatalf("createTeam %s: %v", p.Name, err)
	}
	if len(res.FailedUserIDs) != 0 {
		d.t.Fatalf("createTeam %s: failed %v", p.Name, res.FailedUserIDs)
	}
	return res.TeamID
}

func threeAccounts(t *testing.T) (*testServer, *device, *device, *device) {
	ts := startServer(t)
	for _, u := range []string{"alice", "bob", "carol"} {
		ts.user(u)
	}
	a, b, c := newDevice(t, ts, false), newDevice(t, ts, false), newDevice(t, ts, false)
	a.login("alice")
	b.login("bob")
	c.login("carol")
	return ts, a, b, c
}

func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// TestTeamCreateApplyInvite: the three team types, applications with
// approval, invitations with and without consent, and their rejections.
func TestTeamCreateApplyInvite(t *testing.T) {
	ctx := context.Background()
	_, a, b, c := threeAccounts(t)

	// A normal team adds its users at once: both hear onTeamAdded.
	normal := a.create(core.CreateTeamParams{Name: "normal", Type: proto.TeamNormal, Users: []string{"bob"}})
	a.waitTeam("onTeamAdded", normal, 1, nil)
	b.waitTeam("onTeamAdded", normal, 1, nil)
	if v := b.team(normal); v == nil || v.Owner != "alice" || v.MemberNumber != 2 || !v.IsMyTeam || v.Type != proto.TeamNormal {
		t.Fatalf("bob's view of the normal team %+v", v)
	}
	if got := b.members(normal); got != "alice/1 bob/0" {
		t.Fatalf("normal team's members %q", got)
	}
	super := a.create(core.CreateTeamParams{Name: "super", Type: proto.TeamSuper, BeInviteMode: proto.BeInviteAtOnce, Users: []string{"bob", "carol"}})
	c.waitTeam("onTeamAdded", super, 1, nil)
	if v := c.team(super); v == nil || v.Type != proto.TeamSuper || v.Level != proto.DefaultSuperMembers || v.MemberNumber != 3 {
		t.Fatalf("carol's view of the super team %+v", v)
	}

	// An advanced team with approval: carol's application waits (808),
	// alice passes it; alice, whose member list is cached, hears carol
	// join; carol hears onTeamAdded.
	adv := a.create(core.CreateTeamParams{Name: "adv", Type: proto.TeamAdvanced, JoinMode: proto.JoinApproval})
	if got := a.members(adv); got != "alice/1" {
		t.Fatalf("adv members %q", got)
	}
	st, err := c.c.ApplyToTeam(ctx, adv, "let me in")
	if err != nil || st != core.ApplyWaiting {
		t.Fatalf("apply: %d %v", st, err)
	}
	if c.isMyTeam(adv) {
		t.Fatal("carol is in before the approval")
	}
	st, err = a.c.PassApplyToTeam(ctx, adv, "carol")
	if err != nil || st != core.ApplyJoined {
		t.Fatalf("pass: %d %v", st, err)
	}
	c.waitTeam("onTeamAdded", adv, 1, nil)
	a.waitTeam("onTeamMemberChanged", adv, 1, changed("carol", nil))
	if !c.isMyTeam(adv) {
		t.Fatal("carol is not in after the approval")
	}

	// An invitation needing consent: no members now (810 is success);
	// bob accepts and hears onTeamAdded, alice hears him join.
	ms, err := a.c.InvitationToTeam(ctx, adv, []string{"bob"}, "join us", `{"k":1}`)
	if err != nil || len(ms) != 0 {
		t.Fatalf("invite with consent: %v %v", ms, err)
	}
	if b.isMyTeam(adv) {
		t.Fatal("bob is in before accepting")
	}
	must(t, "accept", b.c.AcceptInviteWithTeam(ctx, adv, "alice"))
	b.waitTeam("onTeamAdded", adv, 1, nil)
	a.waitTeam("onTeamMemberChanged", adv, 1, changed("bob", nil))
	if got := a.members(adv); got != "alice/1 carol/0 bob/0" {
		t.Fatalf("adv members %q", got)
	}

	// Without consent: the members added come back.
	adv2 := a.create(core.CreateTeamParams{Name: "adv2", Type: proto.TeamAdvanced, BeInviteMode: proto.BeInviteAtOnce, JoinMode: proto.JoinApproval})
	ms, err = a.c.InvitationToTeam(ctx, adv2, []string{"carol"}, "", "")
	if err != nil || memberList(ms) != "carol/0" || ms[0].InviterAccid != "alice" || ms[0].Invitor != "" {
		t.Fatalf("invite at once: %+v %v", ms, err)
	}
	c.waitTeam("onTeamAdded", adv2, 1, nil)
	if m, err := c.c.TeamMember(ctx, adv2, "carol"); err != nil || m == nil || m.Invitor != "alice" {
		t.Fatalf("carol's own row %+v %v", m, err)
	}

	// Rejections: bob's application to adv2, carol's invitation to adv3.
	if st, err := b.c.ApplyToTeam(ctx, adv2, ""); err != nil || st != core.ApplyWaiting {
		t.Fatalf("bob applies: %d %v", st, err)
	}
	must(t, "reject application", a.c.RejectApplyToTeam(ctx, adv2, "bob", "no"))
	adv3 := a.create(core.CreateTeamParams{Name: "adv3", Type: proto.TeamAdvanced})
	if ms, err := a.c.InvitationToTeam(ctx, adv3, []string{"carol"}, "", ""); err != nil || len(ms) != 0 {
		t.Fatalf("invite carol: %v %v", ms, err)
	}
	must(t, "reject invitation", c.c.RejectInviteWithTeam(ctx, adv3, "alice", "busy"))
	if b.isMyTeam(adv2) || c.isMyTeam(adv3) {
		t.Fatal("a rejected account is in")
	}
	// A rejected invitation cannot be accepted afterwards.
	if err := c.c.AcceptInviteWithTeam(ctx, adv3, "alice"); err == nil {
		t.Fatal("accepted a rejected invitation")
	}
	if got := a.members(adv3); got != "alice/1" {
		t.Fatalf("adv3 members %q", got)
	}
	// adv3 lets anyone join: carol's application joins at once.
	if st, err := c.c.ApplyToTeam(ctx, adv3, ""); err != nil || st != core.ApplyJoined {
		t.Fatalf("carol applies to adv3: %d %v", st, err)
	}
	if !c.isMyTeam(adv3) {
		t.Fatal("carol is not in adv3 when the apply returned")
	}
	a.waitTeam("onTeamMemberChanged", adv3, 1, changed("carol", nil))
	// Each team reached each page once.
	for _, tid := range []string{normal, super, adv, adv2, adv3} {
		if n := a.countTeam("onTeamAdded", tid, nil); n != 1 {
			t.Fatalf("alice heard onTeamAdded of %s %d times", tid, n)
		}
	}
}

// TestTeamManagement: kick, quit, transfer with leave, managers, mutes,
// every info field, notify state on a second device, dismiss.
func TestTeamManagement(t *testing.T) {
	ctx := context.Background()
	ts, a, b, c := threeAccounts(t)
	a2 := newDevice(t, ts, false)
	a2.login("alice")

	tid := a.create(core.CreateTeamParams{Name: "adv", Type: proto.TeamAdvanced, BeInviteMode: proto.BeInviteAtOnce, Users: []string{"bob", "carol"}})
	for _, d := range []*device{a, b, c, a2} {
		d.waitTeam("onTeamAdded", tid, 1, nil)
	}
	if got := a.members(tid); got != "alice/1 bob/0 carol/0" {
		t.Fatalf("members %q", got)
	}
	for _, d := range []*device{b, c} {
		if got := d.members(tid); got != "alice/1 bob/0 carol/0" {
			t.Fatalf("members %q", got)
		}
	}

	// Managers: bob (normal) may not appoint (802); alice appoints bob.
	wantCode(t, "bob appoints", b.c.SetTeamManagers(ctx, tid, []string{"carol"}, true), proto.CodeTeamPermission)
	must(t, "appoint bob", a.c.SetTeamManagers(ctx, tid, []string{"bob"}, true))
	isMgr := func(m core.TeamMemberView) bool { return m.Type == proto.MemberManager }
	a.waitTeam("onTeamMemberChanged", tid, 1, changed("bob", isMgr))
	b.waitTeam("onTeamMemberChanged", tid, 1, changed("bob", isMgr))
	if m, _ := b.c.TeamMember(ctx, tid, "bob"); m == nil || m.Type != proto.MemberManager {
		t.Fatalf("bob's row %+v", m)
	}

	// Mute one, then all.
	must(t, "mute carol", b.c.MuteUserFromTeam(ctx, tid, "carol", true))
	a.waitTeam("onTeamMemberChanged", tid, 1, changed("carol", func(m core.TeamMemberView) bool { return m.IsMuted }))
	muted, err := a.c.FetchTeamMutedMembers(ctx, tid)
	if err != nil || memberList(muted) != "carol/0/muted" {
		t.Fatalf("muted %q %v", memberList(muted), err)
	}
	// Bob (manager) may mute, but not appoint; alice removes him.
	wantCode(t, "a manager appoints", b.c.SetTeamManagers(ctx, tid, []string{"carol"}, true), proto.CodeTeamPermission)
	must(t, "remove bob", a.c.SetTeamManagers(ctx, tid, []string{"bob"}, false))
	isNormal := func(m core.TeamMemberView) bool { return m.Type == proto.MemberNormal }
	a.waitTeam("onTeamMemberChanged", tid, 1, changed("bob", isNormal))
	must(t, "mute all", a.c.MuteAllFromTeam(ctx, tid, true))
	c.waitTeam("onTeamUpdated", tid, 1, func(e core.TeamEvent) bool { return e.Team.InAllMuteMode && len(e.Teams) == 1 })
	must(t, "unmute all", a.c.MuteAllFromTeam(ctx, tid, false))
	c.waitTeam("onTeamUpdated", tid, 1, func(e core.TeamEvent) bool { return !e.Team.InAllMuteMode })

	// Every info field; carol (normal) may not change the info (802).
	name, icon, intro, ann, custom := "renamed", "http://x/i.png", "intro", "announce", `{"c":1}`
	one, zero := 1, 0
	for _, u := range []core.TeamInfoUpdate{{Name: &name}, {Avatar: &icon}, {Intro: &intro}, {Announcement: &ann},
		{ClientCustom: &custom}, {JoinMode: &one}, {BeInviteMode: &zero}, {InviteMode: &one}, {UpdateInfoMode: &zero},
		{UpdateCustomMode: &one}} {
		must(t, "update", a.c.UpdateTeamInfo(ctx, tid, u))
	}
	c.waitTeam("onTeamUpdated", tid, 1, func(e core.TeamEvent) bool { return e.Team.UpdateClientCustomMode == 1 })
	want := core.TeamView{TeamName: name, AvatarURL: icon, ThumbAvatarURL: icon, Intro: intro, Announcement: ann,
		ClientCustomInfo: custom, JoinMode: 1, BeInviteMode: 0, InviteMode: 1, UpdateInfoMode: 0, UpdateClientCustomMode: 1}
	got := c.team(tid)
	if got == nil {
		t.Fatal("carol lost the team")
	}
	cmp := *got
	cmp.TeamID, cmp.Type, cmp.Owner, cmp.MemberNumber, cmp.Level, cmp.CreateTime, cmp.IsMyTeam = "", 0, "", 0, 0, 0, false
	if cmp != want {
		t.Fatalf("carol's team\n got %+v\nwant %+v", cmp, want)
	}
	other := "nope"
	wantCode(t, "carol renames", c.c.UpdateTeamInfo(ctx, tid, core.TeamInfoUpdate{Name: &other}), proto.CodeTeamPermission)

	// Nick.
	must(t, "nick", a.c.UpdateUserNick(ctx, tid, "carol", "Caro"))
	isCaro := changed("carol", func(m core.TeamMemberView) bool { return m.Nickname == "Caro" })
	a.waitTeam("onTeamMemberChanged", tid, 1, isCaro)
	c.waitTeam("onTeamMemberChanged", tid, 1, isCaro)

	// Notify state reaches the account's second device.
	must(t, "notify", a.c.UpdateTeamNotifyState(ctx, tid, proto.NotifyNone))
	a2.waitTeam("onTeamUpdated", tid, 1, func(e core.TeamEvent) bool { return e.Team.NotifyState == proto.NotifyNone })
	if n, err := a2.c.FetchTeamNotifyState(ctx, tid); err != nil || n != proto.NotifyNone {
		t.Fatalf("second device's notify %d %v", n, err)
	}

	// Kick carol: she hears onTeamRemoved, alice hears her removed.
	must(t, "kick", a.c.KickUsersFromTeam(ctx, tid, []string{"carol"}))
	c.waitTeam("onTeamRemoved", tid, 1, nil)
	a.waitTeam("onTeamMemberRemoved", tid, 1, removed("carol"))
	if c.isMyTeam(tid) || c.team(tid) != nil {
		t.Fatal("carol still holds the team")
	}
	if got := a.members(tid); got != "alice/1 bob/0" {
		t.Fatalf("members after the kick %q", got)
	}

	// Transfer with leave: bob owns it, alice is out (on both devices).
	must(t, "transfer", a.c.TransferManagerWithTeam(ctx, tid, "bob", true))
	a.waitTeam("onTeamRemoved", tid, 1, nil)
	a2.waitTeam("onTeamRemoved", tid, 1, nil)
	b.waitTeam("onTeamUpdated", tid, 1, func(e core.TeamEvent) bool { return e.Team.Owner == "bob" })
	if got := b.members(tid); got != "bob/1" {
		t.Fatalf("members after the transfer %q", got)
	}

	// Quit: carol joins a normal team of bob and quits it.
	n := b.create(core.CreateTeamParams{Name: "n", Users: []string{"carol"}})
	c.waitTeam("onTeamAdded", n, 1, nil)
	wantCode(t, "the owner quits", b.c.QuitTeam(ctx, n), proto.CodeTeamPermission)
	must(t, "quit", c.c.QuitTeam(ctx, n))
	c.waitTeam("onTeamRemoved", n, 1, nil)

	// Dismiss: every member hears onTeamRemoved; the team stays cached.
	d := a.create(core.CreateTeamParams{Name: "d", Users: []string{"bob", "carol"}})
	b.waitTeam("onTeamAdded", d, 1, nil)
	c.waitTeam("onTeamAdded", d, 1, nil)
	wantCode(t, "bob dismisses", b.c.DismissTeam(ctx, d), proto.CodeTeamPermission)
	must(t, "dismiss", a.c.DismissTeam(ctx, d))
	for _, dev := range []*device{a, a2, b, c} {
		dev.waitTeam("onTeamRemoved", d, 1, nil)
		if dev.isMyTeam(d) {
			t.Fatal("a dismissed team is still mine")
		}
		if _, err := dev.c.FetchTeamNotifyState(ctx, d); err != nil {
			t.Fatalf("the dismissed team is not cached: %v", err)
		}
	}
	if n := b.countTeam("onTeamRemoved", d, nil); n != 1 {
		t.Fatalf("bob heard the dismissal %d times", n)
	}
}

// TestTeamOfflineMemberCatchesUp: changes made while a member is logged
// out reach it at its next login's sync, as their final state.
func TestTeamOfflineMemberCatchesUp(t *testing.T) {
	ctx := context.Background()
	_, a, b, c := threeAccounts(t)
	tid := a.create(core.CreateTeamParams{Name: "t1", Type: proto.TeamAdvanced, BeInviteMode: proto.BeInviteAtOnce, Users: []string{"carol"}})
	c.waitTeam("onTeamAdded", tid, 1, nil)
	if got := c.members(tid); got != "alice/1 carol/0" {
		t.Fatalf("members %q", got)
	}
	must(t, "logout", c.c.Logout(ctx))
	name := "t1 renamed"
	must(t, "rename", a.c.UpdateTeamInfo(ctx, tid, core.TeamInfoUpdate{Name: &name}))
	if _, err := a.c.InvitationToTeam(ctx, tid, []string{"bob"}, "", ""); err != nil {
		t.Fatal(err)
	}
	b.waitTeam("onTeamAdded", tid, 1, nil)
	t2 := a.create(core.CreateTeamParams{Name: "t2", Users: []string{"carol"}})
	t3 := a.create(core.CreateTeamParams{Name: "t3", Users: []string{"carol"}})
	must(t, "dismiss t3", a.c.DismissTeam(ctx, t3))

	c.login("carol")
	c.waitTeam("onTeamUpdated", tid, 1, func(e core.TeamEvent) bool { return e.Team.TeamName == name })
	c.waitTeam("onTeamAdded", t2, 1, nil)
	// Its cached member list was behind: refreshed in the background, bob's arrival reported.
	c.waitTeam("onTeamMemberChanged", tid, 1, changed("bob", nil))
	if c.isMyTeam(t3) {
		t.Fatal("a team dismissed meanwhile is carol's")
	}
	teams, err := c.c.AllMyTeams(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, v := range teams {
		names = append(names, v.TeamName)
	}
	if !slices.Equal(names, []string{name, "t2"}) {
		t.Fatalf("carol's teams %q", names)
	}
	if got := c.members(tid); got != "alice/1 carol/0 bob/0" {
		t.Fatalf("members %q", got)
	}
}

// memberRows counts the member rows a cache was asked to store.
type memberRows struct {
	core.Cache
	mu   sync.Mutex
	rows []string
}

func (m *memberRows) Apply(ctx context.Context, b *core.Batch) error {
	m.mu.Lock()
	for _, r := range b.Records {
		if r.Kind == "tmember" {
			m.rows = append(m.rows, r.Key)
		}
	}
	m.mu.Unlock()
	return m.Cache.Apply(ctx, b)
}

func (m *memberRows) take() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := m.rows
	m.rows = nil
	slices.Sort(out)
	return out
}

// TestTeamMembersIncremental: the member list is fetched once, then only
// the rows that changed; offline, the cached list answers.
func TestTeamMembersIncremental(t *testing.T) {
	ctx := context.Background()
	ts, a, _, _ := threeAccounts(t)
	b := newDevice(t, ts, false)
	rows := &memberRows{}
	b.wrap = func(c core.Cache) core.Cache { rows.Cache = c; return rows }
	b.login("bob")

	tid := a.create(core.CreateTeamParams{Name: "inc", Type: proto.TeamAdvanced, BeInviteMode: proto.BeInviteAtOnce, Users: []string{"bob", "carol"}})
	b.waitTeam("onTeamAdded", tid, 1, nil)
	if _, ok := core.TeamMemberCursor(b.c, tid); ok {
		t.Fatal("members fetched before fetchTeamMembers")
	}
	rows.take()
	if got := b.members(tid); got != "alice/1 bob/0 carol/0" {
		t.Fatalf("members %q", got)
	}
	first := rows.take()
	if v, err := b.c.LocalUserInfo(ctx, "carol"); err != nil || v == nil || v.UserInfo == nil {
		t.Fatalf("carol's profile was not fetched with the members: %+v %v", v, err)
	}
	for _, e := range b.friendEvents("onUserInfoChanged") {
		if e.User != nil && e.User.UserID != "bob" {
			t.Fatalf("fetching the members reported a profile: %+v", e)
		}
	}
	if !slices.Contains(first, tid+"|alice") || !slices.Contains(first, tid+"|carol") {
		t.Fatalf("first fetch stored %q", first)
	}
	_, _, before := b.net.count(proto.OpTeamMembers)
	b.members(tid) // up to date: no request
	if _, _, n := b.net.count(proto.OpTeamMembers); n != before {
		t.Fatalf("an up-to-date list was fetched again (%d requests)", n-before)
	}

	// Carol becomes a manager: bob's list is refreshed with her row only.
	must(t, "appoint carol", a.c.SetTeamManagers(ctx, tid, []string{"carol"}, true))
	b.waitTeam("onTeamMemberChanged", tid, 1, changed("carol", nil))
	if got := rows.take(); !slices.Equal(got, []string{tid + "|carol"}) {
		t.Fatalf("the refresh stored %q, want carol's row only", got)
	}
	if got := b.members(tid); got != "alice/1 carol/2 bob/0" {
		t.Fatalf("members %q", got)
	}
	cur, ok := core.TeamMemberCursor(b.c, tid)
	if v := b.team(tid); !ok || v == nil || cur != core.TeamMemberVer(b.c, tid) {
		t.Fatalf("cursor %d %v", cur, ok)
	}

	// Offline (logged out, cache opened): what is cached answers.
	must(t, "logout", b.c.Logout(ctx))
	must(t, "open", b.c.OpenLocalCache(ctx, "bob"))
	if got := b.members(tid); got != "alice/1 carol/2 bob/0" {
		t.Fatalf("offline members %q", got)
	}
	if !b.isMyTeam(tid) {
		t.Fatal("offline isMyTeam")
	}
	wantCode(t, "offline write", b.c.QuitTeam(ctx, tid), proto.CodeNetwork)
}

// TestTeamBadParams: 414s naming the doc's parameters, 803 and 804.
func TestTeamBadParams(t *testing.T) {
	ctx := context.Background()
	_, a, _, c := threeAccounts(t)
	long := strings.Repeat("x", proto.MaxTeamNameRunes+1)
	_, err := a.c.CreateTeam(ctx, core.CreateTeamParams{})
	wantBadParam(t, "no name", err, "option.name")
	_, err = a.c.CreateTeam(ctx, core.CreateTeamParams{Name: long})
	wantBadParam(t, "long name", err, "option.name")
	_, err = a.c.CreateTeam(ctx, core.CreateTeamParams{Name: "x", Type: 7})
	wantBadParam(t, "type", err, "option.type")
	_, err = a.c.CreateTeam(ctx, core.CreateTeamParams{Name: "x", Users: []string{"bad id!"}})
	wantBadParam(t, "users", err, "users[0]")
	_, err = a.c.CreateTeam(ctx, core.CreateTeamParams{Name: "x", MaxMember: -1})
	wantBadParam(t, "maxMember", err, "option.maxMember")
	_, err = a.c.ApplyToTeam(ctx, "", "")
	wantBadParam(t, "apply", err, "teamId")
	_, err = a.c.ApplyToTeam(ctx, "t 1", "")
	wantBadParam(t, "apply", err, "teamId")
	_, err = a.c.InvitationToTeam(ctx, "t1", nil, "", "")
	wantBadParam(t, "invite", err, "users")
	_, err = a.c.InvitationToTeam(ctx, "t1", []string{"alice"}, "", "")
	wantBadParam(t, "invite self", err, "users")
	wantBadParam(t, "kick", a.c.KickUsersFromTeam(ctx, "t1", make([]string, proto.MaxTeamAccounts+1)), "users")
	wantBadParam(t, "transfer", a.c.TransferManagerWithTeam(ctx, "t1", "alice", false), "newOwnerId")
	wantBadParam(t, "pass", func() error { _, err := a.c.PassApplyToTeam(ctx, "t1", ""); return err }(), "userId")
	wantBadParam(t, "accept", a.c.AcceptInviteWithTeam(ctx, "t1", "x y"), "invitorId")
	wantBadParam(t, "mute", a.c.MuteUserFromTeam(ctx, "t1", "", true), "userId")
	wantBadParam(t, "notify", a.c.UpdateTeamNotifyState(ctx, "t1", 9), "notifyState")
	wantBadParam(t, "nick", a.c.UpdateUserNick(ctx, "t1", "bob", long), "newNick")
	bad := 5
	wantBadParam(t, "joinMode", a.c.UpdateTeamInfo(ctx, "t1", core.TeamInfoUpdate{JoinMode: &bad}), "joinMode")
	wantBadParam(t, "infoMode", a.c.UpdateTeamInfo(ctx, "t1", core.TeamInfoUpdate{UpdateInfoMode: &bad}), "infoMode")
	wantBadParam(t, "teamName", a.c.UpdateTeamInfo(ctx, "t1", core.TeamInfoUpdate{Name: &long}), "teamName")
	wantBadParam(t, "nothing", a.c.UpdateTeamInfo(ctx, "t1", core.TeamInfoUpdate{}), "teamInfo")
	_, err = a.c.TeamMember(ctx, "t1", "")
	wantBadParam(t, "teamMember", err, "userId")

	// 803: no such team; 804: not a member.
	_, err = a.c.ApplyToTeam(ctx, "nosuchteam", "")
	wantCode(t, "apply to none", err, proto.CodeTeamNotFound)
	_, err = a.c.FetchTeamMembers(ctx, "nosuchteam")
	wantCode(t, "members of none", err, proto.CodeTeamNotFound)
	tid := a.create(core.CreateTeamParams{Name: "private", Type: proto.TeamAdvanced})
	_, err = c.c.FetchTeamMembers(ctx, tid)
	wantCode(t, "members of another's team", err, proto.CodeTeamNotMember)
	wantCode(t, "quit another's team", c.c.QuitTeam(ctx, tid), proto.CodeTeamNotMember)
	if _, err := c.c.FetchTeamNotifyState(ctx, tid); err == nil {
		t.Fatal("notify state of an uncached team")
	}
}

// TestTeamTwoTabs: two tabs of bob over one cache, both connected: each
// reports each team change once.
func TestTeamTwoTabs(t *testing.T) {
	ctx := context.Background()
	ts, a, b1, _ := threeAccounts(t)
	b2 := newDevice(t, ts, false)
	b1.mu.Lock()
	shared := b1.caches["bob"].Reopen()
	b1.mu.Unlock()
	b2.mu.Lock()
	b2.caches["bob"] = shared
	b2.mu.Unlock()
	b2.login("bob")
	tabs := []*device{b1, b2}

	tid := a.create(core.CreateTeamParams{Name: "tabs", Type: proto.TeamAdvanced, BeInviteMode: proto.BeInviteAtOnce, Users: []string{"bob"}})
	for _, b := range tabs {
		b.waitTeam("onTeamAdded", tid, 1, nil)
		if got := b.members(tid); got != "alice/1 bob/0" {
			t.Fatalf("members %q", got)
		}
	}
	mutedBob := changed("bob", func(m core.TeamMemberView) bool { return m.IsMuted })
	must(t, "mute bob", a.c.MuteUserFromTeam(ctx, tid, "bob", true))
	name := "tabs renamed"
	must(t, "rename", a.c.UpdateTeamInfo(ctx, tid, core.TeamInfoUpdate{Name: &name}))
	if _, err := a.c.InvitationToTeam(ctx, tid, []string{"carol"}, "", ""); err != nil {
		t.Fatal(err)
	}
	// (Carol's arrival updates the member count: another onTeamUpdated.)
	renamed := func(e core.TeamEvent) bool { return e.Team.TeamName == name && e.Team.MemberNumber == 2 }
	for _, b := range tabs {
		b.waitTeam("onTeamMemberChanged", tid, 1, mutedBob)
		b.waitTeam("onTeamUpdated", tid, 1, renamed)
		b.waitTeam("onTeamMemberChanged", tid, 1, changed("carol", nil))
	}
	must(t, "dismiss", a.c.DismissTeam(ctx, tid))
	for i, b := range tabs {
		b.waitTeam("onTeamRemoved", tid, 1, nil)
		counts := []int{b.countTeam("onTeamAdded", tid, nil), b.countTeam("onTeamMemberChanged", tid, mutedBob),
			b.countTeam("onTeamUpdated", tid, renamed), b.countTeam("onTeamMemberChanged", tid, changed("carol", nil)),
			b.countTeam("onTeamRemoved", tid, nil)}
		if !slices.Equal(counts, []int{1, 1, 1, 1, 1}) {
			t.Fatalf("tab %d heard added, bob muted, renamed, carol, removed %v times", i+1, counts)
		}
	}
}
