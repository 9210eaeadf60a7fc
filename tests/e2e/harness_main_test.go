package e2e

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"yunxin/internal/webdriver"
)

// Paths and shared fixtures, set by TestMain.
var (
	repoRoot   string           // the module root (has go.mod)
	serverBin  string           // bin/yunxin-server
	sdkDir     string           // web/sdk, the built SDK files
	engine     webdriver.Engine // the browser engine under test ($YUNXIN_ENGINE)
	pages      *pageServer      // the test page origin (allowed to open /ws)
	otherPages *pageServer      // a second page origin that is NOT allowed to open /ws
	shared     *imServer        // one IM server for the tests that do not stop it
)

func TestMain(m *testing.M) {
	flag.Parse()
	if err := setup(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	code := m.Run()
	teardown()
	webdriver.Shutdown()
	os.Exit(code)
}

func setup() error {
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	repoRoot = findRepoRoot(wd)
	if repoRoot == "" {
		return fmt.Errorf("cannot find the repo root (go.mod) above %s", wd)
	}
	serverBin = filepath.Join(repoRoot, "bin", "yunxin-server")
	sdkDir = filepath.Join(repoRoot, "web", "sdk")
	for _, f := range []string{serverBin, filepath.Join(sdkDir, "yunxinim.wasm"), filepath.Join(sdkDir, "yunxinim.js")} {
		if _, err := os.Stat(f); err != nil {
			return fmt.Errorf("%s is missing: run make build (or make test-e2e) first", f)
		}
	}
	// One engine per run: make test-e2e runs the suite once per engine.
	name := os.Getenv("YUNXIN_ENGINE")
	if name == "" {
		name = string(webdriver.Chromium)
	}
	engines, err := webdriver.ParseEngines(name)
	if err != nil || len(engines) != 1 || name == "all" {
		return fmt.Errorf("YUNXIN_ENGINE=%q: want one of chromium, firefox, webkit (%v)", name, err)
	}
	engine = engines[0]
	fmt.Fprintf(os.Stderr, "e2e: engine %s\n", engine)

	pages = newPageServer()
	otherPages = newPageServer()

	dir, err := os.MkdirTemp("", "yunxin-e2e-shared-")
	if err != nil {
		return err
	}
	shared, err = launchServer(freeAddr(), dir)
	if err != nil {
		return fmt.Errorf("starting the shared server: %w\n%s", err, shared.logTail(0))
	}
	return nil
}

func teardown() {
	if shared != nil {
		shared.stop()
		os.RemoveAll(shared.dataDir)
	}
	if pages != nil {
		pages.Close()
	}
	if otherPages != nil {
		otherPages.Close()
	}
}

func findRepoRoot(dir string) string {
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

var sharedRuns = map[string]int{} // test name → times it asked for the shared server

// useShared returns the shared server and, if t fails, logs what the server
// wrote to stderr while t ran.
func useShared(t *testing.T) *imServer {
	t.Helper()
	// With -count=N a test runs again in this process: its accounts exist
	// already on the shared server, so give it a fresh server instead.
	sharedRuns[t.Name()]++
	if sharedRuns[t.Name()] > 1 {
		return startServer(t)
	}
	if !shared.running() {
		t.Fatalf("the shared server is not running (an earlier test broke it?)\n%s", shared.logTail(0))
	}
	from := shared.logLen()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("shared server output during %s:\n%s", t.Name(), shared.logTail(from))
		}
	})
	return shared
}
