//go:build !js

package core_test

import (
	"context"
	"testing"

	"yunxin/core"
	"yunxin/proto"
)

// carol, on two devices, is kicked from a team with unread messages; she
// marks the session read on device 1: the server keeps the mark of the
// team she left (up to the kick), so device 2 shows 0 unread at once, and
// a third device offline at the time shows 0 at its next login. Neither
// sends the read again.
func TestLeftReadReachesOtherDevices(t *testing.T) {
	ts := startServer(t)
	for _, u := range []string{"alice", "bob", "carol"} {
		ts.user(u)
	}
	tid := createTeam(t, ts, "alice", proto.TeamAdvanced, "bob", "carol")
	a := newDevice(t, ts, false)
	a.login("alice")
	c1, c2, c3 := newDevice(t, ts, true), newDevice(t, ts, true), newDevice(t, ts, true)
	c1.login("carol")
	c2.login("carol")
	c3.login("carol")
	m1 := a.sendTeam(tid, proto.ChatTeam, "one")
	m2 := a.sendTeam(tid, proto.ChatTeam, "two")
	for _, d := range []*device{c1, c2, c3} {
		d.waitFor("carol's device gets both", func() bool {
			n, _ := d.recvByID()
			return n[m1.MessageID] == 1 && n[m2.MessageID] == 1
		})
	}
	if u := c3.unreadOf(tid); u != 2 {
		t.Fatalf("device 3's unread before its logout %d, want 2 (one, two)", u)
	}
	if err := c3.c.Logout(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := rawCall(t, ts, "alice", proto.OpTeamKick, proto.TeamAccountsReq{TeamID: tid, Accounts: []string{"carol"}}, nil); err != nil {
		t.Fatalf("kick: %v", err)
	}
	a.sendTeam(tid, proto.ChatTeam, "after the kick")
	last := func(d *device) int64 {
		n := int64(0)
		for _, v := range d.teamMessages(tid, proto.ChatTeam) {
			n = max(n, v.Seq)
		}
		return n
	}
	left := m2.Seq + 1 // the kick's notification: the last seq carol has
	for _, d := range []*device{c1, c2} {
		d.waitFor("carol's device gets the kick", func() bool { return last(d) == left })
	}
	if u := c2.unreadOf(tid); u != 2 {
		t.Fatalf("device 2's unread after the kick %d, want 2 (one, two)", u)
	}
	if err := c1.c.MarkAllMessagesReadInSession(context.Background(), tid, proto.ChatTeam); err != nil {
		t.Fatalf("mark read of a left team's session: %v", err)
	}
	if srv, read := core.SrvReadSeq(c1.c, proto.ChatTeam, tid); srv != read || read < left {
		t.Errorf("device 1's read mark %d, the server's %d; want equal, at least %d", read, srv, left)
	}
	c2.waitFor("device 2's unread goes to 0", func() bool { return c2.unreadOf(tid) == 0 })
	if srv, read := core.SrvReadSeq(c2.c, proto.ChatTeam, tid); srv != read || read < left {
		t.Errorf("device 2's read mark %d, the server's %d; want equal, at least %d", read, srv, left)
	}
	_, _, reads := c3.net.count(proto.OpRead)
	c3.login("carol")
	c3.waitFor("device 3's unread goes to 0 at its login", func() bool { return c3.unreadOf(tid) == 0 })
	if _, _, n := c3.net.count(proto.OpRead); n != reads {
		t.Errorf("device 3 sent %d reads at its login, want none", n-reads)
	}
	// Logged in again, device 2 keeps 0 and sends nothing.
	if err := c2.c.Logout(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, _, reads = c2.net.count(proto.OpRead)
	c2.login("carol")
	if u := c2.unreadOf(tid); u != 0 {
		t.Errorf("device 2's unread after its next login %d", u)
	}
	if _, _, n := c2.net.count(proto.OpRead); n != reads {
		t.Errorf("device 2 sent %d reads at its login, want none", n-reads)
	}
}
