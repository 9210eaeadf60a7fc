//go:build !js

package core_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"yunxin/core"
	"yunxin/proto"
)

// fullCache is a MemCache that can be made full on demand: while full, a
// batch that stores anything fails with an error wrapping core.ErrCacheFull
// (as idbstore's ErrQuota does) and writes nothing, except a batch that
// removes messages (the deletes), which goes through and ends the
// fullness, as freeing space in a browser would. This is a fake on purpose:
// a native test cannot fill a real disk, and the browser's quota is tested
// against a real Firefox profile in tests/e2e (storage_test.go). What
// counts here is how core reacts to the error.
type fullCache struct {
	core.Cache
	mu    *sync.Mutex
	full  *bool
	fails *int
}

// frees reports whether b removes messages.
func frees(b *core.Batch) bool {
	if b.ClearAll || len(b.ClearSessions) > 0 || len(b.DeleteMessages) > 0 {
		return true
	}
	for _, m := range b.Messages {
		if m.Deleted {
			return true
		}
	}
	return false
}

func (f fullCache) Apply(ctx context.Context, b *core.Batch) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if *f.full && !frees(b) {
		*f.fails++
		return fmt.Errorf("idbstore: apply: %w (QuotaExceededError: fake)", core.ErrCacheFull)
	}
	if err := f.Cache.Apply(ctx, b); err != nil {
		return err
	}
	if frees(b) {
		*f.full = false
	}
	return nil
}

// quotaDevice is a device whose caches share one fullness: fill makes them
// full, fails counts the writes refused since.
type quotaDevice struct {
	*device
	mu    sync.Mutex
	full  bool
	fails int
}

func newQuotaDevice(t *testing.T, ts *testServer) *quotaDevice {
	q := &quotaDevice{device: newDevice(t, ts, false)}
	q.wrap = func(c core.Cache) core.Cache { return fullCache{Cache: c, mu: &q.mu, full: &q.full, fails: &q.fails} }
	return q
}

func (q *quotaDevice) fill(full bool) { q.mu.Lock(); q.full = full; q.mu.Unlock() }
func (q *quotaDevice) isFull() bool   { q.mu.Lock(); defer q.mu.Unlock(); return q.full }
func (q *quotaDevice) refused() int   { q.mu.Lock(); defer q.mu.Unlock(); return q.fails }

// textsOf returns the texts of views.
func textsOf(vs []core.MessageView) []string {
	var out []string
	for _, v := range vs {
		var b struct{ Text string }
		if err := json.Unmarshal(v.Body, &b); err == nil {
			out = append(out, b.Text)
		}
	}
	return out
}

// countOf counts s in list.
func countOf(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}

func fullEvent(d *device) (core.AccountEvent, int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var ev core.AccountEvent
	n := 0
	for _, e := range d.events {
		if a, ok := e.Data.(core.AccountEvent); ok && a.EventType == "localCacheFull" {
			ev = a
			n++
		}
	}
	return ev, n
}

// TestQuotaSyncResumesAfterDelete: messages pushed while the cache is full
// are not stored and not reported; the page hears localCacheFull once (500,
// naming the full storage), also across a reconnect whose sync meets the
// full cache (which keeps its connection and does not give up); clearing
// another chat (deleteAllmessagesInSession) frees space and the sync
// resumes by itself at once (its
// retry waits an hour by then: only the freed signal can wake it),
// delivering every message once; a later login brings no duplicates.
func TestQuotaSyncResumesAfterDelete(t *testing.T) {
	ts := startServer(t)
	ts.user("alice")
	ts.user("bob")
	ts.user("carol")
	a := newQuotaDevice(t, ts)
	b := newDevice(t, ts, false)
	c := newDevice(t, ts, false)
	var mu sync.Mutex
	long, waits := false, 0
	core.SetBackoff(a.c, func(int) time.Duration {
		mu.Lock()
		defer mu.Unlock()
		waits++
		a.signal()
		if long {
			return time.Hour
		}
		return 5 * time.Millisecond
	})
	a.login("alice")
	b.login("bob")
	c.login("carol")
	b.send("alice", "before")
	c.send("alice", "an old chat")
	a.waitFor("before", func() bool {
		return countOf(a.received(), "before") == 1 && countOf(a.received(), "an old chat") == 1
	})

	a.fill(true)
	for i := range 3 {
		b.send("alice", fmt.Sprintf("full %d", i))
	}
	a.waitFor("localCacheFull", func() bool { _, n := fullEvent(a.device); return n == 1 })
	ev, _ := fullEvent(a.device)
	if ev.Code != proto.CodeServer || !strings.Contains(ev.Msg, "storage for this site is full") || !strings.Contains(ev.Msg, "deleteAllMessages") {
		t.Fatalf("localCacheFull = %+v, want 500 saying the storage is full and what frees it", ev)
	}
	// The resync started by the failed push keeps failing: several writes
	// are refused, none of the messages is reported.
	a.waitFor("refused writes", func() bool { return a.refused() >= 2 })
	b.send("alice", "full 3")
	// A reconnect: its sync meets the full cache too; the run stays
	// connected and waits for space (no autoLoginFailed, no reconnect loop).
	dialsBefore, _, _ := a.net.count("")
	a.net.cut()
	a.waitFor("the reconnect's sync", func() bool { dials, _, _ := a.net.count(""); return dials > dialsBefore })
	a.waitStep(core.StepSyncing, 3) // login, resync, reconnect
	if got := a.received(); countOf(got, "full 0") != 0 || countOf(got, "full 3") != 0 {
		t.Fatalf("messages reported while the cache is full: %q", got)
	}
	if _, n := fullEvent(a.device); n != 1 {
		t.Fatalf("%d localCacheFull events, want 1 per episode", n)
	}
	if n := a.count(isAccount("autoLoginFailed", 0)); n != 0 {
		t.Fatalf("autoLoginFailed while the cache is full: %s", a.dump())
	}
	if !a.c.IsLogined() {
		t.Fatal("not logged in while the cache is full")
	}
	synced := a.count(isStep(core.StepSynced))
	// From now on a retry waits an hour: once one waits, only a freed
	// signal can resume the sync.
	mu.Lock()
	long, n0 := true, waits
	mu.Unlock()
	a.waitFor("a retry waiting an hour", func() bool { mu.Lock(); defer mu.Unlock(); return waits > n0 })

	// The page frees space: the sync resumes at once and delivers all.
	if err := a.c.DeleteAllMessagesInSession(context.Background(), "carol", 0, false); err != nil {
		t.Fatalf("deleteAllmessagesInSession under quota: %v", err)
	}
	if a.isFull() {
		t.Fatal("deleteAllmessagesInSession did not reach the cache")
	}
	a.waitStep(core.StepSynced, synced+1)
	a.waitFor("the messages of the full time", func() bool {
		got := a.received()
		for i := range 4 {
			if countOf(got, fmt.Sprintf("full %d", i)) != 1 {
				return false
			}
		}
		return true
	})
	hist := textsOf(a.messages("bob", 100))
	for i := range 4 {
		if n := countOf(hist, fmt.Sprintf("full %d", i)); n != 1 {
			t.Errorf("messagesInSession has %q %d times, want once: %q", fmt.Sprintf("full %d", i), n, hist)
		}
	}
	// Live again: a new message is stored at once.
	b.send("alice", "after")
	a.waitFor("after", func() bool { return countOf(a.received(), "after") == 1 })

	// Another login of the same cache: nothing comes twice.
	a.c.Logout(context.Background())
	before := len(a.received())
	a.login("alice")
	if got := a.received()[before:]; len(got) != 0 {
		t.Errorf("the next login reported %q again", got)
	}
	hist = textsOf(a.messages("bob", 100))
	for _, s := range []string{"before", "full 0", "full 1", "full 2", "full 3", "after"} {
		if n := countOf(hist, s); n != 1 {
			t.Errorf("after a new login messagesInSession has %q %d times, want once: %q", s, n, hist)
		}
	}
}

// TestQuotaSyncRetriesByItself: space freed outside the SDK (the user
// clears other data of the site) is found by the sync's backoff retries:
// the messages arrive without any call.
func TestQuotaSyncRetriesByItself(t *testing.T) {
	ts := startServer(t)
	ts.user("alice")
	ts.user("bob")
	a := newQuotaDevice(t, ts)
	b := newDevice(t, ts, false)
	var mu sync.Mutex
	var waits []int
	core.SetBackoff(a.c, func(n int) time.Duration {
		mu.Lock()
		waits = append(waits, n)
		mu.Unlock()
		a.signal()
		return 20 * time.Millisecond
	})
	a.login("alice")
	b.login("bob")
	a.fill(true)
	b.send("alice", "while full")
	a.waitFor("three retries", func() bool { mu.Lock(); defer mu.Unlock(); return len(waits) >= 3 })
	mu.Lock()
	got := fmt.Sprint(waits[:3])
	mu.Unlock()
	if got != "[0 1 2]" {
		t.Errorf("retry waits %s, want growing [0 1 2]", got)
	}
	if countOf(a.received(), "while full") != 0 {
		t.Fatal("a message was reported while the cache is full")
	}
	a.fill(false) // freed elsewhere
	a.waitFor("the message", func() bool { return countOf(a.received(), "while full") == 1 })
	if hist := textsOf(a.messages("bob", 100)); countOf(hist, "while full") != 1 {
		t.Errorf("messagesInSession %q, want the message once", hist)
	}
	if dials, _, _ := a.net.count(""); dials != 1 {
		t.Errorf("%d dials, want 1 (the retries keep the connection)", dials)
	}
}

// TestQuotaSendAnswersErr: a send whose cache write fails because the cache
// is full answers err 500 naming the full storage, and sends nothing: the
// peer never gets it. The same holds for a send made offline (it would
// wait in the outbox). Deletes work under quota, free it, and wake the
// sync waiting for space.
func TestQuotaSendAnswersErr(t *testing.T) {
	ts, a, b := func() (*testServer, *quotaDevice, *device) {
		ts := startServer(t)
		ts.user("alice")
		ts.user("bob")
		a := newQuotaDevice(t, ts)
		b := newDevice(t, ts, false)
		a.login("alice")
		b.login("bob")
		return ts, a, b
	}()
	var mu sync.Mutex
	long, waits := false, 0
	core.SetBackoff(a.c, func(int) time.Duration {
		mu.Lock()
		defer mu.Unlock()
		waits++
		a.signal()
		if long {
			return time.Hour
		}
		return 20 * time.Millisecond
	})
	kept := a.send("bob", "kept")
	b.waitFor("kept", func() bool { return countOf(b.received(), "kept") == 1 })

	a.fill(true)
	checkFull := func(what string, err error) {
		t.Helper()
		e := core.AsError(err)
		if e == nil || e.Code != proto.CodeServer || !strings.Contains(e.Msg, "local cache full") {
			t.Fatalf("%s under quota: %v, want 500 naming the full local cache", what, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// Online, the request goes out while the message is cached as
	// sending: the server has it, so it is sent ("sent, but" this device
	// could not store it), and the next sync brings it back once there is
	// space.
	_, err := a.c.SendText(ctx, core.SendTextParams{SessionID: "bob", Text: "online under quota"})
	checkFull("sendText", err)
	if msg := core.AsError(err).Msg; !strings.HasPrefix(msg, "sent, but") {
		t.Errorf("sendText online under quota: %q, want it to say it was sent", msg)
	}
	b.waitFor("online under quota", func() bool { return countOf(b.received(), "online under quota") == 1 })

	// Offline, with reSend: it answers at once instead of waiting in an
	// outbox it could not be written to.
	ts.stop()
	a.waitStep(core.StepDisconnected, 1)
	_, err = a.c.SendText(ctx, core.SendTextParams{SessionID: "bob", Text: "offline under quota", ReSend: true})
	checkFull("sendText offline with reSend", err)
	ts.start()
	a.waitFor("localCacheFull", func() bool { _, n := fullEvent(a.device); return n == 1 })
	mu.Lock()
	long, n0 := true, waits
	mu.Unlock()
	a.waitFor("a retry waiting an hour", func() bool { mu.Lock(); defer mu.Unlock(); return waits > n0 })

	// Deletes go through under quota (they free space), and the sync
	// waiting for space resumes at once (its retry waits an hour).
	if err := a.c.DeleteMessage(ctx, "bob", 0, kept.MessageID); err != nil {
		t.Fatalf("deleteMessage under quota: %v", err)
	}
	if a.isFull() {
		t.Fatal("deleteMessage did not free the cache")
	}
	a.waitStep(core.StepSynced, 2)
	a.send("bob", "after")
	b.waitFor("after", func() bool { return countOf(b.received(), "after") == 1 })
	got := b.received()
	if countOf(got, "online under quota") != 1 || countOf(got, "offline under quota") != 0 {
		t.Errorf("bob received %q: want the message sent online once, and not the one whose send failed", got)
	}
	if hist := textsOf(b.messages("alice", 100)); countOf(hist, "online under quota") != 1 || countOf(hist, "offline under quota") != 0 {
		t.Errorf("bob's history %q: want the message sent online once, and not the one whose send failed", hist)
	}
	// The sync after the delete stored the sent one alice could not.
	if hist := textsOf(a.messages("bob", 100)); countOf(hist, "online under quota") != 1 || countOf(hist, "offline under quota") != 0 {
		t.Errorf("alice's cache %q: want the message sent online once (synced back), and not the one whose send failed", hist)
	}
}
