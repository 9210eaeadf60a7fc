package e2e

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"yunxin/internal/jx"
)

const (
	appKey    = "demo"
	appSecret = "demo-secret"
)

// imServer is one bin/yunxin-server process: a fixed address and data dir
// that survive a stop or kill and a start again.
type imServer struct {
	addr    string // 127.0.0.1:port
	dataDir string
	log     *syncBuffer // stdout+stderr of every run, with a header per start
	extra   []string    // more environment (KEY=value), e.g. YUNXIN_REVOKE_WINDOW

	mu     sync.Mutex
	cmd    *exec.Cmd
	done   chan struct{} // closed when cmd exits
	exit   error         // cmd.Wait's result, valid after done
	starts int
}

// freeAddr returns a 127.0.0.1 address with a port that was free a moment ago.
func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func (s *imServer) env() []string {
	return append(append(os.Environ(),
		"YUNXIN_ADDR="+s.addr,
		"YUNXIN_DATA="+s.dataDir,
		"YUNXIN_APP_KEY="+appKey,
		"YUNXIN_APP_SECRET="+appSecret,
		"YUNXIN_ALLOWED_ORIGINS="+pages.URL,
	), s.extra...)
}

// launchServer starts the binary on addr with dataDir and waits for /healthz.
// The returned server is non-nil even on error, so its log can be shown.
func launchServer(addr, dataDir string, env ...string) (*imServer, error) {
	s := &imServer{addr: addr, dataDir: dataDir, log: &syncBuffer{}, extra: env}
	return s, s.start()
}

// startServer starts a server of t's own on a free port with a fresh data
// dir and env added to its environment (KEY=value). It is stopped (SIGTERM) when t ends; its output is logged if t failed.
func startServer(t *testing.T, env ...string) *imServer {
	t.Helper()
	dir, err := os.MkdirTemp("", "yunxin-e2e-")
	if err != nil {
		t.Fatal(err)
	}
	s, err := launchServer(freeAddr(), dir, env...)
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			t.Logf("server %s output:\n%s", s.addr, s.logTail(0))
		}
		os.RemoveAll(dir)
	})
	if err != nil {
		t.Fatalf("starting the server: %v", err)
	}
	return s
}

// start runs the binary (again) on the same address and data dir and waits
// until /healthz answers 200.
func (s *imServer) start() error {
	s.mu.Lock()
	if s.cmd != nil {
		select {
		case <-s.done:
		default:
			s.mu.Unlock()
			return errors.New("server already running")
		}
	}
	s.starts++
	fmt.Fprintf(s.log, "---- start #%d at %s (addr %s) ----\n", s.starts, time.Now().Format("15:04:05.000"), s.addr)
	cmd := exec.Command(serverBin)
	cmd.Env = s.env()
	cmd.Dir = repoRoot
	cmd.Stdout = s.log
	cmd.Stderr = s.log
	if err := cmd.Start(); err != nil {
		s.mu.Unlock()
		return err
	}
	done := make(chan struct{})
	s.cmd, s.done = cmd, done
	s.mu.Unlock()
	go func() {
		err := cmd.Wait()
		s.mu.Lock()
		s.exit = err
		s.mu.Unlock()
		fmt.Fprintf(s.log, "---- exited at %s: %v ----\n", time.Now().Format("15:04:05.000"), err)
		close(done)
	}()

	deadline := time.Now().Add(20 * time.Second)
	client := &http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		select {
		case <-done:
			return fmt.Errorf("server exited during start: %v", s.exitErr())
		default:
		}
		resp, err := client.Get(s.URL() + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.signal(syscall.SIGKILL)
	<-done
	return errors.New("GET /healthz did not answer 200 within 20s")
}

func (s *imServer) exitErr() error { s.mu.Lock(); defer s.mu.Unlock(); return s.exit }

func (s *imServer) running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return false
	}
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

func (s *imServer) signal(sig os.Signal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Signal(sig)
	}
}

// stop sends SIGTERM and waits up to 15s for the process to exit (then
// kills it). It returns the exit error (nil for a clean exit with status 0)
// or an error saying it had to be killed. Stopping a stopped server is a no-op.
func (s *imServer) stop() error {
	if !s.running() {
		return nil
	}
	s.mu.Lock()
	done := s.done
	s.mu.Unlock()
	s.signal(syscall.SIGTERM)
	select {
	case <-done:
		return s.exitErr()
	case <-time.After(15 * time.Second):
		s.signal(syscall.SIGKILL)
		<-done
		return errors.New("did not exit within 15s of SIGTERM; killed")
	}
}

// kill sends SIGKILL (kill -9) and waits for the process to go.
func (s *imServer) kill() {
	if !s.running() {
		return
	}
	s.mu.Lock()
	done := s.done
	s.mu.Unlock()
	s.signal(syscall.SIGKILL)
	<-done
}

func (s *imServer) URL() string { return "http://" + s.addr }
func (s *imServer) WS() string  { return "ws://" + s.addr + "/ws" }

func (s *imServer) logLen() int { return s.log.Len() }

// logTail returns the output from offset from on, at most the last 16 KB.
func (s *imServer) logTail(from int) string {
	b := s.log.Bytes()
	if from > len(b) {
		from = len(b)
	}
	b = b[from:]
	if len(b) > 16<<10 {
		b = append([]byte("…(cut)…\n"), b[len(b)-16<<10:]...)
	}
	return string(b)
}

// createUser creates an account through `yunxin-server user create ACCID TOKEN`
// with the server's environment and returns the token it printed.
func createUser(t *testing.T, s *imServer, accid, token string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	args := []string{"user", "create", accid}
	if token != "" {
		args = append(args, token)
	}
	cmd := exec.CommandContext(ctx, serverBin, args...)
	cmd.Env = s.env()
	cmd.Dir = repoRoot
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("yunxin-server user create %s: %v\nstdout: %s\nstderr: %s", accid, err, stdout.String(), stderr.String())
	}
	lines := strings.Fields(strings.TrimSpace(stdout.String()))
	if len(lines) == 0 {
		t.Fatalf("yunxin-server user create %s printed no token (stderr: %s)", accid, stderr.String())
	}
	got := lines[len(lines)-1]
	if token != "" && got != token {
		t.Fatalf("yunxin-server user create %s %s printed %q, want the token %q", accid, token, stdout.String(), token)
	}
	return got
}

// users creates the accounts with the token "tok-<accid>" and returns the tokens.
func users(t *testing.T, s *imServer, accids ...string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, a := range accids {
		m[a] = createUser(t, s, a, "tok-"+a)
	}
	return m
}

// restReply is a NetEase server-API reply.
type restReply struct {
	Code int           `json:"code"`
	Desc string        `json:"desc"`
	Info jx.RawMessage `json:"info"`
}

// restRaw is rest with the shared server's secret, returning the raw reply
// body (for replies whose data is not under "info", like user/getUinfos).
func restRaw(t *testing.T, s *imServer, path string, form url.Values) []byte {
	t.Helper()
	req, err := http.NewRequest("POST", s.URL()+"/nimserver/"+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	signREST(req, appSecret)
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return body
}

// signREST sets NetEase's server-API headers, signed with secret.
func signREST(req *http.Request, secret string) {
	nonce := strconv.FormatInt(time.Now().UnixNano(), 36)
	cur := strconv.FormatInt(time.Now().Unix(), 10)
	sum := sha1.Sum([]byte(secret + nonce + cur))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded;charset=utf-8")
	req.Header.Set("AppKey", appKey)
	req.Header.Set("Nonce", nonce)
	req.Header.Set("CurTime", cur)
	req.Header.Set("CheckSum", hex.EncodeToString(sum[:]))
}

// rest calls POST /nimserver/<path> with NetEase's checksum headers (secret
// is the AppSecret to sign with) and form values.
func rest(t *testing.T, s *imServer, path, secret string, form url.Values) (int, restReply) {
	t.Helper()
	req, err := http.NewRequest("POST", s.URL()+"/nimserver/"+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	signREST(req, secret)
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var r restReply
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("POST %s: HTTP %d, body is not JSON: %v\n%s", path, resp.StatusCode, err, body)
	}
	return resp.StatusCode, r
}

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) Len() int { b.mu.Lock(); defer b.mu.Unlock(); return b.b.Len() }

func (b *syncBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.b.Bytes())
}
