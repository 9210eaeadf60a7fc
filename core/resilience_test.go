//go:build !js

package core_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"yunxin/core"
	"yunxin/proto"
)

// breakable is a cache whose Apply fails with err while err is set.
type breakable struct {
	core.Cache
	mu  sync.Mutex
	err error
}

func (b *breakable) set(err error) { b.mu.Lock(); b.err = err; b.mu.Unlock() }

func (b *breakable) Apply(ctx context.Context, batch *core.Batch) error {
	b.mu.Lock()
	err := b.err
	b.mu.Unlock()
	if err != nil {
		return err
	}
	return b.Cache.Apply(ctx, batch)
}

// breakableDevice returns a device whose caches can be broken through the
// returned setter, and which records its reconnect backoffs (each wait
// shortened to a few ms).
func breakableDevice(t *testing.T, ts *testServer, syncUnread bool) (*device, func(error), func() []int) {
	d := newDevice(t, ts, syncUnread)
	var mu sync.Mutex
	var broken error
	var all []*breakable
	d.wrap = func(c core.Cache) core.Cache {
		mu.Lock()
		defer mu.Unlock()
		b := &breakable{Cache: c, err: broken}
		all = append(all, b)
		return b
	}
	set := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		broken = err
		for _, b := range all {
			b.set(err)
		}
	}
	var backoffs []int
	core.SetBackoff(d.c, func(n int) time.Duration {
		d.mu.Lock()
		backoffs = append(backoffs, n)
		d.mu.Unlock()
		d.signal()
		return 5 * time.Millisecond
	})
	got := func() []int {
		d.mu.Lock()
		defer d.mu.Unlock()
		return append([]int(nil), backoffs...)
	}
	return d, set, got
}

func isAccount(eventType string, code int) func(core.Event) bool {
	return func(e core.Event) bool {
		a, ok := e.Data.(core.AccountEvent)
		return ok && a.EventType == eventType && (code == 0 || a.Code == code)
	}
}

func TestFailingSyncBacksOff(t *testing.T) {
	// A connection whose sync fails (here the cache cannot be written) is a
	// failed attempt: the waits grow as for a server that cannot be
	// reached, instead of starting over at every successful connect.
	ts := startServer(t)
	ts.user("alice")
	d, breakCache, backoffs := breakableDevice(t, ts, false)
	d.login("alice")
	breakCache(fmt.Errorf("quota exceeded"))
	d.net.cut()
	d.waitFor("4 reconnect waits", func() bool { return len(backoffs()) >= 4 })
	d.c.Logout(context.Background())
	if got := fmt.Sprint(backoffs()[:4]); got != "[0 1 2 3]" {
		t.Fatalf("backoff attempts %s, want [0 1 2 3] (after a drop, then after each failed sync)", got)
	}
	if !strings.Contains(strings.Join(d.logs, "\n"), "sync failed, reconnecting") {
		t.Fatalf("the failed syncs were not logged: %q", d.logs)
	}
}

func TestClosedCacheEndsTheRun(t *testing.T) {
	ts := startServer(t)
	ts.user("alice")
	ts.user("bob")
	a, breakCache, _ := breakableDevice(t, ts, false)
	b := newDevice(t, ts, false)
	a.login("alice")
	b.login("bob")
	closed := fmt.Errorf("idbstore: put: %w", core.ErrCacheClosed)
	failed := isAccount("autoLoginFailed", proto.CodeServer)
	loggedIn := a.loggedInWhen(failed)

	// A pushed message meets the closed cache: the run ends at once.
	breakCache(closed)
	b.send("alice", "lost in a closed cache")
	a.waitFor("autoLoginFailed", func() bool { return a.count(failed) == 1 })
	if got := loggedIn(); len(got) != 1 || got[0] {
		t.Fatalf("isLogined in the autoLoginFailed handler: %v, want [false]", got)
	}
	a.mu.Lock()
	var ev core.AccountEvent
	for _, e := range a.events {
		if failed(e) {
			ev = e.Data.(core.AccountEvent)
		}
	}
	a.mu.Unlock()
	if !strings.Contains(ev.Msg, "local cache was closed") || !strings.Contains(ev.Msg, "reload the page") {
		t.Fatalf("autoLoginFailed = %+v, want 500 saying the local cache was closed", ev)
	}
	if !core.LoopsEnded(a.c, 10*time.Second) {
		t.Fatal("the run goes on reconnecting after the cache closed")
	}
	if dials, _, _ := a.net.count(""); dials != 1 {
		t.Fatalf("%d dials, want 1 (no reconnect)", dials)
	}
	// Every call after it says why and what to do.
	if _, err := a.c.SendText(context.Background(), core.SendTextParams{SessionID: "bob", Text: "x"}); core.AsError(err).Code != proto.CodeNetwork ||
		!strings.Contains(err.Error(), "not logged in") || !strings.Contains(err.Error(), "reload the page") {
		t.Fatalf("send after the cache closed: %v, want 415 not logged in: … reload the page", err)
	}
	if _, err := a.c.AllRecentSessions(context.Background()); err == nil || !strings.Contains(err.Error(), "local cache was closed") {
		t.Fatalf("allRecentSessions after the cache closed: %v, want 415 saying the local cache was closed", err)
	}

	// A reconnect's sync meets it: the same, and no reconnect loop.
	breakCache(nil)
	a.login("alice")
	if _, err := a.c.AllRecentSessions(context.Background()); err != nil {
		t.Fatalf("allRecentSessions after a new login: %v", err)
	}
	breakCache(closed)
	a.net.cut()
	a.waitFor("a second autoLoginFailed", func() bool { return a.count(failed) == 2 })
	if got := loggedIn(); len(got) != 2 || got[1] {
		t.Fatalf("isLogined in the autoLoginFailed handlers: %v, want [false false]", got)
	}
	if !core.LoopsEnded(a.c, 10*time.Second) {
		t.Fatal("the run goes on reconnecting after the cache closed during a sync")
	}
	if dials, _, _ := a.net.count(""); dials != 3 {
		t.Fatalf("%d dials, want 3 (login, login, one reconnect)", dials)
	}
}

func TestProbeWriteOnReturningDevice(t *testing.T) {
	// The device id is written once per device; a returning device whose
	// cache cannot be written any more fails its login all the same.
	ts := startServer(t)
	ts.user("alice")
	d := newDevice(t, ts, false)
	d.login("alice")
	d.c.Logout(context.Background())
	d.wrap = func(c core.Cache) core.Cache { return failCache{c, "apply"} }
	err := d.c.Login(context.Background(), "alice", "alice-token")
	if e := core.AsError(err); e == nil || e.Code != proto.CodeServer || !strings.Contains(e.Msg, "local cache") {
		t.Fatalf("login on a returning device with a cache that cannot be written: %v, want 500", err)
	}
	if d.c.IsLogined() {
		t.Fatal("logged in with a cache that cannot be written")
	}
	if !core.LoopsEnded(d.c, 10*time.Second) {
		t.Fatal("a run goes on after the failed login")
	}
	if dials, _, _ := d.net.count(""); dials != 1 {
		t.Fatalf("%d dials, want 1 (the failed login does not connect)", dials)
	}
}
