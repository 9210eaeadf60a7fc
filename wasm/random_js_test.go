//go:build js && wasm

package main

import (
	"bytes"
	"testing"
)

// TestWebRandom: the Web Crypto reader fills buffers larger than one
// getRandomValues call, and two reads differ.
func TestWebRandom(t *testing.T) {
	read := webRandom()
	if read == nil {
		t.Fatal("webRandom: no crypto in the browser")
	}
	a, b := make([]byte, 3*maxRandomChunk+5), make([]byte, 3*maxRandomChunk+5)
	if err := read(a); err != nil {
		t.Fatal(err)
	}
	if err := read(b); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a, b) {
		t.Fatal("two reads are equal")
	}
	// The tail (past the last full chunk) is filled too.
	if bytes.Equal(a[3*maxRandomChunk:], make([]byte, 5)) && bytes.Equal(b[3*maxRandomChunk:], make([]byte, 5)) {
		t.Fatal("tail not filled")
	}
}
