// Package cachetest is the conformance suite every core.Cache must pass.
package cachetest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
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
	t.Run("MergeTwoWriters", func(t *testing.T) { mergeTwoWriters(t, open(t)) })
	t.Run("MergeMeta", func(t *testing.T) {
		c := open(t)
		if err := c.Apply(ctx, &Batch{Meta: &Meta{Ver: 7, ConvVer: 3, DeviceID: "dev1"}}); err != nil {
			t.Fatal(err)
		}
		// A writer with stale cursors and another device id: cursors only move
		// forward, the device id stays.
		if err := c.Apply(ctx, &Batch{Meta: &Meta{Ver: 5, ConvVer: 9, DeviceID: "dev2"}}); err != nil {
			t.Fatal(err)
		}
		s, err := c.Load(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := (Meta{Ver: 7, ConvVer: 9, DeviceID: "dev1"}); s.Meta != want {
			t.Fatalf("meta = %+v, want %+v", s.Meta, want)
		}
	})
	t.Run("Records", func(t *testing.T) {
		c := open(t)
		b := &Batch{Records: []Record{
			{Kind: "team", Key: "t2", Data: json.RawMessage(`{"name":"two"}`)},
			{Kind: "friend", Key: "zed", Data: json.RawMessage(`{"alias":"z"}`)},
			{Kind: "team", Key: "t1", Data: json.RawMessage(`{"name":"one"}`)},
			{Kind: "friend", Key: "amy", Data: json.RawMessage(`{}`)},
		}}
		if err := c.Apply(ctx, b); err != nil {
			t.Fatal(err)
		}
		s, err := c.Load(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got := recordKeys(s.Records); got != "friend/amy friend/zed team/t1 team/t2" {
			t.Fatalf("records = %s, want ordered by (kind, key)", got)
		}
		// A put replaces the record of its (kind, key); a delete removes it.
		err = c.Apply(ctx, &Batch{Records: []Record{{Kind: "team", Key: "t1", Data: json.RawMessage(`{"name":"uno"}`)}},
			DeleteRecords: []RecordKey{{Kind: "friend", Key: "zed"}, {Kind: "friend", Key: "nobody"}}})
		if err != nil {
			t.Fatal(err)
		}
		s, _ = c.Load(ctx)
		if got := recordKeys(s.Records); got != "friend/amy team/t1 team/t2" {
			t.Fatalf("records after delete = %s", got)
		}
		var t1 struct{ Name string }
		json.Unmarshal(s.Records[1].Data, &t1)
		if t1.Name != "uno" {
			t.Fatalf("team t1 = %s, want the replaced record", s.Records[1].Data)
		}
	})
}

// mergeTwoWriters plays two tabs of one account sharing the cache, each
// holding its own copy of a session in memory: every put of a stale copy
// must keep what the other tab wrote since.
func mergeTwoWriters(t *testing.T, c Cache) {
	ctx := context.Background()
	put := func(s Session) {
		t.Helper()
		if err := c.Apply(ctx, &Batch{Sessions: []Session{s}}); err != nil {
			t.Fatal(err)
		}
	}
	load := func() Session {
		t.Helper()
		snap, err := c.Load(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range snap.Sessions {
			if s.Key == "0|bob" {
				return s
			}
		}
		t.Fatal("session 0|bob missing")
		return Session{}
	}
	m3 := Message{ID: "m3", SK: "0|bob", SessionID: "bob", Seq: 3, From: "bob", Body: json.RawMessage(`{"text":"3"}`), Time: 100, State: DeliverySent}
	base := Session{Key: "0|bob", ID: "bob", Conv: "p:alice|bob", SyncSeq: 3, LastSeq: 3, ReadSeq: 1, SrvReadSeq: 1,
		Unread: 2, LastMsg: &m3, UpdateTime: 100, LocalExt: json.RawMessage(`{"pin":true}`)}
	put(base)
	tab1, tab2 := base, base

	// Tab 1 deletes the session from the recent list and marks it read.
	tab1.HideTime = 200
	tab1.ReadSeq, tab1.Unread, tab1.SrvReadSeq = 3, 0, 3
	put(tab1)
	// Tab 2 writes its stale copy with a receipt it got and a message cached
	// past a gap: the hide and the read mark survive, the receipt and the
	// cursor are merged in.
	tab2.PeerReadSeq, tab2.PeerReadTime = 3, 150
	tab2.Ahead, tab2.LastSeq, tab2.Unread = []int64{5}, 5, 3 // bob's 2, 3 and 5 unread
	tab2.Conv, tab2.LocalExt = "", nil                       // fields a writer leaves empty keep the stored value
	put(tab2)
	got := load()
	if !got.Hidden() || got.HideTime != 200 {
		t.Fatalf("tab 1's hide was undone by tab 2's stale put: HideTime %d, UpdateTime %d", got.HideTime, got.UpdateTime)
	}
	if got.ReadSeq != 3 || got.Unread != 2 || got.SrvReadSeq != 3 {
		t.Fatalf("read mark = %d, %d unread (server %d); want tab 1's 3 with bob's 4 and 5 unread (3)", got.ReadSeq, got.Unread, got.SrvReadSeq)
	}
	if got.PeerReadSeq != 3 || got.PeerReadTime != 150 {
		t.Fatalf("receipt = %d at %d, want tab 2's 3 at 150", got.PeerReadSeq, got.PeerReadTime)
	}
	if got.SyncSeq != 3 || len(got.Ahead) != 1 || got.Ahead[0] != 5 {
		t.Fatalf("cursor = %d %v, want 3 [5]", got.SyncSeq, got.Ahead)
	}
	if got.Conv != "p:alice|bob" || string(got.LocalExt) != `{"pin":true}` || got.LastMsg == nil || got.LastMsg.ID != "m3" {
		t.Fatalf("empty fields overwrote stored ones: conv %q localExt %s lastMsg %+v", got.Conv, got.LocalExt, got.LastMsg)
	}

	// Tab 1 caches bob's message 4 (closing the gap up to tab 2's 5); cursors
	// unite, and the count of the writer that has seen more stays.
	tab1.SyncSeq, tab1.LastSeq, tab1.Unread = 4, 4, 1
	put(tab1)
	if got := load(); got.SyncSeq != 5 || len(got.Ahead) != 0 || got.LastSeq != 5 || got.Unread != 2 {
		t.Fatalf("after tab 1 cached 4: cursor %d %v, last %d, unread %d; want 5 [], 5, 2", got.SyncSeq, got.Ahead, got.LastSeq, got.Unread)
	}

	// Tab 2 receives message 6 from bob after the hide: new activity shows
	// the session again, with bob's 4, 5 and 6 unread after tab 1's read mark.
	m6 := Message{ID: "m6", SK: "0|bob", SessionID: "bob", Seq: 6, From: "bob", Body: json.RawMessage(`{"text":"6"}`), Time: 300, State: DeliverySent}
	tab2.SyncSeq, tab2.Ahead, tab2.LastSeq, tab2.Unread, tab2.LastMsg, tab2.UpdateTime = 6, nil, 6, 4, &m6, 300
	put(tab2)
	got = load()
	if got.Hidden() || got.UpdateTime != 300 || got.LastMsg == nil || got.LastMsg.ID != "m6" {
		t.Fatalf("a later message did not show the session: %+v", got)
	}
	if got.ReadSeq != 3 || got.Unread != 3 || got.SyncSeq != 6 || got.LastSeq != 6 {
		t.Fatalf("after message 6: read %d unread %d sync %d last %d, want 3 3 6 6", got.ReadSeq, got.Unread, got.SyncSeq, got.LastSeq)
	}
	// Tab 1, still holding its hidden copy, hides nothing new: a put of it
	// does not hide the session again.
	put(tab1)
	if got := load(); got.Hidden() || got.LastMsg.ID != "m6" || got.Unread != 3 || got.SyncSeq != 6 {
		t.Fatalf("tab 1's stale hidden copy hid the session again: %+v", got)
	}
}

func recordKeys(rs []Record) string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Kind+"/"+r.Key)
	}
	return strings.Join(out, " ")
}

func seqs(ms []Message) []int64 {
	var s []int64
	for _, m := range ms {
		s = append(s, m.Seq)
	}
	return s
}
