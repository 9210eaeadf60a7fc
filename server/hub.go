package server

import (
	"slices"
	"sync"

	"yunxin/proto"
)

// Endpoint is one logged-in connection as the Hub sees it.
type Endpoint interface {
	Account() string
	Info() proto.ClientInfo
	// Deliver queues an encoded frame without blocking; a connection that
	// cannot keep up is closed (the client resyncs when it reconnects).
	Deliver(frame []byte)
	// Kick queues frame and closes the connection once it is written.
	Kick(frame []byte)
}

// Hub knows the online connections of every account and delivers pushes to
// them. Delivery is best effort: correctness comes from the store, which
// clients sync from. The in-process LocalHub serves one server; a NATS hub
// can implement the same methods for several.
type Hub interface {
	Join(e Endpoint)
	Leave(e Endpoint)
	// Clients lists the online clients of account.
	Clients(account string) []proto.ClientInfo
	// Push delivers frame to every connection of account except the one
	// whose client id is except ("" for none).
	Push(account, except string, frame []byte)
	// PushTo delivers frame to the one connection of account with clientID.
	PushTo(account, clientID string, frame []byte)
	// Kick sends frame to, then closes, every connection of account with
	// clientType except the one with client id except, and returns how many.
	Kick(account, except string, clientType int, frame []byte) int
}

// LocalHub is the in-process Hub.
type LocalHub struct {
	mu  sync.Mutex
	acc map[string][]Endpoint
}

// NewLocalHub returns an empty in-process Hub.
func NewLocalHub() *LocalHub { return &LocalHub{acc: map[string][]Endpoint{}} }

// Join implements Hub.
func (h *LocalHub) Join(e Endpoint) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.acc[e.Account()] = append(h.acc[e.Account()], e)
}

// Leave implements Hub.
func (h *LocalHub) Leave(e Endpoint) {
	h.mu.Lock()
	defer h.mu.Unlock()
	list := slices.DeleteFunc(slices.Clone(h.acc[e.Account()]), func(x Endpoint) bool { return x == e })
	if len(list) == 0 {
		delete(h.acc, e.Account())
	} else {
		h.acc[e.Account()] = list
	}
}

func (h *LocalHub) endpoints(account string) []Endpoint {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.acc[account] // never mutated in place
}

// Clients implements Hub.
func (h *LocalHub) Clients(account string) []proto.ClientInfo {
	var out []proto.ClientInfo
	for _, e := range h.endpoints(account) {
		out = append(out, e.Info())
	}
	return out
}

// Push implements Hub.
func (h *LocalHub) Push(account, except string, frame []byte) {
	for _, e := range h.endpoints(account) {
		if except == "" || e.Info().ID != except {
			e.Deliver(frame)
		}
	}
}

// PushTo implements Hub.
func (h *LocalHub) PushTo(account, clientID string, frame []byte) {
	for _, e := range h.endpoints(account) {
		if e.Info().ID == clientID {
			e.Deliver(frame)
		}
	}
}

// Kick implements Hub.
func (h *LocalHub) Kick(account, except string, clientType int, frame []byte) int {
	n := 0
	for _, e := range h.endpoints(account) {
		if info := e.Info(); info.ID != except && info.ClientType == clientType {
			e.Kick(frame)
			n++
		}
	}
	return n
}
