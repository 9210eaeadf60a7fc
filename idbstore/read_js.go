//go:build js && wasm

package idbstore

import (
	"context"
	"slices"
	"sort"
	"syscall/js"

	"github.com/hack-pad/go-indexeddb/idb"
	"yunxin/core"
	"yunxin/internal/errf"
	"yunxin/internal/jx"
)

// decodeRecords decodes the "j" of every record of a JS array, in order.
// (Taking the strings out one by one measured half the cost of one
// JSON.stringify of the array plus a Go decode of it.)
func decodeRecords[T any, P interface {
	*T
	jx.Value
}](arr js.Value) ([]T, error) {
	n := arr.Length()
	out := make([]T, n)
	for i := 0; i < n; i++ {
		if err := decodeRecord(arr.Index(i), P(&out[i])); err != nil {
			return nil, errf.Errorf("record %d: %w", i, err)
		}
	}
	return out, nil
}

func decodeRecord(rec js.Value, v jx.Value) error {
	j := rec.Get("j")
	if j.Type() != js.TypeString {
		return errf.Errorf("malformed record (j is %s)", j.Type())
	}
	return jx.Unmarshal([]byte(j.String()), v)
}

// decodeDomainRecord decodes one records-store record: its key, its ver
// ("v", absent in records written before versions: 0), whether it is a
// tombstone ("del") and its Data ("j").
func decodeDomainRecord(v js.Value) (core.Record, error) {
	kind, key, j := v.Get("kind"), v.Get("key"), v.Get("j")
	if kind.Type() != js.TypeString || key.Type() != js.TypeString || j.Type() != js.TypeString {
		return core.Record{}, errf.Errorf("malformed (kind %s, key %s, j %s)", kind.Type(), key.Type(), j.Type())
	}
	r := core.Record{Kind: kind.String(), Key: key.String()}
	if ver := v.Get("v"); ver.Type() == js.TypeNumber {
		r.Ver = int64(ver.Float())
	}
	r.Deleted = v.Get("del").Truthy()
	if s := j.String(); s != "" {
		r.Data = jx.RawMessage(s)
	}
	return r, nil
}

// decodeDomainRecords decodes the records store's live records, leaving
// tombstones out.
func decodeDomainRecords(arr js.Value) ([]core.Record, error) {
	n := arr.Length()
	var out []core.Record
	for i := 0; i < n; i++ {
		r, err := decodeDomainRecord(arr.Index(i))
		if err != nil {
			return nil, errf.Errorf("record %d: %w", i, err)
		}
		if !r.Deleted {
			out = append(out, r)
		}
	}
	// IndexedDB orders strings by UTF-16 code units; keep Go's order, as
	// MemCache does.
	// sort.Slice, not slices.SortFunc: each type slices sorts is its own
	// copy of pdqsort in the wasm (about 14 KB raw), sort.Slice's is shared.
	sort.Slice(out, func(i, j int) bool {
		a, b := &out[i], &out[j]
		return a.Kind < b.Kind || a.Kind == b.Kind && a.Key < b.Key
	})
	return out, nil
}

// Load implements core.Cache: one readonly transaction, the meta record and
// every session and domain record through getAll (which idb lacks: the
// transaction is the raw IDBDatabase's), one wait. Sessions written
// by schema 1 (a "hidden" flag instead of HideTime) come out converted
// (core.ConvertLegacy); record tombstones are left out.
func (c *cache) Load(ctx context.Context) (_ *core.Snapshot, err error) {
	defer c.closedCause(&err)
	defer guard(&err, "load")
	tx, err := c.rawTransaction("readonly", storeMeta, storeSessions, storeRecords)
	if err != nil {
		return nil, err
	}
	metaReq := tx.Call("objectStore", storeMeta).Call("get", metaKey)
	sessReq := tx.Call("objectStore", storeSessions).Call("getAll")
	recReq := tx.Call("objectStore", storeRecords).Call("getAll")
	if err := awaitTx(ctx, tx); err != nil {
		return nil, err
	}
	snap := &core.Snapshot{}
	if m := metaReq.Get("result"); m.Truthy() {
		if err := decodeRecord(m, &snap.Meta); err != nil {
			return nil, errf.Errorf("meta: %w", err)
		}
	}
	if snap.Sessions, err = decodeRecords[core.Session](sessReq.Get("result")); err != nil {
		return nil, errf.Errorf("sessions: %w", err)
	}
	if len(snap.Sessions) == 0 {
		snap.Sessions = nil
	}
	for i := range snap.Sessions {
		core.ConvertLegacy(&snap.Sessions[i])
	}
	sort.Slice(snap.Sessions, func(i, j int) bool { return snap.Sessions[i].Key < snap.Sessions[j].Key }) // sort.Slice: see decodeDomainRecords
	if snap.Records, err = decodeDomainRecords(recReq.Get("result")); err != nil {
		return nil, errf.Errorf("records: %w", err)
	}
	return snap, nil
}

var (
	jsIDBKeyRange = js.Global().Get("IDBKeyRange")
	// hasGetAllRecords: IDBIndex.getAllRecords (IndexedDB 3.0, with a
	// direction) exists; Chromium has it.
	hasGetAllRecords = func() (ok bool) {
		defer func() { recover() }()
		return js.Global().Get("IDBIndex").Get("prototype").Get("getAllRecords").Type() == js.TypeFunction
	}()
)

// Messages implements core.Cache. bySession holds only messages that are not
// deleted, so a page is the first or last q.Limit entries of the key range
// [sk] .. [sk, []] (an array sorts after every number), bounded by the
// anchor's [sk, t, id] (open). Newer pages: one index.getAll(range, limit).
// Older pages: one index.getAllRecords({direction: "prev"}) where the browser
// has it, else a "prev" cursor through idb. (idb has neither getAll nor
// getAllRecords: those run on a transaction of the raw IDBDatabase.)
//
// Messages held in runs (see runs_js.go) are read in the same transaction
// (in a second one after a cursor) and merged in.
func (c *cache) Messages(ctx context.Context, q core.Query) (_ []core.Message, err error) {
	defer c.closedCause(&err)
	defer guard(&err, "messages")
	if err := c.err(); err != nil {
		return nil, err
	}
	lower, upper := js.ValueOf([]any{q.SK}), js.ValueOf([]any{q.SK, []any{}})
	lowerOpen, upperOpen := false, false
	if a := q.Anchor; a != nil {
		key := js.ValueOf([]any{q.SK, float64(a.Time), a.ID})
		if q.Newer {
			lower, lowerOpen = key, true
		} else {
			upper, upperOpen = key, true
		}
	}
	var recs []core.Message
	var runs []core.Message
	if !q.Newer && q.Limit > 0 && !hasGetAllRecords {
		kr, err := idb.NewKeyRangeBound(lower, upper, lowerOpen, upperOpen)
		if err != nil {
			return nil, err
		}
		if recs, err = c.messagesCursor(ctx, kr, q.Limit); err != nil {
			return nil, err
		}
		if runs, err = c.runMessages(ctx, q, js.Undefined()); err != nil {
			return nil, errf.Errorf("runs: %w", err)
		}
		return mergePage(q, recs, runs), nil
	}
	tx, err := c.rawTransaction("readonly", storeMessages, storeRuns)
	if err != nil {
		return nil, err
	}
	idx := tx.Call("objectStore", storeMessages).Call("index", indexSession)
	kr := jsIDBKeyRange.Call("bound", lower, upper, lowerOpen, upperOpen)
	prev := !q.Newer && q.Limit > 0
	var req js.Value
	if prev {
		// The last Limit of the range, newest first.
		opts := jsObject.New()
		opts.Set("query", kr)
		opts.Set("count", q.Limit)
		opts.Set("direction", "prev")
		req = idx.Call("getAllRecords", opts)
	} else {
		args := []any{kr}
		if q.Limit > 0 {
			args = append(args, q.Limit)
		}
		req = idx.Call("getAll", args...)
	}
	// The runs' reads come after req: once the first is done, so is req.
	if runs, err = c.runMessages(ctx, q, tx); err != nil {
		return nil, errf.Errorf("runs: %w", err)
	}
	res := req.Get("result")
	if req.Get("readyState").String() != "done" {
		if res, err = awaitReq(ctx, req); err != nil {
			return nil, err
		}
	}
	if prev {
		// IDBRecord is a platform object (JSON.stringify gives {}), so
		// take the values out one by one: a page is small.
		n := res.Length()
		vals := jsArray.New(n)
		for i := 0; i < n; i++ {
			vals.SetIndex(n-1-i, res.Index(i).Get("value"))
		}
		res = vals
	}
	if recs, err = decodeRecords[core.Message](res); err != nil {
		return nil, err
	}
	return mergePage(q, recs, runs), nil
}

// messagesCursor is the fallback for older pages: a "prev" cursor. Each
// step runs inside the cursor's success event, so idb continues it while
// the transaction is active.
func (c *cache) messagesCursor(ctx context.Context, kr *idb.KeyRange, limit int) ([]core.Message, error) {
	tx, err := c.transaction(idb.TransactionReadOnly, storeMessages)
	if err != nil {
		return nil, err
	}
	st, err := tx.ObjectStore(storeMessages)
	if err != nil {
		return nil, err
	}
	idx, err := st.Index(indexSession)
	if err != nil {
		return nil, err
	}
	req, err := idx.OpenCursorRange(kr, idb.CursorPrevious)
	if err != nil {
		return nil, err
	}
	out := make([]core.Message, 0, min(limit, 1000))
	if err := req.Iter(ctx, func(cur *idb.CursorWithValue) error {
		v, err := cur.Value()
		if err != nil {
			return err
		}
		var m core.Message
		if err := decodeRecord(v, &m); err != nil {
			return err
		}
		out = append(out, m)
		if len(out) >= limit {
			return idb.ErrCursorStopIter
		}
		return nil
	}); err != nil {
		return nil, err
	}
	slices.Reverse(out)
	return out, nil
}

// MessagesByID implements core.Cache: one readonly transaction, every get
// issued at once, one wait, then the results in the order asked.
func (c *cache) MessagesByID(ctx context.Context, ids []string) (_ []core.Message, err error) {
	defer c.closedCause(&err)
	defer guard(&err, "messagesByID")
	if err := c.err(); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, nil
	}
	tx, err := c.transaction(idb.TransactionReadOnly, storeMessages)
	if err != nil {
		return nil, err
	}
	st, err := tx.ObjectStore(storeMessages)
	if err != nil {
		return nil, err
	}
	reqs := make([]*idb.Request, len(ids))
	for i, id := range ids {
		if reqs[i], err = st.Get(js.ValueOf(id)); err != nil {
			abort(tx)
			return nil, errf.Errorf("get %q: %w", id, err)
		}
	}
	// Listeners on each request could miss requests that finish before
	// their listener is added; the transaction's completion cannot.
	if err := tx.Await(ctx); err != nil {
		if ctx.Err() != nil {
			abort(tx)
		}
		return nil, err
	}
	found := make([]*core.Message, len(ids))
	var missing []string
	for i, r := range reqs {
		v, err := r.Result()
		if err != nil {
			return nil, errf.Errorf("get %q: %w", ids[i], err)
		}
		if !v.Truthy() {
			missing = append(missing, ids[i])
			continue
		}
		var m core.Message
		if err := decodeRecord(v, &m); err != nil {
			return nil, errf.Errorf("message %q: %w", ids[i], err)
		}
		found[i] = &m
	}
	// The ones without a record may be in runs (no id is in both).
	if len(missing) > 0 {
		inRuns, err := c.runMessagesByID(ctx, missing)
		if err != nil {
			return nil, errf.Errorf("runs: %w", err)
		}
		for i, id := range ids {
			if m, ok := inRuns[id]; ok && found[i] == nil {
				found[i] = &m
			}
		}
	}
	var out []core.Message
	for _, m := range found {
		if m != nil {
			out = append(out, *m)
		}
	}
	return out, nil
}
