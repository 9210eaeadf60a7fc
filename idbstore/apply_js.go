//go:build js && wasm

package idbstore

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"syscall/js"
	"time"
	"unicode/utf16"

	"yunxin/core"
	"yunxin/internal/errf"
	"yunxin/internal/jx"
	"yunxin/proto"
)

// Records. Each is {key fields..., j: "<json>"}. Apply builds all records of
// a batch as one JSON document and turns it into JS objects with one
// JSON.parse: one crossing instead of several per record.

// A message record is {id, sk, t, j}: in bySession by [sk, t, id]; a
// deleted message's is {id, j}, without "sk" and "t", so bySession does not
// hold it. encodeMessages writes them.

// stored is what Apply stored for the records the batch put, filled into
// the batch once the transaction completed.
type stored struct {
	sessions map[string]core.Session
	meta     *core.Meta
	records  map[core.RecordKey]core.Record
	// prior: the stored sessions the batch adds messages to, before the
	// merge (their SyncSeq and Ahead: see land).
	prior map[string]*core.Session

	// Set by add: addedFrom returns the AddMessages inserted, once the
	// transaction completed; release removes add's error listener.
	addedFrom func() []core.Message
	release   func()
}

// fill fills b with what was stored (see core.Batch).
func (st *stored) fill(b *core.Batch) {
	for i := range b.Sessions {
		b.Sessions[i] = st.sessions[b.Sessions[i].Key]
	}
	for i, r := range b.Records {
		b.Records[i] = st.records[core.RecordKey{Kind: r.Kind, Key: r.Key}]
	}
	if st.meta != nil {
		b.Meta = st.meta
	}
	if len(b.AddMessages) > 0 {
		b.AddMessages = nil
		if st.addedFrom != nil {
			b.AddMessages = st.addedFrom()
		}
	}
}

func parseJSON(v jx.Value) (js.Value, error) {
	doc, err := jx.Marshal(v)
	if err != nil {
		return js.Value{}, err
	}
	return jsJSON.Call("parse", string(doc)), nil
}

func encodeWrites(b *core.Batch) (js.Value, error) {
	return encodeMessages(b.Messages)
}

// encodeMessages returns the records of ms (a deleted one's without "sk"
// and "t") as the JS array "m" of one parsed document. The document is
// written here rather than by json.Marshal of the records: encoding/json
// would escape each record's j a byte at a time (a sync writes thousands).
func encodeMessages(ms []core.Message) (js.Value, error) {
	buf := make([]byte, 0, 16+len(ms)*600)
	buf = append(buf, `{"m":[`...)
	var j []byte
	for i := range ms {
		m := &ms[i]
		var err error
		j, err = m.AppendJSON(j[:0])
		if err != nil {
			return js.Value{}, errf.Errorf("message %q: %w", m.ID, err)
		}
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, `{"id":`...)
		buf = proto.AppendString(buf, m.ID)
		if !m.Deleted {
			buf = append(buf, `,"sk":`...)
			buf = proto.AppendString(buf, m.SK)
			buf = append(buf, `,"t":`...)
			buf = strconv.AppendInt(buf, m.Time, 10)
		}
		buf = append(buf, `,"j":`...)
		buf = appendJSONText(buf, j)
		buf = append(buf, '}')
	}
	buf = append(buf, "]}"...)
	return jsJSON.Call("parse", string(buf)), nil
}

// appendJSONText appends j, the output of json.Marshal, as a JSON string.
// json.Marshal escapes control characters, U+2028 and U+2029 and leaves
// only valid UTF-8, so only quotes and backslashes need escaping here.
func appendJSONText(buf, j []byte) []byte {
	buf = append(buf, '"')
	for len(j) > 0 {
		k := 0
		for k < len(j) && j[k] != '"' && j[k] != '\\' {
			k++
		}
		buf = append(buf, j[:k]...)
		if k == len(j) {
			break
		}
		buf = append(buf, '\\', j[k])
		j = j[k+1:]
	}
	return append(buf, '"')
}

// Apply implements core.Cache: one readwrite transaction. It issues the
// message writes and the reads of the session, meta and domain records the
// batch puts (not of local records, core.LocalRecord), all without
// waiting; when the last read is done (the transaction still active) it
// merges those sessions and meta with core.MergeSession / core.MergeMeta,
// keeps of the domain records those not older than the stored ones
// (tombstones included), issues their puts, then the session deletes, and
// commits; one wait for the transaction's completion. Then it fills b with
// what it stored.
func (c *cache) Apply(ctx context.Context, b *core.Batch) (err error) {
	defer c.closedCause(&err)
	defer guard(&err, "apply")
	if err := c.err(); err != nil {
		return err
	}
	if b == nil || b.Empty() {
		return nil
	}
	// Encode everything that needs no read before the transaction opens.
	doc, err := encodeWrites(b)
	if err != nil {
		return err
	}
	var names []string
	if writesMessages(b) {
		names = append(names, storeMessages)
	}
	if len(b.Sessions) > 0 || len(b.DeleteSessions) > 0 || len(b.AddMessages) > 0 {
		names = append(names, storeSessions)
	}
	if len(b.Records) > 0 {
		names = append(names, storeRecords)
	}
	if b.Meta != nil {
		names = append(names, storeMeta)
	}
	if len(b.AddMessages) > 0 || len(c.outOfRuns(b)) > 0 || len(b.ClearSessions) > 0 || b.ClearAll {
		names = append(names, storeRuns)
	}
	err = c.write(ctx, b, doc, names)
	if err != nil && c.quotaSeen.Load() && isName(err, "InvalidStateError") {
		// Firefox throws InvalidStateError ("a mutation operation was
		// attempted on a database that did not allow mutations") from the
		// puts of the next transaction of a connection after one aborted
		// for quota; the transaction after that (once that one ended) is
		// accepted, and meets the quota again if there is still no space.
		if err = c.write(ctx, b, doc, names); err != nil && isName(err, "InvalidStateError") {
			err = errf.Errorf("%w (writes refused after a quota failure: %w)", ErrQuota, err)
		}
	}
	c.quotaSeen.Store(err != nil && (errors.Is(err, ErrQuota) || isQuota(err)))
	return err
}

// write is one attempt of Apply: one readwrite transaction on the stores
// names; on success b is filled with what was stored. The write path uses
// the raw IDBTransaction (one Go→JS call per request, where idb's
// wrappers cost three, and add requests whose refusal does not abort the
// transaction: see add).
func (c *cache) write(ctx context.Context, b *core.Batch, doc js.Value, names []string) error {
	tx, err := c.rawTransaction("readwrite", names...)
	if err != nil {
		return err
	}
	// A failure (or a JS exception) half way aborts the transaction: all of
	// the batch or nothing.
	var st stored
	defer func() {
		if st.release != nil {
			st.release() // the listener is removed first: no event reaches the released func
		}
	}()
	if err := func() (err error) {
		defer guard(&err, "write")
		return c.apply(ctx, tx, b, doc, &st)
	}(); err != nil {
		if abortRaw(tx) {
			// Until it ended: the next transaction must not start while
			// this one still aborts (see Apply's retry).
			wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			awaitTx(wctx, tx)
			cancel()
		}
		return err
	}
	if err := awaitTx(ctx, tx); err != nil {
		// An abort reports the transaction's error: the first failed
		// request's (an AbortError of a request cut short), or the refused
		// commit's (Chromium checks the quota there).
		return err
	}
	st.fill(b)
	return nil
}

// abortRaw aborts a raw transaction that may have finished already. It
// reports whether it did abort it (its abort event is then to come).
func abortRaw(tx js.Value) (aborted bool) {
	defer func() {
		if recover() != nil { // it finished: nothing to undo
			aborted = false
		}
	}()
	tx.Call("abort")
	return true
}

// apply issues the batch's requests on the raw transaction tx and commits
// it; st receives what is stored.
func (c *cache) apply(ctx context.Context, tx js.Value, b *core.Batch, doc js.Value, st *stored) error {
	c.written.forget(b.DeleteSessions)
	var msgs js.Value
	if writesMessages(b) {
		msgs = tx.Call("objectStore", storeMessages)
		if err := clearMessages(ctx, msgs, b); err != nil {
			return err
		}
		putAll(msgs, doc.Get("m"), len(b.Messages))
		for _, id := range b.DeleteMessages {
			msgs.Call("delete", id)
		}
		if len(c.outOfRuns(b)) > 0 || len(b.ClearSessions) > 0 || b.ClearAll {
			if err := c.dropFromRuns(ctx, tx, b); err != nil {
				return err
			}
		}
	}
	var sessions js.Value
	if len(b.Sessions) > 0 || len(b.DeleteSessions) > 0 || len(b.AddMessages) > 0 {
		sessions = tx.Call("objectStore", storeSessions)
	}
	if len(b.Sessions) > 0 || b.Meta != nil || len(b.Records) > 0 {
		if err := c.merge(ctx, tx, sessions, b, st); err != nil {
			return err
		}
	}
	adds := false
	if len(b.AddMessages) > 0 {
		var err error
		if adds, err = c.add(ctx, tx, msgs, sessions, b, st); err != nil {
			return err
		}
	}
	for _, k := range b.DeleteSessions {
		sessions.Call("delete", k)
	}
	if !adds {
		// commit() ends the transaction without waiting for the event loop
		// to idle. Not after adds: Chromium aborts a transaction asked to
		// commit when one of its requests then fails, even if its error
		// was handled (add's refused duplicates).
		tx.Call("commit")
	}
	return nil
}

// writesMessages reports whether b has requests on the messages store.
func writesMessages(b *core.Batch) bool {
	return len(b.Messages) > 0 || len(b.AddMessages) > 0 || len(b.DeleteMessages) > 0 || len(b.ClearSessions) > 0 || b.ClearAll
}

// add decides, inside the transaction, which of b.AddMessages to insert
// (see core.Batch) and issues them. It is called once the batch's message
// writes and session puts are issued. It reads each stored session the
// batch does not put (of those it puts, st holds the merged record) for
// its ClearedTo (and its marks, for land). Of the messages not deleted by
// the batch, not twice in it and not at or below their session's ClearedTo
// (unless AddCleared), those no record can hold yet go into runs (land,
// see runs_js.go); for each of the others, unless a run holds its id
// (heldByRuns), it issues an add. An add whose id is stored (a message, or
// a deleted message's record) fails with ConstraintError: the
// transaction's error listener marks it refused and prevents the abort.
// (One add per message instead of a getKey and then a put halves the
// requests.) st.addedFrom gives the messages inserted once the transaction
// completed (stored.fill). It reports whether it issued any add.
func (c *cache) add(ctx context.Context, tx, msgs, sessions js.Value, b *core.Batch, st *stored) (bool, error) {
	clearedTo := make(map[string]int64)
	sessGets := make(map[string]js.Value)
	var last js.Value
	for i := range b.AddMessages {
		sk := b.AddMessages[i].SK
		if s, ok := st.sessions[sk]; ok {
			clearedTo[sk] = s.ClearedTo
			continue
		}
		if _, ok := sessGets[sk]; ok {
			continue
		}
		g := sessions.Call("get", sk)
		sessGets[sk], last = g, g
	}
	if !last.IsUndefined() {
		if _, err := awaitReq(ctx, last); err != nil {
			return false, errf.Errorf("reading sessions to add: %w", err)
		}
	}
	for sk, g := range sessGets {
		v := g.Get("result")
		if !v.Truthy() {
			continue
		}
		j := v.Get("j")
		if j.Type() != js.TypeString {
			return false, errf.Errorf("stored session %q: malformed record (j is %s)", sk, j.Type())
		}
		var s sessionSeqs
		if err := jx.Unmarshal([]byte(j.String()), &s); err != nil {
			return false, errf.Errorf("stored session %q: %w", sk, err)
		}
		clearedTo[sk] = s.ClearedTo
		if st.prior == nil {
			st.prior = make(map[string]*core.Session)
		}
		st.prior[sk] = &core.Session{SyncSeq: s.SyncSeq, Ahead: s.Ahead}
	}
	gone := make(map[string]bool, len(b.DeleteMessages)+len(b.AddMessages))
	for _, id := range b.DeleteMessages {
		gone[id] = true // deleted by this batch: the deletes were issued first
	}
	var cands []core.Message
	for _, m := range b.AddMessages {
		if gone[m.ID] || !b.AddCleared && m.Time <= clearedTo[m.SK] {
			continue
		}
		gone[m.ID] = true // twice in the batch: the first
		cands = append(cands, m)
	}
	if len(cands) == 0 {
		return false, nil
	}
	// The ones no record can hold yet go as runs (land); the others are
	// added one by one. (Not the history's cleared ones, AddCleared: their
	// seqs are marked.)
	var inRun []bool
	if !b.AddCleared {
		var err error
		if inRun, err = c.land(ctx, tx, cands, st.prior, b.Messages); err != nil {
			return false, err
		}
	}
	// The others are stored unless a run holds their id (the add's
	// constraint checks the messages store only).
	var rest []int
	for i := range cands {
		if inRun == nil || !inRun[i] {
			rest = append(rest, i)
		}
	}
	held, err := heldByRuns(ctx, tx, cands, rest)
	if err != nil {
		return false, err
	}
	var adds []core.Message
	var addAt []int // the index in cands of each of adds
	for k, i := range rest {
		if !held[k] {
			adds = append(adds, cands[i])
			addAt = append(addAt, i)
		}
	}
	// refused[k] is set by the error event of adds[k]'s add: the event
	// reaches the transaction's listener (it bubbles), which prevents its
	// default, the transaction's abort. Each request carries its index.
	refused := make([]bool, len(adds))
	var mu sync.Mutex
	st.addedFrom = func() []core.Message {
		mu.Lock()
		defer mu.Unlock()
		skip := make([]bool, len(cands))
		for k, i := range rest {
			skip[i] = held[k]
		}
		for k, i := range addAt {
			skip[i] = refused[k]
		}
		var added []core.Message
		for i, m := range cands {
			if !skip[i] {
				added = append(added, m)
			}
		}
		return added
	}
	if len(adds) == 0 {
		return false, nil
	}
	doc, err := encodeMessages(adds)
	if err != nil {
		return false, err
	}
	onError := js.FuncOf(func(_ js.Value, args []js.Value) any {
		defer func() { recover() }() // an event without the expected fields: the abort goes on
		ev := args[0]
		req := ev.Get("target")
		i := req.Get(addIndexProp)
		if i.Type() != js.TypeNumber || req.Get("error").Get("name").String() != "ConstraintError" {
			return nil
		}
		ev.Call("preventDefault")
		mu.Lock()
		if k := i.Int(); k >= 0 && k < len(refused) {
			refused[k] = true
		}
		mu.Unlock()
		return nil
	})
	tx.Call("addEventListener", "error", onError)
	st.release = func() {
		tx.Call("removeEventListener", "error", onError)
		onError.Release()
	}
	recs := doc.Get("m")
	if f := addAllFunc(); f.Type() == js.TypeFunction && !goLoopAdds {
		f.Invoke(msgs, recs, addIndexProp)
	} else {
		for i := range adds {
			msgs.Call("add", recs.Index(i)).Set(addIndexProp, i)
		}
	}
	return true, nil
}

// addIndexProp is the property of an add request holding its message's
// index among the batch's adds.
const addIndexProp = "yunxinAdd"

// addAllFunc returns a JS function(store, recs, prop) that issues an add of
// each record of recs on store and sets prop of each request to the
// record's index: one Go→JS call per batch where a loop in Go makes three
// per message (each returning a value that needs a finalizer), which was
// a tenth of a 10k offline sync. It is undefined where the page's Content
// Security Policy refuses the Function constructor (no 'unsafe-eval'): add
// then loops in Go.
var addAllFunc = sync.OnceValue(func() (f js.Value) {
	defer func() {
		if recover() != nil { // an EvalError (CSP), thrown as a js.Error
			f = js.Undefined()
		}
	}()
	return js.Global().Get("Function").New("store", "recs", "prop",
		"for (var i = 0; i < recs.length; i++) store.add(recs[i])[prop] = i;")
})

// goLoopAdds makes add loop in Go as under a CSP without 'unsafe-eval'
// (the tests run the cache suite both ways).
var goLoopAdds = false

// clearMessages issues the deletes of b.ClearAll (one clear) or
// b.ClearSessions, before any other request of the batch on the messages
// store st: for each session, the primary keys of its range of bySession
// (one getAllKeys, awaited: the transaction stays active while Go resumes
// in its success event), then one delete each. A message marked deleted is
// not in bySession and stays, deleted.
func clearMessages(ctx context.Context, st js.Value, b *core.Batch) error {
	if b.ClearAll {
		st.Call("clear")
		return nil
	}
	if len(b.ClearSessions) == 0 {
		return nil
	}
	idx := st.Call("index", indexSession)
	for _, sk := range b.ClearSessions {
		kr := jsIDBKeyRange.Call("bound", []any{sk}, []any{sk, []any{}})
		keys, err := awaitReq(ctx, idx.Call("getAllKeys", kr))
		if err != nil {
			return errf.Errorf("messages of %q: %w", sk, err)
		}
		for i, n := 0, keys.Length(); i < n; i++ {
			st.Call("delete", keys.Index(i))
		}
	}
	return nil
}

// merge reads the stored session and meta records the batch puts, waits
// for those reads only, and issues the puts of the batch's records merged
// into them. The reads go out all at once: one get per session, or for
// many, a getAll of the key range they span (see readRange).
func (c *cache) merge(ctx context.Context, tx, sessions js.Value, b *core.Batch, st *stored) error {
	var keys []string // the distinct session keys, in the batch's order
	merged := make(map[string]core.Session, len(b.Sessions))
	stored := make(map[string]bool, len(b.Sessions))
	load := func(k string, v js.Value) error {
		s, err := c.written.decode(k, v)
		if err != nil {
			return errf.Errorf("stored session %q: %w", k, err)
		}
		merged[k], stored[k] = s, true
		if st.prior == nil {
			st.prior = make(map[string]*core.Session)
		}
		st.prior[k] = &core.Session{SyncSeq: s.SyncSeq, Ahead: slices.Clone(s.Ahead)}
		return nil
	}
	var gets []js.Value
	var last js.Value // the read issued last: once it is done, all are
	var meta, metaGet js.Value
	if b.Meta != nil {
		meta = tx.Call("objectStore", storeMeta)
		metaGet = meta.Call("get", metaKey)
		last = metaGet
	}
	// Domain records: one get per distinct key.
	var records js.Value
	var recKeys []core.RecordKey
	var recGets []js.Value
	if len(b.Records) > 0 {
		records = tx.Call("objectStore", storeRecords)
		seen := make(map[core.RecordKey]bool, len(b.Records))
		for _, r := range b.Records {
			k := core.RecordKey{Kind: r.Kind, Key: r.Key}
			if seen[k] {
				continue
			}
			seen[k] = true
			g := js.Undefined() // none is newer (core.LocalRecord): put without a read
			if !core.LocalRecord(k.Kind) {
				g = records.Call("get", []any{k.Kind, k.Key})
				last = g
			}
			recKeys, recGets = append(recKeys, k), append(recGets, g)
		}
	}
	if len(b.Sessions) > 0 {
		seen := make(map[string]bool, len(b.Sessions))
		for i := range b.Sessions {
			if k := b.Sessions[i].Key; !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
		if len(keys) < rangeReadMin {
			gets = make([]js.Value, len(keys))
			for i, k := range keys {
				r := sessions.Call("get", k)
				gets[i], last = r, r
			}
		}
	}
	// Go resumes after the last read while its success event is being
	// dispatched, so the transaction is still active for the next request.
	if len(keys) >= rangeReadMin {
		if err := readRange(ctx, sessions, keys, load); err != nil {
			return errf.Errorf("reading sessions: %w", err)
		}
	} else if last.IsUndefined() {
		// Nothing to read (a send's first write: its message and outbox
		// entry): the transaction is still active in this same turn.
	} else if _, err := awaitReq(ctx, last); err != nil {
		return errf.Errorf("reading sessions, meta and records: %w", err)
	}
	var w wireMerged
	if len(b.Records) > 0 {
		cur := make(map[core.RecordKey]core.Record, len(recKeys))
		for i, g := range recGets {
			k := recKeys[i]
			if g.IsUndefined() {
				continue
			}
			if v := g.Get("result"); v.Truthy() {
				var err error
				if cur[k], err = decodeDomainRecord(v); err != nil {
					return errf.Errorf("stored record %s/%s: %w", k.Kind, k.Key, err)
				}
			}
		}
		put := make(map[core.RecordKey]bool, len(recKeys))
		for _, r := range b.Records {
			k := core.RecordKey{Kind: r.Kind, Key: r.Key}
			if old, ok := cur[k]; ok && old.Ver > r.Ver {
				continue // a newer record or tombstone is stored
			}
			if r.Deleted {
				r.Data = nil
			}
			cur[k], put[k] = r, true
		}
		for _, k := range recKeys {
			if r := cur[k]; put[k] {
				w.Records = append(w.Records, domainRec{Kind: r.Kind, Key: r.Key, V: r.Ver, Del: r.Deleted, J: string(r.Data)})
			}
		}
		st.records = cur
	}
	if len(b.Sessions) > 0 {
		for i, r := range gets {
			if v := r.Get("result"); v.Truthy() {
				if err := load(keys[i], v); err != nil {
					return err
				}
			}
		}
		for _, s := range b.Sessions {
			if stored[s.Key] {
				s = core.MergeSession(merged[s.Key], s)
			}
			merged[s.Key], stored[s.Key] = s, true
		}
		w.Sessions = make([]keyRec, len(keys))
		for i, k := range keys {
			s := merged[k]
			j, err := jx.Marshal(&s)
			if err != nil {
				return errf.Errorf("session %q: %w", k, err)
			}
			w.Sessions[i] = keyRec{K: k, J: string(j)}
			c.written.remember(k, w.Sessions[i].J, s)
		}
		st.sessions = merged
	}
	if b.Meta != nil {
		m := *b.Meta
		if v := metaGet.Get("result"); v.Truthy() {
			var old core.Meta
			if err := decodeRecord(v, &old); err != nil {
				return errf.Errorf("stored meta: %w", err)
			}
			m = core.MergeMeta(old, m)
		}
		j, err := jx.Marshal(&m)
		if err != nil {
			return errf.Errorf("meta: %w", err)
		}
		w.Meta = &keyRec{K: metaKey, J: string(j)}
		st.meta = &m
	}
	doc, err := parseJSON(&w)
	if err != nil {
		return err
	}
	putAll(sessions, doc.Get("s"), len(w.Sessions))
	if w.Meta != nil {
		meta.Call("put", doc.Get("meta"))
	}
	putAll(records, doc.Get("r"), len(w.Records))
	return nil
}

// readRange loads the stored sessions of keys with one getAll over the
// range of their keys, issued after the requests already made on the
// transaction of sessions, so all of those are done when it is. (One get
// each measured about 40% slower for 1,000 sessions.)
func readRange(ctx context.Context, sessions js.Value, keys []string, load func(k string, v js.Value) error) error {
	lo, hi := keyBounds(keys)
	arr, err := awaitReq(ctx, sessions.Call("getAll", jsIDBKeyRange.Call("bound", lo, hi)))
	if err != nil {
		return errf.Errorf("getAll: %w", err)
	}
	inBatch := make(map[string]bool, len(keys))
	for _, k := range keys {
		inBatch[k] = true
	}
	for i, n := 0, arr.Length(); i < n; i++ {
		v := arr.Index(i)
		if k := v.Get("k").String(); inBatch[k] {
			if err := load(k, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// putAll issues, without waiting, the puts of the first n records of the
// JS array recs on the object store st. A put the browser refuses at once
// throws (guard, in write, turns that into the batch's error).
func putAll(st, recs js.Value, n int) {
	for i := 0; i < n; i++ {
		st.Call("put", recs.Index(i))
	}
}

// sessionMemo remembers, per session key, the JSON of the session record
// this cache last wrote and its decoded value, so that Apply does not decode
// a stored record it wrote itself (decoding is most of a merge's cost in
// wasm). The stored text is compared in full: a record another tab wrote
// since, or a write that aborted, is decoded as usual.
type sessionMemo struct {
	mu sync.Mutex
	m  map[string]memoSession
}

type memoSession struct {
	j string
	s core.Session
}

// decode returns the session of the stored record v of key k.
func (sm *sessionMemo) decode(k string, v js.Value) (core.Session, error) {
	j := v.Get("j")
	if j.Type() != js.TypeString {
		return core.Session{}, errf.Errorf("malformed record (j is %s)", j.Type())
	}
	text := j.String()
	sm.mu.Lock()
	e, ok := sm.m[k]
	sm.mu.Unlock()
	if ok && e.j == text {
		return e.s, nil
	}
	var s core.Session
	err := jx.Unmarshal([]byte(text), &s)
	return s, err
}

// remember records that the record of key k is about to be written as j,
// holding s. s is copied: the batch's slices and pointers belong to the
// caller, who may change them later.
func (sm *sessionMemo) remember(k, j string, s core.Session) {
	s.Ahead = slices.Clone(s.Ahead)
	s.LocalExt = slices.Clone(s.LocalExt)
	if s.LastMsg != nil {
		m := *s.LastMsg
		m.Body, m.Ext, m.LocalExt = slices.Clone(m.Body), slices.Clone(m.Ext), slices.Clone(m.LocalExt)
		s.LastMsg = &m
	}
	sm.mu.Lock()
	if sm.m == nil {
		sm.m = make(map[string]memoSession)
	}
	sm.m[k] = memoSession{j, s}
	sm.mu.Unlock()
}

// forget drops the memo of deleted sessions.
func (sm *sessionMemo) forget(keys []string) {
	sm.mu.Lock()
	for _, k := range keys {
		delete(sm.m, k)
	}
	sm.mu.Unlock()
}

// rangeReadMin is the number of sessions from which Apply reads the stored
// ones with one getAll over the range of their keys instead of one get
// each (measured: 1,000 gets cost more than a getAll of 1,000 records).
const rangeReadMin = 64

// keyBounds returns the lowest and highest of keys in IndexedDB's order,
// which compares strings by UTF-16 code units (Go compares UTF-8 bytes: the
// two differ for characters above U+FFFF against U+E000-U+FFFF).
func keyBounds(keys []string) (lo, hi string) {
	lo, hi = keys[0], keys[0]
	for _, k := range keys[1:] {
		if utf16Less(k, lo) {
			lo = k
		}
		if utf16Less(hi, k) {
			hi = k
		}
	}
	return lo, hi
}

func utf16Less(a, b string) bool {
	ua, ub := utf16.Encode([]rune(a)), utf16.Encode([]rune(b))
	return slices.Compare(ua, ub) < 0
}
