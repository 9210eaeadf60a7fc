// Package jx encodes and decodes the SDK's JSON without reflection.
//
// encoding/json finds a type's fields with reflect at run time; in the
// browser build that, with fmt, which it imports, was about a fifth of the
// wasm. jx reads them from tables instead: each struct type the SDK
// encodes or decodes has a Type, generated from the type by jxgen (in the
// package's jx_gen.go, checked by a test in the package), listing its JSON
// fields with their offsets. Marshal and Unmarshal walk those tables.
//
// Marshal writes byte for byte what json.Marshal writes for the same value
// (keys in field order, omitempty, HTML-safe string escapes, RawMessage
// compacted, map keys sorted, floats as json.Marshal formats them); the
// package's tests compare the two on fuzzed values.
//
// Unmarshal decodes as json.Unmarshal does into the same value, but stops
// at the first error (json.Unmarshal goes on past a value of the wrong
// type and reports it at the end), so that on an error the value may hold
// part of the input; and a JSON value decoded into an `any` that holds a
// pointer replaces it (json.Unmarshal decodes into the pointer).
//
// Keys match fields exactly first, then case-insensitively, as there.
package jx

import (
	"unsafe"
)

// Kind says how a Type is encoded and decoded.
type Kind uint8

// The kinds. Each names the Go type whose memory a Type of that kind
// describes.
const (
	KString    Kind = iota + 1 // string
	KBool                      // bool
	KInt                       // int
	KInt64                     // int64
	KUint64                    // uint64
	KFloat64                   // float64
	KRaw                       // json.RawMessage (any []byte written and read as raw JSON)
	KAny                       // any
	KStruct                    // a struct: Fields
	KPtr                       // *T: Elem is T's Type, Ops allocates a T
	KSlice                     // []T: Elem is T's Type, Size T's size, Ops grows the slice
	KMapString                 // map[string]string
	KMapInt64                  // map[string]int64
	KValue                     // Value (encoded only)
)

// Type describes the JSON of one Go type. Tables are generated (jxgen);
// the basic kinds have one shared Type each (String, Int, …).
type Type struct {
	Kind   Kind
	Name   string  // the Go type's name, for errors
	Fields []Field // KStruct: the JSON fields, in the order json.Marshal writes them
	Elem   *Type   // KPtr, KSlice: the element's Type
	Size   uintptr // KSlice: the element's size
	// Ops, for KPtr: allocates a new element, stores its address at p and
	// returns it (PtrOps). For KSlice: sets the slice's length (SliceOps).
	Ops func(p unsafe.Pointer, n int) unsafe.Pointer
}

// Field is one JSON field of a struct.
type Field struct {
	Name string  // the JSON key
	Key  string  // the JSON key as written before the value: "name":
	Off  uintptr // the field's offset in the struct
	Type *Type
	Omit bool // omitempty
}

// The shared Types of the basic kinds.
var (
	String    = &Type{Kind: KString, Name: "string"}
	Bool      = &Type{Kind: KBool, Name: "bool"}
	Int       = &Type{Kind: KInt, Name: "int"}
	Int64     = &Type{Kind: KInt64, Name: "int64"}
	Uint64    = &Type{Kind: KUint64, Name: "uint64"}
	Float64   = &Type{Kind: KFloat64, Name: "float64"}
	Raw       = &Type{Kind: KRaw, Name: "json.RawMessage"}
	Any       = &Type{Kind: KAny, Name: "interface {}"}
	MapString = &Type{Kind: KMapString, Name: "map[string]string"}
	MapInt64  = &Type{Kind: KMapInt64, Name: "map[string]int64"}
	ValueType = &Type{Kind: KValue, Name: "jx.Value"}
	Strings   = &Type{Kind: KSlice, Name: "[]string", Elem: String, Size: unsafe.Sizeof(""), Ops: SliceOps[string]}
	RawSlice  = &Type{Kind: KSlice, Name: "[]json.RawMessage", Elem: Raw, Size: unsafe.Sizeof([]byte(nil)), Ops: SliceOps[[]byte]}
	Int64s    = &Type{Kind: KSlice, Name: "[]int64", Elem: Int64, Size: 8, Ops: SliceOps[int64]}
	PtrString = &Type{Kind: KPtr, Name: "*string", Elem: String, Ops: PtrOps[string]}
	PtrBool   = &Type{Kind: KPtr, Name: "*bool", Elem: Bool, Ops: PtrOps[bool]}
	PtrInt    = &Type{Kind: KPtr, Name: "*int", Elem: Int, Ops: PtrOps[int]}
	PtrInt64  = &Type{Kind: KPtr, Name: "*int64", Elem: Int64, Ops: PtrOps[int64]}
	PtrFloat  = &Type{Kind: KPtr, Name: "*float64", Elem: Float64, Ops: PtrOps[float64]}
)

// SliceOps is a []T's Type.Ops: it sets the slice at p to n elements and
// returns the address of the first (an empty slice is not nil). Like
// json.Unmarshal, it keeps the elements within the slice's capacity, so
// that an array decodes into them; past the capacity the slice is a new
// one holding copies of them, then zeros.
func SliceOps[T any](p unsafe.Pointer, n int) unsafe.Pointer {
	s := (*[]T)(p)
	switch {
	case n <= cap(*s) && *s != nil:
		*s = (*s)[:n]
	default:
		t := make([]T, n)
		copy(t, (*s)[:cap(*s)])
		*s = t
	}
	return unsafe.Pointer(unsafe.SliceData(*s))
}

// PtrOps is a *T's Type.Ops: stores a new T's address at p and returns it.
func PtrOps[T any](p unsafe.Pointer, _ int) unsafe.Pointer {
	v := new(T)
	*(**T)(p) = v
	return unsafe.Pointer(v)
}

// Value is a value jx can encode and decode: a pointer to a struct with a
// generated table. JX returns the table and the pointer (nil for a nil
// pointer).
type Value interface {
	JX() (*Type, unsafe.Pointer)
}

// TypeOf returns v's table.
func TypeOf(v Value) *Type {
	t, _ := v.JX()
	return t
}

// Error is an encoding or decoding error.
type Error struct {
	Msg    string
	Offset int // decoding: the input's byte offset where it was found
}

func (e *Error) Error() string { return "jx: " + e.Msg }

// Marshal returns v's JSON: what json.Marshal(v) returns.
func Marshal(v Value) ([]byte, error) {
	return Append(nil, v)
}

// Append appends v's JSON to b.
func Append(b []byte, v Value) ([]byte, error) {
	t, p := v.JX()
	if p == nil {
		return append(b, "null"...), nil
	}
	var e encoder
	b = e.value(b, t, p)
	if e.err != nil {
		return b, e.err
	}
	return b, nil
}

// Unmarshal decodes the JSON b into v.
func Unmarshal(b []byte, v Value) error {
	t, p := v.JX()
	if p == nil {
		return &Error{Msg: "Unmarshal(nil " + t.Name + ")"}
	}
	return Decode(b, t, p)
}

// Decode decodes the JSON b into the value of Type t at p.
func Decode(b []byte, t *Type, p unsafe.Pointer) error {
	d := decoder{b: b}
	d.space()
	if err := d.value(t, p); err != nil {
		return err
	}
	d.space()
	if d.i != len(d.b) {
		return d.syntax("after top-level value")
	}
	return nil
}

// MarshalString returns s's JSON: what json.Marshal(s) returns.
func MarshalString(s string) []byte { return AppendString(nil, s) }

// UnmarshalString decodes the JSON b, a string, into s.
func UnmarshalString(b []byte, s *string) error { return Decode(b, String, unsafe.Pointer(s)) }

// UnmarshalStrings decodes the JSON b, an array of strings, into s.
func UnmarshalStrings(b []byte, s *[]string) error { return Decode(b, Strings, unsafe.Pointer(s)) }

// UnmarshalRawSlice decodes the JSON b, an array, into s, one raw value
// per element (json.RawMessage's layout is []byte's).
func UnmarshalRawSlice[R ~[]byte](b []byte, s *[]R) error {
	return Decode(b, RawSlice, unsafe.Pointer(s))
}

// UnmarshalRawMap decodes the JSON b, an object, into *m, one raw value
// per key, as json.Unmarshal into a map[string]json.RawMessage: a nil *m
// is made, and keys already in it stay.
func UnmarshalRawMap[M ~map[string]R, R ~[]byte](b []byte, m *M) error {
	d := decoder{b: b}
	d.space()
	if d.literal("null") {
		*m = nil
	} else {
		if *m == nil {
			*m = M{}
		}
		err := d.object(func(key string) error {
			raw, err := d.raw()
			(*m)[key] = R(raw)
			return err
		})
		if err != nil {
			return err
		}
	}
	d.space()
	if d.i != len(d.b) {
		return d.syntax("after top-level value")
	}
	return nil
}

// MarshalRawMap returns m's JSON: what json.Marshal(m) returns.
func MarshalRawMap[M ~map[string]R, R ~[]byte](m M) ([]byte, error) {
	var e encoder
	b := appendMap(nil, m, func(b []byte, r R) []byte { return e.raw(b, r) })
	return b, e.err
}

// MarshalAny returns the JSON of v, a value of one of the dynamic types an
// `any` field may hold (see Marshal): what json.Marshal(v) returns.
func MarshalAny(v any) ([]byte, error) {
	var e encoder
	b := e.any(nil, v)
	return b, e.err
}

// Valid reports whether b is one JSON value, as json.Valid does.
func Valid(b []byte) bool {
	d := decoder{b: b}
	d.space()
	if d.skip() != nil {
		return false
	}
	d.space()
	return d.i == len(b)
}

// RawMessage is a raw JSON value, as encoding/json's RawMessage (the SDK's
// wire and cache types use this one so that the browser build does not
// link encoding/json): jx writes it as it is (compacted) and reads any
// value into it, and its MarshalJSON and UnmarshalJSON make encoding/json
// (the server, tests) treat it as it treats a json.RawMessage.
type RawMessage []byte

// MarshalJSON returns m, or null for nil: json.RawMessage's.
func (m RawMessage) MarshalJSON() ([]byte, error) {
	if m == nil {
		return []byte("null"), nil
	}
	return m, nil
}

// UnmarshalJSON sets *m to a copy of data: json.RawMessage's.
func (m *RawMessage) UnmarshalJSON(data []byte) error {
	if m == nil {
		return &Error{Msg: "RawMessage: UnmarshalJSON on nil pointer"}
	}
	*m = append((*m)[0:0], data...)
	return nil
}

// SkipValue validates the JSON value that starts at b[i] (no whitespace
// before it) and returns the index after it.
func SkipValue(b []byte, i int) (int, error) {
	d := decoder{b: b, i: i}
	err := d.skip()
	return d.i, err
}
