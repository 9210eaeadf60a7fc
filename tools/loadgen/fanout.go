package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"yunxin/internal/imclient"
)

// FanoutResult is what -fanout measured: one member of a team of Members
// members, all online, sent Msgs messages to the team at once.
type FanoutResult struct {
	Members          int     `json:"members"`
	Msgs             int     `json:"msgs"`
	Expected         int     `json:"expected"`   // (members − 1) × msgs
	Deliveries       int     `json:"deliveries"` // msg pushes read, duplicates left out
	Missing          int     `json:"missing"`
	Dup              int     `json:"dup"`
	Acked            int     `json:"acked"`   // sends answered 200
	Seconds          float64 `json:"seconds"` // first send → last push read
	DeliveriesPerSec float64 `json:"deliveriesPerSec"`
	DelivP50Ms       float64 `json:"deliveryP50Ms"`
	DelivP99Ms       float64 `json:"deliveryP99Ms"`
}

// runFanout creates cfg.fanout accounts and a super team of all of them,
// logs every member in on its own connection, has member 0 send
// cfg.fanoutMsgs messages to the team back to back (without waiting for
// the replies) and waits (up to a minute) until every other member's
// connection has read every message.
func runFanout(ctx context.Context, cfg config) (bool, error) {
	n, msgs := cfg.fanout, cfg.fanoutMsgs
	accs, err := newAccounts(ctx, cfg, n)
	if err != nil {
		return false, err
	}
	clients := make([]*client, n)
	for i := range clients {
		clients[i] = newClient(accs[i], "")
	}
	sender := clients[0]
	if err := sender.connect(ctx, cfg); err != nil {
		return false, err
	}
	tid, err := createTeam(ctx, sender, accs[1:])
	if err != nil {
		return false, err
	}
	if err := loginAll(ctx, cfg, clients[1:]); err != nil {
		return false, err
	}
	fmt.Printf("team %s: %d members online on %s\n", tid, n, cfg.Addr)

	prefix := teamPrefix()
	sendAt := make([]atomic.Int64, msgs) // unix ns of each send
	var (
		delivered, acked, failed atomic.Int64
		lastPush                 atomic.Int64
		done                     = make(chan struct{})
		expected                 = int64(n-1) * int64(msgs)
		lats                     = make([][]time.Duration, n)
		dups                     = make([]int, n)
		wg                       sync.WaitGroup
	)
	for i, c := range clients {
		seen := make([]bool, msgs)
		onPush := func(k int, at time.Time) {
			if k < 0 || k >= msgs {
				return
			}
			if seen[k] {
				dups[i]++
				return
			}
			seen[k] = true
			lats[i] = append(lats[i], at.Sub(time.Unix(0, sendAt[k].Load())))
			for t := lastPush.Load(); at.UnixNano() > t && !lastPush.CompareAndSwap(t, at.UnixNano()); t = lastPush.Load() {
			}
			if delivered.Add(1) == expected {
				close(done)
			}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.teamRead(prefix, onPush, &acked, &failed)
		}()
	}
	time.Sleep(time.Second) // let the logins' work end
	start := time.Now()
	for k := range msgs {
		sendAt[k].Store(time.Now().UnixNano())
		if err := sender.teamSend(tid, fmt.Sprintf("%s%d", prefix, k)); err != nil {
			return false, err
		}
	}
	select {
	case <-done:
	case <-time.After(time.Minute):
	}
	time.Sleep(200 * time.Millisecond) // late duplicates, the last replies
	for _, c := range clients {
		c.conn().Close(websocket.StatusNormalClosure, "")
	}
	wg.Wait()

	r := FanoutResult{Members: n, Msgs: msgs, Expected: int(expected), Deliveries: int(delivered.Load()), Acked: int(acked.Load())}
	r.Missing = r.Expected - r.Deliveries
	var all []time.Duration
	for i := range clients {
		all = append(all, lats[i]...)
		r.Dup += dups[i]
	}
	if last := lastPush.Load(); last > 0 {
		r.Seconds = time.Unix(0, last).Sub(start).Seconds()
		r.DeliveriesPerSec = float64(r.Deliveries) / r.Seconds
	}
	r.DelivP50Ms, r.DelivP99Ms = pct(all, 50), pct(all, 99)
	fmt.Printf("%d members, %d messages: %d of %d deliveries in %.2f s = %.0f deliveries/s (target ≥ 50,000: %s); delivery p50 %.1f ms, p99 %.1f ms; %d acked, %d missing, %d dup; loadavg %s\n",
		n, msgs, r.Deliveries, r.Expected, r.Seconds, r.DeliveriesPerSec, met(r.DeliveriesPerSec >= 50000),
		r.DelivP50Ms, r.DelivP99Ms, r.Acked, r.Missing, r.Dup, imclient.LoadAvg())
	res := Result{Conns: n, Fanout: &r}
	if r.Missing > 0 {
		res.Failed = append(res.Failed, fmt.Sprintf("fan-out: %d of %d deliveries missing after a minute", r.Missing, r.Expected))
	}
	if r.Dup > 0 {
		res.Failed = append(res.Failed, fmt.Sprintf("fan-out: %d messages pushed twice to a connection", r.Dup))
	}
	if f := failed.Load(); f > 0 {
		res.Failed = append(res.Failed, fmt.Sprintf("fan-out: %d sends refused", f))
	}
	return finish(cfg, res)
}

// met words whether a target was met.
func met(ok bool) string {
	if ok {
		return "met"
	}
	return "not met"
}
