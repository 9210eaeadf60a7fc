package server

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"yunxin/proto"
)

type restReply struct {
	Code int               `json:"code"`
	Desc string            `json:"desc"`
	Info map[string]string `json:"info"`
}

// restCall posts form to the REST path with headers computed from secret
// and curTime; tweak may change the request before it is sent.
func (e *env) restCall(path string, form url.Values, secret string, curTime time.Time, tweak func(*http.Request)) restReply {
	e.t.Helper()
	req, _ := http.NewRequest("POST", e.hs.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded;charset=utf-8")
	nonce := "n" + strconv.FormatInt(time.Now().UnixNano(), 10)
	ct := strconv.FormatInt(curTime.Unix(), 10)
	sum := sha1.Sum([]byte(secret + nonce + ct))
	req.Header.Set("AppKey", testKey)
	req.Header.Set("Nonce", nonce)
	req.Header.Set("CurTime", ct)
	req.Header.Set("CheckSum", hex.EncodeToString(sum[:]))
	if tweak != nil {
		tweak(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var r restReply
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		e.t.Fatal(err)
	}
	return r
}

func TestREST(t *testing.T) {
	e := newEnv(t)
	now := time.Now()
	const create = "/nimserver/user/create.action"

	r := e.restCall(create, url.Values{"accid": {"carol"}, "name": {"Carol"}}, testSecret, now, nil)
	if r.Code != 200 || r.Info["accid"] != "carol" || r.Info["name"] != "Carol" || len(r.Info["token"]) < 16 {
		t.Fatalf("create %+v", r)
	}
	c, _ := func() (*client, proto.LoginResp) {
		c := e.dial()
		var resp proto.LoginResp
		c.ok(proto.OpLogin, proto.LoginReq{AppKey: testKey, Account: "carol", Token: r.Info["token"], Version: proto.Version}, &resp)
		return c, resp
	}()
	c.ok(proto.OpPing, nil, nil)

	r = e.restCall(create, url.Values{"accid": {"dave"}, "token": {"given"}}, testSecret, now, nil)
	if r.Code != 200 || r.Info["token"] != "given" {
		t.Fatalf("create with token %+v", r)
	}

	for _, tc := range []struct {
		name   string
		form   url.Values
		secret string
		at     time.Time
		tweak  func(*http.Request)
		code   int
		desc   string
	}{
		{"duplicate", url.Values{"accid": {"carol"}}, testSecret, now, nil, 414, "already register"},
		{"bad checksum", url.Values{"accid": {"erin"}}, "wrong", now, nil, 414, "CheckSum"},
		{"stale", url.Values{"accid": {"erin"}}, testSecret, now.Add(-6 * time.Minute), nil, 414, "CurTime"},
		{"future", url.Values{"accid": {"erin"}}, testSecret, now.Add(6 * time.Minute), nil, 414, "CurTime"},
		{"wrong appkey", url.Values{"accid": {"erin"}}, testSecret, now, func(r *http.Request) { r.Header.Set("AppKey", "x") }, 403, "AppKey"},
		{"missing header", url.Values{"accid": {"erin"}}, testSecret, now, func(r *http.Request) { r.Header.Del("Nonce") }, 414, "missing header"},
		{"no accid", url.Values{}, testSecret, now, nil, 414, "accid"},
		{"bad accid", url.Values{"accid": {"no spaces"}}, testSecret, now, nil, 414, "invalid accid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.restCall(create, tc.form, tc.secret, tc.at, tc.tweak)
			if r.Code != tc.code || !strings.Contains(r.Desc, tc.desc) {
				t.Fatalf("got %+v, want %d %q", r, tc.code, tc.desc)
			}
		})
	}

	r = e.restCall("/nimserver/user/refreshToken.action", url.Values{"accid": {"dave"}}, testSecret, now, nil)
	if r.Code != 200 || r.Info["accid"] != "dave" || r.Info["token"] == "" || r.Info["token"] == "given" {
		t.Fatalf("refresh %+v", r)
	}
	old := e.dial()
	old.fail(proto.OpLogin, proto.LoginReq{AppKey: testKey, Account: "dave", Token: "given", Version: proto.Version}, 302, "wrong")
	fresh := e.dial()
	fresh.ok(proto.OpLogin, proto.LoginReq{AppKey: testKey, Account: "dave", Token: r.Info["token"], Version: proto.Version}, nil)
	r = e.restCall("/nimserver/user/refreshToken.action", url.Values{"accid": {"nobody"}}, testSecret, now, nil)
	if r.Code != 404 {
		t.Fatalf("refresh unknown %+v", r)
	}

	resp, err := http.Get(e.hs.URL + create)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET create: %d", resp.StatusCode)
	}
}

func TestHealthz(t *testing.T) {
	e := newEnv(t)
	resp, err := http.Get(e.hs.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "ok" {
		t.Fatalf("healthz %d %q", resp.StatusCode, b)
	}
}

func TestStatic(t *testing.T) {
	e := newEnv(t)
	sdk := fstest.MapFS{
		"yunxinim.wasm":    {Data: []byte("raw wasm")},
		"yunxinim.wasm.br": {Data: []byte("br wasm")},
		"yunxinim.wasm.gz": {Data: []byte("gz wasm")},
		"yunxinim.js":      {Data: []byte("js")},
		"yunxinim.js.gz":   {Data: []byte("gz js")},
	}
	demo := fstest.MapFS{"index.html": {Data: []byte("<h1>demo</h1>")}}
	if err := e.srv.SetStaticFS(sdk, demo); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(e.srv.Handler())
	defer hs.Close()

	get := func(path, ae, inm string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", hs.URL+path, nil)
		// Set explicitly so the transport does not add gzip and decode it.
		req.Header.Set("Accept-Encoding", ae)
		if inm != "" {
			req.Header.Set("If-None-Match", inm)
		}
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(b)
	}

	for _, tc := range []struct {
		path, ae, body, enc, ctype string
	}{
		{"/sdk/yunxinim.wasm", "gzip, deflate, br", "br wasm", "br", "application/wasm"},
		{"/sdk/yunxinim.wasm", "gzip", "gz wasm", "gzip", "application/wasm"},
		{"/sdk/yunxinim.wasm", "br;q=0, gzip", "gz wasm", "gzip", "application/wasm"},
		{"/sdk/yunxinim.wasm", "", "raw wasm", "", "application/wasm"},
		{"/sdk/yunxinim.wasm", "*", "br wasm", "br", "application/wasm"},
		{"/sdk/yunxinim.js", "br", "js", "", "text/javascript; charset=utf-8"},
		{"/sdk/yunxinim.js", "br, gzip", "gz js", "gzip", "text/javascript; charset=utf-8"},
	} {
		resp, body := get(tc.path, tc.ae, "")
		h := resp.Header
		if resp.StatusCode != 200 || body != tc.body || h.Get("Content-Encoding") != tc.enc || h.Get("Content-Type") != tc.ctype ||
			h.Get("Access-Control-Allow-Origin") != "*" || h.Get("Vary") != "Accept-Encoding" || h.Get("Cache-Control") != "no-cache" {
			t.Fatalf("%s %q: %d %q %v", tc.path, tc.ae, resp.StatusCode, body, h)
		}
		etag := h.Get("ETag")
		if !strings.HasPrefix(etag, `"`) {
			t.Fatalf("etag %q", etag)
		}
		resp, body = get(tc.path, tc.ae, etag)
		if resp.StatusCode != 304 || body != "" {
			t.Fatalf("revalidate %s: %d %q", tc.path, resp.StatusCode, body)
		}
	}
	// The br and raw representations have different ETags.
	rb, _ := get("/sdk/yunxinim.wasm", "br", "")
	rr, _ := get("/sdk/yunxinim.wasm", "", "")
	if rb.Header.Get("ETag") == rr.Header.Get("ETag") {
		t.Fatal("same etag for br and raw")
	}
	if resp, _ := get("/sdk/missing.js", "", ""); resp.StatusCode != 404 {
		t.Fatalf("missing: %d", resp.StatusCode)
	}
	resp, body := get("/", "", "")
	if resp.StatusCode != 200 || body != "<h1>demo</h1>" || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" ||
		resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("demo: %d %q %v", resp.StatusCode, body, resp.Header)
	}
}

func TestEmbeddedFiles(t *testing.T) {
	// The real embedded demo is served at /.
	e := newEnv(t)
	resp, err := http.Get(e.hs.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET /: %d", resp.StatusCode)
	}
	// The demo's icons, with their types whatever the machine's mime.types says.
	for path, ctype := range map[string]string{"/favicon.ico": "image/x-icon", "/favicon.svg": "image/svg+xml"} {
		resp, err := http.Get(e.hs.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != ctype {
			t.Errorf("GET %s: %d %q, want 200 %q", path, resp.StatusCode, resp.Header.Get("Content-Type"), ctype)
		}
	}
}

func TestAcceptsEncoding(t *testing.T) {
	for _, tc := range []struct {
		h, c string
		want bool
	}{
		{"", "br", false},
		{"br", "br", true},
		{"BR;q=0.5", "br", true},
		{"br;q=0", "br", false},
		{"gzip, *;q=0.1", "br", true},
		{"*;q=0", "br", false},
		{"*, br;q=0", "br", false},
		{"gzip, deflate", "br", false},
	} {
		if got := acceptsEncoding(tc.h, tc.c); got != tc.want {
			t.Errorf("acceptsEncoding(%q, %q) = %v", tc.h, tc.c, got)
		}
	}
}
