package e2e

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"yunxin/internal/jx"
)

// autoLogin calls yunxinIM.autoLogin(params) the documented way (no
// callback) and fails if it throws.
func (b *browser) autoLogin(account, token string) {
	b.t.Helper()
	p, _ := json.Marshal(map[string]string{"account": account, "token": token})
	if err := eval[string](b, fmt.Sprintf(`(() => { try { yunxinIM.autoLogin(%s); return ''; } catch (e) { return String(e && e.stack || e); } })()`, p)); err != "" {
		b.t.Fatalf("%s: autoLogin threw: %s", b.name, err)
	}
}

// TestReloadPersistence: after a reload, autoLogin makes the cached sessions
// and messages readable at once, and still so when the server is down.
// The page hosts the SDK itself (sdk=local) so it loads while the IM server
// is down, as an app serving the SDK from its own origin or a CDN would.
func TestReloadPersistence(t *testing.T) {
	s := startServer(t)
	tok := users(t, s, "t4alice", "t4bob")
	alice, bob := newBrowser(t, "t4alice"), newBrowser(t, "t4bob")
	url := pages.pageURL(s, true)
	alice.open(url)
	bob.open(url)
	alice.login("t4alice", tok["t4alice"])
	bob.login("t4bob", tok["t4bob"])

	aliceMark, bobMark := alice.mark(), bob.mark()
	alice.sendText("t4bob", "p-1")
	alice.sendText("t4bob", "p-2")
	bob.waitRecv(bobMark, "p-2", 10*time.Second)
	bob.sendText("t4alice", "p-3")
	alice.waitRecv(aliceMark, "p-3", 10*time.Second)
	want := []string{"p-1", "p-2", "p-3"}
	before := alice.history("t4bob")
	if !reflect.DeepEqual(texts(before), want) {
		t.Fatalf("alice's messagesInSession before the reload: %v, want %v", texts(before), want)
	}

	// problems lists what is wrong with alice's cached view of the chat.
	problems := func() []string {
		t.Helper()
		var out []string
		r := alice.call("allRecentSessions", nil)
		var rs struct {
			RecentSessions []recentSession `json:"recentSessions"`
		}
		if r.failed() || json.Unmarshal(r.Ret, &rs) != nil {
			return []string{r.String()}
		}
		var ss *recentSession
		for i := range rs.RecentSessions {
			if rs.RecentSessions[i].SessionID == "t4bob" {
				ss = &rs.RecentSessions[i]
			}
		}
		if ss == nil {
			return []string{fmt.Sprintf("allRecentSessions has no session t4bob: %s", short(string(r.Ret)))}
		}
		if ss.LastMessage == nil || ss.LastMessage.Body.Text != "p-3" || ss.UnreadCount != 1 {
			out = append(out, fmt.Sprintf("session t4bob %+v, want lastMessage p-3 and unreadCount 1", *ss))
		}
		r = alice.call("messagesInSession", map[string]any{"sessionId": "t4bob", "chatType": 0, "limit": 100})
		var ms struct {
			Messages []msgView `json:"messages"`
		}
		if r.failed() || json.Unmarshal(r.Ret, &ms) != nil {
			return append(out, r.String())
		}
		h := ms.Messages
		if !reflect.DeepEqual(texts(h), want) {
			out = append(out, fmt.Sprintf("messagesInSession %v, want %v", texts(h), want))
		}
		for i, m := range h {
			if i < len(before) && (m.MessageID != before[i].MessageID || m.IsOutgoingMsg != before[i].IsOutgoingMsg || m.From != before[i].From) {
				out = append(out, fmt.Sprintf("message %d = %+v, before the reload it was %+v", i, m, before[i]))
			}
		}
		return out
	}
	// check wants the history right away; if it is not there, it says
	// whether it shows up later (slow) or not at all (not persisted).
	check := func(when string) {
		t.Helper()
		p := problems()
		if len(p) == 0 {
			return
		}
		t.Errorf("%s, right after autoLogin: %s", when, strings.Join(p, "; "))
		start := time.Now()
		for time.Since(start) < 10*time.Second {
			time.Sleep(250 * time.Millisecond)
			if len(problems()) == 0 {
				t.Errorf("%s: the cached history showed up only %v after autoLogin", when, time.Since(start).Round(time.Millisecond))
				return
			}
		}
		t.Errorf("%s: still wrong 10s after autoLogin: %s", when, strings.Join(problems(), "; "))
	}

	// Reload with the server up: the history is there right after autoLogin.
	alice.reload()
	reloadMark := alice.mark()
	alice.autoLogin("t4alice", tok["t4alice"])
	check("after a reload")
	if r := alice.mustCall("currentAccount", nil); !jsonHas(r.Ret, "userID", "t4alice") {
		t.Errorf("currentAccount right after autoLogin: %v, want userID t4alice", r)
	}
	alice.waitFor("isLogined after autoLogin", `call('isLogined').then(r => r.ret && r.ret.status)`, 15*time.Second)
	alice.waitStep(reloadMark, 8, 15*time.Second)
	if again := alice.received(reloadMark); len(again) > 0 {
		t.Errorf("after the reload, autoLogin's sync announced cached messages again as onRecvMessages: %v", texts(again))
	}

	// Server down: reload again; the cache still answers.
	if err := s.stop(); err != nil {
		t.Errorf("SIGTERM: the server did not shut down cleanly: %v", err)
	}
	alice.reload()
	mark := alice.mark()
	alice.autoLogin("t4alice", tok["t4alice"])
	check("after a reload with the server down")
	// An active autoLogin counts as logged in while it retries (NIM iOS,
	// core.Client.IsLogined); the account is known at once.
	if r := alice.mustCall("isLogined", nil); !r.status() {
		t.Errorf("isLogined with the server down after autoLogin: %v, want status true (autoLogin is active)", r)
	}
	if r := alice.mustCall("currentAccount", nil); !jsonHas(r.Ret, "userID", "t4alice") {
		t.Errorf("currentAccount with the server down after autoLogin: %v, want userID t4alice", r)
	}
	if steps := alice.loginSteps(mark); slices.Contains(steps, 5) {
		t.Errorf("login steps with the server down include 5 (logged in): %v", steps)
	}

	// autoLogin keeps trying: once the server is back it logs in by itself.
	if err := s.start(); err != nil {
		t.Fatalf("restarting the server: %v", err)
	}
	alice.waitStep(mark, 5, 30*time.Second)
	alice.waitFor("isLogined once the server is back", `call('isLogined').then(r => r.ret && r.ret.status)`, 5*time.Second)
	bobMark = bob.mark()
	alice.sendText("t4bob", "p-4")
	bob.waitRecv(bobMark, "p-4", 20*time.Second)
}

// jsonHas reports whether the JSON object raw has key with the string value.
func jsonHas(raw jx.RawMessage, key, value string) bool {
	var m map[string]any
	json.Unmarshal(raw, &m)
	return m[key] == value
}
