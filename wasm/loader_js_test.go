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
	"yunxin/proto"
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
yunxinIM.sendText({ sessionId: 'bob', text: 'x', chatType: 2 }, rec('chatType'));
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
  err('createTeam', 414, /^parameter users must be an array of strings$/);
  err('loginNum', 414, /^parameter account must be a string$/);
  err('loginNoParams', 414, /^parameter account/);
  err('cyclic', 414, /^parameter params cannot be converted to JSON/);
  err('chatType', 414, /^chatType 2 not supported yet$/);
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
	rec := &recorder{Client: c, paths: make(chan string, 8)}
	installed := make(chan error, 1)
	install, err := safejs.FuncOf(func(safejs.Value, []safejs.Value) any {
		_, err := jsapi.Install(rec, hooks)
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

	// Files: a File in params reaches Go as a blob: URL that reads back as
	// the same bytes, with its name; the same File twice is the same URL.
	// upload's progress rets reach the callback before its final ret.
	eval(t, filePage)
	res, _ = safejs.Global().Get("__fileResult")
	if got := await(t, res); got != "PASS" {
		t.Error(got)
	}
	var paths [3]string
	for i := range paths {
		select {
		case paths[i] = <-rec.paths:
		case <-time.After(5 * time.Second):
			t.Fatal("the File did not reach Go")
		}
	}
	if !strings.HasPrefix(paths[0], "blob:") || paths[1] != paths[0] || !strings.HasPrefix(paths[2], "blob:") || paths[2] == paths[0] {
		t.Fatalf("paths %q", paths)
	}
	f, err := newFiles(hooks)
	if err != nil {
		t.Fatal(err)
	}
	info, err := f.Probe(context.Background(), "path", paths[0], proto.MsgFile)
	want := make([]byte, 3000)
	for i := range want {
		want[i] = byte(i * 7)
	}
	if err != nil || info.Name != "photo.png" || info.Size != 3000 || info.MD5 != md5hex(want) || info.Mime != "image/png" {
		t.Errorf("the File as Go reads it: %+v %v", info, err)
	}
	info, err = f.Probe(context.Background(), "path", paths[2], proto.MsgFile)
	if err != nil || info.Name != "frame.png" || info.Size != 100 || info.MD5 != md5hex(want[:100]) {
		t.Errorf("the iframe's File as Go reads it: %+v %v", info, err)
	}
}

// recorder is the real client but for SendMessage and Upload, which record
// the path they get (Upload reports progress first).
type recorder struct {
	*core.Client
	paths chan string
}

func (r *recorder) SendMessage(_ context.Context, p core.SendParams) (*core.MessageView, error) {
	r.paths <- p.Path
	return &core.MessageView{MessageID: "m1", SessionID: p.SessionID}, nil
}

func (r *recorder) Upload(_ context.Context, path string, progress func(sent, total int64)) (string, error) {
	r.paths <- path
	progress(1, 4)
	progress(4, 4)
	return "https://files.test/u1", nil
}

const filePage = `
var bytes = new Uint8Array(3000);
for (var i = 0; i < bytes.length; i++) bytes[i] = (i * 7) & 255;
var file = new File([bytes], 'photo.png', { type: 'image/png' });
var errors = [], upload = [], heard = [];
function check(c, what) { if (!c) errors.push(what); }
function onSession(r) { heard.push(r.eventType); }
globalThis.__fileResult = new Promise(function (res) {
  yunxinIM.sendImage({ sessionId: 'bob', path: file }, function (ret, err) {
    check(!err && ret.status === true && ret.message.messageId === 'm1', 'sendImage ' + JSON.stringify([ret, err]));
    yunxinIM.upload({ filepath: file }, function (ret, err) {
      upload.push(JSON.stringify(err ? [ret, err] : ret));
      if (ret.progress === undefined) res();
    });
  });
}).then(function () {
  check(upload.join(' ') === '{"status":true,"progress":0.25} {"status":true,"progress":1} {"status":true,"urlString":"https://files.test/u1"}',
    'upload callbacks ' + upload.join(' '));
  // A File made in an iframe is no instanceof this window's Blob: it goes
  // as a blob: URL all the same.
  var frame = document.createElement('iframe');
  document.body.appendChild(frame);
  var other = new frame.contentWindow.File([bytes.slice(0, 100)], 'frame.png', { type: 'image/png' });
  check(!(other instanceof Blob), 'the iframe File is an instanceof this window\'s Blob');
  return new Promise(function (r) {
    yunxinIM.sendImage({ sessionId: 'bob', path: other }, function (ret, err) {
      check(!err && ret.status === true, 'sendImage of an iframe File ' + JSON.stringify([ret, err]));
      r();
    });
  });
}).then(function () {
  // removeSessionListen(fn) removes fn alone.
  yunxinIM.addSessionListen(onSession);
  __yunxinIM_hooks.event('session', '{"eventType":"didAddRecentSession"}');
  yunxinIM.removeSessionListen(onSession);
  __yunxinIM_hooks.event('session', '{"eventType":"didRemoveRecentSession"}');
  return new Promise(function (r) { setTimeout(r, 0); });
}).then(function () {
  check(heard.join(',') === 'didAddRecentSession', 'session listener heard ' + heard.join(','));
  return errors.length ? 'FAIL ' + errors.join(' | ') : 'PASS';
});`

// TestLoaderYield: the loader's hooks.yield calls back after the microtasks
// queued before it, a page callback's promise chain among them (jsapi's
// TestSendAnswerYieldsToPage is the Go half).
func TestLoaderYield(t *testing.T) {
	hooks := startLoader(t)
	chain := make(chan bool, 1)
	f, err := safejs.FuncOf(func(safejs.Value, []safejs.Value) any {
		v, _ := safejs.Global().Get("yunxinTestChained")
		ran, _ := v.Truthy()
		chain <- ran
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Release()
	eval(t, `Promise.resolve().then(function () { return null; }).then(function () { globalThis.yunxinTestChained = true; });`)
	if _, err := hooks.Call("yield", f.Value()); err != nil {
		t.Fatal(err)
	}
	select {
	case ran := <-chain:
		if !ran {
			t.Error("hooks.yield called back before the microtasks queued before it")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("hooks.yield never called back")
	}
}
