package core

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

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
	l := newLink(conn, func(string, json.RawMessage) {})
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
