//go:build !js

package core_test

import (
	"context"
	"fmt"
	"testing"

	"yunxin/core"
	"yunxin/proto"
)

// Paging without persist (the default): a page's last message anchors the
// next though it is not cached — past the roaming window, and after
// deleteAllmessagesInSession removed the cached ones.
func TestHistoryPagingWithoutPersist(t *testing.T) {
	ctx := context.Background()
	ts := startServer(t)
	ts.user("alice")
	ts.user("bob")
	ts.user("carol")
	a := newDevice(t, ts, true)
	a.login("alice")
	total := int64(core.RoamLimit + 30)
	for i := int64(1); i <= total; i++ {
		a.send("bob", fmt.Sprint(i))
	}
	b := newDevice(t, ts, true)
	b.login("bob")
	b.waitFor("roamed", func() bool { return len(b.received()) == core.RoamLimit })
	oldest := b.messages("alice", 100)[0]

	p1 := b.history(core.HistoryParams{SessionID: "alice", MessageID: oldest.MessageID, Limit: 20})
	if fmt.Sprint(seqsOf(p1)) != fmt.Sprint(seqRange(30, 11)) {
		t.Fatalf("first page: %v", seqsOf(p1))
	}
	// Seq 11 is not cached (no persist): it anchors the next page.
	p2 := b.history(core.HistoryParams{SessionID: "alice", MessageID: p1[len(p1)-1].MessageID, Limit: 20})
	if fmt.Sprint(seqsOf(p2)) != fmt.Sprint(seqRange(10, 1)) {
		t.Fatalf("second page: %v", seqsOf(p2))
	}
	p3 := b.history(core.HistoryParams{SessionID: "alice", MessageID: p2[len(p2)-1].MessageID, Limit: 3, Newer: true})
	if fmt.Sprint(seqsOf(p3)) != "[2 3 4]" {
		t.Fatalf("newer page from seq 1: %v", seqsOf(p3))
	}
	if n := len(b.messages("alice", 200)); n != core.RoamLimit {
		t.Fatalf("history without persist cached: %d messages", n)
	}
	// A history message of another session does not anchor this one.
	if _, err := b.c.PullMessageHistory(ctx, core.HistoryParams{SessionID: "carol", MessageID: p1[0].MessageID, Limit: 5}); codeOf(err) != proto.CodeNotFound {
		t.Fatalf("anchor of another session: %v, want 404", err)
	}

	// After a clear nothing is cached; history pages on.
	if err := b.c.DeleteAllMessagesInSession(ctx, "alice", 0, false); err != nil {
		t.Fatal(err)
	}
	if n := len(b.messages("alice", 200)); n != 0 {
		t.Fatalf("%d cached after the clear", n)
	}
	q1 := b.history(core.HistoryParams{SessionID: "alice", Limit: 5})
	if fmt.Sprint(seqsOf(q1)) != fmt.Sprint(seqRange(total, total-4)) {
		t.Fatalf("first page after the clear: %v", seqsOf(q1))
	}
	q2 := b.history(core.HistoryParams{SessionID: "alice", MessageID: q1[len(q1)-1].MessageID, Limit: 5})
	if fmt.Sprint(seqsOf(q2)) != fmt.Sprint(seqRange(total-5, total-9)) {
		t.Fatalf("second page after the clear: %v", seqsOf(q2))
	}
	// A login again starts with an empty index: the uncached anchor is 404.
	b.c.Logout(ctx)
	b.login("bob")
	if _, err := b.c.PullMessageHistory(ctx, core.HistoryParams{SessionID: "alice", MessageID: q2[0].MessageID, Limit: 5}); codeOf(err) != proto.CodeNotFound {
		t.Fatalf("anchor from the previous login: %v, want 404", err)
	}
}
