package server

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"yunxin/internal/jx"
	"yunxin/proto"
)

func TestLogin(t *testing.T) {
	e := newEnv(t, "alice")
	_, resp := e.login("alice")
	if resp.ClientID == "" || resp.ServerTime == 0 || resp.Clients == nil || len(resp.Clients) != 0 {
		t.Fatalf("login resp %+v", resp)
	}

	for _, tc := range []struct {
		name string
		req  proto.LoginReq
		code int
		msg  string
	}{
		{"wrong token", proto.LoginReq{AppKey: testKey, Account: "alice", Token: "nope", Version: proto.Version}, 302, "wrong account or token"},
		{"unknown account", proto.LoginReq{AppKey: testKey, Account: "bob", Token: "tok-bob", Version: proto.Version}, 302, "wrong account or token"},
		{"wrong appKey", proto.LoginReq{AppKey: "other", Account: "alice", Token: "tok-alice", Version: proto.Version}, 403, "appKey mismatch"},
		{"wrong version", proto.LoginReq{AppKey: testKey, Account: "alice", Token: "tok-alice", Version: 99}, 414, "version"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := e.dial()
			c.fail(proto.OpLogin, tc.req, tc.code, tc.msg)
			c.waitClosed()
		})
	}

	t.Run("ops before login", func(t *testing.T) {
		c := e.dial()
		c.ok(proto.OpPing, nil, nil)
		c.fail(proto.OpSync, proto.SyncReq{}, 403, "login")
	})
}

func TestLoginTimeout(t *testing.T) {
	e := newEnv(t)
	e.srv.loginTimeout = 100 * time.Millisecond
	c := e.dial()
	c.waitClosed()
}

func TestSendPushAndMultiDevice(t *testing.T) {
	e := newEnv(t, "alice", "bob")
	a1, _ := e.login("alice")
	a2, _ := e.login("alice")
	b, _ := e.login("bob")
	a1.drain(a2)
	a2.drain()

	var sr proto.SendResp
	a1.ok(proto.OpSend, text("bob", "c1", "hi bob"), &sr)
	conv := proto.P2PConv("alice", "bob")
	if sr.Seq != 1 || sr.Conv != conv || sr.ServerID == "" || sr.Time == 0 || sr.Dup {
		t.Fatalf("send resp %+v", sr)
	}
	for _, c := range []*client{b, a2} {
		var m proto.Msg
		c.push(proto.PushMsg, &m)
		if m.ServerID != sr.ServerID || m.Seq != 1 || m.From != "alice" || m.To != "bob" || m.Conv != conv ||
			m.Time != sr.Time || m.FromClient != proto.ClientWeb || string(m.Body) != `{"text":"hi bob"}` || m.ClientID != "c1" {
			t.Fatalf("pushed msg %+v", m)
		}
	}
	a1.noPush(proto.PushMsg)

	// Resend: same answer, Dup, no push.
	var dup proto.SendResp
	a1.ok(proto.OpSend, text("bob", "c1", "hi bob"), &dup)
	if !dup.Dup || dup.Seq != sr.Seq || dup.ServerID != sr.ServerID || dup.Time != sr.Time {
		t.Fatalf("dup resp %+v vs %+v", dup, sr)
	}
	b.noPush(proto.PushMsg, a1)
	a2.noPush(proto.PushMsg, a1)

	// Seq and time strictly increase, in both directions.
	last := sr
	for i := range 5 {
		var r proto.SendResp
		from, to := a1, "bob"
		if i%2 == 1 {
			from, to = b, "alice"
		}
		from.ok(proto.OpSend, text(to, "n"+string(rune('a'+i)), "x"), &r)
		if r.Seq != last.Seq+1 || r.Time <= last.Time {
			t.Fatalf("send %d: %+v after %+v", i, r, last)
		}
		last = r
	}

	// Self-send: one conv row, no unread, the other device gets it.
	a2.drain(a1, b)
	var self proto.SendResp
	a1.ok(proto.OpSend, text("alice", "self1", "note"), &self)
	if self.Conv != proto.P2PConv("alice", "alice") || self.Seq != 1 {
		t.Fatalf("self send %+v", self)
	}
	a2.push(proto.PushMsg, nil)
	var sync proto.SyncResp
	a1.ok(proto.OpSync, proto.SyncReq{}, &sync)
	for _, c := range sync.Convs {
		if c.ID == self.Conv && (c.Unread != 0 || c.Peer != "alice") {
			t.Fatalf("self conv %+v", c)
		}
	}
}

func TestOfflineSyncPull(t *testing.T) {
	e := newEnv(t, "alice", "bob")
	a, _ := e.login("alice")
	for i := range 3 {
		a.ok(proto.OpSend, text("bob", "m"+string(rune('0'+i)), "offline"), nil)
	}
	b, _ := e.login("bob")
	var sync proto.SyncResp
	b.ok(proto.OpSync, proto.SyncReq{Since: 0}, &sync)
	if len(sync.Convs) != 1 || sync.ConvVer == 0 || sync.Ver != 0 || len(sync.Changes) != 0 || sync.More {
		t.Fatalf("sync %+v", sync)
	}
	cv := sync.Convs[0]
	if cv.ID != proto.P2PConv("alice", "bob") || cv.Peer != "alice" || cv.LastSeq != 3 || cv.Unread != 3 || cv.ReadSeq != 0 {
		t.Fatalf("conv %+v", cv)
	}
	var pull proto.PullResp
	b.ok(proto.OpPull, proto.PullReq{Cursors: []proto.Cursor{{Conv: cv.ID, After: 0}}}, &pull)
	if len(pull.Msgs) != 3 || pull.More {
		t.Fatalf("pull %+v", pull)
	}
	for i, m := range pull.Msgs {
		if m.Seq != int64(i+1) {
			t.Fatalf("pull order %+v", pull.Msgs)
		}
	}
	// Nothing new: sync from Ver and pull from the cursor return nothing.
	var again proto.SyncResp
	b.ok(proto.OpSync, proto.SyncReq{Since: sync.Ver, ConvSince: sync.ConvVer}, &again)
	if len(again.Convs) != 0 || len(again.Changes) != 0 || again.Ver != sync.Ver || again.ConvVer != sync.ConvVer || again.More {
		t.Fatalf("resync %+v", again)
	}
	var pull2 proto.PullResp
	b.ok(proto.OpPull, proto.PullReq{Cursors: []proto.Cursor{{Conv: cv.ID, After: 3}}}, &pull2)
	if len(pull2.Msgs) != 0 {
		t.Fatalf("pull2 %+v", pull2)
	}
	// Limit and More.
	var lim proto.PullResp
	b.ok(proto.OpPull, proto.PullReq{Cursors: []proto.Cursor{{Conv: cv.ID}}, Limit: 2}, &lim)
	if len(lim.Msgs) != 2 || !lim.More {
		t.Fatalf("limited pull %+v", lim)
	}
	// Not a member.
	b.fail(proto.OpPull, proto.PullReq{Cursors: []proto.Cursor{{Conv: proto.P2PConv("alice", "carol")}}}, 403, "not a member")
}

func TestReadAndReceipt(t *testing.T) {
	e := newEnv(t, "alice", "bob")
	a, _ := e.login("alice")
	b1, _ := e.login("bob")
	b2, _ := e.login("bob")
	conv := proto.P2PConv("alice", "bob")
	for i := range 4 {
		a.ok(proto.OpSend, text("bob", "r"+string(rune('0'+i)), "read me"), nil)
	}
	b1.drain(a, b2)
	b2.drain(a)

	var cv proto.Conv
	b1.ok(proto.OpRead, proto.ReadReq{Conv: conv, Seq: 3}, &cv)
	if cv.ReadSeq != 3 || cv.Unread != 1 || cv.LastSeq != 4 {
		t.Fatalf("read %+v", cv)
	}
	var pushed proto.Conv
	ch := b2.change(proto.ChangeConv, &pushed)
	if pushed != cv || ch.Key != conv || ch.Ver <= 0 || ch.Deleted {
		t.Fatalf("conv change %+v %+v, want %+v", ch, pushed, cv)
	}
	b1.noPush(proto.PushChange)
	a.noPush(proto.PushChange, b1)
	// Never down, capped at last seq.
	b1.ok(proto.OpRead, proto.ReadReq{Conv: conv, Seq: 1}, &cv)
	if cv.ReadSeq != 3 {
		t.Fatalf("read moved down: %+v", cv)
	}
	b1.ok(proto.OpRead, proto.ReadReq{Conv: conv, Seq: 100}, &cv)
	if cv.ReadSeq != 4 || cv.Unread != 0 {
		t.Fatalf("read all: %+v", cv)
	}
	b1.fail(proto.OpRead, proto.ReadReq{Conv: proto.P2PConv("alice", "carol"), Seq: 1}, 403, "not a member")
	b1.noPush(proto.PushClients)
	// bob's log holds the newest read mark only, and a sync returns it.
	var bs proto.SyncResp
	b2.ok(proto.OpSync, proto.SyncReq{}, &bs)
	if len(bs.Changes) != 1 || bs.Changes[0].Kind != proto.ChangeConv || bs.Changes[0].Key != conv || bs.Ver != bs.Changes[0].Ver {
		t.Fatalf("bob's sync changes %+v ver %d", bs.Changes, bs.Ver)
	}
	var synced proto.Conv
	if err := json.Unmarshal(bs.Changes[0].Data, &synced); err != nil || synced.ReadSeq != 4 || synced.Unread != 0 {
		t.Fatalf("bob's synced read mark %s: %v", bs.Changes[0].Data, err)
	}

	// Receipt to alice.
	b2.drain(b1)
	var r proto.Receipt
	b1.ok(proto.OpReceipt, proto.ReceiptReq{Conv: conv, Seq: 4, ClientID: "r3"}, &r)
	if r.Conv != conv || r.From != "bob" || r.Seq != 4 || r.ClientID != "r3" || r.Time == 0 {
		t.Fatalf("receipt %+v", r)
	}
	var pr proto.Receipt
	if ch := a.change(proto.ChangeReceipt, &pr); ch.Key != conv || pr != r {
		t.Fatalf("receipt change %+v %+v, want %+v", ch, pr, r)
	}
	b2.noPush(proto.PushChange, b1)
	var sync proto.SyncResp
	a.ok(proto.OpSync, proto.SyncReq{}, &sync)
	if len(sync.Convs) != 1 || sync.Convs[0].PeerReadSeq != 4 || sync.Convs[0].PeerReadTime != r.Time {
		t.Fatalf("alice conv after receipt %+v", sync.Convs)
	}
	var sr proto.Receipt
	if len(sync.Changes) != 1 || sync.Changes[0].Kind != proto.ChangeReceipt || json.Unmarshal(sync.Changes[0].Data, &sr) != nil || sr != r {
		t.Fatalf("alice's sync changes %+v", sync.Changes)
	}
}

func TestKickAndClients(t *testing.T) {
	e := newEnv(t, "alice")
	a1, _ := e.login("alice")
	a2, r2 := e.login("alice")
	if len(r2.Clients) != 1 || r2.Clients[0].ID != a1.id || r2.Clients[0].IP == "" || r2.Clients[0].OS != "test" {
		t.Fatalf("second login clients %+v", r2.Clients)
	}
	var cl proto.Clients
	a1.push(proto.PushClients, &cl)
	if len(cl.Clients) != 1 || cl.Clients[0].ID != a2.id {
		t.Fatalf("clients push %+v", cl)
	}
	a3, _ := e.login("alice")
	a1.drain(a3)

	var kr proto.KickResp
	a1.ok(proto.OpKick, proto.KickReq{ClientType: proto.ClientWeb}, &kr)
	if kr.Kicked != 2 {
		t.Fatalf("kicked %d", kr.Kicked)
	}
	for _, c := range []*client{a2, a3} {
		var k proto.Kick
		c.push(proto.PushKick, &k)
		if k.Reason != proto.KickByOtherClient || k.ClientType != proto.ClientWeb {
			t.Fatalf("kick %+v", k)
		}
		c.waitClosed()
	}
	// a1 ends with no other clients.
	deadline := time.After(5 * time.Second)
	for {
		var cl proto.Clients
		a1.push(proto.PushClients, &cl)
		if len(cl.Clients) == 0 {
			break
		}
		select {
		case <-deadline:
			t.Fatal("clients never emptied")
		default:
		}
	}
	a1.ok(proto.OpLogout, nil, nil)
	a1.waitClosed()
}

func TestBadInputs(t *testing.T) {
	e := newEnv(t, "alice", "bob")
	a, _ := e.login("alice")

	a.raw(`{not json`)
	select {
	case f := <-a.noID:
		if f.Code != 414 || !strings.Contains(f.Msg, "malformed") {
			t.Fatalf("bad json reply %+v", f)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no reply to bad json")
	}
	a.fail("frobnicate", nil, 414, "unknown op frobnicate")
	a.fail(proto.OpSend, jx.RawMessage(`[1,2]`), 414, "malformed payload")

	long := strings.Repeat("字", proto.MaxTextRunes+1)
	a.ok(proto.OpSend, text("bob", "max", long[:len(long)-len("字")]), nil)
	a.fail(proto.OpSend, text("bob", "long", long), 414, "msg.body.text must be at most 5000 characters")
	a.fail(proto.OpSend, text("bob", "blank", " \n\t　"), 414, "msg.body.text must not be blank")
	a.fail(proto.OpSend, text("bob", strings.Repeat("c", proto.MaxIDBytes+1), "x"), 414, "msg.cid")
	a.fail(proto.OpSend, text("bob", "", "x"), 414, "msg.cid")
	a.fail(proto.OpSend, proto.SendReq{Msg: proto.Msg{ClientID: "b1", To: "bob", Body: jx.RawMessage(`{"txt":"x"}`)}}, 414, "msg.body.text")
	a.fail(proto.OpSend, proto.SendReq{Msg: proto.Msg{ClientID: "b2", To: "bob", Body: jx.RawMessage(`"x"`)}}, 414, "msg.body")
	a.fail(proto.OpSend, text("bob", "empty", ""), 414, "msg.body.text must not be empty")

	big := text("bob", "ext", "x")
	big.Msg.Ext = jx.RawMessage(`{"k":"` + strings.Repeat("a", proto.MaxExtBytes) + `"}`)
	a.fail(proto.OpSend, big, 414, "msg.ext too big")
	arr := text("bob", "ext2", "x")
	arr.Msg.Ext = jx.RawMessage(`[1]`)
	a.fail(proto.OpSend, arr, 414, "msg.ext must be a JSON object")
	okExt := text("bob", "ext3", "x")
	okExt.Msg.Ext = jx.RawMessage(`{"k": 1}`)
	a.ok(proto.OpSend, okExt, nil)

	room := text("bob", "room", "x")
	room.Msg.ChatType = 2 // chatroom: not a chat type of this server
	a.fail(proto.OpSend, room, 414, "chatType must be 0 (P2P), 1 (team) or 5 (super team)")
	team := text("bob", "team", "x")
	team.Msg.ChatType = proto.ChatTeam // to a team "bob", which does not exist
	a.fail(proto.OpSend, team, proto.CodeTeamNotFound, "team bob does not exist")
	note := text("bob", "note", "x")
	note.Msg.Type = proto.MsgNotification
	a.fail(proto.OpSend, note, 414, "msg.type 5 (notification) is posted by the server only")
	a.fail(proto.OpSend, text("carol", "c", "x"), 404, "user not found")
	a.fail(proto.OpSend, text("bad account!", "c", "x"), 414, "msg.to")
	a.fail(proto.OpReceipt, proto.ReceiptReq{Conv: "t:123", Seq: 1}, 403, "not a member")
	a.fail(proto.OpRead, proto.ReadReq{Conv: proto.P2PConv("bob", "carol"), Seq: 1}, 403, "not a member")
	a.fail(proto.OpRead, proto.ReadReq{Conv: proto.P2PConv("alice", "nobody"), Seq: 1}, 403, "not a member")
	a.fail(proto.OpReceipt, proto.ReceiptReq{Conv: proto.P2PConv("alice", "nobody"), Seq: 1}, 403, "not a member")
	a.fail(proto.OpRead, proto.ReadReq{Conv: proto.P2PConv("alice", "bob"), Seq: -1}, 414, "seq")
	a.fail(proto.OpReceipt, proto.ReceiptReq{Conv: proto.P2PConv("alice", "bob"), Seq: 1, ClientID: strings.Repeat("c", proto.MaxIDBytes+1)}, 414, "cid")
	a.fail(proto.OpLogin, loginReq("alice"), 414, "already logged in")

	// The stored ext comes back compacted.
	b, _ := e.login("bob")
	var pull proto.PullResp
	b.ok(proto.OpPull, proto.PullReq{Cursors: []proto.Cursor{{Conv: proto.P2PConv("alice", "bob")}}}, &pull)
	if len(pull.Msgs) != 2 || string(pull.Msgs[1].Ext) != `{"k":1}` || pull.Msgs[0].Ext != nil {
		t.Fatalf("pull %+v", pull.Msgs)
	}
	// The connection still works.
	a.ok(proto.OpPing, nil, nil)
}

func TestRateLimit(t *testing.T) {
	e := newEnv(t, "alice")
	a, _ := e.login("alice")
	limited := 0
	for range rateBurst + 20 {
		if r := a.call(proto.OpPing, nil); r.Code == proto.CodeRateLimited {
			limited++
		}
	}
	if limited == 0 {
		t.Fatal("never rate limited")
	}
}

func TestRestartDurability(t *testing.T) {
	e := newEnv(t, "alice", "bob")
	a, _ := e.login("alice")
	var sr proto.SendResp
	a.ok(proto.OpSend, text("bob", "d1", "durable"), &sr)
	e.close()
	e.open()

	if _, err := e.srv.CreateUser(context.Background(), "alice", "", ""); err == nil || err.(*Error).Code != 414 || !strings.Contains(err.Error(), "already register") {
		t.Fatalf("duplicate create: %v", err)
	}
	b, _ := e.login("bob")
	var sync proto.SyncResp
	b.ok(proto.OpSync, proto.SyncReq{}, &sync)
	if len(sync.Convs) != 1 || sync.Convs[0].LastSeq != 1 {
		t.Fatalf("sync after restart %+v", sync)
	}
	var pull proto.PullResp
	b.ok(proto.OpPull, proto.PullReq{Cursors: []proto.Cursor{{Conv: sr.Conv}}}, &pull)
	if len(pull.Msgs) != 1 || pull.Msgs[0].ServerID != sr.ServerID {
		t.Fatalf("pull after restart %+v", pull)
	}
	// Dedupe survives the restart too.
	a2, _ := e.login("alice")
	var dup proto.SendResp
	a2.ok(proto.OpSend, text("bob", "d1", "durable"), &dup)
	if !dup.Dup || dup.Seq != 1 {
		t.Fatalf("dup after restart %+v", dup)
	}
}

func TestCloseClosesConnections(t *testing.T) {
	e := newEnv(t, "alice")
	a, _ := e.login("alice")
	e.srv.Close()
	a.waitClosed()
}

func TestIdleTimeout(t *testing.T) {
	e := newEnv(t, "alice")
	e.srv.idleTimeout = 200 * time.Millisecond
	a, _ := e.login("alice")
	// Pings keep it open for well over the idle timeout…
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for range 8 {
		<-tick.C
		a.ok(proto.OpPing, nil, nil)
	}
	// …and silence closes it.
	a.waitClosed()
}

func TestPanicRecovered(t *testing.T) {
	register("test-panic", func(ctx context.Context, c *conn, d jx.RawMessage) (result, error) { panic("boom") })
	t.Cleanup(func() { delete(ops, "test-panic") })
	e := newEnv(t, "alice")
	a, _ := e.login("alice")
	a.fail("test-panic", nil, 500, "internal server error")
	a.ok(proto.OpPing, nil, nil)
}
