//go:build !js

package core_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"yunxin/core"
	"yunxin/internal/jx"
	"yunxin/proto"
	"yunxin/server/sqlitestore"
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

func TestSendDuringFirstSyncTakesTheReadMark(t *testing.T) {
	// A new device (shouldSyncUnreadCount off) sends to bob while its first
	// sync waits: the send's ack starts the session's cursor and pulls the
	// latest messages before the conversation row comes, but they were all
	// read elsewhere: the row's read mark wins, nothing is unread.
	const old = 300
	conv := proto.P2PConv("bob", "alice")
	ts := seed(t, func(ctx context.Context, st *sqlitestore.Store) {
		for i := 1; i <= old; i++ {
			m := proto.Msg{ClientID: fmt.Sprintf("b%d", i), Conv: conv, From: "bob", To: "alice",
				Body: jx.RawMessage(fmt.Sprintf(`{"text":"%d"}`, i)), FromClient: proto.ClientWeb}
			if _, _, err := st.Send(ctx, m, int64(1_700_000_000_000+i)); err != nil {
				t.Fatal(err)
			}
		}
		if _, _, err := st.MarkRead(ctx, "alice", conv, old); err != nil {
			t.Fatal(err)
		}
	})
	ts.user("alice")
	ts.user("bob")
	a := newDevice(t, ts, false)
	release := make(chan struct{})
	var once sync.Once
	a.net.mu.Lock()
	a.net.hold = func(ctx context.Context, op string) {
		if op != proto.OpSync {
			return
		}
		first := false
		once.Do(func() { first = true })
		if first {
			select {
			case <-release:
			case <-ctx.Done():
			}
		}
	}
	a.net.mu.Unlock()
	if err := a.c.Login(context.Background(), "alice", "alice-token"); err != nil {
		t.Fatal(err)
	}
	a.send("bob", "hello")
	// The ack's gap pull brings the latest RoamLimit-1 of bob's messages
	// before the sync's row.
	a.waitFor("the gap pull", func() bool { return len(a.received()) == core.RoamLimit-1 })
	close(release)
	a.waitStep(core.StepSynced, 1)
	if s := a.session("bob"); s == nil || s.UnreadCount != 0 {
		t.Fatalf("session %+v, want 0 unread (all read elsewhere)", s)
	}
	if n, _ := a.c.AllUnreadCount(context.Background()); n != 0 {
		t.Fatalf("total unread %d, want 0", n)
	}
	if got := len(a.received()); got != core.RoamLimit-1 {
		t.Fatalf("%d messages announced, want %d", got, core.RoamLimit-1)
	}
}
