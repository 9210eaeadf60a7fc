package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// connections returns the server's count of account's connections
// (GET /admin/connections, signed like the REST API).
func connections(t *testing.T, s *imServer, account string) int {
	t.Helper()
	req, err := http.NewRequest("GET", s.URL()+"/admin/connections?"+url.Values{"accid": {account}}.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	signREST(req, appSecret)
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("GET /admin/connections: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var r struct {
		Code        int    `json:"code"`
		Accid       string `json:"accid"`
		Connections *int   `json:"connections"`
	}
	if err := json.Unmarshal(body, &r); err != nil || r.Code != 200 || r.Accid != account || r.Connections == nil {
		t.Fatalf("GET /admin/connections?accid=%s: HTTP %d %s (%v), want code 200 and a count", account, resp.StatusCode, body, err)
	}
	return *r.Connections
}

// waitConnections waits until the server counts n connections of account,
// failing after timeout with the last count.
func waitConnections(t *testing.T, s *imServer, account string, n int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got := connections(t, s, account)
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server counts %d connections of %s, want %d", got, account, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// tabState is yunxinIM.__tab: the tab's role in sharing the connection.
type tabState struct {
	Role    string `json:"role"`
	Account string `json:"account"`
	ID      string `json:"id"`
}

// tab returns b's yunxinIM.__tab.
func (b *browser) tab() tabState {
	b.t.Helper()
	return eval[tabState](b, "yunxinIM.__tab")
}

// fallbackPage serves the test page with before inserted ahead of the
// SDK's script tag and attrs added to it, and returns its URL: a page that
// removes navigator.locks before loading the SDK, or opts out of sharing.
func fallbackPage(t *testing.T, s *imServer, name, before, attrs string) string {
	t.Helper()
	var buf bytes.Buffer
	if err := pageTmpl.Execute(&buf, map[string]string{
		"SDK": "http://" + s.addr + "/sdk/yunxinim.js", "AppKey": appKey, "WS": "ws://" + s.addr + "/ws",
	}); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	tag := `<script src="http://` + s.addr + `/sdk/yunxinim.js"`
	if !strings.Contains(html, tag) {
		t.Fatalf("the test page has no %s", tag)
	}
	html = strings.Replace(html, tag, before+tag+" "+attrs, 1)
	return pages.serveHTML(name, html)
}

// countRecv returns how many times each text came in onRecvMessages since mark.
func (b *browser) countRecv(since int) map[string]int {
	b.t.Helper()
	n := map[string]int{}
	for _, m := range b.received(since) {
		n[m.Body.Text]++
	}
	return n
}

// waitUnread waits until allUnreadCount is n and the session with id has
// unreadCount n (0: or is gone).
func (b *browser) waitUnread(id string, n int, timeout time.Duration) {
	b.t.Helper()
	b.waitFor(fmt.Sprintf("unread %d in %s", n, id), fmt.Sprintf(`Promise.all([call('allUnreadCount'), call('allRecentSessions')]).then(([u, s]) =>
		u.ret && u.ret.unreadCount === %d && s.ret && (s.ret.recentSessions || []).every(x => x.sessionId !== %q || x.unreadCount === %d))`,
		n, id, n), timeout)
}
