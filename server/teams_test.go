package server

import (
	"context"
	"encoding/json"
	"fmt"
	"golang.org/x/time/rate"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"yunxin/internal/jx"
	"yunxin/proto"
)

// tcreate creates a team as c and returns the reply.
func (c *client) tcreate(req proto.CreateTeamReq) proto.TeamResp {
	c.t.Helper()
	var resp proto.TeamResp
	c.ok(proto.OpTeamCreate, req, &resp)
	if resp.TeamID == "" || resp.Changes == nil {
		c.t.Fatalf("tcreate reply %+v", resp)
	}
	return resp
}

// tok calls a team write op, fails unless it is 200, and returns its reply.
func (c *client) tok(op string, payload any) proto.TeamResp {
	c.t.Helper()
	var resp proto.TeamResp
	c.ok(op, payload, &resp)
	if resp.Changes == nil {
		c.t.Fatalf("%s: reply without a changes array", op)
	}
	return resp
}

// teamText is a text message to team tid with chat type ct.
func teamText(tid string, ct int, cid, txt string) proto.SendReq {
	r := text(tid, cid, txt)
	r.Msg.ChatType = ct
	return r
}

// msgs returns the msg pushes that reached c from the requests the actors
// (and c) made so far, other pushes dropped.
func (c *client) msgs(actors ...*client) []proto.Msg {
	c.t.Helper()
	c.settle(actors...)
	var out []proto.Msg
	for {
		select {
		case f := <-c.pushes:
			if f.Op != proto.PushMsg {
				continue
			}
			var m proto.Msg
			if err := json.Unmarshal(f.Data, &m); err != nil {
				c.t.Fatal(err)
			}
			out = append(out, m)
		default:
			return out
		}
	}
}

// teamState decodes the ChangeTeam of tid among changes.
func teamState(t *testing.T, changes []proto.Change, tid string) proto.TeamState {
	t.Helper()
	return decodeData[proto.TeamState](t, find(t, changes, proto.ChangeTeam, tid))
}

// pullConv pulls every message of conv after after as c.
func (c *client) pullConv(conv string, after int64) []proto.Msg {
	c.t.Helper()
	var resp proto.PullResp
	c.ok(proto.OpPull, proto.PullReq{Cursors: []proto.Cursor{{Conv: conv, After: after}}}, &resp)
	return resp.Msgs
}

// noteOf decodes the TeamNote body of a team notification message.
func noteOf(t *testing.T, m proto.Msg) proto.TeamNote {
	t.Helper()
	if m.Type != proto.MsgNotification {
		t.Fatalf("message type %d, want a notification: %+v", m.Type, m)
	}
	var n proto.TeamNote
	if err := json.Unmarshal(m.Body, &n); err != nil {
		t.Fatalf("notification body %s: %v", m.Body, err)
	}
	return n
}

func TestTeamNormalCreateAndMessages(t *testing.T) {
	e := newEnv(t, "alice", "bob", "carol", "dave")
	a1, _ := e.login("alice")
	a2, _ := e.login("alice")
	b, _ := e.login("bob")
	c, _ := e.login("carol")
	d, _ := e.login("dave")

	resp := a1.tcreate(proto.CreateTeamReq{Name: "friends", Members: []string{"bob", "carol", "alice", "bob", "nobody"}})
	tid := resp.TeamID
	if len(resp.Failed) != 1 || resp.Failed[0] != "nobody" || resp.Pending {
		t.Fatalf("create reply %+v", resp)
	}
	own := teamState(t, resp.Changes, tid)
	if own.Team.Owner != "alice" || own.Team.Type != proto.TeamNormal || own.Me.Type != proto.MemberOwner || own.Team.Members != 3 || own.Team.MaxMembers != proto.DefaultTeamMembers {
		t.Fatalf("alice's view %+v", own)
	}
	// Everyone concerned learns it live: the members' logs, alice's other
	// device; the notification message reaches the members but not the
	// requesting connection.
	var bs proto.TeamState
	json.Unmarshal(b.waitChange(proto.ChangeTeam, tid).Data, &bs)
	if bs.Me.Account != "bob" || !bs.Me.Valid || bs.Me.Type != proto.MemberNormal || bs.Me.Inviter != "alice" {
		t.Fatalf("bob's view %+v", bs)
	}
	a2.waitChange(proto.ChangeTeam, tid)
	for _, cl := range []*client{a2, b, c} {
		ms := cl.msgs(a1)
		if len(ms) != 1 || ms[0].Conv != proto.TeamConv(tid) || ms[0].ChatType != proto.ChatTeam || ms[0].From != "alice" {
			t.Fatalf("notification pushes %+v", ms)
		}
		if n := noteOf(t, ms[0]); n.Op != proto.TeamOpInvite || strings.Join(n.Accounts, ",") != "bob,carol" {
			t.Fatalf("notification %+v", n)
		}
	}
	if ms := a1.msgs(); len(ms) != 0 {
		t.Fatalf("the requesting connection got %+v", ms)
	}
	d.noChange(proto.ChangeTeam, a1)

	// A team message: one stored row, delivered once to every other
	// connection of every member.
	var sent proto.SendResp
	b.ok(proto.OpSend, teamText(tid, proto.ChatTeam, "m1", "hello team"), &sent)
	if sent.Conv != proto.TeamConv(tid) || sent.Seq != 2 {
		t.Fatalf("send reply %+v", sent)
	}
	for _, cl := range []*client{a1, a2, c} {
		ms := cl.msgs(b)
		if len(ms) != 1 || ms[0].Seq != sent.Seq || ms[0].From != "bob" || ms[0].Nick != "bob" || ms[0].To != tid {
			t.Fatalf("team message pushes %+v", ms)
		}
	}
	if ms := b.msgs(); len(ms) != 0 {
		t.Fatalf("the sender's connection got %+v", ms)
	}
	if ms := d.msgs(b); len(ms) != 0 {
		t.Fatalf("a non-member got %+v", ms)
	}
	all := c.pullConv(proto.TeamConv(tid), 0)
	if len(all) != 2 || all[1].ServerID != sent.ServerID {
		t.Fatalf("pull %+v", all)
	}
	// A resend is the duplicate: nothing new is stored or pushed.
	var dup proto.SendResp
	b.ok(proto.OpSend, teamText(tid, proto.ChatTeam, "m1", "hello team"), &dup)
	if !dup.Dup || dup.Seq != sent.Seq {
		t.Fatalf("resend %+v", dup)
	}
	if ms := c.msgs(b); len(ms) != 0 {
		t.Fatalf("resend pushed %+v", ms)
	}
	// The conversation is in the members' session lists with its unread.
	var sync proto.SyncResp
	c.ok(proto.OpSync, proto.SyncReq{}, &sync)
	found := false
	for _, cv := range sync.Convs {
		if cv.ID == proto.TeamConv(tid) {
			found = cv.ChatType == proto.ChatTeam && cv.Peer == tid && cv.LastSeq == 2
		}
	}
	if !found {
		t.Fatalf("carol's convs %+v", sync.Convs)
	}

	// Refusals.
	b.fail(proto.OpSend, teamText(tid, proto.ChatSuperTeam, "m2", "x"), proto.CodeTeamType, "chatType")
	d.fail(proto.OpSend, teamText(tid, proto.ChatTeam, "m3", "x"), proto.CodeTeamNotMember, "")
	d.fail(proto.OpSend, teamText("999999", proto.ChatTeam, "m4", "x"), proto.CodeTeamNotFound, "")
	note := teamText(tid, proto.ChatTeam, "m5", "x")
	note.Msg.Type = proto.MsgNotification
	b.fail(proto.OpSend, note, proto.CodeBadParam, "server only")
	bad := teamText(tid, proto.ChatTeam, "m6", "x")
	bad.Msg.Conv = "t:other"
	b.fail(proto.OpSend, bad, proto.CodeBadParam, "msg.conv")
	d.fail(proto.OpPull, proto.PullReq{Cursors: []proto.Cursor{{Conv: proto.TeamConv(tid)}}}, proto.CodeForbidden, "")
	d.fail(proto.OpHistory, proto.HistoryReq{Conv: proto.TeamConv(tid)}, proto.CodeForbidden, "")
	// Receipts stay P2P.
	c.fail(proto.OpReceipt, proto.ReceiptReq{Conv: proto.TeamConv(tid), Seq: 2}, proto.CodeBadParam, "P2P")
	// Normal teams: only the owner kicks and updates; anyone invites.
	b.fail(proto.OpTeamKick, proto.TeamAccountsReq{TeamID: tid, Accounts: []string{"carol"}}, proto.CodeTeamPermission, "")
	b.fail(proto.OpTeamUpdate, proto.TeamUpdateReq{TeamID: tid, TeamUpdate: proto.TeamUpdate{Name: ptr("mine")}}, proto.CodeTeamPermission, "")
	b.fail(proto.OpTeamDismiss, proto.TeamReq{TeamID: tid}, proto.CodeTeamPermission, "")
	d.fail(proto.OpTeamApply, proto.TeamReq{TeamID: tid}, proto.CodeTeamType, "")
	b.fail(proto.OpTeamManagers, proto.TeamAccountsReq{TeamID: tid, Accounts: []string{"carol"}, On: true}, proto.CodeTeamType, "")
	inv := b.tok(proto.OpTeamInvite, proto.TeamAccountsReq{TeamID: tid, Accounts: []string{"dave"}})
	if inv.Pending || len(inv.Failed) != 0 {
		t.Fatalf("invite reply %+v", inv)
	}
	var ds proto.TeamState
	json.Unmarshal(d.waitChange(proto.ChangeTeam, tid).Data, &ds)
	if !ds.Me.Valid || ds.Team.Members != 4 {
		t.Fatalf("dave's view %+v", ds)
	}

	// Members and info.
	var page proto.TeamMembersResp
	d.ok(proto.OpTeamMembers, proto.TeamMembersReq{TeamID: tid}, &page)
	if len(page.Members) != 4 || page.More {
		t.Fatalf("members %+v", page)
	}
	var info proto.TeamState
	d.ok(proto.OpTeamInfo, proto.TeamReq{TeamID: tid}, &info)
	if info.Team.ID != tid || info.Me.Account != "dave" {
		t.Fatalf("info %+v", info)
	}
}

func TestTeamInviteConsent(t *testing.T) {
	e := newEnv(t, "alice", "bob", "carol", "dave")
	a, _ := e.login("alice")
	b, _ := e.login("bob")
	c, _ := e.login("carol")
	d, _ := e.login("dave")

	resp := a.tcreate(proto.CreateTeamReq{Name: "adv", Type: proto.TeamAdvanced, Members: []string{"bob"}, Postscript: "join us"})
	tid := resp.TeamID
	if !resp.Pending {
		t.Fatalf("create with consent: %+v", resp)
	}
	// bob's inbox gets the invitation; he is not a member yet.
	var n proto.SysNote
	b.change(proto.ChangeNote, &n)
	if n.Type != proto.NoteTeamInvite || n.From != "alice" || n.To != tid || n.Ps != "join us" {
		t.Fatalf("invitation %+v", n)
	}
	b.fail(proto.OpSend, teamText(tid, proto.ChatTeam, "x", "x"), proto.CodeTeamNotMember, "")
	b.fail(proto.OpTeamInfo, proto.TeamReq{TeamID: tid}, proto.CodeTeamNotMember, "")
	// An answer to an invitation nobody sent: 404.
	c.fail(proto.OpTeamAnswer, proto.TeamAnswerReq{TeamID: tid, Kind: proto.AnswerInvite, Account: "alice", Accept: true}, proto.CodeNotFound, "")
	a.drain()
	// bob accepts: he joins; alice sees the member change and the note.
	acc := b.tok(proto.OpTeamAnswer, proto.TeamAnswerReq{TeamID: tid, Kind: proto.AnswerInvite, Account: "alice", Accept: true})
	if st := teamState(t, acc.Changes, tid); !st.Me.Valid || st.Team.Members != 2 {
		t.Fatalf("bob after accepting %+v", st)
	}
	var as proto.TeamState
	json.Unmarshal(a.waitChange(proto.ChangeTeam, tid).Data, &as)
	if as.Team.Members != 2 {
		t.Fatalf("alice's view %+v", as)
	}
	ms := a.msgs(b)
	if len(ms) != 1 || noteOf(t, ms[0]).Op != proto.TeamOpAccept {
		t.Fatalf("alice's notification %+v", ms)
	}
	b.ok(proto.OpSend, teamText(tid, proto.ChatTeam, "hi", "hi"), nil)

	// Normal members cannot invite (inviteMode 0), nor change the modes.
	b.fail(proto.OpTeamInvite, proto.TeamAccountsReq{TeamID: tid, Accounts: []string{"carol"}}, proto.CodeTeamPermission, "")
	b.fail(proto.OpTeamUpdate, proto.TeamUpdateReq{TeamID: tid, TeamUpdate: proto.TeamUpdate{JoinMode: ptr(proto.JoinNobody)}}, proto.CodeTeamPermission, "")
	// Invitation rejected: carol's invitation note, then alice learns of
	// the rejection in her inbox.
	inv := a.tok(proto.OpTeamInvite, proto.TeamAccountsReq{TeamID: tid, Accounts: []string{"carol"}, Ps: "come"})
	if !inv.Pending {
		t.Fatalf("invite %+v", inv)
	}
	c.tok(proto.OpTeamAnswer, proto.TeamAnswerReq{TeamID: tid, Kind: proto.AnswerInvite, Account: "alice", Accept: false, Ps: "no thanks"})
	c.fail(proto.OpSend, teamText(tid, proto.ChatTeam, "x", "x"), proto.CodeTeamNotMember, "")

	// beInviteMode 1: invitees join at once.
	a.tok(proto.OpTeamUpdate, proto.TeamUpdateReq{TeamID: tid, TeamUpdate: proto.TeamUpdate{BeInviteMode: ptr(proto.BeInviteAtOnce)}})
	inv = a.tok(proto.OpTeamInvite, proto.TeamAccountsReq{TeamID: tid, Accounts: []string{"dave", "carol"}})
	if inv.Pending {
		t.Fatalf("invite at once %+v", inv)
	}
	d.waitChange(proto.ChangeTeam, tid)
	d.ok(proto.OpSend, teamText(tid, proto.ChatTeam, "d1", "here"), nil)
	// Already members: failed, nothing written.
	inv = a.tok(proto.OpTeamInvite, proto.TeamAccountsReq{TeamID: tid, Accounts: []string{"dave"}})
	if len(inv.Failed) != 1 {
		t.Fatalf("invite of a member %+v", inv)
	}
}

func TestTeamApply(t *testing.T) {
	e := newEnv(t, "alice", "bob", "carol", "dave", "erin")
	a, _ := e.login("alice")
	b, _ := e.login("bob")
	c, _ := e.login("carol")
	d, _ := e.login("dave")
	x, _ := e.login("erin")
	tid := a.tcreate(proto.CreateTeamReq{Name: "open", Type: proto.TeamAdvanced, BeInviteMode: proto.BeInviteAtOnce, Members: []string{"bob"}}).TeamID
	a.tok(proto.OpTeamManagers, proto.TeamAccountsReq{TeamID: tid, Accounts: []string{"bob"}, On: true})

	// JoinMode 0: joins at once.
	r := c.tok(proto.OpTeamApply, proto.TeamReq{TeamID: tid, Ps: "hi"})
	if r.Pending || !teamState(t, r.Changes, tid).Me.Valid {
		t.Fatalf("apply to an open team %+v", r)
	}
	c.fail(proto.OpTeamApply, proto.TeamReq{TeamID: tid}, proto.CodeTeamAlready, "")

	// JoinMode 1: the owner and managers get the application; a manager
	// passes it.
	a.tok(proto.OpTeamUpdate, proto.TeamUpdateReq{TeamID: tid, TeamUpdate: proto.TeamUpdate{JoinMode: ptr(proto.JoinApproval)}})
	a.drain(c)
	b.drain(c)
	r = d.tok(proto.OpTeamApply, proto.TeamReq{TeamID: tid, Ps: "let me in"})
	if !r.Pending {
		t.Fatalf("apply with approval %+v", r)
	}
	for _, cl := range []*client{a, b} {
		var n proto.SysNote
		json.Unmarshal(cl.changeOf(proto.ChangeNote).Data, &n)
		if n.Type != proto.NoteTeamApply || n.From != "dave" || n.To != tid || n.Ps != "let me in" {
			t.Fatalf("application note %+v", n)
		}
	}
	d.fail(proto.OpSend, teamText(tid, proto.ChatTeam, "x", "x"), proto.CodeTeamNotMember, "")
	c.fail(proto.OpTeamAnswer, proto.TeamAnswerReq{TeamID: tid, Kind: proto.AnswerApply, Account: "dave", Accept: true}, proto.CodeTeamPermission, "")
	b.tok(proto.OpTeamAnswer, proto.TeamAnswerReq{TeamID: tid, Kind: proto.AnswerApply, Account: "dave", Accept: true})
	var ds proto.TeamState
	json.Unmarshal(d.waitChange(proto.ChangeTeam, tid).Data, &ds)
	if !ds.Me.Valid {
		t.Fatalf("dave after the pass %+v", ds)
	}
	d.ok(proto.OpSend, teamText(tid, proto.ChatTeam, "d", "thanks"), nil)

	// JoinMode 2: nobody.
	a.tok(proto.OpTeamUpdate, proto.TeamUpdateReq{TeamID: tid, TeamUpdate: proto.TeamUpdate{JoinMode: ptr(proto.JoinNobody)}})
	x.fail(proto.OpTeamApply, proto.TeamReq{TeamID: tid}, proto.CodeTeamPermission, "")
	x.fail(proto.OpTeamApply, proto.TeamReq{TeamID: "424242"}, proto.CodeTeamNotFound, "")
}

func TestTeamKickQuitTransferDismiss(t *testing.T) {
	e := newEnv(t, "alice", "bob", "carol", "dave")
	a, _ := e.login("alice")
	b, _ := e.login("bob")
	c, _ := e.login("carol")
	d, _ := e.login("dave")
	tid := a.tcreate(proto.CreateTeamReq{Name: "t", Type: proto.TeamAdvanced, BeInviteMode: proto.BeInviteAtOnce,
		Members: []string{"bob", "carol", "dave"}}).TeamID
	a.tok(proto.OpTeamManagers, proto.TeamAccountsReq{TeamID: tid, Accounts: []string{"bob"}, On: true})
	b.drain(a)
	c.drain(a)
	d.drain(a)

	// Normal members kick nobody; managers kick normal members only.
	c.fail(proto.OpTeamKick, proto.TeamAccountsReq{TeamID: tid, Accounts: []string{"dave"}}, proto.CodeTeamPermission, "")
	b.fail(proto.OpTeamKick, proto.TeamAccountsReq{TeamID: tid, Accounts: []string{"alice"}}, proto.CodeTeamPermission, "")
	b.tok(proto.OpTeamKick, proto.TeamAccountsReq{TeamID: tid, Accounts: []string{"dave"}})
	var ds proto.TeamState
	json.Unmarshal(d.waitChange(proto.ChangeTeam, tid).Data, &ds)
	if ds.Me.Valid {
		t.Fatalf("the kicked one's view %+v", ds)
	}
	d.fail(proto.OpSend, teamText(tid, proto.ChatTeam, "x", "x"), proto.CodeTeamNotMember, "")
	// It keeps the history up to its kick (the kick notification
	// included), and nothing after.
	kept := d.pullConv(proto.TeamConv(tid), 0)
	if len(kept) == 0 || noteOf(t, kept[len(kept)-1]).Op != proto.TeamOpKick || ds.Me.LeftSeq != kept[len(kept)-1].Seq {
		t.Fatalf("the kicked one's pull %+v (left at %d)", kept, ds.Me.LeftSeq)
	}
	a.ok(proto.OpSend, teamText(tid, proto.ChatTeam, "after-kick", "x"), nil)
	if again := d.pullConv(proto.TeamConv(tid), 0); len(again) != len(kept) {
		t.Fatalf("the kicked one pulls past its kick: %+v", again)
	}
	// It may still read its old membership (tinfo).
	var info proto.TeamState
	d.ok(proto.OpTeamInfo, proto.TeamReq{TeamID: tid}, &info)
	if info.Me.Valid {
		t.Fatalf("tinfo of a kicked member %+v", info)
	}
	ms := c.msgs(a, b) // a's send too: its push to c may still be on its way when a's reply is read
	if len(ms) != 2 || noteOf(t, ms[0]).Op != proto.TeamOpKick || ms[0].From != "bob" || ms[1].ClientID != "after-kick" {
		t.Fatalf("kick notification %+v", ms)
	}

	// The owner cannot quit; carol can.
	a.fail(proto.OpTeamQuit, proto.TeamReq{TeamID: tid}, proto.CodeTeamPermission, "")
	r := c.tok(proto.OpTeamQuit, proto.TeamReq{TeamID: tid})
	if teamState(t, r.Changes, tid).Me.Valid {
		t.Fatalf("quit reply %+v", r)
	}
	c.fail(proto.OpSend, teamText(tid, proto.ChatTeam, "x", "x"), proto.CodeTeamNotMember, "")

	// Transfer: only the owner; bob becomes the owner, alice leaves.
	b.fail(proto.OpTeamTransfer, proto.TeamTransferReq{TeamID: tid, Owner: "alice"}, proto.CodeTeamPermission, "")
	a.tok(proto.OpTeamTransfer, proto.TeamTransferReq{TeamID: tid, Owner: "bob", Leave: true})
	var bs proto.TeamState
	b.ok(proto.OpTeamInfo, proto.TeamReq{TeamID: tid}, &bs)
	if bs.Team.Owner != "bob" || bs.Me.Type != proto.MemberOwner {
		t.Fatalf("after transfer %+v", bs)
	}
	a.fail(proto.OpSend, teamText(tid, proto.ChatTeam, "x", "x"), proto.CodeTeamNotMember, "")

	// Dismiss: the members' logs get the team dismissed.
	a.fail(proto.OpTeamDismiss, proto.TeamReq{TeamID: tid}, proto.CodeTeamNotMember, "")
	b.drain()
	r = b.tok(proto.OpTeamDismiss, proto.TeamReq{TeamID: tid})
	if st := teamState(t, r.Changes, tid); !st.Team.Dismissed || st.Me.Valid {
		t.Fatalf("dismiss reply %+v", st)
	}
	b.fail(proto.OpSend, teamText(tid, proto.ChatTeam, "x", "x"), proto.CodeTeamNotFound, "")
}

func TestTeamMute(t *testing.T) {
	e := newEnv(t, "alice", "bob", "carol")
	a, _ := e.login("alice")
	b, _ := e.login("bob")
	c, _ := e.login("carol")
	tid := a.tcreate(proto.CreateTeamReq{Name: "t", Type: proto.TeamAdvanced, BeInviteMode: proto.BeInviteAtOnce,
		Members: []string{"bob", "carol"}}).TeamID

	c.fail(proto.OpTeamMute, proto.TeamAccountsReq{TeamID: tid, Accounts: []string{"bob"}, On: true}, proto.CodeTeamPermission, "")
	a.tok(proto.OpTeamMute, proto.TeamAccountsReq{TeamID: tid, Accounts: []string{"bob"}, On: true})
	b.fail(proto.OpSend, teamText(tid, proto.ChatTeam, "b1", "x"), proto.CodeTeamMuted, "")
	c.ok(proto.OpSend, teamText(tid, proto.ChatTeam, "c1", "x"), nil)
	a.tok(proto.OpTeamMute, proto.TeamAccountsReq{TeamID: tid, Accounts: []string{"bob"}, On: false})
	b.ok(proto.OpSend, teamText(tid, proto.ChatTeam, "b1", "x"), nil)

	// The whole team: MuteNormal spares the owner (and managers), MuteAll
	// spares the owner only.
	a.tok(proto.OpTeamUpdate, proto.TeamUpdateReq{TeamID: tid, TeamUpdate: proto.TeamUpdate{MuteMode: ptr(proto.MuteAll)}})
	c.fail(proto.OpSend, teamText(tid, proto.ChatTeam, "c2", "x"), proto.CodeTeamMuted, "")
	a.ok(proto.OpSend, teamText(tid, proto.ChatTeam, "a1", "owner speaks"), nil)
	var cs proto.TeamState
	c.ok(proto.OpTeamInfo, proto.TeamReq{TeamID: tid}, &cs)
	if cs.Team.MuteMode != proto.MuteAll {
		t.Fatalf("team after mute %+v", cs.Team)
	}
}

func TestTeamRejoinSeesOnlyNewMessages(t *testing.T) {
	e := newEnv(t, "alice", "bob")
	a, _ := e.login("alice")
	b, _ := e.login("bob")
	tid := a.tcreate(proto.CreateTeamReq{Name: "t", Type: proto.TeamAdvanced, BeInviteMode: proto.BeInviteAtOnce,
		Members: []string{"bob"}}).TeamID
	conv := proto.TeamConv(tid)
	a.ok(proto.OpSend, teamText(tid, proto.ChatTeam, "a1", "before"), nil)
	if got := b.pullConv(conv, 0); len(got) != 2 {
		t.Fatalf("bob's pull as a member %+v", got)
	}
	b.tok(proto.OpTeamQuit, proto.TeamReq{TeamID: tid})
	a.ok(proto.OpSend, teamText(tid, proto.ChatTeam, "a2", "while away"), nil)
	// History of one that left: up to its leave (the quit notification),
	// in both directions.
	var h proto.HistoryResp
	b.ok(proto.OpHistory, proto.HistoryReq{Conv: conv}, &h)
	if len(h.Msgs) != 3 || noteOf(t, h.Msgs[2]).Op != proto.TeamOpLeave || h.More {
		t.Fatalf("bob's history after leaving %+v", h)
	}
	b.ok(proto.OpHistory, proto.HistoryReq{Conv: conv, Seq: 2, Newer: true}, &h)
	if len(h.Msgs) != 1 || h.Msgs[0].Seq != 3 || h.More {
		t.Fatalf("bob's newer history after leaving %+v", h)
	}
	// The pull and history tell before from after the join by seq
	// (TeamMember.JoinSeq).
	b.tok(proto.OpTeamApply, proto.TeamReq{TeamID: tid})
	var after proto.SendResp
	a.ok(proto.OpSend, teamText(tid, proto.ChatTeam, "a3", "after"), &after)
	b.ok(proto.OpHistory, proto.HistoryReq{Conv: conv}, &h)
	if len(h.Msgs) != 2 || h.Msgs[1].Seq != after.Seq || h.More {
		t.Fatalf("bob's history after rejoining %+v", h)
	}
	b.ok(proto.OpHistory, proto.HistoryReq{Conv: conv, Newer: true}, &h)
	if len(h.Msgs) != 2 || h.Msgs[1].Seq != after.Seq {
		t.Fatalf("bob's newer history after rejoining %+v", h)
	}
	got := b.pullConv(conv, 0)
	if len(got) == 0 || got[len(got)-1].Seq != after.Seq {
		t.Fatalf("bob's pull after rejoining %+v", got)
	}
	for _, m := range got {
		if m.Type == proto.MsgText && m.ClientID != "a3" {
			t.Fatalf("bob sees a message from before he rejoined: %+v", m)
		}
	}
	if n := noteOf(t, got[0]); n.Op != proto.TeamOpPass && n.Op != proto.TeamOpAccept && n.Op != proto.TeamOpInvite {
		t.Fatalf("first message after rejoining: %+v", n)
	}
}

func TestTeamSuper(t *testing.T) {
	e := newEnv(t, "alice", "bob", "carol")
	a, _ := e.login("alice")
	b, _ := e.login("bob")
	resp := a.tcreate(proto.CreateTeamReq{Name: "big", Type: proto.TeamSuper, BeInviteMode: proto.BeInviteAtOnce, Members: []string{"bob"}})
	tid := resp.TeamID
	if st := teamState(t, resp.Changes, tid); st.Team.MaxMembers != proto.DefaultSuperMembers {
		t.Fatalf("super team %+v", st.Team)
	}
	a.ok(proto.OpSend, teamText(tid, proto.ChatSuperTeam, "s1", "hi all"), nil)
	ms := b.msgs(a)
	if len(ms) != 2 || ms[1].ChatType != proto.ChatSuperTeam {
		t.Fatalf("super team pushes %+v", ms)
	}
	a.fail(proto.OpSend, teamText(tid, proto.ChatTeam, "s2", "x"), proto.CodeTeamType, "chatType")
	// A super team's applications are system notifications of type 15.
	a.tok(proto.OpTeamUpdate, proto.TeamUpdateReq{TeamID: tid, TeamUpdate: proto.TeamUpdate{JoinMode: ptr(proto.JoinApproval)}})
	c, _ := e.login("carol")
	if r := c.tok(proto.OpTeamApply, proto.TeamReq{TeamID: tid}); !r.Pending {
		t.Fatalf("apply to a super team %+v", r)
	}
	if n := decodeData[proto.SysNote](t, a.changeOf(proto.ChangeNote)); n.Type != proto.NoteSuperApply || n.From != "carol" {
		t.Fatalf("super team application %+v", n)
	}
	a.fail(proto.OpTeamCreate, proto.CreateTeamReq{Name: "x", Type: proto.TeamSuper, MaxMembers: proto.DefaultSuperMembers + 1}, proto.CodeBadParam, "option.maxMember")
	a.fail(proto.OpTeamCreate, proto.CreateTeamReq{Name: "x", Type: proto.TeamAdvanced, MaxMembers: proto.DefaultTeamMembers + 1}, proto.CodeBadParam, "option.maxMember")
}

func TestTeamMemberNickNotifyAndPaging(t *testing.T) {
	e := newEnv(t, "alice", "bob")
	a, _ := e.login("alice")
	b, _ := e.login("bob")
	b2, _ := e.login("bob")
	tid := a.tcreate(proto.CreateTeamReq{Name: "t", Type: proto.TeamAdvanced, BeInviteMode: proto.BeInviteAtOnce, Members: []string{"bob"}}).TeamID
	b2.drain(a)
	r := b.tok(proto.OpTeamMember, proto.TeamMemberReq{TeamID: tid, Account: "bob", Nick: ptr("Bobby"), Custom: ptr(`{"k":1}`)})
	if st := teamState(t, r.Changes, tid); st.Me.Nick != "Bobby" || st.Me.Custom != `{"k":1}` {
		t.Fatalf("member update %+v", st.Me)
	}
	b.fail(proto.OpTeamMember, proto.TeamMemberReq{TeamID: tid, Account: "alice", Nick: ptr("boss")}, proto.CodeTeamPermission, "")
	a.tok(proto.OpTeamMember, proto.TeamMemberReq{TeamID: tid, Account: "bob", Nick: ptr("B")})
	r = b.tok(proto.OpTeamNotify, proto.TeamNotifyReq{TeamID: tid, Notify: proto.NotifyNone})
	if teamState(t, r.Changes, tid).Me.Notify != proto.NotifyNone {
		t.Fatalf("notify %+v", r)
	}
	// bob's other device learns the notify state.
	for {
		var st proto.TeamState
		json.Unmarshal(b2.waitChange(proto.ChangeTeam, tid).Data, &st)
		if st.Me.Notify == proto.NotifyNone {
			break
		}
	}
	// Incremental member list: rows changed after a MemberVer.
	var all proto.TeamMembersResp
	b.ok(proto.OpTeamMembers, proto.TeamMembersReq{TeamID: tid}, &all)
	if len(all.Members) != 2 {
		t.Fatalf("members %+v", all)
	}
	for _, m := range all.Members {
		if m.Account == "bob" && m.Notify != proto.NotifyNone {
			t.Fatalf("bob's own row in his list %+v", m)
		}
	}
	// Notify is private: alice's list has it blank.
	var theirs proto.TeamMembersResp
	a.ok(proto.OpTeamMembers, proto.TeamMembersReq{TeamID: tid}, &theirs)
	for _, m := range theirs.Members {
		if m.Notify != 0 {
			t.Fatalf("alice sees a notify state %+v", m)
		}
	}
	var since proto.TeamMembersResp
	last := max(all.Members[0].Ver, all.Members[1].Ver)
	b.ok(proto.OpTeamMembers, proto.TeamMembersReq{TeamID: tid, Since: last}, &since)
	if len(since.Members) != 0 {
		t.Fatalf("members since %d: %+v", last, since)
	}
}

func TestSendRefusesTeamNoteIDs(t *testing.T) {
	e := newEnv(t, "alice", "bob")
	a, _ := e.login("alice")
	tid := a.tcreate(proto.CreateTeamReq{Name: "t", Type: proto.TeamAdvanced, BeInviteMode: proto.BeInviteAtOnce, Members: []string{"bob"}}).TeamID
	a.fail(proto.OpSend, teamText(tid, proto.ChatTeam, "tn-"+tid+"-9", "x"), proto.CodeBadParam, "messageId must not start with tn-")
	p2p := teamText(tid, proto.ChatTeam, "tn-"+tid+"-9", "x")
	p2p.Msg.ChatType, p2p.Msg.To = proto.ChatP2P, "bob"
	a.fail(proto.OpSend, p2p, proto.CodeBadParam, "messageId must not start with tn-")
	a.ok(proto.OpSend, teamText(tid, proto.ChatTeam, "tn", "x"), nil)
}

func TestTeamBadInput(t *testing.T) {
	e := newEnv(t, "alice", "bob")
	a, _ := e.login("alice")
	tid := a.tcreate(proto.CreateTeamReq{Name: "t", Type: proto.TeamAdvanced}).TeamID
	long := strings.Repeat("x", 2000)
	many := make([]string, proto.MaxTeamAccounts+1)
	for i := range many {
		many[i] = fmt.Sprintf("u%d", i)
	}
	for _, tc := range []struct {
		op      string
		payload any
		want    string
	}{
		{proto.OpTeamCreate, proto.CreateTeamReq{}, "option.name"},
		{proto.OpTeamCreate, proto.CreateTeamReq{Name: "a\nb"}, "option.name"},
		{proto.OpTeamCreate, proto.CreateTeamReq{Name: strings.Repeat("名", 65)}, "option.name"},
		{proto.OpTeamCreate, proto.CreateTeamReq{Name: "n", Type: 3}, "option.type"},
		{proto.OpTeamCreate, proto.CreateTeamReq{Name: "n", Intro: strings.Repeat("i", 513)}, "option.intro"},
		{proto.OpTeamCreate, proto.CreateTeamReq{Name: "n", Announcement: long}, "option.announcement"},
		{proto.OpTeamCreate, proto.CreateTeamReq{Name: "n", Icon: long}, "option.icon"},
		{proto.OpTeamCreate, proto.CreateTeamReq{Name: "n", ClientCustom: long}, "option.clientCustomInfo"},
		{proto.OpTeamCreate, proto.CreateTeamReq{Name: "n", Postscript: long}, "option.postscript"},
		{proto.OpTeamCreate, proto.CreateTeamReq{Name: "n", JoinMode: 3}, "option.joinMode"},
		{proto.OpTeamCreate, proto.CreateTeamReq{Name: "n", InviteMode: 2}, "option.inviteMode"},
		{proto.OpTeamCreate, proto.CreateTeamReq{Name: "n", BeInviteMode: -1}, "option.beInviteMode"},
		{proto.OpTeamCreate, proto.CreateTeamReq{Name: "n", UpdateInfoMode: 5}, "option.updateInfoMode"},
		{proto.OpTeamCreate, proto.CreateTeamReq{Name: "n", UpdateCustomMode: 5}, "option.updateClientCustomMode"},
		{proto.OpTeamCreate, proto.CreateTeamReq{Name: "n", MuteMode: 2}, "option.muteMode"},
		{proto.OpTeamCreate, proto.CreateTeamReq{Name: "n", MaxMembers: -1}, "option.maxMember"},
		{proto.OpTeamCreate, proto.CreateTeamReq{Name: "n", Members: []string{"bad id"}}, "users[0]"},
		{proto.OpTeamCreate, proto.CreateTeamReq{Name: "n", Members: many}, "users"},
		{proto.OpTeamUpdate, proto.TeamUpdateReq{TeamID: tid}, "at least one"},
		{proto.OpTeamUpdate, proto.TeamUpdateReq{TeamID: "", TeamUpdate: proto.TeamUpdate{Name: ptr("x")}}, "teamId"},
		{proto.OpTeamUpdate, proto.TeamUpdateReq{TeamID: "a/b", TeamUpdate: proto.TeamUpdate{Name: ptr("x")}}, "teamId"},
		{proto.OpTeamUpdate, proto.TeamUpdateReq{TeamID: tid, TeamUpdate: proto.TeamUpdate{Name: ptr("")}}, "teamName"},
		{proto.OpTeamUpdate, proto.TeamUpdateReq{TeamID: tid, TeamUpdate: proto.TeamUpdate{Icon: ptr(long)}}, "teamAvatarUrl"},
		{proto.OpTeamUpdate, proto.TeamUpdateReq{TeamID: tid, TeamUpdate: proto.TeamUpdate{Intro: ptr(long)}}, "intro"},
		{proto.OpTeamUpdate, proto.TeamUpdateReq{TeamID: tid, TeamUpdate: proto.TeamUpdate{Announcement: ptr(long)}}, "announcement"},
		{proto.OpTeamUpdate, proto.TeamUpdateReq{TeamID: tid, TeamUpdate: proto.TeamUpdate{ClientCustom: ptr(long)}}, "customInfo"},
		{proto.OpTeamUpdate, proto.TeamUpdateReq{TeamID: tid, TeamUpdate: proto.TeamUpdate{ServerCustom: ptr("s")}}, "serverCustom"},
		{proto.OpTeamUpdate, proto.TeamUpdateReq{TeamID: tid, TeamUpdate: proto.TeamUpdate{JoinMode: ptr(9)}}, "joinMode"},
		{proto.OpTeamUpdate, proto.TeamUpdateReq{TeamID: tid, TeamUpdate: proto.TeamUpdate{UpdateInfoMode: ptr(9)}}, "infoMode"},
		{proto.OpTeamUpdate, proto.TeamUpdateReq{TeamID: tid, TeamUpdate: proto.TeamUpdate{UpdateCustomMode: ptr(9)}}, "clientCustomMode"},
		{proto.OpTeamUpdate, proto.TeamUpdateReq{TeamID: tid, TeamUpdate: proto.TeamUpdate{MuteMode: ptr(2)}}, "muteMode"},
		{proto.OpTeamDismiss, proto.TeamReq{}, "teamId"},
		{proto.OpTeamInvite, proto.TeamAccountsReq{TeamID: tid}, "users"},
		{proto.OpTeamInvite, proto.TeamAccountsReq{TeamID: tid, Accounts: []string{"alice"}}, "users"},
		{proto.OpTeamInvite, proto.TeamAccountsReq{TeamID: tid, Accounts: many}, "users"},
		{proto.OpTeamInvite, proto.TeamAccountsReq{TeamID: tid, Accounts: []string{"bob"}, Ps: long}, "postscript"},
		{proto.OpTeamApply, proto.TeamReq{TeamID: tid, Ps: long}, "message"},
		{proto.OpTeamAnswer, proto.TeamAnswerReq{TeamID: tid, Kind: "other", Account: "bob"}, "kind"},
		{proto.OpTeamAnswer, proto.TeamAnswerReq{TeamID: tid, Kind: proto.AnswerApply, Account: ""}, "userId"},
		{proto.OpTeamAnswer, proto.TeamAnswerReq{TeamID: tid, Kind: proto.AnswerInvite, Account: "alice"}, "invitorId"},
		{proto.OpTeamAnswer, proto.TeamAnswerReq{TeamID: tid, Kind: proto.AnswerApply, Account: "bob", Ps: long}, "reason"},
		{proto.OpTeamKick, proto.TeamAccountsReq{TeamID: tid, Accounts: []string{"alice"}}, "users"},
		{proto.OpTeamKick, proto.TeamAccountsReq{TeamID: tid, Accounts: []string{"b b"}}, "users[0]"},
		{proto.OpTeamQuit, proto.TeamReq{TeamID: strings.Repeat("1", 65)}, "teamId"},
		{proto.OpTeamTransfer, proto.TeamTransferReq{TeamID: tid, Owner: "alice"}, "newOwnerId"},
		{proto.OpTeamTransfer, proto.TeamTransferReq{TeamID: tid, Owner: ""}, "newOwnerId"},
		{proto.OpTeamManagers, proto.TeamAccountsReq{TeamID: tid, Accounts: []string{}}, "users"},
		{proto.OpTeamMute, proto.TeamAccountsReq{TeamID: tid, Accounts: []string{"bob", "alice"}}, "userId"},
		{proto.OpTeamMute, proto.TeamAccountsReq{TeamID: tid, Accounts: []string{"alice"}}, "userId"},
		{proto.OpTeamMember, proto.TeamMemberReq{TeamID: tid, Account: "bob"}, "newNick"},
		{proto.OpTeamMember, proto.TeamMemberReq{TeamID: tid, Account: "bob", Nick: ptr(strings.Repeat("n", 65))}, "newNick"},
		{proto.OpTeamMember, proto.TeamMemberReq{TeamID: tid, Account: "bob", Custom: ptr("c")}, "custom"},
		{proto.OpTeamMember, proto.TeamMemberReq{TeamID: tid, Account: "alice", Custom: ptr(long)}, "custom"},
		{proto.OpTeamMember, proto.TeamMemberReq{TeamID: tid, Account: "x y", Nick: ptr("n")}, "userId"},
		{proto.OpTeamNotify, proto.TeamNotifyReq{TeamID: tid, Notify: 3}, "notifyState"},
		{proto.OpTeamMembers, proto.TeamMembersReq{TeamID: tid, Since: -1}, "since"},
		{proto.OpTeamMembers, proto.TeamMembersReq{TeamID: tid, AfterAccount: "a b"}, "afterAccount"},
		{proto.OpTeamInfo, proto.TeamReq{}, "teamId"},
		{proto.OpSend, teamText("", proto.ChatTeam, "x", "x"), "msg.to"},
		{proto.OpSend, teamText(tid, 2, "x", "x"), "chatType"},
		{proto.OpSend, proto.SendReq{Msg: proto.Msg{ClientID: "x", To: tid, ChatType: proto.ChatTeam, Body: jx.RawMessage(`{}`)}}, "msg.body.text"},
	} {
		r := a.call(tc.op, tc.payload)
		if r.Code != proto.CodeBadParam || !strings.Contains(r.Msg, tc.want) {
			t.Errorf("%s %+v: got %d %q, want 414 naming %q", tc.op, tc.payload, r.Code, r.Msg, tc.want)
		}
	}
	// Malformed payloads, and the connection is alive afterwards.
	a.fail(proto.OpTeamCreate, "not an object", proto.CodeBadParam, "malformed")
	a.fail(proto.OpTeamMembers, []int{1}, proto.CodeBadParam, "malformed")
	a.ok(proto.OpPing, nil, nil)
	// Unknown team and never a member.
	a.fail(proto.OpTeamInfo, proto.TeamReq{TeamID: "987654"}, proto.CodeTeamNotFound, "")
	b, _ := e.login("bob")
	b.fail(proto.OpTeamMembers, proto.TeamMembersReq{TeamID: tid}, proto.CodeTeamNotMember, "")
}

func TestTeamConfig(t *testing.T) {
	t.Setenv("YUNXIN_TEAM_MAX_MEMBERS", "50")
	t.Setenv("YUNXIN_SUPER_TEAM_MAX_MEMBERS", "5000")
	cfg := ConfigFromEnv()
	if cfg.TeamMaxMembers != 50 || cfg.SuperTeamMaxMembers != 5000 || cfg.Check() != nil {
		t.Fatalf("team limits from env: %+v %v", cfg, cfg.Check())
	}
	for _, v := range []string{"0", "-3", "many", "100001"} {
		t.Setenv("YUNXIN_SUPER_TEAM_MAX_MEMBERS", v)
		if err := ConfigFromEnv().Check(); err == nil || !strings.Contains(err.Error(), "YUNXIN_SUPER_TEAM_MAX_MEMBERS") {
			t.Errorf("YUNXIN_SUPER_TEAM_MAX_MEMBERS=%q: %v", v, err)
		}
	}
	t.Setenv("YUNXIN_SUPER_TEAM_MAX_MEMBERS", "")
	t.Setenv("YUNXIN_TEAM_MAX_MEMBERS", "x")
	if err := ConfigFromEnv().Check(); err == nil || !strings.Contains(err.Error(), "YUNXIN_TEAM_MAX_MEMBERS") {
		t.Errorf("bad YUNXIN_TEAM_MAX_MEMBERS: %v", err)
	}
	if err := (Config{TeamMaxMembers: -1}).Check(); err == nil {
		t.Error("negative TeamMaxMembers passes Check")
	}

	// The limit in force: createTeam's maxMember above it is 414, and a
	// team at its limit refuses more members (801).
	e := &env{t: t, dir: t.TempDir()}
	srv, err := Open(t.Context(), Config{DataDir: e.dir, AppKey: testKey, AppSecret: testSecret, TeamMaxMembers: 2}, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	e.srv = srv
	e.hs = httptest.NewServer(srv.Handler())
	t.Cleanup(e.close)
	for _, u := range []string{"alice", "bob", "carol"} {
		if _, err := srv.CreateUser(t.Context(), u, u, "tok-"+u); err != nil {
			t.Fatal(err)
		}
	}
	a, _ := e.login("alice")
	a.fail(proto.OpTeamCreate, proto.CreateTeamReq{Name: "x", MaxMembers: 3}, proto.CodeBadParam, "at most 2")
	a.fail(proto.OpTeamCreate, proto.CreateTeamReq{Name: "x", Members: []string{"bob", "carol"}}, proto.CodeTeamMemberLimit, "")
	tid := a.tcreate(proto.CreateTeamReq{Name: "x", Members: []string{"bob"}}).TeamID
	a.fail(proto.OpTeamInvite, proto.TeamAccountsReq{TeamID: tid, Accounts: []string{"carol"}}, proto.CodeTeamMemberLimit, "")
}

// benchConn is a bare WebSocket client of BenchmarkTeamFanout (the test
// client's helpers take a *testing.T).
type benchConn struct {
	ws   *websocket.Conn
	next uint64
}

// benchLogin dials url and logs acc in.
func benchLogin(b *testing.B, url, acc string) *benchConn {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(url, "http")+"/ws", nil)
	if err != nil {
		b.Fatal(err)
	}
	ws.SetReadLimit(proto.MaxFrame)
	c := &benchConn{ws: ws}
	c.call(b, proto.OpLogin, loginReq(acc))
	return c
}

// call sends a request and returns its reply's payload, skipping pushes;
// anything but 200 is fatal.
func (c *benchConn) call(b *testing.B, op string, payload any) jx.RawMessage {
	b.Helper()
	c.next++
	d, _ := json.Marshal(payload)
	f, _ := json.Marshal(proto.Frame{ID: c.next, Op: op, Data: d})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageText, f); err != nil {
		b.Fatal(err)
	}
	for {
		_, data, err := c.ws.Read(ctx)
		if err != nil {
			b.Fatal(err)
		}
		var r proto.Frame
		if err := json.Unmarshal(data, &r); err != nil {
			b.Fatal(err)
		}
		if r.Op != "" || r.ID != c.next {
			continue
		}
		if r.Code != proto.CodeOK {
			b.Fatalf("%s: %d %s", op, r.Code, r.Msg)
		}
		return r.Data
	}
}

// BenchmarkTeamFanout sends messages, one at a time, to a super team of
// 2,000 members with one connection online each (all on one in-process
// server, the clients in the same process), and reports the deliveries per
// second and the p99 latency from the send until a member's connection
// has read the push. Run it with a fixed count, as setup takes a while:
//
//	go test -run '^$' -bench BenchmarkTeamFanout -benchtime 100x ./server/
func BenchmarkTeamFanout(b *testing.B) {
	const members = proto.DefaultSuperMembers
	ctx := context.Background()
	srv, err := Open(ctx, Config{DataDir: b.TempDir(), AppKey: testKey, AppSecret: testSecret}, nil)
	if err != nil {
		b.Fatal(err)
	}
	srv.reqRate = rate.Inf // the sender sends b.N messages at once
	hs := httptest.NewServer(srv.Handler())
	defer srv.Close()
	defer hs.Close()
	accounts := make([]string, members)
	for i := range accounts {
		accounts[i] = fmt.Sprintf("u%04d", i)
		if _, err := srv.CreateUser(ctx, accounts[i], accounts[i], "tok-"+accounts[i]); err != nil {
			b.Fatal(err)
		}
	}
	// The owner's sending connection creates the team and adds everyone.
	sender := benchLogin(b, hs.URL, accounts[0])
	defer sender.ws.CloseNow()
	var created proto.TeamResp
	json.Unmarshal(sender.call(b, proto.OpTeamCreate, proto.CreateTeamReq{Name: "bench", Type: proto.TeamSuper,
		BeInviteMode: proto.BeInviteAtOnce, Members: accounts[1:proto.MaxTeamAccounts]}), &created)
	tid := created.TeamID
	for i := proto.MaxTeamAccounts; i < members; i += proto.MaxTeamAccounts {
		sender.call(b, proto.OpTeamInvite, proto.TeamAccountsReq{TeamID: tid, Accounts: accounts[i:min(i+proto.MaxTeamAccounts, members)]})
	}
	var info proto.TeamState
	json.Unmarshal(sender.call(b, proto.OpTeamInfo, proto.TeamReq{TeamID: tid}), &info)
	if info.Team.Members != members {
		b.Fatalf("team of %d members, want %d", info.Team.Members, members)
	}

	// One receiving connection per member (the owner's second device too).
	var (
		startNs   atomic.Int64 // when the message now in flight was sent
		remaining atomic.Int64 // deliveries of it still to come
		done      = make(chan struct{}, 1)
		lats      = make([][]time.Duration, members)
		wg        sync.WaitGroup
	)
	stop, cancel := context.WithCancel(ctx)
	defer cancel()
	for i, acc := range accounts {
		rc := benchLogin(b, hs.URL, acc)
		defer rc.ws.CloseNow()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				_, data, err := rc.ws.Read(stop)
				if err != nil {
					return
				}
				var f proto.Frame
				var m proto.Msg
				if json.Unmarshal(data, &f) != nil || f.Op != proto.PushMsg || json.Unmarshal(f.Data, &m) != nil ||
					!strings.HasPrefix(m.ClientID, "bench-") {
					continue
				}
				lats[i] = append(lats[i], time.Duration(time.Now().UnixNano()-startNs.Load()))
				if remaining.Add(-1) == 0 {
					done <- struct{}{}
				}
			}
		}()
	}

	b.ResetTimer()
	began := time.Now()
	for n := range b.N {
		remaining.Store(members)
		startNs.Store(time.Now().UnixNano())
		sender.call(b, proto.OpSend, teamText(tid, proto.ChatSuperTeam, fmt.Sprintf("bench-%d", n), "fan-out"))
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			b.Fatalf("message %d: %d deliveries missing", n, remaining.Load())
		}
	}
	elapsed := time.Since(began)
	b.StopTimer()
	cancel()
	wg.Wait()
	var all []time.Duration
	for _, l := range lats {
		all = append(all, l...)
	}
	if len(all) != b.N*members {
		b.Fatalf("%d deliveries, want %d", len(all), b.N*members)
	}
	slices.Sort(all)
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "deliveries/s")
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50-ms")
}
