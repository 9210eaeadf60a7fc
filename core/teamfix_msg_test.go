//go:build !js

package core_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"yunxin/core"
	"yunxin/proto"
)

// cleanCursors fails unless d's session of team tid has no hole: its
// cache cursor and its announced cursor both reach last, with nothing
// ahead.
func cleanCursors(t *testing.T, d *device, tid string, last int64) {
	t.Helper()
	syncSeq, ahead, ann, annAhead, ok := core.SessionCursors(d.c, proto.ChatTeam, tid)
	if !ok || syncSeq != last || len(ahead) > 0 || ann != last || len(annAhead) > 0 {
		t.Errorf("cursors of team %s: cache %d %v, announced %d %v (ok %v), want both at %d with nothing ahead",
			tid, syncSeq, ahead, ann, annAhead, ok, last)
	}
}

// A member invited after the team has messages: its pull window starts at
// its JoinSeq (the conversation row's Floor), so seqs 1..JoinSeq count as
// known; live pushes that follow in order pull nothing.
func TestTeamFixJoinFloorNoGapPulls(t *testing.T) {
	ts := startServer(t)
	for _, u := range []string{"alice", "bob", "carol"} {
		ts.user(u)
	}
	tid := createTeam(t, ts, "alice", proto.TeamAdvanced, "bob")
	a := newDevice(t, ts, false)
	a.login("alice")
	for i := 0; i < 3; i++ {
		a.sendTeam(tid, proto.ChatTeam, "before carol")
	}
	if err := rawCall(t, ts, "alice", proto.OpTeamInvite, proto.TeamAccountsReq{TeamID: tid, Accounts: []string{"carol"}}, nil); err != nil {
		t.Fatalf("invite: %v", err)
	}
	c := newDevice(t, ts, false)
	c.login("carol")
	joined := c.session(tid)
	if joined == nil || joined.LastMessage == nil {
		t.Fatalf("carol's session after login: %+v", joined)
	}
	cleanCursors(t, c, tid, lastSeqOf(t, ts, "carol", tid))
	_, _, before := c.net.count(proto.OpPull)
	var last *core.MessageView
	for i := 0; i < 5; i++ {
		last = a.sendTeam(tid, proto.ChatTeam, "after carol")
	}
	c.waitFor("carol gets the last", func() bool { n, _ := c.recvByID(); return n[last.MessageID] == 1 })
	// Each push was committed with no hole: no gap pull was queued.
	cleanCursors(t, c, tid, lastSeqOf(t, ts, "carol", tid))
	if _, _, after := c.net.count(proto.OpPull); after != before {
		t.Errorf("carol pulled %d times for 5 in-order live pushes", after-before)
	}
	for _, v := range c.teamMessages(tid, proto.ChatTeam) {
		if textOf(v) == "before carol" {
			t.Errorf("carol has a message from before her join: %+v", v)
		}
	}
}

// poll checks f every few milliseconds until it holds (for state that
// changes with no event: a gap pull that only moves cursors), failing
// after 30 s.
func poll(t *testing.T, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}

// A member added while online meets the conversation by a push: the gap
// pull that follows learns the floor (PullResp.Floors) and the next pushes
// pull nothing.
func TestTeamFixJoinOnlineFloorFromPull(t *testing.T) {
	ts := startServer(t)
	for _, u := range []string{"alice", "bob", "carol"} {
		ts.user(u)
	}
	tid := createTeam(t, ts, "alice", proto.TeamAdvanced, "bob")
	a := newDevice(t, ts, false)
	a.login("alice")
	for i := 0; i < 3; i++ {
		a.sendTeam(tid, proto.ChatTeam, "before carol")
	}
	c := newDevice(t, ts, false)
	c.login("carol")
	if err := rawCall(t, ts, "alice", proto.OpTeamInvite, proto.TeamAccountsReq{TeamID: tid, Accounts: []string{"carol"}}, nil); err != nil {
		t.Fatalf("invite: %v", err)
	}
	first := a.sendTeam(tid, proto.ChatTeam, "first for carol")
	c.waitFor("carol gets the first", func() bool { n, _ := c.recvByID(); return n[first.MessageID] == 1 })
	// The first pushes may leave a hole before the floor is known: wait
	// for the gap pull to close it.
	poll(t, "carol's cursor closes", func() bool {
		s, ahead, ann, annAhead, ok := core.SessionCursors(c.c, proto.ChatTeam, tid)
		return ok && len(ahead) == 0 && len(annAhead) == 0 && s == ann && s > 0
	})
	_, _, before := c.net.count(proto.OpPull)
	var last *core.MessageView
	for i := 0; i < 4; i++ {
		last = a.sendTeam(tid, proto.ChatTeam, "after carol")
	}
	c.waitFor("carol gets the last", func() bool { n, _ := c.recvByID(); return n[last.MessageID] == 1 })
	cleanCursors(t, c, tid, lastSeqOf(t, ts, "carol", tid))
	if _, _, after := c.net.count(proto.OpPull); after != before {
		t.Errorf("carol pulled %d times for 4 in-order live pushes", after-before)
	}
}

// lastSeqOf is the last seq of team tid's conversation as the server's
// row of account says (a sync from the start, on a connection of its own).
func lastSeqOf(t *testing.T, ts *testServer, account, tid string) int64 {
	t.Helper()
	var resp proto.SyncResp
	if err := rawCall(t, ts, account, proto.OpSync, proto.SyncReq{}, &resp); err != nil {
		t.Fatal(err)
	}
	for _, cv := range resp.Convs {
		if cv.ID == proto.TeamConv(tid) {
			return cv.LastSeq
		}
	}
	t.Fatalf("%s has no conversation row of %s", account, tid)
	return 0
}

// carol, offline, misses a message sent before she is kicked: at her next
// login the ChangeTeam of her removal pulls her history up to the leave;
// marking the session read then is stored up to the leave (the server keeps
// a left member's read mark there) and is not sent again at the next login.
func TestTeamFixKickedOfflineKeepsHistoryUpToLeave(t *testing.T) {
	ts := startServer(t)
	for _, u := range []string{"alice", "bob", "carol"} {
		ts.user(u)
	}
	tid := createTeam(t, ts, "alice", proto.TeamAdvanced, "bob", "carol")
	a := newDevice(t, ts, false)
	a.login("alice")
	c := newDevice(t, ts, true)
	c.login("carol")
	first := a.sendTeam(tid, proto.ChatTeam, "first")
	c.waitFor("carol gets first", func() bool { n, _ := c.recvByID(); return n[first.MessageID] == 1 })
	if err := c.c.Logout(context.Background()); err != nil {
		t.Fatal(err)
	}
	missed := a.sendTeam(tid, proto.ChatTeam, "sent before the kick")
	if err := rawCall(t, ts, "alice", proto.OpTeamKick, proto.TeamAccountsReq{TeamID: tid, Accounts: []string{"carol"}}, nil); err != nil {
		t.Fatalf("kick: %v", err)
	}
	after := a.sendTeam(tid, proto.ChatTeam, "sent after the kick")
	c.login("carol")
	// The ChangeTeam of her kick (at the login's sync) pulls the history
	// up to the kick.
	c.waitFor("carol gets the message sent before her kick", func() bool {
		n, _ := c.recvByID()
		return n[missed.MessageID] == 1
	})
	found, left := false, int64(0) // left: the last seq she has (her kick's notification)
	for _, v := range c.teamMessages(tid, proto.ChatTeam) {
		left = max(left, v.Seq)
		switch v.MessageID {
		case missed.MessageID:
			found = true
		case after.MessageID:
			t.Errorf("carol has a message sent after her kick")
		}
	}
	if !found {
		t.Errorf("carol's session lacks the message sent before her kick")
	}
	if u := c.unreadOf(tid); u < 1 {
		t.Errorf("carol's unread %d, want the missed message counted", u)
	}
	_, _, reads := c.net.count(proto.OpRead)
	if err := c.c.MarkAllMessagesReadInSession(context.Background(), tid, proto.ChatTeam); err != nil {
		t.Errorf("mark read of a left team's session: %v", err)
	}
	if _, _, n := c.net.count(proto.OpRead); n != reads+1 {
		t.Errorf("read requests %d, want %d", n, reads+1)
	}
	if u := c.unreadOf(tid); u != 0 {
		t.Errorf("unread after marking read: %d", u)
	}
	if srv, read := core.SrvReadSeq(c.c, proto.ChatTeam, tid); srv != read || read < left {
		t.Errorf("read mark %d, server's as kept %d; want equal, at least %d", read, srv, left)
	}
	// The refused read is not sent again at the next login.
	if err := c.c.Logout(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, _, reads = c.net.count(proto.OpRead)
	c.login("carol")
	if _, _, n := c.net.count(proto.OpRead); n != reads {
		t.Errorf("read requests at the next login %d, want none", n-reads)
	}
	if u := c.unreadOf(tid); u != 0 {
		t.Errorf("unread after the next login: %d", u)
	}
}

// bob reads on one device; team notifications follow; his other device,
// back online with shouldSyncUnreadCount (not shouldCountTeam), shows 0
// unread: the server's count less its notification messages (NoteUnread).
func TestTeamFixSyncedUnreadAfterReadElsewhereThenNotes(t *testing.T) {
	ts := startServer(t)
	for _, u := range []string{"alice", "bob"} {
		ts.user(u)
	}
	tid := createTeam(t, ts, "alice", proto.TeamAdvanced, "bob")
	a := newDevice(t, ts, false)
	a.login("alice")
	b1, b2 := newDevice(t, ts, true), newDevice(t, ts, true)
	b1.login("bob")
	b2.login("bob")
	m0 := a.sendTeam(tid, proto.ChatTeam, "m0")
	b2.waitFor("b2 gets m0", func() bool { n, _ := b2.recvByID(); return n[m0.MessageID] == 1 })
	if err := b2.c.MarkAllMessagesReadInSession(context.Background(), tid, proto.ChatTeam); err != nil {
		t.Fatal(err)
	}
	b1.waitFor("b1 read on b2", func() bool { return b1.unreadOf(tid) == 0 })
	a.sendTeam(tid, proto.ChatTeam, "m1")
	m2 := a.sendTeam(tid, proto.ChatTeam, "m2")
	b2.waitFor("b2 gets m2", func() bool { n, _ := b2.recvByID(); return n[m2.MessageID] == 1 })
	b1.waitFor("b1 gets m2", func() bool { n, _ := b1.recvByID(); return n[m2.MessageID] == 1 })
	if u := b2.unreadOf(tid); u != 2 {
		t.Fatalf("b2's unread before logout %d, want 2", u)
	}
	if err := b2.c.Logout(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := b1.c.MarkAllMessagesReadInSession(context.Background(), tid, proto.ChatTeam); err != nil {
		t.Fatal(err)
	}
	heard := len(b1.teamMessages(tid, proto.ChatTeam))
	for _, name := range []string{"n1", "n2", "n3"} {
		nm := name
		if err := rawCall(t, ts, "alice", proto.OpTeamUpdate, proto.TeamUpdateReq{TeamID: tid, TeamUpdate: proto.TeamUpdate{Name: &nm}}, nil); err != nil {
			t.Fatal(err)
		}
	}
	b1.waitFor("b1 gets the three notifications", func() bool { return len(b1.teamMessages(tid, proto.ChatTeam)) >= heard+3 })
	// The server counts them; with ShouldCountTeam it would be 3.
	var resp proto.SyncResp
	if err := rawCall(t, ts, "bob", proto.OpSync, proto.SyncReq{}, &resp); err != nil {
		t.Fatal(err)
	}
	for _, cv := range resp.Convs {
		if cv.ID == proto.TeamConv(tid) && (cv.Unread != 3 || cv.NoteUnread != 3) {
			t.Errorf("bob's row: unread %d, noteUnread %d; want 3, 3", cv.Unread, cv.NoteUnread)
		}
	}
	b2.login("bob")
	if u := b2.unreadOf(tid); u != 0 {
		t.Errorf("b2's unread %d, want 0 (read on b1; only notifications since)", u)
	}
	if u := b1.unreadOf(tid); u != 0 {
		t.Errorf("b1's unread %d", u)
	}
	// A message from alice counts again, on both.
	m3 := a.sendTeam(tid, proto.ChatTeam, "m3")
	for name, d := range map[string]*device{"b1": b1, "b2": b2} {
		d.waitFor(name+" gets m3", func() bool { n, _ := d.recvByID(); return n[m3.MessageID] == 1 })
		if u := d.unreadOf(tid); u != 1 {
			t.Errorf("%s's unread after m3: %d, want 1", name, u)
		}
	}
}

// A team receipt that reaches the sender before its send's reply is kept:
// the message, still sending, takes the counts and its finish keeps them.
func TestTeamFixReceiptBeforeSendReply(t *testing.T) {
	ts := startServer(t)
	for _, u := range []string{"alice", "bob", "carol"} {
		ts.user(u)
	}
	tid := createTeam(t, ts, "alice", proto.TeamAdvanced, "bob", "carol")
	skipWithoutTeamReceipts(t, ts, "alice", tid)
	on := func(c *core.Config) { c.TeamReceiptEnabled = true }
	a, b := teamDevice(t, ts, on), teamDevice(t, ts, on)
	a.login("alice")
	b.login("bob")
	ctx := context.Background()
	// alice's send reply is handed over only after the next frame.
	isSendReply := func(f proto.Frame) bool {
		if f.ID == 0 || f.Op != "" {
			return false
		}
		var r proto.SendResp
		return json.Unmarshal(f.Data, &r) == nil && r.ServerID != "" && r.Seq > 0
	}
	a.net.mu.Lock()
	a.net.stash, a.net.stashed = isSendReply, make(chan struct{}, 1)
	a.net.mu.Unlock()
	var wg sync.WaitGroup
	var serr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, serr = a.c.SendText(ctx, core.SendTextParams{SessionID: tid, ChatType: proto.ChatTeam, Text: "read me"})
	}()
	<-a.net.stashed
	a.net.mu.Lock()
	a.net.stash = nil
	a.net.mu.Unlock()
	var id string
	for _, v := range a.teamMessages(tid, proto.ChatTeam) {
		if textOf(v) == "read me" {
			id = v.MessageID
		}
	}
	if id == "" {
		t.Fatal("alice's message is not cached while it is sent")
	}
	// bob's receipt, as its change reaches alice before the reply (the
	// server has stored the message: its seq is the conversation's last).
	seq := lastSeqOf(t, ts, "bob", tid) // not alice: her login elsewhere would push a frame to her
	info := proto.TeamReceiptInfo{Conv: proto.TeamConv(tid), Seq: seq, ClientID: id, Read: 1, Unread: 1, Time: 1}
	if err := core.ApplyTeamReceipt(a.c, info); err != nil {
		t.Fatalf("apply the receipt: %v", err)
	}
	// Any frame to alice hands the reply over.
	b.send("alice", "hello")
	wg.Wait()
	if serr != nil {
		t.Fatalf("send: %v", serr)
	}
	want := core.TeamReceiptInfo{ReadCount: 1, UnreadCount: 1}
	if v := a.cachedView(tid, id); v == nil || v.TeamReceiptInfo == nil || *v.TeamReceiptInfo != want {
		t.Errorf("alice's cached message %+v, want teamReceiptInfo %+v", v, want)
	}
	if s := a.session(tid); s == nil || s.LastMessage == nil || s.LastMessage.TeamReceiptInfo == nil || *s.LastMessage.TeamReceiptInfo != want {
		t.Errorf("alice's session's last message %+v", s)
	}
	if r := a.receiptsHeard(id); len(r) != 1 {
		t.Errorf("alice heard %d receipts of it, want 1", len(r))
	}
}

// A member that leaves and rejoins sees nothing of what was sent while it
// was away; its cursor passes over that part (the new floor), online or
// offline meanwhile, and in-order pushes after that pull nothing.
func TestTeamFixRejoinFloor(t *testing.T) {
	for _, offline := range []bool{false, true} {
		name := "online"
		if offline {
			name = "offline"
		}
		t.Run(name, func(t *testing.T) {
			ts := startServer(t)
			for _, u := range []string{"alice", "bob", "carol"} {
				ts.user(u)
			}
			tid := createTeam(t, ts, "alice", proto.TeamAdvanced, "bob", "carol")
			a := newDevice(t, ts, false)
			a.login("alice")
			c := newDevice(t, ts, false)
			c.login("carol")
			m := a.sendTeam(tid, proto.ChatTeam, "while a member")
			c.waitFor("carol gets it", func() bool { n, _ := c.recvByID(); return n[m.MessageID] == 1 })
			if offline {
				if err := c.c.Logout(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			if err := rawCall(t, ts, "carol", proto.OpTeamQuit, proto.TeamReq{TeamID: tid}, nil); err != nil {
				t.Fatalf("quit: %v", err)
			}
			away := a.sendTeam(tid, proto.ChatTeam, "while away")
			a.sendTeam(tid, proto.ChatTeam, "while away")
			if err := rawCall(t, ts, "alice", proto.OpTeamInvite, proto.TeamAccountsReq{TeamID: tid, Accounts: []string{"carol"}}, nil); err != nil {
				t.Fatalf("invite: %v", err)
			}
			if offline {
				c.login("carol")
			}
			poll(t, "carol's cursor passes the part she missed", func() bool {
				s, ahead, ann, annAhead, ok := core.SessionCursors(c.c, proto.ChatTeam, tid)
				return ok && len(ahead) == 0 && len(annAhead) == 0 && s == ann && s >= 6
			})
			_, _, before := c.net.count(proto.OpPull)
			var last *core.MessageView
			for i := 0; i < 3; i++ {
				last = a.sendTeam(tid, proto.ChatTeam, "after the rejoin")
			}
			c.waitFor("carol gets the last", func() bool { n, _ := c.recvByID(); return n[last.MessageID] == 1 })
			cleanCursors(t, c, tid, lastSeqOf(t, ts, "carol", tid))
			if _, _, after := c.net.count(proto.OpPull); after != before {
				t.Errorf("carol pulled %d times for 3 in-order live pushes", after-before)
			}
			for _, v := range c.teamMessages(tid, proto.ChatTeam) {
				if v.MessageID == away.MessageID || textOf(v) == "while away" {
					t.Errorf("carol has a message sent while she was away: %+v", v)
				}
			}
		})
	}
}
