//go:build !js

package core_test

import (
	"fmt"
	"testing"

	"yunxin/core"
)

// Two tabs of bob share one cache. Tab 1 clears the session with alice;
// tab 2, whose memory has not seen the clear, pulls history with persist:
// the cache, not tab 2's memory, decides, and the cleared messages stay
// out, for both tabs and after a reload. persistClear still brings them.
func TestLaggingTabHistoryPersistKeepsTheClear(t *testing.T) {
	ts := startServer(t)
	ts.user("alice")
	ts.user("bob")
	a, b1, b2 := newDevice(t, ts, false), newDevice(t, ts, false), newDevice(t, ts, false)
	a.login("alice")
	b1.login("bob")
	b1.mu.Lock()
	shared := b1.caches["bob"].Reopen()
	b1.mu.Unlock()
	b2.mu.Lock()
	b2.caches["bob"] = shared
	b2.mu.Unlock()
	b2.login("bob")
	for i := 1; i <= 6; i++ {
		a.send("bob", fmt.Sprint(i))
	}
	b1.waitFor("tab 1 receives 6", func() bool { return len(b1.received()) == 6 })
	b2.waitFor("tab 2 receives 6", func() bool { return len(b2.received()) == 6 })
	if err := b1.c.DeleteAllMessagesInSession(t.Context(), "alice", 0, false); err != nil {
		t.Fatal(err)
	}
	got := b2.history(core.HistoryParams{SessionID: "alice", Limit: 10, Persist: true})
	if len(got) != 6 {
		t.Fatalf("history: %v", seqsOf(got))
	}
	for i, d := range []*device{b1, b2} {
		if ms := d.messages("alice", 100); len(ms) != 0 {
			t.Fatalf("tab %d: persist brought back %v", i+1, seqsOf(ms))
		}
	}
	b2.history(core.HistoryParams{SessionID: "alice", Limit: 10, Persist: true, PersistClear: true})
	if ms := b1.messages("alice", 100); fmt.Sprint(seqsOf(ms)) != "[1 2 3 4 5 6]" {
		t.Fatalf("with persistClear: %v", seqsOf(ms))
	}
}
