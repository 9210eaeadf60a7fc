package core

import (
	"context"
	"errors"
	"sync"
	"time"

	"yunxin/internal/jx"
	"yunxin/proto"
)

// RequestTimeout bounds every request and the dial (NIM's 8 s).
const RequestTimeout = 8 * time.Second

// link is one connection: it numbers requests, matches replies and hands
// pushes, in arrival order, to onPush on a goroutine of its own (so a push
// handler may itself make requests).
type link struct {
	conn   Conn
	onPush func(op string, data jx.RawMessage)

	mu      sync.Mutex
	nextID  uint64
	waiting map[uint64]chan proto.Frame
	err     error // why the link closed

	done     chan struct{} // closed when the link is dead
	connShut sync.Once     // closes conn; every close waits for it
	pushes   chan proto.Frame
}

func newLink(conn Conn, onPush func(string, jx.RawMessage)) *link {
	l := &link{conn: conn, onPush: onPush, waiting: map[uint64]chan proto.Frame{},
		done: make(chan struct{}), pushes: make(chan proto.Frame, 256)}
	go l.readLoop()
	go l.pushLoop()
	return l
}

func (l *link) readLoop() {
	defer l.close(errors.New("connection closed"))
	for {
		b, err := l.conn.Read(context.Background())
		if err != nil {
			l.close(err)
			return
		}
		f, err := proto.DecodeFrame(b)
		if err != nil {
			continue // a frame we cannot read is dropped, the link lives on
		}
		if f.Op != "" && f.ID == 0 {
			select {
			case l.pushes <- f:
			case <-l.done:
				return
			}
			continue
		}
		l.mu.Lock()
		ch := l.waiting[f.ID]
		delete(l.waiting, f.ID)
		l.mu.Unlock()
		if ch != nil {
			ch <- f
		}
	}
}

// pushLoop hands pushes to onPush in arrival order. Once the link is dead
// it hands over what is still queued (a kick is read before the close that
// follows it) and ends.
func (l *link) pushLoop() {
	for {
		select {
		case f := <-l.pushes:
			l.onPush(f.Op, f.Data)
		case <-l.done:
			for {
				select {
				case f := <-l.pushes:
					l.onPush(f.Op, f.Data)
				default:
					return
				}
			}
		}
	}
}

// close ends the link once; pending and later calls fail with 415.
func (l *link) close(err error) {
	l.mu.Lock()
	if l.err != nil {
		l.mu.Unlock()
		l.shut()
		return
	}
	l.err = err
	close(l.done)
	l.mu.Unlock()
	l.shut()
}

// shut closes conn once. A close that finds the link already closing (the
// read loop saw the server close it, say after a logout) still returns only
// once conn is closed: Logout's caller sees no connection left open.
func (l *link) shut() { l.connShut.Do(func() { l.conn.Close() }) }

// failure is what a call on the closed link returns: 403 with the server's
// reason when it closed the connection with CloseOriginNotAllowed (the
// client must not retry), else 415 saying why the link closed.
func (l *link) failure() error {
	l.mu.Lock()
	err := l.err
	l.mu.Unlock()
	var ce *ClosedError
	if errors.As(err, &ce) {
		if ce.Code == proto.CloseOriginNotAllowed {
			return Errf(proto.CodeForbidden, ce.Reason)
		}
		return Errf(proto.CodeNetwork, "connection lost: "+ce.Error())
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if err == nil {
		return Errf(proto.CodeNetwork, "connection lost")
	}
	return Errf(proto.CodeNetwork, "connection lost: "+err.Error())
}

// call sends a request and decodes the reply's payload into resp (if not nil).
func (l *link) call(ctx context.Context, op string, req, resp jx.Value) error {
	var data jx.RawMessage
	if req != nil {
		b, err := jx.Marshal(req)
		if err != nil {
			return Errf(proto.CodeBadParam, err.Error())
		}
		data = b
	}
	if err := ctx.Err(); err != nil { // a dead context must not cost the connection (a failed write closes it)
		return ctxError(op, err)
	}
	ch := make(chan proto.Frame, 1)
	l.mu.Lock()
	if l.err != nil {
		l.mu.Unlock()
		return l.failure()
	}
	l.nextID++
	id := l.nextID
	l.waiting[id] = ch
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		delete(l.waiting, id)
		l.mu.Unlock()
	}()
	frame := proto.AppendFrame(nil, proto.Frame{ID: id, Op: op, Data: data})
	ctx, cancel := context.WithTimeout(ctx, RequestTimeout)
	defer cancel()
	if err := l.conn.Write(ctx, frame); err != nil {
		l.close(err)
		return l.failure()
	}
	select {
	case f := <-ch:
		if f.Code != proto.CodeOK && f.Code != 0 {
			return Errf(f.Code, f.Msg)
		}
		if resp != nil && len(f.Data) > 0 {
			var err error
			if d, ok := resp.(replyDecoder); ok {
				err = d.Decode(f.Data)
			} else {
				err = jx.Unmarshal(f.Data, resp)
			}
			if err != nil {
				return Errf(proto.CodeServer, "bad reply to "+op+": "+err.Error())
			}
		}
		return nil
	case <-l.done:
		return l.failure()
	case <-ctx.Done():
		return ctxError(op, ctx.Err())
	}
}

// replyDecoder is a reply type with a decoder of its own, as
// json.Unmarshal would decode it, but faster (proto.PullResp: an offline
// sync's pages).
type replyDecoder interface{ Decode([]byte) error }

// ctxError is what a call whose context ended returns: 408 on a deadline,
// else 415.
func ctxError(op string, err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return Errf(proto.CodeTimeout, op+" timed out")
	}
	return Errf(proto.CodeNetwork, op+": "+err.Error())
}
