package core

import (
	"encoding/json"
	"testing"
	"time"

	"yunxin/internal/jx"
)

func TestMarkSeq(t *testing.T) {
	s := &Session{SyncSeq: 3}
	steps := []struct {
		seq      int64
		fresh    bool
		sync     int64
		aheadLen int
	}{
		{3, false, 3, 0}, // already cached
		{4, true, 4, 0},  // contiguous
		{6, true, 4, 1},  // past a gap
		{6, false, 4, 1}, // duplicate above the gap
		{8, true, 4, 2},
		{5, true, 6, 1}, // fills the gap: 5, then 6
		{7, true, 8, 0}, // fills the rest
		{8, false, 8, 0},
	}
	for i, st := range steps {
		if got := s.markSeq(st.seq); got != st.fresh || s.SyncSeq != st.sync || len(s.Ahead) != st.aheadLen {
			t.Fatalf("step %d markSeq(%d) = %v, SyncSeq %d, Ahead %v; want %v, %d, %d items",
				i, st.seq, got, s.SyncSeq, s.Ahead, st.fresh, st.sync, st.aheadLen)
		}
	}
}

func TestBackoff(t *testing.T) {
	for n, want := range []time.Duration{1600, 3200, 6400, 8000, 8000, 8000} {
		want *= time.Millisecond
		for i := 0; i < 20; i++ {
			d := Backoff(n)
			if d < want-want/10 || d > want+want/10 {
				t.Fatalf("Backoff(%d) = %v, want %v ±10%%", n, d, want)
			}
		}
	}
}

func TestMessageViewShape(t *testing.T) {
	m := Message{ID: "m1", SK: "0|bob", SessionID: "bob", Seq: 4, From: "alice", Body: jx.RawMessage(`{"text":"你好"}`),
		Ext: jx.RawMessage(`{"k":1}`), Time: 1700000000000, State: DeliverySent, Outgoing: true, FromClient: 16}
	b, _ := json.Marshal(m.View(4))
	var v map[string]any
	json.Unmarshal(b, &v)
	want := map[string]any{"messageId": "m1", "sessionId": "bob", "from": "alice", "timestamp": 1.7e12,
		"deliveryState": 2.0, "isOutgoingMsg": true, "isReceivedMsg": false, "isRemoteRead": true, "senderClientType": 16.0}
	for k, w := range want {
		if v[k] != w {
			t.Errorf("%s = %v, want %v", k, v[k], w)
		}
	}
	if s := v["session"].(map[string]any); s["sessionId"] != "bob" || s["chatType"] != 0.0 {
		t.Errorf("session = %v", s)
	}
	if body := v["body"].(map[string]any); body["type"] != 0.0 || body["text"] != "你好" {
		t.Errorf("body = %v", body)
	}
	if ext := v["remoteExt"].(map[string]any); ext["k"] != 1.0 {
		t.Errorf("remoteExt = %v", ext)
	}
	if _, ok := v["localExt"].(map[string]any); !ok {
		t.Errorf("localExt = %v, want {}", v["localExt"])
	}
	if m.View(3).IsRemoteRead {
		t.Error("isRemoteRead true before the receipt reached the message")
	}
}

func TestBodyWithType(t *testing.T) {
	for in, want := range map[string]string{`{"text":"a"}`: `{"type":0,"text":"a"}`, `{}`: `{"type":0}`, ``: `{"type":0}`, `{ "x":1}`: `{"type":0,"x":1}`} {
		if got := string(bodyWithType(0, jx.RawMessage(in))); got != want {
			t.Errorf("bodyWithType(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestRecentSessionView(t *testing.T) {
	last := Message{ID: "m9", SessionID: "bob", From: "bob", Body: jx.RawMessage(`{"text":"yo"}`), Seq: 9, Time: 5}
	s := Session{Key: "0|bob", ID: "bob", Unread: 2, LastMsg: &last, UpdateTime: 5}
	v := s.View()
	if v.SessionID != "bob" || v.Session.SessionID != "bob" || v.UnreadCount != 2 || v.LastMessageID != "m9" ||
		v.Content != "yo" || v.FromAccount != "bob" || v.MsgStatus != 4 || v.LastMessage == nil {
		t.Fatalf("view = %+v", v)
	}
}
