package core

import (
	"context"
	"testing"
	"time"

	"yunxin/proto"
)

// Messages from the server never overwrite what another tab deleted or
// cleared: the cache decides inside Apply (Batch.AddMessages), not the
// lagging tab's memory.

// A tab loaded before another cached and then deleted and cleared c1–c3
// ingests them: none comes back, now or after a reload.
func TestLaggingTabDoesNotUndoDeletes(t *testing.T) {
	ctx := context.Background()
	cache := NewMemCache()
	a, ra, _ := offline(t, cache, false)
	b, rb, _ := offline(t, cache.Reopen(), false) // loaded earlier: knows nothing of bob
	pushN(a, ra, 1, 3)
	if err := a.DeleteMessage(ctx, "bob", 0, "c3"); err != nil {
		t.Fatal(err)
	}
	if err := a.DeleteAllMessagesInSession(ctx, "bob", 0, false); err != nil {
		t.Fatal(err)
	}
	if s := b.sessionNow("0|bob"); s != nil {
		t.Fatalf("tab B is not lagging: %+v", s)
	}
	pushN(b, rb, 1, 3) // a pull page with c1–c3, new to B's memory
	if got := cachedIDs(t, cache, "0|bob"); got != "" {
		t.Fatalf("tab B brought back %q", got)
	}
	if s := b.sessionNow("0|bob"); s == nil || s.LastMsg != nil || s.SyncSeq != 3 {
		t.Fatalf("tab B's session: %+v", s)
	}
	c, _, _ := offline(t, cache.Reopen(), false)
	if page, _ := c.MessagesInSession(ctx, MessagesParams{SessionID: "bob", Limit: 10}); len(page) != 0 {
		t.Fatalf("after reload: %s", viewIDs(page))
	}
	if byID, _ := c.MessagesByIDs(ctx, []string{"c1", "c2", "c3"}); len(byID) != 0 {
		t.Fatalf("after reload, by id: %+v", byID)
	}
	if s := c.sessionNow("0|bob"); s == nil || s.LastMsg != nil {
		t.Fatalf("after reload: %+v", s)
	}
	// A message after the clear is cached as usual.
	b.onPush(rb, nil, proto.PushMsg, msg(4, "bob", time.Now().UnixMilli()+60000))
	if got := cachedIDs(t, cache, "0|bob"); got != "c4" {
		t.Fatalf("after c4: %q", got)
	}
}

// A message deleted by one tab (deleteMessage, kept as deleted) stays
// deleted when a lagging tab ingests it; the others are cached.
func TestLaggingTabKeepsADeletedMessage(t *testing.T) {
	ctx := context.Background()
	cache := NewMemCache()
	a, ra, _ := offline(t, cache, false)
	b, rb, _ := offline(t, cache.Reopen(), false)
	pushN(a, ra, 1, 2)
	if err := a.DeleteMessage(ctx, "bob", 0, "c2"); err != nil {
		t.Fatal(err)
	}
	pushN(b, rb, 1, 3)
	if got := cachedIDs(t, cache, "0|bob"); got != "c1 c3" {
		t.Fatalf("cached: %q, want c1 c3", got)
	}
	ms, err := cache.MessagesByID(ctx, []string{"c2"})
	if err != nil || len(ms) != 1 || !ms[0].Deleted {
		t.Fatalf("c2 = %+v, %v; want it kept deleted", ms, err)
	}
	if s := b.sessionNow("0|bob"); s == nil || s.LastMsg == nil || s.LastMsg.ID != "c3" {
		t.Fatalf("tab B's session: %+v", s)
	}
}
