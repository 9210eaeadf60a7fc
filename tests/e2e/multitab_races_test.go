package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// These tests cover the review findings of the shared-tabs loader: how a
// binding call, a logout, a handover and a dead Go meet. Page code calls
// the SDK like an app would, sometimes without waiting for a callback.

// loginJS is the params of a login for account as JS source.
func loginJS(account, token string) string {
	return fmt.Sprintf(`{account: %q, token: %q}`, account, token)
}

// waitResult waits for window.r[name], which the page's own code sets to a
// call's {ret, err}, and returns it.
func (b *browser) waitResult(name string, timeout time.Duration) callResult {
	b.t.Helper()
	b.waitFor("the page's "+name+" answered", fmt.Sprintf(`window.r && window.r[%q]`, name), timeout)
	r := eval[callResult](b, fmt.Sprintf("window.r[%q]", name))
	r.method = name
	return r
}

// soleConnection checks that lead holds account's connection (role leader,
// logged in), that each of idle is logged out, that the server counts one
// connection, and that another tab of the profile logging in then follows
// lead instead of opening a second connection.
func soleConnection(t *testing.T, s *imServer, account, token string, lead *browser, idle ...*browser) {
	t.Helper()
	lead.waitFor("leader and logged in", `yunxinIM.__tab.role === 'leader' && call('isLogined').then(r => r.ret && r.ret.status === true)`, 10*time.Second)
	for _, b := range idle {
		b.waitFor("idle and logged out", `yunxinIM.__tab.role === 'idle' && call('isLogined').then(r => r.ret && r.ret.status === false)`, 10*time.Second)
	}
	waitConnections(t, s, account, 1, 5*time.Second)
	next := lead.newTab(lead.name + ", next tab")
	next.open(pages.pageURL(s, false))
	next.login(account, token)
	if r := next.tab(); r.Role != "follower" {
		t.Errorf("a tab logging in afterwards: role %q, want follower", r.Role)
	}
	waitConnections(t, s, account, 1, 5*time.Second)
}

// TestMultiTabBindingUpgrade: the leader only opened the cache; a
// follower's login upgrades it to a login. When the leader closes, the
// follower takes over with the login (not the openLocalCache the leader
// had at the follower's welcome): it connects.
func TestMultiTabBindingUpgrade(t *testing.T) {
	s := useShared(t)
	tok := users(t, s, "mt6alice", "mt6bob")
	bob := dialLogin(t, s, "mt6bob", tok["mt6bob"])
	fol := newBrowser(t, "mt6alice follower")
	lead := fol.newTab("mt6alice leader") // closing a browser's first tab would close the browser
	for _, b := range []*browser{lead, fol} {
		b.open(pages.pageURL(s, false))
	}
	lead.mustCall("openLocalCache", map[string]string{"account": "mt6alice"})
	if r := lead.tab(); r.Role != "leader" {
		t.Fatalf("after openLocalCache: role %q, want leader", r.Role)
	}
	fol.login("mt6alice", tok["mt6alice"])
	waitConnections(t, s, "mt6alice", 1, 5*time.Second)
	lead.close()
	fol.waitFor("the follower took over", `yunxinIM.__tab.role === 'leader'`, 10*time.Second)
	waitConnections(t, s, "mt6alice", 1, 10*time.Second)
	fol.waitFor("logged in", `call('isLogined').then(r => r.ret && r.ret.status === true)`, 5*time.Second)
	m := fol.mark()
	bob.sendText("mt6alice", "mt6-1", "after the takeover")
	fol.waitRecv(m, "after the takeover", 10*time.Second)
}

// TestMultiTabFollowerLogoutLogin: a follower's page calls logout() and
// login() at once, without waiting: the logout logs every tab out, then the
// login logs this tab in again, holding the lock: one connection, the
// other tab logged out, and a tab logging in afterwards follows it.
func TestMultiTabFollowerLogoutLogin(t *testing.T) {
	s := useShared(t)
	tok := users(t, s, "mt7alice")
	lead := newBrowser(t, "mt7alice leader")
	fol := lead.newTab("mt7alice follower")
	for _, b := range []*browser{lead, fol} {
		b.open(pages.pageURL(s, false))
		b.login("mt7alice", tok["mt7alice"])
	}
	fol.exec(fmt.Sprintf(`(() => { window.r = {};
		call('logout').then(v => r.logout = v);
		call('login', %s).then(v => r.login = v); })()`, loginJS("mt7alice", tok["mt7alice"])))
	if r := fol.waitResult("logout", 10*time.Second); r.failed() {
		t.Errorf("logout: %v", r)
	}
	if r := fol.waitResult("login", 15*time.Second); r.failed() || !r.status() {
		t.Fatalf("login right after logout: %v", r)
	}
	soleConnection(t, s, "mt7alice", tok["mt7alice"], fol, lead)
}

// TestMultiTabFollowerLoginInLogoutCallback: a follower logs in again from
// its logout callback (which may run before the leader's "unbound" reaches
// the tab): the login claims the account anew instead of running on the
// tab's own Go outside the lock.
func TestMultiTabFollowerLoginInLogoutCallback(t *testing.T) {
	s := useShared(t)
	tok := users(t, s, "mt8alice")
	lead := newBrowser(t, "mt8alice leader")
	fol := lead.newTab("mt8alice follower")
	for _, b := range []*browser{lead, fol} {
		b.open(pages.pageURL(s, false))
		b.login("mt8alice", tok["mt8alice"])
	}
	fol.exec(fmt.Sprintf(`(() => { window.r = {};
		yunxinIM.logout(function (ret, err) { r.logout = {ret: clone(ret), err: clone(err)};
			call('login', %s).then(v => r.login = v); }); })()`, loginJS("mt8alice", tok["mt8alice"])))
	if r := fol.waitResult("login", 15*time.Second); r.failed() || !r.status() {
		t.Fatalf("login from the logout callback: %v", r)
	}
	soleConnection(t, s, "mt8alice", tok["mt8alice"], fol, lead)
}

// TestMultiTabLeaderLogoutLogin: the leader's own page calls logout() and
// login() at once: the logout ends the binding in every tab first, then
// the login binds the account anew in this tab (not a login left running
// on a Go whose tab went idle).
func TestMultiTabLeaderLogoutLogin(t *testing.T) {
	s := useShared(t)
	tok := users(t, s, "mt9alice")
	lead := newBrowser(t, "mt9alice leader")
	fol := lead.newTab("mt9alice follower")
	for _, b := range []*browser{lead, fol} {
		b.open(pages.pageURL(s, false))
		b.login("mt9alice", tok["mt9alice"])
	}
	lead.exec(fmt.Sprintf(`(() => { window.r = {};
		call('logout').then(v => r.logout = v);
		call('login', %s).then(v => r.login = v); })()`, loginJS("mt9alice", tok["mt9alice"])))
	if r := lead.waitResult("logout", 10*time.Second); r.failed() {
		t.Errorf("logout: %v", r)
	}
	if r := lead.waitResult("login", 15*time.Second); r.failed() || !r.status() {
		t.Fatalf("login right after logout: %v", r)
	}
	soleConnection(t, s, "mt9alice", tok["mt9alice"], lead, fol)
}

// TestMultiTabLogoutAtHandover: a follower's logout is caught by the
// leader's close (here its call never reached the leader): it is sent
// again to the next leader, so the account ends logged out in every tab
// instead of being logged back in by the takeover.
func TestMultiTabLogoutAtHandover(t *testing.T) {
	s := useShared(t)
	tok := users(t, s, "mt10alice")
	f2 := newBrowser(t, "mt10alice follower 2")
	lead, f1 := f2.newTab("mt10alice leader"), f2.newTab("mt10alice follower 1")
	for _, b := range []*browser{lead, f1, f2} {
		b.open(pages.pageURL(s, false))
		b.login("mt10alice", tok["mt10alice"])
	}
	f1.exec(`(() => {
		const post = BroadcastChannel.prototype.postMessage;
		BroadcastChannel.prototype.postMessage = function (m) {
			if (m && m.t === 'call' && m.name === 'logout' && !window.dropped) { window.dropped = true; return; }
			return post.call(this, m);
		};
		window.r = {}; call('logout').then(v => r.logout = v); })()`)
	f1.waitFor("the logout call dropped", `window.dropped === true`, 5*time.Second)
	lead.close()
	if r := f1.waitResult("logout", 15*time.Second); r.failed() {
		t.Fatalf("logout caught in the handover: %v, want it done by the next leader", r)
	}
	for _, b := range []*browser{f1, f2} {
		b.waitFor("idle and logged out", `yunxinIM.__tab.role === 'idle' && call('isLogined').then(r => r.ret && r.ret.status === false)`, 10*time.Second)
	}
	waitConnections(t, s, "mt10alice", 0, 10*time.Second)
}

// TestMultiTabCallAtUnbind: a follower's sendText is running at the leader
// when the leader's page logs out; the leader's answer cannot reach the
// follower any more (here it is dropped). The follower answers 415 "may
// have taken effect" (the message went out: bob gets it) instead of
// running the send again on its own logged-out Go.
func TestMultiTabCallAtUnbind(t *testing.T) {
	s := useShared(t)
	tok := users(t, s, "mt11alice", "mt11bob")
	lead := newBrowser(t, "mt11alice leader")
	fol := lead.newTab("mt11alice follower")
	for _, b := range []*browser{lead, fol} {
		b.open(pages.pageURL(s, false))
		b.login("mt11alice", tok["mt11alice"])
	}
	// The leader holds back its answers to the follower's calls.
	lead.exec(`(() => {
		const post = BroadcastChannel.prototype.postMessage;
		BroadcastChannel.prototype.postMessage = function (m) { if (m && m.t === 'ret') { window.heldRet = true; return; } return post.call(this, m); };
	})()`)
	fol.exec(`(() => { window.r = {}; call('sendText', {sessionId: 'mt11bob', chatType: 0, text: 'at the unbind'}).then(v => r.send = v); })()`)
	lead.waitFor("the send answered at the leader", `window.heldRet === true`, 10*time.Second)
	lead.logout()
	r := fol.waitResult("send", 10*time.Second)
	if r.Err == nil || r.Err.Code != 415 || !strings.Contains(r.Err.Msg, "may have taken effect") {
		t.Errorf("the follower's send caught by the logout: %v, want 415 \"… may have taken effect\"", r)
	}
	// The send did go out: the leader's engine finished it.
	lead.waitFor("sendMessageFinish of the held send", `window.events.some(e => e.kind === 'message' && e.ret.eventType === 'sendMessageFinish' &&
		e.ret.success !== false && e.ret.message && e.ret.message.body && e.ret.message.body.text === 'at the unbind')`, 5*time.Second)
	fol.waitFor("idle and logged out", `yunxinIM.__tab.role === 'idle' && call('isLogined').then(r => r.ret && r.ret.status === false)`, 10*time.Second)
}

// deathPage serves the test page with a script that keeps the page's Go
// instance (window.__go) so a test can make that Go exit as a Go program
// that returns from main does; returns the page's URL.
func deathPage(t *testing.T, s *imServer, name string) string {
	return fallbackPage(t, s, name, `<script>(function () {
		var G;
		Object.defineProperty(window, 'Go', {configurable: true, get: function () { return G; }, set: function (v) {
			var run = v.prototype.run;
			v.prototype.run = function (inst) { window.__go = this; return run.call(this, inst); };
			G = v;
		}});
	})();</script>`, "")
}

// killGo makes b's Go exit (b opened a deathPage) and waits for the SDK to
// notice.
func (b *browser) killGo() {
	b.t.Helper()
	b.exec(`(() => { __go.exited = true; __go._resolveExitPromise(); })()`)
	b.waitFor("the SDK stopped", `call('isLogined').then(r => r.err && r.err.code === 500)`, 5*time.Second)
}

// TestMultiTabLeaderGoDies: the leader's Go exits: it hands the account
// over at once (bye, lock released): the follower takes over and its
// calls work, instead of answering 500 forever.
func TestMultiTabLeaderGoDies(t *testing.T) {
	s := useShared(t)
	tok := users(t, s, "mt12alice", "mt12bob")
	bob := dialLogin(t, s, "mt12bob", tok["mt12bob"])
	fol := newBrowser(t, "mt12alice follower")
	lead := fol.newTab("mt12alice leader")
	lead.open(deathPage(t, s, "mt12-death"))
	fol.open(pages.pageURL(s, false))
	for _, b := range []*browser{lead, fol} {
		b.login("mt12alice", tok["mt12alice"])
	}
	if r := lead.tab(); r.Role != "leader" {
		t.Fatalf("the first tab: role %q, want leader", r.Role)
	}
	lead.killGo()
	fol.waitFor("the follower took over", `yunxinIM.__tab.role === 'leader'`, 10*time.Second)
	fol.waitFor("logged in", `call('isLogined').then(r => r.ret && r.ret.status === true)`, 10*time.Second)
	m := fol.mark()
	bob.sendText("mt12alice", "mt12-1", "to the new leader")
	fol.waitRecv(m, "to the new leader", 10*time.Second)
	fol.sendText("mt12bob", "from the new leader")
	lead.close() // its Go's timers fail on the console: the health check would count them
}

// TestMultiTabFollowerGoDies: a follower whose Go exited (its page's calls
// answer 500 from then on) no longer waits for the lock: when the leader closes, the other follower takes over
// (not the dead one, whose takeover would fail and log out every tab).
func TestMultiTabFollowerGoDies(t *testing.T) {
	s := useShared(t)
	tok := users(t, s, "mt13alice")
	live := newBrowser(t, "mt13alice follower")
	lead, dead := live.newTab("mt13alice leader"), live.newTab("mt13alice dying follower")
	lead.open(pages.pageURL(s, false))
	dead.open(deathPage(t, s, "mt13-death"))
	live.open(pages.pageURL(s, false))
	for _, b := range []*browser{lead, dead, live} { // the dying one asks for the lock first
		b.login("mt13alice", tok["mt13alice"])
	}
	dead.killGo()
	lead.close()
	live.waitFor("the live follower took over", `yunxinIM.__tab.role === 'leader'`, 10*time.Second)
	live.waitFor("logged in", `call('isLogined').then(r => r.ret && r.ret.status === true)`, 10*time.Second)
	live.stays("still logged in and leading", `yunxinIM.__tab.role === 'leader' && call('isLogined').then(r => r.ret && r.ret.status === true)`, 2*time.Second)
	waitConnections(t, s, "mt13alice", 1, 5*time.Second)
	dead.close() // its Go's timers fail on the console: the health check would count them
}

// TestMultiTabSlowFollowerAtLogout: a follower that handles the leader's
// "unbound" late (a frozen or busy tab: here its page delays that message
// 2.5 s) may get the lock first: it must not log the account in again.
func TestMultiTabSlowFollowerAtLogout(t *testing.T) {
	s := useShared(t)
	tok := users(t, s, "mt14alice")
	lead := newBrowser(t, "mt14alice leader")
	fol := lead.newTab("mt14alice slow follower")
	lead.open(pages.pageURL(s, false))
	fol.open(fallbackPage(t, s, "mt14-slow", `<script>(function () {
		var d = Object.getOwnPropertyDescriptor(BroadcastChannel.prototype, 'onmessage');
		Object.defineProperty(BroadcastChannel.prototype, 'onmessage', {configurable: true, get: d.get, set: function (fn) {
			var ch = this;
			d.set.call(this, fn && function (e) {
				if (e.data && e.data.t === 'unbound') { window.lateUnbound = true; setTimeout(function () { fn.call(ch, e); }, 2500); return; }
				return fn.call(ch, e);
			});
		}});
	})();</script>`, ""))
	for _, b := range []*browser{lead, fol} {
		b.login("mt14alice", tok["mt14alice"])
	}
	lead.logout()
	fol.waitFor("the unbound message held back", `window.lateUnbound === true`, 5*time.Second)
	fol.stays("logged out and not leading", `yunxinIM.__tab.role !== 'leader' && call('isLogined').then(r => r.ret && r.ret.status === false)`, 4*time.Second)
	fol.waitFor("idle", `yunxinIM.__tab.role === 'idle'`, 5*time.Second)
	waitConnections(t, s, "mt14alice", 0, 5*time.Second)
}

// TestMultiTabHandoverGapOwnDevice: what the account sends from another
// device during the gap (the tabs get it as onRecvMessages, outgoing) is
// filled after the handover like a received message; this profile's own
// send in the gap is not (its tabs had it as willSendMessage).
func TestMultiTabHandoverGapOwnDevice(t *testing.T) {
	s := useShared(t)
	tok := users(t, s, "mt15alice", "mt15bob")
	phone := dialLogin(t, s, "mt15alice", tok["mt15alice"]) // alice's other device
	tab2 := newBrowser(t, "mt15alice tab 2")
	tab1 := tab2.newTab("mt15alice tab 1")
	for _, b := range []*browser{tab1, tab2} {
		b.open(pages.pageURL(s, false))
		b.login("mt15alice", tok["mt15alice"])
	}
	if r := tab1.tab(); r.Role != "leader" {
		t.Fatalf("tab 1: role %q, want leader", r.Role)
	}
	m1, m2 := tab1.mark(), tab2.mark()
	phone.sendText("mt15bob", "mt15-1", "before, from the phone")
	tab2.waitRecv(m2, "before, from the phone", 10*time.Second)
	tab2.sendText("mt15bob", "from tab 2")
	tab1.exec(`(() => {
		const post = BroadcastChannel.prototype.postMessage;
		BroadcastChannel.prototype.postMessage = function (m) { if (m && m.t === 'event') return; return post.call(this, m); };
	})()`)
	phone.sendText("mt15bob", "mt15-2", "in the gap, from the phone")
	tab1.waitRecv(m1, "in the gap, from the phone", 10*time.Second)
	tab1.close()
	tab2.waitFor("tab 2 leads", `yunxinIM.__tab.role === 'leader'`, 10*time.Second)
	tab2.waitRecv(m2, "in the gap, from the phone", 15*time.Second)
	phone.sendText("mt15bob", "mt15-3", "after, from the phone")
	tab2.waitRecv(m2, "after, from the phone", 10*time.Second)
	if n := tab2.countRecv(m2); n["before, from the phone"] != 1 || n["in the gap, from the phone"] != 1 || n["after, from the phone"] != 1 || n["from tab 2"] != 0 {
		t.Errorf("tab 2: onRecvMessages brought %v, want each message of the phone once and none of its own send", n)
	}
}

// TestMultiTabFilesAfterClose: a follower sends a file; the leader's Go
// keeps it under the leader's own URL, so the path in the leader page's
// view of the message still loads after the follower tab closed.
func TestMultiTabFilesAfterClose(t *testing.T) {
	s := useShared(t)
	tok := users(t, s, "mt16alice", "mt16bob")
	lead := newBrowser(t, "mt16alice leader")
	fol := lead.newTab("mt16alice follower")
	for _, b := range []*browser{lead, fol} {
		b.open(pages.pageURL(s, false))
		b.login("mt16alice", tok["mt16alice"])
		b.addMedia()
	}
	if r := fol.tab(); r.Role != "follower" {
		t.Fatalf("the second tab: role %q, want follower", r.Role)
	}
	fol.exec(`(() => { window.f = media.file(50000, 'kept.bin'); })()`)
	want, wn := fol.md5Of("f")
	mark := lead.mark()
	r := fol.callWithin(30*time.Second, "sendFile", `{sessionId: 'mt16bob', chatType: 0, path: f}`)
	if r.failed() || !r.status() {
		t.Fatalf("follower sendFile: %v", r)
	}
	id := sentMessage(t, r).MessageID
	lead.waitFor("sendMessageFinish in the leader", fmt.Sprintf(`window.events.slice(%d).some(e => e.kind === 'message' &&
		e.ret.eventType === 'sendMessageFinish' && e.ret.message && e.ret.message.messageId === %q)`, mark, id), 20*time.Second)
	fol.close()
	m := lead.messageByID("mt16bob", id)
	if m == nil || m.Body.Path == "" {
		t.Fatalf("the leader's view of the follower's file: %+v, want a path", m)
	}
	if got, n := lead.md5Of(fmt.Sprintf("%q", m.Body.Path)); got != want || n != wn {
		t.Errorf("the path %q in the leader after the follower closed: md5 %s (%d bytes), want %s (%d)", m.Body.Path, got, n, want, wn)
	}
}
