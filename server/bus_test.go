package server

import (
	"context"
	"net/http/httptest"
	"testing"

	"yunxin/proto"
	"yunxin/server/sqlitestore"
)

// TestTwoNodes: two servers on one database sharing a Bus and a Presence
// behave as one: messages, changes, clients lists and kicks cross nodes.
func TestTwoNodes(t *testing.T) {
	e := newEnv(t, "alice", "bob") // node 1
	cl := Cluster{Bus: e.srv.bus, Presence: e.srv.presence}
	st, err := sqlitestore.Open(context.Background(), e.dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv2, err := New(Config{DataDir: e.dir, AppKey: testKey, AppSecret: testSecret}, st, cl, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	hs2 := httptest.NewServer(srv2.Handler())
	t.Cleanup(func() { hs2.Close(); srv2.Close() })
	node2 := &env{t: t, dir: e.dir, srv: srv2, hs: hs2}

	a1, _ := e.login("alice")
	a2, r2 := node2.login("alice")
	if len(r2.Clients) != 1 || r2.Clients[0].ID != a1.id {
		t.Fatalf("node 2 login sees %+v", r2.Clients)
	}
	var cls proto.Clients
	a1.push(proto.PushClients, &cls)
	if len(cls.Clients) != 1 || cls.Clients[0].ID != a2.id {
		t.Fatalf("node 1 clients push %+v", cls)
	}
	b, _ := node2.login("bob")

	var sr proto.SendResp
	a1.ok(proto.OpSend, text("bob", "x1", "across"), &sr)
	for _, c := range []*client{b, a2} {
		var m proto.Msg
		c.push(proto.PushMsg, &m)
		if m.ServerID != sr.ServerID {
			t.Fatalf("pushed %+v, sent %+v", m, sr)
		}
	}
	a1.noPush(proto.PushMsg)

	var cv proto.Conv
	b.ok(proto.OpRead, proto.ReadReq{Conv: sr.Conv, Seq: 1}, &cv)
	var rc proto.Receipt
	b.ok(proto.OpReceipt, proto.ReceiptReq{Conv: sr.Conv, Seq: 1}, &rc)
	for _, c := range []*client{a1, a2} {
		var got proto.Receipt
		if c.change(proto.ChangeReceipt, &got); got != rc {
			t.Fatalf("receipt change %+v, want %+v", got, rc)
		}
	}

	var kr proto.KickResp
	a2.ok(proto.OpKick, proto.KickReq{ClientType: proto.ClientWeb}, &kr)
	if kr.Kicked != 1 {
		t.Fatalf("kicked %d", kr.Kicked)
	}
	a1.push(proto.PushKick, nil)
	a1.waitClosed()
	for {
		a2.push(proto.PushClients, &cls)
		if len(cls.Clients) == 0 {
			break
		}
	}
}
