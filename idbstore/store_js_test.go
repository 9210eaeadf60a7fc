//go:build js && wasm

package idbstore

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"syscall/js"
	"testing"
	"time"

	"yunxin/core"
	"yunxin/core/cachetest"
	"yunxin/internal/jx"
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
	if f := addAllFunc(); f.Type() != js.TypeFunction {
		t.Fatal("the JS add loop could not be made (the test page has no CSP)")
	}
	cachetest.CacheSuite(t, func(t *testing.T) core.Cache {
		c, _ := openFresh(t)
		return c
	})
}

// TestCacheSuiteGoLoopAdds runs the suite with add's loop in Go, as on a
// page whose CSP refuses the Function constructor.
func TestCacheSuiteGoLoopAdds(t *testing.T) {
	goLoopAdds = true
	t.Cleanup(func() { goLoopAdds = false })
	cachetest.CacheSuite(t, func(t *testing.T) core.Cache {
		c, _ := openFresh(t)
		return c
	})
}

func testMsg(sk string, i int, tm int64) core.Message {
	return core.Message{ID: fmt.Sprintf("%s-m%05d", sk, i), SK: sk, SessionID: sk[2:], Seq: int64(i),
		From: "bob", Body: jx.RawMessage(`{"text":"hello ` + fmt.Sprint(i) + `"}`), Time: tm, State: core.DeliverySent}
}

func TestPersistence(t *testing.T) {
	ctx := context.Background()
	c, acct := openFresh(t)
	m := testMsg("0|bob", 1, 1_700_000_000_123)
	m.LocalExt = jx.RawMessage(`{"x":1}`)
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

	// A sync page's shape: messages and the sessions they update, in one
	// Apply; the sessions exist, so each is merged with the stored one.
	applyBoth := &timings{name: "Apply of 1,000 messages + 1,000 sessions"}
	for i := 0; i < 3; i++ {
		both := *batch(fmt.Sprintf("0|both%d", i))
		both.Sessions = ss.Sessions
		applyBoth.time(func() {
			if err := c.Apply(ctx, &both); err != nil {
				t.Fatal(err)
			}
		})
	}
	applyBoth.log(t)

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
		// Domain records at random vers, some of them tombstones.
		for i := 0; i < 12; i++ {
			r := core.Record{Kind: "friend", Key: fmt.Sprint("f", rng.Intn(8)), Ver: int64(rng.Intn(20)), Deleted: rng.Intn(4) == 0}
			if !r.Deleted {
				r.Data = jx.RawMessage(fmt.Sprintf(`{"r":%d,"i":%d}`, round, i))
			}
			b.Records = append(b.Records, r)
		}
		rb := b
		rb.Records = slices.Clone(b.Records)
		if err := c.Apply(ctx, &b); err != nil {
			t.Fatal(err)
		}
		ref.Apply(ctx, &rb)
		if !reflect.DeepEqual(b.Records, rb.Records) {
			t.Fatalf("round %d: Apply filled records %+v, MemCache %+v", round, b.Records, rb.Records)
		}
	}
	gotSnap, err := c.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantSnap, _ := ref.Load(ctx)
	if !reflect.DeepEqual(gotSnap.Records, wantSnap.Records) {
		t.Fatalf("records %+v, MemCache %+v", gotSnap.Records, wantSnap.Records)
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

// jsFunc makes a JS function from its parameter names and body.
func jsFunc(t *testing.T, args ...string) js.Value {
	t.Helper()
	vals := make([]any, len(args))
	for i, a := range args {
		vals[i] = a
	}
	return js.Global().Get("Function").New(vals...)
}

// awaitPromise waits for a JS promise and returns its value, or its
// rejection as an error.
func awaitPromise(t *testing.T, p js.Value) (js.Value, error) {
	t.Helper()
	type result struct {
		v   js.Value
		err error
	}
	ch := make(chan result, 1)
	ok := js.FuncOf(func(_ js.Value, args []js.Value) any {
		ch <- result{v: args[0]}
		return nil
	})
	fail := js.FuncOf(func(_ js.Value, args []js.Value) any {
		ch <- result{err: js.Error{Value: args[0]}}
		return nil
	})
	defer ok.Release()
	defer fail.Release()
	p.Call("then", ok, fail)
	select {
	case r := <-ch:
		return r.v, r.err
	case <-time.After(20 * time.Second):
		t.Fatal("promise not settled")
		return js.Value{}, nil
	}
}

// writeV1 creates the database name with exactly schema 1 (the stores and
// index of the SDK before the records store) and the records of a v1 cache,
// through the IndexedDB API itself, and closes it.
const writeV1 = `
return new Promise(function (resolve, reject) {
  var req = indexedDB.open(name, 1);
  req.onupgradeneeded = function () {
    var db = req.result;
    db.createObjectStore("meta", {keyPath: "k"});
    db.createObjectStore("sessions", {keyPath: "k"});
    var msgs = db.createObjectStore("messages", {keyPath: "id"});
    msgs.createIndex("bySession", ["sk", "t", "id"]);
  };
  req.onerror = function () { reject(req.error); };
  req.onsuccess = function () {
    var db = req.result;
    var tx = db.transaction(["meta", "sessions", "messages"], "readwrite");
    tx.objectStore("meta").put({k: "meta", j: JSON.stringify({ver: 5, deviceId: "dev-v1"})});
    var last;
    for (var i = 1; i <= 30; i++) {
      var m = {id: "m" + (100 + i), sk: "0|bob", sid: "bob", ct: 0, srv: "s" + i, seq: i, from: "bob", type: 0,
        body: {text: "hi " + i}, t: 1700000000000 + i, st: 2};
      last = m;
      tx.objectStore("messages").put({id: m.id, sk: m.sk, t: m.t, j: JSON.stringify(m)});
    }
    tx.objectStore("sessions").put({k: "0|bob", j: JSON.stringify({k: "0|bob", id: "bob", ct: 0, conv: "p:alice|bob",
      sync: 30, last: 30, read: 28, unread: 2, lastMsg: last, ut: last.t})});
    tx.objectStore("sessions").put({k: "0|carol", j: JSON.stringify({k: "0|carol", id: "carol", ct: 0, conv: "p:alice|carol",
      sync: 0, last: 0, read: 0, unread: 0, ut: 1700000000500, hidden: true})});
    tx.oncomplete = function () { db.close(); resolve(db.version); };
    tx.onabort = function () { db.close(); reject(tx.error); };
  };
});`

// TestUpgradeFromV1 opens a database written by schema 1: it is upgraded in
// place to the current version with its data, the hidden flag becomes
// HideTime, and the records and runs stores are there, empty.
func TestUpgradeFromV1(t *testing.T) {
	ctx := context.Background()
	acct := uniqueAccount()
	name := DBName(testApp, acct)
	t.Cleanup(func() { Delete(ctx, testApp, acct) })
	if v, err := awaitPromise(t, jsFunc(t, "name", writeV1).Invoke(name)); err != nil || v.Int() != 1 {
		t.Fatalf("writing the v1 database: %v, %v", v, err)
	}

	cc, err := Open(ctx, testApp, acct)
	if err != nil {
		t.Fatalf("Open of a v1 database: %v", err)
	}
	c := cc.(*cache)
	defer c.Close()
	if v := c.raw.Get("version").Int(); v != dbVersion {
		t.Errorf("version %d after Open, want %d", v, dbVersion)
	}
	if err := checkSchema(c.db); err != nil {
		t.Error(err)
	}
	s, err := c.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s.Meta.Ver != 5 || s.Meta.DeviceID != "dev-v1" {
		t.Errorf("meta %+v", s.Meta)
	}
	if len(s.Records) != 0 {
		t.Errorf("records %+v, want none", s.Records)
	}
	if len(s.Sessions) != 2 {
		t.Fatalf("%d sessions", len(s.Sessions))
	}
	bob, carol := s.Sessions[0], s.Sessions[1]
	if bob.Key != "0|bob" || bob.Hidden() || bob.Unread != 2 || bob.ReadSeq != 28 || bob.LastMsg == nil || bob.LastMsg.Seq != 30 {
		t.Errorf("bob %+v", bob)
	}
	if carol.Key != "0|carol" || !carol.Hidden() || carol.LegacyHidden || carol.HideTime < carol.UpdateTime {
		t.Errorf("carol %+v: want hidden through HideTime", carol)
	}
	page, err := c.Messages(ctx, core.Query{SK: "0|bob", Limit: 10})
	if err != nil || len(page) != 10 || page[0].Seq != 21 || page[9].Seq != 30 || string(page[9].Body) != `{"text":"hi 30"}` {
		t.Fatalf("newest page %v, %v", seqsOf(page), err)
	}
	older, err := c.Messages(ctx, core.Query{SK: "0|bob", Limit: 10, Anchor: &page[0]})
	if err != nil || len(older) != 10 || older[0].Seq != 11 {
		t.Fatalf("older page %v, %v", seqsOf(older), err)
	}
	// A put of the loaded copy (converted by Load, the one place that knows
	// the flag) over the stored v1 record: still hidden; later activity
	// shows it again.
	if err := c.Apply(ctx, &core.Batch{Sessions: []core.Session{carol}}); err != nil {
		t.Fatal(err)
	}
	if s, _ := c.Load(ctx); !s.Sessions[1].Hidden() {
		t.Errorf("carol shown by a put of an older copy: %+v", s.Sessions[1])
	}
	carol.UpdateTime += 1000
	if err := c.Apply(ctx, &core.Batch{Sessions: []core.Session{carol}, Records: []core.Record{{Kind: "friend", Key: "bob", Data: jx.RawMessage(`{"alias":"B"}`)}}}); err != nil {
		t.Fatal(err)
	}
	s, _ = c.Load(ctx)
	if s.Sessions[1].Hidden() || len(s.Records) != 1 || string(s.Records[0].Data) != `{"alias":"B"}` {
		t.Errorf("after new activity: %+v, records %+v", s.Sessions[1], s.Records)
	}
}

// TestUpgradeFailureKeepsTheDatabase: a version 1 database that already
// has a store the upgrade to version 2 creates (as a hand-made or foreign
// database might): the upgrade fails inside upgradeneeded without ending the
// program, Open says why, and the database keeps version 1 and its data.
func TestUpgradeFailureKeepsTheDatabase(t *testing.T) {
	ctx := context.Background()
	acct := uniqueAccount()
	name := DBName(testApp, acct)
	t.Cleanup(func() { Delete(ctx, testApp, acct) })
	if _, err := awaitPromise(t, jsFunc(t, "name", `return new Promise(function (resolve, reject) {
  var req = indexedDB.open(name, 1);
  req.onupgradeneeded = function () {
    var db = req.result;
    db.createObjectStore("meta", {keyPath: "k"});
    db.createObjectStore("records");
  };
  req.onerror = function () { reject(req.error); };
  req.onsuccess = function () {
    var db = req.result;
    var tx = db.transaction(["meta"], "readwrite");
    tx.objectStore("meta").put({k: "meta", j: "{}"});
    tx.oncomplete = function () { db.close(); resolve(); };
    tx.onabort = function () { db.close(); reject(tx.error); };
  };
});`).Invoke(name)); err != nil {
		t.Fatal(err)
	}
	c, err := Open(ctx, testApp, acct)
	if err == nil {
		c.Close()
		t.Fatal("Open upgraded a database whose upgrade must fail")
	}
	if !strings.Contains(err.Error(), "store records") {
		t.Errorf("Open: %v, want the failure to create the records store", err)
	}
	v, err := awaitPromise(t, jsFunc(t, "name", `return new Promise(function (resolve, reject) {
  var req = indexedDB.open(name);
  req.onerror = function () { reject(req.error); };
  req.onsuccess = function () {
    var db = req.result, out = {version: db.version, stores: Array.from(db.objectStoreNames).join(",")};
    if (!db.objectStoreNames.contains("meta")) { db.close(); resolve(out); return; }
    var get = db.transaction("meta").objectStore("meta").get("meta");
    get.onsuccess = function () { out.meta = !!get.result; db.close(); resolve(out); };
    get.onerror = function () { db.close(); reject(get.error); };
  };
});`).Invoke(name))
	if err != nil {
		t.Fatal(err)
	}
	if v.Get("version").Int() != 1 || v.Get("stores").String() != "meta,records" || !v.Get("meta").Truthy() {
		t.Errorf("after the failed upgrade: version %v, stores %v, meta kept %v; want 1, meta,records, true",
			v.Get("version"), v.Get("stores"), v.Get("meta"))
	}
}

// TestRecords: domain records are put, replaced, deleted (tombstones, left
// out by Load) by (kind, key) and loaded in (Kind, Key) order.
func TestRecords(t *testing.T) {
	ctx := context.Background()
	c, _ := openFresh(t)
	rec := func(kind, key, data string) core.Record {
		return core.Record{Kind: kind, Key: key, Data: jx.RawMessage(data)}
	}
	if err := c.Apply(ctx, &core.Batch{Records: []core.Record{
		rec("team", "t1", `{"n":1}`), rec("friend", "zed", `{}`), rec("friend", "Ärger", `{"u":1}`), rec("friend", "amy", `[1]`),
	}}); err != nil {
		t.Fatal(err)
	}
	if err := c.Apply(ctx, &core.Batch{
		Records: []core.Record{rec("team", "t1", `{"n":2}`),
			{Kind: "friend", Key: "zed", Deleted: true}, {Kind: "friend", Key: "nobody", Deleted: true}},
	}); err != nil {
		t.Fatal(err)
	}
	s, err := c.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range s.Records {
		got = append(got, r.Kind+"/"+r.Key+"="+string(r.Data))
	}
	if want := []string{`friend/amy=[1]`, `friend/Ärger={"u":1}`, `team/t1={"n":2}`}; !slices.Equal(got, want) {
		t.Errorf("records %q, want %q", got, want)
	}
}

// TestVersionChangeClosesTheConnection: another tab upgrading the database
// is not blocked by this one; this cache then reports ErrVersionChange, and
// an older SDK's Open is refused clearly.
func TestVersionChangeClosesTheConnection(t *testing.T) {
	ctx := context.Background()
	c, acct := openFresh(t)
	if err := c.Apply(ctx, &core.Batch{Meta: &core.Meta{Ver: 1}}); err != nil {
		t.Fatal(err)
	}
	upgradeTo4 := jsFunc(t, "name", `return new Promise(function (resolve, reject) {
  var req = indexedDB.open(name, 4);
  req.onupgradeneeded = function () { req.result.createObjectStore("later"); };
  req.onblocked = function () { reject(new Error("blocked")); };
  req.onerror = function () { reject(req.error); };
  req.onsuccess = function () { var v = req.result.version; req.result.close(); resolve(v); };
});`)
	if v, err := awaitPromise(t, upgradeTo4.Invoke(DBName(testApp, acct))); err != nil || v.Int() != 4 {
		t.Fatalf("the other tab's upgrade: %v, %v", v, err)
	}
	if _, err := c.Load(ctx); !errors.Is(err, ErrVersionChange) || !errors.Is(err, ErrClosed) || !errors.Is(err, core.ErrCacheClosed) {
		t.Errorf("Load after another tab's upgrade: %v, want ErrVersionChange wrapping core.ErrCacheClosed", err)
	}
	if err := c.Apply(ctx, &core.Batch{Meta: &core.Meta{Ver: 2}}); !errors.Is(err, ErrVersionChange) || !errors.Is(err, core.ErrCacheClosed) {
		t.Errorf("Apply after another tab's upgrade: %v, want ErrVersionChange wrapping core.ErrCacheClosed", err)
	}
	if _, err := c.Messages(ctx, core.Query{SK: "0|bob", Limit: 1}); !errors.Is(err, core.ErrCacheClosed) {
		t.Errorf("Messages after another tab's upgrade: %v, want core.ErrCacheClosed", err)
	}
	if _, err := Open(ctx, testApp, acct); err == nil || !strings.Contains(err.Error(), "newer SDK") {
		t.Errorf("Open of a version 4 database: %v, want a newer-SDK error", err)
	}
}

// TestOpenBlocked: a connection of another tab that does not close on
// versionchange (an SDK of schema 1) blocks the upgrade: Open gives up with
// ErrBlocked instead of hanging, and succeeds once that tab closed it.
func TestOpenBlocked(t *testing.T) {
	ctx := context.Background()
	acct := uniqueAccount()
	name := DBName(testApp, acct)
	t.Cleanup(func() { Delete(ctx, testApp, acct) })
	if _, err := awaitPromise(t, jsFunc(t, "name", writeV1).Invoke(name)); err != nil {
		t.Fatal(err)
	}
	holder, err := awaitPromise(t, jsFunc(t, "name", `return new Promise(function (resolve, reject) {
  var req = indexedDB.open(name, 1);
  req.onerror = function () { reject(req.error); };
  req.onsuccess = function () { resolve(req.result); };
});`).Invoke(name))
	if err != nil {
		t.Fatal(err)
	}
	saved := blockedWait
	blockedWait = 300 * time.Millisecond
	defer func() { blockedWait = saved }()
	start := time.Now()
	if c, err := Open(ctx, testApp, acct); !errors.Is(err, ErrBlocked) {
		if c != nil {
			c.Close()
		}
		t.Fatalf("Open while another tab holds version 1: %v, want ErrBlocked", err)
	}
	t.Logf("Open gave up after %v", time.Since(start))
	holder.Call("close")
	// The abandoned request completes now (upgrading) and closes its
	// connection by itself, so this Open is not blocked by it.
	c, err := Open(ctx, testApp, acct)
	if err != nil {
		t.Fatalf("Open after the other tab closed: %v", err)
	}
	defer c.Close()
	if v := c.(*cache).raw.Get("version").Int(); v != dbVersion {
		t.Errorf("version %d, want %d", v, dbVersion)
	}
	if s, err := c.Load(ctx); err != nil || len(s.Sessions) != 2 {
		t.Errorf("Load: %+v, %v", s, err)
	}
}

// TestTwoTabsMerge: two connections to one database (two tabs of one
// account), each writing from its own stale copy. A hide and read marks
// written by tab 1 survive tab 2's later puts of older copies, for a few
// sessions (read one by one) and for many (read as a key range, with keys
// whose UTF-8 and UTF-16 orders differ).
func TestTwoTabsMerge(t *testing.T) {
	ctx := context.Background()
	for _, n := range []int{5, 2 * rangeReadMin} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			tab1, acct := openFresh(t)
			tab2c, err := Open(ctx, testApp, acct)
			if err != nil {
				t.Fatal(err)
			}
			defer tab2c.Close()
			peers := []string{"bob", "\ue000private", "😀smile", "zed", "Ärger"}
			var stale []core.Session
			for i := 0; i < n; i++ {
				m := testMsg(fmt.Sprintf("0|%s%03d", peers[i%len(peers)], i), 5, 1000)
				stale = append(stale, core.Session{Key: m.SK, ID: m.SessionID, Conv: "p:" + m.SessionID,
					SyncSeq: 5, LastSeq: 5, Unread: 5, LastMsg: &m, UpdateTime: 1000})
			}
			for _, c := range []core.Cache{tab1, tab2c, tab1} {
				if err := c.Apply(ctx, &core.Batch{Sessions: stale, Meta: &core.Meta{Ver: 3, DeviceID: "d"}}); err != nil {
					t.Fatal(err)
				}
			}
			// Tab 1 hides every session and reads the even ones.
			fresh := slices.Clone(stale)
			for i := range fresh {
				fresh[i].HideTime = 2000
				if i%2 == 0 {
					fresh[i].ReadSeq, fresh[i].Unread = 5, 0
				}
			}
			if err := tab1.Apply(ctx, &core.Batch{Sessions: fresh, Meta: &core.Meta{Ver: 9}}); err != nil {
				t.Fatal(err)
			}
			// Tab 2 writes its stale copies again (a message it sent moved
			// a cursor: SyncSeq 6, LastSeq 6, same time), and an older meta.
			for i := range stale {
				stale[i].SyncSeq, stale[i].LastSeq = 6, 6
			}
			if err := tab2c.Apply(ctx, &core.Batch{Sessions: stale, Meta: &core.Meta{Ver: 4}}); err != nil {
				t.Fatal(err)
			}
			for _, c := range []core.Cache{tab1, tab2c} {
				s, err := c.Load(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if s.Meta.Ver != 9 || len(s.Sessions) != n {
					t.Fatalf("meta %+v, %d sessions", s.Meta, len(s.Sessions))
				}
				for _, got := range s.Sessions {
					i := slices.IndexFunc(fresh, func(f core.Session) bool { return f.Key == got.Key })
					if !got.Hidden() || got.SyncSeq != 6 || got.LastSeq != 6 {
						t.Errorf("%q: hidden %v, cursor %d/%d: tab 1's hide lost or tab 2's cursor lost", got.Key, got.Hidden(), got.SyncSeq, got.LastSeq)
					}
					if i%2 == 0 && (got.ReadSeq != 5 || got.Unread != 1) {
						t.Errorf("%q: read %d unread %d, want tab 1's read mark and 1 new", got.Key, got.ReadSeq, got.Unread)
					}
				}
			}
		})
	}
}

func TestKeyBounds(t *testing.T) {
	keys := []string{"0|b", "0|\uffff", "0|😀", "0|a", "0|\ue000"}
	lo, hi := keyBounds(keys)
	if lo != "0|a" || hi != "0|\uffff" {
		t.Errorf("bounds %q %q, want 0|a and 0|\\uffff (UTF-16 order: 😀 < \\ue000)", lo, hi)
	}
	idb := js.Global().Get("indexedDB")
	for _, pair := range [][2]string{{"0|😀", "0|\ue000"}, {"0|a", "0|b"}, {"0|\ue000", "0|\uffff"}} {
		if got := idb.Call("cmp", pair[0], pair[1]).Int(); got != -1 || !utf16Less(pair[0], pair[1]) {
			t.Errorf("%q < %q: indexedDB.cmp %d, utf16Less %v", pair[0], pair[1], got, utf16Less(pair[0], pair[1]))
		}
	}
}

// storeCount counts the records of an object store of c's database.
func storeCount(t *testing.T, c *cache, store string) int {
	t.Helper()
	tx, err := c.rawTransaction("readonly", store)
	if err != nil {
		t.Fatal(err)
	}
	v, err := awaitReq(context.Background(), tx.Call("objectStore", store).Call("count"))
	if err != nil {
		t.Fatal(err)
	}
	return v.Int()
}

// TestSyncBatchLandsAsRuns: a sync's AddMessages of other accounts'
// messages whose seqs the stored session has not marked are stored as runs
// of at most runMax messages per session (a few records instead of one per
// message); the account's own messages, a session with fewer than runMin,
// and messages whose seqs are marked (another tab cached them, or the
// history of passed seqs) are records, and a batch that would overlap a
// stored run goes as records too.
func TestSyncBatchLandsAsRuns(t *testing.T) {
	ctx := context.Background()
	cc, acct := openFresh(t)
	c := cc.(*cache)
	var adds []core.Message
	for i := 1; i <= 250; i++ {
		adds = append(adds, testMsg("0|bob", i, int64(1000+i)))
	}
	for i := 1; i <= 5; i++ {
		adds = append(adds, testMsg("0|carol", i, int64(1000+i)))
	}
	for i := 1; i <= 20; i++ {
		m := testMsg("0|dave", i, int64(1000+i))
		m.From = acct // this account's own, sent from another device
		adds = append(adds, m)
	}
	// erin's stored session marks seqs 1..20: the history of passed seqs.
	if err := c.Apply(ctx, &core.Batch{Sessions: []core.Session{{Key: "0|erin", ID: "erin", SyncSeq: 20}}}); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 20; i++ {
		adds = append(adds, testMsg("0|erin", i, int64(1000+i)))
	}
	b := &core.Batch{AddMessages: adds}
	if err := c.Apply(ctx, b); err != nil {
		t.Fatal(err)
	}
	if len(b.AddMessages) != len(adds) {
		t.Fatalf("inserted %d of %d", len(b.AddMessages), len(adds))
	}
	if runs, recs := storeCount(t, c, storeRuns), storeCount(t, c, storeMessages); runs != 3 || recs != 5+20+20 {
		t.Fatalf("%d runs and %d records, want 3 runs (bob's 250 by 100) and 45 records (carol's 5, dave's own 20, erin's 20 marked)", runs, recs)
	}
	// bob's messages 100..300 (new ones after the runs, older ones inside
	// them): the new ones land as a run, the overlapping batch as records.
	var more []core.Message
	for i := 251; i <= 300; i++ {
		more = append(more, testMsg("0|bob", i, int64(1000+i)))
	}
	if err := c.Apply(ctx, &core.Batch{AddMessages: more}); err != nil {
		t.Fatal(err)
	}
	var inside []core.Message
	for i := 1; i <= 20; i++ {
		m := testMsg("0|bob", 1000+i, int64(1100+i)) // within the first run's range
		m.ID += "x"
		inside = append(inside, m)
	}
	if err := c.Apply(ctx, &core.Batch{AddMessages: inside}); err != nil {
		t.Fatal(err)
	}
	if runs, recs := storeCount(t, c, storeRuns), storeCount(t, c, storeMessages); runs != 4 || recs != 45+20 {
		t.Fatalf("%d runs and %d records, want 4 runs and 65 records", runs, recs)
	}
	page, err := c.Messages(ctx, core.Query{SK: "0|bob"})
	if err != nil || len(page) != 320 {
		t.Fatalf("bob: %d messages, %v; want 320", len(page), err)
	}
	for i := 1; i < len(page); i++ {
		if !lessMsg(&page[i-1], &page[i]) {
			t.Fatalf("bob's messages out of order at %d: %s then %s", i, page[i-1].ID, page[i].ID)
		}
	}
	// An update of a run's message takes it out of its run: it is a
	// record now, and no id is in both.
	upd := testMsg("0|bob", 5, 1005)
	upd.LocalExt = jx.RawMessage(`{"seen":true}`)
	if err := c.Apply(ctx, &core.Batch{Messages: []core.Message{upd}}); err != nil {
		t.Fatal(err)
	}
	if runs, recs := storeCount(t, c, storeRuns), storeCount(t, c, storeMessages); runs != 4 || recs != 66 {
		t.Fatalf("after an update: %d runs and %d records, want 4 and 66", runs, recs)
	}
	tx, _ := c.rawTransaction("readonly", storeRuns)
	n, err := awaitReq(ctx, tx.Call("objectStore", storeRuns).Call("index", indexRunMsg).Call("count", upd.ID))
	if err != nil || n.Int() != 0 {
		t.Fatalf("a run still holds the updated message: %v, %v", n, err)
	}
	got, err := c.MessagesByID(ctx, []string{upd.ID})
	if err != nil || len(got) != 1 || string(got[0].LocalExt) != `{"seen":true}` {
		t.Fatalf("the updated message: %+v, %v", got, err)
	}
}
