package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"yunxin/internal/headless"
)

// browser is one Chromium process with its own profile (so its own
// IndexedDB: a separate "device") and one tab.
type browser struct {
	t       *testing.T
	name    string
	profile string

	allocCancel context.CancelFunc
	ctx         context.Context // the tab's chromedp context
	cancel      context.CancelFunc

	consoleMu sync.Mutex
	console   []string
	closed    bool
}

const defaultTimeout = 20 * time.Second

// newBrowser starts a Chromium with a fresh profile. It is closed when t ends;
// if t failed, its page events and console are logged first.
func newBrowser(t *testing.T, name string) *browser {
	t.Helper()
	dir, err := os.MkdirTemp("", "yunxin-e2e-profile-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return newBrowserWithProfile(t, name, dir)
}

// newBrowserWithProfile starts a Chromium on an existing profile dir (the
// same "device" after its browser was closed).
func newBrowserWithProfile(t *testing.T, name, profile string) *browser {
	t.Helper()
	opts := headless.Options(chromePath, profile)
	allocCtx, allocCancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	b := &browser{t: t, name: name, profile: profile, allocCancel: allocCancel, ctx: ctx, cancel: cancel}

	// The first Run starts the browser; it must not have a timeout.
	began := time.Now()
	defer func() {
		if d := time.Since(began); d > 5*time.Second {
			t.Logf("%s: Chromium took %v to start", name, d.Round(time.Millisecond))
		}
	}()
	start := make(chan error, 1)
	go func() { start <- chromedp.Do(ctx) }()
	select {
	case err := <-start:
		if err != nil {
			cancel()
			allocCancel()
			t.Fatalf("%s: starting Chromium: %v", name, err)
		}
	case <-time.After(60 * time.Second):
		cancel()
		allocCancel()
		t.Fatalf("%s: Chromium did not start within 60s", name)
	}
	b.captureConsole()
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
	ctx, cancel := chromedp.NewContext(b.ctx)
	tab := &browser{t: b.t, name: name, profile: b.profile, allocCancel: func() {}, ctx: ctx, cancel: cancel}
	// The first Run creates the tab, which lives as long as that Run's
	// context: it must be ctx itself, without a timeout.
	opened := make(chan error, 1)
	go func() { opened <- chromedp.Do(ctx) }()
	select {
	case err := <-opened:
		if err != nil {
			cancel()
			b.t.Fatalf("%s: opening a tab: %v", name, err)
		}
	case <-time.After(30 * time.Second):
		cancel()
		b.t.Fatalf("%s: opening a tab took more than 30s", name)
	}
	tab.captureConsole()
	b.t.Cleanup(func() {
		if !tab.closed {
			tab.checkHealth()
			if b.t.Failed() {
				tab.dump()
			}
		}
		tab.close()
	})
	return tab
}

// captureConsole keeps the page's console output for dump.
func (b *browser) captureConsole() {
	go func() {
		for m, err := range chromedp.Console(b.ctx) {
			if err != nil {
				return
			}
			b.consoleMu.Lock()
			if len(b.console) < 2000 {
				b.console = append(b.console, fmt.Sprintf("%s %s", m.Time.Format("15:04:05.000"), m.String()))
			}
			b.consoleMu.Unlock()
		}
	}()
}

// close ends the browser process (the device goes offline, its profile stays).
func (b *browser) close() {
	if b.closed {
		return
	}
	b.closed = true
	done := make(chan struct{})
	go func() { b.cancel(); b.allocCancel(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		b.t.Logf("%s: Chromium did not close within 20s", b.name)
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
	b.consoleMu.Lock()
	console := strings.Join(b.console, "\n")
	b.consoleMu.Unlock()
	if len(console) > 30000 {
		console = "…(cut)…\n" + console[len(console)-30000:]
	}
	b.t.Logf("==== %s: page state ====\n%s\n==== %s: console ====\n%s", b.name, state, b.name, console)
}

// consoleLine returns the first console line containing one of subs, or "".
func (b *browser) consoleLine(subs ...string) string {
	b.consoleMu.Lock()
	defer b.consoleMu.Unlock()
	for _, l := range b.console {
		for _, s := range subs {
			if strings.Contains(l, s) {
				return l
			}
		}
	}
	return ""
}

// run runs chromedp actions with a timeout.
func (b *browser) run(timeout time.Duration, actions ...chromedp.Action[chromedp.Void]) error {
	ctx, cancel := context.WithTimeout(b.ctx, timeout)
	defer cancel()
	return chromedp.Do(ctx, actions...)
}

// evalAs evaluates expr in the page (awaiting it if it is a Promise) and
// decodes its JSON value into T.
func evalAs[T any](b *browser, expr string, timeout time.Duration) (T, error) {
	ctx, cancel := context.WithTimeout(b.ctx, timeout)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise, chromedp.EvalAsValue))
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
	if _, err := evalAs[chromedp.Void](b, expr, defaultTimeout); err != nil {
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

// open navigates to the test page url and waits until the SDK is ready and
// the page's listeners are added.
func (b *browser) open(url string) {
	b.t.Helper()
	if err := b.run(30*time.Second, chromedp.Navigate(url)); err != nil {
		b.t.Fatalf("%s: navigating to %s: %v", b.name, url, err)
	}
	b.awaitSDK()
}

// reload reloads the page (same profile, same origin) and waits for the SDK.
func (b *browser) reload() {
	b.t.Helper()
	if err := b.run(30*time.Second, chromedp.Reload()); err != nil {
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
	Ret     json.RawMessage `json:"ret"`
	Err     *sdkError       `json:"err"`
	Timeout bool            `json:"timeout"`
	Missing bool            `json:"missing"`
	Thrown  string          `json:"thrown"`
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
	Kind string          `json:"kind"`
	At   int64           `json:"at"`
	Ret  json.RawMessage `json:"ret"`
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
