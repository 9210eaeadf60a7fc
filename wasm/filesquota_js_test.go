//go:build js && wasm

package main

import (
	"errors"
	"strings"
	"testing"

	"yunxin/core"
)

// TestKeepQuota: when the site's storage is full, the kept-file store (the
// loader's "yunxinIM-files" database) rejects with a QuotaExceededError
// that says so, and Keep answers 500 naming it, an error that is
// core.ErrCacheFull; nothing is kept, and once there is space again the
// same Keep succeeds. The quota is not filled for real (headless Chromium
// has no small one to set): IndexedDB refuses the write the ways a full
// site does: the put request fails with a QuotaExceededError (Firefox; the
// transaction has no error yet when the request's error event comes), the
// transaction aborts with one as its error while its request fails with an
// AbortError (Chromium), or the put throws one.
func TestKeepQuota(t *testing.T) {
	f := edge(t)
	src := jsString(t, `return __fx.random(3000, '')`)
	for _, how := range []string{"request", "transaction", "throw"} {
		eval(t, `var how = '`+how+`';
var put = IDBObjectStore.prototype.put;
window.__restorePut = function () { IDBObjectStore.prototype.put = put; };
IDBObjectStore.prototype.put = function () {
	var full = function () { return new DOMException('test: the site is out of space', 'QuotaExceededError'); };
	if (how === 'throw') throw full();
	var req = put.apply(this, arguments), tx = this.transaction;
	Object.defineProperty(how === 'request' ? req : tx, 'error', {get: full});
	tx.abort();
	return req;
};`)
		err := f.Keep(ctx(t), src, "quota/"+how)
		eval(t, `window.__restorePut()`)
		if !errors.Is(err, core.ErrCacheFull) {
			t.Errorf("%s: Keep on a full site: %v, want core.ErrCacheFull", how, err)
		}
		e := core.AsError(err)
		for _, want := range []string{"the local file store failed", "storage for this site is full", "frees it"} {
			if e == nil || e.Code != 500 || !strings.Contains(e.Msg, want) {
				t.Errorf("%s: Keep on a full site: %+v, want 500 saying %q", how, e, want)
			}
		}
		if p, err := f.Path(ctx(t), "quota/"+how); err != nil || p != "" {
			t.Errorf("%s: a file the full store refused has a path: %q %v", how, p, err)
		}
		if err := f.Keep(ctx(t), src, "quota/"+how); err != nil {
			t.Errorf("%s: Keep once there is space: %v", how, err)
		}
		f.Remove(ctx(t), []string{"quota/" + how})
	}
}
