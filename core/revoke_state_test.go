package core

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"yunxin/proto"
)

// Revokes and remote session deletes as changes, driven through pushes on a
// Client with no network (see state_test.go); two "tabs" are two Clients
// over one MemCache.

func revokeOf(seq int64, from string, t int64) proto.Revoke {
	return proto.Revoke{Conv: "p:alice|bob", ChatType: proto.ChatP2P, Seq: seq, ClientID: "c" + itoa64(seq),
		ServerID: itoa64(100 + seq), MsgFrom: from, MsgTime: t, By: from, Time: t + 10, Postscript: "oops"}
}

func (rec *recorder) revokes() []RevokeNotificationView {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var out []RevokeNotificationView
	for _, e := range rec.events {
		if m, ok := e.Data.(MessageEvent); ok && m.EventType == "onRecvRevokeMessageNotification" {
			out = append(out, *m.Notification)
		}
	}
	return out
}

func cachedIDs(t *testing.T, cache Cache, sk string) string {
	t.Helper()
	ms, err := cache.Messages(context.Background(), Query{SK: sk, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range ms {
		ids = append(ids, m.ID)
	}
	return strings.Join(ids, " ")
}

func TestRevokeApplied(t *testing.T) {
	cache := NewMemCache()
	c, r, rec := offline(t, cache, false)
	for i := int64(1); i <= 3; i++ {
		c.onPush(r, nil, proto.PushMsg, msg(i, "bob", 1000+i))
	}
	rec.reset()
	c.onPush(r, nil, proto.PushChange, change(1, proto.ChangeRevoke, proto.RevokeKey("p:alice|bob", 3), revokeOf(3, "bob", 1003)))
	if got := cachedIDs(t, cache, "0|bob"); got != "c1 c2" {
		t.Fatalf("cached after the revoke of c3: %s", got)
	}
	s := c.sessionNow("0|bob")
	if s.Unread != 2 || s.LastMsg == nil || s.LastMsg.ID != "c2" {
		t.Fatalf("session after the revoke: unread %d, last %+v", s.Unread, s.LastMsg)
	}
	ns := rec.revokes()
	if len(ns) != 1 {
		t.Fatalf("notifications: %+v", ns)
	}
	n := ns[0]
	if n.NotificationType != 7 || n.FromUserID != "bob" || n.MessageFromUserID != "bob" || n.Session != (SessionRef{"bob", 0}) ||
		n.SessionID != "bob" || n.Timestamp != 1003 || n.IsRoaming || n.Postscript != "oops" || n.Message == nil || n.Message.MessageID != "c3" {
		t.Fatalf("notification = %+v", n)
	}
	if got := strings.Join(rec.eventTypes(), " "); got != "onRecvRevokeMessageNotification didUpdateRecentSession" {
		t.Fatalf("events: %s", got)
	}
	// Met again (the sync pages over it): nothing.
	rec.reset()
	c.onPush(r, nil, proto.PushChange, change(1, proto.ChangeRevoke, proto.RevokeKey("p:alice|bob", 3), revokeOf(3, "bob", 1003)))
	if got := rec.eventTypes(); len(got) != 0 {
		t.Fatalf("a repeated revoke emitted %v", got)
	}
	if s := c.sessionNow("0|bob"); s.Unread != 2 {
		t.Fatalf("a repeated revoke changed unread to %d", s.Unread)
	}
	// A message read already: unread stays; not the last: last stays.
	if err := c.MarkAllMessagesReadInSession(context.Background(), "bob", 0); err != nil {
		t.Fatal(err)
	}
	c.onPush(r, nil, proto.PushChange, change(2, proto.ChangeRevoke, proto.RevokeKey("p:alice|bob", 1), revokeOf(1, "bob", 1001)))
	if s := c.sessionNow("0|bob"); s.Unread != 0 || s.LastMsg.ID != "c2" {
		t.Fatalf("after revoking a read message: %+v", s)
	}
	if got := cachedIDs(t, cache, "0|bob"); got != "c2" {
		t.Fatalf("cached: %s", got)
	}
	// All of it survives a reload.
	c2, _, _ := offline(t, cache.Reopen(), false)
	if s := c2.sessionNow("0|bob"); s.Unread != 0 || s.LastMsg == nil || s.LastMsg.ID != "c2" {
		t.Fatalf("after a reload: %+v", s)
	}
}

// A revoke applied by one tab is not undone by the other tab's older copy
// of the session, and the second tab applying it too does not count it
// twice.
func TestRevokeTwoTabs(t *testing.T) {
	cache := NewMemCache()
	a, ra, _ := offline(t, cache, false)
	b, rb, recB := offline(t, cache, false)
	for i := int64(1); i <= 3; i++ {
		a.onPush(ra, nil, proto.PushMsg, msg(i, "bob", 1000+i))
		b.onPush(rb, nil, proto.PushMsg, msg(i, "bob", 1000+i))
	}
	if s := b.sessionNow("0|bob"); s.Unread != 3 || s.LastMsg.ID != "c3" {
		t.Fatalf("tab b before: %+v", s)
	}
	a.onPush(ra, nil, proto.PushChange, change(1, proto.ChangeRevoke, proto.RevokeKey("p:alice|bob", 3), revokeOf(3, "bob", 1003)))
	// Tab b writes its older copy (a receipt for its session).
	rc := proto.Receipt{Conv: "p:alice|bob", From: "bob", Seq: 1, ClientID: "c1", Time: 2000}
	b.onPush(rb, nil, proto.PushChange, change(2, proto.ChangeReceipt, rc.Conv, rc))
	s := b.sessionNow("0|bob")
	if s.LastMsg == nil || s.LastMsg.ID != "c2" || s.Unread != 2 {
		t.Fatalf("tab b's stale write brought back last %+v / unread %d", s.LastMsg, s.Unread)
	}
	// Tab b meets the revoke itself: the message is gone already.
	b.onPush(rb, nil, proto.PushChange, change(1, proto.ChangeRevoke, proto.RevokeKey("p:alice|bob", 3), revokeOf(3, "bob", 1003)))
	s = b.sessionNow("0|bob")
	if s.Unread != 2 || s.LastMsg == nil || s.LastMsg.ID != "c2" {
		t.Fatalf("tab b after applying the revoke: unread %d, last %+v", s.Unread, s.LastMsg)
	}
	if ns := recB.revokes(); len(ns) != 1 || ns[0].Message != nil {
		t.Fatalf("tab b's notifications: %+v (want one, without the message it no longer has)", ns)
	}
	// Tab b had not applied the revoke before its stale write: its copy
	// still counted c3 — the merged record, not that copy, is stored.
	snap, _ := cache.Load(context.Background())
	if st := snap.Sessions[0]; st.Unread != 2 || st.LastMsg.ID != "c2" {
		t.Fatalf("stored: unread %d, last %s", st.Unread, st.LastMsg.ID)
	}
}

// A revoked message in a pull moves the cursors but is never cached,
// counted or announced.
func TestRevokedInPull(t *testing.T) {
	cache := NewMemCache()
	c, r, rec := offline(t, cache, false)
	c.onPush(r, nil, proto.PushMsg, msg(1, "bob", 1001))
	rec.reset()
	gone := proto.Msg{ServerID: "102", ClientID: "c2", Conv: "p:alice|bob", Seq: 2, From: "bob", To: "alice", Time: 1002, Revoked: true}
	var third proto.Msg
	json.Unmarshal(msg(3, "bob", 1003), &third)
	err := c.change(r, func(t *tx) { t.ingest([]proto.Msg{gone, third}, false) })
	if err != nil {
		t.Fatal(err)
	}
	s := c.sessionNow("0|bob")
	if s.SyncSeq != 3 || len(s.Ahead) != 0 || s.LastSeq != 3 || s.Unread != 2 || s.LastMsg.ID != "c3" {
		t.Fatalf("session: %+v", s)
	}
	if got := cachedIDs(t, cache, "0|bob"); got != "c1 c3" {
		t.Fatalf("cached: %s", got)
	}
	var told []string
	rec.mu.Lock()
	for _, e := range rec.events {
		if m, ok := e.Data.(MessageEvent); ok && m.EventType == "onRecvMessages" {
			for _, v := range m.Messages {
				told = append(told, v.MessageID)
			}
		}
	}
	rec.mu.Unlock()
	if strings.Join(told, " ") != "c3" {
		t.Fatalf("announced %v, want only c3", told)
	}
	// A conversation whose only message was revoked is not listed.
	gone2 := proto.Msg{ServerID: "201", ClientID: "d1", Conv: "p:alice|carol", Seq: 1, From: "carol", To: "alice", Time: 1, Revoked: true}
	c.change(r, func(t *tx) { t.ingest([]proto.Msg{gone2}, false) })
	if s := c.sessionNow("0|carol"); s == nil || !s.Hidden() || s.SyncSeq != 1 {
		t.Fatalf("carol's session: %+v", s)
	}
	list, _ := c.AllRecentSessions(context.Background())
	if len(list) != 1 {
		t.Fatalf("recent sessions: %d, want only bob's", len(list))
	}
}

func TestConvDeletedChange(t *testing.T) {
	cache := NewMemCache()
	c, r, rec := offline(t, cache, false)
	c.onPush(r, nil, proto.PushMsg, msg(1, "bob", 1001))
	c.onPush(r, nil, proto.PushMsg, msg(2, "bob", 1002))
	// Deleted elsewhere after seq 1 only: seq 2 is newer, the session stays.
	c.onPush(r, nil, proto.PushChange, change(1, proto.ChangeConvDeleted, "p:alice|bob", proto.ConvDeleted{Conv: "p:alice|bob", Seq: 1, Time: 1001}))
	if s := c.sessionNow("0|bob"); s.Hidden() {
		t.Fatal("hidden though a newer message is cached")
	}
	rec.reset()
	c.onPush(r, nil, proto.PushChange, change(2, proto.ChangeConvDeleted, "p:alice|bob", proto.ConvDeleted{Conv: "p:alice|bob", Seq: 2, Time: 1500}))
	if s := c.sessionNow("0|bob"); !s.Hidden() {
		t.Fatal("not hidden by the remote delete")
	}
	if got := strings.Join(rec.eventTypes(), " "); got != "didRemoveRecentSession" {
		t.Fatalf("events: %s", got)
	}
	// The next message lists it again.
	rec.reset()
	c.onPush(r, nil, proto.PushMsg, msg(3, "bob", 2000))
	if s := c.sessionNow("0|bob"); s.Hidden() {
		t.Fatal("still hidden after a new message")
	}
	if got := strings.Join(rec.eventTypes(), " "); got != "onRecvMessages didAddRecentSession" {
		t.Fatalf("events: %s", got)
	}
}
