package sqlitestore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/pressly/goose/v3"
	"yunxin/internal/jx"
	"yunxin/proto"
	"yunxin/server/store"
	"yunxin/server/store/storetest"
)

// open opens a store in dir, closed when t ends, logging to log (nil:
// discard).
func open(t testing.TB, dir string, log *slog.Logger) *Store {
	t.Helper()
	s, err := Open(context.Background(), dir, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t, t.TempDir(), nil) })
}

// A resend after a restart is still a dup.
func TestReopen(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	s := open(t, dir, nil)
	m := proto.Msg{From: "a", To: "b", Conv: proto.P2PConv("a", "b"), ClientID: "c1", Body: jx.RawMessage(`{"text":"x"}`)}
	first, _, err := s.Send(ctx, m, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, dir, nil)
	again, dup, err := s.Send(ctx, m, 2000)
	if err != nil || !dup || !reflect.DeepEqual(again, first) {
		t.Fatalf("resend after reopen: %+v %v %v, want %+v", again, dup, err, first)
	}
	next, _, err := s.Send(ctx, proto.Msg{From: "b", To: "a", Conv: m.Conv, ClientID: "c2", Body: m.Body}, 1500)
	if err != nil || next.Seq != 2 || next.Time != 1500 {
		t.Fatalf("next after reopen: %+v, %v", next, err)
	}
}

// logRecorder is a slog.Handler that keeps the messages and attributes of
// the records it gets.
type logRecorder struct {
	mu   sync.Mutex
	recs []map[string]any
}

func (l *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logRecorder) WithGroup(string) slog.Handler            { return l }
func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	rec := map[string]any{"msg": r.Message}
	r.Attrs(func(a slog.Attr) bool { rec[a.Key] = a.Value.Any(); return true })
	l.mu.Lock()
	l.recs = append(l.recs, rec)
	l.mu.Unlock()
	return nil
}

// applied returns the versions of the "schema migration applied" records.
func (l *logRecorder) applied() []int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	var vs []int64
	for _, r := range l.recs {
		if r["msg"] == "schema migration applied" {
			vs = append(vs, r["version"].(int64))
		}
	}
	return vs
}

// latestVersion is the highest migration version embedded.
func latestVersion(t *testing.T) int64 {
	t.Helper()
	files, err := fs.Sub(migrations, "migrations/sqlite")
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectSQLite3, db, files, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	srcs := p.ListSources()
	return srcs[len(srcs)-1].Version
}

// dbVersion is the goose version of the database in dir.
func dbVersion(t *testing.T, dir string) int64 {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, FileName)+"?_pragma=query_only(1)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v int64
	if err := db.QueryRow(`SELECT MAX(version_id) FROM goose_db_version WHERE is_applied`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// A fresh database gets every migration once.
func TestMigrateFresh(t *testing.T) {
	dir := t.TempDir()
	var rec logRecorder
	open(t, dir, slog.New(&rec)).Close()
	latest := latestVersion(t)
	if got := rec.applied(); len(got) != int(latest) || got[0] != 1 || got[len(got)-1] != latest {
		t.Fatalf("applied %v, want 1…%d", got, latest)
	}
	if v := dbVersion(t, dir); v != latest {
		t.Fatalf("version %d, want %d", v, latest)
	}
}

// copyFixture copies testdata/name into a new data directory as its
// database and returns the directory.
// migrator opens the database in dir and a goose provider of the embedded
// migrations on it; the database is closed when t ends.
func migrator(t *testing.T, dir string) (*sql.DB, *goose.Provider) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	files, _ := fs.Sub(migrations, "migrations/sqlite")
	p, err := goose.NewProvider(goose.DialectSQLite3, db, files, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	return db, p
}

func copyFixture(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, FileName), data, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// A data directory written by the server of main at c82d040 (no goose
// table, one convs row per account and conversation; see
// testdata/mkfixture.go.txt) is migrated without losing anything.
func TestMigrateFromV0(t *testing.T) {
	ctx := t.Context()
	dir := copyFixture(t, "v0-main-c82d040.db")
	var rec logRecorder
	s := open(t, dir, slog.New(&rec))
	latest := latestVersion(t)
	if got := rec.applied(); len(got) != int(latest) {
		t.Fatalf("applied %v, want all %d migrations", got, latest)
	}
	if v := dbVersion(t, dir); v != latest {
		t.Fatalf("version %d, want %d", v, latest)
	}

	for _, name := range []string{"alice", "bob", "carol"} {
		u, err := s.User(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if h := sha256.Sum256(append(append([]byte{}, u.Salt...), name+"-token"...)); !bytes.Equal(h[:], u.TokenHash) {
			t.Errorf("%s's token no longer verifies", name)
		}
	}

	const t0 = 1795000000000 // the fixture's first message time; one message per second
	ab, ac, aa := proto.P2PConv("alice", "bob"), proto.P2PConv("alice", "carol"), proto.P2PConv("alice", "alice")
	byID := func(account string) map[string]proto.Conv {
		cs, err := s.ConvsSince(ctx, account, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]proto.Conv{}
		for i, c := range cs {
			if i > 0 && c.Ver <= cs[i-1].Ver {
				t.Errorf("%s's conversations not in stamp order: %+v", account, cs)
			}
			m[c.ID] = c
		}
		return m
	}
	alice := byID("alice")
	want := map[string]proto.Conv{
		// alice read up to 6: bob's 8 and 10 are unread; bob's receipt says 9.
		ab: {ID: ab, Peer: "bob", LastSeq: 10, LastTime: t0 + 9000, ReadSeq: 6, Unread: 2, PeerReadSeq: 9, PeerReadTime: t0 + 13000},
		ac: {ID: ac, Peer: "carol", LastSeq: 2, LastTime: t0 + 11000, Unread: 2},
		aa: {ID: aa, Peer: "alice", LastSeq: 1, LastTime: t0 + 12000},
	}
	checkConvs(t, "alice", alice, want)
	checkConvs(t, "bob", byID("bob"), map[string]proto.Conv{
		ab: {ID: ab, Peer: "alice", LastSeq: 10, LastTime: t0 + 9000, Unread: 5},
	})
	checkConvs(t, "carol", byID("carol"), map[string]proto.Conv{
		ac: {ID: ac, Peer: "alice", LastSeq: 2, LastTime: t0 + 11000},
	})

	ms, err := s.Messages(ctx, ab, 0, 100)
	if err != nil || len(ms) != 10 {
		t.Fatalf("%d messages of %s, %v", len(ms), ab, err)
	}
	for i, m := range ms {
		from, to, cid := "alice", "bob", fmt.Sprintf("ab-%d", i/2+1)
		if i%2 == 1 {
			from, to, cid = "bob", "alice", fmt.Sprintf("ba-%d", i/2+1)
		}
		text, _ := json.Marshal(map[string]string{"text": fmt.Sprintf("%s to %s %d", from, to, i/2+1)})
		if m.Seq != int64(i+1) || m.From != from || m.To != to || m.ClientID != cid || m.Time != t0+int64(i)*1000 ||
			string(m.Body) != string(text) || m.FromClient != proto.ClientWeb || m.ServerID != fmt.Sprint(i+1) {
			t.Errorf("message %d: %+v", i, m)
		}
	}
	ms, err = s.Messages(ctx, ac, 0, 100)
	if err != nil || len(ms) != 2 || string(ms[1].Body) != `{"text":"carol to alice 2 你好"}` {
		t.Fatalf("messages of %s: %+v, %v", ac, ms, err)
	}

	// The counters carry on: seq 11, a later stamp, the next server id,
	// alice's change log after her old counter (15).
	m, dup, err := s.Send(ctx, proto.Msg{From: "bob", To: "alice", Conv: ab, ClientID: "ba-6", Body: jx.RawMessage(`{"text":"again"}`), FromClient: 16}, t0+20000)
	if err != nil || dup || m.Seq != 11 || m.ServerID != "14" {
		t.Fatalf("new send: %+v %v %v", m, dup, err)
	}
	if cs, err := s.ConvsSince(ctx, "alice", alice[aa].Ver, 100); err != nil || len(cs) != 1 || cs[0].ID != ab || cs[0].Unread != 3 {
		t.Fatalf("alice after the new send: %+v, %v", cs, err)
	}
	if _, ch, err := s.MarkRead(ctx, "alice", ab, 11); err != nil || ch.Ver != 16 {
		t.Fatalf("alice's first change: %+v, %v; want Ver 16", ch, err)
	}
	if _, ch, err := s.Receipt(ctx, "alice", "bob", ab, 11, t0+30000, "ba-6"); err != nil || ch.Account != "bob" || ch.Ver != 11 {
		t.Fatalf("alice's receipt: %+v, %v; want Ver 11 in bob's log", ch, err)
	}
	// People (migration 4): every profile at version 1, last updated when
	// created; the old messages have no nickname, a new one has its
	// sender's.
	ps, err := s.Profiles(ctx, []string{"alice", "bob", "carol"})
	if err != nil || len(ps) != 3 {
		t.Fatalf("profiles: %+v, %v", ps, err)
	}
	for _, p := range ps {
		u, err := s.User(ctx, p.Account)
		if err != nil || p.Ver != 1 || p.Time != u.CreatedMs || u.Blocked {
			t.Errorf("migrated profile %+v, user %+v, %v", p, u, err)
		}
	}
	if ms[0].Nick != "" {
		t.Errorf("an old message has a nickname: %+v", ms[0])
	}
	if _, chs, err := s.UpdateProfile(ctx, "bob", proto.UpdateUserReq{Name: ptr("Bob")}, t0+40000); err != nil || len(chs) != 2 {
		t.Fatalf("bob's profile update: %+v, %v; want it in bob's and alice's logs", chs, err)
	}
	m, _, err = s.Send(ctx, proto.Msg{From: "bob", To: "alice", Conv: ab, ClientID: "ba-7", Body: jx.RawMessage(`{"text":"x"}`)}, t0+50000)
	if err != nil || m.Nick != "Bob" {
		t.Fatalf("a message after the rename: %+v, %v", m, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// Opening it again runs nothing.
	rec = logRecorder{}
	s = open(t, dir, slog.New(&rec))
	if got := rec.applied(); len(got) != 0 {
		t.Fatalf("second open applied %v", got)
	}
	if c := byID("bob")[ab]; c.PeerReadSeq != 11 || c.ReadSeq != 0 || c.Unread != 5 {
		t.Fatalf("bob after reopening: %+v", c)
	}
}

// ptr returns a pointer to v.
func ptr[T any](v T) *T { return &v }

// checkConvs compares got with want, ignoring Ver.
func checkConvs(t *testing.T, account string, got, want map[string]proto.Conv) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s has %d conversations, want %d: %+v", account, len(got), len(want), got)
	}
	for id, w := range want {
		g, ok := got[id]
		if !ok || g.Ver <= 0 {
			t.Errorf("%s's %s: %+v", account, id, g)
			continue
		}
		g.Ver = 0
		if g != w {
			t.Errorf("%s's %s:\n got %+v\nwant %+v", account, id, g, w)
		}
	}
}

// Every migration can be undone and done again.
func TestMigrateDownUp(t *testing.T) {
	ctx := t.Context()
	dir := copyFixture(t, "v0-main-c82d040.db")
	open(t, dir, nil).Close()
	db, p := migrator(t, dir)
	// Messages after the migration move stamps past the migrated ones.
	s := open(t, dir, nil)
	for i := range 3 {
		if _, _, err := s.Send(ctx, proto.Msg{From: "bob", To: "alice", Conv: proto.P2PConv("alice", "bob"), ClientID: fmt.Sprint("du", i),
			Body: jx.RawMessage(`{"text":"x"}`)}, 1); err != nil {
			t.Fatal(err)
		}
	}
	top := int64(0)
	for _, acc := range []string{"alice", "bob", "carol"} {
		cs, err := s.ConvsSince(ctx, acc, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			top = max(top, c.Ver)
		}
	}
	// A revoked message and a deleted conversation (migration 3).
	ab := proto.P2PConv("alice", "bob")
	if _, _, err := s.Revoke(ctx, ab, 11, "bob", "ps", 2); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeleteConvs(ctx, "carol", []string{proto.P2PConv("alice", "carol")}, 2); err != nil {
		t.Fatal(err)
	}
	// People (migration 4): a profile, friends, a blacklist, notifications
	// and their marks, a custom notification.
	if _, _, err := s.UpdateProfile(ctx, "carol", proto.UpdateUserReq{Name: ptr("Carol"), Sign: ptr("hi")}, 3); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Befriend(ctx, "alice", "bob", proto.FriendAdd, "", 3); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Befriend(ctx, "carol", "alice", proto.FriendRequest, "", 3); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetRelation(ctx, "bob", proto.ListBlack, "carol", true, 3); err != nil {
		t.Fatal(err)
	}
	if _, err := s.MarkNotes(ctx, "alice", 1<<40, 0, 3); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.AddCustom(ctx, proto.CustomNote{From: "app", To: "alice", Content: "x"}, []string{"alice"}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := p.DownTo(ctx, 2); err != nil {
		t.Fatalf("down to 2: %v", err)
	}
	// An older server reads the revoked message as valid JSON, still
	// without its content.
	var body string
	if err := db.QueryRow(`SELECT body FROM messages WHERE conv = ? AND seq = 11`, ab).Scan(&body); err != nil || body != "{}" {
		t.Fatalf("revoked body after down: %q, %v", body, err)
	}
	if _, err := p.DownTo(ctx, 1); err != nil {
		t.Fatalf("down to 1: %v", err)
	}
	// bob's counter: 10 in the fixture, 11 after the revoke's change, 14
	// after alice's friendship (friend, profile, notification), 15 after
	// his blacklist, one more for the old row.
	var unread, ver int
	if err := db.QueryRow(`SELECT unread, ver FROM convs WHERE account = 'bob'`).Scan(&unread, &ver); err != nil || unread != 5 || ver != 16 {
		t.Fatalf("bob's old row after down: unread %d ver %d, %v", unread, ver, err)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("up again: %v", err)
	}
	s = open(t, dir, nil)
	c, err := s.ConvsSince(ctx, "alice", 0, 100)
	if err != nil || len(c) != 3 {
		t.Fatalf("alice after down and up: %+v, %v", c, err)
	}
	// The people tables start empty again; the profiles are back at
	// version 1, with the fields of the first release only.
	if ps, err := s.Profiles(ctx, []string{"carol"}); err != nil || len(ps) != 1 || ps[0].Ver != 1 || ps[0].Name != "Carol" || ps[0].Sign != "" {
		t.Fatalf("carol's profile after down and up: %+v, %v", ps, err)
	}
	if fs, err := s.Friends(ctx, "alice", 0); err != nil || len(fs) != 0 {
		t.Fatalf("alice's friends after down and up: %+v, %v", fs, err)
	}
	if chs, err := s.ChangesSince(ctx, "alice", 0, 100); err != nil || len(chs) != 0 {
		t.Fatalf("alice's log after down and up: %+v, %v", chs, err)
	}
	// Custom notification ids never go back.
	if n, _, err := s.AddCustom(ctx, proto.CustomNote{From: "app", To: "alice", Content: "x"}, []string{"alice"}); err != nil || n.ID != 2 {
		t.Fatalf("custom id after down and up: %+v, %v; want 2", n, err)
	}
	// Stamps never go back: a client holding the top stamp as its cursor
	// gets every conversation again, and a new message goes higher still.
	for _, acc := range []string{"alice", "bob", "carol"} {
		cs, err := s.ConvsSince(ctx, acc, top, 100)
		if err != nil {
			t.Fatal(err)
		}
		if all, _ := s.ConvsSince(ctx, acc, 0, 100); len(cs) != len(all) || len(cs) == 0 {
			t.Errorf("%s after down and up: %d conversations above the old top stamp %d, of %d: %+v", acc, len(cs), top, len(all), all)
		}
	}
	m, _, err := s.Send(ctx, proto.Msg{From: "carol", To: "alice", Conv: proto.P2PConv("alice", "carol"), ClientID: "after",
		Body: jx.RawMessage(`{"text":"x"}`)}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if cs, err := s.ConvsSince(ctx, "carol", top, 100); err != nil || len(cs) != 1 || cs[0].Ver <= top+3 || cs[0].LastSeq != m.Seq {
		t.Fatalf("carol after a new message: %+v, %v", cs, err)
	}
}

// BenchmarkSend measures one Send in a conversation that already exists
// (the common case), on a real file.
func BenchmarkSend(b *testing.B) {
	s := open(b, b.TempDir(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx := context.Background()
	body := jx.RawMessage(`{"text":"a message of an ordinary length, about sixty characters"}`)
	for i := 0; b.Loop(); i++ {
		from, to := "alice", "bob"
		if i%2 == 1 {
			from, to = to, from
		}
		_, _, err := s.Send(ctx, proto.Msg{From: from, To: to, Conv: "p:alice|bob", ClientID: fmt.Sprint("c", i),
			Body: body, FromClient: proto.ClientWeb}, 1000)
		if err != nil {
			b.Fatal(err)
		}
	}
}

// Two processes (here: two Stores) opening an old database at once both
// succeed, and the database is migrated once.
func TestMigrateConcurrently(t *testing.T) {
	dir := copyFixture(t, "v0-main-c82d040.db")
	var wg sync.WaitGroup
	stores := make([]*Store, 2)
	errs := make([]error, 2)
	for i := range stores {
		wg.Go(func() { stores[i], errs[i] = Open(t.Context(), dir, nil) })
	}
	wg.Wait()
	for i, s := range stores {
		if errs[i] != nil {
			t.Fatalf("open %d: %v", i, errs[i])
		}
		t.Cleanup(func() { s.Close() })
	}
	for i, s := range stores {
		cs, err := s.ConvsSince(t.Context(), "alice", 0, 100)
		if err != nil || len(cs) != 3 {
			t.Fatalf("store %d: alice's conversations %+v, %v", i, cs, err)
		}
	}
	if v := dbVersion(t, dir); v != latestVersion(t) {
		t.Fatalf("version %d", v)
	}
}

// BenchmarkConvsSince measures the first page (100) of the conversations
// of an account with 2000 of them, 5 unread messages in each.
func BenchmarkConvsSince(b *testing.B) {
	s := open(b, b.TempDir(), nil)
	ctx := context.Background()
	body := jx.RawMessage(`{"text":"hi"}`)
	for i := range 2000 {
		peer := fmt.Sprint("peer", i)
		for j := range 5 {
			_, _, err := s.Send(ctx, proto.Msg{From: peer, To: "alice", Conv: proto.P2PConv(peer, "alice"), ClientID: fmt.Sprint(j),
				Body: body}, 1000)
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	for b.Loop() {
		cs, err := s.ConvsSince(ctx, "alice", 0, 100)
		if err != nil || len(cs) != 100 || cs[0].Unread != 5 {
			b.Fatalf("%d conversations, %v", len(cs), err)
		}
	}
}

// BenchmarkMessagesPage measures a page of 100 messages read from a
// conversation of 2,000, one in ten of them a long text (3,000 CJK
// characters, 9 KB: overflow pages).
func BenchmarkMessagesPage(b *testing.B) {
	s := open(b, b.TempDir(), nil)
	ctx := context.Background()
	short := jx.RawMessage(`{"text":"a message of an ordinary length, about sixty characters"}`)
	long := jx.RawMessage(`{"text":"` + strings.Repeat("长", 3000) + `"}`)
	for i := range 2000 {
		body := short
		if i%10 == 0 {
			body = long
		}
		if _, _, err := s.Send(ctx, proto.Msg{From: "alice", To: "bob", Conv: "p:alice|bob", ClientID: fmt.Sprint("c", i),
			Body: body}, 1000); err != nil {
			b.Fatal(err)
		}
	}
	for i := 0; b.Loop(); i++ {
		ms, err := s.Messages(ctx, "p:alice|bob", int64(i%19)*100, 100)
		if err != nil || len(ms) != 100 {
			b.Fatalf("%d messages, %v", len(ms), err)
		}
	}
}

// A new database gets PageSize pages; one made before with SQLite's
// default keeps them (and still opens and serves).
func TestPageSize(t *testing.T) {
	pageSize := func(s *Store) int {
		var n int
		if err := s.r.QueryRowContext(t.Context(), "PRAGMA page_size").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	dir := t.TempDir()
	s := open(t, dir, nil)
	if n := pageSize(s); n != PageSize {
		t.Fatalf("a new database has %d-byte pages, want %d", n, PageSize)
	}
	var mode string
	if err := s.r.QueryRowContext(t.Context(), "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode %q, %v", mode, err)
	}
	s.Close()
	if n := pageSize(open(t, dir, nil)); n != PageSize {
		t.Fatalf("reopened: %d-byte pages", n)
	}
	old := open(t, copyFixture(t, "v0-main-c82d040.db"), nil)
	if n := pageSize(old); n != 4096 {
		t.Fatalf("an older database has %d-byte pages, want its own 4096", n)
	}
	if cs, err := old.ConvsSince(t.Context(), "alice", 0, 100); err != nil || len(cs) != 3 {
		t.Fatalf("the older database's conversations %+v, %v", cs, err)
	}
}
