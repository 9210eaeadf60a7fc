package e2e

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"fmt"
)

// mediaJS defines window.media in a test page: files made the way a page
// makes them, for the attachment tests.
//
//	media.png(w, h)        Promise<Blob>  a PNG drawn on a canvas (canvas.toBlob)
//	media.wav(ms)          Blob           a 16-bit mono 8 kHz WAV of ms milliseconds
//	media.webm(ms)         Promise<Blob>  a WebM recorded from a canvas with MediaRecorder
//	media.file(n, name)    File           n bytes of a fixed pattern, as if picked with <input type=file>
//	media.b64(blobOrURL)   Promise<string> the bytes, base64 (a URL is fetched)
const mediaJS = `window.media = {
  png: function (w, h) {
    return new Promise(function (res) {
      var c = document.createElement('canvas'); c.width = w; c.height = h;
      var g = c.getContext('2d');
      g.fillStyle = '#3a7'; g.fillRect(0, 0, w, h);
      g.fillStyle = '#e33'; g.fillRect(4, 4, w / 2, h / 2);
      c.toBlob(res, 'image/png');
    });
  },
  wav: function (ms) {
    var rate = 8000, n = Math.round(rate * ms / 1000);
    var buf = new ArrayBuffer(44 + n * 2), v = new DataView(buf);
    var w = function (o, s) { for (var i = 0; i < s.length; i++) v.setUint8(o + i, s.charCodeAt(i)); };
    w(0, 'RIFF'); v.setUint32(4, 36 + n * 2, true); w(8, 'WAVE'); w(12, 'fmt ');
    v.setUint32(16, 16, true); v.setUint16(20, 1, true); v.setUint16(22, 1, true);
    v.setUint32(24, rate, true); v.setUint32(28, rate * 2, true); v.setUint16(32, 2, true); v.setUint16(34, 16, true);
    w(36, 'data'); v.setUint32(40, n * 2, true);
    for (var i = 0; i < n; i++) v.setInt16(44 + i * 2, Math.round(Math.sin(i / 5) * 8000), true);
    return new Blob([buf], {type: 'audio/wav'});
  },
  webm: async function (ms) {
    var c = document.createElement('canvas'); c.width = 160; c.height = 120;
    var g = c.getContext('2d'), f = 0;
    var paint = function () { g.fillStyle = 'hsl(' + (f++ * 37 % 360) + ',80%,50%)'; g.fillRect(0, 0, 160, 120); };
    paint();
    var rec = new MediaRecorder(c.captureStream(25), {mimeType: 'video/webm'});
    var chunks = [];
    rec.ondataavailable = function (e) { if (e.data && e.data.size) chunks.push(e.data); };
    var timer = setInterval(paint, 40);
    rec.start(100);
    await new Promise(function (r) { setTimeout(r, ms); });
    var stopped = new Promise(function (r) { rec.onstop = r; });
    rec.stop();
    await stopped;
    clearInterval(timer);
    return new Blob(chunks, {type: 'video/webm'});
  },
  file: function (n, name) {
    var b = new Uint8Array(n);
    for (var i = 0; i < n; i++) b[i] = (i * 131 + 7) & 255;
    return new File([b], name, {type: 'application/octet-stream'});
  },
  b64: async function (x) {
    var blob = x instanceof Blob ? x : await (await fetch(x)).blob();
    var u = new Uint8Array(await blob.arrayBuffer()), s = '';
    for (var i = 0; i < u.length; i += 0x8000) s += String.fromCharCode.apply(null, u.subarray(i, i + 0x8000));
    return btoa(s);
  }
};`

// addMedia defines window.media (mediaJS) in b's page.
func (b *browser) addMedia() {
	b.t.Helper()
	b.exec(mediaJS)
}

// md5Of returns the hex md5 and the length of the bytes of the JS
// expression expr: a Blob, or a URL the page can fetch.
func (b *browser) md5Of(expr string) (string, int) {
	b.t.Helper()
	s := eval[string](b, fmt.Sprintf("media.b64(%s)", expr))
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		b.t.Fatalf("%s: base64 of %s: %v", b.name, short(expr), err)
	}
	sum := md5.Sum(raw)
	return hex.EncodeToString(sum[:]), len(raw)
}
