package proto

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"yunxin/internal/jx"
)

// frameSeeds are frames of every shape, valid and not, for the fast path
// and for encoding/json's.
var frameSeeds = []string{
	`{"id":7,"code":200,"d":{"msgs":[{"id":"a","body":{"text":"hi \"there\" \u00e9\n"},"seq":3}],"more":true}}`,
	`{"op":"msg","d":{"a":[1,-2.5e3,0,0.5,true,false,null,"",{}],"b":[]}}`,
	`{"id":1,"op":"login","d":{"account":"alice","token":"t"}}`,
	`{"id":9,"code":414,"msg":"bad parameter: account"}`,
	` { "id" : 3 , "d" : null } `,
	`{}`, `{"d":"x"}`, `{"d":123}`, `{"d":-0}`, `{"d":1e5}`, `{"d":1E+5}`, `{"d":[[[[]]]]}`,
	`{"id":18446744073709551615}`, `{"id":1234567890123456789}`, `{"id":-1}`, `{"id":1.0}`, `{"id":"5"}`, `{"id":null}`,
	`{"code":-5}`, `{"code":01}`, `{"ID":4}`, `{"Op":"x"}`, `{"other":1,"id":2}`, `{"id":1,"id":2}`,
	`{"op":"a\"b"}`, `{"msg":"\u003c"}`, `{"op":"é"}`, "{\"op\":\"\xff\"}", "{\"d\":\"\xff\"}",
	`{"d":{"a":1,}}`, `{"d":[1,]}`, `{"d":[1 2]}`, `{"d":{"a" 1}}`, `{"d":{1:2}}`, `{"d":tru}`, `{"d":nul}`,
	`{"d":"a\x"}`, `{"d":"\u12"}`, `{"d":"\u12g4"}`, "{\"d\":\"a\tb\"}", `{"d":01}`, `{"d":1.}`, `{"d":.5}`, `{"d":1e}`, `{"d":-}`,
	`{"d":{}`, `{"d":[}`, `{"id":1`, `{"id":1}x`, `{"id":1} `, `[]`, `null`, ``, `  `, `{"id":1,}`, `{,}`, `{"d"}`,
	`{"d":` + strings.Repeat("[", 600) + strings.Repeat("]", 600) + `}`,
}

// TestDecodeFrameAsEncodingJSON: DecodeFrame reads every seed as
// json.Unmarshal does (the fuzz target, run on the seeds by go test).
func TestDecodeFrameAsEncodingJSON(t *testing.T) {
	for _, s := range frameSeeds {
		checkDecodeFrame(t, []byte(s))
	}
	// The fast path takes the common shapes (else the speed-up is lost).
	for _, s := range frameSeeds[:5] {
		if _, ok, _ := decodeFrame([]byte(s)); !ok {
			t.Errorf("%s went to encoding/json", s)
		}
	}
}

func FuzzDecodeFrame(f *testing.F) {
	for _, s := range frameSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkDecodeFrame(t, b) })
}

func checkDecodeFrame(t *testing.T, b []byte) {
	t.Helper()
	var want Frame
	werr := json.Unmarshal(b, &want)
	got, gerr := DecodeFrame(bytes.Clone(b))
	if (werr == nil) != (gerr == nil) {
		t.Fatalf("%q: DecodeFrame error %v, encoding/json's %v", b, gerr, werr)
	}
	if werr != nil {
		return
	}
	if got.ID != want.ID || got.Op != want.Op || got.Code != want.Code || got.Msg != want.Msg ||
		!bytes.Equal(got.Data, want.Data) || (got.Data == nil) != (want.Data == nil) {
		t.Fatalf("%q: DecodeFrame %+v (d %s), encoding/json %+v (d %s)", b, got, got.Data, want, want.Data)
	}
}

// TestAppendFrameAsEncodingJSON: AppendFrame writes what json.Marshal
// writes for frames whose Data is compact and has no <, > or & (which
// json.Marshal would escape in it too).
func TestAppendFrameAsEncodingJSON(t *testing.T) {
	for _, f := range []Frame{
		{}, {ID: 1}, {Op: "msg", Data: jx.RawMessage(`{"a":"b \"c\" \u003c"}`)}, {ID: 5, Code: 200, Data: jx.RawMessage(`[1,2]`)},
		{ID: 5, Code: 414, Msg: "bad parameter: account"}, {Code: -1, Msg: `a"b\c` + "\n<é>\u2028"}, {Op: "x&y"},
		{ID: 18446744073709551615, Op: "send", Code: 500, Msg: "m", Data: jx.RawMessage(`null`)},
	} {
		want, err := json.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		got := AppendFrame([]byte("prefix"), f)
		if string(got) != "prefix"+string(want) {
			t.Errorf("AppendFrame %+v = %s, json.Marshal %s", f, got[6:], want)
		}
		back, err := DecodeFrame(got[6:])
		if err != nil || back.ID != f.ID || back.Op != f.Op || back.Code != f.Code || back.Msg != f.Msg || !bytes.Equal(back.Data, f.Data) {
			t.Errorf("DecodeFrame(AppendFrame(%+v)) = %+v, %v", f, back, err)
		}
	}
}

// BenchmarkDecodeFrame: a pull-sized reply, DecodeFrame against
// json.Unmarshal.
func BenchmarkDecodeFrame(b *testing.B) {
	var msgs []string
	for i := 0; len(strings.Join(msgs, ",")) < 200<<10; i++ {
		msgs = append(msgs, `{"id":"m`+strings.Repeat("x", 20)+`","from":"alice","type":0,"body":{"text":"offline message from alice \"quoted\""},"seq":12,"t":1764300000000}`)
	}
	frame := []byte(`{"id":42,"code":200,"d":{"msgs":[` + strings.Join(msgs, ",") + `],"more":true}}`)
	b.Run("DecodeFrame", func(b *testing.B) {
		b.SetBytes(int64(len(frame)))
		for b.Loop() {
			if _, err := DecodeFrame(frame); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		b.SetBytes(int64(len(frame)))
		for b.Loop() {
			var f Frame
			if err := json.Unmarshal(frame, &f); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestMarshalsAsIs: what json.Marshal copies (valid, compact, nothing it
// escapes) and what it rewrites or refuses. core's FuzzMessageJSON
// compares the encoders built on it with json.Marshal.
func TestMarshalsAsIs(t *testing.T) {
	for s, want := range map[string]bool{
		`{"text":"你好","n":[1,-2.5e+3,true,null]}`: true,
		`"a b\"c\\d\u00e9"`:                       true,
		"\"\xff\"":                                true, // invalid UTF-8: copied as it is
		`{"a": 1}`:                                false,
		` 1`:                                      false,
		`"<"`:                                     false,
		`"&amp;"`:                                 false,
		"\"\u2028\"":                              false,
		`{"a":01}`:                                false,
		`1 2`:                                     false,
		``:                                        false,
	} {
		if got := MarshalsAsIs([]byte(s)); got != want {
			t.Errorf("MarshalsAsIs(%q) = %v, want %v", s, got, want)
		}
		if want {
			j, err := json.Marshal(jx.RawMessage(s))
			if err != nil || string(j) != s {
				t.Errorf("json.Marshal(%q) = %q, %v: not as it is", s, j, err)
			}
		}
	}
}
