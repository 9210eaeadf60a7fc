package main

import (
	"context"
	"fmt"
	mrand "math/rand/v2"
	"sync/atomic"
	"time"

	"yunxin/internal/imclient"
)

// redialer logs a client in again after its connection ended (-kill: the
// server was killed), waiting for the restarted server, as the SDK's
// reconnect loop does. Sends due while a client is down are skipped; its
// sends that were unanswered when the connection ended are sent again with
// the same client ids once it is logged in (client.resendPending).
type redialer struct {
	ctx     context.Context
	cfg     config
	sem     chan struct{} // logins in flight (the server's per-IP login burst)
	stopped atomic.Bool   // the run is over: connections end for good
	resent  atomic.Int64  // sends sent again after a login
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
			r.resent.Add(int64(c.resendPending()))
			return
		}
		time.Sleep(100*time.Millisecond + mrand.N(200*time.Millisecond))
	}
}

// killReport is one kill of killMidStep: when in the step, how long the
// server took to be healthy again, or the error that stopped it.
type killReport struct {
	at, down time.Duration
	err      error
}

// killMidStep kills the server with SIGKILL at a random moment in the
// middle half of a step of length step, then restarts it on the same
// address and data dir. The channel gets the report once the server is
// healthy again.
func killMidStep(srv *imclient.Server, step time.Duration) chan killReport {
	done := make(chan killReport, 1)
	start := time.Now()
	go func() {
		time.Sleep(step/4 + mrand.N(step/2))
		at := time.Since(start)
		if err := srv.Kill(); err != nil {
			done <- killReport{err: err}
			return
		}
		if err := srv.Restart(context.Background()); err != nil {
			done <- killReport{err: fmt.Errorf("restart after kill -9: %w", err)}
			return
		}
		done <- killReport{at: at, down: time.Since(start) - at}
	}()
	return done
}
