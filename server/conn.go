package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/coder/websocket"

	"yunxin/proto"
)

const (
	closeGoingAway = websocket.StatusGoingAway
	outQueue       = 512 // frames queued for one connection before it counts as too slow
	rateLimit      = 50  // requests per second per connection…
	rateBurst      = 200 // …with this burst
)

// conn is one WebSocket connection. Requests are read and handled in order
// by the reader goroutine (serve); every write goes through the writer
// goroutine, fed by out.
type conn struct {
	s    *Server
	ws   *websocket.Conn
	ip   string
	ctx  context.Context
	stop context.CancelFunc
	out  chan outFrame
	done chan struct{} // closed when serve returns

	// Set by login, before the Hub sees the conn; read-only afterwards.
	account string
	info    proto.ClientInfo

	tokens float64
	last   time.Time
}

// outFrame is one queued write; when close is set the writer closes the
// connection after writing data (if any).
type outFrame struct {
	data   []byte
	close  bool
	code   websocket.StatusCode
	reason string
}

func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) {
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{OriginPatterns: s.origins})
	if err != nil {
		s.log.Info("websocket accept failed", "remote", r.RemoteAddr, "origin", r.Header.Get("Origin"), "err", err)
		return
	}
	ws.SetReadLimit(proto.MaxFrame)
	ip := r.RemoteAddr
	if h, _, err := net.SplitHostPort(ip); err == nil {
		ip = h
	}
	c := &conn{s: s, ws: ws, ip: ip, out: make(chan outFrame, outQueue), done: make(chan struct{}),
		tokens: rateBurst, last: time.Now()}
	c.ctx, c.stop = context.WithCancel(context.Background())
	defer c.stop()

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ws.Close(closeGoingAway, "server shutting down")
		return
	}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		s.wg.Done()
	}()

	writerDone := make(chan struct{})
	go func() { defer close(writerDone); c.writer() }()
	c.serve()
	close(c.done)
	c.stop()
	ws.CloseNow()
	<-writerDone
	if c.account != "" {
		s.hub.Leave(c)
		s.pushClients(c.account, "")
		s.log.Debug("logged out", "account", c.account, "client", c.info.ID)
	}
}

// serve reads and handles requests until the connection ends.
func (c *conn) serve() {
	loginBy := time.Now().Add(c.s.loginTimeout)
	for {
		var ctx context.Context
		var cancel context.CancelFunc
		if c.account == "" {
			ctx, cancel = context.WithDeadline(c.ctx, loginBy)
		} else {
			ctx, cancel = context.WithTimeout(c.ctx, c.s.idleTimeout)
		}
		typ, data, err := c.ws.Read(ctx)
		cancel()
		if err != nil {
			return
		}
		if !c.allow() {
			id := uint64(0)
			var f proto.Frame
			if json.Unmarshal(data, &f) == nil {
				id = f.ID
			}
			c.reply(id, nil, errorf(proto.CodeRateLimited, "rate limited: at most %d requests per second", rateLimit))
			continue
		}
		if typ != websocket.MessageText {
			c.reply(0, nil, errorf(proto.CodeBadParam, "binary frames are not supported; send JSON text frames"))
			continue
		}
		var f proto.Frame
		if err := json.Unmarshal(data, &f); err != nil {
			c.reply(0, nil, errorf(proto.CodeBadParam, "malformed frame: %v", err))
			continue
		}
		if !c.handle(f) {
			return
		}
	}
}

// allow takes one token from the connection's bucket.
func (c *conn) allow() bool {
	now := time.Now()
	c.tokens = min(rateBurst, c.tokens+now.Sub(c.last).Seconds()*rateLimit)
	c.last = now
	if c.tokens < 1 {
		return false
	}
	c.tokens--
	return true
}

// handle runs one request and queues its reply; false stops the reader.
func (c *conn) handle(f proto.Frame) (keep bool) {
	keep = true
	defer func() {
		if p := recover(); p != nil {
			c.s.log.Error("panic handling request", "op", f.Op, "account", c.account, "panic", p, "stack", string(debug.Stack()))
			c.reply(f.ID, nil, errorf(proto.CodeServer, "internal server error"))
		}
	}()
	if f.Op == "" {
		c.reply(f.ID, nil, errorf(proto.CodeBadParam, "missing op (a request needs id and op)"))
		return
	}
	op, ok := ops[f.Op]
	if !ok {
		c.reply(f.ID, nil, errorf(proto.CodeBadParam, "unknown op %s", f.Op))
		return
	}
	if c.account == "" && f.Op != proto.OpLogin && f.Op != proto.OpPing {
		c.reply(f.ID, nil, errorf(proto.CodeForbidden, "not logged in: the first request must be login"))
		return
	}
	ctx, cancel := context.WithTimeout(c.ctx, 15*time.Second)
	defer cancel()
	resp, after, err := op(c, ctx, f.Data)
	c.reply(f.ID, resp, err)
	if after != nil {
		return after()
	}
	return
}

// reply queues the reply to request id: resp with code 200, or err's code.
func (c *conn) reply(id uint64, resp any, err error) {
	f := proto.Frame{ID: id, Code: proto.CodeOK}
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			c.s.log.Error("request failed", "account", c.account, "err", err)
			e = errorf(proto.CodeServer, "internal server error")
		}
		f.Code, f.Msg = e.Code, e.Msg
	} else if resp != nil {
		b, err := json.Marshal(resp)
		if err != nil {
			f.Code, f.Msg = proto.CodeServer, "internal server error: "+err.Error()
		} else {
			f.Data = b
		}
	}
	b, _ := json.Marshal(f)
	c.Deliver(b)
}

// encodePush encodes a push frame.
func encodePush(op string, payload any) []byte {
	d, err := json.Marshal(payload)
	if err != nil {
		panic(fmt.Sprintf("encode %s push: %v", op, err))
	}
	b, _ := json.Marshal(proto.Frame{Op: op, Data: d})
	return b
}

// writer writes queued frames until the connection ends.
func (c *conn) writer() {
	for {
		select {
		case <-c.done:
			return
		case f := <-c.out:
			if f.data != nil {
				ctx, cancel := context.WithTimeout(context.Background(), c.s.writeTimeout)
				err := c.ws.Write(ctx, websocket.MessageText, f.data)
				cancel()
				if err != nil {
					c.ws.CloseNow()
					return
				}
			}
			if f.close {
				c.ws.Close(f.code, f.reason)
				c.ws.CloseNow()
				return
			}
		}
	}
}

func (c *conn) enqueue(f outFrame) {
	select {
	case <-c.done:
		return
	default:
	}
	select {
	case c.out <- f:
	default:
		c.s.log.Warn("connection too slow, closing", "ip", c.ip)
		c.ws.CloseNow()
	}
}

// Account implements Endpoint.
func (c *conn) Account() string { return c.account }

// Info implements Endpoint.
func (c *conn) Info() proto.ClientInfo { return c.info }

// Deliver implements Endpoint.
func (c *conn) Deliver(frame []byte) { c.enqueue(outFrame{data: frame}) }

// Kick implements Endpoint.
func (c *conn) Kick(frame []byte) {
	c.enqueue(outFrame{data: frame, close: true, code: websocket.StatusPolicyViolation, reason: "kicked"})
}

// closeNow closes the connection after the frames already queued.
func (c *conn) closeNow(code websocket.StatusCode, reason string) {
	c.enqueue(outFrame{close: true, code: code, reason: reason})
}
