package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"yunxin/server"
)

func testConfig(t *testing.T) server.Config {
	return server.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), AppKey: "k", AppSecret: "s"}
}

func TestUserCreate(t *testing.T) {
	cfg := testConfig(t)
	var out, errOut bytes.Buffer
	if code := run([]string{"user", "create", "zed", "tok"}, cfg, nil, &out, &errOut); code != 0 || out.String() != "tok\n" {
		t.Fatalf("create: %d %q %q", code, out.String(), errOut.String())
	}
	out.Reset()
	if code := run([]string{"user", "create", "amy"}, cfg, nil, &out, &errOut); code != 0 || len(strings.TrimSpace(out.String())) < 16 {
		t.Fatalf("create generated: %d %q %q", code, out.String(), errOut.String())
	}
	errOut.Reset()
	if code := run([]string{"user", "create", "zed"}, cfg, nil, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "already register") {
		t.Fatalf("duplicate: %d %q", code, errOut.String())
	}
	if code := run([]string{"bogus"}, cfg, nil, &out, &errOut); code != 2 {
		t.Fatalf("usage: %d", code)
	}
}

func TestServeAndCreateWhileRunning(t *testing.T) {
	cfg := testConfig(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, discard(), pw); pw.Close() }()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, pr)
	i := strings.Index(line, "http://")
	if i < 0 {
		t.Fatalf("startup line %q", line)
	}
	base := strings.Fields(line[i:])[0]
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("healthz %d", resp.StatusCode)
	}

	var out bytes.Buffer
	if code := run([]string{"user", "create", "live", "t1"}, cfg, nil, &out, io.Discard); code != 0 {
		t.Fatalf("create while serving: %d", code)
	}
	// A second server on the same data dir is refused.
	var errOut bytes.Buffer
	if code := run(nil, cfg, nil, io.Discard, &errOut); code != 1 || !strings.Contains(errOut.String(), "another yunxin-server serves data dir") {
		t.Fatalf("second server on the data dir: %d %q", code, errOut.String())
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop")
	}
	// Stopped, it let the data dir go.
	unlock, err := lockDataDir(cfg.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	unlock()
}

func TestRefusesDefaultSecretInPublic(t *testing.T) {
	cfg := testConfig(t)
	cfg.Addr, cfg.AppSecret = "0.0.0.0:0", server.DefaultAppSecret
	var out, errOut bytes.Buffer
	code := run(nil, cfg, nil, &out, &errOut)
	if code != 1 || !strings.Contains(errOut.String(), "YUNXIN_APP_SECRET") || out.Len() != 0 {
		t.Fatalf("serve with the default secret on 0.0.0.0: %d %q %q", code, out.String(), errOut.String())
	}
	// On loopback the default secret is fine (the demo).
	cfg.Addr = "127.0.0.1:0"
	if code := run([]string{"user", "create", "amy", "t"}, cfg, nil, &out, &errOut); code != 0 {
		t.Fatalf("user create on loopback: %d %q", code, errOut.String())
	}
}
