package core

import (
	"context"
	"encoding/hex"
	"sync"
	"time"

	"yunxin/proto"
)

// Client is the SDK engine for one page: the account state machine, the
// connection with its requests and reconnects, the sync and the cache logic.
// It is plain Go: the browser edge (jsapi) only converts arguments, calls
// these methods from goroutines and shapes the results. All methods are safe
// for concurrent use.
//
// Client is the one front; behind it each login is a run (lifecycle.go)
// holding the account's state, one type per domain (sessions now; friends,
// teams, notifications later), which changes only through a tx (state.go):
// the new records are written to the cache first and installed in memory
// only once that write succeeded.
//
// Locking: life serializes Login, AutoLogin and Logout; writeMu serializes
// every change of the state (a tx holds it from reading the state to
// installing the new one), so cache writes happen in the order their changes
// were made; mu guards what readers see (the active run, its state, its link).
// A change holds both writeMu and mu while it installs, so a holder of
// writeMu may read the state without mu. Events are emitted with no lock held.
type Client struct {
	dial DialFunc
	open OpenCacheFunc
	emit func(Event)

	life    sync.Mutex // held across the start or stop of a run
	writeMu sync.Mutex // held across "read the state, write the cache, install"

	mu     sync.Mutex
	cfg    Config
	log    func(string)
	files  Files // the file edge (SetFiles); nil: no attachments
	active *run  // the current login or autoLogin; nil when logged out
	// lost is why the last run ended by itself when its cache was closed
	// under it (errCacheClosed), told by the calls made while logged out
	// until the next login or logout; nil otherwise.
	lost     *Error
	timeSkew int64 // server time - local time, ms

	backoff func(n int) time.Duration // the wait before reconnect attempt n: Backoff (tests shorten it)
	loops   sync.WaitGroup            // the runs' loops not ended yet (tests wait on it)
}

// NewClient returns a Client that dials with dial, opens caches with open and
// reports listener events through emit (called from the Client's goroutines,
// never while it holds a lock).
func NewClient(cfg Config, dial DialFunc, open OpenCacheFunc, emit func(Event)) *Client {
	if emit == nil {
		emit = func(Event) {}
	}
	return &Client{cfg: cfg, dial: dial, open: open, emit: emit, log: func(string) {}, backoff: Backoff}
}

// SetConfig replaces the configuration (yunxinIM.init). It takes effect at
// the next login. Check it first with Config.Check.
func (c *Client) SetConfig(cfg Config) { c.mu.Lock(); c.cfg = cfg; c.mu.Unlock() }

// Config returns the configuration.
func (c *Client) Config() Config { c.mu.Lock(); defer c.mu.Unlock(); return c.cfg }

// SetLog sets where the Client reports problems it cannot return to a
// caller: a pushed change or a sync page whose cache write failed, a change
// of an unknown kind. The default drops them; the wasm routes them to
// console.warn. log is called with no lock held and must not block.
func (c *Client) SetLog(log func(msg string)) {
	if log == nil {
		log = func(string) {}
	}
	c.mu.Lock()
	c.log = log
	c.mu.Unlock()
}

// logf reports a problem through the logger set by SetLog.
func (c *Client) logf(msg string) {
	c.mu.Lock()
	log := c.log
	c.mu.Unlock()
	log("yunxinIM: " + msg)
}

func (c *Client) emitAccount(e AccountEvent) { c.emit(Event{Kind: EventAccount, Data: e}) }

func (c *Client) step(n int) { c.emitAccount(AccountEvent{EventType: "login", Step: n}) }

func (c *Client) emitAll(events []Event) {
	for _, e := range events {
		c.emit(e)
	}
}

// IsLogined reports whether an account is logged in: a login succeeded or
// an autoLogin is active (as NIM's iOS SDK, an autoLogin counts as logged in
// while it reconnects in the background). A cache opened by OpenLocalCache
// alone is not a login.
func (c *Client) IsLogined() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.active != nil && !c.active.cacheOnly
}

// Online reports whether the connection is up and authenticated.
func (c *Client) Online() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.active != nil && c.active.link != nil
}

// CurrentAccount returns the logged-in account, or "".
func (c *Client) CurrentAccount() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.active == nil {
		return ""
	}
	return c.active.account
}

// KickOtherClient disconnects the account's other clients of clientType
// (1, 2, 4, 8, 16, 32 or 64).
func (c *Client) KickOtherClient(ctx context.Context, clientType int) error {
	if err := checkClientType(clientType); err != nil {
		return err
	}
	_, l, err := c.online()
	if err != nil {
		return err
	}
	return l.call(ctx, proto.OpKick, &proto.KickReq{ClientType: clientType}, nil)
}

var errNotLoggedIn = Errf(proto.CodeNetwork, "not logged in")

// notLoggedIn is the error of a call made while no run is current: 415
// "not logged in", saying why (and what to do) when the last run ended
// because its cache was closed under it. c.mu is held.
func (c *Client) notLoggedIn() *Error {
	if c.lost != nil {
		return Errf(errNotLoggedIn.Code, errNotLoggedIn.Msg+": "+c.lost.Msg)
	}
	return errNotLoggedIn
}

// current returns the active run or a 415 "not logged in".
func (c *Client) current() (*run, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.active == nil {
		return nil, c.notLoggedIn()
	}
	return c.active, nil
}

// online returns the active run and its authenticated link, or a 415.
func (c *Client) online() (*run, *link, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.active == nil {
		return nil, nil, c.notLoggedIn()
	}
	if c.active.cacheOnly {
		return nil, nil, errNotLoggedIn
	}
	if c.active.link == nil {
		return nil, nil, Errf(proto.CodeNetwork, "not connected")
	}
	return c.active, c.active.link, nil
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

// newID returns a random 128-bit id in hex (device ids).
func newID() string {
	var b [16]byte
	randomBytes(b[:])
	return hex.EncodeToString(b[:])
}

// NewMessageID returns a new message id (messageId, the client id a send
// is deduplicated by) as the SDK makes them: 32 hex digits, the first 12
// the time in ms by the local clock, the other 20 random (80 bits). Ids sort
// by the time they were made, so the server's dedupe index (cid, sender)
// grows at its right edge, a few pages per commit, instead of a random page
// per send (server migration 00008); they look like NetEase's (32 hex
// digits) and are unique without coordination.
func NewMessageID() string {
	id := []byte(newID())
	ms := time.Now().UnixMilli()
	for i := 11; i >= 0; i-- {
		id[i] = "0123456789abcdef"[ms&15]
		ms >>= 4
	}
	return string(id)
}
