package errf

import (
	"errors"
	"fmt"
	"io"
	"testing"
)

type stringer struct{}

func (stringer) String() string { return "str\"ing" }

func TestErrorf(t *testing.T) {
	base := errors.New("base")
	for _, c := range []struct {
		format string
		args   []any
	}{
		{"plain", nil},
		{"stored session %q: %w", []any{"p2p-a\n", base}},
		{"%s: %v (%d of %d) %q", []any{"op", base, 3, int64(-4), stringer{}}},
		{"malformed record (j is %s)", []any{stringer{}}},
		{"100%% %v %v %v %v", []any{true, 1.5, uint64(7), int32(2)}},
		{"%w and %w", []any{base, io.EOF}},
		{"%d", []any{"x"}},
		{"%q", []any{3}},
		{"missing %s %d", []any{"a"}},
		{"extra", []any{"a", 1}},
		{"trailing %", nil},
	} {
		want := fmt.Errorf(c.format, c.args...)
		got := Errorf(c.format, c.args...)
		if got.Error() != want.Error() {
			t.Errorf("%q %v: got %q, fmt.Errorf %q", c.format, c.args, got, want)
		}
		for _, a := range c.args {
			if e, ok := a.(error); ok && errors.Is(want, e) != errors.Is(got, e) {
				t.Errorf("%q: errors.Is(%v): got %v", c.format, e, errors.Is(got, e))
			}
		}
	}
}
