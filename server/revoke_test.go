package server

import (
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"yunxin/proto"
)

// testClock replaces the server's clock with one the test moves; it must
// be set before the first connection.
type testClock struct{ ms atomic.Int64 }

func (e *env) clock(start time.Time) *testClock {
	c := &testClock{}
	c.ms.Store(start.UnixMilli())
	e.srv.now = func() time.Time { return time.UnixMilli(c.ms.Load()) }
	return c
}

func (c *testClock) add(d time.Duration) { c.ms.Add(d.Milliseconds()) }
func (c *testClock) now() int64          { return c.ms.Load() }

// syncAll syncs from the cursors until More is false and returns every
// change and conversation, and the last cursors.
func (c *client) syncAll(req proto.SyncReq) ([]proto.Change, []proto.Conv, proto.SyncReq) {
	c.t.Helper()
	var chs []proto.Change
	var cvs []proto.Conv
	for {
		var resp proto.SyncResp
		c.ok(proto.OpSync, req, &resp)
		chs = append(chs, resp.Changes...)
		cvs = append(cvs, resp.Convs...)
		req = proto.SyncReq{Since: resp.Ver, ConvSince: resp.ConvVer}
		if !resp.More {
			return chs, cvs, req
		}
	}
}

// A sender revokes its message within the window: the reply, the peer's
// and the sender's other connection's change pushes, a later device's
// sync and a pull all show it, and the text is gone from the server.
func TestRevoke(t *testing.T) {
	e := newEnv(t, "alice", "bob", "carol")
	clk := e.clock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	a1, _ := e.login("alice")
	a2, _ := e.login("alice")
	b, _ := e.login("bob")
	conv := proto.P2PConv("alice", "bob")
	var s1, s2 proto.SendResp
	a1.ok(proto.OpSend, text("bob", "m1", "secret words"), &s1)
	a1.ok(proto.OpSend, text("bob", "m2", "second"), &s2)
	b.drain(a1)
	a2.drain(a1)

	clk.add(time.Minute)
	var r proto.Revoke
	a1.ok(proto.OpRevoke, proto.RevokeReq{Conv: conv, ClientID: "m1", Postscript: "typo"}, &r)
	want := proto.Revoke{Conv: conv, ChatType: proto.ChatP2P, Seq: s1.Seq, ClientID: "m1", ServerID: s1.ServerID,
		MsgFrom: "alice", MsgTime: s1.Time, By: "alice", Time: clk.now(), Postscript: "typo"}
	if r != want {
		t.Fatalf("revoke reply %+v, want %+v", r, want)
	}
	for name, c := range map[string]*client{"bob": b, "alice's other connection": a2} {
		var got proto.Revoke
		ch := c.change(proto.ChangeRevoke, &got)
		if got != want || ch.Key != proto.RevokeKey(conv, s1.Seq) {
			t.Errorf("%s's revoke change %+v: %+v, want %+v", name, ch, got, want)
		}
	}
	a1.noPush(proto.PushChange)

	// A pull shows the message revoked, without its text.
	f := b.call(proto.OpPull, proto.PullReq{Cursors: []proto.Cursor{{Conv: conv}}})
	if f.Code != proto.CodeOK || strings.Contains(string(f.Data), "secret") {
		t.Fatalf("pull: %d %s", f.Code, f.Data)
	}
	var pull proto.PullResp
	if err := json.Unmarshal(f.Data, &pull); err != nil {
		t.Fatal(err)
	}
	if len(pull.Msgs) != 2 || !pull.Msgs[0].Revoked || string(pull.Msgs[0].Body) != "null" || pull.Msgs[0].Ext != nil || pull.Msgs[0].Seq != s1.Seq ||
		pull.Msgs[0].ClientID != "m1" || pull.Msgs[1].Revoked || string(pull.Msgs[1].Body) != `{"text":"second"}` {
		t.Fatalf("pull after the revoke: %+v", pull.Msgs)
	}

	// A device that was offline learns it from its first sync.
	for _, acc := range []string{"bob", "alice"} {
		d, _ := e.login(acc)
		chs, _, _ := d.syncAll(proto.SyncReq{})
		found := false
		for _, ch := range chs {
			if ch.Kind == proto.ChangeRevoke {
				var got proto.Revoke
				if err := json.Unmarshal(ch.Data, &got); err != nil || got != want {
					t.Errorf("%s's synced revoke %s, %v", acc, ch.Data, err)
				}
				found = true
			}
		}
		if !found {
			t.Errorf("%s's new device synced no revoke: %+v", acc, chs)
		}
	}

	// Again, even after the window: the stored revoke, and nothing pushed.
	clk.add(time.Hour)
	var again proto.Revoke
	a1.ok(proto.OpRevoke, proto.RevokeReq{Conv: conv, ClientID: "m1", Postscript: "other"}, &again)
	if again != want {
		t.Fatalf("repeated revoke %+v, want %+v", again, want)
	}
	b.noPush(proto.PushChange, a1)
	a2.noPush(proto.PushChange, a1)

	// m2 is past the window now.
	a1.fail(proto.OpRevoke, proto.RevokeReq{Conv: conv, ClientID: "m2"}, proto.CodeExpired, "revoke window (2m0s) passed")
	a1.fail(proto.OpRevoke, proto.RevokeReq{Conv: conv, ClientID: "m2"}, proto.CodeExpired, "YUNXIN_REVOKE_WINDOW")
	if m := pullOne(t, b, conv, s2.Seq); m.Revoked || string(m.Body) != `{"text":"second"}` {
		t.Fatalf("m2 after a refused revoke: %+v", m)
	}
}

// pullOne pulls the message of conv with seq.
func pullOne(t *testing.T, c *client, conv string, seq int64) proto.Msg {
	t.Helper()
	var pull proto.PullResp
	c.ok(proto.OpPull, proto.PullReq{Cursors: []proto.Cursor{{Conv: conv, After: seq - 1}}, Limit: 1}, &pull)
	if len(pull.Msgs) != 1 || pull.Msgs[0].Seq != seq {
		t.Fatalf("pull of %s/%d: %+v", conv, seq, pull.Msgs)
	}
	return pull.Msgs[0]
}

// The window is the server's setting, and a revoke at its very end still
// passes.
func TestRevokeWindowSetting(t *testing.T) {
	e := newEnv(t, "alice", "bob")
	e.srv.cfg.RevokeWindow = 30 * time.Second
	clk := e.clock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	a, _ := e.login("alice")
	conv := proto.P2PConv("alice", "bob")
	a.ok(proto.OpSend, text("bob", "m1", "one"), nil)
	clk.add(10 * time.Second)
	a.ok(proto.OpSend, text("bob", "m2", "two"), nil)
	clk.add(20 * time.Second)
	a.ok(proto.OpRevoke, proto.RevokeReq{Conv: conv, ClientID: "m1"}, nil) // exactly 30s after m1
	clk.add(10*time.Second + time.Millisecond)
	a.fail(proto.OpRevoke, proto.RevokeReq{Conv: conv, ClientID: "m2"}, proto.CodeExpired, "revoke window (30s) passed")
}

// Revoking what is not the caller's, or not there, or with bad
// parameters fails and changes nothing.
func TestRevokeRefused(t *testing.T) {
	e := newEnv(t, "alice", "bob", "carol")
	e.clock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	a, _ := e.login("alice")
	b, _ := e.login("bob")
	c, _ := e.login("carol")
	conv := proto.P2PConv("alice", "bob")
	var s proto.SendResp
	a.ok(proto.OpSend, text("bob", "m1", "hello"), &s)
	b.drain(a)

	b.fail(proto.OpRevoke, proto.RevokeReq{Conv: conv, ClientID: "m1"}, proto.CodeForbidden, "only its sender")
	a.fail(proto.OpRevoke, proto.RevokeReq{Conv: conv, ClientID: "nope"}, proto.CodeNotFound, "message not found")
	b.fail(proto.OpRevoke, proto.RevokeReq{Conv: conv, ClientID: "nope"}, proto.CodeNotFound, "message not found")
	c.fail(proto.OpRevoke, proto.RevokeReq{Conv: conv, ClientID: "m1"}, proto.CodeForbidden, "not a member")
	a.fail(proto.OpRevoke, proto.RevokeReq{Conv: proto.P2PConv("alice", "carol"), ClientID: "m1"}, proto.CodeForbidden, "not a member")
	a.fail(proto.OpRevoke, proto.RevokeReq{Conv: conv}, proto.CodeBadParam, "cid")
	a.fail(proto.OpRevoke, proto.RevokeReq{Conv: conv, ClientID: strings.Repeat("x", proto.MaxIDBytes+1)}, proto.CodeBadParam, "cid")
	a.fail(proto.OpRevoke, proto.RevokeReq{Conv: conv, ClientID: "m1", Postscript: strings.Repeat("p", proto.MaxPostscriptBytes+1)},
		proto.CodeBadParam, "ps (postscript) too long: 1025 bytes, at most 1024")
	b.noPush(proto.PushChange, a, c)
	if m := pullOne(t, b, conv, s.Seq); m.Revoked || string(m.Body) != `{"text":"hello"}` {
		t.Fatalf("after refused revokes: %+v", m)
	}
	// A postscript of exactly the limit passes.
	var r proto.Revoke
	a.ok(proto.OpRevoke, proto.RevokeReq{Conv: conv, ClientID: "m1", Postscript: strings.Repeat("p", proto.MaxPostscriptBytes)}, &r)
	if len(r.Postscript) != proto.MaxPostscriptBytes {
		t.Fatalf("revoke with the longest postscript: %+v", r)
	}
}
