// Package jsapi is the JavaScript face of the SDK: the table of the yunxinIM
// plugin's methods (all 100 of them plus init) and the bridge between the
// page and core.Client.
//
// The boundary is one string in, one string out. The loader (wasm/yunxinim.js)
// normalises a page's call yunxinIM.method(params, callback), JSON-encodes
// params and calls the Go function call(name, paramsJSON, callbackID), which
// returns at once. Go decodes and validates the params (Call), runs the core
// method in a goroutine that recovers panics and hands one JSON envelope
// {"ret":…, "err":…} to hooks.deliver(callbackID, json); the loader parses it
// and calls callback(ret, err). Listener events travel the same way through
// hooks.event(kind, json). The decoding, validation and result shapes (this
// file's siblings without a build tag) are plain Go, tested natively and in
// the browser; only the bridge (*_js.go) needs GOOS=js.
package jsapi
