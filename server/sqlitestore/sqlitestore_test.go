package sqlitestore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"

	"yunxin/proto"
	"yunxin/server/store"
)

func open(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func msg(from, to, cid string) proto.Msg {
	return proto.Msg{From: from, To: to, Conv: proto.P2PConv(from, to), ClientID: cid, Body: json.RawMessage(`{"text":"x"}`), FromClient: 16}
}

func TestUsers(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	u := store.User{Accid: "a", Name: "A", Salt: []byte{1}, TokenHash: []byte{2}, CreatedMs: 5}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateUser(ctx, u); !errors.Is(err, store.ErrExists) {
		t.Fatalf("duplicate: %v", err)
	}
	got, err := s.User(ctx, "a")
	if err != nil || got.Name != "A" || string(got.TokenHash) != "\x02" || got.CreatedMs != 5 {
		t.Fatalf("user %+v %v", got, err)
	}
	if _, err := s.User(ctx, "b"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing user: %v", err)
	}
	if err := s.SetToken(ctx, "b", nil, nil); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("set token of missing user: %v", err)
	}
}

// Concurrent sends in one conversation get distinct consecutive seqs and
// strictly increasing times, even with a clock that stands still.
func TestConcurrentSends(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	const n = 40
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			from, to := "a", "b"
			if i%2 == 1 {
				from, to = "b", "a"
			}
			if _, _, err := s.Send(ctx, msg(from, to, fmt.Sprint("c", i)), 1000); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	msgs, err := s.Messages(ctx, proto.P2PConv("a", "b"), 0, 1000)
	if err != nil || len(msgs) != n {
		t.Fatalf("%d msgs, %v", len(msgs), err)
	}
	for i, m := range msgs {
		if m.Seq != int64(i+1) || (i > 0 && m.Time <= msgs[i-1].Time) {
			t.Fatalf("msg %d: %+v", i, m)
		}
	}
	convs, ver, err := s.ConvsSince(ctx, "b", 0)
	if err != nil || len(convs) != 1 || ver != n || convs[0].LastSeq != n || convs[0].Unread != n/2 || convs[0].Peer != "a" {
		t.Fatalf("convs %+v ver %d %v", convs, ver, err)
	}
}

func TestReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := open(t, dir)
	first, dup, err := s.Send(ctx, msg("a", "b", "c1"), 1000)
	if err != nil || dup {
		t.Fatal(err, dup)
	}
	s.Close()
	s = open(t, dir)
	again, dup, err := s.Send(ctx, msg("a", "b", "c1"), 2000)
	if err != nil || !dup || again.ServerID != first.ServerID || again.Time != 1000 {
		t.Fatalf("resend after reopen: %+v %v %v", again, dup, err)
	}
	c, err := s.MarkRead(ctx, "b", first.Conv, 1)
	if err != nil || c.ReadSeq != 1 || c.Unread != 0 {
		t.Fatalf("read %+v %v", c, err)
	}
	if _, err := s.MarkRead(ctx, "c", first.Conv, 1); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("read without row: %v", err)
	}
}
