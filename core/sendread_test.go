//go:build !js

package core_test

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"yunxin/core"
)

// readCounter is a cache that counts MessagesByID calls (each is an
// IndexedDB transaction in the browser).
type readCounter struct {
	core.Cache
	reads *atomic.Int64
}

func (r readCounter) MessagesByID(ctx context.Context, ids []string) ([]core.Message, error) {
	r.reads.Add(1)
	return r.Cache.MessagesByID(ctx, ids)
}

// TestSendSkipsReadBack: a send that no other cached-message write
// overlaps does not read its cached copy back between the ack and the
// callback. (One whose message was deleted or cleared meanwhile reads it
// and keeps the delete: TestDeleteWhileSending, TestClearWhileSending.)
func TestSendSkipsReadBack(t *testing.T) {
	ts := startServer(t)
	ts.user("alice")
	ts.user("bob")
	var reads atomic.Int64
	a := newDevice(t, ts, false)
	a.wrap = func(c core.Cache) core.Cache { return readCounter{Cache: c, reads: &reads} }
	a.login("alice")
	b := newDevice(t, ts, false)
	b.login("bob")

	before := reads.Load()
	for i := 0; i < 5; i++ {
		if v := a.send("bob", "plain"); v.DeliveryState != core.DeliverySent {
			t.Fatalf("send %d: deliveryState %d, want sent", i, v.DeliveryState)
		}
	}
	if n := reads.Load() - before; n != 0 {
		t.Errorf("5 sends read their cached copy back %d times, want 0", n)
	}
}

// TestSendAnswersBeforeTheCacheWrite: a send made WithSendAnswer answers
// once the server acked it, with the message as sent (serverId, seq,
// deliveryState sent), while the cache still holds it as sending; the send
// returns once the cache holds it as sent, and answers only once.
func TestSendAnswersBeforeTheCacheWrite(t *testing.T) {
	ts := startServer(t)
	ts.user("alice")
	ts.user("bob")
	a := newDevice(t, ts, false)
	a.login("alice")
	a.mu.Lock()
	cache := a.caches["alice"]
	a.mu.Unlock()

	var answers atomic.Int64
	var early core.MessageView
	var cachedAtAnswer []core.Message
	ctx := core.WithSendAnswer(context.Background(), func(v *core.MessageView, err error) {
		answers.Add(1)
		if err != nil {
			t.Errorf("early answer: %v", err)
			return
		}
		early = *v
		// The write lock is held here: read the cache directly, as the
		// page's next call would have before the send returned.
		cachedAtAnswer, _ = cache.MessagesByID(context.Background(), []string{v.MessageID})
	})
	v, err := a.c.SendText(ctx, core.SendTextParams{SessionID: "bob", Text: "early", ReSend: true})
	if err != nil {
		t.Fatal(err)
	}
	if answers.Load() != 1 {
		t.Fatalf("%d early answers, want 1", answers.Load())
	}
	if early.MessageID != v.MessageID || early.DeliveryState != core.DeliverySent || early.ServerID == "" || early.ServerID != v.ServerID {
		t.Fatalf("early answer %+v; the send returned %+v: want the same message, sent, with its serverId", early, v)
	}
	if len(cachedAtAnswer) != 1 || cachedAtAnswer[0].State != core.DeliverySending {
		t.Fatalf("cached at the answer: %+v, want the message still sending (the write follows the answer)", cachedAtAnswer)
	}
	got, err := cache.MessagesByID(context.Background(), []string{v.MessageID})
	if err != nil || len(got) != 1 || got[0].State != core.DeliverySent {
		t.Fatalf("cached after the send returned: %+v %v, want it sent", got, err)
	}
}

// batchRecorder is a cache that keeps a copy of every batch it applied.
type batchRecorder struct {
	core.Cache
	mu      *sync.Mutex
	batches *[]core.Batch
}

func (r batchRecorder) Apply(ctx context.Context, b *core.Batch) error {
	err := r.Cache.Apply(ctx, b)
	if err == nil {
		r.mu.Lock()
		*r.batches = append(*r.batches, *b)
		r.mu.Unlock()
	}
	return err
}

// TestSendingWriteNeedsNoRead: a send's first write (the message as
// sending, and its outbox entry: records only this device writes) has no
// session or meta, nothing a cache must read to merge, so in the browser
// it is one transaction of two puts; the write of its outcome stores the
// session, with the message as its last one, and removes the entry.
func TestSendingWriteNeedsNoRead(t *testing.T) {
	ts := startServer(t)
	ts.user("alice")
	ts.user("bob")
	var mu sync.Mutex
	var batches []core.Batch
	a := newDevice(t, ts, false)
	a.wrap = func(c core.Cache) core.Cache { return batchRecorder{Cache: c, mu: &mu, batches: &batches} }
	a.login("alice")
	mu.Lock()
	batches = nil
	mu.Unlock()
	// With reSend (the page's default): its outbox entry is in that write.
	v, err := a.c.SendText(context.Background(), core.SendTextParams{SessionID: "bob", Text: "no read", ReSend: true})
	if err != nil {
		t.Fatal(err)
	}
	if v.DeliveryState != core.DeliverySent {
		t.Fatalf("deliveryState %d, want sent", v.DeliveryState)
	}
	mu.Lock()
	defer mu.Unlock()
	var will, fin *core.Batch
	for i := range batches {
		b := &batches[i]
		for _, m := range b.Messages {
			if m.ID == v.MessageID && m.State == core.DeliverySending && will == nil {
				will = b
			}
			if m.ID == v.MessageID && m.State == core.DeliverySent {
				fin = b
			}
		}
	}
	if will == nil || fin == nil {
		t.Fatalf("batches %+v: want the message written as sending, then as sent", batches)
	}
	if len(will.Sessions) != 0 || will.Meta != nil || len(will.AddMessages) != 0 {
		t.Errorf("the sending write has sessions %d, meta %v, adds %d: want none (nothing to read)", len(will.Sessions), will.Meta != nil, len(will.AddMessages))
	}
	for _, r := range will.Records {
		if !core.LocalRecord(r.Kind) {
			t.Errorf("the sending write puts record %s/%s, which a cache must read first", r.Kind, r.Key)
		}
	}
	if len(will.Records) != 1 {
		t.Errorf("the sending write has %d records, want its outbox entry", len(will.Records))
	}
	if len(fin.Sessions) != 1 || fin.Sessions[0].LastMsg == nil || fin.Sessions[0].LastMsg.ID != v.MessageID {
		t.Errorf("the outcome's write: sessions %+v, want bob's with the message as its last", fin.Sessions)
	}
	gone := false
	for _, r := range fin.Records {
		gone = gone || r.Kind == "outbox" && r.Deleted
	}
	if !gone {
		t.Errorf("the outcome's write does not remove the outbox entry: %+v", fin.Records)
	}
}

// sendingHold is a cache whose write of a message as sending waits until
// release is closed (or 10 s passed): an IndexedDB transaction that takes
// its time.
type sendingHold struct {
	core.Cache
	held    chan struct{} // closed when the first such write starts waiting
	release chan struct{}
	once    *sync.Once
}

func (h sendingHold) Apply(ctx context.Context, b *core.Batch) error {
	for _, m := range b.Messages {
		if m.State == core.DeliverySending {
			h.once.Do(func() { close(h.held) })
			select {
			case <-h.release:
			case <-time.After(10 * time.Second):
			}
			break
		}
	}
	return h.Cache.Apply(ctx, b)
}

// TestSendOverlapsTheSendingWrite: the request goes out while the message
// is being cached as sending (the write takes the request's round trip,
// not one before it): the peer gets it while that write still waits. The
// outcome waits for the write: willSendMessage comes first, then
// sendMessageFinish, and the send returns the message as sent.
func TestSendOverlapsTheSendingWrite(t *testing.T) {
	ts := startServer(t)
	ts.user("alice")
	ts.user("bob")
	hold := sendingHold{held: make(chan struct{}), release: make(chan struct{}), once: &sync.Once{}}
	a := newDevice(t, ts, false)
	a.wrap = func(c core.Cache) core.Cache { h := hold; h.Cache = c; return h }
	a.login("alice")
	b := newDevice(t, ts, false)
	b.login("bob")

	type sent struct {
		v   *core.MessageView
		err error
	}
	done := make(chan sent, 1)
	go func() {
		v, err := a.c.SendText(context.Background(), core.SendTextParams{SessionID: "bob", Text: "overlap", ReSend: true})
		done <- sent{v, err}
	}()
	<-hold.held
	// The write waits up to 10 s: bob must have the message well before.
	limit := time.NewTimer(5 * time.Second)
	defer limit.Stop()
	for countOf(b.received(), "overlap") != 1 {
		select {
		case <-b.notify:
		case <-limit.C:
			t.Fatal("bob did not get the message while alice's sending write waited: the request waits for that write")
		}
	}
	select {
	case s := <-done:
		t.Fatalf("the send returned before its sending write ended: %+v %v", s.v, s.err)
	default:
	}
	close(hold.release)
	s := <-done
	if s.err != nil || s.v.DeliveryState != core.DeliverySent || s.v.ServerID == "" {
		t.Fatalf("send: %+v %v, want it sent", s.v, s.err)
	}
	var order []string
	a.mu.Lock()
	for _, e := range a.events {
		if m, ok := e.Data.(core.MessageEvent); ok && (m.EventType == "willSendMessage" || m.EventType == "sendMessageFinish") {
			order = append(order, m.EventType)
		}
	}
	a.mu.Unlock()
	if !slices.Equal(order, []string{"willSendMessage", "sendMessageFinish"}) {
		t.Errorf("alice's events %v, want willSendMessage then sendMessageFinish", order)
	}
	if ms := a.messages("bob", 10); len(ms) != 1 || ms[0].DeliveryState != core.DeliverySent {
		t.Errorf("alice's cache: %+v, want the message, sent", ms)
	}
}
