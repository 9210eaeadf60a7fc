package server

import (
	"testing"
	"time"

	"yunxin/proto"
)

// In an advanced team the owner revokes any member's message and a manager
// a normal member's (RevokeReq.From); the others get 403, the window
// applies, and every member's revoke change names the revoker (By) and the
// sender (MsgFrom).
func TestTeamRevokeByOwnerAndManager(t *testing.T) {
	e := newEnv(t, "alice", "bob", "carol", "dave", "erin")
	clk := e.clock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	a, _ := e.login("alice") // owner
	b, _ := e.login("bob")   // manager
	c, _ := e.login("carol") // normal
	d, _ := e.login("dave")  // normal
	x, _ := e.login("erin")  // manager
	tid := a.tcreate(proto.CreateTeamReq{Name: "t", Type: proto.TeamAdvanced, BeInviteMode: proto.BeInviteAtOnce,
		Members: []string{"bob", "carol", "dave", "erin"}}).TeamID
	a.tok(proto.OpTeamManagers, proto.TeamAccountsReq{TeamID: tid, Accounts: []string{"bob", "erin"}, On: true})
	conv := proto.TeamConv(tid)
	send := func(cl *client, cid string) proto.SendResp {
		t.Helper()
		var s proto.SendResp
		cl.ok(proto.OpSend, teamText(tid, proto.ChatTeam, cid, "words of "+cid), &s)
		return s
	}
	sc := send(c, "c1")
	sc2 := send(c, "c2")
	sd := send(d, "d1")
	send(a, "a1")
	send(x, "x1")
	send(c, "c3")
	for _, cl := range []*client{a, b, c, d, x} {
		cl.drain(a, b, c, d, x)
	}

	// Refused: a normal member revokes another's; a manager the owner's
	// or another manager's; a P2P message of the peer.
	d.fail(proto.OpRevoke, proto.RevokeReq{Conv: conv, ClientID: "c1", From: "carol"}, proto.CodeForbidden, "only its sender, the owner or a manager")
	b.fail(proto.OpRevoke, proto.RevokeReq{Conv: conv, ClientID: "a1", From: "alice"}, proto.CodeForbidden, "not the owner's or another manager's")
	b.fail(proto.OpRevoke, proto.RevokeReq{Conv: conv, ClientID: "x1", From: "erin"}, proto.CodeForbidden, "not the owner's or another manager's")
	a.ok(proto.OpSend, text("bob", "p1", "private"), nil)
	b.fail(proto.OpRevoke, proto.RevokeReq{Conv: proto.P2PConv("alice", "bob"), ClientID: "p1", From: "alice"}, proto.CodeForbidden, "P2P")
	// Not found: a cid the named sender never sent; bad: a too long from.
	a.fail(proto.OpRevoke, proto.RevokeReq{Conv: conv, ClientID: "c1", From: "dave"}, proto.CodeNotFound, "")
	a.fail(proto.OpRevoke, proto.RevokeReq{Conv: conv, ClientID: "c1", From: string(make([]byte, proto.MaxIDBytes+1))}, proto.CodeBadParam, "from")
	// Nothing was revoked by the refusals.
	for _, cl := range []*client{a, b, c, d, x} {
		cl.noPush(proto.PushChange, a, b, c, d, x)
	}

	// The manager revokes a normal member's message: every member's log,
	// the sender's included, gets the revoke naming the manager.
	clk.add(time.Minute)
	var r proto.Revoke
	b.ok(proto.OpRevoke, proto.RevokeReq{Conv: conv, ClientID: "c1", From: "carol", Postscript: "rude"}, &r)
	want := proto.Revoke{Conv: conv, ChatType: proto.ChatTeam, Seq: sc.Seq, ClientID: "c1", ServerID: sc.ServerID,
		MsgFrom: "carol", MsgTime: sc.Time, By: "bob", Time: clk.now(), Postscript: "rude"}
	if r != want {
		t.Fatalf("manager's revoke reply %+v, want %+v", r, want)
	}
	for name, cl := range map[string]*client{"alice": a, "carol": c, "dave": d, "erin": x} {
		var got proto.Revoke
		ch := cl.change(proto.ChangeRevoke, &got)
		if got != want || ch.Key != proto.RevokeKey(conv, sc.Seq) {
			t.Errorf("%s's revoke change %+v: %+v, want %+v", name, ch, got, want)
		}
	}
	b.noPush(proto.PushChange)
	for _, m := range c.pullConv(conv, 0) {
		if m.ClientID == "c1" && !m.Revoked {
			t.Fatalf("the revoked message in a pull %+v", m)
		}
	}
	// Asked again (by the owner now): the stored revoke, still bob's.
	var again proto.Revoke
	a.ok(proto.OpRevoke, proto.RevokeReq{Conv: conv, ClientID: "c1", From: "carol"}, &again)
	if again != want {
		t.Fatalf("second revoke %+v, want %+v", again, want)
	}

	// The owner revokes a manager's message and a normal member's.
	a.ok(proto.OpRevoke, proto.RevokeReq{Conv: conv, ClientID: "x1", From: "erin"}, &r)
	if r.By != "alice" || r.MsgFrom != "erin" {
		t.Fatalf("owner's revoke of a manager's message %+v", r)
	}
	a.ok(proto.OpRevoke, proto.RevokeReq{Conv: conv, ClientID: "c2", From: "carol"}, &r)
	if r.By != "alice" || r.MsgFrom != "carol" || r.Seq != sc2.Seq {
		t.Fatalf("owner's revoke %+v", r)
	}
	// From naming the caller is the caller's own revoke.
	x.ok(proto.OpRevoke, proto.RevokeReq{Conv: conv, ClientID: "x1", From: "erin"}, &r)

	// A manager who lost the role is a normal member again.
	a.tok(proto.OpTeamManagers, proto.TeamAccountsReq{TeamID: tid, Accounts: []string{"erin"}, On: false})
	x.fail(proto.OpRevoke, proto.RevokeReq{Conv: conv, ClientID: "d1", From: "dave"}, proto.CodeForbidden, "")
	// A manager may revoke the message of one who left.
	d.tok(proto.OpTeamQuit, proto.TeamReq{TeamID: tid})
	b.ok(proto.OpRevoke, proto.RevokeReq{Conv: conv, ClientID: "d1", From: "dave"}, &r)
	if r.By != "bob" || r.Seq != sd.Seq {
		t.Fatalf("revoke of a left member's message %+v", r)
	}
	// The window applies to the owner too.
	clk.add(e.srv.cfg.revokeWindow())
	a.fail(proto.OpRevoke, proto.RevokeReq{Conv: conv, ClientID: "c3", From: "carol"}, proto.CodeExpired, "revoke window")
}

// In a normal team only the sender revokes; in a super team the owner
// revokes a member's message too.
func TestTeamRevokeNormalAndSuper(t *testing.T) {
	e := newEnv(t, "alice", "bob")
	a, _ := e.login("alice")
	b, _ := e.login("bob")
	norm := a.tcreate(proto.CreateTeamReq{Name: "n", Type: proto.TeamNormal, Members: []string{"bob"}}).TeamID
	b.ok(proto.OpSend, teamText(norm, proto.ChatTeam, "b1", "hi"), nil)
	a.fail(proto.OpRevoke, proto.RevokeReq{Conv: proto.TeamConv(norm), ClientID: "b1", From: "bob"}, proto.CodeForbidden, "normal team")
	// Without From the owner's revoke looks for its own message: none.
	a.fail(proto.OpRevoke, proto.RevokeReq{Conv: proto.TeamConv(norm), ClientID: "b1"}, proto.CodeNotFound, "")
	b.ok(proto.OpRevoke, proto.RevokeReq{Conv: proto.TeamConv(norm), ClientID: "b1"}, nil)

	super := a.tcreate(proto.CreateTeamReq{Name: "s", Type: proto.TeamSuper, BeInviteMode: proto.BeInviteAtOnce, Members: []string{"bob"}}).TeamID
	var s proto.SendResp
	b.ok(proto.OpSend, teamText(super, proto.ChatSuperTeam, "b2", "hi"), &s)
	b.fail(proto.OpRevoke, proto.RevokeReq{Conv: proto.TeamConv(super), ClientID: "a0", From: "alice"}, proto.CodeForbidden, "")
	var r proto.Revoke
	a.ok(proto.OpRevoke, proto.RevokeReq{Conv: proto.TeamConv(super), ClientID: "b2", From: "bob"}, &r)
	if r.By != "alice" || r.MsgFrom != "bob" || r.ChatType != proto.ChatSuperTeam || r.Seq != s.Seq {
		t.Fatalf("owner's revoke in a super team %+v", r)
	}
}
