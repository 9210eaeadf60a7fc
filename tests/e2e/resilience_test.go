package e2e

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// waitReconnect waits until, after mark, the page saw the connection drop
// (step 9) and then a full new login: 1, 2, 4, 5, then 8.
func (b *browser) waitReconnect(mark int, timeout time.Duration) {
	b.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		steps := b.loginSteps(mark)
		if i := slices.Index(steps, 9); i >= 0 && isSubsequence([]int{1, 2, 4, 5, 8}, steps[i+1:]) {
			if steps[len(steps)-1] != 8 {
				b.t.Errorf("%s: after reconnecting the last login step is %d, want 8 (steps %v)", b.name, steps[len(steps)-1], steps)
			}
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("%s: no reconnect within %v: login steps since the server went down: %v, want 9 then 1, 2, 4, 5, 8", b.name, timeout, steps)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestServerRestart: the SDK notices a server stop (step 9), reconnects by
// itself when it is back on the same port and data dir, and neither the
// restart nor a kill -9 loses an acknowledged message.
func TestServerRestart(t *testing.T) {
	s := startServer(t)
	tok := users(t, s, "t6alice", "t6bob")
	alice, bob := newBrowser(t, "t6alice"), newBrowser(t, "t6bob")
	alice.open(pages.pageURL(s, false))
	bob.open(pages.pageURL(s, false))
	alice.login("t6alice", tok["t6alice"])
	bob.login("t6bob", tok["t6bob"])

	bobMark := bob.mark()
	alice.sendText("t6bob", "before-1")
	alice.sendText("t6bob", "before-2")
	bob.waitRecv(bobMark, "before-2", 10*time.Second)

	// SIGTERM: a clean shutdown, and both pages hear the disconnect.
	aliceMark, bobMark := alice.mark(), bob.mark()
	stopStart := time.Now()
	if err := s.stop(); err != nil {
		t.Errorf("SIGTERM: the server did not shut down cleanly: %v", err)
	}
	t.Logf("server stopped in %v", time.Since(stopStart).Round(time.Millisecond))
	alice.waitStep(aliceMark, 9, 10*time.Second)
	bob.waitStep(bobMark, 9, 10*time.Second)
	// As NIM's iOS SDK (and core.Client.IsLogined's doc), a login that is
	// reconnecting in the background still counts as logged in.
	if r := alice.mustCall("isLogined", nil); !r.status() {
		t.Errorf("isLogined while reconnecting: %v, want status true (the login is still active)", r)
	}

	// A send while the server is down must answer (success once it is
	// back, or an err), never hang; checked after the restart.
	sendMark := alice.mark()
	alice.exec(`window.downSend = call('sendText', {sessionId: 't6bob', chatType: 0, text: 'sent-while-down'}, 40000)
		.then(r => (window.downSendDone = true, r)); undefined`) // not awaited: with reSend it answers after the restart
	alice.waitFor("the send to start while the server is down", fmt.Sprintf(`window.downSendDone || window.events.slice(%d).some(e =>
		e.kind === 'message' && e.ret.eventType === 'willSendMessage' && e.ret.message && e.ret.message.body.text === 'sent-while-down')`, sendMark), 10*time.Second)
	if err := s.start(); err != nil {
		t.Fatalf("starting the server again on %s: %v", s.addr, err)
	}
	restarted := time.Now()
	alice.waitReconnect(aliceMark, 30*time.Second)
	bob.waitReconnect(bobMark, 30*time.Second)
	t.Logf("both reconnected %v after the restart", time.Since(restarted).Round(time.Millisecond))
	if r := alice.mustCall("isLogined", nil); !r.status() {
		t.Errorf("isLogined after the reconnect: %v, want true", r)
	}

	down := eval[callResult](alice, `window.downSend`)
	down.method = "sendText while the server was down"
	switch {
	case down.Timeout || down.Thrown != "":
		t.Errorf("%v: the callback never came (40s)", down)
	case down.Err != nil:
		t.Logf("%v (an err is allowed)", down)
		if down.Err.Code != 415 && down.Err.Code != 408 {
			t.Errorf("%v: want err.code 415 (network) or 408 (timeout)", down)
		}
	default:
		bob.waitFor("the message alice sent while the server was down", `call('messagesInSession', {sessionId: 't6alice', chatType: 0, limit: 100}).then(r =>
			r.ret && r.ret.messages.some(m => m.body.text === 'sent-while-down'))`, 15*time.Second)
	}

	bobMark = bob.mark()
	alice.sendText("t6bob", "after-1")
	bob.waitRecv(bobMark, "after-1", 10*time.Second)
	h := bob.history("t6alice")
	if down.Err == nil && countText(h, "sent-while-down") != 1 {
		t.Errorf("the message sent while the server was down is in bob's history %d times, want once", countText(h, "sent-while-down"))
	}
	if down.Err != nil && countText(h, "sent-while-down") != 0 {
		t.Errorf("sendText while the server was down reported %v, yet bob got the message", down)
	}
	for _, m := range alice.history("t6bob") {
		if m.Body.Text == "sent-while-down" {
			if want := map[bool]int{true: deliverySent, false: deliveryFailed}[down.Err == nil]; m.DeliveryState != want {
				t.Errorf("alice's 'sent-while-down' has deliveryState %d, want %d (callback: %v)", m.DeliveryState, want, down)
			}
		}
	}
	for _, text := range []string{"before-1", "before-2", "after-1"} {
		if c := countText(h, text); c != 1 {
			t.Errorf("after the restart bob's messagesInSession has %q %d times, want once (all: %v)", text, c, texts(h))
		}
	}
	if c := countText(bob.received(bobMark), "before-1"); c != 0 {
		t.Errorf("before-1 was delivered again after the reconnect (%d times)", c)
	}

	// kill -9 right after acknowledged sends, while bob is away: when
	// everything is back, bob gets every acknowledged message exactly once.
	bob.logout()
	kills := []string{"k-1", "k-2", "k-3"}
	for _, text := range kills {
		alice.sendText("t6bob", text) // returns once the server acknowledged it
	}
	aliceMark = alice.mark()
	s.kill()
	alice.waitStep(aliceMark, 9, 10*time.Second)
	if err := s.start(); err != nil {
		t.Fatalf("starting the server after kill -9: %v", err)
	}
	alice.waitReconnect(aliceMark, 30*time.Second)

	bobMark = bob.mark()
	bob.login("t6bob", tok["t6bob"])
	bob.waitRecv(bobMark, "k-3", 15*time.Second)
	alice.sendText("t6bob", "after the kill") // once it is in, any duplicate before it is too
	bob.waitRecv(bobMark, "after the kill", 10*time.Second)
	if got := texts(withPrefix(bob.received(bobMark), "k-")); !slices.Equal(got, kills) {
		t.Errorf("after kill -9 and restart bob received %v, want %v exactly once, in order", got, kills)
	}
	h = bob.history("t6alice")
	for _, text := range append([]string{"before-1", "before-2", "after-1", "after the kill"}, kills...) {
		if c := countText(h, text); c != 1 {
			t.Errorf("after kill -9 bob's messagesInSession has %q %d times, want once (all: %v)", text, c, texts(h))
		}
	}
	for _, m := range alice.history("t6bob") {
		if m.IsOutgoingMsg && m.DeliveryState != deliverySent && !(m.Body.Text == "sent-while-down" && down.Err != nil) {
			t.Errorf("alice's acknowledged message %q has deliveryState %d, want %d (sent)", m.Body.Text, m.DeliveryState, deliverySent)
		}
	}

	// The server's own view after the restarts is consistent too: a brand
	// new device of alice (fresh profile) can still talk to bob.
	alice2 := newBrowser(t, "t6alice-2")
	alice2.open(pages.pageURL(s, false))
	alice2.login("t6alice", tok["t6alice"])
	bobMark = bob.mark()
	alice2.sendText("t6bob", fmt.Sprintf("from a new device at %d", time.Now().Unix()))
	bob.waitFor("a message from alice's new device", fmt.Sprintf(
		`window.events.slice(%d).some(e => e.kind === 'message' && e.ret.eventType === 'onRecvMessages')`, bobMark), 10*time.Second)
}
