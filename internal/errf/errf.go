// Package errf formats errors as fmt.Errorf does, for the verbs the SDK's
// browser packages use, without fmt: fmt (with the reflect it uses) is
// about 70 KB of the wasm's brotli size, and nothing else there needs it.
//
// The verbs are %s, %v, %q, %d and %w (any number of %w, as fmt.Errorf),
// and %% ; the arguments are strings, errors, values with a String method,
// integers, booleans and float64s. A verb or argument outside those is
// written as fmt writes a bad verb (%!v(…)), so a mistake shows in the
// message instead of panicking. TestErrorf compares it with fmt.Errorf.
package errf

import (
	"errors"
	"strconv"
)

// Errorf returns an error whose message is format with its verbs replaced
// by args; %w wraps its argument (errors.Is and errors.As see it).
func Errorf(format string, args ...any) error {
	var b []byte
	var wrapped []error
	n := 0
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' {
			b = append(b, c)
			continue
		}
		if i+1 == len(format) {
			b = append(b, "%!(NOVERB)"...)
			continue
		}
		i++
		verb := format[i]
		if verb == '%' {
			b = append(b, '%')
			continue
		}
		if n >= len(args) {
			b = append(b, "%!"...)
			b = append(b, verb)
			b = append(b, "(MISSING)"...)
			continue
		}
		a := args[n]
		n++
		if verb == 'w' {
			if err, ok := a.(error); ok {
				wrapped = append(wrapped, err)
				verb = 'v'
			}
		}
		b = appendArg(b, verb, a)
	}
	if n < len(args) {
		b = append(b, "%!(EXTRA "...)
		for i, a := range args[n:] {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = append(b, typeName(a)...)
			b = append(b, '=')
			b = appendArg(b, 'v', a)
		}
		b = append(b, ')')
	}
	switch len(wrapped) {
	case 0:
		return errors.New(string(b))
	case 1:
		return &wrapError{string(b), wrapped[0]}
	}
	return &wrapErrors{string(b), wrapped}
}

// appendArg appends a formatted as verb.
func appendArg(b []byte, verb byte, a any) []byte {
	var s string
	switch v := a.(type) {
	case nil:
		if verb == 's' || verb == 'v' {
			return append(b, "%!"+string(verb)+"(<nil>)"...)
		}
	case error:
		s = v.Error()
	case interface{ String() string }:
		s = v.String()
	case string:
		s = v
	case int:
		return appendInt(b, verb, int64(v), a)
	case int64:
		return appendInt(b, verb, v, a)
	case int32:
		return appendInt(b, verb, int64(v), a)
	case uint64:
		if verb == 'd' || verb == 'v' {
			return strconv.AppendUint(b, v, 10)
		}
	case bool:
		if verb == 'v' {
			return strconv.AppendBool(b, v)
		}
	case float64:
		if verb == 'v' {
			return strconv.AppendFloat(b, v, 'g', -1, 64)
		}
	}
	if s != "" || isStringy(a) {
		switch verb {
		case 's', 'v':
			return append(b, s...)
		case 'q':
			return strconv.AppendQuote(b, s)
		}
	}
	return badVerb(b, verb, a)
}

func isStringy(a any) bool {
	switch a.(type) {
	case string, error, interface{ String() string }:
		return true
	}
	return false
}

func appendInt(b []byte, verb byte, n int64, a any) []byte {
	switch verb {
	case 'd', 'v':
		return strconv.AppendInt(b, n, 10)
	case 'q':
		return strconv.AppendQuoteRune(b, rune(n))
	}
	return badVerb(b, verb, a)
}

// badVerb writes what fmt writes for a verb that does not suit its
// argument, %!verb(type=value), as near as errf can.
func badVerb(b []byte, verb byte, a any) []byte {
	b = append(b, '%', '!', verb, '(')
	b = append(b, typeName(a)...)
	b = append(b, '=')
	b = appendArg(b, 'v', a)
	return append(b, ')')
}

func typeName(a any) string {
	switch a.(type) {
	case string:
		return "string"
	case int:
		return "int"
	case int64:
		return "int64"
	case int32:
		return "int32"
	case uint64:
		return "uint64"
	case bool:
		return "bool"
	case float64:
		return "float64"
	}
	return "?"
}

type wrapError struct {
	msg string
	err error
}

func (e *wrapError) Error() string { return e.msg }
func (e *wrapError) Unwrap() error { return e.err }

type wrapErrors struct {
	msg  string
	errs []error
}

func (e *wrapErrors) Error() string   { return e.msg }
func (e *wrapErrors) Unwrap() []error { return e.errs }
