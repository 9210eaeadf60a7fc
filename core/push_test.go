package core

import (
	"context"
	"strings"
	"testing"

	"yunxin/proto"
)

func TestPushesOfAnOldLinkAreDropped(t *testing.T) {
	// Pushes still queued on a dead link are not applied beside the new
	// link's sync: the sync brings them.
	c, r, _ := offline(t, NewMemCache(), false)
	dead, live := &link{}, &link{}
	c.mu.Lock()
	r.link = live
	c.mu.Unlock()
	c.onPush(r, dead, proto.PushMsg, msg(1, "bob", 1000))
	if s := c.sessionNow("0|bob"); s != nil {
		t.Fatalf("a push of a dead link was applied: %+v", s)
	}
	c.onPush(r, live, proto.PushMsg, msg(1, "bob", 1000))
	if s := c.sessionNow("0|bob"); s == nil || s.SyncSeq != 1 {
		t.Fatalf("a push of the live link: %+v", s)
	}
}

func TestHeldPushesAreCapped(t *testing.T) {
	// Past maxHeldBytes the held pushes are dropped and the sync runs
	// again (releaseHeld says so); the pushes held during that second sync
	// are applied after it.
	defer func(n int) { maxHeldBytes = n }(maxHeldBytes)
	maxHeldBytes = 3 * len(msg(1, "bob", 1000))
	c, r, _ := offline(t, NewMemCache(), false)
	l := &link{}
	c.mu.Lock()
	r.link, r.syncing = l, l
	c.mu.Unlock()
	for i := int64(1); i <= 4; i++ {
		c.onPush(r, l, proto.PushMsg, msg(i, "bob", 1000*i))
	}
	c.mu.Lock()
	held, overflow := len(r.held), r.overflow
	c.mu.Unlock()
	if held != 0 || !overflow {
		t.Fatalf("after 4 pushes over a cap of 3: %d held, overflow %v; want 0 and true", held, overflow)
	}
	c.onPush(r, l, proto.PushMsg, msg(5, "bob", 5000)) // dropped too: the next sync brings it
	if c.releaseHeld(r, l) {
		t.Fatal("releaseHeld after an overflow did not ask for another sync")
	}
	if s := c.sessionNow("0|bob"); s != nil {
		t.Fatalf("dropped pushes were applied: %+v", s)
	}
	// The second sync: a push during it is held, then applied.
	c.onPush(r, l, proto.PushMsg, msg(1, "bob", 1000))
	if !c.releaseHeld(r, l) {
		t.Fatal("releaseHeld under the cap asked for another sync")
	}
	if s := c.sessionNow("0|bob"); s == nil || s.SyncSeq != 1 {
		t.Fatalf("after the release: %+v", s)
	}
	c.mu.Lock()
	syncing := r.syncing
	c.mu.Unlock()
	if syncing != nil {
		t.Fatal("pushes are still held after the release")
	}
}

func TestFillGapsRecovers(t *testing.T) {
	// A panic while filling a gap is logged; it does not kill the runtime
	// nor leave a lock held.
	c, r, rec := offline(t, NewMemCache(), false)
	c.mu.Lock()
	r.link = &link{}
	r.st.sessions.pulling = nil // assigning to it panics
	c.mu.Unlock()
	c.fillGaps(r, []proto.Cursor{{Conv: "p:alice|bob"}})
	if log := rec.logText(); !strings.Contains(log, "filling a gap: internal error") {
		t.Fatalf("log = %q", log)
	}
	if !c.IsLogined() {
		t.Fatal("the client's lock or run was lost")
	}
	if err := c.DeleteRecentSession(context.Background(), "bob", 0); err != nil {
		t.Fatal(err)
	}
}
