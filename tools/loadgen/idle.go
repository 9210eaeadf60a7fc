package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"yunxin/internal/imclient"
)

// IdleResult is what -idle measured: the server process's resident memory
// (/proc/PID/status) before the connections, with them logged in and idle,
// and after a burst of pushes to every one of them, each reading taken
// after -settle without traffic. Per-connection figures are
// (reading − before) ÷ conns. RSS includes Go heap the runtime has not
// returned to the system yet, so the busy figure is an upper bound of what
// the connections keep.
type IdleResult struct {
	Conns         int     `json:"conns"`
	Burst         int     `json:"burst"` // messages pushed to every connection
	SettleSec     float64 `json:"settleSec"`
	BeforeKB      int64   `json:"rssBeforeKB"` // VmRSS
	IdleKB        int64   `json:"rssIdleKB"`
	BusyKB        int64   `json:"rssBusyKB"`
	AnonBeforeKB  int64   `json:"anonBeforeKB"` // RssAnon (heap and stacks, no mapped files)
	AnonIdleKB    int64   `json:"anonIdleKB"`
	AnonBusyKB    int64   `json:"anonBusyKB"`
	IdlePerConnKB float64 `json:"idlePerConnKB"` // from VmRSS
	BusyPerConnKB float64 `json:"busyPerConnKB"`
	Pushed        int     `json:"pushed"` // burst pushes read by the connections
	Missing       int     `json:"missing"`
	BurstSec      float64 `json:"burstSec"`  // first send → last push read
	PeakKB        int64   `json:"rssPeakKB"` // VmHWM at the end: the process's high-water mark
}

// rss is the resident memory of a process in kB.
type rss struct{ vm, anon, hwm int64 }

// readRSS reads VmRSS, RssAnon and VmHWM of /proc/pid/status.
func readRSS(pid int) (rss, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return rss{}, fmt.Errorf("server memory: %w", err)
	}
	defer f.Close()
	var r rss
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmRSS":
			r.vm = n
		case "RssAnon":
			r.anon = n
		case "VmHWM":
			r.hwm = n
		}
	}
	if r.vm == 0 {
		return r, fmt.Errorf("server memory: no VmRSS in /proc/%d/status", pid)
	}
	return r, sc.Err()
}

// runIdle creates cfg.idle accounts and a super team of all of them (an
// extra connection of account 0 creates it and later sends the burst),
// reads the server's RSS, logs every account in on its own connection,
// reads it again, has the extra connection send cfg.burst messages to the
// team (so that every connection gets cfg.burst pushes at once: its
// outgoing queue fills faster than the client reads) and reads it a last
// time. Each reading follows cfg.settle without traffic.
func runIdle(ctx context.Context, cfg config, pid int) (bool, error) {
	if pid == 0 {
		return false, errors.New("-idle with -addr needs the server's -pid")
	}
	n := cfg.idle
	accs, err := newAccounts(ctx, cfg, n)
	if err != nil {
		return false, err
	}
	driver := newClient(accs[0], "")
	if err := driver.connect(ctx, cfg); err != nil {
		return false, err
	}
	tid, err := createTeam(ctx, driver, accs[1:])
	if err != nil {
		return false, err
	}
	prefix := teamPrefix()
	var acked, failed atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		driver.teamRead(prefix, func(int, time.Time) {}, &acked, &failed)
	}()

	time.Sleep(cfg.settle)
	before, err := readRSS(pid)
	if err != nil {
		return false, err
	}
	clients := make([]*client, n)
	for i := range clients {
		clients[i] = newClient(accs[i], "")
	}
	if err := loginAll(ctx, cfg, clients); err != nil {
		return false, err
	}
	var pushed, lastPush atomic.Int64
	expected := int64(n) * int64(cfg.burst)
	done := make(chan struct{})
	for _, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.teamRead(prefix, func(_ int, at time.Time) {
				lastPush.Store(at.UnixNano()) // (near enough: the last of n readers)
				if pushed.Add(1) == expected {
					close(done)
				}
			}, &acked, &failed)
		}()
	}
	fmt.Printf("%d idle connections on %s (server pid %d); settling %s before each reading\n", n, cfg.Addr, pid, cfg.settle)
	time.Sleep(cfg.settle)
	idle, err := readRSS(pid)
	if err != nil {
		return false, err
	}

	start := time.Now()
	for k := range cfg.burst {
		if k >= 150 {
			time.Sleep(25 * time.Millisecond) // the connection's request rate: 50/s after a burst of 200
		}
		if err := driver.teamSend(tid, fmt.Sprintf("%s%d", prefix, k)); err != nil {
			return false, err
		}
	}
	if expected > 0 {
		select {
		case <-done:
		case <-time.After(2 * time.Minute):
		}
	}
	burstSec := 0.0
	if l := lastPush.Load(); l > 0 {
		burstSec = time.Unix(0, l).Sub(start).Seconds()
	}
	time.Sleep(cfg.settle)
	busy, err := readRSS(pid)
	if err != nil {
		return false, err
	}
	driver.conn().Close(websocket.StatusNormalClosure, "")
	for _, c := range clients {
		c.conn().Close(websocket.StatusNormalClosure, "")
	}
	wg.Wait()

	r := IdleResult{Conns: n, Burst: cfg.burst, SettleSec: cfg.settle.Seconds(),
		BeforeKB: before.vm, IdleKB: idle.vm, BusyKB: busy.vm,
		AnonBeforeKB: before.anon, AnonIdleKB: idle.anon, AnonBusyKB: busy.anon, PeakKB: busy.hwm,
		IdlePerConnKB: float64(idle.vm-before.vm) / float64(n), BusyPerConnKB: float64(busy.vm-before.vm) / float64(n),
		Pushed: int(pushed.Load()), Missing: int(expected - pushed.Load()), BurstSec: burstSec}
	fmt.Printf("server VmRSS: %d kB before, %d kB with %d idle connections, %d kB after %d pushes to each (peak %d kB)\n",
		r.BeforeKB, r.IdleKB, n, r.BusyKB, cfg.burst, r.PeakKB)
	fmt.Printf("per connection: idle %.1f KB (target ≤ 20: %s), busy %.1f KB (target ≤ 40: %s); RssAnon %d → %d → %d kB\n",
		r.IdlePerConnKB, met(r.IdlePerConnKB <= 20), r.BusyPerConnKB, met(r.BusyPerConnKB <= 40), r.AnonBeforeKB, r.AnonIdleKB, r.AnonBusyKB)
	fmt.Printf("burst: %d of %d pushes read in %.2f s; loadavg %s\n", r.Pushed, expected, r.BurstSec, imclient.LoadAvg())
	res := Result{Conns: n, Idle: &r}
	if r.Missing > 0 {
		res.Failed = append(res.Failed, fmt.Sprintf("idle: %d of %d burst pushes missing after two minutes", r.Missing, expected))
	}
	if f := failed.Load(); f > 0 {
		res.Failed = append(res.Failed, fmt.Sprintf("idle: %d requests refused", f))
	}
	return finish(cfg, res)
}
