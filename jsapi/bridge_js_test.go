//go:build js && wasm

package jsapi

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hack-pad/safejs"
	"yunxin/core"
	"yunxin/internal/jx"
)

// hooks is a JS hooks object like the loader's whose deliver and event are
// Go functions: a test waits on what Go hands it, never on time.
type hooks struct {
	js        safejs.Value
	mu        sync.Mutex
	out       map[int]chan string
	events    chan string
	listeners string // what ready got as its second argument
	funcs     []safejs.Func
	progress  []string // "id json" of each hooks.progress, in order
}

func (h *hooks) result(id int) chan string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.out[id] == nil {
		h.out[id] = make(chan string, 16) // id 0 (no callback) is answered many times
	}
	return h.out[id]
}

func (h *hooks) fn(t *testing.T, f func(args []safejs.Value)) safejs.Value {
	t.Helper()
	fn, err := safejs.FuncOf(func(_ safejs.Value, args []safejs.Value) any { f(args); return nil })
	if err != nil {
		t.Fatal(err)
	}
	h.funcs = append(h.funcs, fn)
	return fn.Value()
}

// newHooks returns hooks recording what Go hands them. throwing makes
// deliver and event throw (after recording), as a buggy page's would.
func newHooks(t *testing.T, throwing bool) *hooks {
	t.Helper()
	h := &hooks{out: map[int]chan string{}, events: make(chan string, 16)}
	obj, err := safejs.Global().Get("Object")
	if err != nil {
		t.Fatal(err)
	}
	if h.js, err = obj.New(); err != nil {
		t.Fatal(err)
	}
	h.js.Set("ready", h.fn(t, func(args []safejs.Value) {
		h.js.Set("call", args[0])
		if len(args) > 1 {
			h.listeners, _ = args[1].String()
		}
	}))
	h.js.Set("progress", h.fn(t, func(args []safejs.Value) {
		id, _ := args[0].Int()
		s, _ := args[1].String()
		h.mu.Lock()
		h.progress = append(h.progress, strconv.Itoa(id)+" "+s)
		h.mu.Unlock()
	}))
	deliver := h.fn(t, func(args []safejs.Value) {
		id, _ := args[0].Int()
		s, _ := args[1].String()
		select {
		case h.result(id) <- s:
		default: // a JS callback must never block
		}
	})
	event := h.fn(t, func(args []safejs.Value) {
		kind, _ := args[0].String()
		s, _ := args[1].String()
		select {
		case h.events <- kind + " " + s:
		default:
		}
	})
	if throwing {
		fn, _ := safejs.Global().Get("Function")
		wrap, err := fn.New("f", `return function () { f.apply(null, arguments); throw new Error("page bug"); };`)
		if err != nil {
			t.Fatal(err)
		}
		deliver, _ = wrap.Invoke(deliver)
		event, _ = wrap.Invoke(event)
	}
	h.js.Set("deliver", deliver)
	h.js.Set("event", event)
	t.Cleanup(func() {
		for _, f := range h.funcs {
			f.Release()
		}
	})
	return h
}

// waitResult waits for the envelope of call id.
func waitResult(t *testing.T, h *hooks, id int) envelope {
	t.Helper()
	select {
	case s := <-h.result(id):
		var env envelope
		if err := json.Unmarshal([]byte(s), &env); err != nil {
			t.Fatalf("call %d: bad envelope %q: %v", id, s, err)
		}
		return env
	case <-time.After(5 * time.Second):
		t.Fatalf("call %d: no answer", id)
		return envelope{}
	}
}

// waitEvent waits for the next event hooks.event got, as "kind json".
func waitEvent(t *testing.T, h *hooks) string {
	t.Helper()
	select {
	case s := <-h.events:
		return s
	case <-time.After(5 * time.Second):
		t.Fatal("no event")
		return ""
	}
}

func installFake(t *testing.T, e Engine) (*hooks, safejs.Value) {
	t.Helper()
	h := newHooks(t, false)
	if _, err := Install(e, h.js); err != nil {
		t.Fatal(err)
	}
	call, _ := h.js.Get("call")
	if call.Type() != safejs.TypeFunction {
		t.Fatal("hooks.ready did not get a function")
	}
	return h, call
}

func TestBridgeCallsAndDelivers(t *testing.T) {
	h, call := installFake(t, &fake{})
	start := time.Now()
	r, err := call.Invoke("login", `{"account":"alice","token":"t"}`, 1)
	if err != nil || !(r.IsUndefined() || r.IsNull()) {
		t.Fatalf("call returned %v, %v", r, err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("call took %v", d)
	}
	if env := waitResult(t, h, 1); env.Err != nil || env.Ret["status"] != true {
		t.Errorf("login: %+v", env)
	}
	call.Invoke("sendText", `{"sessionId":5,"text":"x"}`, 2)
	wantErr(t, waitResult(t, h, 2), 414, "parameter sessionId must be a string")
	call.Invoke("createTeam", `{}`, 3)
	wantErr(t, waitResult(t, h, 3), 414, "parameter users must be an array of strings")
	call.Invoke("noSuchMethod", `{}`, 4)
	wantErr(t, waitResult(t, h, 4), 414, "method noSuchMethod not supported yet")
}

// TestBridgeProgress: upload's interim rets reach hooks.progress with the
// call's id, in order, all before hooks.deliver; a call without a callback
// (id 0) gets none.
func TestBridgeProgress(t *testing.T) {
	h, call := installFake(t, &fake{progress: [][2]int64{{1, 4}, {2, 4}, {4, 4}}})
	call.Invoke("upload", `{"filepath":"blob:http://p/1"}`, 7)
	env := waitResult(t, h, 7)
	if env.Err != nil || env.Ret["urlString"] != "https://files.test/u1" {
		t.Errorf("upload: %+v", env)
	}
	h.mu.Lock()
	got := strings.Join(h.progress, " | ")
	h.progress = nil
	h.mu.Unlock()
	want := `7 {"status":true,"progress":0.25} | 7 {"status":true,"progress":0.5} | 7 {"status":true,"progress":1}`
	if got != want {
		t.Errorf("progress\n got %s\nwant %s", got, want)
	}
	call.Invoke("upload", `{"filepath":"blob:http://p/1"}`, 0)
	waitResult(t, h, 0)
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.progress) != 0 {
		t.Errorf("progress for a call without a callback: %v", h.progress)
	}
}

func TestBridgeSurvivesBadArguments(t *testing.T) {
	h, call := installFake(t, &fake{})
	null, undef := safejs.Null(), safejs.Undefined()
	for i, args := range [][]any{
		{},
		{null, null, null},
		{undef},
		{42, 42, 5},
		{"login", 42, 6},
		{"login", undef, 7},
		{"login", null, 8},
		{"login", "{", 9},
		{"login", `{"account":["x"]}`, "not a number"},
		{"login", `{"account":"a","token":"b"}`, -1},
		{[]any{1, 2}, map[string]any{"a": 1}, 10},
	} {
		if _, err := call.Invoke(args...); err != nil {
			t.Errorf("args %d: %v", i, err)
		}
	}
	wantErr(t, waitResult(t, h, 5), 414, "parameter method")
	wantErr(t, waitResult(t, h, 6), 414, "parameter account")
	wantErr(t, waitResult(t, h, 7), 414, "parameter account")
	wantErr(t, waitResult(t, h, 8), 414, "parameter account")
	wantErr(t, waitResult(t, h, 9), 414, "parameter params")
	wantErr(t, waitResult(t, h, 10), 414, "parameter method")
	// the bridge still works
	call.Invoke("isLogined", "", 11)
	if env := waitResult(t, h, 11); env.Ret["status"] != true {
		t.Errorf("isLogined after garbage: %+v", env)
	}
}

func TestBridgeRecoversPanics(t *testing.T) {
	table["__panic"] = func(context.Context, Engine, params) (jx.Value, error) { panic("boom") }
	defer delete(table, "__panic")
	h, call := installFake(t, &fake{})
	call.Invoke("__panic", "", 1)
	wantErr(t, waitResult(t, h, 1), 500, "internal error in __panic: boom")
	// a nil engine panics inside the handler: still a 500, not a dead runtime
	h2, call2 := installFake(t, nil)
	call2.Invoke("logout", "", 2)
	wantErr(t, waitResult(t, h2, 2), 500, "internal error in logout")
	call.Invoke("currentAccount", "", 3)
	if env := waitResult(t, h, 3); env.Ret["userID"] != "alice" {
		t.Errorf("after panics: %+v", env)
	}
}

// TestBridgeSurvivesThrowingHooks: a page whose hooks throw costs that one
// delivery or event, never the runtime: the next calls are answered.
func TestBridgeSurvivesThrowingHooks(t *testing.T) {
	h := newHooks(t, true)
	b, err := Install(&fake{}, h.js)
	if err != nil {
		t.Fatal(err)
	}
	b.Func().Invoke("isLogined", "", 1)
	if env := waitResult(t, h, 1); env.Ret["status"] != true {
		t.Errorf("isLogined: %+v", env)
	}
	emit := Emitter(h.js)
	emit(core.Event{Kind: core.EventAccount, Data: core.AccountEvent{EventType: "login", Step: 1}})
	if ev := waitEvent(t, h); ev != `account {"eventType":"login","step":1}` {
		t.Errorf("event %s", ev)
	}
	b.Func().Invoke("currentAccount", "", 2)
	if env := waitResult(t, h, 2); env.Ret["userID"] != "alice" {
		t.Errorf("currentAccount after throws: %+v", env)
	}
	emit(core.Event{Kind: core.EventSession, Data: core.SessionEvent{EventType: "didRemoveRecentSession"}})
	if ev := waitEvent(t, h); !strings.HasPrefix(ev, `session {"eventType":"didRemoveRecentSession"`) {
		t.Errorf("event after throws %s", ev)
	}
}

func TestEmitter(t *testing.T) {
	h := newHooks(t, false)
	emit := Emitter(h.js)
	emit(core.Event{Kind: core.EventAccount, Data: core.AccountEvent{EventType: "login", Step: core.StepLoggedIn}})
	emit(core.Event{Kind: core.EventMessage, Data: core.MessageEvent{EventType: "onRecvMessages", Messages: []core.MessageView{{MessageID: "m1", Body: jx.RawMessage(`{"type":0,"text":"hi"}`)}}}})
	emit(core.Event{Kind: core.EventSession, Data: func() {}}) // cannot be encoded: dropped, no panic
	emit(core.Event{Kind: core.EventSession, Data: core.SessionEvent{EventType: "didAddRecentSession"}})
	// emit calls hooks.event synchronously: all are there, in order.
	var got []string
	for len(h.events) > 0 {
		got = append(got, <-h.events)
	}
	if len(got) != 3 {
		t.Fatalf("%d events: %q", len(got), got)
	}
	if got[0] != `account {"eventType":"login","step":5}` {
		t.Errorf("event 0 = %s", got[0])
	}
	if !strings.HasPrefix(got[1], `message {"eventType":"onRecvMessages","messages":[{"messageId":"m1"`) {
		t.Errorf("event 1 = %s", got[1])
	}
	if !strings.HasPrefix(got[2], `session {"eventType":"didAddRecentSession"`) {
		t.Errorf("event 2 = %s", got[2])
	}
}

// TestInstallHandsTheListenerTable: hooks.ready gets the listener methods
// and kinds the loader uses, the ones core emits.
func TestInstallHandsTheListenerTable(t *testing.T) {
	h, _ := installFake(t, &fake{})
	var got map[string][2]any
	if err := json.Unmarshal([]byte(h.listeners), &got); err != nil {
		t.Fatalf("ready's listeners %q: %v", h.listeners, err)
	}
	want := map[string][2]any{
		"addAccountListen": {core.EventAccount, true}, "removeAccountListen": {core.EventAccount, false},
		"addMessageListen": {core.EventMessage, true},
		"addSessionListen": {core.EventSession, true}, "removeSessionListen": {core.EventSession, false},
		"addFriendListen": {core.EventFriend, true}, "removeFriendListen": {core.EventFriend, false},
		"addNotificationListen": {core.EventNotification, true}, "removeNotificationListen": {core.EventNotification, false},
		"addTeamListen": {core.EventTeam, true}, "removeTeamListen": {core.EventTeam, false},
	}
	if len(got) != len(want) {
		t.Errorf("listeners %v, want %v", got, want)
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s: %v, want %v", name, got[name], w)
		}
	}
}

// TestBridgeWithCoreClient runs the real core.Client behind the bridge with
// a dialer that fails: every call gets exactly one answer.
func TestBridgeWithCoreClient(t *testing.T) {
	h := newHooks(t, false)
	dial := func(context.Context, string) (core.Conn, error) {
		return nil, core.Errf(415, "no network in this test")
	}
	open := func(context.Context, string, string) (core.Cache, error) { return core.NewMemCache(), nil }
	c := core.NewClient(core.Config{}, dial, open, Emitter(h.js))
	if _, err := Install(c, h.js); err != nil {
		t.Fatal(err)
	}
	call, _ := h.js.Get("call")
	call.Invoke("init", `{"appKey":"demo","server":"ws://127.0.0.1:1/ws","shouldSyncUnreadCount":"true"}`, 1)
	if env := waitResult(t, h, 1); env.Err != nil {
		t.Fatalf("init: %+v", env.Err)
	}
	if cfg := c.Config(); cfg.AppKey != "demo" || !cfg.ShouldSyncUnreadCount {
		t.Errorf("config %+v", cfg)
	}
	call.Invoke("isLogined", "", 2)
	if env := waitResult(t, h, 2); env.Ret["status"] != false || env.Err != nil {
		t.Errorf("isLogined: %+v", env)
	}
	call.Invoke("login", `{"account":"alice","token":"t"}`, 3)
	if env := waitResult(t, h, 3); env.Err == nil {
		t.Errorf("login without a network succeeded: %+v", env)
	}
	call.Invoke("currentAccount", "", 4)
	if env := waitResult(t, h, 4); env.Err != nil {
		t.Errorf("currentAccount: %+v", env)
	}
}

// slowAuto is a fake whose AutoLogin waits until the test releases it (like
// opening IndexedDB takes a while) and which records the order calls ran in.
type slowAuto struct {
	fake
	started, release chan struct{}
	order            []string
}

func (s *slowAuto) AutoLogin(ctx context.Context, a, t string) error {
	close(s.started)
	<-s.release
	s.order = append(s.order, "autoLogin")
	return nil
}

func (s *slowAuto) CurrentAccount() string {
	s.order = append(s.order, "currentAccount")
	return "alice"
}

func (s *slowAuto) IsLogined() bool {
	s.order = append(s.order, "isLogined")
	return false
}

// TestBarrier: calls made right after autoLogin run once it returned (the
// cache is open), in order; calls before it do not wait.
func TestBarrier(t *testing.T) {
	e := &slowAuto{started: make(chan struct{}), release: make(chan struct{})}
	h, call := installFake(t, e)
	call.Invoke("isLogined", "", 1)
	call.Invoke("autoLogin", `{"account":"alice","token":"t"}`, 2)
	call.Invoke("currentAccount", "", 3)
	call.Invoke("isLogined", "", 4)
	if env := waitResult(t, h, 1); env.Err != nil {
		t.Errorf("call 1: %+v", env.Err)
	}
	<-e.started
	// Calls 3 and 4 were made while autoLogin runs: they must not have run
	// (their goroutines would have run by now: the fake never blocks).
	select {
	case s := <-h.result(3):
		t.Fatalf("call 3 answered before autoLogin returned: %s", s)
	default:
	}
	close(e.release)
	for id := 2; id <= 4; id++ {
		if env := waitResult(t, h, id); env.Err != nil {
			t.Errorf("call %d: %+v", id, env.Err)
		}
	}
	if got := strings.Join(e.order, ","); got != "isLogined,autoLogin,currentAccount,isLogined" {
		t.Errorf("order %s", got)
	}
}

// slowPeople is a fake whose OpenLocalCache and notification marks wait
// until the test releases them, and which records the order calls ran in.
type slowPeople struct {
	fake
	started, release chan struct{}
	order            []string
}

func (s *slowPeople) wait(name string) error {
	s.started <- struct{}{}
	<-s.release
	s.order = append(s.order, name)
	return nil
}

func (s *slowPeople) OpenLocalCache(context.Context, string) error { return s.wait("openLocalCache") }
func (s *slowPeople) MarkAllNotificationsRead(context.Context) error {
	return s.wait("markAllNotificationsAsRead")
}
func (s *slowPeople) DeleteAllNotifications(context.Context) error {
	return s.wait("deleteAllNotifications")
}
func (s *slowPeople) NotificationsUnreadCount(context.Context) (int, error) {
	s.order = append(s.order, "allNotificationsUnreadCount")
	return 0, nil
}

// TestPeopleBarriers: a call made right after openLocalCache, or after
// markAllNotificationsAsRead() and deleteAllNotifications(), which the doc
// calls without a callback (id 0), runs once they returned.
func TestPeopleBarriers(t *testing.T) {
	for _, m := range []struct{ name, params string }{
		{"openLocalCache", `{"account":"alice"}`}, {"markAllNotificationsAsRead", ""}, {"deleteAllNotifications", ""},
	} {
		e := &slowPeople{started: make(chan struct{}, 1), release: make(chan struct{})}
		h, call := installFake(t, e)
		call.Invoke(m.name, m.params, 0)
		call.Invoke("allNotificationsUnreadCount", "", 2)
		<-e.started
		time.Sleep(10 * time.Millisecond) // call 2 would run now if it did not wait
		select {
		case s := <-h.result(2):
			t.Fatalf("%s: the next call answered before it returned: %s", m.name, s)
		default:
		}
		close(e.release)
		if env := waitResult(t, h, 2); env.Err != nil || env.Ret["unreadCount"] != 0.0 {
			t.Errorf("%s: call 2: %+v", m.name, env)
		}
		if got := strings.Join(e.order, ","); got != m.name+",allNotificationsUnreadCount" {
			t.Errorf("order %s", got)
		}
	}
}

// earlySend is a fake whose SendText answers early (core.SendAnswer), then
// waits until the test releases it, as a send whose cache write is slow.
type earlySend struct {
	fake
	answered, release chan struct{}
	mu                sync.Mutex
	order             []string
}

func (s *earlySend) record(name string) {
	s.mu.Lock()
	s.order = append(s.order, name)
	s.mu.Unlock()
}

func (s *earlySend) SendText(ctx context.Context, p core.SendTextParams) (*core.MessageView, error) {
	v := &core.MessageView{MessageID: "m1", DeliveryState: core.DeliverySent}
	if answer := core.SendAnswer(ctx); answer != nil {
		answer(v, nil)
	}
	close(s.answered)
	<-s.release
	s.record("sendText returned")
	return v, nil
}

func (s *earlySend) IsLogined() bool {
	s.record("isLogined")
	return true
}

// TestSendAnswersEarly: a send's callback comes when the send answers
// (the server's ack), before the send returns (the cache write); a call
// the page makes after that callback runs once the send returned, so it
// sees what the send wrote; a call made before it does not wait; the
// callback comes once.
func TestSendAnswersEarly(t *testing.T) {
	e := &earlySend{answered: make(chan struct{}), release: make(chan struct{})}
	h, call := installFake(t, e)
	call.Invoke("sendText", `{"sessionId":"bob","text":"hi"}`, 1)
	<-e.answered
	env := waitResult(t, h, 1)
	if env.Err != nil || env.Ret["status"] != true {
		t.Fatalf("early answer %+v", env)
	}
	call.Invoke("isLogined", "", 2) // after the callback: waits
	select {
	case s := <-h.result(2):
		t.Fatalf("a call made after the send's callback ran before the send returned: %s", s)
	case <-time.After(50 * time.Millisecond): // an absence cannot be awaited; the order below is the check
	}
	close(e.release)
	if env := waitResult(t, h, 2); env.Err != nil {
		t.Fatalf("call 2: %+v", env.Err)
	}
	select {
	case s := <-h.result(1):
		t.Fatalf("the send answered twice: %s", s)
	case <-time.After(50 * time.Millisecond):
	}
	e.mu.Lock()
	got := strings.Join(e.order, ",")
	e.mu.Unlock()
	if got != "sendText returned,isLogined" {
		t.Errorf("order %s, want sendText returned,isLogined", got)
	}
}

// yieldSend is a fake whose SendText answers early and then reports whether
// the page's microtasks queued by that answer (as the loader queues the
// page's callback) ran before it went on.
type yieldSend struct {
	fake
	ran chan bool
}

func (s *yieldSend) SendText(ctx context.Context, p core.SendTextParams) (*core.MessageView, error) {
	v := &core.MessageView{MessageID: "m1", DeliveryState: core.DeliverySent}
	if answer := core.SendAnswer(ctx); answer != nil {
		answer(v, nil)
	}
	n, _ := safejs.Global().Get("yunxinTestCallbacks")
	ran, _ := n.Truthy()
	s.ran <- ran
	return v, nil
}

// TestSendAnswerYieldsToPage: after a send answered early, the page's
// callback (the loader runs it in a microtask) and what it chains run
// before the send goes on with its cache write, not after it.
func TestSendAnswerYieldsToPage(t *testing.T) {
	e := &yieldSend{ran: make(chan bool, 1)}
	h, call := installFake(t, e)
	fn, _ := safejs.Global().Get("Function")
	// deliver queues the page's callback (a microtask chain, as the
	// loader's does); yield is the loader's (wasm's TestLoaderYield).
	wrap, err := fn.New("hooks", `var d = hooks.deliver; hooks.deliver = function (id, json) {
  d(id, json);
  Promise.resolve().then(function () { return null; }).then(function () { globalThis.yunxinTestCallbacks = 1; });
};
hooks.yield = function (f) {
  var c = new MessageChannel();
  c.port1.onmessage = function () { c.port1.close(); f(); };
  c.port2.postMessage(null);
};`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wrap.Invoke(h.js); err != nil {
		t.Fatal(err)
	}
	call.Invoke("sendText", `{"sessionId":"bob","text":"hi"}`, 1)
	if env := waitResult(t, h, 1); env.Err != nil {
		t.Fatalf("answer %+v", env)
	}
	if !<-e.ran {
		t.Error("the send went on before the page's callback and its promise chain ran")
	}
}
