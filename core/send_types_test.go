//go:build !js

package core_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"yunxin/core"
	"yunxin/proto"
)

// withFiles gives d a fake file edge of its own (one browser profile's).
func withFiles(d *device) *fakeFiles {
	f := newFakeFiles()
	d.c.SetFiles(f)
	return f
}

// msgEvents returns d's message events of eventType about message id ("" any).
func msgEvents(d *device, eventType, id string) []core.MessageEvent {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []core.MessageEvent
	for _, e := range d.events {
		m, ok := e.Data.(core.MessageEvent)
		if !ok || m.EventType != eventType {
			continue
		}
		if id == "" || m.Message != nil && m.Message.MessageID == id {
			out = append(out, m)
			continue
		}
		for _, v := range m.Messages {
			if v.MessageID == id {
				out = append(out, m)
				break
			}
		}
	}
	return out
}

// receivedMsg waits until d received message id and returns its view.
func receivedMsg(d *device, id string) core.MessageView {
	d.t.Helper()
	d.waitFor("message "+id, func() bool { return len(msgEvents(d, "onRecvMessages", id)) > 0 })
	for _, v := range msgEvents(d, "onRecvMessages", id)[0].Messages {
		if v.MessageID == id {
			return v
		}
	}
	panic("unreachable")
}

// body decodes a view's body.
func body(t *testing.T, v core.MessageView) map[string]any {
	t.Helper()
	var b map[string]any
	if err := json.Unmarshal(v.Body, &b); err != nil {
		t.Fatalf("body %s: %v", v.Body, err)
	}
	return b
}

// fetch GETs url and returns its bytes.
func fetch(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	return b
}

// blob returns n bytes of a recognizable pattern.
func blob(seed string, n int) []byte {
	return bytes.Repeat([]byte(seed), n/len(seed)+1)[:n]
}

// want checks body fields: a nil value means the field must be absent.
func want(t *testing.T, what string, b map[string]any, fields map[string]any) {
	t.Helper()
	for k, w := range fields {
		got, ok := b[k]
		if w == nil {
			if ok {
				t.Errorf("%s: body.%s = %v, want it absent", what, k, got)
			}
			continue
		}
		if fmt.Sprint(got) != fmt.Sprint(w) {
			t.Errorf("%s: body.%s = %v, want %v (body %v)", what, k, got, w, b)
		}
	}
}

func TestSendEveryType(t *testing.T) {
	_, a, b := aliceAndBob(t, false)
	af, bf := withFiles(a), withFiles(b)
	ctx := context.Background()

	png := blob("PNG-image-", 5000)
	wav := blob("RIFF-wav-", 3000)
	webm := blob("webm-video-", 7000)
	pdf := blob("%PDF-1.4 ", 2500)
	cases := []struct {
		name   string
		p      core.SendParams
		data   []byte
		fields map[string]any // expected on both sides (besides url/md5/fileLength)
		local  []string       // local fields the sender shows
	}{
		{"image", core.SendParams{Type: proto.MsgImage, Path: af.add(fakeFile{data: png, name: "photo.png", mime: "image/png", w: 640, h: 480, thumb: blob("thumb", 300)})},
			png, map[string]any{"type": 1, "displayName": "photo.png", "size": map[string]any{"w": 640, "h": 480}, "ext": "png"}, []string{"path", "thumbPath"}},
		{"voice", core.SendParams{Type: proto.MsgAudio, Path: af.add(fakeFile{data: wav, name: "note.wav", mime: "audio/wav", dur: 1500})},
			wav, map[string]any{"type": 2, "duration": 1500, "displayName": nil}, []string{"path"}},
		{"video", core.SendParams{Type: proto.MsgVideo, DisplayName: "clip", Path: af.add(fakeFile{data: webm, name: "v.webm", mime: "video/webm", w: 320, h: 240, dur: 2000, thumb: blob("cover", 400)})},
			webm, map[string]any{"type": 3, "displayName": "clip", "duration": 2000, "width": 320, "height": 240, "coverSize": map[string]any{"w": 32, "h": 24}}, []string{"path", "coverPath"}},
		{"file", core.SendParams{Type: proto.MsgFile, Extension: "pdf", Path: af.add(fakeFile{data: pdf, name: "report", mime: "application/pdf"})},
			pdf, map[string]any{"type": 6, "displayName": "report", "ext": "pdf"}, []string{"path"}},
		{"location", core.SendParams{Type: proto.MsgLocation, Latitude: 30.25, Longitude: 120.125, Title: "西湖"},
			nil, map[string]any{"type": 4, "latitude": 30.25, "longitude": 120.125, "title": "西湖", "path": nil}, nil},
		{"tip", core.SendParams{Type: proto.MsgTip, Text: "a tip"},
			nil, map[string]any{"type": 10, "text": "a tip", "path": nil}, nil},
	}
	for _, tc := range cases {
		tc.p.SessionID = "bob"
		v, err := a.c.SendMessage(ctx, tc.p)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if v.DeliveryState != core.DeliverySent || v.Seq == 0 || v.AttachmentDownloadState != core.DownloadDone {
			t.Fatalf("%s: sent view %+v", tc.name, v)
		}
		sb := body(t, *v)
		want(t, tc.name+" (sender)", sb, tc.fields)
		if tc.data != nil {
			want(t, tc.name+" (sender)", sb, map[string]any{"fileLength": len(tc.data), "md5": md5hex(tc.data), "path": tc.p.Path})
			u, _ := sb["url"].(string)
			if !strings.HasPrefix(u, "http://") {
				t.Fatalf("%s: url %q", tc.name, u)
			}
			if got := fetch(t, u); md5hex(got) != md5hex(tc.data) {
				t.Fatalf("%s: the uploaded bytes differ", tc.name)
			}
			for _, f := range tc.local {
				if s, _ := sb[f].(string); s == "" {
					t.Errorf("%s: sender's body.%s empty: %v", tc.name, f, sb)
				}
			}
			if tc.p.Type == proto.MsgImage || tc.p.Type == proto.MsgVideo {
				field := map[int]string{proto.MsgImage: "thumbUrl", proto.MsgVideo: "coverUrl"}[tc.p.Type]
				if s, _ := sb[field].(string); !strings.HasPrefix(s, "http://") {
					t.Errorf("%s: %s %q", tc.name, field, s)
				}
			}
		}

		rv := receivedMsg(b, v.MessageID)
		rb := body(t, rv)
		want(t, tc.name+" (receiver)", rb, tc.fields)
		for _, k := range []string{"url", "md5", "fileLength", "thumbUrl", "coverUrl"} {
			if fmt.Sprint(rb[k]) != fmt.Sprint(sb[k]) {
				t.Errorf("%s: receiver's body.%s = %v, sender's %v", tc.name, k, rb[k], sb[k])
			}
		}
		if tc.data != nil {
			for _, f := range tc.local {
				if s, ok := rb[f].(string); !ok || s != "" {
					t.Errorf("%s: receiver's body.%s = %v, want \"\" (nothing downloaded)", tc.name, f, rb[f])
				}
			}
			if rv.AttachmentDownloadState != core.DownloadNeeded {
				t.Errorf("%s: receiver's attachmentDownloadState %d, want 0", tc.name, rv.AttachmentDownloadState)
			}
		} else if rv.AttachmentDownloadState != core.DownloadDone {
			t.Errorf("%s: attachmentDownloadState %d without attachment, want 3", tc.name, rv.AttachmentDownloadState)
		}
	}
	if s := b.session("alice"); s == nil || s.Content != "a tip" {
		t.Fatalf("bob's session content %+v", s)
	}
	// Re-reading the sender's messages shows the kept files as paths.
	for _, m := range a.messages("bob", 10) {
		if strings.HasPrefix(string(m.Body), `{"type":1,`) {
			if p, _ := body(t, m)["path"].(string); p == "" || strings.HasPrefix(p, "key:") {
				t.Fatalf("alice's image path on re-read: %q", p)
			}
		}
	}
	_ = bf
}

func TestSendProgressAndDownload(t *testing.T) {
	_, a, b := aliceAndBob(t, false)
	af, bf := withFiles(a), withFiles(b)
	af.chunk = 500
	data := blob("progress-", 20000)
	path := af.add(fakeFile{data: data, name: "big.png", mime: "image/png", w: 10, h: 10, thumb: blob("t", 1000)})
	v, err := a.c.SendMessage(context.Background(), core.SendParams{SessionID: "bob", Type: proto.MsgImage, Path: path})
	if err != nil {
		t.Fatal(err)
	}
	// The events of the message, in order: will, progress…1, upload
	// success, finish.
	a.mu.Lock()
	var seq []string
	var ps []float64
	for _, e := range a.events {
		m, ok := e.Data.(core.MessageEvent)
		if !ok || m.Message == nil || m.Message.MessageID != v.MessageID {
			continue
		}
		if m.EventType == "sendMessageProgress" {
			ps = append(ps, *m.Progress)
			if len(seq) == 0 || seq[len(seq)-1] != "progress" {
				seq = append(seq, "progress")
			}
			continue
		}
		seq = append(seq, m.EventType)
	}
	a.mu.Unlock()
	if got := strings.Join(seq, " "); got != "willSendMessage progress uploadAttachmentSuccess sendMessageFinish" {
		t.Fatalf("events %s", got)
	}
	if len(ps) < 5 || ps[len(ps)-1] != 1 {
		t.Fatalf("progress %v: want several, ending at 1", ps)
	}
	for i := 1; i < len(ps); i++ {
		if ps[i] <= ps[i-1] {
			t.Fatalf("progress not rising: %v", ps)
		}
	}
	up := msgEvents(a, "uploadAttachmentSuccess", v.MessageID)
	url, _ := body(t, *v)["url"].(string)
	if up[0].URLString != url || url == "" {
		t.Fatalf("uploadAttachmentSuccess urlString %q, body url %q", up[0].URLString, url)
	}

	// Bob downloads it: the file is kept, the message gets its path and
	// download state, and bob hears the progress and the finish.
	receivedMsg(b, v.MessageID)
	p, err := b.c.Download(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(p, "obj:") || md5hex(bf.keptData(strings.TrimPrefix(p, "obj:"))) != md5hex(data) {
		t.Fatalf("download path %q: kept bytes differ", p)
	}
	fin := msgEvents(b, "fetchMessageAttachmentFinish", v.MessageID)
	if len(fin) != 1 || fin[0].Success == nil || !*fin[0].Success || fin[0].URLString != url ||
		fin[0].Message.AttachmentDownloadState != core.DownloadDone {
		t.Fatalf("fetchMessageAttachmentFinish %+v", fin)
	}
	prog := msgEvents(b, "fetchMessageAttachmentProgress", v.MessageID)
	if len(prog) < 2 || *prog[len(prog)-1].Progress != 1 {
		t.Fatalf("fetchMessageAttachmentProgress: %d events", len(prog))
	}
	ms := b.messages("alice", 10)
	if len(ms) != 1 || ms[0].AttachmentDownloadState != core.DownloadDone || body(t, ms[0])["path"] != p {
		t.Fatalf("bob's message after the download: %+v %s", ms, ms[0].Body)
	}

	// A url that is not there: 404, the message (none here) untouched.
	missing := url[:strings.Index(url, "/files/")] + "/files/00000000000000000000000000000000/x"
	if _, err := b.c.Download(context.Background(), missing); err == nil || core.AsError(err).Code != proto.CodeNotFound {
		t.Fatalf("download of a missing file: %v", err)
	}
	if _, err := b.c.Download(context.Background(), "fs://x"); err == nil || core.AsError(err).Code != proto.CodeBadParam ||
		!strings.Contains(err.Error(), "urlString") {
		t.Fatalf("download of fs://: %v", err)
	}
}

func TestUserUpload(t *testing.T) {
	_, a, _ := aliceAndBob(t, false)
	af := withFiles(a)
	data := blob("avatar", 4000)
	path := af.add(fakeFile{data: data, name: "me.jpg", mime: "image/jpeg"})
	var last, total int64
	u, err := a.c.Upload(context.Background(), path, func(sent, tot int64) { last, total = sent, tot })
	if err != nil {
		t.Fatal(err)
	}
	if last != int64(len(data)) || total != int64(len(data)) {
		t.Fatalf("progress ended at %d/%d", last, total)
	}
	if md5hex(fetch(t, u)) != md5hex(data) {
		t.Fatal("uploaded bytes differ")
	}
	for _, p := range []string{"", "fs://a.png", "widget://a.png", "/tmp/a.png"} {
		_, err := a.c.Upload(context.Background(), p, nil)
		if e := core.AsError(err); e.Code != proto.CodeBadParam || !strings.Contains(e.Msg, "filepath") {
			t.Fatalf("upload %q: %v", p, err)
		}
	}
	if _, err := a.c.Upload(context.Background(), "blob:test/none", nil); core.AsError(err).Code != proto.CodeBadParam {
		t.Fatalf("upload of an unreadable blob: %v", err)
	}
	if err := a.c.CancelTask(context.Background(), path); core.AsError(err).Code != proto.CodeNotFound {
		t.Fatalf("cancelTask with nothing running: %v", err)
	}
}

// TestSendRecordedVoice: a MediaRecorder Blob's type carries parameters
// ("audio/webm;codecs=opus"); it is sent as its bare type.
func TestSendRecordedVoice(t *testing.T) {
	_, a, b := aliceAndBob(t, false)
	af := withFiles(a)
	data := blob("recorded voice", 5000)
	path := af.add(fakeFile{data: data, name: "", mime: "audio/webm;codecs=opus", dur: 1200})
	v, err := a.c.SendMessage(context.Background(), core.SendParams{SessionID: "bob", Type: proto.MsgAudio, Path: path})
	if err != nil {
		t.Fatalf("sending a recorded voice note: %v", err)
	}
	u, _ := body(t, receivedMsg(b, v.MessageID))["url"].(string)
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "audio/webm" {
		t.Fatalf("served as %q, want audio/webm", ct)
	}
}
