package webdriver

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DriverError is an error answered by a WebDriver endpoint: its W3C error
// code ("no such element", "javascript error", …) and message.
type DriverError struct {
	Code    string
	Message string
}

func (e *DriverError) Error() string { return "webdriver: " + e.Code + ": " + e.Message }

// chromiumFlags are the flags this machine's headless Chromium needs (the
// same as internal/headless), without --user-data-dir.
var chromiumFlags = []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
	"--no-default-browser-check", "--disable-background-networking", "--disable-component-update",
	"--disable-sync", "--disable-dev-shm-usage", "--disable-extensions", "--disable-breakpad",
	"--disable-background-timer-throttling", "--disable-backgrounding-occluded-windows",
	"--disable-renderer-backgrounding", "--mute-audio", "--password-store=basic"}

// elementKey names an element reference in W3C WebDriver JSON.
const elementKey = "element-6066-11e4-a52e-4f735466cecf"

// Session timeouts: generous, the machine is small and busy; the contexts of
// the Tab methods bound each call anyway.
const (
	scriptTimeout   = 10 * time.Minute
	pageLoadTimeout = 5 * time.Minute
	startTimeout    = 60 * time.Second
)

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// classicBrowser is a browser driven over classic WebDriver (HTTP).
type classicBrowser struct {
	engine      Engine
	profile     string
	ownsProfile bool
	log         func(string, ...any)
	driver      *proc
	browser     *proc  // the browser when started here (Chromium), else nil
	base        string // http://127.0.0.1:<port>/session/<id>
	client      *http.Client
	first       *classicTab

	mu      sync.Mutex // serializes commands: one current window per session
	current string     // the window handle commands go to now

	closeOnce sync.Once
	closeErr  error
}

// classicTab is one window handle of a classicBrowser.
type classicTab struct {
	b      *classicBrowser
	handle string
}

func startClassic(ctx context.Context, e Engine, o Options) (_ Browser, err error) {
	b := &classicBrowser{engine: e, profile: o.Profile, log: o.Log, client: &http.Client{}}
	if b.log == nil {
		b.log = func(string, ...any) {}
	}
	if b.profile == "" {
		dir, err := os.MkdirTemp("", "webdriver-"+string(e)+"-")
		if err != nil {
			return nil, fmt.Errorf("webdriver: making a profile: %w", err)
		}
		b.profile, b.ownsProfile = dir, true
	}
	defer func() {
		if err != nil {
			b.Close()
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	var caps map[string]any
	var driverBin string
	var driverEnv []string
	switch e {
	case Chromium:
		// Chromium is this process's child (so that it dies with it,
		// Pdeathsig), not chromedriver's: chromedriver attaches to it.
		// Port 0: Chromium binds a free port itself and writes it into
		// DevToolsActivePort in the profile (a port picked here could be
		// taken by another browser or driver before Chromium binds it).
		os.Remove(filepath.Join(b.profile, "DevToolsActivePort"))
		args := append(append([]string(nil), chromiumFlags...), "--user-data-dir="+b.profile,
			"--remote-debugging-port=0", "about:blank")
		b.browser, err = startProc(envOr("CHROMIUM", "/usr/bin/chromium"), args, nil, o.Log)
		if err != nil {
			return nil, err
		}
		driverBin = envOr("CHROMEDRIVER", "/usr/bin/chromedriver")
		dport, err := b.waitDevTools(ctx)
		if err != nil {
			return nil, err
		}
		caps = map[string]any{"goog:chromeOptions": map[string]any{
			"debuggerAddress": fmt.Sprintf("127.0.0.1:%d", dport),
		}}
	case WebKit:
		display, err := xDisplay(ctx, o.Log)
		if err != nil {
			return nil, err
		}
		driverBin, driverEnv = envOr("WEBKITWEBDRIVER", "/usr/bin/WebKitWebDriver"), []string{"DISPLAY=" + display}
		// MiniBrowser under automation keeps website data in memory: the
		// profile directory only names the device (see KeepsProfile).
		caps = map[string]any{"browserName": "MiniBrowser", "webkitgtk:browserOptions": map[string]any{
			"binary": envOr("MINIBROWSER", "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser"),
			"args":   []string{"--automation"},
		}}
	default:
		return nil, fmt.Errorf("webdriver: %s is not a classic WebDriver engine", e)
	}
	caps["pageLoadStrategy"] = "normal"
	caps["timeouts"] = map[string]any{"script": scriptTimeout.Milliseconds(),
		"pageLoad": pageLoadTimeout.Milliseconds(), "implicit": 0}

	root, err := b.startDriver(ctx, driverBin, driverEnv, o.Log)
	if err != nil {
		return nil, err
	}
	var sess struct {
		SessionID string `json:"sessionId"`
	}
	if err := b.do(ctx, http.MethodPost, root+"/session",
		map[string]any{"capabilities": map[string]any{"alwaysMatch": caps}}, &sess); err != nil {
		return nil, fmt.Errorf("webdriver: new %s session: %w", e, err)
	}
	b.base = root + "/session/" + sess.SessionID
	// Some drivers ignore the timeouts capability: set them again.
	if err := b.cmd(ctx, http.MethodPost, "/timeouts", map[string]any{"script": scriptTimeout.Milliseconds(),
		"pageLoad": pageLoadTimeout.Milliseconds(), "implicit": 0}, nil); err != nil {
		return nil, fmt.Errorf("webdriver: setting timeouts: %w", err)
	}
	var handle string
	if err := b.cmd(ctx, http.MethodGet, "/window", nil, &handle); err != nil {
		return nil, fmt.Errorf("webdriver: first window: %w", err)
	}
	b.current = handle
	b.first = &classicTab{b: b, handle: handle}
	w, h := o.Width, o.Height
	if w <= 0 {
		w = 1280
	}
	if h <= 0 {
		h = 900
	}
	if err := b.first.SetViewport(ctx, w, h); err != nil {
		return nil, err
	}
	return b, nil
}

// waitDevTools waits until the Chromium started here has written its
// DevTools port into DevToolsActivePort (in its profile) and serves its
// DevTools HTTP endpoint there, and returns the port.
func (b *classicBrowser) waitDevTools(ctx context.Context) (int, error) {
	var last error
	for {
		if b.browser.exited() {
			return 0, errors.New("webdriver: chromium exited at start")
		}
		port := 0
		raw, err := os.ReadFile(filepath.Join(b.profile, "DevToolsActivePort"))
		if err == nil {
			line, _, _ := strings.Cut(string(raw), "\n")
			port, err = strconv.Atoi(strings.TrimSpace(line))
		}
		if err == nil && port > 0 {
			c, cancel := context.WithTimeout(ctx, 5*time.Second)
			err = b.do(c, http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d/json/version", port), nil, nil)
			cancel()
			if err == nil {
				return port, nil
			}
		}
		last = err
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("webdriver: waiting for chromium's DevTools: %w (last: %v)", ctx.Err(), last)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// startDriver starts the WebDriver server bin on a free port and waits
// until it is ready; it returns its root URL. The port is picked here and
// could be taken by another process before the driver binds it: a driver
// that exits at start is started again on another port (three tries).
func (b *classicBrowser) startDriver(ctx context.Context, bin string, env []string, log func(string, ...any)) (string, error) {
	var last error
	for try := 0; try < 3; try++ {
		port, err := freePort()
		if err != nil {
			return "", err
		}
		b.driver, err = startProc(bin, []string{fmt.Sprintf("--port=%d", port)}, env, log)
		if err != nil {
			return "", err
		}
		root := fmt.Sprintf("http://127.0.0.1:%d", port)
		if last = b.waitReady(ctx, root); last == nil {
			return root, nil
		}
		if !b.driver.exited() || ctx.Err() != nil {
			return "", last
		}
	}
	return "", last
}

// waitReady polls the driver's /status until it says ready.
func (b *classicBrowser) waitReady(ctx context.Context, root string) error {
	var last error
	for {
		if b.driver.exited() {
			return fmt.Errorf("webdriver: the %s driver exited at start", b.engine)
		}
		var st struct {
			Ready bool `json:"ready"`
		}
		c, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := b.do(c, http.MethodGet, root+"/status", nil, &st)
		cancel()
		if err == nil && st.Ready {
			return nil
		}
		if err == nil {
			err = errors.New("not ready")
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("webdriver: waiting for the %s driver: %w (last: %v)", b.engine, ctx.Err(), last)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// do sends one WebDriver request and decodes the "value" of its answer into
// out (if not nil); an error answer is a *DriverError.
func (b *classicBrowser) do(ctx context.Context, method, url string, body, out any) error {
	var rd io.Reader
	if body != nil {
		j, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("webdriver: encoding a request: %w", err)
		}
		rd = bytes.NewReader(j)
	} else if method == http.MethodPost {
		rd = strings.NewReader("{}")
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return fmt.Errorf("webdriver: %w", err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	resp, err := b.client.Do(req)
	if err != nil {
		return fmt.Errorf("webdriver: %s %s: %w", method, url, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("webdriver: reading the answer to %s %s: %w", method, url, err)
	}
	var ans struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(raw, &ans); err != nil {
		return fmt.Errorf("webdriver: %s %s: HTTP %d, not JSON: %.200q", method, url, resp.StatusCode, raw)
	}
	if resp.StatusCode >= 400 {
		var e struct {
			Error   string `json:"error"`
			Message string `json:"message"`
		}
		json.Unmarshal(ans.Value, &e)
		if e.Error == "" {
			e.Error = fmt.Sprintf("HTTP %d", resp.StatusCode)
		}
		return &DriverError{Code: e.Error, Message: e.Message}
	}
	if out != nil {
		if err := json.Unmarshal(ans.Value, out); err != nil {
			return fmt.Errorf("webdriver: decoding the answer to %s %s: %w", method, url, err)
		}
	}
	return nil
}

// cmd sends a command of the session (path relative to /session/<id>).
func (b *classicBrowser) cmd(ctx context.Context, method, path string, body, out any) error {
	return b.do(ctx, method, b.base+path, body, out)
}

func (b *classicBrowser) Engine() Engine  { return b.engine }
func (b *classicBrowser) Profile() string { return b.profile }
func (b *classicBrowser) FirstTab() Tab   { return b.first }

func (b *classicBrowser) NewTab(ctx context.Context) (Tab, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var w struct {
		Handle string `json:"handle"`
	}
	if err := b.cmd(ctx, http.MethodPost, "/window/new", map[string]any{"type": "tab"}, &w); err != nil {
		return nil, fmt.Errorf("webdriver: new tab: %w", err)
	}
	return &classicTab{b: b, handle: w.Handle}, nil
}

func (b *classicBrowser) Close() error {
	b.closeOnce.Do(func() {
		// The processes below driver and browser now: once the session is
		// deleted, those still exiting are orphans, no longer below them.
		var below []int
		for _, p := range []*proc{b.driver, b.browser} {
			if p != nil {
				below = append(below, descendants(p.cmd.Process.Pid)...)
			}
		}
		if b.base != "" && b.driver != nil && !b.driver.exited() {
			// Ask the driver to quit the browser; then kill what is left.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			if err := b.do(ctx, http.MethodDelete, b.base, nil, nil); err != nil {
				b.log("webdriver: deleting the session: %v", err)
			}
			cancel()
		}
		if b.browser != nil {
			b.browser.kill()
		}
		if b.driver != nil {
			b.driver.kill()
		}
		killAll(below)
		if b.ownsProfile {
			if err := os.RemoveAll(b.profile); err != nil {
				b.closeErr = fmt.Errorf("webdriver: removing the profile: %w", err)
			}
		}
	})
	return b.closeErr
}

// on runs f with the session's current window switched to t's.
func (t *classicTab) on(ctx context.Context, f func() error) error {
	b := t.b
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.current != t.handle {
		if err := b.cmd(ctx, http.MethodPost, "/window", map[string]any{"handle": t.handle}, nil); err != nil {
			return fmt.Errorf("webdriver: switching to tab %s: %w", t.handle, err)
		}
		b.current = t.handle
	}
	return f()
}

func (t *classicTab) Navigate(ctx context.Context, url string) error {
	return t.on(ctx, func() error {
		if err := t.b.cmd(ctx, http.MethodPost, "/url", map[string]any{"url": url}, nil); err != nil {
			return fmt.Errorf("webdriver: navigating to %s: %w", url, err)
		}
		return nil
	})
}

func (t *classicTab) Reload(ctx context.Context) error {
	return t.on(ctx, func() error {
		if err := t.b.cmd(ctx, http.MethodPost, "/refresh", nil, nil); err != nil {
			return fmt.Errorf("webdriver: reloading: %w", err)
		}
		return nil
	})
}

// evalScript runs arguments[0] through indirect eval, awaits a thenable and
// answers {v: JSON} or {e: message}.
const evalScript = `const src = arguments[0], done = arguments[arguments.length - 1];
const fail = (e) => {
  let m;
  try {
    if (e instanceof Error || (e && typeof e.message === "string")) {
      m = String(e);
      const st = e.stack ? String(e.stack) : "";
      if (st && st.indexOf(String(e.message)) >= 0) m = st;
      else if (st) m += "\n" + st;
    } else {
      m = String(e);
    }
  } catch (x) { m = "(an unprintable exception)"; }
  done({e: m});
};
const ok = (v) => {
  let s;
  try { s = JSON.stringify(v); } catch (x) { fail(x); return; }
  done({v: s === undefined ? "null" : s});
};
try {
  const r = (0, eval)(src);
  if (r !== null && (typeof r === "object" || typeof r === "function") && typeof r.then === "function") {
    Promise.resolve(r).then(ok, fail);
  } else {
    ok(r);
  }
} catch (e) { fail(e); }`

func (t *classicTab) Eval(ctx context.Context, src string) (json.RawMessage, error) {
	var res struct {
		V *string `json:"v"`
		E *string `json:"e"`
	}
	err := t.on(ctx, func() error {
		return t.b.cmd(ctx, http.MethodPost, "/execute/async",
			map[string]any{"script": evalScript, "args": []any{src}}, &res)
	})
	if err != nil {
		return nil, fmt.Errorf("webdriver: eval: %w", err)
	}
	if res.E != nil {
		return nil, &JSError{Message: *res.E}
	}
	if res.V == nil {
		return nil, errors.New("webdriver: eval: the page answered neither a value nor an error")
	}
	return json.RawMessage(*res.V), nil
}

// element finds the first element matching css and scrolls it into view;
// call it inside on.
func (t *classicTab) element(ctx context.Context, css string) (map[string]any, error) {
	var ref map[string]string
	if err := t.b.cmd(ctx, http.MethodPost, "/element",
		map[string]any{"using": "css selector", "value": css}, &ref); err != nil {
		return nil, fmt.Errorf("webdriver: finding %q: %w", css, err)
	}
	el := map[string]any{elementKey: ref[elementKey]}
	if err := t.b.cmd(ctx, http.MethodPost, "/execute/sync", map[string]any{
		"script": `arguments[0].scrollIntoView({block: "center", inline: "center"});`,
		"args":   []any{el}}, nil); err != nil {
		return nil, fmt.Errorf("webdriver: scrolling %q into view: %w", css, err)
	}
	return el, nil
}

func (t *classicTab) Click(ctx context.Context, css string) error {
	return t.on(ctx, func() error {
		el, err := t.element(ctx, css)
		if err != nil {
			return err
		}
		if err := t.b.cmd(ctx, http.MethodPost, "/element/"+el[elementKey].(string)+"/click", nil, nil); err != nil {
			return fmt.Errorf("webdriver: clicking %q: %w", css, err)
		}
		return nil
	})
}

func (t *classicTab) Hover(ctx context.Context, css string) error {
	return t.on(ctx, func() error {
		el, err := t.element(ctx, css)
		if err != nil {
			return err
		}
		acts := map[string]any{"actions": []any{map[string]any{
			"type": "pointer", "id": "mouse", "parameters": map[string]any{"pointerType": "mouse"},
			"actions": []any{map[string]any{"type": "pointerMove", "duration": 0, "origin": el, "x": 0, "y": 0}},
		}}}
		if err := t.b.cmd(ctx, http.MethodPost, "/actions", acts, nil); err != nil {
			return fmt.Errorf("webdriver: hovering %q: %w", css, err)
		}
		return nil
	})
}

// sendKeys types text into the element (element send keys).
func (t *classicTab) sendKeys(ctx context.Context, css, text, what string) error {
	return t.on(ctx, func() error {
		el, err := t.element(ctx, css)
		if err != nil {
			return err
		}
		if err := t.b.cmd(ctx, http.MethodPost, "/element/"+el[elementKey].(string)+"/value",
			map[string]any{"text": text}, nil); err != nil {
			return fmt.Errorf("webdriver: %s %q: %w", what, css, err)
		}
		return nil
	})
}

func (t *classicTab) SendKeys(ctx context.Context, css, text string) error {
	// U+E007 is WebDriver's Enter key.
	return t.sendKeys(ctx, css, strings.ReplaceAll(text, "\n", "\uE007"), "typing into")
}

func (t *classicTab) SetFiles(ctx context.Context, css string, paths []string) error {
	// On a file input, element send keys takes the paths, one a line.
	return t.sendKeys(ctx, css, strings.Join(paths, "\n"), "setting the files of")
}

func (t *classicTab) Screenshot(ctx context.Context) ([]byte, error) {
	var b64 string
	if err := t.on(ctx, func() error {
		return t.b.cmd(ctx, http.MethodGet, "/screenshot", nil, &b64)
	}); err != nil {
		return nil, fmt.Errorf("webdriver: screenshot: %w", err)
	}
	png, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("webdriver: screenshot: decoding: %w", err)
	}
	return png, nil
}

// SetViewport sets the window's size so that the viewport (innerWidth ×
// innerHeight) is the asked one: the window's frame is measured, not assumed.
func (t *classicTab) SetViewport(ctx context.Context, width, height int) error {
	return t.on(ctx, func() error {
		type rect struct {
			Width  int `json:"width"`
			Height int `json:"height"`
		}
		var inner []int
		for try := 0; ; try++ {
			var r rect
			if err := t.b.cmd(ctx, http.MethodGet, "/window/rect", nil, &r); err != nil {
				return fmt.Errorf("webdriver: window rect: %w", err)
			}
			if err := t.b.cmd(ctx, http.MethodPost, "/execute/sync", map[string]any{
				"script": "return [window.innerWidth, window.innerHeight];", "args": []any{}}, &inner); err != nil {
				return fmt.Errorf("webdriver: measuring the viewport: %w", err)
			}
			if len(inner) == 2 && inner[0] == width && inner[1] == height {
				return nil
			}
			if try == 4 || len(inner) != 2 {
				return fmt.Errorf("webdriver: the viewport is %v, not %dx%d", inner, width, height)
			}
			want := rect{Width: r.Width + width - inner[0], Height: r.Height + height - inner[1]}
			if err := t.b.cmd(ctx, http.MethodPost, "/window/rect", want, nil); err != nil {
				return fmt.Errorf("webdriver: setting the window rect: %w", err)
			}
			// A busy browser may answer before the page saw the resize:
			// wait (up to 2 s) for the viewport to change before measuring
			// again, or the next try corrects a size already on its way.
			before := inner
			for wait := time.Now().Add(2 * time.Second); time.Now().Before(wait); {
				var now []int
				if err := t.b.cmd(ctx, http.MethodPost, "/execute/sync", map[string]any{
					"script": "return [window.innerWidth, window.innerHeight];", "args": []any{}}, &now); err != nil {
					return fmt.Errorf("webdriver: measuring the viewport: %w", err)
				}
				if len(now) != 2 || now[0] != before[0] || now[1] != before[1] {
					break
				}
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(50 * time.Millisecond):
				}
			}
		}
	})
}

func (t *classicTab) Console() []string { return nil }

func (t *classicTab) Close(ctx context.Context) error {
	return t.on(ctx, func() error {
		if err := t.b.cmd(ctx, http.MethodDelete, "/window", nil, nil); err != nil {
			return fmt.Errorf("webdriver: closing tab %s: %w", t.handle, err)
		}
		t.b.current = ""
		return nil
	})
}
