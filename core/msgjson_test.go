package core

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"yunxin/internal/jx"
	"yunxin/proto"
)

// checkAppendJSON compares appendJSON, v's hand-written encoder, with
// json.Marshal on v: the same bytes, or both failing.
func checkAppendJSON(t *testing.T, v any, appendJSON func([]byte) ([]byte, error)) {
	t.Helper()
	want, werr := json.Marshal(v)
	got, gerr := appendJSON([]byte("prefix"))
	if (werr != nil) != (gerr != nil) {
		t.Fatalf("%+v: json.Marshal error %v, AppendJSON error %v", v, werr, gerr)
	}
	if werr == nil && !bytes.Equal(got, append([]byte("prefix"), want...)) {
		t.Fatalf("%+v:\nAppendJSON   %s\njson.Marshal %s", v, got[6:], want)
	}
}

func TestMessageJSON(t *testing.T) {
	full := Message{ID: "m1", SK: "p2p-bob", SessionID: "bob", ChatType: 1, ServerID: "9", Seq: 7, From: "bob",
		Type: 2, Body: jx.RawMessage(`{"content":"你好 <b>","n":[1,-2.5e+3,true,false,null,{}]}`), Ext: jx.RawMessage(`{"a":"\u2028"}`),
		LocalExt: jx.RawMessage(`[]`), Time: 1700000000000, State: 2, Outgoing: true, FromClient: 16, Deleted: true,
		DL: 3, Played: true, Nick: "鲍勃\u2028", Black: true, TeamReceipt: true, ReceiptRead: 1, ReceiptUnread: -2, ReceiptSent: true}
	for _, m := range []Message{
		{},
		{Body: jx.RawMessage{}}, // empty non-nil body: json.Marshal fails
		{Body: jx.RawMessage(`{"content":"hi"}`)},     // the common text
		{Body: jx.RawMessage(`{ "content" : "hi" }`)}, // whitespace: compacted
		{Body: jx.RawMessage(`{"content":"a&b"}`)},    // escaped
		{Body: jx.RawMessage("\"\xe2\x80\xa8\"")},     // U+2028: escaped
		{Body: jx.RawMessage("\"\xff\"")},             // invalid UTF-8: copied
		{Body: jx.RawMessage(`{"a":01}`)},             // invalid
		{Body: jx.RawMessage(`{"a":1}x`)},             // trailing bytes
		{Body: jx.RawMessage(strings.Repeat("[", 100) + strings.Repeat("]", 100))},
		{Body: jx.RawMessage(`1`), Paths: map[string]string{"path": "blob:x", "a": "<"}},
		full,
	} {
		checkAppendJSON(t, &m, m.AppendJSON)
	}
	// The common message takes the hand-written path.
	for _, r := range []string{`{"content":"你好"}`, `{"content":"hi","attach":{"url":"https://x/y?a=1","size":-1.5E-3}}`, `[]`, `"s\n\u00e9"`} {
		if !rawSafe(jx.RawMessage(r), true) {
			t.Errorf("rawSafe(%s) = false, want true", r)
		}
	}
}

// FuzzMessageJSON: AppendJSON writes what json.Marshal writes (or fails
// where it fails), for any strings, numbers, flags and raw values.
func FuzzMessageJSON(f *testing.F) {
	f.Add("m1", "bob", "鲍勃", []byte(`{"content":"hi"}`), []byte(`{"k":[1,2]}`), []byte(""), int64(7), 3, uint8(0))
	f.Add("<&>", "\x01\"\\", "\xff", []byte(` {"a" : "b"} `), []byte(`"\u00"`), []byte(`nul`), int64(-1), -5, uint8(255))
	f.Fuzz(func(t *testing.T, id, from, nick string, body, ext, lext []byte, seq int64, n int, flags uint8) {
		m := Message{ID: id, SK: "p2p-" + from, SessionID: from, ChatType: n, ServerID: nick, Seq: seq, From: from,
			Type: n * 3, Ext: ext, LocalExt: lext, Time: seq * 1000, State: n, Outgoing: flags&1 != 0, FromClient: n,
			Deleted: flags&2 != 0, DL: int(flags & 3), Played: flags&4 != 0, Nick: nick, Black: flags&8 != 0,
			TeamReceipt: flags&16 != 0, ReceiptRead: n, ReceiptUnread: int(seq), ReceiptSent: flags&32 != 0}
		if flags&64 == 0 {
			m.Body = body
		}
		if flags&128 != 0 {
			m.Paths = map[string]string{id: nick}
		}
		checkAppendJSON(t, &m, m.AppendJSON)
	})
}

// TestMessageJSONFields fails when the fields Message.AppendJSON and
// MessageEvent.AppendJSON write by hand change: update them (and this
// test).
func TestMessageJSONFields(t *testing.T) {
	for _, c := range []struct {
		v    any
		want string
	}{
		{Message{}, "id sk sid ct srv,omitempty seq,omitempty from type body ext,omitempty lext,omitempty t st out,omitempty fct,omitempty del,omitempty paths,omitempty dl,omitempty played,omitempty nick,omitempty black,omitempty trc,omitempty trr,omitempty tru,omitempty trs,omitempty"},
		{MessageView{}, "messageId session sessionId sessionType chatType from serverID remoteExt localExt timestamp deliveryState attachmentDownloadState isReceivedMsg isOutgoingMsg isPlayed isDeleted isRemoteRead isTeamReceiptSended teamReceiptInfo,omitempty senderName senderClientType isBlackListed body seq"},
		{SessionRef{}, "sessionId chatType"},
		{TeamReceiptInfo{}, "readCount unreadCount"},
		{MessageEvent{}, "eventType message,omitempty messages,omitempty receipts,omitempty urlString,omitempty progress,omitempty notification,omitempty success,omitempty code,omitempty msg,omitempty"},
	} {
		var got []string
		typ := reflect.TypeOf(c.v)
		for i := 0; i < typ.NumField(); i++ {
			got = append(got, typ.Field(i).Tag.Get("json"))
		}
		if strings.Join(got, " ") != c.want {
			t.Errorf("%T's JSON fields are\n%s\nits hand-written encoder writes\n%s\nupdate it (and this test)", c.v, strings.Join(got, " "), c.want)
		}
	}
}

func TestMessageEventJSON(t *testing.T) {
	m := Message{ID: "m1", SK: "p2p-bob", SessionID: "bob", Seq: 3, From: "bob", Body: jx.RawMessage(`{"text":"hi"}`), Time: 5, Nick: "鲍勃"}
	tm := Message{ID: "m2", SK: "team-1", SessionID: "1", ChatType: 1, From: "me", Outgoing: true, TeamReceipt: true, ReceiptRead: 2, ReceiptUnread: 3,
		Type: proto.MsgImage, Body: jx.RawMessage(`{"url":"/files/x/a.png"}`), Paths: map[string]string{"path": "blob:y"}, Ext: jx.RawMessage(`{"k":"<"}`)}
	v, tv := m.View(0), tm.View(0)
	bad := v
	bad.Body = jx.RawMessage{}
	tr := true
	for _, e := range []MessageEvent{
		{EventType: "onRecvMessages", Messages: []MessageView{v, tv, v}},
		{EventType: "sendMessageFinish", Message: &tv},
		{EventType: "x", Message: &v, Messages: []MessageView{}},
		{EventType: "onRecvMessages", Messages: []MessageView{v, bad}}, // json.Marshal fails
		{EventType: "sendMessageFinish", Message: &v, Success: &tr},
		{},
	} {
		checkAppendJSON(t, &e, e.AppendJSON)
	}
	// A received text's and a team image's views take the hand-written
	// path (tv's ext has a "<": json.Marshal's).
	tv.RemoteExt = jx.RawMessage(`{"k":1}`)
	for _, v := range []MessageView{v, tv} {
		if _, ok := v.appendJSON(nil); !ok {
			t.Errorf("%+v: appendJSON refused it", v)
		}
	}
}

// FuzzMessageEventJSON: MessageEvent.AppendJSON writes what json.Marshal
// writes (or fails where it fails).
func FuzzMessageEventJSON(f *testing.F) {
	f.Add("onRecvMessages", "m1", "bob", "鲍勃", []byte(`{"text":"hi"}`), []byte(`{"k":[1,2]}`), []byte(""), int64(7), 3, uint8(0))
	f.Add("<&>", "\x01\"\\", "\xff", "\u2028", []byte(` {"a" : "b"} `), []byte(`"\u00"`), []byte(`nul`), int64(-1), -5, uint8(255))
	f.Fuzz(func(t *testing.T, typ, id, from, nick string, body, ext, lext []byte, seq int64, n int, flags uint8) {
		m := Message{ID: id, SK: "p2p-" + from, SessionID: from, ChatType: n % 3, ServerID: nick, Seq: seq, From: from,
			Type: n, Body: body, Ext: ext, LocalExt: lext, Time: seq * 1000, State: n, Outgoing: flags&1 != 0, FromClient: n,
			Deleted: flags&2 != 0, DL: int(flags & 3), Played: flags&4 != 0, Nick: nick, Black: flags&8 != 0,
			TeamReceipt: flags&16 != 0, ReceiptRead: n, ReceiptUnread: int(seq), ReceiptSent: flags&32 != 0}
		v := m.View(seq / 2)
		e := MessageEvent{EventType: typ, Messages: []MessageView{v, v}}
		if flags&64 != 0 {
			e.Message = &v
		}
		if flags&128 != 0 {
			e.Code = n
		}
		checkAppendJSON(t, &e, e.AppendJSON)
	})
}

// TestEventAppendData checks that every kind of event data encodes as
// json.Marshal encodes it, and that data without a table is an error.
func TestEventAppendData(t *testing.T) {
	n, ok := 3, true
	v := MessageView{MessageID: "m", RemoteExt: jx.RawMessage(`{"a":"<hi>"}`)}
	for _, d := range []any{
		AccountEvent{EventType: "login"}, MessageEvent{EventType: "x", Message: &v, Success: &ok},
		SessionEvent{EventType: "s", TotalUnreadCount: 2}, FriendEvent{EventType: "f", RemoveUser: []string{"a"}},
		NotificationEvent{EventType: "n", UnreadCount: &n}, TeamEvent{EventType: "t", Teams: []TeamView{{}}}, &SessionRef{SessionID: "s"},
	} {
		want, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Event{Kind: "k", Data: d}.AppendData([]byte("pre"))
		if err != nil || string(got) != "pre"+string(want) {
			t.Fatalf("%T: %s %v, want pre%s", d, got, err, want)
		}
	}
	if _, err := (Event{Kind: "k", Data: map[string]int{}}).AppendData(nil); err == nil {
		t.Fatal("data without a table encoded")
	}
}
