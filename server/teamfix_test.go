package server

import (
	"testing"

	"yunxin/proto"
)

// convRow returns account c's conversation row of conv from a sync from
// the start.
func (c *client) convRow(conv string) proto.Conv {
	c.t.Helper()
	var resp proto.SyncResp
	c.ok(proto.OpSync, proto.SyncReq{}, &resp)
	for _, cv := range resp.Convs {
		if cv.ID == conv {
			return cv
		}
	}
	c.t.Fatalf("no conversation row of %s in %+v", conv, resp.Convs)
	return proto.Conv{}
}

// A team member's conversation row carries the start of its pull window
// (Floor: its JoinSeq, raised by a rejoin), and a pull from below it says
// where the window starts (PullResp.Floors); one from inside it does not.
func TestTeamFixFloor(t *testing.T) {
	e := newEnv(t, "alice", "bob", "carol")
	a, _ := e.login("alice")
	b, _ := e.login("bob")
	c, _ := e.login("carol")
	tid := a.tcreate(proto.CreateTeamReq{Name: "t", Type: proto.TeamAdvanced, BeInviteMode: proto.BeInviteAtOnce,
		Members: []string{"bob"}}).TeamID
	conv := proto.TeamConv(tid)
	a.ok(proto.OpSend, teamText(tid, proto.ChatTeam, "a1", "one"), nil)
	a.ok(proto.OpSend, teamText(tid, proto.ChatTeam, "a2", "two"), nil)
	if cv := b.convRow(conv); cv.Floor != 0 {
		t.Errorf("a founding member's floor %d, want 0", cv.Floor)
	}
	if cv := a.convRow(conv); cv.Floor != 0 {
		t.Errorf("the owner's floor %d, want 0", cv.Floor)
	}
	a.tok(proto.OpTeamInvite, proto.TeamAccountsReq{TeamID: tid, Accounts: []string{"carol"}})
	cv := c.convRow(conv)
	if cv.Floor != 3 || cv.LastSeq != 4 {
		t.Fatalf("carol's row %+v, want floor 3 (create note and two texts before her join), last seq 4", cv)
	}
	var resp proto.PullResp
	c.ok(proto.OpPull, proto.PullReq{Cursors: []proto.Cursor{{Conv: conv, After: 1}}}, &resp)
	if len(resp.Msgs) != 1 || resp.Msgs[0].Seq != 4 || resp.Floors[conv] != 3 || len(resp.Floors) != 1 {
		t.Errorf("carol's pull from below her window %+v", resp)
	}
	resp = proto.PullResp{} // decoding into it would keep the old map
	c.ok(proto.OpPull, proto.PullReq{Cursors: []proto.Cursor{{Conv: conv, After: 3}}}, &resp)
	if len(resp.Msgs) != 1 || resp.Floors != nil {
		t.Errorf("carol's pull from her window's start %+v", resp)
	}
	resp = proto.PullResp{}
	b.ok(proto.OpPull, proto.PullReq{Cursors: []proto.Cursor{{Conv: conv, After: 0}}}, &resp)
	if len(resp.Msgs) != 4 || resp.Floors != nil {
		t.Errorf("bob's pull from 0 %+v", resp)
	}
	// A rejoin moves the floor to the new join.
	c.tok(proto.OpTeamQuit, proto.TeamReq{TeamID: tid})
	a.ok(proto.OpSend, teamText(tid, proto.ChatTeam, "a3", "while away"), nil)
	a.tok(proto.OpTeamInvite, proto.TeamAccountsReq{TeamID: tid, Accounts: []string{"carol"}})
	if cv := c.convRow(conv); cv.Floor != 6 || cv.LastSeq != 7 {
		t.Errorf("carol's row after rejoining %+v, want floor 6, last seq 7", cv)
	}
}

// NoteUnread counts the notification messages among the unread ones.
func TestTeamFixNoteUnread(t *testing.T) {
	e := newEnv(t, "alice", "bob")
	a, _ := e.login("alice")
	b, _ := e.login("bob")
	tid := a.tcreate(proto.CreateTeamReq{Name: "t", Type: proto.TeamAdvanced, BeInviteMode: proto.BeInviteAtOnce,
		Members: []string{"bob"}}).TeamID
	conv := proto.TeamConv(tid)
	var sent proto.SendResp
	a.ok(proto.OpSend, teamText(tid, proto.ChatTeam, "a1", "one"), &sent)
	b.ok(proto.OpRead, proto.ReadReq{Conv: conv, Seq: sent.Seq}, nil)
	a.ok(proto.OpSend, teamText(tid, proto.ChatTeam, "a2", "two"), nil)
	for _, name := range []string{"n1", "n2"} {
		nm := name
		a.tok(proto.OpTeamUpdate, proto.TeamUpdateReq{TeamID: tid, TeamUpdate: proto.TeamUpdate{Name: &nm}})
	}
	if cv := b.convRow(conv); cv.Unread != 3 || cv.NoteUnread != 2 {
		t.Errorf("bob's row %+v, want unread 3 of which 2 notifications", cv)
	}
	// The account's own notifications are never unread.
	if cv := a.convRow(conv); cv.Unread != 0 || cv.NoteUnread != 0 {
		t.Errorf("alice's row %+v, want nothing unread", cv)
	}
	var cv proto.Conv
	b.ok(proto.OpRead, proto.ReadReq{Conv: conv, Seq: 100}, &cv)
	if cv.Unread != 0 || cv.NoteUnread != 0 {
		t.Errorf("bob's row after reading all %+v", cv)
	}
}
