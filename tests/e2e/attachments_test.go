package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"yunxin/internal/jx"
)

// sentMessage decodes ret.message of a send method's result.
func sentMessage(t *testing.T, r callResult) msgView {
	t.Helper()
	var v struct {
		Message *msgView `json:"message"`
	}
	if err := json.Unmarshal(r.Ret, &v); err != nil || v.Message == nil {
		t.Fatalf("%v: ret has no message", r)
	}
	return *v.Message
}

// waitRecvID waits until onRecvMessages since mark brought the message with id.
func (b *browser) waitRecvID(since int, id string, timeout time.Duration) msgView {
	b.t.Helper()
	q, _ := json.Marshal(id)
	b.waitFor("onRecvMessages with messageId "+string(q), fmt.Sprintf(
		`window.events.slice(%d).some(e => e.kind === 'message' && e.ret && e.ret.eventType === 'onRecvMessages' &&
			(e.ret.messages || []).some(m => m && m.messageId === %s))`, since, q), timeout)
	for _, m := range b.received(since) {
		if m.MessageID == id {
			return m
		}
	}
	b.t.Fatalf("%s: message %s vanished", b.name, q)
	return msgView{}
}

// messageByID returns messagesInSessionWithMessageIds' message with id, or nil.
func (b *browser) messageByID(sessionID, id string) *msgView {
	b.t.Helper()
	r := b.mustCall("messagesInSessionWithMessageIds", map[string]any{"sessionId": sessionID, "chatType": 0, "messageIds": []string{id}})
	var v struct {
		Messages []msgView `json:"messages"`
	}
	if err := json.Unmarshal(r.Ret, &v); err != nil {
		b.t.Fatalf("%s: messagesInSessionWithMessageIds ret %s: %v", b.name, short(string(r.Ret)), err)
	}
	for _, m := range v.Messages {
		if m.MessageID == id {
			return &m
		}
	}
	return nil
}

// TestAttachmentEachType: alice sends each message type made from a real
// File or Blob of the page (a canvas PNG, a WAV, a MediaRecorder WebM, a
// picked file), a location and a tip; bob receives each with the doc's body
// fields, downloads the attachments, and the bytes match (md5).
func TestAttachmentEachType(t *testing.T) {
	s := useShared(t)
	alice, bob, _ := twoUsers(t, s, "t6alice", "t6bob")
	alice.addMedia()
	bob.addMedia()
	alice.exec(`(async () => {
		window.f = {png: await media.png(64, 48), wav: media.wav(1500), webm: await media.webm(1500), bin: media.file(300000, 'notes.bin')};
	})()`)

	type check func(t *testing.T, sent, got msgView)
	attach := func(src string, wantType int, more check) check {
		return func(t *testing.T, sent, got msgView) {
			sum, n := alice.md5Of(src)
			if got.Body.Type != wantType || got.Body.URL == "" || got.Body.MD5 != sum || got.Body.FileLength != int64(n) {
				t.Errorf("received body type %d url %q md5 %q fileLength %d; want type %d, a url, md5 %s, fileLength %d",
					got.Body.Type, got.Body.URL, got.Body.MD5, got.Body.FileLength, wantType, sum, n)
			}
			if sent.Body.URL != got.Body.URL || sent.Body.Path == "" {
				t.Errorf("sent body url %q path %q; want the received url %q and a local path", sent.Body.URL, sent.Body.Path, got.Body.URL)
			}
			if got.AttachmentDownloadState != downloadNeeded {
				t.Errorf("received attachmentDownloadState %d, want %d (not downloaded yet)", got.AttachmentDownloadState, downloadNeeded)
			}
			mark := bob.mark()
			r := bob.callWithin(30*time.Second, "download", fmt.Sprintf(`{urlString: %q}`, got.Body.URL))
			if r.failed() || !r.status() {
				t.Fatalf("bob: download %s: %v", got.Body.URL, r)
			}
			var dl struct {
				Path string `json:"path"`
			}
			json.Unmarshal(r.Ret, &dl)
			if dl.Path == "" {
				t.Fatalf("download ret %s has no path", r.Ret)
			}
			if gotSum, gotN := bob.md5Of(fmt.Sprintf("%q", dl.Path)); gotSum != sum || gotN != n {
				t.Errorf("downloaded bytes: md5 %s (%d bytes), want %s (%d bytes)", gotSum, gotN, sum, n)
			}
			bob.waitFor("fetchMessageAttachmentFinish", fmt.Sprintf(`window.events.slice(%d).some(e => e.kind === 'message' &&
				e.ret.eventType === 'fetchMessageAttachmentFinish' && e.ret.message && e.ret.message.messageId === %q && e.ret.success !== false)`,
				mark, got.MessageID), 10*time.Second)
			if m := bob.messageByID("t6alice", got.MessageID); m == nil || m.AttachmentDownloadState != downloadDone || m.Body.Path == "" {
				t.Errorf("after the download, the cached message is %+v; want attachmentDownloadState %d and a path", m, downloadDone)
			}
			if more != nil {
				more(t, sent, got)
			}
		}
	}
	cases := []struct {
		name, method, params string
		check                check
	}{
		{"image", "sendImage", `{sessionId: 't6bob', chatType: 0, path: f.png}`, attach("f.png", 1, func(t *testing.T, sent, got msgView) {
			if got.Body.Size == nil || got.Body.Size.W != 64 || got.Body.Size.H != 48 || got.Body.ThumbURL == "" {
				t.Errorf("image size %+v thumbUrl %q; want 64×48 and a thumbnail url", got.Body.Size, got.Body.ThumbURL)
			}
			if sum, _ := bob.md5Of(fmt.Sprintf("%q", got.Body.ThumbURL)); sum == "" {
				t.Errorf("the thumbnail %s cannot be fetched", got.Body.ThumbURL)
			}
		})},
		{"voice", "sendVoice", `{sessionId: 't6bob', path: f.wav}`, attach("f.wav", 2, func(t *testing.T, sent, got msgView) {
			if got.Body.Duration < 1300 || got.Body.Duration > 1700 {
				t.Errorf("voice duration %d ms, want about 1500", got.Body.Duration)
			}
		})},
		{"video", "sendVideo", `{sessionId: 't6bob', path: f.webm, displayName: 'clip.webm'}`, attach("f.webm", 3, func(t *testing.T, sent, got msgView) {
			if got.Body.Duration < 500 || got.Body.CoverURL == "" || got.Body.CoverSize == nil || got.Body.CoverSize.W != 160 || got.Body.CoverSize.H != 120 {
				t.Errorf("video duration %d coverUrl %q coverSize %+v; want > 500 ms, a cover url, 160×120", got.Body.Duration, got.Body.CoverURL, got.Body.CoverSize)
			}
			if got.Body.DisplayName != "clip.webm" {
				t.Errorf("video displayName %q, want clip.webm", got.Body.DisplayName)
			}
		})},
		{"file", "sendFile", `{sessionId: 't6bob', path: f.bin}`, attach("f.bin", 6, func(t *testing.T, sent, got msgView) {
			if got.Body.DisplayName != "notes.bin" {
				t.Errorf("file displayName %q, want notes.bin (the File's name)", got.Body.DisplayName)
			}
		})},
		{"location", "sendLocation", `{sessionId: 't6bob', latitude: 31.2304, longitude: 121.4737, address: 'The Bund'}`, func(t *testing.T, sent, got msgView) {
			if got.Body.Type != 4 || got.Body.Latitude != 31.2304 || got.Body.Longitude != 121.4737 || got.Body.Title != "The Bund" {
				t.Errorf("location body %+v, want type 4 at 31.2304,121.4737 titled The Bund", got.Body)
			}
		}},
		{"tip", "sendTip", `{sessionId: 't6bob', text: 'a tip for bob'}`, func(t *testing.T, sent, got msgView) {
			if got.Body.Type != 10 || got.Body.Text != "a tip for bob" {
				t.Errorf("tip body %+v, want type 10 with the text", got.Body)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mark := bob.mark()
			r := alice.callWithin(30*time.Second, c.method, c.params)
			if r.failed() || !r.status() {
				t.Fatalf("alice: %s: %v", c.method, r)
			}
			sent := sentMessage(t, r)
			if sent.DeliveryState != deliverySent || sent.MessageID == "" {
				t.Errorf("sent message deliveryState %d messageId %q, want %d and an id", sent.DeliveryState, sent.MessageID, deliverySent)
			}
			got := bob.waitRecvID(mark, sent.MessageID, 15*time.Second)
			if got.From != "t6alice" || got.IsOutgoingMsg {
				t.Errorf("received from %q outgoing %v, want t6alice false", got.From, got.IsOutgoingMsg)
			}
			c.check(t, sent, got)
		})
	}
	alice.checkHealth()
	bob.checkHealth()
}

// TestUploadProgressCancelResend: upload progress events arrive in order
// and end at 1; cancelSendingMessage and cancelTask mid-upload leave the
// message failed (deliveryState 0) and undelivered; resendMessage then
// delivers it exactly once.
func TestUploadProgressCancelResend(t *testing.T) {
	s := useShared(t)
	tok := users(t, s, "t6palice", "t6pbob")
	// alice reaches the server through a throttle, which slows her uploads.
	alice, bob := newBrowser(t, "t6palice"), newBrowser(t, "t6pbob")
	alice.open(pages.pageURLAt(alice.throttled(s), false))
	bob.open(pages.pageURL(s, false))
	alice.login("t6palice", tok["t6palice"])
	bob.login("t6pbob", tok["t6pbob"])
	alice.addMedia()
	alice.exec(`window.f = {mid: media.file(3 << 20, 'mid.bin'), big: media.file(6 << 20, 'big.bin')}; window.bigURL = URL.createObjectURL(f.big);`)
	alice.throttleUpload(1 << 20) // 1 MiB/s: the uploads take seconds

	// Progress, in order, ending at 1.
	mark := alice.mark()
	r := alice.callWithin(60*time.Second, "sendFile", `{sessionId: 't6pbob', path: f.mid}`)
	if r.failed() || !r.status() {
		t.Fatalf("sendFile: %v", r)
	}
	id := sentMessage(t, r).MessageID
	var progress []float64
	for _, e := range alice.messageEvents(mark, "sendMessageProgress") {
		if e.Message != nil && e.Message.MessageID == id && e.Progress != nil {
			progress = append(progress, *e.Progress)
		}
	}
	if len(progress) < 3 || progress[len(progress)-1] != 1 {
		t.Errorf("sendMessageProgress: %v; want several events ending at 1", progress)
	}
	for i := 1; i < len(progress); i++ {
		if progress[i] < progress[i-1] {
			t.Errorf("sendMessageProgress went back: %v", progress)
			break
		}
	}
	if ev := alice.messageEvents(mark, "uploadAttachmentSuccess"); len(ev) == 0 || ev[0].URLString == "" {
		t.Errorf("uploadAttachmentSuccess: %+v, want one with urlString", ev)
	}

	// cancelSendingMessage and cancelTask, each mid-upload.
	for _, how := range []string{"cancelSendingMessage", "cancelTask"} {
		t.Run(how, func(t *testing.T) {
			alice.throttleUpload(1 << 20)
			mark := alice.mark()
			bobMark := bob.mark()
			alice.exec(`window.pending = null; yunxinIM.sendFile({sessionId: 't6pbob', path: bigURL}, function (ret, err) { window.pending = {ret: clone(ret), err: clone(err)}; });`)
			alice.waitFor("upload progress of the big file", fmt.Sprintf(`window.events.slice(%d).some(e => e.kind === 'message' &&
				e.ret.eventType === 'sendMessageProgress' && e.ret.progress > 0 && e.ret.progress < 1)`, mark), 20*time.Second)
			will := alice.messageEvents(mark, "willSendMessage")
			if len(will) != 1 || will[0].Message == nil {
				t.Fatalf("willSendMessage events: %+v, want one", will)
			}
			id := will[0].Message.MessageID
			var c callResult
			if how == "cancelSendingMessage" {
				c = alice.call("cancelSendingMessage", map[string]any{"sessionId": "t6pbob", "chatType": 0, "messageId": id})
			} else {
				c = alice.callJS("cancelTask", `{filepath: bigURL}`)
				if c.Timeout { // cancelTask has no callback in the doc
					c = callResult{Ret: jx.RawMessage(`{"status":true}`)}
				}
			}
			if c.Err != nil {
				t.Fatalf("%s: %v", how, c)
			}
			alice.waitFor("the send's callback", `window.pending !== null`, 15*time.Second)
			var pending callResult
			b, _ := json.Marshal(eval[any](alice, "window.pending"))
			json.Unmarshal(b, &pending)
			if pending.Err == nil {
				t.Errorf("sendFile callback after %s: %s, want an err", how, b)
			}
			if m := alice.messageByID("t6pbob", id); m == nil || m.DeliveryState != deliveryFailed {
				t.Errorf("after %s the message is %+v, want deliveryState %d", how, m, deliveryFailed)
			}
			alice.throttleUpload(0)
			r := alice.callWithin(60*time.Second, "resendMessage", fmt.Sprintf(`{sessionId: 't6pbob', chatType: 0, messageId: %q}`, id))
			if r.failed() || !r.status() {
				t.Fatalf("resendMessage: %v", r)
			}
			got := bob.waitRecvID(bobMark, id, 20*time.Second)
			if got.Body.FileLength != 6<<20 {
				t.Errorf("bob got fileLength %d, want %d", got.Body.FileLength, 6<<20)
			}
			n := 0
			for _, m := range bob.history("t6palice") {
				if m.MessageID == id {
					n++
				}
			}
			if n != 1 {
				t.Errorf("bob's history holds the resent message %d times, want once", n)
			}
		})
	}
	alice.checkHealth()
}

// TestOfflineOutbox: messages sent while the server is down wait in the
// outbox and arrive once each, in order, after it comes back — also when
// the page was reloaded meanwhile (an image among them).
func TestOfflineOutbox(t *testing.T) {
	s := startServer(t)
	tok := users(t, s, "t6oalice", "t6obob")
	// alice's page loads the SDK from its own origin, so that it still
	// loads while the IM server is down.
	alice, bob := newBrowser(t, "t6oalice"), newBrowser(t, "t6obob")
	alice.open(pages.pageURL(s, true))
	bob.open(pages.pageURL(s, false))
	alice.login("t6oalice", tok["t6oalice"])
	bob.login("t6obob", tok["t6obob"])
	alice.addMedia()
	bob.addMedia()

	bobTexts := func(since int) []string {
		var out []string
		for _, m := range bob.received(since) {
			if m.Body.Type == 10 || m.Body.Type == 0 {
				out = append(out, m.Body.Text)
			} else {
				out = append(out, fmt.Sprintf("type%d", m.Body.Type))
			}
		}
		return out
	}

	// 1. Without a reload.
	bobMark, aliceMark := bob.mark(), alice.mark()
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	alice.exec(`window.outbox = [];
		['o1', 'o2', 'o3'].forEach(function (text) {
			yunxinIM.sendText({sessionId: 't6obob', text: text}, function (ret, err) { outbox.push({text: text, ret: clone(ret), err: clone(err)}); });
		});`)
	alice.waitFor("three willSendMessage events", fmt.Sprintf(`window.events.slice(%d).filter(e => e.kind === 'message' && e.ret.eventType === 'willSendMessage').length === 3`, aliceMark), 5*time.Second)
	if n := eval[int](alice, "outbox.length"); n != 0 {
		t.Errorf("%d callbacks fired while offline, want none yet (the messages wait in the outbox)", n)
	}
	if err := s.start(); err != nil {
		t.Fatal(err)
	}
	alice.waitFor("the three callbacks", `outbox.length === 3 && outbox.every(o => o.ret && o.ret.status && !o.err)`, 30*time.Second)
	bob.waitFor("o3 at bob", fmt.Sprintf(`window.events.slice(%d).some(e => e.kind === 'message' && e.ret.eventType === 'onRecvMessages' && e.ret.messages.some(m => m.body.text === 'o3'))`, bobMark), 30*time.Second)
	if got := bobTexts(bobMark); strings.Join(got, ",") != "o1,o2,o3" {
		t.Errorf("bob received %v, want o1,o2,o3 once each in order", got)
	}

	// 2. With a reload while offline, an image among the messages.
	bobMark = bob.mark()
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	alice.exec(`(async () => {
		var png = await media.png(32, 32);
		yunxinIM.sendText({sessionId: 't6obob', text: 'r1'});
		yunxinIM.sendImage({sessionId: 't6obob', path: png});
		yunxinIM.sendText({sessionId: 't6obob', text: 'r3'});
	})()`)
	alice.waitFor("the three messages staged", `call('messagesInSession', {sessionId: 't6obob', limit: 100}).then(r => r.ret.messages.filter(m => m.deliveryState === 1).length === 3)`, 10*time.Second)
	alice.reload()
	alice.addMedia()
	aliceMark = alice.mark()
	alice.autoLogin("t6oalice", tok["t6oalice"])
	if err := s.start(); err != nil {
		t.Fatal(err)
	}
	bob.waitFor("r3 at bob", fmt.Sprintf(`window.events.slice(%d).some(e => e.kind === 'message' && e.ret.eventType === 'onRecvMessages' && e.ret.messages.some(m => m.body.text === 'r3'))`, bobMark), 40*time.Second)
	if got := bobTexts(bobMark); strings.Join(got, ",") != "r1,type1,r3" {
		t.Errorf("bob received %v after alice's reload, want r1, the image, r3 once each in order", got)
	}
	alice.waitFor("sendMessageFinish for r3 after the reload", fmt.Sprintf(`window.events.slice(%d).some(e => e.kind === 'message' &&
		e.ret.eventType === 'sendMessageFinish' && e.ret.message.body.text === 'r3' && e.ret.success !== false)`, aliceMark), 20*time.Second)
	for _, m := range bob.received(bobMark) {
		if m.Body.Type == 1 {
			if sum, n := bob.md5Of(fmt.Sprintf("%q", m.Body.URL)); n == 0 || sum != m.Body.MD5 {
				t.Errorf("the image sent from the outbox after the reload: %d bytes md5 %s, body md5 %s", n, sum, m.Body.MD5)
			}
		}
	}

	// reSend false keeps the immediate failure.
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	if r := alice.call("sendText", map[string]any{"sessionId": "t6obob", "text": "no resend", "reSend": false}); r.Err == nil || r.Err.Code != 415 {
		t.Errorf("sendText reSend:false offline: %v, want err 415 at once", r)
	}
	if err := s.start(); err != nil {
		t.Fatal(err)
	}
	alice.checkHealth()
	bob.checkHealth()
}
