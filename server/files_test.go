package server

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"yunxin/internal/jx"
	"yunxin/proto"
	"yunxin/server/blobstore"
	"yunxin/server/sqlitestore"
)

// allowedOrigin is the other origin the files tests' pages run on.
const allowedOrigin = "http://app.example:3000"

// newFilesEnv is newEnv with cfg changed by mod before the server opens.
func newFilesEnv(t *testing.T, mod func(*Config), users ...string) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir()}
	cfg := Config{DataDir: e.dir, AppKey: testKey, AppSecret: testSecret, AllowedOrigins: []string{allowedOrigin}}
	if mod != nil {
		mod(&cfg)
	}
	srv, err := Open(context.Background(), cfg, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	e.srv, e.hs = srv, httptest.NewServer(srv.Handler())
	for _, u := range users {
		if _, err := srv.CreateUser(context.Background(), u, u, "tok-"+u); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(e.close)
	return e
}

func md5hex(b []byte) string { s := md5.Sum(b); return hex.EncodeToString(s[:]) }

// grantFor asks c for an upload grant of data.
func grantFor(c *client, name, mime string, data []byte) proto.UploadGrant {
	c.t.Helper()
	var g proto.UploadGrant
	c.ok(proto.OpUploadGrant, proto.UploadGrantReq{Name: name, Size: int64(len(data)), Mime: mime, MD5: md5hex(data)}, &g)
	return g
}

// httpResult is an answer of the files endpoints.
type httpResult struct {
	status int
	header http.Header
	body   []byte
	code   int    // of a JSON error
	msg    string // of a JSON error
}

// do sends req and reads the answer, decoding a JSON error.
func do(t *testing.T, req *http.Request) httpResult {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := httpResult{status: resp.StatusCode, header: resp.Header, body: b}
	if resp.StatusCode >= 400 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		var e struct {
			Code int    `json:"code"`
			Msg  string `json:"msg"`
		}
		if err := json.Unmarshal(b, &e); err != nil {
			t.Fatalf("error body %q: %v", b, err)
		}
		r.code, r.msg = e.Code, e.Msg
	}
	return r
}

// post POSTs body to the upload endpoint; length -1 sends it chunked
// (unknown length). headers are extra "Key: value" lines.
func (e *env) post(token, ctype string, body []byte, length int64, headers ...string) httpResult {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.hs.URL+"/files", bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if length < 0 {
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	req.ContentLength = length
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Set(k, v)
	}
	return do(e.t, req)
}

// get sends a GET (or another method) of url with extra headers.
func (e *env) get(method, url string, headers ...string) httpResult {
	e.t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Set(k, v)
	}
	return do(e.t, req)
}

// upload uploads data through c (grant, POST) and returns the stored file.
func (e *env) upload(c *client, name, mime string, data []byte) proto.UploadResp {
	e.t.Helper()
	g := grantFor(c, name, mime, data)
	r := e.post(g.Token, mime, data, int64(len(data)))
	if r.status != http.StatusOK {
		e.t.Fatalf("upload %s: %d %s", name, r.status, r.body)
	}
	var resp proto.UploadResp
	if err := json.Unmarshal(r.body, &resp); err != nil {
		e.t.Fatal(err)
	}
	return resp
}

// storedFiles lists the files of the blob store on disk, its temp
// directory included.
func (e *env) storedFiles() []string {
	e.t.Helper()
	var out []string
	filepath.WalkDir(filepath.Join(e.dir, "files"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, p)
		}
		return nil
	})
	return out
}

func want(t *testing.T, r httpResult, status, code int, msg string) {
	t.Helper()
	if r.status != status || r.code != code || !strings.Contains(r.msg, msg) {
		t.Fatalf("got %d {code %d, msg %q}, want %d {code %d, msg containing %q}", r.status, r.code, r.msg, status, code, msg)
	}
}

func TestFileRoundTrip(t *testing.T) {
	e := newFilesEnv(t, nil, "alice", "bob")
	a, _ := e.login("alice")
	b, _ := e.login("bob")
	img := bytes.Repeat([]byte("\x89PNG fake image bytes "), 5000)
	thumb := []byte("\x89PNG thumb")

	up := e.upload(a, "photo.png", "image/png", img)
	th := e.upload(a, "photo-thumb.png", "image/png", thumb)
	if !strings.HasPrefix(up.URL, e.hs.URL+"/files/") || !strings.HasSuffix(up.URL, "/photo.png") ||
		up.Name != "photo.png" || up.Size != int64(len(img)) || up.MD5 != md5hex(img) || up.Mime != "image/png" {
		t.Fatalf("upload resp %+v", up)
	}

	body := `{"url":` + quote(up.URL) + `,"fileLength":` + itoa64(int64(len(img))) + `,"md5":"` + strings.ToUpper(md5hex(img)) +
		`","displayName":"photo.png","ext":"png","thumbUrl":` + quote(th.URL) + `,"size":{"w":640,"h":480},` +
		`"path":"/home/alice/photo.png","duration":5,"coverUrl":` + quote(th.URL) + `}`
	var sent proto.SendResp
	a.ok(proto.OpSend, proto.SendReq{Msg: proto.Msg{ClientID: "img1", To: "bob", Type: proto.MsgImage, Body: jx.RawMessage(body)}}, &sent)
	var got proto.Msg
	b.push(proto.PushMsg, &got)
	rel := func(u string) string { return quote(strings.TrimPrefix(u, e.hs.URL)) } // stored as the path
	wantBody := `{"url":` + rel(up.URL) + `,"displayName":"photo.png","fileLength":` + itoa64(int64(len(img))) + `,"md5":"` + md5hex(img) +
		`","ext":"png","thumbUrl":` + rel(th.URL) + `,"size":{"w":640,"h":480}}`
	if got.Type != proto.MsgImage || got.Seq != sent.Seq || string(got.Body) != wantBody {
		t.Fatalf("bob got type %d seq %d body %s\nwant body %s", got.Type, got.Seq, got.Body, wantBody)
	}
	// The same message resent (a lost ack) is not stored twice.
	var dup proto.SendResp
	a.ok(proto.OpSend, proto.SendReq{Msg: proto.Msg{ClientID: "img1", To: "bob", Type: proto.MsgImage, Body: jx.RawMessage(body)}}, &dup)
	if !dup.Dup || dup.Seq != sent.Seq {
		t.Fatalf("resend: %+v, first %+v", dup, sent)
	}
	// bob pulls the same body.
	var pulled proto.PullResp
	b.ok(proto.OpPull, proto.PullReq{Cursors: []proto.Cursor{{Conv: got.Conv}}}, &pulled)
	if len(pulled.Msgs) != 1 || string(pulled.Msgs[0].Body) != wantBody {
		t.Fatalf("pull: %+v", pulled)
	}

	// bob downloads it (the path resolved against the server, as the SDK
	// does): the bytes match the md5 of the body.
	var ab proto.AttachBody
	json.Unmarshal(got.Body, &ab)
	ab.URL = e.hs.URL + ab.URL
	r := e.get(http.MethodGet, ab.URL)
	if r.status != http.StatusOK || md5hex(r.body) != ab.MD5 {
		t.Fatalf("GET: %d, %d bytes, md5 %s want %s", r.status, len(r.body), md5hex(r.body), ab.MD5)
	}
	h := r.header
	etag := `"` + md5hex(img) + `"`
	for k, v := range map[string]string{
		"Content-Type":            "image/png",
		"Content-Length":          itoa64(int64(len(img))),
		"ETag":                    etag,
		"Cache-Control":           "private, max-age=31536000, immutable",
		"X-Content-Type-Options":  "nosniff",
		"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
		"Content-Disposition":     `inline; filename="photo.png"; filename*=UTF-8''photo.png`,
		"Accept-Ranges":           "bytes",
	} {
		if h.Get(k) != v {
			t.Errorf("%s: %q, want %q", k, h.Get(k), v)
		}
	}
	if lm, err := http.ParseTime(h.Get("Last-Modified")); err != nil || time.Since(lm) > time.Minute {
		t.Errorf("Last-Modified %q", h.Get("Last-Modified"))
	}

	// Range: 206 with the slice asked for.
	r = e.get(http.MethodGet, ab.URL, "Range: bytes=100-199")
	if r.status != http.StatusPartialContent || !bytes.Equal(r.body, img[100:200]) ||
		r.header.Get("Content-Range") != "bytes 100-199/"+itoa64(int64(len(img))) {
		t.Fatalf("range: %d %q %d bytes", r.status, r.header.Get("Content-Range"), len(r.body))
	}
	// If-None-Match with the ETag: 304, no body.
	r = e.get(http.MethodGet, ab.URL, "If-None-Match: "+etag)
	if r.status != http.StatusNotModified || len(r.body) != 0 {
		t.Fatalf("If-None-Match: %d, %d bytes", r.status, len(r.body))
	}
	r = e.get(http.MethodGet, ab.URL, `If-None-Match: "other"`)
	if r.status != http.StatusOK {
		t.Fatalf("If-None-Match other: %d", r.status)
	}
	// HEAD: the headers, no body.
	r = e.get(http.MethodHead, ab.URL)
	if r.status != http.StatusOK || len(r.body) != 0 || r.header.Get("Content-Length") != itoa64(int64(len(img))) {
		t.Fatalf("HEAD: %d %d bytes, length %q", r.status, len(r.body), r.header.Get("Content-Length"))
	}
	// ?download=1: attachment.
	r = e.get(http.MethodGet, ab.URL+"?download=1")
	if r.header.Get("Content-Disposition") != `attachment; filename="photo.png"; filename*=UTF-8''photo.png` {
		t.Fatalf("download=1: %q", r.header.Get("Content-Disposition"))
	}
	// The thumbnail downloads too.
	if r := e.get(http.MethodGet, e.hs.URL+ab.ThumbURL); r.status != http.StatusOK || !bytes.Equal(r.body, thumb) {
		t.Fatalf("thumb: %d %q", r.status, r.body)
	}
}

func TestFileHeadersByType(t *testing.T) {
	e := newFilesEnv(t, nil, "alice")
	a, _ := e.login("alice")
	cases := []struct{ name, mime, disposition string }{
		{"a.png", "image/png", "inline"},
		{"v.webm", "video/webm", "inline"},
		{"voice.wav", "audio/wav", "inline"},
		{"x.svg", "image/svg+xml", "attachment"},
		{"page.html", "text/html", "attachment"},
		{"doc.pdf", "application/pdf", "attachment"},
		{"data", "application/octet-stream", "attachment"},
	}
	for _, c := range cases {
		up := e.upload(a, c.name, c.mime, []byte("<script>alert(1)</script>"))
		r := e.get(http.MethodGet, up.URL)
		if r.header.Get("Content-Type") != c.mime || !strings.HasPrefix(r.header.Get("Content-Disposition"), c.disposition+";") ||
			r.header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(r.header.Get("Content-Security-Policy"), "sandbox") {
			t.Errorf("%s: type %q, disposition %q, %q, %q", c.name, r.header.Get("Content-Type"), r.header.Get("Content-Disposition"),
				r.header.Get("X-Content-Type-Options"), r.header.Get("Content-Security-Policy"))
		}
	}
}

func TestFileNamesNeverReachTheDisk(t *testing.T) {
	e := newFilesEnv(t, nil, "alice")
	a, _ := e.login("alice")
	cases := []struct{ name, urlSuffix, disposition string }{
		{"../../etc/passwd", "/..%2F..%2Fetc%2Fpasswd", `attachment; filename=".._.._etc_passwd"; filename*=UTF-8''..%2F..%2Fetc%2Fpasswd`},
		{`a\b/c d.txt`, "/a%5Cb%2Fc%20d.txt", `attachment; filename="a_b_c d.txt"; filename*=UTF-8''a%5Cb%2Fc%20d.txt`},
		{"..", "/file", `attachment; filename=".."; filename*=UTF-8''..`},
		{"照片 1.txt", "/%E7%85%A7%E7%89%87%201.txt", `attachment; filename="__ 1.txt"; filename*=UTF-8''%E7%85%A7%E7%89%87%201.txt`},
		{`say "hi".txt`, "/say%20%22hi%22.txt", `attachment; filename="say _hi_.txt"; filename*=UTF-8''say%20%22hi%22.txt`},
	}
	for i, c := range cases {
		data := []byte("file " + itoa64(int64(i)))
		up := e.upload(a, c.name, "text/plain", data)
		if up.Name != c.name {
			t.Errorf("%q: name %q", c.name, up.Name)
		}
		if !strings.HasSuffix(up.URL, c.urlSuffix) {
			t.Errorf("%q: url %s, want suffix %s", c.name, up.URL, c.urlSuffix)
		}
		r := e.get(http.MethodGet, up.URL)
		if r.status != http.StatusOK || !bytes.Equal(r.body, data) {
			t.Fatalf("%q: GET %d %q", c.name, r.status, r.body)
		}
		if got := r.header.Get("Content-Disposition"); got != c.disposition {
			t.Errorf("%q: disposition %s, want %s", c.name, got, c.disposition)
		}
	}
	// On disk only <shard>/<id> and <id>.json, never a client's name.
	for _, p := range e.storedFiles() {
		base := filepath.Base(p)
		if !blobstore.ValidID(strings.TrimSuffix(base, ".json")) || filepath.Base(filepath.Dir(p)) != base[:2] {
			t.Errorf("unexpected file on disk: %s", p)
		}
	}
	if n := len(e.storedFiles()); n != 2*len(cases) {
		t.Errorf("%d files on disk, want %d", n, 2*len(cases))
	}
	if _, err := os.Stat(filepath.Join(e.dir, "etc")); err == nil {
		t.Error("a directory named after a client's path exists")
	}
}

func TestUploadGrantValidation(t *testing.T) {
	e := newFilesEnv(t, func(c *Config) { c.MaxUploadBytes = 1000 }, "alice")
	a, _ := e.login("alice")
	md := md5hex([]byte("x"))
	req := func(name string, size int64, mime, md5 string) proto.UploadGrantReq {
		return proto.UploadGrantReq{Name: name, Size: size, Mime: mime, MD5: md5}
	}
	cases := []struct {
		req  proto.UploadGrantReq
		want string
	}{
		{req("", 1, "text/plain", md), "name must not be empty"},
		{req(strings.Repeat("n", 256), 1, "text/plain", md), "name longer than 255 bytes"},
		{req("a\nb", 1, "text/plain", md), "name must not contain control characters"},
		{req("a\x7fb", 1, "text/plain", md), "name must not contain control characters"},
		{req("invoice\u202efdp.exe", 1, "text/plain", md), "name must not contain text direction controls"},
		{req("a", 1, strings.Repeat("\"", 100000), md), "mime"},
		{req("a", 0, "text/plain", md), "size must be at least 1 byte"},
		{req("a", -5, "text/plain", md), "size must be at least 1 byte"},
		{req("a", 1001, "text/plain", md), "size 1001 bytes is over the server's upload limit of 1000 bytes (YUNXIN_MAX_UPLOAD)"},
		{req("a", 1, "", md), "mime"},
		{req("a", 1, "image", md), "mime"},
		{req("a", 1, "image/png; charset=x", md), "mime"},
		{req("a", 1, "ima ge/png", md), "mime"},
		{req("a", 1, "image/", md), "mime"},
		{req("a", 1, "/png", md), "mime"},
		{req("a", 1, "text/plain", ""), "md5 must be 32 hex digits"},
		{req("a", 1, "text/plain", md[:31]), "md5 must be 32 hex digits"},
		{req("a", 1, "text/plain", md[:31]+"g"), "md5 must be 32 hex digits"},
	}
	for _, c := range cases {
		a.fail(proto.OpUploadGrant, c.req, proto.CodeBadParam, c.want)
	}
	a.fail(proto.OpUploadGrant, jx.RawMessage(`{"size":"1"}`), proto.CodeBadParam, "malformed payload")

	// A valid request: the endpoint, a token, ~10 minutes, the limit.
	var g proto.UploadGrant
	a.ok(proto.OpUploadGrant, req(strings.Repeat("n", 255), 1000, "Image/PNG", strings.ToUpper(md)), &g)
	exp := time.UnixMilli(g.Expires)
	if g.URL != "/files" || g.Token == "" || g.MaxBytes != 1000 || exp.Before(time.Now().Add(9*time.Minute)) || exp.After(time.Now().Add(11*time.Minute)) {
		t.Fatalf("grant %+v", g)
	}
	// Not logged in: 403.
	c := e.dial()
	c.fail(proto.OpUploadGrant, req("a", 1, "text/plain", md), proto.CodeForbidden, "not logged in")
}

func TestUploadRefusalsKeepNothing(t *testing.T) {
	e := newFilesEnv(t, nil, "alice")
	a, _ := e.login("alice")
	data := []byte("exactly these bytes")
	g := grantFor(a, "f.txt", "text/plain", data)
	longer := append(append([]byte{}, data...), '!')
	shorter := data[:len(data)-1]
	other := []byte("exactly those bytes") // same length, other md5

	cases := []struct {
		name   string
		ctype  string
		body   []byte
		length int64
		status int
		msg    string
	}{
		{"longer", "text/plain", longer, int64(len(longer)), http.StatusRequestEntityTooLarge, "body longer than the granted size"},
		{"longer chunked", "text/plain", longer, -1, http.StatusRequestEntityTooLarge, "body longer than the granted size"},
		{"shorter", "text/plain", shorter, int64(len(shorter)), http.StatusBadRequest, "body shorter than the granted size"},
		{"shorter chunked", "text/plain", shorter, -1, http.StatusBadRequest, "body shorter than the granted size"},
		{"md5", "text/plain", other, int64(len(other)), http.StatusBadRequest, "md5 of the body differs"},
		{"content type", "text/html", data, int64(len(data)), http.StatusBadRequest, `Content-Type "text/html" differs from the grant's text/plain`},
		{"no content type", "", data, int64(len(data)), http.StatusBadRequest, "Content-Type"},
	}
	for _, c := range cases {
		r := e.post(g.Token, c.ctype, c.body, c.length)
		if r.status != c.status || r.code != proto.CodeBadParam || !strings.Contains(r.msg, c.msg) {
			t.Errorf("%s: %d {%d %q}, want %d {414 %q}", c.name, r.status, r.code, r.msg, c.status, c.msg)
		}
		if f := e.storedFiles(); len(f) != 0 {
			t.Fatalf("%s: files kept: %v", c.name, f)
		}
	}
	// The grant survives the failed attempts (they released it): the right
	// bytes go in once, with the content type's parameters ignored…
	r := e.post(g.Token, "Text/Plain; charset=utf-8", data, int64(len(data)))
	if r.status != http.StatusOK {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	if n := len(e.storedFiles()); n != 2 {
		t.Fatalf("%d files after one upload", n)
	}
	// …and only once.
	want(t, e.post(g.Token, "text/plain", data, int64(len(data))), http.StatusForbidden, proto.CodeForbidden, "upload grant already used")
	if n := len(e.storedFiles()); n != 2 {
		t.Fatalf("%d files after a reused grant", n)
	}
}

// A client that goes away mid-body: 415, nothing kept, the grant still
// good for a retry.
func TestUploadInterrupted(t *testing.T) {
	e := newFilesEnv(t, nil, "alice")
	a, _ := e.login("alice")
	data := []byte("the whole file, nineteen+ bytes")
	g := grantFor(a, "i.txt", "text/plain", data)
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.hs.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	head := "POST /files HTTP/1.1\r\nHost: " + strings.TrimPrefix(e.hs.URL, "http://") + "\r\nAuthorization: Bearer " + g.Token +
		"\r\nContent-Type: text/plain\r\nContent-Length: " + itoa64(int64(len(data))) + "\r\n\r\n"
	if _, err := conn.Write(append([]byte(head), data[:10]...)); err != nil {
		t.Fatal(err)
	}
	conn.(*net.TCPConn).CloseWrite()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), `"code":415`) || !strings.Contains(string(b), "upload interrupted") {
		t.Fatalf("interrupted: %d %s", resp.StatusCode, b)
	}
	if f := e.storedFiles(); len(f) != 0 {
		t.Fatalf("files kept: %v", f)
	}
	if r := e.post(g.Token, "text/plain", data, int64(len(data))); r.status != http.StatusOK {
		t.Fatalf("retry with the same grant: %d %s", r.status, r.body)
	}
}

func TestUploadBadTokens(t *testing.T) {
	e := newFilesEnv(t, nil, "alice")
	a, _ := e.login("alice")
	data := []byte("hello")
	g := grantFor(a, "f.txt", "text/plain", data)
	payload, sig, _ := strings.Cut(g.Token, ".")

	// The same claims signed with another app secret (another deployment).
	other := &Server{cfg: Config{AppSecret: "other-secret"}}
	gr := grant{Account: "alice", Size: 5, MD5: md5hex(data), Mime: "text/plain", Name: "f.txt", Expires: time.Now().Add(time.Hour).UnixMilli(), Nonce: "n1"}
	// A grant the server signed but that expired.
	expired := gr
	expired.Expires, expired.Nonce = time.Now().Add(-time.Second).UnixMilli(), "n2"
	// A forged claim: a bigger size under the original signature.
	var claims grant
	dec, _ := base64.RawURLEncoding.DecodeString(payload)
	if err := json.Unmarshal(dec, &claims); err != nil || claims.Account != "alice" {
		t.Fatalf("token claims %s: %v", dec, err)
	}
	claims.Size = 1 << 20
	forgedPayload := base64.RawURLEncoding.EncodeToString(mustJSON(claims))

	for _, c := range []struct{ name, auth, msg string }{
		{"missing", "", "missing upload grant"},
		{"not bearer", "Basic " + g.Token, "missing upload grant"},
		{"garbage", "Bearer garbage", "invalid upload grant"},
		{"bad signature", "Bearer " + payload + "." + sig[:len(sig)-2] + "AA", "invalid upload grant"},
		{"forged claims", "Bearer " + forgedPayload + "." + sig, "invalid upload grant"},
		{"other secret", "Bearer " + other.signGrant(gr), "invalid upload grant"},
		{"expired", "Bearer " + e.srv.signGrant(expired), "upload grant expired"},
	} {
		r := e.post("", "text/plain", data, int64(len(data)), "Authorization: "+c.auth)
		if r.status != http.StatusForbidden || r.code != proto.CodeForbidden || !strings.Contains(r.msg, c.msg) {
			t.Errorf("%s: %d {%d %q}, want 403 {403 %q}", c.name, r.status, r.code, r.msg, c.msg)
		}
	}
	if f := e.storedFiles(); len(f) != 0 {
		t.Fatalf("files kept: %v", f)
	}
	// The server's own signature on the same claims is accepted: the
	// refusals above are about the token, not the request.
	if r := e.post(e.srv.signGrant(gr), "text/plain", data, 5); r.status != http.StatusOK {
		t.Fatalf("valid token: %d %s", r.status, r.body)
	}
}

func TestFilesCORS(t *testing.T) {
	e := newFilesEnv(t, nil, "alice")
	a, _ := e.login("alice")
	const refused = "http://evil.example"
	data := []byte("cors bytes")

	// Preflight of an upload from the allowed origin.
	r := e.get(http.MethodOptions, e.hs.URL+"/files", "Origin: "+allowedOrigin, "Access-Control-Request-Method: POST",
		"Access-Control-Request-Headers: authorization,content-type")
	h := r.header
	if r.status != http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != allowedOrigin ||
		!strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") ||
		!strings.Contains(h.Get("Access-Control-Allow-Headers"), "Authorization") ||
		!strings.Contains(h.Get("Access-Control-Allow-Headers"), "Content-Type") || !strings.Contains(h.Get("Vary"), "Origin") {
		t.Fatalf("allowed preflight: %d %v", r.status, h)
	}
	// From a refused origin: 403 and no CORS headers.
	r = e.get(http.MethodOptions, e.hs.URL+"/files", "Origin: "+refused, "Access-Control-Request-Method: POST")
	if r.status != http.StatusForbidden || r.header.Get("Access-Control-Allow-Origin") != "" || r.header.Get("Access-Control-Allow-Methods") != "" {
		t.Fatalf("refused preflight: %d %v", r.status, r.header)
	}
	// A POST from a refused origin is refused and stores nothing.
	g := grantFor(a, "c.txt", "text/plain", data)
	r = e.post(g.Token, "text/plain", data, int64(len(data)), "Origin: "+refused)
	want(t, r, http.StatusForbidden, proto.CodeForbidden, "origin http://evil.example is not allowed")
	if r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("refused POST has CORS headers: %v", r.header)
	}
	if f := e.storedFiles(); len(f) != 0 {
		t.Fatalf("files kept: %v", f)
	}
	// From the allowed origin it goes in, readable by the page.
	r = e.post(g.Token, "text/plain", data, int64(len(data)), "Origin: "+allowedOrigin)
	if r.status != http.StatusOK || r.header.Get("Access-Control-Allow-Origin") != allowedOrigin {
		t.Fatalf("allowed POST: %d %v %s", r.status, r.header, r.body)
	}
	var up proto.UploadResp
	json.Unmarshal(r.body, &up)
	// And from the server's own origin.
	g = grantFor(a, "own.txt", "text/plain", data)
	if r := e.post(g.Token, "text/plain", data, int64(len(data)), "Origin: "+e.hs.URL); r.status != http.StatusOK || r.header.Get("Access-Control-Allow-Origin") != e.hs.URL {
		t.Fatalf("own origin POST: %d %v %s", r.status, r.header, r.body)
	}

	// Downloads: the allowed origin gets CORS headers with the exposed ones…
	r = e.get(http.MethodGet, up.URL, "Origin: "+allowedOrigin, "Range: bytes=0-3")
	h = r.header
	if r.status != http.StatusPartialContent || h.Get("Access-Control-Allow-Origin") != allowedOrigin || !strings.Contains(h.Get("Vary"), "Origin") {
		t.Fatalf("allowed GET: %d %v", r.status, h)
	}
	for _, x := range []string{"Content-Length", "Content-Range", "ETag", "Content-Disposition"} {
		if !strings.Contains(h.Get("Access-Control-Expose-Headers"), x) {
			t.Errorf("%s not exposed: %q", x, h.Get("Access-Control-Expose-Headers"))
		}
	}
	r = e.get(http.MethodOptions, up.URL, "Origin: "+allowedOrigin, "Access-Control-Request-Method: GET", "Access-Control-Request-Headers: range")
	if r.status != http.StatusNoContent || r.header.Get("Access-Control-Allow-Origin") != allowedOrigin ||
		!strings.Contains(r.header.Get("Access-Control-Allow-Headers"), "Range") {
		t.Fatalf("download preflight: %d %v", r.status, r.header)
	}
	// …so does the server's own origin…
	r = e.get(http.MethodGet, up.URL, "Origin: "+e.hs.URL)
	if r.header.Get("Access-Control-Allow-Origin") != e.hs.URL {
		t.Fatalf("own origin GET: %v", r.header)
	}
	// …a refused origin none (the browser keeps the bytes from its page).
	r = e.get(http.MethodGet, up.URL, "Origin: "+refused)
	if r.header.Get("Access-Control-Allow-Origin") != "" || r.header.Get("Access-Control-Expose-Headers") != "" {
		t.Fatalf("refused GET has CORS headers: %v", r.header)
	}
}

func TestFilesNotFoundAndMethods(t *testing.T) {
	e := newFilesEnv(t, nil, "alice")
	a, _ := e.login("alice")
	up := e.upload(a, "x.txt", "text/plain", []byte("x"))
	id := strings.Split(strings.TrimPrefix(up.URL, e.hs.URL+"/files/"), "/")[0]

	for _, p := range []string{
		"/files/" + strings.Repeat("0", 32) + "/x.txt", // well-formed, unknown
		"/files/" + strings.ToUpper(id) + "/x.txt",     // ids are lowercase
		"/files/..%2F..%2Fserver.go/x",
		"/files/x",
		"/files/",
	} {
		want(t, e.get(http.MethodGet, e.hs.URL+p), http.StatusNotFound, proto.CodeNotFound, "file not found")
	}
	// The name segment is decoration: any name (or none) serves the file.
	for _, p := range []string{"/files/" + id + "/other-name", "/files/" + id} {
		if r := e.get(http.MethodGet, e.hs.URL+p); r.status != http.StatusOK || string(r.body) != "x" {
			t.Errorf("%s: %d %q", p, r.status, r.body)
		}
	}
	r := e.get(http.MethodGet, e.hs.URL+"/files")
	want(t, r, http.StatusMethodNotAllowed, proto.CodeBadParam, "use POST")
	r = e.get(http.MethodPost, up.URL)
	want(t, r, http.StatusMethodNotAllowed, proto.CodeBadParam, "use GET")
	r = e.get(http.MethodDelete, up.URL)
	want(t, r, http.StatusMethodNotAllowed, proto.CodeBadParam, "use GET")
}

// Files outlive the server: a reopened server (same data directory) serves
// them and accepts messages naming them.
func TestFilesSurviveRestart(t *testing.T) {
	e := newEnv(t, "alice", "bob")
	a, _ := e.login("alice")
	data := []byte("kept across restarts")
	up := e.upload(a, "k.bin", "application/octet-stream", data)
	e.close()
	e.open()
	// The host:port changed with the new listener: the old URL's path on
	// the new host serves the same bytes.
	path := up.URL[strings.Index(up.URL, "/files/"):]
	if r := e.get(http.MethodGet, e.hs.URL+path); r.status != http.StatusOK || !bytes.Equal(r.body, data) {
		t.Fatalf("after restart: %d %q", r.status, r.body)
	}
}

// Two nodes sharing a database and a blob store: a grant from one node is
// good on the other (the key comes from the app secret), and a file
// uploaded through one is served by the other and accepted in a message.
func TestFilesAcrossNodes(t *testing.T) {
	e := newFilesEnv(t, nil, "alice", "bob")
	st, err := sqlitestore.Open(context.Background(), e.dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{DataDir: e.dir, AppKey: testKey, AppSecret: testSecret}
	srv2, err := New(cfg, st, Cluster{Bus: e.srv.bus, Presence: e.srv.presence, Blobs: e.srv.blobs}, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	hs2 := httptest.NewServer(srv2.Handler())
	t.Cleanup(func() { hs2.Close(); srv2.Close() })
	node2 := &env{t: t, dir: e.dir, srv: srv2, hs: hs2}
	if srv2.blobs != e.srv.blobs {
		t.Fatal("Cluster.Blobs not used")
	}

	a, _ := e.login("alice")
	b, _ := node2.login("bob")
	data := []byte("across nodes")
	g := grantFor(a, "n.txt", "text/plain", data)
	r := node2.post(g.Token, "text/plain", data, int64(len(data)))
	if r.status != http.StatusOK {
		t.Fatalf("upload on node 2 with node 1's grant: %d %s", r.status, r.body)
	}
	var up proto.UploadResp
	json.Unmarshal(r.body, &up)
	if !strings.HasPrefix(up.URL, hs2.URL+"/files/") {
		t.Fatalf("url %s", up.URL)
	}
	a.ok(proto.OpSend, send("bob", "n1", proto.MsgFile, attach(up, "")), nil)
	var m proto.Msg
	b.push(proto.PushMsg, &m)
	path := up.URL[strings.Index(up.URL, "/files/"):]
	if r := e.get(http.MethodGet, e.hs.URL+path); r.status != http.StatusOK || !bytes.Equal(r.body, data) {
		t.Fatalf("GET on node 1: %d %q", r.status, r.body)
	}
}

// Without a data directory, New keeps files in a temp directory that
// Close removes.
func TestFilesWithoutDataDir(t *testing.T) {
	st, err := sqlitestore.Open(context.Background(), t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{AppKey: testKey, AppSecret: testSecret}, st, Cluster{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	fsStore, ok := srv.blobs.(*blobstore.FS)
	if !ok {
		t.Fatalf("blobs %T", srv.blobs)
	}
	if _, err := fsStore.Put(context.Background(), strings.NewReader("x"), 1, blobstore.Meta{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(fsStore.Dir()); err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(fsStore.Dir()); !os.IsNotExist(err) {
		t.Fatalf("temp blob dir left after Close: %v", err)
	}
}

// BenchmarkUpload measures POST /files on loopback: 8 MiB per upload,
// through the HTTP stack, md5 and the fsync of the file store.
func BenchmarkUpload(b *testing.B) {
	srv, err := Open(context.Background(), Config{DataDir: b.TempDir(), AppKey: testKey, AppSecret: testSecret}, nil)
	if err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	defer func() { hs.Close(); srv.Close() }()
	data := make([]byte, 8<<20)
	for i := range data {
		data[i] = byte(i * 7)
	}
	sum := md5hex(data)
	b.SetBytes(int64(len(data)))
	for i := 0; b.Loop(); i++ {
		token := srv.signGrant(grant{Account: "bench", Size: int64(len(data)), MD5: sum, Mime: "application/octet-stream",
			Name: "bench.bin", Expires: time.Now().Add(time.Minute).UnixMilli(), Nonce: "n" + itoa64(int64(i))})
		req, _ := http.NewRequest(http.MethodPost, hs.URL+"/files", bytes.NewReader(data))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/octet-stream")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("upload: %d", resp.StatusCode)
		}
	}
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

func mustJSON(v any) []byte { b, _ := json.Marshal(v); return b }

// stalledUpload starts an upload of data through a raw connection that
// sends the headers and the first byte, then nothing; it returns the
// connection (closed when t ends).
func (e *env) stalledUpload(g proto.UploadGrant, data []byte) net.Conn {
	e.t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.hs.URL, "http://"))
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { conn.Close() })
	head := "POST /files HTTP/1.1\r\nHost: " + strings.TrimPrefix(e.hs.URL, "http://") + "\r\nAuthorization: Bearer " + g.Token +
		"\r\nContent-Type: text/plain\r\nContent-Length: " + itoa64(int64(len(data))) + "\r\n\r\n"
	if _, err := conn.Write(append([]byte(head), data[:1]...)); err != nil {
		e.t.Fatal(err)
	}
	return conn
}

// TestUploadStalled: an upload that stops sending is ended after the idle
// timeout (415) and keeps nothing; its grant can be used again.
func TestUploadStalled(t *testing.T) {
	e := newFilesEnv(t, nil, "alice")
	e.srv.uploadIdle = 300 * time.Millisecond
	a, _ := e.login("alice")
	data := []byte("a file that never fully arrives")
	g := grantFor(a, "s.txt", "text/plain", data)
	conn := e.stalledUpload(g, data)
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a stalled upload: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(b), `"code":415`) || !strings.Contains(string(b), "upload interrupted") {
		t.Fatalf("stalled upload: %d %s", resp.StatusCode, b)
	}
	if f := e.storedFiles(); len(f) != 0 {
		t.Fatalf("files kept: %v", f)
	}
	if r := e.post(g.Token, "text/plain", data, int64(len(data))); r.status != http.StatusOK {
		t.Fatalf("retry with the same grant: %d %s", r.status, r.body)
	}
}

// TestUploadsInProgressLimit: one account has at most maxUploadsPerAccount
// uploads in progress; past it 416, and a slot frees when one ends.
func TestUploadsInProgressLimit(t *testing.T) {
	e := newFilesEnv(t, nil, "alice", "bob")
	a, _ := e.login("alice")
	b, _ := e.login("bob")
	var conns []net.Conn
	for i := 0; i < maxUploadsPerAccount; i++ {
		data := []byte("stalled upload number " + itoa64(int64(i)))
		conns = append(conns, e.stalledUpload(grantFor(a, "s.txt", "text/plain", data), data))
	}
	inProgress := func() int {
		e.srv.uploads.mu.Lock()
		defer e.srv.uploads.mu.Unlock()
		return e.srv.uploads.byAccount["alice"]
	}
	for deadline := time.Now().Add(5 * time.Second); inProgress() < maxUploadsPerAccount; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d of alice's stalled uploads in progress, want %d", inProgress(), maxUploadsPerAccount)
		}
	}
	data := []byte("one more")
	g := grantFor(a, "m.txt", "text/plain", data)
	r := e.post(g.Token, "text/plain", data, int64(len(data)))
	want(t, r, http.StatusTooManyRequests, proto.CodeRateLimited, "too many uploads at once")
	// Another account is not held up.
	other := []byte("bob's file")
	if r := e.post(grantFor(b, "b.txt", "text/plain", other).Token, "text/plain", other, int64(len(other))); r.status != http.StatusOK {
		t.Fatalf("bob's upload: %d %s", r.status, r.body)
	}
	// One stalled upload goes away: alice may upload again.
	conns[0].Close()
	for deadline := time.Now().Add(5 * time.Second); ; {
		r = e.post(g.Token, "text/plain", data, int64(len(data)))
		if r.status == http.StatusOK || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if r.status != http.StatusOK {
		t.Fatalf("after one upload ended: %d %s", r.status, r.body)
	}
}
