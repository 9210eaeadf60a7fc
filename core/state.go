package core

import (
	"context"
	"encoding/json"
	"sort"

	"yunxin/proto"
)

// state is one account's synced state in memory, one field per domain. A
// domain is a type of its own with its appliers in its own files (sessions:
// sessionstate.go); a later domain (friends, teams, notifications) adds its
// field here, its loading in newState and its change kinds to the registry.
type state struct {
	meta     Meta
	sessions sessionState
	records  map[RecordKey]Record // domain records (Cache Records) by kind and key
}

// newState builds the state from what the cache holds.
func newState(snap *Snapshot) state {
	st := state{meta: snap.Meta, sessions: newSessionState(snap.Sessions), records: make(map[RecordKey]Record, len(snap.Records))}
	for _, r := range snap.Records {
		st.records[RecordKey{r.Kind, r.Key}] = r
	}
	return st
}

// changeApplier applies one change-log entry (from a sync page or a push) to
// the state staged in t. It must be idempotent: a change may arrive twice (a
// push, then the sync that pages over it). An error means the change is
// malformed; it is logged and skipped.
type changeApplier func(t *tx, ch proto.Change) error

// changeAppliers is the registry of change kinds: each domain registers the
// kinds it owns from its own file (func init). A kind nobody registered is
// logged and skipped.
var changeAppliers = map[string]changeApplier{}

// registerChange makes f the applier of change kind.
func registerChange(kind string, f changeApplier) {
	if _, dup := changeAppliers[kind]; dup {
		panic("core: change kind " + kind + " registered twice")
	}
	changeAppliers[kind] = f
}

// tx is one change of a run's state. Its methods stage copies of the records
// they change (never touching what is installed); commit writes the copies
// to the cache in one Batch and, only when that succeeded, installs them in
// memory and emits the events. A tx holds c.writeMu from openTx until commit
// or abort, so changes are made and written one at a time, in order.
type tx struct {
	c *Client
	r *run

	// syncing is set while a sync page is applied: read marks and unread
	// counts are settled after its messages are pulled (see sync.go).
	syncing bool

	meta     *Meta               // staged meta; nil while unchanged
	sessions map[string]*Session // staged sessions by key
	convKeys map[string]string   // conversation id → session key, for staged sessions
	kinds    map[string]string   // session key → session event to emit ("" none)
	msgs     []Message
	records  map[RecordKey]*Record // staged records; nil value: delete
	events   []Event               // emitted after commit, before the session events

	convs []proto.Conv   // conversations met (a sync page pulls their messages)
	gaps  []proto.Cursor // conversations left with a gap by live messages
	done  bool
}

// openTx starts a change of run r's state, or fails with 415 when r is no
// longer the current run (logged out, or replaced by a newer login). The
// caller defers t.abort() at once (a no-op after commit), so that not even
// a panic leaves the write lock held.
func (c *Client) openTx(r *run) (*tx, error) {
	c.writeMu.Lock()
	c.mu.Lock()
	cur := c.active
	c.mu.Unlock()
	if cur != r || r == nil {
		c.writeMu.Unlock()
		return nil, errLoggedOut
	}
	return &tx{c: c, r: r, sessions: map[string]*Session{}, convKeys: map[string]string{}, kinds: map[string]string{}}, nil
}

// change runs fn in a tx of run r and commits it.
func (c *Client) change(r *run, fn func(t *tx)) error {
	t, err := c.openTx(r)
	if err != nil {
		return err
	}
	defer t.abort()
	fn(t)
	return t.commit(r.ctx)
}

// abort ends t without writing anything.
func (t *tx) abort() {
	if !t.done {
		t.done = true
		t.c.writeMu.Unlock()
	}
}

// getMeta returns a copy of the meta as staged.
func (t *tx) getMeta() Meta {
	if t.meta != nil {
		return *t.meta
	}
	return t.r.st.meta
}

// setMeta stages m as the new meta.
func (t *tx) setMeta(m Meta) { t.meta = &m }

// applyChange applies one change-log entry through the registry; unknown
// kinds and malformed changes are logged and skipped.
func (t *tx) applyChange(ch proto.Change) {
	f := changeAppliers[ch.Kind]
	if f == nil {
		t.c.logf("skipping change " + itoa64(ch.Ver) + " of unknown kind " + ch.Kind)
		return
	}
	if err := f(t, ch); err != nil {
		t.c.logf("skipping change " + itoa64(ch.Ver) + " (" + ch.Kind + " " + ch.Key + "): " + err.Error())
	}
}

// putRecord stages a domain record.
func (t *tx) putRecord(rec Record) {
	if t.records == nil {
		t.records = map[RecordKey]*Record{}
	}
	t.records[RecordKey{rec.Kind, rec.Key}] = &rec
}

// deleteRecord stages the deletion of a domain record.
func (t *tx) deleteRecord(k RecordKey) {
	if t.records == nil {
		t.records = map[RecordKey]*Record{}
	}
	t.records[k] = nil
}

// record returns a domain record as staged.
func (t *tx) record(k RecordKey) (Record, bool) {
	if r, ok := t.records[k]; ok {
		if r == nil {
			return Record{}, false
		}
		return *r, true
	}
	r, ok := t.r.st.records[k]
	return r, ok
}

// commit writes what t staged to the cache in one transaction and, when
// that succeeded, installs it in memory and emits the events (message and
// receipt events first, then session events). A failed write changes
// nothing in memory and is returned. Gaps left by live messages are pulled
// afterwards.
func (t *tx) commit(ctx context.Context) error {
	if t.done {
		return nil
	}
	c, r := t.c, t.r
	b := Batch{Messages: t.msgs, Meta: t.meta}
	keys := make([]string, 0, len(t.sessions))
	for k := range t.sessions {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := t.sessions[keys[i]], t.sessions[keys[j]]
		return a.UpdateTime < b.UpdateTime || a.UpdateTime == b.UpdateTime && a.Key < b.Key
	})
	for _, k := range keys {
		b.Sessions = append(b.Sessions, *t.sessions[k])
	}
	for k, rec := range t.records {
		if rec == nil {
			b.DeleteRecords = append(b.DeleteRecords, k)
		} else {
			b.Records = append(b.Records, *rec)
		}
	}
	if !b.Empty() {
		if err := r.cache.Apply(ctx, &b); err != nil {
			t.abort()
			return wrap("cannot write the local cache", err)
		}
	}
	c.mu.Lock()
	if t.meta != nil {
		r.st.meta = *t.meta
	}
	for _, k := range keys {
		r.st.sessions.install(t.sessions[k])
	}
	for k, rec := range t.records {
		if rec == nil {
			delete(r.st.records, k)
		} else {
			r.st.records[k] = *rec
		}
	}
	events := t.events
	if len(t.kinds) > 0 {
		total := r.st.sessions.totalUnread()
		for _, k := range keys {
			if kind := t.kinds[k]; kind != "" {
				if e, ok := sessionEvent(kind, r.st.sessions.byKey[k], total); ok {
					events = append(events, e)
				}
			}
		}
	}
	c.mu.Unlock()
	t.done = true
	c.writeMu.Unlock()
	c.emitAll(events)
	if len(t.gaps) > 0 {
		go c.fillGaps(r, t.gaps)
	}
	return nil
}

// itoa64 formats n in decimal.
func itoa64(n int64) string { return itoa(int(n)) }

// decode unmarshals a change's data into v, naming the kind on failure.
func decode(ch proto.Change, v any) error {
	if err := json.Unmarshal(ch.Data, v); err != nil {
		return wrap("bad "+ch.Kind+" data", err)
	}
	return nil
}
