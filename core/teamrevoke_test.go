//go:build !js

package core_test

import (
	"context"
	"slices"
	"testing"

	"yunxin/core"
	"yunxin/proto"
)

// cachedIn reports whether the message id is cached in team tid on d.
func cachedIn(d *device, tid, id string) bool {
	return slices.ContainsFunc(d.teamMessages(tid, proto.ChatTeam), func(v core.MessageView) bool { return v.MessageID == id })
}

// teamRevokes returns d's revoke notifications of team tid.
func teamRevokes(d *device, tid string) []core.RevokeNotificationView {
	var out []core.RevokeNotificationView
	for _, n := range d.revokes() {
		if n.SessionID == tid {
			out = append(out, n)
		}
	}
	return out
}

// In an advanced team a manager revokes a normal member's message and the
// owner a manager's: the message leaves every member's cache (the
// revoker's at once), each member's device hears one notification naming
// the revoker (fromUserId) and the sender (messageFromUserId), the
// revoking device hears nothing. A manager revoking the owner's message
// and a normal member revoking another's get the server's 403, and the
// message stays.
func TestTeamRevokeByManagerAndOwner(t *testing.T) {
	ts := startServer(t)
	for _, u := range []string{"alice", "bob", "carol", "dave"} {
		ts.user(u)
	}
	tid := createTeam(t, ts, "alice", proto.TeamAdvanced, "bob", "carol", "dave")
	if err := rawCall(t, ts, "alice", proto.OpTeamManagers, proto.TeamAccountsReq{TeamID: tid, Accounts: []string{"bob"}, On: true}, nil); err != nil {
		t.Fatal(err)
	}
	a, b1, b2, c, d := newDevice(t, ts, false), newDevice(t, ts, false), newDevice(t, ts, false), newDevice(t, ts, false), newDevice(t, ts, false)
	a.login("alice")
	b1.login("bob")
	b2.login("bob")
	c.login("carol")
	d.login("dave")
	all := []*device{a, b1, b2, c, d}
	ctx := context.Background()

	mc := c.sendTeam(tid, proto.ChatTeam, "carol's")
	mc2 := c.sendTeam(tid, proto.ChatTeam, "carol's second")
	ma := a.sendTeam(tid, proto.ChatTeam, "alice's")
	mb := b1.sendTeam(tid, proto.ChatTeam, "bob's")
	for _, dv := range all {
		dv.waitFor("every message", func() bool {
			for _, m := range []*core.MessageView{mc, mc2, ma, mb} {
				if !cachedIn(dv, tid, m.MessageID) {
					return false
				}
			}
			return true
		})
	}

	// The manager revokes carol's message.
	if err := b1.c.RevokeMessage(ctx, tid, proto.ChatTeam, mc.MessageID, "off topic"); err != nil {
		t.Fatalf("manager's revoke: %v", err)
	}
	if cachedIn(b1, tid, mc.MessageID) {
		t.Fatal("the revoking device still has the message")
	}
	for name, dv := range map[string]*device{"alice": a, "bob's other device": b2, "carol": c, "dave": d} {
		dv.waitFor(name+" hears the revoke", func() bool { return len(teamRevokes(dv, tid)) == 1 })
		n := teamRevokes(dv, tid)[0]
		if n.NotificationType != 8 || n.FromUserID != "bob" || n.MessageFromUserID != "carol" || n.Postscript != "off topic" ||
			n.Session != (core.SessionRef{SessionID: tid, ChatType: proto.ChatTeam}) || n.Timestamp != mc.Timestamp {
			t.Fatalf("%s's notification %+v", name, n)
		}
		if cachedIn(dv, tid, mc.MessageID) {
			t.Fatalf("%s still has the revoked message", name)
		}
	}

	// Refused by the server: the manager and the owner's message; a normal
	// member and another's.
	if err := b1.c.RevokeMessage(ctx, tid, proto.ChatTeam, ma.MessageID, ""); codeOf(err) != proto.CodeForbidden {
		t.Fatalf("manager revokes the owner's: %v, want 403", err)
	}
	if err := d.c.RevokeMessage(ctx, tid, proto.ChatTeam, mc2.MessageID, ""); codeOf(err) != proto.CodeForbidden {
		t.Fatalf("normal member revokes another's: %v, want 403", err)
	}
	if !cachedIn(b1, tid, ma.MessageID) || !cachedIn(d, tid, mc2.MessageID) {
		t.Fatal("a refused revoke dropped the message")
	}

	// The owner revokes the manager's message: bob's devices hear it too
	// (the sender is not the revoker).
	if err := a.c.RevokeMessage(ctx, tid, proto.ChatTeam, mb.MessageID, ""); err != nil {
		t.Fatalf("owner's revoke: %v", err)
	}
	if cachedIn(a, tid, mb.MessageID) {
		t.Fatal("the owner's device still has the message")
	}
	want := map[*device]int{b1: 1, b2: 2, c: 2, d: 2}
	for dv, n := range want {
		dv.waitFor("the owner's revoke", func() bool { return len(teamRevokes(dv, tid)) == n })
		got := teamRevokes(dv, tid)[n-1]
		if got.FromUserID != "alice" || got.MessageFromUserID != "bob" || cachedIn(dv, tid, mb.MessageID) {
			t.Fatalf("notification %+v (still cached: %v)", got, cachedIn(dv, tid, mb.MessageID))
		}
	}
	// Each revoke was heard once, the refused ones never (the server's
	// pushes are ordered: they would have come before the owner's), and
	// never on the device that asked.
	if n := teamRevokes(a, tid); len(n) != 1 {
		t.Fatalf("alice heard %+v", n)
	}
	for dv, n := range want {
		if got := teamRevokes(dv, tid); len(got) != n {
			t.Fatalf("notifications %+v, want %d", got, n)
		}
	}
	if !cachedIn(c, tid, mc2.MessageID) || !cachedIn(b1, tid, ma.MessageID) {
		t.Fatal("a message nobody revoked is gone")
	}
}

// In a normal team the owner may not revoke a member's message (the
// server's 403); a P2P peer's message is refused before asking, as before.
func TestTeamRevokeNormalTeamRefused(t *testing.T) {
	ts := startServer(t)
	for _, u := range []string{"alice", "bob"} {
		ts.user(u)
	}
	tid := createTeam(t, ts, "alice", proto.TeamNormal, "bob")
	a, b := newDevice(t, ts, false), newDevice(t, ts, false)
	a.login("alice")
	b.login("bob")
	ctx := context.Background()
	m := b.sendTeam(tid, proto.ChatTeam, "bob's")
	a.waitFor("bob's message", func() bool { return cachedIn(a, tid, m.MessageID) })
	err := a.c.RevokeMessage(ctx, tid, proto.ChatTeam, m.MessageID, "")
	if e := core.AsError(err); e == nil || e.Code != proto.CodeForbidden {
		t.Fatalf("owner revokes in a normal team: %v, want 403", err)
	}
	if !cachedIn(a, tid, m.MessageID) {
		t.Fatal("a refused revoke dropped the message")
	}
	if err := b.c.RevokeMessage(ctx, tid, proto.ChatTeam, m.MessageID, ""); err != nil {
		t.Fatalf("the sender's own revoke: %v", err)
	}
	a.waitFor("bob's revoke", func() bool { return !cachedIn(a, tid, m.MessageID) && len(teamRevokes(a, tid)) == 1 })
}
