// Package web embeds the browser files the server serves: the SDK (built by
// `make sdk` into web/sdk) and the demo app (web/demo).
package web

import (
	"embed"
	"io/fs"
)

//go:embed sdk
var sdkFS embed.FS

//go:embed demo
var demoFS embed.FS

// SDK is the SDK directory: yunxinim.js (the loader), wasm_exec.js,
// yunxinim.wasm and its precompressed yunxinim.wasm.br / .gz.
func SDK() fs.FS { sub, _ := fs.Sub(sdkFS, "sdk"); return sub }

// Demo is the demo app directory (index.html and its assets).
func Demo() fs.FS { sub, _ := fs.Sub(demoFS, "demo"); return sub }
