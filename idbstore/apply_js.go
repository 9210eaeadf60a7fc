//go:build js && wasm

package idbstore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"syscall/js"
	"unicode/utf16"

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

// domainRec is a records-store record: its key [kind, key] and its Data as
// the JSON text j.
type domainRec struct {
	Kind string `json:"kind"`
	Key  string `json:"key"`
	J    string `json:"j"`
}

// wireWrites are the writes that need no read: messages and domain records.
type wireWrites struct {
	Msgs    []any       `json:"m"`
	Records []domainRec `json:"r"`
}

// wireMerged are the writes made after reading: sessions and meta merged
// with the stored ones.
type wireMerged struct {
	Sessions []keyRec `json:"s"`
	Meta     *keyRec  `json:"meta,omitempty"`
}

func parseJSON(v any) (js.Value, error) {
	doc, err := json.Marshal(v)
	if err != nil {
		return js.Value{}, err
	}
	return jsJSON.Call("parse", string(doc)), nil
}

func encodeWrites(b *core.Batch) (js.Value, error) {
	w := wireWrites{Msgs: make([]any, len(b.Messages)), Records: make([]domainRec, len(b.Records))}
	for i := range b.Messages {
		m := &b.Messages[i]
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
	for i, r := range b.Records {
		w.Records[i] = domainRec{Kind: r.Kind, Key: r.Key, J: string(r.Data)}
	}
	return parseJSON(&w)
}

// Apply implements core.Cache: one readwrite transaction. It issues the
// message and record writes and the reads of the session and meta records
// the batch puts, all without waiting; when the last read is done (the
// transaction still active) it merges those records with
// core.MergeSession / core.MergeMeta and issues their puts, then the
// session deletes; one wait for the transaction's completion.
func (c *cache) Apply(ctx context.Context, b *core.Batch) (err error) {
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
	if len(b.Messages) > 0 || len(b.DeleteMessages) > 0 {
		names = append(names, storeMessages)
	}
	if len(b.Sessions) > 0 || len(b.DeleteSessions) > 0 {
		names = append(names, storeSessions)
	}
	if len(b.Records) > 0 || len(b.DeleteRecords) > 0 {
		names = append(names, storeRecords)
	}
	if b.Meta != nil {
		names = append(names, storeMeta)
	}
	tx, err := c.transaction("readwrite", names...)
	if err != nil {
		return err
	}
	// A failure (or a JS exception) half way aborts the transaction: all of
	// the batch or nothing.
	if err := func() (err error) {
		defer guard(&err, "write")
		return c.apply(ctx, tx, b, doc)
	}(); err != nil {
		abortTx(tx)
		return err
	}
	if err := awaitTx(ctx, tx); err != nil {
		return err
	}
	return nil
}

// apply issues the batch's requests on tx.
func (c *cache) apply(ctx context.Context, tx js.Value, b *core.Batch, doc js.Value) error {
	c.written.forget(b.DeleteSessions)
	if len(b.Messages) > 0 || len(b.DeleteMessages) > 0 {
		st := tx.Call("objectStore", storeMessages)
		putAll(st, doc.Get("m"), len(b.Messages))
		for _, id := range b.DeleteMessages {
			st.Call("delete", id)
		}
	}
	if len(b.Records) > 0 || len(b.DeleteRecords) > 0 {
		st := tx.Call("objectStore", storeRecords)
		putAll(st, doc.Get("r"), len(b.Records))
		for _, k := range b.DeleteRecords {
			st.Call("delete", js.ValueOf([]any{k.Kind, k.Key}))
		}
	}
	if len(b.Sessions) == 0 && b.Meta == nil {
		if len(b.DeleteSessions) > 0 {
			deleteKeys(tx.Call("objectStore", storeSessions), b.DeleteSessions)
		}
		return nil
	}

	// Read what the batch merges into, all requests at once: one get per
	// session, or for many, one getAll of the key range they span.
	var sessions js.Value
	var keys []string // the distinct session keys, in the batch's order
	var gets []js.Value
	var rangeReq, last js.Value
	if len(b.Sessions) > 0 {
		sessions = tx.Call("objectStore", storeSessions)
		seen := make(map[string]bool, len(b.Sessions))
		for i := range b.Sessions {
			if k := b.Sessions[i].Key; !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
		if len(keys) >= rangeReadMin {
			lo, hi := keyBounds(keys)
			rangeReq = sessions.Call("getAll", jsIDBKeyRange.Call("bound", lo, hi))
			last = rangeReq
		} else {
			for _, k := range keys {
				last = sessions.Call("get", k)
				gets = append(gets, last)
			}
		}
	}
	var meta, metaGet js.Value
	if b.Meta != nil {
		meta = tx.Call("objectStore", storeMeta)
		metaGet = meta.Call("get", metaKey)
		last = metaGet
	}
	// Requests of a transaction complete in order: once the last read is
	// done, all are. Go resumes here while its success event is being
	// dispatched, so the transaction is still active for the puts.
	if _, err := awaitReq(ctx, last); err != nil {
		return err
	}
	var w wireMerged
	if len(b.Sessions) > 0 {
		merged := make(map[string]core.Session, len(keys))
		stored := make(map[string]bool, len(keys))
		load := func(k string, v js.Value) error {
			s, err := c.written.decode(k, v)
			if err != nil {
				return fmt.Errorf("stored session %q: %w", k, err)
			}
			merged[k], stored[k] = s, true
			return nil
		}
		if rangeReq.Truthy() {
			inBatch := make(map[string]bool, len(keys))
			for _, k := range keys {
				inBatch[k] = true
			}
			arr := rangeReq.Get("result")
			for i, n := 0, arr.Length(); i < n; i++ {
				v := arr.Index(i)
				if k := v.Get("k").String(); inBatch[k] {
					if err := load(k, v); err != nil {
						return err
					}
				}
			}
		} else {
			for i, k := range keys {
				if v := gets[i].Get("result"); v.Truthy() {
					if err := load(k, v); err != nil {
						return err
					}
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
	}
	if b.Meta != nil {
		m := *b.Meta
		if v := metaGet.Get("result"); v.Truthy() {
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
	}
	merged, err := parseJSON(&w)
	if err != nil {
		return err
	}
	if len(w.Sessions) > 0 {
		putAll(sessions, merged.Get("s"), len(w.Sessions))
	}
	if len(b.DeleteSessions) > 0 {
		deleteKeys(tx.Call("objectStore", storeSessions), b.DeleteSessions)
	}
	if w.Meta != nil {
		meta.Call("put", merged.Get("meta"))
	}
	return nil
}

// putAll issues, without waiting, the puts of the first n records of the
// JS array recs on the object store st.
func putAll(st, recs js.Value, n int) {
	for i := 0; i < n; i++ {
		st.Call("put", recs.Index(i))
	}
}

// deleteKeys issues, without waiting, the deletes of keys on st.
func deleteKeys(st js.Value, keys []string) {
	for _, k := range keys {
		st.Call("delete", k)
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
// ones with one getAll over the range of their keys instead of one get each
// (measured: 1,000 gets cost more than a getAll of 1,000 records).
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
