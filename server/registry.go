package server

import (
	"fmt"
	"slices"
	"sync"
)

// registry holds this node's logged-in connections by account. It subscribes
// to the Bus for each account with a connection here and delivers the pushes
// the Bus hands it to the right connections.
type registry struct {
	bus Bus
	mu  sync.Mutex
	acc map[string]*localAccount
}

// localAccount is one account's connections on this node.
type localAccount struct {
	conns []*conn // never mutated in place
	unsub func()
}

func newRegistry(bus Bus) *registry {
	return &registry{bus: bus, acc: map[string]*localAccount{}}
}

// join adds a logged-in connection, subscribing to its account's pushes
// when it is the account's first connection on this node.
func (r *registry) join(c *conn) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	la := r.acc[c.account]
	if la == nil {
		unsub, err := r.bus.Subscribe(c.account, r.deliver)
		if err != nil {
			return fmt.Errorf("subscribe to pushes of %s: %w", c.account, err)
		}
		la = &localAccount{unsub: unsub}
		r.acc[c.account] = la
	}
	la.conns = append(slices.Clip(la.conns), c)
	return nil
}

// leave removes a connection; the account's subscription ends with its last
// connection here.
func (r *registry) leave(c *conn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	la := r.acc[c.account]
	if la == nil {
		return
	}
	la.conns = slices.DeleteFunc(slices.Clone(la.conns), func(x *conn) bool { return x == c })
	if len(la.conns) == 0 {
		la.unsub()
		delete(r.acc, c.account)
	}
}

// deliver queues p on the matching connections of p.Account on this node.
// It never blocks: a connection whose queue is full is closed.
func (r *registry) deliver(p Push) {
	r.mu.Lock()
	var conns []*conn
	if la := r.acc[p.Account]; la != nil {
		conns = la.conns
	}
	r.mu.Unlock()
	for _, c := range conns {
		id := c.info.ID
		if id == p.Except || p.Only != "" && id != p.Only {
			continue
		}
		if !p.Kick {
			c.push(p.Frame)
		} else if p.KickAll || c.info.ClientType == p.KickType {
			c.kick(p.Frame)
		}
	}
}

// count returns the number of account's logged-in connections on this node.
func (r *registry) count(account string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if la := r.acc[account]; la != nil {
		return len(la.conns)
	}
	return 0
}
