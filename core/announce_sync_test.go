//go:build !js

package core_test

import (
	"fmt"
	"testing"
	"time"

	"yunxin/core"
	"yunxin/proto"
)

func TestSyncAnnouncesWhatAnotherTabCached(t *testing.T) {
	// Two tabs of alice share one cache. Tab 2 misses bob's pushes of 2–4
	// (tab 1 gets and caches them), then reconnects: its sync finds them
	// cached, yet pulls and announces them, counting none unread again.
	ts := startServer(t)
	ts.user("alice")
	ts.user("bob")
	a1, a2, b := newDevice(t, ts, false), newDevice(t, ts, false), newDevice(t, ts, false)
	core.SetBackoff(a2.c, func(int) time.Duration { return 5 * time.Millisecond })
	a1.login("alice")
	a1.mu.Lock()
	shared := a1.caches["alice"].Reopen()
	a1.mu.Unlock()
	a2.mu.Lock()
	a2.caches["alice"] = shared
	a2.mu.Unlock()
	a2.login("alice")
	b.login("bob")

	b.send("alice", "m1")
	a1.waitFor("a1 receives m1", func() bool { return len(a1.received()) == 1 })
	a2.waitFor("a2 receives m1", func() bool { return len(a2.received()) == 1 })
	dropped := make(chan struct{}, 3)
	a2.net.mu.Lock()
	a2.net.drop = func(f proto.Frame) bool {
		if f.ID == 0 && f.Op == proto.PushMsg {
			dropped <- struct{}{}
			return true
		}
		return false
	}
	a2.net.mu.Unlock()
	for i := 2; i <= 4; i++ {
		b.send("alice", fmt.Sprintf("m%d", i))
		<-dropped
	}
	a1.waitFor("a1 receives m4", func() bool { return len(a1.received()) == 4 })
	a2.net.mu.Lock()
	a2.net.drop = nil
	a2.net.mu.Unlock()
	a2.net.cut()
	a2.waitStep(core.StepSynced, 2)
	if got := fmt.Sprint(a2.received()); got != "[m1 m2 m3 m4]" {
		t.Fatalf("tab 2 announced %s, want [m1 m2 m3 m4]", got)
	}
	for i, d := range []*device{a1, a2} {
		if s := d.session("bob"); s == nil || s.UnreadCount != 4 {
			t.Fatalf("tab %d's session %+v, want 4 unread", i+1, s)
		}
	}
}
