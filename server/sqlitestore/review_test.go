package sqlitestore

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"yunxin/proto"
	"yunxin/server/store"
)

func revUsers(t *testing.T, s *Store, accs ...string) {
	t.Helper()
	for _, a := range accs {
		if err := s.CreateUser(t.Context(), store.User{Accid: a, Salt: []byte{1}, TokenHash: []byte{2}, CreatedMs: 1}); err != nil {
			t.Fatal(err)
		}
	}
}

func revCode(err error) int {
	if err == nil {
		return 0
	}
	var te *store.TeamError
	if errors.As(err, &te) {
		return te.Code
	}
	return -1
}

// R1: a kicked member rejoins by accepting a stale (duplicate) invitation.
func TestRevStaleInvitationAfterKick(t *testing.T) {
	ctx := t.Context()
	s := open(t, t.TempDir(), nil)
	revUsers(t, s, "own", "x")
	tm, _, _, err := s.CreateTeam(ctx, "own", proto.CreateTeamReq{Name: "t", Type: proto.TeamAdvanced}, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ { // invited twice (e.g. a retry): two pending notes
		if _, _, _, err := s.InviteToTeam(ctx, "own", tm.ID, []string{"x"}, "", false, 2); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.AnswerInvitation(ctx, "x", tm.ID, "own", true, "", 3); err != nil {
		t.Fatal(err)
	}
	if _, err := s.KickFromTeam(ctx, "own", tm.ID, []string{"x"}, 4); err != nil {
		t.Fatal(err)
	}
	_, err = s.AnswerInvitation(ctx, "x", tm.ID, "own", true, "", 5)
	if m, _ := s.TeamMember(ctx, tm.ID, "x"); err == nil && m.Valid {
		t.Errorf("kicked x rejoined on its own with a stale invitation (err %v)", err)
	}
}

// R1b: an invitation outlives a join by application and a kick.
func TestRevStaleInvitationAfterApply(t *testing.T) {
	ctx := t.Context()
	s := open(t, t.TempDir(), nil)
	revUsers(t, s, "own", "x")
	tm, _, _, err := s.CreateTeam(ctx, "own", proto.CreateTeamReq{Name: "t", Type: proto.TeamAdvanced}, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := s.InviteToTeam(ctx, "own", tm.ID, []string{"x"}, "", false, 2); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.ApplyToTeam(ctx, "x", tm.ID, "", 3); err != nil { // JoinAnyone
		t.Fatal(err)
	}
	if _, err := s.KickFromTeam(ctx, "own", tm.ID, []string{"x"}, 4); err != nil {
		t.Fatal(err)
	}
	_, err = s.AnswerInvitation(ctx, "x", tm.ID, "own", true, "", 5)
	if m, _ := s.TeamMember(ctx, tm.ID, "x"); err == nil && m.Valid {
		t.Errorf("kicked x rejoined with the invitation it had before joining (err %v)", err)
	}
}

// R2: a normal team created with a muteMode mutes its members for good.
func TestRevNormalTeamMuteMode(t *testing.T) {
	ctx := t.Context()
	s := open(t, t.TempDir(), nil)
	revUsers(t, s, "own", "a")
	tm, _, _, err := s.CreateTeam(ctx, "own", proto.CreateTeamReq{Name: "t", Type: proto.TeamNormal, MuteMode: proto.MuteAll, Members: []string{"a"}}, 0, 1)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if c := revCode(revSend(t, s, tm, "a")); c != 0 {
		_, uerr := s.UpdateTeam(ctx, "own", tm.ID, proto.TeamUpdate{MuteMode: ptr(proto.MuteNone)}, 2)
		_, merr := s.UpdateTeam(ctx, "", tm.ID, proto.TeamUpdate{MuteMode: ptr(proto.MuteNone)}, 2)
		t.Errorf("member of a normal team: SendTeam %d; undo by owner: %d, by app server: %d", c, revCode(uerr), revCode(merr))
	}
}

// R3: the client's maxMembers is not capped by the caller's limit.
func TestRevMaxMembersUncapped(t *testing.T) {
	ctx := t.Context()
	s := open(t, t.TempDir(), nil)
	revUsers(t, s, "own", "a", "b", "c")
	tm, _, _, err := s.CreateTeam(ctx, "own", proto.CreateTeamReq{Name: "t", Type: proto.TeamNormal, MaxMembers: 1_000_000, Members: []string{"a", "b", "c"}}, 3, 1)
	if err == nil {
		t.Errorf("caller's limit 3, team created with %d members and MaxMembers %d", tm.Members, tm.MaxMembers)
	}
}

// R4: a muted member made owner stays muted, and nobody can unmute it.
func TestRevMutedOwner(t *testing.T) {
	ctx := t.Context()
	s := open(t, t.TempDir(), nil)
	revUsers(t, s, "own", "a")
	tm, _, _, err := s.CreateTeam(ctx, "own", proto.CreateTeamReq{Name: "t", Type: proto.TeamAdvanced, BeInviteMode: 1, Members: []string{"a"}}, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.MuteMember(ctx, "own", tm.ID, "a", true, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := s.TransferTeam(ctx, "own", tm.ID, "a", false, 3); err != nil {
		t.Fatal(err)
	}
	if c := revCode(revSend(t, s, tm, "a")); c != 0 {
		_, e1 := s.MuteMember(ctx, "a", tm.ID, "a", false, 4)
		_, e2 := s.MuteMember(ctx, "", tm.ID, "a", false, 4)
		t.Errorf("new owner a: SendTeam %d; unmute by a: %d, by the app server: %d", c, revCode(e1), revCode(e2))
	}
}

// R5: AnswerApplication's lookup scans the whole notes table.
func TestRevApplicationQueryPlan(t *testing.T) {
	s := open(t, t.TempDir(), nil)
	rows, err := s.r.QueryContext(t.Context(), `EXPLAIN QUERY PLAN SELECT id, account FROM notes WHERE src = ? AND target = ? AND type = ? AND status = ? ORDER BY id`, "a", "1", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, nu int
		var d string
		rows.Scan(&id, &parent, &nu, &d)
		plan = append(plan, d)
	}
	if p := strings.Join(plan, "; "); strings.Contains(p, "SCAN notes") && !strings.Contains(p, "INDEX") || strings.Contains(p, "SCAN notes USING INTEGER PRIMARY KEY") {
		t.Errorf("plan: %s", p)
	}
}

// R6: TransferTeam lets an account own more than MaxTeamsCreated teams.
func TestRevTransferPastCreateLimit(t *testing.T) {
	ctx := t.Context()
	s := open(t, t.TempDir(), nil)
	revUsers(t, s, "own", "a")
	for i := 0; i < proto.MaxTeamsCreated; i++ {
		if _, _, _, err := s.CreateTeam(ctx, "a", proto.CreateTeamReq{Name: "t"}, 0, 1); err != nil {
			t.Fatal(err)
		}
	}
	tm, _, _, err := s.CreateTeam(ctx, "own", proto.CreateTeamReq{Name: "t", Members: []string{"a"}}, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.TransferTeam(ctx, "own", tm.ID, "a", false, 2); err == nil {
		var n int
		s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM teams WHERE owner = 'a' AND dismissed = 0`).Scan(&n)
		t.Errorf("a owns %d teams after the transfer", n)
	}
}

// R7: a client-chosen P2P clientId that collides with the team notifications'
// "tn-<tid>-<seq>" (the server's send op refuses it) gives a clear error.
func TestRevClientIDCollision(t *testing.T) {
	ctx := t.Context()
	s := open(t, t.TempDir(), nil)
	revUsers(t, s, "own", "a")
	tm, _, _, err := s.CreateTeam(ctx, "own", proto.CreateTeamReq{Name: "t", Type: proto.TeamAdvanced, BeInviteMode: 1, Members: []string{"a"}}, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Send(ctx, proto.Msg{From: "own", To: "a", Conv: proto.P2PConv("a", "own"), ClientID: "tn-" + tm.ID + "-2", Body: []byte(`{"text":"x"}`)}, 2); err != nil {
		t.Fatal(err)
	}
	_, err = s.DismissTeam(ctx, "", tm.ID, 3)
	if err == nil || !strings.Contains(err.Error(), "client ids starting tn- are reserved") {
		t.Errorf("the app server's dismiss past a colliding client id: %v", err)
	}
}

// R8: the same fan-out with the team's text fields at their limits, and
// one member's own nick change (no rights needed).
func BenchmarkRevFanoutBig(b *testing.B) {
	s := open(b, b.TempDir(), nil)
	ctx := b.Context()
	var members []string
	for i := range proto.DefaultSuperMembers {
		a := "u" + strings.Repeat("0", 4-len(itoa(i))) + itoa(i)
		members = append(members, a)
		if err := s.CreateUser(ctx, store.User{Accid: a, Salt: []byte{1}, TokenHash: []byte{2}, CreatedMs: 1}); err != nil {
			b.Fatal(err)
		}
	}
	tm, _, _, err := s.CreateTeam(ctx, members[0], proto.CreateTeamReq{Name: "big", Type: proto.TeamSuper,
		BeInviteMode: proto.BeInviteAtOnce, Members: members[1:], Announcement: strings.Repeat("公", revN),
		Intro: strings.Repeat("介", revN/2), ClientCustom: strings.Repeat("c", revN)}, 0, 1)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; b.Loop(); i++ {
		nick := "n" + itoa(i)
		w, err := s.UpdateMember(ctx, members[5], tm.ID, members[5], &nick, nil, int64(2+i))
		if err != nil || len(w.Changes) != len(members) { // every valid member's log
			b.Fatalf("%d changes, %v", len(w.Changes), err)
		}
	}
}

// revSend sends a new text message from acc to tm and returns the
// refusal (nil: stored).
func revSend(t *testing.T, s *Store, tm proto.Team, acc string) error {
	cid := "rev" + itoa(int(revSends.Add(1)))
	_, _, err := s.SendTeam(t.Context(), proto.Msg{From: acc, To: tm.ID, Conv: proto.TeamConv(tm.ID), ChatType: proto.TeamChatType(tm.Type),
		ClientID: cid, Type: proto.MsgText, Body: []byte(`{"text":"x"}`)}, 10)
	return err
}

// revSends numbers revSend's client ids.
var revSends atomic.Int64

func itoa(i int) string { return strconv.Itoa(i) }

var revN = func() int { n, _ := strconv.Atoi(os.Getenv("REVN")); return n }()

// Expiry: a join by application expires the pending invitation (and
// answering it is 404); a leave expires a pending application's copies.
func TestTeamNotesExpire(t *testing.T) {
	ctx := t.Context()
	s := open(t, t.TempDir(), nil)
	revUsers(t, s, "own", "x", "y")
	tm, _, _, err := s.CreateTeam(ctx, "own", proto.CreateTeamReq{Name: "t", Type: proto.TeamAdvanced}, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := s.InviteToTeam(ctx, "own", tm.ID, []string{"x"}, "", false, 2); err != nil {
		t.Fatal(err)
	}
	_, w, err := s.ApplyToTeam(ctx, "x", tm.ID, "", 3)
	if err != nil {
		t.Fatal(err)
	}
	expired := 0
	for _, ch := range w.Changes {
		if ch.Account == "x" && ch.Kind == proto.ChangeNote && strings.Contains(string(ch.Data), `"status":4`) {
			expired++
		}
	}
	if expired != 1 {
		t.Errorf("%d expired-note changes for x, want 1: %+v", expired, w.Changes)
	}
	if _, err := s.AnswerInvitation(ctx, "x", tm.ID, "own", true, "", 4); revCode(err) != 404 {
		t.Errorf("answer an expired invitation: %v", err)
	}
	// An application pending, then the applicant is added by invitation.
	if _, err := s.UpdateTeam(ctx, "own", tm.ID, proto.TeamUpdate{JoinMode: ptr(proto.JoinApproval), BeInviteMode: ptr(proto.BeInviteAtOnce)}, 5); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.ApplyToTeam(ctx, "y", tm.ID, "", 6); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := s.InviteToTeam(ctx, "own", tm.ID, []string{"y"}, "", false, 7); err != nil {
		t.Fatal(err)
	}
	if _, err := s.QuitTeam(ctx, "y", tm.ID, 8); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AnswerApplication(ctx, "own", tm.ID, "y", true, "", 9); revCode(err) != 404 {
		t.Errorf("answer an application whose applicant joined and left: %v", err)
	}
	if m, _ := s.TeamMember(ctx, tm.ID, "y"); m.Valid {
		t.Error("y rejoined by a stale application")
	}
}

// An invitation whose inviter lost the right to invite is refused.
func TestTeamInvitationInviterGone(t *testing.T) {
	ctx := t.Context()
	s := open(t, t.TempDir(), nil)
	revUsers(t, s, "own", "m", "x")
	tm, _, _, err := s.CreateTeam(ctx, "own", proto.CreateTeamReq{Name: "t", Type: proto.TeamAdvanced, BeInviteMode: proto.BeInviteAtOnce, Members: []string{"m"}}, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateTeam(ctx, "own", tm.ID, proto.TeamUpdate{BeInviteMode: ptr(proto.BeInviteNeedsConsent)}, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetManagers(ctx, "own", tm.ID, []string{"m"}, true, 3); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := s.InviteToTeam(ctx, "m", tm.ID, []string{"x"}, "", false, 4); err != nil {
		t.Fatal(err)
	}
	if _, err := s.KickFromTeam(ctx, "own", tm.ID, []string{"m"}, 5); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AnswerInvitation(ctx, "x", tm.ID, "m", true, "", 6); revCode(err) != 404 {
		t.Errorf("accept the invitation of a kicked manager: %v", err)
	}
}

// Normal teams store no modes; member-only changes reach one log; notify
// does not move MemberVer; JoinSeq is the conversation's last seq at join.
func TestTeamNormalModesAndMemberChanges(t *testing.T) {
	ctx := t.Context()
	s := open(t, t.TempDir(), nil)
	revUsers(t, s, "own", "a", "b")
	tm, _, _, err := s.CreateTeam(ctx, "own", proto.CreateTeamReq{Name: "t", Type: proto.TeamNormal, JoinMode: proto.JoinNobody, MuteMode: proto.MuteAll, Members: []string{"a"}}, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Team(ctx, tm.ID); got.MuteMode != 0 || got.JoinMode != 0 {
		t.Errorf("normal team stored modes: %+v", got)
	}
	before, _ := s.Team(ctx, tm.ID)
	nick := "n"
	w, err := s.UpdateMember(ctx, "a", tm.ID, "a", &nick, nil, 2)
	if err != nil || len(w.Changes) != 2 { // own and a: a member change reaches every valid member
		t.Fatalf("nick change: %v, %+v", err, w.Changes)
	}
	after, _ := s.Team(ctx, tm.ID)
	if after.MemberVer != before.MemberVer+1 {
		t.Errorf("nick: MemberVer %d -> %d", before.MemberVer, after.MemberVer)
	}
	w, err = s.SetTeamNotify(ctx, "a", tm.ID, proto.NotifyNone, 3)
	if err != nil || len(w.Changes) != 1 {
		t.Fatalf("notify: %v, %+v", err, w.Changes)
	}
	if again, _ := s.Team(ctx, tm.ID); again.MemberVer != after.MemberVer {
		t.Errorf("notify moved MemberVer %d -> %d", after.MemberVer, again.MemberVer)
	}
	if _, _, _, err := s.InviteToTeam(ctx, "own", tm.ID, []string{"b"}, "", false, 4); err != nil {
		t.Fatal(err)
	}
	mb, _ := s.TeamMember(ctx, tm.ID, "b")
	ma, _ := s.TeamMember(ctx, tm.ID, "a")
	if ma.JoinSeq != 0 || mb.JoinSeq != 1 {
		t.Errorf("JoinSeq a %d (want 0), b %d (want 1: after the create notification)", ma.JoinSeq, mb.JoinSeq)
	}
}

// A dismiss expires the invitations of accounts that are not members.
func TestTeamDismissExpiresInvitations(t *testing.T) {
	ctx := t.Context()
	s := open(t, t.TempDir(), nil)
	revUsers(t, s, "own", "x")
	tm, _, _, err := s.CreateTeam(ctx, "own", proto.CreateTeamReq{Name: "t", Type: proto.TeamAdvanced, Members: []string{"x"}}, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	w, err := s.DismissTeam(ctx, "own", tm.ID, 2)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ch := range w.Changes {
		if ch.Account == "x" && ch.Kind == proto.ChangeNote && strings.Contains(string(ch.Data), `"status":4`) {
			n++
		}
	}
	var status int
	s.r.QueryRowContext(ctx, `SELECT status FROM notes WHERE account = 'x' AND target = ?`, tm.ID).Scan(&status)
	if n != 1 || status != proto.NoteExpired {
		t.Errorf("x's invitation after the dismiss: status %d, %d changes", status, n)
	}
}

// BenchmarkTeamInfoUpdateAtLimits: the worst case of a team's fan-out, an
// info update of a 2,000-member super team whose text fields are at their
// limits (each of the 2,000 ChangeTeam entries carries the whole team).
func BenchmarkTeamInfoUpdateAtLimits(b *testing.B) {
	s := open(b, b.TempDir(), nil)
	ctx := b.Context()
	var members []string
	for i := range proto.DefaultSuperMembers {
		a := "u" + strings.Repeat("0", 4-len(itoa(i))) + itoa(i)
		members = append(members, a)
		if err := s.CreateUser(ctx, store.User{Accid: a, Salt: []byte{1}, TokenHash: []byte{2}, CreatedMs: 1}); err != nil {
			b.Fatal(err)
		}
	}
	tm, _, _, err := s.CreateTeam(ctx, members[0], proto.CreateTeamReq{Name: strings.Repeat("名", proto.MaxTeamNameRunes),
		Type: proto.TeamSuper, BeInviteMode: proto.BeInviteAtOnce, Members: members[1:],
		Icon: strings.Repeat("i", proto.MaxTeamIconBytes), Intro: strings.Repeat("介", proto.MaxTeamIntroRunes),
		ClientCustom: strings.Repeat("c", proto.MaxTeamCustomBytes)}, 0, 1)
	if err != nil {
		b.Fatal(err)
	}
	var bytes int
	for i := 0; b.Loop(); i++ {
		ann := strings.Repeat("公", proto.MaxTeamAnnounceRunes-8) + strings.Repeat("0", 8-len(itoa(i))) + itoa(i)
		w, err := s.UpdateTeam(ctx, members[0], tm.ID, proto.TeamUpdate{Announcement: &ann}, int64(2+i))
		if err != nil || len(w.Changes) != proto.DefaultSuperMembers {
			b.Fatalf("%d changes, %v", len(w.Changes), err)
		}
		bytes = 0
		for _, ch := range w.Changes {
			bytes += len(ch.Data)
		}
	}
	b.ReportMetric(float64(bytes), "logbytes/op")
}
