//go:build js && wasm

// Package catch runs functions and returns panic values as errors instead.
package catch

import (
	"errors"
	"syscall/js"

	"github.com/hack-pad/safejs/internal/stackerr"
)

// Try runs fn and returns the result. If fn panicked, the panic value is returned as an error instead.
func Try[Result any](fn func() Result) (result Result, err error) {
	defer recoverErr(&err)
	result = fn()
	return
}

// TrySideEffect is like Try, but does not have a return value.
func TrySideEffect(fn func()) (err error) {
	defer recoverErr(&err)
	fn()
	return
}

func recoverErr(err *error) {
	value := recover()
	valueErr := recoverValueToError(value)
	if valueErr != nil {
		*err = stackerr.WithStack(valueErr)
	}
}

func recoverValueToError(value any) error {
	if value == nil {
		return nil
	}
	switch value := value.(type) {
	case error:
		return value
	case js.Value:
		return js.Error{Value: value}
	default:
		// yunxin patch: upstream returns fmt.Errorf("%+v", value); panicText
		// gives the same text for the strings syscall/js panics with.
		return errors.New(panicText(value))
	}
}

// panicText is the text fmt's "%+v" gives a recovered panic value that is
// neither an error nor a js.Value, for the one kind that occurs here: the
// strings syscall/js (and this package) panic with. yunxin patch: keeps fmt,
// and with it reflect, out of the wasm. Other values, which only fmt's
// reflection could print, get a fixed text; matching fmt for numbers and
// Stringers as well cost 2 KB of brotli'd wasm for values nothing panics
// with.
func panicText(value any) string {
	if s, ok := value.(string); ok {
		return s
	}
	return "panic with a value that is neither an error nor a string"
}
