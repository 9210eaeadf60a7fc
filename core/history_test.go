//go:build !js

package core_test

import (
	"context"
	"fmt"
	"testing"

	"yunxin/core"
	"yunxin/proto"
)

func seqsOf(ms []core.MessageView) []int64 {
	out := make([]int64, len(ms))
	for i, m := range ms {
		out[i] = m.Seq
	}
	return out
}

func seqRange(from, to int64) []int64 {
	var out []int64
	if from <= to {
		for s := from; s <= to; s++ {
			out = append(out, s)
		}
	} else {
		for s := from; s >= to; s-- {
			out = append(out, s)
		}
	}
	return out
}

func (d *device) history(p core.HistoryParams) []core.MessageView {
	d.t.Helper()
	ms, err := d.c.PullMessageHistory(context.Background(), p)
	if err != nil {
		d.t.Fatalf("pullMessageHistory %+v: %v", p, err)
	}
	return ms
}

// A new device roams the latest RoamLimit messages; pullMessageHistory
// reaches the older ones, pages in both directions and, with persist,
// caches them as history: no onRecvMessages, no unread, cursors unmoved.
func TestHistoryBeyondRoaming(t *testing.T) {
	ctx := context.Background()
	ts := startServer(t)
	ts.user("alice")
	ts.user("bob")
	a := newDevice(t, ts, true)
	a.login("alice")
	total := int64(core.RoamLimit + 30)
	for i := int64(1); i <= total; i++ {
		a.send("bob", fmt.Sprint(i))
	}
	b := newDevice(t, ts, true)
	b.login("bob")
	b.waitFor("roamed", func() bool { return len(b.received()) == core.RoamLimit })
	unread := b.session("alice").UnreadCount
	cached := b.messages("alice", 100)
	oldest := cached[0]
	if oldest.Seq != 31 {
		t.Fatalf("oldest roamed seq %d", oldest.Seq)
	}

	// Older, from the oldest cached message: newest first.
	p1 := b.history(core.HistoryParams{SessionID: "alice", MessageID: oldest.MessageID, Limit: 20, Persist: true})
	if fmt.Sprint(seqsOf(p1)) != fmt.Sprint(seqRange(30, 11)) {
		t.Fatalf("first older page: %v", seqsOf(p1))
	}
	if p1[0].From != "alice" || p1[0].IsOutgoingMsg || string(p1[0].Body) != `{"type":0,"text":"30"}` {
		t.Fatalf("a history message: %+v", p1[0])
	}
	p2 := b.history(core.HistoryParams{SessionID: "alice", MessageID: p1[len(p1)-1].MessageID, Limit: 20, Persist: true})
	if fmt.Sprint(seqsOf(p2)) != fmt.Sprint(seqRange(10, 1)) {
		t.Fatalf("second older page: %v", seqsOf(p2))
	}
	// Newer, from the very first: oldest first.
	p3 := b.history(core.HistoryParams{SessionID: "alice", MessageID: p2[len(p2)-1].MessageID, Limit: 5, Newer: true})
	if fmt.Sprint(seqsOf(p3)) != fmt.Sprint(seqRange(2, 6)) {
		t.Fatalf("newer page: %v", seqsOf(p3))
	}
	// No anchor: from the newest end, or with Newer the oldest.
	if got := seqsOf(b.history(core.HistoryParams{SessionID: "alice", Limit: 3})); fmt.Sprint(got) != fmt.Sprint(seqRange(total, total-2)) {
		t.Fatalf("newest page: %v", got)
	}
	if got := seqsOf(b.history(core.HistoryParams{SessionID: "alice", Limit: 3, Newer: true})); fmt.Sprint(got) != "[1 2 3]" {
		t.Fatalf("oldest page: %v", got)
	}
	// A page crossing a hundred messages asks the server in one go (≤100).
	if got := b.history(core.HistoryParams{SessionID: "alice", Limit: 100}); len(got) != 100 || got[99].Seq != total-99 {
		t.Fatalf("page of 100: %d, last %d", len(got), got[len(got)-1].Seq)
	}

	// Persisted as history: every message cached in order, nothing
	// announced, unread as it was.
	older, err := b.c.MessagesInSession(ctx, core.MessagesParams{SessionID: "alice", Limit: 100, MessageID: oldest.MessageID})
	if err != nil || fmt.Sprint(seqsOf(older)) != fmt.Sprint(seqRange(1, 30)) {
		t.Fatalf("cached before the roamed ones after persisting: %v, %v", seqsOf(older), err)
	}
	if n := len(b.received()); n != core.RoamLimit {
		t.Fatalf("history announced as new: %d received", n)
	}
	if s := b.session("alice"); s.UnreadCount != unread || s.LastMessage.Seq != total {
		t.Fatalf("session after history: %+v", s)
	}
	// A new message still arrives, counted; a login again syncs nothing old.
	a.send("bob", "new")
	b.waitFor("new", func() bool { return len(b.received()) == core.RoamLimit+1 })
	if s := b.session("alice"); s.UnreadCount != unread+1 {
		t.Fatalf("unread after a new message: %d, want %d", s.UnreadCount, unread+1)
	}
	b.c.Logout(ctx)
	b.login("bob")
	if n := len(b.received()); n != core.RoamLimit+1 {
		t.Fatalf("after a new login %d received", n)
	}

	// Errors.
	for _, tc := range []struct {
		p    core.HistoryParams
		code int
	}{
		{core.HistoryParams{SessionID: "alice", Limit: 0}, proto.CodeBadParam},
		{core.HistoryParams{SessionID: "alice", Limit: proto.MaxHistory + 1}, proto.CodeBadParam},
		{core.HistoryParams{SessionID: "", Limit: 10}, proto.CodeBadParam},
		{core.HistoryParams{SessionID: "alice", MessageID: "nope", Limit: 10}, proto.CodeNotFound},
	} {
		if _, err := b.c.PullMessageHistory(ctx, tc.p); codeOf(err) != tc.code {
			t.Errorf("%+v: %v, want %d", tc.p, err, tc.code)
		}
	}
	ts.stop()
	b.waitStep(core.StepDisconnected, 1)
	if _, err := b.c.PullMessageHistory(ctx, core.HistoryParams{SessionID: "alice", Limit: 10}); codeOf(err) != proto.CodeNetwork {
		t.Fatalf("offline: %v, want 415", err)
	}
}

// After deleteAllmessagesInSession, history still reads the server, and
// persist caches the cleared messages again only with persistClear;
// revoked messages are left out.
func TestHistoryAfterClear(t *testing.T) {
	ctx := context.Background()
	_, a, b := aliceAndBob(t, false)
	var sent []*core.MessageView
	for i := 1; i <= 12; i++ {
		sent = append(sent, a.send("bob", fmt.Sprint(i)))
	}
	b.waitFor("12", func() bool { return len(b.received()) == 12 })
	if err := a.c.RevokeMessage(ctx, "bob", 0, sent[9].MessageID, ""); err != nil { // seq 10
		t.Fatal(err)
	}
	b.waitFor("the revoke", func() bool { return len(b.revokes()) == 1 })
	if err := b.c.DeleteAllMessagesInSession(ctx, "alice", 0, false); err != nil {
		t.Fatal(err)
	}
	got := b.history(core.HistoryParams{SessionID: "alice", Limit: 5, Persist: true})
	if fmt.Sprint(seqsOf(got)) != "[12 11 9 8 7]" {
		t.Fatalf("after the clear: %v (seq 10 was revoked)", seqsOf(got))
	}
	if n := len(b.messages("alice", 100)); n != 0 {
		t.Fatalf("persist cached %d cleared messages", n)
	}
	b.history(core.HistoryParams{SessionID: "alice", Limit: 5, Persist: true, PersistClear: true})
	if got := seqsOf(b.messages("alice", 100)); fmt.Sprint(got) != "[7 8 9 11 12]" {
		t.Fatalf("with persistClear: %v", got)
	}
	if s := b.session("alice"); s.LastMessage == nil || s.LastMessage.Seq != 12 {
		t.Fatalf("session after persistClear: %+v", s)
	}
	if n := len(b.received()); n != 12 {
		t.Fatalf("history announced: %d received", n)
	}
}

// deleteRemoteSessions hides the session here and on the account's other
// device, a new device does not list it, and the next message lists it
// again everywhere.
func TestDeleteRemoteSessions(t *testing.T) {
	ctx := context.Background()
	ts, a1, a2, b := twoAlicesAndBob(t)
	b.send("alice", "hi")
	a1.waitFor("hi", func() bool { return len(a1.received()) == 1 })
	a2.waitFor("hi", func() bool { return len(a2.received()) == 1 })
	removed := func(e core.Event) bool {
		s, ok := e.Data.(core.SessionEvent)
		return ok && s.EventType == "didRemoveRecentSession" && s.Session.SessionID == "bob"
	}
	if err := a1.c.DeleteRemoteSessions(ctx, []core.SessionRef{{SessionID: "bob"}}); err != nil {
		t.Fatal(err)
	}
	if a1.session("bob") != nil || a1.count(removed) != 1 {
		t.Fatalf("a1 still lists bob (%d removes)", a1.count(removed))
	}
	a2.waitFor("a2's remove", func() bool { return a2.count(removed) == 1 })
	if a2.session("bob") != nil {
		t.Fatal("a2 still lists bob")
	}
	if got := ids(a2.messages("bob", 10)); got == "" {
		t.Fatal("the messages went with the session")
	}
	a3 := newDevice(t, ts, true)
	a3.login("alice")
	if a3.session("bob") != nil {
		t.Fatal("a new device lists the deleted session")
	}
	b.send("alice", "again")
	for _, d := range []*device{a1, a2, a3} {
		d.waitFor("listed again", func() bool { s := d.session("bob"); return s != nil && s.UnreadCount >= 1 })
	}
	// Errors.
	if err := a1.c.DeleteRemoteSessions(ctx, nil); codeOf(err) != proto.CodeBadParam {
		t.Fatalf("no sessions: %v", err)
	}
	many := make([]core.SessionRef, proto.MaxDeleteConvs+1)
	for i := range many {
		many[i] = core.SessionRef{SessionID: fmt.Sprint("u", i)}
	}
	if err := a1.c.DeleteRemoteSessions(ctx, many); codeOf(err) != proto.CodeBadParam {
		t.Fatalf("too many: %v", err)
	}
	ts.stop()
	a1.waitStep(core.StepDisconnected, 1)
	if err := a1.c.DeleteRemoteSessions(ctx, []core.SessionRef{{SessionID: "bob"}}); codeOf(err) != proto.CodeNetwork {
		t.Fatalf("offline: %v, want 415", err)
	}
}
