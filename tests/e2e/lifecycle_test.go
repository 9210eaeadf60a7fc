package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// dbDeletion is what deleteAllDatabases reports for one IndexedDB database.
type dbDeletion struct {
	Name    string `json:"name"`
	Blocked bool   `json:"blocked"`
	Error   string `json:"error"`
}

// trackIndexedDB makes the page count the IndexedDB connections it opens
// and closes (window.openDBs(): the names of those still open;
// window.whenNoOpenDBs(ms): waits for none to be open). The SDK's
// connections close themselves when another one deletes or upgrades their
// database, so a `blocked` event alone cannot show a leak; this can.
func (b *browser) trackIndexedDB() {
	b.t.Helper()
	b.exec(`if (!window.openDBs) {
		const live = new Set();
		const open = IDBFactory.prototype.open, close = IDBDatabase.prototype.close;
		IDBFactory.prototype.open = function () {
			const req = open.apply(this, arguments);
			req.addEventListener('success', () => {
				const db = req.result;
				live.add(db);
				db.addEventListener('close', () => { live.delete(db); settle(); }); // closed by the browser
			});
			return req;
		};
		IDBDatabase.prototype.close = function () { live.delete(this); settle(); return close.apply(this, arguments); };
		window.openDBs = () => [...live].map(db => db.name);
		// whenNoOpenDBs(ms) resolves to [] once no connection is open, or
		// to the names still open after ms.
		const waiters = [];
		function settle() { if (live.size === 0) waiters.splice(0).forEach(w => w()); }
		window.whenNoOpenDBs = ms => new Promise(res => {
			if (live.size === 0) return res([]);
			const t = setTimeout(() => res(openDBs()), ms);
			waiters.push(() => { clearTimeout(t); res([]); });
		});
	}`)
}

// deleteAllDatabases deletes every IndexedDB database of the page's origin
// and reports, per database, whether the deletion was blocked: a `blocked`
// event means a connection to it is still open (in this page: a leak).
func (b *browser) deleteAllDatabases() []dbDeletion {
	b.t.Helper()
	return eval[[]dbDeletion](b, `(async () => {
		const out = [];
		for (const d of await indexedDB.databases()) {
			out.push(await new Promise(resolve => {
				const req = indexedDB.deleteDatabase(d.name);
				req.onblocked = () => resolve({name: d.name, blocked: true});
				req.onsuccess = () => resolve({name: d.name, blocked: false});
				req.onerror = () => resolve({name: d.name, blocked: false, error: String(req.error)});
			}));
		}
		return out;
	})()`)
}

// TestConcurrentLogins: two login() calls at once from one page, for the
// same account and for two accounts: exactly one run survives (one callback
// ok, the other err), isLogined and currentAccount agree with it, the server
// sees exactly one web client of the winner (none of the loser), and after
// logout the page's databases delete without a `blocked` event (nothing of
// either run is left open).
func TestConcurrentLogins(t *testing.T) {
	s := useShared(t)
	tok := users(t, s, "t15alice", "t15carol")
	b := newBrowser(t, "t15 page")
	b.open(pages.pageURL(s, false))
	b.trackIndexedDB()

	// The second login starts in the same tick as the first, once the
	// first reached a login step (1 connecting, 4 logging in: its login
	// request is at the server), or (at -1) right after the first's ok: then
	// both succeed and the second replaces the first.
	type round struct {
		name          string
		first, second string
		at            int
	}
	var rounds []round
	for _, at := range []int{0, 1, 4, -1} {
		rounds = append(rounds,
			round{fmt.Sprintf("same account, second at step %d", at), "t15alice", "t15alice", at},
			round{fmt.Sprintf("two accounts, second at step %d", at), "t15alice", "t15carol", at})
	}
	for _, round := range rounds {
		mark := b.mark()
		// The page's listener records events with events.push: hooking it
		// starts the second login inside the listener call of the step, so
		// before the first login can go on.
		results := eval[[]callResult](b, fmt.Sprintf(`(async () => {
			const at = %d, a = {account: %q, token: %q}, b = {account: %q, token: %q};
			let second = null;
			const startSecond = () => { if (!second) { delete events.push; second = call('login', b, 30000); } };
			if (at > 0) events.push = function (e) {
				const n = Array.prototype.push.apply(this, arguments);
				if (e.kind === 'account' && e.ret && e.ret.eventType === 'login' && e.ret.step >= at) startSecond();
				return n;
			};
			const first = call('login', a, 30000);
			if (at === 0) startSecond();
			first.then(startSecond);
			const r1 = await first;
			return [r1, await second];
		})()`, round.at, round.first, tok[round.first], round.second, tok[round.second]))
		var winner, loser string
		if round.at < 0 {
			for _, r := range results {
				if r.method = "login"; r.failed() || !r.status() {
					t.Fatalf("%s: %v, want both logins ok (one after the other)", round.name, results)
				}
			}
			winner, loser = round.second, round.first
			results = nil
		}
		for i, r := range results {
			r.method = "login"
			acct := []string{round.first, round.second}[i]
			switch {
			case r.Timeout || r.Missing || r.Thrown != "":
				t.Fatalf("%s: login #%d (%s): %v", round.name, i+1, acct, r)
			case r.Err == nil && r.status():
				if winner != "" {
					t.Errorf("%s: both logins succeeded (%v), want exactly one", round.name, results)
				}
				winner = acct
			case r.Err != nil && !r.status():
				loser = acct
				t.Logf("%s: login #%d (%s) lost: %v", round.name, i+1, acct, r)
			default:
				t.Errorf("%s: login #%d (%s): %v, want either ret.status true or err", round.name, i+1, acct, r)
			}
		}
		if winner == "" || loser == "" {
			t.Fatalf("%s: results %+v, want one ok and one err", round.name, results)
		}
		if r := b.mustCall("isLogined", nil); !r.status() {
			t.Errorf("%s: isLogined after the winner's ok: %v, want true", round.name, r)
		}
		if r := b.mustCall("currentAccount", nil); !jsonHas(r.Ret, "userID", winner) {
			t.Errorf("%s: currentAccount %s, want the winner %s", round.name, r.Ret, winner)
		}
		b.waitStep(mark, 8, 20*time.Second)

		// The server sees exactly the winning run (another device's login
		// lists it), and nothing of the losing one.
		waitWebClients(t, s, winner, tok[winner], 1, 10*time.Second)
		if loser != winner {
			waitWebClients(t, s, loser, tok[loser], 0, 10*time.Second)
		}

		b.logout()
		if r := b.mustCall("isLogined", nil); r.status() {
			t.Errorf("%s: isLogined after logout: %v, want false", round.name, r)
		}
		waitWebClients(t, s, winner, tok[winner], 0, 10*time.Second)
		// The tabs' own store opens per use (the logout count is written
		// as the logout ends): a connection still open a moment after the
		// logout may be that write finishing; one open for seconds leaked.
		if open := eval[[]string](b, `whenNoOpenDBs(5000)`); len(open) > 0 {
			t.Errorf("%s: 5 s after logout the page still has IndexedDB connections open to %q (leaked)", round.name, open)
		}
		dels := b.deleteAllDatabases()
		for _, d := range dels {
			if d.Blocked || d.Error != "" {
				t.Errorf("%s: deleting IndexedDB %q after logout: blocked %v, error %q (a connection leaked)", round.name, d.Name, d.Blocked, d.Error)
			}
		}
		if !slices.ContainsFunc(dels, func(d dbDeletion) bool { return strings.HasSuffix(d.Name, "-"+winner) }) {
			t.Errorf("%s: the page's databases %+v do not include the winner's cache", round.name, dels)
		}
		if t.Failed() {
			return
		}
	}

	// After all that the page logs in normally.
	b.login("t15alice", tok["t15alice"])
}

// TestLoginCacheWriteFails: on a fresh profile, the page makes every
// IndexedDB put throw before login: the login fails with err, and the SDK
// is left logged out with nothing running. With put restored, the same page
// logs in and receives.
func TestLoginCacheWriteFails(t *testing.T) {
	s := useShared(t)
	tok := users(t, s, "t16alice", "t16bob")
	bob := dialLogin(t, s, "t16bob", tok["t16bob"])
	bob.sendText("t16alice", "t16-before", "before the failed login")

	b := newBrowser(t, "t16alice")
	b.open(pages.pageURL(s, false))
	b.exec(`window.realPut = IDBObjectStore.prototype.put;
		window.failedPuts = 0;
		IDBObjectStore.prototype.put = function () { failedPuts++; throw new DOMException('e2e: this put fails', 'QuotaExceededError'); }`)
	mark := b.mark()
	r := b.callWithin(30*time.Second, "login", `{account: 't16alice', token: '`+tok["t16alice"]+`'}`)
	if r.Timeout || r.Missing || r.Thrown != "" {
		t.Fatalf("login with failing cache writes: %v, want an err", r)
	}
	if r.Err == nil || r.status() {
		t.Fatalf("login with failing cache writes: %v, want ret.status false and err", r)
	}
	t.Logf("login with failing cache writes: %v (after %d failed puts)", r, eval[int](b, "window.failedPuts"))
	if eval[int](b, "window.failedPuts") == 0 {
		t.Errorf("the login failed without trying to write the cache: %v", r)
	}
	if r := b.mustCall("isLogined", nil); r.status() {
		t.Errorf("isLogined after the failed login: %v, want false", r)
	}
	if r := b.mustCall("currentAccount", nil); jsonHas(r.Ret, "userID", "t16alice") {
		t.Errorf("currentAccount after the failed login: %s, want no account", r.Ret)
	}
	// Nothing keeps running: the server lets go of the failed run's connection.
	waitWebClients(t, s, "t16alice", tok["t16alice"], 0, 10*time.Second)
	if r := b.call("sendText", map[string]any{"sessionId": "t16bob", "chatType": 0, "text": "x"}); r.Err == nil {
		t.Errorf("sendText after the failed login: %v, want an err (not logged in)", r)
	}
	t.Logf("login steps of the failed login: %v", b.loginSteps(mark))

	b.exec(`IDBObjectStore.prototype.put = window.realPut`)
	mark = b.mark()
	b.login("t16alice", tok["t16alice"])
	b.waitFor("bob's earlier message in messagesInSession", `call('messagesInSession', {sessionId: 't16bob', chatType: 0, limit: 100}).then(r =>
		r.ret && (r.ret.messages || []).some(m => m.body.text === 'before the failed login'))`, 10*time.Second)
	bob.sendText("t16alice", "t16-after", "after the good login")
	b.waitRecv(mark, "after the good login", 10*time.Second)
	if h := b.history("t16bob"); countText(h, "before the failed login") != 1 || countText(h, "after the good login") != 1 {
		t.Errorf("messagesInSession after the good login: %v, want each message once", texts(h))
	}
	if r := b.mustCall("isLogined", nil); !r.status() {
		t.Errorf("isLogined after the good login: %v, want true", r)
	}
}
