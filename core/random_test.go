package core

import (
	"errors"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// TestRandomFallback: without a source, or with a failing one, ids are still
// random and distinct, and nothing panics.
func TestRandomFallback(t *testing.T) {
	saved := randomSource.Load()
	defer randomSource.Store(saved)
	for _, src := range []func([]byte) error{nil, func([]byte) error { return errors.New("no crypto") }} {
		SetRandomSource(src)
		seen := map[string]bool{}
		for i := 0; i < 1000; i++ {
			id := newID()
			if len(id) != 32 || seen[id] {
				t.Fatalf("newID = %q (len %d, seen %v)", id, len(id), seen[id])
			}
			seen[id] = true
		}
	}
}

// TestRandomSourceUsed: an installed source is what ids come from.
func TestRandomSourceUsed(t *testing.T) {
	saved := randomSource.Load()
	defer randomSource.Store(saved)
	SetRandomSource(func(b []byte) error {
		for i := range b {
			b[i] = 0xab
		}
		return nil
	})
	if id := newID(); id != "abababababababababababababababab" {
		t.Fatalf("newID = %q", id)
	}
}

// TestMessageIDsSortByTime: a message id is 32 hex digits, the first 12
// the time in ms, the rest from the random source; ids made later sort
// after, whatever their random part.
func TestMessageIDsSortByTime(t *testing.T) {
	saved := randomSource.Load()
	defer randomSource.Store(saved)
	fill := byte(0xff)
	SetRandomSource(func(b []byte) error {
		for i := range b {
			b[i] = fill
		}
		return nil
	})
	before := time.Now().UnixMilli()
	first := NewMessageID()
	after := time.Now().UnixMilli()
	if len(first) != 32 || first[12:] != "ffffffffffffffffffff" {
		t.Fatalf("NewMessageID = %q", first)
	}
	ms, err := strconv.ParseInt(first[:12], 16, 64)
	if err != nil || ms < before || ms > after {
		t.Fatalf("time part of %q: %d, %v; want %d–%d", first, ms, err, before, after)
	}
	for time.Now().UnixMilli() <= ms {
		runtime.Gosched() // until the clock is past first's ms
	}
	fill = 0 // a smaller random part, a later time
	second := NewMessageID()
	if second <= first {
		t.Fatalf("a later id %q does not sort after %q", second, first)
	}
}

// TestRandomBackoffRange: the jitter keeps Backoff within ±10% and varies.
func TestRandomBackoffRange(t *testing.T) {
	for n, base := range []time.Duration{1600, 3200, 6400, 8000, 8000} {
		base *= time.Millisecond
		seen := map[time.Duration]bool{}
		for i := 0; i < 200; i++ {
			d := Backoff(n)
			if d < base-base/10 || d >= base+base/10 {
				t.Fatalf("Backoff(%d) = %v, want within ±10%% of %v", n, d, base)
			}
			seen[d] = true
		}
		if len(seen) < 100 {
			t.Fatalf("Backoff(%d): only %d distinct values in 200", n, len(seen))
		}
	}
	if randomBelow(0) != 0 || randomBelow(-5) != 0 {
		t.Fatal("randomBelow(<=0) != 0")
	}
}
