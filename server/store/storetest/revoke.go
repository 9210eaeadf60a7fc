package storetest

import (
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"testing"

	"yunxin/internal/jx"
	"yunxin/proto"
	"yunxin/server/store"
)

// Message and MessageByClientID find one message by (conv, seq) and by
// (conv, from, cid).
func testMessageLookup(t *testing.T, s store.Store) {
	ctx := t.Context()
	m1 := send(t, s, "a", "b", "c1", 1000)
	m2 := send(t, s, "b", "a", "c1", 2000) // same cid, other sender
	send(t, s, "a", "c", "c2", 3000)
	for _, want := range []proto.Msg{m1, m2} {
		got, err := s.Message(ctx, want.Conv, want.Seq)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("Message(%s, %d) = %+v, %v; want %+v", want.Conv, want.Seq, got, err, want)
		}
		got, err = s.MessageByClientID(ctx, want.Conv, want.From, want.ClientID)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("MessageByClientID(%s, %s, %s) = %+v, %v; want %+v", want.Conv, want.From, want.ClientID, got, err, want)
		}
	}
	for _, tc := range []struct {
		conv string
		seq  int64
	}{{"p:a|b", 3}, {"p:a|b", 0}, {"p:a|x", 1}} {
		if _, err := s.Message(ctx, tc.conv, tc.seq); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Message(%s, %d): %v, want ErrNotFound", tc.conv, tc.seq, err)
		}
	}
	for _, tc := range []struct{ conv, from, cid string }{
		{"p:a|b", "a", "c2"}, // a's c2 is in p:a|c
		{"p:a|b", "c", "c1"},
		{"p:a|b", "a", "nope"},
	} {
		if _, err := s.MessageByClientID(ctx, tc.conv, tc.from, tc.cid); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("MessageByClientID(%s, %s, %s): %v, want ErrNotFound", tc.conv, tc.from, tc.cid, err)
		}
	}
}

// Revoke erases the body and ext, keeps the row and its seq, logs the
// Revoke for every member, and is idempotent.
func testRevoke(t *testing.T, s store.Store) {
	ctx := t.Context()
	var ms []proto.Msg
	for i := range 3 {
		m := msg("a", "b", "c"+strconv.Itoa(i))
		m.Ext = jx.RawMessage(`{"k":"v"}`)
		stored, _, err := s.Send(ctx, m, int64(1000+i))
		if err != nil {
			t.Fatal(err)
		}
		ms = append(ms, stored)
	}
	before := conv(t, s, "b", "p:a|b")
	if before.Unread != 3 {
		t.Fatalf("b before the revoke: %+v", before)
	}
	target := ms[1]
	r, chs, err := s.Revoke(ctx, "p:a|b", 2, "a", "oops", 5000)
	want := proto.Revoke{Conv: "p:a|b", ChatType: proto.ChatP2P, Seq: 2, ClientID: "c1", ServerID: target.ServerID,
		MsgFrom: "a", MsgTime: target.Time, By: "a", Time: 5000, Postscript: "oops"}
	if err != nil || r != want {
		t.Fatalf("Revoke = %+v, %v; want %+v", r, err, want)
	}
	if len(chs) != 2 {
		t.Fatalf("changes %+v, want one for a and one for b", chs)
	}
	accounts := map[string]bool{}
	for _, ch := range chs {
		accounts[ch.Account] = true
		if ch.Kind != proto.ChangeRevoke || ch.Key != proto.RevokeKey("p:a|b", 2) || ch.Ver <= 0 || ch.Deleted {
			t.Fatalf("change %+v", ch)
		}
		var logged proto.Revoke
		if err := json.Unmarshal(ch.Data, &logged); err != nil || logged != want {
			t.Fatalf("change data %s (%v), want %+v", ch.Data, err, want)
		}
		if log := changes(t, s, ch.Account, 0); len(log) != 1 || !reflect.DeepEqual(log[0], ch.Change) {
			t.Fatalf("%s's log %+v, want [%+v]", ch.Account, log, ch.Change)
		}
	}
	if !accounts["a"] || !accounts["b"] {
		t.Fatalf("changes went to %v, want a and b", accounts)
	}

	// The row stays, without its content.
	revoked := target
	revoked.Body, revoked.Ext, revoked.Revoked = nil, nil, true
	got, err := s.Messages(ctx, "p:a|b", 0, 100)
	if err != nil || !reflect.DeepEqual(got, []proto.Msg{ms[0], revoked, ms[2]}) {
		t.Fatalf("Messages after the revoke = %+v, %v\nwant %+v", got, err, []proto.Msg{ms[0], revoked, ms[2]})
	}
	if b, err := json.Marshal(got[1]); err != nil || !json.Valid(b) {
		t.Fatalf("a revoked message does not encode: %s, %v", b, err)
	}
	if m, err := s.Message(ctx, "p:a|b", 2); err != nil || !reflect.DeepEqual(m, revoked) {
		t.Fatalf("Message of the revoked = %+v, %v", m, err)
	}
	if m, err := s.MessageByClientID(ctx, "p:a|b", "a", "c1"); err != nil || !reflect.DeepEqual(m, revoked) {
		t.Fatalf("MessageByClientID of the revoked = %+v, %v", m, err)
	}
	// A revoked message no longer counts as unread; the stamp stays.
	if c := conv(t, s, "b", "p:a|b"); c.Unread != 2 || c.Ver != before.Ver || c.LastSeq != 3 {
		t.Fatalf("b after the revoke: %+v, want 2 unread and the same stamp %d", c, before.Ver)
	}
	// A resend of its cid is a dup of the revoked message: nothing comes back.
	again, dup, err := s.Send(ctx, msg("a", "b", "c1"), 6000)
	if err != nil || !dup || !reflect.DeepEqual(again, revoked) {
		t.Fatalf("resend of a revoked cid = %+v dup=%v %v", again, dup, err)
	}

	// Again: the stored revoke, nothing written.
	r2, none, err := s.Revoke(ctx, "p:a|b", 2, "b", "other", 9000)
	if err != nil || r2 != want || len(none) != 0 {
		t.Fatalf("second Revoke = %+v %+v, %v; want the stored %+v and no changes", r2, none, err, want)
	}
	for _, acc := range []string{"a", "b"} {
		if log := changes(t, s, acc, 0); len(log) != 1 {
			t.Fatalf("%s's log after a second revoke: %+v", acc, log)
		}
	}
	// Unknown messages.
	for _, tc := range []struct {
		conv string
		seq  int64
	}{{"p:a|b", 4}, {"p:a|b", 0}, {"p:x|y", 1}} {
		if _, chs, err := s.Revoke(ctx, tc.conv, tc.seq, "a", "", 5000); !errors.Is(err, store.ErrNotFound) || len(chs) != 0 {
			t.Errorf("Revoke(%s, %d): %+v, %v; want ErrNotFound", tc.conv, tc.seq, chs, err)
		}
	}
	if log := changes(t, s, "a", 0); len(log) != 1 {
		t.Fatalf("a's log after failed revokes: %+v", log)
	}
}

// A note to self has one member: one change.
func testRevokeNoteToSelf(t *testing.T, s store.Store) {
	m := send(t, s, "me", "me", "n1", 1000)
	r, chs, err := s.Revoke(t.Context(), m.Conv, m.Seq, "me", "", 2000)
	if err != nil || r.MsgFrom != "me" || r.Time != 2000 || len(chs) != 1 || chs[0].Account != "me" {
		t.Fatalf("Revoke of a note to self = %+v %+v, %v", r, chs, err)
	}
}

// History pages both ways from a seq or an end, leaves revoked messages
// out and says whether there are more.
func testHistory(t *testing.T, s store.Store) {
	ctx := t.Context()
	all := map[int64]proto.Msg{}
	for i := 1; i <= 10; i++ {
		from, to := "a", "b"
		if i%2 == 0 {
			from, to = to, from
		}
		m := send(t, s, from, to, "h"+strconv.Itoa(i), int64(1000*i))
		all[m.Seq] = m
	}
	send(t, s, "a", "c", "other", 1000)
	for _, seq := range []int64{5, 8} {
		if _, _, err := s.Revoke(ctx, "p:a|b", seq, all[seq].From, "", 20000); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		seq   int64
		newer bool
		limit int
		want  []int64
		more  bool
	}{
		{0, false, 3, []int64{7, 9, 10}, true},
		{7, false, 3, []int64{3, 4, 6}, true},
		{3, false, 3, []int64{1, 2}, false},
		{1, false, 3, []int64{}, false},
		{0, false, 8, []int64{1, 2, 3, 4, 6, 7, 9, 10}, false},
		{0, false, 100, []int64{1, 2, 3, 4, 6, 7, 9, 10}, false},
		{99, false, 2, []int64{9, 10}, true},
		{0, true, 4, []int64{1, 2, 3, 4}, true},
		{4, true, 4, []int64{6, 7, 9, 10}, false},
		{6, true, 2, []int64{7, 9}, true},
		{7, true, 1, []int64{9}, true},
		{9, true, 1, []int64{10}, false},
		{10, true, 5, []int64{}, false},
		{4, true, 1, []int64{6}, true}, // 5 is revoked: skipped
		{6, false, 1, []int64{4}, true},
		{0, true, 0, []int64{}, false},
	} {
		got, more, err := s.History(ctx, "p:a|b", tc.seq, tc.newer, tc.limit)
		if err != nil {
			t.Fatalf("History(%d, newer=%v, %d): %v", tc.seq, tc.newer, tc.limit, err)
		}
		seqs := []int64{}
		for _, m := range got {
			seqs = append(seqs, m.Seq)
			if !reflect.DeepEqual(m, all[m.Seq]) {
				t.Errorf("History(%d, newer=%v, %d): message %+v, want %+v", tc.seq, tc.newer, tc.limit, m, all[m.Seq])
			}
		}
		if !reflect.DeepEqual(seqs, tc.want) || more != tc.more {
			t.Errorf("History(%d, newer=%v, %d) = %v more=%v; want %v more=%v", tc.seq, tc.newer, tc.limit, seqs, more, tc.want, tc.more)
		}
	}
	// Past the last messages that are all revoked there is nothing more.
	if _, _, err := s.Revoke(ctx, "p:a|b", 10, "b", "", 20000); err != nil {
		t.Fatal(err)
	}
	if got, more, err := s.History(ctx, "p:a|b", 7, true, 1); err != nil || len(got) != 1 || got[0].Seq != 9 || more {
		t.Fatalf("History(7, newer, 1) with 10 revoked = %+v more=%v, %v; want [9], no more", got, more, err)
	}
	if got, more, err := s.History(ctx, "p:nobody|else", 0, false, 10); err != nil || len(got) != 0 || more {
		t.Fatalf("History of an unknown conversation = %+v %v, %v", got, more, err)
	}
}

// DeleteConvs hides a conversation from one account's list until a newer
// message, logs it for that account only, and skips what it cannot delete.
func testDeleteConvs(t *testing.T, s store.Store) {
	ctx := t.Context()
	send(t, s, "a", "b", "1", 1000)
	send(t, s, "b", "a", "2", 1000)
	send(t, s, "c", "a", "3", 1000)
	send(t, s, "x", "y", "4", 1000)
	chs, err := s.DeleteConvs(ctx, "a", []string{"p:a|b", "p:x|y", "p:a|b", "p:a|nobody"}, 7000)
	if err != nil || len(chs) != 1 {
		t.Fatalf("DeleteConvs = %+v, %v; want one change", chs, err)
	}
	ch := chs[0]
	if ch.Account != "a" || ch.Kind != proto.ChangeConvDeleted || ch.Key != "p:a|b" || ch.Ver <= 0 || ch.Deleted {
		t.Fatalf("change %+v", ch)
	}
	var logged proto.ConvDeleted
	if err := json.Unmarshal(ch.Data, &logged); err != nil || logged != (proto.ConvDeleted{Conv: "p:a|b", Seq: 2, Time: 7000}) {
		t.Fatalf("change data %s, %v", ch.Data, err)
	}
	if log := changes(t, s, "a", 0); len(log) != 1 || !reflect.DeepEqual(log[0], ch.Change) {
		t.Fatalf("a's log %+v, want [%+v]", log, ch.Change)
	}
	for _, acc := range []string{"b", "x", "y"} {
		if log := changes(t, s, acc, 0); len(log) != 0 {
			t.Fatalf("%s's log %+v, want empty", acc, log)
		}
	}
	cs := convs(t, s, "a", 0)
	if len(cs) != 1 || cs[0].ID != "p:a|c" {
		t.Fatalf("a's list after deleting p:a|b: %+v", cs)
	}
	top := cs[0].Ver
	if c := conv(t, s, "b", "p:a|b"); c.LastSeq != 2 {
		t.Fatalf("b lost p:a|b: %+v", c)
	}
	if ok, err := s.IsMember(ctx, "a", "p:a|b"); err != nil || !ok {
		t.Fatalf("a is no member after deleting: %v, %v", ok, err)
	}
	if ms, err := s.Messages(ctx, "p:a|b", 0, 100); err != nil || len(ms) != 2 {
		t.Fatalf("the messages went with the conversation: %+v, %v", ms, err)
	}
	// Deleting it again writes nothing: nothing new to hide.
	if chs, err := s.DeleteConvs(ctx, "a", []string{"p:a|b"}, 8000); err != nil || len(chs) != 0 {
		t.Fatalf("second DeleteConvs = %+v, %v; want no change", chs, err)
	}
	if chs, err := s.DeleteConvs(ctx, "a", nil, 8000); err != nil || len(chs) != 0 {
		t.Fatalf("DeleteConvs of nothing = %+v, %v", chs, err)
	}

	// The next message lists it again, with only the new message unread.
	send(t, s, "b", "a", "5", 9000)
	cs = convs(t, s, "a", top)
	if len(cs) != 1 || cs[0].ID != "p:a|b" || cs[0].LastSeq != 3 || cs[0].Unread != 1 || cs[0].ReadSeq != 0 {
		t.Fatalf("a's list after a new message: %+v", cs)
	}
	if cs := convs(t, s, "a", 0); len(cs) != 2 {
		t.Fatalf("a's full list: %+v", cs)
	}
	// Deleted again at the new last seq: a new change replaces the old one.
	chs, err = s.DeleteConvs(ctx, "a", []string{"p:a|b", "p:a|c"}, 10000)
	if err != nil || len(chs) != 2 || chs[0].Key != "p:a|b" || chs[1].Key != "p:a|c" || chs[0].Ver <= ch.Ver {
		t.Fatalf("third DeleteConvs = %+v, %v", chs, err)
	}
	if err := json.Unmarshal(chs[0].Data, &logged); err != nil || logged.Seq != 3 || logged.Time != 10000 {
		t.Fatalf("change data %s, %v", chs[0].Data, err)
	}
	if log := changes(t, s, "a", 0); len(log) != 2 {
		t.Fatalf("a's log keeps one entry per conversation: %+v", log)
	}
	if cs := convs(t, s, "a", 0); len(cs) != 0 {
		t.Fatalf("a's list after deleting both: %+v", cs)
	}
	// A message from a itself lists it again too.
	send(t, s, "a", "c", "6", 11000)
	if cs := convs(t, s, "a", 0); len(cs) != 1 || cs[0].ID != "p:a|c" || cs[0].Unread != 0 {
		t.Fatalf("a's list after its own message: %+v", cs)
	}
}
