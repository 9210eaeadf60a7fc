package core

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"yunxin/internal/jx"
	"yunxin/proto"
)

// The local deletes and localExt, on a Client with no network: what they
// change, what they tell, that a reload keeps it and that another tab's
// older copy of a session does not undo it.

func pushN(c *Client, r *run, from, to int64) {
	for i := from; i <= to; i++ {
		c.onPush(r, nil, proto.PushMsg, msg(i, "bob", 1000+i))
	}
}

func viewIDs(vs []MessageView) string {
	var ids []string
	for _, v := range vs {
		ids = append(ids, v.MessageID)
	}
	return strings.Join(ids, " ")
}

func TestDeleteMessage(t *testing.T) {
	ctx := context.Background()
	cache := NewMemCache()
	c, r, rec := offline(t, cache, false)
	other, ro, _ := offline(t, cache, false) // a second tab
	pushN(c, r, 1, 3)
	pushN(other, ro, 1, 3)
	rec.reset()
	if err := c.DeleteMessage(ctx, "bob", 0, "c3"); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(rec.eventTypes(), " "); got != "didUpdateRecentSession" {
		t.Fatalf("events: %s", got)
	}
	if s := c.sessionNow("0|bob"); s.LastMsg == nil || s.LastMsg.ID != "c2" || s.Unread != 3 {
		t.Fatalf("session: last %+v unread %d", s.LastMsg, s.Unread)
	}
	page, _ := c.MessagesInSession(ctx, MessagesParams{SessionID: "bob", Limit: 10})
	if viewIDs(page) != "c1 c2" {
		t.Fatalf("messagesInSession: %s", viewIDs(page))
	}
	byID, _ := c.MessagesByIDs(ctx, []string{"c3"})
	if len(byID) != 1 || !byID[0].IsDeleted {
		t.Fatalf("messagesInSessionWithMessageIds: %+v", byID)
	}
	// Again: nothing. Unknown: 404. Another session's message: 404.
	rec.reset()
	if err := c.DeleteMessage(ctx, "bob", 0, "c3"); err != nil || len(rec.eventTypes()) != 0 {
		t.Fatalf("deleting again: %v, %v", err, rec.eventTypes())
	}
	if e := AsError(c.DeleteMessage(ctx, "bob", 0, "nope")); e == nil || e.Code != proto.CodeNotFound {
		t.Fatalf("unknown message: %v", e)
	}
	if e := AsError(c.DeleteMessage(ctx, "carol", 0, "c1")); e == nil || e.Code != proto.CodeNotFound {
		t.Fatalf("message of another session: %v", e)
	}
	if e := AsError(c.DeleteMessage(ctx, "bob", 0, "")); e == nil || e.Code != proto.CodeBadParam || !strings.Contains(e.Msg, "messageId") {
		t.Fatalf("empty id: %v", e)
	}
	// The Android form: messageId alone.
	if err := c.DeleteMessage(ctx, "", 0, "c1"); err != nil {
		t.Fatalf("deleting by messageId alone: %v", err)
	}
	if byID, _ := c.MessagesByIDs(ctx, []string{"c1"}); len(byID) != 1 || !byID[0].IsDeleted {
		t.Fatalf("c1 after deleting it by id alone: %+v", byID)
	}
	if e := AsError(c.DeleteMessage(ctx, "", 0, "nope")); e == nil || e.Code != proto.CodeNotFound {
		t.Fatalf("unknown message by id alone: %v", e)
	}
	// The other tab's older copy (last c3) is written: c3 does not come back.
	rc := proto.Receipt{Conv: "p:alice|bob", From: "bob", Seq: 1, ClientID: "c1", Time: 2000}
	other.onPush(ro, nil, proto.PushChange, change(1, proto.ChangeReceipt, rc.Conv, rc))
	if s := other.sessionNow("0|bob"); s.LastMsg == nil || s.LastMsg.ID != "c2" {
		t.Fatalf("other tab's write brought back %+v", s.LastMsg)
	}
	// A new message is the last one again.
	pushN(other, ro, 4, 4)
	// Reload: the deletion stays, and the sync cursor did not move back.
	c2, _, _ := offline(t, cache.Reopen(), false)
	s := c2.sessionNow("0|bob")
	if s.LastMsg == nil || s.LastMsg.ID != "c4" || s.SyncSeq != 4 {
		t.Fatalf("after reload: %+v", s)
	}
	page, _ = c2.MessagesInSession(ctx, MessagesParams{SessionID: "bob", Limit: 10})
	if viewIDs(page) != "c2 c4" { // c1 and c3 deleted
		t.Fatalf("after reload: %s", viewIDs(page))
	}
}

func TestDeleteAllMessagesInSession(t *testing.T) {
	ctx := context.Background()
	cache := NewMemCache()
	c, r, rec := offline(t, cache, false)
	other, ro, _ := offline(t, cache, false)
	pushN(c, r, 1, 3)
	pushN(other, ro, 1, 3)
	var carol proto.Msg
	json.Unmarshal(msg(1, "bob", 1500), &carol)
	carol.Conv, carol.From, carol.ClientID = "p:alice|carol", "carol", "k1"
	b, _ := json.Marshal(carol)
	c.onPush(r, nil, proto.PushMsg, b)

	rec.reset()
	if err := c.DeleteAllMessagesInSession(ctx, "bob", 0, false); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(rec.eventTypes(), " "); got != "didUpdateRecentSession messagesDeletedInSession" {
		t.Fatalf("events: %s", got)
	}
	if page, _ := c.MessagesInSession(ctx, MessagesParams{SessionID: "bob", Limit: 10}); len(page) != 0 {
		t.Fatalf("left: %s", viewIDs(page))
	}
	if page, _ := c.MessagesInSession(ctx, MessagesParams{SessionID: "carol", Limit: 10}); viewIDs(page) != "k1" {
		t.Fatalf("carol's: %s", viewIDs(page))
	}
	if s := c.sessionNow("0|bob"); s.LastMsg != nil || s.Hidden() || s.SyncSeq != 3 {
		t.Fatalf("bob's session: %+v", s)
	}
	// The other tab's older copy does not bring a last message back; the
	// same pushes again (a sync paging over them) bring no message back.
	rc := proto.Receipt{Conv: "p:alice|bob", From: "bob", Seq: 1, ClientID: "c1", Time: 2000}
	other.onPush(ro, nil, proto.PushChange, change(1, proto.ChangeReceipt, rc.Conv, rc))
	pushN(other, ro, 1, 3)
	pushN(c, r, 1, 3)
	if s := other.sessionNow("0|bob"); s.LastMsg != nil {
		t.Fatalf("other tab brought back %+v", s.LastMsg)
	}
	if got := cachedIDs(t, cache, "0|bob"); got != "" {
		t.Fatalf("messages came back: %s", got)
	}
	// With removeSession the session leaves the list too.
	rec.reset()
	if err := c.DeleteAllMessagesInSession(ctx, "carol", 0, true); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(rec.eventTypes(), " "); got != "didRemoveRecentSession messagesDeletedInSession" {
		t.Fatalf("events with removeSession: %s", got)
	}
	// Reload: all of it stays.
	c2, _, _ := offline(t, cache.Reopen(), false)
	if s := c2.sessionNow("0|carol"); !s.Hidden() || s.LastMsg != nil {
		t.Fatalf("carol after reload: %+v", s)
	}
	if s := c2.sessionNow("0|bob"); s.Hidden() || s.LastMsg != nil {
		t.Fatalf("bob after reload: %+v", s)
	}
	if page, _ := c2.MessagesInSession(ctx, MessagesParams{SessionID: "carol", Limit: 10}); len(page) != 0 {
		t.Fatalf("carol's after reload: %s", viewIDs(page))
	}
}

func TestDeleteAllMessages(t *testing.T) {
	ctx := context.Background()
	cache := NewMemCache()
	c, r, rec := offline(t, cache, false)
	pushN(c, r, 1, 2)
	var carol proto.Msg
	json.Unmarshal(msg(1, "bob", 1500), &carol)
	carol.Conv, carol.From, carol.ClientID = "p:alice|carol", "carol", "k1"
	b, _ := json.Marshal(carol)
	c.onPush(r, nil, proto.PushMsg, b)
	rec.reset()
	if err := c.DeleteAllMessages(ctx, false); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(rec.eventTypes(), " "); got != "didUpdateRecentSession didUpdateRecentSession allMessagesDeleted" {
		t.Fatalf("events: %s", got)
	}
	list, _ := c.AllRecentSessions(ctx)
	if len(list) != 2 || list[0].LastMessage != nil || list[1].LastMessage != nil {
		t.Fatalf("sessions: %+v", list)
	}
	rec.reset()
	if err := c.DeleteAllMessages(ctx, true); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(rec.eventTypes(), " "); got != "didRemoveRecentSession didRemoveRecentSession allMessagesDeleted" {
		t.Fatalf("events with removeSession: %s", got)
	}
	c2, r2, _ := offline(t, cache.Reopen(), false)
	if list, _ := c2.AllRecentSessions(ctx); len(list) != 0 {
		t.Fatalf("after reload: %d sessions listed", len(list))
	}
	if got := cachedIDs(t, cache, "0|bob") + cachedIDs(t, cache, "0|carol"); got != "" {
		t.Fatalf("messages after reload: %s", got)
	}
	// A new message (later than the removal) lists its session again,
	// with only itself.
	c2.onPush(r2, nil, proto.PushMsg, msg(3, "bob", time.Now().UnixMilli()+1000))
	list, _ = c2.AllRecentSessions(ctx)
	if len(list) != 1 || list[0].LastMessageID != "c3" {
		t.Fatalf("after a new message: %+v", list)
	}
}

func TestUpdateRecentLocalExt(t *testing.T) {
	ctx := context.Background()
	cache := NewMemCache()
	c, r, rec := offline(t, cache, false)
	other, ro, _ := offline(t, cache, false)
	pushN(c, r, 1, 1)
	pushN(other, ro, 1, 1)
	if e := AsError(c.UpdateRecentLocalExt(ctx, "carol", 0, jx.RawMessage(`{"a":1}`))); e == nil || e.Code != proto.CodeNotFound {
		t.Fatalf("unknown session: %v", e)
	}
	for _, bad := range []string{`[1]`, `"x"`, `{`, `{"a":"` + strings.Repeat("x", MaxLocalExtBytes) + `"}`} {
		if e := AsError(c.UpdateRecentLocalExt(ctx, "bob", 0, jx.RawMessage(bad))); e == nil || e.Code != proto.CodeBadParam || !strings.Contains(e.Msg, "localExt") {
			t.Fatalf("localExt %.20s: %v", bad, e)
		}
	}
	rec.reset()
	if err := c.UpdateRecentLocalExt(ctx, "bob", 0, jx.RawMessage(`{ "draft": "hi" }`)); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(rec.eventTypes(), " "); got != "didUpdateRecentSession" {
		t.Fatalf("events: %s", got)
	}
	list, _ := c.AllRecentSessions(ctx)
	if string(list[0].LocalExt) != `{"draft":"hi"}` {
		t.Fatalf("localExt = %s", list[0].LocalExt)
	}
	// The other tab writes its older copy: the localExt stays.
	pushN(other, ro, 2, 2)
	if s := other.sessionNow("0|bob"); string(s.LocalExt) != `{"draft":"hi"}` {
		t.Fatalf("other tab's write lost the localExt: %s", s.LocalExt)
	}
	// The other tab sets it later: its value wins over this tab's copy.
	if err := other.UpdateRecentLocalExt(ctx, "bob", 0, jx.RawMessage(`{"draft":"bye"}`)); err != nil {
		t.Fatal(err)
	}
	pushN(c, r, 2, 3)
	if s := c.sessionNow("0|bob"); string(s.LocalExt) != `{"draft":"bye"}` {
		t.Fatalf("the later localExt lost: %s", s.LocalExt)
	}
	// null clears it; a reload keeps what was set.
	if err := c.UpdateRecentLocalExt(ctx, "bob", 0, jx.RawMessage(`null`)); err != nil {
		t.Fatal(err)
	}
	c2, _, _ := offline(t, cache.Reopen(), false)
	if list, _ := c2.AllRecentSessions(ctx); string(list[0].LocalExt) != `{}` {
		t.Fatalf("after clearing and a reload: %s", list[0].LocalExt)
	}
	if err := c.UpdateRecentLocalExt(ctx, "bob", 0, jx.RawMessage(`{"k":[1,2]}`)); err != nil {
		t.Fatal(err)
	}
	c3, _, _ := offline(t, cache.Reopen(), false)
	if list, _ := c3.AllRecentSessions(ctx); string(list[0].LocalExt) != `{"k":[1,2]}` {
		t.Fatalf("after a reload: %s", list[0].LocalExt)
	}
}
