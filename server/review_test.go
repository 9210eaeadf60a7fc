package server

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"yunxin/proto"
)

// TestSendStoresOnlyText: a body with extra fields is stored as exactly
// {"text": …}, so a crafted padding field (which json.Marshal would grow
// six-fold, '<' → \u003c) cannot make the receiver's pull fail forever.
func TestSendStoresOnlyText(t *testing.T) {
	e := newEnv(t, "alice", "bob")
	a, _ := e.login("alice")
	b, _ := e.login("bob")
	pad := strings.Repeat("<", 200<<10)
	r := a.callRaw(func(id uint64) string {
		return fmt.Sprintf(`{"id":%d,"op":"send","d":{"msg":{"cid":"pad","to":"bob","body":{"text":"hi","pad":"%s"}}}}`, id, pad)
	})
	if r.Code != proto.CodeOK {
		t.Fatalf("send: %d %s", r.Code, r.Msg)
	}
	var m proto.Msg
	b.push(proto.PushMsg, &m)
	if string(m.Body) != `{"text":"hi"}` {
		t.Fatalf("pushed body %.100s", m.Body)
	}
	var pull proto.PullResp
	b.ok(proto.OpPull, proto.PullReq{Cursors: []proto.Cursor{{Conv: proto.P2PConv("alice", "bob")}}}, &pull)
	if len(pull.Msgs) != 1 || string(pull.Msgs[0].Body) != `{"text":"hi"}` {
		t.Fatalf("pulled %.200v", pull.Msgs)
	}
	// Text is kept as given (escaped or not on the wire, the same string).
	a.ok(proto.OpSend, text("bob", "lt", "<a & b>"), nil)
	b.push(proto.PushMsg, &m)
	var body struct{ Text string }
	if err := json.Unmarshal(m.Body, &body); err != nil || body.Text != "<a & b>" {
		t.Fatalf("body %s, %v", m.Body, err)
	}
}

// The largest message the field limits allow fits MaxItemBytes, and one
// over it (which the field limits cannot produce today) is refused.
func TestCheckItemSize(t *testing.T) {
	worst := strings.Repeat("<", proto.MaxTextRunes)
	body, err := checkTextBody(json.RawMessage(`{"text":"` + worst + `"}`))
	if err != nil {
		t.Fatal(err)
	}
	ext := json.RawMessage(`{"k":"` + strings.Repeat("<", proto.MaxExtBytes-8) + `"}`)
	m := proto.Msg{ClientID: strings.Repeat("c", proto.MaxIDBytes), To: strings.Repeat("t", 32), From: strings.Repeat("f", 32),
		Conv: proto.P2PConv(strings.Repeat("t", 32), strings.Repeat("f", 32)), Body: body, Ext: ext, FromClient: proto.ClientWeb}
	if err := checkItemSize(m); err != nil {
		t.Fatalf("largest valid message refused: %v", err)
	}
	m.Body = json.RawMessage(`{"text":"` + strings.Repeat("<", proto.MaxItemBytes/6) + `"}`)
	if err, ok := checkItemSize(m).(*Error); !ok || err.Code != proto.CodeBadParam {
		t.Fatalf("oversized message: %v, want 414", err)
	}
}

// callRaw sends the frame frame(id) as is, for a fresh request id, and
// returns the reply.
func (c *client) callRaw(frame func(id uint64) string) proto.Frame {
	c.t.Helper()
	c.mu.Lock()
	c.nextID++
	id := c.nextID
	ch := make(chan proto.Frame, 1)
	c.wait[id] = ch
	c.mu.Unlock()
	c.raw(frame(id))
	select {
	case r := <-ch:
		return r
	case <-time.After(5 * time.Second):
		c.t.Fatalf("no reply to request %d", id)
	}
	return proto.Frame{}
}
