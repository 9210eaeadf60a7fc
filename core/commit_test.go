package core

import (
	"context"
	"slices"
	"testing"

	"yunxin/internal/jx"
	"yunxin/proto"
)

// Tests of tx.commit (state.go): what it installs and emits once the cache
// merged the batch with what another tab stored.

// twoTabs returns two clients of alice sharing one cache (two handles on
// one MemCache, as two tabs share one IndexedDB), both loaded with bob's
// session shown, unread 1 at seq 3.
func twoTabs(t *testing.T) (c1 *Client, r1 *run, rec1 *recorder, c2 *Client, r2 *run, rec2 *recorder) {
	t.Helper()
	cache := NewMemCache()
	m3 := Message{ID: "m3", SK: "0|bob", SessionID: "bob", Seq: 3, From: "bob", Body: jx.RawMessage(`{"text":"3"}`), Time: 1000, State: DeliverySent}
	seed := Session{Key: "0|bob", ID: "bob", Conv: "p:alice|bob", SyncSeq: 3, LastSeq: 3, ReadSeq: 2, Unread: 1, LastMsg: &m3, UpdateTime: 1000}
	if err := cache.Apply(context.Background(), &Batch{Sessions: []Session{seed}, Messages: []Message{m3}}); err != nil {
		t.Fatal(err)
	}
	c1, r1, rec1 = offline(t, cache, false)
	c2, r2, rec2 = offline(t, cache.Reopen(), false)
	return
}

func TestCommitInstallsTheMergedSession(t *testing.T) {
	ctx := context.Background()
	c1, r1, rec1, c2, r2, rec2 := twoTabs(t)
	// Tab 1 removes bob from the recent list.
	if err := c1.DeleteRecentSession(ctx, "bob", 0); err != nil {
		t.Fatal(err)
	}
	// Tab 2, still showing bob, writes its copy with a receipt it got: the
	// cache keeps tab 1's hide, and tab 2 installs that merged record and
	// tells its page the session left the list (not that it was updated).
	err := c2.change(r2, func(t *tx) {
		s, _ := t.session("0|bob")
		s.PeerReadSeq, s.PeerReadTime = 3, 1500
		t.putSession(s, evUpdateSession)
	})
	if err != nil {
		t.Fatal(err)
	}
	s := c2.sessionNow("0|bob")
	if !s.Hidden() || s.PeerReadSeq != 3 {
		t.Fatalf("tab 2's memory = %+v, want the merged record: hidden, with its receipt", s)
	}
	if got := rec2.eventTypes(); !slices.Equal(got, []string{evRemoveSession}) {
		t.Fatalf("tab 2's events = %v, want [%s]", got, evRemoveSession)
	}
	// Tab 2 stages its next change from the merged (hidden) copy: new
	// activity after the hide shows the session again with an add.
	rec2.reset()
	err = c2.change(r2, func(t *tx) {
		s, _ := t.session("0|bob")
		if !s.Hidden() {
			panic("staged from a shown copy")
		}
		s.UpdateTime = s.HideTime + 1
		t.putSession(s, evAddSession)
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := rec2.eventTypes(); !slices.Equal(got, []string{evAddSession}) || c2.sessionNow("0|bob").Hidden() {
		t.Fatalf("after new activity: events %v, session %+v", got, c2.sessionNow("0|bob"))
	}
	// The reverse: tab 1 still holds its hidden copy and writes it (say its
	// local ext): merged, the session is shown, and tab 1 hears an add.
	rec1.reset()
	err = c1.change(r1, func(t *tx) {
		s, _ := t.session("0|bob")
		s.LocalExt = jx.RawMessage(`{"pin":1}`)
		t.putSession(s, "")
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := rec1.eventTypes(); !slices.Equal(got, []string{evAddSession}) || c1.sessionNow("0|bob").Hidden() {
		t.Fatalf("tab 1 after writing its hidden copy: events %v, session %+v", got, c1.sessionNow("0|bob"))
	}
}

func TestCommitInstallsMergedMetaAndRecords(t *testing.T) {
	ctx := context.Background()
	c1, r1, _, c2, r2, _ := twoTabs(t)
	k := RecordKey{Kind: "friend", Key: "bob"}
	// Tab 1 applies change 100 (bob's alias) and moves the cursor to 100;
	// its meta carries the device id.
	err := c1.change(r1, func(t *tx) {
		t.ver = 100
		t.putRecord(Record{Kind: k.Kind, Key: k.Key, Data: jx.RawMessage(`{"alias":"new"}`)})
		m := t.getMeta()
		m.Ver, m.DeviceID = 100, "dev1"
		t.setMeta(m)
	})
	if err != nil {
		t.Fatal(err)
	}
	// Tab 2, behind, applies change 60 of the same key and cursor 60, with
	// a device id of its own: it installs what the cache kept, tab 1's newer
	// record and device id, but keeps its own cursor (its memory has not
	// seen the changes tab 1 applied up to 100).
	err = c2.change(r2, func(t *tx) {
		t.ver = 60
		t.putRecord(Record{Kind: k.Kind, Key: k.Key, Data: jx.RawMessage(`{"alias":"old"}`)})
		m := t.getMeta()
		m.Ver, m.DeviceID = 60, "dev2"
		t.setMeta(m)
	})
	if err != nil {
		t.Fatal(err)
	}
	c2.mu.Lock()
	got, meta := r2.st.records[k], r2.st.meta
	c2.mu.Unlock()
	if got.Ver != 100 || string(got.Data) != `{"alias":"new"}` || meta.DeviceID != "dev1" || meta.Ver != 60 {
		t.Fatalf("tab 2 installed record %+v, meta %+v; want tab 1's record at 100 and device id, its own cursor 60", got, meta)
	}
	if snap, _ := r2.cache.Load(ctx); snap.Meta.Ver != 100 {
		t.Fatalf("cache meta %+v, want the cursor at 100", snap.Meta)
	}
	// Tab 1 deletes it at change 120; tab 2's stale put at 110 does not bring
	// it back, in the cache or in tab 2's memory.
	c1.change(r1, func(t *tx) { t.ver = 120; t.deleteRecord(k) })
	c2.change(r2, func(t *tx) {
		t.ver = 110
		t.putRecord(Record{Kind: k.Kind, Key: k.Key, Data: jx.RawMessage(`{"alias":"stale"}`)})
	})
	c2.mu.Lock()
	_, ok := r2.st.records[k]
	c2.mu.Unlock()
	snap, _ := r2.cache.Load(ctx)
	if ok || len(snap.Records) != 0 {
		t.Fatalf("a stale put after a newer delete: in memory %v, cache %+v", ok, snap.Records)
	}
}

// detachingCache detaches its client's run during Apply, as a stop or a
// kick that runs while a tx commits does.
type detachingCache struct {
	*MemCache
	c *Client
}

func (d *detachingCache) Apply(ctx context.Context, b *Batch) error {
	d.c.mu.Lock()
	d.c.active = nil
	d.c.mu.Unlock()
	return d.MemCache.Apply(ctx, b)
}

func TestCommitOfAStoppedRunEmitsNothing(t *testing.T) {
	dc := &detachingCache{MemCache: NewMemCache()}
	c, r, rec := offline(t, dc, false)
	dc.c = c
	err := c.change(r, func(t *tx) {
		s, ev := t.touch("0|bob", "bob", 0)
		s.UpdateTime = 1000
		t.putSession(s, ev)
		t.events = append(t.events, Event{Kind: EventMessage, Data: MessageEvent{EventType: "onRecvMessages"}})
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := rec.eventTypes(); len(got) != 0 {
		t.Fatalf("a run stopped during its commit emitted %v", got)
	}
}

// TestReceiptReportedInEachTab: each tab reports a receipt once, also when
// another tab stored it first and this tab's next write installed that
// merged record (a higher PeerReadSeq) before it applied the receipt.
func TestReceiptReportedInEachTab(t *testing.T) {
	c1, r1, rec1, c2, r2, rec2 := twoTabs(t)
	rc := proto.Receipt{Conv: "p:alice|bob", From: "bob", Seq: 3, ClientID: "m3", Time: 2000}
	c1.onPush(r1, nil, proto.PushChange, change(1, proto.ChangeReceipt, rc.Conv, rc))
	if got := rec1.eventTypes(); !slices.Contains(got, "onRecvMessageReceipts") {
		t.Fatalf("tab 1's events = %v, want onRecvMessageReceipts", got)
	}
	// Tab 2 writes the session (a message), installing the merged record
	// that holds tab 1's receipt; then the receipt's push reaches it.
	c2.onPush(r2, nil, proto.PushMsg, msg(4, "bob", 3000))
	if s := c2.sessionNow("0|bob"); s.PeerReadSeq != 3 {
		t.Fatalf("tab 2 did not install the merged receipt: %+v", s)
	}
	rec2.reset()
	c2.onPush(r2, nil, proto.PushChange, change(1, proto.ChangeReceipt, rc.Conv, rc))
	if got := rec2.eventTypes(); !slices.Contains(got, "onRecvMessageReceipts") {
		t.Fatalf("tab 2's events = %v, want onRecvMessageReceipts once", got)
	}
	// Once: the same change again (the sync paging over it) tells nothing.
	rec2.reset()
	c2.onPush(r2, nil, proto.PushChange, change(1, proto.ChangeReceipt, rc.Conv, rc))
	if got := rec2.eventTypes(); slices.Contains(got, "onRecvMessageReceipts") {
		t.Fatalf("tab 2 reported the receipt twice: %v", got)
	}
}
