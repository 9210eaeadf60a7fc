//go:build js && wasm

package main

import (
	"github.com/hack-pad/safejs"

	"yunxin/core"
	"yunxin/jsapi"
)

// hooksName is the global the loader defines before it runs the wasm.
const hooksName = "__yunxinIM_hooks"

func main() {
	hooks, err := safejs.Global().Get(hooksName)
	if err != nil || hooks.Type() != safejs.TypeObject {
		println("yunxinIM: " + hooksName + " is missing; load the SDK with yunxinim.js")
		return
	}
	// Ids and jitter come from the browser's Web Crypto (core does not
	// link crypto/rand in the browser build).
	if r := webRandom(); r != nil {
		core.SetRandomSource(r)
	}
	client := core.NewClient(core.Config{}, dial, openCache, jsapi.Emitter(hooks))
	// What core cannot return to a caller (a pushed change it could not
	// cache, a change of an unknown kind) goes to the console.
	client.SetLog(func(msg string) { warn("yunxinIM: " + msg) })
	// Files (attachments, upload, download) go through the loader's
	// hooks.files; without them those methods answer 414.
	if files, err := newFiles(hooks); err == nil {
		client.SetFiles(files)
	} else {
		warn("yunxinIM: " + err.Error())
	}
	if _, err := jsapi.Install(client, hooks); err != nil {
		println("yunxinIM: cannot install the bridge: " + err.Error())
		return
	}
	select {}
}
