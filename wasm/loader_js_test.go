//go:build js && wasm

package main

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hack-pad/safejs"

	"yunxin/core"
	"yunxin/jsapi"
)

// The loader runs here against the real bridge and core.Client; only the
// wasm instantiation is faked (window.Go's run waits until TestLoader hands
// it the install function, which installs the bridge of this test program,
// as main does, instead of starting a second program). The loader is
// evaluated once per test binary (startLoader): the file tests use its
// hooks.files before TestLoader makes it ready.

const fakeRuntime = `
WebAssembly.instantiateStreaming = function () { return Promise.resolve({ instance: {} }); };
var startGo;
var goStarted = new Promise(function (r) { startGo = r; });
globalThis.__testStartGo = function (install) { startGo(install); };
globalThis.Go = function () {
  this.importObject = {};
  this.run = function () { return goStarted.then(function (install) { install(); return new Promise(function () {}); }); };
};`

var (
	loaderOnce  sync.Once
	loaderHooks safejs.Value
	loaderErr   string
)

// startLoader evaluates the fake runtime and the loader (once) and returns
// the loader's hooks object.
func startLoader(t *testing.T) safejs.Value {
	t.Helper()
	if d, err := safejs.Global().Get("document"); err != nil || d.IsUndefined() {
		t.Skip("the loader needs a browser page (make test-js), not Node")
	}
	loaderOnce.Do(func() {
		eval(t, fakeRuntime)
		eval(t, loaderJS)
		h, err := safejs.Global().Get("__yunxinIM_hooks")
		if err != nil || h.IsUndefined() {
			loaderErr = "the loader defined no hooks"
			return
		}
		loaderHooks = h
	})
	if loaderErr != "" {
		t.Fatal(loaderErr)
	}
	return loaderHooks
}

// The page: calls made before ready (listener calls among them), then
// checks. It waits for the answers it expects, never for time.
const page = `
var yunxinIM = api.require('yunxinIM');
var errors = [], calls = [], heard = [], apireadyCount = 0;
var expected = 8, allAnswered;
var answered = new Promise(function (r) { allAnswered = r; });
function check(c, what) { if (!c) errors.push(what); }
function rec(tag) { return function (ret, err) { calls.push([tag, ret, err, arguments.length]); if (calls.length === expected) allAnswered(); }; }
check(Object.keys(yunxinIM).length === 101, 'method count ' + Object.keys(yunxinIM).length);
var threw = false; try { api.require('other'); } catch (e) { threw = true; }
check(threw, 'api.require(other) throws');
window.apiready = function () { apireadyCount++; };
yunxinIM.isLogined(rec('isLogined'));
yunxinIM.createTeam({}, rec('createTeam'));
yunxinIM.login({ account: 5, token: 't' }, rec('loginNum'));
yunxinIM.login(rec('loginNoParams'));
var cyc = {}; cyc.self = cyc;
yunxinIM.sendText(cyc, rec('cyclic'));
yunxinIM.sendText({ sessionId: 'bob', text: 'x', chatType: 1 }, rec('chatType'));
yunxinIM.init({ appKey: 'fromInit' }, rec('init'));
yunxinIM.currentAccount(rec('currentAccount'));
yunxinIM.creatRecentSession({ sessionId: 'bob' });
function l1(r) { heard.push('l1:' + r.step); }
function l2(r) { heard.push('l2:' + r.step); }
yunxinIM.addAccountListen(l1);
yunxinIM.addAccountListen({}, l2);
yunxinIM.addAccountListen(l2);
globalThis.__testResult = yunxinIM.ready.then(function (x) {
  check(x === yunxinIM, 'ready resolves to yunxinIM');
  return answered;
}).then(function () {
  var by = {}; calls.forEach(function (c) { by[c[0]] = c; });
  function err(tag, code, re) {
    var c = by[tag];
    check(c && c[1] && c[1].status === false && c[2] && c[2].code === code && re.test(c[2].msg), tag + ' ' + JSON.stringify(c));
  }
  check(by.isLogined && by.isLogined[1].status === false && by.isLogined[3] === 1, 'isLogined ' + JSON.stringify(by.isLogined));
  err('createTeam', 414, /^createTeam not supported yet$/);
  err('loginNum', 414, /^parameter account must be a string$/);
  err('loginNoParams', 414, /^parameter account/);
  err('cyclic', 414, /^parameter params cannot be converted to JSON/);
  err('chatType', 414, /^chatType 1 not supported yet$/);
  check(by.init && by.init[1].status === true, 'init ' + JSON.stringify(by.init));
  check(by.currentAccount && by.currentAccount[1].userID === '', 'currentAccount ' + JSON.stringify(by.currentAccount));
  check(apireadyCount === 1, 'apiready ' + apireadyCount);
  __yunxinIM_hooks.event('account', '{"eventType":"login","step":1}');
  yunxinIM.removeAccountListen(l1);
  __yunxinIM_hooks.event('account', '{"eventType":"login","step":2}');
  __yunxinIM_hooks.event('session', '{"eventType":"didAddRecentSession"}'); // nobody listens
  // Listeners run in microtasks in order; the answer of this remove (which
  // removes all: its function was never added) comes after them.
  return new Promise(function (r) {
    yunxinIM.removeAccountListen(function (ret) { r(ret); });
    __yunxinIM_hooks.event('account', '{"eventType":"login","step":3}');
  });
}).then(function (removed) {
  check(removed && removed.status === true, 'remove answered ' + JSON.stringify(removed));
  check(heard.join(',') === 'l1:1,l2:1,l2:2', 'heard ' + heard.join(','));
  return errors.length ? 'FAIL ' + errors.join(' | ') : 'PASS';
});`

func eval(t *testing.T, src string) safejs.Value {
	t.Helper()
	fn, err := safejs.Global().Get("Function")
	if err != nil {
		t.Fatal(err)
	}
	f, err := fn.New(src)
	if err != nil {
		t.Fatal(err)
	}
	v, err := f.Invoke()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// await waits for a JS promise; the test goroutine blocks, the page does not.
func await(t *testing.T, p safejs.Value) string {
	t.Helper()
	ch := make(chan string, 1)
	cb, err := safejs.FuncOf(func(_ safejs.Value, args []safejs.Value) any {
		s := "FAIL rejected"
		if len(args) > 0 && args[0].Type() == safejs.TypeString {
			s, _ = args[0].String()
		}
		ch <- s
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer cb.Release()
	if _, err := p.Call("then", cb.Value(), cb.Value()); err != nil {
		t.Fatal(err)
	}
	select {
	case s := <-ch:
		return s
	case <-time.After(10 * time.Second):
		t.Fatal("timed out")
		return ""
	}
}

func TestLoader(t *testing.T) {
	hooks := startLoader(t)
	dial := func(context.Context, string) (core.Conn, error) {
		return nil, core.Errf(415, "no network in this test")
	}
	open := func(context.Context, string, string) (core.Cache, error) { return core.NewMemCache(), nil }
	c := core.NewClient(core.Config{}, dial, open, jsapi.Emitter(hooks))
	installed := make(chan error, 1)
	install, err := safejs.FuncOf(func(safejs.Value, []safejs.Value) any {
		_, err := jsapi.Install(c, hooks)
		installed <- err
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer install.Release()
	eval(t, page)
	start, _ := safejs.Global().Get("__testStartGo")
	if _, err := start.Invoke(install.Value()); err != nil {
		t.Fatal(err)
	}
	res, _ := safejs.Global().Get("__testResult")
	if got := await(t, res); got != "PASS" {
		t.Error(got)
	}
	if err := <-installed; err != nil {
		t.Errorf("Install: %v", err)
	}
	if cfg := c.Config(); cfg.AppKey != "fromInit" || !strings.HasSuffix(cfg.Server, "/ws") || cfg.OS == "" {
		t.Errorf("config %+v", cfg)
	}
}
