package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"yunxin/internal/jx"
	"yunxin/internal/webdriver"
)

// browser is one browser process (of the engine under test) with its own
// profile (so its own IndexedDB: a separate "device") and one tab; a tab
// made by newTab is a browser value too, sharing the process.
type browser struct {
	t       *testing.T
	name    string
	profile string

	wb   webdriver.Browser // the process (shared by the tabs of newTab)
	page webdriver.Tab     // the driver's tab
	own  bool              // b started wb (close ends the process, not only the tab)

	// throttle, if not nil, is the proxy b's pages reach the IM server
	// through (see throttled): throttleUpload and limitDownload set it.
	throttle *throttle

	consoleMu sync.Mutex
	console   []string // console lines of the pages b left (navigate, reload)
	closed    bool
}

const defaultTimeout = 20 * time.Second

// newBrowser starts a browser with a fresh profile. It is closed when t ends;
// if t failed, its page events and console are logged first.
func newBrowser(t *testing.T, name string) *browser {
	t.Helper()
	return newBrowserWith(t, name, webdriver.Options{})
}

// newBrowserWithProfile starts a browser on an existing profile dir (the
// same "device" after its browser was closed; on an engine that does not
// keep storage in the profile, see skipUnlessKeepsProfile, a new device).
func newBrowserWithProfile(t *testing.T, name, profile string) *browser {
	t.Helper()
	return newBrowserWith(t, name, webdriver.Options{Profile: profile})
}

// newBrowserWith starts a browser with options o (engine prefs, viewport).
// An empty o.Profile gets a fresh dir, removed when t ends, whose path
// b.profile gives for a later newBrowserWithProfile.
func newBrowserWith(t *testing.T, name string, o webdriver.Options) *browser {
	t.Helper()
	if o.Profile == "" {
		dir, err := os.MkdirTemp("", "yunxin-e2e-profile-")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		o.Profile = dir
	}
	if os.Getenv("YUNXIN_E2E_DRIVER_LOG") != "" && o.Log == nil {
		o.Log = func(format string, args ...any) { t.Logf(name+": driver: "+format, args...) }
	}
	began := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	wb, err := webdriver.Start(ctx, engine, o)
	cancel()
	if err != nil {
		t.Fatalf("%s: starting %s: %v", name, engine, err)
	}
	if d := time.Since(began); d > 5*time.Second {
		t.Logf("%s: %s took %v to start", name, engine, d.Round(time.Millisecond))
	}
	b := &browser{t: t, name: name, profile: o.Profile, wb: wb, page: wb.FirstTab(), own: true}
	t.Cleanup(func() {
		if !b.closed {
			b.checkHealth()
		}
		if t.Failed() && !b.closed {
			b.dump()
		}
		b.close()
	})
	return b
}

// skipUnlessKeepsProfile skips t on an engine whose browser keeps the
// page's storage in memory only (WebKitGTK's MiniBrowser under automation):
// there a browser started again on the same profile is a new device, which
// is what t's restart on the same profile cannot be.
func skipUnlessKeepsProfile(t *testing.T) {
	t.Helper()
	if !engine.KeepsProfile() {
		t.Skipf("engine limitation: %s keeps IndexedDB in memory under automation, so a browser restarted on the same profile has an empty cache", engine)
	}
}

// checkHealth fails the test if, at any time, a callback was called twice or
// the Go runtime died or panicked (every test gets this check for free).
func (b *browser) checkHealth() {
	b.t.Helper()
	v, err := evalAs[struct {
		Extra []string `json:"extra"`
		Dead  []string `json:"dead"`
	}](b, `({extra: window.extraCallbacks || [],
		dead: (window.pageErrors || []).filter(e => /Go program has already exited|all goroutines are asleep|fatal error/.test(e))})`, 5*time.Second)
	if err != nil {
		return
	}
	if len(v.Extra) > 0 {
		b.t.Errorf("%s: callbacks called more than once: %v", b.name, v.Extra)
	}
	if len(v.Dead) > 0 {
		b.t.Errorf("%s: the Go runtime died: %v", b.name, v.Dead)
	}
	if l := b.consoleLine("Go program has already exited", "all goroutines are asleep", "fatal error:", "panic:"); l != "" {
		b.t.Errorf("%s: the Go runtime reported on the console: %s", b.name, l)
	}
}

// newTab opens another tab in b's browser: the same profile, so the same
// IndexedDB (the user opened the app twice). It closes when t ends.
func (b *browser) newTab(name string) *browser {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	tab, err := b.wb.NewTab(ctx)
	cancel()
	if err != nil {
		b.t.Fatalf("%s: opening a tab: %v", name, err)
	}
	nb := &browser{t: b.t, name: name, profile: b.profile, wb: b.wb, page: tab}
	b.t.Cleanup(func() {
		if !nb.closed {
			nb.checkHealth()
			if b.t.Failed() {
				nb.dump()
			}
		}
		nb.close()
	})
	return nb
}

// consoleRecorderJS records the page's console output and uncaught errors
// into window.consoleLines ("HH:MM:SS.mmm level text", at most 2000), for
// the engines whose driver has no console channel (classic WebDriver). The
// test pages run it first thing; other pages (the demo) get it injected
// after they load (recordConsole), so they miss what came before.
const consoleRecorderJS = `(function () {
  if (window.consoleLines) return;
  var lines = window.consoleLines = [];
  var add = function (s) {
    if (lines.length < 2000) lines.push(new Date().toISOString().slice(11, 23) + ' ' + s);
  };
  var text = function (a) {
    if (a instanceof Error) return a.stack && a.stack.indexOf(a.message) >= 0 ? a.stack : a.name + ': ' + a.message + (a.stack ? '\n' + a.stack : '');
    if (a !== null && typeof a === 'object') { try { return JSON.stringify(a); } catch (e) { return String(a); } }
    return String(a);
  };
  ['log', 'info', 'warn', 'error', 'debug'].forEach(function (level) {
    var orig = console[level];
    console[level] = function () {
      try { add(level + ' ' + Array.prototype.map.call(arguments, text).join(' ')); } catch (e) {}
      return orig.apply(console, arguments);
    };
  });
  window.addEventListener('error', function (e) {
    var m = e.error ? text(e.error) : String(e.message);
    add('error ' + (/^Uncaught/.test(m) ? m : 'Uncaught ' + m));
  });
  window.addEventListener('unhandledrejection', function (e) {
    add('error Uncaught (in promise) ' + (e.reason instanceof Error ? text(e.reason) : text(e.reason)));
  });
})();`

// recordConsole injects consoleRecorderJS into b's page (a page that is not
// a test page, e.g. the demo) once it loaded.
func (b *browser) recordConsole() {
	b.t.Helper()
	if _, err := evalAs[jx.RawMessage](b, consoleRecorderJS, defaultTimeout); err != nil {
		b.t.Fatalf("%s: adding the console recorder: %v", b.name, err)
	}
}

// leavePage keeps the console lines of the page b is about to leave.
func (b *browser) leavePage() {
	lines, err := evalAs[[]string](b, "window.consoleLines || []", 5*time.Second)
	if err != nil {
		return
	}
	b.consoleMu.Lock()
	b.console = append(b.console, lines...)
	b.consoleMu.Unlock()
}

// consoleLines returns the console output b's pages recorded (earlier
// pages first), and what the driver reports where it can (BiDi).
func (b *browser) consoleLines() []string {
	b.consoleMu.Lock()
	out := append([]string(nil), b.console...)
	b.consoleMu.Unlock()
	if !b.closed {
		if lines, err := evalAs[[]string](b, "window.consoleLines || []", 5*time.Second); err == nil {
			out = append(out, lines...)
		}
		out = append(out, b.page.Console()...)
	}
	return out
}

// close ends the browser process (the device goes offline, its profile
// stays), or for a tab of newTab, the tab.
func (b *browser) close() {
	if b.closed {
		return
	}
	b.leavePage()
	b.closed = true
	done := make(chan error, 1)
	go func() {
		if b.own {
			done <- b.wb.Close()
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		done <- b.page.Close(ctx)
	}()
	select {
	case err := <-done:
		if err != nil {
			b.t.Logf("%s: closing: %v", b.name, err)
		}
	case <-time.After(20 * time.Second):
		b.t.Logf("%s: %s did not close within 20s", b.name, engine)
	}
}

// dump logs the page's recorded state and console output.
func (b *browser) dump() {
	b.t.Helper()
	state, err := evalAs[string](b, `(() => {
		const ev = window.events || [];
		// brief shortens messages and sessions to the fields that matter when reading a failure.
		const msg = m => m && typeof m === 'object' && 'messageId' in m ? {id: String(m.messageId).slice(0, 8), sid: m.sessionId, from: m.from,
			text: m.body && m.body.text, seq: m.seq, out: m.isOutgoingMsg, st: m.deliveryState, read: m.isRemoteRead} : m;
		const brief = r => {
			if (!r || typeof r !== 'object') return r;
			const o = Object.assign({}, r);
			if (o.message) o.message = msg(o.message);
			if (o.messages) o.messages = o.messages.map(msg);
			if (o.recentSession) { const s = o.recentSession; o.recentSession = {sid: s.sessionId, unread: s.unreadCount, last: msg(s.lastMessage)}; }
			return o;
		};
		return JSON.stringify({url: location.href, sdkReady: window.sdkReady, pageErrors: window.pageErrors,
			extraCallbacks: window.extraCallbacks, events: ev.length}) +
			'\n-- events' + (ev.length > 300 ? ' (last 300)' : '') + ':\n' +
			ev.slice(-300).map((e, i) => (ev.length > 300 ? ev.length - 300 + i : i) + ' ' + e.kind + ' ' + JSON.stringify(brief(e.ret))).join('\n') +
			'\n-- body:\n' + (document.body ? document.body.innerHTML.slice(0, 6000) : '');
	})()`, 5*time.Second)
	if err != nil {
		state = "(cannot read the page state: " + err.Error() + ")"
	}
	if len(state) > 60000 {
		state = state[:20000] + "\n…(cut)…\n" + state[len(state)-40000:]
	}
	console := strings.Join(b.consoleLines(), "\n")
	if len(console) > 30000 {
		console = "…(cut)…\n" + console[len(console)-30000:]
	}
	b.t.Logf("==== %s: page state ====\n%s\n==== %s: console ====\n%s", b.name, state, b.name, console)
}

// consoleLine returns the first console line containing one of subs, or "".
func (b *browser) consoleLine(subs ...string) string {
	for _, l := range b.consoleLines() {
		for _, s := range subs {
			if strings.Contains(l, s) {
				return l
			}
		}
	}
	return ""
}

// withTab runs f on b's tab with a context bounded by timeout.
func (b *browser) withTab(timeout time.Duration, f func(ctx context.Context, tab webdriver.Tab) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return f(ctx, b.page)
}

// evalAs evaluates expr in the page (awaiting it if it is a Promise) and
// decodes its JSON value into T.
func evalAs[T any](b *browser, expr string, timeout time.Duration) (T, error) {
	var v T
	if b.closed {
		return v, errors.New("the browser is closed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	raw, err := b.page.Eval(ctx, expr)
	if err != nil {
		return v, err
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return v, fmt.Errorf("decoding %s: %w", short(string(raw)), err)
	}
	return v, nil
}

// eval is evalAs that fails the test on error.
func eval[T any](b *browser, expr string) T {
	b.t.Helper()
	v, err := evalAs[T](b, expr, defaultTimeout)
	if err != nil {
		b.t.Fatalf("%s: evaluating %s: %v", b.name, short(expr), err)
	}
	return v
}

// exec evaluates expr for its side effects; an exception fails the test.
func (b *browser) exec(expr string) {
	b.t.Helper()
	if _, err := evalAs[jx.RawMessage](b, expr, defaultTimeout); err != nil {
		b.t.Fatalf("%s: evaluating %s: %v", b.name, short(expr), err)
	}
}

// waitFor polls the JS condition cond (it may be a Promise) until it is
// truthy, failing the test after timeout with what.
func (b *browser) waitFor(what, cond string, timeout time.Duration) {
	b.t.Helper()
	if err := b.poll(cond, timeout); err != nil {
		b.t.Fatalf("%s: timed out after %v waiting for %s (%v)", b.name, timeout, what, err)
	}
}

// stays checks the JS condition cond over and over for d and fails the test
// the first time it is not truthy: for "nothing happens" (a kicked device
// does not log in again), which only a window of time can show. It returns
// as soon as it fails, never sleeps blindly.
func (b *browser) stays(what, cond string, d time.Duration) {
	b.t.Helper()
	expr := "(async () => !!(await (" + cond + ")))()"
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		ok, err := evalAs[bool](b, expr, 5*time.Second)
		if err != nil || !ok {
			b.t.Fatalf("%s: %s stopped holding (%v)", b.name, what, err)
		}
	}
}

// poll is waitFor returning an error instead of failing.
func (b *browser) poll(cond string, timeout time.Duration) error {
	expr := "(async () => !!(await (" + cond + ")))()"
	deadline := time.Now().Add(timeout)
	var last error
	for {
		ok, err := evalAs[bool](b, expr, 5*time.Second)
		if err == nil && ok {
			return nil
		}
		if err != nil {
			last = err
		}
		if time.Now().After(deadline) {
			if last != nil {
				return fmt.Errorf("condition %s; last error: %v", short(cond), last)
			}
			return fmt.Errorf("condition %s stayed false", short(cond))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// navigate loads url in b's tab (no SDK wait: for pages that are not the
// test page).
func (b *browser) navigate(url string) error {
	b.leavePage()
	return b.withTab(30*time.Second, func(ctx context.Context, tab webdriver.Tab) error { return tab.Navigate(ctx, url) })
}

// open navigates to the test page url and waits until the SDK is ready and
// the page's listeners are added.
func (b *browser) open(url string) {
	b.t.Helper()
	if err := b.navigate(url); err != nil {
		b.t.Fatalf("%s: navigating to %s: %v", b.name, url, err)
	}
	b.awaitSDK()
}

// reloadPage reloads b's page and waits for its load event (no SDK wait).
func (b *browser) reloadPage() error {
	b.leavePage()
	return b.withTab(30*time.Second, func(ctx context.Context, tab webdriver.Tab) error { return tab.Reload(ctx) })
}

// reload reloads the page (same profile, same origin) and waits for the SDK.
func (b *browser) reload() {
	b.t.Helper()
	if err := b.reloadPage(); err != nil {
		b.t.Fatalf("%s: reloading: %v", b.name, err)
	}
	b.awaitSDK()
}

func (b *browser) awaitSDK() {
	b.t.Helper()
	began := time.Now()
	defer func() {
		if d := time.Since(began); d > 5*time.Second {
			b.t.Logf("%s: the SDK took %v to get ready", b.name, d.Round(time.Millisecond))
		}
	}()
	if err := b.poll("window.sdkReady !== null && window.sdkReady !== undefined", 30*time.Second); err != nil {
		b.t.Fatalf("%s: the SDK did not get ready within 30s: %v", b.name, err)
	}
	if state := eval[any](b, "window.sdkReady"); state != true {
		b.t.Fatalf("%s: the SDK failed to load: %v", b.name, state)
	}
}

// callResult is what window.call resolves to.
type callResult struct {
	Ret     jx.RawMessage `json:"ret"`
	Err     *sdkError     `json:"err"`
	Timeout bool          `json:"timeout"`
	Missing bool          `json:"missing"`
	Thrown  string        `json:"thrown"`
	method  string
}

type sdkError struct {
	Code int    `json:"code"`
	Msg  string `json:"msg"`
}

func (r callResult) String() string {
	switch {
	case r.Timeout:
		return r.method + ": the callback was not called within the timeout"
	case r.Missing:
		return r.method + ": yunxinIM has no such method"
	case r.Thrown != "":
		return r.method + " threw: " + r.Thrown
	}
	e := "null"
	if r.Err != nil {
		b, _ := json.Marshal(r.Err)
		e = string(b)
	}
	return fmt.Sprintf("%s: ret=%s err=%s", r.method, short(string(r.Ret)), e)
}

// failed reports whether the call did not complete with an err-less callback.
func (r callResult) failed() bool {
	return r.Timeout || r.Missing || r.Thrown != "" || r.Err != nil
}

// status returns ret.status (false when absent).
func (r callResult) status() bool {
	var v struct {
		Status bool `json:"status"`
	}
	json.Unmarshal(r.Ret, &v)
	return v.Status
}

// call calls yunxinIM[method](params, callback); params nil means
// method(callback). params is marshalled to JSON.
func (b *browser) call(method string, params any) callResult {
	b.t.Helper()
	js := "undefined"
	if params != nil {
		p, err := json.Marshal(params)
		if err != nil {
			b.t.Fatal(err)
		}
		js = string(p)
	}
	return b.callJS(method, js)
}

// callJS is call with params given as JS source.
func (b *browser) callJS(method, paramsJS string) callResult {
	b.t.Helper()
	return b.callWithin(15*time.Second, method, paramsJS)
}

// callWithin is callJS where the callback may take up to timeout.
func (b *browser) callWithin(timeout time.Duration, method, paramsJS string) callResult {
	b.t.Helper()
	m, _ := json.Marshal(method)
	start := time.Now()
	r, err := evalAs[callResult](b, fmt.Sprintf("call(%s, %s, %d)", m, paramsJS, timeout.Milliseconds()), timeout+15*time.Second)
	if d := time.Since(start); d > 2*time.Second {
		b.t.Logf("%s: slow call: %s took %v", b.name, method, d.Round(time.Millisecond))
	}
	if err != nil {
		b.t.Fatalf("%s: call %s(%s): %v", b.name, method, short(paramsJS), err)
	}
	r.method = method
	return r
}

// mustCall is call that fails the test unless the callback came with no err.
func (b *browser) mustCall(method string, params any) callResult {
	b.t.Helper()
	r := b.call(method, params)
	if r.failed() {
		b.t.Fatalf("%s: %v", b.name, r)
	}
	return r
}

// event is one entry of window.events.
type event struct {
	Kind string        `json:"kind"`
	At   int64         `json:"at"`
	Ret  jx.RawMessage `json:"ret"`
}

// mark returns the number of events recorded so far, for events(since).
func (b *browser) mark() int {
	b.t.Helper()
	return eval[int](b, "window.events.length")
}

// events returns the events recorded since mark.
func (b *browser) events(since int) []event {
	b.t.Helper()
	return eval[[]event](b, fmt.Sprintf("window.events.slice(%d)", since))
}

// loginSteps returns the steps of the account "login" events since mark.
func (b *browser) loginSteps(since int) []int {
	b.t.Helper()
	var steps []int
	for _, e := range b.events(since) {
		if e.Kind != "account" {
			continue
		}
		var a accountEvent
		json.Unmarshal(e.Ret, &a)
		if a.EventType == "login" {
			steps = append(steps, a.Step)
		}
	}
	return steps
}

// waitStep waits for an account login event with step after mark.
func (b *browser) waitStep(since, step int, timeout time.Duration) {
	b.t.Helper()
	b.waitFor(fmt.Sprintf("login step %d", step), fmt.Sprintf(
		`window.events.slice(%d).some(e => e.kind === 'account' && e.ret && e.ret.eventType === 'login' && e.ret.step === %d)`,
		since, step), timeout)
}

// received returns the messages of the onRecvMessages events since mark.
func (b *browser) received(since int) []msgView {
	b.t.Helper()
	var out []msgView
	for _, e := range b.events(since) {
		if e.Kind != "message" {
			continue
		}
		var m messageEvent
		if err := json.Unmarshal(e.Ret, &m); err != nil {
			b.t.Fatalf("%s: message event %s: %v", b.name, e.Ret, err)
		}
		if m.EventType == "onRecvMessages" {
			out = append(out, m.Messages...)
		}
	}
	return out
}

// messageEvents returns the message listener events of eventType since mark.
func (b *browser) messageEvents(since int, eventType string) []messageEvent {
	b.t.Helper()
	var out []messageEvent
	for _, e := range b.events(since) {
		var m messageEvent
		if e.Kind == "message" && json.Unmarshal(e.Ret, &m) == nil && m.EventType == eventType {
			out = append(out, m)
		}
	}
	return out
}

// waitRecv waits until onRecvMessages since mark brought a message with text.
func (b *browser) waitRecv(since int, text string, timeout time.Duration) msgView {
	b.t.Helper()
	q, _ := json.Marshal(text)
	b.waitFor("onRecvMessages with text "+string(q), fmt.Sprintf(
		`window.events.slice(%d).some(e => e.kind === 'message' && e.ret && e.ret.eventType === 'onRecvMessages' &&
			(e.ret.messages || []).some(m => m && m.body && m.body.text === %s))`, since, q), timeout)
	for _, m := range b.received(since) {
		if m.Body.Text == text {
			return m
		}
	}
	b.t.Fatalf("%s: message %s vanished", b.name, q)
	return msgView{}
}

// login logs account in with login() and waits for the sync to finish (step 8).
func (b *browser) login(account, token string) {
	b.t.Helper()
	since := b.mark()
	r := b.call("login", map[string]string{"account": account, "token": token})
	if r.failed() || !r.status() {
		b.t.Fatalf("%s: login %s: %v", b.name, account, r)
	}
	if err := b.poll(fmt.Sprintf(`window.events.slice(%d).some(e => e.kind === 'account' && e.ret && e.ret.eventType === 'login' && e.ret.step === 8)`, since), 15*time.Second); err != nil {
		b.t.Errorf("%s: login %s: no 'sync done' (step 8) event within 15s after login; steps seen: %v", b.name, account, b.loginSteps(since))
	}
}

// logout calls logout() and expects success.
func (b *browser) logout() {
	b.t.Helper()
	if r := b.call("logout", nil); r.failed() {
		b.t.Fatalf("%s: logout: %v", b.name, r)
	}
}

// sendText sends a text message and expects ret.status true.
func (b *browser) sendText(to, text string) {
	b.t.Helper()
	r := b.call("sendText", map[string]any{"sessionId": to, "chatType": 0, "text": text})
	if r.failed() || !r.status() {
		b.t.Fatalf("%s: sendText to %s %q: %v", b.name, to, text, r)
	}
}

// recentSessions returns allRecentSessions' ret.recentSessions.
func (b *browser) recentSessions() []recentSession {
	b.t.Helper()
	r := b.mustCall("allRecentSessions", nil)
	var v struct {
		RecentSessions []recentSession `json:"recentSessions"`
	}
	if err := json.Unmarshal(r.Ret, &v); err != nil {
		b.t.Fatalf("%s: allRecentSessions ret %s: %v", b.name, short(string(r.Ret)), err)
	}
	return v.RecentSessions
}

// session returns the recent session with id, or nil.
func (b *browser) session(id string) *recentSession {
	b.t.Helper()
	for _, s := range b.recentSessions() {
		if s.SessionID == id || s.Session.SessionID == id {
			return &s
		}
	}
	return nil
}

// unreadCount returns allUnreadCount's ret.unreadCount.
func (b *browser) unreadCount() int {
	b.t.Helper()
	r := b.mustCall("allUnreadCount", nil)
	var v struct {
		UnreadCount *int `json:"unreadCount"`
	}
	if err := json.Unmarshal(r.Ret, &v); err != nil || v.UnreadCount == nil {
		b.t.Fatalf("%s: allUnreadCount ret %s has no unreadCount", b.name, short(string(r.Ret)))
	}
	return *v.UnreadCount
}

// history returns messagesInSession(sessionId, limit 100)'s ret.messages.
func (b *browser) history(sessionID string) []msgView {
	b.t.Helper()
	r := b.mustCall("messagesInSession", map[string]any{"sessionId": sessionID, "chatType": 0, "limit": 100})
	var v struct {
		Messages []msgView `json:"messages"`
	}
	if err := json.Unmarshal(r.Ret, &v); err != nil {
		b.t.Fatalf("%s: messagesInSession ret %s: %v", b.name, short(string(r.Ret)), err)
	}
	return v.Messages
}

// short cuts s for messages.
func short(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}
