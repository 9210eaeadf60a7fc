package e2e

import (
	"encoding/json"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestLogin: the script tag installs yunxinIM at once (and api.require), a
// right token logs in with the documented login steps, a wrong one gets 302.
func TestLogin(t *testing.T) {
	s := useShared(t)
	tok := users(t, s, "t1alice")
	b := newBrowser(t, "t1alice")
	b.open(pages.pageURL(s, false))

	if !eval[bool](b, "window.sdkAtOnce") {
		t.Error("window.yunxinIM did not exist right after the script tag")
	}
	if !eval[bool](b, "typeof api === 'object' && typeof api.require === 'function' && api.require('yunxinIM') === yunxinIM") {
		t.Error("api.require('yunxinIM') does not return window.yunxinIM on a page without its own api")
	}

	// Before login.
	if r := b.mustCall("isLogined", nil); r.status() {
		t.Errorf("isLogined before login: %v, want status false", r)
	}

	since := b.mark()
	r := b.call("login", map[string]string{"account": "t1alice", "token": tok["t1alice"]})
	if r.failed() || !r.status() {
		t.Fatalf("login: %v, want ret.status true and no err", r)
	}
	if r := b.mustCall("isLogined", nil); !r.status() {
		t.Errorf("isLogined after login: %v, want status true", r)
	}
	r = b.mustCall("currentAccount", nil)
	var cur struct {
		UserID string `json:"userID"`
	}
	json.Unmarshal(r.Ret, &cur)
	if cur.UserID != "t1alice" {
		t.Errorf("currentAccount: %v, want userID t1alice", r)
	}
	b.waitStep(since, 8, 15*time.Second)
	if got, want := b.loginSteps(since), []int{1, 2, 4, 5, 7, 8}; !reflect.DeepEqual(got, want) {
		t.Errorf("account listener login steps: %v, want %v", got, want)
	}

	// Wrong token, after a logout, on the same page.
	b.logout()
	if r := b.mustCall("isLogined", nil); r.status() {
		t.Errorf("isLogined after logout: %v, want status false", r)
	}
	since = b.mark()
	r = b.call("login", map[string]string{"account": "t1alice", "token": "wrong-token"})
	if r.Err == nil || r.Err.Code != 302 {
		t.Errorf("login with a wrong token: %v, want err.code 302", r)
	}
	if r.status() {
		t.Errorf("login with a wrong token: ret.status true")
	}
	b.waitStep(since, 6, 10*time.Second)
	if steps := b.loginSteps(since); slices.Contains(steps, 5) {
		t.Errorf("login with a wrong token: steps %v include 5 (logged in)", steps)
	}
	if r := b.mustCall("isLogined", nil); r.status() {
		t.Errorf("isLogined after a refused login: %v, want status false", r)
	}

	// An account that does not exist is refused the same way.
	r = b.call("login", map[string]string{"account": "t1nobody", "token": "tok-t1nobody"})
	if r.Err == nil || r.Err.Code != 302 {
		t.Errorf("login as an unknown account: %v, want err.code 302", r)
	}

	// After all that, the right token still works on the same page.
	b.login("t1alice", tok["t1alice"])
}

// TestRESTUserCreate: user/create.action with NetEase's checksum creates an
// account whose token logs in; duplicates and bad checksums are refused.
func TestRESTUserCreate(t *testing.T) {
	s := useShared(t)
	status, r := rest(t, s, "user/create.action", appSecret, url.Values{"accid": {"t1rest"}, "token": {"tok-rest-1"}})
	if status != 200 || r.Code != 200 {
		t.Fatalf("user/create.action: HTTP %d, %+v; want code 200", status, r)
	}
	var info struct {
		Token string `json:"token"`
		Accid string `json:"accid"`
	}
	json.Unmarshal(r.Info, &info)
	if info.Token != "tok-rest-1" || info.Accid != "t1rest" {
		t.Errorf("user/create.action info: %s, want accid t1rest, token tok-rest-1", r.Info)
	}

	_, r = rest(t, s, "user/create.action", appSecret, url.Values{"accid": {"t1rest"}})
	if r.Code != 414 || !strings.Contains(r.Desc, "already") {
		t.Errorf("user/create.action for an existing accid: %+v, want code 414 'already register'", r)
	}
	_, r = rest(t, s, "user/create.action", "not-the-secret", url.Values{"accid": {"t1rest2"}})
	if r.Code == 200 {
		t.Errorf("user/create.action with a bad CheckSum: %+v, want a refusal", r)
	}

	// Without a token the server makes one.
	_, r = rest(t, s, "user/create.action", appSecret, url.Values{"accid": {"t1rest3"}})
	json.Unmarshal(r.Info, &info)
	if r.Code != 200 || info.Token == "" {
		t.Errorf("user/create.action without token: %+v, want code 200 and a generated token", r)
	}

	b := newBrowser(t, "t1rest")
	b.open(pages.pageURL(s, false))
	b.login("t1rest", "tok-rest-1")
}

// TestDisallowedOrigin: a page whose origin is not in YUNXIN_ALLOWED_ORIGINS
// cannot log in, and learns why at once: err.code 403 with a msg naming the
// page's origin and the variable to set (the server completes the upgrade and
// closes with 4403 and that reason). It does not retry.
func TestDisallowedOrigin(t *testing.T) {
	s := useShared(t)
	tok := users(t, s, "t1evil")
	b := newBrowser(t, "t1evil")
	b.open(otherPages.pageURL(s, true))
	since := b.mark()
	start := time.Now()
	r := b.callWithin(30*time.Second, "login", `{account: 't1evil', token: '`+tok["t1evil"]+`'}`)
	if r.Timeout || r.Missing || r.Thrown != "" {
		t.Fatalf("login from a disallowed origin: %v, want a prompt err", r)
	}
	if r.Err == nil || r.status() {
		t.Fatalf("login from a disallowed origin %s succeeded: %v", otherPages.URL, r)
	}
	t.Logf("login from a disallowed origin: %v (after %v)", r, time.Since(start).Round(time.Millisecond))
	if r.Err.Code != 403 {
		t.Errorf("login from a disallowed origin: err.code %d, want 403", r.Err.Code)
	}
	if !strings.Contains(r.Err.Msg, otherPages.URL) || !strings.Contains(r.Err.Msg, "YUNXIN_ALLOWED_ORIGINS") {
		t.Errorf("login from a disallowed origin: err.msg %q, want it to name the origin %s and YUNXIN_ALLOWED_ORIGINS", r.Err.Msg, otherPages.URL)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the err took %v; a refused origin is known at once", d.Round(time.Millisecond))
	}
	if steps := b.loginSteps(since); slices.Contains(steps, 5) {
		t.Errorf("login from a disallowed origin: steps %v include 5 (logged in)", steps)
	}
	if r := b.mustCall("isLogined", nil); r.status() {
		t.Errorf("isLogined: %v, want false", r)
	}
	// The server's own origin still works for the same account.
	good := newBrowser(t, "t1evil (allowed origin)")
	good.open(pages.pageURL(s, false))
	good.login("t1evil", tok["t1evil"])
	// And the refused page did not retry in the background.
	steps := b.loginSteps(since)
	if tries := len(slices.DeleteFunc(slices.Clone(steps), func(st int) bool { return st != 1 })); slices.Contains(steps, 5) || tries > 1 {
		t.Errorf("the refused page went on trying: login steps %v", steps)
	}
}

// TestAccountSwitch: after alice logs out, carol logs in on the same page
// and profile; she sees none of alice's sessions or messages, and alice's
// come back when she logs in again (one cache per account).
func TestAccountSwitch(t *testing.T) {
	s := useShared(t)
	tok := users(t, s, "t12alice", "t12bob", "t12carol")
	b, bob := newBrowser(t, "shared device"), newBrowser(t, "t12bob")
	b.open(pages.pageURL(s, false))
	bob.open(pages.pageURL(s, false))
	bob.login("t12bob", tok["t12bob"])
	b.login("t12alice", tok["t12alice"])
	mark := b.mark()
	bob.sendText("t12alice", "for alice only")
	b.waitRecv(mark, "for alice only", 10*time.Second)
	b.logout()

	b.login("t12carol", tok["t12carol"])
	if ss := b.recentSessions(); len(ss) != 0 {
		t.Errorf("carol sees %d recent sessions on alice's device (%+v), want none", len(ss), ss)
	}
	if h := b.history("t12bob"); len(h) != 0 {
		t.Errorf("carol's messagesInSession t12bob: %v, want none of alice's messages", texts(h))
	}
	if n := b.unreadCount(); n != 0 {
		t.Errorf("carol's allUnreadCount = %d, want 0", n)
	}
	r := b.mustCall("currentAccount", nil)
	if !jsonHas(r.Ret, "userID", "t12carol") {
		t.Errorf("currentAccount: %v, want t12carol", r)
	}
	b.logout()

	b.login("t12alice", tok["t12alice"])
	if h := b.history("t12bob"); countText(h, "for alice only") != 1 {
		t.Errorf("alice's messagesInSession after logging in again: %v, want her message back once", texts(h))
	}
}
