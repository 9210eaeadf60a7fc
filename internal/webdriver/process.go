package webdriver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// proc is a child process started in its own process group, killed (with
// its group and every descendant) by kill, and by the kernel when this
// process dies (Pdeathsig).
type proc struct {
	cmd  *exec.Cmd
	done chan struct{} // closed once the process was reaped
}

// startProc starts name with args and extra environment; its output goes to
// log when log is not nil.
func startProc(name string, args, env []string, log func(string, ...any)) (*proc, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if log != nil {
		w := &logWriter{log: log, prefix: filepath.Base(name)}
		cmd.Stdout, cmd.Stderr = w, w
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("webdriver: starting %s: %w", name, err)
	}
	p := &proc{cmd: cmd, done: make(chan struct{})}
	go func() {
		cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// exited reports whether the process has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// kill kills the process, its descendants (which may have left its group)
// and its group, then waits (a few seconds at most) for it to be reaped.
func (p *proc) kill() {
	pid := p.cmd.Process.Pid
	for _, d := range descendants(pid) {
		syscall.Kill(d, syscall.SIGKILL)
	}
	syscall.Kill(-pid, syscall.SIGKILL)
	p.cmd.Process.Kill()
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
	}
}

// descendants lists the processes below pid, read from /proc.
func descendants(pid int) []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	children := map[int][]int{}
	for _, e := range ents {
		id, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if pp := parentPID(id); pp > 0 {
			children[pp] = append(children[pp], id)
		}
	}
	var out []int
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children[p] {
			out = append(out, c)
			queue = append(queue, c)
		}
	}
	return out
}

// parentPID reads the parent of pid from /proc/<pid>/stat (0 if gone).
func parentPID(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name is in parentheses and may hold spaces: parse after it.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 2 {
		return 0
	}
	pp, _ := strconv.Atoi(f[1])
	return pp
}

// logWriter sends a child's output, line by line, to a log function.
type logWriter struct {
	mu     sync.Mutex
	log    func(string, ...any)
	prefix string
	buf    []byte
}

func (w *logWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, b...)
	for {
		i := strings.IndexByte(string(w.buf), '\n')
		if i < 0 {
			break
		}
		w.log("%s: %s", w.prefix, w.buf[:i])
		w.buf = w.buf[i+1:]
	}
	return len(b), nil
}

var _ io.Writer = (*logWriter)(nil)

// freePort returns a TCP port of 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("webdriver: finding a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// The Xvfb shared by the WebKit browsers of this process.
var xvfb struct {
	mu      sync.Mutex
	p       *proc
	display string
}

// xDisplay returns the DISPLAY of this process's Xvfb, starting it on a free
// display number at first use (or again if it died).
func xDisplay(ctx context.Context, log func(string, ...any)) (string, error) {
	xvfb.mu.Lock()
	defer xvfb.mu.Unlock()
	if xvfb.p != nil && !xvfb.p.exited() {
		return xvfb.display, nil
	}
	xvfb.p = nil
	bin := os.Getenv("XVFB")
	if bin == "" {
		bin = "/usr/bin/Xvfb"
	}
	var lastErr error
	for n := 90 + os.Getpid()%400; n < 1000; n++ {
		sock := fmt.Sprintf("/tmp/.X11-unix/X%d", n)
		if exists(sock) || exists(fmt.Sprintf("/tmp/.X%d-lock", n)) {
			continue
		}
		p, err := startProc(bin, []string{fmt.Sprintf(":%d", n), "-nolisten", "tcp", "-screen", "0", "1920x1200x24"}, nil, log)
		if err != nil {
			return "", err
		}
		// Wait for its socket; an Xvfb that lost the race for the number exits.
		for !exists(sock) && !p.exited() {
			if err := ctx.Err(); err != nil {
				p.kill()
				return "", fmt.Errorf("webdriver: waiting for Xvfb :%d: %w", n, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
		if p.exited() {
			lastErr = fmt.Errorf("webdriver: Xvfb :%d exited at start", n)
			continue
		}
		xvfb.p, xvfb.display = p, fmt.Sprintf(":%d", n)
		return xvfb.display, nil
	}
	if lastErr == nil {
		lastErr = errors.New("webdriver: no free X display number")
	}
	return "", lastErr
}

func shutdownShared() {
	xvfb.mu.Lock()
	defer xvfb.mu.Unlock()
	if xvfb.p != nil {
		xvfb.p.kill()
		xvfb.p = nil
	}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
