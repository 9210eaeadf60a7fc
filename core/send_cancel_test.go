//go:build !js

package core_test

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"yunxin/core"
	"yunxin/internal/jx"
	"yunxin/proto"
)

// gateUploads makes f's uploads of data stop after their first chunk
// until their context is cancelled; entered is signalled when one does.
func gateUploads(f *fakeFiles, data []byte) (entered chan struct{}) {
	entered = make(chan struct{}, 4)
	sum := md5hex(data)
	f.mu.Lock()
	f.gate = func(ctx context.Context, md5 string) {
		if md5 != sum {
			return
		}
		entered <- struct{}{}
		<-ctx.Done()
	}
	f.mu.Unlock()
	return entered
}

func ungate(f *fakeFiles) { f.mu.Lock(); f.gate = nil; f.mu.Unlock() }

type sendResult struct {
	v   *core.MessageView
	err error
}

func waitSignal(t *testing.T, ch chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(20 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
}

func waitResult(t *testing.T, ch chan sendResult) sendResult {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(20 * time.Second):
		t.Fatal("timed out waiting for the send to return")
	}
	return sendResult{}
}

// peerCount returns how many messages with id a fresh device of account
// gets from the server (its roaming sync).
func peerCount(t *testing.T, ts *testServer, account, with, id string) int {
	t.Helper()
	d := newDevice(t, ts, false)
	d.login(account)
	n := 0
	for _, m := range d.messages(with, 100) {
		if m.MessageID == id {
			n++
		}
	}
	d.c.Logout(context.Background())
	return n
}

func TestCancelMidUploadThenResend(t *testing.T) {
	ts, a, b := aliceAndBob(t, false)
	af := withFiles(a)
	ctx := context.Background()
	for _, how := range []string{"cancelSendingMessage", "cancelTask"} {
		data := blob(how, 6000)
		path := af.add(fakeFile{data: data, name: how + ".bin", mime: "application/octet-stream"})
		entered := gateUploads(af, data)
		done := make(chan sendResult, 1)
		go func() {
			v, err := a.c.SendMessage(ctx, core.SendParams{SessionID: "bob", Type: proto.MsgFile, Path: path})
			done <- sendResult{v, err}
		}()
		waitSignal(t, entered, "the upload")
		will := msgEvents(a, "willSendMessage", "")
		id := will[len(will)-1].Message.MessageID
		if will[len(will)-1].Message.DeliveryState != core.DeliverySending {
			t.Fatalf("%s: willSendMessage state %d", how, will[len(will)-1].Message.DeliveryState)
		}
		var err error
		if how == "cancelTask" {
			err = a.c.CancelTask(ctx, path)
		} else {
			err = a.c.CancelSendingMessage(ctx, "bob", 0, id)
		}
		if err != nil {
			t.Fatalf("%s: %v", how, err)
		}
		res := waitResult(t, done)
		if e := core.AsError(res.err); e == nil || e.Code != proto.CodeNetwork || !strings.Contains(e.Msg, "cancelled") ||
			res.v == nil || res.v.DeliveryState != core.DeliveryFailed {
			t.Fatalf("%s: the send returned %+v, %v", how, res.v, res.err)
		}
		ms, _ := a.c.MessagesByIDs(ctx, []string{id})
		if len(ms) != 1 || ms[0].DeliveryState != core.DeliveryFailed {
			t.Fatalf("%s: cached %+v", how, ms)
		}
		fin, fail := msgEvents(a, "sendMessageFinish", id), msgEvents(a, "sendMessageFail", id)
		if len(fin) != 1 || *fin[0].Success || len(fail) != 1 || fail[0].Code != proto.CodeNetwork {
			t.Fatalf("%s: finish %+v fail %+v", how, fin, fail)
		}
		// A cancelled message is not being sent any more.
		if err := a.c.CancelSendingMessage(ctx, "bob", 0, id); core.AsError(err).Code != proto.CodeBadParam {
			t.Fatalf("%s: second cancel: %v", how, err)
		}

		// Resent: the file is uploaded again (it had no url), the message
		// is delivered once.
		ungate(af)
		v, err := a.c.ResendMessage(ctx, "bob", 0, id)
		if err != nil || v.MessageID != id || v.DeliveryState != core.DeliverySent {
			t.Fatalf("%s: resend %+v, %v", how, v, err)
		}
		if n := af.uploadCount(data); n != 2 {
			t.Fatalf("%s: %d uploads of the file, want 2 (cancelled, resent)", how, n)
		}
		rv := receivedMsg(b, id)
		if u, _ := body(t, rv)["url"].(string); md5hex(fetch(t, u)) != md5hex(data) {
			t.Fatalf("%s: bob's file differs", how)
		}
		if err := a.c.CancelSendingMessage(ctx, "bob", 0, id); core.AsError(err).Code != proto.CodeBadParam ||
			!strings.Contains(err.Error(), "already sent") {
			t.Fatalf("%s: cancel of a sent message: %v", how, err)
		}
		if _, err := a.c.ResendMessage(ctx, "bob", 0, id); core.AsError(err).Code != proto.CodeBadParam {
			t.Fatalf("%s: resend of a sent message: %v", how, err)
		}
		if n := peerCount(t, ts, "bob", "alice", id); n != 1 {
			t.Fatalf("%s: the server has the message %d times", how, n)
		}
	}
	if err := a.c.CancelSendingMessage(ctx, "bob", 0, "nope"); core.AsError(err).Code != proto.CodeNotFound {
		t.Fatalf("cancel of an unknown message: %v", err)
	}
	if _, err := a.c.ResendMessage(ctx, "bob", 0, "nope"); core.AsError(err).Code != proto.CodeNotFound {
		t.Fatalf("resend of an unknown message: %v", err)
	}
}

func TestResendAfterReload(t *testing.T) {
	// A message whose upload failed is resent after a reload: its file
	// comes from the kept copy (the page's blob: URL is gone).
	ts := startServer(t)
	ts.user("alice")
	ts.user("bob")
	a, b := newDevice(t, ts, false), newDevice(t, ts, false)
	af := withFiles(a)
	a.login("alice")
	b.login("bob")
	data := blob("kept", 3000)
	path := af.add(fakeFile{data: data, name: "k.png", mime: "image/png", w: 2, h: 2})
	entered := gateUploads(af, data)
	done := make(chan sendResult, 1)
	go func() {
		v, err := a.c.SendMessage(context.Background(), core.SendParams{SessionID: "bob", Type: proto.MsgImage, Path: path})
		done <- sendResult{v, err}
	}()
	waitSignal(t, entered, "the upload")
	if err := a.c.CancelTask(context.Background(), path); err != nil {
		t.Fatal(err)
	}
	res := waitResult(t, done)
	if res.err == nil {
		t.Fatal("the send succeeded")
	}
	id := res.v.MessageID
	a.c.Logout(context.Background())
	af.drop(path) // the reload: the page's blob: URL is gone

	a2 := newDevice(t, ts, false)
	a2.caches["alice"] = a.caches["alice"].Reopen()
	af2 := withFiles(a2)
	af2.kept = af.kept
	a2.login("alice")
	ms, _ := a2.c.MessagesByIDs(context.Background(), []string{id})
	if len(ms) != 1 || ms[0].DeliveryState != core.DeliveryFailed || body(t, ms[0])["path"] != "obj:alice/"+id+"/path" {
		t.Fatalf("after the reload: %+v %s", ms, ms[0].Body)
	}
	v, err := a2.c.ResendMessage(context.Background(), "bob", 0, id)
	if err != nil || v.DeliveryState != core.DeliverySent {
		t.Fatalf("resend after the reload: %+v, %v", v, err)
	}
	if u, _ := body(t, receivedMsg(b, id))["url"].(string); md5hex(fetch(t, u)) != md5hex(data) {
		t.Fatal("bob's file differs")
	}
}

func TestForward(t *testing.T) {
	ts, a, b := aliceAndBob(t, false)
	ts.user("carol")
	c := newDevice(t, ts, false)
	c.login("carol")
	af, bf := withFiles(a), withFiles(b)
	ctx := context.Background()
	data := blob("fwd", 2000)
	v, err := a.c.SendMessage(ctx, core.SendParams{SessionID: "bob", Type: proto.MsgImage,
		Path: af.add(fakeFile{data: data, name: "f.png", mime: "image/png", w: 4, h: 3, thumb: blob("x", 50)}), Ext: jx.RawMessage(`{"k":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	receivedMsg(b, v.MessageID)
	fv, err := b.c.ForwardMessage(ctx, core.ForwardParams{SessionID: "alice", MessageID: v.MessageID, ToSessionID: "carol"})
	if err != nil {
		t.Fatal(err)
	}
	if fv.MessageID == v.MessageID || fv.DeliveryState != core.DeliverySent || fv.SessionID != "carol" {
		t.Fatalf("forwarded %+v", fv)
	}
	if len(bf.uploads) != 0 {
		t.Fatalf("forwarding uploaded %v", bf.uploads)
	}
	got := body(t, receivedMsg(c, fv.MessageID))
	orig := body(t, *v)
	for _, k := range []string{"type", "url", "thumbUrl", "md5", "fileLength", "size", "displayName"} {
		if jsonOf(got[k]) != jsonOf(orig[k]) {
			t.Fatalf("forwarded body.%s = %v, original %v", k, got[k], orig[k])
		}
	}
	if cm := c.messages("bob", 10); len(cm) != 1 || cm[0].From != "bob" || string(cm[0].RemoteExt) != `{"k":1}` {
		t.Fatalf("carol's messages %+v", cm)
	}
	// A text forwards too; unknown messages and bad targets do not.
	tv := a.send("bob", "forward me")
	receivedMsg(b, tv.MessageID)
	if _, err := b.c.ForwardMessage(ctx, core.ForwardParams{SessionID: "alice", MessageID: tv.MessageID, ToSessionID: "carol"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.c.ForwardMessage(ctx, core.ForwardParams{SessionID: "alice", MessageID: "nope", ToSessionID: "carol"}); core.AsError(err).Code != proto.CodeNotFound {
		t.Fatalf("forward of an unknown message: %v", err)
	}
	if _, err := b.c.ForwardMessage(ctx, core.ForwardParams{SessionID: "carol", MessageID: tv.MessageID, ToSessionID: "carol"}); core.AsError(err).Code != proto.CodeNotFound {
		t.Fatalf("forward from the wrong session: %v", err)
	}
	_, err = b.c.ForwardMessage(ctx, core.ForwardParams{SessionID: "alice", MessageID: tv.MessageID, ToSessionID: "carol", ToChatType: 9})
	if e := core.AsError(err); e.Code != proto.CodeBadParam || !strings.Contains(e.Msg, "toChatType") {
		t.Fatalf("forward to chat type 9: %v", err)
	}
}

func jsonOf(v any) string { b, _ := json.Marshal(v); return string(b) }

func TestSendBadInput(t *testing.T) {
	_, a, _ := aliceAndBob(t, false)
	ctx := context.Background()
	// Without a file edge, attachments are not supported.
	if _, err := a.c.SendMessage(ctx, core.SendParams{SessionID: "bob", Type: proto.MsgImage, Path: "blob:x"}); core.AsError(err).Code != proto.CodeBadParam {
		t.Fatalf("no file edge: %v", err)
	}
	af := withFiles(a)
	text := af.add(fakeFile{data: []byte("hello"), name: "a.txt", mime: "text/plain"})
	empty := af.add(fakeFile{data: nil, name: "e.bin", mime: "application/octet-stream"})
	img := core.SendParams{SessionID: "bob", Type: proto.MsgImage}
	with := func(f func(p *core.SendParams)) core.SendParams { p := img; f(&p); return p }
	cases := []struct {
		p     core.SendParams
		param string
	}{
		{img, "path"},
		{with(func(p *core.SendParams) { p.Path = "fs://res/a.png" }), "path: fs:// and widget:// are APICloud app paths"},
		{with(func(p *core.SendParams) { p.Path = "widget://a.png" }), "path: fs:// and widget://"},
		{with(func(p *core.SendParams) { p.Path = "/home/a.png" }), "path"},
		{with(func(p *core.SendParams) { p.Path = "blob:test/none" }), "path cannot be read"},
		{with(func(p *core.SendParams) { p.Path = text }), "path cannot be decoded as image"},
		{with(func(p *core.SendParams) { p.Path = empty; p.Type = proto.MsgFile }), "path names an empty file"},
		{with(func(p *core.SendParams) { p.Path = text; p.DisplayName = strings.Repeat("n", 256) }), "displayName"},
		{with(func(p *core.SendParams) { p.Path = text; p.DisplayName = "a\nb" }), "displayName"},
		{with(func(p *core.SendParams) { p.Path = text; p.Type = proto.MsgFile; p.Extension = ".pdf" }), "extension"},
		{with(func(p *core.SendParams) { p.Path = text; p.Type = proto.MsgAudio; p.Duration = -1 }), "duration"},
		{with(func(p *core.SendParams) { p.Path = text; p.Type = proto.MsgVideo; p.Width = 70000 }), "width"},
		{with(func(p *core.SendParams) { p.Path = text; p.Ext = jx.RawMessage(`[1]`) }), "ext"},
		{with(func(p *core.SendParams) { p.Type = proto.MsgLocation; p.Latitude = 91 }), "latitude"},
		{with(func(p *core.SendParams) { p.Type = proto.MsgLocation; p.Longitude = math.NaN() }), "longitude"},
		{with(func(p *core.SendParams) { p.Type = proto.MsgLocation; p.Longitude = math.Inf(1) }), "longitude"},
		{with(func(p *core.SendParams) { p.Type = proto.MsgLocation; p.Title = strings.Repeat("x", 1025) }), "address"},
		{with(func(p *core.SendParams) { p.Type = proto.MsgTip; p.Text = "  " }), "text"},
		{with(func(p *core.SendParams) { p.Type = proto.MsgNotification }), "type"},
		{with(func(p *core.SendParams) { p.SessionID = "" }), "sessionId"},
	}
	for _, tc := range cases {
		_, err := a.c.SendMessage(ctx, tc.p)
		e := core.AsError(err)
		if e == nil || e.Code != proto.CodeBadParam || !strings.Contains(e.Msg, "parameter "+tc.param) {
			t.Errorf("%+v: %v, want 414 naming %q", tc.p, err, tc.param)
		}
	}
	if ms := a.messages("bob", 10); len(ms) != 0 {
		t.Fatalf("bad sends cached %d messages", len(ms))
	}
	if n := len(msgEvents(a, "willSendMessage", "")); n != 0 {
		t.Fatalf("bad sends reported %d willSendMessage", n)
	}
	if len(af.uploads) != 0 {
		t.Fatalf("bad sends uploaded %v", af.uploads)
	}
}

func TestServerRefusalFailsAtOnce(t *testing.T) {
	// The server refuses the upload grant (a content type it does not
	// accept): with reSend the message fails at once and leaves the outbox.
	_, a, _ := aliceAndBob(t, false)
	af := withFiles(a)
	path := af.add(fakeFile{data: blob("x", 100), name: "x.bin", mime: "not a mime"})
	v, err := a.c.SendMessage(context.Background(), core.SendParams{SessionID: "bob", Type: proto.MsgFile, Path: path, ReSend: true})
	if e := core.AsError(err); e == nil || e.Code != proto.CodeBadParam || v == nil || v.DeliveryState != core.DeliveryFailed {
		t.Fatalf("refused send: %+v, %v", v, err)
	}
	if fail := msgEvents(a, "sendMessageFail", v.MessageID); len(fail) != 1 || fail[0].Code != proto.CodeBadParam {
		t.Fatalf("sendMessageFail %+v", fail)
	}
	if n := core.OutboxLen(a.c); n != 0 {
		t.Fatalf("%d messages left in the outbox", n)
	}
}
