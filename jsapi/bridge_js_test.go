//go:build js && wasm

package jsapi

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hack-pad/safejs"

	"yunxin/core"
)

// newHooks returns a JS hooks object that records what Go hands it, like the
// loader does.
func newHooks(t *testing.T) safejs.Value {
	t.Helper()
	fn, err := safejs.Global().Get("Function")
	if err != nil {
		t.Fatal(err)
	}
	mk, err := fn.New(`var h = {out: {}, events: [], call: null};
h.ready = function (call) { h.call = call; };
h.deliver = function (id, json) { h.out[id] = json; };
h.event = function (kind, json) { h.events.push(kind + " " + json); };
return h;`)
	if err != nil {
		t.Fatal(err)
	}
	h, err := mk.Invoke()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func str(t *testing.T, v safejs.Value) string {
	t.Helper()
	if v.Type() != safejs.TypeString {
		return ""
	}
	s, err := v.String()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// waitResult waits for the envelope of call id.
func waitResult(t *testing.T, h safejs.Value, id int) envelope {
	t.Helper()
	out, _ := h.Get("out")
	deadline := time.Now().Add(5 * time.Second)
	for {
		v, _ := out.Get(itoa(id))
		if s := str(t, v); s != "" {
			var env envelope
			if err := json.Unmarshal([]byte(s), &env); err != nil {
				t.Fatalf("call %d: bad envelope %q: %v", id, s, err)
			}
			return env
		}
		if time.Now().After(deadline) {
			t.Fatalf("call %d: no answer", id)
		}
		time.Sleep(time.Millisecond)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func installFake(t *testing.T, e Engine) (safejs.Value, safejs.Value) {
	t.Helper()
	h := newHooks(t)
	if _, err := Install(e, h); err != nil {
		t.Fatal(err)
	}
	call, _ := h.Get("call")
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
	call.Invoke("sendImage", `{}`, 3)
	wantErr(t, waitResult(t, h, 3), 414, "sendImage not supported yet")
	call.Invoke("sendText", `{"sessionId":"bob","text":"x","chatType":2}`, 4)
	wantErr(t, waitResult(t, h, 4), 414, "chatType 2 not supported yet")
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
	table["__panic"] = func(context.Context, Engine, params) (any, error) { panic("boom") }
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

func TestBridgeSurvivesThrowingHooks(t *testing.T) {
	h := newHooks(t)
	fn, _ := safejs.Global().Get("Function")
	thrower, _ := fn.New(`throw new Error("page bug")`)
	h.Set("deliver", thrower)
	h.Set("event", thrower)
	b, err := Install(&fake{}, h)
	if err != nil {
		t.Fatal(err)
	}
	b.Func().Invoke("isLogined", "", 1)
	Emitter(h)(core.Event{Kind: core.EventAccount, Data: core.AccountEvent{EventType: "login", Step: 1}})
	time.Sleep(10 * time.Millisecond) // the goroutine ran and its deliver threw: we are still alive
}

func TestEmitter(t *testing.T) {
	h := newHooks(t)
	emit := Emitter(h)
	emit(core.Event{Kind: core.EventAccount, Data: core.AccountEvent{EventType: "login", Step: core.StepLoggedIn}})
	emit(core.Event{Kind: core.EventMessage, Data: core.MessageEvent{EventType: "onRecvMessages", Messages: []core.MessageView{{MessageID: "m1", Body: json.RawMessage(`{"type":0,"text":"hi"}`)}}}})
	emit(core.Event{Kind: core.EventSession, Data: func() {}}) // cannot be encoded: dropped, no panic
	ev, _ := h.Get("events")
	n, _ := ev.Length()
	if n != 2 {
		t.Fatalf("%d events", n)
	}
	e0, _ := ev.Index(0)
	if s := str(t, e0); s != `account {"eventType":"login","step":5}` {
		t.Errorf("event 0 = %s", s)
	}
	e1, _ := ev.Index(1)
	if s := str(t, e1); !strings.HasPrefix(s, `message {"eventType":"onRecvMessages","messages":[{"messageId":"m1"`) {
		t.Errorf("event 1 = %s", s)
	}
}

// TestBridgeWithCoreClient runs the real core.Client behind the bridge with
// a dialer that fails: every call gets exactly one answer.
func TestBridgeWithCoreClient(t *testing.T) {
	h := newHooks(t)
	dial := func(context.Context, string) (core.Conn, error) {
		return nil, core.Errf(415, "no network in this test")
	}
	open := func(context.Context, string, string) (core.Cache, error) { return core.NewMemCache(), nil }
	c := core.NewClient(core.Config{}, dial, open, Emitter(h))
	if _, err := Install(c, h); err != nil {
		t.Fatal(err)
	}
	call, _ := h.Get("call")
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

// slowAuto is a fake whose AutoLogin takes a while (like opening IndexedDB)
// and which records the order calls ran in.
type slowAuto struct {
	fake
	order []string
}

func (s *slowAuto) AutoLogin(ctx context.Context, a, t string) error {
	time.Sleep(50 * time.Millisecond)
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
	e := &slowAuto{}
	h, call := installFake(t, e)
	call.Invoke("isLogined", "", 1)
	call.Invoke("autoLogin", `{"account":"alice","token":"t"}`, 2)
	call.Invoke("currentAccount", "", 3)
	call.Invoke("isLogined", "", 4)
	for id := 1; id <= 4; id++ {
		if env := waitResult(t, h, id); env.Err != nil {
			t.Errorf("call %d: %+v", id, env.Err)
		}
	}
	if got := strings.Join(e.order, ","); got != "isLogined,autoLogin,currentAccount,isLogined" {
		t.Errorf("order %s", got)
	}
}
