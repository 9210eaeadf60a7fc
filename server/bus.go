package server

import (
	"context"
	"slices"
	"sync"

	"yunxin/internal/jx"
	"yunxin/proto"
)

// Push is one encoded frame addressed to the online connections of one
// account, wherever they are connected. It is plain data so a Bus can carry
// it between server nodes.
type Push struct {
	Account string        `json:"account"`
	Except  string        `json:"except,omitempty"` // client id that must not get it (the requesting connection)
	Only    string        `json:"only,omitempty"`   // when set, the one client id that gets it
	Frame   jx.RawMessage `json:"frame"`            // the encoded proto.Frame
	// Kick, when set, makes it a kick: the frame goes to the account's
	// connections of client type KickType (except Except), or to all of
	// them when KickAll is set, which are then closed.
	Kick     bool `json:"kick,omitempty"`
	KickType int  `json:"kickType,omitempty"`
	KickAll  bool `json:"kickAll,omitempty"`
}

// Bus carries pushes to the nodes that hold connections of their account.
// Delivery is best effort: correctness comes from the store, which clients
// sync from. LocalBus serves one process; a NATS bus can implement the same
// two methods for several nodes.
type Bus interface {
	// Publish hands p to every subscriber of p.Account. It must not block on
	// a slow subscriber.
	Publish(ctx context.Context, p Push) error
	// Subscribe calls deliver with every push published to account until
	// the returned func is called. deliver must not block.
	Subscribe(account string, deliver func(Push)) (unsubscribe func(), err error)
}

// Presence knows which clients of an account are online, across nodes.
// LocalPresence serves one process.
type Presence interface {
	// Online records that the client info.ID of account is connected.
	Online(ctx context.Context, account string, info proto.ClientInfo) error
	// Offline forgets the client clientID of account.
	Offline(ctx context.Context, account, clientID string) error
	// Clients lists the online clients of account, in the order they came
	// online.
	Clients(ctx context.Context, account string) ([]proto.ClientInfo, error)
}

// LocalBus is the in-process Bus: Publish calls the account's subscribers
// in the publishing goroutine.
type LocalBus struct {
	mu   sync.Mutex
	subs map[string][]*subscription // never mutated in place
}

type subscription struct{ deliver func(Push) }

// NewLocalBus returns an in-process Bus with no subscribers.
func NewLocalBus() *LocalBus { return &LocalBus{subs: map[string][]*subscription{}} }

// Publish implements Bus.
func (b *LocalBus) Publish(ctx context.Context, p Push) error {
	b.mu.Lock()
	subs := b.subs[p.Account]
	b.mu.Unlock()
	for _, s := range subs {
		s.deliver(p)
	}
	return nil
}

// Subscribe implements Bus.
func (b *LocalBus) Subscribe(account string, deliver func(Push)) (func(), error) {
	s := &subscription{deliver: deliver}
	b.mu.Lock()
	b.subs[account] = append(slices.Clip(b.subs[account]), s)
	b.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			b.mu.Lock()
			defer b.mu.Unlock()
			list := slices.DeleteFunc(slices.Clone(b.subs[account]), func(x *subscription) bool { return x == s })
			if len(list) == 0 {
				delete(b.subs, account)
			} else {
				b.subs[account] = list
			}
		})
	}, nil
}

// LocalPresence is the in-process Presence.
type LocalPresence struct {
	mu  sync.Mutex
	acc map[string][]proto.ClientInfo // never mutated in place
}

// NewLocalPresence returns an empty in-process Presence.
func NewLocalPresence() *LocalPresence {
	return &LocalPresence{acc: map[string][]proto.ClientInfo{}}
}

// Online implements Presence.
func (p *LocalPresence) Online(ctx context.Context, account string, info proto.ClientInfo) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.acc[account] = append(slices.Clip(p.acc[account]), info)
	return nil
}

// Offline implements Presence.
func (p *LocalPresence) Offline(ctx context.Context, account, clientID string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	list := slices.DeleteFunc(slices.Clone(p.acc[account]), func(x proto.ClientInfo) bool { return x.ID == clientID })
	if len(list) == 0 {
		delete(p.acc, account)
	} else {
		p.acc[account] = list
	}
	return nil
}

// Clients implements Presence.
func (p *LocalPresence) Clients(ctx context.Context, account string) ([]proto.ClientInfo, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.acc[account]), nil
}
