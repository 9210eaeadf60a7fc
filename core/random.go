package core

import (
	"encoding/binary"
	"math/rand/v2"
	"sync/atomic"
)

// randomSource fills its argument with cryptographically strong random
// bytes. Natively it is crypto/rand (random_native.go); in the browser the
// wasm main installs the Web Crypto getRandomValues with SetRandomSource, so
// that the browser build does not link crypto/rand and math/big.
var randomSource atomic.Pointer[func([]byte) error]

// SetRandomSource installs read as the source of the random bytes core uses
// for message ids, device ids and the reconnect jitter. read must fill the
// whole slice or return an error; it may be called from any goroutine. Call
// it before creating a Client. Without a source (or when it fails) core falls
// back to math/rand/v2's generator, which the Go runtime seeds from the
// platform's random source: ids stay unique but are not meant as secrets
// (none of core's ids is one: message and device ids are identifiers, the
// login token is the credential).
func SetRandomSource(read func([]byte) error) {
	if read == nil {
		randomSource.Store(nil)
		return
	}
	randomSource.Store(&read)
}

// randomBytes fills b from the installed source, or from the fallback when
// none is installed or it fails. It never panics.
func randomBytes(b []byte) {
	if p := randomSource.Load(); p != nil && (*p)(b) == nil {
		return
	}
	for i := 0; i < len(b); i += 8 {
		var w [8]byte
		binary.LittleEndian.PutUint64(w[:], rand.Uint64())
		copy(b[i:], w[:])
	}
}

// randomBelow returns a random integer in [0, n) (0 when n <= 0). It reduces
// a 64-bit random number modulo n: for the n core uses (under 2^31) the bias
// is below 2^-32, irrelevant for a reconnect jitter.
func randomBelow(n int64) int64 {
	if n <= 0 {
		return 0
	}
	var b [8]byte
	randomBytes(b[:])
	return int64(binary.LittleEndian.Uint64(b[:]) % uint64(n))
}
