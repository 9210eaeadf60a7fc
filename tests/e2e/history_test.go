package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// revokeWindow is the revoke window of TestRevoke's server
// (YUNXIN_REVOKE_WINDOW), short so that the test can pass it.
const revokeWindow = 4 * time.Second

// TestRevoke: a revoke inside the window reaches an online receiver live
// and an offline one at its next login (isRoaming), and the message leaves
// both caches and the sender's; after the window it is 508; another's
// message is 403, an unknown one 404.
func TestRevoke(t *testing.T) {
	s := startServer(t, "YUNXIN_REVOKE_WINDOW="+revokeWindow.String())
	alice, bob, tok := twoUsers(t, s, "t6ralice", "t6rbob")

	send := func(text string) msgView {
		t.Helper()
		mark := bob.mark()
		r := alice.call("sendText", map[string]any{"sessionId": "t6rbob", "text": text})
		if r.failed() {
			t.Fatalf("sendText %q: %v", text, r)
		}
		m := sentMessage(t, r)
		bob.waitRecvID(mark, m.MessageID, 10*time.Second)
		return m
	}
	revoke := func(b *browser, session, id string) callResult {
		return b.call("revokeMessage", map[string]any{"sessionId": session, "chatType": 0, "messageId": id})
	}
	gone := func(b *browser, session, id string) {
		t.Helper()
		for _, m := range b.history(session) {
			if m.MessageID == id {
				t.Errorf("%s: the revoked message %s is still in messagesInSession", b.name, id)
			}
		}
	}

	// Live, to an online receiver.
	m1 := send("revoke me live")
	mark := bob.mark()
	if r := revoke(alice, "t6rbob", m1.MessageID); r.failed() || !r.status() {
		t.Fatalf("revokeMessage: %v", r)
	}
	bob.waitFor("onRecvRevokeMessageNotification", fmt.Sprintf(`window.events.slice(%d).some(e => e.kind === 'message' && e.ret.eventType === 'onRecvRevokeMessageNotification')`, mark), 10*time.Second)
	n := bob.messageEvents(mark, "onRecvRevokeMessageNotification")[0].Notification
	if n == nil || n.FromUserID != "t6ralice" || n.MessageFromUserID != "t6ralice" || n.Session.SessionID != "t6ralice" || n.IsRoaming ||
		n.Message == nil || n.Message.MessageID != m1.MessageID || n.NotificationType != 7 {
		t.Errorf("live revoke notification %+v; want type 7 from t6ralice about %s in session t6ralice, not roaming", n, m1.MessageID)
	}
	gone(bob, "t6ralice", m1.MessageID)
	gone(alice, "t6rbob", m1.MessageID)

	// To a receiver that was offline: it learns at its next login.
	m2 := send("revoke me while bob is away")
	bob.logout()
	if r := revoke(alice, "t6rbob", m2.MessageID); r.failed() {
		t.Fatalf("revokeMessage: %v", r)
	}
	mark = bob.mark()
	bob.login("t6rbob", tok["t6rbob"])
	bob.waitFor("the roaming revoke notification", fmt.Sprintf(`window.events.slice(%d).some(e => e.kind === 'message' && e.ret.eventType === 'onRecvRevokeMessageNotification')`, mark), 10*time.Second)
	if n := bob.messageEvents(mark, "onRecvRevokeMessageNotification")[0].Notification; n == nil || !n.IsRoaming || n.Message == nil || n.Message.MessageID != m2.MessageID {
		t.Errorf("revoke learned at login: %+v; want isRoaming with the cached message %s", n, m2.MessageID)
	}
	gone(bob, "t6ralice", m2.MessageID)

	// Another's message, an unknown one, and after the window.
	mark = bob.mark()
	r := bob.call("sendText", map[string]any{"sessionId": "t6ralice", "text": "bob's own"})
	bobMsg := sentMessage(t, r)
	alice.waitRecvID(0, bobMsg.MessageID, 10*time.Second)
	if r := revoke(alice, "t6rbob", bobMsg.MessageID); r.Err == nil || r.Err.Code != 403 {
		t.Errorf("revoking bob's message as alice: %v, want err 403", r)
	}
	if r := revoke(alice, "t6rbob", "no-such-message"); r.Err == nil || r.Err.Code != 404 {
		t.Errorf("revoking an unknown messageId: %v, want err 404", r)
	}
	m3 := send("too late to revoke")
	time.Sleep(revokeWindow + 500*time.Millisecond) // the window is the server's clock: nothing to poll
	if r := revoke(alice, "t6rbob", m3.MessageID); r.Err == nil || r.Err.Code != 508 {
		t.Errorf("revoking after the %v window: %v, want err 508", revokeWindow, r)
	}
	found := false
	for _, m := range bob.history("t6ralice") {
		found = found || m.MessageID == m3.MessageID
	}
	if !found {
		t.Errorf("a refused revoke removed the message from bob's cache")
	}
	alice.checkHealth()
	bob.checkHealth()
}

// TestPullMessageHistory: a device whose cache holds none of a long
// conversation (it roamed only the latest RoamLimit) pages back to the very
// first message with pullMessageHistory, persists it, and pages forward.
func TestPullMessageHistory(t *testing.T) {
	s := useShared(t)
	tok := users(t, s, "t6halice", "t6hbob")
	const total = 130 // more than the roaming window (core.RoamLimit, 100)
	raw := dialLogin(t, s, "t6halice", tok["t6halice"])
	for i := 1; i <= total; i++ {
		raw.sendText("t6hbob", fmt.Sprintf("h-%03d", i), fmt.Sprintf("history %03d", i))
	}
	bob := newBrowser(t, "t6hbob")
	bob.open(pages.pageURL(s, false))
	bob.login("t6hbob", tok["t6hbob"])
	bob.waitFor("the roamed session", `call('allRecentSessions').then(r => r.ret.recentSessions.some(s => s.sessionId === 't6halice'))`, 10*time.Second)

	pull := func(params string) []msgView {
		t.Helper()
		r := bob.callJS("pullMessageHistory", params)
		if r.failed() || !r.status() {
			t.Fatalf("pullMessageHistory(%s): %v", params, r)
		}
		var v struct {
			Messages []msgView `json:"messages"`
		}
		json.Unmarshal(r.Ret, &v)
		return v.Messages
	}
	texts := func(ms []msgView) []string {
		out := make([]string, len(ms))
		for i, m := range ms {
			out[i] = strings.TrimPrefix(m.Body.Text, "history ")
		}
		return out
	}
	// Pages of 50 backwards from the newest, to the first message.
	unread := bob.unreadCount()
	seen := map[string]bool{}
	anchor := ""
	for page := 0; page < 5; page++ {
		params := `{sessionId: 't6halice', chatType: 0, limit: 50, persist: true`
		if anchor != "" {
			params += fmt.Sprintf(`, messageId: %q`, anchor)
		}
		ms := pull(params + "}")
		if len(ms) == 0 {
			break
		}
		for _, m := range ms {
			if seen[m.MessageID] {
				t.Errorf("page %d repeats %s", page, m.Body.Text)
			}
			seen[m.MessageID] = true
		}
		oldest := ms[0]
		for _, m := range ms {
			if m.Seq < oldest.Seq {
				oldest = m
			}
		}
		anchor = oldest.MessageID
	}
	if len(seen) != total || !seen["h-001"] {
		t.Errorf("paging back saw %d messages (the first: %v), want all %d", len(seen), seen["h-001"], total)
	}
	// Persisted: the local history now holds all of them, and the unread
	// count did not change (history is not news).
	local := 0
	for anchor := ""; ; {
		p := map[string]any{"sessionId": "t6halice", "limit": 100}
		if anchor != "" {
			p["messageId"] = anchor
		}
		var v struct {
			Messages []msgView `json:"messages"`
		}
		json.Unmarshal(bob.mustCall("messagesInSession", p).Ret, &v)
		if len(v.Messages) == 0 {
			break
		}
		local += len(v.Messages)
		anchor = v.Messages[0].MessageID
	}
	if local != total {
		t.Errorf("after persist, messagesInSession pages through %d messages, want %d", local, total)
	}
	if u := bob.unreadCount(); u != unread || u == 0 {
		t.Errorf("unread count after persisting history: %d, want %d as before", u, unread)
	}
	// Forward from the first message.
	fwd := pull(`{sessionId: 't6halice', messageId: 'h-001', limit: 5, direction: 'QUERY_NEW'}`)
	if got := strings.Join(texts(fwd), ","); !strings.Contains(got, "002") || strings.Contains(got, "001") || len(fwd) != 5 {
		t.Errorf("5 newer than h-001: %v, want 002…006", texts(fwd))
	}
	// After the local cache was cleared, the server still has it all.
	bob.mustCall("deleteAllMessages", map[string]any{})
	if ms := pull(`{sessionId: 't6halice', limit: 100}`); len(ms) != 100 {
		t.Errorf("after deleteAllMessages, pullMessageHistory returned %d, want 100", len(ms))
	}
	if r := bob.call("pullMessageHistory", map[string]any{"sessionId": "t6halice", "limit": 101}); r.Err == nil || r.Err.Code != 414 {
		t.Errorf("limit 101: %v, want err 414", r)
	}
	bob.checkHealth()
}

// TestDeletes: every delete method, updateRecentLocalExt and
// deleteRemoteSessions, and that all of it survives a reload.
func TestDeletes(t *testing.T) {
	s := useShared(t)
	tok := users(t, s, "t6dalice", "t6dbob", "t6dcarol")
	raw := dialLogin(t, s, "t6dalice", tok["t6dalice"])
	for i := 1; i <= 3; i++ {
		raw.sendText("t6dbob", fmt.Sprintf("d-%d", i), fmt.Sprintf("delete %d", i))
	}
	rawC := dialLogin(t, s, "t6dcarol", tok["t6dcarol"])
	rawC.sendText("t6dbob", "c-1", "from carol")
	bob := newBrowser(t, "t6dbob")
	bob.open(pages.pageURL(s, false))
	bob.login("t6dbob", tok["t6dbob"])
	bob.waitFor("both sessions", `call('allRecentSessions').then(r => r.ret.recentSessions.length === 2)`, 10*time.Second)

	ids := func(session string) string {
		var out []string
		for _, m := range bob.history(session) {
			out = append(out, m.MessageID)
		}
		return strings.Join(out, ",")
	}
	// deleteMessage: gone from the list, still readable by id as isDeleted.
	bob.mustCall("deleteMessage", map[string]any{"sessionId": "t6dalice", "chatType": 0, "messageId": "d-3"})
	if got := ids("t6dalice"); got != "d-1,d-2" {
		t.Errorf("after deleteMessage d-3: %s, want d-1,d-2", got)
	}
	if m := bob.messageByID("t6dalice", "d-3"); m == nil || !m.IsDeleted {
		t.Errorf("messagesInSessionWithMessageIds d-3 after the delete: %+v, want it with isDeleted true", m)
	}
	if s := bob.session("t6dalice"); s == nil || s.LastMessageID != "d-2" {
		t.Errorf("after deleting the last message, the session is %+v, want lastMessageId d-2", s)
	}
	// updateRecentLocalExt.
	bob.mustCall("updateRecentLocalExt", map[string]any{"sessionId": "t6dalice", "chatType": 0, "localExt": map[string]any{"pinned": true}})
	// deleteAllmessagesInSession.
	bob.mustCall("deleteAllmessagesInSession", map[string]any{"sessionId": "t6dcarol", "chatType": 0})
	if got := ids("t6dcarol"); got != "" {
		t.Errorf("after deleteAllmessagesInSession: %s, want none", got)
	}

	check := func(when string) {
		t.Helper()
		if got := ids("t6dalice"); got != "d-1,d-2" {
			t.Errorf("%s: alice's session holds %s, want d-1,d-2", when, got)
		}
		if got := ids("t6dcarol"); got != "" {
			t.Errorf("%s: carol's session holds %s, want none", when, got)
		}
		r := bob.mustCall("allRecentSessions", nil)
		if !strings.Contains(string(r.Ret), `"pinned":true`) {
			t.Errorf("%s: the localExt is lost: %s", when, short(string(r.Ret)))
		}
	}
	check("before the reload")
	bob.reload()
	bob.autoLogin("t6dbob", tok["t6dbob"])
	bob.waitFor("logged in again", `call('isLogined').then(r => r.ret && r.ret.status)`, 15*time.Second)
	check("after the reload")

	// deleteAllMessages.
	bob.mustCall("deleteAllMessages", map[string]any{})
	if got := ids("t6dalice") + ids("t6dcarol"); got != "" {
		t.Errorf("after deleteAllMessages: %s, want none", got)
	}
	bob.reload()
	bob.autoLogin("t6dbob", tok["t6dbob"])
	bob.waitFor("logged in again", `call('isLogined').then(r => r.ret && r.ret.status)`, 15*time.Second)
	if got := ids("t6dalice") + ids("t6dcarol"); got != "" {
		t.Errorf("after deleteAllMessages and a reload: %s, want none (the sync must not bring them back)", got)
	}

	// deleteRemoteSessions: a new device of bob does not list carol's session.
	bob.mustCall("deleteRemoteSessions", map[string]any{"sessions": []map[string]any{{"sessionId": "t6dcarol", "chatType": 0}}})
	if bob.session("t6dcarol") != nil {
		t.Errorf("deleteRemoteSessions left carol's session in the list")
	}
	bob2 := newBrowser(t, "t6dbob-2")
	bob2.open(pages.pageURL(s, false))
	bob2.login("t6dbob", tok["t6dbob"])
	if bob2.session("t6dcarol") != nil || bob2.session("t6dalice") == nil {
		t.Errorf("a new device of bob lists %+v; want alice's session and not carol's", bob2.recentSessions())
	}
	bob.checkHealth()
	bob2.checkHealth()
}

// TestMessagingBadInput: bad files and ids get a clear err and lose nothing.
func TestMessagingBadInput(t *testing.T) {
	s := startServer(t, "YUNXIN_MAX_UPLOAD=1M")
	alice, bob, _ := twoUsers(t, s, "t6balice", "t6bbob")
	alice.addMedia()
	alice.exec(`window.f = {big: media.file(2 << 20, 'big.bin'), txt: new File(['not an image'], 'a.png', {type: 'image/png'})};
		window.deadURL = URL.createObjectURL(media.file(10, 'x')); URL.revokeObjectURL(deadURL);`)

	cases := []struct {
		method, params string
		code           int
		mention        string
	}{
		{"sendImage", `{sessionId: 't6bbob'}`, 414, "path"},
		{"sendImage", `{sessionId: 't6bbob', path: 'fs://photo.png'}`, 414, "Blob"},
		{"sendFile", `{sessionId: 't6bbob', path: 'widget://res/a.txt'}`, 414, "Blob"},
		{"sendImage", `{sessionId: 't6bbob', path: deadURL}`, 414, "path"},
		{"sendImage", `{sessionId: 't6bbob', path: f.txt}`, 414, "path"},
		{"sendFile", `{sessionId: 't6bbob', path: f.big}`, 414, "YUNXIN_MAX_UPLOAD"},
		{"sendFile", `{sessionId: 't6bbob', path: 42}`, 414, "path"},
		{"sendLocation", `{sessionId: 't6bbob', latitude: 200, longitude: 0}`, 414, "latitude"},
		{"sendTip", `{sessionId: 't6bbob', text: ''}`, 414, "text"},
		{"revokeMessage", `{sessionId: 't6bbob', messageId: 'nope'}`, 404, ""},
		{"resendMessage", `{sessionId: 't6bbob', messageId: 'nope'}`, 404, ""},
		{"forwardMessage", `{sessionId: 't6bbob', toSessionId: 't6bbob', messageId: 'nope'}`, 404, ""},
		{"deleteRemoteSessions", `{sessions: 'all'}`, 414, "sessions"},
		{"pullMessageHistory", `{sessionId: 't6bbob', messageId: 'nope'}`, 404, ""},
	}
	for _, c := range cases {
		r := alice.callWithin(30*time.Second, c.method, c.params)
		if r.Err == nil || r.Err.Code != c.code || !strings.Contains(r.Err.Msg, c.mention) {
			t.Errorf("%s(%s): %v; want err %d mentioning %q", c.method, c.params, r, c.code, c.mention)
		}
	}
	// Nothing was lost and the runtime is alive: a text still goes through.
	mark := bob.mark()
	alice.sendText("t6bbob", "still alive")
	bob.waitRecv(mark, "still alive", 10*time.Second)
	for _, m := range bob.received(mark) {
		if m.Body.Type != 0 {
			t.Errorf("bob received a type-%d message from the refused calls", m.Body.Type)
		}
	}
	alice.checkHealth()
}
