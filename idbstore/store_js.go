//go:build js && wasm

package idbstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync/atomic"
	"syscall/js"

	"github.com/hack-pad/go-indexeddb/idb"

	"yunxin/core"
)

const (
	dbVersion = 1

	storeMeta     = "meta"
	storeSessions = "sessions"
	storeMessages = "messages"
	indexSession  = "bySession"
	metaKey       = "meta"
)

// ErrClosed is returned by the methods of a closed cache.
var ErrClosed = errors.New("idbstore: cache closed")

// DBName is the IndexedDB database name of one account of one app.
func DBName(appKey, account string) string { return "yunxinIM-" + appKey + "-" + account }

var _ core.OpenCacheFunc = Open

type cache struct {
	db     *idb.Database
	raw    js.Value // the IDBDatabase itself, for getAll (idb has no GetAll)
	closed atomic.Bool
}

// guard turns a panic (syscall/js panics with js.Error on a JS exception)
// into an error and prefixes errors with the operation.
func guard(err *error, op string) {
	if r := recover(); r != nil {
		switch v := r.(type) {
		case error:
			*err = fmt.Errorf("idbstore: %s: panic: %w", op, v)
		default:
			*err = fmt.Errorf("idbstore: %s: panic: %v", op, v)
		}
		return
	}
	if *err != nil && !errors.Is(*err, ErrClosed) {
		*err = fmt.Errorf("idbstore: %s: %w", op, *err)
	}
}

func factory() (f *idb.Factory, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("IndexedDB unavailable: %v", r)
		}
	}()
	return idb.Global(), nil
}

// Open opens (creating or upgrading it when needed) the cache of one account
// of one app, the IndexedDB database DBName(appKey, account).
func Open(ctx context.Context, appKey, account string) (_ core.Cache, err error) {
	defer guard(&err, "open")
	f, err := factory()
	if err != nil {
		return nil, err
	}
	name := DBName(appKey, account)
	// The upgrade runs inside a JS event handler: it must not block, and an
	// error returned from it would panic there. So it records its error and
	// Open handles it after the request finished.
	var upgradeErr error
	upgrader := func(db *idb.Database, oldVersion, newVersion uint) (ret error) {
		defer func() {
			if r := recover(); r != nil {
				upgradeErr = fmt.Errorf("upgrade panic: %v", r)
			}
			ret = nil
		}()
		upgradeErr = upgrade(db, oldVersion)
		return nil
	}
	uctx, ucancel := context.WithCancel(context.Background())
	defer ucancel()
	req, err := f.Open(uctx, name, dbVersion, upgrader)
	if err != nil {
		return nil, err
	}
	db, err := req.Await(ctx)
	if err != nil {
		return nil, err
	}
	raw, err := req.Request.Result()
	if err == nil && upgradeErr == nil {
		err = checkSchema(db)
	} else if upgradeErr != nil {
		err = upgradeErr
	}
	if err != nil {
		// A half-made database would stay at version 1 for good: remove it.
		db.Close()
		if upgradeErr != nil {
			if dreq, derr := f.DeleteDatabase(name); derr == nil {
				dreq.Await(ctx)
			}
		}
		return nil, err
	}
	return &cache{db: db, raw: raw}, nil
}

// upgrade brings the schema from oldVersion to dbVersion. It runs in the
// version-change transaction: no waiting, no other transactions. A new
// version adds an `if oldVersion < N` block.
func upgrade(db *idb.Database, oldVersion uint) error {
	if oldVersion < 1 {
		if _, err := db.CreateObjectStore(storeMeta, idb.ObjectStoreOptions{KeyPath: js.ValueOf("k")}); err != nil {
			return err
		}
		if _, err := db.CreateObjectStore(storeSessions, idb.ObjectStoreOptions{KeyPath: js.ValueOf("k")}); err != nil {
			return err
		}
		msgs, err := db.CreateObjectStore(storeMessages, idb.ObjectStoreOptions{KeyPath: js.ValueOf("id")})
		if err != nil {
			return err
		}
		if _, err := msgs.CreateIndex(indexSession, js.ValueOf([]any{"sk", "t", "id"}), idb.IndexOptions{}); err != nil {
			return err
		}
	}
	return nil
}

func checkSchema(db *idb.Database) error {
	names, err := db.ObjectStoreNames()
	if err != nil {
		return err
	}
	for _, want := range []string{storeMeta, storeSessions, storeMessages} {
		if !slices.Contains(names, want) {
			return fmt.Errorf("database has no object store %q (stores: %v)", want, names)
		}
	}
	return nil
}

// Delete deletes the database of one account of one app. An open cache of
// it is closed (idb closes connections on versionchange).
func Delete(ctx context.Context, appKey, account string) (err error) {
	defer guard(&err, "delete")
	f, err := factory()
	if err != nil {
		return err
	}
	req, err := f.DeleteDatabase(DBName(appKey, account))
	if err != nil {
		return err
	}
	return req.Await(ctx)
}

// Close implements core.Cache.
func (c *cache) Close() (err error) {
	defer guard(&err, "close")
	if c.closed.Swap(true) {
		return nil
	}
	return c.db.Close()
}

// Records. Each is {key fields..., j: "<json>"}. Apply builds all records
// of a batch as one JSON document and turns it into JS objects with one
// JSON.parse: one crossing instead of several per record.

var (
	jsJSON   = js.Global().Get("JSON")
	jsObject = js.Global().Get("Object")
)

// liveMsg is a message record in bySession; deadMsg a deleted message's,
// without "sk" and "t", so bySession does not hold it.
type liveMsg struct {
	ID string `json:"id"`
	SK string `json:"sk"`
	T  int64  `json:"t"`
	J  string `json:"j"`
}

type deadMsg struct {
	ID string `json:"id"`
	J  string `json:"j"`
}

type keyRec struct {
	K string `json:"k"`
	J string `json:"j"`
}

type wireBatch struct {
	Msgs     []any    `json:"m"`
	Sessions []keyRec `json:"s"`
	Meta     *keyRec  `json:"meta"`
}

func encodeBatch(b *core.Batch) (js.Value, error) {
	w := wireBatch{Msgs: make([]any, len(b.Messages)), Sessions: make([]keyRec, len(b.Sessions))}
	for i := range b.Messages {
		m := &b.Messages[i]
		j, err := json.Marshal(m)
		if err != nil {
			return js.Value{}, err
		}
		if m.Deleted {
			w.Msgs[i] = deadMsg{ID: m.ID, J: string(j)}
		} else {
			w.Msgs[i] = liveMsg{ID: m.ID, SK: m.SK, T: m.Time, J: string(j)}
		}
	}
	for i := range b.Sessions {
		j, err := json.Marshal(&b.Sessions[i])
		if err != nil {
			return js.Value{}, err
		}
		w.Sessions[i] = keyRec{K: b.Sessions[i].Key, J: string(j)}
	}
	if b.Meta != nil {
		j, err := json.Marshal(b.Meta)
		if err != nil {
			return js.Value{}, err
		}
		w.Meta = &keyRec{K: metaKey, J: string(j)}
	}
	doc, err := json.Marshal(&w)
	if err != nil {
		return js.Value{}, err
	}
	return jsJSON.Call("parse", string(doc)), nil
}

// decodeRecords decodes the "j" of every record of a JS array, in order.
// (Taking the strings out one by one measured half the cost of one
// JSON.stringify of the array plus a Go decode of it.)
func decodeRecords[T any](arr js.Value) ([]T, error) {
	n := arr.Length()
	out := make([]T, n)
	for i := 0; i < n; i++ {
		if err := decodeRecord(arr.Index(i), &out[i]); err != nil {
			return nil, fmt.Errorf("record %d: %w", i, err)
		}
	}
	return out, nil
}

func decodeRecord(rec js.Value, v any) error {
	j := rec.Get("j")
	if j.Type() != js.TypeString {
		return fmt.Errorf("malformed record (j is %s)", j.Type())
	}
	return json.Unmarshal([]byte(j.String()), v)
}

// Apply implements core.Cache: one readwrite transaction, all requests
// issued without waiting, one wait for the transaction's completion.
func (c *cache) Apply(ctx context.Context, b *core.Batch) (err error) {
	defer guard(&err, "apply")
	if c.closed.Load() {
		return ErrClosed
	}
	if b == nil || b.Empty() {
		return nil
	}
	// Encode everything before the transaction opens.
	doc, err := encodeBatch(b)
	if err != nil {
		return err
	}
	var names []string
	if len(b.Messages) > 0 || len(b.DeleteMessages) > 0 {
		names = append(names, storeMessages)
	}
	if len(b.Sessions) > 0 || len(b.DeleteSessions) > 0 {
		names = append(names, storeSessions)
	}
	if b.Meta != nil {
		names = append(names, storeMeta)
	}

	txn, err := c.db.Transaction(idb.TransactionReadWrite, names[0], names[1:]...)
	if err != nil {
		return err
	}
	fail := func(err error) error {
		txn.Abort()
		return err
	}
	if slices.Contains(names, storeMessages) {
		if err := putAndDelete(txn, storeMessages, doc.Get("m"), len(b.Messages), b.DeleteMessages); err != nil {
			return fail(err)
		}
	}
	if slices.Contains(names, storeSessions) {
		if err := putAndDelete(txn, storeSessions, doc.Get("s"), len(b.Sessions), b.DeleteSessions); err != nil {
			return fail(err)
		}
	}
	if b.Meta != nil {
		st, err := txn.ObjectStore(storeMeta)
		if err != nil {
			return fail(err)
		}
		if _, err := st.Put(doc.Get("meta")); err != nil {
			return fail(err)
		}
	}
	if err := txn.Await(ctx); err != nil {
		if ctx.Err() != nil {
			txn.Abort()
		}
		return err
	}
	return nil
}

// putAndDelete issues, without waiting, the puts of the first n records of
// the JS array recs and the deletes of keys on the object store name.
func putAndDelete(txn *idb.Transaction, name string, recs js.Value, n int, keys []string) error {
	st, err := txn.ObjectStore(name)
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		if _, err := st.Put(recs.Index(i)); err != nil {
			return err
		}
	}
	for _, k := range keys {
		if _, err := st.Delete(js.ValueOf(k)); err != nil {
			return err
		}
	}
	return nil
}

// Load implements core.Cache: one readonly transaction, the meta record and
// every session through IDBObjectStore.getAll, one wait.
func (c *cache) Load(ctx context.Context) (_ *core.Snapshot, err error) {
	defer guard(&err, "load")
	if c.closed.Load() {
		return nil, ErrClosed
	}
	tx := c.raw.Call("transaction", js.ValueOf([]any{storeMeta, storeSessions}), "readonly")
	metaReq := tx.Call("objectStore", storeMeta).Call("get", metaKey)
	sessReq := tx.Call("objectStore", storeSessions).Call("getAll")
	if err := awaitTx(ctx, tx); err != nil {
		return nil, err
	}
	snap := &core.Snapshot{}
	if m := metaReq.Get("result"); m.Truthy() {
		if err := decodeRecord(m, &snap.Meta); err != nil {
			return nil, fmt.Errorf("meta: %w", err)
		}
	}
	if snap.Sessions, err = decodeRecords[core.Session](sessReq.Get("result")); err != nil {
		return nil, fmt.Errorf("sessions: %w", err)
	}
	if len(snap.Sessions) == 0 {
		snap.Sessions = nil
	}
	// IndexedDB orders strings by UTF-16 code units; keep Go's order, as
	// MemCache does.
	sort.Slice(snap.Sessions, func(i, j int) bool { return snap.Sessions[i].Key < snap.Sessions[j].Key })
	return snap, nil
}

// awaitTx waits for a raw IDBTransaction to complete or abort.
func awaitTx(ctx context.Context, tx js.Value) error {
	ch := make(chan error, 1)
	complete := js.FuncOf(func(js.Value, []js.Value) any {
		select {
		case ch <- nil:
		default:
		}
		return nil
	})
	abort := js.FuncOf(func(js.Value, []js.Value) any {
		select {
		case ch <- txError(tx):
		default:
		}
		return nil
	})
	defer func() {
		tx.Set("oncomplete", js.Null())
		tx.Set("onabort", js.Null())
		complete.Release()
		abort.Release()
	}()
	tx.Set("oncomplete", complete)
	tx.Set("onabort", abort)
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		func() {
			defer func() { recover() }() // already finished
			tx.Call("abort")
		}()
		return ctx.Err()
	}
}

func txError(tx js.Value) error {
	e := tx.Get("error")
	if !e.Truthy() {
		return errors.New("AbortError: transaction aborted")
	}
	return js.Error{Value: e}
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
// has it, else a "prev" cursor.
func (c *cache) Messages(ctx context.Context, q core.Query) (_ []core.Message, err error) {
	defer guard(&err, "messages")
	if c.closed.Load() {
		return nil, ErrClosed
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
	if q.Newer || q.Limit <= 0 {
		return c.messagesGetAll(ctx, jsIDBKeyRange.Call("bound", lower, upper, lowerOpen, upperOpen), q)
	}
	if hasGetAllRecords {
		return c.messagesPrevRecords(ctx, jsIDBKeyRange.Call("bound", lower, upper, lowerOpen, upperOpen), q.Limit)
	}
	kr, err := idb.NewKeyRangeBound(lower, upper, lowerOpen, upperOpen)
	if err != nil {
		return nil, err
	}
	return c.messagesCursor(ctx, kr, q)
}

func (c *cache) bySession() js.Value {
	tx := c.raw.Call("transaction", storeMessages, "readonly")
	return tx.Call("objectStore", storeMessages).Call("index", indexSession)
}

// messagesGetAll: the first q.Limit (all when 0) messages of the range, in
// ascending order; for a Limit-less older page too.
func (c *cache) messagesGetAll(ctx context.Context, kr js.Value, q core.Query) ([]core.Message, error) {
	args := []any{kr}
	if q.Limit > 0 {
		args = append(args, q.Limit)
	}
	res, err := awaitReq(ctx, c.bySession().Call("getAll", args...))
	if err != nil {
		return nil, err
	}
	return decodeRecords[core.Message](res)
}

// messagesPrevRecords: the last limit messages of the range, newest first
// from the browser, returned ascending.
func (c *cache) messagesPrevRecords(ctx context.Context, kr js.Value, limit int) ([]core.Message, error) {
	opts := jsObject.New()
	opts.Set("query", kr)
	opts.Set("count", limit)
	opts.Set("direction", "prev")
	res, err := awaitReq(ctx, c.bySession().Call("getAllRecords", opts))
	if err != nil {
		return nil, err
	}
	// IDBRecord is a platform object (JSON.stringify gives {}), so take the
	// values out one by one: a page is small.
	n := res.Length()
	vals := js.Global().Get("Array").New(n)
	for i := 0; i < n; i++ {
		vals.SetIndex(n-1-i, res.Index(i).Get("value"))
	}
	return decodeRecords[core.Message](vals)
}

// messagesCursor is the fallback for older pages: a "prev" cursor, through
// go-indexeddb.
func (c *cache) messagesCursor(ctx context.Context, kr *idb.KeyRange, q core.Query) ([]core.Message, error) {
	txn, err := c.db.Transaction(idb.TransactionReadOnly, storeMessages)
	if err != nil {
		return nil, err
	}
	st, err := txn.ObjectStore(storeMessages)
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
	out := make([]core.Message, 0, min(q.Limit, 1000))
	err = req.Iter(ctx, func(cur *idb.CursorWithValue) error {
		v, err := cur.Value()
		if err != nil {
			return err
		}
		var m core.Message
		if err := decodeRecord(v, &m); err != nil {
			return err
		}
		out = append(out, m)
		if len(out) >= q.Limit {
			return idb.ErrCursorStopIter
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.Reverse(out)
	return out, nil
}

// awaitReq waits for a raw IDBRequest and returns its result. The handlers
// are set before Go yields to the event loop, so no event is missed.
func awaitReq(ctx context.Context, req js.Value) (js.Value, error) {
	ch := make(chan error, 1)
	success := js.FuncOf(func(js.Value, []js.Value) any {
		select {
		case ch <- nil:
		default:
		}
		return nil
	})
	failure := js.FuncOf(func(js.Value, []js.Value) any {
		e := req.Get("error")
		var err error = errors.New("request failed")
		if e.Truthy() {
			err = js.Error{Value: e}
		}
		select {
		case ch <- err:
		default:
		}
		return nil
	})
	defer func() {
		req.Set("onsuccess", js.Null())
		req.Set("onerror", js.Null())
		success.Release()
		failure.Release()
	}()
	req.Set("onsuccess", success)
	req.Set("onerror", failure)
	select {
	case err := <-ch:
		if err != nil {
			return js.Value{}, err
		}
		return req.Get("result"), nil
	case <-ctx.Done():
		return js.Value{}, ctx.Err()
	}
}

// MessagesByID implements core.Cache: one readonly transaction, every get
// issued at once, one wait, then the results in the order asked.
func (c *cache) MessagesByID(ctx context.Context, ids []string) (_ []core.Message, err error) {
	defer guard(&err, "messagesByID")
	if c.closed.Load() {
		return nil, ErrClosed
	}
	if len(ids) == 0 {
		return nil, nil
	}
	txn, err := c.db.Transaction(idb.TransactionReadOnly, storeMessages)
	if err != nil {
		return nil, err
	}
	st, err := txn.ObjectStore(storeMessages)
	if err != nil {
		return nil, err
	}
	reqs := make([]*idb.Request, len(ids))
	for i, id := range ids {
		if reqs[i], err = st.Get(js.ValueOf(id)); err != nil {
			txn.Abort()
			return nil, err
		}
	}
	// Listeners on each request could miss requests that finish before
	// their listener is added; the transaction's completion cannot.
	if err := txn.Await(ctx); err != nil {
		return nil, err
	}
	var out []core.Message
	for i, r := range reqs {
		v, err := r.Result()
		if err != nil {
			return nil, err
		}
		if !v.Truthy() {
			continue
		}
		var m core.Message
		if err := decodeRecord(v, &m); err != nil {
			return nil, fmt.Errorf("message %q: %w", ids[i], err)
		}
		out = append(out, m)
	}
	return out, nil
}
