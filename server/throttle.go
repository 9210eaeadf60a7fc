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
// one IP (an office, a test run) all pass.
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
		ip:  limiterMap{every: loginFailIPEvery, burst: loginFailIPBurst, max: maxKeys, m: map[string]*rate.Limiter{}},
		acc: limiterMap{every: loginFailAccountEvery, burst: loginFailAccountBurst, max: maxKeys, m: map[string]*rate.Limiter{}},
	}
}

// blocked reports whether logins from ip or to account are refused for now.
func (t *loginThrottle) blocked(ip, account string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.ip.empty(ip, now) || account != "" && t.acc.empty(account, now)
}

// failed records a failed login from ip to account ("" when the account
// name was not even valid).
func (t *loginThrottle) failed(ip, account string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.ip.take(ip, now)
	if account != "" {
		t.acc.take(account, now)
	}
}

// limiterMap is a bounded map of limiters created on first failure.
type limiterMap struct {
	every time.Duration
	burst int
	max   int
	m     map[string]*rate.Limiter
	swept time.Time // last evict
}

func (l *limiterMap) empty(key string, now time.Time) bool {
	lim := l.m[key]
	return lim != nil && lim.TokensAt(now) < 1
}

func (l *limiterMap) take(key string, now time.Time) {
	lim := l.m[key]
	if lim == nil {
		if len(l.m) >= l.max || now.Sub(l.swept) > time.Minute {
			l.evict(now)
		}
		lim = rate.NewLimiter(rate.Every(l.every), l.burst)
		l.m[key] = lim
	}
	lim.AllowN(now, 1)
}

// evict drops the limiters that have refilled (they hold nothing a new one
// would not). It runs when a new key finds the map full or a minute after
// the last run. If the map is still full (a flood of distinct keys), it drops
// arbitrary ones down to three quarters of max.
func (l *limiterMap) evict(now time.Time) {
	l.swept = now
	for k, lim := range l.m {
		if lim.TokensAt(now) >= float64(l.burst) {
			delete(l.m, k)
		}
	}
	for k := range l.m {
		if len(l.m) < l.max*3/4 {
			break
		}
		delete(l.m, k)
	}
}
