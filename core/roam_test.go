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

func TestLocalSessionRoams(t *testing.T) {
	// On a new device, a session made before its conversation was ever
	// synced (a send while offline) roams like a new one: the last
	// RoamLimit messages, counted unread as on any new device.
	const old = 300
	ts := seed(t, func(ctx context.Context, st *sqlitestore.Store) {
		for i := 1; i <= old; i++ {
			m := proto.Msg{ClientID: fmt.Sprintf("b%d", i), Conv: proto.P2PConv("bob", "alice"), From: "bob", To: "alice",
				Body: jx.RawMessage(fmt.Sprintf(`{"text":"%d"}`, i)), FromClient: proto.ClientWeb}
			if _, _, err := st.Send(ctx, m, int64(1_700_000_000_000+i)); err != nil {
				t.Fatal(err)
			}
		}
	})
	ts.user("alice")
	ts.user("bob")
	ts.stop()
	a := newDevice(t, ts, false)
	core.SetBackoff(a.c, func(int) time.Duration { return 20 * time.Millisecond })
	if err := a.c.AutoLogin(context.Background(), "alice", "alice-token"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.c.SendText(context.Background(), core.SendTextParams{SessionID: "bob", Text: "offline"}); core.AsError(err).Code != proto.CodeNetwork {
		t.Fatalf("offline send: %v, want 415", err)
	}
	ts.start()
	a.waitStep(core.StepSynced, 1)
	if got := len(a.received()); got != core.RoamLimit {
		t.Fatalf("%d messages roamed, want %d", got, core.RoamLimit)
	}
	oldest, err := a.c.MessagesInSession(context.Background(), core.MessagesParams{SessionID: "bob", Limit: core.MaxLimit, Newer: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(oldest) != core.MaxLimit || oldest[0].Seq != old-core.RoamLimit+1 {
		t.Fatalf("the oldest cached message has seq %d, want %d", oldest[0].Seq, old-core.RoamLimit+1)
	}
	newest := a.messages("bob", core.MaxLimit)
	if n := len(newest); newest[n-1].DeliveryState != core.DeliveryFailed || newest[n-2].Seq != old {
		t.Fatalf("the newest cached messages: %+v", newest[n-2:])
	}
	if s := a.session("bob"); s == nil || s.UnreadCount != core.RoamLimit {
		t.Fatalf("session = %+v, want %d unread", s, core.RoamLimit)
	}
	if _, _, pulls := a.net.count(proto.OpPull); pulls != 1 {
		t.Fatalf("%d pulls, want 1", pulls)
	}
}

func TestReadMarkAfterNewerMessage(t *testing.T) {
	// Device a2 already has message 2 when a1's read mark, made at message
	// 1, reaches it: the mark moves, and message 2 stays unread.
	_, a1, a2, b := twoAlicesAndBob(t)
	b.send("alice", "m1")
	a1.waitFor("a1 receives m1", func() bool { return len(a1.received()) == 1 })
	a2.waitFor("a2 receives m1", func() bool { return len(a2.received()) == 1 })

	var once sync.Once
	stashed := make(chan struct{}, 1)
	a2.net.mu.Lock()
	a2.net.stashed = stashed
	a2.net.stash = func(f proto.Frame) bool {
		hit := false
		if f.ID == 0 && f.Op == proto.PushChange {
			once.Do(func() { hit = true })
		}
		return hit
	}
	a2.net.mu.Unlock()
	if err := a1.c.MarkAllMessagesReadInSession(context.Background(), "bob", 0); err != nil {
		t.Fatal(err)
	}
	<-stashed // a1's read mark reached a2's connection and waits behind the next frame
	b.send("alice", "m2")
	b.send("alice", "m3") // arrives after the read mark
	a2.waitFor("a2 receives m3", func() bool { return len(a2.received()) == 3 })
	if s := a2.session("bob"); s.UnreadCount != 2 {
		t.Fatalf("a2 unread = %d, want 2 (m2 and m3 after a1's read mark at m1)", s.UnreadCount)
	}
	if n, _ := a2.c.AllUnreadCount(context.Background()); n != 2 {
		t.Fatalf("a2 total unread = %d, want 2", n)
	}
}
