package jx_test

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"

	"yunxin/internal/jx"
	"yunxin/internal/jx/jxgen"
)

// inner and all cover every kind jx has; gen_test.go holds their tables.
type inner struct {
	A string `json:"a"`
	N int    `json:"n,omitempty"`
}

// embed's fields are all's, but for S: all's own S wins.
type embed struct {
	E string `json:"e,omitempty"`
	S string `json:"s"`
	P *int   `json:"ep"`
}

type all struct {
	embed
	S          string            `json:"s"`
	SO         string            `json:"so,omitempty"`
	B          bool              `json:"b"`
	BO         bool              `json:"bo,omitempty"`
	I          int               `json:"i"`
	IO         int               `json:"io,omitempty"`
	I64        int64             `json:"i64,omitempty"`
	U          uint64            `json:"u,omitempty"`
	F          float64           `json:"f"`
	FO         float64           `json:"fo,omitempty"`
	R          json.RawMessage   `json:"r,omitempty"`
	R2         json.RawMessage   `json:"r2"`
	A          any               `json:"any,omitempty"`
	In         inner             `json:"in"`
	P          *inner            `json:"p,omitempty"`
	PS         *string           `json:"ps"`
	PI         *int              `json:"pi,omitempty"`
	PB         *bool             //
	L          []inner           `json:"l"`
	LS         []string          `json:"ls,omitempty"`
	LI         []int64           `json:"li"`
	PF         *float64          `json:"pf,omitempty"`
	LP         []*inner          `json:"lp,omitempty"`
	LR         []json.RawMessage `json:"lr,omitempty"`
	MS         map[string]string `json:"ms,omitempty"`
	MI         map[string]int64  `json:"mi"`
	NoTag      string
	Skip       string `json:"-"`
	Dash       string `json:"-,"`
	unexported string
}

func TestJXGen(t *testing.T) {
	jxgen.Check(t, "gen_test.go", reflect.TypeFor[all]())
}

// same checks that jx decodes data as json.Unmarshal does into a new all,
// and that jx.Marshal of the result is json.Marshal's.
func same(t *testing.T, data []byte) {
	t.Helper()
	var want, got all
	errW := json.Unmarshal(data, &want)
	errG := jx.Unmarshal(data, &got)
	if (errW == nil) != (errG == nil) {
		t.Fatalf("%q: json.Unmarshal: %v, jx.Unmarshal: %v", data, errW, errG)
	}
	if errW != nil {
		return
	}
	if !reflect.DeepEqual(want, got) {
		t.Fatalf("%q:\njson.Unmarshal: %#v\njx.Unmarshal:   %#v", data, want, got)
	}
	sameMarshal(t, &want)
}

func sameMarshal(t *testing.T, v *all) {
	t.Helper()
	jw, errW := json.Marshal(v)
	jg, errG := jx.Marshal(v)
	if (errW == nil) != (errG == nil) || errW == nil && !bytes.Equal(jw, jg) {
		t.Fatalf("json.Marshal: %s %v\njx.Marshal:   %s %v", jw, errW, jg, errG)
	}
}

var seeds = []string{
	`{}`, `null`, ` {"s":"x"} `, `{"s":"a\"b\\c\/d\b\f\n\r\t\u0001\u001f<>&\u2028\u2029é😀"}`,
	`{"s":"\ud83d\ude00 \ud83d x \udc00 \ud83d\u0041"}`, "{\"s\":\"\xff\xfe ok \xe2\x80\xa8\"}",
	`{"S":"fold","B":true,"i":-42,"IO":7,"i64":9007199254740993,"u":18446744073709551615}`,
	`{"f":1e-7,"fo":1e21,"any":{"x":[1,"a",true,null,{"y":-0.5}]}}`, `{"f":123456789012345678901234}`,
	`{"f":0.000001,"fo":-1e-6}`, `{"f":1.5e300}`, `{"f":1e400}`, `{"i":1.0}`, `{"i":1e2}`, `{"i":-0}`,
	`{"u":-1}`, `{"i":9223372036854775808}`, `{"r":{"a" : [1, 2,{"<":"&\u2028"}] },"r2":"x"}`,
	`{"r":null,"r2":null,"p":null,"ps":null,"l":null,"ms":null}`, "{\"r\":\"\xe2\x80\xa9<\"}",
	`{"e":"x","ep":3,"pf":1.5}`, `{"e":"x","ep":null,"pf":null}`, `{"embed":{"e":"y"}}`,
	`{"in":{"a":"x","n":3,"zz":[{}]},"p":{"a":"y"},"ps":"s","pi":0,"PB":false}`,
	`{"l":[{"a":"1"},{"n":2}],"ls":["a","b"],"li":[1,-2],"lp":[null,{"a":"q"}],"lr":[1,"x",{"a":[]}]}`,
	`{"l":[],"ls":[],"li":[],"lp":[],"ms":{},"mi":{}}`, `{"ms":{"b":"2","a":"<1>"},"mi":{"z":1,"a":-1}}`,
	`{"l":[{"a":"1","n":5}],"l":[{"a":"2"}]}`, `{"NoTag":"x","Skip":"y","-":"z","unexported":"u"}`,
	`{"s":1}`, `{"b":"x"}`, `{"l":{}}`, `{"in":[]}`, `{"s":"x"`, `{"s" "x"}`, `{"s":"x",}`, `[1,]`,
	`{"s":"\x"}`, "{\"s\":\"a\nb\"}", `{"s":"\u12"}`, `tru`, `{"any":nul}`, `{"a":1}x`, `{"i":01}`,
	`{"i":-}`, `{"f":1.}`, `{"f":1e}`, `{"f":.5}`, `{"r":[1 2]}`, `{"lr":[,]}`, `"str"`, `[]`, ``, ` `,
	`{"ms":{"a":1}}`, `{"mi":{"a":"1"}}`, `{"any":18446744073709551616}`, `{"S":"a","s":"b"}`,
	`{"s":"b","S":"a"}`, `{"Ms":{"k":"v"}}`, `{"any":"\ud800"}`, `{"in":{"A":"k","N":1}}`,
	strings.Repeat(`{"any":`, 10001) + `1` + strings.Repeat(`}`, 10001),
	strings.Repeat(`[`, 20) + strings.Repeat(`]`, 20),
}

func TestUnmarshalMarshal(t *testing.T) {
	for _, s := range seeds {
		same(t, []byte(s))
	}
}

func FuzzUnmarshalMarshal(f *testing.F) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) { same(t, data) })
}

// TestMarshalValues covers what decoding cannot produce: NaN and
// infinities, empty and invalid raw values, nil and empty fields, the
// dynamic types an `any` may hold.
func TestMarshalValues(t *testing.T) {
	s := "p"
	for _, v := range []all{
		{}, {F: math.NaN()}, {FO: math.Inf(1)}, {F: math.Inf(-1)},
		{R: json.RawMessage{}}, {R2: json.RawMessage{}}, {R: json.RawMessage(`{"a":1`)}, {R2: json.RawMessage(` 1 `)},
		{R: json.RawMessage(`"\u003c<"`)}, {A: 3}, {A: int64(-4)}, {A: &inner{A: "v"}},
		{A: (*all)(nil)}, {A: []any{nil, "x", 1.5, map[string]any{"b": true, "a": nil}}}, {A: map[string]any(nil)},
		{PS: &s, LS: []string{}, L: []inner{}, LP: []*inner{nil}, MS: map[string]string{}, MI: map[string]int64{}},
		{F: -0.0, FO: 5e-324}, {F: math.MaxFloat64}, {F: 1e20}, {F: 1e21}, {F: 123.456e-10},
	} {
		sameMarshal(t, &v)
	}
}

func TestRawMapAndSlice(t *testing.T) {
	for _, s := range []string{`{"b":1,"a":"<x>","c":{ "d" : [ ] }}`, `null`, `{}`, `{"a":1`, `[]`, `{"a":1}x`} {
		var want, got map[string]json.RawMessage
		errW := json.Unmarshal([]byte(s), &want)
		errG := jx.UnmarshalRawMap([]byte(s), &got)
		if (errW == nil) != (errG == nil) || errW == nil && !reflect.DeepEqual(want, got) {
			t.Fatalf("%s: json %v %v, jx %v %v", s, want, errW, got, errG)
		}
		if errW != nil {
			continue
		}
		jw, _ := json.Marshal(want)
		jg, _ := jx.MarshalRawMap(got)
		if !bytes.Equal(jw, jg) {
			t.Fatalf("%s: json %s, jx %s", s, jw, jg)
		}
	}
	for _, s := range []string{`[1,"a",{"b":[]}]`, `[]`, `null`, `[1,]`, `{}`} {
		var want, got []json.RawMessage
		errW := json.Unmarshal([]byte(s), &want)
		errG := jx.UnmarshalRawSlice([]byte(s), &got)
		if (errW == nil) != (errG == nil) || errW == nil && !reflect.DeepEqual(want, got) {
			t.Fatalf("%s: json %v %v, jx %v %v", s, want, errW, got, errG)
		}
	}
	for _, s := range []string{"a<b>&\u2028\x01\xff", ""} {
		jw, _ := json.Marshal(s)
		if jg := jx.MarshalString(s); !bytes.Equal(jw, jg) {
			t.Fatalf("%q: json %s, jx %s", s, jw, jg)
		}
	}
}

func TestCompact(t *testing.T) {
	for _, s := range []string{` { "a" : [ 1 , "x y<&>\u2028" ] } `, `1`, ` "s" `, `{`, `1 2`, ``, "\"\xe2\x80\xa8\""} {
		var want bytes.Buffer
		errW := json.Compact(&want, []byte(s))
		got, errG := jx.Compact([]byte("pre"), []byte(s))
		if (errW == nil) != (errG == nil) || errW == nil && "pre"+want.String() != string(got) {
			t.Fatalf("%q: json %q %v, jx %q %v", s, want.String(), errW, got, errG)
		}
	}
}
