package storetest

import (
	"encoding/json"
	"errors"
	"testing"

	"yunxin/proto"
	"yunxin/server/store"
)

// leftReadTests are the cases of MarkRead on a team conversation its
// member left, run by Run.
var leftReadTests = []struct {
	name string
	fn   func(t *testing.T, s store.Store)
}{
	{"TeamLeftRead", testTeamLeftRead},
	{"TeamDismissedRead", testTeamDismissedRead},
}

// A kicked member keeps its read mark: MarkRead moves it up to LeftSeq
// (clamped there), logs a ChangeConv with the view up to the leave; the
// conversation stays out of its sync and its membership; one who never
// was a member gets ErrNotFound.
func testTeamLeftRead(t *testing.T, s store.Store) {
	ctx := t.Context()
	users(t, s, "own", "a", "carol", "x")
	tm := mkTeam(t, s, "own", proto.TeamAdvanced, nil, "a", "carol")
	cv := proto.TeamConv(tm.ID)
	m1 := teamMsg(t, s, "a", tm, "l1", false, 7000)
	teamMsg(t, s, "a", tm, "l2", false, 7001)
	if _, _, err := s.MarkRead(ctx, "carol", cv, m1.Seq); err != nil {
		t.Fatal(err)
	}
	w, err := s.KickFromTeam(ctx, "own", tm.ID, []string{"carol"}, 7002)
	if err != nil {
		t.Fatal(err)
	}
	left := member(t, s, tm.ID, "carol").LeftSeq
	if left != w.Msgs[0].Seq || isMember(t, s, tm.ID, "carol") {
		t.Fatalf("carol after the kick: LeftSeq %d, kick message %d", left, w.Msgs[0].Seq)
	}
	teamMsg(t, s, "a", tm, "l3", false, 7003) // after the leave: never carol's
	since := lastVer(t, s, "carol")

	// Its mark at the leave is kept: a read at it moves nothing.
	c, ch, err := s.MarkRead(ctx, "carol", cv, m1.Seq)
	if err != nil || ch.Ver != 0 {
		t.Fatalf("MarkRead at the kept mark: %+v %+v, %v", c, ch, err)
	}
	want := proto.Conv{ID: cv, ChatType: proto.ChatTeam, Peer: tm.ID, LastSeq: left, LastTime: 7002, ReadSeq: m1.Seq,
		Unread: 2, NoteUnread: 1, Floor: member(t, s, tm.ID, "carol").JoinSeq}
	c.Ver = 0
	if c != want {
		t.Fatalf("view before the read %+v, want %+v", c, want)
	}

	// A seq above LeftSeq is clamped to it, and logged.
	c, ch, err = s.MarkRead(ctx, "carol", cv, left+5)
	if err != nil || ch.Ver == 0 || ch.Account != "carol" || ch.Kind != proto.ChangeConv || ch.Key != cv {
		t.Fatalf("MarkRead above LeftSeq: %+v %+v, %v", c, ch, err)
	}
	sameChanges(t, s, []store.Change{ch})
	if c.ReadSeq != left || c.LastSeq != left || c.Unread != 0 || c.NoteUnread != 0 {
		t.Fatalf("view after the read %+v, want read and last %d, no unread", c, left)
	}
	var logged proto.Conv
	if err := json.Unmarshal(ch.Data, &logged); err != nil || logged != c {
		t.Fatalf("logged %s, returned %+v", ch.Data, c)
	}
	got := changes(t, s, "carol", since)
	if len(got) != 1 || got[0].Kind != proto.ChangeConv || got[0].Key != cv {
		t.Fatalf("carol's log after the read: %+v", got)
	}
	if _, none, err := s.MarkRead(ctx, "carol", cv, left+5); err != nil || none.Ver != 0 {
		t.Fatalf("MarkRead again: %+v, %v; want no change", none, err)
	}
	// The read does not bring the conversation (or what came after the
	// leave) back to carol's sync, nor makes her a member.
	for _, c := range convs(t, s, "carol", 0) {
		if c.ID == cv {
			t.Fatalf("carol's sync lists the team she left: %+v", c)
		}
	}
	if isMember(t, s, tm.ID, "carol") {
		t.Fatal("the read made carol a member")
	}
	if _, _, err := s.MarkRead(ctx, "x", cv, 1); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("MarkRead by one never a member: %v, want ErrNotFound", err)
	}
}

// A dismissed team's former members keep their marks too.
func testTeamDismissedRead(t *testing.T, s store.Store) {
	ctx := t.Context()
	users(t, s, "own", "a")
	tm := mkTeam(t, s, "own", proto.TeamNormal, nil, "a")
	cv := proto.TeamConv(tm.ID)
	teamMsg(t, s, "own", tm, "d1", false, 8000)
	w, err := s.DismissTeam(ctx, "own", tm.ID, 8001)
	if err != nil {
		t.Fatal(err)
	}
	c, ch, err := s.MarkRead(ctx, "a", cv, w.Msgs[0].Seq)
	if err != nil || ch.Ver == 0 || c.ReadSeq != w.Msgs[0].Seq || c.Unread != 0 {
		t.Fatalf("MarkRead after the dismiss: %+v %+v, %v", c, ch, err)
	}
}
