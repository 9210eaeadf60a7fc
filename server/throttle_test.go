package server

import (
	"fmt"
	"testing"
	"time"

	"yunxin/proto"
)

func TestLoginThrottleUnit(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	fail := func(th *loginThrottle, ip, acc string) bool {
		if !th.begin(ip, acc, now) {
			return false
		}
		th.end(ip, acc, true, now)
		return true
	}
	t.Run("per IP", func(t *testing.T) {
		th := newLoginThrottle(100)
		for i := range loginFailIPBurst { // guesses spread over accounts
			if !fail(th, "10.0.0.1", fmt.Sprint("acc", i)) {
				t.Fatalf("blocked after %d failures", i)
			}
		}
		if th.begin("10.0.0.1", "fresh", now) {
			t.Fatal("IP not blocked after its burst of failures")
		}
		if !th.begin("10.0.0.2", "fresh", now) {
			t.Fatal("another IP blocked")
		}
		if !th.begin("10.0.0.1", "fresh", now.Add(loginFailIPEvery)) {
			t.Fatal("IP still blocked after one interval")
		}
	})
	t.Run("per account", func(t *testing.T) {
		th := newLoginThrottle(100)
		for i := range loginFailAccountBurst { // guesses spread over IPs
			fail(th, fmt.Sprint("10.1.0.", i), "alice")
		}
		if th.begin("10.2.0.1", "alice", now) {
			t.Fatal("account not blocked after its burst of failures")
		}
		if !th.begin("10.2.0.1", "bob", now) {
			t.Fatal("another account blocked")
		}
		if !th.begin("10.2.0.1", "alice", now.Add(loginFailAccountEvery)) {
			t.Fatal("account still blocked after one interval")
		}
	})
	t.Run("parallel guesses", func(t *testing.T) {
		th := newLoginThrottle(100)
		n := 0
		for th.begin("10.3.0.1", "carol", now) { // checks in flight count as failures-to-be
			n++
		}
		if n != loginFailAccountBurst {
			t.Fatalf("%d logins in flight, want %d", n, loginFailAccountBurst)
		}
		for range n { // they all succeed: nothing is taken
			th.end("10.3.0.1", "carol", false, now)
		}
		if !th.begin("10.3.0.1", "carol", now) || len(th.acc.m) != 1 {
			t.Fatalf("blocked after good logins (%d entries)", len(th.acc.m))
		}
		th.end("10.3.0.1", "carol", false, now)
		if len(th.ip.m) != 0 || len(th.acc.m) != 0 {
			t.Fatalf("good logins left %d and %d entries", len(th.ip.m), len(th.acc.m))
		}
	})
	t.Run("bounded by idle entries, never forgetting a limit", func(t *testing.T) {
		th := newLoginThrottle(100)
		for i := range 1000 { // good logins leave nothing
			th.begin(fmt.Sprint("ip", i), fmt.Sprint("acc", i), now)
			th.end(fmt.Sprint("ip", i), fmt.Sprint("acc", i), false, now)
		}
		if len(th.ip.m) != 0 || len(th.acc.m) != 0 {
			t.Fatalf("good logins left %d and %d entries", len(th.ip.m), len(th.acc.m))
		}
		// A flood of failures from many IPs: every entry still limits, so
		// none is dropped, even past the cap.
		for i := range 1000 {
			now := now.Add(time.Duration(i) * time.Millisecond)
			th.begin(fmt.Sprint("ip", i), fmt.Sprint("acc", i), now)
			th.end(fmt.Sprint("ip", i), fmt.Sprint("acc", i), true, now)
		}
		if len(th.ip.m) != 1000 || len(th.acc.m) != 1000 {
			t.Fatalf("limiting entries dropped: %d and %d left of 1000", len(th.ip.m), len(th.acc.m))
		}
		// The first one still counts its failure: the rest of its burst,
		// then blocked.
		for i := range loginFailIPBurst - 1 {
			if !fail(th, "ip0", fmt.Sprint("other", i)) {
				t.Fatalf("ip0 blocked after %d more failures", i)
			}
		}
		if th.begin("ip0", "fresh", now.Add(time.Second)) {
			t.Fatal("ip0's first failure was forgotten")
		}
		// Refilled entries are idle: a while later the next new key sweeps
		// them all.
		th.begin("late", "late", now.Add(time.Hour))
		if len(th.ip.m) != 1 || len(th.acc.m) != 1 {
			t.Fatalf("idle entries kept: %d and %d", len(th.ip.m), len(th.acc.m))
		}
	})
	t.Run("IPv6 by /64", func(t *testing.T) {
		th := newLoginThrottle(100)
		for i := range loginFailIPBurst { // one host, many addresses of its /64
			if !fail(th, fmt.Sprintf("2001:db8:1:2::%x", i+1), fmt.Sprint("acc", i)) {
				t.Fatalf("blocked after %d failures", i)
			}
		}
		if th.begin("2001:db8:1:2:ffff:ffff:ffff:ffff", "fresh", now) {
			t.Fatal("another address of the /64 not blocked")
		}
		if !th.begin("2001:db8:1:3::1", "fresh", now) {
			t.Fatal("the next /64 blocked")
		}
		for _, tc := range []struct{ in, want string }{
			{"10.0.0.1", "10.0.0.1"},
			{"::ffff:10.0.0.1", "10.0.0.1"},
			{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
			{"fe80::1%eth0", "fe80::/64"},
			{"not an ip", "not an ip"},
		} {
			if got := ipKey(tc.in); got != tc.want {
				t.Errorf("ipKey(%q) = %q, want %q", tc.in, got, tc.want)
			}
		}
	})
}

// TestLoginThrottled: wrong tokens soon get 416 even with the right token,
// while many good logins from the same IP all pass.
func TestLoginThrottled(t *testing.T) {
	e := newEnv(t, "alice", "bob")
	e.srv.reqBurst = 1000
	for range 3 * loginFailIPBurst { // good logins take nothing from the limiters
		c, _ := e.login("bob")
		c.ws.CloseNow()
	}
	wrong := proto.LoginReq{AppKey: testKey, Account: "alice", Token: "guess", Version: proto.Version}
	for range loginFailAccountBurst {
		c := e.dial()
		c.fail(proto.OpLogin, wrong, proto.CodeBadAuth, "wrong account or token")
		c.waitClosed()
	}
	// alice's limiter is empty: even her right token is refused unchecked.
	c := e.dial()
	c.fail(proto.OpLogin, loginReq("alice"), proto.CodeRateLimited, "too many failed logins")
	c.waitClosed()
	// Guessing on other (unknown) accounts empties the IP's limiter too.
	for i := loginFailAccountBurst; i < loginFailIPBurst; i++ {
		c := e.dial()
		c.fail(proto.OpLogin, proto.LoginReq{AppKey: testKey, Account: fmt.Sprint("nobody", i), Token: "x", Version: proto.Version}, proto.CodeBadAuth, "wrong")
		c.waitClosed()
	}
	c = e.dial()
	c.fail(proto.OpLogin, loginReq("bob"), proto.CodeRateLimited, "too many failed logins")
	c.waitClosed()
	// Time heals: one interval later bob gets in again.
	e.srv.now = func() time.Time { return time.Now().Add(loginFailIPEvery) }
	e.login("bob")
}
