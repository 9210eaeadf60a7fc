package sqlitestore

import (
	"database/sql"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"yunxin/internal/jx"
	"yunxin/proto"
)

// dedupeIndex is the column order of the messages table's unique index
// that holds cid.
func dedupeIndex(t *testing.T, db *sql.DB) string {
	t.Helper()
	rows, err := db.Query(`SELECT il.name, ii.name FROM pragma_index_list('messages') il, pragma_index_info(il.name) ii
		WHERE il."unique" = 1 ORDER BY il.name, ii.seqno`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols := map[string][]string{}
	for rows.Next() {
		var idx, col string
		if err := rows.Scan(&idx, &col); err != nil {
			t.Fatal(err)
		}
		cols[idx] = append(cols[idx], col)
	}
	for _, c := range cols {
		if strings.Contains(strings.Join(c, ","), "cid") {
			return strings.Join(c, ",")
		}
	}
	t.Fatalf("no unique index with cid: %v", cols)
	return ""
}

// dumpMessages is every message row, in id order, and the table's
// AUTOINCREMENT high-water mark.
func dumpMessages(t *testing.T, db *sql.DB) ([]string, int64) {
	t.Helper()
	rows, err := db.Query(`SELECT json_array(id, conv, seq, cid, sender, receiver, chat_type, type, body, ext, time_ms, from_client,
		revoked_ms, revoked_by, revoke_ps, nick, team_receipt, receipt_total, receipt_read) FROM messages ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	var hw int64
	if err := db.QueryRow(`SELECT seq FROM sqlite_sequence WHERE name = 'messages'`).Scan(&hw); err != nil {
		t.Fatal(err)
	}
	return out, hw
}

// TestMigrateMessagesCidFirst: migration 8 rebuilds the messages table with
// its dedupe index cid first, keeping every row and the server ids' high-
// water mark; sends still dedupe; Down puts the old order back.
func TestMigrateMessagesCidFirst(t *testing.T) {
	ctx := t.Context()
	dir := copyFixture(t, "v0-main-c82d040.db")
	db, p := migrator(t, dir)
	if _, err := p.UpTo(ctx, 7); err != nil {
		t.Fatal(err)
	}
	if got := dedupeIndex(t, db); got != "sender,cid" {
		t.Fatalf("index before migration 8: %s", got)
	}
	// A high-water mark above the highest id, as after a deleted row.
	if _, err := db.Exec(`UPDATE sqlite_sequence SET seq = seq + 5 WHERE name = 'messages'`); err != nil {
		t.Fatal(err)
	}
	before, hw := dumpMessages(t, db)
	if len(before) == 0 {
		t.Fatal("the fixture has no messages")
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatal(err)
	}
	if got := dedupeIndex(t, db); got != "cid,sender" {
		t.Fatalf("index after migration 8: %s", got)
	}
	after, hw2 := dumpMessages(t, db)
	if !reflect.DeepEqual(before, after) || hw2 != hw {
		t.Fatalf("rows or high-water mark changed: %d rows, mark %d → %d rows, mark %d", len(before), hw, len(after), hw2)
	}

	s := open(t, dir, nil)
	m := proto.Msg{From: "bob", To: "alice", Conv: proto.P2PConv("alice", "bob"), ClientID: "after-8", Type: proto.MsgText,
		Body: jx.RawMessage(`{"text":"x"}`)}
	got, dup, err := s.Send(ctx, m, 1)
	if err != nil || dup || got.ServerID != fmt.Sprint(hw+1) {
		t.Fatalf("send after migration 8: id %s dup %v err %v; want id %d", got.ServerID, dup, err, hw+1)
	}
	again, dup, err := s.Send(ctx, m, 2)
	if err != nil || !dup || again.ServerID != got.ServerID {
		t.Fatalf("resend after migration 8: %+v dup %v err %v", again, dup, err)
	}
	s.Close()

	if _, err := p.DownTo(ctx, 7); err != nil {
		t.Fatal(err)
	}
	if got := dedupeIndex(t, db); got != "sender,cid" {
		t.Fatalf("index after migration 8's down: %s", got)
	}
	down, hw3 := dumpMessages(t, db)
	if len(down) != len(before)+1 || !reflect.DeepEqual(down[:len(before)], before) || hw3 != hw+1 {
		t.Fatalf("after down: %d rows (want %d), mark %d (want %d)", len(down), len(before)+1, hw3, hw+1)
	}
}
