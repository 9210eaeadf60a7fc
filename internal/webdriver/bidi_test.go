package webdriver

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// bidiPage records the input events it sees in window.events.
const bidiPage = `<!doctype html>
<html><head><title>bidi</title><style>
body { margin: 0; }
#pad { height: 1500px; }
button, #hover, input { display: block; width: 200px; height: 40px; margin: 10px; }
</style></head><body>
<div id="pad"></div>
<button id="btn">press</button>
<div id="hover">hover me</div>
<input id="txt" type="text">
<input id="file" type="file" multiple>
<script>
window.events = [];
const rec = (s) => window.events.push(s);
document.getElementById("btn").addEventListener("click", (e) => rec("click " + e.isTrusted));
document.getElementById("hover").addEventListener("mouseover", (e) => rec("mouseover " + e.isTrusted));
document.getElementById("txt").addEventListener("keydown", (e) => { if (e.key === "Enter") rec("enter " + e.isTrusted); });
document.getElementById("file").addEventListener("change", () => rec("change"));
</script></body></html>`

// bidiServer serves bidiPage at / on a loopback origin.
func bidiServer(t *testing.T) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, bidiPage)
	}))
	t.Cleanup(s.Close)
	return s
}

// startFirefox starts Firefox for a test and closes it at the test's end.
func startFirefox(t *testing.T, o Options) *bidiBrowser {
	t.Helper()
	if o.Log == nil {
		o.Log = func(format string, args ...any) {
			if testing.Verbose() {
				t.Logf(format, args...)
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	start := time.Now()
	b, err := Start(ctx, Firefox, o)
	if err != nil {
		t.Fatalf("start firefox: %v", err)
	}
	t.Logf("firefox started in %v", time.Since(start).Round(time.Millisecond))
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return b.(*bidiBrowser)
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// evalInto evaluates src and decodes its JSON into out.
func evalInto(t *testing.T, ctx context.Context, tab Tab, src string, out any) {
	t.Helper()
	raw, err := tab.Eval(ctx, src)
	if err != nil {
		t.Fatalf("eval %q: %v", src, err)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatalf("eval %q: decode %s: %v", src, raw, err)
	}
}

func TestBiDiNavigateEvalConsole(t *testing.T) {
	srv := bidiServer(t)
	b := startFirefox(t, Options{})
	ctx := testCtx(t)
	tab := b.FirstTab()
	if err := tab.Navigate(ctx, srv.URL+"/page"); err != nil {
		t.Fatal(err)
	}
	var title, href string
	evalInto(t, ctx, tab, "document.title", &title)
	evalInto(t, ctx, tab, "location.href", &href)
	if title != "bidi" || href != srv.URL+"/page" {
		t.Fatalf("after Navigate: title %q, href %q", title, href)
	}

	for _, c := range []struct{ src, want string }{
		{"1 + 2", "3"},
		{"0.5", "0.5"},
		{`"a" + "\u00e9"`, `"aé"`},
		{"({a: [1, 2], b: {c: null}})", `{"a":[1,2],"b":{"c":null}}`},
		{"undefined", "null"},
		{"null", "null"},
		{"var x = 20; let y = 2; x + y", "22"},
		{"new Promise(r => setTimeout(() => r({late: true}), 50))", `{"late":true}`},
		{"({then(res) { res(7); }})", "7"},
		{"Promise.resolve()", "null"},
		{"window.events.length", "0"},
	} {
		got, err := tab.Eval(ctx, c.src)
		if err != nil {
			t.Errorf("eval %q: %v", c.src, err)
			continue
		}
		if string(got) != c.want {
			t.Errorf("eval %q = %s, want %s", c.src, got, c.want)
		}
	}
	for _, c := range []struct{ src, want string }{
		{`throw new TypeError("bad thing")`, "TypeError: bad thing"},
		{`Promise.reject(new RangeError("late bad"))`, "RangeError: late bad"},
		{`(function named() { null.x })()`, "named"}, // the stack names the function
		{`this is not javascript`, "SyntaxError"},
	} {
		_, err := tab.Eval(ctx, c.src)
		var je *JSError
		if !errors.As(err, &je) {
			t.Errorf("eval %q: err %v, want a *JSError", c.src, err)
			continue
		}
		if !strings.Contains(je.Message, c.want) {
			t.Errorf("eval %q: message %q, want it to contain %q", c.src, je.Message, c.want)
		}
	}

	if _, err := tab.Eval(ctx, `console.log("hello", "bidi", 42); console.warn("careful"); setTimeout(() => { throw new Error("uncaught boom") }, 0); 1`); err != nil {
		t.Fatal(err)
	}
	// A frame's console is its tab's.
	if _, err := tab.Eval(ctx, `new Promise(res => { const f = document.createElement("iframe");
		f.srcdoc = "<script>console.error('from the frame')<\/script>"; f.onload = res;
		document.body.append(f); })`); err != nil {
		t.Fatal(err)
	}
	want := []string{"info hello bidi 42", "warn careful", "error Error: uncaught boom", "error from the frame"}
	deadline := time.Now().Add(20 * time.Second)
	for {
		lines := tab.Console()
		missing := ""
		for _, w := range want {
			if !containsLine(lines, w) {
				missing = w
				break
			}
		}
		if missing == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("console lacks %q: %q", missing, lines)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// containsLine reports whether a line of lines starts with prefix.
func containsLine(lines []string, prefix string) bool {
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			return true
		}
	}
	return false
}

// The IndexedDB helpers: a "kv" store in database "bidi".
const (
	bidiIDBOpen = `new Promise((res, rej) => {
		const r = indexedDB.open("bidi", 1);
		r.onupgradeneeded = () => r.result.createObjectStore("kv");
		r.onsuccess = () => res(r.result);
		r.onerror = () => rej(r.error);
	})`
	bidiIDBPut = `(async () => { const db = await ` + bidiIDBOpen + `;
		await new Promise((res, rej) => { const tx = db.transaction("kv", "readwrite");
			tx.objectStore("kv").put(%q, "k"); tx.oncomplete = res; tx.onerror = () => rej(tx.error); });
		db.close(); return true; })()`
	bidiIDBGet = `(async () => { const db = await ` + bidiIDBOpen + `;
		const v = await new Promise((res, rej) => { const r = db.transaction("kv").objectStore("kv").get("k");
			r.onsuccess = () => res(r.result); r.onerror = () => rej(r.error); });
		db.close(); return v === undefined ? "(none)" : v; })()`
)

func TestBiDiIndexedDBReloadTabsRestart(t *testing.T) {
	srv := bidiServer(t)
	profile := filepath.Join(t.TempDir(), "profile")
	b := startFirefox(t, Options{Profile: profile})
	ctx := testCtx(t)
	tab := b.FirstTab()
	if err := tab.Navigate(ctx, srv.URL); err != nil {
		t.Fatal(err)
	}
	var got string
	evalInto(t, ctx, tab, bidiIDBGet, &got)
	if got != "(none)" {
		t.Fatalf("fresh profile has %q", got)
	}
	var ok bool
	evalInto(t, ctx, tab, fmt.Sprintf(bidiIDBPut, "kept"), &ok)

	// A reload keeps it (and the page's globals are new).
	if _, err := tab.Eval(ctx, "window.marker = 1"); err != nil {
		t.Fatal(err)
	}
	if err := tab.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	var marker any
	evalInto(t, ctx, tab, "window.marker", &marker)
	if marker != nil {
		t.Fatalf("Reload did not reload: window.marker = %v", marker)
	}
	evalInto(t, ctx, tab, bidiIDBGet, &got)
	if got != "kept" {
		t.Fatalf("after Reload: %q", got)
	}

	// A new tab shares the profile.
	tab2, err := b.NewTab(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var href string
	evalInto(t, ctx, tab2, "location.href", &href)
	if href != "about:blank" {
		t.Fatalf("new tab at %q", href)
	}
	if err := tab2.Navigate(ctx, srv.URL); err != nil {
		t.Fatal(err)
	}
	evalInto(t, ctx, tab2, bidiIDBGet, &got)
	if got != "kept" {
		t.Fatalf("in a new tab: %q", got)
	}
	evalInto(t, ctx, tab2, fmt.Sprintf(bidiIDBPut, "from tab 2"), &ok)
	evalInto(t, ctx, tab, bidiIDBGet, &got)
	if got != "from tab 2" {
		t.Fatalf("first tab reads %q after tab 2's put", got)
	}
	if err := tab2.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := tab2.Eval(ctx, "1"); err == nil {
		t.Fatal("eval in a closed tab succeeded")
	}

	// A restart on the same profile keeps it.
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(profile, "user.js")); err != nil {
		t.Fatalf("a given profile must be kept: %v", err)
	}
	b2 := startFirefox(t, Options{Profile: profile})
	tab = b2.FirstTab()
	if err := tab.Navigate(ctx, srv.URL); err != nil {
		t.Fatal(err)
	}
	evalInto(t, ctx, tab, bidiIDBGet, &got)
	if got != "from tab 2" {
		t.Fatalf("after a restart on the same profile: %q", got)
	}
}

func TestBiDiInput(t *testing.T) {
	srv := bidiServer(t)
	b := startFirefox(t, Options{Width: 800, Height: 600})
	ctx := testCtx(t)
	tab := b.FirstTab()
	if err := tab.Navigate(ctx, srv.URL); err != nil {
		t.Fatal(err)
	}
	var size [2]int
	evalInto(t, ctx, tab, "[innerWidth, innerHeight]", &size)
	if size != [2]int{800, 600} {
		t.Fatalf("start viewport %v, want 800×600", size)
	}

	// #btn is below the fold: Click scrolls it into view.
	if err := tab.Click(ctx, "#btn"); err != nil {
		t.Fatal(err)
	}
	if err := tab.Hover(ctx, "#hover"); err != nil {
		t.Fatal(err)
	}
	if err := tab.SendKeys(ctx, "#txt", "héllo wörld\n"); err != nil {
		t.Fatal(err)
	}
	var val string
	evalInto(t, ctx, tab, `document.getElementById("txt").value`, &val)
	if val != "héllo wörld" {
		t.Fatalf("typed %q", val)
	}
	if err := tab.Click(ctx, "#nothing-here"); err == nil {
		t.Fatal("Click on a missing element succeeded")
	}

	dir := t.TempDir()
	content := []byte("file bytes \x00\x01\xff end")
	p := filepath.Join(dir, "a.bin")
	if err := os.WriteFile(p, content, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := tab.SetFiles(ctx, "#file", []string{p}); err != nil {
		t.Fatal(err)
	}
	var file struct {
		Name  string
		Size  int
		Bytes []int
	}
	evalInto(t, ctx, tab, `(async () => { const f = document.getElementById("file").files[0];
		return {Name: f.name, Size: f.size, Bytes: Array.from(new Uint8Array(await f.arrayBuffer()))}; })()`, &file)
	gotBytes := make([]byte, len(file.Bytes))
	for i, v := range file.Bytes {
		gotBytes[i] = byte(v)
	}
	if file.Name != "a.bin" || file.Size != len(content) || !bytes.Equal(gotBytes, content) {
		t.Fatalf("file %q size %d bytes %q, want a.bin %q", file.Name, file.Size, gotBytes, content)
	}

	var events []string
	evalInto(t, ctx, tab, "window.events", &events)
	want := []string{"click true", "mouseover true", "enter true", "change"}
	if strings.Join(events, ",") != strings.Join(want, ",") {
		t.Fatalf("events %q, want %q", events, want)
	}

	if err := tab.SetViewport(ctx, 640, 480); err != nil {
		t.Fatal(err)
	}
	evalInto(t, ctx, tab, "[innerWidth, innerHeight]", &size)
	if size != [2]int{640, 480} {
		t.Fatalf("viewport %v after SetViewport(640, 480)", size)
	}
	shot, err := tab.Screenshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	// The device pixel ratio is 1 headless.
	if r := img.Bounds(); r.Dx() != 640 || r.Dy() != 480 {
		t.Fatalf("screenshot %v, want 640×480", r)
	}
}

// quotaPut stores a Blob of n MiB and answers "ok" or the error's name.
const quotaPut = `(async () => { const db = await ` + bidiIDBOpen + `;
	const blob = new Blob([new Uint8Array(%d * 1024 * 1024)]);
	try {
		await new Promise((res, rej) => { const tx = db.transaction("kv", "readwrite");
			const rq = tx.objectStore("kv").put(blob, "big"); tx.oncomplete = res;
			// tx.error is set when abort fires (it is still null in the
			// error events before it); the request's error is the same.
			tx.onabort = () => rej(tx.error && rq.error && tx.error.name === rq.error.name ? tx.error
				: new Error("abort: tx.error " + tx.error + ", request error " + rq.error)); });
		return "ok";
	} catch (e) { return e.name + ": " + e.message; } finally { db.close(); } })()`

func TestBiDiFirefoxPrefs(t *testing.T) {
	srv := bidiServer(t)
	// 5 MB for all temporary storage: an origin may use at most that
	// (the group limit is min(global, max(global/5, 10 MB))).
	profile := t.TempDir()
	b := startFirefox(t, Options{Profile: profile, FirefoxPrefs: map[string]any{
		"dom.quotaManager.temporaryStorage.fixedLimit": 5 * 1024,
	}})
	ctx := testCtx(t)
	tab := b.FirstTab()
	if err := tab.Navigate(ctx, srv.URL); err != nil {
		t.Fatal(err)
	}
	var got string
	evalInto(t, ctx, tab, fmt.Sprintf(quotaPut, 1), &got)
	if got != "ok" {
		t.Fatalf("1 MiB put under a 5 MB quota: %s", got)
	}
	evalInto(t, ctx, tab, fmt.Sprintf(quotaPut, 8), &got)
	if !strings.HasPrefix(got, "QuotaExceededError") {
		t.Fatalf("8 MiB put under a 5 MB quota: %s, want QuotaExceededError", got)
	}
	t.Logf("8 MiB put under a 5 MB quota: %s", got)
	var quota float64
	evalInto(t, ctx, tab, "navigator.storage.estimate().then(e => e.quota)", &quota)
	t.Logf("navigator.storage.estimate().quota = %.0f", quota)
	if quota > 5*1024*1024 {
		t.Fatalf("quota %.0f, want at most 5 MiB", quota)
	}

	// Restarted on the same profile without the pref (Firefox copied it
	// from user.js into prefs.js: Start must drop it), the same put succeeds.
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	b2 := startFirefox(t, Options{Profile: profile})
	tab = b2.FirstTab()
	if err := tab.Navigate(ctx, srv.URL); err != nil {
		t.Fatal(err)
	}
	evalInto(t, ctx, tab, fmt.Sprintf(quotaPut, 8), &got)
	if got != "ok" {
		t.Fatalf("8 MiB put with the default quota: %s", got)
	}
	evalInto(t, ctx, tab, "navigator.storage.estimate().then(e => e.quota)", &quota)
	if quota <= 5*1024*1024 {
		t.Fatalf("default quota %.0f, want more than 5 MiB", quota)
	}
}

// groupProcs lists the processes of process group pgid.
func groupProcs(t *testing.T, pgid int) []string {
	t.Helper()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // gone
		}
		// The state follows the parenthesized name; a zombie (Z) has
		// exited and waits for init to reap it.
		if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) && stat[i+2] == 'Z' {
			continue
		}
		if g, err := syscall.Getpgid(pid); err == nil && g == pgid {
			cmd, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
			out = append(out, fmt.Sprintf("%d %s", pid, bytes.ReplaceAll(cmd, []byte{0}, []byte{' '})))
		}
	}
	return out
}

func TestBiDiClose(t *testing.T) {
	srv := bidiServer(t)
	b := startFirefox(t, Options{})
	ctx := testCtx(t)
	if err := b.FirstTab().Navigate(ctx, srv.URL); err != nil {
		t.Fatal(err)
	}
	if b.Engine() != Firefox {
		t.Fatalf("engine %q", b.Engine())
	}
	pid, profile := b.cmd.Process.Pid, b.Profile()
	if procs := groupProcs(t, pid); len(procs) < 2 {
		t.Fatalf("expected firefox and its content processes in group %d: %q", pid, procs)
	}
	start := time.Now()
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("closed in %v", time.Since(start).Round(time.Millisecond))
	if procs := groupProcs(t, pid); len(procs) > 0 {
		t.Fatalf("processes left after Close: %q", procs)
	}
	if _, err := os.Stat(profile); !os.IsNotExist(err) {
		t.Fatalf("the made profile %s is still there: %v", profile, err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := b.FirstTab().Eval(ctx, "1"); err == nil {
		t.Fatal("eval after Close succeeded")
	}
}

// TestBiDiHelperProcess is the child of TestBiDiParentDeath: it starts
// Firefox, prints its pid and waits to be killed.
func TestBiDiHelperProcess(t *testing.T) {
	if os.Getenv("WEBDRIVER_BIDI_HELPER") != "1" {
		t.Skip("run by TestBiDiParentDeath")
	}
	b := startFirefox(t, Options{Profile: os.Getenv("WEBDRIVER_BIDI_PROFILE")})
	fmt.Printf("firefox-pid %d\n", b.cmd.Process.Pid)
	time.Sleep(5 * time.Minute)
}

func TestBiDiParentDeath(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestBiDiHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), "WEBDRIVER_BIDI_HELPER=1", "WEBDRIVER_BIDI_PROFILE="+t.TempDir())
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	pid := 0
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if _, err := fmt.Sscanf(sc.Text(), "firefox-pid %d", &pid); err == nil {
			break
		}
	}
	if pid == 0 {
		t.Fatalf("the helper did not start firefox (%v)", sc.Err())
	}
	go io.Copy(io.Discard, out)
	if procs := groupProcs(t, pid); len(procs) == 0 {
		t.Fatalf("no firefox in group %d", pid)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	deadline := time.Now().Add(20 * time.Second)
	for {
		procs := groupProcs(t, pid)
		if len(procs) == 0 {
			break
		}
		if time.Now().After(deadline) {
			syscall.Kill(-pid, syscall.SIGKILL)
			t.Fatalf("firefox outlived its parent by 20s: %q", procs)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
