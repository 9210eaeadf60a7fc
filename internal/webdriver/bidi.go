package webdriver

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/coder/websocket"
)

// consoleCap bounds the console lines a BiDi tab keeps (the oldest go first).
const consoleCap = 2000

// firefoxBasePrefs turn off what a test browser must not do on this closed
// machine: updates, telemetry, first-run and what's-new pages, background
// connections (safe browsing, captive portal, remote settings, prefetch), and
// session restore (a restart on the same profile starts on about:blank).
var firefoxBasePrefs = map[string]any{
	"app.normandy.enabled":                                        false,
	"app.shield.optoutstudies.enabled":                            false,
	"app.update.auto":                                             false,
	"app.update.checkInstallTime":                                 false,
	"app.update.disabledForTesting":                               true,
	"app.update.enabled":                                          false,
	"browser.aboutwelcome.enabled":                                false,
	"browser.discovery.enabled":                                   false,
	"browser.newtabpage.enabled":                                  false,
	"browser.ping-centre.telemetry":                               false,
	"browser.region.network.url":                                  "",
	"browser.region.update.enabled":                               false,
	"browser.safebrowsing.blockedURIs.enabled":                    false,
	"browser.safebrowsing.downloads.enabled":                      false,
	"browser.safebrowsing.malware.enabled":                        false,
	"browser.safebrowsing.phishing.enabled":                       false,
	"browser.safebrowsing.provider.google4.updateURL":             "",
	"browser.safebrowsing.provider.mozilla.updateURL":             "",
	"browser.search.update":                                       false,
	"browser.sessionstore.resume_from_crash":                      false,
	"browser.shell.checkDefaultBrowser":                           false,
	"browser.startup.homepage":                                    "about:blank",
	"browser.startup.homepage_override.mstone":                    "ignore",
	"browser.startup.page":                                        0,
	"browser.tabs.warnOnClose":                                    false,
	"browser.topsites.contile.enabled":                            false,
	"browser.warnOnQuit":                                          false,
	"captivedetect.canonicalURL":                                  "",
	"datareporting.healthreport.uploadEnabled":                    false,
	"datareporting.policy.dataSubmissionEnabled":                  false,
	"datareporting.policy.dataSubmissionPolicyBypassNotification": true,
	"extensions.blocklist.enabled":                                false,
	"extensions.getAddons.cache.enabled":                          false,
	"extensions.update.enabled":                                   false,
	"geo.provider.network.url":                                    "",
	"media.gmp-manager.updateEnabled":                             false,
	"nimbus.rollouts.enabled":                                     false,
	"network.captive-portal-service.enabled":                      false,
	"network.connectivity-service.enabled":                        false,
	"network.dns.disablePrefetch":                                 true,
	"network.http.speculative-parallel-limit":                     0,
	"network.prefetch-next":                                       false,
	"privacy.sanitize.sanitizeOnShutdown":                         false,
	"services.settings.server":                                    "",
	"startup.homepage_welcome_url":                                "about:blank",
	"toolkit.startup.max_resumed_crashes":                         -1,
	"toolkit.telemetry.enabled":                                   false,
	"toolkit.telemetry.reportingpolicy.firstRun":                  false,
	"toolkit.telemetry.server":                                    "",
	"toolkit.telemetry.unified":                                   false,
}

// bidiBrowser is Firefox driven over WebDriver BiDi.
type bidiBrowser struct {
	cmd         *exec.Cmd
	exited      chan struct{} // closed when cmd has been waited for
	profile     string
	ownProfile  bool
	conn        *websocket.Conn
	logf        func(format string, args ...any)
	first       *bidiTab
	readerDone  chan struct{}
	stopReading context.CancelFunc

	mu      sync.Mutex
	nextID  int
	pending map[int]chan bidiReply
	tabs    map[string]*bidiTab
	parents map[string]string // a nested browsing context's parent
	readErr error             // why the reader stopped, once it has

	closeOnce sync.Once
	closeErr  error
}

// bidiReply is one command's answer.
type bidiReply struct {
	result json.RawMessage
	err    error
}

// bidiTab is one top-level browsing context.
type bidiTab struct {
	b  *bidiBrowser
	id string

	mu      sync.Mutex
	console []string
}

// startBiDi starts Firefox with its remote agent and opens a BiDi session.
func startBiDi(ctx context.Context, o Options) (_ Browser, err error) {
	b := &bidiBrowser{
		profile: o.Profile,
		logf:    o.Log,
		pending: map[int]chan bidiReply{},
		tabs:    map[string]*bidiTab{},
		parents: map[string]string{},
		exited:  make(chan struct{}),
	}
	if b.logf == nil {
		b.logf = func(string, ...any) {}
	}
	if b.profile == "" {
		dir, err := os.MkdirTemp("", "webdriver-firefox-")
		if err != nil {
			return nil, fmt.Errorf("webdriver: firefox profile: %w", err)
		}
		b.profile, b.ownProfile = dir, true
	}
	defer func() {
		if err != nil {
			b.Close()
		}
	}()
	if err := os.MkdirAll(b.profile, 0o755); err != nil {
		return nil, fmt.Errorf("webdriver: firefox profile: %w", err)
	}
	if err := writeUserJS(b.profile, o.FirefoxPrefs); err != nil {
		return nil, err
	}
	bin := os.Getenv("FIREFOX")
	if bin == "" {
		bin = "/usr/bin/firefox-esr"
	}
	// Port 0: Firefox binds a free port itself and prints its address, so
	// no other process can take the port between our choice and its bind.
	b.cmd = exec.Command(bin, "--headless", "--remote-debugging-port=0",
		"-profile", b.profile, "--no-remote")
	b.cmd.Env = append(os.Environ(), "MOZ_HEADLESS=1", "MOZ_CRASHREPORTER_DISABLE=1")
	// Its own process group (Close kills the group: the content processes
	// too), killed when this process dies.
	b.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	out := &bidiLogWriter{logf: b.logf, listening: make(chan string, 1)}
	b.cmd.Stdout, b.cmd.Stderr = out, out
	if err := b.cmd.Start(); err != nil {
		b.cmd = nil
		return nil, fmt.Errorf("webdriver: start firefox: %w", err)
	}
	go func() { b.cmd.Wait(); close(b.exited) }()
	b.logf("webdriver: firefox pid %d, profile %s", b.cmd.Process.Pid, b.profile)
	var url string
	select {
	case url = <-out.listening:
	case <-b.exited:
		return nil, fmt.Errorf("webdriver: firefox exited before its remote agent listened (%v)", b.cmd.ProcessState)
	case <-ctx.Done():
		return nil, fmt.Errorf("webdriver: waiting for firefox's remote agent: %w", ctx.Err())
	}
	if err := b.dial(ctx, url+"/session"); err != nil {
		return nil, err
	}
	if _, err := b.send(ctx, "session.new", map[string]any{
		"capabilities": map[string]any{"alwaysMatch": map[string]any{
			"acceptInsecureCerts":     true,
			"unhandledPromptBehavior": map[string]any{"default": "dismiss"},
		}},
	}); err != nil {
		return nil, err
	}
	if _, err := b.send(ctx, "session.subscribe", map[string]any{
		// The context events attribute an iframe's console to its tab.
		"events": []string{"log.entryAdded", "browsingContext.contextCreated", "browsingContext.contextDestroyed"},
	}); err != nil {
		return nil, err
	}
	var tree struct {
		Contexts []struct {
			Context string `json:"context"`
		} `json:"contexts"`
	}
	if err := b.call(ctx, "browsingContext.getTree", map[string]any{"maxDepth": 0}, &tree); err != nil {
		return nil, err
	}
	if len(tree.Contexts) == 0 {
		return nil, errors.New("webdriver: firefox has no browsing context")
	}
	b.first = b.addTab(tree.Contexts[0].Context)
	w, h := o.Width, o.Height
	if w == 0 {
		w = 1280
	}
	if h == 0 {
		h = 900
	}
	if err := b.first.SetViewport(ctx, w, h); err != nil {
		return nil, err
	}
	return b, nil
}

// writeUserJS writes the profile's user.js: the base prefs, then extra.
func writeUserJS(profile string, extra map[string]any) error {
	prefs := map[string]any{}
	for k, v := range firefoxBasePrefs {
		prefs[k] = v
	}
	for k, v := range extra {
		prefs[k] = v
	}
	names := make([]string, 0, len(prefs))
	for k := range prefs {
		names = append(names, k)
	}
	sort.Strings(names)
	var sb strings.Builder
	for _, k := range names {
		// JSON's strings, numbers and booleans are JavaScript's too.
		v, err := json.Marshal(prefs[k])
		if err != nil {
			return fmt.Errorf("webdriver: firefox pref %s: %w", k, err)
		}
		fmt.Fprintf(&sb, "user_pref(%q, %s);\n", k, v)
	}
	if err := os.WriteFile(filepath.Join(profile, "user.js"), []byte(sb.String()), 0o644); err != nil {
		return fmt.Errorf("webdriver: firefox user.js: %w", err)
	}
	return nil
}

// bidiListening starts the line Firefox prints once its remote agent
// listens, followed by the agent's address (ws://127.0.0.1:port).
const bidiListening = "WebDriver BiDi listening on "

// bidiLogWriter passes the browser's output to Options.Log line by line and
// sends the remote agent's address to listening, once.
type bidiLogWriter struct {
	logf      func(format string, args ...any)
	listening chan string // buffered (1)
	mu        sync.Mutex
	buf       []byte
	seen      bool
}

func (w *bidiLogWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		line := string(w.buf[:i])
		w.buf = w.buf[i+1:]
		w.logf("firefox: %s", line)
		if !w.seen && strings.HasPrefix(line, bidiListening) {
			w.seen = true
			w.listening <- strings.TrimSpace(line[len(bidiListening):])
		}
	}
	return len(p), nil
}

// dial connects to the remote agent, retrying until it listens or ctx ends.
func (b *bidiBrowser) dial(ctx context.Context, url string) error {
	var last error
	for {
		select {
		case <-b.exited:
			return fmt.Errorf("webdriver: firefox exited before its remote agent listened (%v)", b.cmd.ProcessState)
		default:
		}
		dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		c, _, err := websocket.Dial(dctx, url, nil)
		cancel()
		if err == nil {
			// Screenshots and big results come as one message.
			c.SetReadLimit(256 << 20)
			b.conn = c
			rctx, stop := context.WithCancel(context.Background())
			b.stopReading = stop
			b.readerDone = make(chan struct{})
			go b.read(rctx)
			return nil
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("webdriver: connect to firefox's remote agent at %s: %w (last: %v)", url, ctx.Err(), last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// read dispatches the agent's messages: replies to their commands, events
// to their tabs. It ends with the connection.
func (b *bidiBrowser) read(ctx context.Context) {
	defer close(b.readerDone)
	for {
		_, data, err := b.conn.Read(ctx)
		if err != nil {
			b.mu.Lock()
			b.readErr = fmt.Errorf("webdriver: firefox connection: %w", err)
			for id, ch := range b.pending {
				ch <- bidiReply{err: b.readErr}
				delete(b.pending, id)
			}
			b.mu.Unlock()
			return
		}
		var m struct {
			Type    string          `json:"type"`
			ID      *int            `json:"id"`
			Result  json.RawMessage `json:"result"`
			Error   string          `json:"error"`
			Message string          `json:"message"`
			Method  string          `json:"method"`
			Params  json.RawMessage `json:"params"`
		}
		if err := json.Unmarshal(data, &m); err != nil {
			b.logf("webdriver: bad BiDi message %.200q: %v", data, err)
			continue
		}
		switch {
		case m.Type == "event":
			b.event(m.Method, m.Params)
		case m.ID != nil:
			b.mu.Lock()
			ch := b.pending[*m.ID]
			delete(b.pending, *m.ID)
			b.mu.Unlock()
			if ch == nil {
				continue // its caller gave up
			}
			if m.Type == "error" {
				ch <- bidiReply{err: fmt.Errorf("%s: %s", m.Error, m.Message)}
			} else {
				ch <- bidiReply{result: m.Result}
			}
		default:
			b.logf("webdriver: unexpected BiDi message %.200q", data)
		}
	}
}

// event handles one BiDi event.
func (b *bidiBrowser) event(method string, params json.RawMessage) {
	switch method {
	case "browsingContext.contextCreated", "browsingContext.contextDestroyed":
		var c struct {
			Context string `json:"context"`
			Parent  string `json:"parent"`
		}
		if err := json.Unmarshal(params, &c); err != nil {
			b.logf("webdriver: bad %s: %v", method, err)
			return
		}
		b.mu.Lock()
		if method == "browsingContext.contextDestroyed" {
			delete(b.parents, c.Context)
		} else if c.Parent != "" {
			b.parents[c.Context] = c.Parent
		}
		b.mu.Unlock()
	case "log.entryAdded":
		var e struct {
			Level  string `json:"level"`
			Text   string `json:"text"`
			Source struct {
				Context string `json:"context"`
			} `json:"source"`
		}
		if err := json.Unmarshal(params, &e); err != nil {
			b.logf("webdriver: bad log.entryAdded: %v", err)
			return
		}
		line := e.Level + " " + e.Text
		t := b.tabOf(e.Source.Context)
		if t == nil {
			b.logf("webdriver: console of no known tab: %s", line)
			return
		}
		t.mu.Lock()
		if len(t.console) >= consoleCap {
			t.console = append(t.console[:0], t.console[len(t.console)-consoleCap+1:]...)
		}
		t.console = append(t.console, line)
		t.mu.Unlock()
	}
}

// tabOf returns the tab of browsing context id (the tab itself or one of
// its frames), nil if none.
func (b *bidiBrowser) tabOf(id string) *bidiTab {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := 0; i < 64 && id != ""; i++ { // bounded: frames nest shallowly
		if t := b.tabs[id]; t != nil {
			return t
		}
		id = b.parents[id]
	}
	return nil
}

// send runs one command and returns its result; ctx bounds the wait.
func (b *bidiBrowser) send(ctx context.Context, method string, params any) (json.RawMessage, error) {
	ch := make(chan bidiReply, 1)
	b.mu.Lock()
	if b.readErr != nil {
		err := b.readErr
		b.mu.Unlock()
		return nil, fmt.Errorf("webdriver: %s: %w", method, err)
	}
	b.nextID++
	id := b.nextID
	b.pending[id] = ch
	b.mu.Unlock()
	forget := func() {
		b.mu.Lock()
		delete(b.pending, id)
		b.mu.Unlock()
	}
	msg, err := json.Marshal(map[string]any{"id": id, "method": method, "params": params})
	if err != nil {
		forget()
		return nil, fmt.Errorf("webdriver: %s: %w", method, err)
	}
	if err := b.conn.Write(ctx, websocket.MessageText, msg); err != nil {
		forget()
		return nil, fmt.Errorf("webdriver: %s: %w", method, err)
	}
	select {
	case r := <-ch:
		if r.err != nil {
			return nil, fmt.Errorf("webdriver: %s: %w", method, r.err)
		}
		return r.result, nil
	case <-ctx.Done():
		forget()
		return nil, fmt.Errorf("webdriver: %s: %w", method, ctx.Err())
	}
}

// call runs one command and decodes its result into out (if not nil).
func (b *bidiBrowser) call(ctx context.Context, method string, params, out any) error {
	res, err := b.send(ctx, method, params)
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(res, out); err != nil {
		return fmt.Errorf("webdriver: %s: result: %w", method, err)
	}
	return nil
}

func (b *bidiBrowser) addTab(id string) *bidiTab {
	t := &bidiTab{b: b, id: id}
	b.mu.Lock()
	b.tabs[id] = t
	b.mu.Unlock()
	return t
}

// Engine returns Firefox.
func (b *bidiBrowser) Engine() Engine { return Firefox }

// Profile returns the profile directory.
func (b *bidiBrowser) Profile() string { return b.profile }

// FirstTab returns the tab Firefox started with.
func (b *bidiBrowser) FirstTab() Tab { return b.first }

// NewTab opens a tab of the same profile on about:blank.
func (b *bidiBrowser) NewTab(ctx context.Context) (Tab, error) {
	var r struct {
		Context string `json:"context"`
	}
	if err := b.call(ctx, "browsingContext.create", map[string]any{"type": "tab"}, &r); err != nil {
		return nil, err
	}
	return b.addTab(r.Context), nil
}

// Close asks Firefox to quit, then kills its process group whatever it
// did, and removes a profile Start made.
func (b *bidiBrowser) Close() error {
	b.closeOnce.Do(func() { b.closeErr = b.close() })
	return b.closeErr
}

func (b *bidiBrowser) close() error {
	var errs []error
	if b.conn != nil {
		// browser.close ends the session and quits cleanly (the profile
		// is flushed); the reply may not come before the socket closes.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		b.send(ctx, "browser.close", map[string]any{})
		cancel()
	}
	if b.cmd != nil {
		select {
		case <-b.exited:
		case <-time.After(15 * time.Second):
			b.logf("webdriver: firefox did not quit in 15s; killing it")
		}
		// The group: content and GPU processes may outlive the parent.
		if err := syscall.Kill(-b.cmd.Process.Pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			errs = append(errs, fmt.Errorf("webdriver: kill firefox: %w", err))
		}
		<-b.exited
	}
	if b.conn != nil {
		b.conn.CloseNow()
		b.stopReading()
		<-b.readerDone
	}
	if b.ownProfile {
		if err := os.RemoveAll(b.profile); err != nil {
			errs = append(errs, fmt.Errorf("webdriver: remove firefox profile: %w", err))
		}
	}
	return errors.Join(errs...)
}

// Navigate loads url and waits for its load event.
func (t *bidiTab) Navigate(ctx context.Context, url string) error {
	return t.b.call(ctx, "browsingContext.navigate",
		map[string]any{"context": t.id, "url": url, "wait": "complete"}, nil)
}

// Reload reloads the page and waits for its load event.
func (t *bidiTab) Reload(ctx context.Context) error {
	return t.b.call(ctx, "browsingContext.reload",
		map[string]any{"context": t.id, "wait": "complete"}, nil)
}

// evalFunction runs its argument as a classic script through indirect eval,
// awaits a thenable and answers "ok:" and the value's JSON, or "err:" and
// the JSON of the exception's text and stack.
const evalFunction = `async function (src) {
	try {
		let v = (0, eval)(src);
		if (v !== null && (typeof v === "object" || typeof v === "function") && typeof v.then === "function") {
			v = await v;
		}
		const s = JSON.stringify(v);
		return "ok:" + (s === undefined ? "null" : s);
	} catch (e) {
		let stack = "";
		try { stack = (e && e.stack) ? String(e.stack) : ""; } catch (_) {}
		return "err:" + JSON.stringify({message: String(e), stack: stack});
	}
}`

// callFunction runs fn in the page with string arguments and returns the
// remote value of its result. An exception it does not catch is a *JSError.
func (t *bidiTab) callFunction(ctx context.Context, fn string, args ...string) (json.RawMessage, error) {
	argv := make([]any, len(args))
	for i, a := range args {
		argv[i] = map[string]any{"type": "string", "value": a}
	}
	var r struct {
		Type             string          `json:"type"`
		Result           json.RawMessage `json:"result"`
		ExceptionDetails struct {
			Text string `json:"text"`
		} `json:"exceptionDetails"`
	}
	err := t.b.call(ctx, "script.callFunction", map[string]any{
		"functionDeclaration":  fn,
		"arguments":            argv,
		"target":               map[string]any{"context": t.id},
		"awaitPromise":         true,
		"serializationOptions": map[string]any{"maxDomDepth": 0, "maxObjectDepth": 0},
	}, &r)
	if err != nil {
		return nil, err
	}
	if r.Type == "exception" {
		return nil, &JSError{Message: r.ExceptionDetails.Text}
	}
	return r.Result, nil
}

// Eval runs src in the page and returns the JSON of its (awaited) value.
func (t *bidiTab) Eval(ctx context.Context, src string) (json.RawMessage, error) {
	res, err := t.callFunction(ctx, evalFunction, src)
	if err != nil {
		return nil, err
	}
	var v struct {
		Type  string `json:"type"`
		Value string `json:"value"`
	}
	if err := json.Unmarshal(res, &v); err != nil || v.Type != "string" {
		return nil, fmt.Errorf("webdriver: eval: unexpected result %.200s", res)
	}
	switch {
	case strings.HasPrefix(v.Value, "ok:"):
		return json.RawMessage(v.Value[len("ok:"):]), nil
	case strings.HasPrefix(v.Value, "err:"):
		var e struct{ Message, Stack string }
		if err := json.Unmarshal([]byte(v.Value[len("err:"):]), &e); err != nil {
			return nil, fmt.Errorf("webdriver: eval: bad exception %.200q: %w", v.Value, err)
		}
		msg := e.Message
		if e.Stack != "" {
			msg += "\n" + strings.TrimRight(e.Stack, "\n")
		}
		return nil, &JSError{Message: msg}
	}
	return nil, fmt.Errorf("webdriver: eval: unexpected result %.200q", v.Value)
}

// locateFunction finds the first element matching css, scrolls it to the
// centre of the viewport and returns it (optionally focused).
const locateFunction = `function (css, focus) {
	const el = document.querySelector(css);
	if (!el) throw new Error("no element matches " + css);
	el.scrollIntoView({block: "center", inline: "center"});
	if (focus === "focus") el.focus();
	return el;
}`

// locate returns the shared id of the first element matching css.
func (t *bidiTab) locate(ctx context.Context, css string, focus bool) (string, error) {
	f := ""
	if focus {
		f = "focus"
	}
	res, err := t.callFunction(ctx, locateFunction, css, f)
	if err != nil {
		return "", fmt.Errorf("webdriver: locate %q: %w", css, err)
	}
	var n struct {
		Type     string `json:"type"`
		SharedID string `json:"sharedId"`
	}
	if err := json.Unmarshal(res, &n); err != nil || n.SharedID == "" {
		return "", fmt.Errorf("webdriver: locate %q: not an element: %.200s", css, res)
	}
	return n.SharedID, nil
}

// pointer runs pointer actions that start with a move to the element's centre.
func (t *bidiTab) pointer(ctx context.Context, css string, then ...map[string]any) error {
	id, err := t.locate(ctx, css, false)
	if err != nil {
		return err
	}
	actions := []map[string]any{{
		"type": "pointerMove", "x": 0, "y": 0,
		"origin": map[string]any{"type": "element", "element": map[string]any{"sharedId": id}},
	}}
	actions = append(actions, then...)
	return t.b.call(ctx, "input.performActions", map[string]any{
		"context": t.id,
		"actions": []any{map[string]any{
			"type": "pointer", "id": "mouse",
			"parameters": map[string]any{"pointerType": "mouse"},
			"actions":    actions,
		}},
	}, nil)
}

// Click clicks the centre of the first element matching css.
func (t *bidiTab) Click(ctx context.Context, css string) error {
	return t.pointer(ctx, css,
		map[string]any{"type": "pointerDown", "button": 0},
		map[string]any{"type": "pointerUp", "button": 0})
}

// Hover moves the pointer over the centre of the first element matching css.
func (t *bidiTab) Hover(ctx context.Context, css string) error {
	return t.pointer(ctx, css)
}

// SendKeys focuses the first element matching css and types text.
func (t *bidiTab) SendKeys(ctx context.Context, css, text string) error {
	if _, err := t.locate(ctx, css, true); err != nil {
		return err
	}
	var actions []map[string]any
	for _, r := range text {
		k := string(r)
		if r == '\n' {
			k = "\uE007" // WebDriver's Enter
		}
		actions = append(actions,
			map[string]any{"type": "keyDown", "value": k},
			map[string]any{"type": "keyUp", "value": k})
	}
	if len(actions) == 0 {
		return nil
	}
	return t.b.call(ctx, "input.performActions", map[string]any{
		"context": t.id,
		"actions": []any{map[string]any{"type": "key", "id": "keyboard", "actions": actions}},
	}, nil)
}

// SetFiles sets the files of the file input matching css.
func (t *bidiTab) SetFiles(ctx context.Context, css string, paths []string) error {
	id, err := t.locate(ctx, css, false)
	if err != nil {
		return err
	}
	abs := make([]string, len(paths))
	for i, p := range paths {
		if abs[i], err = filepath.Abs(p); err != nil {
			return fmt.Errorf("webdriver: set files: %w", err)
		}
	}
	return t.b.call(ctx, "input.setFiles", map[string]any{
		"context": t.id,
		"element": map[string]any{"sharedId": id},
		"files":   abs,
	}, nil)
}

// Screenshot returns a PNG of the viewport.
func (t *bidiTab) Screenshot(ctx context.Context) ([]byte, error) {
	var r struct {
		Data string `json:"data"`
	}
	if err := t.b.call(ctx, "browsingContext.captureScreenshot", map[string]any{
		"context": t.id, "origin": "viewport", "format": map[string]any{"type": "image/png"},
	}, &r); err != nil {
		return nil, err
	}
	png, err := base64.StdEncoding.DecodeString(r.Data)
	if err != nil {
		return nil, fmt.Errorf("webdriver: screenshot: %w", err)
	}
	return png, nil
}

// SetViewport sizes the viewport in CSS pixels.
func (t *bidiTab) SetViewport(ctx context.Context, width, height int) error {
	return t.b.call(ctx, "browsingContext.setViewport", map[string]any{
		"context":  t.id,
		"viewport": map[string]any{"width": width, "height": height},
	}, nil)
}

// Console returns the "level text" lines logged in this tab so far.
func (t *bidiTab) Console() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.console...)
}

// Close closes the tab.
func (t *bidiTab) Close(ctx context.Context) error {
	if err := t.b.call(ctx, "browsingContext.close", map[string]any{"context": t.id}, nil); err != nil {
		return err
	}
	t.b.mu.Lock()
	delete(t.b.tabs, t.id)
	t.b.mu.Unlock()
	return nil
}
