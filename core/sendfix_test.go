//go:build !js

package core_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"yunxin/core"
	"yunxin/proto"
)

// heldFiles is a fake file edge whose uploads (by the file's md5) and
// downloads (by url) a test can hold and then release or fail.
type heldFiles struct {
	*fakeFiles
	hmu     sync.Mutex
	holds   map[string]chan error // md5 or url → the outcome to give (nil: go on)
	running map[string]chan error // the held transfers that started
	entered chan string           // the md5 or url of a held transfer that started
}

func withHeldFiles(d *device) *heldFiles {
	h := &heldFiles{fakeFiles: newFakeFiles(), holds: map[string]chan error{}, running: map[string]chan error{}, entered: make(chan string, 8)}
	d.c.SetFiles(h)
	return h
}

// hold makes the next transfer of key wait for release.
func (h *heldFiles) hold(key string) {
	h.hmu.Lock()
	h.holds[key] = make(chan error, 1)
	h.hmu.Unlock()
}

// release lets the held transfer of key, which started, go on (err nil)
// or fail with err.
func (h *heldFiles) release(key string, err error) {
	h.hmu.Lock()
	ch := h.running[key]
	delete(h.running, key)
	h.hmu.Unlock()
	ch <- err
}

func (h *heldFiles) wait(ctx context.Context, key string) error {
	h.hmu.Lock()
	ch := h.holds[key]
	delete(h.holds, key)
	if ch != nil {
		h.running[key] = ch
	}
	h.hmu.Unlock()
	if ch == nil {
		return nil
	}
	h.entered <- key
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *heldFiles) Upload(ctx context.Context, path, url, token, contentType string, progress func(sent, total int64)) (proto.UploadResp, error) {
	if ff, ok := h.lookup(path); ok {
		if err := h.wait(ctx, md5hex(ff.data)); err != nil {
			return proto.UploadResp{}, err
		}
	}
	return h.fakeFiles.Upload(ctx, path, url, token, contentType, progress)
}

func (h *heldFiles) Download(ctx context.Context, url, key string, progress func(got, total int64)) (string, error) {
	if err := h.wait(ctx, url); err != nil {
		return "", err
	}
	return h.fakeFiles.Download(ctx, url, key, progress)
}

// keptKeys returns the keys of the kept files of message id.
func (h *heldFiles) keptKeys(account, id string) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for k := range h.kept {
		if strings.HasPrefix(k, account+"/"+id+"/") {
			out = append(out, k)
		}
	}
	return out
}

func (h *heldFiles) entry(t *testing.T, want string) {
	t.Helper()
	sig := make(chan struct{})
	go func() {
		for k := range h.entered {
			if k == want {
				close(sig)
				return
			}
		}
	}()
	waitSignal(t, sig, "the held transfer")
}

// TestNetworkFailureWhileOnline: an upload failing with 415 while the
// link is up ends its message failed (it would wait for ever: no reconnect
// comes), and a text queued behind it (reSend: the outbox keeps the order,
// also behind a message being sent) goes out after it.
func TestNetworkFailureWhileOnline(t *testing.T) {
	ts, a, b := aliceAndBob(t, false)
	af := withHeldFiles(a)
	data := blob("fails online", 3000)
	path := af.add(fakeFile{data: data, name: "f.png", mime: "image/png", w: 3, h: 3})
	af.hold(md5hex(data))
	img, imgDone := sendAsync(t, a, func() (*core.MessageView, error) {
		return a.c.SendMessage(context.Background(), core.SendParams{SessionID: "bob", Type: proto.MsgImage, Path: path, ReSend: true})
	})
	af.entry(t, md5hex(data))
	text, textDone := sendAsync(t, a, sendText(a, "bob", "after the image"))
	if n := core.OutboxLen(a.c); n != 2 {
		t.Fatalf("outbox holds %d, want 2", n)
	}
	select {
	case r := <-textDone:
		t.Fatalf("the text overtook the image being sent: %+v %v", r.v, r.err)
	default:
	}
	af.release(md5hex(data), core.Errf(proto.CodeNetwork, "upload failed: connection reset"))

	r := waitResult(t, imgDone)
	if core.AsError(r.err).Code != proto.CodeNetwork || r.v.DeliveryState != core.DeliveryFailed || r.v.MessageID != img {
		t.Fatalf("the image's send returned %+v, %v", r.v, r.err)
	}
	if fail := msgEvents(a, "sendMessageFail", img); len(fail) != 1 || fail[0].Code != proto.CodeNetwork {
		t.Fatalf("sendMessageFail of the image: %+v", fail)
	}
	r = waitResult(t, textDone)
	if r.err != nil || r.v.DeliveryState != core.DeliverySent || r.v.MessageID != text {
		t.Fatalf("the text's send returned %+v, %v", r.v, r.err)
	}
	b.waitFor("the text", func() bool { return len(msgEvents(b, "onRecvMessages", text)) == 1 })
	if n := core.OutboxLen(a.c); n != 0 {
		t.Fatalf("outbox holds %d", n)
	}
	// Failed before its upload: its file is kept for a resend (after a
	// reload too); once resent and sent, the copy is removed.
	if len(af.keptKeys("alice", img)) != 1 {
		t.Fatalf("the failed image's kept files: %v", af.keptKeys("alice", img))
	}
	af.drop(path)
	v, err := a.c.ResendMessage(context.Background(), "bob", 0, img)
	if err != nil || v.DeliveryState != core.DeliverySent {
		t.Fatalf("resend: %+v, %v", v, err)
	}
	if k := af.keptKeys("alice", img); len(k) != 0 {
		t.Fatalf("kept after the resend: %v", k)
	}
	if u, _ := body(t, receivedMsg(b, img))["url"].(string); md5hex(fetch(t, u)) != md5hex(data) {
		t.Fatal("bob's image differs")
	}
	if n := peerCount(t, ts, "bob", "alice", text); n != 1 {
		t.Fatalf("the server has the text %d times", n)
	}
}

// TestConcurrentResend: a second resendMessage of a message being resent
// answers 414 "being sent" at once instead of blocking.
func TestConcurrentResend(t *testing.T) {
	ts, a, b := aliceAndBob(t, false)
	af := withHeldFiles(a)
	ctx := context.Background()
	data := blob("resent twice", 2000)
	path := af.add(fakeFile{data: data, name: "r.bin", mime: "application/octet-stream"})
	af.hold(md5hex(data))
	id, done := sendAsync(t, a, func() (*core.MessageView, error) {
		return a.c.SendMessage(ctx, core.SendParams{SessionID: "bob", Type: proto.MsgFile, Path: path})
	})
	af.entry(t, md5hex(data))
	if err := a.c.CancelSendingMessage(ctx, "bob", 0, id); err != nil {
		t.Fatal(err)
	}
	if r := waitResult(t, done); r.err == nil {
		t.Fatal("the cancelled send succeeded")
	}
	af.hold(md5hex(data))
	first := make(chan sendResult, 1)
	go func() {
		v, err := a.c.ResendMessage(ctx, "bob", 0, id)
		first <- sendResult{v, err}
	}()
	af.entry(t, md5hex(data))
	second := make(chan sendResult, 1)
	go func() {
		v, err := a.c.ResendMessage(ctx, "bob", 0, id)
		second <- sendResult{v, err}
	}()
	r := waitResult(t, second)
	if e := core.AsError(r.err); e == nil || e.Code != proto.CodeBadParam || !strings.Contains(e.Msg, "being sent") {
		t.Fatalf("the second resend returned %+v, %v", r.v, r.err)
	}
	af.release(md5hex(data), nil)
	if r := waitResult(t, first); r.err != nil || r.v.DeliveryState != core.DeliverySent {
		t.Fatalf("the first resend returned %+v, %v", r.v, r.err)
	}
	receivedMsg(b, id)
	if n := peerCount(t, ts, "bob", "alice", id); n != 1 {
		t.Fatalf("the server has the message %d times", n)
	}
}

// TestResendCutOffSend: a send without reSend that a logout cut off stays
// sending in the cache; after the next login resendMessage sends it (its
// file was kept when the send was cut off).
func TestResendCutOffSend(t *testing.T) {
	_, a, b := aliceAndBob(t, false)
	af := withHeldFiles(a)
	ctx := context.Background()
	data := blob("cut off", 2500)
	path := af.add(fakeFile{data: data, name: "c.png", mime: "image/png", w: 2, h: 2})
	af.hold(md5hex(data))
	id, done := sendAsync(t, a, func() (*core.MessageView, error) {
		return a.c.SendMessage(ctx, core.SendParams{SessionID: "bob", Type: proto.MsgImage, Path: path})
	})
	af.entry(t, md5hex(data))
	a.c.Logout(ctx)
	if r := waitResult(t, done); core.AsError(r.err).Code != proto.CodeNetwork {
		t.Fatalf("the cut-off send returned %v", r.err)
	}
	af.drop(path) // a reload: the page's path is gone
	a.login("alice")
	ms, _ := a.c.MessagesByIDs(ctx, []string{id})
	if len(ms) != 1 || ms[0].DeliveryState != core.DeliverySending {
		t.Fatalf("the cut-off message: %+v", ms)
	}
	v, err := a.c.ResendMessage(ctx, "bob", 0, id)
	if err != nil || v.DeliveryState != core.DeliverySent {
		t.Fatalf("resend of the cut-off message: %+v, %v", v, err)
	}
	if u, _ := body(t, receivedMsg(b, id))["url"].(string); md5hex(fetch(t, u)) != md5hex(data) {
		t.Fatal("bob's image differs")
	}
	if k := af.keptKeys("alice", id); len(k) != 0 {
		t.Fatalf("kept after it was sent: %v", k)
	}
}

// TestDeleteWhileSending: a message deleted while its upload runs stays
// deleted when the send finishes and does not become the session's last
// message; a deleted message waiting in the outbox is never sent (its send
// returns 404) and leaves the outbox.
func TestDeleteWhileSending(t *testing.T) {
	ts, a, b := aliceAndBob(t, false)
	af := withHeldFiles(a)
	ctx := context.Background()
	before := a.send("bob", "before")
	data := blob("deleted while sent", 2000)
	path := af.add(fakeFile{data: data, name: "d.png", mime: "image/png", w: 2, h: 2})
	af.hold(md5hex(data))
	id, done := sendAsync(t, a, func() (*core.MessageView, error) {
		return a.c.SendMessage(ctx, core.SendParams{SessionID: "bob", Type: proto.MsgImage, Path: path})
	})
	af.entry(t, md5hex(data))
	if err := a.c.DeleteMessage(ctx, "bob", 0, id); err != nil {
		t.Fatal(err)
	}
	af.release(md5hex(data), nil)
	if r := waitResult(t, done); r.err != nil || r.v.DeliveryState != core.DeliverySent || !r.v.IsDeleted {
		t.Fatalf("the send returned %+v, %v", r.v, r.err)
	}
	ms, _ := a.c.MessagesByIDs(ctx, []string{id})
	if len(ms) != 1 || !ms[0].IsDeleted || ms[0].DeliveryState != core.DeliverySent {
		t.Fatalf("after the send: %+v", ms)
	}
	for _, m := range a.messages("bob", 10) {
		if m.MessageID == id {
			t.Fatal("messagesInSession lists the deleted message")
		}
	}
	if s := a.session("bob"); s == nil || s.LastMessage == nil || s.LastMessage.MessageID != before.MessageID {
		t.Fatalf("the session's last message: %+v", s)
	}

	// Waiting in the outbox, then deleted: never sent.
	ts.stop()
	a.waitStep(core.StepDisconnected, 1)
	qdata := blob("queued, deleted", 1500)
	qpath := af.add(fakeFile{data: qdata, name: "q.png", mime: "image/png", w: 2, h: 2})
	qid, qdone := sendAsync(t, a, func() (*core.MessageView, error) {
		return a.c.SendMessage(ctx, core.SendParams{SessionID: "bob", Type: proto.MsgImage, Path: qpath, ReSend: true})
	})
	kid, kdone := sendAsync(t, a, sendText(a, "bob", "kept"))
	if len(af.keptKeys("alice", qid)) != 1 {
		t.Fatalf("the queued image was not kept: %v", af.keptKeys("alice", qid))
	}
	if err := a.c.DeleteMessage(ctx, "bob", 0, qid); err != nil {
		t.Fatal(err)
	}
	if k := af.keptKeys("alice", qid); len(k) != 0 {
		t.Fatalf("deleteMessage left its kept files: %v", k)
	}
	ts.start()
	r := waitResult(t, qdone)
	if core.AsError(r.err).Code != proto.CodeNotFound {
		t.Fatalf("the deleted queued send returned %+v, %v", r.v, r.err)
	}
	if r := waitResult(t, kdone); r.err != nil || r.v.MessageID != kid {
		t.Fatalf("the text behind it: %+v, %v", r.v, r.err)
	}
	b.waitFor("the text", func() bool { return len(msgEvents(b, "onRecvMessages", kid)) == 1 })
	if n := core.OutboxLen(a.c); n != 0 {
		t.Fatalf("outbox holds %d", n)
	}
	if n := af.uploadCount(qdata); n != 0 {
		t.Fatalf("the deleted image was uploaded %d times", n)
	}
	if len(msgEvents(b, "onRecvMessages", qid)) != 0 || peerCount(t, ts, "bob", "alice", qid) != 0 {
		t.Fatal("the deleted queued message reached the server")
	}
	if ms, _ := a.c.MessagesByIDs(ctx, []string{qid}); len(ms) != 1 || ms[0].DeliveryState != core.DeliveryFailed {
		t.Fatalf("the deleted queued message: %+v", ms)
	}
}

// TestKeptFilesPolicy: a file sent online is never copied into the kept
// store; one waiting in the outbox is, until it is sent.
func TestKeptFilesPolicy(t *testing.T) {
	ts, a, b := aliceAndBob(t, false)
	af := withHeldFiles(a)
	ctx := context.Background()
	path := af.add(fakeFile{data: blob("online", 1200), name: "o.png", mime: "image/png", w: 2, h: 2, thumb: blob("t", 30)})
	v, err := a.c.SendMessage(ctx, core.SendParams{SessionID: "bob", Type: proto.MsgImage, Path: path, ReSend: true})
	if err != nil {
		t.Fatal(err)
	}
	if k := af.keptKeys("alice", v.MessageID); len(k) != 0 {
		t.Fatalf("a file sent online was kept: %v", k)
	}
	if p := body(t, *v)["path"]; p != path {
		t.Fatalf("the sent image's path %v, want the page's %s", p, path)
	}
	ts.stop()
	a.waitStep(core.StepDisconnected, 1)
	qpath := af.add(fakeFile{data: blob("offline", 1300), name: "q.png", mime: "image/png", w: 2, h: 2, thumb: blob("u", 30)})
	qid, done := sendAsync(t, a, func() (*core.MessageView, error) {
		return a.c.SendMessage(ctx, core.SendParams{SessionID: "bob", Type: proto.MsgImage, Path: qpath, ReSend: true})
	})
	if k := af.keptKeys("alice", qid); len(k) != 2 {
		t.Fatalf("the waiting image's kept files: %v", k)
	}
	ts.start()
	if r := waitResult(t, done); r.err != nil {
		t.Fatal(r.err)
	}
	receivedMsg(b, qid)
	if k := af.keptKeys("alice", qid); len(k) != 0 {
		t.Fatalf("kept after it was sent: %v", k)
	}
	if ms, _ := a.c.MessagesByIDs(ctx, []string{qid}); body(t, ms[0])["path"] != qpath {
		t.Fatalf("the sent image's path in the page that sent it: %v", body(t, ms[0])["path"])
	}
}

// TestDownloadCancelled: cancelTask stops a download with a message of its
// own, not a send's.
func TestDownloadCancelled(t *testing.T) {
	ts, a, _ := aliceAndBob(t, false)
	af := withHeldFiles(a)
	url := "http://" + ts.addr + "/files/none/x.bin"
	af.hold(url)
	done := make(chan error, 1)
	go func() {
		_, err := a.c.Download(context.Background(), url)
		done <- err
	}()
	af.entry(t, url)
	if err := a.c.CancelTask(context.Background(), url); err != nil {
		t.Fatal(err)
	}
	var err error
	select {
	case err = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("the cancelled download did not return")
	}
	if e := core.AsError(err); e == nil || e.Code != proto.CodeNetwork || e.Msg != "download cancelled" {
		t.Fatalf("the cancelled download returned %v", err)
	}
}

// TestClearWhileSending: a session cleared (deleteAllmessagesInSession)
// while one of its messages is uploading stays cleared when the send ends:
// the message is delivered but not cached again, nor the last message.
func TestClearWhileSending(t *testing.T) {
	_, a, b := aliceAndBob(t, false)
	af := withHeldFiles(a)
	ctx := context.Background()
	data := blob("cleared while sent", 2000)
	path := af.add(fakeFile{data: data, name: "c.png", mime: "image/png", w: 2, h: 2})
	af.hold(md5hex(data))
	id, done := sendAsync(t, a, func() (*core.MessageView, error) {
		return a.c.SendMessage(ctx, core.SendParams{SessionID: "bob", Type: proto.MsgImage, Path: path})
	})
	af.entry(t, md5hex(data))
	if err := a.c.DeleteAllMessagesInSession(ctx, "bob", 0, false); err != nil {
		t.Fatal(err)
	}
	af.release(md5hex(data), nil)
	if r := waitResult(t, done); r.err != nil || r.v.DeliveryState != core.DeliverySent || !r.v.IsDeleted {
		t.Fatalf("the send returned %+v, %v", r.v, r.err)
	}
	b.waitFor("the image", func() bool { return len(msgEvents(b, "onRecvMessages", id)) == 1 })
	if ms, _ := a.c.MessagesByIDs(ctx, []string{id}); len(ms) != 0 {
		t.Fatalf("the cleared message is cached again: %+v", ms)
	}
	if ms := a.messages("bob", 10); len(ms) != 0 {
		t.Fatalf("messagesInSession after the clear: %d messages", len(ms))
	}
	if s := a.session("bob"); s != nil && s.LastMessage != nil {
		t.Fatalf("the session's last message: %+v", s.LastMessage)
	}
}

// TestDownloadCutOff: a download that a logout (or a reload) cut off does
// not stay "downloading" (2): reading the message again shows it failed
// (1, tried once), and downloading again finishes it (3).
func TestDownloadCutOff(t *testing.T) {
	_, a, b := aliceAndBob(t, false)
	af := withFiles(a)
	bf := withHeldFiles(b)
	ctx := context.Background()
	data := blob("to download", 3000)
	path := af.add(fakeFile{data: data, name: "d.bin", mime: "application/octet-stream"})
	v, err := a.c.SendMessage(ctx, core.SendParams{SessionID: "bob", Type: proto.MsgFile, Path: path})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := body(t, receivedMsg(b, v.MessageID))["url"].(string)
	bf.hold(u)
	done := make(chan error, 1)
	go func() { _, err := b.c.Download(ctx, u); done <- err }()
	bf.entry(t, u)
	b.c.Logout(ctx)
	bf.release(u, context.Canceled)
	<-done
	b.login("bob")
	ms, _ := b.c.MessagesByIDs(ctx, []string{v.MessageID})
	if len(ms) != 1 || ms[0].AttachmentDownloadState != core.DownloadFailed {
		t.Fatalf("after the cut-off download: %+v", ms)
	}
	if _, err := b.c.Download(ctx, u); err != nil {
		t.Fatal(err)
	}
	if ms, _ := b.c.MessagesByIDs(ctx, []string{v.MessageID}); len(ms) != 1 || ms[0].AttachmentDownloadState != core.DownloadDone {
		t.Fatalf("after downloading again: %+v", ms)
	}
}

// TestCancelTaskOfOutboxUpload: cancelTask(path) reaches the upload of a
// message the outbox sends after the reconnect (sent offline from path).
func TestCancelTaskOfOutboxUpload(t *testing.T) {
	ts, a, _ := aliceAndBob(t, false)
	af := withHeldFiles(a)
	ctx := context.Background()
	ts.stop()
	a.waitStep(core.StepDisconnected, 1)
	data := blob("queued, then cancelled", 2200)
	path := af.add(fakeFile{data: data, name: "q.png", mime: "image/png", w: 2, h: 2})
	id, done := sendAsync(t, a, func() (*core.MessageView, error) {
		return a.c.SendMessage(ctx, core.SendParams{SessionID: "bob", Type: proto.MsgImage, Path: path, ReSend: true})
	})
	af.hold(md5hex(data))
	ts.start()
	af.entry(t, md5hex(data)) // the outbox's upload runs
	if err := a.c.CancelTask(ctx, path); err != nil {
		t.Fatalf("cancelTask of the outbox's upload: %v", err)
	}
	if r := waitResult(t, done); r.err == nil {
		t.Fatalf("the cancelled send returned %+v", r.v)
	}
	if ms, _ := a.c.MessagesByIDs(ctx, []string{id}); len(ms) != 1 || ms[0].DeliveryState != core.DeliveryFailed {
		t.Fatalf("after cancelTask: %+v", ms)
	}
}
