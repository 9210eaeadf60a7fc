package server

import (
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Failed-login throttling: every failed login (wrong token, unknown account)
// takes one token from the client IP's limiter and one from the account's.
// While either is empty, login answers 416 without checking the token, so
// guessing tokens is slow; good logins take nothing, so many of them from
// one IP (an office, a test run) all pass once the budget has tokens again.
// Logins being checked count against the tokens left, so parallel
// connections cannot guess past the burst either. An IPv6 client is keyed
// by its /64 (one host usually holds a whole /64), an IPv4 one by its
// address.
//
// The maps hold an entry only while it differs from a new one (a login in
// progress, or tokens below the burst). Idle entries are dropped; one that
// still limits is never dropped: past loginThrottleMaxKeys the map grows
// rather than forget a failure (an entry refills within burst × interval,
// a minute, so the map is bounded by the failures of the last minute).
const (
	loginFailIPBurst      = 20              // failures one IP may make at once…
	loginFailIPEvery      = 3 * time.Second // …then one more per interval
	loginFailAccountBurst = 10              // failures against one account at once…
	loginFailAccountEvery = 6 * time.Second // …then one more per interval
	loginThrottleMaxKeys  = 10000           // entries per map before idle ones are swept
)

// loginThrottle holds the failed-login limiters per client IP and per account.
type loginThrottle struct {
	mu  sync.Mutex
	ip  limiterMap
	acc limiterMap
}

func newLoginThrottle(maxKeys int) *loginThrottle {
	return &loginThrottle{
		ip:  limiterMap{every: loginFailIPEvery, burst: loginFailIPBurst, max: maxKeys, m: map[string]*limiterEntry{}},
		acc: limiterMap{every: loginFailAccountEvery, burst: loginFailAccountBurst, max: maxKeys, m: map[string]*limiterEntry{}},
	}
}

// begin reports whether a login from ip to account ("" when the account
// name is not even valid) may be checked now. When it may, the login counts
// as pending until end is called.
func (t *loginThrottle) begin(ip, account string, now time.Time) bool {
	ip = ipKey(ip)
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ip.empty(ip, now) || account != "" && t.acc.empty(account, now) {
		return false
	}
	t.ip.get(ip, now).pending++
	if account != "" {
		t.acc.get(account, now).pending++
	}
	return true
}

// end finishes a login that begin let through; a failed one takes a token
// from the IP's and the account's limiters.
func (t *loginThrottle) end(ip, account string, failed bool, now time.Time) {
	ip = ipKey(ip)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.ip.done(ip, failed, now)
	if account != "" {
		t.acc.done(account, failed, now)
	}
}

// ipKey is the throttling key of a client IP: the address for IPv4, its
// /64 for IPv6, the string itself when it is not an IP.
func ipKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	p, err := a.WithZone("").Prefix(64)
	if err != nil {
		return ip
	}
	return p.String()
}

// limiterMap is a map of limiters, one per key with a login in progress or
// a recent failure.
type limiterMap struct {
	every time.Duration
	burst int
	max   int // sweep when a new key finds this many entries…
	next  int // …or, after a sweep that left the map full, this many
	m     map[string]*limiterEntry
	swept time.Time // last sweep
}

type limiterEntry struct {
	lim     *rate.Limiter
	pending int // logins begun and not ended
}

// idle reports whether e holds nothing a new entry would not.
func (l *limiterMap) idle(e *limiterEntry, now time.Time) bool {
	return e.pending == 0 && e.lim.TokensAt(now) >= float64(l.burst)
}

func (l *limiterMap) empty(key string, now time.Time) bool {
	e := l.m[key]
	return e != nil && e.lim.TokensAt(now)-float64(e.pending) < 1
}

func (l *limiterMap) get(key string, now time.Time) *limiterEntry {
	e := l.m[key]
	if e == nil {
		if len(l.m) >= max(l.max, l.next) || now.Sub(l.swept) > time.Minute {
			l.sweep(now)
		}
		e = &limiterEntry{lim: rate.NewLimiter(rate.Every(l.every), l.burst)}
		l.m[key] = e
	}
	return e
}

func (l *limiterMap) done(key string, failed bool, now time.Time) {
	e := l.get(key, now)
	e.pending = max(e.pending-1, 0)
	if failed {
		e.lim.AllowN(now, 1)
	}
	if l.idle(e, now) {
		delete(l.m, key)
	}
}

// sweep drops the idle entries. It runs when a new key finds the map full
// or a minute after the last run. Entries that still limit are kept even
// when that leaves the map over max (a flood of failures from many IPs):
// the next sweep then waits for the map to double, so sweeping stays cheap.
func (l *limiterMap) sweep(now time.Time) {
	l.swept = now
	for k, e := range l.m {
		if l.idle(e, now) {
			delete(l.m, k)
		}
	}
	l.next = 0
	if len(l.m) >= l.max {
		l.next = 2 * len(l.m)
	}
}

// Per-account limits of writes that fan out or land in another account's
// inbox: profile updates (each one appends a ChangeUser to the logs of
// every friend and P2P partner) and friend requests (each one a
// notification in the target's inbox). A token bucket per account; an
// empty one answers 416 without writing.
const (
	profileUpdateBurst = 5                // profile updates at once…
	profileUpdateEvery = 10 * time.Second // …then one more per interval
	friendRequestBurst = 10               // friend requests at once…
	friendRequestEvery = 6 * time.Second  // …then one more per interval
)

// accountLimiter is a token bucket per account, on a limiterMap (idle
// entries, full buckets, are swept the same way).
type accountLimiter struct {
	mu sync.Mutex
	m  limiterMap
}

func newAccountLimiter(every time.Duration, burst, maxKeys int) *accountLimiter {
	return &accountLimiter{m: limiterMap{every: every, burst: burst, max: maxKeys, m: map[string]*limiterEntry{}}}
}

// allow takes a token of account's bucket at now; false when it is empty.
func (l *accountLimiter) allow(account string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.m.get(account, now).lim.AllowN(now, 1)
}
