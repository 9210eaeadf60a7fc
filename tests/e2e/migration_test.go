package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestMigrateOldDataDir: the real binary started on a data directory
// written by the server of main at c82d040 (before the change log; see
// server/sqlitestore/testdata/mkfixture.go.txt) migrates it at start, and a
// new device of alice syncs everything: her recent sessions with the right
// last messages and unread counts, all messages, and bob's receipt.
func TestMigrateOldDataDir(t *testing.T) {
	old, err := os.ReadFile(filepath.Join(repoRoot, "server", "sqlitestore", "testdata", "v0-main-c82d040.db"))
	if err != nil {
		t.Fatalf("the fixture: %v", err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "yunxin.db"), old, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := launchServer(freeAddr(), dir)
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			t.Logf("server output:\n%s", s.logTail(0))
		}
	})
	if err != nil {
		t.Fatalf("starting the server on the old data dir: %v", err)
	}

	alice := newBrowser(t, "alice (new device)")
	alice.open(pages.pageURL(s, false))
	alice.login("alice", "alice-token")

	want := map[string]struct {
		last   string
		unread int
		n      int
	}{
		"bob":   {"bob to alice 5", 2, 10},
		"carol": {"carol to alice 2 你好", 2, 2},
		"alice": {"note to self", 0, 1},
	}
	ss := alice.recentSessions()
	if len(ss) != len(want) {
		t.Errorf("alice has %d recent sessions, want %d (bob, carol, herself)", len(ss), len(want))
	}
	total := 0
	for id, w := range want {
		total += w.unread
		s := alice.session(id)
		if s == nil {
			t.Errorf("alice has no recent session %s", id)
			continue
		}
		if s.LastMessage == nil || s.LastMessage.Body.Text != w.last || s.UnreadCount != w.unread {
			t.Errorf("alice's session %s: %s, want last message %q and unread %d", id, brief(s), w.last, w.unread)
		}
		h := alice.history(id)
		if len(h) != w.n {
			t.Errorf("messagesInSession %s: %d messages %v, want %d", id, len(h), texts(h), w.n)
		}
	}
	if n := alice.unreadCount(); n != total {
		t.Errorf("allUnreadCount = %d, want %d", n, total)
	}

	h := alice.history("bob")
	for i := 1; i <= 5; i++ {
		if c := countText(h, fmt.Sprintf("alice to bob %d", i)); c != 1 {
			t.Errorf("messagesInSession bob has 'alice to bob %d' %d times, want once", i, c)
		}
		if c := countText(h, fmt.Sprintf("bob to alice %d", i)); c != 1 {
			t.Errorf("messagesInSession bob has 'bob to alice %d' %d times, want once", i, c)
		}
	}
	for _, m := range h {
		if m.IsOutgoingMsg != (m.From == "alice") {
			t.Errorf("message %q from %s: isOutgoingMsg %v", m.Body.Text, m.From, m.IsOutgoingMsg)
		}
		// bob's receipt reached seq 9: every message of alice's (1, 3, … 9) is read.
		if m.IsOutgoingMsg && m.Seq <= 9 && !m.IsRemoteRead {
			t.Errorf("alice's %q (seq %d) is not isRemoteRead; bob's receipt covers up to seq 9", m.Body.Text, m.Seq)
		}
	}

	// The migrated server keeps working: bob, on his own new device, gets
	// a new message after the old ones.
	bob := dialLogin(t, s, "bob", "bob-token")
	mark := alice.mark()
	bob.sendText("alice", "after-migration", "after the migration")
	got := alice.waitRecv(mark, "after the migration", 10*time.Second)
	if got.Seq != 11 {
		t.Errorf("the first message after the migration has seq %d, want 11", got.Seq)
	}
}
