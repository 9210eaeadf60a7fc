package e2e

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

// TestMultiDevice: alice in two browser profiles receives on both, sees her
// own messages from the other device as outgoing, and hears about her
// other clients through multiLoginClientsChanged.
func TestMultiDevice(t *testing.T) {
	s := useShared(t)
	tok := users(t, s, "t7alice", "t7bob")
	a1, a2, bob := newBrowser(t, "t7alice-1"), newBrowser(t, "t7alice-2"), newBrowser(t, "t7bob")
	for _, b := range []*browser{a1, a2, bob} {
		b.open(pages.pageURL(s, false))
	}
	bob.login("t7bob", tok["t7bob"])
	a1.login("t7alice", tok["t7alice"])
	a1Mark := a1.mark()
	a2.login("t7alice", tok["t7alice"])

	// a1 hears that another client of alice came online.
	a1.waitFor("multiLoginClientsChanged with clients", fmt.Sprintf(
		`window.events.slice(%d).some(e => e.kind === 'account' && e.ret.eventType === 'multiLoginClientsChanged' && (e.ret.clients || []).length > 0)`,
		a1Mark), 10*time.Second)
	for _, e := range a1.events(a1Mark) {
		var a accountEvent
		json.Unmarshal(e.Ret, &a)
		if e.Kind != "account" || a.EventType != "multiLoginClientsChanged" || len(a.Clients) == 0 {
			continue
		}
		c := a.Clients[0]
		if c.ClientType != 16 || c.LoginTime <= 0 {
			t.Errorf("multiLoginClientsChanged clients[0] = %+v, want clientType 16 (web) and a loginTime", c)
		}
		break
	}

	// Both of alice's devices get bob's message.
	m1, m2 := a1.mark(), a2.mark()
	bob.sendText("t7alice", "to both")
	r1 := a1.waitRecv(m1, "to both", 10*time.Second)
	r2 := a2.waitRecv(m2, "to both", 10*time.Second)
	if r1.MessageID != r2.MessageID || r1.From != "t7bob" || r2.From != "t7bob" {
		t.Errorf("the two devices got %+v and %+v, want the same message from t7bob", r1, r2)
	}

	// What a1 sends shows on a2 as alice's own, outgoing message.
	m2, mb := a2.mark(), bob.mark()
	a1.sendText("t7bob", "from device one")
	bob.waitRecv(mb, "from device one", 10*time.Second)
	a2.waitFor("a1's message in a2's messagesInSession", `call('messagesInSession', {sessionId: 't7bob', chatType: 0, limit: 100}).then(r =>
		r.ret && (r.ret.messages || []).some(m => m.body.text === 'from device one'))`, 10*time.Second)
	for _, m := range a2.history("t7bob") {
		if m.Body.Text == "from device one" {
			if !m.IsOutgoingMsg || m.From != "t7alice" || m.SessionID != "t7bob" {
				t.Errorf("a2's copy of a1's message: isOutgoingMsg %v, from %q, sessionId %q; want true, t7alice, t7bob", m.IsOutgoingMsg, m.From, m.SessionID)
			}
		}
	}
	for _, m := range a2.received(m2) {
		if m.Body.Text == "from device one" && !m.IsOutgoingMsg {
			t.Errorf("a2 was told about its own account's message as incoming: %+v", m)
		}
	}
	if s := a2.session("t7bob"); s == nil || s.LastMessage == nil || s.LastMessage.Body.Text != "from device one" {
		t.Errorf("a2's session t7bob: %+v, want lastMessage 'from device one'", s)
	}

	// When a2 leaves, a1 is told again.
	a1Mark = a1.mark()
	a2.logout()
	a1.waitFor("multiLoginClientsChanged after the other device logged out", fmt.Sprintf(
		`window.events.slice(%d).some(e => e.kind === 'account' && e.ret.eventType === 'multiLoginClientsChanged')`, a1Mark), 10*time.Second)

	// a2 comes back; a1 kicks alice's other web clients: a2 hears kickout
	// (reasonCode 3, by another client), is logged out and stays out.
	a2.login("t7alice", tok["t7alice"])
	m2 = a2.mark()
	r := a1.call("kickOtherClient", map[string]any{"client": 16})
	if r.failed() || !r.status() {
		t.Fatalf("kickOtherClient({client: 16}): %v, want ret.status true", r)
	}
	a2.waitFor("kickout on the kicked device", fmt.Sprintf(
		`window.events.slice(%d).some(e => e.kind === 'account' && e.ret.eventType === 'kickout')`, m2), 10*time.Second)
	for _, e := range a2.events(m2) {
		var a accountEvent
		if json.Unmarshal(e.Ret, &a); e.Kind == "account" && a.EventType == "kickout" && a.ReasonCode != 3 {
			t.Errorf("kickout reasonCode = %d, want 3 (kicked by another client)", a.ReasonCode)
		}
	}
	// It stays out past the first reconnect backoff (1.6 s with jitter).
	a2.stays("the kicked device logged out, with no new login", fmt.Sprintf(
		`call('isLogined').then(r => r.ret && !r.ret.status && !window.events.slice(%d).some(e =>
			e.kind === 'account' && e.ret.eventType === 'login' && e.ret.step === 5))`, m2), 3*time.Second)
	if r := a1.mustCall("isLogined", nil); !r.status() {
		t.Errorf("the kicking device: isLogined %v, want true", r)
	}
	mb = bob.mark()
	a1.sendText("t7bob", "after the kick")
	bob.waitRecv(mb, "after the kick", 10*time.Second)
}

// TestTwoTabs: the same account open in two tabs of one browser (one
// profile, one IndexedDB): both receive, and the shared cache holds each
// message once with the right unread count, also after a reload.
func TestTwoTabs(t *testing.T) {
	s := useShared(t)
	tok := users(t, s, "t11alice", "t11bob")
	tab1, bob := newBrowser(t, "t11alice tab 1"), newBrowser(t, "t11bob")
	tab2 := tab1.newTab("t11alice tab 2")
	for _, b := range []*browser{tab1, tab2, bob} {
		b.open(pages.pageURL(s, false))
	}
	bob.login("t11bob", tok["t11bob"])
	tab1.login("t11alice", tok["t11alice"])
	tab2.login("t11alice", tok["t11alice"])

	m1, m2 := tab1.mark(), tab2.mark()
	bob.sendText("t11alice", "tab-1")
	bob.sendText("t11alice", "tab-2")
	tab1.waitRecv(m1, "tab-2", 10*time.Second)
	tab2.waitRecv(m2, "tab-2", 10*time.Second)
	// Once a later message is in both tabs, both wrote the earlier ones.
	bob.sendText("t11alice", "tab-3")
	tab1.waitRecv(m1, "tab-3", 10*time.Second)
	tab2.waitRecv(m2, "tab-3", 10*time.Second)
	for _, tab := range []*browser{tab1, tab2} {
		h := tab.history("t11bob")
		for _, text := range []string{"tab-1", "tab-2"} {
			if c := countText(h, text); c != 1 {
				t.Errorf("%s: messagesInSession has %q %d times, want once (all: %v)", tab.name, text, c, texts(h))
			}
		}
		if n := tab.unreadCount(); n != 3 {
			t.Errorf("%s: allUnreadCount = %d, want 3 (not counted once per tab)", tab.name, n)
		}
	}
	tab1.reload()
	tab1.login("t11alice", tok["t11alice"])
	h := tab1.history("t11bob")
	if countText(h, "tab-1") != 1 || countText(h, "tab-2") != 1 {
		t.Errorf("after a reload of tab 1: messagesInSession %v, want tab-1 and tab-2 once each", texts(h))
	}
	if n := tab1.unreadCount(); n != 3 {
		t.Errorf("after a reload of tab 1: allUnreadCount = %d, want 3", n)
	}
}

// TestTwoTabsDeletedSession: alice deletes her session with bob in tab 1;
// tab 2 of the same profile (same IndexedDB, its memory still holding the
// session) then gets bob's receipt (which updates bob's session record),
// and sends, receives and gets a receipt in another session, each of which
// writes sessions to the shared cache. bob's session stays deleted: in
// tab 1, after tab 1 reloads, and in a new tab.
func TestTwoTabsDeletedSession(t *testing.T) {
	s := useShared(t)
	tok := users(t, s, "t17alice", "t17bob", "t17carol")
	bob := dialLogin(t, s, "t17bob", tok["t17bob"])
	carol := dialLogin(t, s, "t17carol", tok["t17carol"])
	tab1 := newBrowser(t, "t17alice tab 1")
	tab2 := tab1.newTab("t17alice tab 2")
	for _, b := range []*browser{tab1, tab2} {
		b.open(pages.pageURL(s, false))
		b.login("t17alice", tok["t17alice"])
	}
	m1, m2 := tab1.mark(), tab2.mark()
	tab2.sendText("t17bob", "alice to bob")           // seq 1
	bob.sendText("t17alice", "t17-b1", "hi from bob") // seq 2
	tab1.waitRecv(m1, "hi from bob", 10*time.Second)
	tab2.waitRecv(m2, "hi from bob", 10*time.Second)

	tab1.mustCall("deleteRecentSession", map[string]any{"sessionId": "t17bob", "chatType": 0})
	if ss := tab1.session("t17bob"); ss != nil {
		t.Fatalf("tab 1 still lists t17bob right after deleteRecentSession: %s", brief(ss))
	}

	// bob reads alice's message: both tabs record his receipt on the session.
	var rc struct{}
	bob.must("receipt", map[string]any{"conv": "p:t17alice|t17bob", "seq": 1}, &rc)
	for _, tab := range []*browser{tab1, tab2} {
		tab.waitFor("bob's receipt", `call('messagesInSession', {sessionId: 't17bob', chatType: 0, limit: 100}).then(r =>
			r.ret && (r.ret.messages || []).some(m => m.body.text === 'alice to bob' && m.isRemoteRead))`, 10*time.Second)
	}

	// Tab 2 works in another session: it sends, receives and gets a receipt.
	m1, m2 = tab1.mark(), tab2.mark()
	tab2.sendText("t17carol", "alice to carol")
	carol.sendText("t17alice", "t17-c1", "carol to alice")
	carol.must("receipt", map[string]any{"conv": "p:t17alice|t17carol", "seq": 2, "cid": "t17-c1"}, &rc)
	tab2.waitRecv(m2, "carol to alice", 10*time.Second)
	tab2.waitFor("onRecvMessageReceipts in tab 2", fmt.Sprintf(
		`window.events.slice(%d).some(e => e.kind === 'message' && e.ret.eventType === 'onRecvMessageReceipts')`, m2), 10*time.Second)
	tab2.mustCall("markAllMessagesReadInSession", map[string]any{"sessionId": "t17carol", "chatType": 0})
	tab1.waitRecv(m1, "carol to alice", 10*time.Second)
	tab1.waitFor("onRecvMessageReceipts in tab 1", fmt.Sprintf(
		`window.events.slice(%d).some(e => e.kind === 'message' && e.ret.eventType === 'onRecvMessageReceipts')`, m1), 10*time.Second)

	check := func(b *browser, when string) {
		t.Helper()
		if ss := b.session("t17bob"); ss != nil {
			t.Errorf("%s: the deleted session t17bob is back: %s", when, brief(ss))
		}
		if ss := b.session("t17carol"); ss == nil || ss.LastMessage == nil || ss.LastMessage.Body.Text != "carol to alice" {
			t.Errorf("%s: session t17carol %s, want its last message 'carol to alice'", when, brief(ss))
		}
		if h := b.history("t17bob"); countText(h, "hi from bob") != 1 || countText(h, "alice to bob") != 1 {
			t.Errorf("%s: messagesInSession t17bob %v, want bob's message kept once (deleting a session keeps its messages)", when, texts(h))
		}
	}
	check(tab1, "tab 1")
	tab1.reload()
	tab1.login("t17alice", tok["t17alice"])
	check(tab1, "tab 1 after a reload")
	tab3 := tab1.newTab("t17alice tab 3")
	tab3.open(pages.pageURL(s, false))
	tab3.login("t17alice", tok["t17alice"])
	check(tab3, "a new tab")
}
