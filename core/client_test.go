//go:build !js

package core_test

// These tests run the real engine against the real server (package server,
// SQLite in a temp dir) over real WebSockets on loopback; only the cache is
// the in-memory one (the IndexedDB one is tested in the browser).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"yunxin/core"
	"yunxin/internal/jx"
	"yunxin/proto"
	"yunxin/server"
)

type testServer struct {
	t    *testing.T
	dir  string
	addr string
	srv  *server.Server
	hs   *http.Server
}

func startServer(t *testing.T) *testServer {
	ts := &testServer{t: t, dir: t.TempDir()}
	ts.start()
	t.Cleanup(ts.stop)
	return ts
}

func (ts *testServer) start() {
	ts.t.Helper()
	cfg := server.Config{DataDir: ts.dir, AppKey: "demo", AppSecret: "secret"}
	srv, err := server.Open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		ts.t.Fatal(err)
	}
	addr := ts.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	var ln net.Listener
	for i := 0; i < 50; i++ { // the old listener's port may linger for a moment
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		ts.t.Fatal(err)
	}
	ts.addr = ln.Addr().String()
	ts.srv, ts.hs = srv, &http.Server{Handler: srv.Handler()}
	go ts.hs.Serve(ln)
}

func (ts *testServer) stop() {
	if ts.hs == nil {
		return
	}
	ts.srv.Close()
	ts.hs.Close()
	ts.hs = nil
}

func (ts *testServer) user(accid string) string {
	ts.t.Helper()
	tok, err := ts.srv.CreateUser(context.Background(), accid, accid, accid+"-token")
	if err != nil {
		ts.t.Fatal(err)
	}
	return tok
}

// spy is the tests' dialer: native coder/websocket connections adapted to
// core.Conn (a close frame becomes *core.ClosedError, as the wasm's dialer
// does), counting dials, connections still open and requests by op.
type spy struct {
	origin string // Origin header to send; "" for none (a non-browser client)

	mu    sync.Mutex
	dials int
	live  int
	ops   map[string]int
	syncs []proto.SyncReq                      // every sync request, in order
	hold  func(ctx context.Context, op string) // called before a request is written
	// drop, when set, says which frames from the server are dropped
	// unread; stash, which ones are handed over only after the next frame
	// (as if the server's fan-out had reordered them). stashed is signalled
	// when a frame was stashed.
	drop    func(f proto.Frame) bool
	stash   func(f proto.Frame) bool
	stashed chan struct{}
	conns   []*spyConn
	dialed  []*spyConn // every connection, to tell which one a test finds open
}

func (s *spy) dial(ctx context.Context, url string) (core.Conn, error) {
	var opts websocket.DialOptions
	if s.origin != "" {
		opts.HTTPHeader = http.Header{"Origin": {s.origin}}
	}
	c, _, err := websocket.Dial(ctx, url, &opts)
	if err != nil {
		return nil, err
	}
	c.SetReadLimit(proto.MaxFrame)
	sc := &spyConn{s: s, c: c}
	s.mu.Lock()
	s.dials++
	s.live++
	s.conns = append(s.conns, sc)
	s.dialed = append(s.dialed, sc)
	s.mu.Unlock()
	return sc, nil
}

// cut closes the device's connections from its side, as a network that
// drops them: the client reconnects.
func (s *spy) cut() {
	s.mu.Lock()
	conns := s.conns
	s.conns = nil
	s.mu.Unlock()
	for _, c := range conns {
		c.c.Close(websocket.StatusGoingAway, "cut")
	}
}

// count returns the dials, the connections not closed yet and the requests of op.
func (s *spy) count(op string) (dials, live, ops int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dials, s.live, s.ops[op]
}

type spyConn struct {
	s       *spy
	c       *websocket.Conn
	once    sync.Once
	pending []byte   // a stashed frame, handed over after the next one
	next    []byte   // the stashed frame, due at the next Read
	wrote   []string // the ops written (guarded by s.mu)
	closed  bool     // guarded by s.mu
}

func (w *spyConn) Read(ctx context.Context) ([]byte, error) {
	if b := w.next; b != nil {
		w.next = nil
		return b, nil
	}
	for {
		_, b, err := w.c.Read(ctx)
		var ce websocket.CloseError
		if errors.As(err, &ce) {
			return nil, &core.ClosedError{Code: int(ce.Code), Reason: ce.Reason}
		}
		if err != nil {
			return nil, err
		}
		var f proto.Frame
		json.Unmarshal(b, &f)
		w.s.mu.Lock()
		drop, stash, stashed := w.s.drop, w.s.stash, w.s.stashed
		w.s.mu.Unlock()
		if drop != nil && drop(f) {
			continue
		}
		if w.pending == nil && stash != nil && stash(f) {
			w.pending = b
			if stashed != nil {
				stashed <- struct{}{}
			}
			continue
		}
		if p := w.pending; p != nil { // b first, then the stashed frame
			w.pending = nil
			w.next = p
		}
		return b, nil
	}
}

func (w *spyConn) Write(ctx context.Context, b []byte) error {
	var f proto.Frame
	json.Unmarshal(b, &f)
	w.s.mu.Lock()
	if w.s.ops == nil {
		w.s.ops = map[string]int{}
	}
	w.s.ops[f.Op]++
	w.wrote = append(w.wrote, f.Op)
	if f.Op == proto.OpSync {
		var req proto.SyncReq
		json.Unmarshal(f.Data, &req)
		w.s.syncs = append(w.s.syncs, req)
	}
	hold := w.s.hold
	w.s.mu.Unlock()
	if hold != nil {
		hold(ctx, f.Op)
	}
	return w.c.Write(ctx, websocket.MessageText, b)
}

func (w *spyConn) Close() error {
	w.once.Do(func() {
		w.s.mu.Lock()
		w.s.live--
		w.closed = true
		w.s.mu.Unlock()
	})
	return w.c.Close(websocket.StatusNormalClosure, "")
}

// countedCache is one opened cache of a device: its MemCache (kept across
// logins, like a browser profile's IndexedDB) and how often it was closed.
type countedCache struct {
	*core.MemCache
	account string
	mu      sync.Mutex
	closes  int
}

func (c *countedCache) Close() error {
	c.mu.Lock()
	c.closes++
	c.mu.Unlock()
	return nil
}

func (c *countedCache) closed() int { c.mu.Lock(); defer c.mu.Unlock(); return c.closes }

// device is one SDK instance with its own caches that survive logouts (like
// one browser profile), a log of listener events and of log lines.
type device struct {
	t      *testing.T
	c      *core.Client
	net    *spy
	notify chan struct{} // signalled on every event
	mu     sync.Mutex
	events []core.Event
	logs   []string
	caches map[string]*core.MemCache
	opened []*countedCache
	wrap   func(core.Cache) core.Cache // optional: what open returns around the opened cache
	hook   func(core.Event)            // optional: called with each event as it is emitted
}

// loggedInWhen returns what IsLogined answered at each event satisfying f,
// as seen from inside the listener, from now on.
func (d *device) loggedInWhen(f func(core.Event) bool) func() []bool {
	var mu sync.Mutex
	var seen []bool
	d.mu.Lock()
	d.hook = func(e core.Event) {
		if f(e) {
			in := d.c.IsLogined()
			mu.Lock()
			seen = append(seen, in)
			mu.Unlock()
		}
	}
	d.mu.Unlock()
	return func() []bool { mu.Lock(); defer mu.Unlock(); return append([]bool(nil), seen...) }
}

func newDevice(t *testing.T, ts *testServer, syncUnread bool) *device {
	d := &device{t: t, caches: map[string]*core.MemCache{}, net: &spy{}, notify: make(chan struct{}, 1)}
	open := func(ctx context.Context, appKey, account string) (core.Cache, error) {
		d.mu.Lock()
		defer d.mu.Unlock()
		if d.caches[account] == nil {
			d.caches[account] = core.NewMemCache()
		}
		cc := &countedCache{MemCache: d.caches[account], account: account}
		d.opened = append(d.opened, cc)
		if d.wrap != nil {
			return d.wrap(cc), nil
		}
		return cc, nil
	}
	cfg := core.Config{AppKey: "demo", Server: "ws://" + ts.addr + "/ws", ShouldSyncUnreadCount: syncUnread}
	d.c = core.NewClient(cfg, d.net.dial, open, func(e core.Event) {
		d.mu.Lock()
		hook := d.hook
		d.mu.Unlock()
		if hook != nil {
			hook(e)
		}
		d.mu.Lock()
		d.events = append(d.events, e)
		d.mu.Unlock()
		d.signal()
	})
	d.c.SetLog(func(msg string) {
		d.mu.Lock()
		d.logs = append(d.logs, msg)
		d.mu.Unlock()
		d.signal()
	})
	t.Cleanup(func() { d.c.Logout(context.Background()) })
	return d
}

func (d *device) signal() {
	select {
	case d.notify <- struct{}{}:
	default:
	}
}

func (d *device) login(account string) {
	d.t.Helper()
	synced := d.count(isStep(core.StepSynced))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := d.c.Login(ctx, account, account+"-token"); err != nil {
		d.t.Fatalf("login %s: %v", account, err)
	}
	d.waitStep(core.StepSynced, synced+1)
}

// count returns how many events satisfy f.
func (d *device) count(f func(core.Event) bool) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for _, e := range d.events {
		if f(e) {
			n++
		}
	}
	return n
}

// waitFor waits until f holds, checking it after every event and log
// line of the device (no polling: f must become true with an event).
func (d *device) waitFor(what string, f func() bool) {
	d.t.Helper()
	timeout := time.NewTimer(60 * time.Second)
	defer timeout.Stop()
	for !f() {
		select {
		case <-d.notify:
		case <-timeout.C:
			d.t.Fatalf("timed out waiting for %s; events: %s", what, d.dump())
		}
	}
}

func (d *device) dump() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	b, _ := json.Marshal(d.events)
	return string(b)
}

func isStep(n int) func(core.Event) bool {
	return func(e core.Event) bool {
		a, ok := e.Data.(core.AccountEvent)
		return ok && a.EventType == "login" && a.Step == n
	}
}

func (d *device) waitStep(step, times int) {
	d.t.Helper()
	d.waitFor(fmt.Sprintf("login step %d ×%d", step, times), func() bool { return d.count(isStep(step)) >= times })
}

// received returns the texts of all messages reported by onRecvMessages.
func (d *device) received() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for _, e := range d.events {
		if m, ok := e.Data.(core.MessageEvent); ok && m.EventType == "onRecvMessages" {
			for _, v := range m.Messages {
				var b struct{ Text string }
				json.Unmarshal(v.Body, &b)
				out = append(out, b.Text)
			}
		}
	}
	return out
}

func (d *device) send(to, text string) *core.MessageView {
	d.t.Helper()
	v, err := d.c.SendText(context.Background(), core.SendTextParams{SessionID: to, Text: text})
	if err != nil {
		d.t.Fatalf("sendText to %s: %v", to, err)
	}
	return v
}

func (d *device) messages(with string, limit int) []core.MessageView {
	d.t.Helper()
	ms, err := d.c.MessagesInSession(context.Background(), core.MessagesParams{SessionID: with, Limit: limit})
	if err != nil {
		d.t.Fatal(err)
	}
	return ms
}

func (d *device) session(id string) *core.RecentSessionView {
	list, _ := d.c.AllRecentSessions(context.Background())
	for i := range list {
		if list[i].SessionID == id {
			return &list[i]
		}
	}
	return nil
}

// aliceAndBob starts a server with the accounts alice and bob and logs each
// in on a device of its own.
func aliceAndBob(t *testing.T, syncUnread bool) (*testServer, *device, *device) {
	ts := startServer(t)
	ts.user("alice")
	ts.user("bob")
	a, b := newDevice(t, ts, syncUnread), newDevice(t, ts, syncUnread)
	a.login("alice")
	b.login("bob")
	return ts, a, b
}

// twoAlicesAndBob starts a server with alice and bob and logs in two devices
// of alice and one of bob, all with shouldSyncUnreadCount on.
func twoAlicesAndBob(t *testing.T) (*testServer, *device, *device, *device) {
	ts := startServer(t)
	ts.user("alice")
	ts.user("bob")
	a1, a2, b := newDevice(t, ts, true), newDevice(t, ts, true), newDevice(t, ts, true)
	a1.login("alice")
	a2.login("alice")
	b.login("bob")
	return ts, a1, a2, b
}

func TestLoginErrors(t *testing.T) {
	ts := startServer(t)
	ts.user("alice")
	d := newDevice(t, ts, false)
	err := d.c.Login(context.Background(), "alice", "wrong")
	if e := core.AsError(err); e == nil || e.Code != proto.CodeBadAuth {
		t.Fatalf("wrong token: %v, want 302", err)
	}
	if d.c.IsLogined() {
		t.Fatal("IsLogined after a refused login")
	}
	if e := core.AsError(d.c.Login(context.Background(), "", "x")); e == nil || e.Code != proto.CodeBadParam {
		t.Fatalf("empty account: %v, want 414", e)
	}
	d.login("alice")
	if !d.c.IsLogined() || d.c.CurrentAccount() != "alice" {
		t.Fatal("not logged in after login")
	}
	for _, s := range []int{core.StepConnecting, core.StepConnected, core.StepLoggingIn, core.StepLoggedIn, core.StepSyncing, core.StepSynced} {
		d.waitStep(s, 1)
	}
	d.c.Logout(context.Background())
	if d.c.IsLogined() || d.c.CurrentAccount() != "" {
		t.Fatal("still logged in after logout")
	}

	// A server that is not there: 415.
	cfg := d.c.Config()
	cfg.Server = "ws://127.0.0.1:1/ws"
	d.c.SetConfig(cfg)
	if e := core.AsError(d.c.Login(context.Background(), "alice", "alice-token")); e == nil || e.Code != proto.CodeNetwork {
		t.Fatalf("unreachable server: %v, want 415", e)
	}
}

func TestSendReceiveReadReceipt(t *testing.T) {
	_, a, b := aliceAndBob(t, true)

	v, err := a.c.SendText(context.Background(), core.SendTextParams{SessionID: "bob", Text: "你好", Ext: jx.RawMessage(`{"k":"v"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if v.Seq != 1 || v.ServerID == "" || v.DeliveryState != core.DeliverySent || !v.IsOutgoingMsg {
		t.Fatalf("sent message = %+v", v)
	}
	b.waitFor("bob receives", func() bool { return len(b.received()) == 1 })
	if got := b.received()[0]; got != "你好" {
		t.Fatalf("bob got %q", got)
	}
	bm := b.messages("alice", 10)
	if len(bm) != 1 || bm[0].MessageID != v.MessageID || bm[0].From != "alice" || bm[0].IsOutgoingMsg || string(bm[0].RemoteExt) != `{"k":"v"}` {
		t.Fatalf("bob's messages = %+v", bm)
	}
	s := b.session("alice")
	if s == nil || s.UnreadCount != 1 || s.LastMessageID != v.MessageID {
		t.Fatalf("bob's session = %+v", s)
	}
	if n, _ := b.c.AllUnreadCount(context.Background()); n != 1 {
		t.Fatalf("bob unread = %d", n)
	}
	if err := b.c.MarkAllMessagesReadInSession(context.Background(), "alice", 0); err != nil {
		t.Fatal(err)
	}
	if n, _ := b.c.AllUnreadCount(context.Background()); n != 0 {
		t.Fatalf("bob unread after mark = %d", n)
	}
	if err := b.c.SendMessageReceipt(context.Background(), "alice", 0, v.MessageID); err != nil {
		t.Fatal(err)
	}
	a.waitFor("alice's receipt", func() bool {
		return a.count(func(e core.Event) bool {
			m, ok := e.Data.(core.MessageEvent)
			return ok && m.EventType == "onRecvMessageReceipts" && len(m.Receipts) == 1 && m.Receipts[0].SessionID == "bob"
		}) == 1
	})
	if am := a.messages("bob", 10); len(am) != 1 || !am[0].IsRemoteRead {
		t.Fatalf("alice's message not remote-read: %+v", am)
	}
	// The sender's own session has no unread.
	if s := a.session("bob"); s == nil || s.UnreadCount != 0 {
		t.Fatalf("alice's session = %+v", s)
	}
}

func TestOfflineDeliveryExactlyOnce(t *testing.T) {
	_, a, b := aliceAndBob(t, false)
	a.send("bob", "m0")
	b.waitFor("m0", func() bool { return len(b.received()) == 1 })
	b.c.Logout(context.Background())
	for i := 1; i <= 5; i++ {
		a.send("bob", fmt.Sprintf("m%d", i))
	}
	b.login("bob")
	b.waitFor("5 offline messages", func() bool { return len(b.received()) >= 6 })
	got := b.received()
	if fmt.Sprint(got) != "[m0 m1 m2 m3 m4 m5]" {
		t.Fatalf("received %v", got)
	}
	ms := b.messages("alice", 100)
	if len(ms) != 6 {
		t.Fatalf("bob has %d messages, want 6", len(ms))
	}
	for i, m := range ms {
		if m.Seq != int64(i+1) {
			t.Fatalf("message %d has seq %d", i, m.Seq)
		}
	}
	if s := b.session("alice"); s.UnreadCount != 6 {
		t.Fatalf("unread = %d, want 6", s.UnreadCount)
	}
	// Logging in again syncs nothing new (login returns after the sync's
	// end, step 8, and everything a sync receives is reported before it).
	b.c.Logout(context.Background())
	b.login("bob")
	if n := len(b.received()); n != 6 {
		t.Fatalf("after a second login %d messages were reported, want 6", n)
	}
}

func TestRoamingNewDevice(t *testing.T) {
	ts := startServer(t)
	ts.user("alice")
	ts.user("bob")
	a := newDevice(t, ts, false)
	a.login("alice")
	for i := 0; i < core.RoamLimit+20; i++ {
		a.send("bob", fmt.Sprint(i))
	}
	b := newDevice(t, ts, false)
	b.login("bob")
	b.waitFor("roamed messages", func() bool { return len(b.received()) == core.RoamLimit })
	ms := b.messages("alice", 100)
	if len(ms) != 100 || ms[0].Seq != 21 || ms[99].Seq != 120 {
		t.Fatalf("roamed %d messages from seq %d", len(ms), ms[0].Seq)
	}
}

func TestMultiDevice(t *testing.T) {
	_, a1, a2, b := twoAlicesAndBob(t)
	a1.waitFor("clients changed", func() bool {
		return a1.count(func(e core.Event) bool {
			x, ok := e.Data.(core.AccountEvent)
			return ok && x.EventType == "multiLoginClientsChanged" && len(x.Clients) == 1
		}) > 0
	})
	b.send("alice", "to both")
	a1.waitFor("a1 receives", func() bool { return len(a1.received()) == 1 })
	a2.waitFor("a2 receives", func() bool { return len(a2.received()) == 1 })
	v := a1.send("bob", "from a1")
	a2.waitFor("a2 sees a1's message", func() bool { return len(a2.received()) == 2 })
	ms := a2.messages("bob", 10)
	if len(ms) != 2 || ms[1].MessageID != v.MessageID || !ms[1].IsOutgoingMsg {
		t.Fatalf("a2's messages = %+v", ms)
	}
	// Unread marks sync across devices.
	if s := a2.session("bob"); s.UnreadCount != 1 {
		t.Fatalf("a2 unread = %d", s.UnreadCount)
	}
	if err := a1.c.MarkAllMessagesReadInSession(context.Background(), "bob", 0); err != nil {
		t.Fatal(err)
	}
	a2.waitFor("a2 unread cleared", func() bool { return a2.session("bob").UnreadCount == 0 })

	// Kicking the other web client ends its login without reconnects; the
	// page's kickout handler already finds it logged out.
	kicked := func(e core.Event) bool {
		x, ok := e.Data.(core.AccountEvent)
		return ok && x.EventType == "kickout" && x.ReasonCode == proto.KickByOtherClient
	}
	loggedIn := a2.loggedInWhen(kicked)
	if err := a1.c.KickOtherClient(context.Background(), 16); err != nil {
		t.Fatal(err)
	}
	a2.waitFor("kickout", func() bool { return a2.count(kicked) == 1 })
	if got := loggedIn(); len(got) != 1 || got[0] {
		t.Fatalf("isLogined in the kickout handler: %v, want [false]", got)
	}
	if a2.c.IsLogined() {
		t.Fatal("a2 still logged in after kickout")
	}
	if !core.LoopsEnded(a2.c, 10*time.Second) {
		t.Fatal("a2 goes on reconnecting after the kick")
	}
	if dials, _, _ := a2.net.count(""); dials != 1 {
		t.Fatalf("a2 dialed %d times, want 1 (no reconnect after a kick)", dials)
	}
}

func TestReconnectAfterServerRestart(t *testing.T) {
	ts, a, b := aliceAndBob(t, false)
	a.send("bob", "before")
	b.waitFor("before", func() bool { return len(b.received()) == 1 })

	ts.stop()
	a.waitStep(core.StepDisconnected, 1)
	b.waitStep(core.StepDisconnected, 1)
	// Offline: the cache is still readable, sending fails with 415.
	if ms := b.messages("alice", 10); len(ms) != 1 {
		t.Fatalf("offline read: %d messages", len(ms))
	}
	if _, err := a.c.SendText(context.Background(), core.SendTextParams{SessionID: "bob", Text: "lost"}); core.AsError(err).Code != proto.CodeNetwork {
		t.Fatalf("offline send: %v, want 415", err)
	}
	ts.start()
	a.waitStep(core.StepSynced, 2)
	b.waitStep(core.StepSynced, 2)
	a.send("bob", "after")
	b.waitFor("after", func() bool { return len(b.received()) == 2 })
	if got := fmt.Sprint(b.received()); got != "[before after]" {
		t.Fatalf("bob received %s", got)
	}
	// The failed message stays in alice's cache as failed.
	am := a.messages("bob", 10)
	if len(am) != 3 || am[1].DeliveryState != core.DeliveryFailed {
		t.Fatalf("alice's messages: %+v", am)
	}
}

func TestAutoLoginOffline(t *testing.T) {
	ts, a, b := aliceAndBob(t, false)
	a.send("bob", "cached")
	b.waitFor("cached", func() bool { return len(b.received()) == 1 })
	b.c.Logout(context.Background())
	ts.stop()

	// autoLogin with the server down: the cache is readable at once.
	if err := b.c.AutoLogin(context.Background(), "bob", "bob-token"); err != nil {
		t.Fatal(err)
	}
	if s := b.session("alice"); s == nil || s.LastMessage == nil {
		t.Fatalf("cached session missing: %+v", s)
	}
	if ms := b.messages("alice", 10); len(ms) != 1 {
		t.Fatalf("cached messages: %d", len(ms))
	}
	b.waitStep(core.StepConnectFailed, 1)
	// It keeps trying and gets in once the server is back.
	ts.start()
	b.waitStep(core.StepSynced, 2)
}

func TestOfflineReadMarkReachesOtherDevices(t *testing.T) {
	ts, a1, a2, b := twoAlicesAndBob(t)
	b.send("alice", "read me offline")
	a1.waitFor("a1 receives", func() bool { return len(a1.received()) == 1 })
	a2.waitFor("a2 receives", func() bool { return len(a2.received()) == 1 })

	ts.stop()
	a1.waitStep(core.StepDisconnected, 1)
	if err := a1.c.MarkAllMessagesReadInSession(context.Background(), "bob", 0); err != nil {
		t.Fatalf("offline mark read: %v", err)
	}
	ts.start()
	a1.waitStep(core.StepSynced, 2)
	a2.waitStep(core.StepSynced, 2)
	a2.waitFor("a2 unread cleared by a1's offline read mark", func() bool { return a2.session("bob").UnreadCount == 0 })
	if s := a1.session("bob"); s.UnreadCount != 0 {
		t.Fatalf("a1's unread came back: %d", s.UnreadCount)
	}
}
