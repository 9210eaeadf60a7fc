package server

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"yunxin/proto"
	"yunxin/server/store"
)

// receiptText is a team text message asking for receipts.
func receiptText(tid, cid string) proto.SendReq {
	r := teamText(tid, proto.ChatTeam, cid, "read me")
	r.Msg.TeamReceipt = true
	return r
}

// treceipt sends a receipt for seqs of tid as c and returns the recorded seqs.
func (c *client) treceipt(tid string, seqs ...int64) []int64 {
	c.t.Helper()
	var resp proto.TeamReceiptResp
	c.ok(proto.OpTeamReceipt, proto.TeamReceiptReq{TeamID: tid, Seqs: seqs}, &resp)
	if resp.Seqs == nil {
		c.t.Fatalf("treceipt reply without a seqs array")
	}
	return resp.Seqs
}

func TestTeamReceipts(t *testing.T) {
	e := newEnv(t, "alice", "bob", "carol", "dave")
	a1, _ := e.login("alice")
	a2, _ := e.login("alice")
	b, _ := e.login("bob")
	c, _ := e.login("carol")
	d, _ := e.login("dave")
	tid := a1.tcreate(proto.CreateTeamReq{Name: "readers", Members: []string{"bob", "carol"}}).TeamID
	conv := proto.TeamConv(tid)

	// A message asking for receipts waits for the two other members; a
	// plain one asks nothing.
	var sent, plain proto.SendResp
	a1.ok(proto.OpSend, receiptText(tid, "r1"), &sent)
	if sent.ReceiptUnread != 2 || sent.Seq != 2 {
		t.Fatalf("send reply %+v, want 2 unread at seq 2", sent)
	}
	a1.ok(proto.OpSend, teamText(tid, proto.ChatTeam, "p1", "plain"), &plain)
	if plain.ReceiptUnread != 0 {
		t.Fatalf("plain send reply %+v", plain)
	}
	for _, m := range b.msgs(a1) {
		if m.Seq == sent.Seq && (!m.TeamReceipt || m.ReceiptUnread != 2 || m.ReceiptRead != 0) {
			t.Fatalf("pushed message %+v", m)
		}
		if m.Seq == plain.Seq && m.TeamReceipt {
			t.Fatalf("plain message pushed as asking for receipts: %+v", m)
		}
	}
	a2.drain(a1)

	// bob's receipt counts once; only the message that asked for one (not
	// the notification, the plain message or a seq past the end) is
	// recorded. alice's other device sees the counts move live.
	if got := b.treceipt(tid, sent.Seq, plain.Seq, 1, 999, sent.Seq); !slices.Equal(got, []int64{sent.Seq}) {
		t.Fatalf("bob's receipt recorded %v", got)
	}
	var info proto.TeamReceiptInfo
	ch := a2.waitChange(proto.ChangeTeamReceipt, store.TeamReceiptKey(conv, sent.Seq))
	info = decodeData[proto.TeamReceiptInfo](t, ch)
	if info.Read != 1 || info.Unread != 1 || info.Conv != conv || info.Seq != sent.Seq || info.ClientID != "r1" || info.Time <= 0 {
		t.Fatalf("alice's receipt change %+v", info)
	}
	// A repeat is recorded already: nothing moves.
	if got := b.treceipt(tid, sent.Seq); !slices.Equal(got, []int64{sent.Seq}) {
		t.Fatalf("bob's repeat recorded %v", got)
	}
	a2.noChange(proto.ChangeTeamReceipt, b)
	// The sender's own message takes none.
	if got := a1.treceipt(tid, sent.Seq); len(got) != 0 {
		t.Fatalf("alice's receipt of her own message recorded %v", got)
	}
	a2.noChange(proto.ChangeTeamReceipt, a1)
	// carol's makes it read by all.
	if got := c.treceipt(tid, sent.Seq); !slices.Equal(got, []int64{sent.Seq}) {
		t.Fatalf("carol's receipt recorded %v", got)
	}
	info = decodeData[proto.TeamReceiptInfo](t, a2.waitChange(proto.ChangeTeamReceipt, store.TeamReceiptKey(conv, sent.Seq)))
	if info.Read != 2 || info.Unread != 0 {
		t.Fatalf("alice's receipt change after carol %+v", info)
	}

	// A device that was offline finds the newest counts at its sync.
	a3, _ := e.login("alice")
	var sync proto.SyncResp
	a3.ok(proto.OpSync, proto.SyncReq{}, &sync)
	info = decodeData[proto.TeamReceiptInfo](t, find(t, sync.Changes, proto.ChangeTeamReceipt, store.TeamReceiptKey(conv, sent.Seq)))
	if info.Read != 2 || info.Unread != 0 {
		t.Fatalf("alice's synced receipt change %+v", info)
	}

	// Pulls and history carry the counts; a resend answers the unread now.
	for _, m := range a1.pullConv(conv, 0) {
		if m.Seq == sent.Seq && (!m.TeamReceipt || m.ReceiptRead != 2 || m.ReceiptUnread != 0) {
			t.Fatalf("pulled %+v", m)
		}
		if m.Seq != sent.Seq && (m.TeamReceipt || m.ReceiptRead != 0) {
			t.Fatalf("pulled %+v", m)
		}
	}
	var hist proto.HistoryResp
	b.ok(proto.OpHistory, proto.HistoryReq{Conv: conv}, &hist)
	if i := slices.IndexFunc(hist.Msgs, func(m proto.Msg) bool { return m.Seq == sent.Seq }); i < 0 || !hist.Msgs[i].TeamReceipt || hist.Msgs[i].ReceiptRead != 2 {
		t.Fatalf("history %+v", hist.Msgs)
	}
	var dup proto.SendResp
	a1.ok(proto.OpSend, receiptText(tid, "r1"), &dup)
	if !dup.Dup || dup.Seq != sent.Seq || dup.ReceiptUnread != 0 {
		t.Fatalf("resend reply %+v", dup)
	}

	// Not a member: 804; no team: 803. dave, invited after the message,
	// may not acknowledge what came before he joined.
	d.fail(proto.OpTeamReceipt, proto.TeamReceiptReq{TeamID: tid, Seqs: []int64{sent.Seq}}, proto.CodeTeamNotMember, "")
	d.fail(proto.OpTeamReceipt, proto.TeamReceiptReq{TeamID: "999999", Seqs: []int64{1}}, proto.CodeTeamNotFound, "")
	a1.tok(proto.OpTeamInvite, proto.TeamAccountsReq{TeamID: tid, Accounts: []string{"dave"}})
	if got := d.treceipt(tid, sent.Seq); len(got) != 0 {
		t.Fatalf("dave's receipt of a message from before he joined recorded %v", got)
	}
	// A message sent now waits for dave too.
	var later proto.SendResp
	b.ok(proto.OpSend, receiptText(tid, "r2"), &later)
	if later.ReceiptUnread != 3 {
		t.Fatalf("send reply after dave joined %+v", later)
	}
	if got := d.treceipt(tid, later.Seq); !slices.Equal(got, []int64{later.Seq}) {
		t.Fatalf("dave's receipt recorded %v", got)
	}

	// Bad input: 414 naming the SDK's parameter.
	many := make([]int64, proto.MaxTeamReceiptSeqs+1)
	for i := range many {
		many[i] = int64(i + 1)
	}
	for _, seqs := range [][]int64{nil, {}, many, {0}, {2, -1}} {
		b.fail(proto.OpTeamReceipt, proto.TeamReceiptReq{TeamID: tid, Seqs: seqs}, proto.CodeBadParam, "messageIds")
	}
	b.fail(proto.OpTeamReceipt, proto.TeamReceiptReq{TeamID: "x y", Seqs: []int64{1}}, proto.CodeBadParam, "sessionId")
}

// A P2P message cannot ask for team receipts: the flag is not stored.
func TestTeamReceiptIgnoredForP2P(t *testing.T) {
	e := newEnv(t, "alice", "bob")
	a, _ := e.login("alice")
	b, _ := e.login("bob")
	r := text("bob", "p1", "hi")
	r.Msg.TeamReceipt = true
	var sent proto.SendResp
	a.ok(proto.OpSend, r, &sent)
	if sent.ReceiptUnread != 0 {
		t.Fatalf("send reply %+v", sent)
	}
	for _, m := range b.pullConv(sent.Conv, 0) {
		if m.TeamReceipt || m.ReceiptUnread != 0 {
			t.Fatalf("pulled %+v", m)
		}
	}
}

// invitationToTeam's attach becomes the invitations' notifyExt, over the
// op and over REST team/add; past MaxTeamCustomBytes it is a 414.
func TestTeamInviteAttach(t *testing.T) {
	e := newEnv(t, "alice", "bob", "carol")
	a, _ := e.login("alice")
	b, _ := e.login("bob")
	c, _ := e.login("carol")
	tid := a.tcreate(proto.CreateTeamReq{Name: "adv", Type: proto.TeamAdvanced}).TeamID

	big := strings.Repeat("x", proto.MaxTeamCustomBytes+1)
	a.fail(proto.OpTeamInvite, proto.TeamAccountsReq{TeamID: tid, Accounts: []string{"bob"}, Attach: big}, proto.CodeBadParam, "attach")
	b.noChange(proto.ChangeNote, a)

	inv := a.tok(proto.OpTeamInvite, proto.TeamAccountsReq{TeamID: tid, Accounts: []string{"bob"}, Ps: "come", Attach: `{"room":7}`})
	if !inv.Pending {
		t.Fatalf("invite %+v", inv)
	}
	var n proto.SysNote
	b.change(proto.ChangeNote, &n)
	if n.Type != proto.NoteTeamInvite || n.Ps != "come" || n.Ext != `{"room":7}` {
		t.Fatalf("bob's invitation %+v", n)
	}

	e.restFail("team/add", url.Values{"tid": {tid}, "owner": {"alice"}, "members": {`["carol"]`}, "magree": {"1"}, "attach": {big}}, proto.CodeBadParam, "attach")
	e.restOK("team/add", url.Values{"tid": {tid}, "owner": {"alice"}, "members": {`["carol"]`}, "magree": {"1"}, "attach": {"hello"}})
	c.change(proto.ChangeNote, &n)
	if n.Type != proto.NoteTeamInvite || n.Ext != "hello" {
		t.Fatalf("carol's invitation %+v", n)
	}
}
