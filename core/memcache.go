package core

import (
	"context"
	"sort"
	"sync"
)

// MemCache is a Cache kept in memory. Native tests use it; it is also the
// reference for what the IndexedDB cache must do (idbstore's tests run the
// same conformance suite, CacheSuite, against both).
//
// A MemCache is one open handle on its data, as one connection is on an
// IndexedDB database: after Close every method fails with an error wrapping
// ErrCacheClosed, while Reopen gives another handle on the same data (so
// tests and the wasm's fallback keep one account's data across logins, as a
// browser profile keeps its IndexedDB).
type MemCache struct {
	d      *memData
	mu     sync.Mutex
	closed bool
}

// memData is what the handles of one MemCache share.
type memData struct {
	mu       sync.Mutex
	meta     Meta
	sessions map[string]Session
	msgs     map[string]Message
	records  map[RecordKey]Record // tombstones included
}

// errMemClosed is what a closed MemCache returns.
var errMemClosed = wrap("memory cache", ErrCacheClosed)

// NewMemCache returns an empty MemCache.
func NewMemCache() *MemCache {
	return &MemCache{d: &memData{sessions: map[string]Session{}, msgs: map[string]Message{}, records: map[RecordKey]Record{}}}
}

// Reopen returns a new open handle on c's data, whether c is closed or not.
func (c *MemCache) Reopen() *MemCache { return &MemCache{d: c.d} }

// lock locks the data, or fails when this handle is closed.
func (c *MemCache) lock() (*memData, error) {
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return nil, errMemClosed
	}
	c.d.mu.Lock()
	return c.d, nil
}

// Load implements Cache.
func (c *MemCache) Load(ctx context.Context) (*Snapshot, error) {
	d, err := c.lock()
	if err != nil {
		return nil, err
	}
	defer d.mu.Unlock()
	s := &Snapshot{Meta: d.meta}
	for _, v := range d.sessions {
		ConvertLegacy(&v)
		s.Sessions = append(s.Sessions, v)
	}
	sort.Slice(s.Sessions, func(i, j int) bool { return s.Sessions[i].Key < s.Sessions[j].Key })
	for _, r := range d.records {
		if !r.Deleted {
			s.Records = append(s.Records, r)
		}
	}
	sort.Slice(s.Records, func(i, j int) bool {
		a, b := s.Records[i], s.Records[j]
		return a.Kind < b.Kind || a.Kind == b.Kind && a.Key < b.Key
	})
	return s, nil
}

// Apply implements Cache: cleared messages go first (ClearAll,
// ClearSessions, deleted ones included), sessions and meta are merged into
// the stored ones (MergeSession, MergeMeta), AddMessages are inserted where
// Batch allows (after the merge), a record replaces the stored one unless
// that has a higher Ver, and b is filled with what was stored, as the
// IndexedDB cache does.
func (c *MemCache) Apply(ctx context.Context, b *Batch) error {
	d, err := c.lock()
	if err != nil {
		return err
	}
	defer d.mu.Unlock()
	if b.ClearAll {
		clear(d.msgs)
	}
	if len(b.ClearSessions) > 0 {
		gone := make(map[string]bool, len(b.ClearSessions))
		for _, k := range b.ClearSessions {
			gone[k] = true
		}
		for id, m := range d.msgs {
			if gone[m.SK] {
				delete(d.msgs, id)
			}
		}
	}
	for _, m := range b.Messages {
		d.msgs[m.ID] = m
	}
	for _, id := range b.DeleteMessages {
		delete(d.msgs, id)
	}
	for _, s := range b.Sessions {
		if old, ok := d.sessions[s.Key]; ok {
			s = MergeSession(old, s)
		}
		d.sessions[s.Key] = s
	}
	for i := range b.Sessions {
		b.Sessions[i] = d.sessions[b.Sessions[i].Key]
	}
	if len(b.AddMessages) > 0 {
		b.AddMessages = d.add(b)
	}
	for _, k := range b.DeleteSessions {
		delete(d.sessions, k)
	}
	for _, r := range b.Records {
		k := RecordKey{r.Kind, r.Key}
		if old, ok := d.records[k]; !ok || old.Ver <= r.Ver {
			if r.Deleted {
				r.Data = nil
			}
			d.records[k] = r
		}
	}
	for i, r := range b.Records {
		b.Records[i] = d.records[RecordKey{r.Kind, r.Key}]
	}
	if b.Meta != nil {
		d.meta = MergeMeta(d.meta, *b.Meta)
		m := d.meta
		b.Meta = &m
	}
	return nil
}

// add inserts the AddMessages of b that Batch allows (after b's message
// writes and session merge) and returns them.
func (d *memData) add(b *Batch) []Message {
	gone := make(map[string]bool, len(b.DeleteMessages))
	for _, id := range b.DeleteMessages {
		gone[id] = true
	}
	var added []Message
	for _, m := range b.AddMessages {
		if _, ok := d.msgs[m.ID]; ok || gone[m.ID] {
			continue
		}
		if s, ok := d.sessions[m.SK]; ok && !b.AddCleared && m.Time <= s.ClearedTo {
			continue
		}
		d.msgs[m.ID] = m
		added = append(added, m)
	}
	return added
}

// Less orders messages as the cache does: by (Time, ID).
func Less(a, b *Message) bool {
	if a.Time != b.Time {
		return a.Time < b.Time
	}
	return a.ID < b.ID
}

// Messages implements Cache.
func (c *MemCache) Messages(ctx context.Context, q Query) ([]Message, error) {
	d, err := c.lock()
	if err != nil {
		return nil, err
	}
	defer d.mu.Unlock()
	var all []Message
	for _, m := range d.msgs {
		if m.SK != q.SK || m.Deleted {
			continue
		}
		if q.Anchor != nil {
			if !q.Newer && !Less(&m, q.Anchor) || q.Newer && !Less(q.Anchor, &m) {
				continue
			}
		}
		all = append(all, m)
	}
	sort.Slice(all, func(i, j int) bool { return Less(&all[i], &all[j]) })
	if q.Limit > 0 && len(all) > q.Limit {
		if q.Newer {
			all = all[:q.Limit]
		} else {
			all = all[len(all)-q.Limit:]
		}
	}
	return all, nil
}

// MessagesByID implements Cache.
func (c *MemCache) MessagesByID(ctx context.Context, ids []string) ([]Message, error) {
	d, err := c.lock()
	if err != nil {
		return nil, err
	}
	defer d.mu.Unlock()
	var out []Message
	for _, id := range ids {
		if m, ok := d.msgs[id]; ok {
			out = append(out, m)
		}
	}
	return out, nil
}

// Close implements Cache: this handle fails from now on; the data stays
// for Reopen.
func (c *MemCache) Close() error {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	return nil
}
