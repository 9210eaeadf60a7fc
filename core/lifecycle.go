package core

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"yunxin/internal/jx"
	"yunxin/proto"
)

// run is one login (or autoLogin) of one account: its cache, its state in
// memory and its connection. Logout, a newer login, a kick or a refused
// login stops it; a stopped run has closed its link and its cache exactly
// once, and its goroutines end.
type run struct {
	ctx     context.Context
	cancel  context.CancelCauseFunc
	account string
	token   string
	cache   Cache
	stopped sync.Once

	// Guarded by Client.mu; st changes only through a tx.
	st        state
	link      *link              // authenticated connection, nil while offline
	clients   []proto.ClientInfo // the account's other online clients
	syncing   *link              // the link whose sync runs: msg and change pushes wait in held
	held      []push
	heldBytes int  // bytes of the data in held
	overflow  bool // held passed maxHeldBytes and was dropped: sync again before releasing

	// resync is set while the change log is synced again from the start
	// because the cache's cursor was moved by an SDK that knew fewer change
	// kinds (Meta.Kinds < changeKinds); since is that sync's cursor, kept in
	// memory only (a resync cut short starts over at the next start).
	resync bool
	since  int64

	send *sendState // messages being sent, the outbox, transfers (outbox.go, attach.go)

	// cacheOnly marks a run of openLocalCache: the cache is loaded and
	// readable, but there is no loop and no link; IsLogined is false and
	// what needs the server answers 415 "not logged in".
	cacheOnly bool

	// full (guarded by Client.mu) is set while synced data could not be
	// stored because the cache is full (ErrCacheFull): localCacheFull was
	// emitted and a sync retries until it stores everything (syncStored).
	// freed is signalled when a commit removed data (a delete may have
	// freed space): a waiting retry runs at once.
	full  bool
	freed chan struct{}

	// msgWrites counts the commits that wrote, deleted or cleared cached
	// message records (tx.commit, under the write lock). A send whose
	// "sending" record was the last of them (job.cachedAt) knows the cached
	// copy is its own at the ack, and finish need not read it back.
	msgWrites atomic.Uint64
}

// push is a server push kept for later.
type push struct {
	op   string
	data jx.RawMessage
}

var (
	errLoggedOut   = Errf(proto.CodeNetwork, "logged out")
	errNewerLogin  = Errf(proto.CodeNetwork, "cancelled by a newer login")
	errLoginKicked = Errf(proto.CodeNetwork, "kicked out")
	errCacheClosed = Errf(proto.CodeServer, "the local cache was closed (another tab upgraded or deleted it): reload the page")
)

// changeKinds is the version of the set of change kinds this SDK applies
// (the registry, changeAppliers). Raise it whenever a kind is registered:
// a cache whose cursor was moved by an SDK that skipped the new kinds
// (Meta.Kinds lower) then syncs the whole change log again.
const changeKinds = 4

// Login opens the account's cache, connects, authenticates and syncs. It
// returns once logged in (the sync goes on in the background and step 8 of
// addAccountListen reports its end) or with the failure: 302 wrong account or
// token, 403 refused (the server's reason, e.g. the page's origin is not
// allowed), 408 timeout, 415 server unreachable, 500 the local cache failed.
// After a successful login the client reconnects by itself whenever the
// connection drops.
//
// Login, AutoLogin and Logout are serialized. A Login or AutoLogin ends the
// current run first: a Login still waiting then returns 415 "cancelled by a
// newer login", and the run it started leaves nothing open (connection,
// cache). A login that fails leaves the client logged out.
func (c *Client) Login(ctx context.Context, account, token string) error {
	if err := checkCredentials(account, token); err != nil {
		return err
	}
	first := make(chan error, 1)
	r, err := c.start(ctx, account, token, first)
	if err != nil {
		return err
	}
	var res error
	select {
	case res = <-first:
	case <-ctx.Done():
		c.stop(context.Background(), r, Errf(proto.CodeTimeout, "login cancelled: "+ctx.Err().Error()))
		res = <-first // the run's loop answers once it has closed what it opened
	}
	if r.ctx.Err() != nil {
		return context.Cause(r.ctx)
	}
	if res != nil {
		c.stop(context.Background(), r, res)
		return res
	}
	return nil
}

// AutoLogin opens the account's cache at once, so cached sessions and
// messages are readable even offline, then logs in in the background,
// retrying with backoff until it succeeds, the login is refused, the retry
// limit (maxAutoLoginRetryTimes) is reached or Logout is called. It fails
// only when the cache cannot be opened (the client is then logged out).
func (c *Client) AutoLogin(ctx context.Context, account, token string) error {
	if err := checkCredentials(account, token); err != nil {
		return err
	}
	_, err := c.start(ctx, account, token, nil)
	return err
}

// Logout disconnects, stops reconnecting and closes the cache. Logging out
// while logged out is not an error.
func (c *Client) Logout(ctx context.Context) error {
	c.life.Lock()
	defer c.life.Unlock()
	c.mu.Lock()
	r := c.active
	c.lost = nil
	c.mu.Unlock()
	if r != nil {
		c.stop(ctx, r, errLoggedOut)
	}
	return nil
}

// start ends the current run, opens the account's cache, loads it, makes
// the new run current and starts its loop. When any step fails the client is
// left logged out with nothing open. first (Login only) receives the
// result of the first connection attempt.
func (c *Client) start(ctx context.Context, account, token string, first chan<- error) (*run, error) {
	return c.startRun(ctx, account, token, first, false)
}

// startRun is start; with cacheOnly (openLocalCache) the run starts no
// loop: it only makes the cache's state current.
func (c *Client) startRun(ctx context.Context, account, token string, first chan<- error, cacheOnly bool) (*run, error) {
	c.life.Lock()
	defer c.life.Unlock()
	c.mu.Lock()
	old := c.active
	c.mu.Unlock()
	if old != nil {
		c.stop(ctx, old, errNewerLogin)
	}
	cfg := c.Config()
	cache, err := c.open(ctx, cfg.AppKey, account)
	if err == nil && cache == nil {
		err = Errf(proto.CodeServer, "no cache")
	}
	if err != nil {
		return nil, wrap("cannot open the local cache", err)
	}
	snap, err := cache.Load(ctx)
	if err != nil {
		cache.Close()
		return nil, wrap("cannot read the local cache", err)
	}
	r := &run{account: account, token: token, cache: cache, st: newState(snap), send: newSendState(), cacheOnly: cacheOnly,
		freed: make(chan struct{}, 1)}
	r.ctx, r.cancel = context.WithCancelCause(context.Background())
	// The meta is written at every start, a probe (MergeMeta keeps what is
	// stored): a cache that cannot be written fails the login here, not at
	// the first sync page. It also records the device id, once, and the
	// kinds this SDK applies (see changeKinds).
	m := r.st.meta
	if m.DeviceID == "" {
		m.DeviceID = newID()
	}
	if m.Kinds < changeKinds {
		r.resync = true // the change log again from ver 0; Kinds is raised when that sync ends
	} else {
		m.Kinds = changeKinds // a newer SDK's mark: the cursor moves with this SDK's kinds now
	}
	b := Batch{Meta: &m}
	if err := cache.Apply(ctx, &b); err != nil {
		cache.Close()
		r.cancel(err)
		return nil, wrap("cannot write the local cache", err)
	}
	merged := *b.Meta // another tab's marks, but this run's cursors (as tx.commit keeps them)
	merged.Ver, merged.ConvVer = m.Ver, m.ConvVer
	r.st.meta = merged
	c.writeMu.Lock()
	c.mu.Lock()
	c.active, c.lost = r, nil
	c.mu.Unlock()
	c.writeMu.Unlock()
	if cacheOnly {
		return r, nil
	}
	c.loops.Add(1)
	go c.loop(r, first)
	return r, nil
}

// stop ends run r: it stops being current (if it still is), its context is
// cancelled with cause, and, the first time only, its link says logout and
// closes and its cache closes. ctx bounds the logout request.
func (c *Client) stop(ctx context.Context, r *run, cause error) {
	c.detach(r, cause)
	c.mu.Lock()
	l := r.link
	r.link = nil
	c.mu.Unlock()
	r.stopped.Do(func() {
		if l != nil {
			ctx, cancel := context.WithTimeout(ctx, time.Second)
			l.call(ctx, proto.OpLogout, nil, nil)
			cancel()
			l.close(errLoggedOut)
		}
		if err := r.cache.Close(); err != nil {
			c.logf("closing the local cache: " + err.Error())
		}
	})
}

// detach makes run r not current (if it still is) and cancels its context
// with cause, at once: no change of r's state is half done when it returns
// (it waits for a tx in progress) and none starts after. It reports whether
// r was the current run.
func (c *Client) detach(r *run, cause error) bool {
	c.writeMu.Lock()
	c.mu.Lock()
	current := c.active == r
	if current {
		c.active = nil
	}
	c.mu.Unlock()
	c.writeMu.Unlock()
	r.cancel(cause)
	return current
}

// end stops run r from within (a kick, a refused login, a closed cache):
// r is detached first, so that a page calling isLogined() in its handler of
// ev hears false, then ev is emitted (only when r was the current run), then
// the link and the cache close in the background. No lock may be held.
func (c *Client) end(r *run, cause error, ev AccountEvent) {
	if c.detach(r, cause) {
		c.emitAccount(ev)
	}
	go c.stop(context.Background(), r, cause)
}

// cacheFailed returns err. When err says the cache was closed under the run
// (ErrCacheClosed: another tab upgraded or deleted the database), no later
// write can succeed: the run ends with autoLoginFailed (500) instead of
// going on without a cache or reconnecting, and the calls made after it
// answer 415 "not logged in" with the same reason (Client.lost).
func (c *Client) cacheFailed(r *run, err error) error {
	if err != nil && errors.Is(err, ErrCacheClosed) {
		c.mu.Lock()
		if c.active == r {
			c.lost = errCacheClosed
		}
		c.mu.Unlock()
		c.end(r, errCacheClosed, AccountEvent{EventType: "autoLoginFailed", Code: errCacheClosed.Code, Msg: errCacheClosed.Msg})
	}
	return err
}

// cacheFull is the message of localCacheFull: what happened and what frees
// space. The failing write's own error follows it.
const cacheFull = "the browser's storage for this site is full: messages and changes from the server cannot be stored " +
	"and wait on the server; free space (deleteAllMessages, deleteAllmessagesInSession, or clear other data of " +
	"this site) and the SDK stores them by itself"

// reportFull tells the page, once per episode (until a sync stores
// everything again), that synced data waits because the cache is full:
// addAccountListen's localCacheFull, code 500. It reports whether err is
// such a failure (ErrCacheFull).
func (c *Client) reportFull(r *run, err error) bool {
	if err == nil || !errors.Is(err, ErrCacheFull) {
		return false
	}
	c.mu.Lock()
	first := !r.full && c.active == r
	r.full = true
	c.mu.Unlock()
	if first {
		c.logf("local cache full: " + err.Error())
		c.emitAccount(AccountEvent{EventType: "localCacheFull", Code: proto.CodeServer, Msg: cacheFull + " (" + err.Error() + ")"})
	}
	return true
}

// spaceFreed signals a sync waiting for space (syncStored) that a commit
// of run r removed data.
func (r *run) spaceFreed() {
	select {
	case r.freed <- struct{}{}:
	default:
	}
}

// syncStored syncs over link l, applying the pushes held meanwhile, until
// everything is stored. A sync whose write fails because the cache is full
// (ErrCacheFull) stops where the stored data is (its cursors are not
// moved past it, so nothing is lost), is reported (reportFull), and runs
// again on the same link after a backoff (c.backoff, growing), or at once
// when a delete may have freed space; pushes stay held meanwhile. Any
// other failure closes l (the loop reconnects and syncs again) or, for a
// closed cache, ends the run; it is returned.
func (c *Client) syncStored(r *run, l *link) error {
	waits := 0
	for {
		err := c.sync(r, l)
		if err == nil && c.releaseHeld(r, l) {
			c.mu.Lock()
			r.full = false
			c.mu.Unlock()
			return nil
		}
		if err == nil {
			continue // the pushes held during the sync passed their cap and were dropped: sync again
		}
		if r.ctx.Err() == nil && c.reportFull(r, err) {
			select {
			case <-time.After(c.backoff(waits)):
				waits++
				continue
			case <-r.freed:
				continue
			case <-l.done:
			case <-r.ctx.Done():
			}
		} else if r.ctx.Err() == nil && AsError(err).Code != proto.CodeNetwork {
			c.logf("sync failed, reconnecting: " + err.Error())
		}
		c.mu.Lock()
		if r.link == l {
			r.link = nil // pushes still arriving on l are dropped: the next sync brings them
		}
		if r.syncing == l {
			r.syncing, r.held, r.heldBytes, r.overflow = nil, nil, 0, false
		}
		c.mu.Unlock()
		c.cacheFailed(r, err)
		l.close(err) // reconnect and sync again
		return err
	}
}

// liveFull handles a failure to store what the server pushed on the live
// link (a message, a change, a gap's messages): when the cache is full, it
// is reported and a sync on the link takes over (resync), which stores it
// once there is space. It returns err.
func (c *Client) liveFull(r *run, err error) error {
	if !c.reportFull(r, err) {
		return err
	}
	c.mu.Lock()
	l := r.link
	start := l != nil && r.syncing == nil && c.active == r
	if start {
		r.syncing, r.held, r.heldBytes, r.overflow = l, nil, 0, false
	}
	c.mu.Unlock()
	if start {
		go c.resync(r, l)
	}
	return err
}

// resync syncs again on the live link l (its sync was marked running by
// liveFull), reporting login steps 7 and 8 as a sync after a login does,
// then sends what waits in the outbox.
func (c *Client) resync(r *run, l *link) {
	defer func() {
		if p := recover(); p != nil { // a panic here must not kill the runtime
			c.logf("resync: internal error: " + panicText(p))
			l.close(Errf(proto.CodeServer, "internal error"))
		}
	}()
	c.step(StepSyncing)
	if err := c.syncStored(r, l); err != nil {
		return
	}
	c.step(StepSynced)
	c.drainOutbox(r)
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
	return d - d/10 + time.Duration(randomBelow(int64(d/5)))
}

// loop connects, logs in, syncs and waits for the connection to drop, over
// and over, until the run is stopped or the server refuses the login. first
// (Login only) receives exactly one value, the result of the first attempt,
// and a first failure ends the loop.
func (c *Client) loop(r *run, first chan<- error) {
	defer c.loops.Done()
	report := func(err error) {
		if first != nil {
			first <- err
			first = nil
		}
	}
	defer func() {
		if p := recover(); p != nil {
			err := Errf(proto.CodeServer, "internal error")
			c.logf("internal error: " + panicText(p))
			c.emitAccount(AccountEvent{EventType: "login", Step: StepLoginFailed, Code: err.Code, Msg: err.Msg})
			report(err)
			c.stop(context.Background(), r, err)
		}
		if r.ctx.Err() != nil {
			report(context.Cause(r.ctx))
		}
		report(errLoggedOut)
	}()
	// failures counts the attempts that failed since the last completed
	// sync: a connection whose sync fails is a failed attempt too, so a sync
	// that keeps failing backs off like a server that cannot be reached.
	failures := 0
	giveUp := func(err error) bool {
		if max := c.Config().MaxAutoLoginRetryTimes; max > 0 && failures > max {
			e := AsError(err)
			c.end(r, err, AccountEvent{EventType: "autoLoginFailed", Code: e.Code, Msg: e.Msg})
			return true
		}
		return false
	}
	for r.ctx.Err() == nil {
		l, err := c.connect(r)
		if err == nil {
			report(nil)
			serr := c.afterLogin(r, l)
			if serr == nil {
				failures = 0
			}
			select {
			case <-l.done:
			case <-r.ctx.Done():
			}
			c.mu.Lock()
			if r.link == l && r.ctx.Err() == nil {
				// The link died. A stopped run's link is left to stop,
				// which says logout on it and closes it: set to nil here,
				// stop would find none and the connection stay open.
				r.link = nil
			}
			replaced := c.active != nil && c.active != r
			c.mu.Unlock()
			if !replaced {
				c.step(StepDisconnected)
			}
			if r.ctx.Err() != nil {
				return
			}
			if serr != nil {
				failures++
				if giveUp(serr) {
					return
				}
			}
		} else {
			if r.ctx.Err() != nil {
				return
			}
			if first != nil {
				report(err)
				return
			}
			e := AsError(err)
			switch e.Code {
			case proto.CodeBadAuth, proto.CodeForbidden, proto.CodeDisabled, proto.CodeBadParam:
				c.end(r, err, AccountEvent{EventType: "autoLoginFailed", Code: e.Code, Msg: e.Msg})
				return
			}
			failures++
			if giveUp(err) {
				return
			}
		}
		select {
		case <-time.After(c.backoff(failures)):
		case <-r.ctx.Done():
		}
	}
}

// connect dials and logs in, reporting steps 1–6, and makes the link r's.
func (c *Client) connect(r *run) (*link, error) {
	cfg := c.Config()
	c.step(StepConnecting)
	ctx, cancel := context.WithTimeout(r.ctx, RequestTimeout)
	conn, err := c.dial(ctx, cfg.Server)
	cancel()
	if err != nil {
		if r.ctx.Err() != nil {
			return nil, context.Cause(r.ctx)
		}
		c.step(StepConnectFailed)
		return nil, Errf(proto.CodeNetwork, "cannot connect to "+cfg.Server+": "+err.Error())
	}
	c.step(StepConnected)
	var l *link
	l = newLink(conn, func(op string, data jx.RawMessage) { c.onPush(r, l, op, data) })
	c.step(StepLoggingIn)
	c.mu.Lock()
	deviceID := r.st.meta.DeviceID
	c.mu.Unlock()
	var resp proto.LoginResp
	err = l.call(r.ctx, proto.OpLogin, &proto.LoginReq{AppKey: cfg.AppKey, Account: r.account, Token: r.token,
		ClientType: proto.ClientWeb, OS: cfg.OS, DeviceID: deviceID, Version: proto.Version}, &resp)
	if err != nil {
		l.close(err)
		if r.ctx.Err() != nil {
			return nil, context.Cause(r.ctx)
		}
		e := AsError(err)
		c.emitAccount(AccountEvent{EventType: "login", Step: StepLoginFailed, Code: e.Code, Msg: e.Msg})
		return nil, err
	}
	c.mu.Lock()
	if c.active != r || r.ctx.Err() != nil {
		c.mu.Unlock()
		l.close(errLoggedOut)
		if r.ctx.Err() != nil {
			return nil, context.Cause(r.ctx)
		}
		return nil, errLoggedOut
	}
	r.link, r.syncing, r.held = l, l, nil
	r.clients = resp.Clients
	c.timeSkew = resp.ServerTime - time.Now().UnixMilli()
	c.mu.Unlock()
	c.step(StepLoggedIn)
	return l, nil
}

// afterLogin reports the other clients, syncs (syncStored: a full cache
// keeps the sync retrying on l) and starts the heartbeat. It returns the
// sync's error, after closing l (the loop reconnects and syncs again), or
// ending the run when the cache was closed under it.
func (c *Client) afterLogin(r *run, l *link) error {
	c.mu.Lock()
	others := r.clients
	c.mu.Unlock()
	if len(others) > 0 {
		c.emitAccount(AccountEvent{EventType: "multiLoginClientsChanged", Type: 1, Clients: clientViews(others)})
	}
	c.step(StepSyncing)
	if err := c.syncStored(r, l); err != nil {
		return err
	}
	c.step(StepSynced)
	go c.drainOutbox(r) // what waits in the outbox goes out now
	go c.heartbeat(r, l)
	return nil
}

// heartbeat pings the server every 30 s while l lives; a failed ping closes
// l (the loop reconnects).
func (c *Client) heartbeat(r *run, l *link) {
	defer func() {
		if p := recover(); p != nil { // a panic here must not kill the runtime
			c.logf("heartbeat: internal error: " + panicText(p))
			l.close(Errf(proto.CodeServer, "internal error"))
		}
	}()
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
}

// panicText describes a recovered panic value.
func panicText(p any) string {
	switch v := p.(type) {
	case error:
		return v.Error()
	case string:
		return v
	}
	return "unknown panic"
}
