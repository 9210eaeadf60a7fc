//go:build js && wasm

package idbstore

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"syscall/js"

	"github.com/hack-pad/go-indexeddb/idb"
	"yunxin/core"
	"yunxin/internal/errf"
)

var (
	jsJSON   = js.Global().Get("JSON")
	jsObject = js.Global().Get("Object")
	jsArray  = js.Global().Get("Array")
)

// cache is a core.Cache over one connection to the database: db is idb's
// wrapper of it, raw the same IDBDatabase for what idb lacks (getAll,
// getAllRecords, and telling why the connection closed).
type cache struct {
	db  *idb.Database
	raw js.Value
	// account is the account whose cache this is: its own messages are
	// never stored as runs (see land).
	account string

	mu     sync.Mutex
	closed error     // why the cache is closed (wraps ErrClosed); nil while open
	funcs  []js.Func // the connection's event handlers

	written sessionMemo
	// quotaSeen: the last Apply failed for quota (see Apply's retry).
	quotaSeen atomic.Bool
}

// newCache wraps an open connection. idb closes a connection by itself on
// versionchange; the handlers set here record why the cache closed, and
// close it as well when the browser closed the connection.
func newCache(db *idb.Database, raw js.Value) *cache {
	c := &cache{db: db, raw: raw}
	handler := func(why error) js.Func {
		return js.FuncOf(func(js.Value, []js.Value) any {
			c.shut(why)
			return nil
		})
	}
	vc, cl := handler(ErrVersionChange), handler(ErrBrowserClosed)
	c.funcs = []js.Func{vc, cl}
	raw.Set("onversionchange", vc)
	raw.Set("onclose", cl)
	return c
}

// shut closes the connection once, recording why.
func (c *cache) shut(why error) {
	c.mu.Lock()
	if c.closed != nil {
		c.mu.Unlock()
		return
	}
	c.closed = why
	funcs := c.funcs
	c.funcs = nil
	c.mu.Unlock()
	if why != ErrClosed {
		warn(why.Error() + "; this tab stops writing to it")
	}
	defer func() { recover() }() // closing a connection the browser closed
	c.raw.Set("onversionchange", js.Null())
	c.raw.Set("onclose", js.Null())
	for _, f := range funcs {
		f.Release()
	}
	if err := c.db.Close(); err != nil {
		warn("idbstore: close: " + err.Error())
	}
}

// err is why the cache is closed, nil while it is open.
func (c *cache) err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// closedCause makes the failure of a call during which the cache was
// closed (a transaction aborted because another tab upgraded or deleted the
// database) wrap why it closed, and so core.ErrCacheClosed.
func (c *cache) closedCause(err *error) {
	if *err == nil || errors.Is(*err, core.ErrCacheClosed) {
		return
	}
	if why := c.err(); why != nil {
		*err = errf.Errorf("%w (%v)", why, *err)
	}
}

// Close implements core.Cache.
func (c *cache) Close() error {
	c.shut(ErrClosed)
	return nil
}

// transaction starts an idb transaction on the named stores (at least
// one), or returns why the cache cannot.
func (c *cache) transaction(mode idb.TransactionMode, stores ...string) (*idb.Transaction, error) {
	if err := c.err(); err != nil {
		return nil, err
	}
	return c.db.Transaction(mode, stores[0], stores[1:]...)
}

// rawTransaction starts a transaction on the raw IDBDatabase, for the
// requests idb does not have (getAll, getAllRecords).
func (c *cache) rawTransaction(mode string, stores ...string) (js.Value, error) {
	if err := c.err(); err != nil {
		return js.Value{}, err
	}
	names := make([]any, len(stores))
	for i, s := range stores {
		names[i] = s
	}
	return c.raw.Call("transaction", names, mode), nil
}

// abort aborts an idb transaction that may have finished already. It
// reports whether it did abort it (its abort event is then to come).
func abort(tx *idb.Transaction) (aborted bool) {
	defer func() {
		if recover() != nil {
			aborted = false
		}
	}()
	return tx.Abort() == nil // an error means it finished: nothing to undo
}

// guard turns a panic (syscall/js panics with js.Error on a JS exception)
// into an error and prefixes errors with the operation; a write the
// browser refused for lack of space becomes ErrQuota (with the operation
// and the browser's error).
func guard(err *error, op string) {
	panicked := false
	if r := recover(); r != nil {
		panicked = true
		switch v := r.(type) {
		case error:
			*err = errf.Errorf("idbstore: %s: panic: %w", op, v)
		default:
			*err = errf.Errorf("idbstore: %s: panic: %v", op, v)
		}
	}
	switch {
	case *err == nil || errors.Is(*err, ErrQuota):
	case isQuota(*err):
		name := "" // syscall/js's text of a JS error leaves its name out
		if !strings.Contains((*err).Error(), quotaName) {
			name = quotaName + ": "
		}
		*err = errf.Errorf("%w (%s: %s%w)", ErrQuota, op, name, *err)
	case panicked || errors.Is(*err, ErrClosed) || errors.Is(*err, ErrBlocked):
	default:
		*err = errf.Errorf("idbstore: %s: %w", op, *err)
	}
}

// jsError turns a DOMException (or anything else) into an error: js.Error
// when it is an object, so callers can read its name.
func jsError(v js.Value, fallback string) error {
	if v.Type() == js.TypeObject {
		return js.Error{Value: v}
	}
	return errors.New(fallback)
}

// awaitReq waits for a raw IDBRequest and returns its result. The handlers
// are set before Go yields to the event loop, so no event is missed.
func awaitReq(ctx context.Context, req js.Value) (js.Value, error) {
	ch := make(chan error, 1)
	success := js.FuncOf(func(js.Value, []js.Value) any {
		select {
		case ch <- nil:
		default:
		}
		return nil
	})
	failure := js.FuncOf(func(js.Value, []js.Value) any {
		select {
		case ch <- jsError(req.Get("error"), "request failed"):
		default:
		}
		return nil
	})
	defer func() {
		req.Set("onsuccess", js.Null())
		req.Set("onerror", js.Null())
		success.Release()
		failure.Release()
	}()
	req.Set("onsuccess", success)
	req.Set("onerror", failure)
	select {
	case err := <-ch:
		if err != nil {
			return js.Value{}, err
		}
		return req.Get("result"), nil
	case <-ctx.Done():
		return js.Value{}, ctx.Err()
	}
}

// awaitTx waits for a raw IDBTransaction to complete or abort; when ctx
// ends first, it aborts it.
func awaitTx(ctx context.Context, tx js.Value) error {
	ch := make(chan error, 1)
	complete := js.FuncOf(func(js.Value, []js.Value) any {
		select {
		case ch <- nil:
		default:
		}
		return nil
	})
	abort := js.FuncOf(func(js.Value, []js.Value) any {
		select {
		case ch <- jsError(tx.Get("error"), "AbortError: transaction aborted"):
		default:
		}
		return nil
	})
	defer func() {
		tx.Set("oncomplete", js.Null())
		tx.Set("onabort", js.Null())
		complete.Release()
		abort.Release()
	}()
	tx.Set("oncomplete", complete)
	tx.Set("onabort", abort)
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		func() {
			defer func() { recover() }() // it finished meanwhile
			tx.Call("abort")
		}()
		return ctx.Err()
	}
}
