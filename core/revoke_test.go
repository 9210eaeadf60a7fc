//go:build !js

package core_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"yunxin/core"
	"yunxin/proto"
	"yunxin/server"
)

// startServerWith starts a server like startServer, with its config changed
// by mut first (e.g. a short revoke window). It cannot be restarted.
func startServerWith(t *testing.T, mut func(*server.Config)) *testServer {
	ts := &testServer{t: t, dir: t.TempDir()}
	cfg := server.Config{DataDir: ts.dir, AppKey: "demo", AppSecret: "secret"}
	mut(&cfg)
	srv, err := server.Open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts.addr = ln.Addr().String()
	ts.srv, ts.hs = srv, &http.Server{Handler: srv.Handler()}
	go ts.hs.Serve(ln)
	t.Cleanup(ts.stop)
	return ts
}

// revokes returns the device's onRecvRevokeMessageNotification notifications.
func (d *device) revokes() []core.RevokeNotificationView {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []core.RevokeNotificationView
	for _, e := range d.events {
		if m, ok := e.Data.(core.MessageEvent); ok && m.EventType == "onRecvRevokeMessageNotification" {
			out = append(out, *m.Notification)
		}
	}
	return out
}

func ids(ms []core.MessageView) string {
	var out []string
	for _, m := range ms {
		out = append(out, m.MessageID)
	}
	return strings.Join(out, " ")
}

func codeOf(err error) int {
	if e := core.AsError(err); e != nil {
		return e.Code
	}
	return 0
}

// A revoke reaches the peer and the sender's other device live, and a
// device that was offline at its next sync (isRoaming); the message leaves
// every cache; the device that revoked hears nothing; a new device neither
// gets the message nor hears of it.
func TestRevokeEverywhere(t *testing.T) {
	ctx := context.Background()
	ts, a1, a2, b := twoAlicesAndBob(t)
	b2 := newDevice(t, ts, true)
	b2.login("bob")
	x := a1.send("bob", "x")
	y := a1.send("bob", "y")
	for _, d := range []*device{a2, b, b2} {
		d.waitFor("x and y", func() bool { return len(d.received()) == 2 })
	}
	b2.c.Logout(ctx)

	if err := a1.c.RevokeMessage(ctx, "bob", 0, y.MessageID, "sorry"); err != nil {
		t.Fatal(err)
	}
	// The revoking device: gone at once, its session's last message is x.
	if got := ids(a1.messages("bob", 10)); got != x.MessageID {
		t.Fatalf("a1's messages after the revoke: %s", got)
	}
	if s := a1.session("bob"); s == nil || s.LastMessageID != x.MessageID {
		t.Fatalf("a1's session: %+v", s)
	}
	check := func(d *device, who, peer string, roaming bool) {
		t.Helper()
		d.waitFor(who+"'s notification", func() bool { return len(d.revokes()) == 1 })
		n := d.revokes()[0]
		if n.NotificationType != 7 || n.FromUserID != "alice" || n.MessageFromUserID != "alice" || n.IsRoaming != roaming ||
			n.Postscript != "sorry" || n.Message == nil || n.Message.MessageID != y.MessageID || n.Timestamp != y.Timestamp {
			t.Fatalf("%s's notification = %+v", who, n)
		}
		if got := ids(d.messages(peer, 10)); got != x.MessageID {
			t.Fatalf("%s's messages: %s", who, got)
		}
	}
	check(b, "bob", "alice", false)
	check(a2, "a2", "bob", false)
	if n := b.revokes()[0]; n.Session != (core.SessionRef{SessionID: "alice"}) || n.SessionID != "alice" {
		t.Fatalf("bob's notification session: %+v", n)
	}
	if s := b.session("alice"); s.UnreadCount != 1 || s.LastMessageID != x.MessageID {
		t.Fatalf("bob's session: %+v", s)
	}
	b2.login("bob")
	check(b2, "b2", "alice", true)
	if s := b2.session("alice"); s.UnreadCount != 1 || s.LastMessageID != x.MessageID {
		t.Fatalf("b2's session: %+v", s)
	}
	// The revoking device never hears of it, not even from the change log
	// at its next login.
	a1.c.Logout(ctx)
	a1.login("alice")
	if n := a1.revokes(); len(n) != 0 {
		t.Fatalf("a1 heard its own revoke: %+v", n)
	}
	// A new device of bob's: x only, no notification.
	b3 := newDevice(t, ts, true)
	b3.login("bob")
	if got := ids(b3.messages("alice", 10)); got != x.MessageID {
		t.Fatalf("a new device's messages: %s", got)
	}
	if n := b3.revokes(); len(n) != 0 {
		t.Fatalf("a new device heard %+v", n)
	}

	// Errors.
	if code := codeOf(b.c.RevokeMessage(ctx, "alice", 0, x.MessageID, "")); code != proto.CodeForbidden {
		t.Fatalf("revoking another's message: %d, want 403", code)
	}
	if code := codeOf(a1.c.RevokeMessage(ctx, "bob", 0, y.MessageID, "")); code != proto.CodeNotFound {
		t.Fatalf("revoking it again: %d, want 404", code)
	}
	if code := codeOf(a1.c.RevokeMessage(ctx, "bob", 0, "nope", "")); code != proto.CodeNotFound {
		t.Fatalf("unknown message: %d, want 404", code)
	}
	if err := a1.c.RevokeMessage(ctx, "bob", 0, x.MessageID, strings.Repeat("p", proto.MaxPostscriptBytes+1)); codeOf(err) != proto.CodeBadParam || !strings.Contains(err.Error(), "postscript") {
		t.Fatalf("long postscript: %v", err)
	}
	ts.stop()
	a1.waitStep(core.StepDisconnected, 1)
	if code := codeOf(a1.c.RevokeMessage(ctx, "bob", 0, x.MessageID, "")); code != proto.CodeNetwork {
		t.Fatalf("offline: %d, want 415", code)
	}
	if got := ids(a1.messages("bob", 10)); got != x.MessageID {
		t.Fatalf("a failed revoke removed %s", got)
	}
}

// After the server's revoke window: 508, and the message stays everywhere.
func TestRevokeWindow(t *testing.T) {
	ctx := context.Background()
	ts := startServerWith(t, func(cfg *server.Config) { cfg.RevokeWindow = 200 * time.Millisecond })
	ts.user("alice")
	ts.user("bob")
	a, b := newDevice(t, ts, false), newDevice(t, ts, false)
	a.login("alice")
	b.login("bob")
	early := a.send("bob", "early")
	if err := a.c.RevokeMessage(ctx, "bob", 0, early.MessageID, ""); err != nil {
		t.Fatalf("inside the window: %v", err)
	}
	late := a.send("bob", "late")
	b.waitFor("late", func() bool { return len(b.received()) >= 1 && b.received()[len(b.received())-1] == "late" })
	time.Sleep(400 * time.Millisecond) // past the 200 ms window
	err := a.c.RevokeMessage(ctx, "bob", 0, late.MessageID, "")
	if codeOf(err) != proto.CodeExpired {
		t.Fatalf("after the window: %v, want 508", err)
	}
	if got := ids(a.messages("bob", 10)); got != late.MessageID {
		t.Fatalf("a's messages: %s", got)
	}
	if got := ids(b.messages("alice", 10)); got != late.MessageID {
		t.Fatalf("b's messages: %s", got)
	}
}
