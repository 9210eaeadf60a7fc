package sqlitestore

import (
	"encoding/json"
	"testing"

	"yunxin/internal/jx"
	"yunxin/proto"
	"yunxin/server/store"
)

// teamReceiptFixture opens a store in dir with a team of own, a and b, a
// message of own asking for receipts and a's receipt of it.
func teamReceiptFixture(t *testing.T, dir string) (*Store, proto.Team, proto.Msg) {
	t.Helper()
	ctx := t.Context()
	s := open(t, dir, nil)
	for _, a := range []string{"own", "a", "b"} {
		if err := s.CreateUser(ctx, store.User{Accid: a, Salt: []byte{1}, TokenHash: []byte{2}, CreatedMs: 1}); err != nil {
			t.Fatal(err)
		}
	}
	tm, _, _, err := s.CreateTeam(ctx, "own", proto.CreateTeamReq{Name: "t", Members: []string{"a", "b"}}, 0, 2)
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := s.Send(ctx, proto.Msg{From: "own", To: tm.ID, Conv: proto.TeamConv(tm.ID), ChatType: proto.ChatTeam, ClientID: "r1",
		Body: jx.RawMessage(`{"text":"x"}`), TeamReceipt: true}, 3)
	if err != nil || m.ReceiptUnread != 2 {
		t.Fatalf("send %+v, %v", m, err)
	}
	if got, _, err := s.TeamReceipt(ctx, "a", tm.ID, []int64{m.Seq}, 4); err != nil || len(got) != 1 {
		t.Fatalf("a's receipt %v, %v", got, err)
	}
	return s, tm, m
}

// Migration 6 can be undone and done again: down removes the counts, the
// readers and the log entries, and keeps the messages.
func TestMigrateTeamReceiptsDownUp(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	s, tm, m := teamReceiptFixture(t, dir)
	s.Close()

	db, p := migrator(t, dir)
	if _, err := p.DownTo(ctx, 5); err != nil {
		t.Fatalf("down to 5: %v", err)
	}
	count := func(q string) int {
		t.Helper()
		var n int
		if err := db.QueryRow(q).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}
	for q, want := range map[string]int{
		`SELECT COUNT(*) FROM sqlite_master WHERE name = 'team_receipts'`:                   0,
		`SELECT COUNT(*) FROM pragma_table_info('messages') WHERE name LIKE '%receipt%'`:    0,
		`SELECT COUNT(*) FROM messages WHERE cid = 'r1'`:                                    1,
		`SELECT COUNT(*) FROM changes WHERE kind = 'treceipt'`:                              0,
		`SELECT COUNT(*) FROM changes WHERE kind = 'team' AND account IN ('own', 'a', 'b')`: 3,
	} {
		if got := count(q); got != want {
			t.Errorf("%s = %d after down, want %d", q, got, want)
		}
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("up again: %v", err)
	}
	s = open(t, dir, nil)
	old, err := s.Message(ctx, proto.TeamConv(tm.ID), m.Seq)
	if err != nil || old.TeamReceipt || old.ReceiptRead != 0 || old.ReceiptUnread != 0 {
		t.Fatalf("message after down and up %+v, %v", old, err)
	}
	// It no longer asks; a new one does.
	if got, _, err := s.TeamReceipt(ctx, "b", tm.ID, []int64{m.Seq}, 5); err != nil || len(got) != 0 {
		t.Fatalf("b's receipt of the old message %v, %v", got, err)
	}
	again, _, err := s.Send(ctx, proto.Msg{From: "own", To: tm.ID, Conv: proto.TeamConv(tm.ID), ChatType: proto.ChatTeam, ClientID: "r2",
		Body: jx.RawMessage(`{"text":"x"}`), TeamReceipt: true}, 6)
	if err != nil || again.ReceiptUnread != 2 {
		t.Fatalf("send after down and up %+v, %v", again, err)
	}
}

// The unread count never goes below zero, even when the stored total is
// below the receipts (a total from an older rule, a hand-edited row).
func TestTeamReceiptUnreadNotNegative(t *testing.T) {
	ctx := t.Context()
	s, tm, m := teamReceiptFixture(t, t.TempDir())
	conv := proto.TeamConv(tm.ID)
	if _, err := s.w.ExecContext(ctx, `UPDATE messages SET receipt_total = 0 WHERE conv = ? AND seq = ?`, conv, m.Seq); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Message(ctx, conv, m.Seq); got.ReceiptRead != 1 || got.ReceiptUnread != 0 {
		t.Fatalf("message %+v, want read 1 unread 0", got)
	}
	_, chs, err := s.TeamReceipt(ctx, "b", tm.ID, []int64{m.Seq}, 5)
	if err != nil || len(chs) != 1 {
		t.Fatalf("b's receipt: %v, %v", chs, err)
	}
	var info proto.TeamReceiptInfo
	if err := json.Unmarshal(chs[0].Data, &info); err != nil || info.Read != 2 || info.Unread != 0 {
		t.Fatalf("receipt change %+v, %v", info, err)
	}
}
