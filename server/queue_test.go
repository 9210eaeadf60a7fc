package server

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"yunxin/proto"
)

// records is a slog.Handler that keeps the records it is given.
type records struct {
	mu   sync.Mutex
	list []slog.Record
}

func (r *records) Enabled(context.Context, slog.Level) bool { return true }
func (r *records) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.list = append(r.list, rec.Clone())
	return nil
}
func (r *records) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *records) WithGroup(string) slog.Handler      { return r }

// find returns the attrs of the first record with message msg.
func (r *records) find(msg string) (map[string]slog.Value, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rec := range r.list {
		if rec.Message == msg {
			attrs := map[string]slog.Value{}
			rec.Attrs(func(a slog.Attr) bool { attrs[a.Key] = a.Value; return true })
			return attrs, true
		}
	}
	return nil, false
}

func heapAlloc() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestSlowReaderClosedAtByteCap: a client that logs in and stops reading
// while the server pushes to it is closed once its queue reaches the byte
// cap, and its memory is released.
func TestSlowReaderClosedAtByteCap(t *testing.T) {
	e := newEnv(t, "alice", "slow")
	logs := &records{}
	e.srv.log = slog.New(logs)
	e.srv.reqBurst = 1 << 20 // alice sends as fast as the store takes it
	// The write timeout must not close the slow client first: on a busy
	// machine alice's sends are slow, and the kernel's socket buffers plus
	// the queue take longer than the 10 s default to fill.
	e.srv.writeTimeout = 5 * time.Minute
	a, _ := e.login("alice")
	watcher, _ := e.login("slow") // the slow account's other, reading, connection

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ws := e.silentLogin(ctx, "slow")
	var cl proto.Clients
	watcher.push(proto.PushClients, &cl)
	if len(cl.Clients) != 1 {
		t.Fatalf("watcher sees %+v", cl)
	}

	long := strings.Repeat("满", proto.MaxTextRunes) // a push of about 15 KB
	for i := range 10 {                             // warm up the store and the buffers
		a.ok(proto.OpSend, text("alice", fmt.Sprintf("w%d", i), long), nil)
	}
	a.drain()
	base := heapAlloc()

	// Push to the slow client until the watcher learns it is gone.
	sent := 0
	for gone := false; !gone; {
		if sent == 5000 {
			t.Fatalf("slow client still connected after %d pushes of 15 KB", sent)
		}
		a.ok(proto.OpSend, text("slow", fmt.Sprintf("m%d", sent), long), nil)
		sent++
		for drained := false; !drained && !gone; {
			select {
			case f := <-watcher.pushes:
				if f.Op == proto.PushClients {
					if err := json.Unmarshal(f.Data, &cl); err != nil || len(cl.Clients) != 0 {
						t.Fatalf("clients push %s %v", f.Data, err)
					}
					gone = true
				}
			default:
				drained = true
			}
		}
	}
	attrs, ok := logs.find("client not reading: outgoing queue full, closing")
	if !ok {
		t.Fatal("no queue-full log")
	}
	if q := attrs["queued"].Int64(); q > maxQueueBytes || q < maxQueueBytes-proto.MaxItemBytes {
		t.Fatalf("closed with %d bytes queued, cap %d", q, maxQueueBytes)
	}
	e.srv.mu.Lock()
	n := len(e.srv.conns)
	e.srv.mu.Unlock()
	if n != 2 {
		t.Fatalf("%d connections left, want alice and the watcher", n)
	}
	watcher.drain(a)
	after := heapAlloc()
	if after > base+2<<20 {
		t.Fatalf("heap %d KB after the slow client left, %d KB before it was flooded", after>>10, base>>10)
	}
	t.Logf("heap %d KB before the flood, %d KB after the close", base>>10, after>>10)

	// The slow client reads what reached its socket, then the end.
	got := 0
	for {
		if _, _, err := ws.Read(ctx); err != nil {
			if ctx.Err() != nil {
				t.Fatal("slow connection not closed")
			}
			break
		}
		got++
	}
	if got >= sent {
		t.Fatalf("slow client got all %d pushes", sent)
	}
	t.Logf("sent %d pushes, the slow client got %d before the close", sent, got)
}

// silentLogin logs acc in on a raw WebSocket that reads its login reply
// and then nothing (a client that stopped reading).
func (e *env) silentLogin(ctx context.Context, acc string) *websocket.Conn {
	e.t.Helper()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(e.hs.URL, "http")+"/ws", nil)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { ws.CloseNow() })
	ws.SetReadLimit(proto.MaxFrame)
	login, _ := json.Marshal(loginReq(acc))
	req, _ := json.Marshal(proto.Frame{ID: 1, Op: proto.OpLogin, Data: login})
	if err := ws.Write(ctx, websocket.MessageText, req); err != nil {
		e.t.Fatal(err)
	}
	if _, data, err := ws.Read(ctx); err != nil || !strings.Contains(string(data), `"code":200`) {
		e.t.Fatalf("%s's login: %s %v", acc, data, err)
	}
	return ws
}

// TestStuckWriteClosedAfterWriteTimeout: a client that stops reading while
// its queue stays under the byte cap is closed once a write to its socket
// has been stuck for the write timeout (the writer's watchdog), and its
// writer ends.
func TestStuckWriteClosedAfterWriteTimeout(t *testing.T) {
	e := newEnv(t, "alice", "slow")
	logs := &records{}
	e.srv.log = slog.New(logs)
	e.srv.reqBurst = 1 << 20
	e.srv.queueBytes = 1 << 30 // never reached: only the timeout can close it
	e.srv.writeTimeout = 300 * time.Millisecond
	a, _ := e.login("alice")
	watcher, _ := e.login("slow")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	e.silentLogin(ctx, "slow")
	var cl proto.Clients
	watcher.push(proto.PushClients, &cl)

	long := strings.Repeat("满", proto.MaxTextRunes)
	start := time.Now()
	sent := 0
	for gone := false; !gone; {
		if ctx.Err() != nil {
			t.Fatalf("the silent client is still connected after %d pushes of 15 KB", sent)
		}
		a.ok(proto.OpSend, text("slow", fmt.Sprintf("m%d", sent), long), nil)
		sent++
		// Every 50 pushes, wait a while for the close (a write stuck on
		// the full socket passes its timeout); else only drain.
		var wait <-chan time.Time
		if sent%50 == 0 {
			wait = time.After(600 * time.Millisecond)
		}
		for !gone {
			var f proto.Frame
			if wait == nil {
				select {
				case f = <-watcher.pushes:
				default:
				}
			} else {
				select {
				case f = <-watcher.pushes:
				case <-wait:
				}
			}
			if f.Op == "" {
				break // drained, or waited
			}
			if f.Op == proto.PushClients {
				if err := json.Unmarshal(f.Data, &cl); err != nil || len(cl.Clients) != 0 {
					t.Fatalf("clients push %s %v", f.Data, err)
				}
				gone = true
			}
		}
	}
	if _, ok := logs.find("client not reading: outgoing queue full, closing"); ok {
		t.Fatal("closed by the queue's cap, not by the write timeout")
	}
	e.srv.mu.Lock()
	n := len(e.srv.conns)
	e.srv.mu.Unlock()
	if n != 2 {
		t.Fatalf("%d connections left, want alice and the watcher", n)
	}
	t.Logf("closed after %d pushes, %v", sent, time.Since(start).Round(time.Millisecond))
}

// TestIdleConnHasNoWriter: once a connection's frames are written its
// writer goroutine ends (an idle connection keeps only its reader); the
// next push starts it again and arrives, and so does the next reply.
func TestIdleConnHasNoWriter(t *testing.T) {
	e := newEnv(t, "alice", "bob")
	a, _ := e.login("alice")
	b, _ := e.login("bob")
	// waitIdle waits for acc's connection's writer to end (its
	// WaitGroup: nothing else is sent to acc meanwhile), then checks that
	// it says so.
	waitIdle := func(acc string) {
		t.Helper()
		var cn *conn
		e.srv.mu.Lock()
		for c := range e.srv.conns {
			if c.account == acc {
				cn = c
			}
		}
		e.srv.mu.Unlock()
		if cn == nil {
			t.Fatalf("no connection of %s", acc)
		}
		ended := make(chan struct{})
		go func() { cn.writers.Wait(); close(ended) }()
		select {
		case <-ended:
		case <-time.After(5 * time.Second):
			t.Fatalf("%s's connection still has a writer running 5 s after its frames were written", acc)
		}
		cn.mu.Lock()
		writing := cn.writing
		cn.mu.Unlock()
		if writing {
			t.Fatalf("%s's writer ended but the connection says it is writing", acc)
		}
	}
	waitIdle("bob")
	var resp proto.SendResp
	a.ok(proto.OpSend, text("bob", "idle-1", "hello"), &resp)
	var m proto.Msg
	b.push(proto.PushMsg, &m)
	if m.ClientID != "idle-1" {
		t.Fatalf("bob got %+v, want idle-1", m)
	}
	waitIdle("bob")
	b.ok(proto.OpPing, nil, nil)
	waitIdle("bob")
	waitIdle("alice")
}
