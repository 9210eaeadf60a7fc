//go:build js && wasm

package main

import (
	"context"
	"errors"
	"sync"

	"github.com/hack-pad/safejs"

	"yunxin/core"
	"yunxin/idbstore"
)

// openCache opens the account's cache in IndexedDB. Where IndexedDB cannot
// be opened (no indexedDB global, a browser's private mode refusing it, a
// site whose storage is full) the SDK still works, with a cache in memory:
// one MemCache per app and account for the page's lifetime, lost on reload
// (each open is a new handle on it, MemCache.Reopen, as the run closes what
// it opened). A database that another tab keeps open at an older version
// (idbstore.ErrBlocked) is not such a case: that tab and this one would
// diverge, so the login fails with the error, which says what to do (close
// or reload the other tabs).
func openCache(ctx context.Context, appKey, account string) (c core.Cache, err error) {
	defer func() {
		if v := recover(); v != nil {
			c, err = nil, core.Errf(500, "IndexedDB panicked")
		}
		if err != nil && !errors.Is(err, idbstore.ErrBlocked) && ctx.Err() == nil {
			warn("yunxinIM: IndexedDB cache unavailable (" + err.Error() + "); caching in memory")
			c, err = memCache(appKey, account).Reopen(), nil
		}
	}()
	return idbstore.Open(ctx, appKey, account)
}

var (
	memMu     sync.Mutex
	memCaches = map[string]*core.MemCache{}
)

func memCache(appKey, account string) *core.MemCache {
	memMu.Lock()
	defer memMu.Unlock()
	k := appKey + "\x00" + account
	c := memCaches[k]
	if c == nil {
		c = core.NewMemCache()
		memCaches[k] = c
	}
	return c
}

func warn(msg string) {
	if c, err := safejs.Global().Get("console"); err == nil {
		_, _ = c.Call("warn", msg)
	}
}
