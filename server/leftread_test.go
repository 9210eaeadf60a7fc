package server

import (
	"encoding/json"
	"testing"

	"yunxin/proto"
)

// A member kicked from a team moves its read mark on one device up to its
// leave: the read answers its view of the conversation up to there, a seq
// above it is clamped to it, its other device takes the ChangeConv live
// and from a sync; the sync and pull bring nothing sent after the leave;
// one who never was a member gets 403.
func TestLeftReadReachesOtherDevices(t *testing.T) {
	e := newEnv(t, "alice", "bob", "carol", "dave")
	a, _ := e.login("alice")
	c1, _ := e.login("carol")
	c2, _ := e.login("carol")
	d, _ := e.login("dave")
	tid := a.tcreate(proto.CreateTeamReq{Name: "t", Type: proto.TeamAdvanced, BeInviteMode: proto.BeInviteAtOnce,
		Members: []string{"bob", "carol"}}).TeamID
	conv := proto.TeamConv(tid)
	a.ok(proto.OpSend, teamText(tid, proto.ChatTeam, "a1", "one"), nil)
	a.ok(proto.OpSend, teamText(tid, proto.ChatTeam, "a2", "two"), nil)
	a.tok(proto.OpTeamKick, proto.TeamAccountsReq{TeamID: tid, Accounts: []string{"carol"}})
	left := a.convRow(conv).LastSeq // the kick's notification
	a.ok(proto.OpSend, teamText(tid, proto.ChatTeam, "a3", "after"), nil)
	c2.drain(a, c1)

	var got proto.Conv
	c1.ok(proto.OpRead, proto.ReadReq{Conv: conv, Seq: left + 10}, &got)
	if got.ID != conv || got.ReadSeq != left || got.LastSeq != left || got.Unread != 0 {
		t.Fatalf("the read of a kicked member answered %+v, want read and last seq %d, no unread", got, left)
	}
	var live proto.Conv
	ch := c2.change(proto.ChangeConv, &live)
	if ch.Key != conv || live != got {
		t.Fatalf("the other device took %+v (%+v), want %+v", live, ch, got)
	}
	// A new device's sync has the mark in its log, and no conversation row
	// of the team (nothing after the leave).
	c3, _ := e.login("carol")
	var resp proto.SyncResp
	c3.ok(proto.OpSync, proto.SyncReq{}, &resp)
	var logged *proto.Conv
	for _, ch := range resp.Changes {
		if ch.Kind == proto.ChangeConv && ch.Key == conv {
			logged = new(proto.Conv)
			if err := json.Unmarshal(ch.Data, logged); err != nil {
				t.Fatal(err)
			}
		}
	}
	if logged == nil || *logged != got {
		t.Fatalf("the sync's log has %+v, want %+v", logged, got)
	}
	for _, cv := range resp.Convs {
		if cv.ID == conv {
			t.Fatalf("the sync lists the left team %+v", cv)
		}
	}
	if ms := c3.pullConv(conv, 0); len(ms) == 0 || ms[len(ms)-1].Seq != left {
		t.Fatalf("pull of the left team %+v, want up to %d", ms, left)
	}
	// Reads at or below the mark move nothing: no change reaches c2.
	c1.ok(proto.OpRead, proto.ReadReq{Conv: conv, Seq: left}, &got)
	c2.noPush(proto.PushChange, c1)
	d.fail(proto.OpRead, proto.ReadReq{Conv: conv, Seq: 1}, proto.CodeForbidden, "not a member")
}
