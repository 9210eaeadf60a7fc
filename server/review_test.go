package server

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"yunxin/internal/jx"
	"yunxin/proto"
	"yunxin/server/store"
)

// TestSendStoresOnlyText: a body with extra fields is stored as exactly
// {"text": …}, so a crafted padding field (which json.Marshal would grow
// six-fold, '<' → \u003c) cannot make the receiver's pull fail forever.
func TestSendStoresOnlyText(t *testing.T) {
	e := newEnv(t, "alice", "bob")
	a, _ := e.login("alice")
	b, _ := e.login("bob")
	pad := strings.Repeat("<", 200<<10)
	r := a.callRaw(func(id uint64) string {
		return fmt.Sprintf(`{"id":%d,"op":"send","d":{"msg":{"cid":"pad","to":"bob","body":{"text":"hi","pad":"%s"}}}}`, id, pad)
	})
	if r.Code != proto.CodeOK {
		t.Fatalf("send: %d %s", r.Code, r.Msg)
	}
	var m proto.Msg
	b.push(proto.PushMsg, &m)
	if string(m.Body) != `{"text":"hi"}` {
		t.Fatalf("pushed body %.100s", m.Body)
	}
	var pull proto.PullResp
	b.ok(proto.OpPull, proto.PullReq{Cursors: []proto.Cursor{{Conv: proto.P2PConv("alice", "bob")}}}, &pull)
	if len(pull.Msgs) != 1 || string(pull.Msgs[0].Body) != `{"text":"hi"}` {
		t.Fatalf("pulled %.200v", pull.Msgs)
	}
	// Text is kept as given (escaped or not on the wire, the same string).
	a.ok(proto.OpSend, text("bob", "lt", "<a & b>"), nil)
	b.push(proto.PushMsg, &m)
	var body struct{ Text string }
	if err := json.Unmarshal(m.Body, &body); err != nil || body.Text != "<a & b>" {
		t.Fatalf("body %s, %v", m.Body, err)
	}
}

// The largest message the field limits allow fits MaxItemBytes, and one
// over it (which the field limits cannot produce today) is refused.
func TestCheckItemSize(t *testing.T) {
	worst := strings.Repeat("<", proto.MaxTextRunes)
	body, err := checkTextBody(jx.RawMessage(`{"text":"` + worst + `"}`))
	if err != nil {
		t.Fatal(err)
	}
	ext := jx.RawMessage(`{"k":"` + strings.Repeat("<", proto.MaxExtBytes-8) + `"}`)
	m := proto.Msg{ClientID: strings.Repeat("c", proto.MaxIDBytes), To: strings.Repeat("t", 32), From: strings.Repeat("f", 32),
		Conv: proto.P2PConv(strings.Repeat("t", 32), strings.Repeat("f", 32)), Body: body, Ext: ext, FromClient: proto.ClientWeb}
	if err := checkItemSize(m); err != nil {
		t.Fatalf("largest valid message refused: %v", err)
	}
	m.Body = jx.RawMessage(`{"text":"` + strings.Repeat("<", proto.MaxItemBytes/6) + `"}`)
	if err, ok := checkItemSize(m).(*Error); !ok || err.Code != proto.CodeBadParam {
		t.Fatalf("oversized message: %v, want 414", err)
	}
}

// countingStore counts the messages pull reads from the store.
type countingStore struct {
	store.Store
	mu       sync.Mutex
	rows     int // messages returned since the last take
	maxLimit int // the largest limit asked
}

func (s *countingStore) Messages(ctx context.Context, conv string, after int64, limit int) ([]proto.Msg, error) {
	ms, err := s.Store.Messages(ctx, conv, after, limit)
	s.mu.Lock()
	s.rows += len(ms)
	s.maxLimit = max(s.maxLimit, limit)
	s.mu.Unlock()
	return ms, err
}

// take returns and resets the counts.
func (s *countingStore) take() (rows, maxLimit int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rows, maxLimit = s.rows, s.maxLimit
	s.rows, s.maxLimit = 0, 0
	return rows, maxLimit
}

// TestPullReadsInBatches: a pull of long messages reads about one page of
// them from the store (not MaxPull), and More stays exact at batch, limit
// and cursor boundaries.
func TestPullReadsInBatches(t *testing.T) {
	e := newEnv(t, "alice", "bob", "carol")
	e.srv.reqBurst = 1000
	cs := &countingStore{Store: e.srv.store}
	e.srv.store = cs
	a, _ := e.login("alice")
	long := strings.Repeat("长", proto.MaxTextRunes)
	for i := range 100 {
		a.ok(proto.OpSend, text("bob", fmt.Sprintf("long%03d", i), long), nil)
	}
	ab, ac := proto.P2PConv("alice", "bob"), proto.P2PConv("alice", "carol")
	var p proto.PullResp
	cs.take()
	a.ok(proto.OpPull, proto.PullReq{Cursors: []proto.Cursor{{Conv: ab}}}, &p)
	rows, maxLimit := cs.take()
	if !p.More || len(p.Msgs) < 10 || rows > len(p.Msgs)+pullBatch || maxLimit > pullBatch {
		t.Fatalf("page of %d messages (more %v) read %d rows, limit up to %d", len(p.Msgs), p.More, rows, maxLimit)
	}

	// Short messages: 150 more in alice|bob (250 in all), 3 in alice|carol.
	for i := range 150 {
		a.ok(proto.OpSend, text("bob", fmt.Sprint("s", i), "hi"), nil)
	}
	for i := range 3 {
		a.ok(proto.OpSend, text("carol", fmt.Sprint("c", i), "hi"), nil)
	}
	after := int64(100) // past the long ones
	for _, tc := range []struct {
		cursors []proto.Cursor
		limit   int
		n       int
		more    bool
	}{
		{[]proto.Cursor{{Conv: ab, After: after}}, 0, 150, false},
		{[]proto.Cursor{{Conv: ab, After: after}}, 150, 150, false},
		{[]proto.Cursor{{Conv: ab, After: after}}, 149, 149, true},
		{[]proto.Cursor{{Conv: ab, After: after}}, 64, 64, true},
		{[]proto.Cursor{{Conv: ab, After: after}}, 128, 128, true},
		{[]proto.Cursor{{Conv: ab, After: after}, {Conv: ac}}, 150, 150, true},
		{[]proto.Cursor{{Conv: ab, After: after}, {Conv: ac}}, 153, 153, false},
		{[]proto.Cursor{{Conv: ab, After: after}, {Conv: ac}}, 0, 153, false},
		{[]proto.Cursor{{Conv: ab, After: 250}, {Conv: ac, After: 3}}, 0, 0, false},
	} {
		var p proto.PullResp
		a.ok(proto.OpPull, proto.PullReq{Cursors: tc.cursors, Limit: tc.limit}, &p)
		if len(p.Msgs) != tc.n || p.More != tc.more {
			t.Errorf("pull %+v limit %d: %d messages, more %v; want %d, %v", tc.cursors, tc.limit, len(p.Msgs), p.More, tc.n, tc.more)
		}
		for i := 1; i < len(p.Msgs); i++ {
			if prev, m := p.Msgs[i-1], p.Msgs[i]; m.Conv == prev.Conv && m.Seq != prev.Seq+1 {
				t.Fatalf("seq %d after %d", m.Seq, prev.Seq)
			}
		}
	}
}

// TestNoOpReadAndReceipt: a read mark or receipt that does not move
// changes nothing and pushes nothing; the reply is the current state.
func TestNoOpReadAndReceipt(t *testing.T) {
	e := newEnv(t, "alice", "bob")
	a, _ := e.login("alice")
	b1, _ := e.login("bob")
	b2, _ := e.login("bob")
	conv := proto.P2PConv("alice", "bob")
	for i := range 3 {
		a.ok(proto.OpSend, text("bob", fmt.Sprint("m", i), "hi"), nil)
	}
	b1.drain(a, b2)
	b2.drain(a)
	var cv proto.Conv
	b1.ok(proto.OpRead, proto.ReadReq{Conv: conv, Seq: 2}, &cv)
	b2.change(proto.ChangeConv, nil)
	for _, seq := range []int64{0, 1, 2} {
		var again proto.Conv
		b1.ok(proto.OpRead, proto.ReadReq{Conv: conv, Seq: seq}, &again)
		if again != cv {
			t.Fatalf("read %d after 2: %+v, want %+v", seq, again, cv)
		}
	}
	b2.noPush(proto.PushChange, b1)

	var r proto.Receipt
	b1.ok(proto.OpReceipt, proto.ReceiptReq{Conv: conv, Seq: 2, ClientID: "m1"}, &r)
	a.change(proto.ChangeReceipt, nil)
	for _, seq := range []int64{1, 2} {
		var stale proto.Receipt
		b1.ok(proto.OpReceipt, proto.ReceiptReq{Conv: conv, Seq: seq, ClientID: "stale"}, &stale)
		if stale != r {
			t.Fatalf("receipt %d after 2: %+v, want the stored %+v", seq, stale, r)
		}
	}
	a.noPush(proto.PushChange, b1)
	var s proto.SyncResp
	a.ok(proto.OpSync, proto.SyncReq{}, &s)
	var logged proto.Receipt
	if len(s.Changes) != 1 || json.Unmarshal(s.Changes[0].Data, &logged) != nil || logged != r {
		t.Fatalf("alice's log %+v, want the one receipt %+v", s.Changes, r)
	}
}

// hookPresence runs onOnline (once) before the first Online it sees.
type hookPresence struct {
	Presence
	done     atomic.Bool
	onOnline func(account string, info proto.ClientInfo)
}

func (p *hookPresence) Online(ctx context.Context, account string, info proto.ClientInfo) error {
	if p.done.CompareAndSwap(false, true) {
		p.onOnline(account, info)
	}
	return p.Presence.Online(ctx, account, info)
}

// TestLoginsAtOnce: two clients of an account logging in at once each
// learn of the other, one through its login reply, the other through a
// clients push.
func TestLoginsAtOnce(t *testing.T) {
	e := newEnv(t, "alice")
	inOnline, proceed := make(chan struct{}), make(chan struct{})
	e.srv.presence = &hookPresence{Presence: e.srv.presence, onOnline: func(string, proto.ClientInfo) {
		close(inOnline)
		<-proceed
	}}
	a := e.dial()
	reply := make(chan proto.Frame, 1)
	go func() { reply <- a.call(proto.OpLogin, loginReq("alice")) }()
	<-inOnline // a's login is between joining and coming online
	b, bResp := e.login("alice")
	close(proceed)
	f := <-reply
	var aResp proto.LoginResp
	if f.Code != proto.CodeOK || json.Unmarshal(f.Data, &aResp) != nil {
		t.Fatalf("a's login: %+v", f)
	}
	a.id = aResp.ClientID
	seen := func(list []proto.ClientInfo, id string) bool {
		for _, c := range list {
			if c.ID == id {
				return true
			}
		}
		return false
	}
	if !seen(aResp.Clients, b.id) || seen(aResp.Clients, a.id) {
		t.Fatalf("a's login reply lists %+v; want b (%s) and not a itself", aResp.Clients, b.id)
	}
	if !seen(bResp.Clients, a.id) {
		var cl proto.Clients
		b.push(proto.PushClients, &cl)
		if !seen(cl.Clients, a.id) || seen(cl.Clients, b.id) {
			t.Fatalf("b's clients push %+v; want a (%s)", cl.Clients, a.id)
		}
	}
}

// TestLoginReplyFirst: a push published while a login is in progress
// reaches the connection after its login reply.
func TestLoginReplyFirst(t *testing.T) {
	e := newEnv(t, "alice")
	frame, _ := encodePush(proto.PushMsg, proto.Msg{ClientID: "early", To: "alice"})
	e.srv.presence = &hookPresence{Presence: e.srv.presence, onOnline: func(account string, _ proto.ClientInfo) {
		e.srv.bus.Publish(context.Background(), Push{Account: account, Frame: frame})
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(e.hs.URL, "http")+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	req, _ := json.Marshal(loginReq("alice"))
	login, _ := json.Marshal(proto.Frame{ID: 1, Op: proto.OpLogin, Data: req})
	if err := ws.Write(ctx, websocket.MessageText, login); err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"reply", proto.PushMsg} {
		_, data, err := ws.Read(ctx)
		var f proto.Frame
		if err != nil || json.Unmarshal(data, &f) != nil {
			t.Fatalf("frame %d: %s %v", i, data, err)
		}
		if got := cmp.Or(f.Op, "reply"); got != want || want == "reply" && (f.ID != 1 || f.Code != proto.CodeOK) {
			t.Fatalf("frame %d is %s, want %s", i, data, want)
		}
	}
}

// ctxBus refuses to publish on a finished context, as a networked Bus
// would.
type ctxBus struct{ Bus }

func (b ctxBus) Publish(ctx context.Context, p Push) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	return b.Bus.Publish(ctx, p)
}

// TestDispatchAfterOpTimeout: what an op committed is published even when
// the op used up its time.
func TestDispatchAfterOpTimeout(t *testing.T) {
	e := newEnv(t, "alice")
	e.srv.bus = ctxBus{e.srv.bus}
	const op = "test-slow-commit"
	if _, ok := ops[op]; !ok {
		ops[op] = func(ctx context.Context, c *conn, d jx.RawMessage) (result, error) {
			<-ctx.Done() // the op takes all its time, then reports its commit
			ch := store.Change{Account: c.account, Change: proto.Change{Ver: 1, Kind: "test", Key: "k"}}
			return result{changes: []store.Change{ch}}, nil
		}
		t.Cleanup(func() { delete(ops, op) })
	}
	a1, _ := e.login("alice")
	a2, _ := e.login("alice")
	e.srv.opTimeout = 50 * time.Millisecond
	a1.ok(op, nil, nil)
	var ch proto.Change
	a2.push(proto.PushChange, &ch)
	if ch.Kind != "test" || ch.Key != "k" {
		t.Fatalf("change push %+v", ch)
	}
}

// TestKickedExecutesNothing: a kicked connection handles no request after
// the kick, even one that arrives while the kick and the close frame still
// wait behind other frames.
func TestKickedExecutesNothing(t *testing.T) {
	e := newEnv(t, "alice", "bob")
	e.srv.queueBytes = 64 << 20
	a, _ := e.login("alice")
	// The victim is a bare connection that does not read for now: it
	// cannot see the kick or the close frame, and writes on.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(e.hs.URL, "http")+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	ws.SetReadLimit(2 * proto.MaxFrame)
	write := func(id uint64, op string, payload any) {
		d, _ := json.Marshal(payload)
		b, _ := json.Marshal(proto.Frame{ID: id, Op: op, Data: d})
		if err := ws.Write(ctx, websocket.MessageText, b); err != nil {
			t.Fatal(err)
		}
	}
	write(1, proto.OpLogin, loginReq("alice"))
	var cl proto.Clients
	a.push(proto.PushClients, &cl) // the victim is logged in
	if len(cl.Clients) != 1 {
		t.Fatalf("clients %+v", cl)
	}
	// Fill the socket between the server and the victim, so that the
	// server's writer is stuck before the kick.
	big, _ := json.Marshal(proto.Frame{Op: "filler", Data: jx.RawMessage(quote(strings.Repeat("x", proto.MaxFrame-100)))})
	for range 16 {
		e.srv.bus.Publish(ctx, Push{Account: "alice", Only: cl.Clients[0].ID, Frame: big})
	}
	var k proto.KickResp
	a.ok(proto.OpKick, proto.KickReq{ClientType: proto.ClientWeb}, &k)
	a.ok(proto.OpPing, nil, nil) // the kick is delivered: the victim is closing
	if k.Kicked != 1 {
		t.Fatalf("kicked %d", k.Kicked)
	}
	write(2, proto.OpSend, text("bob", "after-kick", "must not be stored"))
	// Now read: the login reply, the fillers, the kick, then the close.
	kicked := false
	for {
		_, data, err := ws.Read(ctx)
		if err != nil {
			if !kicked || websocket.CloseStatus(err) != websocket.StatusPolicyViolation {
				t.Fatalf("victim's connection ended with %v (kick seen: %v)", err, kicked)
			}
			break
		}
		kicked = kicked || strings.HasPrefix(string(data), `{"op":"kick"`)
	}
	// The victim has left once a's list is empty again; its requests were
	// handled (or not) before that.
	for {
		a.push(proto.PushClients, &cl)
		if len(cl.Clients) == 0 {
			break
		}
	}
	var s proto.SyncResp
	a.ok(proto.OpSync, proto.SyncReq{}, &s)
	if len(s.Convs) != 0 {
		t.Fatalf("a request after the kick was executed: %+v", s.Convs)
	}
}

// TestCloseClosesRefusedOrigin: a connection from a refused origin is
// closed by the server's shutdown like any other, and Close waits for it.
func TestCloseClosesRefusedOrigin(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	h := http.Header{}
	h.Set("Origin", "http://evil.example")
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(e.hs.URL, "http")+"/ws", &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	// Whether Close finds the connection waiting for its first request or
	// the connection finds the server closed, it is closed going away.
	closed := make(chan error, 1)
	go func() { _, _, err := ws.Read(ctx); closed <- err }()
	e.srv.Close()
	if err := <-closed; websocket.CloseStatus(err) != websocket.StatusGoingAway {
		t.Fatalf("refused connection at shutdown: %v, want going away", err)
	}
}

// TestRateLimitSaysConfiguredRate: the 416 names the server's rate.
func TestRateLimitSaysConfiguredRate(t *testing.T) {
	e := newEnv(t, "alice")
	e.srv.reqRate, e.srv.reqBurst = 2, 3
	a, _ := e.login("alice")
	for range 10 {
		if r := a.call(proto.OpPing, nil); r.Code == proto.CodeRateLimited {
			if r.Msg != "rate limited: at most 2 requests per second" {
				t.Fatalf("416 %q", r.Msg)
			}
			return
		}
	}
	t.Fatal("never rate limited")
}
