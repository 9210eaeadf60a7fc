//go:build !js

package core_test

import (
	"context"
	"sync/atomic"
	"testing"

	"yunxin/core"
)

// readCounter is a cache that counts MessagesByID calls (each is an
// IndexedDB transaction in the browser).
type readCounter struct {
	core.Cache
	reads *atomic.Int64
}

func (r readCounter) MessagesByID(ctx context.Context, ids []string) ([]core.Message, error) {
	r.reads.Add(1)
	return r.Cache.MessagesByID(ctx, ids)
}

// TestSendSkipsReadBack: a send that no other cached-message write
// overlaps does not read its cached copy back between the ack and the
// callback. (One whose message was deleted or cleared meanwhile reads it
// and keeps the delete: TestDeleteWhileSending, TestClearWhileSending.)
func TestSendSkipsReadBack(t *testing.T) {
	ts := startServer(t)
	ts.user("alice")
	ts.user("bob")
	var reads atomic.Int64
	a := newDevice(t, ts, false)
	a.wrap = func(c core.Cache) core.Cache { return readCounter{Cache: c, reads: &reads} }
	a.login("alice")
	b := newDevice(t, ts, false)
	b.login("bob")

	before := reads.Load()
	for i := 0; i < 5; i++ {
		if v := a.send("bob", "plain"); v.DeliveryState != core.DeliverySent {
			t.Fatalf("send %d: deliveryState %d, want sent", i, v.DeliveryState)
		}
	}
	if n := reads.Load() - before; n != 0 {
		t.Errorf("5 sends read their cached copy back %d times, want 0", n)
	}
}
