package main

import (
	_ "embed"
	"regexp"
	"strings"
	"testing"

	"yunxin/jsapi"
)

// loaderJS is the loader, yunxinim.js, as shipped.
//
//go:embed yunxinim.js
var loaderJS string

// TestLoaderMethods: the loader defines exactly the Go table's methods (it
// must define them all before the wasm is loaded), and keeps no list of
// listener methods or kinds of its own: those come from Go at ready.
func TestLoaderMethods(t *testing.T) {
	_, rest, ok1 := strings.Cut(loaderJS, "// methods:begin")
	block, _, ok2 := strings.Cut(rest, "// methods:end")
	if !ok1 || !ok2 {
		t.Fatal("yunxinim.js: no methods:begin/end block")
	}
	var got []string
	for _, m := range regexp.MustCompile(`'([^']*)'`).FindAllStringSubmatch(block, -1) {
		got = append(got, strings.Fields(m[1])...)
	}
	if want := jsapi.Methods(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("yunxinim.js METHODS differs from the Go table:\n got %v\nwant %v", got, want)
	}
	for _, kind := range []string{"account", "message", "session"} {
		if strings.Contains(loaderJS, "'"+kind+"'") || strings.Contains(loaderJS, kind+": [") {
			t.Errorf("yunxinim.js names the listener kind %q itself", kind)
		}
	}
}
