package storetest

import (
	"encoding/json"
	"slices"
	"testing"

	"yunxin/internal/jx"
	"yunxin/proto"
	"yunxin/server/store"
)

// teamReceiptTests are the cases of store.TeamReceipts, run by Run.
var teamReceiptTests = []struct {
	name string
	fn   func(t *testing.T, s store.Store)
}{
	{"TeamReceiptSend", testTeamReceiptSend},
	{"TeamReceiptCounts", testTeamReceiptCounts},
	{"TeamReceiptWindow", testTeamReceiptWindow},
	// invitationToTeam's attach (issue 8, with the receipts).
	{"TeamInviteExt", testTeamInviteExt},
}

// teamMsg stores a team text message from → tid (asking for receipts with
// receipt) at nowMs, failing t.
func teamMsg(t *testing.T, s store.Store, from string, tm proto.Team, cid string, receipt bool, nowMs int64) proto.Msg {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"text": "text of " + cid})
	m, dup, err := s.Send(t.Context(), proto.Msg{From: from, To: tm.ID, Conv: proto.TeamConv(tm.ID), ChatType: proto.TeamChatType(tm.Type),
		ClientID: cid, Type: proto.MsgText, Body: body, TeamReceipt: receipt}, nowMs)
	if err != nil || dup {
		t.Fatalf("send %s→%s %s: dup=%v, %v", from, tm.ID, cid, dup, err)
	}
	return m
}

// receipt records account's receipts of seqs in tid, failing t.
func receipt(t *testing.T, s store.Store, account, tid string, nowMs int64, seqs ...int64) ([]int64, []store.Change) {
	t.Helper()
	got, chs, err := s.TeamReceipt(t.Context(), account, tid, seqs, nowMs)
	if err != nil {
		t.Fatalf("receipts of %s in %s: %v", account, tid, err)
	}
	sameChanges(t, s, chs)
	return got, chs
}

// counts returns the receipt flag and counts of the message of conv with
// seq as Message, Messages and History read them, failing t when they
// differ.
func counts(t *testing.T, s store.Store, conv string, seq int64) (asks bool, read, unread int) {
	t.Helper()
	m, err := s.Message(t.Context(), conv, seq)
	if err != nil {
		t.Fatalf("message %s/%d: %v", conv, seq, err)
	}
	ms, err := s.Messages(t.Context(), conv, seq-1, 1)
	if err != nil || len(ms) != 1 {
		t.Fatalf("messages of %s after %d: %+v, %v", conv, seq-1, ms, err)
	}
	hs, _, err := s.History(t.Context(), conv, seq-1, true, 1)
	if err != nil || len(hs) != 1 {
		t.Fatalf("history of %s after %d: %+v, %v", conv, seq-1, hs, err)
	}
	for _, o := range []proto.Msg{ms[0], hs[0]} {
		if o.TeamReceipt != m.TeamReceipt || o.ReceiptRead != m.ReceiptRead || o.ReceiptUnread != m.ReceiptUnread {
			t.Fatalf("reads of %s/%d differ: %+v and %+v", conv, seq, m, o)
		}
	}
	return m.TeamReceipt, m.ReceiptRead, m.ReceiptUnread
}

// Send stores the flag and the other valid members on team messages that
// ask for receipts; a P2P message and a dedupe keep theirs.
func testTeamReceiptSend(t *testing.T, s store.Store) {
	users(t, s, "own", "a", "b")
	tm := mkTeam(t, s, "own", proto.TeamAdvanced, nil, "a", "b")
	conv := proto.TeamConv(tm.ID)
	m := teamMsg(t, s, "a", tm, "r1", true, 2000)
	if !m.TeamReceipt || m.ReceiptUnread != 2 || m.ReceiptRead != 0 {
		t.Fatalf("stored %+v, want 2 unread", m)
	}
	if asks, read, unread := counts(t, s, conv, m.Seq); !asks || read != 0 || unread != 2 {
		t.Fatalf("read back asks=%v read=%d unread=%d", asks, read, unread)
	}
	plain := teamMsg(t, s, "a", tm, "p1", false, 2001)
	if asks, _, unread := counts(t, s, conv, plain.Seq); asks || unread != 0 {
		t.Fatalf("plain message asks=%v unread=%d", asks, unread)
	}
	// The team's notification messages never ask.
	if asks, _, _ := counts(t, s, conv, 1); asks {
		t.Fatal("the team's creation notification asks for receipts")
	}
	// A dedupe returns the stored message with its counts.
	again, dup, err := s.Send(t.Context(), proto.Msg{From: "a", To: tm.ID, Conv: conv, ChatType: proto.ChatTeam, ClientID: "r1",
		Type: proto.MsgText, Body: jx.RawMessage(`{"text":"x"}`), TeamReceipt: true}, 2002)
	if err != nil || !dup || again.Seq != m.Seq || !again.TeamReceipt || again.ReceiptUnread != 2 {
		t.Fatalf("dedupe %+v dup=%v, %v", again, dup, err)
	}
	p := msg("own", "a", "p2p")
	p.TeamReceipt = true
	pm, _, err := s.Send(t.Context(), p, 2003)
	if err != nil || pm.TeamReceipt || pm.ReceiptUnread != 0 {
		t.Fatalf("P2P message %+v, %v", pm, err)
	}
	if asks, _, _ := counts(t, s, pm.Conv, pm.Seq); asks {
		t.Fatal("a P2P message asks for team receipts")
	}
}

// The first receipt of a member counts and tells the sender; a repeat,
// the sender's own, a message that did not ask and a revoked one do not.
func testTeamReceiptCounts(t *testing.T, s store.Store) {
	ctx := t.Context()
	users(t, s, "own", "a", "b", "x")
	tm := mkTeam(t, s, "own", proto.TeamNormal, nil, "a", "b")
	conv := proto.TeamConv(tm.ID)
	m1 := teamMsg(t, s, "own", tm, "m1", true, 2000)
	plain := teamMsg(t, s, "own", tm, "m2", false, 2001)
	m3 := teamMsg(t, s, "a", tm, "m3", true, 2002)
	gone := teamMsg(t, s, "own", tm, "m4", true, 2003)
	if _, _, err := s.Revoke(ctx, conv, gone.Seq, "own", "", 2004); err != nil {
		t.Fatal(err)
	}

	got, chs := receipt(t, s, "a", tm.ID, 3000, m1.Seq, plain.Seq, m3.Seq, gone.Seq, 1, 999, m1.Seq)
	if !slices.Equal(got, []int64{m1.Seq}) {
		t.Fatalf("a recorded %v, want [%d]", got, m1.Seq)
	}
	key := store.TeamReceiptKey(conv, m1.Seq)
	if ks := kindKeys(chs); !slices.Equal(ks, []string{"own " + proto.ChangeTeamReceipt + " " + key}) {
		t.Fatalf("changes %v", ks)
	}
	var info proto.TeamReceiptInfo
	decode(t, chs[0].Change, &info)
	want := proto.TeamReceiptInfo{Conv: conv, Seq: m1.Seq, ClientID: "m1", Read: 1, Unread: 1, Time: 3000}
	if info != want {
		t.Fatalf("receipt change %+v, want %+v", info, want)
	}
	if _, read, unread := counts(t, s, conv, m1.Seq); read != 1 || unread != 1 {
		t.Fatalf("m1 after a: read %d unread %d", read, unread)
	}

	// A repeat is recorded already: nothing is written.
	ver := lastVer(t, s, "own")
	got, chs = receipt(t, s, "a", tm.ID, 3001, m1.Seq)
	if !slices.Equal(got, []int64{m1.Seq}) || len(chs) != 0 || lastVer(t, s, "own") != ver {
		t.Fatalf("repeat recorded %v with changes %v", got, kindKeys(chs))
	}
	if _, read, _ := counts(t, s, conv, m1.Seq); read != 1 {
		t.Fatalf("m1 after a's repeat: read %d", read)
	}

	// b reads both: each sender hears of its own message.
	got, chs = receipt(t, s, "b", tm.ID, 3002, m3.Seq, m1.Seq)
	if !slices.Equal(got, []int64{m3.Seq, m1.Seq}) {
		t.Fatalf("b recorded %v", got)
	}
	if ks := kindKeys(chs); !slices.Equal(ks, []string{"a " + proto.ChangeTeamReceipt + " " + store.TeamReceiptKey(conv, m3.Seq),
		"own " + proto.ChangeTeamReceipt + " " + key}) {
		t.Fatalf("changes %v", ks)
	}
	decode(t, chs[1].Change, &info)
	if info.Read != 2 || info.Unread != 0 || info.Time != 3002 {
		t.Fatalf("m1's receipt change after b %+v", info)
	}
	// The log keeps the newest entry per message.
	if c, ok := logOf(t, s, "own", 0)[proto.ChangeTeamReceipt+" "+key]; !ok || c.Ver != lastVer(t, s, "own") {
		t.Fatalf("own's log entry %+v", c)
	}
	if _, read, unread := counts(t, s, conv, m1.Seq); read != 2 || unread != 0 {
		t.Fatalf("m1 after b: read %d unread %d", read, unread)
	}
	if _, read, unread := counts(t, s, conv, m3.Seq); read != 1 || unread != 1 {
		t.Fatalf("m3 after b: read %d unread %d", read, unread)
	}

	// Only valid members of a live team.
	_, _, err := s.TeamReceipt(ctx, "x", tm.ID, []int64{m1.Seq}, 3003)
	wantCode(t, "receipt of a non-member", err, proto.CodeTeamNotMember)
	_, _, err = s.TeamReceipt(ctx, "a", "999999", []int64{1}, 3003)
	wantCode(t, "receipt in no team", err, proto.CodeTeamNotFound)
	if _, err := s.KickFromTeam(ctx, "own", tm.ID, []string{"b"}, 3004); err != nil {
		t.Fatal(err)
	}
	_, _, err = s.TeamReceipt(ctx, "b", tm.ID, []int64{m1.Seq}, 3005)
	wantCode(t, "receipt of a kicked member", err, proto.CodeTeamNotMember)
	if _, err := s.DismissTeam(ctx, "own", tm.ID, 3006); err != nil {
		t.Fatal(err)
	}
	_, _, err = s.TeamReceipt(ctx, "a", tm.ID, []int64{m1.Seq}, 3007)
	wantCode(t, "receipt in a dismissed team", err, proto.CodeTeamNotFound)
}

// A member acknowledges only what it may read: nothing from before it
// (re)joined. The total counts the valid members of the moment.
func testTeamReceiptWindow(t *testing.T, s store.Store) {
	ctx := t.Context()
	users(t, s, "own", "a", "c")
	tm := mkTeam(t, s, "own", proto.TeamNormal, nil, "a")
	before := teamMsg(t, s, "own", tm, "m1", true, 2000)
	if before.ReceiptUnread != 1 {
		t.Fatalf("total before c joined: %+v", before)
	}
	if _, _, _, err := s.InviteToTeam(ctx, "own", tm.ID, []string{"c"}, "", false, 2001); err != nil {
		t.Fatal(err)
	}
	after := teamMsg(t, s, "own", tm, "m2", true, 2002)
	if after.ReceiptUnread != 2 {
		t.Fatalf("total after c joined: %+v", after)
	}
	got, _ := receipt(t, s, "c", tm.ID, 3000, before.Seq, after.Seq)
	if !slices.Equal(got, []int64{after.Seq}) {
		t.Fatalf("c recorded %v, want only [%d]", got, after.Seq)
	}
	// a leaves and rejoins: its history starts again after the rejoin.
	if _, err := s.QuitTeam(ctx, "a", tm.ID, 3001); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := s.InviteToTeam(ctx, "own", tm.ID, []string{"a"}, "", false, 3002); err != nil {
		t.Fatal(err)
	}
	got, _ = receipt(t, s, "a", tm.ID, 3003, before.Seq, after.Seq)
	if len(got) != 0 {
		t.Fatalf("a recorded %v after rejoining", got)
	}
	if _, read, unread := counts(t, s, proto.TeamConv(tm.ID), before.Seq); read != 0 || unread != 1 {
		t.Fatalf("m1: read %d unread %d", read, unread)
	}
}

// InviteToTeamExt: the pending invitations carry ext as their notifyExt.
func testTeamInviteExt(t *testing.T, s store.Store) {
	users(t, s, "own", "a", "b")
	tm := mkTeam(t, s, "own", proto.TeamAdvanced, func(r *proto.CreateTeamReq) { r.BeInviteMode = proto.BeInviteNeedsConsent })
	_, pending, w, err := s.InviteToTeamExt(t.Context(), "own", tm.ID, []string{"a", "b"}, "ps", `{"k":1}`, true, 2000)
	if err != nil || !pending {
		t.Fatalf("invite: pending %v, %v", pending, err)
	}
	sameChanges(t, s, w.Changes)
	for _, acc := range []string{"a", "b"} {
		ns := notes(t, s, acc)
		if len(ns) != 1 || ns[0].Type != proto.NoteTeamInvite || ns[0].Ps != "ps" || ns[0].Ext != `{"k":1}` {
			t.Fatalf("%s's invitations %+v", acc, ns)
		}
	}
}
