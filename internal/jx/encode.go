package jx

import (
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
	"unsafe"
)

// encoder writes values by their tables; err is the first error.
type encoder struct {
	err   error
	depth int
}

// sliceHeader is a slice's memory.
type sliceHeader struct {
	data unsafe.Pointer
	len  int
	cap  int
}

// maxEncodeDepth stops a cycle of pointers (json.Marshal's limit is the
// same kind of guard).
const maxEncodeDepth = 1000

func (e *encoder) fail(msg string) {
	if e.err == nil {
		e.err = &Error{Msg: msg}
	}
}

// value appends the JSON of the value of Type t at p.
func (e *encoder) value(b []byte, t *Type, p unsafe.Pointer) []byte {
	switch t.Kind {
	case KString:
		return AppendString(b, *(*string)(p))
	case KBool:
		if *(*bool)(p) {
			return append(b, "true"...)
		}
		return append(b, "false"...)
	case KInt:
		return strconv.AppendInt(b, int64(*(*int)(p)), 10)
	case KInt64:
		return strconv.AppendInt(b, *(*int64)(p), 10)
	case KUint64:
		return strconv.AppendUint(b, *(*uint64)(p), 10)
	case KFloat64:
		return e.float(b, *(*float64)(p))
	case KRaw:
		return e.raw(b, *(*[]byte)(p))
	case KAny:
		return e.any(b, *(*any)(p))
	case KValue:
		return e.any(b, *(*Value)(p))
	case KStruct:
		e.depth++
		if e.depth > maxEncodeDepth {
			e.fail("encoding " + t.Name + ": too deep (a cycle?)")
			return b
		}
		b = append(b, '{')
		first := true
		for i := range t.Fields {
			f := &t.Fields[i]
			fp := unsafe.Add(p, f.Off)
			if f.Omit && empty(f.Type, fp) {
				continue
			}
			if first {
				b = append(b, f.Key...)
				first = false
			} else {
				b = append(b, ',')
				b = append(b, f.Key...)
			}
			b = e.value(b, f.Type, fp)
		}
		e.depth--
		return append(b, '}')
	case KPtr:
		q := *(*unsafe.Pointer)(p)
		if q == nil {
			return append(b, "null"...)
		}
		return e.value(b, t.Elem, q)
	case KSlice:
		s := (*sliceHeader)(p)
		if s.data == nil {
			return append(b, "null"...)
		}
		b = append(b, '[')
		for i := 0; i < s.len; i++ {
			if i > 0 {
				b = append(b, ',')
			}
			b = e.value(b, t.Elem, unsafe.Add(s.data, uintptr(i)*t.Size))
		}
		return append(b, ']')
	case KMapString:
		return appendMap(b, *(*map[string]string)(p), AppendString)
	case KMapInt64:
		return appendMap(b, *(*map[string]int64)(p), func(b []byte, n int64) []byte { return strconv.AppendInt(b, n, 10) })
	}
	e.fail("encoding " + t.Name + ": unknown kind")
	return b
}

// appendMap appends m as json.Marshal does: null for nil, else an object
// with the keys sorted, each value written by value.
func appendMap[M ~map[string]V, V any](b []byte, m M, value func([]byte, V) []byte) []byte {
	if m == nil {
		return append(b, "null"...)
	}
	b = append(b, '{')
	for i, k := range sortedKeys(m) {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendString(b, k)
		b = append(b, ':')
		b = value(b, m[k])
	}
	return append(b, '}')
}

func sortedKeys[M ~map[string]V, V any](m M) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// empty reports whether omitempty leaves out the value of Type t at p:
// false, 0, "", and a nil pointer, interface or empty slice or map.
func empty(t *Type, p unsafe.Pointer) bool {
	switch t.Kind {
	case KString:
		return len(*(*string)(p)) == 0
	case KBool:
		return !*(*bool)(p)
	case KInt:
		return *(*int)(p) == 0
	case KInt64:
		return *(*int64)(p) == 0
	case KUint64:
		return *(*uint64)(p) == 0
	case KFloat64:
		return *(*float64)(p) == 0
	case KRaw, KSlice:
		return (*sliceHeader)(p).len == 0
	case KAny:
		return *(*any)(p) == nil
	case KValue:
		return *(*Value)(p) == nil
	case KPtr:
		return *(*unsafe.Pointer)(p) == nil
	case KMapString:
		return len(*(*map[string]string)(p)) == 0
	case KMapInt64:
		return len(*(*map[string]int64)(p)) == 0
	}
	return false
}

// float appends f as json.Marshal does: the shortest representation, in
// exponent form below 1e-6 and from 1e21, with a one-digit exponent where
// it fits (1e-7, not 1e-07). NaN and ±Inf are an error.
func (e *encoder) float(b []byte, f float64) []byte {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		e.fail("unsupported value: " + strconv.FormatFloat(f, 'g', -1, 64))
		return b
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// any appends v, an `any` field's value, as json.Marshal does for the
// dynamic types the SDK puts there: nil, a Value, the JSON types that
// json.Unmarshal puts in an `any`, and ints; any other is an error.
func (e *encoder) any(b []byte, v any) []byte {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...)
	case Value:
		t, p := v.JX()
		if p == nil {
			return append(b, "null"...)
		}
		return e.value(b, t, p)
	case string:
		return AppendString(b, v)
	case bool:
		return e.value(b, Bool, unsafe.Pointer(&v))
	case float64:
		return e.float(b, v)
	case int:
		return strconv.AppendInt(b, int64(v), 10)
	case int64:
		return strconv.AppendInt(b, v, 10)
	case map[string]any:
		return appendMap(b, v, e.any)
	case []any:
		if v == nil {
			return append(b, "null"...)
		}
		b = append(b, '[')
		for i, x := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = e.any(b, x)
		}
		return append(b, ']')
	}
	e.fail("encoding an interface value of a type without a table")
	return b
}

// raw appends r, a json.RawMessage, as json.Marshal does: null for nil,
// otherwise compacted, with <, >, &, U+2028 and U+2029 escaped in its
// strings; invalid JSON is an error.
func (e *encoder) raw(b []byte, r []byte) []byte {
	if r == nil {
		return append(b, "null"...)
	}
	out, err := appendCompact(b, r, true)
	if err != nil {
		e.fail("json.RawMessage: " + err.Error())
		return b
	}
	return out
}

// Compact appends src, one JSON value, to dst without insignificant
// whitespace, as json.Compact does.
func Compact(dst, src []byte) ([]byte, error) { return appendCompact(dst, src, false) }

// appendCompact appends src, one JSON value, without whitespace outside
// its strings and, with escape, with <, >, &, U+2028 and U+2029 in its
// strings escaped; it fails when src is not one JSON value.
func appendCompact(b, r []byte, escape bool) ([]byte, error) {
	d := decoder{b: r}
	d.space()
	if err := d.skip(); err != nil {
		return b, err
	}
	d.space()
	if d.i != len(r) {
		return b, d.syntax("after top-level value")
	}
	start := 0
	for i := 0; i < len(r); i++ {
		switch c := r[i]; c {
		case '"':
			for i++; r[i] != '"'; i++ {
				switch c := r[i]; {
				case c == '\\':
					i++
				case !escape:
				case c == '<' || c == '>' || c == '&':
					b = append(b, r[start:i]...)
					b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
					start = i + 1
				case c == 0xE2 && i+2 < len(r) && r[i+1] == 0x80 && r[i+2]&^1 == 0xA8:
					b = append(b, r[start:i]...)
					b = append(b, '\\', 'u', '2', '0', '2', hex[r[i+2]&0xF])
					i += 2
					start = i + 1
				}
			}
		case ' ', '\t', '\n', '\r':
			b = append(b, r[start:i]...)
			start = i + 1
		}
	}
	return append(b, r[start:]...), nil
}

const hex = "0123456789abcdef"

// AppendString appends s as a JSON string, as json.Marshal writes it:
// ", \ and control characters escaped (\b \f \n \r \t or \u00XX), <, > and
// & as \u003c \u003e \u0026, U+2028 and U+2029 as \u2028 \u2029, and each
// byte of invalid UTF-8 as \ufffd.
func AppendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
