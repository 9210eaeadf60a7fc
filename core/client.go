package core

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"math/big"
	"sync"
	"time"

	"yunxin/proto"
)

// Client is the SDK engine for one page: the account state machine, the
// connection with its requests and reconnects, the sync and the cache logic.
// It is plain Go: the browser edge (jsapi) only decodes arguments, calls these
// methods from goroutines and shapes the results. All methods are safe for
// concurrent use.
//
// Locking: mu guards the in-memory state (account, sessions, link); writeMu
// serializes every change that is written to the cache, so that cache writes
// happen in the order their changes were made. Events are emitted with no
// lock held.
type Client struct {
	dial DialFunc
	open OpenCacheFunc
	emit func(Event)

	writeMu sync.Mutex // held across "change state, then write the cache"

	mu       sync.Mutex
	cfg      Config
	account  string
	token    string
	active   *run // the current login or autoLogin; nil when logged out
	cache    Cache
	meta     Meta
	sessions map[string]*Session // by Session.Key
	byConv   map[string]*Session // by Session.Conv
	link     *link               // authenticated connection, nil while offline
	clients  []proto.ClientInfo  // the account's other online clients
	timeSkew int64               // server time - local time, ms
	pulling  map[string]bool     // conversations with a gap pull running
}

// run is one login (or autoLogin) of one account; Logout cancels it.
type run struct {
	ctx    context.Context
	cancel context.CancelFunc
}

// NewClient returns a Client that dials with dial, opens caches with open and
// reports listener events through emit (called from the Client's goroutines,
// never while it holds a lock).
func NewClient(cfg Config, dial DialFunc, open OpenCacheFunc, emit func(Event)) *Client {
	if emit == nil {
		emit = func(Event) {}
	}
	return &Client{cfg: cfg, dial: dial, open: open, emit: emit}
}

// SetConfig replaces the configuration (yunxinIM.init). It takes effect at the next login.
func (c *Client) SetConfig(cfg Config) { c.mu.Lock(); c.cfg = cfg; c.mu.Unlock() }

// Config returns the configuration.
func (c *Client) Config() Config { c.mu.Lock(); defer c.mu.Unlock(); return c.cfg }

func (c *Client) emitAccount(e AccountEvent) { c.emit(Event{Kind: EventAccount, Data: e}) }

func (c *Client) step(n int) { c.emitAccount(AccountEvent{EventType: "login", Step: n}) }

// Login opens the account's cache, connects, authenticates and syncs. It
// returns once logged in (the sync goes on in the background and step 8 of
// addAccountListen reports its end) or with the failure: 302 wrong account or
// token, 408 timeout, 415 server unreachable. After a successful login the
// client reconnects by itself whenever the connection drops.
func (c *Client) Login(ctx context.Context, account, token string) error {
	if err := checkCredentials(account, token); err != nil {
		return err
	}
	r, err := c.start(ctx, account, token)
	if err != nil {
		return err
	}
	first := make(chan error, 1)
	go c.loop(r, account, token, first)
	select {
	case err := <-first:
		if err != nil {
			c.stop(r)
		}
		return err
	case <-ctx.Done():
		c.stop(r)
		return Errf(proto.CodeTimeout, "login cancelled")
	}
}

// AutoLogin opens the account's cache at once, so cached sessions and
// messages are readable even offline, then logs in in the background,
// retrying with backoff until it succeeds, the token is refused, the retry
// limit (maxAutoLoginRetryTimes) is reached or Logout is called.
func (c *Client) AutoLogin(ctx context.Context, account, token string) error {
	if err := checkCredentials(account, token); err != nil {
		return err
	}
	r, err := c.start(ctx, account, token)
	if err != nil {
		return err
	}
	go c.loop(r, account, token, nil)
	return nil
}

func checkCredentials(account, token string) error {
	if !proto.ValidAccount(account) {
		return BadParam("account", "must be 1–32 letters, digits or _ . @ -")
	}
	if token == "" || len(token) > 256 {
		return BadParam("token", "must be a non-empty string of at most 256 characters")
	}
	return nil
}

// start ends any current login, opens the account's cache and makes the
// account current.
func (c *Client) start(ctx context.Context, account, token string) (*run, error) {
	c.Logout(ctx)
	cfg := c.Config()
	cache, err := c.open(ctx, cfg.AppKey, account)
	if err != nil {
		return nil, Errf(proto.CodeServer, "cannot open the local cache: "+err.Error())
	}
	snap, err := cache.Load(ctx)
	if err != nil {
		cache.Close()
		return nil, Errf(proto.CodeServer, "cannot read the local cache: "+err.Error())
	}
	r := &run{}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.account, c.token, c.active, c.cache, c.meta = account, token, r, cache, snap.Meta
	c.sessions = make(map[string]*Session, len(snap.Sessions))
	c.byConv = make(map[string]*Session, len(snap.Sessions))
	c.pulling = map[string]bool{}
	for i := range snap.Sessions {
		s := &snap.Sessions[i]
		c.sessions[s.Key] = s
		if s.Conv != "" {
			c.byConv[s.Conv] = s
		}
	}
	if c.meta.DeviceID == "" {
		c.meta.DeviceID = newID()
		m := c.meta
		if err := cache.Apply(ctx, &Batch{Meta: &m}); err != nil {
			return nil, Errf(proto.CodeServer, "cannot write the local cache: "+err.Error())
		}
	}
	return r, nil
}

// stop ends run r if it is still the current one.
func (c *Client) stop(r *run) {
	c.mu.Lock()
	if c.active != r {
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	c.Logout(context.Background())
}

// Logout disconnects, stops reconnecting and closes the cache. Logging out
// while logged out is not an error.
func (c *Client) Logout(ctx context.Context) error {
	c.writeMu.Lock()
	c.mu.Lock()
	r, l, cache := c.active, c.link, c.cache
	c.active, c.link, c.cache = nil, nil, nil
	c.account, c.token, c.sessions, c.byConv, c.clients = "", "", nil, nil, nil
	c.mu.Unlock()
	c.writeMu.Unlock()
	if r != nil {
		r.cancel()
	}
	if l != nil {
		ctx, cancel := context.WithTimeout(ctx, time.Second)
		l.call(ctx, proto.OpLogout, nil, nil)
		cancel()
		l.close(errLoggedOut)
	}
	if cache != nil {
		cache.Close()
	}
	return nil
}

var errLoggedOut = Errf(proto.CodeNetwork, "logged out")

// IsLogined reports whether an account is logged in: a login succeeded or
// an autoLogin is active (as NIM's iOS SDK, an autoLogin counts as logged in
// while it reconnects in the background).
func (c *Client) IsLogined() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.active != nil
}

// Online reports whether the connection is up and authenticated.
func (c *Client) Online() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.link != nil
}

// CurrentAccount returns the logged-in account, or "".
func (c *Client) CurrentAccount() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.account
}

// KickOtherClient disconnects the account's other clients of clientType.
func (c *Client) KickOtherClient(ctx context.Context, clientType int) error {
	switch clientType {
	case 1, 2, 4, 8, 16, 32, 64:
	default:
		return BadParam("client", "must be one of 1, 2, 4, 8, 16, 32, 64")
	}
	l, err := c.online()
	if err != nil {
		return err
	}
	return l.call(ctx, proto.OpKick, proto.KickReq{ClientType: clientType}, nil)
}

// online returns the authenticated link or a 415 error.
func (c *Client) online() (*link, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.active == nil {
		return nil, Errf(proto.CodeNetwork, "not logged in")
	}
	if c.link == nil {
		return nil, Errf(proto.CodeNetwork, "not connected")
	}
	return c.link, nil
}

// Backoff returns the wait before reconnect attempt n (0-based): NIM's 1.6 s,
// doubling, capped at 8 s, with ±10% jitter.
func Backoff(n int) time.Duration {
	d := 1600 * time.Millisecond
	for i := 0; i < n && d < 8*time.Second; i++ {
		d *= 2
	}
	if d > 8*time.Second {
		d = 8 * time.Second
	}
	j, _ := rand.Int(rand.Reader, big.NewInt(int64(d/5)))
	return d - d/10 + time.Duration(j.Int64())
}

// loop connects, logs in, syncs and waits for the connection to drop, over
// and over, until the run is cancelled or the server refuses the login.
// first (Login only) receives the result of the first attempt, and a first
// failure ends the loop.
func (c *Client) loop(r *run, account, token string, first chan<- error) {
	defer func() {
		if p := recover(); p != nil {
			c.emitAccount(AccountEvent{EventType: "login", Step: StepLoginFailed, Code: proto.CodeServer, Msg: "internal error"})
		}
	}()
	failures := 0
	for r.ctx.Err() == nil {
		l, err := c.connect(r, account, token)
		if err == nil {
			failures = 0
			if first != nil {
				first <- nil
				first = nil
			}
			c.afterLogin(r, l)
			select {
			case <-l.done:
			case <-r.ctx.Done():
			}
			c.mu.Lock()
			if c.link == l {
				c.link = nil
			}
			kicked := c.active != r
			c.mu.Unlock()
			if r.ctx.Err() == nil || kicked {
				c.step(StepDisconnected)
			}
		} else {
			if first != nil {
				first <- err
				return
			}
			code := AsError(err).Code
			if code == proto.CodeBadAuth || code == proto.CodeForbidden || code == proto.CodeDisabled || code == proto.CodeBadParam {
				c.emitAccount(AccountEvent{EventType: "autoLoginFailed", Code: code, Msg: AsError(err).Msg})
				c.stop(r)
				return
			}
			failures++
			if max := c.Config().MaxAutoLoginRetryTimes; max > 0 && failures > max {
				c.emitAccount(AccountEvent{EventType: "autoLoginFailed", Code: code, Msg: AsError(err).Msg})
				c.stop(r)
				return
			}
		}
		select {
		case <-time.After(Backoff(failures)):
		case <-r.ctx.Done():
		}
	}
}

// connect dials and logs in, reporting steps 1–6.
func (c *Client) connect(r *run, account, token string) (*link, error) {
	cfg := c.Config()
	c.step(StepConnecting)
	ctx, cancel := context.WithTimeout(r.ctx, RequestTimeout)
	conn, err := c.dial(ctx, cfg.Server)
	cancel()
	if err != nil {
		c.step(StepConnectFailed)
		return nil, Errf(proto.CodeNetwork, "cannot connect to "+cfg.Server+": "+err.Error())
	}
	c.step(StepConnected)
	var l *link
	l = newLink(conn, func(op string, data json.RawMessage) { c.onPush(r, l, op, data) })
	c.step(StepLoggingIn)
	c.mu.Lock()
	deviceID := c.meta.DeviceID
	c.mu.Unlock()
	var resp proto.LoginResp
	err = l.call(r.ctx, proto.OpLogin, proto.LoginReq{AppKey: cfg.AppKey, Account: account, Token: token,
		ClientType: proto.ClientWeb, OS: cfg.OS, DeviceID: deviceID, Version: proto.Version}, &resp)
	if err != nil {
		l.close(err)
		e := AsError(err)
		c.emitAccount(AccountEvent{EventType: "login", Step: StepLoginFailed, Code: e.Code, Msg: e.Msg})
		return nil, err
	}
	c.mu.Lock()
	if c.active != r {
		c.mu.Unlock()
		l.close(errLoggedOut)
		return nil, errLoggedOut
	}
	c.link = l
	c.clients = resp.Clients
	c.timeSkew = resp.ServerTime - time.Now().UnixMilli()
	c.mu.Unlock()
	c.step(StepLoggedIn)
	return l, nil
}

// afterLogin reports the other clients, syncs and starts the heartbeat.
func (c *Client) afterLogin(r *run, l *link) {
	c.mu.Lock()
	others := c.clients
	c.mu.Unlock()
	if len(others) > 0 {
		c.emitAccount(AccountEvent{EventType: "multiLoginClientsChanged", Type: 1, Clients: clientViews(others)})
	}
	c.step(StepSyncing)
	if err := c.sync(r.ctx, l); err != nil {
		l.close(err) // reconnect and sync again
		return
	}
	c.step(StepSynced)
	go func() {
		t := time.NewTicker(30 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				if err := l.call(r.ctx, proto.OpPing, nil, nil); err != nil {
					l.close(err)
					return
				}
			case <-l.done:
				return
			}
		}
	}()
}

func clientViews(cs []proto.ClientInfo) []ClientView {
	out := make([]ClientView, len(cs))
	for i, ci := range cs {
		out[i] = ClientView{OS: ci.OS, ClientType: ci.ClientType, LoginTime: ci.LoginTime, ClientIP: ci.IP}
	}
	return out
}

// now is the server's clock as best known, in ms.
func (c *Client) now() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().UnixMilli() + c.timeSkew
}

// newID returns a random 128-bit id in hex (message ids, device ids).
func newID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
