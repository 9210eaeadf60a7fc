package e2e

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// throttle is a reverse proxy in front of an IM server that slows the bodies
// of file uploads (POST /files) and downloads (GET /files/…) to a rate, so a
// test can act while a transfer runs and see its progress. It does in the
// harness, on every engine, what DevTools network emulation did on Chromium
// only. A page reaches the server through it when it loads the SDK (or the
// demo) from the proxy's origin: its /ws and /files then go through it. The
// Host header is passed on unchanged, so the server sees the proxy's origin
// as its own (the demo is same-origin) and names file URLs by the proxy.
type throttle struct {
	target *imServer
	srv    *httptest.Server
	up     atomic.Int64 // upload bytes per second, 0: no limit
	down   atomic.Int64 // download bytes per second, 0: no limit
}

// newThrottle starts a throttle in front of s; it stops when t ends.
func newThrottle(t *testing.T, s *imServer) *throttle {
	t.Helper()
	th := &throttle{target: s}
	to, err := url.Parse(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	rp := &httputil.ReverseProxy{
		Director: func(r *http.Request) {
			r.URL.Scheme, r.URL.Host = to.Scheme, to.Host // r.Host stays the proxy's
		},
		FlushInterval: -1, // a download's bytes reach the page as they pass
		// A canceled upload or a server restart is an error here by design;
		// the page sees it, the test asserts what the page does.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	th.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/files":
			r.Body = &slowBody{ReadCloser: r.Body, rate: &th.up}
		case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/files/"):
			w = &slowWriter{ResponseWriter: w, rate: &th.down}
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		th.srv.CloseClientConnections()
		th.srv.Close()
	})
	return th
}

// addr is the proxy's host:port (an IM server address for pageURLAt).
func (th *throttle) addr() string { return strings.TrimPrefix(th.srv.URL, "http://") }

// URL is the proxy's base URL (the demo's address through the proxy).
func (th *throttle) URL() string { return th.srv.URL }

// chunk is how many bytes at rate pass in one step of 50 ms (at least 1 KiB).
func chunk(rate int64) int { return int(max(rate/20, 1024)) }

// pause waits as long as n bytes take at rate.
func pause(n int, rate int64) {
	time.Sleep(time.Duration(float64(n) / float64(rate) * float64(time.Second)))
}

// slowBody reads a request body at most at *rate bytes per second (read
// again at every step, so a change applies to a running upload).
type slowBody struct {
	io.ReadCloser
	rate *atomic.Int64
}

func (b *slowBody) Read(p []byte) (int, error) {
	rate := b.rate.Load()
	if rate <= 0 {
		return b.ReadCloser.Read(p)
	}
	if c := chunk(rate); len(p) > c {
		p = p[:c]
	}
	n, err := b.ReadCloser.Read(p)
	pause(n, rate)
	return n, err
}

// slowWriter writes a response body at most at *rate bytes per second,
// flushing each step to the client.
type slowWriter struct {
	http.ResponseWriter
	rate *atomic.Int64
}

func (w *slowWriter) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		rate := w.rate.Load()
		if rate <= 0 {
			n, err := w.ResponseWriter.Write(p)
			return written + n, err
		}
		step := p[:min(len(p), chunk(rate))]
		n, err := w.ResponseWriter.Write(step)
		written += n
		if err != nil {
			return written, err
		}
		w.Flush()
		pause(n, rate)
		p = p[n:]
	}
	return written, nil
}

// Flush passes a flush on (the reverse proxy flushes after every write).
func (w *slowWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// throttled starts a throttle in front of s for b and returns its address:
// b's pages must reach s through it (pages.pageURLAt(addr, …), or the demo
// at b.serverURL(s), which loginUI uses) for throttleUpload and
// limitDownload to act.
func (b *browser) throttled(s *imServer) string {
	b.t.Helper()
	b.throttle = newThrottle(b.t, s)
	return b.throttle.addr()
}

// serverURL is the base URL b reaches s at: its throttle's if b has one in
// front of s, else s's own.
func (b *browser) serverURL(s *imServer) string {
	if b.throttle != nil && b.throttle.target == s {
		return b.throttle.URL()
	}
	return s.URL()
}

// throttleUpload limits b's uploads to bytesPerSec (0: no limit) at its
// throttle, so a test can act while an upload runs.
func (b *browser) throttleUpload(bytesPerSec float64) {
	b.t.Helper()
	if b.throttle == nil {
		b.t.Fatalf("%s: throttleUpload needs the page opened through b.throttled(s)", b.name)
	}
	b.throttle.up.Store(int64(bytesPerSec))
}

// limitDownload limits b's downloads to bytesPerSec (0: no limit) at its
// throttle, so that a download's progress can be seen.
func (b *browser) limitDownload(bytesPerSec float64) {
	b.t.Helper()
	if b.throttle == nil {
		b.t.Fatalf("%s: limitDownload needs the page opened through b.throttled(s)", b.name)
	}
	b.throttle.down.Store(int64(bytesPerSec))
}
