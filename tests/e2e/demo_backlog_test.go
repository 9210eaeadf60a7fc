package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestDemoOfflineBacklog: messages that waited on the server while an
// account was away (a sync stores them as runs: many to an IndexedDB
// record) show in the demo in order, page by page, as any others.
func TestDemoOfflineBacklog(t *testing.T) {
	s := useShared(t)
	tok := users(t, s, "t10cara", "t10dan")
	const n = 45 // more than two of the demo's pages of 20
	dan := ui{newBrowser(t, "t10dan (demo)")}
	dan.loginUI(s, "t10dan", tok["t10dan"])
	for i := 1; i <= n; i++ {
		if r := dan.sdk("sendText", fmt.Sprintf(`{sessionId: 't10cara', chatType: 0, text: 'backlog %02d'}`, i)); r.Err != nil {
			t.Fatalf("dan's send %d: %+v", i, r.Err)
		}
	}

	cara := ui{newBrowser(t, "t10cara (demo)")}
	cara.loginUI(s, "t10cara", tok["t10cara"])
	sel := `#sessions li.session[data-session-id="t10dan"]`
	cara.waitFor("t10dan's session with 45 unread", fmt.Sprintf(
		`(document.querySelector(%q + ' .unread') || {}).textContent?.trim() === '%d'`, sel, n), 20*time.Second)
	// The sync stored them as runs (fewer records than messages).
	runs := eval[int](cara.browser, `(async () => {
		const dbs = await indexedDB.databases(), d = dbs.find(d => d.name.endsWith('-t10cara'));
		const db = await new Promise((res, rej) => { const r = indexedDB.open(d.name); r.onsuccess = () => res(r.result); r.onerror = () => rej(r.error); });
		const c = await new Promise((res, rej) => { const r = db.transaction('runs').objectStore('runs').count(); r.onsuccess = () => res(r.result); r.onerror = () => rej(r.error); });
		db.close();
		return c;
	})()`)
	if runs < 1 {
		t.Errorf("cara's cache has %d runs after syncing %d messages of one session, want at least 1", runs, n)
	}

	want := func(from, to int) string {
		var w []string
		for i := from; i <= to; i++ {
			w = append(w, fmt.Sprintf("backlog %02d", i))
		}
		return strings.Join(w, "|")
	}
	shown := func() string {
		var got []string
		for _, m := range cara.messageTexts() {
			got = append(got, m.Text)
		}
		return strings.Join(got, "|")
	}
	cara.click(sel)
	cara.waitFor("the newest 20 in cara's #messages", `document.querySelectorAll('#messages .msg').length === 20`, 10*time.Second)
	if got := shown(); got != want(n-19, n) {
		t.Errorf("cara's first page:\n got %s\nwant %s", got, want(n-19, n))
	}
	cara.click("#loadOlder")
	cara.waitFor("40 in cara's #messages", `document.querySelectorAll('#messages .msg').length === 40`, 10*time.Second)
	cara.click("#loadOlder")
	cara.waitFor("all 45 in cara's #messages", `document.querySelectorAll('#messages .msg').length === 45`, 10*time.Second)
	if got := shown(); got != want(1, n) {
		t.Errorf("cara's messages after loading older ones:\n got %s\nwant %s", got, want(1, n))
	}
	cara.screenshot("demo-backlog.png")
}
