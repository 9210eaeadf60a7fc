//go:build !js

package core_test

import (
	"context"
	"strings"
	"testing"

	"yunxin/core"
	"yunxin/proto"
)

// skipWithoutTeamReceipts skips the test when the server does not know op
// treceipt yet (its side is built in parallel).
func skipWithoutTeamReceipts(t *testing.T, ts *testServer, member, tid string) {
	t.Helper()
	err := rawCall(t, ts, member, proto.OpTeamReceipt, proto.TeamReceiptReq{TeamID: tid, Seqs: []int64{1}}, nil)
	if e := core.AsError(err); e != nil && e.Code == proto.CodeBadParam && strings.Contains(e.Msg, "unknown op") {
		t.Skip("the server does not know op treceipt yet")
	}
}

// receiptsHeard returns the team receipts of message id d heard
// (onRecvMessageReceipts).
func (d *device) receiptsHeard(id string) []core.ReceiptView {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []core.ReceiptView
	for _, e := range d.events {
		if m, ok := e.Data.(core.MessageEvent); ok && m.EventType == "onRecvMessageReceipts" {
			for _, r := range m.Receipts {
				if r.MessageID == id {
					out = append(out, r)
				}
			}
		}
	}
	return out
}

// cachedView returns the cached view of message id of team tid on d.
func (d *device) cachedView(tid string, id string) *core.MessageView {
	for _, v := range d.teamMessages(tid, proto.ChatTeam) {
		if v.MessageID == id {
			return &v
		}
	}
	return nil
}

// Team receipts: a message sent with teamReceiptEnabled carries
// teamReceiptInfo (unread: the other members); each member's
// sendTeamMessageReceipts moves the counts on both of the sender's
// devices, which hear onRecvMessageReceipts once per count; the reader's
// copy gets isTeamReceiptSended and is not acknowledged twice.
func TestTeamReceipts(t *testing.T) {
	ts := startServer(t)
	for _, u := range []string{"alice", "bob", "carol"} {
		ts.user(u)
	}
	tid := createTeam(t, ts, "alice", proto.TeamAdvanced, "bob", "carol")
	skipWithoutTeamReceipts(t, ts, "alice", tid)
	on := func(c *core.Config) { c.TeamReceiptEnabled = true }
	a1, a2, b, c := teamDevice(t, ts, on), teamDevice(t, ts, on), teamDevice(t, ts, on), teamDevice(t, ts, on)
	a1.login("alice")
	a2.login("alice")
	b.login("bob")
	c.login("carol")
	ctx := context.Background()

	m := a1.sendTeam(tid, proto.ChatTeam, "please read")
	if ri := m.TeamReceiptInfo; ri == nil || ri.ReadCount != 0 || ri.UnreadCount != 2 {
		t.Fatalf("sent message's teamReceiptInfo %+v, want {0 2}", ri)
	}
	b.waitFor("bob receives", func() bool { n, _ := b.recvByID(); return n[m.MessageID] == 1 })
	c.waitFor("carol receives", func() bool { n, _ := c.recvByID(); return n[m.MessageID] == 1 })
	if v := b.cachedView(tid, m.MessageID); v == nil || v.TeamReceiptInfo == nil || v.IsTeamReceiptSended {
		t.Fatalf("bob's copy %+v", v)
	}
	// A plain message (P2P) carries no teamReceiptInfo.
	if p := a1.send("bob", "p2p"); p.TeamReceiptInfo != nil {
		t.Errorf("P2P message with teamReceiptInfo %+v", p.TeamReceiptInfo)
	}

	// Unknown ids are 404s; the account's own messages are skipped.
	if e := core.AsError(b.c.SendTeamMessageReceipts(ctx, tid, proto.ChatTeam, []string{"nosuchid"})); e == nil || e.Code != proto.CodeNotFound {
		t.Errorf("receipt of an unknown message: %v, want 404", e)
	}
	if err := a1.c.SendTeamMessageReceipts(ctx, tid, proto.ChatTeam, []string{m.MessageID}); err != nil {
		t.Errorf("receipt of an own message: %v", err)
	}

	_, _, before := b.net.count(proto.OpTeamReceipt)
	if err := b.c.SendTeamMessageReceipts(ctx, tid, proto.ChatTeam, []string{m.MessageID}); err != nil {
		t.Fatalf("bob's receipt: %v", err)
	}
	if v := b.cachedView(tid, m.MessageID); v == nil || !v.IsTeamReceiptSended {
		t.Errorf("bob's copy after the receipt: %+v", v)
	}
	for name, d := range map[string]*device{"alice1": a1, "alice2": a2} {
		d.waitFor(name+" hears bob's receipt", func() bool { return len(d.receiptsHeard(m.MessageID)) == 1 })
		r := d.receiptsHeard(m.MessageID)[0]
		if r.SessionID != tid || r.Session.ChatType != proto.ChatTeam || r.TeamReceiptInfo == nil ||
			*r.TeamReceiptInfo != (core.TeamReceiptInfo{ReadCount: 1, UnreadCount: 1}) {
			t.Errorf("%s: receipt %+v", name, r)
		}
		if v := d.cachedView(tid, m.MessageID); v == nil || v.TeamReceiptInfo == nil || v.TeamReceiptInfo.ReadCount != 1 {
			t.Errorf("%s: cached %+v", name, v)
		}
	}
	// Acknowledged already: no second request.
	if err := b.c.SendTeamMessageReceipts(ctx, tid, proto.ChatTeam, []string{m.MessageID}); err != nil {
		t.Fatal(err)
	}
	if _, _, n := b.net.count(proto.OpTeamReceipt); n != before+1 {
		t.Errorf("treceipt requests %d, want %d", n, before+1)
	}

	if err := c.c.SendTeamMessageReceipts(ctx, tid, proto.ChatTeam, []string{m.MessageID}); err != nil {
		t.Fatalf("carol's receipt: %v", err)
	}
	a2.waitFor("alice2 hears carol's receipt", func() bool { return len(a2.receiptsHeard(m.MessageID)) == 2 })
	if r := a2.receiptsHeard(m.MessageID)[1]; r.TeamReceiptInfo == nil || *r.TeamReceiptInfo != (core.TeamReceiptInfo{ReadCount: 2}) {
		t.Errorf("after carol: %+v", r.TeamReceiptInfo)
	}

	// A device logging in later gets the counts with the message.
	a3 := teamDevice(t, ts, on)
	a3.login("alice")
	a3.waitFor("alice3 has the message", func() bool { return a3.cachedView(tid, m.MessageID) != nil })
	if v := a3.cachedView(tid, m.MessageID); v.TeamReceiptInfo == nil || *v.TeamReceiptInfo != (core.TeamReceiptInfo{ReadCount: 2}) {
		t.Errorf("alice3's copy %+v", v.TeamReceiptInfo)
	}
}
