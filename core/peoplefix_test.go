package core

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"yunxin/internal/jx"
	"yunxin/proto"
)

// Tests of the people domain's fixes: events settled on what the cache
// kept, the inbox index, the local marks, the custom notifications' seen
// mark, and marks sent in the background.

// silentConn is a Conn to a server that reads every frame and never
// answers: a call on it waits for its timeout.
type silentConn struct {
	frames chan proto.Frame
	closed chan struct{}
	once   sync.Once
}

func newSilentConn() *silentConn {
	return &silentConn{frames: make(chan proto.Frame, 16), closed: make(chan struct{})}
}

func (s *silentConn) Read(ctx context.Context) ([]byte, error) {
	<-s.closed
	return nil, errors.New("closed")
}

func (s *silentConn) Write(ctx context.Context, b []byte) error {
	var f proto.Frame
	json.Unmarshal(b, &f)
	s.frames <- f
	return nil
}

func (s *silentConn) Close() error { s.once.Do(func() { close(s.closed) }); return nil }

// TestMarkNotesDoesNotWaitForTheServer: markAllNotificationsAsRead and
// deleteAllNotifications return once the mark is in the cache; the mark
// goes to the server in the background.
func TestMarkNotesDoesNotWaitForTheServer(t *testing.T) {
	ctx := context.Background()
	c, r, rec := offline(t, NewMemCache(), false)
	conn := newSilentConn()
	l := newLink(conn, func(string, jx.RawMessage) {})
	t.Cleanup(func() { l.close(errors.New("test over")) })
	pushChange(c, r, 1, proto.ChangeNote, "10", note(10, "bob", proto.FriendRequest, 0))
	c.mu.Lock()
	r.link = l // after the push: pushes come from the run's link
	c.mu.Unlock()
	rec.reset()
	for i, mark := range []func(context.Context) error{c.MarkAllNotificationsRead, c.DeleteAllNotifications} {
		start := time.Now()
		if err := mark(ctx); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d > time.Second {
			t.Fatalf("mark %d returned after %v: it waited for the server", i, d)
		}
		select {
		case f := <-conn.frames:
			var req proto.NotesMarkReq
			json.Unmarshal(f.Data, &req)
			if f.Op != proto.OpNotesMark || (i == 0 && req.ReadTo != 10) || (i == 1 && req.DeleteTo != 10) {
				t.Fatalf("mark %d sent %s %+v", i, f.Op, req)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("mark %d was not sent", i)
		}
	}
	if n, _ := c.NotificationsUnreadCount(ctx); n != 0 {
		t.Fatalf("unread %d", n)
	}
	wantEvents(t, rec, "onSystemNotificationCountChanged unread=0", "onSystemNotificationCountChanged unread=0")
}

// TestEventsFollowWhatTheCacheKept: two tabs over one cache. A tab that
// applies a change older than one another tab stored reports what the
// cache kept, not what it staged, so that its page never believes what
// its memory does not hold.
func TestEventsFollowWhatTheCacheKept(t *testing.T) {
	ctx := context.Background()
	cache := NewMemCache()
	a, ra, _ := offline(t, cache, false)
	b, rb, recB := offline(t, cache.Reopen(), false)
	mute := proto.Relation{Account: "bob"}

	// Tab A mutes bob (40) and unmutes him (41); tab B then meets 40: the
	// cache keeps A's unmute, so B's page hears nothing; 41 changes
	// nothing either.
	pushChange(a, ra, 40, proto.ChangeMute, "bob", mute)
	pushDeleted(a, ra, 41, proto.ChangeMute, "bob")
	pushChange(b, rb, 40, proto.ChangeMute, "bob", mute)
	wantEvents(t, recB)
	pushDeleted(b, rb, 41, proto.ChangeMute, "bob")
	wantEvents(t, recB)
	if on, _ := b.IsMute(ctx, "bob"); on {
		t.Fatal("tab B believes bob muted")
	}
	// The other way: both tabs hold carol muted (30); A unmutes her (41);
	// B meets an older mute (35, a sync paging over it): its page hears
	// she is unmuted, as its memory now holds.
	pushChange(a, ra, 30, proto.ChangeMute, "carol", proto.Relation{Account: "carol"})
	b2, rb2, recB2 := offline(t, cache.Reopen(), false)
	pushDeleted(a, ra, 41, proto.ChangeMute, "carol")
	pushChange(b2, rb2, 35, proto.ChangeMute, "carol", proto.Relation{Account: "carol"})
	wantEvents(t, recB2, "onMuteListChanged carol mute=carol/false")
	if on, _ := b2.IsMute(ctx, "carol"); on {
		t.Fatal("tab B2 believes carol muted")
	}

	// Friends: A adds dave (50) and changes his alias (51); B meets 50
	// and hears the alias the cache kept.
	pushChange(a, ra, 50, proto.ChangeFriend, "dave", proto.Friend{Account: "dave", Alias: "D1"})
	pushChange(a, ra, 51, proto.ChangeFriend, "dave", proto.Friend{Account: "dave", Alias: "D2"})
	pushChange(b, rb, 50, proto.ChangeFriend, "dave", proto.Friend{Account: "dave", Alias: "D1"})
	wantEvents(t, recB, "onFriendChanged dave change=dave/D2/ add=dave")
	pushChange(b, rb, 51, proto.ChangeFriend, "dave", proto.Friend{Account: "dave", Alias: "D2"})
	wantEvents(t, recB)

	// Profiles: A caches erin's profile 5; B meets profile 4 and hears 5.
	pushChange(a, ra, 60, proto.ChangeUser, "erin", proto.UserInfo{Account: "erin", Name: "New", Ver: 5})
	pushChange(b, rb, 59, proto.ChangeUser, "erin", proto.UserInfo{Account: "erin", Name: "Mid", Ver: 4})
	wantEvents(t, recB, "onUserInfoChanged erin change=erin//New")
	if v, _ := b.LocalUserInfo(ctx, "erin"); v == nil || v.UserInfo.NickName != "New" {
		t.Fatalf("tab B's erin %+v", v)
	}

	// Notifications: A gets 10 and its deletion (71); B meets 10: no
	// notification, no count.
	pushChange(a, ra, 70, proto.ChangeNote, "10", note(10, "bob", proto.FriendRequest, 0))
	pushDeleted(a, ra, 71, proto.ChangeNote, "10")
	pushChange(b, rb, 70, proto.ChangeNote, "10", note(10, "bob", proto.FriendRequest, 0))
	wantEvents(t, recB)
	if n, _ := b.NotificationsUnreadCount(ctx); n != 0 {
		t.Fatalf("tab B's unread %d", n)
	}
	// A's handleStatus change (73) of 12 that B has not met: B meets 12
	// (72) and hears it with the status the cache kept, counted.
	pushChange(a, ra, 72, proto.ChangeNote, "12", note(12, "bob", proto.FriendRequest, 0))
	pushChange(a, ra, 73, proto.ChangeNote, "12", note(12, "bob", proto.FriendRequest, proto.NotePassed))
	pushChange(b, rb, 72, proto.ChangeNote, "12", note(12, "bob", proto.FriendRequest, 0))
	wantEvents(t, recB, fmt.Sprintf("onReceiveSystemNotification id=12 read=false status=%d unread=1", proto.NotePassed),
		"onSystemNotificationCountChanged unread=1")
}

// TestLocalMarksMergePerMark: each local inbox mark is a record of its
// own, so one tab's delete mark does not drop another tab's read mark.
func TestLocalMarksMergePerMark(t *testing.T) {
	ctx := context.Background()
	cache := NewMemCache()
	a, ra, _ := offline(t, cache, false)
	pushChange(a, ra, 1, proto.ChangeNote, "10", note(10, "bob", proto.FriendRequest, 0))
	pushChange(a, ra, 2, proto.ChangeNote, "11", note(11, "carol", proto.FriendRequest, 0))
	b, _, _ := offline(t, cache.Reopen(), false) // knows 10 and 11
	pushChange(a, ra, 3, proto.ChangeNote, "12", note(12, "dave", proto.FriendRequest, 0))
	if err := a.DeleteAllNotifications(ctx); err != nil { // deleted up to 12
		t.Fatal(err)
	}
	if err := b.MarkAllNotificationsRead(ctx); err != nil { // read up to 11
		t.Fatal(err)
	}
	snap, err := cache.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st := newState(snap)
	if _, local := notesMarks(st.lookup); local != (proto.NotesMark{ReadTo: 11, DeletedTo: 12}) {
		t.Fatalf("local marks in the cache %+v, want read 11 (tab B) and deleted 12 (tab A)", local)
	}
	// A cache of the first version: its one local record is still read.
	old := NewMemCache()
	old.Apply(ctx, &Batch{Records: []Record{{Kind: proto.ChangeNotesMark, Key: "local", Ver: 9, Data: mustJSON(proto.NotesMark{ReadTo: 4, DeletedTo: 5})}}})
	snap, _ = old.Load(ctx)
	st = newState(snap)
	if _, local := notesMarks(st.lookup); local != (proto.NotesMark{ReadTo: 4, DeletedTo: 5}) {
		t.Fatalf("old local mark read as %+v", local)
	}
}

// TestCustomSeenMark: one record holds the highest custom notification id
// reported; each tab reports what it meets above its own.
func TestCustomSeenMark(t *testing.T) {
	ctx := context.Background()
	cache := NewMemCache()
	// A cache of the first version: a per-id marker, ignored.
	cache.Apply(ctx, &Batch{Records: []Record{{Kind: proto.ChangeCustom, Key: "3"}}})
	a, ra, recA := offline(t, cache, false)
	b, rb, recB := offline(t, cache.Reopen(), false)
	cn := func(id int64) proto.CustomNote {
		return proto.CustomNote{ID: id, From: "app", To: "alice", Content: fmt.Sprint(id), Time: 5}
	}
	for _, id := range []int64{3, 7, 7, 9, 8} { // 8 after 9: skipped (a lost push)
		pushChange(a, ra, id, proto.ChangeCustom, fmt.Sprint(id), cn(id))
	}
	wantEvents(t, recA, "onReceiveCustomSystemNotification custom=3:3", "onReceiveCustomSystemNotification custom=7:7",
		"onReceiveCustomSystemNotification custom=9:9")
	// Tab B meets 7 and 9 too: its page hears them (the cache's mark, at
	// 9, is not this tab's).
	pushChange(b, rb, 7, proto.ChangeCustom, "7", cn(7))
	pushChange(b, rb, 9, proto.ChangeCustom, "9", cn(9))
	wantEvents(t, recB, "onReceiveCustomSystemNotification custom=7:7", "onReceiveCustomSystemNotification custom=9:9")
	snap, _ := cache.Load(ctx)
	var custom []Record
	for _, r := range snap.Records {
		if r.Kind == proto.ChangeCustom {
			custom = append(custom, r)
		}
	}
	if len(custom) != 2 || custom[0].Key != "" || custom[0].Ver != 9 || string(custom[0].Data) != `{"seenTo":9}` {
		t.Fatalf("custom records %+v, want the old one and the mark at 9", custom)
	}
	// Reloaded: what was reported is not again; a newer one is.
	c, r, rec := offline(t, cache.Reopen(), false)
	pushChange(c, r, 9, proto.ChangeCustom, "9", cn(9))
	pushChange(c, r, 11, proto.ChangeCustom, "11", cn(11))
	wantEvents(t, rec, "onReceiveCustomSystemNotification custom=11:11")
	pushChange(c, r, 12, proto.ChangeCustom, "x", cn(12))
	if !strings.Contains(rec.logText(), "bad custom notification id x") {
		t.Fatalf("log %q", rec.logText())
	}
}

// BenchmarkNotesPage applies a page of 1000 new notifications to inboxes
// of growing size (one tx, committed to a MemCache): linear in the page,
// not in page × inbox.
func BenchmarkNotesPage(b *testing.B) {
	for _, size := range []int{1000, 10000, 50000} {
		b.Run(fmt.Sprint("inbox=", size), func(b *testing.B) {
			ctx := context.Background()
			seed := make([]Record, size)
			for i := range seed {
				id := int64(i + 1)
				seed[i] = Record{Kind: proto.ChangeNote, Key: proto.NoteKey(id), Ver: id, Data: mustJSON(note(id, "bob", proto.FriendRequest, 0))}
			}
			page := make([]proto.Change, 1000)
			for i := range page {
				id := int64(size + i + 1)
				page[i] = proto.Change{Ver: id, Kind: proto.ChangeNote, Key: proto.NoteKey(id), Data: mustJSON(note(id, "bob", proto.FriendRequest, 0))}
			}
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				cache := NewMemCache()
				cache.Apply(ctx, &Batch{Records: slices.Clone(seed)})
				snap, _ := cache.Load(ctx)
				c := NewClient(Config{}, nil, nil, func(Event) {})
				r := &run{account: "alice", cache: cache, st: newState(snap)}
				r.ctx, r.cancel = context.WithCancelCause(ctx)
				c.active = r
				b.StartTimer()
				err := c.change(r, func(t *tx) {
					for _, ch := range page {
						t.applyChange(ch)
					}
				})
				if err != nil {
					b.Fatal(err)
				}
				if n := r.st.unreadNotes(); n != size+len(page) {
					b.Fatalf("unread %d", n)
				}
				r.cancel(nil)
			}
		})
	}
}

// TestNoteReceivedAndDeletedInOnePage: the count after the notification
// event tells what is installed.
func TestNoteReceivedAndDeletedInOnePage(t *testing.T) {
	c, r, rec := offline(t, NewMemCache(), false)
	err := c.change(r, func(t *tx) {
		t.applyChange(proto.Change{Ver: 1, Kind: proto.ChangeNote, Key: "10", Data: mustJSON(note(10, "bob", proto.FriendRequest, 0))})
		t.applyChange(proto.Change{Ver: 2, Kind: proto.ChangeNote, Key: "10", Deleted: true})
	})
	if err != nil {
		t.Fatal(err)
	}
	wantEvents(t, rec, "onReceiveSystemNotification id=10 read=false status=0 unread=1", "onSystemNotificationCountChanged unread=0")
}

// TestInboxIndexMatchesTheRecords: after random changes in two tabs over
// one cache, each tab's inbox index is the one its records give, and its
// last count event tells that count.
func TestInboxIndexMatchesTheRecords(t *testing.T) {
	ctx := context.Background()
	cache := NewMemCache()
	type tab struct {
		c   *Client
		r   *run
		rec *recorder
	}
	var tabs []tab
	for i := 0; i < 2; i++ {
		c, r, rec := offline(t, cache.Reopen(), false)
		tabs = append(tabs, tab{c, r, rec})
	}
	rng := rand.New(rand.NewSource(7))
	var ver int64
	for step := 0; step < 400; step++ {
		tb := tabs[rng.Intn(2)]
		ver++
		v := ver - int64(rng.Intn(3)) // sometimes an older change
		id := int64(1 + rng.Intn(30))
		switch rng.Intn(7) {
		case 0, 1, 2:
			pushChange(tb.c, tb.r, v, proto.ChangeNote, proto.NoteKey(id), note(id, "bob", proto.FriendRequest, rng.Intn(2)))
		case 3:
			pushDeleted(tb.c, tb.r, v, proto.ChangeNote, proto.NoteKey(id))
		case 4:
			pushChange(tb.c, tb.r, v, proto.ChangeNotesMark, "", proto.NotesMark{ReadTo: id, DeletedTo: id / 3})
		case 5:
			tb.c.MarkAllNotificationsRead(ctx)
		case 6:
			if rng.Intn(4) == 0 {
				tb.c.DeleteAllNotifications(ctx)
			}
		}
		for i, tb := range tabs {
			tb.c.mu.Lock()
			got, want := tb.r.st.inbox, newInbox(tb.r.st.records)
			tb.c.mu.Unlock()
			if got.unread != want.unread || got.mark != want.mark || len(got.ids) != len(want.ids) {
				t.Fatalf("step %d tab %d: inbox %+v, records give %+v", step, i, got, want)
			}
			if last := lastCount(tb.rec); last >= 0 && last != got.unread {
				t.Fatalf("step %d tab %d: last count event %d, installed %d", step, i, last, got.unread)
			}
		}
	}
}

// lastCount is the unreadCount of rec's last count event (-1: none).
func lastCount(rec *recorder) int {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for i := len(rec.events) - 1; i >= 0; i-- {
		if ne, ok := rec.events[i].Data.(NotificationEvent); ok && ne.EventType == evNotificationCountChanged {
			return *ne.UnreadCount
		}
	}
	return -1
}
