//go:build js && wasm

package idbstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"reflect"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"yunxin/core"
	"yunxin/core/cachetest"
)

const testApp = "idbtest"

var accountSeq atomic.Int64

func uniqueAccount() string {
	return fmt.Sprintf("acct%d-%d", time.Now().UnixNano(), accountSeq.Add(1))
}

// openFresh opens a new, uniquely named database, closed and deleted at
// the end of the test.
func openFresh(t *testing.T) (core.Cache, string) {
	t.Helper()
	ctx := context.Background()
	acct := uniqueAccount()
	c, err := Open(ctx, testApp, acct)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		c.Close()
		if err := Delete(ctx, testApp, acct); err != nil {
			t.Errorf("Delete: %v", err)
		}
	})
	return c, acct
}

func TestCacheSuite(t *testing.T) {
	cachetest.CacheSuite(t, func(t *testing.T) core.Cache {
		c, _ := openFresh(t)
		return c
	})
}

func testMsg(sk string, i int, tm int64) core.Message {
	return core.Message{ID: fmt.Sprintf("%s-m%05d", sk, i), SK: sk, SessionID: sk[2:], Seq: int64(i),
		From: "bob", Body: json.RawMessage(`{"text":"hello ` + fmt.Sprint(i) + `"}`), Time: tm, State: core.DeliverySent}
}

func TestPersistence(t *testing.T) {
	ctx := context.Background()
	c, acct := openFresh(t)
	m := testMsg("0|bob", 1, 1_700_000_000_123)
	m.LocalExt = json.RawMessage(`{"x":1}`)
	b := &core.Batch{
		Messages: []core.Message{m},
		Sessions: []core.Session{{Key: "0|bob", ID: "bob", Conv: "p:alice|bob", SyncSeq: 1, LastSeq: 1, LastMsg: &m, UpdateTime: m.Time}},
		Meta:     &core.Meta{Ver: 42, DeviceID: "dev-x"},
	}
	if err := c.Apply(ctx, b); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Load(ctx); !errors.Is(err, ErrClosed) {
		t.Fatalf("Load after Close: %v, want ErrClosed", err)
	}
	c2, err := Open(ctx, testApp, acct)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	s, err := c2.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s.Meta != *b.Meta || len(s.Sessions) != 1 || !reflect.DeepEqual(s.Sessions[0], b.Sessions[0]) {
		t.Fatalf("after reopen: %+v", s)
	}
	got, err := c2.MessagesByID(ctx, []string{m.ID})
	if err != nil || len(got) != 1 || !reflect.DeepEqual(got[0], m) {
		t.Fatalf("MessagesByID after reopen = %+v, %v", got, err)
	}
}

func TestTwoAccounts(t *testing.T) {
	ctx := context.Background()
	a, _ := openFresh(t)
	b, _ := openFresh(t)
	if err := a.Apply(ctx, &core.Batch{Meta: &core.Meta{Ver: 1, DeviceID: "a"},
		Sessions: []core.Session{{Key: "0|x", ID: "x"}}, Messages: []core.Message{testMsg("0|x", 1, 1)}}); err != nil {
		t.Fatal(err)
	}
	if err := b.Apply(ctx, &core.Batch{Meta: &core.Meta{Ver: 2, DeviceID: "b"}}); err != nil {
		t.Fatal(err)
	}
	sa, err := a.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sb, err := b.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if sa.Meta.DeviceID != "a" || len(sa.Sessions) != 1 || sb.Meta.DeviceID != "b" || len(sb.Sessions) != 0 {
		t.Fatalf("a = %+v, b = %+v", sa, sb)
	}
	if got, _ := b.Messages(ctx, core.Query{SK: "0|x", Limit: 10}); len(got) != 0 {
		t.Fatalf("b sees a's messages: %v", got)
	}
}

// timings collects durations of one kind of operation and logs their
// minimum and median: the machine running the tests may be busy.
type timings struct {
	name string
	ds   []time.Duration
}

func (tm *timings) time(f func()) {
	start := time.Now()
	f()
	tm.ds = append(tm.ds, time.Since(start))
}

func (tm *timings) log(t *testing.T) {
	t.Helper()
	ds := slices.Clone(tm.ds)
	slices.Sort(ds)
	t.Logf("%-44s min %8.2f ms  median %8.2f ms  (n=%d)", tm.name,
		float64(ds[0].Microseconds())/1000, float64(ds[len(ds)/2].Microseconds())/1000, len(ds))
}

// TestBigBatch writes sync batches of 1,000 messages (and 1,000 sessions) in
// one Apply each, then reads 20-message pages and loads the sessions. It
// checks results, and logs durations for information.
func TestBigBatch(t *testing.T) {
	ctx := context.Background()
	c, _ := openFresh(t)
	const n = 1000
	base := int64(1_700_000_000_000)
	batch := func(sk string) *core.Batch {
		var b core.Batch
		for i := 1; i <= n; i++ {
			b.Messages = append(b.Messages, testMsg(sk, i, base+int64(i)*10))
		}
		return &b
	}
	applyMsgs := &timings{name: "Apply of 1,000 messages"}
	var b *core.Batch
	for _, sk := range []string{"0|bob", "0|carol", "0|dan"} {
		b = batch(sk)
		applyMsgs.time(func() {
			if err := c.Apply(ctx, b); err != nil {
				t.Fatal(err)
			}
		})
	}
	b = batch("0|bob")
	applyMsgs.log(t)

	applySess := &timings{name: "Apply of 1,000 sessions"}
	var ss core.Batch
	for i := 0; i < n; i++ {
		m := testMsg(fmt.Sprintf("0|peer%04d", i), 1, base+int64(i))
		ss.Sessions = append(ss.Sessions, core.Session{Key: m.SK, ID: m.SessionID, Conv: "p:" + m.SessionID,
			SyncSeq: 1, LastSeq: 1, Unread: 1, LastMsg: &m, UpdateTime: m.Time})
	}
	for i := 0; i < 2; i++ {
		applySess.time(func() {
			if err := c.Apply(ctx, &ss); err != nil {
				t.Fatal(err)
			}
		})
	}
	applySess.log(t)

	newest := &timings{name: "20-message page, newest"}
	older := &timings{name: "20-message page, older than an anchor"}
	newer := &timings{name: "20-message page, newer than an anchor"}
	for round := 0; round < 10; round++ {
		var page, op, np []core.Message
		var err error
		newest.time(func() { page, err = c.Messages(ctx, core.Query{SK: "0|bob", Limit: 20}) })
		if err != nil || len(page) != 20 || page[0].Seq != n-19 || page[19].Seq != n {
			t.Fatalf("newest page: %v %v", seqsOf(page), err)
		}
		older.time(func() { op, err = c.Messages(ctx, core.Query{SK: "0|bob", Limit: 20, Anchor: &page[0]}) })
		if err != nil || len(op) != 20 || op[0].Seq != n-39 || op[19].Seq != n-20 {
			t.Fatalf("older page: %v %v", seqsOf(op), err)
		}
		newer.time(func() { np, err = c.Messages(ctx, core.Query{SK: "0|bob", Limit: 20, Anchor: &op[0], Newer: true}) })
		if err != nil || len(np) != 20 || np[0].Seq != n-38 || np[19].Seq != n-19 {
			t.Fatalf("newer page: %v %v", seqsOf(np), err)
		}
	}
	newest.log(t)
	older.log(t)
	newer.log(t)

	if hasGetAllRecords {
		cursor := &timings{name: "20-message page, newest, cursor fallback"}
		hasGetAllRecords = false
		for round := 0; round < 5; round++ {
			var page []core.Message
			var err error
			cursor.time(func() { page, err = c.Messages(ctx, core.Query{SK: "0|bob", Limit: 20}) })
			if err != nil || len(page) != 20 || page[0].Seq != n-19 || page[19].Seq != n {
				hasGetAllRecords = true
				t.Fatalf("newest page through the cursor: %v %v", seqsOf(page), err)
			}
		}
		hasGetAllRecords = true
		cursor.log(t)
	}

	ids := make([]string, 20)
	for i := range ids {
		ids[i] = b.Messages[i*50].ID
	}
	byID := &timings{name: "MessagesByID of 20"}
	for round := 0; round < 5; round++ {
		var got []core.Message
		var err error
		byID.time(func() { got, err = c.MessagesByID(ctx, ids) })
		if err != nil || len(got) != 20 || got[3].ID != ids[3] {
			t.Fatalf("MessagesByID: %d, %v", len(got), err)
		}
	}
	byID.log(t)

	load := &timings{name: "Load of 1,000 sessions"}
	for round := 0; round < 3; round++ {
		var s *core.Snapshot
		var err error
		load.time(func() { s, err = c.Load(ctx) })
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Sessions) != n || s.Sessions[0].Key != "0|peer0000" || s.Sessions[n-1].LastMsg == nil ||
			!reflect.DeepEqual(s.Sessions[7], ss.Sessions[7]) {
			t.Fatalf("Load: %d sessions", len(s.Sessions))
		}
	}
	load.log(t)

	// Deleting most of them: pages skip deleted messages.
	var del core.Batch
	for i := 0; i < n; i++ {
		if i%10 != 0 {
			m := b.Messages[i]
			m.Deleted = true
			del.Messages = append(del.Messages, m)
		}
	}
	delT := &timings{name: "Apply of 900 deletions (as puts)"}
	delT.time(func() {
		if err := c.Apply(ctx, &del); err != nil {
			t.Fatal(err)
		}
	})
	delT.log(t)
	page, err := c.Messages(ctx, core.Query{SK: "0|bob", Limit: 20})
	if err != nil || len(page) != 20 || page[19].Seq != 991 || page[0].Seq != 801 {
		t.Fatalf("page after deletions: %v %v", seqsOf(page), err)
	}
}

func seqsOf(ms []core.Message) []int64 {
	var s []int64
	for _, m := range ms {
		s = append(s, m.Seq)
	}
	return s
}

// TestAgainstMemCache applies the same random batches to both caches and
// compares every query.
func TestAgainstMemCache(t *testing.T) {
	ctx := context.Background()
	c, _ := openFresh(t)
	ref := core.NewMemCache()
	rng := rand.New(rand.NewSource(1))
	sks := []string{"0|a", "0|b", "1|team"}
	var all []core.Message
	for round := 0; round < 8; round++ {
		var b core.Batch
		for i := 0; i < 40; i++ {
			sk := sks[rng.Intn(len(sks))]
			m := testMsg(sk, rng.Intn(100000), int64(1000+rng.Intn(50))) // many equal times
			m.Deleted = rng.Intn(6) == 0
			b.Messages = append(b.Messages, m)
			all = append(all, m)
		}
		for i := 0; i < 5 && len(all) > 0; i++ {
			b.DeleteMessages = append(b.DeleteMessages, all[rng.Intn(len(all))].ID)
		}
		if err := c.Apply(ctx, &b); err != nil {
			t.Fatal(err)
		}
		ref.Apply(ctx, &b)
	}
	for _, records := range []bool{true, false} {
		// Both ways of reading older pages: getAllRecords and the cursor.
		saved := hasGetAllRecords
		hasGetAllRecords = hasGetAllRecords && records
		checkAll(t, c, ref, rng, sks, all)
		hasGetAllRecords = saved
	}
	var qids []string
	for i := 0; i < 30; i++ {
		qids = append(qids, all[rng.Intn(len(all))].ID)
	}
	want, _ := ref.MessagesByID(ctx, qids)
	got, err := c.MessagesByID(ctx, qids)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("MessagesByID: got %v, want %v (%v)", ids(got), ids(want), err)
	}
}

func checkAll(t *testing.T, c core.Cache, ref *core.MemCache, rng *rand.Rand, sks []string, all []core.Message) {
	t.Helper()
	ctx := context.Background()
	check := func(q core.Query) {
		t.Helper()
		want, _ := ref.Messages(ctx, q)
		got, err := c.Messages(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(want) == 0 && len(got) == 0 {
			return
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("query %+v (anchor %v, getAllRecords %v): got %d %v, want %d %v", q, q.Anchor != nil, hasGetAllRecords, len(got), ids(got), len(want), ids(want))
		}
	}
	for _, sk := range append(sks, "0|none") {
		for _, limit := range []int{0, 1, 7, 30} {
			check(core.Query{SK: sk, Limit: limit})
			check(core.Query{SK: sk, Limit: limit, Newer: true})
		}
		for i := 0; i < 20; i++ {
			a := all[rng.Intn(len(all))]
			a.SK = sk
			check(core.Query{SK: sk, Limit: 1 + rng.Intn(15), Anchor: &a})
			check(core.Query{SK: sk, Limit: 1 + rng.Intn(15), Anchor: &a, Newer: true})
		}
	}
}

func ids(ms []core.Message) []string {
	var s []string
	for _, m := range ms {
		s = append(s, m.ID)
	}
	return s
}

func TestDeleteOpenDatabase(t *testing.T) {
	ctx := context.Background()
	acct := uniqueAccount()
	c, err := Open(ctx, testApp, acct)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Apply(ctx, &core.Batch{Meta: &core.Meta{Ver: 3}}); err != nil {
		t.Fatal(err)
	}
	// Delete while c is open: the connection is closed for it.
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := Delete(dctx, testApp, acct); err != nil {
		t.Fatal(err)
	}
	c.Close()
	c2, err := Open(ctx, testApp, acct)
	if err != nil {
		t.Fatal(err)
	}
	defer Delete(ctx, testApp, acct)
	defer c2.Close()
	s, err := c2.Load(ctx)
	if err != nil || s.Meta.Ver != 0 {
		t.Fatalf("after Delete: %+v, %v", s, err)
	}
}
