package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSmoke runs `bench -smoke` (tiny counts, no speed judged) against the
// server binary the Makefile builds (bin/yunxin-server, with the SDK
// embedded) in headless Chromium. It builds nothing: without the binary or
// the browser it skips, saying which is missing.
func TestSmoke(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	server := filepath.Join(root, "bin", "yunxin-server")
	need := []string{server, envOr("CHROMIUM", "/usr/bin/chromium"), envOr("CHROMEDRIVER", "/usr/bin/chromedriver")}
	for _, p := range need {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("%s is missing (make server builds the server; make browsers installs Chromium): %v", p, err)
		}
	}
	var cfg config
	cfg.Server, cfg.Secret, cfg.AppKey, cfg.page = server, "demo-secret", "demo", "127.0.0.1:0"
	smokeCounts(&cfg)
	cfg.smoke = true
	var out strings.Builder
	cfg.out = &out
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	res, err := run(ctx, cfg)
	t.Log("\n" + out.String())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Failures {
		t.Error(f)
	}
	if !res.OK {
		t.Error("the smoke run is not OK")
	}
	if res.Send.N != cfg.sends || res.Sync.Messages != cfg.sessions*cfg.perSession || len(res.Load.ColdMs) != 1 || len(res.Load.WarmMs) != 1 {
		t.Errorf("incomplete: %d sends, %d messages synced, %d cold and %d warm loads", res.Send.N, res.Sync.Messages,
			len(res.Load.ColdMs), len(res.Load.WarmMs))
	}
}

func TestPctMs(t *testing.T) {
	ms := []float64{5, 1, 4, 2, 3}
	for _, c := range []struct {
		p    int
		want float64
	}{{50, 3}, {99, 5}, {1, 1}} {
		if got := pctMs(ms, c.p); got != c.want {
			t.Errorf("pctMs(%v, %d) = %v, want %v", ms, c.p, got, c.want)
		}
	}
	if got := pctMs(nil, 50); got != 0 {
		t.Errorf("pctMs(nil) = %v, want 0", got)
	}
	if ms[0] != 5 {
		t.Error("pctMs sorted its argument")
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
