package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"

	"yunxin/proto"
	"yunxin/server/store"
)

// teamTests are the cases of store.Teams, run by Run.
var teamTests = []struct {
	name string
	fn   func(t *testing.T, s store.Store)
}{
	{"TeamCreate", testTeamCreate},
	{"TeamCreateLimits", testTeamCreateLimits},
	{"TeamInvitations", testTeamInvitations},
	{"TeamNormalRights", testTeamNormalRights},
	{"TeamAdvancedRights", testTeamAdvancedRights},
	{"TeamJoinModes", testTeamJoinModes},
	{"TeamMute", testTeamMute},
	{"TeamTransferQuitKick", testTeamTransferQuitKick},
	{"TeamDismiss", testTeamDismiss},
	{"TeamRejoin", testTeamRejoin},
	{"TeamMembersPaging", testTeamMembersPaging},
	{"TeamMemberInfo", testTeamMemberInfo},
	{"TeamSuper", testTeamSuper},
	{"TeamConcurrentJoins", testTeamConcurrentJoins},
	{"TeamSend", testTeamSend},
	{"TeamSendRacesMute", testTeamSendRacesMute},
}

// teamCode returns the code of err, a *store.TeamError (-1 if it is not
// one, 0 for nil).
func teamCode(err error) int {
	if err == nil {
		return 0
	}
	var te *store.TeamError
	if errors.As(err, &te) {
		return te.Code
	}
	return -1
}

// wantCode fails t unless err is a TeamError with code.
func wantCode(t *testing.T, what string, err error, code int) {
	t.Helper()
	if got := teamCode(err); got != code {
		t.Fatalf("%s: %v (code %d), want code %d", what, err, got, code)
	}
}

// mkTeam creates a team of type typ owned by owner with members (added at
// once: BeInviteMode 1) and the modes of mod, failing t.
func mkTeam(t *testing.T, s store.Store, owner string, typ int, mod func(*proto.CreateTeamReq), members ...string) proto.Team {
	t.Helper()
	req := proto.CreateTeamReq{Name: "team", Type: typ, BeInviteMode: proto.BeInviteAtOnce, Members: members}
	if mod != nil {
		mod(&req)
	}
	tm, failed, _, err := s.CreateTeam(t.Context(), owner, req, 0, 1000)
	if err != nil || len(failed) > 0 {
		t.Fatalf("create team of %s: failed %v, %v", owner, failed, err)
	}
	return tm
}

// teamState returns account's newest ChangeTeam of tid (ok false: none).
func teamState(t *testing.T, s store.Store, account, tid string) (proto.TeamState, bool) {
	t.Helper()
	c, ok := logOf(t, s, account, 0)[proto.ChangeTeam+" "+tid]
	var st proto.TeamState
	if ok {
		decode(t, c, &st)
	}
	return st, ok
}

// teamMsgs returns the notification messages of tid's conversation with
// their decoded notes.
func teamMsgs(t *testing.T, s store.Store, tid string) ([]proto.Msg, []proto.TeamNote) {
	t.Helper()
	ms, err := s.Messages(t.Context(), proto.TeamConv(tid), 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	var notes []proto.TeamNote
	for _, m := range ms {
		var n proto.TeamNote
		if m.Type != proto.MsgNotification || json.Unmarshal(m.Body, &n) != nil {
			t.Fatalf("message %+v is not a team notification", m)
		}
		notes = append(notes, n)
	}
	return ms, notes
}

// lastNote returns the op of the newest notification message of tid and
// how many there are.
func lastNote(t *testing.T, s store.Store, tid string) (proto.TeamNote, int) {
	t.Helper()
	_, notes := teamMsgs(t, s, tid)
	if len(notes) == 0 {
		return proto.TeamNote{}, 0
	}
	return notes[len(notes)-1], len(notes)
}

// member returns tid's row of account, failing t.
func member(t *testing.T, s store.Store, tid, account string) proto.TeamMember {
	t.Helper()
	m, err := s.TeamMember(t.Context(), tid, account)
	if err != nil {
		t.Fatalf("member %s of %s: %v", account, tid, err)
	}
	return m
}

// isMember is IsMember of the team's conversation.
func isMember(t *testing.T, s store.Store, tid, account string) bool {
	t.Helper()
	ok, err := s.IsMember(t.Context(), account, proto.TeamConv(tid))
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// accountsOf returns the accounts of a write's changes of kind, sorted.
func accountsOf(w store.TeamWrite, kind string) []string {
	var out []string
	for _, c := range w.Changes {
		if c.Kind == kind {
			out = append(out, c.Account)
		}
	}
	slices.Sort(out)
	return out
}

// Creating a normal team: the owner's row, members added at once, failed
// ones skipped, the conversation with a read mark per member, a ChangeTeam
// with its own Me in each log, one TeamOpInvite message with the owner's
// nick.
func testTeamCreate(t *testing.T, s store.Store) {
	ctx := t.Context()
	users(t, s, "own", "a", "b", "blk")
	if _, err := s.SetRelation(ctx, "blk", proto.ListBlack, "own", true, 500); err != nil {
		t.Fatal(err)
	}
	req := proto.CreateTeamReq{Name: "n", Type: proto.TeamNormal, Intro: "hi", Members: []string{"a", "b", "a", "nobody", "blk", "own"}}
	tm, failed, w, err := s.CreateTeam(ctx, "own", req, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(failed)
	if !reflect.DeepEqual(failed, []string{"blk", "nobody"}) {
		t.Errorf("failed = %v", failed)
	}
	if tm.ID == "" || tm.Owner != "own" || tm.Members != 3 || tm.MaxMembers != proto.DefaultTeamMembers || tm.Intro != "hi" || tm.Created != 1000 || tm.MemberVer == 0 {
		t.Errorf("team %+v", tm)
	}
	if got, err := s.Team(ctx, tm.ID); err != nil || !reflect.DeepEqual(got, tm) {
		t.Errorf("Team = %+v, %v; want %+v", got, err, tm)
	}
	wantCode(t, "Team(unknown)", func() error { _, err := s.Team(ctx, "nope"); return err }(), proto.CodeTeamNotFound)
	if m := member(t, s, tm.ID, "own"); m.Type != proto.MemberOwner || !m.Valid || m.Joined != 1000 || m.Ver != tm.MemberVer {
		t.Errorf("owner row %+v", m)
	}
	if m := member(t, s, tm.ID, "a"); m.Type != proto.MemberNormal || !m.Valid || m.Inviter != "own" {
		t.Errorf("a's row %+v", m)
	}
	_, err = s.TeamMember(ctx, tm.ID, "blk")
	wantCode(t, "TeamMember(blk)", err, proto.CodeTeamNotMember)
	if accs, err := s.TeamAccounts(ctx, tm.ID); err != nil || !reflect.DeepEqual(accs, []string{"a", "b", "own"}) {
		t.Errorf("TeamAccounts = %v, %v", accs, err)
	}
	// The notification message.
	if len(w.Msgs) != 1 {
		t.Fatalf("msgs %+v", w.Msgs)
	}
	m := w.Msgs[0]
	var note proto.TeamNote
	if err := json.Unmarshal(m.Body, &note); err != nil || note.Op != proto.TeamOpInvite || !reflect.DeepEqual(note.Accounts, []string{"a", "b"}) {
		t.Errorf("note %s, %v", m.Body, err)
	}
	if m.Seq != 1 || m.From != "own" || m.Nick != "OWN" || m.ChatType != proto.ChatTeam || m.Conv != proto.TeamConv(tm.ID) || m.To != tm.ID || m.Type != proto.MsgNotification {
		t.Errorf("message %+v", m)
	}
	if ms, _ := teamMsgs(t, s, tm.ID); len(ms) != 1 || !reflect.DeepEqual(ms[0], m) {
		t.Errorf("stored %+v, returned %+v", ms, m)
	}
	// Every member's log: the team and its own row.
	if got := accountsOf(w, proto.ChangeTeam); !reflect.DeepEqual(got, []string{"a", "b", "own"}) {
		t.Errorf("ChangeTeam to %v", got)
	}
	sameChanges(t, s, w.Changes)
	for _, acc := range []string{"own", "a", "b"} {
		st, ok := teamState(t, s, acc, tm.ID)
		if !ok || !reflect.DeepEqual(st.Team, tm) || st.Me.Account != acc || !st.Me.Valid {
			t.Errorf("%s's state %+v (ok %v), team %+v", acc, st, ok, tm)
		}
		if !isMember(t, s, tm.ID, acc) {
			t.Errorf("%s is not a member of the conversation", acc)
		}
		c := conv(t, s, acc, proto.TeamConv(tm.ID))
		unread := 1
		if acc == "own" {
			unread = 0
		}
		if c.ReadSeq != 0 || c.LastSeq != 1 || c.Unread != unread || c.ChatType != proto.ChatTeam || c.Peer != tm.ID {
			t.Errorf("%s's conversation %+v", acc, c)
		}
	}
	if _, ok := teamState(t, s, "blk", tm.ID); ok || isMember(t, s, tm.ID, "blk") {
		t.Error("blk got the team")
	}
	sts, err := s.MyTeams(ctx, "a", false)
	if err != nil || len(sts) != 1 || sts[0].Team.ID != tm.ID || sts[0].Me.Account != "a" {
		t.Errorf("MyTeams = %+v, %v", sts, err)
	}
}

// 806 past MaxTeamsCreated owned teams (dismissed ones do not count); 801
// over the member limit.
func testTeamCreateLimits(t *testing.T, s store.Store) {
	ctx := t.Context()
	users(t, s, "own", "a", "b", "c")
	_, _, _, err := s.CreateTeam(ctx, "own", proto.CreateTeamReq{Name: "x", Type: proto.TeamNormal, MaxMembers: 3, Members: []string{"a", "b", "c"}}, 0, 1)
	wantCode(t, "4 members of 3", err, proto.CodeTeamMemberLimit)
	_, _, _, err = s.CreateTeam(ctx, "own", proto.CreateTeamReq{Name: "x", Type: proto.TeamNormal, Members: []string{"a", "b", "c"}}, 3, 1)
	wantCode(t, "4 members of the caller's 3", err, proto.CodeTeamMemberLimit)
	tm := mkTeam(t, s, "own", proto.TeamAdvanced, func(r *proto.CreateTeamReq) { r.MaxMembers = 3 }, "a", "b")
	_, _, _, err = s.InviteToTeam(ctx, "own", tm.ID, []string{"c"}, "", false, 2)
	wantCode(t, "invite past the limit", err, proto.CodeTeamMemberLimit)
	if st, ok := teamState(t, s, "c", tm.ID); ok {
		t.Errorf("c got %+v", st)
	}
	var first proto.Team
	for i := 1; i < proto.MaxTeamsCreated; i++ {
		tm := mkTeam(t, s, "own", proto.TeamNormal, nil)
		if i == 1 {
			first = tm
		}
	}
	_, _, _, err = s.CreateTeam(ctx, "own", proto.CreateTeamReq{Name: "x"}, 0, 1)
	wantCode(t, "team 501", err, proto.CodeTeamCreateLimit)
	if _, err := s.DismissTeam(ctx, "own", first.ID, 2); err != nil {
		t.Fatal(err)
	}
	mkTeam(t, s, "own", proto.TeamNormal, nil) // a dismissed team does not count
	_, _, _, err = s.CreateTeam(ctx, "own", proto.CreateTeamReq{Name: "x", Type: 7}, 0, 1)
	wantCode(t, "type 7", err, 414)
}

// Invitations of an advanced team (BeInviteMode 0) and their answers: a
// pending type 2 note, accept joins, reject notifies the inviter (type 3).
func testTeamInvitations(t *testing.T, s store.Store) {
	ctx := t.Context()
	users(t, s, "own", "a", "b", "c")
	tm, failed, w, err := s.CreateTeam(ctx, "own", proto.CreateTeamReq{Name: "adv", Type: proto.TeamAdvanced, Postscript: "come", Members: []string{"a", "b"}}, 0, 1000)
	if err != nil || len(failed) > 0 {
		t.Fatal(failed, err)
	}
	if tm.Members != 1 || isMember(t, s, tm.ID, "a") {
		t.Fatalf("invitees joined at once: %+v", tm)
	}
	if got := accountsOf(w, proto.ChangeNote); !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Errorf("notes to %v", got)
	}
	ns := notes(t, s, "a")
	if len(ns) != 1 || ns[0].Type != proto.NoteTeamInvite || ns[0].From != "own" || ns[0].To != tm.ID || ns[0].Ps != "come" || ns[0].Status != proto.NoteUntreated {
		t.Fatalf("a's notes %+v", ns)
	}
	if note, n := lastNote(t, s, tm.ID); n != 1 || note.Op != proto.TeamOpInvite || len(note.Accounts) != 0 {
		t.Errorf("create's message %+v (%d)", note, n)
	}
	// Someone sends before a accepts: a's read mark starts after it.
	if _, err := s.UpdateTeam(ctx, "own", tm.ID, proto.TeamUpdate{Name: ptr("adv2")}, 1001); err != nil {
		t.Fatal(err)
	}
	w, err = s.AnswerInvitation(ctx, "a", tm.ID, "own", true, "", 1002)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := note(t, s, "a", fmt.Sprint(ns[0].ID)); n.Status != proto.NotePassed {
		t.Errorf("accepted invitation %+v", n)
	}
	if m := member(t, s, tm.ID, "a"); !m.Valid || m.Inviter != "own" || m.Joined != 1002 {
		t.Errorf("a's row %+v", m)
	}
	if len(w.Msgs) != 1 || w.Msgs[0].From != "a" {
		t.Errorf("accept's messages %+v", w.Msgs)
	}
	if note, _ := lastNote(t, s, tm.ID); note.Op != proto.TeamOpAccept || !reflect.DeepEqual(note.Accounts, []string{"a"}) {
		t.Errorf("accept's note %+v", note)
	}
	if c := conv(t, s, "a", proto.TeamConv(tm.ID)); c.ReadSeq != 2 || c.LastSeq != 3 || c.Unread != 0 {
		t.Errorf("a's conversation %+v", c)
	}
	_, err = s.AnswerInvitation(ctx, "a", tm.ID, "own", true, "", 1003)
	wantCode(t, "answer twice", err, 404)
	// b rejects: own gets a type 3 note.
	if _, err := s.AnswerInvitation(ctx, "b", tm.ID, "own", false, "no", 1004); err != nil {
		t.Fatal(err)
	}
	if ns := notes(t, s, "b"); ns[0].Status != proto.NoteDeclined {
		t.Errorf("b's notes %+v", ns)
	}
	ns = notes(t, s, "own")
	if len(ns) != 1 || ns[0].Type != proto.NoteTeamInviteRejct || ns[0].From != "b" || ns[0].To != tm.ID || ns[0].Ps != "no" {
		t.Errorf("own's notes %+v", ns)
	}
	if isMember(t, s, tm.ID, "b") {
		t.Error("b joined")
	}
	// InviteToTeam: pending; the app's server without consent adds at once.
	failed, pending, w, err := s.InviteToTeam(ctx, "own", tm.ID, []string{"c", "a", "ghost"}, "ps", false, 1005)
	slices.Sort(failed)
	if err != nil || !pending || !reflect.DeepEqual(failed, []string{"a", "ghost"}) || len(w.Msgs) != 0 || isMember(t, s, tm.ID, "c") {
		t.Fatalf("invite: failed %v pending %v %+v, %v", failed, pending, w, err)
	}
	failed, pending, w, err = s.InviteToTeam(ctx, "", tm.ID, []string{"b"}, "", false, 1006)
	if err != nil || pending || len(failed) > 0 || !isMember(t, s, tm.ID, "b") || len(w.Msgs) != 1 || w.Msgs[0].From != "own" {
		t.Fatalf("server's invite: failed %v pending %v %+v, %v", failed, pending, w, err)
	}
}

// A normal team: any member invites (at once), only the owner kicks,
// updates and dismisses; no managers, applications or mutes (805).
func testTeamNormalRights(t *testing.T, s store.Store) {
	ctx := t.Context()
	users(t, s, "own", "a", "b", "c")
	tm := mkTeam(t, s, "own", proto.TeamNormal, func(r *proto.CreateTeamReq) { r.BeInviteMode = 0 }, "a")
	if !isMember(t, s, tm.ID, "a") {
		t.Fatal("a normal team's member waits for consent")
	}
	if _, pending, _, err := s.InviteToTeam(ctx, "a", tm.ID, []string{"b"}, "", false, 2); err != nil || pending || !isMember(t, s, tm.ID, "b") {
		t.Fatalf("a invites b: pending %v, %v", pending, err)
	}
	_, _, _, err := s.InviteToTeam(ctx, "c", tm.ID, []string{"c"}, "", false, 2)
	wantCode(t, "a stranger invites", err, proto.CodeTeamNotMember)
	_, err = s.KickFromTeam(ctx, "a", tm.ID, []string{"b"}, 3)
	wantCode(t, "a kicks", err, proto.CodeTeamPermission)
	_, err = s.UpdateTeam(ctx, "a", tm.ID, proto.TeamUpdate{Name: ptr("x")}, 3)
	wantCode(t, "a updates", err, proto.CodeTeamPermission)
	_, err = s.DismissTeam(ctx, "a", tm.ID, 3)
	wantCode(t, "a dismisses", err, proto.CodeTeamPermission)
	_, err = s.SetManagers(ctx, "own", tm.ID, []string{"a"}, true, 3)
	wantCode(t, "managers", err, proto.CodeTeamType)
	_, _, err = s.ApplyToTeam(ctx, "c", tm.ID, "", 3)
	wantCode(t, "apply", err, proto.CodeTeamType)
	_, err = s.MuteMember(ctx, "own", tm.ID, "a", true, 3)
	wantCode(t, "mute", err, proto.CodeTeamType)
	_, err = s.UpdateTeam(ctx, "own", tm.ID, proto.TeamUpdate{JoinMode: ptr(1)}, 3)
	wantCode(t, "modes", err, proto.CodeTeamType)
	if _, n := lastNote(t, s, tm.ID); n != 2 {
		t.Errorf("%d messages after refusals", n)
	}
	if _, err := s.KickFromTeam(ctx, "own", tm.ID, []string{"b"}, 4); err != nil || isMember(t, s, tm.ID, "b") {
		t.Fatalf("owner kicks b: %v", err)
	}
	if _, err := s.UpdateTeam(ctx, "own", tm.ID, proto.TeamUpdate{Name: ptr("x")}, 4); err != nil {
		t.Fatal(err)
	}
}

// An advanced team follows its modes; managers invite and kick normal
// members only; only the app's server sets serverCustom.
func testTeamAdvancedRights(t *testing.T, s store.Store) {
	ctx := t.Context()
	users(t, s, "own", "mgr", "mgr2", "a", "b", "c")
	tm := mkTeam(t, s, "own", proto.TeamAdvanced, nil, "mgr", "mgr2", "a", "b")
	_, err := s.SetManagers(ctx, "mgr", tm.ID, []string{"a"}, true, 2)
	wantCode(t, "a manager appoints", err, proto.CodeTeamPermission)
	w, err := s.SetManagers(ctx, "own", tm.ID, []string{"mgr", "mgr2"}, true, 2)
	if err != nil || len(w.Msgs) != 1 || member(t, s, tm.ID, "mgr").Type != proto.MemberManager {
		t.Fatalf("SetManagers: %+v, %v", w, err)
	}
	if note, _ := lastNote(t, s, tm.ID); note.Op != proto.TeamOpAddMgr || len(note.Accounts) != 2 {
		t.Errorf("note %+v", note)
	}
	if w, err := s.SetManagers(ctx, "own", tm.ID, []string{"mgr"}, true, 2); err != nil || len(w.Msgs)+len(w.Changes) != 0 {
		t.Errorf("appointing a manager again wrote %+v, %v", w, err)
	}
	_, err = s.SetManagers(ctx, "own", tm.ID, []string{"own"}, true, 2)
	wantCode(t, "the owner as manager", err, proto.CodeTeamPermission)
	// InviteMode 0: a normal member cannot invite.
	_, _, _, err = s.InviteToTeam(ctx, "a", tm.ID, []string{"c"}, "", false, 3)
	wantCode(t, "a invites", err, proto.CodeTeamPermission)
	if _, _, _, err := s.InviteToTeam(ctx, "mgr", tm.ID, []string{"c"}, "", false, 3); err != nil || !isMember(t, s, tm.ID, "c") {
		t.Fatalf("mgr invites: %v", err)
	}
	// Info and custom follow UpdateInfoMode / UpdateCustomMode; modes are
	// the owner's and managers'.
	_, err = s.UpdateTeam(ctx, "a", tm.ID, proto.TeamUpdate{Intro: ptr("x")}, 4)
	wantCode(t, "a updates info", err, proto.CodeTeamPermission)
	_, err = s.UpdateTeam(ctx, "a", tm.ID, proto.TeamUpdate{ClientCustom: ptr("x")}, 4)
	wantCode(t, "a updates custom", err, proto.CodeTeamPermission)
	if _, err := s.UpdateTeam(ctx, "mgr", tm.ID, proto.TeamUpdate{UpdateInfoMode: ptr(proto.ModeEveryone), InviteMode: ptr(proto.ModeEveryone)}, 4); err != nil {
		t.Fatal(err)
	}
	w, err = s.UpdateTeam(ctx, "a", tm.ID, proto.TeamUpdate{Intro: ptr("x"), Name: ptr(tm.Name)}, 5)
	if err != nil {
		t.Fatal(err)
	}
	var note proto.TeamNote
	json.Unmarshal(w.Msgs[0].Body, &note)
	if note.Op != proto.TeamOpUpdate || note.Update == nil || note.Update.Intro == nil || *note.Update.Intro != "x" || note.Update.Name != nil {
		t.Errorf("update note %s", w.Msgs[0].Body)
	}
	_, err = s.UpdateTeam(ctx, "a", tm.ID, proto.TeamUpdate{JoinMode: ptr(1)}, 5)
	wantCode(t, "a changes a mode", err, proto.CodeTeamPermission)
	_, err = s.UpdateTeam(ctx, "own", tm.ID, proto.TeamUpdate{ServerCustom: ptr("s")}, 5)
	wantCode(t, "the owner sets serverCustom", err, proto.CodeTeamPermission)
	_, err = s.UpdateTeam(ctx, "own", tm.ID, proto.TeamUpdate{MuteMode: ptr(2)}, 5)
	wantCode(t, "muteMode 2", err, 414)
	if _, err := s.UpdateTeam(ctx, "", tm.ID, proto.TeamUpdate{ServerCustom: ptr("s")}, 6); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Team(ctx, tm.ID); got.ServerCustom != "s" || got.Intro != "x" || got.UpdateInfoMode != 1 || got.Updated != 6 {
		t.Errorf("team %+v", got)
	}
	if st, _ := teamState(t, s, "c", tm.ID); st.Team.ServerCustom != "s" {
		t.Errorf("c's state %+v", st)
	}
	// An update that changes nothing writes nothing.
	before, n := lastNote(t, s, tm.ID)
	ver := lastVer(t, s, "a")
	if w, err := s.UpdateTeam(ctx, "own", tm.ID, proto.TeamUpdate{Intro: ptr("x"), ServerCustom: nil}, 7); err != nil || len(w.Msgs)+len(w.Changes) != 0 {
		t.Errorf("no-op update wrote %d messages, %d changes, %v", len(w.Msgs), len(w.Changes), err)
	}
	if after, n2 := lastNote(t, s, tm.ID); n2 != n || !reflect.DeepEqual(after, before) || lastVer(t, s, "a") != ver {
		t.Error("no-op update wrote a message or a change")
	}
	// Kicks: managers kick normal members only; nobody kicks the owner.
	_, err = s.KickFromTeam(ctx, "mgr", tm.ID, []string{"mgr2"}, 8)
	wantCode(t, "mgr kicks mgr2", err, proto.CodeTeamPermission)
	_, err = s.KickFromTeam(ctx, "mgr", tm.ID, []string{"own"}, 8)
	wantCode(t, "mgr kicks own", err, proto.CodeTeamPermission)
	_, err = s.KickFromTeam(ctx, "a", tm.ID, []string{"b"}, 8)
	wantCode(t, "a kicks", err, proto.CodeTeamPermission)
	_, err = s.KickFromTeam(ctx, "mgr", tm.ID, []string{"nobody"}, 8)
	wantCode(t, "kick a stranger", err, proto.CodeTeamNotMember)
	w, err = s.KickFromTeam(ctx, "mgr", tm.ID, []string{"b", "c"}, 8)
	if err != nil {
		t.Fatal(err)
	}
	if got := accountsOf(w, proto.ChangeTeam); !reflect.DeepEqual(got, []string{"a", "b", "c", "mgr", "mgr2", "own"}) {
		t.Errorf("kick told %v", got)
	}
	if st, _ := teamState(t, s, "b", tm.ID); st.Me.Valid || st.Team.Members != 4 {
		t.Errorf("b's state after the kick %+v", st)
	}
	if note, _ := lastNote(t, s, tm.ID); note.Op != proto.TeamOpKick || !reflect.DeepEqual(note.Accounts, []string{"b", "c"}) {
		t.Errorf("kick note %+v", note)
	}
	if _, err := s.KickFromTeam(ctx, "own", tm.ID, []string{"mgr2"}, 9); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetManagers(ctx, "own", tm.ID, []string{"mgr"}, false, 9); err != nil || member(t, s, tm.ID, "mgr").Type != proto.MemberNormal {
		t.Fatalf("remove manager: %v", err)
	}
	if note, _ := lastNote(t, s, tm.ID); note.Op != proto.TeamOpDelMgr {
		t.Errorf("note %+v", note)
	}
}

// JoinMode: 0 joins at once, 1 notifies the owner and managers (type 0;
// the answer sets every copy's handleStatus; a reject notifies the
// applicant, type 1), 2 is 802; a member applying is 809.
func testTeamJoinModes(t *testing.T, s store.Store) {
	ctx := t.Context()
	users(t, s, "own", "mgr", "a", "b", "c", "d")
	tm := mkTeam(t, s, "own", proto.TeamAdvanced, nil, "mgr")
	if _, err := s.SetManagers(ctx, "own", tm.ID, []string{"mgr"}, true, 2); err != nil {
		t.Fatal(err)
	}
	pending, w, err := s.ApplyToTeam(ctx, "a", tm.ID, "", 3)
	if err != nil || pending || !isMember(t, s, tm.ID, "a") || len(w.Msgs) != 1 {
		t.Fatalf("apply, JoinAnyone: pending %v %+v, %v", pending, w, err)
	}
	_, _, err = s.ApplyToTeam(ctx, "a", tm.ID, "", 3)
	wantCode(t, "a member applies", err, proto.CodeTeamAlready)
	if _, err := s.UpdateTeam(ctx, "own", tm.ID, proto.TeamUpdate{JoinMode: ptr(proto.JoinApproval)}, 4); err != nil {
		t.Fatal(err)
	}
	for _, acc := range []string{"b", "c"} {
		pending, w, err = s.ApplyToTeam(ctx, acc, tm.ID, "let me in", 5)
		if err != nil || !pending || len(w.Msgs) != 0 || isMember(t, s, tm.ID, acc) {
			t.Fatalf("apply, JoinApproval: pending %v %+v, %v", pending, w, err)
		}
		if got := accountsOf(w, proto.ChangeNote); !reflect.DeepEqual(got, []string{"mgr", "own"}) {
			t.Errorf("application notes to %v", got)
		}
	}
	ns := notes(t, s, "own")
	if len(ns) != 2 || ns[0].Type != proto.NoteTeamApply || ns[0].From != "b" || ns[0].To != tm.ID || ns[0].Ps != "let me in" {
		t.Fatalf("own's notes %+v", ns)
	}
	_, err = s.AnswerApplication(ctx, "a", tm.ID, "b", true, "", 6)
	wantCode(t, "a answers", err, proto.CodeTeamPermission)
	w, err = s.AnswerApplication(ctx, "mgr", tm.ID, "b", true, "", 6)
	if err != nil || !isMember(t, s, tm.ID, "b") || member(t, s, tm.ID, "b").Inviter != "mgr" {
		t.Fatalf("pass: %v", err)
	}
	for _, acc := range []string{"own", "mgr"} {
		for _, n := range notes(t, s, acc) {
			if n.From == "b" && n.Status != proto.NotePassed {
				t.Errorf("%s's copy %+v", acc, n)
			}
		}
	}
	if note, _ := lastNote(t, s, tm.ID); note.Op != proto.TeamOpPass || !reflect.DeepEqual(note.Accounts, []string{"b"}) {
		t.Errorf("pass note %+v", note)
	}
	_, err = s.AnswerApplication(ctx, "own", tm.ID, "b", true, "", 6)
	wantCode(t, "answer twice", err, 404)
	if _, err := s.AnswerApplication(ctx, "own", tm.ID, "c", false, "sorry", 7); err != nil || isMember(t, s, tm.ID, "c") {
		t.Fatalf("reject: %v", err)
	}
	for _, acc := range []string{"own", "mgr"} {
		for _, n := range notes(t, s, acc) {
			if n.From == "c" && n.Status != proto.NoteDeclined {
				t.Errorf("%s's copy %+v", acc, n)
			}
		}
	}
	ns = notes(t, s, "c")
	if len(ns) != 1 || ns[0].Type != proto.NoteTeamApplyReject || ns[0].From != "own" || ns[0].Ps != "sorry" {
		t.Errorf("c's notes %+v", ns)
	}
	if _, err := s.UpdateTeam(ctx, "own", tm.ID, proto.TeamUpdate{JoinMode: ptr(proto.JoinNobody)}, 8); err != nil {
		t.Fatal(err)
	}
	_, _, err = s.ApplyToTeam(ctx, "d", tm.ID, "", 9)
	wantCode(t, "JoinNobody", err, proto.CodeTeamPermission)
	_, _, err = s.ApplyToTeam(ctx, "d", "nope", "", 9)
	wantCode(t, "no such team", err, proto.CodeTeamNotFound)
}

// SendTeam's rights: members only; a muted member; MuteNormal spares the owner and
// managers, MuteAll the owner only.
func testTeamMute(t *testing.T, s store.Store) {
	ctx := t.Context()
	users(t, s, "own", "mgr", "a", "b", "x")
	tm := mkTeam(t, s, "own", proto.TeamAdvanced, nil, "mgr", "a", "b")
	if _, err := s.SetManagers(ctx, "own", tm.ID, []string{"mgr"}, true, 2); err != nil {
		t.Fatal(err)
	}
	can := func(acc string) int { return sendCode(t, s, tm, acc) }
	if can("a") != 0 || can("own") != 0 || can("x") != proto.CodeTeamNotMember || sendCode(t, s, proto.Team{ID: "nope", Type: proto.TeamAdvanced}, "a") != proto.CodeTeamNotFound {
		t.Fatal("SendTeam before mutes")
	}
	_, err := s.MuteMember(ctx, "a", tm.ID, "b", true, 3)
	wantCode(t, "a mutes", err, proto.CodeTeamPermission)
	_, err = s.MuteMember(ctx, "mgr", tm.ID, "own", true, 3)
	wantCode(t, "mgr mutes own", err, proto.CodeTeamPermission)
	w, err := s.MuteMember(ctx, "mgr", tm.ID, "a", true, 3)
	if err != nil || !member(t, s, tm.ID, "a").Muted || can("a") != proto.CodeTeamMuted || can("b") != 0 {
		t.Fatalf("mute a: %v", err)
	}
	var note proto.TeamNote
	json.Unmarshal(w.Msgs[0].Body, &note)
	if note.Op != proto.TeamOpMute || !note.Mute || !reflect.DeepEqual(note.Accounts, []string{"a"}) {
		t.Errorf("mute note %+v", note)
	}
	if w, err := s.MuteMember(ctx, "own", tm.ID, "a", true, 3); err != nil || len(w.Msgs) != 0 {
		t.Errorf("mute again: %+v, %v", w, err)
	}
	if _, err := s.MuteMember(ctx, "own", tm.ID, "a", false, 4); err != nil || can("a") != 0 {
		t.Fatalf("unmute: %v", err)
	}
	if _, err := s.UpdateTeam(ctx, "own", tm.ID, proto.TeamUpdate{MuteMode: ptr(proto.MuteNormal)}, 5); err != nil {
		t.Fatal(err)
	}
	if can("a") != proto.CodeTeamMuted || can("mgr") != 0 || can("own") != 0 {
		t.Errorf("MuteNormal: a %d mgr %d own %d", can("a"), can("mgr"), can("own"))
	}
	if _, err := s.UpdateTeam(ctx, "own", tm.ID, proto.TeamUpdate{MuteMode: ptr(proto.MuteAll)}, 6); err != nil {
		t.Fatal(err)
	}
	if can("a") != proto.CodeTeamMuted || can("mgr") != proto.CodeTeamMuted || can("own") != 0 {
		t.Errorf("MuteAll: a %d mgr %d own %d", can("a"), can("mgr"), can("own"))
	}
}

// Transfer (and with leave), quit (the owner cannot: 802).
func testTeamTransferQuitKick(t *testing.T, s store.Store) {
	ctx := t.Context()
	users(t, s, "own", "a", "b", "x")
	tm := mkTeam(t, s, "own", proto.TeamAdvanced, nil, "a", "b")
	_, err := s.QuitTeam(ctx, "own", tm.ID, 2)
	wantCode(t, "the owner quits", err, proto.CodeTeamPermission)
	_, err = s.TransferTeam(ctx, "a", tm.ID, "b", false, 2)
	wantCode(t, "a transfers", err, proto.CodeTeamPermission)
	_, err = s.TransferTeam(ctx, "own", tm.ID, "x", false, 2)
	wantCode(t, "transfer to a stranger", err, proto.CodeTeamNotMember)
	if _, err := s.TransferTeam(ctx, "own", tm.ID, "a", false, 3); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Team(ctx, tm.ID); got.Owner != "a" || member(t, s, tm.ID, "a").Type != proto.MemberOwner || member(t, s, tm.ID, "own").Type != proto.MemberNormal {
		t.Errorf("after transfer: %+v", got)
	}
	if note, _ := lastNote(t, s, tm.ID); note.Op != proto.TeamOpTransfer || !reflect.DeepEqual(note.Accounts, []string{"a"}) {
		t.Errorf("transfer note %+v", note)
	}
	if st, _ := teamState(t, s, "b", tm.ID); st.Team.Owner != "a" {
		t.Errorf("b's state %+v", st)
	}
	w, err := s.TransferTeam(ctx, "a", tm.ID, "b", true, 4)
	if err != nil || isMember(t, s, tm.ID, "a") || member(t, s, tm.ID, "a").Valid {
		t.Fatalf("transfer and leave: %v", err)
	}
	if len(w.Msgs) != 2 {
		t.Errorf("transfer and leave posted %d messages", len(w.Msgs))
	}
	if st, _ := teamState(t, s, "a", tm.ID); st.Me.Valid || st.Team.Owner != "b" || st.Team.Members != 2 {
		t.Errorf("a's state %+v", st)
	}
	w, err = s.QuitTeam(ctx, "own", tm.ID, 5)
	if err != nil || isMember(t, s, tm.ID, "own") {
		t.Fatalf("quit: %v", err)
	}
	if got := accountsOf(w, proto.ChangeTeam); !reflect.DeepEqual(got, []string{"b", "own"}) {
		t.Errorf("quit told %v", got)
	}
	if note, _ := lastNote(t, s, tm.ID); note.Op != proto.TeamOpLeave || w.Msgs[0].From != "own" {
		t.Errorf("quit note %+v", note)
	}
	// One who left keeps the history up to its leave's notification.
	if m := member(t, s, tm.ID, "own"); m.Valid || m.LeftSeq != w.Msgs[0].Seq {
		t.Errorf("own's row after quitting %+v, leave message seq %d", m, w.Msgs[0].Seq)
	}
	if _, err := s.UpdateTeam(ctx, "b", tm.ID, proto.TeamUpdate{Intro: ptr("later")}, 6); err != nil {
		t.Fatal(err)
	}
	if m := member(t, s, tm.ID, "own"); m.LeftSeq != w.Msgs[0].Seq {
		t.Errorf("own's LeftSeq moved: %+v", m)
	}
	_, err = s.QuitTeam(ctx, "own", tm.ID, 6)
	wantCode(t, "quit twice", err, proto.CodeTeamNotMember)
	if sendCode(t, s, tm, "own") != proto.CodeTeamNotMember {
		t.Error("one who left can send")
	}
	if sts, err := s.MyTeams(ctx, "own", false); err != nil || len(sts) != 0 {
		t.Errorf("MyTeams = %+v, %v", sts, err)
	}
	if sts, err := s.MyTeams(ctx, "own", true); err != nil || len(sts) != 1 || sts[0].Me.Valid {
		t.Errorf("MyTeams(invalidToo) = %+v, %v", sts, err)
	}
}

// Dismiss: every row invalid, each former member's log gets the team
// Dismissed, the team refuses everything after.
func testTeamDismiss(t *testing.T, s store.Store) {
	ctx := t.Context()
	users(t, s, "own", "a", "b")
	tm := mkTeam(t, s, "own", proto.TeamAdvanced, nil, "a", "b")
	if _, err := s.QuitTeam(ctx, "b", tm.ID, 2); err != nil {
		t.Fatal(err)
	}
	w, err := s.DismissTeam(ctx, "own", tm.ID, 3)
	if err != nil {
		t.Fatal(err)
	}
	if got := accountsOf(w, proto.ChangeTeam); !reflect.DeepEqual(got, []string{"a", "own"}) {
		t.Errorf("dismiss told %v", got)
	}
	for _, acc := range []string{"a", "own"} {
		st, _ := teamState(t, s, acc, tm.ID)
		if !st.Team.Dismissed || st.Me.Valid || isMember(t, s, tm.ID, acc) || st.Me.LeftSeq != w.Msgs[0].Seq {
			t.Errorf("%s after dismiss: %+v", acc, st)
		}
	}
	if note, _ := lastNote(t, s, tm.ID); note.Op != proto.TeamOpDismiss {
		t.Errorf("dismiss note %+v", note)
	}
	if got, err := s.Team(ctx, tm.ID); err != nil || !got.Dismissed {
		t.Errorf("Team = %+v, %v", got, err)
	}
	if c := sendCode(t, s, tm, "own"); c != proto.CodeTeamNotFound {
		t.Errorf("send to a dismissed team: %d, want %d", c, proto.CodeTeamNotFound)
	}
	_, err = s.DismissTeam(ctx, "own", tm.ID, 4)
	wantCode(t, "dismiss twice", err, proto.CodeTeamNotFound)
	_, _, _, err = s.InviteToTeam(ctx, "own", tm.ID, []string{"b"}, "", false, 4)
	wantCode(t, "invite", err, proto.CodeTeamNotFound)
	if accs, err := s.TeamAccounts(ctx, tm.ID); err != nil || len(accs) != 0 {
		t.Errorf("TeamAccounts = %v, %v", accs, err)
	}
	tm2 := mkTeam(t, s, "own", proto.TeamNormal, nil, "a")
	_, err = s.DismissTeam(ctx, "a", tm2.ID, 5)
	wantCode(t, "a dismisses", err, proto.CodeTeamPermission)
	if _, err := s.DismissTeam(ctx, "", tm2.ID, 5); err != nil {
		t.Fatalf("the app's server dismisses: %v", err)
	}
}

// Rejoining after leaving: Valid again, a new read mark at the current
// last seq, a fresh row.
func testTeamRejoin(t *testing.T, s store.Store) {
	ctx := t.Context()
	users(t, s, "own", "a")
	tm := mkTeam(t, s, "own", proto.TeamNormal, nil, "a")
	if _, err := s.UpdateMember(ctx, "a", tm.ID, "a", ptr("nick"), nil, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := s.QuitTeam(ctx, "a", tm.ID, 3); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := s.UpdateTeam(ctx, "own", tm.ID, proto.TeamUpdate{Name: ptr(fmt.Sprint("n", i))}, 4); err != nil {
			t.Fatal(err)
		}
	}
	if _, st := teamState(t, s, "a", tm.ID); !st {
		t.Fatal("a has no state")
	}
	if st, _ := teamState(t, s, "a", tm.ID); st.Team.Name == "n2" {
		t.Error("one who left got later updates")
	}
	if _, _, _, err := s.InviteToTeam(ctx, "own", tm.ID, []string{"a"}, "", false, 5); err != nil {
		t.Fatal(err)
	}
	m := member(t, s, tm.ID, "a")
	if !m.Valid || m.Nick != "" || m.Joined != 5 {
		t.Errorf("a's row after rejoining %+v", m)
	}
	c := conv(t, s, "a", proto.TeamConv(tm.ID))
	if c.ReadSeq != 5 || c.LastSeq != 6 || c.Unread != 1 {
		t.Errorf("a's conversation after rejoining %+v", c)
	}
	if !isMember(t, s, tm.ID, "a") || sendCode(t, s, tm, "a") != 0 {
		t.Error("a cannot send after rejoining")
	}
	if st, _ := teamState(t, s, "a", tm.ID); !st.Me.Valid || st.Team.Name != "n2" {
		t.Errorf("a's state %+v", st)
	}
}

// TeamMembers: since 0 lists the valid members; since v the rows changed
// after v (left ones with Valid false), paged by (Ver, Account).
func testTeamMembersPaging(t *testing.T, s store.Store) {
	ctx := t.Context()
	users(t, s, "own", "a", "b", "c", "d", "e")
	tm := mkTeam(t, s, "own", proto.TeamNormal, nil, "a", "b", "c")
	all := func(since int64, limit int) []proto.TeamMember {
		t.Helper()
		var out []proto.TeamMember
		var afterVer int64
		var afterAcc string
		for range 100 {
			page, more, err := s.TeamMembers(ctx, tm.ID, since, afterVer, afterAcc, limit)
			if err != nil || len(page) > limit {
				t.Fatalf("TeamMembers: %d rows, %v", len(page), err)
			}
			out = append(out, page...)
			if !more {
				return out
			}
			last := page[len(page)-1]
			afterVer, afterAcc = last.Ver, last.Account
		}
		t.Fatal("TeamMembers does not end")
		return nil
	}
	names := func(ms []proto.TeamMember) []string {
		var out []string
		for _, m := range ms {
			s := m.Account
			if !m.Valid {
				s += "-"
			}
			out = append(out, s)
		}
		return out
	}
	if got := names(all(0, 3)); !reflect.DeepEqual(got, []string{"a", "b", "c", "own"}) {
		t.Errorf("since 0: %v", got)
	}
	v0 := tm.MemberVer
	if _, err := s.QuitTeam(ctx, "b", tm.ID, 2); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := s.InviteToTeam(ctx, "a", tm.ID, []string{"e", "d"}, "", false, 3); err != nil {
		t.Fatal(err)
	}
	got, err := s.Team(ctx, tm.ID)
	if err != nil || got.MemberVer != v0+2 || got.Members != 5 {
		t.Fatalf("team %+v, %v", got, err)
	}
	if got := names(all(v0, 2)); !reflect.DeepEqual(got, []string{"b-", "d", "e"}) {
		t.Errorf("since %d: %v", v0, got)
	}
	if got := names(all(0, 1)); !reflect.DeepEqual(got, []string{"a", "c", "own", "d", "e"}) {
		t.Errorf("since 0 after changes: %v", got)
	}
	if got := all(v0+2, 10); len(got) != 0 {
		t.Errorf("since the newest: %v", got)
	}
	// An update of the team's info moves no member row.
	if _, err := s.UpdateTeam(ctx, "own", tm.ID, proto.TeamUpdate{Name: ptr("z")}, 4); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Team(ctx, tm.ID); got.MemberVer != v0+2 {
		t.Errorf("MemberVer moved by an info update: %d", got.MemberVer)
	}
	_, _, err = s.TeamMembers(ctx, "nope", 0, 0, "", 10)
	wantCode(t, "no such team", err, proto.CodeTeamNotFound)
}

// UpdateMember and SetTeamNotify: who may set what, MemberVer moves (not
// for notify); a nick or custom change reaches every valid member's log,
// notify only the member's own.
func testTeamMemberInfo(t *testing.T, s store.Store) {
	ctx := t.Context()
	users(t, s, "own", "a", "b")
	tm := mkTeam(t, s, "own", proto.TeamAdvanced, nil, "a", "b")
	_, err := s.UpdateMember(ctx, "a", tm.ID, "b", ptr("x"), nil, 2)
	wantCode(t, "a names b", err, proto.CodeTeamPermission)
	_, err = s.UpdateMember(ctx, "own", tm.ID, "b", nil, ptr("c"), 2)
	wantCode(t, "own sets b's custom", err, proto.CodeTeamPermission)
	w, err := s.UpdateMember(ctx, "own", tm.ID, "b", ptr("bee"), nil, 2)
	if err != nil || member(t, s, tm.ID, "b").Nick != "bee" {
		t.Fatalf("own names b: %v", err)
	}
	// A nick change is a member change: every valid member's log gets the
	// team with the moved MemberVer (and its own row); no message.
	if len(w.Msgs) != 0 || !reflect.DeepEqual(accountsOf(w, proto.ChangeTeam), []string{"a", "b", "own"}) {
		t.Errorf("member update wrote %+v", w)
	}
	if st, _ := teamState(t, s, "a", tm.ID); st.Team.MemberVer != member(t, s, tm.ID, "b").Ver || st.Me.Account != "a" {
		t.Errorf("a's state after b's nick: %+v (b's row ver %d)", st, member(t, s, tm.ID, "b").Ver)
	}
	if w, err := s.UpdateMember(ctx, "b", tm.ID, "b", ptr("bee"), nil, 3); err != nil || len(w.Changes) != 0 {
		t.Errorf("same nick wrote %+v, %v", w, err)
	}
	if _, err := s.UpdateMember(ctx, "b", tm.ID, "b", nil, ptr("cu"), 3); err != nil || member(t, s, tm.ID, "b").Custom != "cu" {
		t.Fatalf("b's custom: %v", err)
	}
	ver := member(t, s, tm.ID, "b").Ver
	w, err = s.SetTeamNotify(ctx, "b", tm.ID, proto.NotifyNone, 4)
	if err != nil || len(w.Msgs) != 0 || !reflect.DeepEqual(accountsOf(w, proto.ChangeTeam), []string{"b"}) {
		t.Fatalf("SetTeamNotify: %+v, %v", w, err)
	}
	// Notify is private: it moves neither the row's Ver nor MemberVer.
	if m := member(t, s, tm.ID, "b"); m.Notify != proto.NotifyNone || m.Ver != ver {
		t.Errorf("b's row %+v", m)
	}
	if st, _ := teamState(t, s, "b", tm.ID); st.Me.Notify != proto.NotifyNone {
		t.Errorf("b's state %+v", st)
	}
	_, err = s.SetTeamNotify(ctx, "b", tm.ID, 9, 4)
	wantCode(t, "notify 9", err, 414)
}

// A super team: advanced rules, chat type 5, note types 15–18, 2,000
// members by default; its creation with 2,000 members stores one message.
func testTeamSuper(t *testing.T, s store.Store) {
	ctx := t.Context()
	var accs []string
	for i := range proto.DefaultSuperMembers {
		accs = append(accs, fmt.Sprintf("u%04d", i))
	}
	users(t, s, accs...)
	users(t, s, "x", "y")
	tm := mkTeam(t, s, "u0000", proto.TeamSuper, nil, accs[1:]...)
	if tm.MaxMembers != proto.DefaultSuperMembers || tm.Members != proto.DefaultSuperMembers {
		t.Fatalf("super team %+v", tm)
	}
	ms, _ := teamMsgs(t, s, tm.ID)
	if len(ms) != 1 || ms[0].ChatType != proto.ChatSuperTeam {
		t.Fatalf("creation stored %d messages: %+v", len(ms), ms)
	}
	if c := conv(t, s, "u1999", proto.TeamConv(tm.ID)); c.ChatType != proto.ChatSuperTeam || c.Unread != 1 {
		t.Errorf("u1999's conversation %+v", c)
	}
	w, err := s.UpdateTeam(ctx, "u0000", tm.ID, proto.TeamUpdate{Announcement: ptr("hello")}, 2)
	if err != nil || len(w.Msgs) != 1 || len(accountsOf(w, proto.ChangeTeam)) != proto.DefaultSuperMembers {
		t.Fatalf("update: %d msgs, %d changes, %v", len(w.Msgs), len(w.Changes), err)
	}
	if ms, _ := teamMsgs(t, s, tm.ID); len(ms) != 2 {
		t.Errorf("%d messages after one update", len(ms))
	}
	_, _, _, err = s.InviteToTeam(ctx, "u0000", tm.ID, []string{"x"}, "", false, 3)
	wantCode(t, "the 2,001st member", err, proto.CodeTeamMemberLimit)

	// Note types 15–18 on a smaller super team.
	st := mkTeam(t, s, "x", proto.TeamSuper, func(r *proto.CreateTeamReq) { r.BeInviteMode = 0; r.JoinMode = proto.JoinApproval }, "u0001")
	if ns := notes(t, s, "u0001"); len(ns) != 1 || ns[0].Type != proto.NoteSuperInvite {
		t.Fatalf("u0001's notes %+v", ns)
	}
	if _, err := s.AnswerInvitation(ctx, "u0001", st.ID, "x", false, "", 4); err != nil {
		t.Fatal(err)
	}
	if ns := notes(t, s, "x"); len(ns) != 1 || ns[0].Type != proto.NoteSuperInviteReject {
		t.Fatalf("x's notes %+v", ns)
	}
	if _, _, err := s.ApplyToTeam(ctx, "y", st.ID, "", 5); err != nil {
		t.Fatal(err)
	}
	if ns := notes(t, s, "x"); len(ns) != 2 || ns[1].Type != proto.NoteSuperApply {
		t.Fatalf("x's notes %+v", ns)
	}
	if _, err := s.AnswerApplication(ctx, "x", st.ID, "y", false, "", 6); err != nil {
		t.Fatal(err)
	}
	if ns := notes(t, s, "y"); len(ns) != 1 || ns[0].Type != proto.NoteSuperApplyReject {
		t.Fatalf("y's notes %+v", ns)
	}
	if _, err := s.SetManagers(ctx, "x", st.ID, []string{"u0001"}, true, 7); teamCode(err) != proto.CodeTeamNotMember {
		t.Errorf("managers of a super team: %v", err)
	}
}

// Concurrent applications never overfill a team: exactly the free places
// are taken, the others get 801, and the counts agree.
func testTeamConcurrentJoins(t *testing.T, s store.Store) {
	ctx := t.Context()
	var accs []string
	for i := range 20 {
		accs = append(accs, fmt.Sprint("c", i))
	}
	users(t, s, "own")
	users(t, s, accs...)
	tm := mkTeam(t, s, "own", proto.TeamAdvanced, func(r *proto.CreateTeamReq) { r.MaxMembers = 10 })
	var wg sync.WaitGroup
	codes := make([]int, len(accs))
	for i, a := range accs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := s.ApplyToTeam(ctx, a, tm.ID, "", 2)
			codes[i] = teamCode(err)
		}()
	}
	wg.Wait()
	joined, full := 0, 0
	for _, c := range codes {
		switch c {
		case 0:
			joined++
		case proto.CodeTeamMemberLimit:
			full++
		default:
			t.Errorf("apply: code %d", c)
		}
	}
	got, err := s.Team(ctx, tm.ID)
	accounts, err2 := s.TeamAccounts(ctx, tm.ID)
	if joined != 9 || full != 11 || err != nil || err2 != nil || got.Members != 10 || len(accounts) != 10 {
		t.Errorf("joined %d, full %d, team %+v (%v), accounts %v (%v)", joined, full, got, err, accounts, err2)
	}
	if ms, _ := teamMsgs(t, s, tm.ID); len(ms) != 10 {
		t.Errorf("%d messages, want 10", len(ms))
	}
}
