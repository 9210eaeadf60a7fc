// Package webdriver starts Chromium, Firefox and WebKit and drives their
// pages for this project's browser tests (tools/wasmbrowser, tests/e2e),
// through W3C WebDriver only: classic WebDriver over HTTP for Chromium
// (Debian's chromedriver) and WebKit (WebKitGTK's WebKitWebDriver driving
// MiniBrowser under Xvfb), WebDriver BiDi over a WebSocket for Firefox
// (firefox-esr's built-in remote agent). No browser is downloaded: the
// binaries come from Debian's packages (tools/ensure-browsers.sh).
//
// A Browser is one browser process with one profile (one IndexedDB: one
// "device"); its Tabs share that profile. Every Tab method takes a context;
// its deadline bounds the call.
package webdriver

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// Engine names a browser engine.
type Engine string

// The engines the tests run on.
const (
	Chromium Engine = "chromium"
	Firefox  Engine = "firefox"
	WebKit   Engine = "webkit"
)

// AllEngines lists every engine, in the order make test runs them.
var AllEngines = []Engine{Chromium, Firefox, WebKit}

// ParseEngines reads a list such as "chromium,firefox" (commas or spaces);
// "" and "all" mean AllEngines.
func ParseEngines(s string) ([]Engine, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "all" {
		return append([]Engine(nil), AllEngines...), nil
	}
	var out []Engine
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		e := Engine(strings.ToLower(f))
		switch e {
		case Chromium, Firefox, WebKit:
			out = append(out, e)
		default:
			return nil, fmt.Errorf("webdriver: unknown engine %q (want chromium, firefox or webkit)", f)
		}
	}
	return out, nil
}

// KeepsProfile reports whether a profile directory keeps the page's storage
// (IndexedDB) across a browser restart. WebKitGTK's MiniBrowser under
// automation keeps website data in memory only: a reload keeps it, a new
// browser process on the same profile does not.
func (e Engine) KeepsProfile() bool { return e != WebKit }

// Options configure Start.
type Options struct {
	// Profile is the profile directory. "" makes a fresh one, removed by
	// Close; a given one is kept (start again on it: the same device).
	Profile string
	// Width and Height size the first tab's viewport (default 1280×900).
	Width, Height int
	// FirefoxPrefs are extra about:config prefs for Firefox (ignored by the
	// other engines), e.g. a small storage quota for a quota test.
	FirefoxPrefs map[string]any
	// Log, if not nil, receives driver and browser diagnostics (debugging).
	Log func(format string, args ...any)
}

// Browser is one running browser with one profile.
type Browser interface {
	Engine() Engine
	Profile() string
	// FirstTab is the tab the browser started with.
	FirstTab() Tab
	// NewTab opens another tab of the same profile (about:blank).
	NewTab(ctx context.Context) (Tab, error)
	// Close ends the session and the browser's processes; it is safe to call
	// more than once. A profile made by Start is removed.
	Close() error
}

// Tab is one top-level browsing context. Its methods may be called from
// several goroutines; a Browser serializes what its protocol needs.
type Tab interface {
	// Navigate loads url and returns once its load event fired.
	Navigate(ctx context.Context, url string) error
	// Reload reloads the page and waits for its load event.
	Reload(ctx context.Context) error
	// Eval runs src as a classic script in the page (statements allowed; its
	// value is the completion value of the last statement, like eval), awaits
	// it if it is a Promise (a thenable) and returns the JSON of the value
	// (undefined → null). A thrown exception or a rejection is a *JSError.
	Eval(ctx context.Context, src string) (json.RawMessage, error)
	// Click clicks the centre of the first element matching css (scrolled
	// into view) with real pointer input.
	Click(ctx context.Context, css string) error
	// Hover moves the pointer over the centre of the first element matching css.
	Hover(ctx context.Context, css string) error
	// SendKeys focuses the first element matching css and types text with
	// real key input ("\n" presses Enter).
	SendKeys(ctx context.Context, css, text string) error
	// SetFiles sets the files of the <input type=file> matching css to the
	// given local paths and fires its input and change events.
	SetFiles(ctx context.Context, css string, paths []string) error
	// Screenshot returns a PNG of the tab's viewport.
	Screenshot(ctx context.Context) ([]byte, error)
	// SetViewport sizes the tab's viewport in CSS pixels.
	SetViewport(ctx context.Context, width, height int) error
	// Console returns the console lines and uncaught errors seen so far,
	// "level text" each, where the protocol reports them (BiDi); nil where
	// it cannot (classic WebDriver): record them in the page instead.
	Console() []string
	// Close closes the tab.
	Close(ctx context.Context) error
}

// JSError is an exception thrown (or a rejection) in the page.
type JSError struct {
	Message string // the error's message, with its stack where the engine gives one
}

func (e *JSError) Error() string { return "javascript: " + e.Message }

// Start starts engine e with options o. ctx bounds the start only.
func Start(ctx context.Context, e Engine, o Options) (Browser, error) {
	switch e {
	case Chromium, WebKit:
		return startClassic(ctx, e, o)
	case Firefox:
		return startBiDi(ctx, o)
	}
	return nil, fmt.Errorf("webdriver: unknown engine %q", e)
}

// Shutdown stops what Start shares between browsers (the Xvfb of WebKit).
// Call it once when the process is done with browsers (TestMain's end);
// browser processes are also killed when the process dies (Pdeathsig).
func Shutdown() { shutdownShared() }
