package server

import (
	"fmt"
	"testing"
	"time"

	"yunxin/proto"
)

// Deleting a conversation from the session list reaches the account's
// other connection, hides it from a new device's first sync, and the next
// message lists it again.
func TestDeleteConvs(t *testing.T) {
	e := newEnv(t, "alice", "bob", "carol")
	clk := e.clock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	a1, _ := e.login("alice")
	a2, _ := e.login("alice")
	b, _ := e.login("bob")
	c, _ := e.login("carol")
	ab, ac := proto.P2PConv("alice", "bob"), proto.P2PConv("alice", "carol")
	b.ok(proto.OpSend, text("alice", "b1", "hi"), nil)
	b.ok(proto.OpSend, text("alice", "b2", "there"), nil)
	c.ok(proto.OpSend, text("alice", "c1", "yo"), nil)
	a1.drain(b, c)
	a2.drain(b, c)

	clk.add(time.Minute)
	a1.ok(proto.OpDeleteConvs, proto.DeleteConvsReq{Convs: []string{ab, proto.P2PConv("bob", "carol"), "garbage"}}, nil)
	var del proto.ConvDeleted
	ch := a2.change(proto.ChangeConvDeleted, &del)
	if ch.Key != ab || del != (proto.ConvDeleted{Conv: ab, Seq: 2, Time: clk.now()}) {
		t.Fatalf("alice's other connection got %+v %+v", ch, del)
	}
	a1.noPush(proto.PushChange)
	b.noPush(proto.PushChange, a1)

	// A new device of alice: no p:alice|bob in its list, the deletion in
	// its changes.
	a3, _ := e.login("alice")
	chs, convs, cursors := a3.syncAll(proto.SyncReq{})
	if len(convs) != 1 || convs[0].ID != ac {
		t.Fatalf("new device's conversations: %+v", convs)
	}
	if len(chs) != 1 || chs[0].Kind != proto.ChangeConvDeleted || chs[0].Key != ab {
		t.Fatalf("new device's changes: %+v", chs)
	}
	// bob still has it.
	if _, bc, _ := b.syncAll(proto.SyncReq{}); len(bc) != 1 || bc[0].ID != ab {
		t.Fatalf("bob's conversations: %+v", bc)
	}
	// Deleting it again changes nothing.
	a1.ok(proto.OpDeleteConvs, proto.DeleteConvsReq{Convs: []string{ab}}, nil)
	a2.noPush(proto.PushChange, a1)

	// The next message lists it again, only it unread.
	b.ok(proto.OpSend, text("alice", "b3", "back"), nil)
	_, convs, _ = a3.syncAll(cursors)
	if len(convs) != 1 || convs[0].ID != ab || convs[0].LastSeq != 3 || convs[0].Unread != 1 {
		t.Fatalf("alice's device after a new message: %+v", convs)
	}
	a4, _ := e.login("alice")
	if _, convs, _ := a4.syncAll(proto.SyncReq{}); len(convs) != 2 {
		t.Fatalf("another new device: %+v", convs)
	}
}

// Too many conversations are refused; none is fine.
func TestDeleteConvsLimits(t *testing.T) {
	e := newEnv(t, "alice", "bob")
	a, _ := e.login("alice")
	a.ok(proto.OpSend, text("bob", "m1", "hi"), nil)
	convs := make([]string, proto.MaxDeleteConvs+1)
	for i := range convs {
		convs[i] = fmt.Sprint("c", i)
	}
	convs[0] = proto.P2PConv("alice", "bob")
	a.fail(proto.OpDeleteConvs, proto.DeleteConvsReq{Convs: convs}, proto.CodeBadParam, "at most 100")
	a.ok(proto.OpDeleteConvs, proto.DeleteConvsReq{}, nil)
	a2, _ := e.login("alice")
	if _, cs, _ := a2.syncAll(proto.SyncReq{}); len(cs) != 1 {
		t.Fatalf("after refused deletes: %+v", cs)
	}
	// Exactly the limit passes.
	a.ok(proto.OpDeleteConvs, proto.DeleteConvsReq{Convs: convs[:proto.MaxDeleteConvs]}, nil)
	if _, cs, _ := a2.syncAll(proto.SyncReq{}); len(cs) != 0 {
		t.Fatalf("after deleting: %+v", cs)
	}
}
