//go:build js && wasm

package main

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hack-pad/safejs"

	"yunxin/core"
	"yunxin/proto"
)

// The file edge in headless Chromium: files made in the page (a canvas PNG,
// a WAV built byte by byte, a MediaRecorder WebM, random bytes), probed,
// kept, downloaded and uploaded through the loader's hooks.files, with
// their bytes read back independently (fetch of the path, one copy) to
// check md5s and contents.

// fixtures are the page-side helpers; each returns a Promise.
const fixtures = `
var files = __yunxinIM_hooks.files;
function canvas(w, h) {
  var c = document.createElement('canvas'); c.width = w; c.height = h;
  var g = c.getContext('2d');
  g.fillStyle = '#c33'; g.fillRect(0, 0, w, h);
  g.fillStyle = '#3c3'; g.fillRect(w / 4, h / 4, w / 2, h / 2);
  return c;
}
globalThis.__fx = {
  image: function (w, h, type) {
    return new Promise(function (res) { canvas(w, h).toBlob(function (b) { res(files.url(b)); }, type); });
  },
  // random: n random bytes as a File named name (a Blob when name is '').
  random: function (n, name, type) {
    var parts = [];
    for (var off = 0; off < n; off += 65536) {
      var a = new Uint8Array(Math.min(65536, n - off)); crypto.getRandomValues(a); parts.push(a);
    }
    var b = name ? new File(parts, name, { type: type || '' }) : new Blob(parts, { type: type || '' });
    return Promise.resolve(files.url(b));
  },
  text: function (s, type) { return Promise.resolve(files.url(new Blob([s], { type: type }))); },
  // wav: ms of a 440 Hz tone, 8 kHz mono 16-bit PCM.
  wav: function (ms) {
    var n = Math.round(8000 * ms / 1000), buf = new ArrayBuffer(44 + 2 * n), v = new DataView(buf);
    function s(o, t) { for (var i = 0; i < t.length; i++) v.setUint8(o + i, t.charCodeAt(i)); }
    s(0, 'RIFF'); v.setUint32(4, 36 + 2 * n, true); s(8, 'WAVE'); s(12, 'fmt ');
    v.setUint32(16, 16, true); v.setUint16(20, 1, true); v.setUint16(22, 1, true);
    v.setUint32(24, 8000, true); v.setUint32(28, 16000, true); v.setUint16(32, 2, true); v.setUint16(34, 16, true);
    s(36, 'data'); v.setUint32(40, 2 * n, true);
    for (var i = 0; i < n; i++) v.setInt16(44 + 2 * i, Math.round(8000 * Math.sin(2 * Math.PI * 440 * i / 8000)), true);
    return Promise.resolve(files.url(new Blob([buf], { type: 'audio/wav' })));
  },
  // recordType: the video type MediaRecorder records here, WebM where it
  // can (Chromium, Firefox), else MP4 (WebKit); '' where it records neither.
  recordType: function () {
    if (typeof MediaRecorder !== 'function') return Promise.resolve('');
    var t = ['video/webm', 'video/mp4'].filter(function (t) { return MediaRecorder.isTypeSupported(t); });
    return Promise.resolve(t.length ? t[0] : '');
  },
  // webm: ms of an animated canvas recorded by MediaRecorder, as recordType;
  // '' if the recording is empty (WebKitGTK without an H.264 encoder).
  webm: function (ms) {
    var type = ['video/webm', 'video/mp4'].filter(function (t) { return MediaRecorder.isTypeSupported(t); })[0];
    var c = canvas(160, 120), g = c.getContext('2d'), i = 0, chunks = [];
    var rec = new MediaRecorder(c.captureStream(25), { mimeType: type });
    rec.ondataavailable = function (e) { if (e.data.size) chunks.push(e.data); };
    var t = setInterval(function () { g.fillStyle = 'hsl(' + (i++ * 25 % 360) + ',80%,50%)'; g.fillRect(0, 0, 160, 120); }, 40);
    return new Promise(function (res) {
      rec.onstop = function () {
        clearInterval(t);
        var b = new Blob(chunks, { type: type });
        res(b.size ? files.url(b) : '');
      };
      rec.start(100);
      setTimeout(function () { rec.stop(); }, ms);
    });
  },
  bytes: function (path) {
    return fetch(path).then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.arrayBuffer(); })
      .then(function (b) { return new Uint8Array(b); });
  },
  revoked: function () { var u = URL.createObjectURL(new Blob(['gone'])); URL.revokeObjectURL(u); return Promise.resolve(u); },
  durationOf: function (path) {
    return new Promise(function (res) {
      var a = document.createElement('video'); a.onloadedmetadata = function () { res(String(a.duration)); }; a.src = path;
    });
  }
};
return true;`

var fixturesOnce sync.Once

// edge returns the file edge over the loader's hooks.files, with the
// fixtures defined.
func edge(t *testing.T) *browserFiles {
	t.Helper()
	hooks := startLoader(t)
	fixturesOnce.Do(func() { eval(t, fixtures) })
	f, err := newFiles(hooks)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// jsAwait runs src (a function body returning a promise) and awaits its value.
func jsAwait(t *testing.T, src string) safejs.Value {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	v, err := awaitPromise(ctx, eval(t, src))
	if err != nil {
		t.Fatalf("%s: %v", src, err)
	}
	return v
}

// fetchFailure is the message of this browser's TypeError for a fetch of
// url that fails ("Failed to fetch" in Chromium, "Load failed" in WebKit).
func fetchFailure(t *testing.T, url string) string {
	t.Helper()
	safejs.Global().Set("__url", url)
	m := jsString(t, `return fetch(__url).then(() => "fetched", (e) => e.message)`)
	if m == "fetched" || m == "" {
		t.Fatalf("fetch(%s) = %q, want a failure", url, m)
	}
	return m
}

func jsString(t *testing.T, src string) string {
	t.Helper()
	s, err := jsAwait(t, src).String()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// bytesOf reads path in the page (fetch) and copies it into Go at once.
func bytesOf(t *testing.T, path string) []byte {
	t.Helper()
	safejs.Global().Set("__path", path)
	a := jsAwait(t, `return __fx.bytes(__path)`)
	n, _ := a.Length()
	b := make([]byte, n)
	if _, err := safejs.CopyBytesToGo(b, a); err != nil {
		t.Fatal(err)
	}
	return b
}

func md5hex(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func wantCode(t *testing.T, err error, code int, msg string) {
	t.Helper()
	var e *core.Error
	if !errors.As(err, &e) || e.Code != code || !strings.Contains(e.Msg, msg) {
		t.Errorf("err = %v, want %d containing %q", err, code, msg)
	}
}

func TestProbeImage(t *testing.T) {
	f := edge(t)
	path := jsString(t, `return __fx.image(300, 200, 'image/png')`)
	b := bytesOf(t, path)
	info, err := f.Probe(ctx(t), "path", path, proto.MsgImage)
	if err != nil {
		t.Fatal(err)
	}
	want := core.FileInfo{Name: "image.png", Ext: "png", Size: int64(len(b)), Mime: "image/png", MD5: md5hex(b),
		W: 300, H: 200, Thumb: info.Thumb, ThumbW: 256, ThumbH: 171}
	if info != want || !strings.HasPrefix(info.Thumb, "blob:") {
		t.Errorf("probe\n got %+v\nwant %+v", info, want)
	}
	// The thumbnail is a PNG (the source may be transparent) of that size.
	th, err := f.Probe(ctx(t), "thumb", info.Thumb, proto.MsgImage)
	if err != nil || th.W != 256 || th.H != 171 || th.Mime != "image/png" || th.Size == 0 {
		t.Errorf("thumbnail %+v %v", th, err)
	}
	// A small JPEG: its thumbnail is a JPEG, not enlarged.
	path = jsString(t, `return __fx.image(100, 40, 'image/jpeg')`)
	info, err = f.Probe(ctx(t), "path", path, proto.MsgImage)
	if err != nil || info.W != 100 || info.H != 40 || info.Ext != "jpg" || info.ThumbW != 100 || info.ThumbH != 40 {
		t.Fatalf("jpeg %+v %v", info, err)
	}
	if th, err := f.Probe(ctx(t), "thumb", info.Thumb, proto.MsgImage); err != nil || th.Mime != "image/jpeg" {
		t.Errorf("jpeg thumbnail %+v %v", th, err)
	}
}

// TestProbeMD5InChunks: a file of several md5 chunks, not a multiple of
// the chunk size, hashes like its bytes; a File keeps its name.
func TestProbeMD5InChunks(t *testing.T) {
	f := edge(t)
	path := jsString(t, `return __fx.random(5 * 524288 + 7, 'Report 2024.PDF', 'application/pdf')`)
	b := bytesOf(t, path)
	info, err := f.Probe(ctx(t), "path", path, proto.MsgFile)
	want := core.FileInfo{Name: "Report 2024.PDF", Ext: "pdf", Size: 5*524288 + 7, Mime: "application/pdf", MD5: md5hex(b)}
	if err != nil || info != want {
		t.Errorf("probe %v\n got %+v\nwant %+v", err, info, want)
	}
	// An unnamed Blob without a type: named by kind, octet-stream.
	path = jsString(t, `return __fx.random(10, '', '')`)
	info, err = f.Probe(ctx(t), "path", path, proto.MsgFile)
	if err != nil || info.Name != "file" || info.Ext != "" || info.Mime != "application/octet-stream" || info.Size != 10 {
		t.Errorf("blob %+v %v", info, err)
	}
	// A data: URL.
	info, err = f.Probe(ctx(t), "path", "data:text/plain;base64,aGVsbG8=", proto.MsgFile)
	if err != nil || info.Size != 5 || info.MD5 != md5hex([]byte("hello")) || info.Name != "file.txt" || !strings.HasPrefix(info.Mime, "text/plain") {
		t.Errorf("data: URL %+v %v", info, err)
	}
	// An http(s) URL: named by its last path segment.
	info, err = f.Probe(ctx(t), "path", "/wasm_exec.js?v=1", proto.MsgFile)
	if err != nil || info.Name != "wasm_exec.js" || info.Ext != "js" || info.Size < 1000 || info.MD5 != md5hex(bytesOf(t, "/wasm_exec.js?v=1")) {
		t.Errorf("http URL %+v %v", info, err)
	}
}

func TestProbeWAV(t *testing.T) {
	f := edge(t)
	path := jsString(t, `return __fx.wav(1500)`)
	info, err := f.Probe(ctx(t), "path", path, proto.MsgAudio)
	if err != nil {
		t.Fatal(err)
	}
	if info.Duration < 1490 || info.Duration > 1510 || info.Mime != "audio/wav" || info.Name != "audio.wav" || info.Size != 44+2*12000 {
		t.Errorf("wav %+v", info)
	}
}

// TestProbeWebM: MediaRecorder's WebM says duration Infinity until scanned;
// the probe finds the real one, the size and a cover frame. Where the
// browser records MP4 instead (WebKit), the same holds for its MP4.
func TestProbeWebM(t *testing.T) {
	f := edge(t)
	typ := jsString(t, `return __fx.recordType()`)
	if typ == "" {
		t.Fatal("MediaRecorder cannot record video/webm nor video/mp4 in this browser")
	}
	wantName := "video." + strings.TrimPrefix(typ, "video/")
	path := jsString(t, `return __fx.webm(1200)`)
	if path == "" {
		// WebKitGTK records MP4 with GStreamer's H.264 encoder, which
		// Debian ships in gstreamer1.0-plugins-ugly (x264enc).
		t.Skipf("MediaRecorder recorded an empty %s here: no encoder for it", typ)
	}
	safejs.Global().Set("__path", path)
	t.Logf("the recording's duration before a scan: %s", jsString(t, `return __fx.durationOf(__path)`))
	info, err := f.Probe(ctx(t), "path", path, proto.MsgVideo)
	if err != nil {
		t.Fatal(err)
	}
	if info.Duration < 800 || info.Duration > 2000 || info.W != 160 || info.H != 120 || info.Name != wantName {
		t.Errorf("%s: %+v", typ, info)
	}
	cover, err := f.Probe(ctx(t), "cover", info.Thumb, proto.MsgImage)
	if err != nil || cover.W != 160 || cover.H != 120 || cover.Mime != "image/jpeg" || info.ThumbW != 160 {
		t.Errorf("cover %+v %v (video %+v)", cover, err, info)
	}
	// Audio is no video: a WAV has no picture.
	wav := jsString(t, `return __fx.wav(300)`)
	_, err = f.Probe(ctx(t), "path", wav, proto.MsgVideo)
	wantCode(t, err, 414, "parameter path cannot be decoded as a video: it has no picture")
}

func TestBadPaths(t *testing.T) {
	f := edge(t)
	const app = ": fs:// and widget:// are APICloud app paths; in a browser pass a File or Blob " +
		"(e.g. from <input type=file>), a blob: or data: URL, or an http(s) URL"
	for _, p := range []string{"fs://pic/a.png", "widget://res/a.png", "FS://A.PNG"} {
		_, err := f.Probe(ctx(t), "path", p, proto.MsgImage)
		var e *core.Error
		if !errors.As(err, &e) || e.Code != 414 || e.Msg != "parameter path"+app {
			t.Errorf("%s: %v", p, err)
		}
		_, err = f.Upload(ctx(t), p, "/__upload", "tok", "image/png", nil)
		wantCode(t, err, 414, app)
		_, err = f.Download(ctx(t), p, "k", nil)
		wantCode(t, err, 414, "parameter urlString"+app)
		wantCode(t, f.Keep(ctx(t), p, "k"), 414, app)
	}
	_, err := f.Probe(ctx(t), "filepath", "", proto.MsgFile)
	wantCode(t, err, 414, "parameter filepath must be a File, a Blob or a URL")
	revoked := jsString(t, `return __fx.revoked()`)
	_, err = f.Probe(ctx(t), "path", revoked, proto.MsgFile)
	wantCode(t, err, 414, "parameter path cannot be read: "+fetchFailure(t, revoked))
	_, err = f.Probe(ctx(t), "path", "/no-such-file.png", proto.MsgImage)
	wantCode(t, err, 414, "parameter path cannot be read: HTTP 404")
	_, err = f.Probe(ctx(t), "path", "key:nothing/here", proto.MsgImage)
	wantCode(t, err, 414, "parameter path cannot be read: no file is kept under nothing/here")
	text := jsString(t, `return __fx.text('not a picture', 'image/png')`)
	_, err = f.Probe(ctx(t), "path", text, proto.MsgImage)
	wantCode(t, err, 414, "parameter path cannot be decoded as an image: ")
	_, err = f.Probe(ctx(t), "path", text, proto.MsgAudio)
	wantCode(t, err, 414, "parameter path cannot be decoded as audio: the browser cannot decode it")
	_, err = f.Probe(ctx(t), "path", text, proto.MsgVideo)
	wantCode(t, err, 414, "parameter path cannot be decoded as a video")
	// The same text is a fine file.
	if info, err := f.Probe(ctx(t), "path", text, proto.MsgFile); err != nil || info.Size != 13 {
		t.Errorf("text as a file: %+v %v", info, err)
	}
}

// TestKeepPathRemove: a kept file outlives a re-open of the store; Path
// answers the same URL until then; Remove forgets it and revokes its path.
func TestKeepPathRemove(t *testing.T) {
	f := edge(t)
	src := jsString(t, `return __fx.random(200000, 'clip.bin')`)
	b := bytesOf(t, src)
	if err := f.Keep(ctx(t), src, "alice/m1/path"); err != nil {
		t.Fatal(err)
	}
	p1, err := f.Path(ctx(t), "alice/m1/path")
	if err != nil || !strings.HasPrefix(p1, "blob:") || p1 == src {
		t.Fatalf("path %q %v", p1, err)
	}
	if again, _ := f.Path(ctx(t), "alice/m1/path"); again != p1 {
		t.Errorf("path changed: %s then %s", p1, again)
	}
	if md5hex(bytesOf(t, p1)) != md5hex(b) {
		t.Error("the kept file's bytes differ")
	}
	// key: paths read the store: a kept file can be probed (and uploaded).
	if info, err := f.Probe(ctx(t), "path", "key:alice/m1/path", proto.MsgFile); err != nil || info.MD5 != md5hex(b) || info.Name != "clip.bin" {
		t.Errorf("probe of a kept file %+v %v", info, err)
	}
	jsAwait(t, `return __yunxinIM_hooks.files.close()`)
	p2, err := f.Path(ctx(t), "alice/m1/path")
	if err != nil || p2 == "" || p2 == p1 || md5hex(bytesOf(t, p2)) != md5hex(b) {
		t.Fatalf("after a re-open: %q %v", p2, err)
	}
	if p, err := f.Path(ctx(t), "never/kept"); p != "" || err != nil {
		t.Errorf("path of nothing: %q %v", p, err)
	}
	if err := f.Remove(ctx(t), []string{"alice/m1/path", "never/kept"}); err != nil {
		t.Fatal(err)
	}
	if p, err := f.Path(ctx(t), "alice/m1/path"); p != "" || err != nil {
		t.Errorf("path after remove: %q %v", p, err)
	}
	safejs.Global().Set("__path", p2)
	if got := jsString(t, `return __fx.bytes(__path).then(function () { return 'read'; }, function () { return 'revoked'; })`); got != "revoked" {
		t.Errorf("the removed file's path still reads: %s", got)
	}
	if err := f.Remove(ctx(t), nil); err != nil {
		t.Error(err)
	}
}

// progressLog records progress reports and checks they only grow.
type progressLog struct {
	t     *testing.T
	n     []int64
	total int64
}

func (l *progressLog) add(n, total int64) {
	if len(l.n) > 0 && n < l.n[len(l.n)-1] {
		l.t.Errorf("progress went back: %d after %v", n, l.n)
	}
	l.n = append(l.n, n)
	l.total = total
}

func (l *progressLog) last() int64 {
	if len(l.n) == 0 {
		return -1
	}
	return l.n[len(l.n)-1]
}

func TestDownload(t *testing.T) {
	f := edge(t)
	// a blob: URL, kept under a key
	src := jsString(t, `return __fx.random(300000, '')`)
	b := bytesOf(t, src)
	l := &progressLog{t: t}
	p, err := f.Download(ctx(t), src, "dl/blob", l.add)
	if err != nil || !strings.HasPrefix(p, "blob:") || md5hex(bytesOf(t, p)) != md5hex(b) {
		t.Fatalf("download of a blob: URL: %q %v", p, err)
	}
	if l.last() != 300000 {
		t.Errorf("progress %v, want it to end at 300000", l.n)
	}
	if kept, _ := f.Path(ctx(t), "dl/blob"); kept != p {
		t.Errorf("kept path %q, download answered %q", kept, p)
	}
	// a data: URL, not kept
	l = &progressLog{t: t}
	p, err = f.Download(ctx(t), "data:application/octet-stream;base64,AAECAwQFBgcICQ==", "", l.add)
	if got := bytesOf(t, p); err != nil || len(got) != 10 || got[9] != 9 || l.last() != 10 {
		t.Errorf("download of a data: URL: %q %v %v progress %v", p, err, got, l.n)
	}
	// http, with a Content-Length: the total is known. Served slowly
	// (wasmbrowser's ?slow=1): at full speed an engine may hand the whole
	// body over before the progress reports run (WebKit does).
	want := md5hex(bytesOf(t, "/program.wasm"))
	l = &progressLog{t: t}
	p, err = f.Download(ctx(t), "/program.wasm?slow=1", "dl/wasm", l.add)
	if err != nil || md5hex(bytesOf(t, p)) != want {
		t.Fatalf("download over http: %v", err)
	}
	if l.total <= 0 || l.last() != l.total || len(l.n) < 2 {
		t.Errorf("http progress %d reports ending at %d of %d", len(l.n), l.last(), l.total)
	}
	_, err = f.Download(ctx(t), "/no-such-file", "dl/x", nil)
	wantCode(t, err, 404, "download failed: HTTP 404")
	_, err = f.Download(ctx(t), "http://127.0.0.1:1/x", "dl/x", nil)
	wantCode(t, err, 415, "download failed")
	_, err = f.Download(ctx(t), jsString(t, `return __fx.revoked()`), "dl/x", nil)
	wantCode(t, err, 414, "parameter urlString cannot be read")
	// canceled midway: ctx's error, nothing kept
	c, cancel := context.WithCancel(ctx(t))
	_, err = f.Download(c, "/program.wasm", "dl/canceled", func(int64, int64) { cancel() })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("canceled download: %v", err)
	}
	if p, _ := f.Path(ctx(t), "dl/canceled"); p != "" {
		t.Errorf("a canceled download was kept: %s", p)
	}
	f.Remove(ctx(t), []string{"dl/blob", "dl/wasm"})
}

func TestUpload(t *testing.T) {
	f := edge(t)
	const size = 3<<20 + 5
	src := jsString(t, `return __fx.random(3 * 1048576 + 5, 'big.bin')`)
	b := bytesOf(t, src)
	l := &progressLog{t: t}
	resp, err := f.Upload(ctx(t), src, "/__upload", "tok", "application/x-test", l.add)
	if err != nil {
		t.Fatal(err)
	}
	if resp.MD5 != md5hex(b) || resp.Size != size || resp.Mime != "application/x-test" || !strings.Contains(resp.URL, "/__files/") {
		t.Errorf("upload answer %+v", resp)
	}
	if l.last() != size || l.total != size {
		t.Errorf("progress %v of %d, want it to end at %d", l.n, l.total, size)
	}
	// a kept file uploads from the store
	if err := f.Keep(ctx(t), src, "up/k"); err != nil {
		t.Fatal(err)
	}
	if resp, err := f.Upload(ctx(t), "key:up/k", "/__upload", "tok", "", nil); err != nil || resp.MD5 != md5hex(b) {
		t.Errorf("upload of a kept file %+v %v", resp, err)
	}
	f.Remove(ctx(t), []string{"up/k"})
	small := jsString(t, `return __fx.text('hello', 'text/plain')`)
	_, err = f.Upload(ctx(t), small, "/__upload", "wrong", "text/plain", nil)
	wantCode(t, err, 403, "bad upload token")
	_, err = f.Upload(ctx(t), small, "/__upload?fail=414", "tok", "text/plain", nil)
	wantCode(t, err, 414, "refused by the test server")
	_, err = f.Upload(ctx(t), small, "/no-such-endpoint", "tok", "text/plain", nil)
	wantCode(t, err, 404, "upload failed: HTTP 404")
	_, err = f.Upload(ctx(t), small, "/", "tok", "text/plain", nil)
	wantCode(t, err, 500, "not an upload result")
	_, err = f.Upload(ctx(t), small, "http://127.0.0.1:1/__upload", "tok", "text/plain", nil)
	wantCode(t, err, 415, "upload failed")
	_, err = f.Upload(ctx(t), jsString(t, `return __fx.revoked()`), "/__upload", "tok", "", nil)
	wantCode(t, err, 414, "cannot be read")
	// canceled midway (the server reads slowly): ctx's error, no progress after
	big := jsString(t, `return __fx.random(16 * 1048576, '')`)
	c, cancel := context.WithCancel(ctx(t))
	var mu sync.Mutex
	returned := false
	_, err = f.Upload(c, big, "/__upload?slow=1", "tok", "", func(n, total int64) {
		mu.Lock()
		defer mu.Unlock()
		if returned {
			t.Error("progress after Upload returned")
		}
		if n > 0 {
			cancel()
		}
	})
	mu.Lock()
	returned = true
	mu.Unlock()
	if !errors.Is(err, context.Canceled) {
		t.Errorf("canceled upload: %v", err)
	}
	time.Sleep(100 * time.Millisecond) // room for a late report to show up
}

// stallTimeout sets hooks.files.stallTimeout (ms) for the test.
func stallTimeout(t *testing.T, ms int) {
	t.Helper()
	files := jsAwait(t, `return Promise.resolve(__yunxinIM_hooks.files)`)
	old, _ := files.Get("stallTimeout")
	files.Set("stallTimeout", ms)
	t.Cleanup(func() { files.Set("stallTimeout", old) })
}

// TestStalledServer: reading an http(s) path or downloading from a server
// that sends no headers, or headers and then no bytes, ends with a 415
// after stallTimeout, not never; canceling ctx ends a read at once.
func TestStalledServer(t *testing.T) {
	f := edge(t)
	stallTimeout(t, 300)
	for _, u := range []string{"/__stall", "/__stall?body=1"} {
		start := time.Now()
		_, err := f.Probe(ctx(t), "path", u, proto.MsgImage)
		wantCode(t, err, 415, "cannot read path: no answer from the server")
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("%s: the stalled read took %v", u, d)
		}
		_, err = f.Upload(ctx(t), u, "/__upload", "tok", "", nil)
		wantCode(t, err, 415, "cannot read path: no answer from the server")
		_, err = f.Download(ctx(t), u, "dl/stall", nil)
		wantCode(t, err, 415, "download failed: no answer from the server")
	}
	// Progress re-arms the timer: a download slower than the timeout in
	// total but never silent that long completes.
	stallTimeout(t, 5000)
	if _, err := f.Download(ctx(t), "/program.wasm", "", nil); err != nil {
		t.Errorf("download with a stall timeout: %v", err)
	}
	// Without a stall timeout, ctx alone ends the read (and aborts the fetch).
	stallTimeout(t, 0)
	c, cancel := context.WithTimeout(ctx(t), 300*time.Millisecond)
	defer cancel()
	_, err := f.Probe(c, "path", "/__stall", proto.MsgImage)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("canceled read of a stalled server: %v", err)
	}
}

// TestNetworkErrorReadingPath: an http(s) path whose server cannot be
// reached is a 415 (network), as in Download; a revoked blob: URL stays 414.
func TestNetworkErrorReadingPath(t *testing.T) {
	f := edge(t)
	_, err := f.Probe(ctx(t), "path", "http://127.0.0.1:1/a.png", proto.MsgImage)
	wantCode(t, err, 415, "cannot read path: "+fetchFailure(t, "http://127.0.0.1:1/a.png"))
	_, err = f.Upload(ctx(t), "http://127.0.0.1:1/a.bin", "/__upload", "tok", "", nil)
	wantCode(t, err, 415, "cannot read path")
	wantCode(t, f.Keep(ctx(t), "http://127.0.0.1:1/a.bin", "k/net"), 415, "cannot read path")
	_, err = f.Probe(ctx(t), "path", jsString(t, `return __fx.revoked()`), proto.MsgFile)
	wantCode(t, err, 414, "parameter path cannot be read")
}

// TestDownloadKeepFails: when the kept-file store refuses the file (quota,
// private mode), the download still answers: an object URL of the Blob.
func TestDownloadKeepFails(t *testing.T) {
	f := edge(t)
	src := jsString(t, `return __fx.random(5000, '')`)
	b := bytesOf(t, src)
	eval(t, `var fs = __yunxinIM_hooks.files; fs.__keep = fs.keep;
fs.keep = function () { var e = new Error('the quota is exceeded'); e.name = 'QuotaExceededError'; return Promise.reject(e); };`)
	p, err := f.Download(ctx(t), src, "dl/quota", nil)
	eval(t, `var fs = __yunxinIM_hooks.files; fs.keep = fs.__keep;`)
	if err != nil || !strings.HasPrefix(p, "blob:") || md5hex(bytesOf(t, p)) != md5hex(b) {
		t.Fatalf("download when keeping fails: %q %v", p, err)
	}
	if kept, _ := f.Path(ctx(t), "dl/quota"); kept != "" {
		t.Errorf("a file that could not be kept has a path: %s", kept)
	}
}

// TestProbedDurationBounds: a duration the browser reports that is no
// duration (the seek target after the WebM scan, over a day, negative,
// NaN) becomes 0; a fractional one is rounded.
func TestProbedDurationBounds(t *testing.T) {
	f := edge(t)
	wav := jsString(t, `return __fx.wav(100)`)
	eval(t, `var fs = __yunxinIM_hooks.files; fs.__probe = fs.probe;
fs.probe = function () { return Promise.resolve({ duration: globalThis.__duration }); };`)
	defer eval(t, `var fs = __yunxinIM_hooks.files; fs.probe = fs.__probe;`)
	for _, c := range []struct {
		js   string
		want int64
	}{
		{"1e104", 0}, {"Infinity", 0}, {"NaN", 0}, {"-5", 0}, {"25 * 3600 * 1000", 0},
		{"24 * 3600 * 1000", 24 * 3600 * 1000}, {"1500.6", 1501}, {"0", 0},
	} {
		eval(t, `globalThis.__duration = `+c.js+`;`)
		info, err := f.Probe(ctx(t), "path", wav, proto.MsgAudio)
		if err != nil || info.Duration != c.want {
			t.Errorf("duration %s: got %d %v, want %d", c.js, info.Duration, err, c.want)
		}
	}
}

// TestKeepAgainRevokesOldPath: keeping another file under a key revokes
// the key's earlier path; the new path reads the new file.
func TestKeepAgainRevokesOldPath(t *testing.T) {
	f := edge(t)
	a := jsString(t, `return __fx.random(1000, '')`)
	b := jsString(t, `return __fx.random(2000, '')`)
	if err := f.Keep(ctx(t), a, "again/k"); err != nil {
		t.Fatal(err)
	}
	p1, err := f.Path(ctx(t), "again/k")
	if err != nil || p1 == "" {
		t.Fatalf("path %q %v", p1, err)
	}
	if err := f.Keep(ctx(t), b, "again/k"); err != nil {
		t.Fatal(err)
	}
	safejs.Global().Set("__path", p1)
	if got := jsString(t, `return __fx.bytes(__path).then(function () { return 'read'; }, function () { return 'revoked'; })`); got != "revoked" {
		t.Errorf("the replaced file's path still reads: %s", got)
	}
	p2, err := f.Path(ctx(t), "again/k")
	if err != nil || p2 == p1 || md5hex(bytesOf(t, p2)) != md5hex(bytesOf(t, b)) {
		t.Errorf("path after keeping again: %q %v", p2, err)
	}
	f.Remove(ctx(t), []string{"again/k"})
}

// TestProgressPanicDoesNotKill: a progress function that panics is
// reported on the console and dropped; the transfer completes and the
// program lives on (a panic on the pump's goroutine would end it).
func TestProgressPanicDoesNotKill(t *testing.T) {
	f := edge(t)
	calls := 0
	boom := func(int64, int64) { calls++; panic("progress exploded") }
	p, err := f.Download(ctx(t), "/program.wasm", "", boom)
	if err != nil || !strings.HasPrefix(p, "blob:") {
		t.Errorf("download with a panicking progress: %q %v", p, err)
	}
	small := jsString(t, `return __fx.text('hello', 'text/plain')`)
	if _, err := f.Upload(ctx(t), small, "/__upload", "tok", "text/plain", boom); err != nil {
		t.Errorf("upload with a panicking progress: %v", err)
	}
	if calls != 2 {
		t.Errorf("the panicking progress ran %d times, want once per transfer", calls)
	}
}
