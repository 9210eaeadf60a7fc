// Package idbstore is the browser's core.Cache: one IndexedDB database per
// account, "yunxinIM-<appKey>-<account>", opened with Open (a
// core.OpenCacheFunc) and removed with Delete.
//
// Schema (version 1):
//
//	meta      keyPath "k"   {k: "meta", j: <json of core.Meta>}
//	sessions  keyPath "k"   {k: <session key>, j: <json of core.Session>}
//	messages  keyPath "id"  {id, sk, t, j: <json of core.Message>}
//	          index bySession on ["sk", "t", "id"]
//
// Each record is a small JS object holding its key and index fields plus the
// whole record as one JSON string, so a record crosses the Go/JS boundary
// once. A deleted message (Message.Deleted) is stored without its "sk" field,
// so it is absent from bySession: pages skip it for free, MessagesByID still
// finds it by id.
//
// The implementation is only built for GOOS=js GOARCH=wasm; its tests run in
// headless Chromium through tools/wasmbrowser.
package idbstore
