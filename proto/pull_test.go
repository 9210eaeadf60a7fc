package proto

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"yunxin/internal/jx"
)

// pullSeeds are pull replies of every shape, valid and not, for the fast
// path and for encoding/json's.
var pullSeeds = []string{
	`{"msgs":[{"sid":"s1","cid":"c1","conv":"p:a|b","seq":3,"from":"a","to":"b","ct":0,"type":0,"body":{"text":"hi"},"time":1700000000123,"fct":16,"nick":"A"}],"more":true}`,
	`{"msgs":[{"cid":"c2","to":"t1","ct":1,"type":5,"body":{"type":5,"x":[1,2,{"y":null}]},"ext":{"k":"v"},"seq":9,"revoked":true,"trc":true,"trr":2,"tru":7}],"more":false,"floors":{"t:t1":4,"t:t2":0}}`,
	`{"msgs":[],"more":false}`,
	` { "msgs" : [ { "cid" : "c" , "to" : "b" , "ct" : 0 , "type" : 0 , "body" : { } } ] , "more" : true } `,
	`{"msgs":[{"cid":"é","to":"b","ct":0,"type":0,"body":{"text":"\u00e9 \"q\""}}]}`,
	`{}`, `{"more":true}`, `{"floors":{}}`, `{"floors":{"a":1},"floors":{"b":2}}`, `{"msgs":[{"cid":"a"}],"msgs":[]}`,
	`{"msgs":null}`, `{"floors":null}`, `{"msgs":[null]}`, `{"msgs":[{"body":null}]}`, `{"msgs":[{"body":"x"}]}`, `{"msgs":[{"body":1}]}`,
	`{"msgs":[{"ext":[]}]}`, `{"msgs":[{"seq":-0}]}`, `{"msgs":[{"seq":1e2}]}`, `{"msgs":[{"seq":1.5}]}`, `{"msgs":[{"seq":"1"}]}`,
	`{"msgs":[{"seq":12345678901234567890}]}`, `{"msgs":[{"ct":01}]}`, `{"msgs":[{"Seq":1}]}`, `{"MSGS":[]}`, `{"msgs":[{"other":1}]}`,
	`{"msgs":[{"cid":"a\"b"}]}`, "{\"msgs\":[{\"cid\":\"\xff\"}]}", "{\"msgs\":[{\"body\":{\"t\":\"\xff\"}}]}", "{\"floors\":{\"\xff\":1}}",
	`{"msgs":[{"revoked":tru}]}`, `{"msgs":[{"revoked":null}]}`, `{"msgs":[{"revoked":1}]}`, `{"more":false,"more":true}`,
	`{"msgs":[{},]}`, `{"msgs":[{}{}]}`, `{"msgs":[{"cid":"a",}]}`, `{"msgs":[{"cid" "a"}]}`, `{"msgs":[`, `{"msgs":[{}]`, `{"msgs":[]}x`,
	`{"floors":{"a":1.5}}`, `{"floors":{"a":"1"}}`, `[]`, `null`, ``, `{"msgs":[{"body":{"a":1,}}]}`,
}

// TestPullDecodeAsEncodingJSON: PullResp.Decode reads every seed as
// json.Unmarshal does (the fuzz target, run on the seeds by go test).
func TestPullDecodeAsEncodingJSON(t *testing.T) {
	for _, s := range pullSeeds {
		checkPullDecode(t, []byte(s))
	}
	// The fast path takes the server's shapes (else the speed-up is lost).
	for _, s := range pullSeeds[:4] {
		if _, ok := decodePull([]byte(s)); !ok {
			t.Errorf("%s went to encoding/json", s)
		}
	}
	// A reply as the server writes it.
	var r PullResp
	for i := 0; i < 3; i++ {
		r.Msgs = append(r.Msgs, Msg{ServerID: "s", ClientID: "c" + string(rune('a'+i)), Conv: "p:a|b", Seq: int64(i + 1), From: "a", To: "b",
			Body: jx.RawMessage(`{"text":"hi"}`), Time: 1700000000000, FromClient: 16, Nick: "A"})
	}
	r.More, r.Floors = true, map[string]int64{"t:x": 3}
	b, _ := json.Marshal(r)
	if _, ok := decodePull(b); !ok {
		t.Errorf("the server's reply %s went to encoding/json", b)
	}
	checkPullDecode(t, b)
}

func FuzzPullDecode(f *testing.F) {
	for _, s := range pullSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkPullDecode(t, b) })
}

func checkPullDecode(t *testing.T, b []byte) {
	t.Helper()
	var want, got PullResp
	werr := json.Unmarshal(b, &want)
	gerr := got.Decode(bytes.Clone(b))
	if (werr == nil) != (gerr == nil) {
		t.Fatalf("%q: Decode error %v, encoding/json's %v", b, gerr, werr)
	}
	if werr == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: Decode gave %+v, encoding/json %+v", b, got, want)
	}
}

func BenchmarkPullDecode(b *testing.B) {
	var r PullResp
	for i := 0; i < MaxPull; i++ {
		r.Msgs = append(r.Msgs, Msg{ServerID: "1234567", ClientID: "0f8fad5b-d9cb-469f-a165-70867728950e", Conv: "p:alice|bob", Seq: int64(i + 1),
			From: "bob", To: "alice", Body: jx.RawMessage(`{"text":"offline message from bob, number ` + string(rune('0'+i%10)) + `"}`),
			Time: 1700000000000 + int64(i), FromClient: 16, Nick: "Bob"})
	}
	data, _ := json.Marshal(r)
	b.Run("encoding/json", func(b *testing.B) {
		for range b.N {
			var p PullResp
			if err := json.Unmarshal(data, &p); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Decode", func(b *testing.B) {
		for range b.N {
			var p PullResp
			if err := p.Decode(data); err != nil {
				b.Fatal(err)
			}
		}
	})
}
