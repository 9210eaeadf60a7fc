// Command loadgen measures the server's message paths the way clients use
// them: it speaks the wire protocol (docs/protocol.md) over WebSockets from
// many connections. Its default run offers a stepped rate of P2P text sends
// and reports, per step, acked msg/s, ack and delivery latency, loss and
// duplicates, and the bytes the server wrote to disk per message; -idle
// measures the server's memory per connection, -fanout team fan-out, and
// -kill the durability of acked messages across kill -9.
//
// It creates -conns accounts through the REST API (user/create.action),
// logs each in on its own connection and pairs them (0↔1, 2↔3, …): every
// connection sends to its peer, so each pair shares one conversation that
// both write to. Each step offers -rate msg/s in total, spread evenly over
// the connections (open loop: a send goes out on time whether or not the
// earlier ones were answered; the server's per-connection limit of 50
// requests/s caps a step at 50 × conns). After a step it waits up to -drain
// for outstanding acks and pushes. It stops after a step that left more
// than a tenth of its sends unacked (saturated).
//
// Per step it prints (and writes to -json):
//
//   - offered and acked msg/s (acked sends ÷ the time from the step's start
//     to its last ack, at least the step's length);
//   - ack p50/p99: send → the send's reply;
//   - delivery p50/p99: send → the peer connection's msg push;
//   - unacked (no reply by the end of the drain, or an error reply), lost
//     (acked, not pushed to the peer by the end of the drain), dup (pushed
//     twice);
//   - disk bytes per acked message: the growth of yunxin.db + yunxin.db-wal
//     over the step, and, when loadgen started the server, the bytes the
//     server process wrote to storage (/proc/PID/io write_bytes) — the WAL
//     is reused after a checkpoint, so its file size alone undercounts;
//   - the load average at the end of the step (/proc/loadavg).
//
// At the end it audits: the acked seqs of every conversation must be
// distinct and contiguous; with -audit it also reads every conversation
// back with history and checks that each acked message is stored exactly
// once, with the seq its ack gave, and that the stored seqs have no gap.
// The exit status is 1 when a check fails.
//
// -kill N (with the server loadgen starts) kills the server with SIGKILL at
// a random moment in the middle half of each of the first N steps and
// starts it again at once on the same address and data dir. Every
// connection logs in again as soon as it can and resends, with the same
// client ids, the sends that had no reply when its connection ended (as
// the SDK's outbox does); sends due while it is down are skipped. The
// end's checks then say whether an acked message was lost, stored twice or
// left a seq gap (use it with -audit). "lost" in a step's row counts pushes
// that never came because the peer was down: a client gets those at its
// next sync, so they are no failure. A resent send's ack latency runs from
// its first send. The disk bytes per message are not measured (0).
//
// -idle N measures memory per connection instead of the steps: it creates
// N accounts and one super team of all of them (an extra connection of the
// first account creates it, and later sends), waits -settle, reads the
// server's VmRSS (/proc/PID/status: the server loadgen started, or -pid),
// logs the N accounts in on a connection each, waits -settle, reads it
// again, then has the extra connection send -burst messages to the team, so
// that every connection is pushed -burst messages at once (its outgoing
// queue fills faster than the client reads), waits until all are read and
// -settle more, and reads it a last time. It reports (reading − before) ÷ N
// for idle and busy. VmRSS counts Go heap the runtime has not returned to
// the system yet (the server has no endpoint for its heap statistics, and
// loadgen adds none), so the busy figure is what the process holds, an upper
// bound of what the connections need; RssAnon is reported too.
//
// -fanout N measures team fan-out instead of the steps: N accounts, one
// super team of all of them (created as the SDK does, with tcreate and
// tinvite), every member logged in on one connection; member 0 sends -msgs
// messages to the team back to back, and loadgen reports deliveries/s =
// (N−1)·msgs ÷ (first send → last push read by a member's connection) and
// the delivery p50/p99 (a message's send → a member's read of its push).
// When loadgen starts the server for N above 2,000 it raises
// YUNXIN_SUPER_TEAM_MAX_MEMBERS to N.
//
// Flags:
//
//	-server PATH   start this server binary on a fresh data dir (default bin/yunxin-server)
//	-addr HOST:PORT target a running server instead of starting one
//	-data DIR      the server's data dir (started: created if empty; running: for disk sizes)
//	-secret S      the app secret for the REST API (default the server's demo secret)
//	-appkey K      the app key (default demo)
//	-conns N       connections = accounts (even, default 400)
//	-steps LIST    offered rates in msg/s, comma-separated (default 1000,2000,4000,6000,8000,10000)
//	-step D        length of each step (default 10s)
//	-drain D       wait for acks and pushes after each step (default 3s)
//	-audit         read every conversation back at the end and check it
//	-kill N        kill -9 and restart the server mid-step in the first N steps (not with -addr)
//	-idle N        memory per connection with N connections (instead of the steps)
//	-burst N       -idle: messages pushed to every connection for the busy reading (default 100)
//	-settle D      -idle: quiet time before each memory reading (default 5s)
//	-pid PID       -idle with -addr: the running server's process id
//	-fanout N      team fan-out to N members (instead of the steps)
//	-msgs N        -fanout: messages sent to the team (default 20)
//	-json FILE     write the results as JSON
//
// loadgen -addr … -audit against a server that is killed (kill -9) and
// restarted by hand mid-run checks the same as -kill, but its connections
// that die stay down for the rest of the run; the audit reconnects
// (waiting up to a minute for the server) and reads everything.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"yunxin/core"
	"yunxin/internal/imclient"
	"yunxin/internal/jx"
	"yunxin/proto"
)

// config holds the flags.
type config struct {
	imclient.Flags
	data, jsonOut                              string
	conns                                      int
	steps                                      []int
	step, drain                                time.Duration
	audit                                      bool
	idle, burst, fanout, fanoutMsgs, pid, kill int
	settle                                     time.Duration
}

func main() {
	var cfg config
	cfg.Register(flag.CommandLine)
	var steps string
	flag.StringVar(&cfg.data, "data", "", "the server's data dir (default: a new temporary dir when starting one)")
	flag.IntVar(&cfg.conns, "conns", 400, "connections (accounts), even")
	flag.StringVar(&steps, "steps", "1000,2000,4000,6000,8000,10000", "offered rates in msg/s")
	flag.DurationVar(&cfg.step, "step", 10*time.Second, "length of each step")
	flag.DurationVar(&cfg.drain, "drain", 3*time.Second, "wait for acks and pushes after each step")
	flag.BoolVar(&cfg.audit, "audit", false, "read every conversation back at the end and check it")
	flag.StringVar(&cfg.jsonOut, "json", "", "write the results as JSON to this file")
	flag.IntVar(&cfg.idle, "idle", 0, "measure the server's RSS per connection with this many idle connections (instead of the steps)")
	flag.IntVar(&cfg.burst, "burst", 100, "-idle: messages pushed to every connection for the busy reading")
	flag.DurationVar(&cfg.settle, "settle", 5*time.Second, "-idle: how long the server stays idle before each RSS reading")
	flag.IntVar(&cfg.pid, "pid", 0, "-idle with -addr: the running server's process id")
	flag.IntVar(&cfg.fanout, "fanout", 0, "measure team fan-out to a team of this many members, all online (instead of the steps)")
	flag.IntVar(&cfg.fanoutMsgs, "msgs", 20, "-fanout: messages one member sends to the team")
	flag.IntVar(&cfg.kill, "kill", 0, "kill the server (SIGKILL) mid-step in this many steps, restart it on the same data dir, audit at the end")
	flag.Parse()
	for _, s := range strings.Split(steps, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			fmt.Fprintf(os.Stderr, "loadgen: -steps: %q is not a positive rate\n", s)
			os.Exit(2)
		}
		cfg.steps = append(cfg.steps, n)
	}
	if cfg.kill > 0 && cfg.Addr != "" {
		fmt.Fprintln(os.Stderr, "loadgen: -kill starts the server itself: drop -addr")
		os.Exit(2)
	}
	if cfg.idle < 0 || cfg.fanout < 0 || cfg.burst < 0 || cfg.fanoutMsgs < 1 || cfg.kill < 0 ||
		cfg.idle > 0 && cfg.fanout > 0 || cfg.idle == 1 || cfg.fanout == 1 {
		fmt.Fprintln(os.Stderr, "loadgen: -idle N and -fanout N (N ≥ 2) are separate runs; -burst ≥ 0, -msgs ≥ 1, -kill ≥ 0")
		os.Exit(2)
	}
	if cfg.conns < 2 || cfg.conns%2 != 0 {
		fmt.Fprintln(os.Stderr, "loadgen: -conns must be even and at least 2")
		os.Exit(2)
	}
	ok, err := run(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
	if !ok {
		os.Exit(1)
	}
}

// Result is what loadgen measured (the -json file).
type Result struct {
	Conns  int           `json:"conns"`
	Steps  []StepResult  `json:"steps"`
	Kills  int           `json:"kills,omitempty"`  // -kill: the server was killed (SIGKILL) and restarted this many times
	Resent int           `json:"resent,omitempty"` // -kill: sends unanswered when their connection ended, sent again after the login
	Audit  *AuditResult  `json:"audit,omitempty"`
	Idle   *IdleResult   `json:"idle,omitempty"`
	Fanout *FanoutResult `json:"fanout,omitempty"`
	Failed []string      `json:"failed,omitempty"` // the checks that failed
}

// StepResult is one step of offered load.
type StepResult struct {
	Offered       int     `json:"offered"` // msg/s
	Sent          int     `json:"sent"`
	AckedPerSec   float64 `json:"ackedPerSec"`
	AckP50Ms      float64 `json:"ackP50Ms"`
	AckP99Ms      float64 `json:"ackP99Ms"`
	DelivP50Ms    float64 `json:"deliveryP50Ms"`
	DelivP99Ms    float64 `json:"deliveryP99Ms"`
	Unacked       int     `json:"unacked"`
	Errors        int     `json:"errors"` // error replies (non-200)
	Lost          int     `json:"lost"`   // acked, not pushed to the peer by the end of the drain
	Dup           int     `json:"dup"`    // pushed more than once
	FileBytesMsg  float64 `json:"fileBytesPerMsg"`
	WriteBytesMsg float64 `json:"writeBytesPerMsg,omitempty"` // from /proc/PID/io; 0 when unknown
	LoadAvg       string  `json:"loadavg"`
}

// AuditResult is the read-back check of -audit.
type AuditResult struct {
	Acked   int `json:"acked"`
	Missing int `json:"missing"` // acked, not stored
	Dup     int `json:"dup"`     // stored more than once (same cid)
	Gaps    int `json:"gaps"`    // missing seqs between 1 and the last stored
	Moved   int `json:"moved"`   // stored under another seq than its ack said
}

// sent is one send in flight or done.
type sent struct {
	cid    string
	at     time.Time
	step   int
	ackAt  time.Time
	seq    int64
	code   int
	pushes int
	pushAt time.Time
}

// client is one logged-in connection.
type client struct {
	acc, peer, conv string
	ws              *websocket.Conn
	nextID          atomic.Uint64
	mu              sync.Mutex
	pending         map[uint64]*sent // request id → send
	byCID           map[string]*sent // what this client sent, by cid (its peer's pushes find them)
	replies         map[uint64]chan proto.Frame
	dead            atomic.Bool
	redial          *redialer // -kill: log in again when the connection ends
}

func run(cfg config) (bool, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var pid int
	var srv *imclient.Server
	if cfg.Addr == "" {
		o := imclient.ServerOptions{Binary: cfg.Server, Data: cfg.data, AppKey: cfg.AppKey, Secret: cfg.Secret,
			LogName: "loadgen-server.log"}
		if n := max(cfg.idle, cfg.fanout); n > proto.DefaultSuperMembers {
			// -idle and -fanout put every account in one super team.
			o.Env = append(o.Env, "YUNXIN_SUPER_TEAM_MAX_MEMBERS="+strconv.Itoa(n))
		}
		var err error
		if srv, err = imclient.StartServer(ctx, o); err != nil {
			return false, err
		}
		defer srv.Stop()
		cfg.Addr, cfg.data, pid = srv.Addr, srv.Data, srv.Pid()
	} else {
		pid = cfg.pid
	}
	switch {
	case cfg.idle > 0:
		return runIdle(ctx, cfg, pid)
	case cfg.fanout > 0:
		return runFanout(ctx, cfg)
	}
	accs, err := newAccounts(ctx, cfg, cfg.conns)
	if err != nil {
		return false, err
	}
	clients := make([]*client, cfg.conns)
	for i := range clients {
		clients[i] = newClient(accs[i], accs[i^1])
	}
	if err := loginAll(ctx, cfg, clients); err != nil {
		return false, err
	}
	var rd *redialer
	stepCfg := cfg
	if cfg.kill > 0 {
		rd = &redialer{ctx: ctx, cfg: cfg, sem: make(chan struct{}, 8)}
		// No disk bytes per message: write_bytes would mix the processes of
		// a step, and a restart checkpoints the WAL (the files shrink).
		pid, stepCfg.data = 0, ""
	}
	for i, c := range clients {
		c.redial = rd
		go c.readLoop(clients[i^1])
	}

	res := Result{Conns: cfg.conns}
	fmt.Printf("%d connections on %s\n", cfg.conns, cfg.Addr)
	fmt.Printf("%8s %8s %8s %8s %8s %8s %8s %7s %5s %5s %9s %9s  %s\n", "offered", "acked/s", "ack p50", "ack p99",
		"dlv p50", "dlv p99", "unacked", "errors", "lost", "dup", "file B/m", "write B/m", "loadavg")
	for si, rate := range cfg.steps {
		var killed chan killReport
		if si < cfg.kill {
			killed = killMidStep(srv, cfg.step)
		}
		r := runStep(ctx, stepCfg, clients, si, rate, pid)
		res.Steps = append(res.Steps, r)
		fmt.Printf("%8d %8.0f %8.1f %8.1f %8.1f %8.1f %8d %7d %5d %5d %9.0f %9.0f  %s\n", r.Offered, r.AckedPerSec,
			r.AckP50Ms, r.AckP99Ms, r.DelivP50Ms, r.DelivP99Ms, r.Unacked, r.Errors, r.Lost, r.Dup,
			r.FileBytesMsg, r.WriteBytesMsg, r.LoadAvg)
		if killed != nil {
			k := <-killed
			if k.err != nil {
				return false, k.err
			}
			res.Kills++
			fmt.Printf("         ↑ server killed (SIGKILL) %.1f s into the step, healthy again %.0f ms later\n",
				k.at.Seconds(), float64(k.down.Microseconds())/1000)
		}
		if r.Dup > 0 {
			res.Failed = append(res.Failed, fmt.Sprintf("step %d: %d messages pushed twice", rate, r.Dup))
		}
		if r.Unacked*10 > r.Sent {
			// Saturated: the backlog would only spill into the next steps.
			fmt.Printf("stopping: %d of %d sends unacked after the drain\n", r.Unacked, r.Sent)
			break
		}
	}
	res.Failed = append(res.Failed, checkAckedSeqs(clients)...)
	if rd != nil {
		rd.stopped.Store(true)
		res.Resent = int(rd.resent.Load())
		fmt.Printf("%d sends unanswered at a kill were sent again after the reconnect\n", res.Resent)
	}
	for _, c := range clients {
		c.conn().Close(websocket.StatusNormalClosure, "")
	}
	if cfg.audit {
		a, failed, err := audit(ctx, cfg, clients)
		if err != nil {
			return false, err
		}
		res.Audit = &a
		res.Failed = append(res.Failed, failed...)
		fmt.Printf("audit: %d acked, %d missing, %d stored twice, %d seq gaps, %d under another seq\n",
			a.Acked, a.Missing, a.Dup, a.Gaps, a.Moved)
	}
	return finish(cfg, res)
}

// finish prints res's failed checks and writes the -json file; ok is
// whether no check failed.
func finish(cfg config, res Result) (ok bool, err error) {
	for _, f := range res.Failed {
		fmt.Println("FAIL:", f)
	}
	if cfg.jsonOut != "" {
		b, _ := json.MarshalIndent(res, "", "  ")
		if err := os.WriteFile(cfg.jsonOut, append(b, '\n'), 0o644); err != nil {
			return false, fmt.Errorf("write %s: %w", cfg.jsonOut, err)
		}
	}
	return len(res.Failed) == 0, nil
}

// newClient is a client for account acc whose sends go to peer (P2P).
func newClient(acc, peer string) *client {
	c := &client{acc: acc, peer: peer, pending: map[uint64]*sent{}, byCID: map[string]*sent{}, replies: map[uint64]chan proto.Frame{}}
	if peer != "" {
		c.conv = proto.P2PConv(acc, peer)
	}
	return c
}

// newAccounts creates n accounts for one run through the REST API and
// returns them (token imclient.Token(account)).
func newAccounts(ctx context.Context, cfg config, n int) ([]string, error) {
	runID := imclient.RandHex(4)
	accs := make([]string, n)
	for i := range accs {
		accs[i] = fmt.Sprintf("lg%s_%d", runID, i)
	}
	return accs, imclient.CreateAccounts(ctx, cfg.Addr, cfg.AppKey, cfg.Secret, accs)
}

// loginAll logs every client in, a few at a time.
func loginAll(ctx context.Context, cfg config, clients []*client) error {
	// Logins in flight count against the server's per-IP burst of 20.
	return imclient.Each(clients, 8, func(c *client) error { return c.connect(ctx, cfg) })
}

// connect dials and logs c in (again, with -kill: it replaces c's
// connection).
func (c *client) connect(ctx context.Context, cfg config) error {
	ws, err := imclient.Login(ctx, cfg.Addr, cfg.AppKey, c.acc, "loadgen")
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.ws = ws
	c.mu.Unlock()
	// Request ids go on growing over a reconnect: an id still in c.pending
	// from the connection that ended is never taken again.
	c.nextID.CompareAndSwap(0, imclient.LoginID)
	return nil
}

// frames calls fn with each frame read from c's connection (as it is now)
// and the time it was read, until the connection ends.
func (c *client) frames(fn func(f proto.Frame, at time.Time)) {
	ws := c.conn()
	for {
		_, data, err := ws.Read(context.Background())
		if err != nil {
			return
		}
		now := time.Now()
		var f proto.Frame
		if json.Unmarshal(data, &f) == nil {
			fn(f, now)
		}
	}
}

// conn is c's connection now (-kill replaces it).
func (c *client) conn() *websocket.Conn {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ws
}

// call sends one request and waits for its reply (read by readLoop).
func (c *client) call(ctx context.Context, op string, payload any) (proto.Frame, error) {
	id := c.nextID.Add(1)
	d, _ := json.Marshal(payload)
	b, _ := json.Marshal(proto.Frame{ID: id, Op: op, Data: d})
	ch := make(chan proto.Frame, 1)
	c.mu.Lock()
	c.replies[id] = ch
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := c.conn().Write(ctx, websocket.MessageText, b); err != nil {
		return proto.Frame{}, err
	}
	select {
	case f := <-ch:
		return f, nil
	case <-ctx.Done():
		return proto.Frame{}, fmt.Errorf("%s: no reply: %w", op, ctx.Err())
	}
}

// readLoop reads c's frames until the connection ends: replies to sends and
// calls, and msg pushes (peer's sends, found in peer.byCID). With -kill it
// then logs in again (c.redial).
func (c *client) readLoop(peer *client) {
	defer func() {
		c.dead.Store(true)
		if c.redial != nil {
			go c.redial.run(c, peer)
		}
	}()
	c.frames(func(f proto.Frame, now time.Time) {
		switch {
		case f.ID != 0:
			c.mu.Lock()
			s := c.pending[f.ID]
			delete(c.pending, f.ID)
			ch := c.replies[f.ID]
			delete(c.replies, f.ID)
			if s != nil {
				s.ackAt, s.code = now, f.Code
				if f.Code == 200 {
					var r proto.SendResp
					if json.Unmarshal(f.Data, &r) == nil {
						s.seq = r.Seq
					}
				}
			}
			c.mu.Unlock()
			if ch != nil {
				ch <- f
			}
		case f.Op == proto.PushMsg:
			var m proto.Msg
			if json.Unmarshal(f.Data, &m) != nil || m.From != peer.acc {
				return
			}
			peer.mu.Lock()
			if s := peer.byCID[m.ClientID]; s != nil {
				s.pushes++
				if s.pushes == 1 {
					s.pushAt = now
				}
			}
			peer.mu.Unlock()
		}
	})
}

// send sends one text message to c's peer (without waiting for its reply).
func (c *client) send(step int) {
	if c.dead.Load() {
		return
	}
	cid := core.NewMessageID() // as the SDK makes them: they sort by time (the server's dedupe index likes it)
	s := &sent{cid: cid, at: time.Now(), step: step}
	c.mu.Lock()
	c.byCID[cid] = s
	c.mu.Unlock()
	c.write(s)
}

// resendPending sends again, under new request ids, the sends whose
// connection ended before their reply (as the SDK's outbox does after a
// reconnect): the server stores a client id once and answers a resend of
// a stored one as its duplicate. It returns how many it resent.
func (c *client) resendPending() int {
	c.mu.Lock()
	var open []*sent
	for id, s := range c.pending {
		open = append(open, s)
		delete(c.pending, id)
	}
	c.mu.Unlock()
	for _, s := range open {
		c.write(s)
	}
	return len(open)
}

// write sends s under a new request id.
func (c *client) write(s *sent) {
	id := c.nextID.Add(1)
	c.mu.Lock()
	c.pending[id] = s
	c.mu.Unlock()
	d, _ := json.Marshal(proto.SendReq{Msg: proto.Msg{ClientID: s.cid, To: c.peer, ChatType: proto.ChatP2P, Type: proto.MsgText,
		Body: jx.RawMessage(`{"text":"load ` + s.cid + `"}`)}})
	b, _ := json.Marshal(proto.Frame{ID: id, Op: proto.OpSend, Data: d})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws := c.conn()
	if err := ws.Write(ctx, websocket.MessageText, b); err != nil && ws == c.conn() {
		c.dead.Store(true) // (a write error on a connection already replaced says nothing)
	}
}

// runStep offers rate msg/s for cfg.step, drains, and summarizes the sends
// of that step.
func runStep(ctx context.Context, cfg config, clients []*client, step, rate, pid int) StepResult {
	files0, io0 := dbBytes(cfg.data), writeBytes(pid)
	interval := time.Duration(float64(time.Second) * float64(len(clients)) / float64(rate))
	start := time.Now()
	end := start.Add(cfg.step)
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Spread the connections' phases over one interval.
			next := start.Add(interval * time.Duration(i) / time.Duration(len(clients)))
			for next.Before(end) {
				time.Sleep(time.Until(next))
				c.send(step)
				next = next.Add(interval)
			}
		}()
	}
	wg.Wait()
	// Drain: until every send of the step is answered and pushed, or -drain.
	drainEnd := time.Now().Add(cfg.drain)
	for time.Now().Before(drainEnd) && !stepDone(clients, step) {
		time.Sleep(20 * time.Millisecond)
	}
	r := StepResult{Offered: rate, LoadAvg: imclient.LoadAvg()}
	var acks, dlv []time.Duration
	acked := 0
	var lastAck time.Duration // the rate is over the time the acks took, backlog included
	for _, c := range clients {
		c.mu.Lock()
		for _, s := range c.byCID {
			if s.step != step {
				continue
			}
			r.Sent++
			switch {
			case s.ackAt.IsZero():
				r.Unacked++
			case s.code != 200:
				r.Errors++
			default:
				acked++
				acks = append(acks, s.ackAt.Sub(s.at))
				lastAck = max(lastAck, s.ackAt.Sub(start))
				if s.pushes == 0 {
					r.Lost++
				} else {
					dlv = append(dlv, s.pushAt.Sub(s.at))
				}
			}
			if s.pushes > 1 {
				r.Dup++
			}
		}
		c.mu.Unlock()
	}
	r.AckedPerSec = float64(acked) / max(lastAck, cfg.step).Seconds()
	r.AckP50Ms, r.AckP99Ms = pct(acks, 50), pct(acks, 99)
	r.DelivP50Ms, r.DelivP99Ms = pct(dlv, 50), pct(dlv, 99)
	if acked > 0 {
		r.FileBytesMsg = float64(dbBytes(cfg.data)-files0) / float64(acked)
		if pid != 0 {
			r.WriteBytesMsg = float64(writeBytes(pid)-io0) / float64(acked)
		}
	}
	return r
}

// stepDone reports whether every send of step got its reply and, if acked,
// its push.
func stepDone(clients []*client, step int) bool {
	for _, c := range clients {
		if c.dead.Load() {
			continue
		}
		c.mu.Lock()
		for _, s := range c.byCID {
			if s.step == step && (s.ackAt.IsZero() || s.code == 200 && s.pushes == 0) {
				c.mu.Unlock()
				return false
			}
		}
		c.mu.Unlock()
	}
	return true
}

// checkAckedSeqs checks that the acked seqs of each conversation (both
// members' sends) are distinct and, from the first, contiguous. A pair
// with a send still unanswered (stored perhaps, its ack not in yet) or a
// dead connection is only checked for distinct seqs: -audit checks what
// was stored.
func checkAckedSeqs(clients []*client) []string {
	var failed []string
	for i := 0; i < len(clients); i += 2 {
		var seqs []int64
		open := false
		for _, c := range clients[i : i+2] {
			c.mu.Lock()
			for _, s := range c.byCID {
				switch {
				case s.ackAt.IsZero():
					open = true
				case s.code == 200:
					seqs = append(seqs, s.seq)
				}
			}
			c.mu.Unlock()
			open = open || c.dead.Load()
		}
		slices.Sort(seqs)
		for j := 1; j < len(seqs); j++ {
			if seqs[j] == seqs[j-1] {
				failed = append(failed, fmt.Sprintf("%s: seq %d acked twice", clients[i].conv, seqs[j]))
			}
		}
		if len(seqs) > 0 && !open && seqs[len(seqs)-1]-seqs[0]+1 != int64(len(seqs)) {
			failed = append(failed, fmt.Sprintf("%s: acked seqs %d…%d are %d, not contiguous", clients[i].conv,
				seqs[0], seqs[len(seqs)-1], len(seqs)))
		}
	}
	return failed
}

// audit logs in again as the first member of each pair (waiting up to a
// minute for the server) and reads each conversation back with history.
func audit(ctx context.Context, cfg config, clients []*client) (AuditResult, []string, error) {
	var a AuditResult
	var failed []string
	for i := 0; i < len(clients); i += 2 {
		acked := map[string]int64{} // cid → seq
		for _, c := range clients[i : i+2] {
			c.mu.Lock()
			for cid, s := range c.byCID {
				if s.code == 200 && !s.ackAt.IsZero() {
					acked[cid] = s.seq
				}
			}
			c.mu.Unlock()
		}
		a.Acked += len(acked)
		r := &client{acc: clients[i].acc, pending: map[uint64]*sent{}, byCID: map[string]*sent{}, replies: map[uint64]chan proto.Frame{}}
		var err error
		for deadline := time.Now().Add(time.Minute); ; {
			if err = r.connect(ctx, cfg); err == nil || time.Now().After(deadline) {
				break
			}
			time.Sleep(500 * time.Millisecond)
		}
		if err != nil {
			return a, nil, fmt.Errorf("audit: %w", err)
		}
		go r.readLoop(&client{})
		stored := map[string][]int64{}
		var seqs []int64
		for after := int64(0); ; {
			f, err := r.call(ctx, proto.OpHistory, proto.HistoryReq{Conv: clients[i].conv, Seq: after, Newer: true, Limit: proto.MaxHistory})
			if err != nil {
				return a, nil, fmt.Errorf("audit history of %s: %w", clients[i].conv, err)
			}
			if f.Code == 403 && after == 0 {
				break // no message ever stored: no conversation
			}
			if f.Code != 200 {
				return a, nil, fmt.Errorf("audit history of %s: %d %s", clients[i].conv, f.Code, f.Msg)
			}
			var h proto.HistoryResp
			if err := json.Unmarshal(f.Data, &h); err != nil {
				return a, nil, fmt.Errorf("audit history of %s: %w", clients[i].conv, err)
			}
			for _, m := range h.Msgs {
				stored[m.ClientID] = append(stored[m.ClientID], m.Seq)
				seqs = append(seqs, m.Seq)
				after = m.Seq
			}
			if !h.More || len(h.Msgs) == 0 {
				break
			}
		}
		r.ws.Close(websocket.StatusNormalClosure, "")
		for cid, seq := range acked {
			got := stored[cid]
			switch {
			case len(got) == 0:
				a.Missing++
				failed = append(failed, fmt.Sprintf("%s: acked %s (seq %d) not stored", clients[i].conv, cid, seq))
			case len(got) > 1:
				a.Dup++
				failed = append(failed, fmt.Sprintf("%s: %s stored %d times", clients[i].conv, cid, len(got)))
			case got[0] != seq:
				a.Moved++
				failed = append(failed, fmt.Sprintf("%s: %s acked as seq %d, stored as %d", clients[i].conv, cid, seq, got[0]))
			}
		}
		for j, s := range seqs {
			if s != int64(j+1) {
				a.Gaps++
				failed = append(failed, fmt.Sprintf("%s: stored seqs not 1…%d (seq %d at %d)", clients[i].conv, len(seqs), s, j+1))
				break
			}
		}
	}
	return a, failed, nil
}

// dbBytes is the size of yunxin.db and its WAL in dir (0 without dir).
func dbBytes(dir string) int64 {
	if dir == "" {
		return 0
	}
	var n int64
	for _, f := range []string{"yunxin.db", "yunxin.db-wal"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err == nil {
			n += st.Size()
		}
	}
	return n
}

// writeBytes is write_bytes of /proc/pid/io (0 when unknown).
func writeBytes(pid int) int64 {
	if pid == 0 {
		return 0
	}
	f, err := os.Open(fmt.Sprintf("/proc/%d/io", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "write_bytes: "); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return 0
}

// pct is the p-th percentile of ds in milliseconds (0 when empty).
func pct(ds []time.Duration, p int) float64 {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	i := (len(ds)*p + 99) / 100
	i = min(max(i-1, 0), len(ds)-1)
	return float64(ds[i].Microseconds()) / 1000
}
