//go:build js && wasm

package main

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"syscall/js"

	"yunxin/core"
	"yunxin/proto"
)

// conn is a core.Conn over the browser's WebSocket, through syscall/js.
//
// (github.com/coder/websocket's browser side reads a server's close as
// net.ErrClosed, losing its status and reason, and under GOOS=js it pulls in
// net/http and crypto/tls; the browser's WebSocket needs neither.)
type conn struct {
	ws js.Value

	mu      sync.Mutex
	queue   [][]byte      // received, not yet read
	signal  chan struct{} // a frame was queued (capacity 1)
	closed  chan struct{} // closed with err set once the socket closed
	err     error
	closing bool  // Close was called
	why     error // why this side closed, when not by Close
	opened  bool  // the open event came
	funcs   []js.Func
}

// errClosedHere is what Read returns after this side's Close.
var errClosedHere = errors.New("connection closed by the client")

// dial is the core.DialFunc of the browser. It returns once the socket is
// open; where there is no WebSocket global, or the URL is bad, it returns an
// error.
func dial(ctx context.Context, url string) (_ core.Conn, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = errors.New("cannot open a WebSocket to " + url + ": " + panicText(v))
		}
	}()
	ctor := js.Global().Get("WebSocket")
	if ctor.Type() != js.TypeFunction {
		return nil, errors.New("WebSocket is not available in this environment")
	}
	c := &conn{ws: ctor.New(url), signal: make(chan struct{}, 1), closed: make(chan struct{})}
	c.ws.Set("binaryType", "arraybuffer")
	opened := make(chan struct{})
	c.on("open", func(js.Value) {
		c.mu.Lock()
		c.opened = true
		c.mu.Unlock()
		close(opened)
	})
	c.on("message", c.received)
	c.on("close", func(ev js.Value) {
		c.finish(ev.Get("code").Int(), ev.Get("reason").String(), url)
	})
	select {
	case <-opened:
		return c, nil
	case <-c.closed:
		select {
		case <-opened: // opened, then closed at once: Read says why
			return c, nil
		default:
		}
		return nil, c.err
	case <-ctx.Done():
		c.Close()
		return nil, ctx.Err()
	}
}

// on sets the socket's on<event> handler.
func (c *conn) on(event string, fn func(ev js.Value)) {
	f := js.FuncOf(func(_ js.Value, args []js.Value) any {
		defer func() {
			if v := recover(); v != nil {
				warn("yunxinIM: WebSocket " + event + " handler: " + panicText(v))
			}
		}()
		fn(args[0])
		return nil
	})
	c.funcs = append(c.funcs, f)
	c.ws.Set("on"+event, f)
}

// received queues a message: text as its UTF-8 bytes, binary as is. One
// larger than proto.MaxFrame closes the connection, as the server's read
// limit does. (A page may only close with 1000 or 3000-4999, so the status
// is 1000 and the reason says why.)
func (c *conn) received(ev js.Value) {
	data := ev.Get("data")
	var b []byte
	if data.Type() == js.TypeString {
		b = []byte(data.String())
	} else {
		arr := js.Global().Get("Uint8Array").New(data)
		b = make([]byte, arr.Length())
		js.CopyBytesToGo(b, arr)
	}
	if len(b) > proto.MaxFrame {
		why := "message of " + strconv.Itoa(len(b)) + " bytes over the limit of " + strconv.Itoa(proto.MaxFrame)
		c.mu.Lock()
		c.why = errors.New(why)
		c.mu.Unlock()
		c.ws.Call("close", 1000, why)
		return
	}
	c.mu.Lock()
	c.queue = append(c.queue, b)
	c.mu.Unlock()
	select {
	case c.signal <- struct{}{}:
	default:
	}
}

// finish runs on the close event: it records why the socket closed and
// releases the handlers.
func (c *conn) finish(code int, reason, url string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.why != nil:
		c.err = c.why
	case c.closing:
		c.err = errClosedHere
	case (code == 1005 || code == 1006) && !c.opened: // no close frame: refused, unreachable
		c.err = errors.New("cannot connect to " + url + " (closed with " + strconv.Itoa(code) + ", no status from the server)")
	case code == 1005 || code == 1006: // the network or the server went away
		c.err = errors.New("connection to " + url + " lost (closed with " + strconv.Itoa(code) + ", no status from the server)")
	default:
		c.err = &core.ClosedError{Code: code, Reason: reason}
	}
	close(c.closed)
	for _, event := range []string{"open", "message", "close"} {
		c.ws.Set("on"+event, js.Null())
	}
	for _, f := range c.funcs {
		f.Release()
	}
	c.funcs = nil
}

// Read returns the next message. Once the socket closed and every message
// received before was read, it returns why: *core.ClosedError when the
// server closed it with a status and reason.
func (c *conn) Read(ctx context.Context) ([]byte, error) {
	for {
		c.mu.Lock()
		if len(c.queue) > 0 {
			b := c.queue[0]
			c.queue[0] = nil
			c.queue = c.queue[1:]
			c.mu.Unlock()
			return b, nil
		}
		err := c.err
		c.mu.Unlock()
		if err != nil {
			return nil, err
		}
		select {
		case <-c.signal:
		case <-c.closed:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Write sends frame as a text message.
func (c *conn) Write(_ context.Context, frame []byte) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = errors.New("WebSocket send: " + panicText(v))
		}
	}()
	c.mu.Lock()
	err = c.err
	c.mu.Unlock()
	if err != nil {
		return err
	}
	c.ws.Call("send", string(frame))
	return nil
}

// Close starts the close handshake and returns at once: in the browser the
// handshake waits for the server, which may be gone. Pending and later Reads
// fail when it completes.
func (c *conn) Close() error {
	c.mu.Lock()
	already := c.closing || c.err != nil
	c.closing = true
	c.mu.Unlock()
	if already {
		return nil
	}
	defer func() { recover() }()
	c.ws.Call("close", 1000)
	return nil
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
