// Package cachetest is the conformance suite every core.Cache must pass.
package cachetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	. "yunxin/core"

	"yunxin/internal/jx"
)

// CacheSuite checks that a Cache behaves as the Cache interface says. open
// must return a new, empty cache each time. It is exported so idbstore's
// browser tests run the same checks against real IndexedDB.
func CacheSuite(t *testing.T, open func(t *testing.T) Cache) {
	ctx := context.Background()
	msg := func(sk string, i int, t int64) Message {
		return Message{ID: fmt.Sprintf("%s-m%03d", sk, i), SK: sk, SessionID: sk[2:], Seq: int64(i),
			From: "bob", Type: 0, Body: jx.RawMessage(`{"text":"hi"}`), Time: t, State: DeliverySent}
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
			{Kind: "team", Key: "t2", Data: jx.RawMessage(`{"name":"two"}`)},
			{Kind: "friend", Key: "zed", Data: jx.RawMessage(`{"alias":"z"}`)},
			{Kind: "team", Key: "t1", Data: jx.RawMessage(`{"name":"one"}`)},
			{Kind: "friend", Key: "amy", Data: jx.RawMessage(`{}`)},
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
		// A put replaces the record of its (kind, key); a tombstone removes it.
		err = c.Apply(ctx, &Batch{Records: []Record{{Kind: "team", Key: "t1", Data: jx.RawMessage(`{"name":"uno"}`)},
			{Kind: "friend", Key: "zed", Deleted: true}, {Kind: "friend", Key: "nobody", Deleted: true}}})
		if err != nil {
			t.Fatal(err)
		}
		s, _ = c.Load(ctx)
		if got := recordKeys(s.Records); got != "friend/amy team/t1 team/t2" {
			t.Fatalf("records after delete = %s, want no tombstones", got)
		}
		var t1 struct{ Name string }
		json.Unmarshal(s.Records[1].Data, &t1)
		if t1.Name != "uno" {
			t.Fatalf("team t1 = %s, want the replaced record", s.Records[1].Data)
		}
	})
	t.Run("RecordVersions", func(t *testing.T) { recordVersions(t, open(t)) })
	t.Run("LocalRecords", func(t *testing.T) { localRecords(t, open(t)) })
	t.Run("ApplyFillsTheBatch", func(t *testing.T) { applyFillsTheBatch(t, open(t)) })
	t.Run("OwnMessageNotUnread", func(t *testing.T) { ownMessageNotUnread(t, open(t)) })
	t.Run("ClearSessions", func(t *testing.T) { clearSessions(t, open(t)) })
	t.Run("ClearAll", func(t *testing.T) { clearAll(t, open(t)) })
	t.Run("MergeCut", func(t *testing.T) { mergeCut(t, open(t)) })
	t.Run("AddMessages", func(t *testing.T) { addMessages(t, open(t)) })
	t.Run("AddMessagesMergedClear", func(t *testing.T) { addMessagesMergedClear(t, open(t)) })
	t.Run("AddMessagesMany", func(t *testing.T) { addMessagesMany(t, open(t)) })
	t.Run("Legacy", func(t *testing.T) {
		// A session record of schema 1 carries a hidden flag; Load converts
		// it into HideTime, hidden until newer activity.
		c := open(t)
		old := Session{Key: "0|bob", ID: "bob", UpdateTime: 500, LegacyHidden: true}
		shown := Session{Key: "0|carol", ID: "carol", UpdateTime: 500}
		if err := c.Apply(ctx, &Batch{Sessions: []Session{old, shown}}); err != nil {
			t.Fatal(err)
		}
		s, err := c.Load(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Sessions) != 2 {
			t.Fatalf("sessions %+v", s.Sessions)
		}
		bob, carol := s.Sessions[0], s.Sessions[1]
		if !bob.Hidden() || bob.LegacyHidden || bob.HideTime != 500 {
			t.Fatalf("loaded schema-1 record = %+v, want hidden through HideTime 500", bob)
		}
		if carol.Hidden() || carol.HideTime != 0 {
			t.Fatalf("a shown record = %+v", carol)
		}
		// A put of the loaded copy with newer activity shows it again.
		bob.UpdateTime = 600
		if err := c.Apply(ctx, &Batch{Sessions: []Session{bob}}); err != nil {
			t.Fatal(err)
		}
		if s, _ = c.Load(ctx); s.Sessions[0].Hidden() || s.Sessions[0].LegacyHidden {
			t.Fatalf("after newer activity = %+v", s.Sessions[0])
		}
	})
	t.Run("Closed", func(t *testing.T) {
		// Once closed, every method fails with an error wrapping
		// ErrCacheClosed: core stops instead of retrying.
		c := open(t)
		if err := c.Apply(ctx, &Batch{Meta: &Meta{Ver: 1}}); err != nil {
			t.Fatal(err)
		}
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Load(ctx); !errors.Is(err, ErrCacheClosed) {
			t.Errorf("Load after Close: %v, want ErrCacheClosed", err)
		}
		if err := c.Apply(ctx, &Batch{Meta: &Meta{Ver: 2}}); !errors.Is(err, ErrCacheClosed) {
			t.Errorf("Apply after Close: %v, want ErrCacheClosed", err)
		}
		if _, err := c.Messages(ctx, Query{SK: "0|bob", Limit: 5}); !errors.Is(err, ErrCacheClosed) {
			t.Errorf("Messages after Close: %v, want ErrCacheClosed", err)
		}
		if _, err := c.MessagesByID(ctx, []string{"m1"}); !errors.Is(err, ErrCacheClosed) {
			t.Errorf("MessagesByID after Close: %v, want ErrCacheClosed", err)
		}
	})
}

// recordVersions: a record put is kept only when no stored record of its
// key, a tombstone included, has a higher Ver.
func recordVersions(t *testing.T, c Cache) {
	ctx := context.Background()
	rec := func(key string, ver int64, data string) Record {
		return Record{Kind: "friend", Key: key, Ver: ver, Data: jx.RawMessage(data)}
	}
	tomb := func(key string, ver int64) Record { return Record{Kind: "friend", Key: key, Ver: ver, Deleted: true} }
	apply := func(rs ...Record) []Record {
		t.Helper()
		b := &Batch{Records: rs}
		if err := c.Apply(ctx, b); err != nil {
			t.Fatal(err)
		}
		return b.Records
	}
	load := func() map[string]Record {
		t.Helper()
		s, err := c.Load(ctx)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]Record{}
		for _, r := range s.Records {
			if r.Deleted {
				t.Fatalf("Load returned a tombstone: %+v", r)
			}
			out[r.Key] = r
		}
		return out
	}
	apply(rec("amy", 100, `{"v":100}`), rec("bob", 10, `{"v":10}`), rec("cat", 50, `{"v":50}`))

	// A stale put after a newer one: the newer stays, and Apply says so.
	got := apply(rec("amy", 60, `{"v":60}`))
	if got[0].Ver != 100 || string(got[0].Data) != `{"v":100}` {
		t.Fatalf("stale put: Apply filled %+v, want the stored ver 100", got[0])
	}
	// The same ver again replaces (a change applied twice).
	apply(rec("cat", 50, `{"v":"50b"}`))
	// A tombstone after a put removes it; a stale put after the tombstone
	// does not bring it back.
	apply(tomb("bob", 20))
	got = apply(rec("bob", 15, `{"v":15}`))
	if !got[0].Deleted || got[0].Ver != 20 {
		t.Fatalf("put after a newer tombstone: Apply filled %+v, want the tombstone at 20", got[0])
	}
	// A stale tombstone after a newer put removes nothing.
	got = apply(tomb("amy", 90))
	if got[0].Deleted || got[0].Ver != 100 {
		t.Fatalf("stale tombstone: Apply filled %+v, want the record at 100", got[0])
	}
	m := load()
	if len(m) != 2 || string(m["amy"].Data) != `{"v":100}` || m["amy"].Ver != 100 || string(m["cat"].Data) != `{"v":"50b"}` {
		t.Fatalf("records = %+v, want amy at 100 and cat at 50 (replaced), bob deleted", m)
	}
	// A newer put after the tombstone brings the record back.
	apply(rec("bob", 30, `{"v":30}`))
	if m := load(); m["bob"].Ver != 30 || string(m["bob"].Data) != `{"v":30}` {
		t.Fatalf("newer put after a tombstone: %+v", m["bob"])
	}
	// Within one batch, the last put of the newest ver wins for every entry
	// of its key.
	got = apply(rec("dan", 5, `{"v":5}`), rec("dan", 3, `{"v":3}`))
	if got[0].Ver != 5 || got[1].Ver != 5 {
		t.Fatalf("one batch: Apply filled %+v, want dan at 5 twice", got)
	}
}

// localRecords: a batch of a message and records of a local kind
// (LocalRecord: the outbox), which a cache may put without reading first,
// as a send's first write is: all of it is stored, and a later tombstone
// removes the record.
func localRecords(t *testing.T, c Cache) {
	ctx := context.Background()
	if !LocalRecord("outbox") {
		t.Fatal(`LocalRecord("outbox") is false`)
	}
	rec := Record{Kind: "outbox", Key: "0000000001|m1", Data: jx.RawMessage(`{"id":"m1","sk":"p2p|bob"}`)}
	b := &Batch{Messages: []Message{{ID: "m1", SK: "p2p|bob", SessionID: "bob", Time: 1, State: DeliverySending}}, Records: []Record{rec}}
	if err := c.Apply(ctx, b); err != nil {
		t.Fatal(err)
	}
	if len(b.Records) != 1 || b.Records[0].Key != rec.Key || string(b.Records[0].Data) != string(rec.Data) {
		t.Errorf("Apply filled %+v, want the record as put", b.Records)
	}
	s, err := c.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Records) != 1 || s.Records[0].Key != rec.Key || string(s.Records[0].Data) != string(rec.Data) {
		t.Errorf("records %+v, want the outbox entry", s.Records)
	}
	if ms, err := c.MessagesByID(ctx, []string{"m1"}); err != nil || len(ms) != 1 {
		t.Errorf("the batch's message: %v, %v", ms, err)
	}
	if err := c.Apply(ctx, &Batch{Records: []Record{{Kind: "outbox", Key: rec.Key, Deleted: true}}}); err != nil {
		t.Fatal(err)
	}
	if s, err = c.Load(ctx); err != nil || len(s.Records) != 0 {
		t.Errorf("after the tombstone: %+v, %v", s.Records, err)
	}
}

// applyFillsTheBatch: Apply hands back what it stored, merged with what
// another writer had stored before.
func applyFillsTheBatch(t *testing.T, c Cache) {
	ctx := context.Background()
	first := &Batch{Sessions: []Session{{Key: "0|bob", ID: "bob", Conv: "p:alice|bob", SyncSeq: 4, LastSeq: 4, ReadSeq: 4, UpdateTime: 100, HideTime: 200}},
		Meta: &Meta{Ver: 9, ConvVer: 2, DeviceID: "dev1"}}
	if err := c.Apply(ctx, first); err != nil {
		t.Fatal(err)
	}
	// A stale writer: its copy of bob is older and shown, its cursors are
	// behind, it has no device id. Apply fills the batch with the merged
	// records: bob still hidden and read, the cursors and the device id kept.
	stale := &Batch{Sessions: []Session{{Key: "0|bob", ID: "bob", SyncSeq: 2, LastSeq: 2, ReadSeq: 1, Unread: 1, UpdateTime: 90},
		{Key: "0|carol", ID: "carol", LastSeq: 1, Unread: 1, UpdateTime: 50}},
		Meta: &Meta{Ver: 5, ConvVer: 3}}
	if err := c.Apply(ctx, stale); err != nil {
		t.Fatal(err)
	}
	bob := stale.Sessions[0]
	if !bob.Hidden() || bob.SyncSeq != 4 || bob.ReadSeq != 4 || bob.Unread != 0 || bob.Conv != "p:alice|bob" {
		t.Fatalf("Apply filled bob = %+v, want the merged record (hidden, read to 4)", bob)
	}
	if carol := stale.Sessions[1]; carol.Key != "0|carol" || carol.Unread != 1 {
		t.Fatalf("Apply filled carol = %+v, want the put as is", carol)
	}
	if m := stale.Meta; m == nil || *m != (Meta{Ver: 9, ConvVer: 3, DeviceID: "dev1"}) {
		t.Fatalf("Apply filled meta = %+v, want the merged {9 3 dev1}", m)
	}
	snap, err := c.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if snap.Meta != *stale.Meta || len(snap.Sessions) != 2 || snap.Sessions[0].SyncSeq != bob.SyncSeq || snap.Sessions[0].HideTime != bob.HideTime {
		t.Fatalf("Apply filled the batch with something else than it stored: %+v vs %+v %+v", snap, *stale.Meta, bob)
	}
}

// ownMessageNotUnread: a stale writer whose newest message is the
// account's own does not make it unread when merged behind a newer read
// mark.
func ownMessageNotUnread(t *testing.T, c Cache) {
	ctx := context.Background()
	m10 := Message{ID: "m10", SK: "0|bob", SessionID: "bob", Seq: 10, From: "bob", Body: jx.RawMessage(`{}`), Time: 100, State: DeliverySent}
	m11 := Message{ID: "m11", SK: "0|bob", SessionID: "bob", Seq: 11, From: "alice", Body: jx.RawMessage(`{}`), Time: 110, State: DeliverySent, Outgoing: true}
	// Tab 1 read everything up to 10.
	tab1 := Session{Key: "0|bob", ID: "bob", SyncSeq: 10, LastSeq: 10, ReadSeq: 10, LastMsg: &m10, UpdateTime: 100}
	// Tab 2, behind (read 5, bob's 6 to 10 unread), sends message 11.
	tab2 := Session{Key: "0|bob", ID: "bob", SyncSeq: 11, LastSeq: 11, ReadSeq: 5, Unread: 5, LastMsg: &m11, UpdateTime: 110}
	for _, s := range []Session{tab1, tab2} {
		if err := c.Apply(ctx, &Batch{Sessions: []Session{s}}); err != nil {
			t.Fatal(err)
		}
	}
	snap, err := c.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := snap.Sessions[0]; got.ReadSeq != 10 || got.Unread != 0 || got.LastSeq != 11 || got.LastMsg.ID != "m11" {
		t.Fatalf("merged = read %d, %d unread, last %d; want read 10, 0 unread (11 is alice's own), last 11", got.ReadSeq, got.Unread, got.LastSeq)
	}
	// Bob's 12 after that is unread.
	m12 := Message{ID: "m12", SK: "0|bob", SessionID: "bob", Seq: 12, From: "bob", Body: jx.RawMessage(`{}`), Time: 120, State: DeliverySent}
	tab2.SyncSeq, tab2.LastSeq, tab2.Unread, tab2.LastMsg, tab2.UpdateTime = 12, 12, 6, &m12, 120
	if err := c.Apply(ctx, &Batch{Sessions: []Session{tab2}}); err != nil {
		t.Fatal(err)
	}
	if snap, _ = c.Load(ctx); snap.Sessions[0].Unread != 1 || snap.Sessions[0].ReadSeq != 10 {
		t.Fatalf("after bob's 12: read %d, %d unread; want 10, 1", snap.Sessions[0].ReadSeq, snap.Sessions[0].Unread)
	}
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
	m3 := Message{ID: "m3", SK: "0|bob", SessionID: "bob", Seq: 3, From: "bob", Body: jx.RawMessage(`{"text":"3"}`), Time: 100, State: DeliverySent}
	base := Session{Key: "0|bob", ID: "bob", Conv: "p:alice|bob", SyncSeq: 3, LastSeq: 3, ReadSeq: 1, SrvReadSeq: 1,
		Unread: 2, LastMsg: &m3, UpdateTime: 100, LocalExt: jx.RawMessage(`{"pin":true}`)}
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
	m6 := Message{ID: "m6", SK: "0|bob", SessionID: "bob", Seq: 6, From: "bob", Body: jx.RawMessage(`{"text":"6"}`), Time: 300, State: DeliverySent}
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

func clearMsg(sk string, i int) Message {
	return Message{ID: fmt.Sprintf("%s-c%03d", sk, i), SK: sk, SessionID: sk[2:], Seq: int64(i),
		From: "bob", Body: jx.RawMessage(`{"text":"hi"}`), Time: int64(1000 + i), State: DeliverySent}
}

// clearSessions: ClearSessions deletes every live message of those sessions
// (from pages and MessagesByID) and nothing of the others, before the
// batch's Messages are written; sessions and their cursors stay.
func clearSessions(t *testing.T, c Cache) {
	ctx := context.Background()
	var b Batch
	var ids []string
	for i := 1; i <= 30; i++ {
		for _, sk := range []string{"0|bob", "0|bobby", "0|carol"} {
			m := clearMsg(sk, i)
			b.Messages = append(b.Messages, m)
			ids = append(ids, m.ID)
		}
	}
	b.Sessions = []Session{{Key: "0|bob", ID: "bob", SyncSeq: 30, LastSeq: 30}}
	if err := c.Apply(ctx, &b); err != nil {
		t.Fatal(err)
	}
	kept := clearMsg("0|bob", 99) // written by the same batch: after the clear
	if err := c.Apply(ctx, &Batch{ClearSessions: []string{"0|bob", "0|nobody"}, Messages: []Message{kept}}); err != nil {
		t.Fatal(err)
	}
	if page, err := c.Messages(ctx, Query{SK: "0|bob", Limit: 100}); err != nil || len(page) != 1 || page[0].ID != kept.ID {
		t.Fatalf("bob after the clear: %v, %v; want only the message of the clearing batch", seqs(page), err)
	}
	for _, sk := range []string{"0|bobby", "0|carol"} {
		if page, _ := c.Messages(ctx, Query{SK: sk, Limit: 100}); len(page) != 30 {
			t.Fatalf("%s lost messages to bob's clear: %d left", sk, len(page))
		}
	}
	got, err := c.MessagesByID(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range got {
		if m.SK == "0|bob" {
			t.Fatalf("MessagesByID still returns cleared %s", m.ID)
		}
	}
	if len(got) != 60 {
		t.Fatalf("MessagesByID after the clear: %d messages, want 60", len(got))
	}
	s, _ := c.Load(ctx)
	if len(s.Sessions) != 1 || s.Sessions[0].SyncSeq != 30 {
		t.Fatalf("sessions after the clear: %+v", s.Sessions)
	}
}

// clearAll: ClearAll deletes every message, deleted ones too, before the
// batch's Messages are written.
func clearAll(t *testing.T, c Cache) {
	ctx := context.Background()
	var b Batch
	var ids []string
	for i := 1; i <= 10; i++ {
		for _, sk := range []string{"0|bob", "0|carol"} {
			m := clearMsg(sk, i)
			m.Deleted = i == 5
			b.Messages = append(b.Messages, m)
			ids = append(ids, m.ID)
		}
	}
	b.Meta = &Meta{Ver: 3}
	if err := c.Apply(ctx, &b); err != nil {
		t.Fatal(err)
	}
	kept := clearMsg("0|carol", 50)
	if err := c.Apply(ctx, &Batch{ClearAll: true, Messages: []Message{kept}}); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.MessagesByID(ctx, append(ids, kept.ID)); len(got) != 1 || got[0].ID != kept.ID {
		t.Fatalf("after ClearAll MessagesByID = %d messages, want only %s", len(got), kept.ID)
	}
	if page, _ := c.Messages(ctx, Query{SK: "0|bob", Limit: 100}); len(page) != 0 {
		t.Fatalf("bob after ClearAll: %v", seqs(page))
	}
	if s, _ := c.Load(ctx); s.Meta.Ver != 3 {
		t.Fatalf("meta after ClearAll: %+v", s.Meta)
	}
}

// mergeCut: a writer that did not see a removal (an older copy of the
// session) cannot bring the removed last message back, while a message it
// got after the removal stays; a later localExt wins.
func mergeCut(t *testing.T, c Cache) {
	ctx := context.Background()
	put := func(s Session) Session {
		t.Helper()
		b := &Batch{Sessions: []Session{s}}
		if err := c.Apply(ctx, b); err != nil {
			t.Fatal(err)
		}
		return b.Sessions[0]
	}
	p, m, n := clearMsg("0|bob", 1), clearMsg("0|bob", 2), clearMsg("0|bob", 3)
	stale := Session{Key: "0|bob", ID: "bob", SyncSeq: 2, LastSeq: 2, LastMsg: &m, UpdateTime: m.Time,
		LocalExt: jx.RawMessage(`{"v":1}`), LocalExtAt: 10}
	put(stale)
	// Another tab removes m (revoke or delete): its last message goes back to p.
	cut := stale
	cut.LastMsg, cut.CutAt, cut.CutT, cut.CutID = &p, 5000, m.Time, m.ID
	cut.LocalExt, cut.LocalExtAt = jx.RawMessage(`{"v":2}`), 20
	if got := put(cut); got.LastMsg == nil || got.LastMsg.ID != p.ID {
		t.Fatalf("after the removal: last %+v, want %s", got.LastMsg, p.ID)
	}
	// The stale copy again (a read mark, say): m must not come back, nor
	// its older localExt.
	got := put(stale)
	if got.LastMsg == nil || got.LastMsg.ID != p.ID || got.CutAt != 5000 {
		t.Fatalf("stale writer brought back %+v (cut %d)", got.LastMsg, got.CutAt)
	}
	if string(got.LocalExt) != `{"v":2}` || got.LocalExtAt != 20 {
		t.Fatalf("stale writer's localExt won: %s", got.LocalExt)
	}
	// The stale tab then gets a new message n: it is the last one.
	fresh := stale
	fresh.LastMsg, fresh.SyncSeq, fresh.LastSeq = &n, 3, 3
	if got := put(fresh); got.LastMsg == nil || got.LastMsg.ID != n.ID {
		t.Fatalf("a message after the removal lost: last %+v, want %s", got.LastMsg, n.ID)
	}
	// A clear: no last message, and no stale copy brings one back.
	cleared := put(Session{Key: "0|bob", ID: "bob"})
	cleared.LastMsg, cleared.CutAt, cleared.CutT, cleared.CutID, cleared.ClearedTo = nil, 6000, 9999, "", 9999
	if got := put(cleared); got.LastMsg != nil {
		t.Fatalf("after a clear: last %+v", got.LastMsg)
	}
	if got := put(fresh); got.LastMsg != nil || got.ClearedTo != 9999 {
		t.Fatalf("stale writer after a clear: last %+v, clearedTo %d", got.LastMsg, got.ClearedTo)
	}
}

func ids(ms []Message) string {
	var s []string
	for _, m := range ms {
		s = append(s, m.ID)
	}
	return strings.Join(s, " ")
}

func addMsg(sk, id string, t int64, text string) Message {
	return Message{ID: id, SK: sk, SessionID: sk[2:], Seq: t - 1000, From: "bob",
		Body: jx.RawMessage(`{"text":"` + text + `"}`), Time: t, State: DeliverySent}
}

// addMessages: AddMessages inserts a message only when no message of its id
// is stored (deleted ones included, the batch's own Messages too), its id
// is not in DeleteMessages and, unless AddCleared, its Time is above its
// session's ClearedTo; Apply leaves in the batch the ones it inserted.
func addMessages(t *testing.T, c Cache) {
	ctx := context.Background()
	live, dead := addMsg("0|bob", "live", 1001, "mine"), addMsg("0|bob", "dead", 1002, "mine")
	dead.Deleted = true
	seed := &Batch{Messages: []Message{live, dead},
		Sessions: []Session{{Key: "0|bob", ID: "bob", ClearedTo: 1500}}}
	if err := c.Apply(ctx, seed); err != nil {
		t.Fatal(err)
	}
	own := addMsg("0|bob", "own", 1700, "mine")
	b := &Batch{
		Messages:       []Message{own},
		DeleteMessages: []string{"revoked"},
		AddMessages: []Message{
			addMsg("0|bob", "live", 1001, "server"),    // stored: kept as stored
			addMsg("0|bob", "dead", 1002, "server"),    // stored deleted: stays deleted
			addMsg("0|bob", "cleared", 1400, "server"), // below ClearedTo
			addMsg("0|bob", "edge", 1500, "server"),    // at ClearedTo
			addMsg("0|bob", "new", 1600, "server"),     // inserted
			addMsg("0|bob", "revoked", 1650, "server"), // deleted by the same batch
			addMsg("0|bob", "own", 1700, "server"),     // the batch's own write wins
			addMsg("0|carol", "nosession", 10, "server"),
			addMsg("0|bob", "new", 1600, "again"), // twice in one batch: the first
		},
	}
	if err := c.Apply(ctx, b); err != nil {
		t.Fatal(err)
	}
	if got := ids(b.AddMessages); got != "new nosession" {
		t.Fatalf("Apply left AddMessages %q, want the inserted ones: new nosession", got)
	}
	page, err := c.Messages(ctx, Query{SK: "0|bob", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(page); got != "live new own" {
		t.Fatalf("bob's messages: %q, want live new own", got)
	}
	for _, m := range page {
		want := `{"text":"mine"}`
		if m.ID == "new" {
			want = `{"text":"server"}`
		}
		if string(m.Body) != want {
			t.Fatalf("%s has body %s, want %s", m.ID, m.Body, want)
		}
	}
	got, err := c.MessagesByID(ctx, []string{"dead", "cleared", "edge", "revoked", "nosession"})
	if err != nil {
		t.Fatal(err)
	}
	if ids(got) != "dead nosession" || !got[0].Deleted || string(got[0].Body) != `{"text":"mine"}` {
		t.Fatalf("by id: %+v; want dead (still deleted, as stored) and nosession", got)
	}
	// AddCleared lets the cleared ones in, not the stored ones.
	b = &Batch{AddCleared: true, AddMessages: []Message{addMsg("0|bob", "cleared", 1400, "server"),
		addMsg("0|bob", "dead", 1002, "server")}}
	if err := c.Apply(ctx, b); err != nil {
		t.Fatal(err)
	}
	if got := ids(b.AddMessages); got != "cleared" {
		t.Fatalf("with AddCleared, inserted %q, want cleared", got)
	}
	if page, _ := c.Messages(ctx, Query{SK: "0|bob", Limit: 100}); ids(page) != "live cleared new own" {
		t.Fatalf("bob's messages with AddCleared: %q", ids(page))
	}
}

// addMessagesMergedClear: the ClearedTo that AddMessages are checked
// against is the stored session's merged with the batch's: a batch staged
// from an older copy (ClearedTo 0) cannot let cleared messages in, and a
// clear in the same batch keeps them out.
func addMessagesMergedClear(t *testing.T, c Cache) {
	ctx := context.Background()
	if err := c.Apply(ctx, &Batch{Sessions: []Session{{Key: "0|bob", ID: "bob", ClearedTo: 3000, UpdateTime: 10}}}); err != nil {
		t.Fatal(err)
	}
	b := &Batch{
		Sessions: []Session{{Key: "0|bob", ID: "bob", SyncSeq: 5, LastSeq: 5, UpdateTime: 5},
			{Key: "0|dave", ID: "dave", ClearedTo: 2000}},
		AddMessages: []Message{addMsg("0|bob", "b1", 2500, "s"), addMsg("0|bob", "b2", 3001, "s"),
			addMsg("0|dave", "d1", 1900, "s"), addMsg("0|dave", "d2", 2100, "s")},
	}
	if err := c.Apply(ctx, b); err != nil {
		t.Fatal(err)
	}
	if got := ids(b.AddMessages); got != "b2 d2" {
		t.Fatalf("inserted %q, want b2 d2", got)
	}
	if len(b.Sessions) != 2 || b.Sessions[0].ClearedTo != 3000 || b.Sessions[0].SyncSeq != 5 {
		t.Fatalf("merged sessions: %+v", b.Sessions)
	}
	if got, _ := c.MessagesByID(ctx, []string{"b1", "b2", "d1", "d2"}); ids(got) != "b2 d2" {
		t.Fatalf("stored: %q, want b2 d2", ids(got))
	}
}

// addMessagesMany: a sync's AddMessages, many messages of a few sessions
// (a cache may store them apart from the messages it writes one by one:
// idbstore's runs), read back like any others: pages in both directions
// across what came in several batches and what was written one by one,
// by id, and the writes after: an update and a delete win over what was
// added, a revoke (DeleteMessages) and a clear remove them.
func addMessagesMany(t *testing.T, c Cache) {
	ctx := context.Background()
	add := func(sk string, from, to int) []Message {
		var ms []Message
		for i := from; i <= to; i++ {
			ms = append(ms, addMsg(sk, fmt.Sprintf("%s-%03d", sk[2:], i), int64(10000+10*i), fmt.Sprint("server ", i)))
		}
		return ms
	}
	// Two batches of bob (150, then 60 more) and one of carol, sessions
	// stored before with nothing cached.
	if err := c.Apply(ctx, &Batch{Sessions: []Session{{Key: "0|bob", ID: "bob"}}}); err != nil {
		t.Fatal(err)
	}
	first := append(add("0|bob", 1, 150), add("0|carol", 1, 30)...)
	b := &Batch{AddMessages: first, Sessions: []Session{{Key: "0|bob", ID: "bob", SyncSeq: 150}, {Key: "0|carol", ID: "carol", SyncSeq: 30}}}
	if err := c.Apply(ctx, b); err != nil {
		t.Fatal(err)
	}
	if len(b.AddMessages) != len(first) || ids(b.AddMessages) != ids(first) {
		t.Fatalf("Apply inserted %d of %d (want all, in order)", len(b.AddMessages), len(first))
	}
	// Messages written one by one, in between (an own message) and after.
	own := addMsg("0|bob", "own", 10000+10*75+5, "mine")
	own.From = "me"
	if err := c.Apply(ctx, &Batch{Messages: []Message{own}}); err != nil {
		t.Fatal(err)
	}
	second := add("0|bob", 151, 210)
	b = &Batch{AddMessages: second, Sessions: []Session{{Key: "0|bob", ID: "bob", SyncSeq: 210}}}
	if err := c.Apply(ctx, b); err != nil {
		t.Fatal(err)
	}
	if len(b.AddMessages) != len(second) {
		t.Fatalf("second batch: inserted %d of %d", len(b.AddMessages), len(second))
	}
	// A message a record holds already is not added again.
	again := &Batch{AddMessages: add("0|bob", 100, 115)}
	if err := c.Apply(ctx, again); err != nil {
		t.Fatal(err)
	}
	if len(again.AddMessages) != 0 {
		t.Fatalf("added %q again", ids(again.AddMessages))
	}
	want := append(add("0|bob", 1, 75), own)
	want = append(want, add("0|bob", 76, 210)...)
	checkPages := func(what string, want []Message) {
		t.Helper()
		all, err := c.Messages(ctx, Query{SK: "0|bob"})
		if err != nil || ids(all) != ids(want) {
			t.Fatalf("%s: all of bob: %v\nwant %q\n got %q", what, err, ids(want), ids(all))
		}
		// Older pages of 20 from the newest, then newer pages from the oldest.
		var got []Message
		var anchor *Message
		for {
			page, err := c.Messages(ctx, Query{SK: "0|bob", Anchor: anchor, Limit: 20})
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			got = append(append([]Message(nil), page...), got...)
			anchor = &page[0]
		}
		if ids(got) != ids(want) {
			t.Fatalf("%s: older pages of bob:\nwant %q\n got %q", what, ids(want), ids(got))
		}
		got, anchor = nil, nil
		for {
			page, err := c.Messages(ctx, Query{SK: "0|bob", Anchor: anchor, Limit: 20, Newer: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			got = append(got, page...)
			anchor = &page[len(page)-1]
		}
		if ids(got) != ids(want) {
			t.Fatalf("%s: newer pages of bob:\nwant %q\n got %q", what, ids(want), ids(got))
		}
	}
	checkPages("after the adds", want)
	if page, _ := c.Messages(ctx, Query{SK: "0|carol", Limit: 100}); len(page) != 30 || string(page[29].Body) != `{"text":"server 30"}` {
		t.Fatalf("carol: %q", ids(page))
	}
	got, err := c.MessagesByID(ctx, []string{"bob-210", "own", "nobody", "bob-001", "carol-007"})
	if err != nil || ids(got) != "bob-210 own bob-001 carol-007" || string(got[3].Body) != `{"text":"server 7"}` {
		t.Fatalf("by id: %q, %v", ids(got), err)
	}

	// An update (a local ext) and a delete of added messages win; a
	// revoke removes one.
	upd := add("0|bob", 40, 40)[0]
	upd.LocalExt = jx.RawMessage(`{"k":1}`)
	del := add("0|bob", 41, 41)[0]
	del.Deleted = true
	if err := c.Apply(ctx, &Batch{Messages: []Message{upd, del}, DeleteMessages: []string{"bob-042", "bob-150", "bob-151"}}); err != nil {
		t.Fatal(err)
	}
	var left []Message
	for _, m := range want {
		switch m.ID {
		case "bob-041", "bob-042", "bob-150", "bob-151":
		case "bob-040":
			left = append(left, upd)
		default:
			left = append(left, m)
		}
	}
	checkPages("after an update, a delete and revokes", left)
	got, err = c.MessagesByID(ctx, []string{"bob-040", "bob-041", "bob-042", "bob-151"})
	if err != nil || ids(got) != "bob-040 bob-041" || string(got[0].LocalExt) != `{"k":1}` || !got[1].Deleted {
		t.Fatalf("by id after the update, delete and revokes: %+v, %v", got, err)
	}
	// The batch's own write of one of its adds wins, also among many.
	mine := add("0|carol", 100, 100)[0]
	mine.Body = jx.RawMessage(`{"text":"mine"}`)
	b = &Batch{Messages: []Message{mine}, AddMessages: add("0|carol", 100, 115)}
	if err := c.Apply(ctx, b); err != nil {
		t.Fatal(err)
	}
	if ids(b.AddMessages) != ids(add("0|carol", 101, 115)) {
		t.Fatalf("with its own write of carol-100: inserted %q", ids(b.AddMessages))
	}
	if got, _ := c.MessagesByID(ctx, []string{"carol-100"}); len(got) != 1 || string(got[0].Body) != `{"text":"mine"}` {
		t.Fatalf("carol-100: %+v, want the batch's own write", got)
	}
	if page, _ := c.Messages(ctx, Query{SK: "0|carol"}); len(page) != 46 {
		t.Fatalf("carol: %d messages, want 46", len(page))
	}

	// A clear removes bob's, not carol's.
	if err := c.Apply(ctx, &Batch{ClearSessions: []string{"0|bob"}}); err != nil {
		t.Fatal(err)
	}
	if page, err := c.Messages(ctx, Query{SK: "0|bob"}); err != nil || len(page) != 0 {
		t.Fatalf("bob after the clear: %q, %v", ids(page), err)
	}
	if got, _ := c.MessagesByID(ctx, []string{"bob-100", "bob-210", "carol-030"}); ids(got) != "carol-030" {
		t.Fatalf("by id after bob's clear: %q, want carol's only", ids(got))
	}
	if err := c.Apply(ctx, &Batch{ClearAll: true}); err != nil {
		t.Fatal(err)
	}
	if page, _ := c.Messages(ctx, Query{SK: "0|carol"}); len(page) != 0 {
		t.Fatalf("carol after clearing all: %q", ids(page))
	}
}
