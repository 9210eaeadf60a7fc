package server

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"yunxin/internal/jx"
	"yunxin/proto"
)

const testKey, testSecret = "test-key", "test-secret"

type env struct {
	t   *testing.T
	dir string
	srv *Server
	hs  *httptest.Server
}

func testLogger() *slog.Logger {
	if os.Getenv("YUNXIN_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return nil
}

// newEnv opens a Server on a temp dir and serves it; users are created with
// token "tok-" + accid.
func newEnv(t *testing.T, users ...string) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir()}
	e.open()
	for _, u := range users {
		if _, err := e.srv.CreateUser(context.Background(), u, u, "tok-"+u); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(e.close)
	return e
}

func (e *env) open() {
	srv, err := Open(context.Background(), Config{DataDir: e.dir, AppKey: testKey, AppSecret: testSecret}, testLogger())
	if err != nil {
		e.t.Fatal(err)
	}
	e.srv = srv
	e.hs = httptest.NewServer(srv.Handler())
}

func (e *env) close() {
	if e.hs != nil {
		e.hs.Close()
		e.srv.Close()
		e.hs = nil
	}
}

// client is a test WebSocket client: replies are matched to requests by id,
// pushes are queued.
type client struct {
	t      *testing.T
	ws     *websocket.Conn
	mu     sync.Mutex
	nextID uint64
	wait   map[uint64]chan proto.Frame
	noID   chan proto.Frame // replies without id
	pushes chan proto.Frame
	closed chan struct{}
	id     string // ClientID after login
}

func (e *env) dial() *client {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(e.hs.URL, "http")+"/ws", nil)
	if err != nil {
		e.t.Fatal(err)
	}
	ws.SetReadLimit(proto.MaxFrame)
	c := &client{t: e.t, ws: ws, wait: map[uint64]chan proto.Frame{}, noID: make(chan proto.Frame, 16),
		pushes: make(chan proto.Frame, 10000), closed: make(chan struct{})}
	go c.read()
	e.t.Cleanup(func() { ws.CloseNow() })
	return c
}

func (c *client) read() {
	defer close(c.closed)
	for {
		_, data, err := c.ws.Read(context.Background())
		if err != nil {
			return
		}
		var f proto.Frame
		if err := json.Unmarshal(data, &f); err != nil {
			c.t.Errorf("bad frame from server: %s", data)
			return
		}
		switch {
		case f.Op != "":
			c.pushes <- f
		case f.ID == 0:
			c.noID <- f
		default:
			c.mu.Lock()
			ch := c.wait[f.ID]
			c.mu.Unlock()
			if ch == nil {
				c.t.Errorf("reply to unknown id: %s", data)
				continue
			}
			ch <- f
		}
	}
}

// raw sends data as is.
func (c *client) raw(data string) {
	c.t.Helper()
	if err := c.ws.Write(context.Background(), websocket.MessageText, []byte(data)); err != nil {
		c.t.Fatal(err)
	}
}

// call sends a request and returns the reply frame.
func (c *client) call(op string, payload any) proto.Frame {
	c.t.Helper()
	return c.callRaw(func(id uint64) string {
		f := proto.Frame{ID: id, Op: op}
		if payload != nil {
			f.Data, _ = json.Marshal(payload)
		}
		b, _ := json.Marshal(f)
		return string(b)
	})
}

// callRaw sends the frame frame(id) as is, for a fresh request id, and
// returns the reply.
func (c *client) callRaw(frame func(id uint64) string) proto.Frame {
	c.t.Helper()
	c.mu.Lock()
	c.nextID++
	id := c.nextID
	ch := make(chan proto.Frame, 1)
	c.wait[id] = ch
	c.mu.Unlock()
	c.raw(frame(id))
	select {
	case r := <-ch:
		return r
	case <-time.After(5 * time.Second):
		c.t.Fatalf("no reply to request %d", id)
	}
	return proto.Frame{}
}

// ok calls op, fails unless the reply is 200, and decodes its payload into out.
func (c *client) ok(op string, payload, out any) {
	c.t.Helper()
	r := c.call(op, payload)
	if r.Code != proto.CodeOK {
		c.t.Fatalf("%s: code %d %s", op, r.Code, r.Msg)
	}
	if out != nil {
		if err := json.Unmarshal(r.Data, out); err != nil {
			c.t.Fatalf("%s: decode %s: %v", op, r.Data, err)
		}
	}
}

// fail calls op and checks the error code and that msg contains want.
func (c *client) fail(op string, payload any, code int, want string) {
	c.t.Helper()
	r := c.call(op, payload)
	if r.Code != code || !strings.Contains(r.Msg, want) {
		c.t.Fatalf("%s: got %d %q, want %d containing %q", op, r.Code, r.Msg, code, want)
	}
}

func loginReq(acc string) proto.LoginReq {
	return proto.LoginReq{AppKey: testKey, Account: acc, Token: "tok-" + acc, ClientType: proto.ClientWeb, OS: "test", Version: proto.Version}
}

// login dials and logs acc in.
func (e *env) login(acc string) (*client, proto.LoginResp) {
	e.t.Helper()
	c := e.dial()
	var resp proto.LoginResp
	c.ok(proto.OpLogin, loginReq(acc), &resp)
	c.id = resp.ClientID
	return c, resp
}

// push waits for the next push of kind op, skipping other kinds, and decodes it.
func (c *client) push(op string, out any) {
	c.t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case f := <-c.pushes:
			if f.Op != op {
				continue
			}
			if out != nil {
				if err := json.Unmarshal(f.Data, out); err != nil {
					c.t.Fatal(err)
				}
			}
			return
		case <-deadline:
			c.t.Fatalf("no %s push", op)
		}
	}
}

// settle returns once every push caused by the requests the actors made so
// far has reached c: each actor's ping proves its earlier requests are
// finished (a connection handles requests in order, and publishes an op's
// pushes before it reads the next request), and c's own ping reply comes
// after anything queued for c before it.
func (c *client) settle(actors ...*client) {
	c.t.Helper()
	for _, a := range actors {
		if a != c {
			a.ok(proto.OpPing, nil, nil)
		}
	}
	c.ok(proto.OpPing, nil, nil)
}

// noPush checks that no push of kind op reached c from the requests the
// actors (and c) made so far.
func (c *client) noPush(op string, actors ...*client) {
	c.t.Helper()
	c.settle(actors...)
	for {
		select {
		case f := <-c.pushes:
			if f.Op == op {
				c.t.Fatalf("unexpected %s push: %s", op, f.Data)
			}
		default:
			return
		}
	}
}

// drain discards the pushes caused by the requests the actors (and c) made
// so far.
func (c *client) drain(actors ...*client) {
	c.t.Helper()
	c.settle(actors...)
	for {
		select {
		case <-c.pushes:
		default:
			return
		}
	}
}

// change waits for the next change push of kind and decodes its data into
// out.
func (c *client) change(kind string, out any) proto.Change {
	c.t.Helper()
	var ch proto.Change
	c.push(proto.PushChange, &ch)
	if ch.Kind != kind {
		c.t.Fatalf("change push of kind %q, want %q: %+v", ch.Kind, kind, ch)
	}
	if out != nil {
		if err := json.Unmarshal(ch.Data, out); err != nil {
			c.t.Fatalf("change data %s: %v", ch.Data, err)
		}
	}
	return ch
}

func (c *client) waitClosed() {
	c.t.Helper()
	select {
	case <-c.closed:
	case <-time.After(5 * time.Second):
		c.t.Fatal("connection not closed")
	}
}

func text(to, cid, txt string) proto.SendReq {
	return proto.SendReq{Msg: proto.Msg{ClientID: cid, To: to, Body: jx.RawMessage(`{"text":` + quote(txt) + `}`)}}
}

func quote(s string) string { b, _ := json.Marshal(s); return string(b) }
