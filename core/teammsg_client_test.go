//go:build !js

package core_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"yunxin/core"
	"yunxin/internal/jx"
	"yunxin/proto"
)

// Three accounts in a team: alice on two devices, bob, carol. Text and
// location messages reach every member once, and the sender's other
// device; sessions are the team's (id tid, chatType 1) with unread counts
// per member and device; mark read, messagesInSession, history, a member
// reconnecting mid-conversation, revoke, delete and clear.
func TestTeamMessagesReachEveryMember(t *testing.T) {
	ts := startServer(t)
	for _, u := range []string{"alice", "bob", "carol"} {
		ts.user(u)
	}
	tid := createTeam(t, ts, "alice", proto.TeamAdvanced, "bob", "carol")
	// alice's devices sync their read marks (shouldSyncUnreadCount).
	a1, a2, b, c := newDevice(t, ts, true), newDevice(t, ts, true), newDevice(t, ts, false), newDevice(t, ts, false)
	a1.login("alice")
	a2.login("alice")
	b.login("bob")
	c.login("carol")
	ctx := context.Background()

	hi := a1.sendTeam(tid, proto.ChatTeam, "hi team")
	if hi.ChatType != proto.ChatTeam || hi.SessionID != tid || hi.Seq == 0 || hi.DeliveryState != core.DeliverySent {
		t.Fatalf("sent view: %+v", hi)
	}
	loc, err := a1.c.SendMessage(ctx, core.SendParams{SessionID: tid, ChatType: proto.ChatTeam, Type: proto.MsgLocation,
		Latitude: 30, Longitude: 120, Title: "West Lake"})
	if err != nil {
		t.Fatalf("send location: %v", err)
	}
	ids := []string{hi.MessageID, loc.MessageID}
	for name, d := range map[string]*device{"alice2": a2, "bob": b, "carol": c} {
		d.waitFor(name+" receives both", func() bool {
			n, _ := d.recvByID()
			return n[hi.MessageID] >= 1 && n[loc.MessageID] >= 1
		})
	}
	for name, d := range map[string]*device{"alice2": a2, "bob": b, "carol": c} {
		n, last := d.recvByID()
		for _, id := range ids {
			if n[id] != 1 {
				t.Errorf("%s heard %s %d times", name, id, n[id])
			}
			v := last[id]
			if v.ChatType != proto.ChatTeam || v.SessionID != tid || v.Session.SessionID != tid || v.From != "alice" {
				t.Errorf("%s: view %+v", name, v)
			}
			if wantOut := name == "alice2"; v.IsOutgoingMsg != wantOut {
				t.Errorf("%s: isOutgoingMsg %v", name, v.IsOutgoingMsg)
			}
		}
	}
	// Unread: alice's own messages count nowhere; bob and carol have 2.
	b.waitFor("bob's unread 2", func() bool { return b.unreadOf(tid) == 2 })
	c.waitFor("carol's unread 2", func() bool { return c.unreadOf(tid) == 2 })
	if u := a2.unreadOf(tid); u != 0 {
		t.Errorf("alice2 unread %d", u)
	}
	s := b.teamSession(tid)
	if s.ChatType != proto.ChatTeam || s.Session.ChatType != proto.ChatTeam || s.LastMessageID != loc.MessageID {
		t.Errorf("bob's session: %+v", s)
	}

	// bob answers: alice has 1 unread on both devices; reading on one
	// clears it on the other.
	re := b.sendTeam(tid, proto.ChatTeam, "hello alice")
	a1.waitFor("alice1 unread 1", func() bool { return a1.unreadOf(tid) == 1 })
	a2.waitFor("alice2 unread 1", func() bool { return a2.unreadOf(tid) == 1 })
	if err := a1.c.MarkAllMessagesReadInSession(ctx, tid, proto.ChatTeam); err != nil {
		t.Fatal(err)
	}
	a2.waitFor("alice2 read on alice1", func() bool { return a2.unreadOf(tid) == 0 })
	if u := a1.unreadOf(tid); u != 0 {
		t.Errorf("alice1 unread after mark read: %d", u)
	}
	c.waitFor("carol unread 3", func() bool { return c.unreadOf(tid) == 3 })

	// messagesInSession and history.
	got := userMessages(c.teamMessages(tid, proto.ChatTeam))
	if len(got) != 3 || got[0].MessageID != hi.MessageID || got[1].MessageID != loc.MessageID || got[2].MessageID != re.MessageID {
		t.Fatalf("carol's messages: %+v", got)
	}
	hist, err := c.c.PullMessageHistory(ctx, core.HistoryParams{SessionID: tid, ChatType: proto.ChatTeam, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	hist = userMessages(hist)
	if len(hist) != 3 || !slices.ContainsFunc(hist, func(v core.MessageView) bool { return v.MessageID == re.MessageID && v.SessionID == tid }) {
		t.Fatalf("carol's history: %+v", hist)
	}

	// carol goes away; the team goes on; carol comes back and gets it.
	if err := c.c.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	m1 := a1.sendTeam(tid, proto.ChatTeam, "while carol is away 1")
	m2 := b.sendTeam(tid, proto.ChatTeam, "while carol is away 2")
	c.login("carol")
	c.waitFor("carol gets what she missed", func() bool {
		n, _ := c.recvByID()
		return n[m1.MessageID] == 1 && n[m2.MessageID] == 1
	})
	c.waitFor("carol unread 5", func() bool { return c.unreadOf(tid) == 5 })

	// Revoke in the team: gone for every member, who hears it (type 8).
	if err := a1.c.RevokeMessage(ctx, tid, proto.ChatTeam, m1.MessageID, "oops"); err != nil {
		t.Fatalf("revoke: %v", err)
	}
	for name, d := range map[string]*device{"bob": b, "carol": c, "alice2": a2} {
		d.waitFor(name+" hears the revoke", func() bool {
			return d.count(func(e core.Event) bool {
				m, ok := e.Data.(core.MessageEvent)
				return ok && m.EventType == "onRecvRevokeMessageNotification" && m.Notification.SessionID == tid &&
					m.Notification.NotificationType == 8 && m.Notification.Session.ChatType == proto.ChatTeam
			}) == 1
		})
		if slices.ContainsFunc(d.teamMessages(tid, proto.ChatTeam), func(v core.MessageView) bool { return v.MessageID == m1.MessageID }) {
			t.Errorf("%s still has the revoked message", name)
		}
	}
	if u := c.unreadOf(tid); u != 4 {
		t.Errorf("carol's unread after the revoke: %d, want 4", u)
	}

	// Delete one, then clear the session.
	if err := c.c.DeleteMessage(ctx, tid, proto.ChatTeam, hi.MessageID); err != nil {
		t.Fatal(err)
	}
	if slices.ContainsFunc(c.teamMessages(tid, proto.ChatTeam), func(v core.MessageView) bool { return v.MessageID == hi.MessageID }) {
		t.Error("deleted message still listed")
	}
	if err := c.c.DeleteAllMessagesInSession(ctx, tid, proto.ChatTeam, false); err != nil {
		t.Fatal(err)
	}
	if ms := c.teamMessages(tid, proto.ChatTeam); len(ms) != 0 {
		t.Errorf("cleared session lists %d messages", len(ms))
	}
}

// Team notification messages (posted by the server for team changes)
// count as unread only with shouldCountTeam; their view body is the doc's
// 消息体-通知 with our fields.
func TestTeamNotificationsCountOnlyWithShouldCountTeam(t *testing.T) {
	ts := startServer(t)
	for _, u := range []string{"alice", "bob", "carol"} {
		ts.user(u)
	}
	tid := createTeam(t, ts, "alice", proto.TeamAdvanced, "bob", "carol")
	b := teamDevice(t, ts, func(c *core.Config) { c.ShouldCountTeam = true })
	c := teamDevice(t, ts, nil)
	b.login("bob")
	c.login("carol")
	first := b.sendTeam(tid, proto.ChatTeam, "first") // both have the session now
	c.waitFor("carol has bob's message", func() bool { n, _ := c.recvByID(); return n[first.MessageID] == 1 })
	ub, uc := b.unreadOf(tid), c.unreadOf(tid)

	name := "renamed"
	if err := rawCall(t, ts, "alice", proto.OpTeamUpdate, proto.TeamUpdateReq{TeamID: tid, TeamUpdate: proto.TeamUpdate{Name: &name}}, nil); err != nil {
		t.Fatalf("update team: %v", err)
	}
	isNote := func(d *device) func() bool {
		return func() bool {
			_, last := d.recvByID()
			for _, v := range last {
				if noteOp(v) == proto.TeamOpUpdate {
					return true
				}
			}
			return false
		}
	}
	b.waitFor("bob gets the notification", isNote(b))
	c.waitFor("carol gets the notification", isNote(c))
	if u := b.unreadOf(tid); u != ub+1 {
		t.Errorf("bob (shouldCountTeam) unread %d, want %d", u, ub+1)
	}
	if u := c.unreadOf(tid); u != uc {
		t.Errorf("carol unread %d, want %d (notifications not counted)", u, uc)
	}
	_, last := c.recvByID()
	for _, v := range last {
		if noteOp(v) != proto.TeamOpUpdate {
			continue
		}
		var body struct {
			Type             int            `json:"type"`
			NotificationType int            `json:"notificationType"`
			AndroidType      int            `json:"androidType"`
			Operation        int            `json:"operation"`
			Targets          []string       `json:"targets"`
			Update           map[string]any `json:"update"`
		}
		if err := json.Unmarshal(v.Body, &body); err != nil {
			t.Fatal(err)
		}
		if body.Type != 5 || body.NotificationType != 1 || body.AndroidType != 3 || body.Update["teamName"] != "renamed" || body.Targets == nil {
			t.Errorf("notification body %s", v.Body)
		}
		if v.From != "alice" || v.ChatType != proto.ChatTeam || v.SessionID != tid {
			t.Errorf("notification view %+v", v)
		}
		// A page cannot forward (nor send) a notification message.
		_, err := c.c.ForwardMessage(context.Background(), core.ForwardParams{SessionID: tid, ChatType: proto.ChatTeam,
			MessageID: v.MessageID, ToSessionID: "bob"})
		if e := core.AsError(err); e == nil || e.Code != proto.CodeBadParam {
			t.Errorf("forward of a notification: %v, want 414", err)
		}
	}
}

// noteOp returns the operation of a team notification view, -1 for other
// messages.
func noteOp(v core.MessageView) int {
	var b struct {
		Type      int `json:"type"`
		Operation int `json:"operation"`
	}
	json.Unmarshal(v.Body, &b)
	if b.Type != proto.MsgNotification {
		return -1
	}
	return b.Operation
}

// A send by a non-member fails with the server's 804 (803 for no such
// team), one by a muted member with 812, a chatType that does not match
// the team with 805: final failures (deliveryState 0, sendMessageFail),
// not left waiting in the outbox even with reSend.
func TestTeamSendRefusals(t *testing.T) {
	ts := startServer(t)
	for _, u := range []string{"alice", "bob", "dave"} {
		ts.user(u)
	}
	tid := createTeam(t, ts, "alice", proto.TeamAdvanced, "bob")
	b, d := newDevice(t, ts, false), newDevice(t, ts, false)
	b.login("bob")
	d.login("dave")
	ctx := context.Background()
	failed := func(dv *device, id string) int {
		return dv.count(func(e core.Event) bool {
			m, ok := e.Data.(core.MessageEvent)
			return ok && m.EventType == "sendMessageFail" && m.Message.MessageID == id
		})
	}
	check := func(dv *device, what string, v *core.MessageView, err error, code int) {
		t.Helper()
		if e := core.AsError(err); e == nil || e.Code != code {
			t.Fatalf("%s: %v, want %d", what, err, code)
		}
		if v == nil || v.DeliveryState != core.DeliveryFailed {
			t.Fatalf("%s: view %+v, want failed", what, v)
		}
		if n := failed(dv, v.MessageID); n != 1 {
			t.Errorf("%s: sendMessageFail %d times", what, n)
		}
	}
	v, err := d.c.SendText(ctx, core.SendTextParams{SessionID: tid, ChatType: proto.ChatTeam, Text: "let me in", ReSend: true})
	check(d, "non-member", v, err, proto.CodeTeamNotMember)
	v, err = d.c.SendText(ctx, core.SendTextParams{SessionID: "nosuchteam", ChatType: proto.ChatTeam, Text: "x"})
	check(d, "no team", v, err, proto.CodeTeamNotFound)
	v, err = b.c.SendText(ctx, core.SendTextParams{SessionID: tid, ChatType: proto.ChatSuperTeam, Text: "x"})
	check(b, "wrong chat type", v, err, proto.CodeTeamType)

	if err := rawCall(t, ts, "alice", proto.OpTeamMute, proto.TeamAccountsReq{TeamID: tid, Accounts: []string{"bob"}, On: true}, nil); err != nil {
		t.Fatalf("mute bob: %v", err)
	}
	v, err = b.c.SendText(ctx, core.SendTextParams{SessionID: tid, ChatType: proto.ChatTeam, Text: "am I muted?", ReSend: true})
	check(b, "muted", v, err, proto.CodeTeamMuted)
	// Nothing waits: a reconnect sends nothing again.
	_, _, sends := b.net.count(proto.OpSend)
	b.net.cut()
	b.waitStep(core.StepSynced, 2)
	if _, _, n := b.net.count(proto.OpSend); n != sends {
		t.Errorf("the refused message was sent again after a reconnect (%d sends, was %d)", n, sends)
	}
	ms := b.teamMessages(tid, proto.ChatTeam)
	if !slices.ContainsFunc(ms, func(m core.MessageView) bool {
		return m.MessageID == v.MessageID && m.DeliveryState == core.DeliveryFailed
	}) {
		t.Errorf("the refused message is not cached as failed: %+v", ms)
	}
}

// A super team's session and messages are chatType 5 everywhere; its
// notifications carry notificationType 4 and the 40x Android numbers.
func TestSuperTeamMessages(t *testing.T) {
	ts := startServer(t)
	for _, u := range []string{"alice", "bob"} {
		ts.user(u)
	}
	tid := createTeam(t, ts, "alice", proto.TeamSuper, "bob")
	a, b := newDevice(t, ts, false), newDevice(t, ts, false)
	a.login("alice")
	b.login("bob")
	m := a.sendTeam(tid, proto.ChatSuperTeam, "hello super")
	b.waitFor("bob receives", func() bool { n, _ := b.recvByID(); return n[m.MessageID] == 1 })
	_, last := b.recvByID()
	if v := last[m.MessageID]; v.ChatType != proto.ChatSuperTeam || v.SessionID != tid || textOf(v) != "hello super" {
		t.Errorf("bob's view %+v", v)
	}
	b.waitFor("bob's session", func() bool { return b.unreadOf(tid) == 1 })
	if s := b.teamSession(tid); s.ChatType != proto.ChatSuperTeam {
		t.Errorf("bob's session %+v", s)
	}
	name := "super renamed"
	if err := rawCall(t, ts, "alice", proto.OpTeamUpdate, proto.TeamUpdateReq{TeamID: tid, TeamUpdate: proto.TeamUpdate{Name: &name}}, nil); err != nil {
		t.Fatalf("update: %v", err)
	}
	b.waitFor("bob's notification", func() bool {
		_, last := b.recvByID()
		for _, v := range last {
			if noteOp(v) == proto.TeamOpUpdate {
				var body struct{ NotificationType, AndroidType int }
				json.Unmarshal(v.Body, &body)
				if body.NotificationType != 4 || body.AndroidType != 404 || v.ChatType != proto.ChatSuperTeam {
					t.Errorf("super team notification %s (chatType %d)", v.Body, v.ChatType)
				}
				return true
			}
		}
		return false
	})
	if err := b.c.MarkAllMessagesReadInSession(context.Background(), tid, proto.ChatSuperTeam); err != nil {
		t.Fatal(err)
	}
	if u := b.unreadOf(tid); u != 0 {
		t.Errorf("unread after mark read %d", u)
	}
}

// With shouldSyncUnreadCount, a new device takes the server's read mark
// and unread count, which counts team notification messages: without
// shouldCountTeam they stay out of the count there too.
func TestTeamSyncedUnreadLeavesNotificationsOut(t *testing.T) {
	ts := startServer(t)
	for _, u := range []string{"alice", "bob"} {
		ts.user(u)
	}
	tid := createTeam(t, ts, "alice", proto.TeamAdvanced, "bob")
	name := "renamed"
	if err := rawCall(t, ts, "alice", proto.OpTeamUpdate, proto.TeamUpdateReq{TeamID: tid, TeamUpdate: proto.TeamUpdate{Name: &name}}, nil); err != nil {
		t.Fatalf("update team: %v", err)
	}
	a := newDevice(t, ts, false)
	a.login("alice")
	a.sendTeam(tid, proto.ChatTeam, "after the rename")
	for _, countTeam := range []bool{false, true} {
		b := teamDevice(t, ts, func(c *core.Config) { c.ShouldSyncUnreadCount, c.ShouldCountTeam = true, countTeam })
		b.login("bob")
		notes := 0
		for _, v := range b.teamMessages(tid, proto.ChatTeam) {
			if noteOp(v) >= 0 && v.From != "bob" {
				notes++
			}
		}
		if notes == 0 {
			t.Fatal("bob has no team notification")
		}
		want := 1
		if countTeam {
			want += notes
		}
		if u := b.unreadOf(tid); u != want {
			t.Errorf("shouldCountTeam %v: unread %d, want %d", countTeam, u, want)
		}
		b.c.Logout(context.Background())
	}
}

// A team push lost on the way leaves a hole that the next push fills (gap
// pull); creatRecentSession, updateRecentLocalExt and forwardMessage take
// team sessions; a session made with the wrong chat type of a super team
// (1) does not capture the super team's conversation.
func TestTeamGapAndSessionMethods(t *testing.T) {
	ts := startServer(t)
	for _, u := range []string{"alice", "bob"} {
		ts.user(u)
	}
	tid := createTeam(t, ts, "alice", proto.TeamAdvanced, "bob")
	sid := createTeam(t, ts, "alice", proto.TeamSuper, "bob")
	a, b := newDevice(t, ts, false), newDevice(t, ts, false)
	a.login("alice")
	b.login("bob")
	ctx := context.Background()

	first := a.sendTeam(tid, proto.ChatTeam, "first")
	b.waitFor("bob gets the first", func() bool { n, _ := b.recvByID(); return n[first.MessageID] == 1 })
	dropped := make(chan struct{}, 1)
	b.net.mu.Lock()
	b.net.drop = func(f proto.Frame) bool {
		if f.ID == 0 && f.Op == proto.PushMsg {
			b.net.mu.Lock() // once (called with b.net.mu not held)
			b.net.drop = nil
			b.net.mu.Unlock()
			dropped <- struct{}{}
			return true
		}
		return false
	}
	b.net.mu.Unlock()
	lost := a.sendTeam(tid, proto.ChatTeam, "lost push")
	<-dropped
	next := a.sendTeam(tid, proto.ChatTeam, "next")
	b.waitFor("bob fills the gap", func() bool {
		n, _ := b.recvByID()
		return n[lost.MessageID] == 1 && n[next.MessageID] == 1
	})
	if u := b.unreadOf(tid); u != 3 {
		t.Errorf("bob's unread %d, want 3", u)
	}

	// Forward a team message into the super team.
	fw, err := b.c.ForwardMessage(ctx, core.ForwardParams{SessionID: tid, ChatType: proto.ChatTeam, MessageID: next.MessageID,
		ToSessionID: sid, ToChatType: proto.ChatSuperTeam})
	if err != nil || fw.ChatType != proto.ChatSuperTeam || fw.SessionID != sid || textOf(*fw) != "next" {
		t.Fatalf("forward: %+v, %v", fw, err)
	}
	a.waitFor("alice gets the forward", func() bool { n, _ := a.recvByID(); return n[fw.MessageID] == 1 })
	if s := a.session(sid); s == nil || s.ChatType != proto.ChatSuperTeam {
		t.Errorf("alice's super team session %+v", s)
	}

	// A session of the super team under chatType 1: a send fails (805) and
	// the super team's messages still go to its chatType 5 session.
	if err := a.c.CreateRecentSession(ctx, sid, proto.ChatTeam); err != nil {
		t.Fatal(err)
	}
	if _, err := a.c.SendText(ctx, core.SendTextParams{SessionID: sid, ChatType: proto.ChatTeam, Text: "x"}); core.AsError(err) == nil || core.AsError(err).Code != proto.CodeTeamType {
		t.Fatalf("send with chatType 1 to a super team: %v, want 805", err)
	}
	again := b.sendTeam(sid, proto.ChatSuperTeam, "again")
	a.waitFor("alice gets it", func() bool { n, _ := a.recvByID(); return n[again.MessageID] == 1 })
	_, last := a.recvByID()
	if v := last[again.MessageID]; v.ChatType != proto.ChatSuperTeam {
		t.Errorf("super team message reported with chatType %d", v.ChatType)
	}
	if ms := a.teamMessages(sid, proto.ChatSuperTeam); !slices.ContainsFunc(ms, func(v core.MessageView) bool { return v.MessageID == again.MessageID }) {
		t.Errorf("not in the chatType 5 session: %+v", ms)
	}

	// creatRecentSession and updateRecentLocalExt of a team session.
	if err := b.c.DeleteRecentSession(ctx, tid, proto.ChatTeam); err != nil {
		t.Fatal(err)
	}
	if b.session(tid) != nil {
		t.Fatal("deleted session still listed")
	}
	if err := b.c.CreateRecentSession(ctx, tid, proto.ChatTeam); err != nil {
		t.Fatal(err)
	}
	if err := b.c.UpdateRecentLocalExt(ctx, tid, proto.ChatTeam, jx.RawMessage(`{"pinned":true}`)); err != nil {
		t.Fatal(err)
	}
	if s := b.session(tid); s == nil || string(s.LocalExt) != `{"pinned":true}` || s.ChatType != proto.ChatTeam {
		t.Errorf("bob's team session %+v", s)
	}
}
