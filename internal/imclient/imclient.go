// Package imclient is what the project's measuring tools (tools/loadgen,
// tools/bench) share to drive a yunxin server from Go: start
// bin/yunxin-server on a fresh data dir, create accounts through its REST
// API (user/create.action, signed with the app secret) and log accounts in
// over the wire protocol (docs/protocol.md).
package imclient

import (
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/coder/websocket"

	"yunxin/proto"
)

// Flags are the server flags the tools share.
type Flags struct {
	Server string // -server: the binary to start on a fresh data dir
	Addr   string // -addr: a running server's HOST:PORT instead
	Secret string // -secret: the REST API's app secret
	AppKey string // -appkey
}

// Register defines -server, -addr, -secret and -appkey on fs.
func (f *Flags) Register(fs *flag.FlagSet) {
	fs.StringVar(&f.Server, "server", "bin/yunxin-server", "server binary to start on a fresh data dir")
	fs.StringVar(&f.Addr, "addr", "", "address of a running server (then -server is not started)")
	fs.StringVar(&f.Secret, "secret", "demo-secret", "app secret for the REST API")
	fs.StringVar(&f.AppKey, "appkey", "demo", "app key")
}

// ServerOptions configure StartServer.
type ServerOptions struct {
	Binary string // the server binary (bin/yunxin-server)
	// Data is the data dir; "" makes a temporary one that Stop removes.
	Data           string
	AppKey, Secret string
	// Env are extra environment variables (KEY=value), e.g.
	// YUNXIN_ALLOWED_ORIGINS.
	Env []string
	// LogName names the server's log file in the data dir.
	LogName string
}

// Server is a server process that StartServer started. Kill and Restart
// (on the same address and data dir) serve crash tests.
type Server struct {
	Addr string // loopback HOST:PORT it listens on
	Data string // its data dir

	bin    string
	env    []string
	logf   *os.File
	tmp    string // the data dir to remove at Stop ("" if given)
	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has exited
	once   sync.Once
}

// StartServer starts o.Binary on a free loopback port and waits (up to 30 s)
// until its /healthz answers 200. ctx bounds the process's life.
func StartServer(ctx context.Context, o ServerOptions) (*Server, error) {
	s := &Server{Data: o.Data, bin: o.Binary}
	if s.Data == "" {
		tmp, err := os.MkdirTemp("", "yunxin-server-")
		if err != nil {
			return nil, fmt.Errorf("imclient: data dir: %w", err)
		}
		s.Data, s.tmp = tmp, tmp
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("imclient: free port: %w", err)
	}
	s.Addr = l.Addr().String()
	l.Close()
	s.env = append(os.Environ(), "YUNXIN_ADDR="+s.Addr, "YUNXIN_DATA="+s.Data,
		"YUNXIN_APP_KEY="+o.AppKey, "YUNXIN_APP_SECRET="+o.Secret)
	s.env = append(s.env, o.Env...)
	name := o.LogName
	if name == "" {
		name = "server.log"
	}
	if s.logf, err = os.OpenFile(filepath.Join(s.Data, name), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644); err != nil {
		if s.tmp != "" {
			os.RemoveAll(s.tmp)
		}
		return nil, fmt.Errorf("imclient: server log: %w", err)
	}
	if err := s.Restart(ctx); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// Restart starts the binary again (after Kill) on the same address and data
// dir and waits up to 30 s for /healthz; StartServer uses it for the first
// start. The server's output goes on being appended to its log.
func (s *Server) Restart(ctx context.Context) error {
	cmd := exec.CommandContext(ctx, s.bin)
	cmd.Env = s.env
	cmd.Stdout, cmd.Stderr = s.logf, s.logf
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("imclient: start %s: %w", s.bin, err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	s.mu.Lock()
	s.cmd, s.exited = cmd, exited
	s.mu.Unlock()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + s.Addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		select {
		case <-exited:
			return fmt.Errorf("imclient: server %s exited before it was healthy (see %s)", s.bin, s.logf.Name())
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("imclient: server on %s not healthy after 30 s: %v", s.Addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Pid is the process id of the server running now.
func (s *Server) Pid() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cmd.Process.Pid
}

// Kill sends SIGKILL and waits for the process to end.
func (s *Server) Kill() error {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.mu.Unlock()
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		return fmt.Errorf("imclient: kill server: %w", err)
	}
	<-exited
	return nil
}

// Stop stops the server (SIGTERM, then SIGKILL after 10 s) and removes a
// temporary data dir. It is safe to call more than once.
func (s *Server) Stop() {
	s.once.Do(func() {
		s.mu.Lock()
		cmd, exited := s.cmd, s.exited
		s.mu.Unlock()
		if cmd != nil {
			cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-exited:
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				<-exited
			}
		}
		s.logf.Close()
		if s.tmp != "" {
			os.RemoveAll(s.tmp)
		}
	})
}

// Token is the token CreateAccounts gives account acc.
func Token(acc string) string { return acc + "-t" }

// CreateAccounts creates accs (token Token(acc)) through the REST API of the
// server on addr, 16 at a time.
func CreateAccounts(ctx context.Context, addr, appKey, secret string, accs []string) error {
	return Each(accs, 16, func(a string) error { return createAccount(ctx, addr, appKey, secret, a) })
}

// Each runs fn for every item, n at a time, and returns the first error
// (in item order) once all are done.
func Each[T any](items []T, n int, fn func(T) error) error {
	sem := make(chan struct{}, n)
	errs := make([]error, len(items))
	var wg sync.WaitGroup
	for i, it := range items {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = fn(it)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func createAccount(ctx context.Context, addr, appKey, secret, acc string) error {
	form := url.Values{"accid": {acc}, "token": {Token(acc)}}
	req, err := http.NewRequestWithContext(ctx, "POST", "http://"+addr+"/nimserver/user/create.action",
		strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	nonce, cur := RandHex(8), strconv.FormatInt(time.Now().Unix(), 10)
	sum := sha1.Sum([]byte(secret + nonce + cur))
	req.Header.Set("AppKey", appKey)
	req.Header.Set("Nonce", nonce)
	req.Header.Set("CurTime", cur)
	req.Header.Set("CheckSum", hex.EncodeToString(sum[:]))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded;charset=utf-8")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("create account %s: %w", acc, err)
	}
	defer resp.Body.Close()
	var out struct {
		Code int    `json:"code"`
		Desc string `json:"desc"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return fmt.Errorf("create account %s: %w", acc, err)
	}
	if out.Code != 200 {
		return fmt.Errorf("create account %s: code %d %s", acc, out.Code, out.Desc)
	}
	return nil
}

// LoginID is the request id Login uses: the caller's next request ids
// start above it.
const LoginID = 1

// Login dials the server on addr and logs acc in (token Token(acc), client
// type 16, os osName), reading the connection itself until the login's
// reply (Call); the connection's read limit is proto.MaxFrame. Frames
// pushed before the reply are dropped.
func Login(ctx context.Context, addr, appKey, acc, osName string) (*websocket.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws://"+addr+"/ws", nil)
	if err != nil {
		return nil, fmt.Errorf("dial for %s: %w", acc, err)
	}
	ws.SetReadLimit(proto.MaxFrame)
	f, err := Call(ctx, ws, LoginID, proto.OpLogin, proto.LoginReq{AppKey: appKey, Account: acc, Token: Token(acc),
		ClientType: 16, OS: osName, Version: proto.Version})
	if err == nil && f.Code != 200 {
		err = fmt.Errorf("%d %s", f.Code, f.Msg)
	}
	if err != nil {
		ws.Close(websocket.StatusNormalClosure, "")
		return nil, fmt.Errorf("login %s: %w", acc, err)
	}
	return ws, nil
}

// Call writes request id (op with payload) on ws and reads ws itself, for
// up to 30 s, until the reply with that id; the frames read before it are
// dropped. It is for a connection nothing else reads yet. A reply whose
// code is not 200 is returned as it is, without an error.
func Call(ctx context.Context, ws *websocket.Conn, id uint64, op string, payload any) (proto.Frame, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	d, err := json.Marshal(payload)
	if err != nil {
		return proto.Frame{}, fmt.Errorf("%s: %w", op, err)
	}
	b, _ := json.Marshal(proto.Frame{ID: id, Op: op, Data: d})
	if err := ws.Write(ctx, websocket.MessageText, b); err != nil {
		return proto.Frame{}, fmt.Errorf("%s: %w", op, err)
	}
	for {
		_, data, err := ws.Read(ctx)
		if err != nil {
			return proto.Frame{}, fmt.Errorf("%s: no reply: %w", op, err)
		}
		var f proto.Frame
		if err := json.Unmarshal(data, &f); err != nil {
			return proto.Frame{}, fmt.Errorf("%s: %w", op, err)
		}
		if f.ID == id {
			return f, nil
		}
	}
}

// RandHex is n random bytes in hex.
func RandHex(n int) string {
	b := make([]byte, n)
	if _, err := io.ReadFull(rand.Reader, b); err != nil {
		panic(errors.New("crypto/rand failed"))
	}
	return hex.EncodeToString(b)
}

// LoadAvg is the first three fields of /proc/loadavg ("" when unknown), for
// the tools' reports.
func LoadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}
