package server

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"yunxin/internal/jx"
	"yunxin/proto"
)

// history pages through conv from the start in one direction with limit
// and returns the seqs in the order received, checking each page.
func (c *client) history(conv string, newer bool, limit int) (seqs []int64, pages int) {
	c.t.Helper()
	seq := int64(0)
	for {
		f := c.call(proto.OpHistory, proto.HistoryReq{Conv: conv, Seq: seq, Newer: newer, Limit: limit})
		if f.Code != proto.CodeOK {
			c.t.Fatalf("history from %d: %d %s", seq, f.Code, f.Msg)
		}
		if len(f.Data) > proto.MaxPage+1024 {
			c.t.Fatalf("history page of %d bytes, over MaxPage", len(f.Data))
		}
		var resp proto.HistoryResp
		if err := json.Unmarshal(f.Data, &resp); err != nil {
			c.t.Fatal(err)
		}
		pages++
		if len(resp.Msgs) == 0 && resp.More {
			c.t.Fatalf("empty page with more")
		}
		for i, m := range resp.Msgs {
			if m.Revoked || (i > 0 && m.Seq <= resp.Msgs[i-1].Seq) {
				c.t.Fatalf("page from %d not ascending or with a revoked message: %+v", seq, resp.Msgs)
			}
			if newer && m.Seq <= seq || !newer && seq > 0 && m.Seq >= seq {
				c.t.Fatalf("page from %d (newer %v) has seq %d", seq, newer, m.Seq)
			}
		}
		if limit > 0 && len(resp.Msgs) > limit {
			c.t.Fatalf("page of %d, limit %d", len(resp.Msgs), limit)
		}
		if newer {
			for _, m := range resp.Msgs {
				seqs = append(seqs, m.Seq)
			}
		} else {
			for _, m := range slices.Backward(resp.Msgs) {
				seqs = append(seqs, m.Seq)
			}
		}
		if !resp.More {
			return seqs, pages
		}
		seq = seqs[len(seqs)-1]
		if pages > 1000 {
			c.t.Fatal("history does not end")
		}
	}
}

// History pages both ways, leaves revoked messages out and checks its
// parameters.
func TestHistory(t *testing.T) {
	e := newEnv(t, "alice", "bob", "carol")
	st := e.srv.store
	conv := proto.P2PConv("alice", "bob")
	var want []int64
	for i := 1; i <= 25; i++ {
		from, to := "alice", "bob"
		if i%3 == 0 {
			from, to = to, from
		}
		m := proto.Msg{ClientID: fmt.Sprint("h", i), Conv: conv, From: from, To: to, Body: jx.RawMessage(`{"text":"hi"}`)}
		stored, _, err := st.Send(t.Context(), m, int64(1000+i))
		if err != nil {
			t.Fatal(err)
		}
		if i%7 == 0 {
			if _, _, err := st.Revoke(t.Context(), conv, stored.Seq, from, "", 5000); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want = append(want, stored.Seq)
	}
	a, _ := e.login("alice")
	seqs, pages := a.history(conv, true, 5)
	if !slices.Equal(seqs, want) || pages != 5 {
		t.Fatalf("newer pages of 5: %v in %d pages, want %v", seqs, pages, want)
	}
	seqs, pages = a.history(conv, false, 5)
	if !slices.Equal(seqs, reversed(want)) || pages != 5 {
		t.Fatalf("older pages of 5: %v in %d pages", seqs, pages)
	}
	// Limit 0 is 100: one page.
	if seqs, pages = a.history(conv, false, 0); len(seqs) != len(want) || pages != 1 {
		t.Fatalf("limit 0: %v in %d pages", seqs, pages)
	}
	// Next to a seq, not including it.
	var resp proto.HistoryResp
	a.ok(proto.OpHistory, proto.HistoryReq{Conv: conv, Seq: 15, Limit: 3}, &resp) // 14 is revoked
	if got := msgSeqs(resp.Msgs); !slices.Equal(got, []int64{11, 12, 13}) || !resp.More {
		t.Fatalf("3 before 15: %v more=%v", got, resp.More)
	}
	a.ok(proto.OpHistory, proto.HistoryReq{Conv: conv, Seq: 20, Newer: true, Limit: 3}, &resp)
	if got := msgSeqs(resp.Msgs); !slices.Equal(got, []int64{22, 23, 24}) || !resp.More {
		t.Fatalf("3 after 20: %v more=%v", got, resp.More)
	}
	if resp.Msgs[0].From != "alice" || string(resp.Msgs[0].Body) != `{"text":"hi"}` {
		t.Fatalf("history message %+v", resp.Msgs[0])
	}

	a.fail(proto.OpHistory, proto.HistoryReq{Conv: conv, Limit: proto.MaxHistory + 1}, proto.CodeBadParam, "limit must be 1-100")
	a.fail(proto.OpHistory, proto.HistoryReq{Conv: conv, Limit: -1}, proto.CodeBadParam, "limit")
	a.fail(proto.OpHistory, proto.HistoryReq{Conv: conv, Seq: -1}, proto.CodeBadParam, "seq")
	c, _ := e.login("carol")
	c.fail(proto.OpHistory, proto.HistoryReq{Conv: conv}, proto.CodeForbidden, "not a member")
}

func msgSeqs(ms []proto.Msg) []int64 {
	out := []int64{}
	for _, m := range ms {
		out = append(out, m.Seq)
	}
	return out
}

// A hundred messages of about 60 KiB do not fit one frame: each page is
// cut at proto.MaxPage with More set, keeping the messages nearest the
// asked seq, and the pages together hold every message once.
func TestHistoryByteCut(t *testing.T) {
	e := newEnv(t, "alice", "bob")
	st := e.srv.store
	conv := proto.P2PConv("alice", "bob")
	big := strings.Repeat("字", 20000) // 60 000 bytes
	var want []int64
	for i := range proto.MaxHistory {
		m := proto.Msg{ClientID: fmt.Sprint("b", i), Conv: conv, From: "bob", To: "alice", Body: jx.RawMessage(`{"text":"` + big + `"}`)}
		stored, _, err := st.Send(t.Context(), m, 1000)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, stored.Seq)
	}
	a, _ := e.login("alice")
	var resp proto.HistoryResp
	a.ok(proto.OpHistory, proto.HistoryReq{Conv: conv, Limit: proto.MaxHistory}, &resp)
	n := len(resp.Msgs)
	if n < 2 || n > proto.MaxPage/60000 || !resp.More || resp.Msgs[n-1].Seq != 100 || resp.Msgs[0].Seq != int64(100-n+1) {
		t.Fatalf("first older page: %v more=%v; want the newest that fit", msgSeqs(resp.Msgs), resp.More)
	}
	a.ok(proto.OpHistory, proto.HistoryReq{Conv: conv, Newer: true, Limit: proto.MaxHistory}, &resp)
	if got := msgSeqs(resp.Msgs); len(got) != n || got[0] != 1 || !resp.More {
		t.Fatalf("first newer page: %v more=%v; want the oldest %d", got, resp.More, n)
	}
	for _, newer := range []bool{true, false} {
		seqs, pages := a.history(conv, newer, proto.MaxHistory)
		if !newer {
			slices.Reverse(seqs)
		}
		if !slices.Equal(seqs, want) || pages < 100/n {
			t.Fatalf("newer=%v: %d messages in %d pages", newer, len(seqs), pages)
		}
	}
}

func reversed(s []int64) []int64 {
	out := slices.Clone(s)
	slices.Reverse(out)
	return out
}
