package e2e

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"yunxin/internal/webdriver"
)

// quotaKB is the Firefox profile's storage limit for the whole temporary
// storage, in KB (dom.quotaManager.temporaryStorage.fixedLimit): an origin
// gets at most that.
const quotaKB = 5 * 1024

// fillQuota is a page script that fills the origin's storage with its own
// IndexedDB database "quota-filler": random (incompressible) chunks, one
// transaction each, from 1 MiB down to 1 KiB, each size until the browser
// refuses it. (Firefox throws InvalidStateError from the first put on a
// connection after a quota abort: that put is made again.) It answers {n,
// bytes, last}: the chunks stored, their bytes, the last refusal's name.
const fillQuota = `(async () => {
	const db = await new Promise((res, rej) => {
		const q = indexedDB.open('quota-filler', 1);
		q.onupgradeneeded = () => q.result.createObjectStore('kv');
		q.onsuccess = () => res(q.result);
		q.onerror = () => rej(q.error);
	});
	const chunk = size => {
		const a = new Uint8Array(size);
		for (let i = 0; i < size; i += 65536) crypto.getRandomValues(a.subarray(i, Math.min(size, i + 65536)));
		return a;
	};
	let n = 0, bytes = 0, last = '';
	for (const size of [1 << 20, 1 << 18, 1 << 16, 1 << 14, 1 << 12, 1 << 10]) {
		for (let thrown = 0; thrown < 2;) {
			const r = await new Promise(res => {
				try {
					const tx = db.transaction('kv', 'readwrite');
					tx.objectStore('kv').put(chunk(size), 'k' + n);
					tx.oncomplete = () => res('ok');
					tx.onabort = () => res(tx.error ? tx.error.name : 'abort');
				} catch (e) { res('threw ' + e.name); }
			});
			if (r.startsWith('threw')) { thrown++; continue; }
			if (r !== 'ok') { last = r; break; }
			n++; bytes += size;
		}
	}
	db.close();
	return {n, bytes, last};
})()`

// freeQuota deletes the filler database; it answers "ok" or why not.
const freeQuota = `new Promise(res => {
	const q = indexedDB.deleteDatabase('quota-filler');
	q.onsuccess = () => res('ok');
	q.onerror = () => res('error: ' + q.error);
	q.onblocked = () => res('blocked');
})`

// randomText is n characters of hex: text that does not compress (Firefox
// compresses what it stores in IndexedDB).
func randomText(prefix string, n int) string {
	b := make([]byte, n/2)
	rand.Read(b)
	return (prefix + " " + hex.EncodeToString(b))[:n]
}

// TestStorageQuota: a Firefox profile with a 5 MB storage limit; the page
// fills its quota with its own IndexedDB data; a peer sends messages: the
// page hears localCacheFull (500, saying the storage is full and what frees
// it) instead of the messages, a send answers err 500 naming the full
// storage, and the SDK keeps running. The page deletes its data: the
// messages that waited arrive by themselves, once each, and are in the
// history. Other engines have no way to set a storage quota through
// WebDriver (Chromium's is a share of the disk, set only through the
// DevTools protocol; WebKitGTK's has no setting): the test skips there.
func TestStorageQuota(t *testing.T) {
	if engine != webdriver.Firefox {
		t.Skipf("%s: no way to give a profile a small storage quota through WebDriver (Firefox has the pref dom.quotaManager.temporaryStorage.fixedLimit)", engine)
	}
	s := useShared(t)
	tok := users(t, s, "q1alice", "q1bob")
	bob := dialLogin(t, s, "q1bob", tok["q1bob"])

	b := newBrowserWith(t, "q1alice", webdriver.Options{FirefoxPrefs: map[string]any{
		"dom.quotaManager.temporaryStorage.fixedLimit": quotaKB,
	}})
	b.open(pages.pageURL(s, false))
	b.login("q1alice", tok["q1alice"])
	mark := b.mark()
	bob.sendText("q1alice", "q1-before", "before the storage is full")
	b.waitRecv(mark, "before the storage is full", 10*time.Second)

	began := time.Now()
	fill, err := evalAs[struct {
		N     int    `json:"n"`
		Bytes int    `json:"bytes"`
		Last  string `json:"last"`
	}](b, fillQuota, 2*time.Minute)
	if err != nil {
		t.Fatalf("filling the quota: %v", err)
	}
	t.Logf("the page filled its quota: %d chunks, %d bytes, then %s (%v)", fill.N, fill.Bytes, fill.Last, time.Since(began).Round(time.Millisecond))
	if fill.Last != "QuotaExceededError" {
		t.Fatalf("filling the quota ended with %q, want QuotaExceededError", fill.Last)
	}

	// Bob sends until the page hears localCacheFull. (Firefox counts an
	// origin's usage by the size of its files: pages freed inside the
	// SDK's database by aborted writes are reused without being counted,
	// so where the limit falls is not exact.)
	fullJS := fmt.Sprintf(`window.events.slice(%d).some(e => e.kind === 'account' && e.ret && e.ret.eventType === 'localCacheFull')`, mark)
	mark = b.mark()
	recvJS := func(text string) string {
		q, _ := json.Marshal(text)
		return fmt.Sprintf(`window.events.slice(%d).some(e => e.kind === 'message' && e.ret && e.ret.eventType === 'onRecvMessages' &&
			(e.ret.messages || []).some(m => m && m.body && m.body.text === %s))`, mark, q)
	}
	var sent []string
	send := func(i int) string {
		text := randomText(fmt.Sprintf("q1 %d", i), 4000)
		bob.sendText("q1alice", fmt.Sprintf("q1-%d", i), text)
		sent = append(sent, text)
		return text
	}
	for i := 0; i < 40 && !eval[bool](b, fullJS); i++ {
		text := send(i)
		b.waitFor(fmt.Sprintf("message %d received or localCacheFull", i), fullJS+" || "+recvJS(text), 15*time.Second)
	}
	if !eval[bool](b, fullJS) {
		t.Fatalf("40 messages of 4,000 characters were all stored under a %d KB quota, no localCacheFull", quotaKB)
	}
	var ev accountEventMsg
	for _, e := range b.events(mark) {
		var a accountEventMsg
		if e.Kind == "account" && json.Unmarshal(e.Ret, &a) == nil && a.EventType == "localCacheFull" {
			ev = a
			break
		}
	}
	t.Logf("localCacheFull after %d messages: %+v", len(sent), ev)
	if ev.Code != 500 || !strings.Contains(ev.Msg, "storage for this site is full") || !strings.Contains(ev.Msg, "deleteAllMessages") {
		t.Errorf("localCacheFull = %+v, want 500 saying the storage is full and what frees it", ev)
	}
	// Nothing crashed: the SDK answers, still logged in.
	if r := b.mustCall("isLogined", nil); !r.status() {
		t.Errorf("isLogined while the storage is full: %v, want true", r)
	}
	if eval[any](b, "window.sdkReady") != true {
		t.Fatal("the SDK died when the storage filled up")
	}

	// The page fills what is left again; bob sends until a message waits
	// (not reported within 3 s: the SDK retries on its own meanwhile).
	if _, err := evalAs[any](b, fillQuota, 2*time.Minute); err != nil {
		t.Fatalf("filling the quota again: %v", err)
	}
	waits := false
	for i := len(sent); i < len(sent)+20 && !waits; {
		text := send(i)
		i++
		waits = b.poll(recvJS(text), 3*time.Second) != nil
	}
	if !waits {
		t.Fatal("20 more messages were all stored after the page filled its quota again: no message waited")
	}
	// A send while it is full: the request goes out while its record is
	// written, so the server takes it even when that write fails (the
	// callback answers success, or "sent, but" where the answer came
	// late); an err is 500 naming the full storage, and then the server
	// does not have it.
	aliceText := randomText("q1 from alice", 4000)
	r := b.call("sendText", map[string]any{"sessionId": "q1bob", "chatType": 0, "text": aliceText})
	t.Logf("sendText while the storage is full: %v", r)
	if r.Err != nil && (r.Err.Code != 500 || !strings.Contains(r.Err.Msg, "storage for this site is full")) {
		t.Errorf("sendText while the storage is full: %v, want err 500 naming the full storage", r)
	}
	var pending []string
	for _, text := range sent {
		if countText(b.received(mark), text) == 0 {
			pending = append(pending, text)
		}
	}

	// The page frees its own data: the SDK's retries store and deliver
	// what waited, once each.
	if got := eval[string](b, freeQuota); got != "ok" {
		t.Fatalf("deleting the filler database: %s", got)
	}
	freed := time.Now()
	for _, text := range pending {
		b.waitRecv(mark, text, 45*time.Second)
	}
	t.Logf("%d of bob's %d messages waited; they arrived %v after the page freed its data", len(pending), len(sent), time.Since(freed).Round(time.Millisecond))
	got := b.received(mark)
	h := b.history("q1bob")
	for _, text := range sent {
		if n := countText(got, text); n != 1 {
			t.Errorf("onRecvMessages reported %s %d times, want once", short(text), n)
		}
		if n := countText(h, text); n != 1 {
			t.Errorf("messagesInSession has %s %d times, want once", short(text), n)
		}
	}
	// Alice's message reached the server exactly when the SDK said so.
	pr := b.mustCall("pullMessageHistory", map[string]any{"sessionId": "q1bob", "chatType": 0, "limit": 100})
	var hist struct {
		Messages []msgView `json:"messages"`
	}
	json.Unmarshal(pr.Ret, &hist)
	onServer := countText(hist.Messages, aliceText)
	if wantSent := r.Err == nil || strings.HasPrefix(r.Err.Msg, "sent, but"); wantSent != (onServer == 1) {
		t.Errorf("alice's send answered %v, and the server has it %d times", r, onServer)
	}
	// The full storage kept the connection: the sync waited on it and
	// ended (step 8) once it stored everything.
	if steps := b.loginSteps(mark); slices.Contains(steps, 9) || !slices.Contains(steps, 8) {
		t.Errorf("login steps while the storage was full and after: %v, want no disconnection (9) and a sync that ended (8)", steps)
	}
	mark = b.mark()
	bob.sendText("q1alice", "q1-after", "after the storage was freed")
	b.waitRecv(mark, "after the storage was freed", 10*time.Second)
}

// accountEventMsg is an account event with its code and msg.
type accountEventMsg struct {
	EventType string `json:"eventType"`
	Code      int    `json:"code"`
	Msg       string `json:"msg"`
}
