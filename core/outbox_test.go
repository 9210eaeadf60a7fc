//go:build !js

package core_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"yunxin/core"
	"yunxin/proto"
)

// sendAsync starts a send with reSend and waits for its willSendMessage;
// the returned channel gets the send's result.
func sendAsync(t *testing.T, d *device, send func() (*core.MessageView, error)) (string, chan sendResult) {
	t.Helper()
	before := len(msgEvents(d, "willSendMessage", ""))
	done := make(chan sendResult, 1)
	go func() {
		v, err := send()
		done <- sendResult{v, err}
	}()
	d.waitFor("willSendMessage", func() bool { return len(msgEvents(d, "willSendMessage", "")) > before })
	will := msgEvents(d, "willSendMessage", "")
	return will[before].Message.MessageID, done
}

func sendText(d *device, to, text string) func() (*core.MessageView, error) {
	return func() (*core.MessageView, error) {
		return d.c.SendText(context.Background(), core.SendTextParams{SessionID: to, Text: text, ReSend: true})
	}
}

// textsFrom returns the texts of d's cached messages with peer, in order.
func textsFrom(t *testing.T, d *device, peer string) []string {
	var out []string
	for _, m := range d.messages(peer, 100) {
		b := body(t, m)
		if s, ok := b["text"].(string); ok {
			out = append(out, s)
		} else {
			out = append(out, fmt.Sprint("type ", b["type"]))
		}
	}
	return out
}

func TestOutboxWhileServerDown(t *testing.T) {
	ts, a, b := aliceAndBob(t, false)
	af := withFiles(a)
	a.send("bob", "before")
	b.waitFor("before", func() bool { return len(b.received()) == 1 })
	ts.stop()
	a.waitStep(core.StepDisconnected, 1)

	var ids []string
	var dones []chan sendResult
	for i := 1; i <= 3; i++ {
		id, done := sendAsync(t, a, sendText(a, "bob", fmt.Sprint("offline ", i)))
		ids, dones = append(ids, id), append(dones, done)
	}
	data := blob("queued image", 3000)
	path := af.add(fakeFile{data: data, name: "q.png", mime: "image/png", w: 5, h: 5})
	id, done := sendAsync(t, a, func() (*core.MessageView, error) {
		return a.c.SendMessage(context.Background(), core.SendParams{SessionID: "bob", Type: proto.MsgImage, Path: path, ReSend: true})
	})
	ids, dones = append(ids, id), append(dones, done)
	// Waiting: cached as sending, no outcome yet.
	for _, m := range a.messages("bob", 10)[1:] {
		if m.DeliveryState != core.DeliverySending {
			t.Fatalf("queued message state %d", m.DeliveryState)
		}
	}
	if n := core.OutboxLen(a.c); n != 4 {
		t.Fatalf("outbox holds %d, want 4", n)
	}
	for _, d := range dones {
		select {
		case r := <-d:
			t.Fatalf("a queued send returned while offline: %+v %v", r.v, r.err)
		default:
		}
	}

	ts.start()
	for i, d := range dones {
		r := waitResult(t, d)
		if r.err != nil || r.v.DeliveryState != core.DeliverySent || r.v.MessageID != ids[i] {
			t.Fatalf("queued send %d returned %+v, %v", i, r.v, r.err)
		}
	}
	b.waitFor("the queued messages", func() bool { return len(b.received()) == 5 })
	if got := strings.Join(b.received(), "|"); got != "before|offline 1|offline 2|offline 3|" {
		t.Fatalf("bob received %q", got)
	}
	if got := fmt.Sprint(textsFrom(t, b, "alice")); got != "[before offline 1 offline 2 offline 3 type 1]" {
		t.Fatalf("bob's messages %s", got)
	}
	if u, _ := body(t, receivedMsg(b, id))["url"].(string); md5hex(fetch(t, u)) != md5hex(data) {
		t.Fatal("the queued image's bytes differ")
	}
	if n := core.OutboxLen(a.c); n != 0 {
		t.Fatalf("outbox holds %d after the drain", n)
	}
	for _, id := range ids {
		if fin := msgEvents(a, "sendMessageFinish", id); len(fin) != 1 || !*fin[0].Success {
			t.Fatalf("sendMessageFinish of %s: %+v", id, fin)
		}
		if n := peerCount(t, ts, "bob", "alice", id); n != 1 {
			t.Fatalf("the server has %s %d times", id, n)
		}
	}
}

// TestOutboxCallOrder: the outbox keeps the order of the calls, also when
// a text sent after an image is staged while the image is still probed.
func TestOutboxCallOrder(t *testing.T) {
	ts, a, b := aliceAndBob(t, false)
	af := withFiles(a)
	ts.stop()
	a.waitStep(core.StepDisconnected, 1)
	gate := make(chan struct{})
	af.mu.Lock()
	af.probeGate = gate
	af.mu.Unlock()
	path := af.add(fakeFile{data: blob("slow probe", 2000), name: "slow.png", mime: "image/png", w: 4, h: 4})
	img := make(chan sendResult, 1)
	go func() {
		v, err := a.c.SendMessage(context.Background(), core.SendParams{SessionID: "bob", Type: proto.MsgImage, Path: path, ReSend: true})
		img <- sendResult{v, err}
	}()
	a.waitFor("the image's probe", func() bool { af.mu.Lock(); defer af.mu.Unlock(); return af.probes == 1 })
	_, text := sendAsync(t, a, sendText(a, "bob", "after the image"))
	close(gate)
	a.waitFor("both queued", func() bool { return core.OutboxLen(a.c) == 2 })
	ts.start()
	if r := waitResult(t, img); r.err != nil {
		t.Fatalf("image: %v", r.err)
	}
	if r := waitResult(t, text); r.err != nil {
		t.Fatalf("text: %v", r.err)
	}
	b.waitFor("both", func() bool { return len(textsFrom(t, b, "alice")) == 2 })
	if got := fmt.Sprint(textsFrom(t, b, "alice")); got != "[type 1 after the image]" {
		t.Fatalf("bob's messages %s, want the image first (the order of the calls)", got)
	}
}

func TestOutboxSurvivesReload(t *testing.T) {
	ts, a, b := aliceAndBob(t, false)
	af := withFiles(a)
	ts.stop()
	a.waitStep(core.StepDisconnected, 1)
	id1, done1 := sendAsync(t, a, sendText(a, "bob", "sent before the reload"))
	data := blob("reloaded image", 2500)
	path := af.add(fakeFile{data: data, name: "r.png", mime: "image/png", w: 5, h: 5, thumb: blob("th", 40)})
	id2, done2 := sendAsync(t, a, func() (*core.MessageView, error) {
		return a.c.SendMessage(context.Background(), core.SendParams{SessionID: "bob", Type: proto.MsgImage, Path: path, ReSend: true})
	})
	// The page goes away while offline (its files were kept at the send).
	if af.keptData("alice/"+id2+"/path") == nil {
		t.Fatal("the queued image was not kept")
	}
	a.c.Logout(context.Background())
	for _, d := range []chan sendResult{done1, done2} {
		if r := waitResult(t, d); core.AsError(r.err).Code != proto.CodeNetwork {
			t.Fatalf("a waiting send when the page went: %v", r.err)
		}
	}
	af.drop(path)

	// The reload: a new SDK on the same storage autoLogins while the
	// server is still down, then the server comes back.
	a2 := newDevice(t, ts, false)
	a2.caches["alice"] = a.caches["alice"].Reopen()
	af2 := withFiles(a2)
	af2.kept = af.kept
	if err := a2.c.AutoLogin(context.Background(), "alice", "alice-token"); err != nil {
		t.Fatal(err)
	}
	if n := core.OutboxLen(a2.c); n != 2 {
		t.Fatalf("the outbox holds %d after the reload, want 2", n)
	}
	ms := a2.messages("bob", 10)
	if len(ms) != 2 || ms[0].DeliveryState != core.DeliverySending || ms[1].DeliveryState != core.DeliverySending {
		t.Fatalf("after the reload: %+v", ms)
	}
	ts.start()
	a2.waitFor("both sent", func() bool {
		return len(msgEvents(a2, "sendMessageFinish", id1)) == 1 && len(msgEvents(a2, "sendMessageFinish", id2)) == 1
	})
	for _, id := range []string{id1, id2} {
		if fin := msgEvents(a2, "sendMessageFinish", id); !*fin[0].Success {
			t.Fatalf("sendMessageFinish of %s after the reload: %+v", id, fin[0])
		}
	}
	b.waitFor("both", func() bool { return len(msgEvents(b, "onRecvMessages", id2)) == 1 })
	if got := fmt.Sprint(textsFrom(t, b, "alice")); got != "[sent before the reload type 1]" {
		t.Fatalf("bob's messages %s", got)
	}
	rb := body(t, receivedMsg(b, id2))
	if u, _ := rb["url"].(string); md5hex(fetch(t, u)) != md5hex(data) {
		t.Fatal("the image's bytes differ")
	}
	if u, _ := rb["thumbUrl"].(string); md5hex(fetch(t, u)) != md5hex(blob("th", 40)) {
		t.Fatal("the thumbnail's bytes differ")
	}
	// Sent: its kept copies are removed, and this page never had its path.
	// The removal follows the cache write that sendMessageFinish comes
	// with, so it is waited for (it used to race this read on a busy
	// machine).
	eventually(t, "the sent image's kept copies removed", func() bool {
		return af2.keptData("alice/"+id2+"/path") == nil && af2.keptData("alice/"+id2+"/thumbPath") == nil
	})
	am, _ := a2.c.MessagesByIDs(context.Background(), []string{id2})
	if p := body(t, am[0])["path"]; p != "" {
		t.Fatalf("the sent image's path after the reload: %v", p)
	}
	if n := peerCount(t, ts, "bob", "alice", id1) + peerCount(t, ts, "bob", "alice", id2); n != 2 {
		t.Fatalf("the server has %d copies, want 2", n)
	}
}

func TestOutboxLostAck(t *testing.T) {
	// The server stores the message but its ack is lost with the
	// connection: the message waits in the outbox and, after the
	// reconnect, is known sent exactly once.
	ts, a, b := aliceAndBob(t, false)
	sendReply := func(f proto.Frame) bool { return f.Op == "" && f.ID != 0 && strings.Contains(string(f.Data), `"sid"`) }
	a.net.mu.Lock()
	a.net.drop = sendReply
	a.net.mu.Unlock()
	id, done := sendAsync(t, a, sendText(a, "bob", "ack lost"))
	b.waitFor("bob receives", func() bool { return len(msgEvents(b, "onRecvMessages", id)) == 1 })
	a.net.mu.Lock()
	a.net.drop = nil
	a.net.mu.Unlock()
	a.net.cut()
	r := waitResult(t, done)
	if r.err != nil || r.v.DeliveryState != core.DeliverySent {
		t.Fatalf("the send returned %+v, %v", r.v, r.err)
	}
	if n := peerCount(t, ts, "bob", "alice", id); n != 1 {
		t.Fatalf("the server has the message %d times", n)
	}
	if ms, _ := a.c.MessagesByIDs(context.Background(), []string{id}); len(ms) != 1 || ms[0].DeliveryState != core.DeliverySent {
		t.Fatalf("alice's copy: %+v", ms)
	}
	if n := core.OutboxLen(a.c); n != 0 {
		t.Fatalf("outbox holds %d", n)
	}
}

func TestOutboxCancelWaiting(t *testing.T) {
	ts, a, b := aliceAndBob(t, false)
	ts.stop()
	a.waitStep(core.StepDisconnected, 1)
	id1, done1 := sendAsync(t, a, sendText(a, "bob", "cancelled"))
	_, done2 := sendAsync(t, a, sendText(a, "bob", "kept"))
	if err := a.c.CancelSendingMessage(context.Background(), "bob", 0, id1); err != nil {
		t.Fatal(err)
	}
	r := waitResult(t, done1)
	if core.AsError(r.err).Code != proto.CodeNetwork || r.v.DeliveryState != core.DeliveryFailed {
		t.Fatalf("the cancelled send returned %+v, %v", r.v, r.err)
	}
	if n := core.OutboxLen(a.c); n != 1 {
		t.Fatalf("outbox holds %d, want 1", n)
	}
	ts.start()
	if r := waitResult(t, done2); r.err != nil {
		t.Fatal(r.err)
	}
	b.waitFor("kept", func() bool { return len(b.received()) == 1 })
	if got := fmt.Sprint(b.received()); got != "[kept]" {
		t.Fatalf("bob received %s", got)
	}
}

func TestReSendFalseOffline(t *testing.T) {
	// Without reSend a send while offline fails at once with 415, as before.
	ts, a, _ := aliceAndBob(t, false)
	af := withFiles(a)
	ts.stop()
	a.waitStep(core.StepDisconnected, 1)
	data := blob("z", 100)
	path := af.add(fakeFile{data: data, name: "z.png", mime: "image/png", w: 1, h: 1})
	v, err := a.c.SendMessage(context.Background(), core.SendParams{SessionID: "bob", Type: proto.MsgImage, Path: path})
	if core.AsError(err).Code != proto.CodeNetwork || v.DeliveryState != core.DeliveryFailed {
		t.Fatalf("offline send: %+v, %v", v, err)
	}
	if af.uploadCount(data) != 0 || core.OutboxLen(a.c) != 0 {
		t.Fatal("an offline send without reSend was uploaded or queued")
	}
	if fail := msgEvents(a, "sendMessageFail", v.MessageID); len(fail) != 1 {
		t.Fatalf("sendMessageFail: %+v", fail)
	}
}
