//go:build !js

package core_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"yunxin/core"
	"yunxin/proto"
)

// lastClients returns the clients of the device's latest
// multiLoginClientsChanged event, and whether there was one.
func (d *device) lastClients() ([]core.ClientView, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for i := len(d.events) - 1; i >= 0; i-- {
		if a, ok := d.events[i].Data.(core.AccountEvent); ok && a.EventType == "multiLoginClientsChanged" {
			return a.Clients, true
		}
	}
	return nil, false
}

func TestConcurrentLogins(t *testing.T) {
	ts := startServer(t)
	ts.user("alice")
	ts.user("bob")
	d := newDevice(t, ts, false)

	// The first login connects and sends its login frame, which is held
	// until its run is cancelled: the second login surely starts while the
	// first is still in flight, with a connection open.
	firstWrite := make(chan struct{})
	var once sync.Once
	d.net.hold = func(ctx context.Context, op string) {
		if op != proto.OpLogin {
			return
		}
		held := false
		once.Do(func() { held = true })
		if held {
			close(firstWrite)
			<-ctx.Done()
		}
	}
	errs := make(chan error, 2)
	go func() { errs <- d.c.Login(context.Background(), "alice", "alice-token") }()
	<-firstWrite
	go func() { errs <- d.c.Login(context.Background(), "alice", "alice-token") }()
	e1, e2 := <-errs, <-errs
	if (e1 == nil) == (e2 == nil) {
		t.Fatalf("two concurrent logins returned %v and %v, want exactly one success", e1, e2)
	}
	failed := e1
	if failed == nil {
		failed = e2
	}
	if e := core.AsError(failed); e.Code != proto.CodeNetwork || !strings.Contains(e.Msg, "cancelled by a newer login") {
		t.Fatalf("the cancelled login returned %v, want 415 cancelled by a newer login", failed)
	}
	if !d.c.IsLogined() || d.c.CurrentAccount() != "alice" {
		t.Fatal("not logged in after the surviving login")
	}
	d.waitStep(core.StepSynced, 1)

	// Nothing leaked: one connection open, every cache but the live one
	// closed exactly once.
	if dials, live, _ := d.net.count(proto.OpLogin); dials != 2 || live != 1 {
		t.Fatalf("dials %d, open connections %d; want 2 and 1", dials, live)
	}
	d.mu.Lock()
	opened := append([]*countedCache(nil), d.opened...)
	d.mu.Unlock()
	if len(opened) != 2 || opened[0].closed() != 1 || opened[1].closed() != 0 {
		t.Fatalf("caches opened %d, closed %v; want the first closed once and the live one open", len(opened), closes(opened))
	}

	// The server sees one connection of alice: a second device of hers
	// (eventually, once the server has seen the cancelled connection go)
	// lists exactly one other client.
	d2 := newDevice(t, ts, false)
	d2.login("alice")
	d2.waitFor("alice's second device to see one other client", func() bool {
		cs, _ := d2.lastClients()
		return len(cs) == 1
	})

	// A third login, of another account, replaces the run again; logout then
	// closes the last cache.
	d.login("bob")
	if d.c.CurrentAccount() != "bob" {
		t.Fatalf("current account %q, want bob", d.c.CurrentAccount())
	}
	d.c.Logout(context.Background())
	d.mu.Lock()
	opened = append([]*countedCache(nil), d.opened...)
	d.mu.Unlock()
	for i, c := range opened {
		if c.closed() != 1 {
			t.Fatalf("cache %d (%s) closed %d times after logout, want 1: %v", i, c.account, c.closed(), closes(opened))
		}
	}
	if _, live, _ := d.net.count(""); live != 0 {
		d.net.mu.Lock()
		for i, c := range d.net.dialed {
			t.Logf("connection %d: closed %v, wrote %v", i, c.closed, c.wrote)
		}
		d.net.mu.Unlock()
		t.Fatalf("%d connections open after logout", live)
	}
}

func closes(cs []*countedCache) []int {
	var out []int
	for _, c := range cs {
		out = append(out, c.closed())
	}
	return out
}

// failCache fails the steps of a cache named by what.
type failCache struct {
	core.Cache
	what string // "load" or "apply"
}

func (f failCache) Load(ctx context.Context) (*core.Snapshot, error) {
	if f.what == "load" {
		return nil, errors.New("load refused")
	}
	return f.Cache.Load(ctx)
}

func (f failCache) Apply(ctx context.Context, b *core.Batch) error {
	if f.what == "apply" {
		return errors.New("quota exceeded")
	}
	return f.Cache.Apply(ctx, b)
}

func TestLoginCacheFailure(t *testing.T) {
	ts := startServer(t)
	ts.user("alice")
	ts.user("bob")
	d := newDevice(t, ts, false)
	d.login("bob") // a run that the failed logins below must end too

	for _, what := range []string{"apply", "load"} {
		d.wrap = func(c core.Cache) core.Cache { return failCache{c, what} }
		err := d.c.Login(context.Background(), "alice", "alice-token")
		if e := core.AsError(err); e == nil || e.Code != proto.CodeServer || !strings.Contains(e.Msg, "local cache") {
			t.Fatalf("login with a cache whose %s fails: %v, want 500 naming the local cache", what, err)
		}
		if d.c.IsLogined() || d.c.CurrentAccount() != "" {
			t.Fatalf("cache %s failed: IsLogined %v, account %q; want logged out", what, d.c.IsLogined(), d.c.CurrentAccount())
		}
		if _, err := d.c.AllRecentSessions(context.Background()); core.AsError(err).Code != proto.CodeNetwork {
			t.Fatalf("allRecentSessions after a failed login: %v, want 415", err)
		}
		d.mu.Lock()
		for i, c := range d.opened {
			if c.closed() != 1 {
				t.Fatalf("cache %s failed: cache %d closed %d times, want 1", what, i, c.closed())
			}
		}
		d.mu.Unlock()
		if _, live, _ := d.net.count(""); live != 0 {
			t.Fatalf("cache %s failed: %d connections open", what, live)
		}
	}
	// autoLogin fails the same way on a cache that cannot be written.
	d.wrap = func(c core.Cache) core.Cache { return failCache{c, "apply"} }
	if err := d.c.AutoLogin(context.Background(), "alice", "alice-token"); err == nil || d.c.IsLogined() {
		t.Fatalf("autoLogin with a failing cache: %v, IsLogined %v", err, d.c.IsLogined())
	}
	// Once the cache works, login works.
	d.wrap = nil
	d.login("alice")
}

func TestOriginNotAllowed(t *testing.T) {
	ts := startServer(t)
	ts.user("alice")
	d := newDevice(t, ts, false)
	d.net.origin = "http://evil.example:3000"
	err := d.c.Login(context.Background(), "alice", "alice-token")
	e := core.AsError(err)
	if e == nil || e.Code != proto.CodeForbidden || !strings.Contains(e.Msg, "http://evil.example:3000") ||
		!strings.Contains(e.Msg, "YUNXIN_ALLOWED_ORIGINS") {
		t.Fatalf("login from a page on an origin not allowed: %v, want 403 naming the origin and YUNXIN_ALLOWED_ORIGINS", err)
	}
	if d.c.IsLogined() {
		t.Fatal("logged in although the origin was refused")
	}
	// autoLogin gives up at once too (no retry) and says why.
	if err := d.c.AutoLogin(context.Background(), "alice", "alice-token"); err != nil {
		t.Fatal(err)
	}
	d.waitFor("autoLoginFailed", func() bool {
		return d.count(func(ev core.Event) bool {
			a, ok := ev.Data.(core.AccountEvent)
			return ok && a.EventType == "autoLoginFailed" && a.Code == proto.CodeForbidden && strings.Contains(a.Msg, "YUNXIN_ALLOWED_ORIGINS")
		}) == 1
	})
	d.waitFor("logged out", func() bool { return !d.c.IsLogined() })
	if dials, live, _ := d.net.count(""); dials != 2 || live != 0 {
		t.Fatalf("dials %d (want 2: one per login, no retry), open %d", dials, live)
	}
}

func TestCreateRecentSessionAsksServer(t *testing.T) {
	_, a, _ := aliceAndBob(t, false)
	ctx := context.Background()
	_, _, before := a.net.count(proto.OpUsers) // the login's (its own profile)
	err := a.c.CreateRecentSession(ctx, "nobody", 0)
	if e := core.AsError(err); e == nil || e.Code != proto.CodeNotFound || e.Msg != "user not found: nobody" {
		t.Fatalf("creatRecentSession of an unknown account: %v, want 404 user not found: nobody", err)
	}
	if a.session("nobody") != nil {
		t.Fatal("a session was created for an unknown account")
	}
	if err := a.c.CreateRecentSession(ctx, "bob", 0); err != nil {
		t.Fatal(err)
	}
	if err := a.c.CreateRecentSession(ctx, "alice", 0); err != nil { // note to self
		t.Fatal(err)
	}
	if a.session("bob") == nil || a.session("alice") == nil {
		t.Fatal("sessions with bob and with herself missing")
	}
	if _, _, users := a.net.count(proto.OpUsers); users-before != 2 {
		t.Fatalf("%d users requests, want 2 (nobody, bob; none for herself)", users-before)
	}
}

func TestOfflineReadMarkOfSyncedConversation(t *testing.T) {
	// The conversation is fully synced (its row is behind the stored
	// cursor), so the next sync does not bring it back: the read mark made
	// offline goes to the server because it is above the server's as last
	// seen.
	ts := startServer(t)
	ts.user("alice")
	ts.user("bob")
	b := newDevice(t, ts, true)
	b.login("bob")
	b.send("alice", "read me offline")
	a1, a2 := newDevice(t, ts, true), newDevice(t, ts, true)
	a1.login("alice")
	a2.login("alice")
	for _, a := range []*device{a1, a2} {
		if s := a.session("bob"); s == nil || s.UnreadCount != 1 {
			t.Fatalf("unread before = %+v, want 1", s)
		}
	}
	ts.stop()
	a1.waitStep(core.StepDisconnected, 1)
	if err := a1.c.MarkAllMessagesReadInSession(context.Background(), "bob", 0); err != nil {
		t.Fatalf("offline mark read: %v", err)
	}
	if _, _, reads := a1.net.count(proto.OpRead); reads != 0 {
		t.Fatalf("%d read requests while offline", reads)
	}
	ts.start()
	a1.waitStep(core.StepSynced, 2)
	if _, _, reads := a1.net.count(proto.OpRead); reads != 1 {
		t.Fatalf("%d read requests after reconnecting, want 1", reads)
	}
	a2.waitFor("a2's unread cleared by a1's offline read mark", func() bool {
		s := a2.session("bob")
		return s != nil && s.UnreadCount == 0
	})
	// Sent once: the next sync has nothing to send.
	a1.c.Logout(context.Background())
	a1.login("alice")
	if _, _, reads := a1.net.count(proto.OpRead); reads != 1 {
		t.Fatalf("%d read requests after logging in again, want still 1", reads)
	}
}
