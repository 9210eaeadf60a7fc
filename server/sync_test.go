package server

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"yunxin/internal/jx"
	"yunxin/proto"
)

// TestSyncPaged: thousands of changed rows come in pages of at most MaxSync
// items, changes first, with cursors that move forward and resume exactly.
func TestSyncPaged(t *testing.T) {
	e := newEnv(t, "bob")
	ctx := context.Background()
	st := e.srv.store
	const peers = 1100 // over MaxSync: three pages (1000 changes; 100 changes + 900 convs; 200 convs)
	for i := range peers {
		m := proto.Msg{ClientID: "c", Conv: proto.P2PConv(fmt.Sprintf("u%04d", i), "bob"), From: fmt.Sprintf("u%04d", i), To: "bob",
			Type: proto.MsgText, Body: jx.RawMessage(`{"text":"hi"}`)}
		if _, _, err := st.Send(ctx, m, int64(1000+i)); err != nil {
			t.Fatal(err)
		}
		if _, _, err := st.MarkRead(ctx, "bob", m.Conv, 1); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := e.login("bob")
	var req proto.SyncReq
	changes := map[string]bool{}
	convs := map[string]bool{}
	var pages []proto.SyncResp
	for {
		var resp proto.SyncResp
		b.ok(proto.OpSync, req, &resp)
		pages = append(pages, resp)
		n := len(resp.Changes) + len(resp.Convs)
		if n == 0 || n > proto.MaxSync || resp.Ver < req.Since || resp.ConvVer < req.ConvSince {
			t.Fatalf("page %d: %d changes, %d convs, ver %d→%d, convVer %d→%d", len(pages), len(resp.Changes), len(resp.Convs), req.Since, resp.Ver, req.ConvSince, resp.ConvVer)
		}
		if len(resp.Convs) > 0 && len(changes)+len(resp.Changes) < peers {
			t.Fatalf("page %d has conversations before every change was sent", len(pages))
		}
		for _, ch := range resp.Changes {
			if ch.Ver <= req.Since || ch.Ver > resp.Ver || changes[ch.Key] {
				t.Fatalf("page %d: change %+v outside (%d, %d] or repeated", len(pages), ch, req.Since, resp.Ver)
			}
			changes[ch.Key] = true
		}
		for _, cv := range resp.Convs {
			if cv.Ver <= req.ConvSince || cv.Ver > resp.ConvVer || convs[cv.ID] || cv.ReadSeq != 1 || cv.Unread != 0 || cv.Peer == "" {
				t.Fatalf("page %d: conv %+v outside (%d, %d] or repeated", len(pages), cv, req.ConvSince, resp.ConvVer)
			}
			convs[cv.ID] = true
		}
		req = proto.SyncReq{Since: resp.Ver, ConvSince: resp.ConvVer}
		if !resp.More {
			break
		}
		if n != proto.MaxSync {
			t.Fatalf("page %d cut at %d items (more), want %d", len(pages), n, proto.MaxSync)
		}
	}
	if len(changes) != peers || len(convs) != peers || len(pages) != 3 {
		t.Fatalf("%d changes, %d convs in %d pages", len(changes), len(convs), len(pages))
	}
	// Page 1 is all changes and leaves the conversation cursor alone.
	if p := pages[0]; len(p.Changes) != proto.MaxSync || len(p.Convs) != 0 || p.ConvVer != 0 {
		t.Fatalf("page 1: %d changes, %d convs, convVer %d", len(p.Changes), len(p.Convs), p.ConvVer)
	}
	// Caught up: an empty page with the same cursors.
	var last proto.SyncResp
	b.ok(proto.OpSync, req, &last)
	if len(last.Changes)+len(last.Convs) != 0 || last.More || last.Ver != req.Since || last.ConvVer != req.ConvSince {
		t.Fatalf("caught-up sync %+v", last)
	}
}

// TestPullPagedByBytes: a new device roams 100 messages of 5000 CJK
// characters (about 1.5 MB) in pages that each fit the frame.
func TestPullPagedByBytes(t *testing.T) {
	e := newEnv(t, "alice", "bob")
	e.srv.reqBurst = 1000
	a, _ := e.login("alice")
	long := strings.Repeat("长", proto.MaxTextRunes)
	for i := range 100 {
		a.ok(proto.OpSend, text("bob", fmt.Sprintf("m%03d", i), long), nil)
	}
	b, _ := e.login("bob")
	conv := proto.P2PConv("alice", "bob")
	after, pages := int64(0), 0
	for {
		r := b.call(proto.OpPull, proto.PullReq{Cursors: []proto.Cursor{{Conv: conv, After: after}}})
		if r.Code != proto.CodeOK {
			t.Fatalf("pull after %d: %d %s", after, r.Code, r.Msg)
		}
		if len(r.Data) > proto.MaxPage+1024 {
			t.Fatalf("pull page of %d bytes, budget %d", len(r.Data), proto.MaxPage)
		}
		var p proto.PullResp
		if err := json.Unmarshal(r.Data, &p); err != nil {
			t.Fatal(err)
		}
		pages++
		if len(p.Msgs) == 0 {
			t.Fatalf("empty page after %d", after)
		}
		for _, m := range p.Msgs {
			if m.Seq != after+1 {
				t.Fatalf("seq %d after %d", m.Seq, after)
			}
			after = m.Seq
		}
		if !p.More {
			break
		}
	}
	if after != 100 || pages < 3 {
		t.Fatalf("pulled up to %d in %d pages", after, pages)
	}
}

func TestUsers(t *testing.T) {
	e := newEnv(t, "alice", "bob")
	a, _ := e.login("alice")
	var r proto.UsersResp
	a.ok(proto.OpUsers, proto.UsersReq{Accounts: []string{"bob", "nobody", "alice", "bob"}}, &r)
	if len(r.Users) != 2 || r.Users[0].Account != "bob" || r.Users[0].Name != "bob" || r.Users[0].Ver != 1 || r.Users[1].Account != "alice" {
		t.Fatalf("users %+v", r.Users)
	}
	a.ok(proto.OpUsers, proto.UsersReq{}, &r)
	if r.Users == nil || len(r.Users) != 0 {
		t.Fatalf("no users %+v", r.Users)
	}
	a.fail(proto.OpUsers, proto.UsersReq{Accounts: []string{"bob", "bad one"}}, 414, "accounts[1]")
	many := make([]string, proto.MaxUsers+1)
	for i := range many {
		many[i] = fmt.Sprintf("u%d", i)
	}
	a.fail(proto.OpUsers, proto.UsersReq{Accounts: many}, 414, "at most 150")
	a.ok(proto.OpUsers, proto.UsersReq{Accounts: many[:proto.MaxUsers]}, &r)
	if len(r.Users) != 0 {
		t.Fatalf("users %+v", r.Users)
	}
}
