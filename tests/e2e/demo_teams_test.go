package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// The demo's teams (issue 8), used through its UI by three people in three
// browsers: alice creates an advanced team that needs approval with her
// friend bob ticked (an invitation: he accepts in his inbox), carol applies
// by the team id (alice approves in her inbox); they chat (each message
// reaches every member once, with the sender's name, and the team's
// notification messages show as grey lines); alice makes bob a manager,
// mutes carol (whose send then shows the 812), renames the team (everyone
// sees the new name live; carol's edit is refused with an 802 toast),
// removes carol and invites her back from the team page (she rejects it);
// bob turns the team's alerts off and leaves; alice dismisses the team.

func memberSel(id string) string { return fmt.Sprintf(`#teamMembers .member[data-user-id=%q]`, id) }

// noteLines is the JS expression of the texts of the team notification
// lines in the open conversation.
const noteLines = `[...document.querySelectorAll('#messages .msg.kind-notification .text')].map(e => e.textContent)`

// countMsg is the JS expression counting the messages of the open
// conversation whose text is text.
func countMsg(text string) string {
	return fmt.Sprintf(`[...document.querySelectorAll('#messages .msg .text')].filter(e => e.textContent === %q).length`, text)
}

func TestDemoTeams(t *testing.T) {
	s := useShared(t)
	const a, b, c = "t8dalice", "t8dbob", "t8dcarol"
	tok := users(t, s, a, b, c)
	alice, bob, carol := ui{newBrowser(t, a+" (demo)")}, ui{newBrowser(t, b+" (demo)")}, ui{newBrowser(t, c+" (demo)")}
	for _, u := range []struct {
		ui
		id, nick string
	}{{alice, a, "Alice"}, {bob, b, "Bob"}, {carol, c, "Carol"}} {
		u.roomy()
		u.loginUI(s, u.id, tok[u.id])
		u.waitFor("the sync done (status online)", `document.querySelector('#status').textContent === 'online'`, 15*time.Second)
		if r := u.sdk("updateMyUserInfo", fmt.Sprintf(`{userInfo: {nickName: %q}}`, u.nick)); r.failed() {
			t.Fatalf("%s's nickname: %v", u.id, r)
		}
	}

	// ---- alice creates an advanced team that needs approval, bob (her friend) ticked ----
	if r := alice.sdk("requestFriend", `{userId: 't8dbob', operation: 1}`); r.failed() {
		t.Fatalf("alice befriends bob: %v", r)
	}
	alice.click("#tabTeams")
	alice.waitFor("the Teams tab", visible("#createTeamForm"), 5*time.Second)
	pick := `#teamPick input[value="t8dbob"]`
	alice.waitFor("bob in the friends picker", visible(pick)+` && document.querySelector('#teamPick').textContent.includes('Bob')`, 10*time.Second)
	alice.type_("#teamNameNew", "Hikers")
	alice.exec(`document.querySelector('#teamTypeNew').value = '1'; document.querySelector('#teamJoinNew').value = '1'`)
	alice.click(pick)
	alice.click("#createTeam")
	alice.waitFor("the new team's chat open", `document.querySelector('#peerName').textContent === 'Hikers' && `+visible("#teamInfo")+
		` && !!document.querySelector('#sessions li.session.active')`, 15*time.Second)
	tid := eval[string](alice.browser, `document.querySelector('#sessions li.session.active').dataset.sessionId`)
	if tid == "" {
		t.Fatal("no team id on the team's session")
	}
	t.Logf("team id %s", tid)
	teamItem := fmt.Sprintf(`#teamList .team-item[data-team-id=%q]`, tid)
	session := fmt.Sprintf(`#sessions li.session[data-session-id=%q]`, tid)

	if n := alice.text("#createTeamNote"); !strings.Contains(n, "invitations sent to 1") {
		t.Errorf("the create note says %q; want the invitation to bob", n)
	}
	alice.click("#teamInfo")
	alice.waitFor("the team page, alice the owner", visible("#teamView")+` && document.querySelector('#teamView').dataset.loaded === 'true' &&
		document.querySelector('#teamTitle').textContent === 'Hikers' && `+fmt.Sprintf(`(document.querySelector(%q) || {dataset: {}}).dataset.role === 'owner'`, memberSel(a)), 15*time.Second)

	// ---- bob accepts the invitation in his inbox ----

	bob.waitFor("bob's inbox badge", `!document.querySelector('#inboxBadge').hidden`, 15*time.Second)
	bob.click("#tabInbox")
	invite := `#notifications .notice[data-type="2"][data-state="pending"]`
	bob.waitFor("alice's invitation, pending", visible(invite+" .accept"), 10*time.Second)
	if txt := bob.text(invite); !strings.Contains(txt, "invites you to the team") || !strings.Contains(txt, "Hikers") && !strings.Contains(txt, tid) {
		t.Errorf("the invitation reads %q", txt)
	}
	bob.screenshot("issue8-inbox-invitation.png")
	bob.click(invite + " .accept")
	bob.waitFor("the invitation accepted", `(() => { const n = document.querySelector('#notifications .notice[data-type="2"]');
		return n && n.dataset.state === 'accepted' && !n.querySelector('button'); })()`, 10*time.Second)
	bob.click("#tabTeams")
	bob.waitFor("the team in bob's list", visible(teamItem)+fmt.Sprintf(` && document.querySelector(%q).textContent.includes('Hikers')`, teamItem), 15*time.Second)

	// ---- carol applies by the team id; alice approves in her inbox ----
	carol.click("#tabTeams")
	carol.type_("#applyTeamId", tid)
	carol.type_("#applyTeamMsg", "Can I come along?")
	carol.click("#applyTeam")
	carol.waitText("'Application sent'", "#applyNote", "Application sent", 10*time.Second)

	alice.waitFor("alice's inbox badge", `!document.querySelector('#inboxBadge').hidden`, 15*time.Second)
	alice.click("#tabInbox")
	apply := `#notifications .notice[data-type="0"][data-state="pending"]`
	alice.waitFor("carol's application, pending", visible(apply+" .accept"), 10*time.Second)
	if txt := alice.text(apply); !strings.Contains(txt, "asks to join the team") || !strings.Contains(txt, "Can I come along?") {
		t.Errorf("the application reads %q", txt)
	}
	alice.click(apply + " .accept")
	alice.waitFor("the application accepted", `(() => { const n = document.querySelector('#notifications .notice[data-type="0"]');
		return n && n.dataset.state === 'accepted' && !n.querySelector('button'); })()`, 10*time.Second)
	carol.waitFor("the team in carol's list, live", visible(teamItem), 15*time.Second)

	// ---- they chat: each message once on every member's screen ----
	for _, u := range []ui{alice, bob, carol} {
		u.click("#tabChats")
		u.waitFor("the team's session", visible(session), 15*time.Second)
		u.click(session)
		u.waitFor("the team chat open", `document.querySelector('#peerName').textContent === 'Hikers' && `+visible("#text"), 10*time.Second)
	}
	alice.type_("#text", "Welcome, both of you!")
	alice.click("#send")
	bob.waitFor("alice's message at bob's, with her name", `[...document.querySelectorAll('#messages .msg.in')].some(m => m.querySelector('.text').textContent === 'Welcome, both of you!' &&
		(m.querySelector('.sender') || {}).textContent === 'Alice')`, 15*time.Second)
	carol.waitFor("alice's message at carol's", countMsg("Welcome, both of you!")+" === 1", 15*time.Second)
	bob.type_("#text", "Thanks! Sunday?")
	bob.click("#send")
	alice.waitFor("bob's reply at alice's, with his name", `[...document.querySelectorAll('#messages .msg.in')].some(m => m.querySelector('.text').textContent === 'Thanks! Sunday?' &&
		(m.querySelector('.sender') || {}).textContent === 'Bob')`, 15*time.Second)
	carol.waitFor("bob's reply at carol's", countMsg("Thanks! Sunday?")+" === 1", 15*time.Second)
	alice.waitFor("the joins as grey lines at alice's", fmt.Sprintf(`(() => { const l = %s; return l.some(x => x === 'Bob joined the team') && l.some(x => x === 'You approved Carol joining'); })()`, noteLines), 10*time.Second)
	for _, u := range []ui{alice, bob, carol} {
		for _, m := range []string{"Welcome, both of you!", "Thanks! Sunday?"} {
			if n := eval[int](u.browser, countMsg(m)); n != 1 {
				t.Errorf("%s shows %q %d times", u.name, m, n)
			}
		}
	}
	alice.screenshot("issue8-chat.png")

	// ---- alice makes bob a manager, mutes carol ----
	alice.click("#teamInfo")
	alice.waitFor("bob and carol on the team page", visible(memberSel(b)+" .manager")+" && "+visible(memberSel(c)+" .mute-member"), 15*time.Second)
	alice.click(memberSel(b) + " .manager")
	alice.waitFor("bob a manager", fmt.Sprintf(`(() => { const m = document.querySelector(%q); return m && m.dataset.role === 'manager' && m.querySelector('.tag.manager'); })()`, memberSel(b)), 10*time.Second)
	bob.waitFor("the line at bob's", fmt.Sprintf(`%s.includes('Alice made you a manager')`, noteLines), 15*time.Second)
	alice.click(memberSel(c) + " .mute-member")
	alice.waitFor("carol muted", visible(memberSel(c)+" .tag.muted")+" && "+visible(memberSel(c)+" .unmute-member"), 10*time.Second)
	alice.screenshot("issue8-members.png")
	carol.waitFor("the line at carol's", fmt.Sprintf(`%s.includes('Alice muted you')`, noteLines), 15*time.Second)
	carol.type_("#text", "can I still talk?")
	carol.click("#send")
	carol.waitText("the 812 shown", "#chatError", "(812)", 10*time.Second)
	t.Logf("muted send: %q", carol.text("#chatError"))
	carol.screenshot("issue8-muted.png")
	if n := eval[int](bob.browser, countMsg("can I still talk?")); n != 0 {
		t.Errorf("carol's refused message reached bob")
	}

	// ---- alice renames the team: everyone sees it live ----
	alice.type_("#tfName", "Hikers Club")
	alice.type_("#tfAnnouncement", "Sunday 9:00 at the station")
	alice.click("#tfSave")
	alice.waitText("'Saved'", "#teamNote", "Saved", 10*time.Second)
	alice.waitFor("the new name on alice's team page", `document.querySelector('#teamTitle').textContent === 'Hikers Club' && document.querySelector('#teamAnnouncement').textContent.includes('Sunday 9:00')`, 10*time.Second)
	for _, u := range []ui{bob, carol} {
		u.waitFor("the new name in the header and the list, live", fmt.Sprintf(`document.querySelector('#peerName').textContent === 'Hikers Club' &&
			document.querySelector(%q).textContent === 'Hikers Club'`, session+" .name"), 15*time.Second)
		u.waitFor("the rename's line", fmt.Sprintf(`%s.includes('Alice changed the name to “Hikers Club”')`, noteLines), 10*time.Second)
	}
	bob.screenshot("issue8-renamed.png")

	// A normal member may not edit the info: the 802 is a toast.
	carol.click("#teamInfo")
	carol.waitFor("carol's team page", visible("#teamForm")+` && document.querySelector('#teamView').dataset.loaded === 'true'`, 10*time.Second)
	carol.type_("#tfIntro", "carol was here")
	carol.click("#tfSave")
	carol.waitFor("the 802 as a toast", `[...document.querySelectorAll('#toasts .toast')].some(t => t.textContent.includes('802'))`, 10*time.Second)

	// ---- alice removes carol ----
	alice.click(memberSel(c) + " .kick")
	alice.click(memberSel(c) + " .kick")
	alice.waitFor("carol gone from the members", `!document.querySelector(`+fmt.Sprintf("%q", memberSel(c))+`)`, 10*time.Second)
	carol.waitFor("carol's page says she is not a member", `document.querySelector('#teamTags').textContent.includes('Not a member')`, 15*time.Second)
	carol.click("#tabTeams")
	carol.waitFor("the team gone from carol's list", `!document.querySelector(`+fmt.Sprintf("%q", teamItem)+`)`, 10*time.Second)

	// alice invites carol back from the team page; carol rejects it.
	alice.type_("#teamInviteIds", c)
	alice.click("#teamInvite")
	alice.waitText("'Invitation sent'", "#teamNote", "Invitation sent to Carol", 10*time.Second)
	carol.click("#tabInbox")
	carol.waitFor("alice's invitation in carol's inbox", visible(invite+" .reject"), 15*time.Second)
	carol.click(invite + " .reject")
	carol.waitFor("the invitation rejected", `(() => { const n = document.querySelector('#notifications .notice[data-type="2"]');
		return n && n.dataset.state === 'rejected' && !n.querySelector('button'); })()`, 10*time.Second)
	if r := carol.sdk("isMyTeam", fmt.Sprintf(`{teamId: %q}`, tid)); !strings.Contains(string(r.Ret), `"isMyTeam":false`) {
		t.Errorf("carol after rejecting: isMyTeam %v", r)
	}

	// ---- bob turns the team's alerts off, then leaves ----
	bob.click("#teamInfo")
	bob.waitFor("bob's page with Leave", visible("#teamActions .leave")+" && "+visible("#teamNotify"), 10*time.Second)
	bob.exec(`(s => { s.value = '1'; s.dispatchEvent(new Event('change')); })(document.querySelector('#teamNotify'))`)
	bob.waitText("'No alerts'", "#teamNote", "No alerts from this team", 10*time.Second)
	bob.waitFor("notifyState 1 in the SDK", fmt.Sprintf(`new Promise(r => yunxinIM.fetchTeamNotifyState({teamId: %q}, ret => r(ret && ret.notifyState === 1)))`, tid), 10*time.Second)
	bob.waitFor("the team's chat shown muted in bob's list", fmt.Sprintf(`document.querySelector(%q).classList.contains('muted')`, session), 10*time.Second)
	bob.click("#teamActions .leave")
	bob.click("#teamActions .leave")
	bob.waitFor("bob's page says he is not a member", `document.querySelector('#teamTags').textContent.includes('Not a member')`, 15*time.Second)
	alice.waitFor("bob gone from alice's member list", `!document.querySelector(`+fmt.Sprintf("%q", memberSel(b))+`)`, 15*time.Second)
	alice.click("#teamActions .chat")
	alice.waitFor("the kick and the leave as lines", fmt.Sprintf(`(() => { const l = %s; return l.includes('You removed Carol from the team') && l.includes('Bob left'); })()`, noteLines), 15*time.Second)
	alice.screenshot("issue8-lines.png")

	// ---- alice dismisses the team ----
	alice.click("#teamInfo")
	alice.waitFor("alice's page with Dismiss", visible("#teamActions .dismiss"), 10*time.Second)
	alice.click("#teamActions .dismiss")
	alice.click("#teamActions .dismiss")
	alice.waitFor("alice's page says she is not a member", `document.querySelector('#teamTags').textContent.includes('Not a member')`, 15*time.Second)
	alice.click("#tabTeams")
	alice.waitFor("no teams left", visible("#noTeams"), 10*time.Second)
	alice.waitFor("isMyTeam false in the SDK", fmt.Sprintf(`new Promise(r => yunxinIM.isMyTeam({teamId: %q}, ret => r(ret && ret.isMyTeam === false)))`, tid), 10*time.Second)
	alice.screenshot("issue8-dismissed.png")

	for _, u := range []ui{alice, bob, carol} {
		if l := u.consoleLine("Uncaught", "TypeError", "ReferenceError"); l != "" {
			t.Errorf("%s: a script error on the console: %s", u.name, l)
		}
	}
}
