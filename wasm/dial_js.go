//go:build js && wasm

package main

import (
	"context"
	"errors"

	"github.com/coder/websocket"

	"yunxin/core"
	"yunxin/proto"
)

// conn is a core.Conn over a browser WebSocket, through
// github.com/coder/websocket (the product owner's choice).
//
// Its browser build reports a close frame from the server as a plain "use of
// closed network connection" error, without the status and reason (the copy in
// third_party/websocket, see its PATCHES.md); so the server tells a refused page why in a
// reply to its first request (see docs/protocol.md, "Origin policy"), which
// reaches core as an ordinary error reply. Where the library does hand over a
// websocket.CloseError, Read turns it into a *core.ClosedError.
type conn struct{ ws *websocket.Conn }

// dial is the core.DialFunc of the browser. websocket.Dial panics where there
// is no WebSocket global: that becomes an error.
func dial(ctx context.Context, url string) (c core.Conn, err error) {
	defer func() {
		if v := recover(); v != nil {
			c, err = nil, errors.New("WebSocket is not available in this environment")
		}
	}()
	ws, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		return nil, err
	}
	ws.SetReadLimit(proto.MaxFrame)
	return &conn{ws}, nil
}

// Read returns the next message (text or binary) as bytes.
func (c *conn) Read(ctx context.Context) ([]byte, error) {
	_, b, err := c.ws.Read(ctx)
	var ce websocket.CloseError
	if errors.As(err, &ce) {
		return nil, &core.ClosedError{Code: int(ce.Code), Reason: ce.Reason}
	}
	return b, err
}

// Write sends one text frame.
func (c *conn) Write(ctx context.Context, frame []byte) error {
	return c.ws.Write(ctx, websocket.MessageText, frame)
}

// Close starts the close handshake and returns at once: in the browser the
// handshake waits for the server, which may be gone. Pending and later Reads
// fail when it completes.
func (c *conn) Close() error {
	go func() {
		defer func() { recover() }()
		_ = c.ws.Close(websocket.StatusNormalClosure, "")
	}()
	return nil
}
