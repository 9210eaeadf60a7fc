package webdriver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	code := m.Run()
	Shutdown()
	os.Exit(code)
}

// testPage has one element per input kind; its handlers record what they saw
// in window.seen.
const testPage = `<!doctype html>
<html><head><meta charset="utf-8"><title>wd</title>
<style>body{margin:0} #pad{height:1500px} div#h{width:120px;height:60px;background:#ccc}</style></head>
<body>
<script>window.seen = {clicks: 0, hovered: false, entered: null, files: null};</script>
<div id="pad">top</div>
<button id="b" onclick="seen.clicks++">click me</button>
<div id="h" onmouseenter="seen.hovered = true">hover me</div>
<input id="t" onkeydown="if (event.key === 'Enter') seen.entered = this.value">
<input id="f" type="file" onchange="seen.files = this.files.length">
</body></html>`

// idbPut stores v under "k" in the page origin's IndexedDB; idbGet reads it
// back (null if absent).
const (
	idbOpen = `new Promise((res, rej) => {
  const r = indexedDB.open("wdtest", 1);
  r.onupgradeneeded = () => r.result.createObjectStore("s");
  r.onerror = () => rej(r.error);
  r.onsuccess = () => res(r.result);
})`
	idbPut = idbOpen + `.then(db => new Promise((res, rej) => {
  const tx = db.transaction("s", "readwrite");
  tx.objectStore("s").put(%q, "k");
  tx.oncomplete = () => { db.close(); res(true); };
  tx.onerror = () => rej(tx.error);
}))`
	idbGet = idbOpen + `.then(db => new Promise((res, rej) => {
  const q = db.transaction("s").objectStore("s").get("k");
  q.onsuccess = () => { db.close(); res(q.result === undefined ? null : q.result); };
  q.onerror = () => rej(q.error);
}))`
)

// bidiMissing is the error of startBiDi until h/wd-bidi is merged.
const bidiMissing = "webdriver: BiDi is not written yet"

func TestEngines(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		fmt.Fprint(w, testPage)
	}))
	defer srv.Close()
	for _, e := range AllEngines {
		t.Run(string(e), func(t *testing.T) { testEngine(t, e, srv.URL+"/") })
	}
}

func testEngine(t *testing.T, e Engine, url string) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	before := childSet()
	b, err := Start(ctx, e, Options{Width: 1000, Height: 700, Log: testLog(t)})
	if err != nil && err.Error() == bidiMissing {
		t.Skip("Firefox: " + err.Error())
	}
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	closed := false
	defer func() {
		if !closed {
			b.Close()
		}
	}()
	t.Logf("%s started in %v", e, time.Since(start).Round(time.Millisecond))
	if b.Engine() != e {
		t.Errorf("Engine() = %q", b.Engine())
	}
	tab := b.FirstTab()
	if err := tab.Navigate(ctx, url); err != nil {
		t.Fatalf("Navigate: %v", err)
	}

	evalCases := []struct{ src, want string }{
		{`1 + 2`, `3`},
		{`0.1 + 0.2`, `0.30000000000000004`},
		{`"a\"b" + "\u00e9"`, `"a\"bé"`},
		{`({a: [1, "x", null], b: {c: true}})`, `{"a":[1,"x",null],"b":{"c":true}}`},
		{`undefined`, `null`},
		{`var x = 20; let y = 2; x + y;`, `22`},
		{`document.title`, `"wd"`},
		{`new Promise(r => setTimeout(() => r({late: 1}), 50))`, `{"late":1}`},
		{`Promise.resolve(undefined)`, `null`},
	}
	for _, c := range evalCases {
		got, err := tab.Eval(ctx, c.src)
		if err != nil {
			t.Errorf("Eval(%s): %v", c.src, err)
			continue
		}
		if string(got) != c.want {
			t.Errorf("Eval(%s) = %s, want %s", c.src, got, c.want)
		}
	}
	for _, src := range []string{`throw new Error("boom1")`, `Promise.reject(new TypeError("boom1"))`,
		`null.boom1`, `(async () => { await 0; throw new Error("boom1"); })()`} {
		_, err := tab.Eval(ctx, src)
		var je *JSError
		if !errors.As(err, &je) {
			t.Errorf("Eval(%s): err = %v, want a *JSError", src, err)
			continue
		}
		if src != `null.boom1` && !strings.Contains(je.Message, "boom1") {
			t.Errorf("Eval(%s): message %q lacks the error's", src, je.Message)
		}
	}
	// The page still works after errors.
	mustEval(t, ctx, tab, `"alive"`, `"alive"`)

	// IndexedDB: kept by a reload, shared with a new tab, not seen by another browser.
	mustEval(t, ctx, tab, fmt.Sprintf(idbPut, "v1"), `true`)
	if err := tab.Reload(ctx); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	mustEval(t, ctx, tab, `seen.clicks`, `0`) // a fresh page
	mustEval(t, ctx, tab, idbGet, `"v1"`)
	tab2, err := b.NewTab(ctx)
	if err != nil {
		t.Fatalf("NewTab: %v", err)
	}
	if err := tab2.Navigate(ctx, url); err != nil {
		t.Fatalf("Navigate (tab 2): %v", err)
	}
	mustEval(t, ctx, tab2, idbGet, `"v1"`)
	mustEval(t, ctx, tab2, fmt.Sprintf(idbPut, "v2"), `true`)
	mustEval(t, ctx, tab, idbGet, `"v2"`) // back to the first tab
	if err := tab2.Close(ctx); err != nil {
		t.Fatalf("closing tab 2: %v", err)
	}
	mustEval(t, ctx, tab, `1`, `1`) // the first tab still answers

	other, err := Start(ctx, e, Options{Log: testLog(t)})
	if err != nil {
		t.Fatalf("Start (second browser): %v", err)
	}
	if other.Profile() == b.Profile() {
		t.Errorf("two browsers share profile %s", b.Profile())
	}
	if err := other.FirstTab().Navigate(ctx, url); err != nil {
		t.Errorf("Navigate (second browser): %v", err)
	} else {
		mustEval(t, ctx, other.FirstTab(), idbGet, `null`)
	}
	if err := other.Close(); err != nil {
		t.Errorf("Close (second browser): %v", err)
	}

	// Real input.
	if err := tab.Click(ctx, "#b"); err != nil {
		t.Errorf("Click: %v", err)
	}
	mustEval(t, ctx, tab, `seen.clicks`, `1`)
	if err := tab.Hover(ctx, "#h"); err != nil {
		t.Errorf("Hover: %v", err)
	}
	mustEval(t, ctx, tab, `seen.hovered`, `true`)
	if err := tab.SendKeys(ctx, "#t", "héllo 1\n"); err != nil {
		t.Errorf("SendKeys: %v", err)
	}
	mustEval(t, ctx, tab, `seen.entered`, `"héllo 1"`)

	dir := t.TempDir()
	content := []byte("file bytes \x00\x01\xff of the test\n")
	path := filepath.Join(dir, "a.bin")
	if err := os.WriteFile(path, content, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := tab.SetFiles(ctx, "#f", []string{path}); err != nil {
		t.Errorf("SetFiles: %v", err)
	}
	mustEval(t, ctx, tab, `seen.files`, `1`)
	wantBytes, _ := json.Marshal(bytesToInts(content))
	mustEval(t, ctx, tab, `(async () => { const f = document.querySelector("#f").files[0];
	  return {name: f.name, bytes: Array.from(new Uint8Array(await f.arrayBuffer()))}; })()`,
		`{"name":"a.bin","bytes":`+string(wantBytes)+`}`)

	// Viewport and screenshots.
	mustEval(t, ctx, tab, `[innerWidth, innerHeight]`, `[1000,700]`)
	shot(t, ctx, tab, 1000, 700)
	if err := tab.SetViewport(ctx, 640, 480); err != nil {
		t.Errorf("SetViewport: %v", err)
	}
	mustEval(t, ctx, tab, `[innerWidth, innerHeight]`, `[640,480]`)
	shot(t, ctx, tab, 640, 480)
	if tab.Console() != nil && e != Firefox {
		t.Errorf("Console() = %q, want nil on classic WebDriver", tab.Console())
	}

	// Close ends every process this browser started.
	mine := newChildren(before, childSet())
	if len(mine) == 0 {
		t.Errorf("no child process seen for the browser")
	}
	profile := b.Profile()
	closed = true
	if err := b.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := b.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	for _, pid := range mine {
		if alive(pid) {
			t.Errorf("process %d (%s) outlived Close", pid, cmdline(pid))
		}
	}
	if _, err := os.Stat(profile); !os.IsNotExist(err) {
		t.Errorf("profile %s left after Close (%v)", profile, err)
	}
	t.Logf("%s: %d processes; whole test %v", e, len(mine), time.Since(start).Round(time.Millisecond))
}

func mustEval(t *testing.T, ctx context.Context, tab Tab, src, want string) {
	t.Helper()
	got, err := tab.Eval(ctx, src)
	if err != nil {
		t.Errorf("Eval(%.60s): %v", src, err)
		return
	}
	if string(got) != want {
		t.Errorf("Eval(%.60s) = %s, want %s", src, got, want)
	}
}

// shot checks that a screenshot is a PNG of w×h pixels.
func shot(t *testing.T, ctx context.Context, tab Tab, w, h int) {
	t.Helper()
	b, err := tab.Screenshot(ctx)
	if err != nil {
		t.Errorf("Screenshot: %v", err)
		return
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Errorf("Screenshot: not a PNG: %v", err)
		return
	}
	if got := img.Bounds().Size(); got.X != w || got.Y != h {
		t.Errorf("Screenshot is %dx%d, want %dx%d", got.X, got.Y, w, h)
	}
}

func bytesToInts(b []byte) []int {
	out := make([]int, len(b))
	for i, c := range b {
		out[i] = int(c)
	}
	return out
}

func testLog(t *testing.T) func(string, ...any) {
	if os.Getenv("WEBDRIVER_DEBUG") == "" {
		return nil
	}
	return t.Logf
}

// childSet is the set of live descendants of the test process, without the
// shared Xvfb.
func childSet() map[int]bool {
	s := map[int]bool{}
	for _, p := range descendants(os.Getpid()) {
		s[p] = true
	}
	xvfb.mu.Lock()
	if xvfb.p != nil {
		delete(s, xvfb.p.cmd.Process.Pid)
	}
	xvfb.mu.Unlock()
	return s
}

func newChildren(before, after map[int]bool) []int {
	var out []int
	for p := range after {
		if !before[p] {
			out = append(out, p)
		}
	}
	return out
}

// alive reports whether pid runs (a zombie does not).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && !strings.HasPrefix(strings.TrimSpace(s[i+1:]), "Z")
}

func cmdline(pid int) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return strings.ReplaceAll(string(b), "\x00", " ")
}
