package core

import (
	"testing"

	"yunxin/proto"
)

// A tab whose (stale) member page commits after another tab moved the
// shared cursor further must not adopt that cursor without the rows behind
// it: it keeps its own, so its next refresh fetches what it lacks.
func TestTeamCursorNotAdoptedWithoutRows(t *testing.T) {
	cache := NewMemCache()
	a, ra, _ := offline(t, cache, false)
	b, rb, _ := offline(t, cache.Reopen(), false)
	pushChange(a, ra, 10, proto.ChangeTeam, "t1", teamState("v", 2, true, false))
	pushChange(b, rb, 10, proto.ChangeTeam, "t1", teamState("v", 2, true, false))
	alice := proto.TeamMember{TeamID: "t1", Account: "alice", Type: proto.MemberOwner, Valid: true, Ver: 1}
	bob := proto.TeamMember{TeamID: "t1", Account: "bob", Valid: true, Ver: 2}
	storeMembers(t, a, ra, 2, alice, bob)
	storeMembers(t, b, rb, 2, alice, bob)
	carol := proto.TeamMember{TeamID: "t1", Account: "carol", Valid: true, Ver: 3}
	dave := proto.TeamMember{TeamID: "t1", Account: "dave", Valid: true, Ver: 4}
	storeMembers(t, a, ra, 4, carol, dave) // A's refresh saw both joins
	storeMembers(t, b, rb, 3, carol)       // B's refresh was asked before dave joined
	b.mu.Lock()
	cur, _ := memberCursor(rb.st.lookup, "t1")
	_, hasDave := memberOf(rb.st.lookup, "t1", "dave")
	b.mu.Unlock()
	ms, _ := b.FetchTeamMembers(t.Context(), "t1")
	t.Logf("B cursor %d, dave in B's memory %v, B's members %d", cur, hasDave, len(ms))
	if cur >= 4 && !hasDave {
		t.Fatalf("B claims its member list complete up to %d but lacks dave (Ver 4): %+v", cur, ms)
	}
}
