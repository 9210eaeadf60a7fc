//go:build js && wasm

package main

import (
	"context"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"sync"

	"github.com/hack-pad/safejs"
	"yunxin/core"
	"yunxin/internal/digest"
	"yunxin/internal/jx"
	"yunxin/proto"
)

// browserFiles is core.Files in the browser: it awaits the loader's
// hooks.files helpers (yunxinim.js), which do what only JS can (Blob,
// fetch, XMLHttpRequest, <img>/<audio>/<video>, canvas, IndexedDB), and
// computes in Go what needs no browser (md5, names, extensions, errors).
// Every call waits from its own goroutine; no JS callback ever blocks.
type browserFiles struct {
	js safejs.Value // hooks.files
}

var _ core.Files = (*browserFiles)(nil)

// newFiles returns the file edge over hooks.files, or an error when the
// loader has none (an older yunxinim.js).
func newFiles(hooks safejs.Value) (*browserFiles, error) {
	f, err := hooks.Get("files")
	if err != nil {
		return nil, err
	}
	if f.Type() != safejs.TypeObject {
		return nil, errors.New("hooks.files is missing (yunxinim.js is older than yunxinim.wasm)")
	}
	return &browserFiles{js: f}, nil
}

// md5Chunk is how much of a file is copied into Go at a time for its md5.
const md5Chunk = 1 << 20

// keyPrefix marks a path that names a kept file ("key:<key>").
const keyPrefix = "key:"

// appPathMsg is the 414 for an APICloud app path.
const appPathMsg = ": fs:// and widget:// are APICloud app paths; in a browser pass a File or Blob " +
	"(e.g. from <input type=file>), a blob: or data: URL, or an http(s) URL"

// checkPath returns the 414 for a path no browser can read.
func checkPath(param, path string) error {
	if path == "" {
		return core.BadParam(param, "must be a File, a Blob or a URL")
	}
	lower := strings.ToLower(path)
	if strings.HasPrefix(lower, "fs://") || strings.HasPrefix(lower, "widget://") {
		return core.Errf(proto.CodeBadParam, "parameter "+param+appPathMsg)
	}
	return nil
}

// jsError is a rejected promise's reason.
type jsError struct {
	name, msg string
	status    int    // download: the HTTP status of an error answer
	body      string // download: its body
}

func (e *jsError) Error() string {
	if e.msg == "" {
		return e.name
	}
	return e.msg
}

// network reports whether e is a failure to reach the other side (fetch's
// and XHR's TypeError, or the loader's TimeoutError for a server that
// stalled) rather than an answer.
func (e *jsError) network() bool { return e.name == "TypeError" || e.name == "TimeoutError" }

func reason(v safejs.Value) *jsError {
	e := &jsError{name: "Error"}
	if v.Type() != safejs.TypeObject {
		if s, err := v.String(); err == nil {
			e.msg = s
		}
		return e
	}
	e.name = str(v, "name")
	e.msg = str(v, "message")
	if n, err := v.Get("status"); err == nil && n.Type() == safejs.TypeNumber {
		e.status, _ = n.Int()
	}
	e.body = str(v, "body")
	return e
}

// str returns v[name] when it is a string, else "".
func str(v safejs.Value, name string) string {
	x, err := v.Get(name)
	if err != nil || x.Type() != safejs.TypeString {
		return ""
	}
	s, _ := x.String()
	return s
}

// num returns v[name] when it is a finite number, else 0.
func num(v safejs.Value, name string) float64 {
	x, err := v.Get(name)
	if err != nil || x.Type() != safejs.TypeNumber {
		return 0
	}
	f, _ := x.Float()
	if f != f || f > 1e300 || f < -1e300 {
		return 0
	}
	return f
}

// awaitPromise waits for the JS promise p from the calling goroutine (never from a
// JS callback). It returns p's value, a *jsError when p rejects, or ctx's
// error when ctx ends first (p then settles unobserved).
func awaitPromise(ctx context.Context, p safejs.Value) (safejs.Value, error) {
	type result struct {
		v   safejs.Value
		err error
	}
	ch := make(chan result, 1)
	var ok, fail safejs.Func
	release := func() { ok.Release(); fail.Release() }
	arg := func(a []safejs.Value) safejs.Value {
		if len(a) == 0 {
			return safejs.Undefined()
		}
		return a[0]
	}
	var err error
	ok, err = safejs.FuncOf(func(_ safejs.Value, a []safejs.Value) any {
		ch <- result{v: arg(a)}
		release()
		return nil
	})
	if err != nil {
		return safejs.Undefined(), err
	}
	fail, err = safejs.FuncOf(func(_ safejs.Value, a []safejs.Value) any {
		ch <- result{v: safejs.Undefined(), err: reason(arg(a))}
		release()
		return nil
	})
	if err != nil {
		ok.Release()
		return safejs.Undefined(), err
	}
	if _, err := p.Call("then", ok.Value(), fail.Value()); err != nil {
		release()
		return safejs.Undefined(), err
	}
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		return safejs.Undefined(), ctx.Err()
	}
}

// call calls hooks.files[method](args…) and awaits the promise it returns.
func (f *browserFiles) call(ctx context.Context, method string, args ...any) (safejs.Value, error) {
	p, err := f.js.Call(method, args...)
	if err != nil {
		return safejs.Undefined(), err
	}
	return awaitPromise(ctx, p)
}

// blob returns the Blob at path: a kept file ("key:<key>") or what
// hooks.files.resolve reads (a loader-made object URL, another blob:, a
// data: or an http(s) URL). The fetch of a URL is aborted when ctx ends,
// and by the loader when the server stalls (hooks.files.stallTimeout).
func (f *browserFiles) blob(ctx context.Context, path string) (safejs.Value, error) {
	if key, ok := strings.CutPrefix(path, keyPrefix); ok {
		b, err := f.call(ctx, "get", key)
		if err == nil && b.Type() != safejs.TypeObject {
			err = errors.New("no file is kept under " + key)
		}
		return b, err
	}
	return f.transfer(ctx, newPump(nil), "resolve", path)
}

// readErr is the error for a path that cannot be read: ctx's error as is,
// 415 when an http(s) URL's server cannot be reached or stalls, else 414.
func readErr(ctx context.Context, param, path string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if je, ok := err.(*jsError); ok && je.network() && je.status == 0 && isHTTP(path) {
		return core.Errf(proto.CodeNetwork, "cannot read "+param+": "+je.msg)
	}
	return core.BadParam(param, "cannot be read: "+err.Error())
}

// kindNames are what Probe's errors call each decodable kind.
var kindNames = map[int]string{proto.MsgImage: "an image", proto.MsgAudio: "audio", proto.MsgVideo: "a video"}

// Probe implements core.Files.
func (f *browserFiles) Probe(ctx context.Context, param, path string, kind int) (core.FileInfo, error) {
	var info core.FileInfo
	if err := checkPath(param, path); err != nil {
		return info, err
	}
	b, err := f.blob(ctx, path)
	if err != nil {
		return info, readErr(ctx, param, path, err)
	}
	info.Size = int64(num(b, "size"))
	info.Mime = str(b, "type")
	info.Name = str(b, "name") // a File's
	if info.Name == "" {
		info.Name = urlName(path)
	}
	info.Ext = extOf(info.Name)
	if info.Ext == "" {
		info.Ext = extForMime(info.Mime)
	}
	if info.Mime == "" {
		info.Mime = mimeForExt(info.Ext)
	}
	if info.Name == "" {
		info.Name = defaultName(kind, info.Ext)
	}
	if info.MD5, err = f.md5(ctx, b, info.Size); err != nil {
		return info, readErr(ctx, param, path, err)
	}
	what, media := kindNames[kind]
	if !media {
		return info, nil
	}
	r, err := f.call(ctx, "probe", b, kind)
	if err != nil {
		if ctx.Err() != nil {
			return info, ctx.Err()
		}
		return info, core.BadParam(param, "cannot be decoded as "+what+": "+err.Error())
	}
	info.W, info.H = int(num(r, "w")), int(num(r, "h"))
	info.Duration = duration(num(r, "duration"))
	info.Thumb = str(r, "thumb")
	info.ThumbW, info.ThumbH = int(num(r, "thumbW")), int(num(r, "thumbH"))
	return info, nil
}

// maxDuration (ms) bounds a probed duration: above it (a WebM whose
// duration stayed Infinity, the seek target read back) it is unknown.
const maxDuration = 24 * 3600 * 1000

// duration is a probed duration in ms, 0 when it is not a sane one.
func duration(ms float64) int64 {
	if !(ms >= 0 && ms <= maxDuration) { // NaN fails both
		return 0
	}
	return int64(ms + 0.5)
}

// md5 hashes the Blob b of size bytes a chunk at a time: Blob.slice, then
// arrayBuffer, copied into one reused Go buffer.
func (f *browserFiles) md5(ctx context.Context, b safejs.Value, size int64) (string, error) {
	u8, err := safejs.Global().Get("Uint8Array")
	if err != nil {
		return "", err
	}
	h := digest.NewMD5()
	buf := make([]byte, min(size, md5Chunk))
	for off := int64(0); off < size; off += md5Chunk {
		end := min(off+md5Chunk, size)
		part, err := b.Call("slice", float64(off), float64(end))
		if err != nil {
			return "", err
		}
		p, err := part.Call("arrayBuffer")
		if err != nil {
			return "", err
		}
		ab, err := awaitPromise(ctx, p)
		if err != nil {
			return "", err
		}
		arr, err := u8.New(ab)
		if err != nil {
			return "", err
		}
		n, err := safejs.CopyBytesToGo(buf[:end-off], arr)
		if err != nil {
			return "", err
		}
		if int64(n) != end-off {
			return "", errors.New("the file changed while it was read")
		}
		h.Write(buf[:n])
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Upload implements core.Files.
func (f *browserFiles) Upload(ctx context.Context, path, to, token, contentType string, progress func(sent, total int64)) (proto.UploadResp, error) {
	var resp proto.UploadResp
	if err := checkPath("path", path); err != nil {
		return resp, err
	}
	b, err := f.blob(ctx, path)
	if err != nil {
		return resp, readErr(ctx, "path", path, err)
	}
	size := int64(num(b, "size"))
	pump := newPump(progress)
	res, err := f.transfer(ctx, pump, "upload", to, b, token, contentType)
	if err != nil {
		if je, ok := err.(*jsError); ok && je.network() {
			return resp, core.Errf(proto.CodeNetwork, "upload failed: "+je.msg)
		}
		return resp, err
	}
	status, body := int(num(res, "status")), str(res, "body")
	if status < 200 || status > 299 {
		return resp, httpError("upload", status, body)
	}
	if err := jx.Unmarshal([]byte(body), &resp); err != nil || resp.URL == "" {
		return resp, core.Errf(proto.CodeServer, "upload failed: the server's answer is not an upload result")
	}
	if pump.fn != nil && pump.last < size {
		pump.call(size, size) // the last progress event may not come for a small file
	}
	return resp, nil
}

// transfer runs hooks.files[method](args…, onprogress), which returns
// {promise, abort}: it awaits the promise, aborts the transfer when ctx
// ends, and returns once every progress report was handed on.
func (f *browserFiles) transfer(ctx context.Context, pump *pump, method string, args ...any) (safejs.Value, error) {
	onprogress, err := safejs.FuncOf(func(_ safejs.Value, a []safejs.Value) any {
		if len(a) >= 2 {
			n, _ := a[0].Float()
			t, _ := a[1].Float()
			pump.set(int64(n), int64(t))
		}
		return nil
	})
	if err != nil {
		return safejs.Undefined(), err
	}
	defer onprogress.Release()
	task, err := f.js.Call(method, append(args, onprogress.Value())...)
	if err != nil {
		return safejs.Undefined(), err
	}
	p, err := task.Get("promise")
	if err != nil {
		return safejs.Undefined(), err
	}
	stop := context.AfterFunc(ctx, func() { _, _ = task.Call("abort") })
	// The promise always settles (abort rejects it): wait for it, not ctx,
	// so that no progress comes after the return.
	v, err := awaitPromise(context.Background(), p)
	stop()
	pump.close()
	if ctx.Err() != nil {
		return safejs.Undefined(), ctx.Err()
	}
	return v, err
}

// httpError turns an HTTP error answer into the error the page sees: the
// server's {"code","msg"} when it sent one.
func httpError(what string, status int, body string) error {
	var e core.Error
	if jx.Unmarshal([]byte(body), &e) == nil && e.Code != 0 {
		return &e
	}
	code := proto.CodeServer
	switch {
	case status == 413:
		code = proto.CodeBadParam
	case status == 401 || status == 403:
		code = proto.CodeForbidden
	case status == 404:
		code = 404
	}
	return core.Errf(code, what+" failed: HTTP "+strconv.Itoa(status))
}

// Download implements core.Files.
func (f *browserFiles) Download(ctx context.Context, from, key string, progress func(got, total int64)) (string, error) {
	if err := checkPath("urlString", from); err != nil {
		return "", err
	}
	b, err := f.transfer(ctx, newPump(progress), "download", from)
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		je, ok := err.(*jsError)
		switch {
		case ok && je.status != 0:
			return "", httpError("download", je.status, je.body)
		case ok && je.network() && isHTTP(from):
			return "", core.Errf(proto.CodeNetwork, "download failed: "+je.msg)
		}
		return "", core.BadParam("urlString", "cannot be read: "+err.Error())
	}
	if key == "" {
		v, err := f.js.Call("url", b)
		if err != nil {
			return "", err
		}
		return v.String()
	}
	if _, err := f.call(ctx, "keep", key, b); err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		// The file is here but cannot be kept (quota, private mode): the
		// page gets it for this session, as an object URL of the Blob.
		warn("yunxinIM: the downloaded file cannot be kept (" + err.Error() + "); it is available until the page is closed")
		v, uerr := f.js.Call("url", b)
		if uerr != nil {
			return "", keepErr(err)
		}
		return v.String()
	}
	p, err := f.Path(ctx, key)
	if err == nil && p == "" {
		err = errors.New("the kept file is gone")
	}
	if err != nil {
		// Kept but unreadable right away: hand the Blob itself.
		warn("yunxinIM: the downloaded file cannot be read back from the file store (" + err.Error() + ")")
		v, uerr := f.js.Call("url", b)
		if uerr != nil {
			return "", err
		}
		return v.String()
	}
	return p, nil
}

func isHTTP(u string) bool {
	l := strings.ToLower(u)
	return strings.HasPrefix(l, "http:") || strings.HasPrefix(l, "https:") || strings.HasPrefix(l, "/")
}

// keepErr is the error of a failed call of the kept-file store: 500, and
// when the browser refused it because the site's storage is full (the
// loader rejects with a QuotaExceededError saying so) also
// core.ErrCacheFull.
func keepErr(err error) error {
	var je *jsError
	if errors.As(err, &je) && je.name == "QuotaExceededError" {
		return &storeFull{"the local file store failed: " + err.Error()}
	}
	return core.Errf(proto.CodeServer, "the local file store failed: "+err.Error())
}

// storeFull is a kept-file store failure for lack of space: the page sees
// it as a 500 with its text (core.AsError); errors.Is(err,
// core.ErrCacheFull) holds.
type storeFull struct{ msg string }

func (e *storeFull) Error() string { return e.msg }
func (e *storeFull) Unwrap() error { return core.ErrCacheFull }

// Keep implements core.Files.
func (f *browserFiles) Keep(ctx context.Context, path, key string) error {
	if err := checkPath("path", path); err != nil {
		return err
	}
	b, err := f.blob(ctx, path)
	if err != nil {
		return readErr(ctx, "path", path, err)
	}
	if _, err := f.call(ctx, "keep", key, b); err != nil {
		return keepErr(err)
	}
	return nil
}

// Path implements core.Files.
func (f *browserFiles) Path(ctx context.Context, key string) (string, error) {
	v, err := f.call(ctx, "path", key)
	if err != nil {
		return "", keepErr(err)
	}
	if v.Type() != safejs.TypeString {
		return "", nil
	}
	return v.String()
}

// Remove implements core.Files.
func (f *browserFiles) Remove(ctx context.Context, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	arr := make([]any, len(keys))
	for i, k := range keys {
		arr[i] = k
	}
	if _, err := f.call(ctx, "remove", arr); err != nil {
		return keepErr(err)
	}
	return nil
}

// pump hands progress reports from JS callbacks (which must not block) to
// the progress function on its own goroutine, in order; a report that
// arrives while the function still runs replaces the one waiting.
type pump struct {
	fn   func(n, total int64)
	mu   sync.Mutex
	n, t int64
	due  bool
	wake chan struct{}
	done chan struct{}
	last int64 // the last n handed on (read after close)
}

func newPump(fn func(n, total int64)) *pump {
	p := &pump{fn: fn, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go p.run()
	return p
}

func (p *pump) set(n, t int64) {
	p.mu.Lock()
	p.n, p.t, p.due = n, t, true
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

func (p *pump) run() {
	defer close(p.done)
	for range p.wake {
		p.flush()
	}
	p.flush()
}

func (p *pump) flush() {
	p.mu.Lock()
	n, t, due := p.n, p.t, p.due
	p.due = false
	p.mu.Unlock()
	if !due || n < p.last {
		return
	}
	p.last = n
	if p.fn != nil {
		p.call(n, t)
	}
}

// call runs the progress function; a panic in it (core's or a callback's)
// goes to the console and stops further reports, instead of killing the
// runtime (a panic on this goroutine would end the whole program).
func (p *pump) call(n, t int64) {
	defer func() {
		if v := recover(); v != nil {
			p.fn = nil
			consoleError("yunxinIM: internal error in a progress report: " + panicText(v))
		}
	}()
	p.fn(n, t)
}

func panicText(v any) string {
	switch v := v.(type) {
	case error:
		return v.Error()
	case string:
		return v
	}
	return "unknown panic"
}

func consoleError(msg string) {
	if c, err := safejs.Global().Get("console"); err == nil {
		_, _ = c.Call("error", msg)
	}
}

// close stops the pump once every report was handed on. set must not be
// called after close.
func (p *pump) close() {
	close(p.wake)
	<-p.done
}

// Names, extensions and types.

// extOf is the lower-case extension of name without the dot ("" when none
// or when what follows the dot is not an extension).
func extOf(name string) string {
	i := strings.LastIndexByte(name, '.')
	if i < 0 || i == len(name)-1 || len(name)-i > 11 {
		return ""
	}
	ext := strings.ToLower(name[i+1:])
	for _, c := range ext {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return ""
		}
	}
	return ext
}

// types maps extensions to content types, the first of a type being its
// preferred extension.
var types = [...][2]string{
	{"png", "image/png"}, {"jpg", "image/jpeg"}, {"jpeg", "image/jpeg"}, {"gif", "image/gif"},
	{"webp", "image/webp"}, {"bmp", "image/bmp"}, {"svg", "image/svg+xml"}, {"avif", "image/avif"},
	{"heic", "image/heic"}, {"wav", "audio/wav"}, {"wav", "audio/x-wav"}, {"wav", "audio/wave"},
	{"mp3", "audio/mpeg"}, {"ogg", "audio/ogg"}, {"oga", "audio/ogg"}, {"aac", "audio/aac"},
	{"m4a", "audio/mp4"}, {"amr", "audio/amr"}, {"opus", "audio/opus"},
	{"webm", "video/webm"}, {"mp4", "video/mp4"}, {"mov", "video/quicktime"}, {"ogv", "video/ogg"},
	{"webm", "audio/webm"},
	{"txt", "text/plain"}, {"pdf", "application/pdf"}, {"json", "application/json"},
	{"zip", "application/zip"}, {"html", "text/html"}, {"csv", "text/csv"},
}

func extForMime(mime string) string {
	mime, _, _ = strings.Cut(strings.ToLower(mime), ";")
	mime = strings.TrimSpace(mime)
	for _, t := range types {
		if t[1] == mime {
			return t[0]
		}
	}
	return ""
}

func mimeForExt(ext string) string {
	for _, t := range types {
		if t[0] == ext {
			return t[1]
		}
	}
	return "application/octet-stream"
}

// defaultName names a file that came without a name (a canvas Blob, a
// data: URL): "image.png", "audio.wav", "video.webm", "file.pdf" (or "file" without a type).
func defaultName(kind int, ext string) string {
	base := "file"
	switch kind {
	case proto.MsgImage:
		base = "image"
	case proto.MsgAudio:
		base = "audio"
	case proto.MsgVideo:
		base = "video"
	}
	if ext == "" {
		return base
	}
	return base + "." + ext
}
