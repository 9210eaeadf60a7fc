//go:build js && wasm

package idbstore

import (
	"context"
	"errors"
	"slices"
	"sync"
	"syscall/js"
	"time"

	"github.com/hack-pad/go-indexeddb/idb"
	"yunxin/core"
	"yunxin/internal/errf"
)

const (
	// dbVersion is the schema version Open asks for; upgrade brings older
	// databases to it.
	dbVersion = 3

	storeMeta     = "meta"
	storeSessions = "sessions"
	storeMessages = "messages"
	storeRecords  = "records"
	indexSession  = "bySession"
	metaKey       = "meta"
)

// schemaStores are the object stores of schema dbVersion.
var schemaStores = []string{storeMeta, storeSessions, storeMessages, storeRecords, storeRuns}

var (
	// ErrClosed is returned by the methods of a closed cache. It wraps
	// core.ErrCacheClosed, and the errors below wrap it: errors.Is(err,
	// ErrClosed) and errors.Is(err, core.ErrCacheClosed) hold for them too.
	ErrClosed = errf.Errorf("idbstore: %w", core.ErrCacheClosed)
	// ErrVersionChange is returned by the methods of a cache whose
	// connection closed itself because another tab (a newer SDK upgrading,
	// or a Delete) asked for the database.
	ErrVersionChange = errf.Errorf("%w: another tab upgraded or deleted the database", ErrClosed)
	// ErrBrowserClosed is returned by the methods of a cache whose connection
	// the browser closed (site data cleared, disk failure).
	ErrBrowserClosed = errf.Errorf("%w: the browser closed the database", ErrClosed)
	// ErrBlocked is returned by Open and Delete when other connections to
	// the database (another tab running an older SDK that does not close on
	// versionchange) kept the request blocked for longer than blockedWait.
	ErrBlocked = errors.New("idbstore: blocked by another tab that keeps the database open; close or reload the other tabs of this site")
	// ErrQuota is returned, wrapped with the browser's own error, when the
	// browser refused a write because this site's storage is full: a
	// request's or the transaction's error (also the error an aborted
	// transaction carries) is a DOMException named "QuotaExceededError", as
	// Chromium, Firefox and WebKit name it. The transaction aborted, so
	// nothing of the batch was written. It wraps core.ErrCacheFull: core
	// answers the call 500, keeps its sync cursors and retries.
	ErrQuota = errf.Errorf("idbstore: %w: the browser's storage for this site is full (its quota is used up); "+
		"deleting messages (deleteAllMessages, deleteAllmessagesInSession) or clearing other data of this site frees it", core.ErrCacheFull)
)

// quotaName is the DOMException name of a write refused for lack of space.
const quotaName = "QuotaExceededError"

// isQuota reports whether err is, or wraps, a QuotaExceededError.
func isQuota(err error) bool { return isName(err, quotaName) }

// isName reports whether err is, or wraps, a DOMException named name: one
// idb parsed, or a JS error value (a raw request's or transaction's error,
// or a JS exception syscall/js panicked with).
func isName(err error, name string) (is bool) {
	if errors.Is(err, idb.NewDOMException(name)) {
		return true
	}
	var je js.Error
	if errors.As(err, &je) {
		defer func() {
			if recover() != nil { // a value without properties
				is = false
			}
		}()
		return je.Value.Type() == js.TypeObject && je.Value.Get("name").String() == name
	}
	return false
}

// blockedWait is how long Open and Delete wait once the browser reported
// the request blocked. The request itself stays queued in the browser: if it
// completes later, the connection it opens is closed at once.
var blockedWait = 5 * time.Second

// DBName is the IndexedDB database name of one account of one app.
func DBName(appKey, account string) string { return "yunxinIM-" + appKey + "-" + account }

var _ core.OpenCacheFunc = Open

// indexedDB returns the page's IDBFactory. (idb.Global panics without one.)
func indexedDB() (f js.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errf.Errorf("IndexedDB unavailable: %v", r)
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
	r := newDBRequest()
	var req *idb.OpenDBRequest
	if err := r.start(func(f *idb.Factory) (err error) {
		req, err = f.Open(r.upgradeCtx, DBName(appKey, account), dbVersion, r.upgrader)
		return err
	}); err != nil {
		return nil, err
	}
	if err := r.wait(ctx); err != nil {
		if isVersionError(err) {
			return nil, errf.Errorf("the database was written by a newer SDK (schema above %d): %w", dbVersion, err)
		}
		return nil, err
	}
	db, err := req.Result()
	if err != nil {
		closeResult(r.req)
		return nil, err
	}
	if err := checkSchema(db); err != nil {
		db.Close()
		return nil, err
	}
	c := newCache(db, r.req.Get("result"))
	c.account = account
	return c, nil
}

// Delete deletes the database of one account of one app. Open caches of it
// close themselves (versionchange); ErrBlocked when another tab's connection
// does not.
func Delete(ctx context.Context, appKey, account string) (err error) {
	defer guard(&err, "delete")
	r := newDBRequest()
	defer r.endUpgrade() // a delete has no upgrade
	if err := r.start(func(f *idb.Factory) error {
		_, err := f.DeleteDatabase(DBName(appKey, account))
		return err
	}); err != nil {
		return err
	}
	return r.wait(ctx)
}

// dbRequest is an open or deleteDatabase request made through idb's
// Factory, and the IDBOpenDBRequest behind it. idb listens to its success
// and upgradeneeded events; dbRequest also listens to error and blocked,
// which idb's OpenDBRequest does not report, and outlives a waiter that gave
// up: its handlers stay set until the request finishes, and a database
// opened after that is closed at once.
type dbRequest struct {
	req     js.Value // the IDBOpenDBRequest, once start made it
	done    chan error
	blocked chan struct{}

	// upgradeCtx keeps idb's upgradeneeded listener: idb ends it on
	// success, finish on failure.
	upgradeCtx context.Context
	endUpgrade context.CancelFunc

	mu         sync.Mutex
	abandoned  bool
	upgradeErr error
	funcs      []js.Func
}

func newDBRequest() *dbRequest {
	r := &dbRequest{done: make(chan error, 1), blocked: make(chan struct{}, 1)}
	r.upgradeCtx, r.endUpgrade = context.WithCancel(context.Background())
	return r
}

// start makes the request by calling idb's Factory in call. The Factory idb
// is given is a stand-in for indexedDB whose open and deleteDatabase call
// the real ones and set dbRequest's handlers on the request before idb sees
// it (idb keeps the raw request to itself): both run before Go yields to
// the event loop, so no event is missed.
func (r *dbRequest) start(call func(f *idb.Factory) error) (err error) {
	real, err := indexedDB()
	if err != nil {
		return err
	}
	var callErr error
	method := func(name string) js.Func {
		return js.FuncOf(func(_ js.Value, args []js.Value) (ret any) {
			defer func() {
				if v := recover(); v != nil {
					callErr = errf.Errorf("indexedDB.%s: %v", name, v)
					if e, ok := v.(error); ok {
						callErr = errf.Errorf("indexedDB.%s: %w", name, e)
					}
					ret = nil
				}
			}()
			vals := make([]any, len(args))
			for i, a := range args {
				vals[i] = a
			}
			r.listen(real.Call(name, vals...))
			return r.req
		})
	}
	open, del := method("open"), method("deleteDatabase")
	defer open.Release()
	defer del.Release()
	stand := jsObject.New()
	stand.Set("open", open)
	stand.Set("deleteDatabase", del)
	f, err := idb.WrapFactory(stand)
	if err != nil {
		return err
	}
	defer func() {
		// idb panics on what is not a request: the real call failed.
		if v := recover(); v != nil {
			err = callErr
			if err == nil {
				err = errf.Errorf("panic: %v", v)
			}
		}
		if err != nil {
			r.endUpgrade()
			if r.req.Truthy() {
				r.abandon(err) // made but not ours to wait for: closed if it opens
			}
		}
	}()
	if err := call(f); err != nil {
		return err
	}
	return callErr
}

// listen sets the handlers of the request req.
func (r *dbRequest) listen(req js.Value) {
	r.req = req
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
}

// on sets the request's on<event> handler; every handler recovers panics.
func (r *dbRequest) on(event string, fn func(ev js.Value)) {
	f := js.FuncOf(func(_ js.Value, args []js.Value) any {
		defer func() {
			if v := recover(); v != nil {
				msg := "a value that is neither an error nor a string" // fmt.Sprint's text for errors and strings, without fmt
				switch v := v.(type) {
				case error:
					msg = v.Error()
				case string:
					msg = v
				}
				warn("idbstore: " + event + " handler panicked: " + msg)
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

// upgrader is the idb.Upgrader of an open. idb runs it inside
// upgradeneeded, in the version-change transaction: it must not wait, and
// an error returned to idb would panic inside the event handler and end the
// program. So a failure is recorded and aborts the version-change
// transaction instead: the database keeps its old version and data and the
// open fails with the failure.
func (r *dbRequest) upgrader(db *idb.Database, oldVersion, _ uint) error {
	err := func() (err error) {
		defer func() {
			if v := recover(); v != nil {
				err = errf.Errorf("upgrade panicked: %v", v)
			}
		}()
		return upgrade(db, oldVersion)
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
	return nil
}

// finish runs on the request's success or error event.
func (r *dbRequest) finish(err error) {
	r.mu.Lock()
	abandoned, funcs := r.abandoned, r.funcs
	if err != nil && r.upgradeErr != nil {
		err = errf.Errorf("upgrade to version %d: %w", dbVersion, r.upgradeErr)
	}
	r.funcs = nil
	r.mu.Unlock()
	if err != nil {
		r.endUpgrade()
	}
	for _, event := range []string{"success", "error", "blocked"} {
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

// wait waits for the request to finish. It gives up when ctx ends or
// blockedWait after a blocked event.
func (r *dbRequest) wait(ctx context.Context) error {
	var timeout <-chan time.Time
	for {
		select {
		case err := <-r.done:
			return err
		case <-r.blocked:
			if timeout == nil {
				t := time.NewTimer(blockedWait)
				defer t.Stop()
				timeout = t.C
			}
		case <-timeout:
			return r.abandon(ErrBlocked)
		case <-ctx.Done():
			return r.abandon(ctx.Err())
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
func upgrade(db *idb.Database, oldVersion uint) error {
	keyPath := func(path any) idb.ObjectStoreOptions {
		return idb.ObjectStoreOptions{KeyPath: js.ValueOf(path)}
	}
	if oldVersion < 1 {
		for _, name := range []string{storeMeta, storeSessions} {
			if _, err := db.CreateObjectStore(name, keyPath("k")); err != nil {
				return errf.Errorf("store %s: %w", name, err)
			}
		}
		msgs, err := db.CreateObjectStore(storeMessages, keyPath("id"))
		if err != nil {
			return errf.Errorf("store %s: %w", storeMessages, err)
		}
		if _, err := msgs.CreateIndex(indexSession, js.ValueOf([]any{"sk", "t", "id"}), idb.IndexOptions{}); err != nil {
			return errf.Errorf("index %s: %w", indexSession, err)
		}
	}
	if oldVersion < 2 {
		if _, err := db.CreateObjectStore(storeRecords, keyPath([]any{"kind", "key"})); err != nil {
			return errf.Errorf("store %s: %w", storeRecords, err)
		}
	}
	if oldVersion < 3 {
		runs, err := db.CreateObjectStore(storeRuns, keyPath("k"))
		if err != nil {
			return errf.Errorf("store %s: %w", storeRuns, err)
		}
		if _, err := runs.CreateIndex(indexRunMsg, js.ValueOf("ids"), idb.IndexOptions{MultiEntry: true}); err != nil {
			return errf.Errorf("index %s: %w", indexRunMsg, err)
		}
	}
	return nil
}

func checkSchema(db *idb.Database) error {
	have, err := db.ObjectStoreNames()
	if err != nil {
		return errf.Errorf("object store names: %w", err)
	}
	for _, want := range schemaStores {
		if !slices.Contains(have, want) {
			return errf.Errorf("database has no object store %q (stores: %v)", want, have)
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
