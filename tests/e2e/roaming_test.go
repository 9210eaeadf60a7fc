package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestRoamingLargeHistory: bob sends alice 100 messages of 5,000 CJK
// characters each (about 1.5 MB of JSON, far over one 1 MiB frame); a new
// device of alice logs in and finishes its sync with all 100 in
// messagesInSession, none lost, none twice. Before byte-bounded pages the
// roaming pull closed the connection (1009) and the sync never finished.
func TestRoamingLargeHistory(t *testing.T) {
	s := useShared(t)
	tok := users(t, s, "t14alice", "t14bob")
	const n = 100
	bob := dialLogin(t, s, "t14bob", tok["t14bob"])
	text := func(i int) string {
		head := fmt.Sprintf("roam-%03d ", i)
		return head + strings.Repeat("漫", 5000-len(head))
	}
	for i := range n {
		bob.sendText("t14alice", fmt.Sprintf("roam-cid-%03d", i), text(i))
	}

	alice := newBrowser(t, "t14alice (new device)")
	alice.open(pages.pageURL(s, false))
	mark := alice.mark()
	r := alice.call("login", map[string]string{"account": "t14alice", "token": tok["t14alice"]})
	if r.failed() || !r.status() {
		t.Fatalf("login: %v", r)
	}
	alice.waitStep(mark, 8, 60*time.Second)

	h := alice.history("t14bob")
	seen := map[string]int{}
	for i, m := range h {
		seen[m.Body.Text]++
		if m.From != "t14bob" || m.IsOutgoingMsg {
			t.Errorf("message %d: from %q outgoing %v, want from t14bob, incoming", i, m.From, m.IsOutgoingMsg)
		}
		if i > 0 && m.Seq <= h[i-1].Seq {
			t.Errorf("messagesInSession not in seq order: seq %d after %d", m.Seq, h[i-1].Seq)
		}
	}
	var missing []int
	for i := range n {
		switch c := seen[text(i)]; c {
		case 1:
		case 0:
			missing = append(missing, i)
		default:
			t.Errorf("roam-%03d is in messagesInSession %d times, want once", i, c)
		}
	}
	if len(missing) > 0 || len(h) != n {
		t.Errorf("messagesInSession(limit 100) has %d messages, want %d; missing: %v", len(h), n, missing)
	}
	if ss := alice.session("t14bob"); ss == nil || ss.UnreadCount != n || ss.LastMessage == nil || ss.LastMessage.Body.Text != text(n-1) {
		t.Errorf("alice's session t14bob: %+v, want unreadCount %d and the last message roam-%03d", brief(ss), n, n-1)
	}
	if steps := alice.loginSteps(mark); slices.Contains(steps, 9) {
		t.Errorf("the connection dropped during the roaming sync: login steps %v", steps)
	}
}

// brief shortens a recent session for a failure message (the texts are long).
func brief(s *recentSession) string {
	if s == nil {
		return "<none>"
	}
	last := ""
	if s.LastMessage != nil {
		last = s.LastMessage.Body.Text
		if r := []rune(last); len(r) > 12 {
			last = string(r[:12]) + "…"
		}
	}
	return fmt.Sprintf("{sessionId %s unread %d last %q}", s.SessionID, s.UnreadCount, last)
}
