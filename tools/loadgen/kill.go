package main

import (
	"context"
	"fmt"
	mrand "math/rand/v2"
	"sync/atomic"
	"time"
)

// redialer logs a client in again after its connection ended (-kill: the
// server was killed), waiting for the restarted server, as the SDK's
// reconnect loop does. Sends due while a client is down are skipped; its
// sends that were unanswered when the connection ended stay unacked (the
// audit checks what was stored).
type redialer struct {
	ctx     context.Context
	cfg     config
	sem     chan struct{} // logins in flight (the server's per-IP login burst)
	stopped atomic.Bool   // the run is over: connections end for good
}

// run logs c in again (for up to two minutes) and restarts its readLoop.
func (r *redialer) run(c *client, peer *client) {
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); {
		if r.stopped.Load() || r.ctx.Err() != nil {
			return
		}
		r.sem <- struct{}{}
		err := c.connect(r.ctx, r.cfg)
		<-r.sem
		if err == nil {
			if r.stopped.Load() {
				c.conn().CloseNow()
				return
			}
			c.dead.Store(false)
			go c.readLoop(peer)
			return
		}
		time.Sleep(100*time.Millisecond + mrand.N(200*time.Millisecond))
	}
}

// killMidStep kills the server with SIGKILL at a random moment in the
// middle half of a step of length step, then restarts it on the same
// address and data dir. The channel gets nil once the server is healthy
// again, or the error that stopped it.
func killMidStep(p *serverProc, step time.Duration) chan error {
	done := make(chan error, 1)
	go func() {
		time.Sleep(step/4 + mrand.N(step/2))
		if err := p.kill(); err != nil {
			done <- err
			return
		}
		if err := p.start(context.Background()); err != nil {
			done <- fmt.Errorf("restart after kill -9: %w", err)
			return
		}
		done <- nil
	}()
	return done
}
