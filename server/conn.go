package server

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"runtime/debug"
	"sync"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/time/rate"

	"yunxin/proto"
)

const (
	closeGoingAway = websocket.StatusGoingAway
	// maxQueueBytes caps the frames queued for one connection and not yet
	// written to its socket. A connection whose client stops reading is
	// closed when the next frame would pass it, and its queue is dropped.
	maxQueueBytes = 4 << 20
	rateLimit     = 50  // requests per second per connection…
	rateBurst     = 200 // …with this burst
	opTimeout     = 15 * time.Second
	// dispatchTimeout bounds the publishing of what one request committed.
	dispatchTimeout = 5 * time.Second
)

// conn is one WebSocket connection. Requests are read in order by the
// reader goroutine (serve) and each is handled on a goroutine of its own
// while the reader waits (see serve); every write goes through the writer
// goroutine, fed by the byte-capped queue, which runs only while there is
// something to write. An idle connection so holds one shallow goroutine
// stack, its socket buffers and this struct (docs: "Memory per connection").
type conn struct {
	s    *Server
	ws   *websocket.Conn
	ip   string
	ctx  context.Context
	stop context.CancelFunc
	lim  *rate.Limiter
	// refusal, when set, is why the page's origin may not use /ws: the
	// first request gets it as a 403, then the connection is closed.
	refusal string

	// Set by login before the connection joins the registry; read-only
	// afterwards.
	account string
	info    proto.ClientInfo

	mu     sync.Mutex
	queue  [][]byte // frames not yet handed to the writer
	queued int      // bytes queued or being written (held pushes included)
	closer *closeFrame
	dead   bool // the queue overflowed or the connection ended: queue nothing more
	// While holding (from the moment login joins the registry until its
	// reply is queued) pushes wait in held, and a kick's close in
	// heldClose, so that the login reply is the first frame after it.
	holding   bool
	held      [][]byte
	heldClose *closeFrame
	writing   bool           // a writer goroutine runs (at most one)
	writers   sync.WaitGroup // the writer goroutine, while it runs
}

// closeFrame is a close the writer performs once the frames before it are
// written.
type closeFrame struct {
	code   websocket.StatusCode
	reason string
}

func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) {
	allowed, origin := s.originAllowed(r)
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true}) // the origin is checked above
	if err != nil {
		s.log.Info("websocket accept failed", "remote", r.RemoteAddr, "origin", origin, "err", err)
		return
	}
	ws.SetReadLimit(proto.MaxFrame)
	ip := r.RemoteAddr
	if h, _, err := net.SplitHostPort(ip); err == nil {
		ip = h
	}
	c := &conn{s: s, ws: ws, ip: ip, lim: rate.NewLimiter(s.reqRate, s.reqBurst)}
	if !allowed {
		c.refusal = originRefusal(origin)
		s.log.Warn("websocket origin not allowed", "remote", r.RemoteAddr, "origin", origin)
	}
	c.ctx, c.stop = context.WithCancel(context.Background())

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		c.stop()
		ws.Close(closeGoingAway, "server shutting down")
		return
	}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()

	// The connection lives on a goroutine of its own and the handler
	// returns: net/http's per-connection state (its request, its 4 KB
	// response buffer, the handler goroutine's stack) is freed instead of
	// being held for the connection's life (about 5 KB of the ~21 KB an
	// idle connection costs). The hijacked connection is not net/http's any
	// more; Close waits for it through s.wg.
	go func() {
		defer s.wg.Done()
		defer c.stop()
		c.serve()
		c.end()
		c.writers.Wait()
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		if c.account != "" {
			s.leave(c)
		}
	}()
}

// refuse answers the first request of a connection from a page whose
// origin is not allowed, so that the page learns why: 403 with the reason,
// then a close with proto.CloseOriginNotAllowed and the same reason. (A
// browser WebSocket library may not surface a close reason; the reply
// always arrives.)
func (c *conn) refuse(data []byte) {
	if f, err := proto.DecodeFrame(data); err == nil && f.ID != 0 {
		c.reply(f.ID, nil, &Error{Code: proto.CodeForbidden, Msg: c.refusal})
	}
	c.closeAfter(proto.CloseOriginNotAllowed, c.refusal)
}

// closing reports whether the connection is being closed (kicked, logged
// out, refused, shutting down) or has ended: it handles no more requests.
func (c *conn) closing() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.dead || c.closer != nil || c.heldClose != nil
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
		if c.closing() {
			continue // read on until the close handshake ends, but handle nothing
		}
		if c.refusal != "" {
			c.refuse(data)
			continue
		}
		if !c.lim.Allow() {
			id := uint64(0)
			if f, err := proto.DecodeFrame(data); err == nil {
				id = f.ID
			}
			c.reply(id, nil, errorf(proto.CodeRateLimited, "rate limited: at most %v requests per second", float64(c.s.reqRate)))
			continue
		}
		if typ != websocket.MessageText {
			c.reply(0, nil, errorf(proto.CodeBadParam, "binary frames are not supported; send JSON text frames"))
			continue
		}
		f, err := proto.DecodeFrame(data)
		if err != nil {
			c.reply(0, nil, errorf(proto.CodeBadParam, "malformed frame: %v", err))
			continue
		}
		// Handled on a goroutine of its own, waited for: an op (JSON,
		// SQLite) may grow a stack to tens of KB, and a goroutine that ends
		// gives its stack back, where the reader's would stay grown while
		// the connection idles (the runtime shrinks it by half per GC at
		// best). Requests still run one at a time, in order.
		done := make(chan struct{})
		go func() {
			defer close(done)
			c.handle(f)
		}()
		<-done
	}
}

// handle runs one request, queues its reply, then publishes what the op
// committed.
func (c *conn) handle(f proto.Frame) {
	defer func() {
		if p := recover(); p != nil {
			c.s.log.Error("panic handling request", "op", f.Op, "account", c.account, "panic", p, "stack", string(debug.Stack()))
			c.reply(f.ID, nil, errorf(proto.CodeServer, "internal server error"))
			c.release() // a login that panicked after hold must not hold pushes for good
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
	ctx, cancel := context.WithTimeout(c.ctx, c.s.opTimeout)
	defer cancel()
	res, err := op(ctx, c, f.Data)
	c.reply(f.ID, res.reply, err)
	c.release()
	// Publish on a context of its own: what the op committed is pushed
	// even when the op used up its time.
	dctx, dcancel := context.WithTimeout(context.Background(), dispatchTimeout)
	defer dcancel()
	c.s.dispatch(dctx, c, res)
	if res.close != nil {
		c.closeAfter(res.close.code, res.close.reason)
	}
}

// reply queues the reply to request id: resp with code 200, or err's code.
// A reply that would not fit proto.MaxFrame becomes a 500.
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
			c.s.log.Error("encode reply", "account", c.account, "err", err)
			f.Code, f.Msg = proto.CodeServer, "internal server error"
		} else {
			f.Data = b
		}
	}
	b := proto.AppendFrame(nil, f)
	if len(b) > proto.MaxFrame {
		c.s.log.Error("reply larger than MaxFrame", "account", c.account, "bytes", len(b))
		b = proto.AppendFrame(nil, proto.Frame{ID: id, Code: proto.CodeServer, Msg: "internal server error: reply too large"})
	}
	c.send(b)
}

// writer writes the queued frames, then performs a close asked for once
// they are written, and returns when the queue is empty (signal starts it
// again) or the connection ended or failed.
func (c *conn) writer() {
	defer c.writers.Done()
	var watchdog *time.Timer
	for {
		c.mu.Lock()
		batch, closer := c.queue, c.closer
		c.queue = nil
		if len(batch) > 0 {
			closer = nil // close after the batch, once the queue is empty
		}
		if c.dead || (len(batch) == 0 && closer == nil) {
			c.writing = false
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		// One watchdog per batch bounds each write (Reset allocates
		// nothing), where a context with a timeout per frame cost about
		// 500 bytes of garbage per frame (its timer, the cancel context,
		// the library's AfterFunc on it): a team message pushed to 2,000
		// connections made 1 MB of it. The writes get a context with no
		// Done channel; a stuck write ends when the watchdog, the
		// connection's end or a queue overflow closes the socket.
		if watchdog == nil {
			watchdog = time.AfterFunc(c.s.writeTimeout, func() { c.ws.CloseNow() })
		}
		for i, frame := range batch {
			watchdog.Reset(c.s.writeTimeout)
			err := c.ws.Write(context.Background(), websocket.MessageText, frame)
			watchdog.Stop()
			batch[i] = nil
			c.mu.Lock()
			c.queued -= len(frame)
			c.mu.Unlock()
			if err != nil {
				// writing stays set: nothing more is written; the reader
				// sees the closed socket and ends the connection.
				c.ws.CloseNow()
				return
			}
		}
		if closer != nil {
			c.ws.Close(closer.code, closer.reason)
			c.ws.CloseNow()
			return // writing stays set: the connection is closed
		}
	}
}

// signal starts the writer unless it runs; c.mu is held.
func (c *conn) signal() {
	if c.writing || c.dead {
		return
	}
	c.writing = true
	c.writers.Add(1)
	go c.writer()
}

// send queues an encoded reply frame without blocking.
func (c *conn) send(frame []byte) { c.enqueue(frame, false) }

// push queues an encoded push frame without blocking; while the connection
// is holding (its login reply is not queued yet) the frame waits.
func (c *conn) push(frame []byte) { c.enqueue(frame, true) }

// enqueue queues frame, or holds it when it is a push and c is holding.
// When the queue would pass maxQueueBytes the connection is closed at once
// and its queue dropped: the client resyncs when it reconnects.
func (c *conn) enqueue(frame []byte, push bool) {
	c.mu.Lock()
	if c.dead || c.closer != nil {
		c.mu.Unlock()
		return
	}
	if c.queued+len(frame) > c.s.queueBytes {
		queued := c.queued
		c.dead, c.queue, c.held = true, nil, nil
		c.mu.Unlock()
		c.s.log.Warn("client not reading: outgoing queue full, closing", "account", c.account, "client", c.info.ID, "ip", c.ip, "queued", queued)
		c.ws.CloseNow()
		return
	}
	c.queued += len(frame)
	if push && c.holding {
		c.held = append(c.held, frame)
	} else {
		c.queue = append(c.queue, frame)
		c.signal()
	}
	c.mu.Unlock()
}

// hold makes pushes wait until release: login calls it before the
// connection joins the registry, so that no push overtakes its reply.
func (c *conn) hold() {
	c.mu.Lock()
	c.holding = true
	c.mu.Unlock()
}

// release queues the pushes held since hold (after the reply queued just
// before) and performs a kick's close that came meanwhile. A connection
// that did not log in after all drops them.
func (c *conn) release() {
	c.mu.Lock()
	if !c.holding {
		c.mu.Unlock()
		return
	}
	held, closer := c.held, c.heldClose
	c.holding, c.held, c.heldClose = false, nil, nil
	loggedIn := c.account != "" && !c.dead
	if loggedIn {
		// Into the queue under the same lock that ends holding, so that a
		// push delivered meanwhile cannot overtake them (their bytes are
		// counted already).
		c.queue = append(c.queue, held...)
		c.signal()
	} else {
		for _, f := range held {
			c.queued -= len(f)
		}
	}
	c.mu.Unlock()
	if loggedIn && closer != nil {
		c.closeAfter(closer.code, closer.reason)
	}
}

// kick queues frame and closes the connection once it is written.
func (c *conn) kick(frame []byte) {
	c.push(frame)
	c.mu.Lock()
	if c.holding {
		c.heldClose = &closeFrame{code: websocket.StatusPolicyViolation, reason: "kicked"}
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	c.closeAfter(websocket.StatusPolicyViolation, "kicked")
}

// closeAfter closes the connection with code and reason after the frames
// already queued are written.
func (c *conn) closeAfter(code websocket.StatusCode, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dead || c.closer != nil {
		return
	}
	c.closer = &closeFrame{code: code, reason: reason}
	c.signal()
}

// end marks the connection finished: nothing more is queued, the queue is
// released and the writer stops (serveWS waits for it).
func (c *conn) end() {
	c.mu.Lock()
	c.dead, c.queue = true, nil
	c.mu.Unlock()
	c.stop()
	c.ws.CloseNow()
}
