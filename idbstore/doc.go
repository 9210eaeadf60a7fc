// Package idbstore is the browser's core.Cache: one IndexedDB database per
// account, "yunxinIM-<appKey>-<account>", opened with Open (a
// core.OpenCacheFunc) and removed with Delete. It talks to IndexedDB through
// github.com/hack-pad/go-indexeddb (package idb) to open and upgrade the
// database and for reads by key, cursor and key range. It uses syscall/js
// where idb has nothing or costs more: getAll and getAllRecords (Load,
// message pages), the whole write path of Apply (on the raw
// IDBTransaction: one Go→JS call per request where idb's wrappers take
// three, and add requests whose refused duplicates a transaction listener
// keeps from aborting it, which idb's awaiting cannot; a batch's adds are
// issued by one JS function call), the open request's
// error and blocked events (idb's Factory is given a stand-in for
// indexedDB that hands the raw request to idbstore), and the connection's
// close and versionchange events (idb closes the connection on
// versionchange; idbstore records why).
//
// Schema (version 2):
//
//	meta      keyPath "k"             {k: "meta", j: <json of core.Meta>}
//	sessions  keyPath "k"             {k: <session key>, j: <json of core.Session>}
//	messages  keyPath "id"            {id, sk, t, j: <json of core.Message>}
//	          index bySession on ["sk", "t", "id"]
//	records   keyPath ["kind", "key"] {kind, key, v: <Ver>, del: <tombstone>, j: <core.Record.Data>}   (since version 2; v and del absent before versioned records: ver 0, live)
//
// Each record is a small JS object holding its key and index fields plus the
// whole record as one JSON string, so a record crosses the Go/JS boundary
// once. A deleted message (Message.Deleted) is stored without its "sk" field,
// so it is absent from bySession: pages skip it for free, MessagesByID still
// finds it by id.
//
// Versions: Open upgrades an older database in place (one `if oldVersion <
// N` block per version; version 1 had no records store, and its
// session records carry a "hidden" flag that Load converts,
// core.ConvertLegacy). Tabs share the database: Apply merges the session and
// meta records it puts into the stored ones (core.MergeSession,
// core.MergeMeta) and keeps a stored domain record or tombstone of a higher
// Ver over a put, inside its transaction, then fills the batch with what it
// stored. A connection closes itself when another tab upgrades or deletes
// the database, so that tab is never blocked by this one; its methods then
// fail with errors wrapping core.ErrCacheClosed.
//
// A write the browser refuses because the site's storage is full (a
// QuotaExceededError, from a request or as the aborted transaction's own
// error) fails with ErrQuota, which wraps core.ErrCacheFull; the
// transaction aborted, so nothing of the batch was written. Firefox then
// refuses the puts of the connection's next transaction with an
// InvalidStateError; Apply waits for that transaction to end and tries once
// more.
//
// The implementation is only built for GOOS=js GOARCH=wasm; its tests run in
// headless Chromium through tools/wasmbrowser.
package idbstore
