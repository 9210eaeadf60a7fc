//go:build js && wasm

package idbstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"syscall/js"
	"time"
	"unicode/utf16"

	"github.com/hack-pad/go-indexeddb/idb"

	"yunxin/core"
)

// Records. Each is {key fields..., j: "<json>"}. Apply builds all records of
// a batch as one JSON document and turns it into JS objects with one
// JSON.parse: one crossing instead of several per record.

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

// keyRec is a meta or session record.
type keyRec struct {
	K string `json:"k"`
	J string `json:"j"`
}

// domainRec is a records-store record: its key [kind, key], its ver, the
// tombstone flag and its Data as the JSON text j.
type domainRec struct {
	Kind string `json:"kind"`
	Key  string `json:"key"`
	V    int64  `json:"v,omitempty"`
	Del  bool   `json:"del,omitempty"`
	J    string `json:"j"`
}

// wireWrites are the writes that need no read: messages.
type wireWrites struct {
	Msgs []any `json:"m"`
}

// wireMerged are the writes made after reading: sessions and meta merged
// with the stored ones, and the records that are newer than the stored ones.
type wireMerged struct {
	Sessions []keyRec    `json:"s"`
	Meta     *keyRec     `json:"meta,omitempty"`
	Records  []domainRec `json:"r"`
}

// stored is what Apply stored for the records the batch put, filled into
// the batch once the transaction completed.
type stored struct {
	sessions map[string]core.Session
	meta     *core.Meta
	records  map[core.RecordKey]core.Record
	added    []core.Message // the AddMessages inserted
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
		b.AddMessages = st.added
	}
}

func parseJSON(v any) (js.Value, error) {
	doc, err := json.Marshal(v)
	if err != nil {
		return js.Value{}, err
	}
	return jsJSON.Call("parse", string(doc)), nil
}

func encodeWrites(b *core.Batch) (js.Value, error) {
	return encodeMessages(b.Messages)
}

// encodeMessages returns the records of ms as the JS array "m" of one
// parsed document.
func encodeMessages(ms []core.Message) (js.Value, error) {
	w := wireWrites{Msgs: make([]any, len(ms))}
	for i := range ms {
		m := &ms[i]
		j, err := json.Marshal(m)
		if err != nil {
			return js.Value{}, fmt.Errorf("message %q: %w", m.ID, err)
		}
		if m.Deleted {
			w.Msgs[i] = deadMsg{ID: m.ID, J: string(j)}
		} else {
			w.Msgs[i] = liveMsg{ID: m.ID, SK: m.SK, T: m.Time, J: string(j)}
		}
	}
	return parseJSON(&w)
}

// Apply implements core.Cache: one readwrite transaction. It issues the
// message writes and the reads of the session, meta and domain records the
// batch puts, all without waiting; when the last read is done (the
// transaction still active) it merges those sessions and meta with
// core.MergeSession / core.MergeMeta, keeps of the domain records those not
// older than the stored ones (tombstones included), issues their puts, then
// the session deletes, and commits; one wait for the transaction's
// completion. Then it fills b with what it stored.
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
	err = c.write(ctx, b, doc, names)
	if err != nil && c.quotaSeen.Load() && isName(err, "InvalidStateError") {
		// Firefox throws InvalidStateError ("a mutation operation was
		// attempted on a database that did not allow mutations") from the
		// puts of the next transaction of a connection after one aborted
		// for quota; the transaction after that (once that one ended) is
		// accepted, and meets the quota again if there is still no space.
		if err = c.write(ctx, b, doc, names); err != nil && isName(err, "InvalidStateError") {
			err = fmt.Errorf("%w (writes refused after a quota failure: %w)", ErrQuota, err)
		}
	}
	c.quotaSeen.Store(err != nil && (errors.Is(err, ErrQuota) || isQuota(err)))
	return err
}

// write is one attempt of Apply: one readwrite transaction on the stores
// names; on success b is filled with what was stored.
func (c *cache) write(ctx context.Context, b *core.Batch, doc js.Value, names []string) error {
	tx, err := c.transaction(idb.TransactionReadWrite, names...)
	if err != nil {
		return err
	}
	// A failure (or a JS exception) half way aborts the transaction: all of
	// the batch or nothing.
	var st stored
	if err := func() (err error) {
		defer guard(&err, "write")
		return c.apply(ctx, tx, b, doc, &st)
	}(); err != nil {
		if abort(tx) {
			// Until it ended: the next transaction must not start while
			// this one still aborts (see Apply's retry).
			wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			tx.Await(wctx)
			cancel()
		}
		return err
	}
	if err := tx.Await(ctx); err != nil {
		if ctx.Err() != nil {
			abort(tx)
		}
		// An abort reports the first failed request's error (an
		// AbortError of a request cut short); the transaction's own error
		// tells a refused commit (Chromium checks the quota there).
		if terr := txError(tx); terr != nil && !isQuota(err) && isQuota(terr) {
			err = fmt.Errorf("%w (%w)", terr, err)
		}
		return err
	}
	st.fill(b)
	return nil
}

// txError is the error of a transaction that aborted, nil when it has
// none (or when it cannot be read).
func txError(tx *idb.Transaction) (err error) {
	defer func() {
		if recover() != nil {
			err = nil
		}
	}()
	return tx.Err()
}

// apply issues the batch's requests on tx and commits it; st receives what
// is stored.
func (c *cache) apply(ctx context.Context, tx *idb.Transaction, b *core.Batch, doc js.Value, st *stored) error {
	c.written.forget(b.DeleteSessions)
	var msgs *idb.ObjectStore
	if writesMessages(b) {
		var err error
		if msgs, err = tx.ObjectStore(storeMessages); err != nil {
			return err
		}
		st := msgs
		if err := clearMessages(ctx, st, b); err != nil {
			return err
		}
		if err := putAll(st, doc.Get("m"), len(b.Messages)); err != nil {
			return fmt.Errorf("messages: %w", err)
		}
		for _, id := range b.DeleteMessages {
			if _, err := st.Delete(js.ValueOf(id)); err != nil {
				return fmt.Errorf("delete message %q: %w", id, err)
			}
		}
	}
	var sessions *idb.ObjectStore
	if len(b.Sessions) > 0 || len(b.DeleteSessions) > 0 || len(b.AddMessages) > 0 {
		var err error
		if sessions, err = tx.ObjectStore(storeSessions); err != nil {
			return err
		}
	}
	if len(b.Sessions) > 0 || b.Meta != nil || len(b.Records) > 0 {
		if err := c.merge(ctx, tx, sessions, b, st); err != nil {
			return err
		}
	}
	if len(b.AddMessages) > 0 {
		if err := c.add(ctx, msgs, sessions, b, st); err != nil {
			return err
		}
	}
	if len(b.DeleteSessions) > 0 {
		for _, k := range b.DeleteSessions {
			if _, err := sessions.Delete(js.ValueOf(k)); err != nil {
				return fmt.Errorf("delete session %q: %w", k, err)
			}
		}
	}
	return tx.Commit()
}

// writesMessages reports whether b has requests on the messages store.
func writesMessages(b *core.Batch) bool {
	return len(b.Messages) > 0 || len(b.AddMessages) > 0 || len(b.DeleteMessages) > 0 || len(b.ClearSessions) > 0 || b.ClearAll
}

// add decides, inside the transaction, which of b.AddMessages to insert
// (see core.Batch) and issues their puts. It is called once the batch's
// message writes and session puts are issued: it issues a getKey per
// message id on msgs (so it sees those writes: requests of a transaction
// run in order) and a get of each stored session the batch does not put
// (of those it puts, st holds the merged record), awaits the last of them
// only, then puts the messages allowed. st.added receives them.
func (c *cache) add(ctx context.Context, msgs, sessions *idb.ObjectStore, b *core.Batch, st *stored) error {
	gets := make([]*idb.Request, len(b.AddMessages))
	var last *idb.Request
	for i := range b.AddMessages {
		g, err := msgs.GetKey(js.ValueOf(b.AddMessages[i].ID))
		if err != nil {
			return fmt.Errorf("get message %q: %w", b.AddMessages[i].ID, err)
		}
		gets[i], last = g, g
	}
	clearedTo := make(map[string]int64)
	sessGets := make(map[string]*idb.Request)
	for i := range b.AddMessages {
		sk := b.AddMessages[i].SK
		if s, ok := st.sessions[sk]; ok {
			clearedTo[sk] = s.ClearedTo
			continue
		}
		if _, ok := sessGets[sk]; ok {
			continue
		}
		g, err := sessions.Get(js.ValueOf(sk))
		if err != nil {
			return fmt.Errorf("get session %q: %w", sk, err)
		}
		sessGets[sk], last = g, g
	}
	if _, err := last.Await(ctx); err != nil {
		return fmt.Errorf("reading messages and sessions to add: %w", err)
	}
	for sk, g := range sessGets {
		v, err := g.Result()
		if err != nil {
			return fmt.Errorf("get session %q: %w", sk, err)
		}
		if !v.Truthy() {
			continue
		}
		j := v.Get("j")
		if j.Type() != js.TypeString {
			return fmt.Errorf("stored session %q: malformed record (j is %s)", sk, j.Type())
		}
		var s struct {
			ClearedTo int64 `json:"clearTo"`
		}
		if err := json.Unmarshal([]byte(j.String()), &s); err != nil {
			return fmt.Errorf("stored session %q: %w", sk, err)
		}
		clearedTo[sk] = s.ClearedTo
	}
	gone := make(map[string]bool, len(b.DeleteMessages)+len(b.AddMessages))
	for _, id := range b.DeleteMessages {
		gone[id] = true // deleted by this batch: the deletes were issued first
	}
	var added []core.Message
	for i, g := range gets {
		m := b.AddMessages[i]
		k, err := g.Result()
		if err != nil {
			return fmt.Errorf("get message %q: %w", m.ID, err)
		}
		if !k.IsUndefined() || gone[m.ID] || !b.AddCleared && m.Time <= clearedTo[m.SK] {
			continue
		}
		gone[m.ID] = true // twice in the batch: the first
		added = append(added, m)
	}
	st.added = added
	if len(added) == 0 {
		return nil
	}
	doc, err := encodeMessages(added)
	if err != nil {
		return err
	}
	if err := putAll(msgs, doc.Get("m"), len(added)); err != nil {
		return fmt.Errorf("added messages: %w", err)
	}
	return nil
}

// clearMessages issues the deletes of b.ClearAll (one clear) or
// b.ClearSessions, before any other request of the batch on the messages
// store st: for each session, the primary keys of its range of bySession
// (one getAllKeys, awaited: the transaction stays active while Go resumes
// in its success event), then one delete each. A message marked deleted is
// not in bySession and stays, deleted.
func clearMessages(ctx context.Context, st *idb.ObjectStore, b *core.Batch) error {
	if b.ClearAll {
		if _, err := st.Clear(); err != nil {
			return fmt.Errorf("clear messages: %w", err)
		}
		return nil
	}
	if len(b.ClearSessions) == 0 {
		return nil
	}
	idx, err := st.Index(indexSession)
	if err != nil {
		return err
	}
	for _, sk := range b.ClearSessions {
		kr, err := idb.NewKeyRangeBound(js.ValueOf([]any{sk}), js.ValueOf([]any{sk, []any{}}), false, false)
		if err != nil {
			return fmt.Errorf("key range: %w", err)
		}
		req, err := idx.GetAllKeysRange(kr, 0)
		if err != nil {
			return fmt.Errorf("messages of %q: %w", sk, err)
		}
		keys, err := req.Await(ctx)
		if err != nil {
			return fmt.Errorf("messages of %q: %w", sk, err)
		}
		for _, k := range keys {
			if _, err := st.Delete(k); err != nil {
				return fmt.Errorf("clear messages of %q: %w", sk, err)
			}
		}
	}
	return nil
}

// merge reads the stored session and meta records the batch puts, waits
// for those reads only, and issues the puts of the batch's records merged
// into them. The reads go out all at once: one get per session, or for
// many, a getAll of the key range they span (see readRange).
func (c *cache) merge(ctx context.Context, tx *idb.Transaction, sessions *idb.ObjectStore, b *core.Batch, st *stored) error {
	var keys []string // the distinct session keys, in the batch's order
	merged := make(map[string]core.Session, len(b.Sessions))
	stored := make(map[string]bool, len(b.Sessions))
	load := func(k string, v js.Value) error {
		s, err := c.written.decode(k, v)
		if err != nil {
			return fmt.Errorf("stored session %q: %w", k, err)
		}
		merged[k], stored[k] = s, true
		return nil
	}
	var gets []*idb.Request
	var last *idb.Request // the read issued last: once it is done, all are
	var meta *idb.ObjectStore
	var metaGet *idb.Request
	if b.Meta != nil {
		var err error
		if meta, err = tx.ObjectStore(storeMeta); err != nil {
			return err
		}
		if metaGet, err = meta.Get(js.ValueOf(metaKey)); err != nil {
			return fmt.Errorf("get meta: %w", err)
		}
		last = metaGet
	}
	// Domain records: one get per distinct key.
	var records *idb.ObjectStore
	var recKeys []core.RecordKey
	var recGets []*idb.Request
	if len(b.Records) > 0 {
		var err error
		if records, err = tx.ObjectStore(storeRecords); err != nil {
			return err
		}
		seen := make(map[core.RecordKey]bool, len(b.Records))
		for _, r := range b.Records {
			k := core.RecordKey{Kind: r.Kind, Key: r.Key}
			if seen[k] {
				continue
			}
			seen[k] = true
			g, err := records.Get(js.ValueOf([]any{k.Kind, k.Key}))
			if err != nil {
				return fmt.Errorf("get record %s/%s: %w", k.Kind, k.Key, err)
			}
			recKeys, recGets, last = append(recKeys, k), append(recGets, g), g
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
			gets = make([]*idb.Request, len(keys))
			for i, k := range keys {
				r, err := sessions.Get(js.ValueOf(k))
				if err != nil {
					return fmt.Errorf("get session %q: %w", k, err)
				}
				gets[i], last = r, r
			}
		}
	}
	// Go resumes after the last read while its success event is being
	// dispatched, so the transaction is still active for the next request.
	if len(keys) >= rangeReadMin {
		if err := readRange(ctx, sessions, keys, load); err != nil {
			return fmt.Errorf("reading sessions: %w", err)
		}
	} else if _, err := last.Await(ctx); err != nil {
		return fmt.Errorf("reading sessions, meta and records: %w", err)
	}
	var w wireMerged
	if len(b.Records) > 0 {
		cur := make(map[core.RecordKey]core.Record, len(recKeys))
		for i, g := range recGets {
			k := recKeys[i]
			v, err := g.Result()
			if err != nil {
				return fmt.Errorf("get record %s/%s: %w", k.Kind, k.Key, err)
			}
			if v.Truthy() {
				if cur[k], err = decodeDomainRecord(v); err != nil {
					return fmt.Errorf("stored record %s/%s: %w", k.Kind, k.Key, err)
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
			k := keys[i]
			v, err := r.Result()
			if err != nil {
				return fmt.Errorf("get session %q: %w", k, err)
			}
			if v.Truthy() {
				if err := load(k, v); err != nil {
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
			j, err := json.Marshal(&s)
			if err != nil {
				return fmt.Errorf("session %q: %w", k, err)
			}
			w.Sessions[i] = keyRec{K: k, J: string(j)}
			c.written.remember(k, w.Sessions[i].J, s)
		}
		st.sessions = merged
	}
	if b.Meta != nil {
		m := *b.Meta
		v, err := metaGet.Result()
		if err != nil {
			return fmt.Errorf("get meta: %w", err)
		}
		if v.Truthy() {
			var old core.Meta
			if err := decodeRecord(v, &old); err != nil {
				return fmt.Errorf("stored meta: %w", err)
			}
			m = core.MergeMeta(old, m)
		}
		j, err := json.Marshal(&m)
		if err != nil {
			return fmt.Errorf("meta: %w", err)
		}
		w.Meta = &keyRec{K: metaKey, J: string(j)}
		st.meta = &m
	}
	doc, err := parseJSON(&w)
	if err != nil {
		return err
	}
	if len(w.Sessions) > 0 {
		if err := putAll(sessions, doc.Get("s"), len(w.Sessions)); err != nil {
			return fmt.Errorf("sessions: %w", err)
		}
	}
	if w.Meta != nil {
		if _, err := meta.Put(doc.Get("meta")); err != nil {
			return fmt.Errorf("put meta: %w", err)
		}
	}
	if len(w.Records) > 0 {
		if err := putAll(records, doc.Get("r"), len(w.Records)); err != nil {
			return fmt.Errorf("records: %w", err)
		}
	}
	return nil
}

// readRange loads the stored sessions of keys with one getAll over the
// range of their keys, issued after the requests already made on the
// transaction of sessions, so all of those are done when it is. idb has no
// getAll: a key cursor over the range, opened through idb, gives at its
// first position the transaction's raw IDBObjectStore (cursor.source), on
// which getAll is issued while that position's success event keeps the
// transaction active. No position means no stored session in the range.
// (Walking the cursor through idb instead measured about 40% slower for
// 1,000 sessions; so did one get each.)
func readRange(ctx context.Context, sessions *idb.ObjectStore, keys []string, load func(k string, v js.Value) error) error {
	lo, hi := keyBounds(keys)
	kr, err := idb.NewKeyRangeBound(js.ValueOf(lo), js.ValueOf(hi), false, false)
	if err != nil {
		return fmt.Errorf("key range: %w", err)
	}
	cursor, err := sessions.OpenKeyCursorRange(kr, idb.CursorNext)
	if err != nil {
		return fmt.Errorf("cursor: %w", err)
	}
	if _, err := cursor.Await(ctx); err != nil {
		return fmt.Errorf("cursor: %w", err)
	}
	cur, err := cursor.Request.Result()
	if err != nil {
		return fmt.Errorf("cursor: %w", err)
	}
	if !cur.Truthy() {
		return nil
	}
	arr, err := awaitReq(ctx, cur.Get("source").Call("getAll", jsIDBKeyRange.Call("bound", lo, hi)))
	if err != nil {
		return fmt.Errorf("getAll: %w", err)
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
// JS array recs on the object store st.
func putAll(st *idb.ObjectStore, recs js.Value, n int) error {
	for i := 0; i < n; i++ {
		if _, err := st.Put(recs.Index(i)); err != nil {
			return fmt.Errorf("put %d: %w", i, err)
		}
	}
	return nil
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
		return core.Session{}, fmt.Errorf("malformed record (j is %s)", j.Type())
	}
	text := j.String()
	sm.mu.Lock()
	e, ok := sm.m[k]
	sm.mu.Unlock()
	if ok && e.j == text {
		return e.s, nil
	}
	var s core.Session
	err := json.Unmarshal([]byte(text), &s)
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
