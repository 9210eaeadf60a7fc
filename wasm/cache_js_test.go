//go:build js && wasm

package main

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"yunxin/core"
	"yunxin/idbstore"
)

// TestOpenCacheBlocked: when another tab keeps the account's database open
// at an older version (an older SDK that does not close on versionchange),
// openCache fails with idbstore.ErrBlocked, which tells the page what to do,
// instead of running on a cache in memory; once that tab lets go, it opens
// the database.
func TestOpenCacheBlocked(t *testing.T) {
	account := "blocked" + time.Now().Format("150405.000000")
	name := idbstore.DBName("demo", account)
	// The "older tab": the schema of version 1, and no versionchange handler.
	jsAwait(t, `return new Promise(function (res, rej) {
		var q = indexedDB.open('`+name+`', 1);
		q.onupgradeneeded = function () {
			var d = q.result;
			d.createObjectStore('meta', {keyPath: 'k'});
			d.createObjectStore('sessions', {keyPath: 'k'});
			d.createObjectStore('messages', {keyPath: 'id'}).createIndex('bySession', ['sk', 't', 'id']);
		};
		q.onsuccess = function () { window.__olderTab = q.result; res(true); };
		q.onerror = function () { rej(q.error); };
	})`)
	began := time.Now()
	c, err := openCache(context.Background(), "demo", account)
	if err == nil {
		c.Close()
		t.Fatal("openCache while another tab blocks the upgrade succeeded, want ErrBlocked")
	}
	if !errors.Is(err, idbstore.ErrBlocked) || !strings.Contains(err.Error(), "close or reload the other tabs") {
		t.Fatalf("openCache while another tab blocks the upgrade: %v, want ErrBlocked saying what to do", err)
	}
	if e := core.AsError(err); e.Code != 500 {
		t.Errorf("AsError = %+v, want 500", e)
	}
	t.Logf("blocked after %v: %v", time.Since(began).Round(time.Millisecond), err)

	eval(t, `window.__olderTab.close()`)
	c, err = openCache(context.Background(), "demo", account)
	if err != nil {
		t.Fatalf("openCache once the other tab closed: %v", err)
	}
	if _, mem := c.(*core.MemCache); mem {
		t.Error("openCache once the other tab closed gave a cache in memory")
	}
	c.Close()
	if err := idbstore.Delete(context.Background(), "demo", account); err != nil {
		t.Errorf("Delete: %v", err)
	}
}
