package core

import (
	"context"
	"sort"

	"yunxin/internal/jx"
	"yunxin/proto"
)

// state is one account's synced state in memory, one field per domain. A
// domain is a type of its own with its appliers in its own files (sessions:
// sessionstate.go); a later domain (friends, teams, notifications) adds its
// field here, its loading in newState and its change kinds to the registry.
type state struct {
	meta     Meta
	sessions sessionState
	records  map[RecordKey]Record // live domain records (Cache Records) by kind and key
	inbox    inbox                // index of the system notifications in records (inbox.go)
}

// newState builds the state from what the cache holds. The per-id
// "custom" records of the first version (one per custom notification
// seen; now one record, Key "", holds the highest id seen) are ignored:
// they stay in the cache, unread.
func newState(snap *Snapshot) state {
	st := state{meta: snap.Meta, sessions: newSessionState(snap.Sessions), records: make(map[RecordKey]Record, len(snap.Records))}
	for _, r := range snap.Records {
		if r.Kind == proto.ChangeCustom && r.Key != customSeenKey.Key {
			continue
		}
		st.records[RecordKey{r.Kind, r.Key}] = r
	}
	st.inbox = newInbox(st.records)
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
	// announced holds the staged announced cursors by session key (this
	// tab's memory only; see sessionState).
	announced map[string]seqCursor
	receipts  map[string]int64     // staged announced receipt marks by session key (sessionState.receipts)
	kinds     map[string]string    // session key → session event to emit ("" none)
	msgs      []Message            // the SDK's own message writes (Batch.Messages)
	addMsgs   []Message            // messages from the server (Batch.AddMessages)
	addClear  bool                 // Batch.AddCleared (persistClear)
	delMsgs   []string             // message ids to delete from the cache (revokes)
	clearSKs  []string             // sessions whose cached messages are all deleted (Batch.ClearSessions)
	clearAll  bool                 // every cached message is deleted (Batch.ClearAll)
	records   map[RecordKey]Record // staged records and tombstones (Deleted)
	notes     *inboxTx             // the inbox as staged (inbox.go); nil until a record of it is staged
	// events are emitted after commit, before the session events; one
	// tied to a record (Event.rec) only when the cache kept the staged
	// record (see commit).
	events []Event
	ver    int64 // ver of the change being applied (applyChange), 0 outside
	// msgWrite is run.msgWrites as this tx's commit counted it (0 when it
	// wrote no message record).
	msgWrite uint64

	convs   []proto.Conv   // conversations met (a sync page pulls their messages)
	gapKeys []string       // sessions to check for a hole after the commit (gapPull)
	gaps    []proto.Cursor // their gap pulls, found by commit
	after   []func()       // run once committed, outside the locks (e.g. removing kept files)
	// sessionsLater: commit installs and announces the staged sessions
	// without writing them; the caller's next commit writes them (a send:
	// its "sending" write is then one put, no read, and the write of its
	// outcome stores the session, see attempt).
	sessionsLater bool
	done          bool
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

// removes reports whether b takes data out of the cache (a delete: it may
// have freed space).
func removes(b *Batch) bool {
	if b.ClearAll || len(b.ClearSessions) > 0 || len(b.DeleteMessages) > 0 || len(b.DeleteSessions) > 0 {
		return true
	}
	for i := range b.Messages {
		if b.Messages[i].Deleted {
			return true
		}
	}
	return false
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
// kinds and malformed changes are logged and skipped. While the applier
// runs, records it stages carry the change's ver.
func (t *tx) applyChange(ch proto.Change) {
	f := changeAppliers[ch.Kind]
	if f == nil {
		t.c.logf("skipping change " + itoa64(ch.Ver) + " of unknown kind " + ch.Kind)
		return
	}
	t.ver = ch.Ver
	defer func() { t.ver = 0 }()
	if err := f(t, ch); err != nil {
		t.c.logf("skipping change " + itoa64(ch.Ver) + " (" + ch.Kind + " " + ch.Key + "): " + err.Error())
	}
}

// putRecord stages a domain record. A record without a Ver gets the ver of
// the change being applied. The cache keeps its stored record instead when
// that one is newer (a higher Ver); commit installs whichever it kept.
func (t *tx) putRecord(rec Record) {
	if rec.Ver == 0 {
		rec.Ver = t.ver
	}
	rec.Deleted = false
	t.stageRecord(rec)
}

// deleteRecord stages the deletion of a domain record: a tombstone with the
// ver of the change being applied.
func (t *tx) deleteRecord(k RecordKey) {
	t.stageRecord(Record{Kind: k.Kind, Key: k.Key, Ver: t.ver, Deleted: true})
}

func (t *tx) stageRecord(rec Record) {
	if t.records == nil {
		t.records = map[RecordKey]Record{}
	}
	t.records[RecordKey{rec.Kind, rec.Key}] = rec
	t.stagedInbox(rec)
}

// record returns a live domain record as staged.
func (t *tx) record(k RecordKey) (Record, bool) {
	if r, ok := t.records[k]; ok {
		return r, !r.Deleted
	}
	r, ok := t.r.st.records[k]
	return r, ok
}

// commit writes what t staged to the cache in one transaction and, when
// that succeeded, installs in memory what the cache stored (Apply fills the
// batch with the merged sessions and meta and the records it kept, which
// another tab's writes may have made differ from the staged copies; of the
// meta, the sync cursors stay this run's) and emits the events (message,
// receipt and people events first, then the notifications' unread count,
// then session events), unless the run was stopped meanwhile. An event
// tied to a record (Event.rec) goes out only when the cache kept the
// record staged; for a record it kept another one of (another tab's newer
// change) the page hears what changed between the record installed before
// and the one installed now, if anything (settledEvent). A failed write
// changes nothing in memory and is returned. Gaps left by live messages
// are pulled afterwards.
func (t *tx) commit(ctx context.Context) error {
	if t.done {
		return nil
	}
	c, r := t.c, t.r
	b := Batch{Messages: t.msgs, AddMessages: t.addMsgs, AddCleared: t.addClear, Meta: t.meta, DeleteMessages: t.delMsgs,
		ClearSessions: t.clearSKs, ClearAll: t.clearAll}
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
	staged := b.Sessions
	if t.sessionsLater {
		b.Sessions = nil // installed as staged, not written
	}
	for _, rec := range t.records {
		b.Records = append(b.Records, rec)
	}
	if !b.Empty() {
		if err := r.cache.Apply(ctx, &b); err != nil {
			t.abort()
			return wrap("cannot write the local cache", err)
		}
		if removes(&b) {
			r.spaceFreed() // a sync waiting for space tries again
		}
		if len(b.Messages) > 0 || len(b.AddMessages) > 0 || len(b.DeleteMessages) > 0 || len(b.ClearSessions) > 0 || b.ClearAll || b.AddCleared {
			t.msgWrite = r.msgWrites.Add(1)
		}
	}
	if t.sessionsLater {
		b.Sessions = staged
	}
	c.mu.Lock()
	if b.Meta != nil {
		// The merged meta, but this run's own cursors: they say which
		// changes this tab's memory has applied. The cache's may be ahead,
		// moved by another tab's sync whose changes this memory has not
		// seen; adopting them would skip those changes here until a reload.
		m := *b.Meta
		m.Ver, m.ConvVer = t.meta.Ver, t.meta.ConvVer
		r.st.meta = m
	}
	events := t.events
	var kinds []string // session event per key of keys, as installed
	for i, k := range keys {
		s := b.Sessions[i]
		kinds = append(kinds, settledEvent(t.kinds[k], r.st.sessions.byKey[k], &s))
		r.st.sessions.install(&s)
	}
	for k, a := range t.announced {
		cur := r.st.sessions.announced[k]
		cur.union(a)
		r.st.sessions.announced[k] = cur
	}
	for k, m := range t.receipts {
		r.st.sessions.receipts[k] = max(r.st.sessions.receipts[k], m)
	}
	unreadBefore, removed, marks := r.st.inbox.unread, false, false
	var moved []movedRecord
	for _, rec := range b.Records {
		k := RecordKey{rec.Kind, rec.Key}
		staged := t.records[k]
		switch {
		case k.Kind == proto.ChangeCustom:
			rec = staged // this tab's own mark of what it reported (notes.go)
		case k.Kind == recMemberCursor && rec.Ver > staged.Ver:
			// Another tab's refresh got further: its rows are in the cache
			// but not in this tab's memory. Keep this tab's own cursor, so
			// its next refresh fetches what it lacks (teamstate.go).
			rec = staged
		case rec.Ver != staged.Ver || rec.Deleted != staged.Deleted:
			m := movedRecord{k: k, now: rec}
			if p, ok := r.st.records[k]; ok {
				m.prev = &p
			}
			moved = append(moved, m)
		}
		if rec.Deleted {
			delete(r.st.records, k)
		} else {
			r.st.records[k] = rec
		}
		switch k.Kind {
		case proto.ChangeNote:
			if id := noteID(k.Key); id > 0 && r.st.inbox.set(id, !rec.Deleted) && rec.Deleted {
				removed = true
			}
		case proto.ChangeNotesMark:
			marks = true
		}
	}
	if marks {
		r.st.inbox.setMark(effectiveMark(r.st.lookup))
	}
	if len(moved) > 0 {
		events = r.st.settle(events, moved)
	}
	if r.st.inbox.unread != unreadBefore || removed || staleCount(events, r.st.inbox.unread) {
		events = append(events, countEvent(r.st.inbox.unread))
	}
	for _, k := range t.gapKeys {
		if cur, ok := r.st.sessions.gapCursor(k); ok {
			t.gaps = append(t.gaps, cur)
		}
	}
	total := r.st.sessions.totalUnread()
	for i, k := range keys {
		if kinds[i] != "" {
			if e, ok := sessionEvent(kinds[i], r.st.sessions.byKey[k], total); ok {
				events = append(events, e)
			}
		}
	}
	c.mu.Unlock()
	t.done = true
	c.writeMu.Unlock()
	for _, f := range t.after {
		f()
	}
	c.mu.Lock()
	current := c.active == r
	c.mu.Unlock()
	if !current {
		return nil // stopped meanwhile: its events would reach a page logged out or logged in again
	}
	c.emitAll(events)
	if len(t.gaps) > 0 {
		go c.fillGaps(r, t.gaps)
	}
	return nil
}

// settledEvent is the session event to emit for a session whose staged
// event was staged and that the cache stored as merged, when prev was
// installed before: the staged event, unless the merge (another tab's
// writes) changed whether the session is on the recent list. Then the page
// hears that change: a remove when it was shown and is hidden now, an add
// when it was hidden and is shown now (a staged remove that another tab's
// newer activity overrode is an update: the session never left the list).
func settledEvent(staged string, prev, merged *Session) string {
	if prev == nil {
		return staged // new: as staged (sessionEvent drops it when hidden)
	}
	wasShown, isShown := !prev.Hidden(), !merged.Hidden()
	switch {
	case wasShown && !isShown:
		return evRemoveSession
	case !wasShown && isShown:
		return evAddSession
	case isShown && staged == evRemoveSession:
		return evUpdateSession
	}
	return staged
}

// itoa64 formats n in decimal.
func itoa64(n int64) string { return itoa(int(n)) }

// decode unmarshals a change's data into v, naming the kind on failure.
func decode(ch proto.Change, v jx.Value) error {
	if err := jx.Unmarshal(ch.Data, v); err != nil {
		return wrap("bad "+ch.Kind+" data", err)
	}
	return nil
}
