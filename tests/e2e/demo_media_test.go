package e2e

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"yunxin/internal/webdriver"
)

// The demo's issue-6 features, used through its UI as a person would: the
// attach button (a real file input), the location form, the tip button,
// the per-message actions (recall, delete, cancel, retry), the file card's
// download, "Clear chat" and "Load older messages".

// writeTestFiles writes a real PNG (w×h), a WAV of ms milliseconds and n
// bytes of a fixed pattern into dir, and returns their paths.
func writeTestFiles(t *testing.T, dir string, w, h, ms, n int) (pngPath, wavPath, binPath string) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.RGBA{0x1d, 0x64, 0xc8, 0xff}
			if (x/20+y/20)%2 == 0 {
				c = color.RGBA{0xf0, 0xb4, 0x29, 0xff}
			}
			img.Set(x, y, c)
		}
	}
	var pb bytes.Buffer
	if err := png.Encode(&pb, img); err != nil {
		t.Fatal(err)
	}
	// A 16-bit mono 8 kHz WAV: a 440 Hz tone.
	const rate = 8000
	samples := rate * ms / 1000
	var wb bytes.Buffer
	le := func(v any) { binary.Write(&wb, binary.LittleEndian, v) }
	wb.WriteString("RIFF")
	le(uint32(36 + samples*2))
	wb.WriteString("WAVEfmt ")
	le(uint32(16))
	le(uint16(1))
	le(uint16(1))
	le(uint32(rate))
	le(uint32(rate * 2))
	le(uint16(2))
	le(uint16(16))
	wb.WriteString("data")
	le(uint32(samples * 2))
	for i := 0; i < samples; i++ {
		le(int16(6000 * math.Sin(2*math.Pi*440*float64(i)/rate)))
	}
	bin := make([]byte, n)
	for i := range bin {
		bin[i] = byte(i*131 + 7)
	}
	pngPath, wavPath, binPath = filepath.Join(dir, "photo.png"), filepath.Join(dir, "tone.wav"), filepath.Join(dir, "data.bin")
	for p, b := range map[string][]byte{pngPath: pb.Bytes(), wavPath: wb.Bytes(), binPath: bin} {
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return pngPath, wavPath, binPath
}

func md5File(t *testing.T, path string) (string, int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum(b)
	return hex.EncodeToString(sum[:]), len(b)
}

// pick chooses files with the demo's attach input (as the file dialog would).
func (u ui) pick(paths ...string) {
	u.t.Helper()
	u.do("picking "+strings.Join(paths, ", ")+" with #fileInput", func(ctx context.Context, tab webdriver.Tab) error {
		return tab.SetFiles(ctx, "#fileInput", paths)
	})
}

// clickAgain clicks sel, again if the element was replaced meanwhile (the
// session list is redrawn as the sync after a reload updates it).
func (u ui) clickAgain(sel string) {
	u.t.Helper()
	var err error
	for i := 0; i < 5; i++ {
		if err = u.withTab(10*time.Second, func(ctx context.Context, tab webdriver.Tab) error { return tab.Click(ctx, sel) }); err == nil {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	u.t.Fatalf("%s: clicking %s: %v", u.name, sel, err)
}

// msgSel is the selector of the message element with id.
func msgSel(id string) string { return fmt.Sprintf(`#messages .msg[data-message-id=%q]`, id) }

// messageIDByText waits for the message whose .text is text and returns its id.
func (u ui) messageIDByText(text string) string {
	u.t.Helper()
	q, _ := json.Marshal(text)
	find := fmt.Sprintf(`([...document.querySelectorAll('#messages .msg')].find(m => (m.querySelector('.text') || {}).textContent === %s) || {dataset: {}}).dataset.messageId || ''`, q)
	u.waitFor("a message "+string(q)+" in #messages", find, 15*time.Second)
	return eval[string](u.browser, find)
}

// hover moves the mouse over the element sel (the message actions show on hover).
func (u ui) hover(sel string) {
	u.t.Helper()
	u.exec(fmt.Sprintf(`document.querySelector(%q).scrollIntoView({block: 'center'})`, sel))
	u.do("hovering "+sel, func(ctx context.Context, tab webdriver.Tab) error { return tab.Hover(ctx, sel) })
}

// roomy gives the page a desktop-sized window, so that the screenshots show
// a whole conversation.
func (u ui) roomy() {
	u.t.Helper()
	u.do("sizing the window", func(ctx context.Context, tab webdriver.Tab) error { return tab.SetViewport(ctx, 1180, 900) })
}

// shot scrolls the element sel to the middle of the view and takes a screenshot.
func (u ui) shot(name, sel string) {
	u.t.Helper()
	u.exec(fmt.Sprintf(`(document.querySelector(%q) || document.body).scrollIntoView({block: 'center'})`, sel))
	u.screenshot(name)
}

// TestDemoAttachments: alice sends a picture, a voice note, a video and a
// file picked with the attach button, a location typed into its form and a
// tip; bob's demo shows each as what it is (the picture loaded, the voice
// and video playable, the file card, the location card, the tip line).
// Bob downloads the file from its card, with progress, and saves the same
// bytes. A canceled upload shows Retry, which delivers it once. Alice
// recalls a message: both sides show "… recalled a message". Bob deletes
// one: it is gone, also after a reload.
func TestDemoAttachments(t *testing.T) {
	s := useShared(t)
	tok := users(t, s, "t6ualice", "t6ubob")
	alice, bob := ui{newBrowser(t, "t6ualice (demo)")}, ui{newBrowser(t, "t6ubob (demo)")}
	alice.roomy()
	bob.roomy()
	// Both use the demo through a throttle: alice's uploads and bob's
	// downloads are slowed down part of the time.
	alice.throttled(s)
	bob.throttled(s)
	alice.loginUI(s, "t6ualice", tok["t6ualice"])
	bob.loginUI(s, "t6ubob", tok["t6ubob"])
	alice.type_("#peer", "t6ubob")
	alice.click("#newchat")
	alice.waitFor("the conversation with t6ubob", `document.querySelector('#peerName').textContent === 't6ubob'`, 10*time.Second)

	dir := t.TempDir()
	pngPath, wavPath, binPath := writeTestFiles(t, dir, 320, 200, 1500, 3<<20)
	// A WebM recorded in the page (MediaRecorder), saved as a file to pick.
	alice.addMedia()
	webm, err := base64.StdEncoding.DecodeString(eval[string](alice.browser, `media.webm(1500).then(media.b64)`))
	if err != nil || len(webm) == 0 {
		t.Fatalf("recording a WebM in the page: %v (%d bytes)", err, len(webm))
	}
	webmPath := filepath.Join(dir, "clip.webm")
	if err := os.WriteFile(webmPath, webm, 0o644); err != nil {
		t.Fatal(err)
	}

	// The file first, with uploads slowed down: its bubble shows the upload's progress.
	alice.throttleUpload(1 << 20)
	alice.pick(binPath)
	alice.waitFor("an upload progress bar part way on the outgoing file", `[...document.querySelectorAll('#messages .msg.out.kind-file progress.upload')].some(p => p.value > 0 && p.value < 1)`, 20*time.Second)
	alice.shot("issue6-alice-uploading.png", "#messages .msg.out.kind-file")
	alice.waitFor("the file sent (no progress bar, ✓)", `(() => { const m = document.querySelector('#messages .msg.out.kind-file');
		return m && !m.querySelector('progress.upload') && !m.classList.contains('pending') && m.querySelector('.tick').textContent.startsWith('✓'); })()`, 30*time.Second)
	alice.throttleUpload(0)

	// The picture, the voice note and the video in one pick; a location; a tip; a text.
	alice.pick(pngPath, wavPath, webmPath)
	alice.click("#location")
	alice.waitFor("the location form", `!document.querySelector('#locationForm').hidden`, 5*time.Second)
	alice.type_("#lat", "31.2304")
	alice.type_("#lng", "121.4737")
	alice.type_("#place", "The Bund <b>")
	alice.click("#locationSend")
	alice.type_("#text", "a tip from alice")
	alice.click("#tip")
	alice.type_("#text", "recall me")
	alice.click("#send")
	for _, kind := range []string{"image", "voice", "video", "file", "location", "tip", "text"} {
		alice.waitFor("alice's "+kind+" message sent", fmt.Sprintf(`[...document.querySelectorAll('#messages .msg.kind-%s')].some(m => !m.classList.contains('pending') && !m.classList.contains('failed'))`, kind), 30*time.Second)
	}

	// Bob sees each as what it is.
	sessionSel := `#sessions li.session[data-session-id="t6ualice"]`
	bob.waitFor("session t6ualice in bob's list", fmt.Sprintf(`document.querySelector(%q)`, sessionSel), 15*time.Second)
	bob.click(sessionSel)
	bob.waitFor("the picture loaded (naturalWidth > 0)", `(() => { const i = document.querySelector('#messages .msg.in.kind-image img.image'); return i && i.complete && i.naturalWidth > 0; })()`, 20*time.Second)
	bob.waitFor("the voice note playable (its metadata loaded, about 1.5 s; the player shows the length)", `(() => { const a = document.querySelector('#messages .msg.in.kind-voice audio');
		return a && a.readyState >= 1 && a.duration > 1.2 && a.duration < 1.8 && a.parentNode.querySelector('.duration').hidden; })()`, 20*time.Second)
	bob.waitFor("the video with its cover as the poster", `(() => { const v = document.querySelector('#messages .msg.in.kind-video video'); return v && v.poster !== '' && v.src !== ''; })()`, 20*time.Second)
	if !eval[bool](bob.browser, `fetch(document.querySelector('#messages .msg.in.kind-video video').poster).then(r => r.ok && r.headers.get('Content-Type').startsWith('image/'))`) {
		t.Errorf("the video's poster (its cover) does not load as an image")
	}
	bob.waitFor("the file card", `(() => { const f = document.querySelector('#messages .msg.in.kind-file'); return f && f.querySelector('.file-name').textContent === 'data.bin' &&
		f.querySelector('.file-size').textContent === '3.0 MB' && f.querySelector('button.download'); })()`, 20*time.Second)
	bob.waitFor("the location card with its OpenStreetMap link", `(() => { const l = document.querySelector('#messages .msg.in.kind-location a.location'); return l && l.querySelector('.place').textContent === 'The Bund <b>' &&
		l.querySelector('.coords').textContent === '31.23040, 121.47370' && l.href.startsWith('https://www.openstreetmap.org/?mlat=31.2304&mlon=121.4737'); })()`, 20*time.Second)
	bob.waitFor("the tip as a centered line", `[...document.querySelectorAll('#messages .msg.tip .text')].some(e => e.textContent === 'a tip from alice')`, 20*time.Second)
	if n := eval[int](bob.browser, `document.querySelectorAll('#messages b').length`); n != 0 {
		t.Errorf("the place name was rendered as HTML (%d <b> elements)", n)
	}
	img := eval[struct {
		Src, Href string
		W, H      int
	}](bob.browser, `(() => { const i = document.querySelector('#messages .msg.in.kind-image img.image'); return {Src: i.src, Href: i.closest('a').href, W: i.naturalWidth, H: i.naturalHeight}; })()`)
	if !strings.HasPrefix(img.Href, bob.serverURL(s)) || img.W == 0 {
		t.Errorf("bob's picture: src %s, link %s, %d×%d; want a link to the full picture on the server", img.Src, img.Href, img.W, img.H)
	}
	if sum, _ := md5File(t, pngPath); sum != func() string { got, _ := bob.md5OfURL(img.Href); return got }() {
		t.Errorf("the picture's link (click to open) is not the picked file (md5 %s)", sum)
	}
	alice.shot("issue6-alice.png", "#messages .msg.kind-video")
	bob.shot("issue6-bob.png", "#messages .msg.kind-video")
	// The video plays (Space on it, as its play button does).
	bob.do("pressing Space on the video", func(ctx context.Context, tab webdriver.Tab) error {
		return tab.SendKeys(ctx, "#messages .msg.in.kind-video video", " ")
	})
	if engine == webdriver.WebKit {
		// WebKitGTK's native controls do not take Space on the focused
		// video (it stays paused, not even loading): its play button's click.
		bob.exec(`document.querySelector('#messages .msg.in.kind-video video').play()`)
	}
	bob.waitFor("the video playing (160×120)", `(() => { const v = document.querySelector('#messages .msg.in.kind-video video'); return v.videoWidth === 160 && (v.currentTime > 0 || v.ended); })()`, 20*time.Second)

	// Bob downloads the file from its card: progress, then Save with the same bytes.
	bob.limitDownload(1 << 20)
	bob.exec(`window.dlSeen = []; new MutationObserver(() => {
		const p = document.querySelector('#messages .msg.kind-file .download-progress'); if (p) dlSeen.push(p.value);
	}).observe(document.querySelector('#messages'), {childList: true, subtree: true, attributes: true});`)
	bob.click("#messages .msg.in.kind-file button.download")
	bob.waitFor("the download part way", `dlSeen.some(v => v > 0 && v < 1)`, 20*time.Second)
	bob.shot("issue6-bob-downloading.png", "#messages .msg.in.kind-file")
	bob.waitFor("the Save link after the download", `document.querySelector('#messages .msg.in.kind-file a.save')`, 30*time.Second)
	bob.limitDownload(0)
	save := eval[struct{ Href, Download string }](bob.browser, `(() => { const a = document.querySelector('#messages .msg.in.kind-file a.save'); return {Href: a.href, Download: a.download}; })()`)
	want, n := md5File(t, binPath)
	if got, gotN := bob.md5OfURL(save.Href); got != want || gotN != n || save.Download != "data.bin" {
		t.Errorf("Save link %s (download=%q): md5 %s, %d bytes; want data.bin with md5 %s, %d bytes", short(save.Href), save.Download, got, gotN, want, n)
	}
	t.Logf("download progress seen by the card: %v", eval[[]float64](bob.browser, `dlSeen.filter((v, i, a) => i === 0 || v !== a[i - 1]).slice(0, 12)`))

	// A canceled upload shows Retry; Retry delivers it, once.
	alice.throttleUpload(1 << 20)
	alice.exec(`window.sentBefore = new Set([...document.querySelectorAll('#messages .msg.kind-file')].map(m => m.dataset.messageId))`)
	alice.pick(binPath)
	alice.waitFor("the second upload part way", `[...document.querySelectorAll('#messages .msg.out.kind-file')].some(m => !sentBefore.has(m.dataset.messageId) &&
		m.querySelector('progress.upload') && m.querySelector('progress.upload').value > 0)`, 20*time.Second)
	second := eval[string](alice.browser, `[...document.querySelectorAll('#messages .msg.out.kind-file')].find(m => !sentBefore.has(m.dataset.messageId)).dataset.messageId`)
	alice.hover(msgSel(second))
	alice.click(msgSel(second) + " .actions .cancel")
	alice.waitFor("the canceled file failed, with Retry", fmt.Sprintf(`document.querySelector(%q + '.failed .retry')`, msgSel(second)), 15*time.Second)
	alice.shot("issue6-alice-failed.png", msgSel(second))
	alice.throttleUpload(0)
	alice.click(msgSel(second) + " .retry")
	alice.waitFor("the retried file sent", fmt.Sprintf(`(() => { const m = document.querySelector(%q); return m && !m.classList.contains('failed') && !m.classList.contains('pending'); })()`, msgSel(second)), 30*time.Second)
	bob.waitFor("the retried file at bob", fmt.Sprintf(`document.querySelector(%q)`, msgSel(second)), 15*time.Second)
	if n := eval[int](bob.browser, fmt.Sprintf(`new Promise(r => yunxinIM.messagesInSession({sessionId: 't6ualice', chatType: 0, limit: 100}, ret => r(ret.messages.filter(m => m.messageId === %q).length)))`, second)); n != 1 {
		t.Errorf("bob's cache holds the retried message %d times, want once", n)
	}

	// Alice recalls her text: both sides show the line in its place.
	recallID := alice.messageIDByText("recall me")
	bob.waitFor("'recall me' at bob", fmt.Sprintf(`document.querySelector(%q)`, msgSel(recallID)), 10*time.Second)
	alice.hover(msgSel(recallID))
	alice.waitFor("the message's actions shown on hover", fmt.Sprintf(`getComputedStyle(document.querySelector(%q + ' .actions')).opacity === '1'`, msgSel(recallID)), 5*time.Second)
	alice.screenshot("issue6-alice-actions.png")
	alice.click(msgSel(recallID) + " .actions .revoke")
	alice.waitFor("'You recalled a message' in place", fmt.Sprintf(`(document.querySelector(%q + '.recalled .text') || {}).textContent === 'You recalled a message'`, msgSel(recallID)), 10*time.Second)
	bob.waitFor("'t6ualice recalled a message' in place", fmt.Sprintf(`(document.querySelector(%q + '.recalled .text') || {}).textContent === 't6ualice recalled a message'`, msgSel(recallID)), 10*time.Second)
	alice.click(msgSel(recallID) + " .reedit")
	if v := eval[string](alice.browser, `document.querySelector('#text').value`); v != "recall me" {
		t.Errorf("Re-edit put %q into the message box, want the recalled text", v)
	}
	alice.shot("issue6-recall-alice.png", msgSel(recallID))
	bob.shot("issue6-recall-bob.png", msgSel(recallID))

	// Bob deletes the tip: gone from the view and the cache, also after a reload.
	tipID := bob.messageIDByText("a tip from alice")
	bob.hover(msgSel(tipID))
	bob.click(msgSel(tipID) + " .actions .delete")
	bob.waitFor("the deleted tip gone", fmt.Sprintf(`!document.querySelector(%q)`, msgSel(tipID)), 10*time.Second)
	inCache := fmt.Sprintf(`new Promise(r => yunxinIM.messagesInSession({sessionId: 't6ualice', chatType: 0, limit: 100}, ret => r(ret.messages.some(m => m.messageId === %q))))`, tipID)
	if eval[bool](bob.browser, inCache) {
		t.Errorf("the deleted tip is still in messagesInSession")
	}
	bob.reloadDemo()
	bob.waitFor("bob back in the chat after the reload", fmt.Sprintf(`window.yunxinIM && document.querySelector(%q)`, sessionSel), 30*time.Second)
	// One click: the session list keeps its elements while the reload's
	// sync renders it again, so the click is not lost (it was on WebKit
	// when the list was rebuilt on every render).
	bob.click(sessionSel)
	bob.waitFor("the conversation shown again", `document.querySelector('#messages .msg.kind-file')`, 10*time.Second)
	if eval[bool](bob.browser, fmt.Sprintf(`!!document.querySelector(%q)`, msgSel(tipID))) || eval[bool](bob.browser, inCache) {
		t.Errorf("the deleted tip is back after a reload")
	}
	if eval[bool](bob.browser, `[...document.querySelectorAll('#messages .msg .text')].some(e => e.textContent === 'recall me')`) {
		t.Errorf("the recalled message is back after a reload")
	}
	bob.screenshot("issue6-bob-reloaded.png")
	for _, u := range []ui{alice, bob} {
		if l := u.consoleLine("Uncaught"); l != "" {
			t.Errorf("%s: a script error: %s", u.name, l)
		}
	}
}

// md5OfURL returns the md5 and length of what the page fetches at url.
func (u ui) md5OfURL(url string) (string, int) {
	u.t.Helper()
	if eval[bool](u.browser, `!window.media`) {
		u.addMedia()
	}
	return u.md5Of(fmt.Sprintf("%q", url))
}

// TestDemoHistory: a device that roamed only the latest 100 of 130 messages
// pages back with "Load older messages" to the very first one (the cache
// first, then the server's history, kept in the cache); after "Clear chat"
// the same button brings the latest page back from the server.
func TestDemoHistory(t *testing.T) {
	s := useShared(t)
	tok := users(t, s, "t6valice", "t6vbob")
	const total = 130
	raw := dialLogin(t, s, "t6valice", tok["t6valice"])
	for i := 1; i <= total; i++ {
		raw.sendText("t6vbob", fmt.Sprintf("v-%03d", i), fmt.Sprintf("history %03d", i))
	}
	bob := ui{newBrowser(t, "t6vbob (demo)")}
	bob.roomy()
	bob.loginUI(s, "t6vbob", tok["t6vbob"])
	sessionSel := `#sessions li.session[data-session-id="t6valice"]`
	bob.waitFor("the roamed session", fmt.Sprintf(`document.querySelector(%q)`, sessionSel), 15*time.Second)
	cached := `new Promise(r => { let n = 0; const page = a => yunxinIM.messagesInSession(Object.assign({sessionId: 't6valice', chatType: 0, limit: 100}, a ? {messageId: a} : {}),
		ret => { const m = ret.messages || []; n += m.length; m.length ? page(m[0].messageId) : r(n); }); page(''); })`
	if n := eval[int](bob.browser, cached); n >= total {
		t.Fatalf("bob's cache already holds %d messages; the test needs fewer than %d (the roaming window)", n, total)
	} else {
		t.Logf("bob's cache before paging: %d of %d messages", n, total)
	}
	bob.click(sessionSel)
	bob.waitFor("the latest page", `[...document.querySelectorAll('#messages .msg .text')].some(e => e.textContent === 'history 130')`, 10*time.Second)

	shownTexts := `[...document.querySelectorAll('#messages .msg .text')].map(e => e.textContent)`
	clicks := 0
	for ; clicks < 15 && eval[bool](bob.browser, `document.querySelector('#historyStart').hidden`); clicks++ {
		before := eval[int](bob.browser, `document.querySelectorAll('#messages .msg').length`)
		bob.click("#loadOlder")
		bob.waitFor("the older page or the start", fmt.Sprintf(`!document.querySelector('#loadOlder').disabled &&
			(document.querySelectorAll('#messages .msg').length > %d || !document.querySelector('#historyStart').hidden)`, before), 15*time.Second)
	}
	got := eval[[]string](bob.browser, shownTexts)
	var want []string
	for i := 1; i <= total; i++ {
		want = append(want, fmt.Sprintf("history %03d", i))
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("after %d clicks on Load older, the conversation shows %d messages %v … %v; want history 001…130 once each in order", clicks, len(got), got[:min(3, len(got))], got[max(0, len(got)-3):])
	}
	if !eval[bool](bob.browser, `document.querySelector('#loadOlder').hidden && !document.querySelector('#historyStart').hidden`) {
		t.Errorf("at the first message, 'Load older' is still offered or the start is not marked")
	}
	if n := eval[int](bob.browser, cached); n != total {
		t.Errorf("after paging, bob's cache holds %d messages, want all %d (persist)", n, total)
	}
	bob.exec(`document.querySelector('#messages').scrollTop = 0`)
	bob.screenshot("issue6-history-start.png")

	// Clear chat (two clicks), then Load older brings the latest page back from the server.
	bob.click("#clearChat")
	bob.click("#clearChat")
	bob.waitFor("the conversation cleared", `document.querySelectorAll('#messages .msg').length === 0`, 10*time.Second)
	if n := eval[int](bob.browser, cached); n != 0 {
		t.Errorf("after Clear chat the cache holds %d messages, want 0", n)
	}
	bob.waitFor("Load older offered after the clear", `!document.querySelector('#loadOlder').hidden`, 5*time.Second)
	bob.click("#loadOlder")
	bob.waitFor("the latest messages from the server", `[...document.querySelectorAll('#messages .msg .text')].some(e => e.textContent === 'history 130')`, 15*time.Second)
	if got := eval[[]string](bob.browser, shownTexts); len(got) != 20 || got[0] != "history 111" {
		t.Errorf("after the clear, Load older shows %d messages starting %v; want the latest 20 (history 111…130)", len(got), got[:min(1, len(got))])
	}
	bob.screenshot("issue6-history-after-clear.png")
}

// TestDemoVoiceAndDrop: the record button records a voice note with the
// page's MediaRecorder (the microphone is a 440 Hz tone from an
// AudioContext, or Firefox's fake device: a headless browser has none) and a second click sends it
// with its length; a file dropped on the conversation is sent as a file.
func TestDemoVoiceAndDrop(t *testing.T) {
	s := useShared(t)
	tok := users(t, s, "t6walice", "t6wbob")
	// The microphone: Firefox's fake device (a tone), by its prefs: its
	// AudioContext stays suspended in a headless Firefox (no audio output).
	alice := ui{newBrowserWith(t, "t6walice (demo)", webdriver.Options{FirefoxPrefs: map[string]any{
		"media.navigator.streams.fake":        true,
		"media.navigator.permission.disabled": true,
	}})}
	bob := ui{newBrowser(t, "t6wbob (demo)")}
	alice.roomy()
	bob.roomy()
	alice.loginUI(s, "t6walice", tok["t6walice"])
	bob.loginUI(s, "t6wbob", tok["t6wbob"])
	alice.type_("#peer", "t6wbob")
	alice.click("#newchat")
	alice.waitFor("the conversation with t6wbob", `document.querySelector('#peerName').textContent === 't6wbob'`, 10*time.Second)
	alice.waitFor("the empty conversation's hint", `!document.querySelector('#emptyHint').hidden && document.querySelector('#loadOlder').hidden`, 5*time.Second)

	if engine != webdriver.Firefox {
		// Elsewhere a 440 Hz tone from an AudioContext stands in for the
		// microphone (headless Chromium has none).
		alice.exec(`navigator.mediaDevices.getUserMedia = async function (c) {
		if (!c || !c.audio) throw new Error('audio only');
		const ac = new AudioContext(); await ac.resume();
		const o = ac.createOscillator(); o.frequency.value = 440;
		const d = ac.createMediaStreamDestination(); o.connect(d); o.start();
		return d.stream;
	}`)
	}
	alice.waitFor("the record button (MediaRecorder is there)", `!document.querySelector('#record').hidden`, 5*time.Second)
	t.Logf("MediaRecorder's type here (the demo sends the Blob with it): %s", eval[string](alice.browser, `navigator.mediaDevices.getUserMedia({audio: true}).then(s => new Promise(done => {
		const r = new MediaRecorder(s); r.ondataavailable = () => { done(r.mimeType); r.stop(); s.getTracks().forEach(x => x.stop()); }; r.start(100); }))`))
	alice.click("#record")
	alice.waitFor("recording, with its time", `document.querySelector('#record').classList.contains('recording') && /^0:0[0-9]$/.test(document.querySelector('#recordTime').textContent)`, 10*time.Second)
	alice.screenshot("issue6-alice-recording.png")
	alice.waitFor("two seconds recorded", `document.querySelector('#recordTime').textContent === '0:02'`, 10*time.Second)
	alice.click("#record")
	alice.waitFor("the voice note sent", `(() => { const m = document.querySelector('#messages .msg.out.kind-voice'); return m && !m.classList.contains('pending') && !m.classList.contains('failed'); })()`, 20*time.Second)
	if e := eval[string](alice.browser, `document.querySelector('#chatError').textContent`); e != "" {
		t.Errorf("recording a voice note: %q", e)
	}
	if !eval[bool](alice.browser, `document.querySelector('#emptyHint').hidden`) {
		t.Errorf("the empty conversation's hint is still shown with a message in it")
	}

	// A file dropped on the conversation.
	alice.exec(`(() => {
		const dt = new DataTransfer();
		dt.items.add(new File(['dropped bytes '.repeat(1000)], 'dropped.txt', {type: 'text/plain'}));
		const c = document.querySelector('#conversation');
		c.dispatchEvent(new DragEvent('dragenter', {dataTransfer: dt, bubbles: true, cancelable: true}));
		c.dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true}));
	})()`)
	alice.waitFor("the dropped file sent", `[...document.querySelectorAll('#messages .msg.out.kind-file')].some(m => m.querySelector('.file-name').textContent === 'dropped.txt' && !m.classList.contains('pending'))`, 20*time.Second)

	sessionSel := `#sessions li.session[data-session-id="t6walice"]`
	bob.waitFor("session t6walice in bob's list", fmt.Sprintf(`document.querySelector(%q)`, sessionSel), 15*time.Second)
	bob.click(sessionSel)
	bob.waitFor("the voice note at bob, its audio loaded", `(() => { const a = document.querySelector('#messages .msg.in.kind-voice audio'); return a && a.readyState >= 1; })()`, 20*time.Second)
	bob.waitFor("the dropped file at bob", `[...document.querySelectorAll('#messages .msg.in.kind-file .file-name')].some(e => e.textContent === 'dropped.txt')`, 20*time.Second)
	voice := eval[struct {
		Type     int   `json:"type"`
		Duration int64 `json:"duration"`
	}](bob.browser, `new Promise(r => yunxinIM.messagesInSession({sessionId: 't6walice', chatType: 0, limit: 10}, ret => r(ret.messages.find(m => m.body.type === 2).body)))`)
	if voice.Duration < 1500 || voice.Duration > 4000 {
		t.Errorf("the recorded voice note's duration is %d ms, want about 2 s (as recorded: 0:02 on the button when it was clicked)", voice.Duration)
	}
	// Where the recording's header has no length (Chromium's WebM: the
	// player shows none) the note shows the body's; where the player finds
	// it (Firefox's Ogg), the note's own label is hidden.
	v := eval[struct {
		Finite bool   `json:"finite"`
		Label  string `json:"label"`
	}](bob.browser, `(() => { const m = document.querySelector('#messages .msg.in.kind-voice'), a = m.querySelector('audio'), d = m.querySelector('.duration');
		return {finite: isFinite(a.duration) && a.duration > 0, label: d.hidden ? 'hidden' : d.textContent}; })()`)
	if v.Finite && v.Label != "hidden" || !v.Finite && v.Label != "0:02" && v.Label != "0:03" {
		t.Errorf("the recorded voice note's length label is %q with the player's length known: %v; want about 0:02 where it is not, hidden where it is", v.Label, v.Finite)
	}
	bob.shot("issue6-bob-voice.png", "#messages .msg.in.kind-voice")
}
