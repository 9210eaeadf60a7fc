//go:build js && wasm

package main

import (
	"context"
	"errors"
	"strings"
	"syscall/js"
	"testing"
	"time"

	"yunxin/core"
	"yunxin/proto"
)

// fakeWebSocket stands in for the browser's WebSocket: it opens (or, for a
// URL containing "refuse", fails like a refused connection) in a microtask,
// records what is sent and answers close() with a close event. The test
// plays the server by calling the socket's handlers. (tests/e2e's
// TestDisallowedOrigin runs dial against the real server.)
const fakeWebSocket = `
var sockets = [];
function FakeWS(url) {
  var self = this;
  this.url = url; this.sent = []; this.closedWith = null;
  sockets.push(this);
  queueMicrotask(function () {
    if (/refuse/.test(url)) self.onclose({code: 1006, reason: '', wasClean: false});
    else self.onopen({});
  });
}
FakeWS.prototype.send = function (s) { this.sent.push(s); };
FakeWS.prototype.close = function (code, reason) {
  var self = this;
  if (code !== undefined && code !== 1000 && (code < 3000 || code > 4999)) throw new DOMException('bad code ' + code, 'InvalidAccessError');
  this.closedWith = [code, reason || ''];
  queueMicrotask(function () { self.onclose({code: code, reason: reason || '', wasClean: true}); });
};
FakeWS.sockets = sockets;
return FakeWS;`

// withFakeWebSocket replaces the WebSocket global for one test.
func withFakeWebSocket(t *testing.T) js.Value {
	t.Helper()
	g := js.Global()
	saved := g.Get("WebSocket")
	fake := g.Get("Function").New(fakeWebSocket).Invoke()
	g.Set("WebSocket", fake)
	t.Cleanup(func() { g.Set("WebSocket", saved) })
	return fake
}

func dialFake(t *testing.T, fake js.Value, url string) (*conn, js.Value) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := dial(ctx, url)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	socks := fake.Get("sockets")
	return c.(*conn), socks.Index(socks.Length() - 1)
}

func readOne(t *testing.T, c *conn) ([]byte, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return c.Read(ctx)
}

// TestDialServerClose: frames received before the server's close are read
// first, then Read returns *core.ClosedError with the server's status and
// reason, for good.
func TestDialServerClose(t *testing.T) {
	fake := withFakeWebSocket(t)
	c, sock := dialFake(t, fake, "ws://im.example/ws")
	if err := c.Write(context.Background(), []byte(`{"op":"login"}`)); err != nil {
		t.Fatal(err)
	}
	if s := sock.Get("sent").Index(0).String(); s != `{"op":"login"}` {
		t.Errorf("sent %q", s)
	}
	ev := func(data any) js.Value {
		o := js.Global().Get("Object").New()
		o.Set("data", data)
		return o
	}
	sock.Call("onmessage", ev(`{"id":1}`))
	bin := js.Global().Get("Uint8Array").New(3)
	js.CopyBytesToJS(bin, []byte("abc"))
	sock.Call("onmessage", ev(bin.Get("buffer")))
	closeEv := js.Global().Get("Object").New()
	closeEv.Set("code", proto.CloseOriginNotAllowed)
	closeEv.Set("reason", "origin http://x is not allowed")
	sock.Call("onclose", closeEv)

	if b, err := readOne(t, c); err != nil || string(b) != `{"id":1}` {
		t.Errorf("first read %q, %v", b, err)
	}
	if b, err := readOne(t, c); err != nil || string(b) != "abc" {
		t.Errorf("second read %q, %v", b, err)
	}
	for i := 0; i < 2; i++ {
		_, err := readOne(t, c)
		var ce *core.ClosedError
		if !errors.As(err, &ce) || ce.Code != proto.CloseOriginNotAllowed || ce.Reason != "origin http://x is not allowed" {
			t.Errorf("read after close: %v, want ClosedError 4403 with the reason", err)
		}
	}
	if err := c.Write(context.Background(), []byte("x")); err == nil {
		t.Error("Write after close succeeded")
	}
}

// TestDialRefusedAndClosedHere: a connection that never opened is a plain
// dial error; one this side closed reads errClosedHere, not a server status.
func TestDialRefusedAndClosedHere(t *testing.T) {
	fake := withFakeWebSocket(t)
	_, err := dial(context.Background(), "ws://refuse.example/ws")
	var ce *core.ClosedError
	if err == nil || errors.As(err, &ce) || !strings.Contains(err.Error(), "cannot connect to ws://refuse.example/ws") {
		t.Errorf("refused dial: %v", err)
	}
	c, sock := dialFake(t, fake, "ws://im.example/ws")
	c.Close()
	if _, err := readOne(t, c); !errors.Is(err, errClosedHere) {
		t.Errorf("read after Close: %v", err)
	}
	if w := sock.Get("closedWith"); w.Index(0).Int() != 1000 {
		t.Errorf("closed with %v", w)
	}
	c.Close() // twice is fine
}

// TestDialTooBig: a message over proto.MaxFrame closes the socket instead
// of being queued, and Read says so.
func TestDialTooBig(t *testing.T) {
	fake := withFakeWebSocket(t)
	c, sock := dialFake(t, fake, "ws://im.example/ws")
	ev := js.Global().Get("Object").New()
	ev.Set("data", strings.Repeat("x", proto.MaxFrame+1))
	sock.Call("onmessage", ev)
	if w := sock.Get("closedWith"); w.IsNull() || w.Index(0).Int() != 1000 {
		t.Fatalf("closed with %v, want 1000", w)
	}
	_, err := readOne(t, c)
	var ce *core.ClosedError
	if err == nil || errors.As(err, &ce) || !strings.Contains(err.Error(), "over the limit") {
		t.Errorf("read: %v, want the size error", err)
	}
}

// TestDialNoWebSocket: no WebSocket global is an error, not a panic.
func TestDialNoWebSocket(t *testing.T) {
	g := js.Global()
	saved := g.Get("WebSocket")
	g.Set("WebSocket", js.Undefined())
	defer g.Set("WebSocket", saved)
	if _, err := dial(context.Background(), "ws://x/ws"); err == nil || !strings.Contains(err.Error(), "not available") {
		t.Errorf("dial without WebSocket: %v", err)
	}
}
