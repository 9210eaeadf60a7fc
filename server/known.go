package server

import "sync"

// maxKnown bounds knownAccounts (about 100 bytes each): when full it is
// emptied and fills again from the store.
const maxKnown = 100_000

// knownAccounts remembers accounts that exist, so that a P2P send does not
// read the users table for each message (it was 14% of the server's CPU
// time under load). Accounts are never deleted (a blocked one keeps its
// row), so a remembered account stays true; one not found is not
// remembered (it may be created next). The zero value is ready.
type knownAccounts struct {
	mu sync.RWMutex
	m  map[string]struct{}
}

// has reports whether account is known to exist.
func (k *knownAccounts) has(account string) bool {
	k.mu.RLock()
	_, ok := k.m[account]
	k.mu.RUnlock()
	return ok
}

// add remembers that account exists.
func (k *knownAccounts) add(account string) {
	k.mu.Lock()
	if k.m == nil || len(k.m) >= maxKnown {
		k.m = make(map[string]struct{})
	}
	k.m[account] = struct{}{}
	k.mu.Unlock()
}
