package e2e

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"yunxin/internal/jx"
)

// twoUsers creates the accounts a and b on s and logs each in in its own browser.
func twoUsers(t *testing.T, s *imServer, a, b string) (*browser, *browser, map[string]string) {
	t.Helper()
	tok := users(t, s, a, b)
	ba, bb := newBrowser(t, a), newBrowser(t, b)
	ba.open(pages.pageURL(s, false))
	bb.open(pages.pageURL(s, false))
	ba.login(a, tok[a])
	bb.login(b, tok[b])
	return ba, bb, tok
}

// TestSendReceive: alice's sendText with ext reaches bob with the documented
// message shape; sessions and unread counts follow on both sides.
func TestSendReceive(t *testing.T) {
	s := useShared(t)
	alice, bob, _ := twoUsers(t, s, "t2alice", "t2bob")
	users(t, s, "t2zed")

	aliceMark, bobMark := alice.mark(), bob.mark()
	ext := jx.RawMessage(`{"k":"v","n":1,"nested":{"ok":true}}`)
	start := time.Now()
	r := alice.call("sendText", map[string]any{"sessionId": "t2bob", "chatType": 0, "text": "hello bob", "ext": ext})
	if r.failed() || !r.status() {
		t.Fatalf("sendText: %v, want ret.status true", r)
	}

	got := bob.waitRecv(bobMark, "hello bob", 10*time.Second)
	if got.From != "t2alice" {
		t.Errorf("received from = %q, want t2alice", got.From)
	}
	if got.SessionID != "t2alice" || got.Session.SessionID != "t2alice" || got.Session.ChatType != 0 {
		t.Errorf("received sessionId %q, session %+v; want sessionId t2alice, session {t2alice 0}", got.SessionID, got.Session)
	}
	if !sameJSON(got.RemoteExt, ext) {
		t.Errorf("received remoteExt = %s, want %s", got.RemoteExt, ext)
	}
	if got.Body.Type != 0 || got.IsOutgoingMsg || got.MessageID == "" || got.ServerID == "" || got.Seq <= 0 {
		t.Errorf("received message: body.type %d, isOutgoingMsg %v, messageId %q, serverID %q, seq %d; want 0, false, non-empty, non-empty, > 0",
			got.Body.Type, got.IsOutgoingMsg, got.MessageID, got.ServerID, got.Seq)
	}
	if ts := time.UnixMilli(got.Timestamp); ts.Before(start.Add(-time.Minute)) || ts.After(time.Now().Add(time.Minute)) {
		t.Errorf("received timestamp %d (%v) is not about now (ms since the epoch)", got.Timestamp, ts)
	}

	// bob's session listener heard about the session.
	bob.waitFor("a session event for t2alice with unread 1", fmt.Sprintf(
		`window.events.slice(%d).some(e => e.kind === 'session' && /^did(Add|Update)RecentSession$/.test(e.ret.eventType) &&
			e.ret.recentSession && e.ret.recentSession.sessionId === 't2alice' && e.ret.recentSession.unreadCount === 1 && e.ret.totalUnreadCount === 1)`,
		bobMark), 10*time.Second)

	// alice heard sendMessageFinish for it.
	alice.waitFor("sendMessageFinish for 'hello bob'", fmt.Sprintf(
		`window.events.slice(%d).some(e => e.kind === 'message' && e.ret.eventType === 'sendMessageFinish' && e.ret.message && e.ret.message.body && e.ret.message.body.text === 'hello bob')`,
		aliceMark), 10*time.Second)
	for _, e := range alice.messageEvents(aliceMark, "sendMessageFinish") {
		if e.Message != nil && e.Message.Body.Text == "hello bob" {
			if e.Success != nil && !*e.Success {
				t.Errorf("sendMessageFinish success = false (code %d %s)", e.Code, e.Msg)
			}
			if e.Message.MessageID != got.MessageID {
				t.Errorf("sendMessageFinish messageId %q, bob received messageId %q; want the same id on both sides", e.Message.MessageID, got.MessageID)
			}
			if !e.Message.IsOutgoingMsg || e.Message.DeliveryState != deliverySent {
				t.Errorf("sendMessageFinish message: isOutgoingMsg %v deliveryState %d, want true %d", e.Message.IsOutgoingMsg, e.Message.DeliveryState, deliverySent)
			}
		}
	}

	// Sessions on both sides.
	as := alice.session("t2bob")
	if as == nil {
		t.Fatalf("alice's allRecentSessions has no session t2bob: %+v", alice.recentSessions())
	}
	if as.UnreadCount != 0 || as.LastMessage == nil || as.LastMessage.Body.Text != "hello bob" || !as.LastMessage.IsOutgoingMsg {
		t.Errorf("alice's session t2bob: %+v, want unreadCount 0 and lastMessage 'hello bob' outgoing", *as)
	}
	bs := bob.session("t2alice")
	if bs == nil {
		t.Fatalf("bob's allRecentSessions has no session t2alice: %+v", bob.recentSessions())
	}
	if bs.UnreadCount != 1 || bs.LastMessage == nil || bs.LastMessage.Body.Text != "hello bob" || bs.LastMessageID != got.MessageID {
		t.Errorf("bob's session t2alice: %+v, want unreadCount 1, lastMessage 'hello bob' with lastMessageId %s", *bs, got.MessageID)
	}
	if bs.Session.SessionID != "t2alice" || bs.UpdateTime <= 0 {
		t.Errorf("bob's session t2alice: session %+v updateTime %d", bs.Session, bs.UpdateTime)
	}
	if n := bob.unreadCount(); n != 1 {
		t.Errorf("bob's allUnreadCount = %d, want 1", n)
	}
	if n := alice.unreadCount(); n != 0 {
		t.Errorf("alice's allUnreadCount = %d, want 0", n)
	}

	// Both histories hold the message once, with the same id.
	ah, bh := alice.history("t2bob"), bob.history("t2alice")
	if countText(ah, "hello bob") != 1 || countText(bh, "hello bob") != 1 {
		t.Errorf("messagesInSession: alice %v, bob %v; want 'hello bob' once each", texts(ah), texts(bh))
	}
	for _, m := range ah {
		if m.Body.Text == "hello bob" && (!m.IsOutgoingMsg || m.MessageID != got.MessageID || !sameJSON(m.RemoteExt, ext)) {
			t.Errorf("alice's stored message: %+v, want outgoing with messageId %s and the ext", m, got.MessageID)
		}
	}

	// Reading clears bob's unread count.
	if r := bob.call("markAllMessagesReadInSession", map[string]any{"sessionId": "t2alice", "chatType": 0}); r.failed() {
		t.Fatalf("markAllMessagesReadInSession: %v", r)
	}
	if n := bob.unreadCount(); n != 0 {
		t.Errorf("bob's allUnreadCount after markAllMessagesReadInSession = %d, want 0", n)
	}
	if bs := bob.session("t2alice"); bs == nil || bs.UnreadCount != 0 {
		t.Errorf("bob's session t2alice after markAllMessagesReadInSession: %+v, want unreadCount 0", bs)
	}

	// Deleting the recent session hides it but keeps its messages; a new
	// message brings it back. creatRecentSession adds an empty one for an
	// account that exists, and answers 404 at once for one that does not.
	if r := bob.call("deleteRecentSession", map[string]any{"sessionId": "t2alice", "chatType": 0}); r.failed() {
		t.Errorf("deleteRecentSession: %v", r)
	} else {
		if bs := bob.session("t2alice"); bs != nil {
			t.Errorf("bob's allRecentSessions still has t2alice after deleteRecentSession: %+v", *bs)
		}
		if h := bob.history("t2alice"); countText(h, "hello bob") != 1 {
			t.Errorf("deleteRecentSession removed the messages too: %v", texts(h))
		}
	}
	if r := bob.call("creatRecentSession", map[string]any{"sessionId": "t2zed", "chatType": 0}); r.failed() {
		t.Errorf("creatRecentSession: %v", r)
	} else if zs := bob.session("t2zed"); zs == nil || zs.UnreadCount != 0 || zs.LastMessage != nil {
		t.Errorf("bob's session t2zed after creatRecentSession: %+v, want an empty session", zs)
	}
	if r := bob.call("creatRecentSession", map[string]any{"sessionId": "t2nobody", "chatType": 0}); r.Err == nil || r.Err.Code != 404 {
		t.Errorf("creatRecentSession with an account that does not exist: %v, want err.code 404", r)
	} else if ns := bob.session("t2nobody"); ns != nil {
		t.Errorf("creatRecentSession answered 404 yet added the session: %+v", *ns)
	}
	bobMark = bob.mark()
	alice.sendText("t2bob", "are you there")
	bob.waitRecv(bobMark, "are you there", 10*time.Second)
	if bs := bob.session("t2alice"); bs == nil || bs.UnreadCount != 1 || bs.LastMessage == nil || bs.LastMessage.Body.Text != "are you there" {
		t.Errorf("bob's session t2alice after a new message: %+v, want it back with unreadCount 1", bs)
	}

	// Unicode survives the round trip, and the 5,000 limit counts
	// characters, not bytes (5,000 × 中 is 15,000 bytes of UTF-8).
	bobMark = bob.mark()
	uni := "你好, 云信 😀 — <b>not html</b> & \"quotes\" \\ \u2028 end"
	alice.sendText("t2bob", uni)
	if m := bob.waitRecv(bobMark, uni, 10*time.Second); m.Body.Text != uni {
		t.Errorf("unicode text arrived as %q, want %q", m.Body.Text, uni)
	}
	long := strings.Repeat("中", 5000)
	if r := alice.call("sendText", map[string]any{"sessionId": "t2bob", "chatType": 0, "text": long}); r.failed() || !r.status() {
		t.Errorf("sendText of 5,000 characters (15,000 bytes): %v, want success (the limit is 5,000 characters)", r)
	} else {
		bob.waitRecv(bobMark, long, 10*time.Second)
	}

	// And a reply goes the other way.
	aliceMark = alice.mark()
	bob.sendText("t2alice", "hi alice")
	if m := alice.waitRecv(aliceMark, "hi alice", 10*time.Second); m.From != "t2bob" || m.SessionID != "t2bob" {
		t.Errorf("alice received %+v, want from t2bob in session t2bob", m)
	}
}

// TestReceipts: bob's sendMessageReceipt reaches alice as
// onRecvMessageReceipts, and her message then reads isRemoteRead.
func TestReceipts(t *testing.T) {
	s := useShared(t)
	alice, bob, _ := twoUsers(t, s, "t3alice", "t3bob")

	bobMark := bob.mark()
	alice.sendText("t3bob", "read me")
	m := bob.waitRecv(bobMark, "read me", 10*time.Second)
	for _, h := range alice.history("t3bob") {
		if h.Body.Text == "read me" && h.IsRemoteRead {
			t.Errorf("alice's message is isRemoteRead before any receipt")
		}
	}

	aliceMark := alice.mark()
	r := bob.call("sendMessageReceipt", map[string]any{"sessionId": "t3alice", "chatType": 0, "messageId": m.MessageID})
	if r.failed() || !r.status() {
		t.Fatalf("sendMessageReceipt: %v, want ret.status true", r)
	}
	alice.waitFor("onRecvMessageReceipts", fmt.Sprintf(
		`window.events.slice(%d).some(e => e.kind === 'message' && e.ret.eventType === 'onRecvMessageReceipts')`, aliceMark), 10*time.Second)
	evs := alice.messageEvents(aliceMark, "onRecvMessageReceipts")
	if len(evs[0].Receipts) == 0 {
		t.Fatalf("onRecvMessageReceipts without receipts: %+v", evs[0])
	}
	rc := evs[0].Receipts[0]
	if rc.SessionID != "t3bob" || rc.Session.SessionID != "t3bob" || rc.MessageID != m.MessageID || rc.Timestamp <= 0 {
		t.Errorf("receipt %+v, want sessionId t3bob, session.sessionId t3bob, messageId %s, a timestamp", rc, m.MessageID)
	}

	alice.waitFor("isRemoteRead in messagesInSession", `call('messagesInSession', {sessionId: 't3bob', chatType: 0, limit: 100}).then(r =>
		r.ret && (r.ret.messages || []).some(m => m.body.text === 'read me' && m.isRemoteRead === true))`, 5*time.Second)

	// A receipt for an unknown message id is an error, not a crash.
	if r := bob.call("sendMessageReceipt", map[string]any{"sessionId": "t3alice", "chatType": 0, "messageId": "no-such-message"}); r.Err == nil {
		t.Errorf("sendMessageReceipt for an unknown messageId: %v, want an err", r)
	}
}

// TestOfflineDelivery: messages sent while bob is logged out arrive exactly
// once each, in order, when he logs in again.
func TestOfflineDelivery(t *testing.T) {
	s := useShared(t)
	alice, bob, tok := twoUsers(t, s, "t5alice", "t5bob")

	bobMark := bob.mark()
	alice.sendText("t5bob", "online-0")
	bob.waitRecv(bobMark, "online-0", 10*time.Second)
	bob.logout()

	want := []string{"off-1", "off-2", "off-3", "off-4", "off-5"}
	for _, text := range want {
		alice.sendText("t5bob", text)
	}

	bobMark = bob.mark()
	bob.login("t5bob", tok["t5bob"])
	bob.waitRecv(bobMark, "off-5", 15*time.Second)
	// A last live message: once it is in, any duplicate of the earlier
	// ones (the conversation is delivered in seq order) would be too.
	alice.sendText("t5bob", "settle")
	bob.waitRecv(bobMark, "settle", 10*time.Second)
	got := withPrefix(bob.received(bobMark), "off-")
	if !reflect.DeepEqual(texts(got), want) {
		t.Errorf("onRecvMessages after login brought %v, want %v exactly once each, in order", texts(got), want)
	}
	ids := map[string]bool{}
	for i, m := range got {
		if i > 0 && m.Seq <= got[i-1].Seq {
			t.Errorf("seq not increasing: %q seq %d after %q seq %d", m.Body.Text, m.Seq, got[i-1].Body.Text, got[i-1].Seq)
		}
		if ids[m.MessageID] {
			t.Errorf("messageId %s delivered twice", m.MessageID)
		}
		ids[m.MessageID] = true
		if m.From != "t5alice" || m.SessionID != "t5alice" {
			t.Errorf("offline message %+v, want from t5alice in session t5alice", m)
		}
	}
	if c := countText(bob.received(bobMark), "online-0"); c != 0 {
		t.Errorf("the message bob already had was delivered again %d times after login", c)
	}

	h := bob.history("t5alice")
	if off := withPrefix(h, "off-"); len(off) != 5 {
		t.Errorf("bob's messagesInSession has %d offline messages %v, want exactly 5", len(off), texts(h))
	}
	for _, text := range append(want, "online-0") {
		if c := countText(h, text); c != 1 {
			t.Errorf("bob's messagesInSession has %q %d times, want once (all: %v)", text, c, texts(h))
		}
	}
	if bs := bob.session("t5alice"); bs == nil || bs.UnreadCount != 7 || bs.LastMessage == nil || bs.LastMessage.Body.Text != "settle" {
		t.Errorf("bob's session t5alice: %+v, want unreadCount 7 and lastMessage settle", bs)
	}
}

// TestOfflineDeliveryAfterClose: bob's browser is closed (not logged out);
// alice sends; bob's device comes back with the same profile, autoLogin
// syncs from the cursors it persisted: each new message exactly once, and
// nothing he already had is announced again.
func TestOfflineDeliveryAfterClose(t *testing.T) {
	skipUnlessKeepsProfile(t)
	s := useShared(t)
	alice, bob, tok := twoUsers(t, s, "t5calice", "t5cbob")

	bobMark := bob.mark()
	alice.sendText("t5cbob", "seen-1")
	alice.sendText("t5cbob", "seen-2")
	bob.waitRecv(bobMark, "seen-2", 10*time.Second)
	profile := bob.profile
	bob.close()

	want := []string{"closed-1", "closed-2", "closed-3"}
	for _, text := range want {
		alice.sendText("t5cbob", text)
	}

	bob = newBrowserWithProfile(t, "t5cbob (reopened)", profile)
	bob.open(pages.pageURL(s, false))
	mark := bob.mark()
	bob.autoLogin("t5cbob", tok["t5cbob"])
	bob.waitRecv(mark, "closed-3", 20*time.Second)
	bob.waitStep(mark, 8, 10*time.Second)
	alice.sendText("t5cbob", "settle") // once it is in, any duplicate before it is too
	bob.waitRecv(mark, "settle", 10*time.Second)
	got := bob.received(mark)
	if !reflect.DeepEqual(texts(withPrefix(got, "closed-")), want) {
		t.Errorf("after reopening, onRecvMessages brought %v, want %v exactly once each, in order", texts(withPrefix(got, "closed-")), want)
	}
	if again := withPrefix(got, "seen-"); len(again) > 0 {
		t.Errorf("after reopening, messages the device already had were announced again: %v", texts(again))
	}
	h := bob.history("t5calice")
	for _, text := range append([]string{"seen-1", "seen-2"}, want...) {
		if c := countText(h, text); c != 1 {
			t.Errorf("bob's messagesInSession has %q %d times, want once (all: %v)", text, c, texts(h))
		}
	}
	if n := bob.unreadCount(); n != 6 {
		t.Errorf("bob's allUnreadCount after reopening = %d, want 6 (with the settle message)", n)
	}
}

// TestBurstSend: 30 sendText calls fired at once all succeed and reach bob
// exactly once each, with strictly increasing seq in the order of arrival.
func TestBurstSend(t *testing.T) {
	s := useShared(t)
	alice, bob, _ := twoUsers(t, s, "t10alice", "t10bob")
	const n = 30
	bobMark := bob.mark()
	results := eval[[]callResult](alice, fmt.Sprintf(`Promise.all(Array.from({length: %d}, (_, i) =>
		call('sendText', {sessionId: 't10bob', chatType: 0, text: 'burst-' + i}, 30000)))`, n))
	for i, r := range results {
		r.method = "sendText"
		if r.failed() || !r.status() {
			t.Errorf("burst-%d: %v", i, r)
		}
	}
	bob.waitFor(fmt.Sprintf("%d burst messages", n), fmt.Sprintf(`window.events.slice(%d).filter(e => e.kind === 'message' && e.ret.eventType === 'onRecvMessages')
		.reduce((k, e) => k + e.ret.messages.filter(m => m.body.text.startsWith('burst-')).length, 0) >= %d`, bobMark, n), 20*time.Second)
	alice.sendText("t10bob", "end of the burst") // once it is in, any duplicate before it is too
	bob.waitRecv(bobMark, "end of the burst", 10*time.Second)
	got := withPrefix(bob.received(bobMark), "burst-")
	seen := map[string]int{}
	for i, m := range got {
		seen[m.Body.Text]++
		if i > 0 && m.Seq <= got[i-1].Seq {
			t.Errorf("seq not increasing in delivery order: %q seq %d after %q seq %d", m.Body.Text, m.Seq, got[i-1].Body.Text, got[i-1].Seq)
		}
	}
	for i := 0; i < n; i++ {
		if c := seen[fmt.Sprintf("burst-%d", i)]; c != 1 {
			t.Errorf("burst-%d delivered %d times, want once", i, c)
		}
	}
	if h := withPrefix(bob.history("t10alice"), "burst-"); len(h) != n {
		t.Errorf("bob's messagesInSession (limit 100) has %d burst messages, want %d", len(h), n)
	}
	ah := withPrefix(alice.history("t10bob"), "burst-")
	if len(ah) != n {
		t.Errorf("alice's messagesInSession has %d burst messages, want %d", len(ah), n)
	}
	for _, m := range ah {
		if m.DeliveryState != deliverySent || m.Seq <= 0 {
			t.Errorf("alice's %q: deliveryState %d seq %d, want %d and a seq", m.Body.Text, m.DeliveryState, m.Seq, deliverySent)
		}
	}
	if c := bob.session("t10alice"); c == nil || c.UnreadCount != n+1 {
		t.Errorf("bob's session t10alice: %+v, want unreadCount %d", c, n+1)
	}

	// Paging back through the history 10 at a time from the newest end
	// (messageId = the oldest of the previous page) gives every message once.
	var all []string
	anchor := ""
	for page := 0; page < 6; page++ {
		params := map[string]any{"sessionId": "t10alice", "chatType": 0, "limit": 10}
		if anchor != "" {
			params["messageId"] = anchor
		}
		r := bob.mustCall("messagesInSession", params)
		var v struct {
			Messages []msgView `json:"messages"`
		}
		json.Unmarshal(r.Ret, &v)
		if len(v.Messages) == 0 {
			break
		}
		if len(v.Messages) > 10 {
			t.Errorf("messagesInSession limit 10 returned %d messages", len(v.Messages))
		}
		for i := 1; i < len(v.Messages); i++ {
			if v.Messages[i].Seq <= v.Messages[i-1].Seq {
				t.Errorf("messagesInSession page %d is not in ascending order (asc defaults to true): %v", page, texts(v.Messages))
				break
			}
		}
		all = append(texts(v.Messages), all...)
		anchor = v.Messages[0].MessageID
	}
	want := make([]string, n, n+1)
	for i := range want {
		want[i] = fmt.Sprintf("burst-%d", i)
	}
	want = append(want, "end of the burst")
	if !reflect.DeepEqual(all, want) {
		t.Errorf("paging with limit 10 and messageId anchors gave %v, want burst-0 … burst-%d and 'end of the burst' once each in order", all, n-1)
	}
}
