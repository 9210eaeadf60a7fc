package jx

import (
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// maxDepth is json.Unmarshal's nesting limit.
const maxDepth = 10000

// decoder reads one JSON text, b, from i.
type decoder struct {
	b     []byte
	i     int
	depth int
}

func (d *decoder) syntax(what string) error {
	if d.i >= len(d.b) {
		return &Error{Msg: "unexpected end of JSON input", Offset: d.i}
	}
	return &Error{Msg: "invalid character " + strconv.QuoteRune(rune(d.b[d.i])) + " " + what, Offset: d.i}
}

func (d *decoder) mismatch(what string, t *Type) error {
	return &Error{Msg: "cannot unmarshal " + what + " into Go value of type " + t.Name, Offset: d.i}
}

func (d *decoder) space() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// literal consumes lit if it is next.
func (d *decoder) literal(lit string) bool {
	if len(d.b)-d.i >= len(lit) && string(d.b[d.i:d.i+len(lit)]) == lit {
		d.i += len(lit)
		return true
	}
	return false
}

// value decodes the value at i into the value of Type t at p.
func (d *decoder) value(t *Type, p unsafe.Pointer) error {
	if d.i >= len(d.b) {
		return d.syntax("")
	}
	c := d.b[d.i]
	if c == 'n' {
		if !d.literal("null") {
			return d.syntax("in literal null (expecting 'u')")
		}
		switch t.Kind { // null leaves other kinds as they are
		case KPtr, KMapString, KMapInt64:
			*(*unsafe.Pointer)(p) = nil
		case KSlice:
			*(*sliceHeader)(p) = sliceHeader{}
		case KAny:
			*(*any)(p) = nil
		case KValue:
			*(*Value)(p) = nil
		case KRaw:
			*(*[]byte)(p) = append((*(*[]byte)(p))[:0], "null"...)
		}
		return nil
	}
	switch t.Kind {
	case KValue:
		return &Error{Msg: "cannot unmarshal into an interface of type jx.Value", Offset: d.i}
	case KRaw:
		raw, err := d.raw()
		if err != nil {
			return err
		}
		*(*[]byte)(p) = append((*(*[]byte)(p))[:0], raw...)
		return nil
	case KAny:
		v, err := d.any()
		if err != nil {
			return err
		}
		*(*any)(p) = v
		return nil
	case KPtr:
		q := *(*unsafe.Pointer)(p)
		if q == nil {
			q = t.Ops(p, 0)
		}
		return d.value(t.Elem, q)
	}
	switch c {
	case '"':
		if t.Kind != KString {
			return d.mismatch("string", t)
		}
		s, err := d.str()
		if err != nil {
			return err
		}
		*(*string)(p) = s
		return nil
	case 't', 'f':
		if t.Kind != KBool {
			return d.mismatch("bool", t)
		}
		switch {
		case d.literal("true"):
			*(*bool)(p) = true
		case d.literal("false"):
			*(*bool)(p) = false
		default:
			return d.syntax("in literal true or false")
		}
		return nil
	case '{':
		switch t.Kind {
		case KStruct:
			return d.object(func(key string) error {
				if f := t.field(key); f != nil {
					return d.value(f.Type, unsafe.Add(p, f.Off))
				}
				return d.skip()
			})
		case KMapString, KMapInt64:
			return d.mapValue(t, p)
		}
		return d.mismatch("object", t)
	case '[':
		if t.Kind != KSlice {
			return d.mismatch("array", t)
		}
		// Count the elements, size the slice once, decode into it.
		start, n := d.i, 0
		if err := d.array(func() error { n++; return d.skip() }); err != nil {
			return err
		}
		d.i = start
		data, i := t.Ops(p, n), uintptr(0)
		return d.array(func() error {
			err := d.value(t.Elem, unsafe.Add(data, i*t.Size))
			i++
			return err
		})
	}
	if c == '-' || c >= '0' && c <= '9' {
		return d.number(t, p)
	}
	return d.syntax("looking for beginning of value")
}

// field returns t's field for key: the one named key, or else the first
// whose name equals key case-insensitively, as json.Unmarshal matches.
func (t *Type) field(key string) *Field {
	for i := range t.Fields {
		if t.Fields[i].Name == key {
			return &t.Fields[i]
		}
	}
	for i := range t.Fields {
		if strings.EqualFold(t.Fields[i].Name, key) {
			return &t.Fields[i]
		}
	}
	return nil
}

func (d *decoder) number(t *Type, p unsafe.Pointer) error {
	start := d.i
	if err := d.skipNumber(); err != nil {
		return err
	}
	lit := string(d.b[start:d.i])
	switch t.Kind {
	case KInt, KInt64:
		n, err := strconv.ParseInt(lit, 10, 64)
		if err != nil {
			return d.mismatch("number "+lit, t)
		}
		if t.Kind == KInt {
			*(*int)(p) = int(n)
		} else {
			*(*int64)(p) = n
		}
	case KUint64:
		n, err := strconv.ParseUint(lit, 10, 64)
		if err != nil {
			return d.mismatch("number "+lit, t)
		}
		*(*uint64)(p) = n
	case KFloat64:
		f, err := strconv.ParseFloat(lit, 64)
		if err != nil {
			return d.mismatch("number "+lit, t)
		}
		*(*float64)(p) = f
	default:
		return d.mismatch("number", t)
	}
	return nil
}

// mapValue decodes an object into a map[string]string or
// map[string]int64, making it if it is nil; keys already in it stay.
func (d *decoder) mapValue(t *Type, p unsafe.Pointer) error {
	if t.Kind == KMapString {
		m := (*map[string]string)(p)
		if *m == nil {
			*m = map[string]string{}
		}
		return d.object(func(key string) error {
			var s string
			err := d.value(String, unsafe.Pointer(&s))
			(*m)[key] = s
			return err
		})
	}
	m := (*map[string]int64)(p)
	if *m == nil {
		*m = map[string]int64{}
	}
	return d.object(func(key string) error {
		var n int64
		err := d.value(Int64, unsafe.Pointer(&n))
		(*m)[key] = n
		return err
	})
}

// object reads an object, calling member with each key once i is at its
// value; member must read the value.
func (d *decoder) object(member func(key string) error) error {
	if d.i >= len(d.b) || d.b[d.i] != '{' {
		return d.syntax("looking for beginning of object")
	}
	if d.depth++; d.depth > maxDepth {
		return &Error{Msg: "exceeded max depth", Offset: d.i}
	}
	d.i++
	d.space()
	if d.i < len(d.b) && d.b[d.i] == '}' {
		d.i++
		d.depth--
		return nil
	}
	for {
		if d.i >= len(d.b) || d.b[d.i] != '"' {
			return d.syntax("looking for beginning of object key string")
		}
		key, err := d.str()
		if err != nil {
			return err
		}
		d.space()
		if d.i >= len(d.b) || d.b[d.i] != ':' {
			return d.syntax("after object key")
		}
		d.i++
		d.space()
		if err := member(key); err != nil {
			return err
		}
		d.space()
		if d.i >= len(d.b) {
			return d.syntax("")
		}
		switch d.b[d.i] {
		case ',':
			d.i++
			d.space()
		case '}':
			d.i++
			d.depth--
			return nil
		default:
			return d.syntax("after object key:value pair")
		}
	}
}

// array reads an array, calling elem once i is at each element; elem must
// read it.
func (d *decoder) array(elem func() error) error {
	if d.depth++; d.depth > maxDepth {
		return &Error{Msg: "exceeded max depth", Offset: d.i}
	}
	d.i++
	d.space()
	if d.i < len(d.b) && d.b[d.i] == ']' {
		d.i++
		d.depth--
		return nil
	}
	for {
		if err := elem(); err != nil {
			return err
		}
		d.space()
		if d.i >= len(d.b) {
			return d.syntax("")
		}
		switch d.b[d.i] {
		case ',':
			d.i++
			d.space()
		case ']':
			d.i++
			d.depth--
			return nil
		default:
			return d.syntax("after array element")
		}
	}
}

// raw reads any value and returns its bytes (a slice of the input).
func (d *decoder) raw() ([]byte, error) {
	start := d.i
	if err := d.skip(); err != nil {
		return nil, err
	}
	return d.b[start:d.i], nil
}

// skip reads and validates any value.
func (d *decoder) skip() error {
	if d.i >= len(d.b) {
		return d.syntax("")
	}
	switch c := d.b[d.i]; {
	case c == '{':
		return d.object(func(string) error { return d.skip() })
	case c == '[':
		return d.array(d.skip)
	case c == '"':
		return d.skipString()
	case c == '-' || c >= '0' && c <= '9':
		return d.skipNumber()
	case c == 't':
		if d.literal("true") {
			return nil
		}
	case c == 'f':
		if d.literal("false") {
			return nil
		}
	case c == 'n':
		if d.literal("null") {
			return nil
		}
	default:
		return d.syntax("looking for beginning of value")
	}
	return d.syntax("in literal")
}

// any reads a value as json.Unmarshal into an `any` does.
func (d *decoder) any() (any, error) {
	if d.i >= len(d.b) {
		return nil, d.syntax("")
	}
	switch c := d.b[d.i]; {
	case c == '{':
		m := map[string]any{}
		err := d.object(func(key string) error {
			v, err := d.any()
			m[key] = v
			return err
		})
		return m, err
	case c == '[':
		a := []any{}
		err := d.array(func() error {
			v, err := d.any()
			a = append(a, v)
			return err
		})
		return a, err
	case c == '"':
		return d.str()
	case c == '-' || c >= '0' && c <= '9':
		var f float64
		err := d.number(Float64, unsafe.Pointer(&f))
		return f, err
	case d.literal("true"):
		return true, nil
	case d.literal("false"):
		return false, nil
	case d.literal("null"):
		return nil, nil
	}
	return nil, d.syntax("looking for beginning of value")
}

// skipNumber reads and validates a number.
func (d *decoder) skipNumber() error {
	b, i := d.b, d.i
	if b[i] == '-' {
		i++
	}
	digits := func() bool {
		s := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i > s
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case !digits():
		d.i = i
		return d.syntax("in numeric literal")
	}
	if i < len(b) && b[i] == '.' {
		i++
		if !digits() {
			d.i = i
			return d.syntax("after decimal point in numeric literal")
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if !digits() {
			d.i = i
			return d.syntax("in exponent of numeric literal")
		}
	}
	d.i = i
	return nil
}

// skipString reads and validates a string.
func (d *decoder) skipString() error {
	_, err := d.scanString()
	return err
}

// scanString validates the string at i, moves i past it and reports
// whether it has escapes or bytes that are not valid UTF-8 (and so needs
// unquoting).
func (d *decoder) scanString() (plain bool, err error) {
	b := d.b
	plain = true
	for j := d.i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			d.i = j + 1
			return plain, nil
		case c < 0x20:
			d.i = j
			return false, d.syntax("in string literal")
		case c == '\\':
			plain = false
			j++
			if j == len(b) {
				d.i = j
				return false, d.syntax("")
			}
			switch b[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				for k := 1; k <= 4; k++ {
					if j+k >= len(b) {
						d.i = len(b)
						return false, d.syntax("")
					}
					if h := b[j+k]; !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
						d.i = j + k
						return false, d.syntax("in \\u hexadecimal character escape")
					}
				}
				j += 4
			default:
				d.i = j
				return false, d.syntax("in string escape code")
			}
		case c >= utf8.RuneSelf:
			plain = false
		}
	}
	d.i = len(b)
	return false, d.syntax("")
}

// str reads a string and returns its value.
func (d *decoder) str() (string, error) {
	start := d.i
	plain, err := d.scanString()
	if err != nil {
		return "", err
	}
	s := d.b[start+1 : d.i-1]
	if plain || utf8.Valid(s) && !hasBackslash(s) {
		return string(s), nil
	}
	return unquote(s), nil
}

func hasBackslash(s []byte) bool {
	for _, c := range s {
		if c == '\\' {
			return true
		}
	}
	return false
}

// unquote returns the value of a validated string's contents s, as
// json.Unmarshal does: escapes decoded, a lone surrogate and each invalid
// UTF-8 byte as U+FFFD.
func unquote(s []byte) string {
	out := make([]byte, 0, len(s)+8)
	for i := 0; i < len(s); {
		c := s[i]
		if c == '\\' {
			switch e := s[i+1]; e {
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				r := getu4(s[i+2:])
				i += 6
				if utf16.IsSurrogate(r) {
					if i+6 <= len(s) && s[i] == '\\' && s[i+1] == 'u' {
						if dec := utf16.DecodeRune(r, getu4(s[i+2:])); dec != utf8.RuneError {
							out = utf8.AppendRune(out, dec)
							i += 6
							continue
						}
					}
					r = utf8.RuneError
				}
				out = utf8.AppendRune(out, r)
				continue
			default: // " \ /
				out = append(out, e)
			}
			i += 2
			continue
		}
		if c < utf8.RuneSelf {
			out = append(out, c)
			i++
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && size == 1 {
			out = utf8.AppendRune(out, utf8.RuneError)
		} else {
			out = append(out, s[i:i+size]...)
		}
		i += size
	}
	return string(out)
}

// getu4 decodes four validated hex digits.
func getu4(s []byte) rune {
	var r rune
	for _, c := range s[:4] {
		switch {
		case c <= '9':
			c -= '0'
		case c <= 'F':
			c -= 'A' - 10
		default:
			c -= 'a' - 10
		}
		r = r<<4 | rune(c)
	}
	return r
}
