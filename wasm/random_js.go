//go:build js && wasm

package main

import (
	"errors"

	"github.com/hack-pad/safejs"
)

// maxRandomChunk is the most bytes crypto.getRandomValues fills per call.
const maxRandomChunk = 65536

// webRandom returns a reader of the Web Crypto getRandomValues, or nil when
// the page has no crypto object (core then uses its fallback).
func webRandom() func([]byte) error {
	crypto, err := safejs.Global().Get("crypto")
	if err != nil || crypto.Type() != safejs.TypeObject {
		return nil
	}
	u8, err := safejs.Global().Get("Uint8Array")
	if err != nil {
		return nil
	}
	return func(b []byte) error {
		for len(b) > 0 {
			n := min(len(b), maxRandomChunk)
			arr, err := u8.New(n)
			if err != nil {
				return err
			}
			if _, err := crypto.Call("getRandomValues", arr); err != nil {
				return err
			}
			got, err := safejs.CopyBytesToGo(b[:n], arr)
			if err != nil {
				return err
			}
			if got != n {
				return errors.New("crypto.getRandomValues: short read")
			}
			b = b[n:]
		}
		return nil
	}
}
