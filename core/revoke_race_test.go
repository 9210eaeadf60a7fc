package core

import (
	"encoding/json"
	"testing"

	"yunxin/internal/jx"
	"yunxin/proto"
)

// receivedIDs returns the ids of the messages rec heard in onRecvMessages.
func (rec *recorder) receivedIDs() []string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var out []string
	for _, e := range rec.events {
		if m, ok := e.Data.(MessageEvent); ok && m.EventType == "onRecvMessages" {
			for _, v := range m.Messages {
				out = append(out, v.MessageID)
			}
		}
	}
	return out
}

// A revoke applied before a pull that the server answered before it (a gap
// pull, a stale page): the pull neither caches nor announces the revoked
// message — in a known session (the revoke marks its seq in both cursors)
// and in one not met yet (the revoke's record says so).
func TestRevokeBeforeStalePull(t *testing.T) {
	cache := NewMemCache()
	c, r, rec := offline(t, cache, false)
	c.onPush(r, nil, proto.PushMsg, msg(1, "bob", 1001))
	c.onPush(r, nil, proto.PushMsg, msg(2, "bob", 1002))
	rec.reset()
	// Seq 3's revoke arrives before seq 3 itself.
	c.onPush(r, nil, proto.PushChange, change(1, proto.ChangeRevoke, proto.RevokeKey("p:alice|bob", 3), revokeOf(3, "bob", 1003)))
	s := c.sessionNow("0|bob")
	if s.SyncSeq != 3 || s.LastSeq != 3 || s.Unread != 2 || s.LastMsg.ID != "c2" {
		t.Fatalf("session after the early revoke: %+v", s)
	}
	var stale, fourth proto.Msg
	json.Unmarshal(msg(3, "bob", 1003), &stale)
	json.Unmarshal(msg(4, "bob", 1004), &fourth)
	if err := c.change(r, func(t *tx) { t.ingest([]proto.Msg{stale, fourth}, true) }); err != nil {
		t.Fatal(err)
	}
	if got := cachedIDs(t, cache, "0|bob"); got != "c1 c2 c4" {
		t.Fatalf("cached after the stale pull: %s", got)
	}
	if got := rec.receivedIDs(); len(got) != 1 || got[0] != "c4" {
		t.Fatalf("announced %v, want only c4", got)
	}
	if s := c.sessionNow("0|bob"); s.Unread != 3 || s.LastMsg.ID != "c4" || s.SyncSeq != 4 {
		t.Fatalf("session after the stale pull: %+v", s)
	}

	// A conversation not met yet: only the revoke's record knows.
	rec.reset()
	rv := proto.Revoke{Conv: "p:alice|carol", ChatType: proto.ChatP2P, Seq: 1, ClientID: "d1", ServerID: "201",
		MsgFrom: "carol", MsgTime: 1, By: "carol", Time: 5}
	c.onPush(r, nil, proto.PushChange, change(2, proto.ChangeRevoke, proto.RevokeKey(rv.Conv, 1), rv))
	gone := proto.Msg{ServerID: "201", ClientID: "d1", Conv: rv.Conv, Seq: 1, From: "carol", To: "alice", Time: 1,
		Body: jx.RawMessage(`{"text":"x"}`)}
	if err := c.change(r, func(t *tx) { t.ingest([]proto.Msg{gone}, true) }); err != nil {
		t.Fatal(err)
	}
	if got := cachedIDs(t, cache, "0|carol"); got != "" {
		t.Fatalf("carol's revoked message cached: %s", got)
	}
	if got := rec.receivedIDs(); len(got) != 0 {
		t.Fatalf("announced %v", got)
	}
	if s := c.sessionNow("0|carol"); s != nil && !s.Hidden() {
		t.Fatalf("carol's session listed: %+v", s)
	}
}
