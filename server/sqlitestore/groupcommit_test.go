package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"yunxin/internal/jx"
	"yunxin/proto"
	"yunxin/server/store"
)

// gcStore opens a store with accounts u0…u(n-1).
func gcStore(t *testing.T, n int) *Store {
	t.Helper()
	s := open(t, t.TempDir(), nil)
	for i := range n {
		if err := s.CreateUser(context.Background(), store.User{Accid: fmt.Sprintf("u%d", i), Salt: []byte("s"), TokenHash: []byte("h"), CreatedMs: 1}); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func textMsg(from, to, cid string) proto.Msg {
	return proto.Msg{From: from, To: to, Conv: proto.P2PConv(from, to), ClientID: cid, Type: proto.MsgText,
		Body: jx.RawMessage(`{"text":"hi"}`)}
}

type sendResult struct {
	m   proto.Msg
	err error
}

// sendAll starts one Send per message and returns their results, in order,
// on a channel each.
func sendAll(s *Store, msgs []proto.Msg) []chan sendResult {
	out := make([]chan sendResult, len(msgs))
	for i, m := range msgs {
		out[i] = make(chan sendResult, 1)
		go func() {
			got, _, err := s.Send(context.Background(), m, 1000)
			out[i] <- sendResult{got, err}
		}()
	}
	return out
}

// holdFirstBatch makes the writer stop before its first COMMIT until the
// returned release is called; entered is closed once it is there. Later
// batches commit freely; sizes receives each batch's size.
func holdFirstBatch(t *testing.T, s *Store) (entered chan struct{}, release func(), sizes chan int) {
	entered, hold := make(chan struct{}), make(chan struct{})
	sizes = make(chan int, 1000)
	var once, released sync.Once
	release = func() { released.Do(func() { close(hold) }) }
	t.Cleanup(release) // before the store's Close, which waits for the writer
	s.wr.beforeCommit = func(n int) {
		sizes <- n
		first := false
		once.Do(func() { first = true })
		if first {
			close(entered)
			<-hold
		}
	}
	return entered, release, sizes
}

// waitQueued waits until n sends are queued for the writer.
func waitQueued(t *testing.T, s *Store, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); len(s.wr.jobs) < n; {
		if time.Now().After(deadline) {
			t.Fatalf("%d sends queued, want %d", len(s.wr.jobs), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestAckAfterCommit: no Send returns before its batch's COMMIT has
// returned: with the first batch held just before COMMIT, its send and the
// ones queued behind it stay unanswered; released, each is answered, and
// every answer comes after the commit counter moved past its batch.
func TestAckAfterCommit(t *testing.T) {
	s := gcStore(t, 2)
	entered, release, sizes := holdFirstBatch(t, s)
	first := sendAll(s, []proto.Msg{textMsg("u0", "u1", "a0")})
	<-entered
	var more []proto.Msg
	for i := range 20 {
		more = append(more, textMsg("u0", "u1", fmt.Sprintf("b%d", i)))
	}
	rest := sendAll(s, more)
	waitQueued(t, s, len(more))
	for _, ch := range append(first, rest...) {
		select {
		case r := <-ch:
			t.Fatalf("a send was answered before its batch committed: %+v", r)
		case <-time.After(20 * time.Millisecond):
		}
	}
	if n := s.wr.commits.Load(); n != 0 {
		t.Fatalf("%d commits before the release, want 0", n)
	}
	release()
	r := <-first[0]
	if r.err != nil {
		t.Fatal(r.err)
	}
	if n := s.wr.commits.Load(); n < 1 {
		t.Fatalf("first send answered with %d commits", n)
	}
	seqs := map[int64]bool{r.m.Seq: true}
	for _, ch := range rest {
		r := <-ch
		if r.err != nil {
			t.Fatal(r.err)
		}
		if n := s.wr.commits.Load(); n < 2 {
			t.Fatalf("a send of the second batch answered with %d commits", n)
		}
		seqs[r.m.Seq] = true
	}
	if len(seqs) != 21 {
		t.Fatalf("%d distinct seqs, want 21", len(seqs))
	}
	// The 20 queued behind the held batch went in one group commit.
	if a, b := <-sizes, <-sizes; a != 1 || b != 20 {
		t.Fatalf("batch sizes %d, %d; want 1, 20", a, b)
	}
	// Committed means readable from another connection.
	got, err := s.Messages(context.Background(), proto.P2PConv("u0", "u1"), 0, 100)
	if err != nil || len(got) != 21 {
		t.Fatalf("Messages: %d, %v; want 21", len(got), err)
	}
}

// TestFailingSendInBatch: a send that fails inside a batch — after its
// writes ran (the stamp, the conversation row, the message) or in its
// rights check — is rolled back alone; the others of the batch are stored
// with contiguous seqs, and the conversation's last seq counts only them.
func TestFailingSendInBatch(t *testing.T) {
	s := gcStore(t, 2)
	ctx := context.Background()
	entered, release, sizes := holdFirstBatch(t, s)
	first := sendAll(s, []proto.Msg{textMsg("u0", "u1", "a0")})
	<-entered

	boom := errors.New("injected failure after the insert")
	var msgs []proto.Msg
	for i := range 10 {
		msgs = append(msgs, textMsg("u0", "u1", fmt.Sprintf("c%d", i)))
	}
	// The batch's 4th send (c3) fails after its statements ran.
	s.wr.afterRun = func(i int) error {
		if i == 3 {
			return boom
		}
		return nil
	}
	// Sent one by one so that their order in the batch is known.
	var res []chan sendResult
	for i, m := range msgs {
		res = append(res, sendAll(s, []proto.Msg{m})...)
		waitQueued(t, s, i+1)
	}
	// A team send to a team that does not exist: refused by its check.
	team := make(chan error, 1)
	go func() {
		_, _, err := s.SendTeam(ctx, proto.Msg{From: "u0", To: "404", Conv: proto.TeamConv("404"), ChatType: proto.ChatTeam,
			ClientID: "t0", Type: proto.MsgText, Body: jx.RawMessage(`{"text":"hi"}`)}, 1000)
		team <- err
	}()
	waitQueued(t, s, len(msgs)+1)
	release()
	if r := <-first[0]; r.err != nil {
		t.Fatal(r.err)
	}
	if err := <-team; !errors.As(err, new(*store.TeamError)) {
		t.Fatalf("team send to no team: %v, want a team error (803)", err)
	}
	var seqs []int64
	for i, ch := range res {
		r := <-ch
		if i == 3 {
			if !errors.Is(r.err, boom) {
				t.Fatalf("c3: %v, want the injected failure", r.err)
			}
			continue
		}
		if r.err != nil {
			t.Fatalf("c%d failed with its batch neighbour: %v", i, r.err)
		}
		seqs = append(seqs, r.m.Seq)
	}
	<-sizes
	if n := <-sizes; n != len(msgs)+1 {
		t.Fatalf("second batch of %d sends, want %d (the test needs them in one batch)", n, len(msgs)+1)
	}
	for i, seq := range seqs {
		if seq != int64(i+2) {
			t.Fatalf("seqs %v, want 2…10 in order", seqs)
		}
	}
	got, err := s.Messages(ctx, proto.P2PConv("u0", "u1"), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 10 {
		t.Fatalf("%d messages stored, want 10 (c3 rolled back)", len(got))
	}
	for _, m := range got {
		if m.ClientID == "c3" {
			t.Fatal("c3 stored although its send failed")
		}
	}
	var last int64
	if err := s.r.QueryRow(`SELECT last_seq FROM conversations WHERE conv = ?`, proto.P2PConv("u0", "u1")).Scan(&last); err != nil || last != 10 {
		t.Fatalf("last_seq %d, %v; want 10", last, err)
	}
	// The failed one can be sent again and takes the next seq.
	s.wr.afterRun = nil
	m, dup, err := s.Send(ctx, textMsg("u0", "u1", "c3"), 2000)
	if err != nil || dup || m.Seq != 11 {
		t.Fatalf("resend of c3: seq %d dup %v err %v; want 11, false, nil", m.Seq, dup, err)
	}
}

// TestReadPoolKeepsConnections: when all the read pool's connections
// were in use at once, they all stay open for the next reads (database/sql
// keeps only 2 idle ones by default, so every burst reconnected and
// prepared its statements again).
func TestReadPoolKeepsConnections(t *testing.T) {
	ctx := t.Context()
	s := open(t, t.TempDir(), nil)
	if err := s.CreateUser(ctx, store.User{Accid: "u", Salt: []byte{1}, TokenHash: []byte{2}, CreatedMs: 1}); err != nil {
		t.Fatal(err)
	}
	for round := 0; round < 2; round++ {
		var conns []*sql.Conn
		for i := 0; i < readConns; i++ {
			c, err := s.r.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			conns = append(conns, c)
		}
		for _, c := range conns {
			c.Close()
		}
		if _, err := s.User(ctx, "u"); err != nil {
			t.Fatal(err)
		}
	}
	if st := s.r.Stats(); st.MaxIdleClosed != 0 || st.OpenConnections != readConns {
		t.Errorf("read pool: %d connections closed as idle, %d open; want 0 closed, %d open", st.MaxIdleClosed, st.OpenConnections, readConns)
	}
}

// Under a steady load the WAL starts over (the writer's RESTART
// checkpoints) instead of growing until a TRUNCATE checkpoint holds the
// write lock for all of it; every send stays stored.
func TestWALStartsOverUnderLoad(t *testing.T) {
	// A checkpoint every 250 ms: the bound below is the restart threshold
	// plus what one checkpoint interval of this test's writes adds (a
	// second of them passed 16 MB on a fast machine).
	saved := checkpointEvery
	checkpointEvery = 250 * time.Millisecond
	t.Cleanup(func() { checkpointEvery = saved })
	s := gcStore(t, 2)
	s.wr.restartAt.Store(256 << 10)
	ctx := context.Background()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var maxWAL int64
	sent := 0
	for w := range 8 {
		wg.Go(func() {
			for i := 0; s.wr.restarts.Load() < 3 && i < 20000; i++ {
				from, to := "u0", "u1"
				if w%2 == 1 {
					from, to = to, from
				}
				if _, _, err := s.Send(ctx, textMsg(from, to, fmt.Sprintf("w%d-%d", w, i)), 1000); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				sent++
				if st, err := os.Stat(s.path + "-wal"); err == nil && st.Size() > maxWAL {
					maxWAL = st.Size()
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if n := s.wr.restarts.Load(); n < 3 {
		t.Fatalf("%d WAL restarts after %d sends (largest WAL %d bytes), want 3", n, sent, maxWAL)
	}
	// Bounded: the restart threshold plus what a checkpoint interval adds.
	if maxWAL > 16<<20 {
		t.Fatalf("the WAL reached %d bytes", maxWAL)
	}
	ms, err := s.Messages(ctx, proto.P2PConv("u0", "u1"), 0, 100000)
	if err != nil || len(ms) != sent {
		t.Fatalf("%d messages stored of %d sent, %v", len(ms), sent, err)
	}
	for i, m := range ms {
		if m.Seq != int64(i+1) {
			t.Fatalf("message %d has seq %d", i, m.Seq)
		}
	}
}

// TestBatchLingersUnderLoad: a batch that found lingerSiblings sends
// waiting waits (up to lingerFor) for more and commits them together; a
// lone send does not wait.
func TestBatchLingersUnderLoad(t *testing.T) {
	siblings, wait := lingerSiblings, lingerFor
	lingerSiblings, lingerFor = 2, time.Second
	t.Cleanup(func() { lingerSiblings, lingerFor = siblings, wait })
	s := gcStore(t, 2)
	lingered := make(chan int, 10)
	s.wr.lingering = func(n int) { lingered <- n }
	entered, release, sizes := holdFirstBatch(t, s)
	first := sendAll(s, []proto.Msg{textMsg("u0", "u1", "a0")})
	<-entered
	queued := sendAll(s, []proto.Msg{textMsg("u0", "u1", "b0"), textMsg("u0", "u1", "b1"), textMsg("u0", "u1", "b2")})
	waitQueued(t, s, 3)
	release()
	select {
	case n := <-lingered:
		if n != 3 {
			t.Fatalf("a batch of %d lingered, want the 3 queued", n)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the batch of the 3 queued sends did not linger")
	}
	late := sendAll(s, []proto.Msg{textMsg("u0", "u1", "c0"), textMsg("u0", "u1", "c1")})
	for _, ch := range append(append(first, queued...), late...) {
		if r := <-ch; r.err != nil {
			t.Fatal(r.err)
		}
	}
	if a, b := <-sizes, <-sizes; a != 1 || b != 5 {
		t.Fatalf("batch sizes %d, %d; want 1, 5 (the two late sends in the lingering batch)", a, b)
	}
	began := time.Now()
	if r := <-sendAll(s, []proto.Msg{textMsg("u0", "u1", "d0")})[0]; r.err != nil {
		t.Fatal(r.err)
	}
	if n := <-sizes; n != 1 {
		t.Fatalf("lone batch of %d", n)
	}
	if d := time.Since(began); d >= lingerFor {
		t.Fatalf("a lone send took %v: it lingered", d)
	}
}
