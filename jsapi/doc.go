// Package jsapi is the JavaScript face of the SDK: the table of the yunxinIM
// plugin's methods (all 100 of them plus init) and the bridge between the
// page and core.Client.
//
// The boundary is one string in, one string out. The loader (wasm/yunxinim.js)
// normalises a page's call yunxinIM.method(params, callback), JSON-encodes
// params and calls the Go function call(name, paramsJSON, callbackID), which
// returns at once. Go converts the params (Call), runs the core method in a
// goroutine that recovers panics and hands one JSON envelope
// {"ret":…, "err":…} to hooks.deliver(callbackID, json); the loader parses it
// and calls callback(ret, err). A long call (upload) may first hand interim
// rets to hooks.progress(callbackID, json) (WithProgress); the callback runs
// and the call goes on. Listener events travel the same way through
// hooks.event(kind, json); which methods are listener methods, and of which
// kind, is this package's listenerMethods, handed to the loader at start-up.
//
// Files: table.go holds the one table (method name → handler) and the
// envelope; the handlers live per domain of the plugin doc (account.go,
// files.go, messaging.go, sessions.go, people.go, notes.go; later issues
// add theirs), each beside the part of Engine it calls; params.go converts
// JS values to Go ones. jsapi checks JS types (a 414 naming the
// parameter); limits on values are core's, except that the people and
// notification handlers also check theirs (account ids, counts, ranges,
// profile fields through proto.UserProblem), with core's wording, so that
// a bad value is refused before a cache-only or offline core is asked. All of it but the bridge (*_js.go) is plain Go, tested natively
// and in the browser.
package jsapi
