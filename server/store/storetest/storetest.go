// Package storetest is the conformance suite of store.Store: every
// implementation (sqlitestore today, a PostgreSQL store later) runs Run from
// its own tests and must pass all of it.
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { return openEmpty(t) })
//	}
package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"sync"
	"testing"

	"yunxin/internal/jx"
	"yunxin/proto"
	"yunxin/server/store"
)

// Run runs the suite. open must return a new, empty store for each call
// (each subtest calls it once) and close it when t ends (t.Cleanup).
// Subtests run one after another; several of them write from many
// goroutines at once.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Users", testUsers},
		{"SendSeqAndTime", testSendSeqAndTime},
		{"SendDedupe", testSendDedupe},
		{"Messages", testMessages},
		{"MemberRows", testMemberRows},
		{"DerivedUnread", testDerivedUnread},
		{"ConvsSinceStampsAndPaging", testConvsSince},
		{"MarkRead", testMarkRead},
		{"Receipt", testReceipt},
		{"ChangeLog", testChangeLog},
		{"ConcurrentSends", testConcurrentSends},
		{"ConcurrentReadMarks", testConcurrentReadMarks},
		{"MessageLookup", testMessageLookup},
		{"Revoke", testRevoke},
		{"RevokeNoteToSelf", testRevokeNoteToSelf},
		{"History", testHistory},
		{"DeleteConvs", testDeleteConvs},
	}
	tests = append(tests, peopleTests...)
	tests = append(tests, teamTests...)
	tests = append(tests, teamReceiptTests...)
	tests = append(tests, leftReadTests...)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, open(t))
		})
	}
}

// msg is a P2P text message from → to with client id cid.
func msg(from, to, cid string) proto.Msg {
	body, _ := json.Marshal(map[string]string{"text": "text of " + cid})
	return proto.Msg{From: from, To: to, Conv: proto.P2PConv(from, to), ChatType: proto.ChatP2P,
		ClientID: cid, Type: proto.MsgText, Body: body, FromClient: proto.ClientWeb}
}

// send stores msg(from, to, cid) at nowMs and fails t if it was a dup.
func send(t *testing.T, s store.Store, from, to, cid string, nowMs int64) proto.Msg {
	t.Helper()
	m, dup, err := s.Send(t.Context(), msg(from, to, cid), nowMs)
	if err != nil || dup {
		t.Fatalf("send %s→%s %s: dup=%v, %v", from, to, cid, dup, err)
	}
	return m
}

// convs returns all of account's conversations with a stamp above since.
func convs(t *testing.T, s store.Store, account string, since int64) []proto.Conv {
	t.Helper()
	cs, err := s.ConvsSince(t.Context(), account, since, 1000)
	if err != nil {
		t.Fatalf("ConvsSince(%s, %d): %v", account, since, err)
	}
	return cs
}

// conv returns account's view of conv (from ConvsSince 0), failing t if
// there is none.
func conv(t *testing.T, s store.Store, account, id string) proto.Conv {
	t.Helper()
	for _, c := range convs(t, s, account, 0) {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("%s has no conversation %s", account, id)
	return proto.Conv{}
}

// changes returns all of account's changes after since.
func changes(t *testing.T, s store.Store, account string, since int64) []proto.Change {
	t.Helper()
	cs, err := s.ChangesSince(t.Context(), account, since, 1000)
	if err != nil {
		t.Fatalf("ChangesSince(%s, %d): %v", account, since, err)
	}
	return cs
}

func testUsers(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := store.User{Accid: "alice", Name: "Alice", Icon: "http://x/a.png", Salt: []byte{1, 2}, TokenHash: []byte{3, 4}, CreatedMs: 5}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateUser(ctx, store.User{Accid: "alice", Salt: []byte{9}, TokenHash: []byte{9}}); !errors.Is(err, store.ErrExists) {
		t.Fatalf("CreateUser of a taken accid: %v, want ErrExists", err)
	}
	got, err := s.User(ctx, "alice")
	if err != nil || !reflect.DeepEqual(got, u) {
		t.Fatalf("User = %+v, %v; want %+v", got, err, u)
	}
	if _, err := s.User(ctx, "bob"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("User of a missing account: %v, want ErrNotFound", err)
	}
	if err := s.SetToken(ctx, "alice", []byte{7}, []byte{8}); err != nil {
		t.Fatal(err)
	}
	got, err = s.User(ctx, "alice")
	if err != nil || string(got.Salt) != "\x07" || string(got.TokenHash) != "\x08" || got.Name != "Alice" {
		t.Fatalf("after SetToken: %+v, %v", got, err)
	}
	if err := s.SetToken(ctx, "bob", []byte{1}, []byte{1}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("SetToken of a missing account: %v, want ErrNotFound", err)
	}
}

// Seq counts 1, 2, 3… per conversation; Time is max(now, last time + 1).
func testSendSeqAndTime(t *testing.T, s store.Store) {
	in := msg("a", "b", "c1")
	in.Ext = jx.RawMessage(`{"k":"v"}`)
	m1, dup, err := s.Send(t.Context(), in, 1000)
	if err != nil || dup {
		t.Fatalf("send: dup=%v, %v", dup, err)
	}
	if m1.Seq != 1 || m1.Time != 1000 || m1.ServerID == "" || m1.Conv != "p:a|b" || m1.From != "a" || m1.To != "b" ||
		string(m1.Body) != string(in.Body) || string(m1.Ext) != `{"k":"v"}` || m1.FromClient != proto.ClientWeb || m1.ClientID != "c1" {
		t.Fatalf("first message: %+v", m1)
	}
	m2 := send(t, s, "b", "a", "c1", 500) // clock behind: last time + 1
	if m2.Seq != 2 || m2.Time != 1001 || m2.ServerID == m1.ServerID {
		t.Fatalf("second message: %+v", m2)
	}
	m3 := send(t, s, "a", "b", "c2", 1001) // same ms as the last: + 1
	if m3.Seq != 3 || m3.Time != 1002 {
		t.Fatalf("third message: %+v", m3)
	}
	m4 := send(t, s, "a", "b", "c3", 9000) // clock ahead: now
	if m4.Seq != 4 || m4.Time != 9000 {
		t.Fatalf("fourth message: %+v", m4)
	}
	other := send(t, s, "a", "c", "c4", 10) // another conversation starts at 1, its own times
	if other.Seq != 1 || other.Time != 10 || other.Conv != "p:a|c" {
		t.Fatalf("message of another conversation: %+v", other)
	}
	got, err := s.Messages(t.Context(), "p:a|b", 0, 100)
	if err != nil || !reflect.DeepEqual(got, []proto.Msg{m1, m2, m3, m4}) {
		t.Fatalf("Messages = %+v, %v\nwant %+v", got, err, []proto.Msg{m1, m2, m3, m4})
	}
	c := conv(t, s, "b", "p:a|b")
	if c.LastSeq != 4 || c.LastTime != 9000 || c.ChatType != proto.ChatP2P {
		t.Fatalf("b's view after 4 messages: %+v", c)
	}
}

// A resend of (From, ClientID) returns the stored message and writes
// nothing.
func testSendDedupe(t *testing.T, s store.Store) {
	first := send(t, s, "a", "b", "c1", 1000)
	before := conv(t, s, "a", first.Conv)
	again := msg("a", "b", "c1")
	again.Body = jx.RawMessage(`{"text":"changed"}`)
	got, dup, err := s.Send(t.Context(), again, 5000)
	if err != nil || !dup || !reflect.DeepEqual(got, first) {
		t.Fatalf("resend = %+v dup=%v %v; want the stored %+v, dup", got, dup, err, first)
	}
	if after := conv(t, s, "a", first.Conv); after != before {
		t.Fatalf("a dup moved the conversation: %+v, was %+v", after, before)
	}
	if cs := convs(t, s, "b", before.Ver); len(cs) != 0 {
		t.Fatalf("a dup moved the stamp: %+v", cs)
	}
	// The same client id from another sender is another message.
	other := send(t, s, "b", "a", "c1", 1000)
	if other.Seq != 2 || other.ServerID == first.ServerID {
		t.Fatalf("same cid, other sender: %+v", other)
	}
	if ms, err := s.Messages(t.Context(), first.Conv, 0, 100); err != nil || len(ms) != 2 {
		t.Fatalf("messages after a dup: %+v, %v", ms, err)
	}
}

// Messages pages by seq.
func testMessages(t *testing.T, s store.Store) {
	for i := range 5 {
		send(t, s, "a", "b", "c"+strconv.Itoa(i), 1000)
	}
	send(t, s, "a", "c", "x", 1000)
	ms, err := s.Messages(t.Context(), "p:a|b", 1, 3)
	if err != nil || len(ms) != 3 || ms[0].Seq != 2 || ms[2].Seq != 4 {
		t.Fatalf("Messages(after 1, limit 3) = %+v, %v", ms, err)
	}
	ms, err = s.Messages(t.Context(), "p:a|b", 4, 100)
	if err != nil || len(ms) != 1 || ms[0].Seq != 5 || ms[0].ClientID != "c4" {
		t.Fatalf("Messages(after 4) = %+v, %v", ms, err)
	}
	ms, err = s.Messages(t.Context(), "p:a|b", 5, 100)
	if err != nil || len(ms) != 0 {
		t.Fatalf("Messages(after the last) = %+v, %v", ms, err)
	}
	ms, err = s.Messages(t.Context(), "p:nobody|else", 0, 100)
	if err != nil || len(ms) != 0 {
		t.Fatalf("Messages of an unknown conversation = %+v, %v", ms, err)
	}
}

// A P2P message makes both accounts members (one for a note to self), each
// seeing the other as Peer.
func testMemberRows(t *testing.T, s store.Store) {
	ctx := t.Context()
	send(t, s, "a", "b", "c1", 1000)
	for _, tc := range []struct {
		account, conv string
		want          bool
	}{{"a", "p:a|b", true}, {"b", "p:a|b", true}, {"c", "p:a|b", false}, {"a", "p:a|c", false}} {
		got, err := s.IsMember(ctx, tc.account, tc.conv)
		if err != nil || got != tc.want {
			t.Errorf("IsMember(%s, %s) = %v, %v; want %v", tc.account, tc.conv, got, err, tc.want)
		}
	}
	if c := conv(t, s, "a", "p:a|b"); c.Peer != "b" {
		t.Errorf("a's peer: %+v", c)
	}
	if c := conv(t, s, "b", "p:a|b"); c.Peer != "a" {
		t.Errorf("b's peer: %+v", c)
	}
	if cs := convs(t, s, "c", 0); len(cs) != 0 {
		t.Errorf("c sees %+v", cs)
	}

	self := send(t, s, "me", "me", "n1", 1000)
	send(t, s, "me", "me", "n2", 1000)
	if self.Conv != "p:me|me" {
		t.Fatalf("note to self: %+v", self)
	}
	cs := convs(t, s, "me", 0)
	if len(cs) != 1 || cs[0].Peer != "me" || cs[0].LastSeq != 2 || cs[0].Unread != 0 {
		t.Fatalf("me's notes to self: %+v", cs)
	}
	if ok, err := s.IsMember(ctx, "me", "p:me|me"); err != nil || !ok {
		t.Fatalf("IsMember(me, p:me|me) = %v, %v", ok, err)
	}
	c, _, err := s.MarkRead(ctx, "me", "p:me|me", 2)
	if err != nil || c.ReadSeq != 2 || c.Unread != 0 {
		t.Fatalf("MarkRead of a note to self: %+v, %v", c, err)
	}
}

// Unread is the number of messages from others after the read mark.
func testDerivedUnread(t *testing.T, s store.Store) {
	ctx := t.Context()
	send(t, s, "a", "b", "1", 1000) // 1
	send(t, s, "a", "b", "2", 1000) // 2
	send(t, s, "b", "a", "3", 1000) // 3
	send(t, s, "a", "b", "4", 1000) // 4
	send(t, s, "b", "a", "5", 1000) // 5
	if c := conv(t, s, "b", "p:a|b"); c.Unread != 3 || c.ReadSeq != 0 {
		t.Fatalf("b: %+v, want 3 unread", c)
	}
	if c := conv(t, s, "a", "p:a|b"); c.Unread != 2 {
		t.Fatalf("a: %+v, want 2 unread", c)
	}
	c, _, err := s.MarkRead(ctx, "b", "p:a|b", 3)
	if err != nil || c.ReadSeq != 3 || c.Unread != 1 {
		t.Fatalf("b read up to 3: %+v, %v; want 1 unread", c, err)
	}
	if got := conv(t, s, "b", "p:a|b"); got != c {
		t.Fatalf("ConvsSince after MarkRead = %+v, MarkRead returned %+v", got, c)
	}
	send(t, s, "a", "b", "6", 1000)
	send(t, s, "b", "a", "7", 1000)
	if c := conv(t, s, "b", "p:a|b"); c.Unread != 2 || c.ReadSeq != 3 || c.LastSeq != 7 {
		t.Fatalf("b after two more: %+v, want 2 unread", c)
	}
	if c := conv(t, s, "a", "p:a|b"); c.Unread != 3 {
		t.Fatalf("a after two more: %+v, want 3 unread", c)
	}
}

// Conversations come in stamp order; a new message moves its conversation
// after all others; limit pages.
func testConvsSince(t *testing.T, s store.Store) {
	ctx := t.Context()
	const n = 7
	for i := range n {
		send(t, s, "a", fmt.Sprint("p", i), fmt.Sprint("c", i), 1000)
	}
	all := convs(t, s, "a", 0)
	if len(all) != n {
		t.Fatalf("%d conversations, want %d: %+v", len(all), n, all)
	}
	for i, c := range all {
		if c.Peer != fmt.Sprint("p", i) || c.LastSeq != 1 || (i > 0 && c.Ver <= all[i-1].Ver) {
			t.Fatalf("conversation %d: %+v (all: %+v)", i, c, all)
		}
	}
	// Page by 3.
	var paged []proto.Conv
	since := int64(0)
	for pages := 0; ; pages++ {
		if pages > n {
			t.Fatal("paging does not end")
		}
		page, err := s.ConvsSince(ctx, "a", since, 3)
		if err != nil || len(page) > 3 {
			t.Fatalf("page from %d: %+v, %v", since, page, err)
		}
		if len(page) == 0 {
			break
		}
		paged = append(paged, page...)
		since = page[len(page)-1].Ver
	}
	if !reflect.DeepEqual(paged, all) {
		t.Fatalf("paged %+v\nall %+v", paged, all)
	}
	top := all[n-1].Ver
	if cs := convs(t, s, "a", top); len(cs) != 0 {
		t.Fatalf("nothing after the top stamp, got %+v", cs)
	}
	// A message in the first conversation moves it past the others, for
	// both members; the stamp is store-wide, so p0 sees a new stamp too.
	send(t, s, "p0", "a", "back", 1000)
	cs := convs(t, s, "a", top)
	if len(cs) != 1 || cs[0].Peer != "p0" || cs[0].LastSeq != 2 || cs[0].Ver <= top || cs[0].Unread != 1 {
		t.Fatalf("after a reply: %+v", cs)
	}
	if got := convs(t, s, "p0", top); len(got) != 1 || got[0].Ver != cs[0].Ver || got[0].Peer != "a" {
		t.Fatalf("p0 after its reply: %+v", got)
	}
	if got := convs(t, s, "p1", all[0].Ver); len(got) != 1 || got[0].Ver != all[1].Ver {
		t.Fatalf("p1: %+v", got)
	}
	// Limit 1 returns the oldest stamp first.
	first, err := s.ConvsSince(ctx, "a", 0, 1)
	if err != nil || len(first) != 1 || first[0].Peer != "p1" {
		t.Fatalf("ConvsSince(limit 1) = %+v, %v", first, err)
	}
}

// MarkRead never moves down, stops at the last seq, does not move the stamp,
// and logs the Conv in the reader's log.
func testMarkRead(t *testing.T, s store.Store) {
	ctx := t.Context()
	for i := range 4 {
		send(t, s, "a", "b", strconv.Itoa(i), 1000)
	}
	before := conv(t, s, "b", "p:a|b")
	c, ch, err := s.MarkRead(ctx, "b", "p:a|b", 2)
	if err != nil || c.ReadSeq != 2 || c.Unread != 2 || c.Ver != before.Ver || c.Peer != "a" || c.LastSeq != 4 {
		t.Fatalf("MarkRead(2) = %+v, %v", c, err)
	}
	if ch.Account != "b" || ch.Kind != proto.ChangeConv || ch.Key != "p:a|b" || ch.Ver <= 0 || ch.Deleted {
		t.Fatalf("change %+v", ch)
	}
	var logged proto.Conv
	if err := json.Unmarshal(ch.Data, &logged); err != nil || logged != c {
		t.Fatalf("change data %s (%v), want %+v", ch.Data, err, c)
	}
	if got := changes(t, s, "b", 0); len(got) != 1 || !reflect.DeepEqual(got[0], ch.Change) {
		t.Fatalf("b's log %+v, want [%+v]", got, ch.Change)
	}
	if cs := convs(t, s, "b", before.Ver); len(cs) != 0 {
		t.Fatalf("a read mark moved the stamp: %+v", cs)
	}
	// A mark that does not move writes nothing and logs nothing, and
	// still returns the Conv.
	for _, seq := range []int64{1, 2} {
		c, none, err := s.MarkRead(ctx, "b", "p:a|b", seq)
		if err != nil || c.ReadSeq != 2 || c.Unread != 2 || !reflect.DeepEqual(none, store.Change{}) {
			t.Fatalf("MarkRead(%d) after 2 = %+v %+v, %v; the mark must not go down, and no change", seq, c, none, err)
		}
	}
	if got := changes(t, s, "b", 0); len(got) != 1 || !reflect.DeepEqual(got[0], ch.Change) {
		t.Fatalf("b's log after marks that did not move %+v, want [%+v]", got, ch.Change)
	}
	c, ch2, err := s.MarkRead(ctx, "b", "p:a|b", 99)
	if err != nil || c.ReadSeq != 4 || c.Unread != 0 || ch2.Ver <= ch.Ver {
		t.Fatalf("MarkRead(99) = %+v %+v, %v; want the last seq 4 and a new change", c, ch2, err)
	}
	if _, none, err := s.MarkRead(ctx, "b", "p:a|b", 99); err != nil || !reflect.DeepEqual(none, store.Change{}) {
		t.Fatalf("MarkRead(99) again: %+v, %v; want no change", none, err)
	}
	if got := conv(t, s, "b", "p:a|b"); got != c {
		t.Fatalf("ConvsSince %+v, MarkRead returned %+v", got, c)
	}
	if got := conv(t, s, "a", "p:a|b"); got.ReadSeq != 0 {
		t.Fatalf("b's mark moved a's: %+v", got)
	}
	if got := changes(t, s, "a", 0); len(got) != 0 {
		t.Fatalf("b's read mark went to a's log: %+v", got)
	}
	for _, tc := range []struct{ account, conv string }{{"c", "p:a|b"}, {"b", "p:b|c"}} {
		if _, _, err := s.MarkRead(ctx, tc.account, tc.conv, 1); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("MarkRead(%s, %s): %v, want ErrNotFound", tc.account, tc.conv, err)
		}
	}
}

// A receipt moves the reader's receipt mark (never down, at most the last
// seq), shows as PeerReadSeq/Time in the peer's view and goes to the
// peer's log.
func testReceipt(t *testing.T, s store.Store) {
	ctx := t.Context()
	for i := range 5 {
		send(t, s, "a", "b", strconv.Itoa(i), 1000)
	}
	r, ch, err := s.Receipt(ctx, "b", "a", "p:a|b", 3, 7000, "cid-3")
	want := proto.Receipt{Conv: "p:a|b", From: "b", Seq: 3, ClientID: "cid-3", Time: 7000}
	if err != nil || r != want {
		t.Fatalf("Receipt = %+v, %v; want %+v", r, err, want)
	}
	if ch.Account != "a" || ch.Kind != proto.ChangeReceipt || ch.Key != "p:a|b" || ch.Ver <= 0 {
		t.Fatalf("change %+v", ch)
	}
	var logged proto.Receipt
	if err := json.Unmarshal(ch.Data, &logged); err != nil || logged != want {
		t.Fatalf("change data %s (%v), want %+v", ch.Data, err, want)
	}
	if got := changes(t, s, "a", 0); len(got) != 1 || !reflect.DeepEqual(got[0], ch.Change) {
		t.Fatalf("a's log %+v, want [%+v]", got, ch.Change)
	}
	if got := changes(t, s, "b", 0); len(got) != 0 {
		t.Fatalf("b's log %+v, want empty", got)
	}
	if c := conv(t, s, "a", "p:a|b"); c.PeerReadSeq != 3 || c.PeerReadTime != 7000 {
		t.Fatalf("a's view: %+v, want peer read 3 at 7000", c)
	}
	if c := conv(t, s, "b", "p:a|b"); c.PeerReadSeq != 0 || c.ReadSeq != 0 {
		t.Fatalf("b's view: %+v, a sent no receipt and b marked nothing read", c)
	}
	// A receipt that does not raise the mark writes nothing and returns
	// the stored receipt (its time and cid, not the request's).
	for _, seq := range []int64{2, 3} {
		r, none, err := s.Receipt(ctx, "b", "a", "p:a|b", seq, 8000, "cid-stale")
		if err != nil || r != want || !reflect.DeepEqual(none, store.Change{}) {
			t.Fatalf("Receipt(%d) after 3 = %+v %+v, %v; want the stored %+v and no change", seq, r, none, err, want)
		}
	}
	if got := changes(t, s, "a", 0); len(got) != 1 || !reflect.DeepEqual(got[0], ch.Change) {
		t.Fatalf("a's log after stale receipts %+v, want [%+v]", got, ch.Change)
	}
	if c := conv(t, s, "a", "p:a|b"); c.PeerReadSeq != 3 || c.PeerReadTime != 7000 {
		t.Fatalf("a's view after stale receipts: %+v, want peer read 3 at 7000", c)
	}
	r, ch2, err := s.Receipt(ctx, "b", "a", "p:a|b", 50, 9000, "")
	if err != nil || r.Seq != 5 || r.Time != 9000 || ch2.Ver <= ch.Ver {
		t.Fatalf("Receipt(50) = %+v %+v, %v; want the last seq 5 and a new change", r, ch2, err)
	}
	if r, none, err := s.Receipt(ctx, "b", "a", "p:a|b", 50, 9500, "x"); err != nil || r.Seq != 5 || r.Time != 9000 || r.ClientID != "" || !reflect.DeepEqual(none, store.Change{}) {
		t.Fatalf("Receipt(50) again = %+v %+v, %v; want the stored one, no change", r, none, err)
	}
	if c := conv(t, s, "a", "p:a|b"); c.PeerReadSeq != 5 || c.PeerReadTime != 9000 {
		t.Fatalf("a's view: %+v, want peer read 5 at 9000", c)
	}
	if got := changes(t, s, "a", 0); len(got) != 1 || got[0].Kind != proto.ChangeReceipt {
		t.Fatalf("a's log keeps one receipt per conversation: %+v", got)
	}
	for _, tc := range []struct{ account, peer, conv string }{
		{"c", "a", "p:a|b"}, // not a member
		{"b", "c", "p:b|c"}, // no such conversation
		{"b", "c", "p:a|b"}, // c is not b's peer
	} {
		if _, _, err := s.Receipt(ctx, tc.account, tc.peer, tc.conv, 1, 1000, ""); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Receipt(%s, %s, %s): %v, want ErrNotFound", tc.account, tc.peer, tc.conv, err)
		}
	}
	if got := changes(t, s, "c", 0); len(got) != 0 {
		t.Fatalf("failed receipts wrote to c's log: %+v", got)
	}
}

// The change log is in Ver order, keeps the newest change per (Kind, Key),
// pages by limit, and is per account.
func testChangeLog(t *testing.T, s store.Store) {
	ctx := t.Context()
	send(t, s, "b", "a", "1", 1000)
	send(t, s, "c", "a", "1", 1000)
	send(t, s, "a", "b", "2", 1000)
	if got := changes(t, s, "a", 0); len(got) != 0 {
		t.Fatalf("messages wrote to the log: %+v", got)
	}
	_, ab1, err := s.MarkRead(ctx, "a", "p:a|b", 1)
	if err != nil {
		t.Fatal(err)
	}
	_, ac, err := s.MarkRead(ctx, "a", "p:a|c", 1)
	if err != nil {
		t.Fatal(err)
	}
	_, rc, err := s.Receipt(ctx, "b", "a", "p:a|b", 2, 5000, "") // same key, other kind
	if err != nil {
		t.Fatal(err)
	}
	if !(ab1.Ver < ac.Ver && ac.Ver < rc.Ver) {
		t.Fatalf("vers not increasing: %d %d %d", ab1.Ver, ac.Ver, rc.Ver)
	}
	log := changes(t, s, "a", 0)
	if want := []proto.Change{ab1.Change, ac.Change, rc.Change}; !reflect.DeepEqual(log, want) {
		t.Fatalf("a's log %+v\nwant %+v", log, want)
	}
	// A new read mark in p:a|b replaces the old entry under a new Ver.
	c2, ab2, err := s.MarkRead(ctx, "a", "p:a|b", 2)
	if err != nil || ab2.Ver <= rc.Ver {
		t.Fatalf("second MarkRead: %+v, %v", ab2, err)
	}
	log = changes(t, s, "a", 0)
	if want := []proto.Change{ac.Change, rc.Change, ab2.Change}; !reflect.DeepEqual(log, want) {
		t.Fatalf("a's log after a newer read mark %+v\nwant %+v", log, want)
	}
	var logged proto.Conv
	if err := json.Unmarshal(log[2].Data, &logged); err != nil || logged != c2 || logged.ReadSeq != 2 {
		t.Fatalf("replaced entry %s (%v), want %+v", log[2].Data, err, c2)
	}
	// Since and limit.
	if got := changes(t, s, "a", ac.Ver); !reflect.DeepEqual(got, []proto.Change{rc.Change, ab2.Change}) {
		t.Fatalf("after %d: %+v", ac.Ver, got)
	}
	got, err := s.ChangesSince(ctx, "a", 0, 2)
	if err != nil || !reflect.DeepEqual(got, []proto.Change{ac.Change, rc.Change}) {
		t.Fatalf("limit 2: %+v, %v", got, err)
	}
	if got := changes(t, s, "a", ab2.Ver); len(got) != 0 {
		t.Fatalf("after the last: %+v", got)
	}
	// Each account counts its own.
	_, bc, err := s.MarkRead(ctx, "b", "p:a|b", 2)
	if err != nil || bc.Account != "b" || bc.Ver != 1 {
		t.Fatalf("b's first change: %+v, %v; want Ver 1", bc, err)
	}
	if got := changes(t, s, "b", 0); len(got) != 1 || got[0].Ver != 1 {
		t.Fatalf("b's log: %+v", got)
	}
}

// Concurrent sends in one conversation get gap-free seqs and strictly
// increasing times, even with a clock that stands still.
func testConcurrentSends(t *testing.T, s store.Store) {
	ctx := t.Context()
	const n = 40
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			from, to := "a", "b"
			if i%2 == 1 {
				from, to = "b", "a"
			}
			if _, _, err := s.Send(ctx, msg(from, to, fmt.Sprint("c", i)), 1000); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	ms, err := s.Messages(ctx, "p:a|b", 0, 1000)
	if err != nil || len(ms) != n {
		t.Fatalf("%d messages, %v", len(ms), err)
	}
	for i, m := range ms {
		if m.Seq != int64(i+1) || (i > 0 && m.Time <= ms[i-1].Time) {
			t.Fatalf("message %d: %+v (previous %+v)", i, m, ms[max(i-1, 0)])
		}
	}
	c := conv(t, s, "b", "p:a|b")
	if c.LastSeq != n || c.LastTime != ms[n-1].Time || c.Unread != n/2 || c.Peer != "a" {
		t.Fatalf("b's view: %+v", c)
	}
}

// Read marks moved from many goroutines while messages arrive end at the
// highest mark; each MarkRead that moved the mark got its own Ver, and
// the others logged nothing.
func testConcurrentReadMarks(t *testing.T, s store.Store) {
	ctx := t.Context()
	for i := range 20 {
		send(t, s, "a", "b", fmt.Sprint("m", i), 1000)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	vers := map[int64]bool{}
	for i := 1; i <= 20; i++ {
		wg.Go(func() {
			_, ch, err := s.MarkRead(ctx, "b", "p:a|b", int64(i))
			if err != nil {
				t.Error(err)
				return
			}
			if ch.Ver == 0 {
				return // an earlier, higher mark won
			}
			mu.Lock()
			if vers[ch.Ver] {
				t.Errorf("Ver %d twice", ch.Ver)
			}
			vers[ch.Ver] = true
			mu.Unlock()
		})
		wg.Go(func() {
			if _, _, err := s.Send(ctx, msg("a", "b", fmt.Sprint("n", i)), 1000); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if len(vers) == 0 || vers[0] {
		t.Fatalf("vers of the read marks: %v", vers)
	}
	c := conv(t, s, "b", "p:a|b")
	if c.ReadSeq != 20 || c.LastSeq != 40 || c.Unread != 20 {
		t.Fatalf("b's view: %+v, want read 20 of 40", c)
	}
	log := changes(t, s, "b", 0)
	if len(log) != 1 || log[0].Ver != int64(len(vers)) {
		t.Fatalf("b's log: %+v, want one entry at Ver %d (one per mark that moved)", log, len(vers))
	}
	var logged proto.Conv
	if err := json.Unmarshal(log[0].Data, &logged); err != nil || logged.ReadSeq != 20 {
		t.Fatalf("b's logged conv %s, %v; want read 20", log[0].Data, err)
	}
}
