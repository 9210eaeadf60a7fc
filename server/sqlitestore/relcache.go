package sqlitestore

import (
	"context"
	"fmt"
	"sync"
)

// relations caches InRelation's lists (every P2P send asks whether its
// receiver blocked the sender: a query per send was 8% of the server's CPU
// under load). It holds each (owner, list) read whole, as a set, and at
// most maxCachedAccounts entries in all, a list counting its accounts and
// one for itself (then it starts over): most lists are empty.
//
// It is correct because this Store is the only writer of the relations
// table (SetRelation; a SQLite database has one server process): every
// write moves gen and drops the list it changed once it ended, and a list
// read is kept only when gen did not move while it was read. A read that
// began before a write's commit therefore never outlives the write, and
// one that began after it sees it.
type relations struct {
	mu    sync.Mutex
	gen   uint64
	lists map[relationList]map[string]struct{}
	held  int
}

// relationList names one list of one owner.
type relationList struct{ owner, list string }

// get reports whether other is on the list, if the list is cached; gen is
// the generation to pass to put after reading the list.
func (c *relations) get(k relationList, other string) (on, ok bool, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	set, ok := c.lists[k]
	if !ok {
		return false, false, c.gen
	}
	_, on = set[other]
	return on, true, c.gen
}

// put caches the list read as set, unless a write happened since gen.
func (c *relations) put(k relationList, set map[string]struct{}, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if old, ok := c.lists[k]; ok {
		c.held -= len(old) + 1
	}
	if c.lists == nil || c.held+len(set)+1 > maxCachedAccounts {
		c.lists, c.held = map[relationList]map[string]struct{}{}, 0
	}
	c.lists[k] = set
	c.held += len(set) + 1
}

// changed is called once a write of owner's list ended (committed or
// not): the list cached or being read is stale.
func (c *relations) changed(k relationList) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if set, ok := c.lists[k]; ok {
		c.held -= len(set) + 1
		delete(c.lists, k)
	}
}

// readRelations reads owner's list whole.
func (s *Store) readRelations(ctx context.Context, k relationList) (map[string]struct{}, error) {
	rows, err := s.rq.relationList.QueryContext(ctx, k.owner, k.list)
	if err != nil {
		return nil, fmt.Errorf("%s list of %s: %w", k.list, k.owner, err)
	}
	defer rows.Close()
	set := map[string]struct{}{}
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			return nil, fmt.Errorf("%s list of %s: %w", k.list, k.owner, err)
		}
		set[a] = struct{}{}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s list of %s: %w", k.list, k.owner, err)
	}
	return set, nil
}
