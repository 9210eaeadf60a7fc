package server

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Failed-login throttling: every failed login (wrong token, unknown account)
// takes one token from the client IP's limiter and one from the account's.
// While either is empty, login answers 416 without checking the token, so
// guessing tokens is slow; good logins take nothing, so many of them from
// one IP (an office, a test run) all pass. Logins being checked count
// against the tokens left, so parallel connections cannot guess past the
// burst either.
const (
	loginFailIPBurst      = 20              // failures one IP may make at once…
	loginFailIPEvery      = 3 * time.Second // …then one more per interval
	loginFailAccountBurst = 10              // failures against one account at once…
	loginFailAccountEvery = 6 * time.Second // …then one more per interval
	loginThrottleMaxKeys  = 10000           // limiters kept per map before idle ones are evicted
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
	t.mu.Lock()
	defer t.mu.Unlock()
	t.ip.done(ip, failed, now)
	if account != "" {
		t.acc.done(account, failed, now)
	}
}

// limiterMap is a bounded map of limiters, one per key with a login in
// progress or a recent failure.
type limiterMap struct {
	every time.Duration
	burst int
	max   int
	m     map[string]*limiterEntry
	swept time.Time // last evict
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
		if len(l.m) >= l.max || now.Sub(l.swept) > time.Minute {
			l.evict(now)
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

// evict drops the idle entries. It runs when a new key finds the map full
// or a minute after the last run. If the map is still full (a flood of
// distinct keys), it drops arbitrary entries without pending logins down to
// three quarters of max.
func (l *limiterMap) evict(now time.Time) {
	l.swept = now
	for k, e := range l.m {
		if l.idle(e, now) {
			delete(l.m, k)
		}
	}
	for k, e := range l.m {
		if len(l.m) < l.max*3/4 {
			break
		}
		if e.pending == 0 {
			delete(l.m, k)
		}
	}
}
