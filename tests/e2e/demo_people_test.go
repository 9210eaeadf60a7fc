package e2e

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
)

// The demo's issue-7 features, used through its UI as a person would: the
// profile page (edit your own, with the SDK's 414 shown; others' with chat,
// friend, block and mute actions), the contacts tab (add a friend with a
// message or directly, search), the inbox (a friend request accepted from
// its Accept button, a request renewed by a second one, then rejected,
// the unread badge, Clear) and, in the chat list, a
// muted chat's grey count, the sender's nickname on messages, a message
// refused by the receiver's blacklist, and a custom notification from the
// REST API as a toast.

// sdk calls yunxinIM.method(params, callback) on the demo page and returns
// ret and err (params "" calls method(callback)).
func (u ui) sdk(method, params string) callResult {
	u.t.Helper()
	args := "cb"
	if params != "" {
		args = params + ", cb"
	}
	r, err := evalAs[callResult](u.browser, fmt.Sprintf(`new Promise(res => { const cb = (ret, err) => res({ret: ret === undefined ? null : ret, err: err || null});
		yunxinIM[%q](%s); })`, method, args), 15*time.Second)
	if err != nil {
		u.t.Fatalf("%s: yunxinIM.%s(%s): %v", u.name, method, params, err)
	}
	r.method = method
	return r
}

// text returns the textContent of sel ("" when there is none).
func (u ui) text(sel string) string {
	u.t.Helper()
	return eval[string](u.browser, fmt.Sprintf(`(document.querySelector(%q) || {}).textContent || ''`, sel))
}

// waitText waits until the textContent of sel contains want.
func (u ui) waitText(what, sel, want string, timeout time.Duration) {
	u.t.Helper()
	u.waitFor(what, fmt.Sprintf(`((document.querySelector(%q) || {}).textContent || '').includes(%q)`, sel, want), timeout)
}

// visible is the JS condition "sel exists and is shown".
func visible(sel string) string {
	return fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && !e.closest('[hidden]') && e.getClientRects().length > 0; })()`, sel)
}

func personSel(list, id string) string {
	return fmt.Sprintf(`#%s .person[data-user-id=%q]`, list, id)
}

func TestDemoPeople(t *testing.T) {
	s := useShared(t)
	const a, b, c = "t7dalice", "t7dbob", "t7dcarol"
	tok := users(t, s, a, b, c)
	alice, bob := ui{newBrowser(t, a+" (demo)")}, ui{newBrowser(t, b+" (demo)")}
	alice.roomy()
	bob.roomy()
	for _, u := range []struct {
		ui
		id string
	}{{alice, a}, {bob, b}} {
		u.loginUI(s, u.id, tok[u.id])
		u.waitFor("the sync done (status online)", `document.querySelector('#status').textContent === 'online'`, 15*time.Second)
	}

	// bob has a picture (the server's own icon) as his avatar.
	avatarURL := s.URL() + "/favicon.svg"
	if r := bob.sdk("updateMyUserInfo", fmt.Sprintf(`{userInfo: {nickName: 'Bob B', avatar: %q}}`, avatarURL)); r.failed() {
		t.Fatalf("bob's profile: %v", r)
	}

	// ---- alice edits her profile; a bad email shows the SDK's 414 ----
	alice.click("#me")
	alice.waitFor("alice's own profile with its form", visible("#profileForm")+` && document.querySelector('#profileId').textContent === 't7dalice' &&
		document.querySelector('#profileView').dataset.loaded === 'true'`, 10*time.Second)
	alice.type_("#pfNick", "Alice A")
	alice.type_("#pfEmail", "not-an-email")
	alice.click("#pfSave")
	alice.waitText("the 414 naming email in #profileError", "#profileError", "(414)", 10*time.Second)
	if e := alice.text("#profileError"); !strings.Contains(e, "email") {
		t.Errorf("the profile error %q does not name the email", e)
	}
	t.Logf("bad email: %q", alice.text("#profileError"))
	alice.type_("#pfEmail", "alice@example.com")
	alice.type_("#pfSign", "Tea, maps and long walks")
	alice.type_("#pfBirth", "1990-05-01")
	alice.type_("#pfMobile", "+86 138-0000-0000")
	alice.exec(`document.querySelector('#pfGender').value = '2'`)
	alice.click("#pfSave")
	alice.waitText("'Saved'", "#profileNote", "Saved", 10*time.Second)
	if e := alice.text("#profileError"); e != "" {
		t.Errorf("after a good save #profileError says %q", e)
	}
	alice.waitText("the header showing alice's new nickname", "#me", "Alice A", 10*time.Second)
	alice.waitText("the profile page showing it", "#profileName", "Alice A", 10*time.Second)
	var mine struct {
		User struct {
			UserInfo struct {
				NickName string `json:"nickName"`
				Email    string `json:"email"`
				Gender   int    `json:"gender"`
				Birth    string `json:"birth"`
				Mobile   string `json:"mobile"`
				Sign     string `json:"sign"`
			} `json:"userInfo"`
		} `json:"user"`
	}
	json.Unmarshal(alice.sdk("localUserInfo", `{userId: 't7dalice'}`).Ret, &mine)
	if got := mine.User.UserInfo; got.NickName != "Alice A" || got.Email != "alice@example.com" || got.Gender != 2 || got.Birth != "1990-05-01" ||
		got.Mobile != "+86 138-0000-0000" || got.Sign != "Tea, maps and long walks" {
		t.Errorf("alice's profile after the save: %+v", got)
	}
	alice.screenshot("demo-people-profile-edit.png")

	// ---- alice asks bob to be her friend, with a message; adds carol directly ----
	alice.click("#tabContacts")
	alice.waitFor("the contacts tab", visible("#addFriendForm"), 5*time.Second)
	alice.type_("#friendId", b)
	alice.type_("#friendMessage", "Hi Bob, it's Alice from the trip")
	alice.click("#addFriend")
	alice.waitText("'Request sent'", "#friendNote", "Request sent to "+b, 10*time.Second)
	alice.type_("#friendId", c)
	alice.click("#friendDirect")
	alice.click("#addFriend")
	alice.waitText("carol added directly", "#friendNote", c+" is now your friend", 10*time.Second)
	alice.waitFor("carol in alice's friends", visible(personSel("friends", c)), 10*time.Second)

	// ---- bob: the badge, the inbox with the pending request, Accept ----
	bob.waitFor("bob's inbox badge at 1", `(() => { const b = document.querySelector('#inboxBadge'); return !b.hidden && b.textContent === '1'; })()`, 10*time.Second)
	bob.waitFor("a toast about alice's request", `[...document.querySelectorAll('#toasts .toast.system')].some(t => t.textContent.includes('wants to be your friend'))`, 5*time.Second)
	bob.click("#tabInbox")
	pending := `#notifications .notice[data-state="pending"]`
	bob.waitFor("alice's request in bob's inbox, pending", visible(pending+" .accept"), 10*time.Second)
	if txt := bob.text(pending); !strings.Contains(txt, "Alice A") || !strings.Contains(txt, "wants to be your friend") || !strings.Contains(txt, "Hi Bob, it's Alice from the trip") {
		t.Errorf("the pending request reads %q; want alice's nickname, 'wants to be your friend' and her message", txt)
	}
	bob.waitFor("the badge gone (the inbox opened marks all read)", `document.querySelector('#inboxBadge').hidden`, 10*time.Second)
	bob.waitFor("unread count 0 in the SDK", `new Promise(r => yunxinIM.allNotificationsUnreadCount(ret => r(ret && ret.unreadCount === 0)))`, 10*time.Second)
	bob.screenshot("demo-people-inbox-pending.png")
	bob.click(pending + " .accept")
	bob.waitFor("the request shown accepted", `(() => { const n = document.querySelector('#notifications .notice[data-type="5"][data-state]');
		return n && n.dataset.state === 'accepted' && n.querySelector('.state').textContent === 'Accepted' && !n.querySelector('button'); })()`, 10*time.Second)
	bob.click("#tabContacts")
	bob.waitFor("alice in bob's friends by her nickname", fmt.Sprintf(`((document.querySelector(%q) || {}).textContent || '').includes('Alice A')`, personSel("friends", a)), 10*time.Second)

	// alice: bob joins her friend list live, with his nickname and picture;
	// her inbox gets "accepted your friend request".
	alice.waitFor("bob in alice's friends, live, with his picture", fmt.Sprintf(`(() => { const p = document.querySelector(%q);
		return p && p.textContent.includes('Bob B') && p.querySelector('.avatar.has-image img'); })()`, personSel("friends", b)), 15*time.Second)
	if n := eval[string](alice.browser, fmt.Sprintf(`document.querySelector(%q).textContent`, personSel("friends", c)+" .avatar")); n != "T" {
		t.Errorf("carol (no nickname, no picture) shows the avatar %q; want her initial T", n)
	}
	alice.waitFor("alice's inbox badge for the acceptance", `!document.querySelector('#inboxBadge').hidden`, 10*time.Second)

	// ---- alice searches everyone, opens bob's profile from the results ----
	alice.type_("#searchText", "7dbo")
	alice.click("#search")
	alice.waitFor("bob in the search results", visible(personSel("searchResults", b)), 10*time.Second)
	if txt := alice.text(personSel("searchResults", b)); !strings.Contains(txt, "Friend") {
		t.Errorf("bob's search result %q is not marked Friend", txt)
	}
	alice.click(personSel("searchResults", b))
	alice.waitFor("bob's profile, as a friend", visible("#profileActions .unfriend")+` && document.querySelector('#profileName').textContent === 'Bob B' &&
		document.querySelector('#profileTags').textContent.includes('Friend')`, 10*time.Second)
	alice.screenshot("demo-people-contacts.png")

	// ---- bob mutes alice; her messages then count in grey ----
	bob.click(personSel("friends", a))
	bob.waitFor("alice's profile in bob's demo", visible("#profileActions .mute"), 10*time.Second)
	bob.click("#profileActions .mute")
	bob.waitFor("alice muted", visible("#profileActions .unmute")+` && document.querySelector('#profileTags').textContent.includes('Muted')`, 10*time.Second)
	bob.waitFor("isMute true in the SDK", `new Promise(r => yunxinIM.isMute({userId: 't7dalice'}, ret => r(ret && ret.isMute === true)))`, 5*time.Second)
	bob.click("#tabChats")

	alice.click("#profileActions .chat")
	alice.waitFor("the chat with bob opened from his profile", `document.querySelector('#peerName').textContent === 'Bob B' && `+visible("#conversation"), 10*time.Second)
	for _, text := range []string{"hello Bob", "are we still on for Sunday?"} {
		alice.type_("#text", text)
		alice.click("#send")
		alice.waitFor("'"+text+"' sent", fmt.Sprintf(`[...document.querySelectorAll('#messages .msg.out')].some(m => m.querySelector('.text').textContent === %q && m.querySelector('.tick').textContent.startsWith('✓'))`, text), 10*time.Second)
	}
	sess := fmt.Sprintf(`#sessions li.session[data-session-id=%q]`, a)
	bob.waitFor("alice's chat in bob's list, muted, 2 unread in grey", fmt.Sprintf(`(() => { const s = document.querySelector(%q); if (!s) return false;
		const u = s.querySelector('.unread');
		return s.classList.contains('muted') && u.classList.contains('muted') && !u.hidden && u.textContent === '2' && !!s.querySelector('.name .muted-icon'); })()`, sess), 10*time.Second)
	if bg := eval[string](bob.browser, fmt.Sprintf(`getComputedStyle(document.querySelector(%q + ' .unread')).backgroundColor`, sess)); bg == "rgb(224, 49, 49)" {
		t.Errorf("the muted chat's count is red (%s); want grey", bg)
	}
	if name := bob.text(sess + " .name"); name != "Alice A" {
		t.Errorf("bob's chat list names alice %q; want her nickname", name)
	}
	bob.screenshot("demo-people-muted-chat.png")

	// bob opens it: alice's messages carry her nickname (senderName).
	bob.click(sess)
	bob.waitFor("alice's message with her nickname above it", `[...document.querySelectorAll('#messages .msg.in')].some(m => m.querySelector('.text').textContent === 'hello Bob' &&
		(m.querySelector('.sender') || {}).textContent === 'Alice A')`, 10*time.Second)
	if !eval[bool](bob.browser, visible("#peerMuted")) {
		t.Errorf("the conversation header does not show that alice is muted")
	}

	// ---- bob blocks alice: her next message is refused (7101) ----
	bob.click("#peerProfile")
	bob.waitFor("alice's profile from the chat header", visible("#profileActions .block"), 10*time.Second)
	bob.click("#profileActions .block")
	bob.waitFor("alice blocked", visible("#profileActions .unblock")+` && document.querySelector('#profileTags').textContent.includes('Blocked')`, 10*time.Second)
	alice.type_("#text", "hello? are you there")
	alice.click("#send")
	refused := `[...document.querySelectorAll('#messages .msg.out.failed')].find(m => m.querySelector('.text').textContent === 'hello? are you there')`
	alice.waitFor("alice's message refused: 'blocked by the receiver' and Retry", fmt.Sprintf(`(() => { const m = %s;
		return m && (m.querySelector('.meta .blocked') || {}).textContent === 'blocked by the receiver' && !!m.querySelector('.retry'); })()`, refused), 10*time.Second)
	alice.waitText("#chatError saying so", "#chatError", "blocked by the receiver", 5*time.Second)
	if v := eval[string](alice.browser, `document.querySelector('#text').value`); v != "" {
		t.Errorf("the refused message's text is back in the message box (%q); it stays as the failed message, with Retry", v)
	}
	t.Logf("refused: %q", alice.text("#chatError"))
	alice.screenshot("demo-people-blocked.png")
	bob.click("#profileActions .unblock")
	bob.waitFor("alice unblocked", visible("#profileActions .block"), 10*time.Second)
	alice.exec(fmt.Sprintf(`%s.querySelector('.retry').click()`, refused))
	bob.click("#profileBack")
	bob.waitFor("the retried message delivered to bob", `[...document.querySelectorAll('#messages .msg.in .text')].some(e => e.textContent === 'hello? are you there')`, 15*time.Second)

	// ---- bob changes his nickname: alice's list and header follow, live ----
	if r := bob.sdk("updateMyUserInfo", `{userInfo: {nickName: 'Bobby'}}`); r.failed() {
		t.Fatalf("bob's new nickname: %v", r)
	}
	alice.waitFor("alice's header and chat list say Bobby", fmt.Sprintf(`document.querySelector('#peerName').textContent === 'Bobby' &&
		document.querySelector('#sessions li.session[data-session-id=%q] .name').textContent === 'Bobby'`, b), 15*time.Second)

	// ---- a custom notification from the REST API: a toast ----
	if code, r := rest(t, s, "msg/sendAttachMsg.action", appSecret, url.Values{"from": {c}, "msgtype": {"0"}, "to": {b},
		"attach": {`{"kind":"promo","text":"Your parcel is on its way"}`}, "save": {"1"}}); code != 200 || r.Code != 200 {
		t.Fatalf("msg/sendAttachMsg: HTTP %d %+v", code, r)
	}
	bob.waitFor("the custom notification's toast", `[...document.querySelectorAll('#toasts .toast.custom')].some(t => t.textContent.includes('Your parcel is on its way') && t.textContent.includes('t7dcarol'))`, 10*time.Second)

	// ---- carol asks twice (through the REST API): the second request
	// renews the first (one notification, the new postscript); bob rejects it ----
	for _, msg := range []string{"first try", "second try"} {
		if code, r := rest(t, s, "friend/add.action", appSecret, url.Values{"accid": {c}, "faccid": {b}, "type": {"2"}, "msg": {msg}}); code != 200 || r.Code != 200 {
			t.Fatalf("friend/add %q: HTTP %d %+v", msg, code, r)
		}
	}
	bob.click("#tabInbox")
	carolNote := func(ps string) string {
		return fmt.Sprintf(`[...document.querySelectorAll('#notifications .notice[data-state]')].find(n => n.querySelector('.ps') && n.querySelector('.ps').textContent.includes(%q))`, ps)
	}
	bob.waitFor("carol's request renewed: one pending notice with the second postscript", fmt.Sprintf(`(() => { const a = %s, b = %s;
		return !a && b && b.dataset.state === 'pending' && !!b.querySelector('.reject'); })()`, carolNote("first try"), carolNote("second try")), 10*time.Second)
	bob.exec(carolNote("second try") + `.querySelector('.reject').click()`)
	bob.waitFor("carol's request rejected", fmt.Sprintf(`(() => { const n = %s; return n && n.dataset.state === 'rejected' && n.querySelector('.state').textContent === 'Rejected'; })()`, carolNote("second try")), 10*time.Second)
	if r := bob.sdk("isMyFriend", `{userId: 't7dcarol'}`); r.failed() || !strings.Contains(string(r.Ret), `"isFriend":false`) {
		t.Errorf("after rejecting carol: %v", r)
	}

	// After a reload bob's demo shows the same: alice a muted friend by her
	// nickname, the requests as answered.
	bob.reloadDemo()
	bob.waitFor("bob back, online, alice's chat muted and named", fmt.Sprintf(`window.yunxinIM && document.querySelector('#status').textContent === 'online' &&
		(() => { const s = document.querySelector(%q); return s && s.classList.contains('muted') && s.querySelector('.name').textContent === 'Alice A'; })()`, sess), 30*time.Second)
	bob.click("#tabInbox")
	bob.waitFor("the inbox as it was: alice's request accepted, carol's rejected", `(() => {
		const st = [...document.querySelectorAll('#notifications .notice[data-state]')].map(n => n.dataset.state).sort().join(',');
		return st === 'accepted,rejected'; })()`, 10*time.Second)
	bob.screenshot("demo-people-inbox-handled.png")
	bob.click("#tabContacts")
	bob.waitFor("alice in bob's friends after the reload", visible(personSel("friends", a)), 10*time.Second)

	// ---- alice clears her inbox ----
	alice.click("#tabInbox")
	alice.waitFor("the acceptance in alice's inbox", `[...document.querySelectorAll('#notifications .notice')].some(n => n.textContent.includes('accepted your friend request'))`, 10*time.Second)
	alice.click("#inboxClear")
	alice.click("#inboxClear")
	alice.waitFor("alice's inbox empty", `document.querySelectorAll('#notifications .notice').length === 0 && `+visible("#noNotifications"), 10*time.Second)
	alice.waitFor("and empty in the SDK", `new Promise(r => yunxinIM.fetchSystemNotifications({limit: 100}, ret => r(ret && ret.notifications && ret.notifications.length === 0)))`, 10*time.Second)

	// ---- bob deletes alice as a friend: gone from both lists ----
	bob.click("#tabContacts")
	bob.click(personSel("friends", a))
	bob.waitFor("alice's profile with Delete friend", visible("#profileActions .unfriend"), 10*time.Second)
	bob.click("#profileActions .unfriend")
	bob.click("#profileActions .unfriend")
	bob.waitFor("Add friend instead of Delete", visible("#profileActions .befriend"), 10*time.Second)
	bob.waitFor("alice gone from bob's friends", `!document.querySelector('#friends .person[data-user-id="t7dalice"]')`, 10*time.Second)
	alice.click("#tabContacts")
	alice.waitFor("bob gone from alice's friends, live", `!document.querySelector('#friends .person[data-user-id="t7dbob"]') && !!document.querySelector('#friends .person[data-user-id="t7dcarol"]')`, 10*time.Second)

	for _, u := range []ui{alice, bob} {
		if l := u.consoleLine("Uncaught", "TypeError", "ReferenceError"); l != "" {
			t.Errorf("%s: a script error on the console: %s", u.name, l)
		}
	}
}
