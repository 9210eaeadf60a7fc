package server

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"yunxin/internal/jx"
	"yunxin/proto"
)

// The fast path takes a body only when it is what the slow path
// (decodeTextBody) would store, and answers what it answers.
func TestPlainTextBodyAsSlowPath(t *testing.T) {
	bodies := []string{
		`{"text":"hi"}`, `{"text":"你好, world"}`, `{"text":"emoji 😀"}`, `{"text":""}`, `{"text":"   "}`,
		`{"text":"a\"b"}`, `{"text":"a\\b"}`, `{"text":"a\nb"}`, `{"text":"<b>&"}`, "{\"text\":\"a\u2028b\"}",
		"{\"text\":\"bad \xff byte\"}", `{"text":"x","more":1}`, `{"text": "spaced"}`, `{"text":"x"} `, `{"text":1}`,
		`{"text":"\u00e9"}`, `{"text":"é"}`, "{\"text\":\"del \x7f\"}", `{"text":"` + strings.Repeat("长", 5001) + `"}`,
		`{"text":"` + strings.Repeat("a", 5000) + `"}`, `{"text":"tab	x"}`, `{"text":"}"}`, `{"text":"x"}}`,
	}
	fast := 0
	for _, b := range bodies {
		raw := jx.RawMessage(b)
		want, werr := decodeTextBody(raw)
		got, gerr := checkTextBody(raw)
		if (werr == nil) != (gerr == nil) || !bytes.Equal(got, want) {
			t.Errorf("%q: got %q, %v; want %q, %v", b, got, gerr, want, werr)
		}
		if _, ok := plainTextBody(raw); ok {
			fast++
			if want != nil && !bytes.Equal(raw, want) {
				t.Errorf("%q taken by the fast path, but stored as %q", b, want)
			}
		}
	}
	if fast < 8 {
		t.Errorf("only %d bodies took the fast path", fast)
	}
}

// itemSizeBound is above the JSON's length, for the worst bytes.
func TestItemSizeBound(t *testing.T) {
	worst := strings.Repeat("<\x01\xff\u2028", 50)
	body, _ := json.Marshal(map[string]string{"text": worst})
	m := proto.Msg{ServerID: "9223372036854775807", ClientID: worst, Conv: worst, From: worst, To: worst, Nick: worst,
		Body: body, Ext: jx.RawMessage(`{"k":"<<<>>>&&&"}`), Seq: math.MaxInt64, Time: math.MaxInt64,
		ChatType: math.MinInt64, Type: math.MinInt64, FromClient: math.MinInt64, Revoked: true, TeamReceipt: true,
		ReceiptRead: math.MinInt64, ReceiptUnread: math.MinInt64}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if n := itemSizeBound(&m); n <= len(b) {
		t.Fatalf("bound %d, JSON %d bytes", n, len(b))
	}
	empty := proto.Msg{ServerID: "9223372036854775807", Seq: math.MaxInt64, Time: math.MaxInt64, ChatType: math.MinInt64,
		Type: math.MinInt64, FromClient: math.MinInt64, Revoked: true, TeamReceipt: true, ReceiptRead: math.MinInt64,
		ReceiptUnread: math.MinInt64, Body: jx.RawMessage(`{}`)}
	if b, _ = json.Marshal(empty); itemSizeBound(&empty) <= len(b) {
		t.Fatalf("bound %d, JSON %d bytes", itemSizeBound(&empty), len(b))
	}
}
