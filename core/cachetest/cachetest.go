// Package cachetest is the conformance suite every core.Cache must pass.
package cachetest

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	. "yunxin/core"
)

// CacheSuite checks that a Cache behaves as the Cache interface says. open
// must return a new, empty cache each time. It is exported so idbstore's
// browser tests run the same checks against real IndexedDB.
func CacheSuite(t *testing.T, open func(t *testing.T) Cache) {
	ctx := context.Background()
	msg := func(sk string, i int, t int64) Message {
		return Message{ID: fmt.Sprintf("%s-m%03d", sk, i), SK: sk, SessionID: sk[2:], Seq: int64(i),
			From: "bob", Type: 0, Body: json.RawMessage(`{"text":"hi"}`), Time: t, State: DeliverySent}
	}
	t.Run("LoadEmpty", func(t *testing.T) {
		c := open(t)
		s, err := c.Load(ctx)
		if err != nil || len(s.Sessions) != 0 || s.Meta.Ver != 0 {
			t.Fatalf("Load on empty = %+v, %v", s, err)
		}
	})
	t.Run("ApplyAndLoad", func(t *testing.T) {
		c := open(t)
		last := msg("0|bob", 1, 1000)
		b := &Batch{
			Sessions: []Session{{Key: "0|bob", ID: "bob", Conv: "p:alice|bob", LastSeq: 1, Unread: 1, LastMsg: &last},
				{Key: "0|carol", ID: "carol", HideTime: 5}},
			Meta: &Meta{Ver: 7, DeviceID: "dev1"},
		}
		if err := c.Apply(ctx, b); err != nil {
			t.Fatal(err)
		}
		s, err := c.Load(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if s.Meta.Ver != 7 || s.Meta.DeviceID != "dev1" || len(s.Sessions) != 2 {
			t.Fatalf("Load = %+v", s)
		}
		var bob *Session
		for i := range s.Sessions {
			if s.Sessions[i].Key == "0|bob" {
				bob = &s.Sessions[i]
			}
		}
		if bob == nil || bob.Unread != 1 || bob.LastMsg == nil || bob.LastMsg.ID != last.ID || string(bob.LastMsg.Body) != `{"text":"hi"}` {
			t.Fatalf("bob = %+v", bob)
		}
		if err := c.Apply(ctx, &Batch{DeleteSessions: []string{"0|carol"}}); err != nil {
			t.Fatal(err)
		}
		s, _ = c.Load(ctx)
		if len(s.Sessions) != 1 {
			t.Fatalf("after delete: %d sessions", len(s.Sessions))
		}
	})
	t.Run("MessagesPaging", func(t *testing.T) {
		c := open(t)
		var b Batch
		for i := 1; i <= 25; i++ {
			b.Messages = append(b.Messages, msg("0|bob", i, int64(1000+i)))
			b.Messages = append(b.Messages, msg("0|carol", i, int64(1000+i)))
		}
		if err := c.Apply(ctx, &b); err != nil {
			t.Fatal(err)
		}
		page, err := c.Messages(ctx, Query{SK: "0|bob", Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(page) != 10 || page[0].Seq != 16 || page[9].Seq != 25 {
			t.Fatalf("newest page: %v", seqs(page))
		}
		page2, _ := c.Messages(ctx, Query{SK: "0|bob", Limit: 10, Anchor: &page[0]})
		if len(page2) != 10 || page2[0].Seq != 6 || page2[9].Seq != 15 {
			t.Fatalf("older page: %v", seqs(page2))
		}
		page3, _ := c.Messages(ctx, Query{SK: "0|bob", Limit: 10, Anchor: &page2[0]})
		if len(page3) != 5 || page3[0].Seq != 1 {
			t.Fatalf("oldest page: %v", seqs(page3))
		}
		newer, _ := c.Messages(ctx, Query{SK: "0|bob", Limit: 3, Anchor: &page2[9], Newer: true})
		if len(newer) != 3 || newer[0].Seq != 16 || newer[2].Seq != 18 {
			t.Fatalf("newer page: %v", seqs(newer))
		}
		first, _ := c.Messages(ctx, Query{SK: "0|bob", Limit: 2, Newer: true})
		if len(first) != 2 || first[0].Seq != 1 {
			t.Fatalf("first page: %v", seqs(first))
		}
		// Same time, different ids: ordered by id, none lost across pages.
		same := []Message{msg("0|dan", 1, 5000), msg("0|dan", 2, 5000), msg("0|dan", 3, 5000)}
		c.Apply(ctx, &Batch{Messages: same})
		p, _ := c.Messages(ctx, Query{SK: "0|dan", Limit: 2})
		p2, _ := c.Messages(ctx, Query{SK: "0|dan", Limit: 2, Anchor: &p[0]})
		if len(p) != 2 || len(p2) != 1 || p[0].Seq != 2 || p2[0].Seq != 1 {
			t.Fatalf("same-time pages: %v %v", seqs(p), seqs(p2))
		}
	})
	t.Run("DeletedAndByID", func(t *testing.T) {
		c := open(t)
		m1, m2 := msg("0|bob", 1, 1001), msg("0|bob", 2, 1002)
		m2.Deleted = true
		c.Apply(ctx, &Batch{Messages: []Message{m1, m2}})
		page, _ := c.Messages(ctx, Query{SK: "0|bob", Limit: 10})
		if len(page) != 1 || page[0].ID != m1.ID {
			t.Fatalf("deleted message listed: %v", seqs(page))
		}
		got, err := c.MessagesByID(ctx, []string{m2.ID, "nope", m1.ID})
		if err != nil || len(got) != 2 || got[0].ID != m2.ID || got[1].ID != m1.ID || !got[0].Deleted {
			t.Fatalf("MessagesByID = %+v, %v", got, err)
		}
		// Put replaces: the message acked by the server gets its seq.
		m1.Seq, m1.ServerID = 9, "s9"
		c.Apply(ctx, &Batch{Messages: []Message{m1}, DeleteMessages: []string{m2.ID}})
		got, _ = c.MessagesByID(ctx, []string{m1.ID, m2.ID})
		if len(got) != 1 || got[0].Seq != 9 || got[0].ServerID != "s9" {
			t.Fatalf("after replace = %+v", got)
		}
	})
}

func seqs(ms []Message) []int64 {
	var s []int64
	for _, m := range ms {
		s = append(s, m.Seq)
	}
	return s
}
