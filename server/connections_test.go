package server

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"
)

// connections calls GET /admin/connections?accid=acc signed with secret and
// returns the HTTP status and the decoded reply.
func (e *env) connections(acc, secret string) (int, map[string]any) {
	e.t.Helper()
	req, _ := http.NewRequest("GET", e.hs.URL+"/admin/connections?"+url.Values{"accid": {acc}}.Encode(), nil)
	signREST(req, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var r map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		e.t.Fatal(err)
	}
	return resp.StatusCode, r
}

// TestAdminConnections: the endpoint counts an account's logged-in
// connections on this node as they come and go, and checks the REST auth.
func TestAdminConnections(t *testing.T) {
	e := newEnv(t, "ann", "ben")
	want := func(acc string, n int) {
		t.Helper()
		// A closed connection leaves the registry when its server side
		// notices: poll briefly.
		deadline := time.Now().Add(5 * time.Second)
		for {
			st, r := e.connections(acc, testSecret)
			if st == 200 && r["code"] == float64(200) && r["accid"] == acc && r["connections"] == float64(n) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("connections of %s: HTTP %d %v, want code 200, connections %d", acc, st, r, n)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	want("ann", 0)
	a1, _ := e.login("ann")
	want("ann", 1)
	e.dial() // connected but not logged in: not counted
	a2, _ := e.login("ann")
	e.login("ben")
	want("ann", 2)
	want("ben", 1)
	a1.ws.CloseNow()
	want("ann", 1)
	a2.ws.CloseNow()
	want("ann", 0)
	want("ben", 1)

	if _, r := e.connections("ann", "wrong"); r["code"] != float64(414) {
		t.Errorf("a bad checksum: %v, want code 414", r)
	}
	if _, r := e.connections("", testSecret); r["code"] != float64(414) {
		t.Errorf("no accid: %v, want code 414", r)
	}
	resp, err := http.Post(e.hs.URL+"/admin/connections?accid=ann", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET" {
		t.Errorf("POST: HTTP %d Allow %q, want 405 and Allow GET", resp.StatusCode, resp.Header.Get("Allow"))
	}
}
