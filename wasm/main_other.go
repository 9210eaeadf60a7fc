//go:build !(js && wasm)

package main

import (
	"fmt"
	"os"
)

// main explains itself when the package is built for anything but the
// browser, so that `go build ./...` works natively.
func main() {
	fmt.Fprintln(os.Stderr, "this is the browser SDK: build it with `make sdk` (GOOS=js GOARCH=wasm)")
	os.Exit(2)
}
