//go:build js && wasm

package idbstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall/js"
	"testing"

	"yunxin/core"
)

// The browser's quota cannot be filled from here (headless Chromium has no
// way to set a small one, and filling the real one takes the disk), so
// these tests make IndexedDB itself refuse a write the two ways a full
// site's storage does, over a real database: a put request failing with a
// QuotaExceededError (Firefox), and a transaction aborted with one as its
// error while its requests fail with AbortError (Chromium checks the quota
// when the transaction commits). tests/e2e/storage_test.go fills a real
// Firefox quota.

// failWrites makes IndexedDB refuse the next write as how says: "request",
// the second put throws a QuotaExceededError (the first is made for real);
// "transaction", the next commit aborts the transaction instead, with a
// QuotaExceededError as the transaction's error, while the requests still
// pending fail with AbortError. It returns the function that restores
// IndexedDB.
func failWrites(t *testing.T, how string) (restore func()) {
	t.Helper()
	js.Global().Call("eval", fmt.Sprintf(`(function () {
		const put = IDBObjectStore.prototype.put, commit = IDBTransaction.prototype.commit;
		const full = () => new DOMException('test: the site is out of space', 'QuotaExceededError');
		let calls = 0;
		window.__quotaRestore = function () {
			IDBObjectStore.prototype.put = put;
			IDBTransaction.prototype.commit = commit;
		};
		if (%q === 'request') {
			IDBObjectStore.prototype.put = function () {
				if (++calls === 2) throw full();
				return put.apply(this, arguments);
			};
			return;
		}
		IDBTransaction.prototype.commit = function () {
			if (++calls !== 1) return commit.apply(this, arguments);
			Object.defineProperty(this, 'error', {get: full});
			this.abort();
		};
	})()`, how))
	restore = func() { js.Global().Call("__quotaRestore") }
	t.Cleanup(restore)
	return restore
}

func TestQuotaExceeded(t *testing.T) {
	for _, how := range []string{"request", "transaction"} {
		t.Run(how, func(t *testing.T) {
			ctx := context.Background()
			c, _ := openFresh(t)
			sk := core.SessionKey(0, "bob")
			var ids []string
			b := core.Batch{Sessions: []core.Session{{Key: sk, ID: "bob", SyncSeq: 3, LastSeq: 3, UpdateTime: 3000}}}
			for i := 1; i <= 3; i++ {
				m := testMsg(sk, i, int64(1000*i))
				b.Messages = append(b.Messages, m)
				ids = append(ids, m.ID)
			}
			again := b
			again.Messages = append([]core.Message(nil), b.Messages...)
			again.Sessions = append([]core.Session(nil), b.Sessions...)

			restore := failWrites(t, how)
			err := c.Apply(ctx, &b)
			t.Logf("Apply on a full site (%s): %v", how, err)
			if !errors.Is(err, ErrQuota) || !errors.Is(err, core.ErrCacheFull) {
				t.Fatalf("Apply on a full site: %v, want ErrQuota (core.ErrCacheFull)", err)
			}
			for _, want := range []string{"storage for this site is full", "deleteAllMessages", "QuotaExceededError"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			if e := core.AsError(err); e.Code != 500 {
				t.Errorf("AsError = %+v, want 500", e)
			}
			// The transaction aborted: nothing of the batch is stored, not
			// even the messages put before the refusal.
			if got, err := c.MessagesByID(ctx, ids); err != nil || len(got) != 0 {
				t.Fatalf("after the refused batch MessagesByID = %d messages, %v; want none", len(got), err)
			}
			snap, err := c.Load(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(snap.Sessions) != 0 {
				t.Fatalf("after the refused batch the sessions are %+v, want none", snap.Sessions)
			}

			// Space again: the same batch is written whole, by the same
			// connection, even though its first put throws the
			// InvalidStateError Firefox throws on the first put after a
			// quota abort (Apply tries once more).
			restore()
			throwOnce(t, "InvalidStateError")
			if err := c.Apply(ctx, &again); err != nil {
				t.Fatalf("Apply once there is space: %v", err)
			}
			if got, err := c.MessagesByID(ctx, ids); err != nil || len(got) != 3 {
				t.Fatalf("MessagesByID = %d messages, %v; want 3", len(got), err)
			}
		})
	}
}

// throwOnce makes the next IDBObjectStore.put throw a DOMException named
// name; the puts after it are the real one.
func throwOnce(t *testing.T, name string) {
	t.Helper()
	js.Global().Call("eval", fmt.Sprintf(`(function () {
		const real = IDBObjectStore.prototype.put;
		window.__quotaRestore = function () { IDBObjectStore.prototype.put = real; };
		IDBObjectStore.prototype.put = function () {
			IDBObjectStore.prototype.put = real;
			throw new DOMException('test: refused', %q);
		};
	})()`, name))
	t.Cleanup(func() { js.Global().Call("__quotaRestore") })
}

// TestOtherErrorsAreNotQuota: a write refused for another reason is not
// taken for a full storage, and is not tried again (only after a quota
// failure is an InvalidStateError tried again).
func TestOtherErrorsAreNotQuota(t *testing.T) {
	ctx := context.Background()
	c, _ := openFresh(t)
	sk := core.SessionKey(0, "bob")
	for _, name := range []string{"UnknownError", "InvalidStateError"} {
		throwOnce(t, name)
		m := testMsg(sk, 1, 1000)
		err := c.Apply(ctx, &core.Batch{Messages: []core.Message{m}})
		if err == nil || errors.Is(err, ErrQuota) || errors.Is(err, core.ErrCacheFull) || !strings.Contains(err.Error(), "test: refused") {
			t.Fatalf("Apply with an %s: %v, want that error, not ErrQuota", name, err)
		}
		if got, err := c.MessagesByID(ctx, []string{m.ID}); err != nil || len(got) != 0 {
			t.Fatalf("after the refused Apply (%s): %d messages, %v; want none (no second try)", name, len(got), err)
		}
	}
}
