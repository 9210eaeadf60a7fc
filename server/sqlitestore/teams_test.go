package sqlitestore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"strconv"
	"testing"

	"yunxin/proto"
	"yunxin/server/store"
)

// Migration 5 can be undone and done again: down removes the teams, their
// conversations, messages, log entries and notifications, and leaves
// everything else; team ids never go back.
func TestMigrateTeamsDownUp(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	s := open(t, dir, nil)
	for _, a := range []string{"own", "a", "b"} {
		if err := s.CreateUser(ctx, store.User{Accid: a, Salt: []byte{1}, TokenHash: []byte{2}, CreatedMs: 1}); err != nil {
			t.Fatal(err)
		}
	}
	tm, _, _, err := s.CreateTeam(ctx, "own", proto.CreateTeamReq{Name: "t", Type: proto.TeamAdvanced, Members: []string{"a"}}, 0, 2)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.ApplyToTeam(ctx, "b", tm.ID, "", 3); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Send(ctx, proto.Msg{From: "own", To: "b", Conv: proto.P2PConv("b", "own"), ClientID: "p2p", Body: []byte(`{"text":"x"}`)}, 4); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Befriend(ctx, "a", "own", proto.FriendRequest, "", 4); err != nil {
		t.Fatal(err)
	}
	s.Close()

	db, p := migrator(t, dir)
	if _, err := p.DownTo(ctx, 4); err != nil {
		t.Fatalf("down to 4: %v", err)
	}
	count := func(q string) int {
		t.Helper()
		var n int
		if err := db.QueryRow(q).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}
	if n := count(`SELECT COUNT(*) FROM sqlite_master WHERE name IN ('teams', 'team_members')`); n != 0 {
		t.Errorf("%d team tables after down", n)
	}
	for q, want := range map[string]int{
		`SELECT COUNT(*) FROM messages`:                        1, // the P2P one
		`SELECT COUNT(*) FROM conversations`:                   1,
		`SELECT COUNT(*) FROM members WHERE conv LIKE 't:%'`:   0,
		`SELECT COUNT(*) FROM notes`:                           1, // the friend request
		`SELECT COUNT(*) FROM changes WHERE kind = 'team'`:     0,
		`SELECT COUNT(*) FROM changes WHERE kind = 'sysnote'`:  1,
		`SELECT COUNT(*) FROM counters WHERE name = 'team_id'`: 1,
	} {
		if got := count(q); got != want {
			t.Errorf("%s = %d after down, want %d", q, got, want)
		}
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("up again: %v", err)
	}
	s = open(t, dir, nil)
	_, err = s.Team(ctx, tm.ID)
	if code := teamCode(err); code != proto.CodeTeamNotFound {
		t.Errorf("old team after down and up: %v", err)
	}
	tm2, _, _, err := s.CreateTeam(ctx, "own", proto.CreateTeamReq{Name: "t2", Type: proto.TeamNormal}, 0, 5)
	if err != nil {
		t.Fatal(err)
	}
	if old, _ := strconv.Atoi(tm.ID); mustAtoi(t, tm2.ID) <= old {
		t.Errorf("team id %s after down and up, not above %s", tm2.ID, tm.ID)
	}
	if ok, err := s.IsMember(ctx, "a", proto.TeamConv(tm.ID)); err != nil || ok {
		t.Errorf("a is still a member of the old team's conversation: %v", err)
	}
}

// teamCode is the code of a *store.TeamError err (-1: not one).
func teamCode(err error) int {
	var te *store.TeamError
	if errors.As(err, &te) {
		return te.Code
	}
	return -1
}

// mustAtoi parses a team id, failing t.
func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// BenchmarkTeamFanoutLog measures one team update of a 2,000-member super
// team: its notification message and the ChangeTeam appended to every
// member's log (each with that member's own row), on a real file.
func BenchmarkTeamFanoutLog(b *testing.B) {
	s := open(b, b.TempDir(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx := context.Background()
	var members []string
	for i := range proto.DefaultSuperMembers {
		a := fmt.Sprintf("u%04d", i)
		members = append(members, a)
		if err := s.CreateUser(ctx, store.User{Accid: a, Salt: []byte{1}, TokenHash: []byte{2}, CreatedMs: 1}); err != nil {
			b.Fatal(err)
		}
	}
	tm, _, _, err := s.CreateTeam(ctx, members[0], proto.CreateTeamReq{Name: "big", Type: proto.TeamSuper,
		BeInviteMode: proto.BeInviteAtOnce, Members: members[1:]}, 0, 1)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; b.Loop(); i++ {
		intro := fmt.Sprint("intro ", i)
		w, err := s.UpdateTeam(ctx, members[0], tm.ID, proto.TeamUpdate{Intro: &intro}, int64(2+i))
		if err != nil || len(w.Changes) != proto.DefaultSuperMembers {
			b.Fatalf("%d changes, %v", len(w.Changes), err)
		}
	}
}

// TestTeamAccountsCached: a team's member list is read once per member
// version (the same list when asked again unchanged); an invite, a kick
// and a dismissal are seen at once.
func TestTeamAccountsCached(t *testing.T) {
	s := gcStore(t, 3)
	ctx := t.Context()
	tm, failed, _, err := s.CreateTeam(ctx, "u0", proto.CreateTeamReq{Name: "t", Type: proto.TeamNormal,
		BeInviteMode: proto.BeInviteAtOnce, Members: []string{"u1"}}, 0, 1000)
	if err != nil || len(failed) > 0 {
		t.Fatalf("create: %v %v", failed, err)
	}
	accounts := func(want ...string) []string {
		t.Helper()
		got, err := s.TeamAccounts(ctx, tm.ID)
		if err != nil || !reflect.DeepEqual(got, append([]string{}, want...)) {
			t.Fatalf("TeamAccounts = %v, %v; want %v", got, err, want)
		}
		return got
	}
	first := accounts("u0", "u1")
	if again := accounts("u0", "u1"); &again[0] != &first[0] {
		t.Error("the unchanged list was read again")
	}
	if _, _, _, err := s.InviteToTeam(ctx, "u0", tm.ID, []string{"u2"}, "", false, 2000); err != nil {
		t.Fatal(err)
	}
	accounts("u0", "u1", "u2")
	if _, err := s.KickFromTeam(ctx, "u0", tm.ID, []string{"u1"}, 3000); err != nil {
		t.Fatal(err)
	}
	accounts("u0", "u2")
	if _, err := s.DismissTeam(ctx, "u0", tm.ID, 4000); err != nil {
		t.Fatal(err)
	}
	accounts()
	if got, err := s.TeamAccounts(ctx, "999999"); err != nil || len(got) != 0 {
		t.Fatalf("TeamAccounts of no team = %v, %v", got, err)
	}
}
