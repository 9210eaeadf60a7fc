package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"yunxin/internal/webdriver"
)

// ui drives the demo page of one browser.
type ui struct{ *browser }

// do runs f on u's tab within 10s; an error fails the test with what.
func (u ui) do(what string, f func(ctx context.Context, tab webdriver.Tab) error) {
	u.t.Helper()
	if err := u.withTab(10*time.Second, f); err != nil {
		u.t.Fatalf("%s: %s: %v", u.name, what, err)
	}
}

// type_ replaces the value of the input sel with text, typing it.
func (u ui) type_(sel, text string) {
	u.t.Helper()
	u.waitFor(sel+" in the demo", fmt.Sprintf(`document.querySelector(%q)`, sel), 10*time.Second)
	u.exec(fmt.Sprintf(`document.querySelector(%q).value = ''`, sel))
	u.do("typing into "+sel, func(ctx context.Context, tab webdriver.Tab) error { return tab.SendKeys(ctx, sel, text) })
}

// click clicks sel. An element the demo redrew between the driver's finding
// it and clicking it (a message bubble redrawn at each upload progress, a
// session row at each unread change) is gone from the page: chromedriver
// says "stale element", Firefox "is not displayed". That click is tried
// again on the new element, a few times.
func (u ui) click(sel string) {
	u.t.Helper()
	u.do("clicking "+sel, func(ctx context.Context, tab webdriver.Tab) error {
		for i := 0; ; i++ {
			err := tab.Click(ctx, sel)
			if err == nil || i == 4 || !redrawn(err) {
				return err
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
}

// redrawn reports whether err says the element clicked left the page
// between the driver's finding it and its click.
func redrawn(err error) bool {
	return strings.Contains(err.Error(), "stale element") || strings.Contains(err.Error(), "is not displayed")
}

// loginUI opens the demo (through u's throttle if it has one in front of
// s) and logs in through #account, #token and #login.
func (u ui) loginUI(s *imServer, account, token string) {
	u.t.Helper()
	if err := u.navigate(u.serverURL(s) + "/"); err != nil {
		u.t.Fatalf("%s: opening the demo: %v", u.name, err)
	}
	u.recordConsole()
	u.waitFor("the demo's login form and the SDK", `document.querySelector('#account') && document.querySelector('#token') &&
		document.querySelector('#login') && window.yunxinIM && window.yunxinIM.ready.then(() => true)`, 30*time.Second)
	u.type_("#account", account)
	u.type_("#token", token)
	u.click("#login")
	u.waitFor(account+" logged in through the demo", `new Promise(r => yunxinIM.isLogined(ret => r(!!(ret && ret.status))))`, 15*time.Second)
	u.waitFor("the demo's chat UI", `document.querySelector('#sessions') && document.querySelector('#messages') &&
		document.querySelector('#text') && document.querySelector('#send')`, 10*time.Second)
}

// messageTexts returns the .text of each .msg in #messages, with whether it is .out.
func (u ui) messageTexts() []struct {
	Text string `json:"text"`
	Out  bool   `json:"out"`
} {
	u.t.Helper()
	return eval[[]struct {
		Text string `json:"text"`
		Out  bool   `json:"out"`
	}](u.browser, `[...document.querySelectorAll('#messages .msg')].map(m => ({
		text: (m.querySelector('.text') || m).textContent, out: m.classList.contains('out')}))`)
}

// TestDemoPage: two people chat through the demo app's UI, served by the IM
// server itself at /; message text is shown as text, never as HTML.
func TestDemoPage(t *testing.T) {
	s := useShared(t)
	tok := users(t, s, "t9alice", "t9bob")
	alice, bob := ui{newBrowser(t, "t9alice (demo)")}, ui{newBrowser(t, "t9bob (demo)")}
	alice.loginUI(s, "t9alice", tok["t9alice"])
	bob.loginUI(s, "t9bob", tok["t9bob"])

	// alice starts a chat with bob and sends HTML-looking text.
	const hello = `hello <b>x</b> & <img src=x onerror="window.pwned=1">`
	alice.type_("#peer", "t9bob")
	alice.click("#newchat")
	alice.type_("#text", hello)
	alice.click("#send")
	q, _ := json.Marshal(hello)
	alice.waitFor("alice's own message in #messages as .msg.out", fmt.Sprintf(
		`[...document.querySelectorAll('#messages .msg.out .text')].some(e => e.textContent === %s)`, q), 10*time.Second)

	// bob sees the session with one unread message, opens it, sees the text.
	sessionSel := `#sessions li.session[data-session-id="t9alice"]`
	bob.waitFor("session t9alice in bob's #sessions", fmt.Sprintf(`document.querySelector(%q)`, sessionSel), 10*time.Second)
	bob.waitFor("unread 1 on bob's session t9alice", fmt.Sprintf(
		`(document.querySelector(%q + ' .unread') || {}).textContent?.trim() === '1'`, sessionSel), 5*time.Second)
	bob.click(sessionSel)
	bob.waitFor("alice's message in bob's #messages", fmt.Sprintf(
		`[...document.querySelectorAll('#messages .msg .text')].some(e => e.textContent === %s)`, q), 10*time.Second)
	for _, m := range bob.messageTexts() {
		if m.Text == hello && m.Out {
			t.Errorf("bob's demo shows alice's message as his own (.out)")
		}
	}
	if n := eval[int](bob.browser, `document.querySelectorAll('#messages b, #messages img').length`); n != 0 {
		t.Errorf("the message text was rendered as HTML: %d <b>/<img> elements in #messages", n)
	}
	if eval[bool](bob.browser, `window.pwned === 1`) || eval[bool](alice.browser, `window.pwned === 1`) {
		t.Errorf("the message text ran script (onerror)")
	}

	// bob answers through the UI; alice sees it as incoming.
	bob.type_("#text", "hi alice")
	bob.click("#send")
	alice.waitFor("bob's answer in alice's #messages", `[...document.querySelectorAll('#messages .msg:not(.out) .text')].some(e => e.textContent === 'hi alice')`, 10*time.Second)
	bob.waitFor("bob's answer in his #messages as .out", `[...document.querySelectorAll('#messages .msg.out .text')].some(e => e.textContent === 'hi alice')`, 10*time.Second)

	// A chat with an account that does not exist is refused at once, with a
	// message naming it, and opens nothing.
	alice.type_("#peer", "t9nobody")
	alice.click("#newchat")
	alice.waitFor("#chatError naming t9nobody", `document.querySelector('#chatError').textContent.includes('t9nobody')`, 5*time.Second)
	if n := eval[int](alice.browser, `document.querySelectorAll('#sessions li.session[data-session-id="t9nobody"]').length`); n != 0 {
		t.Errorf("the demo lists a session with the unknown account t9nobody")
	}
	if p := eval[string](alice.browser, `document.querySelector('#peerName').textContent`); p != "t9bob" {
		t.Errorf("after the refused chat the open conversation is %q, want t9bob still", p)
	}
	t.Logf("unknown account: %q", eval[string](alice.browser, `document.querySelector('#chatError').textContent`))
	alice.screenshot("demo-unknown-account.png")
	alice.click(`#sessions li.session[data-session-id="t9bob"]`)
	alice.waitFor("the error cleared by opening a conversation", `document.querySelector('#chatError').textContent === ''`, 5*time.Second)
	alice.waitFor("the conversation's two messages shown again once reopened", `document.querySelectorAll('#messages .msg').length === 2`, 10*time.Second)

	// Each message carries its id.
	if n := eval[int](alice.browser, `[...document.querySelectorAll('#messages .msg')].filter(m => !m.dataset.messageId).length`); n != 0 {
		t.Errorf("%d .msg elements in alice's #messages have no data-message-id", n)
	}

	// A picture of each side for people (tests/e2e/artifacts, not committed).
	alice.screenshot("demo-alice.png")
	bob.screenshot("demo-bob.png")

	// The favicon is served (no 404 on any page load).
	for _, f := range []struct{ path, ctype string }{{"/favicon.ico", ""}, {"/favicon.svg", "image/svg+xml"}} {
		resp, err := http.Get(s.URL() + f.path)
		if err != nil {
			t.Fatalf("GET %s: %v", f.path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || len(body) == 0 || f.ctype != "" && resp.Header.Get("Content-Type") != f.ctype {
			t.Errorf("GET %s: HTTP %d, %d bytes, Content-Type %q; want 200 with an icon", f.path, resp.StatusCode, len(body), resp.Header.Get("Content-Type"))
		}
	}
	if bad := eval[[]string](alice.browser, `Promise.all([...document.querySelectorAll('link[rel~="icon"]')].map(l =>
		fetch(l.href).then(r => r.ok ? '' : l.href + ': ' + r.status)))`); len(bad) == 0 || slices.ContainsFunc(bad, func(s string) bool { return s != "" }) {
		t.Errorf("the demo's icon links: %q, want at least one, each loading", bad)
	}
	for _, u := range []ui{alice, bob} {
		if bad := u.failedResources(); len(bad) > 0 {
			t.Errorf("%s: resources that failed to load: %v", u.name, bad)
		}
	}

	// Logging out through the UI.
	bob.click("#logout")
	bob.waitFor("bob logged out through #logout", `new Promise(r => yunxinIM.isLogined(ret => r(!(ret && ret.status))))`, 10*time.Second)
}

// reloadDemo reloads u's demo page and records its console again.
func (u ui) reloadDemo() {
	u.t.Helper()
	if err := u.reloadPage(); err != nil {
		u.t.Fatalf("%s: reloading the demo: %v", u.name, err)
	}
	u.recordConsole()
}

// failedResources returns the resources u's page loaded (its Resource
// Timing entries) that answer with an error status, then or when fetched
// again now: what Chromium's console reports as "Failed to load resource",
// read the same way on every engine.
func (u ui) failedResources() []string {
	u.t.Helper()
	return eval[[]string](u.browser, `Promise.all(performance.getEntriesByType('resource')
		.filter(e => /^https?:/.test(e.name))
		.map(e => e.responseStatus >= 400 ? e.name + ': ' + e.responseStatus :
			fetch(e.name).then(r => r.ok ? '' : e.name + ': ' + r.status, err => e.name + ': ' + err)))
		.then(a => a.filter(x => x !== ''))`)
}

// screenshot saves the page as tests/e2e/artifacts/name; a failure to save
// is logged, not fatal: the picture is for people, the test asserts the DOM.
func (u ui) screenshot(name string) {
	var png []byte
	err := u.withTab(10*time.Second, func(ctx context.Context, tab webdriver.Tab) (err error) {
		png, err = tab.Screenshot(ctx)
		return err
	})
	if err == nil {
		dir := filepath.Join(repoRoot, "tests", "e2e", "artifacts")
		if err = os.MkdirAll(dir, 0o755); err == nil {
			err = os.WriteFile(filepath.Join(dir, name), png, 0o644)
		}
	}
	if err != nil {
		u.t.Logf("screenshot %s: %v", name, err)
	}
}

// TestDemoRecovery: while the server is down the demo says "reconnecting…"
// (never "connect failed": the SDK is retrying); a message sent meanwhile
// shows at once as waiting for the connection (the SDK's outbox), with no
// error, and goes out by itself once the SDK is back online; sending works
// again.
func TestDemoRecovery(t *testing.T) {
	s := startServer(t)
	tok := users(t, s, "t18alice", "t18bob")
	alice := ui{newBrowser(t, "t18alice (demo)")}
	alice.loginUI(s, "t18alice", tok["t18alice"])
	alice.exec(`window.statusLog = [document.querySelector('#status').textContent];
		new MutationObserver(() => statusLog.push(document.querySelector('#status').textContent)).observe(document.querySelector('#status'), {childList: true, characterData: true, subtree: true})`)
	alice.type_("#peer", "t18bob")
	alice.click("#newchat")
	alice.waitFor("the conversation with t18bob", `document.querySelector('#peerName').textContent === 't18bob'`, 10*time.Second)
	alice.waitFor("status online", `document.querySelector('#status').textContent === 'online'`, 10*time.Second)

	if err := s.stop(); err != nil {
		t.Errorf("stopping the server: %v", err)
	}
	alice.waitFor("status reconnecting…", `document.querySelector('#status').textContent === 'reconnecting…'`, 15*time.Second)
	alice.type_("#text", "while the server is down")
	alice.click("#send")
	waiting := `[...document.querySelectorAll('#messages .msg.out.pending')].some(m => m.querySelector('.text').textContent === 'while the server is down' &&
		m.querySelector('.meta').textContent.includes('waiting for the connection'))`
	alice.waitFor("the message shown at once, waiting for the connection", waiting, 10*time.Second)
	if e := eval[string](alice.browser, `document.querySelector('#chatError').textContent`); e != "" {
		t.Errorf("a send while offline shows the error %q; want it waiting in the outbox", e)
	}
	// A second one is canceled from its actions: it fails (Retry) and stays unsent.
	alice.type_("#text", "cancel me")
	alice.click("#send")
	cancelID := alice.messageIDByText("cancel me")
	alice.hover(msgSel(cancelID))
	alice.click(msgSel(cancelID) + " .actions .cancel")
	alice.waitFor("the canceled message failed, with Retry", fmt.Sprintf(`document.querySelector(%q + '.failed .retry')`, msgSel(cancelID)), 10*time.Second)
	alice.stays("no error and an empty message box after the cancel", `document.querySelector('#chatError').textContent === '' && document.querySelector('#text').value === ''`, time.Second)
	alice.screenshot("demo-reconnecting.png")

	if err := s.start(); err != nil {
		t.Fatalf("starting the server again: %v", err)
	}
	alice.waitFor("status online again", `document.querySelector('#status').textContent === 'online'`, 30*time.Second)
	alice.waitFor("the waiting message sent by itself", `[...document.querySelectorAll('#messages .msg.out')].some(m => m.querySelector('.text').textContent === 'while the server is down' &&
		!m.classList.contains('pending') && !m.classList.contains('failed') && m.querySelector('.tick').textContent.startsWith('✓'))`, 20*time.Second)
	if e := eval[string](alice.browser, `document.querySelector('#chatError').textContent`); e != "" {
		t.Errorf("after the recovery the demo shows the error %q", e)
	}
	if !eval[bool](alice.browser, fmt.Sprintf(`!!document.querySelector(%q + '.failed')`, msgSel(cancelID))) {
		t.Errorf("the canceled message went out after the recovery; want it unsent until Retry")
	}
	alice.click(msgSel(cancelID) + " .retry")
	alice.waitFor("the retried message sent", fmt.Sprintf(`(() => { const m = document.querySelector(%q);
		return m && !m.classList.contains('failed') && !m.classList.contains('pending') && m.querySelector('.tick').textContent.startsWith('✓'); })()`, msgSel(cancelID)), 15*time.Second)
	if log := eval[[]string](alice.browser, `window.statusLog`); slices.Contains(log, "connect failed") {
		t.Errorf("the status said 'connect failed' while the SDK was retrying: %q", log)
	} else {
		t.Logf("status while down and back: %q", log)
	}
	alice.type_("#text", "back online")
	alice.click("#send")
	alice.waitFor("the message sent after recovery as .out", `[...document.querySelectorAll('#messages .msg.out .text')].some(e => e.textContent === 'back online')`, 10*time.Second)
	alice.screenshot("demo-recovered.png")
}
