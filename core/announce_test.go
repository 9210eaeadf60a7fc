package core

import (
	"context"
	"slices"
	"testing"

	"yunxin/internal/jx"
	"yunxin/proto"
)

// Tests of the announced cursor (sessionstate.go): each tab reports every
// message to its page exactly once, even when another tab of the account
// cached it first, without counting it unread twice.

// bobMsg is bob's message seq to alice.
func bobMsg(seq int64) proto.Msg {
	return proto.Msg{ServerID: itoa64(100 + seq), ClientID: "c" + itoa64(seq), Conv: "p:alice|bob", Seq: seq,
		From: "bob", To: "alice", Body: jx.RawMessage(`{"text":"hi"}`), Time: 1000 + seq}
}

// announcedSeqs returns the seqs of the messages rec's page heard of
// (onRecvMessages), in order.
func (rec *recorder) announcedSeqs() []int64 {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var out []int64
	for _, e := range rec.events {
		if d, ok := e.Data.(MessageEvent); ok && d.EventType == "onRecvMessages" {
			for _, m := range d.Messages {
				out = append(out, m.Seq)
			}
		}
	}
	return out
}

// ingestIn applies msgs in a tx of c's run r, as pushes do.
func ingestIn(t *testing.T, c *Client, r *run, msgs ...proto.Msg) {
	t.Helper()
	if err := c.change(r, func(t *tx) { t.ingest(msgs, true) }); err != nil {
		t.Fatal(err)
	}
}

func TestEachTabAnnouncesEveryMessageOnce(t *testing.T) {
	ctx := context.Background()
	c1, r1, rec1, c2, r2, rec2 := twoTabs(t)
	m4, m5 := bobMsg(4), bobMsg(5)
	// Bob sends 4 and 5 quickly: tab 1 gets both first; tab 2's push of 4
	// installs the merged record (cached up to 5), then its push of 5
	// comes. Then both get a duplicate of each.
	ingestIn(t, c1, r1, m4, m5)
	ingestIn(t, c2, r2, m4)
	ingestIn(t, c2, r2, m5)
	ingestIn(t, c1, r1, m4)
	ingestIn(t, c2, r2, m5, m4)
	for i, rec := range []*recorder{rec1, rec2} {
		if got := rec.announcedSeqs(); !slices.Equal(got, []int64{4, 5}) {
			t.Fatalf("tab %d announced %v, want [4 5] once each", i+1, got)
		}
	}
	// Seed: unread 1 at seq 3, read 2; 4 and 5 count once.
	for i, c := range []*Client{c1, c2} {
		if s := c.sessionNow("0|bob"); s.Unread != 3 || s.SyncSeq != 5 || s.LastSeq != 5 || s.LastMsg.Seq != 5 {
			t.Fatalf("tab %d's memory: %+v, want unread 3, cached and last at 5", i+1, s)
		}
	}
	snap, err := r2.cache.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s := snap.Sessions[0]; s.Unread != 3 || s.SyncSeq != 5 || len(s.Ahead) != 0 {
		t.Fatalf("cached session %+v, want unread 3, cached up to 5", s)
	}

	// The other order: tab 2 gets 7 (past a hole at 6) first, tab 1 gets 6
	// and 7; tab 2 then gets 6, and has announced all.
	m6, m7 := bobMsg(6), bobMsg(7)
	ingestIn(t, c2, r2, m7)
	ingestIn(t, c1, r1, m6, m7)
	ingestIn(t, c2, r2, m6)
	for i, rec := range []*recorder{rec1, rec2} {
		if got := rec.announcedSeqs(); len(got) != 4 || got[2]+got[3] != 13 {
			t.Fatalf("tab %d announced %v, want 4, 5, then 6 and 7", i+1, got)
		}
	}
	for i, c := range []*Client{c1, c2} {
		if s := c.sessionNow("0|bob"); s.Unread != 5 || s.SyncSeq != 7 {
			t.Fatalf("tab %d's memory after 6 and 7: %+v, want unread 5, cached up to 7", i+1, s)
		}
	}

	// A reload starts its announced cursor at the cache's: what is cached
	// is not announced again, what comes next is.
	c3, r3, rec3 := offline(t, r1.cache.(*MemCache).Reopen(), false)
	ingestIn(t, c3, r3, m5, m6, m7)
	ingestIn(t, c3, r3, bobMsg(8))
	if got := rec3.announcedSeqs(); !slices.Equal(got, []int64{8}) {
		t.Fatalf("the reloaded tab announced %v, want [8]", got)
	}
	if s := c3.sessionNow("0|bob"); s.Unread != 6 {
		t.Fatalf("reloaded tab's memory %+v, want unread 6", s)
	}
}

// liveGaps ingests m as a push does and returns the gap pulls its commit
// found (they go nowhere: the run has no link).
func liveGaps(c *Client, r *run, m proto.Msg) ([]proto.Cursor, error) {
	t, err := c.openTx(r)
	if err != nil {
		return nil, err
	}
	defer t.abort()
	t.ingest([]proto.Msg{m}, true)
	err = t.commit(r.ctx)
	return t.gaps, err
}

func TestGapPullStartsAtTheAnnouncedCursor(t *testing.T) {
	// Tab 1 cached 4 to 6; tab 2 gets 6 past what it announced (3): it pulls
	// from 3 to announce 4 and 5, though the cache has them.
	c1, r1, _, c2, r2, _ := twoTabs(t)
	ingestIn(t, c1, r1, bobMsg(4), bobMsg(5), bobMsg(6))
	gaps, err := liveGaps(c2, r2, bobMsg(6))
	if err != nil {
		t.Fatal(err)
	}
	if len(gaps) != 1 || gaps[0].After != 3 {
		t.Fatalf("gap pulls %+v, want one after 3", gaps)
	}
	// Far behind (what the cache has goes past RoamLimit): only the latest
	// RoamLimit cached ones are pulled again, and the older ones count as
	// announced from then on.
	var many []proto.Msg
	for q := int64(7); q <= 300; q++ {
		many = append(many, bobMsg(q))
	}
	ingestIn(t, c1, r1, many...)
	gaps, err = liveGaps(c2, r2, bobMsg(300))
	if err != nil {
		t.Fatal(err)
	}
	if len(gaps) != 1 || gaps[0].After != 300-RoamLimit {
		t.Fatalf("gap pulls %+v, want one after %d", gaps, 300-RoamLimit)
	}
	c2.mu.Lock()
	a := r2.st.sessions.announced["0|bob"]
	c2.mu.Unlock()
	if a.Seq != 300-RoamLimit || !slices.Equal(a.Ahead, []int64{300}) {
		t.Fatalf("tab 2's announced cursor %+v, want %d and 300", a, 300-RoamLimit)
	}
}
