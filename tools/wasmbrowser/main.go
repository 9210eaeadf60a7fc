// Command wasmbrowser runs a GOOS=js GOARCH=wasm program, typically a test
// binary, in a real browser: headless Chromium, Firefox or WebKit, driven
// through W3C WebDriver (internal/webdriver). Installed as go_js_wasm_exec
// early on PATH, it makes `GOOS=js GOARCH=wasm go test ./pkg` run the tests
// in that browser (with real IndexedDB, WebSocket, fetch):
//
//	go build -o bin/wasmexec/go_js_wasm_exec ./tools/wasmbrowser
//	PATH=$PWD/bin/wasmexec:$PATH GOOS=js GOARCH=wasm go test ./idbstore
//	WASMBROWSER_ENGINE=webkit PATH=$PWD/bin/wasmexec:$PATH GOOS=js GOARCH=wasm go test ./idbstore
//
// Usage: go_js_wasm_exec <program.wasm> [args...]
//
// It serves the wasm, wasm_exec.js and a small page on 127.0.0.1, starts the
// browser with a fresh profile, writes what the program writes (stdout and
// stderr, in order) to its own stdout and exits with the program's exit code.
// WebDriver has no console channel common to all engines, so the page sends
// the program's output, its exit code and its errors to this server (POST
// /__report, numbered so that they are written in the page's order). An
// uncaught exception or unhandled rejection in the page, a failed wasm
// instantiation, a page or browser gone, a timeout (-test.timeout plus 30 s,
// else 10 minutes) or SIGINT/SIGTERM end the run with exit code 1.
//
// For the SDK's file edge tests (wasm/files_js_test.go) the server also
// answers POST /__upload like the SDK server's upload endpoint (see
// uploadEcho) and GET /__stall like a stalled server (see stall).
//
// Environment:
//
//	WASMBROWSER_ENGINE  chromium (default), firefox or webkit
//	CHROMIUM, CHROMEDRIVER, WEBKITWEBDRIVER, MINIBROWSER, XVFB, FIREFOX
//	                    binaries (see internal/webdriver; Debian's paths by default)
//	WASMBROWSER_GOROOT  GOROOT holding lib/wasm/wasm_exec.js (default: go env GOROOT)
//	WASMBROWSER_DEBUG   if set, log driver and browser diagnostics to stderr
//	YUNXIN_*            passed to the program's environment (os.Getenv works)
package main

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"yunxin/internal/webdriver"
)

const defaultTimeout = 10 * time.Minute

// pollEvery is how often the tool checks that the page still answers.
const pollEvery = 5 * time.Second

func main() {
	os.Exit(run())
}

func fatalf(format string, args ...any) int {
	fmt.Fprintf(os.Stdout, "wasmbrowser: "+format+"\n", args...)
	return 1
}

func run() int {
	if len(os.Args) < 2 {
		return fatalf("usage: go_js_wasm_exec <program.wasm> [args...]")
	}
	wasmPath := os.Args[1]
	if _, err := os.Stat(wasmPath); err != nil {
		return fatalf("%v", err)
	}
	args, timeout := filterArgs(os.Args[2:])
	engine := webdriver.Chromium
	if s := os.Getenv("WASMBROWSER_ENGINE"); s != "" {
		es, err := webdriver.ParseEngines(s)
		if err != nil || len(es) != 1 {
			return fatalf("WASMBROWSER_ENGINE=%q: want one of chromium, firefox, webkit", s)
		}
		engine = es[0]
	}

	execJS, err := findWasmExec()
	if err != nil {
		return fatalf("%v", err)
	}

	env := map[string]string{}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "YUNXIN_") {
			env[k] = v
		}
	}
	argvJSON, _ := json.Marshal(append([]string{filepath.Base(wasmPath)}, args...))
	envJSON, _ := json.Marshal(env)

	o := &outcome{done: make(chan struct{}), pending: map[int]report{}}

	// The HTTP server: the page, wasm_exec.js, the program and the page's reports.
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		fmt.Fprintf(w, pageHTML, argvJSON, envJSON)
	})
	mux.HandleFunc("/wasm_exec.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		http.ServeFile(w, r, execJS)
	})
	mux.HandleFunc("/program.wasm", func(w http.ResponseWriter, r *http.Request) {
		f, err := os.Open(wasmPath)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		defer f.Close()
		w.Header().Set("Content-Type", "application/wasm")
		w.Header().Set("Cache-Control", "no-store")
		if st, err := f.Stat(); err == nil {
			w.Header().Set("Content-Length", fmt.Sprint(st.Size()))
		}
		io.Copy(w, f)
	})
	mux.HandleFunc("/__report", o.serveReport)
	mux.HandleFunc("/__upload", uploadEcho)
	mux.HandleFunc("/__stall", stall)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fatalf("listen: %v", err)
	}
	srv := &http.Server{Handler: mux, ErrorLog: nil}
	go srv.Serve(ln)
	defer srv.Close()
	pageURL := "http://" + ln.Addr().String() + "/"

	ctx, stop := context.WithTimeout(context.Background(), timeout)
	defer stop()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	interrupted := make(chan struct{})
	go func() {
		if _, ok := <-sigs; ok {
			close(interrupted)
			stop()
		}
	}()

	opts := webdriver.Options{} // a fresh profile: a fresh IndexedDB
	if os.Getenv("WASMBROWSER_DEBUG") != "" {
		opts.Log = func(f string, a ...any) { fmt.Fprintf(os.Stderr, "webdriver: "+f+"\n", a...) }
	}
	defer webdriver.Shutdown()
	b, err := webdriver.Start(ctx, engine, opts)
	if err != nil {
		select {
		case <-interrupted:
			return fatalf("interrupted")
		default:
		}
		return fatalf("starting %s: %v", engine, err)
	}
	defer b.Close()
	tab := b.FirstTab()

	// Navigate returns at the load event, which may come after the program
	// exited: its outcome wins over the navigation's error.
	navErr := make(chan error, 1)
	go func() { navErr <- tab.Navigate(ctx, pageURL) }()
	// gone is closed when the page stops answering (a crash, a browser gone).
	gone := make(chan error, 1)
	go watch(ctx, tab, o.done, gone)

	for {
		select {
		case <-o.done:
			return o.result()
		case err := <-navErr:
			navErr = nil
			if err != nil && !o.finished() && ctx.Err() == nil {
				return fatalf("loading the page: %v", err)
			}
		case err := <-gone:
			if o.finished() {
				return o.result()
			}
			return fatalf("the page went away before the program exited: %v", err)
		case <-interrupted:
			return fatalf("interrupted")
		case <-ctx.Done():
			if o.finished() {
				return o.result()
			}
			return fatalf("timeout: the program did not exit within %v", timeout)
		}
	}
}

// watch checks every pollEvery that the page still answers a script, and
// sends the error on gone when it does not (WebDriver reports a crashed tab
// or a dead browser as an error; a page busy in the program only answers
// late, which is no error).
func watch(ctx context.Context, tab webdriver.Tab, done <-chan struct{}, gone chan<- error) {
	t := time.NewTicker(pollEvery)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-ctx.Done():
			return
		case <-t.C:
		}
		c, cancel := context.WithTimeout(ctx, 2*time.Minute)
		_, err := tab.Eval(c, "true")
		cancel()
		if err != nil && c.Err() == nil && ctx.Err() == nil {
			gone <- err
			return
		}
	}
}

// report is one message of the page: program output, the exit code or an error.
type report struct {
	kind string // "out", "exit" or "error"
	text string
}

// outcome writes the page's reports to stdout in the page's order and
// records how the program ended.
type outcome struct {
	mu      sync.Mutex
	next    int            // the number of the next report to handle
	pending map[int]report // reports that arrived before an earlier one
	code    int
	done    chan struct{}
	closed  bool
}

// serveReport answers POST /__report?seq=N&kind=K, the body being the text.
func (o *outcome) serveReport(w http.ResponseWriter, r *http.Request) {
	seq, err := strconv.Atoi(r.URL.Query().Get("seq"))
	if r.Method != http.MethodPost || err != nil {
		http.Error(w, "POST /__report?seq=N&kind=out|exit|error", http.StatusBadRequest)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	o.add(seq, report{kind: r.URL.Query().Get("kind"), text: string(body)})
	w.WriteHeader(http.StatusNoContent)
}

// add handles the reports in sequence order.
func (o *outcome) add(seq int, rep report) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if seq < o.next {
		return // a retried report that did arrive
	}
	o.pending[seq] = rep
	for {
		rep, ok := o.pending[o.next]
		if !ok {
			return
		}
		delete(o.pending, o.next)
		o.next++
		switch rep.kind {
		case "out":
			if !o.closed {
				os.Stdout.WriteString(rep.text)
			}
		case "exit":
			code, err := strconv.Atoi(strings.TrimSpace(rep.text))
			if err != nil {
				o.finishLocked(1, "bad exit code from the page: "+rep.text)
			} else {
				o.finishLocked(code, "")
			}
		default:
			o.finishLocked(1, rep.text)
		}
	}
}

func (o *outcome) finishLocked(code int, msg string) {
	if o.closed {
		return
	}
	if msg != "" {
		fmt.Fprintf(os.Stdout, "wasmbrowser: %s\n", msg)
	}
	o.code = code
	o.closed = true
	close(o.done)
}

func (o *outcome) finished() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.closed
}

func (o *outcome) result() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.code
}

// filterArgs drops the arguments that need a file system and returns the
// run's timeout: -test.timeout plus a margin, so that the test's own timeout
// panic (with its goroutine dump) arrives first, but before go test kills
// the runner (at -test.timeout plus a minute).
func filterArgs(in []string) (out []string, timeout time.Duration) {
	timeout = defaultTimeout
	dropped := []string{"-test.testlogfile", "-test.coverprofile", "-test.gocoverdir",
		"-test.cpuprofile", "-test.memprofile", "-test.blockprofile", "-test.mutexprofile",
		"-test.trace", "-test.outputdir"}
	for i := 0; i < len(in); i++ {
		a := in[i]
		name, val, hasVal := strings.Cut(a, "=")
		if strings.HasPrefix(name, "--") {
			name = name[1:]
		}
		drop := false
		for _, d := range dropped {
			if name == d {
				drop = true
			}
		}
		if drop {
			if !hasVal && i+1 < len(in) {
				i++
			}
			continue
		}
		if name == "-test.timeout" {
			if !hasVal && i+1 < len(in) {
				val = in[i+1]
			}
			if d, err := time.ParseDuration(val); err == nil {
				if d > 0 {
					// go test kills the runner at timeout + 1 minute:
					// end first, and clean up.
					timeout = d + 30*time.Second
				} else {
					timeout = 7 * 24 * time.Hour // -timeout 0: none
				}
			}
		}
		out = append(out, a)
	}
	return out, timeout
}

func findWasmExec() (string, error) {
	var roots []string
	if r := os.Getenv("WASMBROWSER_GOROOT"); r != "" {
		roots = append(roots, r)
	}
	if r := os.Getenv("GOROOT"); r != "" {
		roots = append(roots, r)
	}
	if out, err := exec.Command("go", "env", "GOROOT").Output(); err == nil {
		roots = append(roots, strings.TrimSpace(string(out)))
	}
	roots = append(roots, runtime.GOROOT())
	for _, r := range roots {
		for _, p := range []string{"lib/wasm/wasm_exec.js", "misc/wasm/wasm_exec.js"} {
			f := filepath.Join(r, p)
			if _, err := os.Stat(f); err == nil {
				return f, nil
			}
		}
	}
	return "", errors.New("wasm_exec.js not found (set WASMBROWSER_GOROOT)")
}

// pageHTML loads wasm_exec.js and runs the program. Its output is sent to
// POST /__report in numbered reports (stdout and stderr share a buffer, as
// in wasm_exec.js, so their order is kept): at once past 64 KB, else when
// the program yields to the event loop, and at exit; the exit code comes
// last. Uncaught errors and unhandled rejections are reported as errors.
const pageHTML = `<!doctype html>
<html><head><meta charset="utf-8"><title>wasmbrowser</title></head><body>
<script>
(() => {
  let seq = 0;
  const send = (kind, text) => {
    const url = "/__report?kind=" + kind + "&seq=" + (seq++);
    const post = (tries) => fetch(url, { method: "POST", body: text }).then((r) => {
      if (!r.ok) throw new Error("HTTP " + r.status);
    }).catch((e) => {
      if (tries > 0) setTimeout(() => post(tries - 1), 100);
    });
    post(20);
  };
  globalThis.__wasmbrowserSend = send;
  const text = (e) => (e && e.stack ? String(e.stack) : String(e));
  addEventListener("error", (ev) => {
    send("error", "uncaught exception: " + (ev.error ? text(ev.error) : ev.message) +
      (ev.filename ? " (" + ev.filename + ":" + ev.lineno + ":" + ev.colno + ")" : ""));
  });
  addEventListener("unhandledrejection", (ev) => {
    send("error", "unhandled rejection: " + text(ev.reason));
  });
})();
</script>
<script src="/wasm_exec.js"></script>
<script>
(async () => {
  const send = globalThis.__wasmbrowserSend;
  const decoder = new TextDecoder("utf-8");
  let pending = "";
  const flush = () => {
    if (pending.length > 0) {
      send("out", pending);
      pending = "";
    }
  };
  let timer = null;
  globalThis.fs.writeSync = function (fd, buf) {
    pending += decoder.decode(buf, { stream: true });
    if (pending.length > 65536) {
      flush();
    } else if (timer === null) {
      timer = setTimeout(() => { timer = null; flush(); }, 0);
    }
    return buf.length;
  };
  let reported = false;
  const report = (code) => {
    if (reported) return;
    reported = true;
    pending += decoder.decode();
    flush();
    send("exit", String(code));
  };
  try {
    const go = new Go();
    go.argv = %s;
    go.env = %s;
    go.exit = report;
    const { instance } = await WebAssembly.instantiateStreaming(fetch("/program.wasm"), go.importObject);
    await go.run(instance);
    if (!reported) {
      flush();
      send("error", "the program returned without an exit code");
    }
  } catch (e) {
    flush();
    send("error", "loader: " + (e && e.stack ? e.stack : String(e)));
  }
})();
</script>
</body></html>
`

// stall answers GET /__stall as a stalled server does, for the file edge's
// timeout tests: it sends nothing until the client goes away (or a minute
// passes); with ?body=1 it sends the headers and 10 bytes of a 1000-byte
// body first.
func stall(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("body") != "" {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", "1000")
		w.WriteHeader(http.StatusOK)
		w.Write(make([]byte, 10))
		w.(http.Flusher).Flush()
	}
	select {
	case <-r.Context().Done():
	case <-time.After(time.Minute):
	}
}

// uploadEcho answers POST /__upload as the SDK server's upload endpoint
// does, for the file edge's tests: without "Authorization: Bearer tok" it
// answers 401 {"code":403,…}; with ?fail=<code> it reads nothing and answers
// 413 {"code":<code>,"msg":"refused by the test server"}; with ?slow=1 it
// reads the body 64 KB every 20 ms (an upload to cancel midway); else it
// reads the body and answers {url, name, size, md5, mime} of what it read.
func uploadEcho(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	fail := func(status, code int, msg string) {
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]any{"code": code, "msg": msg})
	}
	if r.Method != http.MethodPost {
		fail(http.StatusMethodNotAllowed, 414, "POST only")
		return
	}
	if r.Header.Get("Authorization") != "Bearer tok" {
		fail(http.StatusUnauthorized, 403, "bad upload token")
		return
	}
	if c := r.URL.Query().Get("fail"); c != "" {
		var code int
		fmt.Sscan(c, &code)
		fail(http.StatusRequestEntityTooLarge, code, "refused by the test server")
		return
	}
	h := md5.New()
	var n int64
	var err error
	if r.URL.Query().Get("slow") != "" {
		buf := make([]byte, 64<<10)
		for {
			var k int
			k, err = io.ReadFull(r.Body, buf)
			h.Write(buf[:k])
			n += int64(k)
			if err != nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			err = nil
		}
	} else {
		n, err = io.Copy(h, r.Body)
	}
	if err != nil {
		return // the client went away (a canceled upload)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	json.NewEncoder(w).Encode(map[string]any{"url": "http://" + r.Host + "/__files/" + sum, "name": "",
		"size": n, "md5": sum, "mime": r.Header.Get("Content-Type")})
}
