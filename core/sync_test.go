//go:build !js

package core_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"yunxin/core"
	"yunxin/internal/jx"
	"yunxin/proto"
	"yunxin/server/sqlitestore"
)

// seed writes to the server's data directory through its store before the
// server starts: much faster than thousands of requests (which the server
// rate-limits).
func seed(t *testing.T, fn func(ctx context.Context, st *sqlitestore.Store)) *testServer {
	t.Helper()
	ts := &testServer{t: t, dir: t.TempDir()}
	ctx := context.Background()
	st, err := sqlitestore.Open(ctx, ts.dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	fn(ctx, st)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	ts.start()
	t.Cleanup(ts.stop)
	return ts
}

func TestSyncIsPaged(t *testing.T) {
	const convs, read = 2500, 600
	ts := seed(t, func(ctx context.Context, st *sqlitestore.Store) {
		for i := 0; i < convs; i++ {
			from := fmt.Sprintf("u%04d", i)
			m := proto.Msg{ClientID: "c" + from, Conv: proto.P2PConv(from, "alice"), From: from, To: "alice",
				Body: jx.RawMessage(`{"text":"hello from ` + from + `"}`), FromClient: proto.ClientWeb}
			if _, _, err := st.Send(ctx, m, int64(1_700_000_000_000+i)); err != nil {
				t.Fatal(err)
			}
		}
		// alice read every other conversation on another device: read marks
		// in her change log.
		for i := 0; i < 2*read; i += 2 {
			if _, _, err := st.MarkRead(ctx, "alice", proto.P2PConv(fmt.Sprintf("u%04d", i), "alice"), 1); err != nil {
				t.Fatal(err)
			}
		}
	})
	ts.user("alice")
	d := newDevice(t, ts, true)
	d.login("alice")
	list, err := d.c.AllRecentSessions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != convs {
		t.Fatalf("%d sessions after the sync, want %d", len(list), convs)
	}
	if n, _ := d.c.AllUnreadCount(context.Background()); n != convs-read {
		t.Fatalf("total unread %d, want %d", n, convs-read)
	}
	for _, i := range []int{0, 1, 1234, convs - 1} {
		id := fmt.Sprintf("u%04d", i)
		s := d.session(id)
		wantUnread := 1
		if i%2 == 0 && i < 2*read {
			wantUnread = 0
		}
		if s == nil || s.UnreadCount != wantUnread || s.Content != "hello from "+id {
			t.Fatalf("session %s = %+v, want its message with %d unread", id, s, wantUnread)
		}
	}
	if got := len(d.received()); got != convs {
		t.Fatalf("%d messages reported, want %d", got, convs)
	}
	_, _, pages := d.net.count(proto.OpSync)
	if min := (convs + read + proto.MaxSync - 1) / proto.MaxSync; pages < min {
		t.Fatalf("%d sync pages for %d conversations and %d read marks, want at least %d", pages, convs, read, min)
	}
	snap, _ := d.caches["alice"].Load(context.Background())
	if snap.Meta.Ver != read || snap.Meta.ConvVer == 0 || len(snap.Sessions) != convs {
		t.Fatalf("cache after the sync: meta %+v, %d sessions", snap.Meta, len(snap.Sessions))
	}

	// The cursors were stored: logging in again takes one empty page.
	d.c.Logout(context.Background())
	d.login("alice")
	if _, _, again := d.net.count(proto.OpSync); again != pages+1 {
		t.Fatalf("%d sync requests at the second login, want 1", again-pages)
	}
	if got := len(d.received()); got != convs {
		t.Fatalf("%d messages reported after the second login, want still %d", got, convs)
	}
}

func TestRoamLongMessages(t *testing.T) {
	ts := startServer(t)
	ts.user("alice")
	ts.user("bob")
	b := newDevice(t, ts, false)
	b.login("bob")
	text := func(i int) string { return fmt.Sprintf("%03d", i) + strings.Repeat("长", proto.MaxTextRunes-3) }
	for i := 0; i < core.RoamLimit; i++ {
		b.send("alice", text(i))
	}

	// Far over a frame (100 × 15 KB): the pulls are cut by bytes and the
	// new device still finishes its sync with every message.
	a := newDevice(t, ts, false)
	a.login("alice")
	ms := a.messages("bob", 100)
	if len(ms) != core.RoamLimit {
		t.Fatalf("alice's new device has %d messages, want %d", len(ms), core.RoamLimit)
	}
	for i, m := range ms {
		var body struct{ Text string }
		json.Unmarshal(m.Body, &body)
		if body.Text != text(i) || utf8.RuneCountInString(body.Text) != proto.MaxTextRunes || m.Seq != int64(i+1) {
			t.Fatalf("message %d: seq %d, %d characters starting %q", i, m.Seq, utf8.RuneCountInString(body.Text), body.Text[:3])
		}
	}
	if got := len(a.received()); got != core.RoamLimit {
		t.Fatalf("%d messages reported, want %d (each once)", got, core.RoamLimit)
	}
	_, _, pulls := a.net.count(proto.OpPull)
	if total := core.RoamLimit * len(text(0)); pulls < (total+proto.MaxPage-1)/proto.MaxPage {
		t.Fatalf("%d pulls for %d bytes of text, want pages of at most %d bytes", pulls, total, proto.MaxPage)
	}
}
