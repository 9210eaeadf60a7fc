// Command wasmbrowser runs a GOOS=js GOARCH=wasm program, typically a test
// binary, in headless Chromium. Installed as go_js_wasm_exec early on PATH,
// it makes `GOOS=js GOARCH=wasm go test ./pkg` run the tests in a real browser
// (with real IndexedDB, WebSocket, fetch):
//
//	go build -o bin/wasmexec/go_js_wasm_exec ./tools/wasmbrowser
//	PATH=$PWD/bin/wasmexec:$PATH GOOS=js GOARCH=wasm go test ./idbstore
//
// Usage: go_js_wasm_exec <program.wasm> [args...]
//
// It serves the wasm, wasm_exec.js and a small page on 127.0.0.1, starts
// Chromium with a fresh profile, forwards what the program writes (stdout and
// stderr, in order) to its own stdout and exits with the program's exit code.
// A JS exception, a page crash or a timeout (-test.timeout plus 30 s, else
// 10 minutes) ends the run with exit code 1.
//
// For the SDK's file edge tests (wasm/files_js_test.go) the server also
// answers POST /__upload like the SDK server's upload endpoint (see
// uploadEcho).
//
// Environment:
//
//	CHROMIUM            browser binary (default /usr/bin/chromium)
//	WASMBROWSER_GOROOT  GOROOT holding lib/wasm/wasm_exec.js (default: go env GOROOT)
//	WASMBROWSER_DEBUG   if set, log chromedp errors and browser events to stderr
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
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/chromedp/cdproto/inspector"
	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"yunxin/internal/headless"
)

// exitMarker starts the console message by which the page reports the
// program's exit code; errMarker the one for a failure of the loader itself.
const (
	exitMarker = "\x00wasmbrowser-exit:"
	errMarker  = "\x00wasmbrowser-error:"
)

const defaultTimeout = 10 * time.Minute

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

	// The HTTP server: the page, wasm_exec.js and the program.
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

	// A fresh profile: a fresh IndexedDB.
	profile, err := os.MkdirTemp("", "wasmbrowser-profile-")
	if err != nil {
		return fatalf("%v", err)
	}
	defer os.RemoveAll(profile)

	chromium := os.Getenv("CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	debug := os.Getenv("WASMBROWSER_DEBUG") != ""

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

	allocOpts := headless.Options(chromium, profile)
	if debug {
		allocOpts = append(allocOpts, chromedp.CombinedOutput(os.Stderr))
	}
	actx, acancel := chromedp.NewExecAllocator(ctx, allocOpts...)
	defer acancel()

	o := &outcome{done: make(chan struct{})}
	logf := func(string, ...any) {}
	if debug {
		logf = func(f string, a ...any) { fmt.Fprintf(os.Stderr, "chromedp: "+f+"\n", a...) }
	}
	bctx, bcancel := chromedp.NewContext(actx,
		chromedp.WithErrorf(logf), chromedp.WithLogf(logf),
		chromedp.WithListener(o.listen))
	defer bcancel()

	if err := chromedp.Do(bctx, chromedp.Navigate(pageURL)); err != nil {
		if o.finished() {
			return o.result()
		}
		select {
		case <-interrupted:
			return fatalf("interrupted")
		default:
		}
		if ctx.Err() != nil {
			return fatalf("timeout after %v while loading the page", timeout)
		}
		return fatalf("loading the page: %v", err)
	}
	detached, _ := chromedp.Detached(bctx)
	select {
	case <-o.done:
		return o.result()
	case <-detached:
		if o.finished() {
			return o.result()
		}
		return fatalf("the page went away before the program exited")
	case <-interrupted:
		return fatalf("interrupted")
	case <-bctx.Done():
		if o.finished() {
			return o.result()
		}
		if ctx.Err() == context.DeadlineExceeded {
			return fatalf("timeout: the program did not exit within %v", timeout)
		}
		return fatalf("browser gone: %v", context.Cause(bctx))
	}
}

// outcome collects the page's events: it writes program output to stdout and
// records how the program ended.
type outcome struct {
	mu     sync.Mutex
	code   int
	done   chan struct{}
	closed bool
}

func (o *outcome) finish(code int, msg string) {
	o.mu.Lock()
	defer o.mu.Unlock()
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

// listen runs on chromedp's reading goroutine, in event order.
func (o *outcome) listen(ev any) {
	switch ev := ev.(type) {
	case *cdpruntime.EventConsoleAPICalled:
		text := consoleText(ev.Args)
		if s, ok := strings.CutPrefix(text, exitMarker); ok {
			var code int
			fmt.Sscan(s, &code)
			o.finish(code, "")
			return
		}
		if s, ok := strings.CutPrefix(text, errMarker); ok {
			o.finish(1, s)
			return
		}
		os.Stdout.WriteString(text + "\n")
	case *cdpruntime.EventExceptionThrown:
		o.finish(1, "uncaught exception: "+exceptionText(ev.ExceptionDetails))
	case *inspector.EventTargetCrashed:
		o.finish(1, "the page crashed")
	case *inspector.EventDetached:
		o.finish(1, "the page was detached: "+ev.Reason)
	}
}

func consoleText(args []*cdpruntime.RemoteObject) string {
	parts := make([]string, 0, len(args))
	for _, a := range args {
		parts = append(parts, remoteText(a))
	}
	return strings.Join(parts, " ")
}

func remoteText(a *cdpruntime.RemoteObject) string {
	if a == nil {
		return ""
	}
	if a.Type == cdpruntime.RemoteObjectTypeString && len(a.Value) > 0 {
		var s string
		if err := json.Unmarshal(a.Value, &s); err == nil {
			return s
		}
	}
	if a.UnserializableValue != "" {
		return string(a.UnserializableValue)
	}
	if a.Description != "" {
		return a.Description
	}
	if len(a.Value) > 0 {
		return string(a.Value)
	}
	return string(a.Type)
}

func exceptionText(d *cdpruntime.ExceptionDetails) string {
	if d == nil {
		return "(no details)"
	}
	var b strings.Builder
	b.WriteString(d.Text)
	if d.Exception != nil {
		if s := remoteText(d.Exception); s != "" {
			b.WriteString(" ")
			b.WriteString(s)
		}
	}
	if d.URL != "" {
		fmt.Fprintf(&b, " (%s:%d:%d)", d.URL, d.LineNumber+1, d.ColumnNumber+1)
	}
	return b.String()
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

// pageHTML loads wasm_exec.js and runs the program. Output goes through
// console.log, whole lines only, several lines per call (stdout and stderr
// share a buffer, as in wasm_exec.js, so their order is kept); the exit code
// comes last through a console.log with exitMarker.
const pageHTML = `<!doctype html>
<html><head><meta charset="utf-8"><title>wasmbrowser</title></head><body>
<script src="/wasm_exec.js"></script>
<script>
(async () => {
  const EXIT = "\u0000wasmbrowser-exit:", ERR = "\u0000wasmbrowser-error:";
  const decoder = new TextDecoder("utf-8");
  let pending = "";
  const flush = (all) => {
    const nl = pending.lastIndexOf("\n");
    if (nl >= 0) {
      console.log(pending.substring(0, nl));
      pending = pending.substring(nl + 1);
    }
    if (all && pending.length > 0) {
      console.log(pending); // a last line without its newline
      pending = "";
    }
  };
  // Lines are sent in batches: at once past 64 KB, else when the program
  // yields to the event loop (and at exit), fewer console events than lines.
  let timer = null;
  globalThis.fs.writeSync = function (fd, buf) {
    pending += decoder.decode(buf, { stream: true });
    if (pending.length > 65536) {
      flush(false);
    } else if (timer === null) {
      timer = setTimeout(() => { timer = null; flush(false); }, 0);
    }
    return buf.length;
  };
  let reported = false;
  const report = (code) => {
    if (reported) return;
    reported = true;
    flush(true);
    console.log(EXIT + code);
  };
  try {
    const go = new Go();
    go.argv = %s;
    go.env = %s;
    go.exit = report;
    const { instance } = await WebAssembly.instantiateStreaming(fetch("/program.wasm"), go.importObject);
    await go.run(instance);
    if (!reported) {
      flush(true);
      console.log(ERR + "the program returned without an exit code");
    }
  } catch (e) {
    flush(true);
    console.log(ERR + "loader: " + (e && e.stack ? e.stack : String(e)));
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
