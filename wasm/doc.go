// Command wasm is the SDK's WebAssembly program (GOOS=js GOARCH=wasm): it
// creates the core.Client with a WebSocket dialer, the IndexedDB cache and
// the browser file edge (files_js.go: core.Files over the loader's
// hooks.files), installs the jsapi bridge into the loader's hooks
// (yunxinim.js, beside this file) and waits for calls. `make sdk` builds it into web/sdk.
package main
