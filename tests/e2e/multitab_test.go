package e2e

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"yunxin/proto"
)

// TestMultiTabShared: three tabs of one profile logged in to alice (each
// page calls login like an app) share one connection: the server counts 1;
// bob's message shows once in each tab; all three see the unread count;
// mark-read in one tab clears it in the others at once (events and
// allUnreadCount); deleteRecentSession in one tab removes the session in
// all. A second profile of alice is a second device: its own connection;
// its kickOtherClient kicks the three tabs, one client, all logged out.
func TestMultiTabShared(t *testing.T) {
	s := useShared(t)
	tok := users(t, s, "mt1alice", "mt1bob")
	bob := dialLogin(t, s, "mt1bob", tok["mt1bob"])
	tab1 := newBrowser(t, "mt1alice tab 1")
	tab2, tab3 := tab1.newTab("mt1alice tab 2"), tab1.newTab("mt1alice tab 3")
	tabs := []*browser{tab1, tab2, tab3}
	for _, b := range tabs {
		b.open(pages.pageURL(s, false))
		if r := b.tab(); r.Role != "idle" {
			t.Fatalf("%s: before login the tab's role is %q, want idle", b.name, r.Role)
		}
	}
	for _, b := range tabs {
		b.login("mt1alice", tok["mt1alice"])
	}
	roles := map[string]int{}
	for _, b := range tabs {
		r := b.tab()
		roles[r.Role]++
		if r.Account != "mt1alice" {
			t.Errorf("%s: __tab.account %q, want mt1alice", b.name, r.Account)
		}
		if r := b.mustCall("isLogined", nil); !r.status() {
			t.Errorf("%s: isLogined false after login", b.name)
		}
	}
	if roles["leader"] != 1 || roles["follower"] != 2 {
		t.Fatalf("roles %v, want one leader and two followers", roles)
	}
	waitConnections(t, s, "mt1alice", 1, 5*time.Second)

	marks := []int{tab1.mark(), tab2.mark(), tab3.mark()}
	bob.sendText("mt1alice", "mt1-b1", "hello tabs")
	for i, b := range tabs {
		b.waitRecv(marks[i], "hello tabs", 10*time.Second)
	}
	bob.sendText("mt1alice", "mt1-b2", "second") // once it is in, a double of the first would be too
	for i, b := range tabs {
		b.waitRecv(marks[i], "second", 10*time.Second)
		if n := b.countRecv(marks[i]); n["hello tabs"] != 1 || n["second"] != 1 {
			t.Errorf("%s: onRecvMessages brought %v, want each message once", b.name, n)
		}
		b.waitUnread("mt1bob", 2, 5*time.Second)
	}

	// Mark read in tab 2: the others hear it at once.
	for i, b := range tabs {
		marks[i] = b.mark()
	}
	tab2.mustCall("markAllMessagesReadInSession", map[string]any{"sessionId": "mt1bob", "chatType": 0})
	for i, b := range tabs {
		b.waitFor("a session event with unread 0", fmt.Sprintf(`window.events.slice(%d).some(e => e.kind === 'session' &&
			e.ret.recentSession && e.ret.recentSession.sessionId === 'mt1bob' && e.ret.recentSession.unreadCount === 0 && e.ret.totalUnreadCount === 0)`,
			marks[i]), 3*time.Second)
		if n := b.unreadCount(); n != 0 {
			t.Errorf("%s: allUnreadCount %d after mark-read in tab 2, want 0", b.name, n)
		}
	}

	// Delete the session in tab 3: gone in all.
	tab3.mustCall("deleteRecentSession", map[string]any{"sessionId": "mt1bob", "chatType": 0})
	for _, b := range tabs {
		if ss := b.session("mt1bob"); ss != nil {
			t.Errorf("%s: session mt1bob still listed after deleteRecentSession in tab 3: %s", b.name, brief(ss))
		}
	}

	// Another profile of alice: a second device, its own connection.
	other := newBrowser(t, "mt1alice other profile")
	other.open(pages.pageURL(s, false))
	other.login("mt1alice", tok["mt1alice"])
	if r := other.tab(); r.Role != "leader" {
		t.Errorf("the other profile's tab: role %q, want leader of its own", r.Role)
	}
	waitConnections(t, s, "mt1alice", 2, 5*time.Second)
	m := other.mark()
	for i, b := range tabs {
		marks[i] = b.mark()
	}
	bob.sendText("mt1alice", "mt1-b3", "to both devices")
	other.waitRecv(m, "to both devices", 10*time.Second)
	for i, b := range tabs {
		b.waitRecv(marks[i], "to both devices", 10*time.Second)
	}

	// The other device kicks alice's web clients: the profile of three tabs
	// is one client; each tab hears kickout once and is logged out.
	for i, b := range tabs {
		marks[i] = b.mark()
	}
	if r := other.call("kickOtherClient", map[string]any{"client": 16}); r.failed() || !r.status() {
		t.Fatalf("kickOtherClient: %v", r)
	}
	for i, b := range tabs {
		b.waitFor("kickout, then logged out", fmt.Sprintf(`window.events.slice(%d).some(e => e.kind === 'account' && e.ret.eventType === 'kickout') &&
			yunxinIM.__tab.role === 'idle' && call('isLogined').then(r => r.ret && r.ret.status === false)`, marks[i]), 10*time.Second)
		n := 0
		for _, e := range b.events(marks[i]) {
			var a accountEvent
			if json.Unmarshal(e.Ret, &a); e.Kind == "account" && a.EventType == "kickout" {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s: %d kickout events, want 1", b.name, n)
		}
	}
	waitConnections(t, s, "mt1alice", 1, 5*time.Second) // the other profile's
	if r := other.mustCall("isLogined", nil); !r.status() {
		t.Errorf("the kicking profile: isLogined false, want true")
	}
}

// TestMultiTabLeaderClose: the tab holding the connection closes while bob
// sends 30 messages one after another: the two other tabs each get all 30
// exactly once, history has each once, and the server counts one
// connection again. Then a logout in a follower logs every tab out (server
// 0), and a login again works.
func TestMultiTabLeaderClose(t *testing.T) {
	s := useShared(t)
	tok := users(t, s, "mt2alice", "mt2bob")
	bob := dialLogin(t, s, "mt2bob", tok["mt2bob"])
	tab1 := newBrowser(t, "mt2alice tab 1")
	tab2, tab3 := tab1.newTab("mt2alice tab 2"), tab1.newTab("mt2alice tab 3")
	for _, b := range []*browser{tab1, tab2, tab3} {
		b.open(pages.pageURL(s, false))
	}
	// tab 2 logs in first: the leader is not the browser's first tab.
	for _, b := range []*browser{tab2, tab1, tab3} {
		b.login("mt2alice", tok["mt2alice"])
	}
	if r := tab2.tab(); r.Role != "leader" {
		t.Fatalf("tab 2 logged in first: role %q, want leader", r.Role)
	}
	waitConnections(t, s, "mt2alice", 1, 5*time.Second)

	rest := []*browser{tab1, tab3}
	marks := []int{tab1.mark(), tab3.mark()}
	const n = 30
	text := func(i int) string { return fmt.Sprintf("mt2 msg %02d", i) }
	var wg sync.WaitGroup
	sent := make(chan int, n)
	errs := make(chan error, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 1; i <= n; i++ {
			body, _ := json.Marshal(map[string]string{"text": text(i)})
			var r proto.SendResp
			if err := bob.do(proto.OpSend, proto.SendReq{Msg: proto.Msg{ClientID: fmt.Sprintf("mt2-%d", i), To: "mt2alice",
				ChatType: proto.ChatP2P, Type: proto.MsgText, Body: body}}, &r); err != nil {
				errs <- fmt.Errorf("bob's send %d: %w", i, err)
				return
			}
			sent <- i
			time.Sleep(60 * time.Millisecond)
		}
	}()
	for i := range sent {
		if i == 8 {
			break
		}
	}
	tab2.close() // the leader goes while bob keeps sending
	go func() { wg.Wait(); close(sent) }()
	for range sent {
	}
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
	for i, b := range rest {
		b.waitRecv(marks[i], text(n), 20*time.Second)
	}
	for i, b := range rest {
		// A message the old leader had recorded but could not announce any
		// more comes after the new leader's sync (the gap filling): out of order.
		var order []int64
		for _, m := range b.received(marks[i]) {
			order = append(order, m.Seq)
		}
		if !slices.IsSorted(order) {
			t.Logf("%s: onRecvMessages order by seq %v (a gap filled after the handover)", b.name, order)
		}
		got := b.countRecv(marks[i])
		for k := 1; k <= n; k++ {
			if got[text(k)] != 1 {
				t.Errorf("%s: onRecvMessages brought %q %d times, want once (all: %v)", b.name, text(k), got[text(k)], got)
			}
		}
		h := b.history("mt2bob")
		for k := 1; k <= n; k++ {
			if c := countText(h, text(k)); c != 1 {
				t.Errorf("%s: history has %q %d times, want once", b.name, text(k), c)
			}
		}
	}
	roles := map[string]int{}
	for _, b := range rest {
		roles[b.tab().Role]++
	}
	if roles["leader"] != 1 || roles["follower"] != 1 {
		t.Errorf("after the leader closed: roles %v, want one leader and one follower", roles)
	}
	waitConnections(t, s, "mt2alice", 1, 5*time.Second)

	// Logout in the follower: every tab is logged out.
	var follower, leader *browser
	for _, b := range rest {
		if b.tab().Role == "follower" {
			follower = b
		} else {
			leader = b
		}
	}
	if follower == nil || leader == nil {
		t.Fatal("no follower and leader left")
	}
	follower.logout()
	for _, b := range rest {
		b.waitFor("isLogined false", `call('isLogined').then(r => r.ret && r.ret.status === false)`, 5*time.Second)
		b.waitFor("role idle and no account", `yunxinIM.__tab.role === 'idle' && yunxinIM.__tab.account === '' &&
			call('currentAccount').then(r => r.ret && r.ret.userID === '')`, 5*time.Second)
	}
	waitConnections(t, s, "mt2alice", 0, 5*time.Second)

	// Log in again, first in the former follower.
	follower.login("mt2alice", tok["mt2alice"])
	leader.login("mt2alice", tok["mt2alice"])
	waitConnections(t, s, "mt2alice", 1, 5*time.Second)
	marks = []int{tab1.mark(), tab3.mark()}
	bob.sendText("mt2alice", "mt2-again", "after the logout")
	for i, b := range rest {
		b.waitRecv(marks[i], "after the logout", 10*time.Second)
	}
}

// TestMultiTabFallback: a page that removes navigator.locks before loading
// the SDK, and one that opts out with data-shared-tabs="false", run one
// engine each (role solo): two connections in one profile, and each tab
// gets each message once.
func TestMultiTabFallback(t *testing.T) {
	s := useShared(t)
	tok := users(t, s, "mt3alice", "mt3bob")
	bob := dialLogin(t, s, "mt3bob", tok["mt3bob"])
	noLocks := fallbackPage(t, s, "mt3-nolocks",
		`<script>Object.defineProperty(navigator, 'locks', {value: undefined, configurable: true});</script>`, "")
	optOut := fallbackPage(t, s, "mt3-optout", "", `data-shared-tabs="false"`)
	tab1 := newBrowser(t, "mt3alice no locks")
	tab2 := tab1.newTab("mt3alice opted out")
	tab1.open(noLocks)
	tab2.open(optOut)
	for _, b := range []*browser{tab1, tab2} {
		b.login("mt3alice", tok["mt3alice"])
		if r := b.tab(); r.Role != "solo" {
			t.Errorf("%s: role %q, want solo", b.name, r.Role)
		}
	}
	waitConnections(t, s, "mt3alice", 2, 5*time.Second)
	m1, m2 := tab1.mark(), tab2.mark()
	bob.sendText("mt3alice", "mt3-1", "one")
	bob.sendText("mt3alice", "mt3-2", "two")
	tab1.waitRecv(m1, "two", 10*time.Second)
	tab2.waitRecv(m2, "two", 10*time.Second)
	for i, b := range []*browser{tab1, tab2} {
		if n := b.countRecv([]int{m1, m2}[i]); n["one"] != 1 || n["two"] != 1 {
			t.Errorf("%s: onRecvMessages brought %v, want each once", b.name, n)
		}
	}
}

// TestMultiTabFiles: a follower's sendImage and sendFile with Blobs of its
// page go through the leader; the sent paths load in the follower; an
// image bob sends is downloaded from the follower, and its path loads there.
func TestMultiTabFiles(t *testing.T) {
	s := useShared(t)
	tok := users(t, s, "mt4alice", "mt4bob")
	bob := newBrowser(t, "mt4bob")
	bob.open(pages.pageURL(s, false))
	bob.login("mt4bob", tok["mt4bob"])
	lead := newBrowser(t, "mt4alice leader")
	fol := lead.newTab("mt4alice follower")
	for _, b := range []*browser{lead, fol} {
		b.open(pages.pageURL(s, false))
		b.login("mt4alice", tok["mt4alice"])
		b.addMedia()
	}
	bob.addMedia()
	if r := fol.tab(); r.Role != "follower" {
		t.Fatalf("the second tab: role %q, want follower", r.Role)
	}
	fol.exec(`(async () => { window.f = {png: await media.png(40, 30), bin: media.file(200000, 'notes.bin')}; })()`)
	for _, c := range []struct{ method, params, src string }{
		{"sendImage", `{sessionId: 'mt4bob', chatType: 0, path: f.png}`, "f.png"},
		{"sendFile", `{sessionId: 'mt4bob', chatType: 0, path: f.bin}`, "f.bin"},
	} {
		mark, bm := fol.mark(), bob.mark()
		r := fol.callWithin(30*time.Second, c.method, c.params)
		if r.failed() || !r.status() {
			t.Fatalf("follower %s: %v", c.method, r)
		}
		sent := sentMessage(t, r)
		fol.waitFor(c.method+" finished", fmt.Sprintf(`window.events.slice(%d).some(e => e.kind === 'message' &&
			e.ret.eventType === 'sendMessageFinish' && e.ret.message && e.ret.message.messageId === %q && e.ret.success !== false)`,
			mark, sent.MessageID), 20*time.Second)
		want, wn := fol.md5Of(c.src)
		if got, n := fol.md5Of(fmt.Sprintf("%q", sent.Body.Path)); got != want || n != wn {
			t.Errorf("%s: the sent path %q in the follower: md5 %s (%d bytes), want %s (%d)", c.method, sent.Body.Path, got, n, want, wn)
		}
		got := bob.waitRecvID(bm, sent.MessageID, 10*time.Second)
		if got.Body.MD5 != want {
			t.Errorf("%s: bob got md5 %q, want %s", c.method, got.Body.MD5, want)
		}
	}

	// bob sends an image; the follower downloads it and reads its path.
	bob.exec(`(async () => { window.g = await media.png(50, 20); })()`)
	want, wn := bob.md5Of("g")
	mark := fol.mark()
	r := bob.callWithin(30*time.Second, "sendImage", `{sessionId: 'mt4alice', chatType: 0, path: g}`)
	if r.failed() {
		t.Fatalf("bob sendImage: %v", r)
	}
	img := fol.waitRecvID(mark, sentMessage(t, r).MessageID, 10*time.Second)
	d := fol.callWithin(30*time.Second, "download", fmt.Sprintf(`{urlString: %q}`, img.Body.URL))
	if d.failed() || !d.status() {
		t.Fatalf("follower download: %v", d)
	}
	var dl struct {
		Path string `json:"path"`
	}
	if err := json.Unmarshal(d.Ret, &dl); err != nil {
		t.Fatalf("download ret %s: %v", d.Ret, err)
	}
	if got, n := fol.md5Of(fmt.Sprintf("%q", dl.Path)); got != want || n != wn {
		t.Errorf("the downloaded path %q in the follower: md5 %s (%d bytes), want %s (%d)", dl.Path, got, n, want, wn)
	}
	m := fol.messageByID("mt4bob", img.MessageID)
	if m == nil || m.Body.Path == "" {
		t.Fatalf("the follower's view of bob's image after the download: %+v, want a path", m)
	}
	if got, _ := fol.md5Of(fmt.Sprintf("%q", m.Body.Path)); got != want {
		t.Errorf("the image's path %q in the follower's view: md5 %s, want %s", m.Body.Path, got, want)
	}
}

// TestMultiTabHandoverGap: the leader records a message in the shared
// cache but its event never reaches the other tab (its document is going:
// here its channel drops events). When it closes, the follower takes over;
// the new leader's sync does not bring the message again (the cache's
// cursor is past it), yet the tab's listeners get it, once.
func TestMultiTabHandoverGap(t *testing.T) {
	s := useShared(t)
	tok := users(t, s, "mt5alice", "mt5bob")
	bob := dialLogin(t, s, "mt5bob", tok["mt5bob"])
	// The leader, tab 1, is a tab of tab 2's browser (closing the browser closes every tab).
	tab2 := newBrowser(t, "mt5alice tab 2")
	tab1 := tab2.newTab("mt5alice tab 1")
	for _, b := range []*browser{tab1, tab2} {
		b.open(pages.pageURL(s, false))
		b.login("mt5alice", tok["mt5alice"])
	}
	if r := tab1.tab(); r.Role != "leader" {
		t.Fatalf("tab 1: role %q, want leader", r.Role)
	}
	m1, m2 := tab1.mark(), tab2.mark()
	bob.sendText("mt5alice", "mt5-1", "before")
	tab2.waitRecv(m2, "before", 10*time.Second)
	tab1.exec(`(() => {
		const post = BroadcastChannel.prototype.postMessage;
		BroadcastChannel.prototype.postMessage = function (m) { if (m && m.t === 'event') return; return post.call(this, m); };
	})()`)
	bob.sendText("mt5alice", "mt5-2", "lost in the going tab")
	tab1.waitRecv(m1, "lost in the going tab", 10*time.Second)
	tab2.stays("no event of the message in tab 2 yet", fmt.Sprintf(`!window.events.slice(%d).some(e => e.kind === 'message' &&
		(e.ret.messages || []).some(m => m.body && m.body.text === 'lost in the going tab'))`, m2), 500*time.Millisecond)
	tab1.close()
	tab2.waitRecv(m2, "lost in the going tab", 15*time.Second)
	bob.sendText("mt5alice", "mt5-3", "after")
	tab2.waitRecv(m2, "after", 10*time.Second)
	if n := tab2.countRecv(m2); n["before"] != 1 || n["lost in the going tab"] != 1 || n["after"] != 1 {
		t.Errorf("tab 2: onRecvMessages brought %v, want each message once", n)
	}
	if r := tab2.tab(); r.Role != "leader" {
		t.Errorf("tab 2 after tab 1 closed: role %q, want leader", r.Role)
	}
}
