package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// serverBin is bin/yunxin-server of this checkout; the test skips when it
// has not been built (make server).
func serverBin(t *testing.T) string {
	t.Helper()
	bin, err := filepath.Abs(filepath.Join("..", "..", "bin", "yunxin-server"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(bin); err != nil {
		t.Skipf("no server binary (make server): %v", err)
	}
	return bin
}

// runJSON runs loadgen with cfg against a server it starts and returns the
// -json result; every check must pass.
func runJSON(t *testing.T, cfg config) Result {
	t.Helper()
	cfg.Server, cfg.Secret, cfg.AppKey = serverBin(t), "demo-secret", "demo"
	cfg.jsonOut = filepath.Join(t.TempDir(), "result.json")
	ok, err := run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(cfg.jsonOut)
	if err != nil {
		t.Fatal(err)
	}
	var res Result
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	if !ok {
		t.Fatalf("checks failed: %q", res.Failed)
	}
	return res
}

// -fanout delivers every message to every other member once and reports a rate.
func TestFanout(t *testing.T) {
	res := runJSON(t, config{fanout: 30, fanoutMsgs: 3})
	f := res.Fanout
	if f == nil || f.Expected != 29*3 || f.Deliveries != f.Expected || f.Dup != 0 || f.Acked != 3 || f.DeliveriesPerSec <= 0 {
		t.Fatalf("fan-out result %+v", f)
	}
}

// -idle reads the server's memory three times and pushes the burst to
// every connection.
func TestIdle(t *testing.T) {
	res := runJSON(t, config{idle: 20, burst: 5, settle: 100 * time.Millisecond})
	r := res.Idle
	if r == nil || r.BeforeKB <= 0 || r.IdleKB <= 0 || r.BusyKB <= 0 || r.Pushed != 20*5 || r.Missing != 0 {
		t.Fatalf("idle result %+v", r)
	}
}

// -kill kills the server mid-step and restarts it; the audit finds every
// acked message stored once.
func TestKill(t *testing.T) {
	res := runJSON(t, config{conns: 10, steps: []int{100, 100}, step: 2 * time.Second, drain: 2 * time.Second, kill: 2, audit: true})
	if res.Kills != 2 || res.Audit == nil || res.Audit.Acked == 0 || len(res.Steps) != 2 {
		t.Fatalf("kill result: %d kills, audit %+v, %d steps", res.Kills, res.Audit, len(res.Steps))
	}
}
