package core

import (
	"slices"
	"strings"
	"testing"

	"yunxin/proto"
)

// These tests drive the team appliers and the member store over one
// MemCache shared by two tabs (two Clients), with no network.

// teamEvents returns the team events recorded, as "eventType detail", and
// forgets them.
func (rec *recorder) teamEvents() []string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var out []string
	for _, e := range rec.events {
		d, ok := e.Data.(TeamEvent)
		if !ok {
			continue
		}
		s := d.EventType
		if d.Team != nil {
			s += " " + d.Team.TeamID + "/" + d.Team.TeamName
		}
		for _, m := range d.UpdateMembers {
			s += " +" + m.UserID
			if m.IsMuted {
				s += "(muted)"
			}
		}
		for _, m := range d.RemovedMembers {
			s += " -" + m.UserID
		}
		out = append(out, s)
	}
	rec.events = nil
	return out
}

func wantTeamEvents(t *testing.T, who string, rec *recorder, want ...string) {
	t.Helper()
	if got := rec.teamEvents(); !slices.Equal(got, want) {
		t.Fatalf("%s's team events\n got %q\nwant %q", who, got, want)
	}
}

func teamState(name string, memberVer int64, valid, dismissed bool) proto.TeamState {
	return proto.TeamState{
		Team: proto.Team{ID: "t1", Name: name, Type: proto.TeamAdvanced, Owner: "alice", MemberVer: memberVer, Members: 2, Dismissed: dismissed},
		Me:   proto.TeamMember{TeamID: "t1", Account: "alice", Type: proto.MemberOwner, Valid: valid, Ver: 1},
	}
}

func storeMembers(t *testing.T, c *Client, r *run, cursor int64, ms ...proto.TeamMember) {
	t.Helper()
	if err := c.change(r, func(tx *tx) { tx.storeMembers("t1", ms, cursor) }); err != nil {
		t.Fatal(err)
	}
}

// TestTeamEventsOncePerTab: each tab over one cache reports each team
// change once, and a tab meeting a change older than what another tab
// stored reports what the cache kept, never the stale state.
func TestTeamEventsOncePerTab(t *testing.T) {
	cache := NewMemCache()
	a, ra, recA := offline(t, cache, false)
	b, rb, recB := offline(t, cache.Reopen(), false)

	// Both tabs meet the team's arrival: each reports it once.
	pushChange(a, ra, 10, proto.ChangeTeam, "t1", teamState("v10", 1, true, false))
	pushChange(b, rb, 10, proto.ChangeTeam, "t1", teamState("v10", 1, true, false))
	wantTeamEvents(t, "A", recA, "onTeamAdded t1/v10")
	wantTeamEvents(t, "B", recB, "onTeamAdded t1/v10")

	// A meets two renames; B meets the first late: the cache kept the
	// second, which B reports once; the second then changes nothing.
	pushChange(a, ra, 11, proto.ChangeTeam, "t1", teamState("v11", 1, true, false))
	pushChange(a, ra, 12, proto.ChangeTeam, "t1", teamState("v12", 1, true, false))
	wantTeamEvents(t, "A", recA, "onTeamUpdated t1/v11", "onTeamUpdated t1/v12")
	pushChange(b, rb, 11, proto.ChangeTeam, "t1", teamState("v11", 1, true, false))
	wantTeamEvents(t, "B", recB, "onTeamUpdated t1/v12")
	pushChange(b, rb, 12, proto.ChangeTeam, "t1", teamState("v12", 1, true, false))
	wantTeamEvents(t, "B", recB)
	if v, _ := b.AllMyTeams(t.Context()); len(v) != 1 || v[0].TeamName != "v12" {
		t.Fatalf("B's teams %+v", v)
	}

	// Members: the first fetch is no news; a change is reported once per
	// tab; a tab storing a row older than the cache's reports the cache's.
	alice := proto.TeamMember{TeamID: "t1", Account: "alice", Type: proto.MemberOwner, Valid: true, Ver: 1}
	bob := proto.TeamMember{TeamID: "t1", Account: "bob", Valid: true, Ver: 2}
	storeMembers(t, a, ra, 2, alice, bob)
	storeMembers(t, b, rb, 2, alice, bob)
	wantTeamEvents(t, "A", recA)
	wantTeamEvents(t, "B", recB)
	mutedBob := bob
	mutedBob.Muted, mutedBob.Ver = true, 3
	storeMembers(t, a, ra, 3, mutedBob)
	storeMembers(t, b, rb, 3, mutedBob)
	wantTeamEvents(t, "A", recA, "onTeamMemberChanged t1/v12 +bob(muted)")
	wantTeamEvents(t, "B", recB, "onTeamMemberChanged t1/v12 +bob(muted)")
	goneBob := mutedBob
	goneBob.Valid, goneBob.Ver = false, 4
	carol := proto.TeamMember{TeamID: "t1", Account: "carol", Valid: true, Ver: 5}
	storeMembers(t, a, ra, 5, goneBob, carol)
	wantTeamEvents(t, "A", recA, "onTeamMemberRemoved t1/v12 -bob", "onTeamMemberChanged t1/v12 +carol")
	unmutedBob := mutedBob // B meets an older row of bob (Ver 3): the cache keeps his leaving
	storeMembers(t, b, rb, 3, unmutedBob)
	storeMembers(t, b, rb, 5, goneBob, carol)
	got := recB.teamEvents()
	slices.Sort(got)
	if want := []string{"onTeamMemberChanged t1/v12 +carol", "onTeamMemberRemoved t1/v12 -bob"}; !slices.Equal(got, want) {
		t.Fatalf("B's member events %q, want %q", got, want)
	}
	ms, err := b.FetchTeamMembers(t.Context(), "t1")
	if err != nil || len(ms) != 2 || ms[0].UserID != "alice" || ms[1].UserID != "carol" {
		t.Fatalf("B's members %+v %v", ms, err)
	}

	// The dismissal: each tab reports it once; the team stays cached.
	pushChange(a, ra, 13, proto.ChangeTeam, "t1", teamState("v12", 6, false, true))
	pushChange(b, rb, 13, proto.ChangeTeam, "t1", teamState("v12", 6, false, true))
	// (Its members were fetched: the own row's end is a member event too.)
	wantTeamEvents(t, "A", recA, "onTeamRemoved t1/v12", "onTeamMemberRemoved t1/v12 -alice")
	wantTeamEvents(t, "B", recB, "onTeamRemoved t1/v12", "onTeamMemberRemoved t1/v12 -alice")
	if mine, _ := b.IsMyTeam(t.Context(), "t1"); mine {
		t.Fatal("a dismissed team is B's")
	}
	if n, err := b.FetchTeamNotifyState(t.Context(), "t1"); err != nil || n != 0 {
		t.Fatalf("the dismissed team is not cached: %d %v", n, err)
	}
	if v, _ := a.AllMyTeams(t.Context()); len(v) != 0 {
		t.Fatalf("A's teams %+v", v)
	}
	if logs := recA.logText() + recB.logText(); strings.Contains(logs, "skipping") {
		t.Fatalf("changes skipped: %s", logs)
	}
}
