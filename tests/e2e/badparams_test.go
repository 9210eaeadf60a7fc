package e2e

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestBadParams: wrong arguments get err.code 414 naming the parameter,
// unsupported things get 414 "not supported yet", nothing kills the wasm
// runtime, and a page callback or listener that throws breaks nothing.
func TestBadParams(t *testing.T) {
	s := useShared(t)
	tok := users(t, s, "t8alice", "t8bob")
	alice, bob := newBrowser(t, "t8alice"), newBrowser(t, "t8bob")
	alice.open(pages.pageURL(s, false))
	bob.open(pages.pageURL(s, false))
	alice.login("t8alice", tok["t8alice"])
	bob.login("t8bob", tok["t8bob"])

	cases := []struct {
		name, method, params string
		msgHas               string // err.msg must contain this ("" = any)
	}{
		{"sendText({})", "sendText", `{}`, "sessionId"},
		{"sessionId is a number", "sendText", `{sessionId: 5, text: 'x'}`, "sessionId"},
		{"text is a number", "sendText", `{sessionId: 't8bob', text: 123}`, "text"},
		{"params null", "sendText", `null`, ""},
		{"params a string", "sendText", `'t8bob'`, ""},
		{"ext of 2 KB", "sendText", `{sessionId: 't8bob', text: 'x', ext: {pad: 'x'.repeat(2048)}}`, "ext"},
		{"ext not an object", "sendText", `{sessionId: 't8bob', text: 'x', ext: 'nope'}`, "ext"},
		{"text too long", "sendText", `{sessionId: 't8bob', text: 'x'.repeat(5001)}`, "text"},
		{"text empty", "sendText", `{sessionId: 't8bob', text: ''}`, "text"},
		{"text blank", "sendText", `{sessionId: 't8bob', text: ' \n\t\u3000 '}`, "text"},
		{"chatType a string", "sendText", `{sessionId: 't8bob', chatType: 'p2p', text: 'x'}`, "chatType"},
		{"messagesInSession sessionId object", "messagesInSession", `{sessionId: {}}`, "sessionId"},
		{"markAllMessagesReadInSession no sessionId", "markAllMessagesReadInSession", `{chatType: 0}`, "sessionId"},
		{"sendMessageReceipt no messageId", "sendMessageReceipt", `{sessionId: 't8bob'}`, "messageId"},
		{"login garbage", "login", `'garbage'`, ""},
		{"login no token", "login", `{account: 't8alice'}`, "token"},
		{"chat room", "sendText", `{sessionId: 'room1', chatType: 2, text: 'x'}`, "not supported yet"},
		{"createTeam without users", "createTeam", `{name: 'x', type: 0, accounts: ['t8bob']}`, "users"},
		{"createTeam without option.name", "createTeam", `{users: ['t8bob'], option: {type: 0}}`, "option.name"},
	}
	for _, c := range cases {
		start := time.Now()
		r := alice.callJS(c.method, c.params)
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%s: the 414 took %v; a parameter check should answer at once", c.name, d.Round(time.Millisecond))
		}
		switch {
		case r.Timeout || r.Missing || r.Thrown != "":
			t.Errorf("%s: %v, want the callback with err.code 414", c.name, r)
		case r.Err == nil || r.Err.Code != 414:
			t.Errorf("%s: %v, want err.code 414", c.name, r)
		case c.msgHas != "" && !strings.Contains(r.Err.Msg, c.msgHas):
			t.Errorf("%s: err.msg %q does not mention %q", c.name, r.Err.Msg, c.msgHas)
		case r.status():
			t.Errorf("%s: ret.status true alongside err %v", c.name, r)
		}
	}

	// A method called without a callback neither throws nor breaks anything.
	if err := eval[string](alice, `(() => { try {
			yunxinIM.sendText({sessionId: 't8bob', text: 'no callback'});
			yunxinIM.sendText({});
			yunxinIM.isLogined();
			yunxinIM.allRecentSessions();
			return ''; } catch (e) { return String(e && e.stack || e); } })()`); err != "" {
		t.Errorf("calling methods without a callback threw: %s", err)
	}

	// A throwing callback and a throwing listener do not break later calls
	// or the other listeners.
	if err := eval[string](alice, `(() => { try {
			yunxinIM.isLogined(function () { window.buggyCallbackRan = true; throw new Error('page callback bug'); });
			yunxinIM.addMessageListen(function () { throw new Error('page listener bug'); });
			return ''; } catch (e) { return String(e && e.stack || e); } })()`); err != "" {
		t.Errorf("registering a throwing callback threw synchronously: %s", err)
	}
	alice.waitFor("the throwing callback to run", `window.buggyCallbackRan === true`, 5*time.Second)

	// After all that, the SDK still works, and the bad calls changed nothing.
	if r := alice.mustCall("isLogined", nil); !r.status() {
		t.Errorf("isLogined after the bad calls: %v, want true (a bad login call must not log out)", r)
	}
	bobMark, aliceMark := bob.mark(), alice.mark()
	alice.sendText("t8bob", "still works")
	bob.waitRecv(bobMark, "still works", 10*time.Second)
	alice.waitFor("sendMessageFinish for 'still works' despite a throwing listener", `window.events.slice(`+strconv.Itoa(aliceMark)+`).some(e =>
		e.kind === 'message' && e.ret.eventType === 'sendMessageFinish' && e.ret.message && e.ret.message.body.text === 'still works')`, 10*time.Second)
	for _, m := range bob.history("t8alice") {
		if len(m.Body.Text) > 5000 || strings.HasPrefix(m.Body.Text, "xxxxxxxx") {
			t.Errorf("a rejected message was delivered: %q…", m.Body.Text[:20])
		}
	}
	if got := eval[bool](alice, `window.pageErrors.some(e => /Go program has already exited|all goroutines are asleep/.test(e))`); got {
		t.Errorf("the Go runtime died: %v", eval[[]string](alice, "window.pageErrors"))
	}
	if line := alice.consoleLine("Go program has already exited", "all goroutines are asleep", "panic:"); line != "" {
		t.Errorf("the Go runtime reported a fatal error on the console: %s", line)
	}
	if extra := eval[[]string](alice, "window.extraCallbacks"); len(extra) > 0 {
		t.Errorf("callbacks called more than once: %v", extra)
	}
}
