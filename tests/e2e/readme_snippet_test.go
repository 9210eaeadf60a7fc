package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// readmeSnippet returns the page of README.md's "Using the SDK in a page",
// pointed at s instead of 127.0.0.1:8080.
func readmeSnippet(t *testing.T, s *imServer) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(raw), "## Using the SDK in a page")
	if ok {
		_, rest, ok = strings.Cut(rest, "```html\n")
	}
	snippet, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 || !strings.Contains(snippet, "127.0.0.1:8080") {
		t.Fatalf("README.md has no html snippet using 127.0.0.1:8080 under 'Using the SDK in a page'")
	}
	return "<!doctype html>\n<meta charset=\"utf-8\">\n" + strings.ReplaceAll(snippet, "127.0.0.1:8080", s.addr)
}

// waitConsole waits until the page wrote a console line containing sub.
func (b *browser) waitConsole(sub string, timeout time.Duration) string {
	b.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if l := b.consoleLine(sub); l != "" {
			return l
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("%s: no console line with %q within %v", b.name, sub, timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestREADMESnippet: the README's page snippet, as a new user copies it,
// works against a server set up as "Try the demo" says (alice and bob with
// the tokens alice-token and bob-token): from an allowed origin it logs in
// and sends (bob receives); from an origin that is not allowed it logs the
// err naming the origin and YUNXIN_ALLOWED_ORIGINS.
func TestREADMESnippet(t *testing.T) {
	s := startServer(t)
	createUser(t, s, "alice", "alice-token")
	createUser(t, s, "bob", "bob-token")
	bob := dialLogin(t, s, "bob", "bob-token")
	html := readmeSnippet(t, s)

	page := newBrowser(t, "README snippet")
	if err := page.navigate(pages.serveHTML("snippet.html", html)); err != nil {
		t.Fatalf("opening the snippet: %v", err)
	}
	t.Logf("allowed origin: %s", page.waitConsole("sent", 30*time.Second))
	if l := page.consoleLine("failed"); l != "" {
		t.Errorf("the snippet logged a failure: %s", l)
	}
	var pull struct {
		Msgs []struct {
			From string `json:"from"`
			Body struct {
				Text string `json:"text"`
			} `json:"body"`
		} `json:"msgs"`
	}
	bob.must("pull", map[string]any{"cursors": []map[string]any{{"conv": "p:alice|bob", "after": 0}}, "limit": 10}, &pull)
	if len(pull.Msgs) != 1 || pull.Msgs[0].From != "alice" || pull.Msgs[0].Body.Text != "你好" {
		t.Errorf("bob's conversation with alice holds %+v, want alice's 你好", pull.Msgs)
	}

	other := newBrowser(t, "README snippet, origin not allowed")
	if err := other.navigate(otherPages.serveHTML("snippet.html", html)); err != nil {
		t.Fatalf("opening the snippet: %v", err)
	}
	l := other.waitConsole("login failed", 30*time.Second)
	if !strings.Contains(l, "403") || !strings.Contains(l, otherPages.URL) || !strings.Contains(l, "YUNXIN_ALLOWED_ORIGINS") {
		t.Errorf("from an origin that is not allowed the snippet logged %q, want 403 naming %s and YUNXIN_ALLOWED_ORIGINS", l, otherPages.URL)
	}
}
