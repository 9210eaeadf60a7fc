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
// Close does not end a MemCache: tests keep one per account across logins,
// like a browser profile keeps its IndexedDB.
type MemCache struct {
	mu       sync.Mutex
	meta     Meta
	sessions map[string]Session
	msgs     map[string]Message
	records  map[RecordKey]Record
}

// NewMemCache returns an empty MemCache.
func NewMemCache() *MemCache {
	return &MemCache{sessions: map[string]Session{}, msgs: map[string]Message{}, records: map[RecordKey]Record{}}
}

// Load implements Cache.
func (c *MemCache) Load(ctx context.Context) (*Snapshot, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := &Snapshot{Meta: c.meta}
	for _, v := range c.sessions {
		s.Sessions = append(s.Sessions, v)
	}
	sort.Slice(s.Sessions, func(i, j int) bool { return s.Sessions[i].Key < s.Sessions[j].Key })
	for _, r := range c.records {
		s.Records = append(s.Records, r)
	}
	sort.Slice(s.Records, func(i, j int) bool {
		a, b := s.Records[i], s.Records[j]
		return a.Kind < b.Kind || a.Kind == b.Kind && a.Key < b.Key
	})
	return s, nil
}

// Apply implements Cache. Sessions and meta are merged into the stored
// ones (MergeSession, MergeMeta), as the IndexedDB cache does.
func (c *MemCache) Apply(ctx context.Context, b *Batch) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range b.Messages {
		c.msgs[m.ID] = m
	}
	for _, id := range b.DeleteMessages {
		delete(c.msgs, id)
	}
	for _, s := range b.Sessions {
		if old, ok := c.sessions[s.Key]; ok {
			s = MergeSession(old, s)
		}
		c.sessions[s.Key] = s
	}
	for _, k := range b.DeleteSessions {
		delete(c.sessions, k)
	}
	for _, r := range b.Records {
		c.records[RecordKey{r.Kind, r.Key}] = r
	}
	for _, k := range b.DeleteRecords {
		delete(c.records, k)
	}
	if b.Meta != nil {
		c.meta = MergeMeta(c.meta, *b.Meta)
	}
	return nil
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
	c.mu.Lock()
	defer c.mu.Unlock()
	var all []Message
	for _, m := range c.msgs {
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
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []Message
	for _, id := range ids {
		if m, ok := c.msgs[id]; ok {
			out = append(out, m)
		}
	}
	return out, nil
}

// Close implements Cache.
func (c *MemCache) Close() error { return nil }
