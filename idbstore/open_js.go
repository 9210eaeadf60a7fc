//go:build js && wasm

package idbstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"syscall/js"
	"time"

	"yunxin/core"
)

const (
	// dbVersion is the schema version Open asks for; upgrade brings older
	// databases to it.
	dbVersion = 2

	storeMeta     = "meta"
	storeSessions = "sessions"
	storeMessages = "messages"
	storeRecords  = "records"
	indexSession  = "bySession"
	metaKey       = "meta"
)

// schemaStores are the object stores of schema dbVersion.
var schemaStores = []string{storeMeta, storeSessions, storeMessages, storeRecords}

var (
	// ErrClosed is returned by the methods of a closed cache. The errors
	// below wrap it: errors.Is(err, ErrClosed) holds for them too.
	ErrClosed = errors.New("idbstore: cache closed")
	// ErrVersionChange is returned by the methods of a cache whose
	// connection closed itself because another tab (a newer SDK upgrading,
	// or a Delete) asked for the database.
	ErrVersionChange = fmt.Errorf("%w: another tab upgraded or deleted the database", ErrClosed)
	// ErrBrowserClosed is returned by the methods of a cache whose connection
	// the browser closed (site data cleared, disk failure).
	ErrBrowserClosed = fmt.Errorf("%w: the browser closed the database", ErrClosed)
	// ErrBlocked is returned by Open and Delete when other connections to
	// the database (another tab running an older SDK that does not close on
	// versionchange) kept the request blocked for longer than blockedWait.
	ErrBlocked = errors.New("idbstore: blocked by another tab that keeps the database open; close or reload the other tabs of this site")
)

// blockedWait is how long Open and Delete wait once the browser reported
// the request blocked. The request itself stays queued in the browser: if it
// completes later, the connection it opens is closed at once.
var blockedWait = 5 * time.Second

// DBName is the IndexedDB database name of one account of one app.
func DBName(appKey, account string) string { return "yunxinIM-" + appKey + "-" + account }

var _ core.OpenCacheFunc = Open

func factory() (f js.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("IndexedDB unavailable: %v", r)
		}
	}()
	f = js.Global().Get("indexedDB")
	if !f.Truthy() {
		return js.Value{}, errors.New("IndexedDB unavailable: no indexedDB global")
	}
	return f, nil
}

// Open opens (creating or upgrading it when needed) the cache of one account
// of one app, the IndexedDB database DBName(appKey, account).
//
// An upgrade from an older schema happens in place, keeping the data. The
// connection closes itself when another tab asks for a newer version or
// deletes the database (its methods then return ErrVersionChange), so this
// tab never blocks that tab's upgrade. When another tab keeps an older
// connection open, Open gives up with ErrBlocked blockedWait after the
// browser reported it blocked.
func Open(ctx context.Context, appKey, account string) (_ core.Cache, err error) {
	defer guard(&err, "open")
	f, err := factory()
	if err != nil {
		return nil, err
	}
	r := newDBRequest(f.Call("open", DBName(appKey, account), dbVersion))
	r.on("upgradeneeded", func(ev js.Value) { r.upgrade(ev) })
	db, err := r.wait(ctx)
	if err != nil {
		if isVersionError(err) {
			return nil, fmt.Errorf("the database was written by a newer SDK (schema above %d): %w", dbVersion, err)
		}
		return nil, err
	}
	if err := checkSchema(db); err != nil {
		db.Call("close")
		return nil, err
	}
	return newCache(db), nil
}

// Delete deletes the database of one account of one app. Open caches of it
// close themselves (versionchange); ErrBlocked when another tab's connection
// does not.
func Delete(ctx context.Context, appKey, account string) (err error) {
	defer guard(&err, "delete")
	f, err := factory()
	if err != nil {
		return err
	}
	_, err = newDBRequest(f.Call("deleteDatabase", DBName(appKey, account))).wait(ctx)
	return err
}

// dbRequest is an IDBOpenDBRequest (open or deleteDatabase) being waited
// for. Its handlers stay set until the request finishes, also when the
// waiter gave up: a database opened after that is closed at once.
type dbRequest struct {
	req     js.Value
	done    chan error
	blocked chan struct{}

	mu         sync.Mutex
	abandoned  bool
	upgradeErr error
	funcs      []js.Func
}

func newDBRequest(req js.Value) *dbRequest {
	r := &dbRequest{req: req, done: make(chan error, 1), blocked: make(chan struct{}, 1)}
	r.on("success", func(js.Value) { r.finish(nil) })
	r.on("error", func(ev js.Value) {
		ev.Call("preventDefault")
		r.finish(jsError(req.Get("error"), "request failed"))
	})
	r.on("blocked", func(js.Value) {
		select {
		case r.blocked <- struct{}{}:
		default:
		}
	})
	return r
}

// on sets the request's on<event> handler; every handler recovers panics.
func (r *dbRequest) on(event string, fn func(ev js.Value)) {
	f := js.FuncOf(func(_ js.Value, args []js.Value) any {
		defer func() {
			if v := recover(); v != nil {
				warn("idbstore: " + event + " handler panicked: " + fmt.Sprint(v))
			}
		}()
		ev := js.Undefined()
		if len(args) > 0 {
			ev = args[0]
		}
		fn(ev)
		return nil
	})
	r.mu.Lock()
	r.funcs = append(r.funcs, f)
	r.mu.Unlock()
	r.req.Set("on"+event, f)
}

// upgrade runs inside upgradeneeded, in the version-change transaction: it
// must not wait. A failure aborts that transaction, so the database keeps
// its old version and data and the open fails with the failure.
func (r *dbRequest) upgrade(ev js.Value) {
	err := func() (err error) {
		defer func() {
			if v := recover(); v != nil {
				err = fmt.Errorf("upgrade panicked: %v", v)
			}
		}()
		return upgrade(r.req.Get("result"), ev.Get("oldVersion").Int())
	}()
	if err != nil {
		r.mu.Lock()
		r.upgradeErr = err
		r.mu.Unlock()
		func() {
			defer func() { recover() }()
			r.req.Get("transaction").Call("abort")
		}()
	}
}

// finish runs on the request's success or error event.
func (r *dbRequest) finish(err error) {
	r.mu.Lock()
	abandoned, funcs := r.abandoned, r.funcs
	if err != nil && r.upgradeErr != nil {
		err = fmt.Errorf("upgrade to version %d: %w", dbVersion, r.upgradeErr)
	}
	r.funcs = nil
	r.mu.Unlock()
	for _, event := range []string{"success", "error", "blocked", "upgradeneeded"} {
		r.req.Set("on"+event, js.Null())
	}
	for _, f := range funcs {
		f.Release()
	}
	if abandoned {
		if err == nil {
			closeResult(r.req)
		}
		return
	}
	r.done <- err
}

func closeResult(req js.Value) {
	defer func() { recover() }()
	if db := req.Get("result"); db.Truthy() && db.Get("close").Type() == js.TypeFunction {
		db.Call("close")
	}
}

// wait waits for the request's result. It gives up when ctx ends or
// blockedWait after a blocked event.
func (r *dbRequest) wait(ctx context.Context) (js.Value, error) {
	var timeout <-chan time.Time
	for {
		select {
		case err := <-r.done:
			if err != nil {
				return js.Value{}, err
			}
			return r.req.Get("result"), nil
		case <-r.blocked:
			if timeout == nil {
				t := time.NewTimer(blockedWait)
				defer t.Stop()
				timeout = t.C
			}
		case <-timeout:
			return js.Value{}, r.abandon(ErrBlocked)
		case <-ctx.Done():
			return js.Value{}, r.abandon(ctx.Err())
		}
	}
}

// abandon gives up waiting; the request finishes by itself later. When it
// finished meanwhile, its result is taken care of here.
func (r *dbRequest) abandon(why error) error {
	r.mu.Lock()
	r.abandoned = true
	r.mu.Unlock()
	select {
	case err := <-r.done:
		if err == nil {
			closeResult(r.req)
		}
	default:
	}
	return why
}

// upgrade brings the schema from oldVersion to dbVersion, one `if
// oldVersion < N` block per version; existing stores and data stay.
func upgrade(db js.Value, oldVersion int) error {
	keyPath := func(path any) js.Value {
		o := jsObject.New()
		o.Set("keyPath", path)
		return o
	}
	if oldVersion < 1 {
		db.Call("createObjectStore", storeMeta, keyPath("k"))
		db.Call("createObjectStore", storeSessions, keyPath("k"))
		msgs := db.Call("createObjectStore", storeMessages, keyPath("id"))
		msgs.Call("createIndex", indexSession, js.ValueOf([]any{"sk", "t", "id"}))
	}
	if oldVersion < 2 {
		db.Call("createObjectStore", storeRecords, keyPath(js.ValueOf([]any{"kind", "key"})))
	}
	return nil
}

func checkSchema(db js.Value) error {
	names := db.Get("objectStoreNames")
	for _, want := range schemaStores {
		if !names.Call("contains", want).Bool() {
			var have []string
			for i := 0; i < names.Length(); i++ {
				have = append(have, names.Index(i).String())
			}
			return fmt.Errorf("database has no object store %q (stores: %v)", want, have)
		}
	}
	return nil
}

func isVersionError(err error) bool {
	var je js.Error
	return errors.As(err, &je) && je.Value.Get("name").String() == "VersionError"
}

func warn(msg string) {
	defer func() { recover() }()
	js.Global().Get("console").Call("warn", msg)
}
