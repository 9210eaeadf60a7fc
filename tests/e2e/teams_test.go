package e2e

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"yunxin/internal/jx"
)

// The team group end to end (issue 8): the real server binary, the SDK in
// a real browser, one browser profile per account (two for an account
// with two devices). Each test shares its pages across its steps.

// TestTeamLifecycle: an advanced team from creation to dismissal, every
// team method's success path and the permission refusals, seen live by
// the other members (addTeamListen) and by a member who was offline at its
// next login:
//   - created with a member who joins at once (beInviteMode 1);
//   - non-member (804) and unknown team (803) refusals;
//   - join by application: rejected, then passed (applyStatus 2, the
//     owner's inbox, onTeamAdded, onTeamMemberChanged);
//   - a normal member's kick / managers / info update (updateInfoMode 0) /
//     dismiss / transfer / mute / invite refused with 802;
//   - join by invitation with consent (beInviteMode 0): rejected, then
//     accepted; the invitation's postscript and attach;
//   - managers, every info field and mode, nicknames, notify state, mutes;
//   - kick, transfer with isLeave, quit, a rejoin by invitation at once,
//     dismiss; an offline member sees the outcome at its next login.
func TestTeamLifecycle(t *testing.T) {
	s := useShared(t)
	tok := users(t, s, "e8own", "e8bob", "e8cat", "e8dan")
	own, bob, cat, dan := newBrowser(t, "e8own"), newBrowser(t, "e8bob"), newBrowser(t, "e8cat"), newBrowser(t, "e8dan")
	for _, b := range []*browser{own, bob, cat, dan} {
		b.open(pages.pageURL(s, false))
	}
	own.login("e8own", tok["e8own"])
	bob.login("e8bob", tok["e8bob"])
	cat.login("e8cat", tok["e8cat"])
	dan.login("e8dan", tok["e8dan"])

	// createTeam: an advanced team; bob joins at once (beInviteMode 1).
	mOwn, mBob := own.mark(), bob.mark()
	tid, failed := own.createTeam([]string{"e8bob"}, map[string]any{
		"name": "E8 Team", "type": 1, "intro": "an e2e team", "announcement": "welcome",
		"clientCustomInfo": `{"c":1}`, "icon": "https://example.com/e8.png", "postscript": "come in",
		"joinMode": 1, "inviteMode": 0, "beInviteMode": 1, "updateInfoMode": 0, "updateClientCustomMode": 0,
		"maxMember": 50,
	})
	if len(failed) != 0 {
		t.Errorf("createTeam failedUserIds %v, want none", failed)
	}
	own.waitTeamEvent(mOwn, "onTeamAdded", teamOf(tid))
	bob.waitTeamEvent(mBob, "onTeamAdded", teamOf(tid))
	for _, b := range []*browser{own, bob} {
		tv := b.waitMyTeam(tid, "t.memberNumber === 2", 10*time.Second)
		want := teamView{TeamID: tid, TeamName: "E8 Team", AvatarURL: "https://example.com/e8.png", ThumbAvatarURL: "https://example.com/e8.png",
			Type: 1, Owner: "e8own", Intro: "an e2e team", Announcement: "welcome", MemberNumber: 2, Level: 50,
			CreateTime: tv.CreateTime, JoinMode: 1, BeInviteMode: 1, ClientCustomInfo: `{"c":1}`, IsMyTeam: true}
		if tv != want || tv.CreateTime == 0 {
			t.Errorf("%s: allMyTeams' team\n %+v\nwant\n %+v (and a createTime)", b.name, tv, want)
		}
		if !b.isMyTeam(tid) {
			t.Errorf("%s: isMyTeam false after createTeam", b.name)
		}
	}
	ms := own.members(tid)
	if got := accountsOf(ms); !slices.Equal(got, []string{"e8bob", "e8own"}) {
		t.Fatalf("own: fetchTeamMembers %v, want e8bob e8own", got)
	}
	if o, b := memberByID(ms, "e8own"), memberByID(ms, "e8bob"); o.Type != memberOwner || b.Type != memberNormal ||
		b.InviterAccid != "e8own" || b.CreateTime == 0 || b.TeamID != tid || b.IsMuted {
		t.Errorf("members %+v / %+v: want the owner type 1 and bob type 0 invited by e8own, with a createTime", *o, *b)
	}
	if m := own.teamMember(tid, "e8bob"); m == nil || m.Type != memberNormal || m.UserID != "e8bob" {
		t.Errorf("own: teamMember(bob) %+v, want bob's cached row", m)
	}
	if m := bob.members(tid); len(m) != 2 { // bob's device now follows the member list
		t.Errorf("bob: fetchTeamMembers %v, want 2 members", accountsOf(m))
	}

	step(t, "outsiders", func() {
		if cat.isMyTeam(tid) {
			t.Errorf("cat: isMyTeam true before joining")
		}
		expectCode(t, cat.call("fetchTeamMembers", map[string]any{"teamId": tid}), 804)
		expectCode(t, cat.call("updateTeamName", map[string]any{"teamId": tid, "teamName": "hijack"}), 804)
		expectCode(t, cat.call("quitTeam", map[string]any{"teamId": tid}), 804)
		expectCode(t, cat.sendToTeam("sendText", tid, 1, "text: 'let me talk'"), 804)
		expectCode(t, cat.call("applyToTeam", map[string]any{"teamId": "99999999999"}), 803)
		expectCode(t, cat.call("dismissTeam", map[string]any{"teamId": "99999999999"}), 803)
	})

	step(t, "application", func() {
		mOwn, mCat := own.mark(), cat.mark()
		r := cat.teamCall("applyToTeam", map[string]any{"teamId": tid, "message": "let me in"})
		if !jsonHasNum(r.Ret, "applyStatus", 2) {
			t.Errorf("applyToTeam (joinMode 1): %v, want applyStatus 2 (waiting)", r)
		}
		n := own.waitNote(mOwn, noteTeamApply, "e8cat", tid)
		if n.Postscript != "let me in" || n.HandleStatus != 0 {
			t.Errorf("owner's application notification %+v, want postscript 'let me in', handleStatus 0", n)
		}
		own.teamCall("rejectApplyToTeam", map[string]any{"teamId": tid, "userId": "e8cat", "reason": "not now"})
		if n := cat.waitNote(mCat, noteTeamApplyReject, "e8own", tid); n.Postscript != "not now" {
			t.Errorf("cat's rejection notification %+v, want postscript 'not now'", n)
		}
		if cat.isMyTeam(tid) {
			t.Errorf("cat: isMyTeam true after the rejection")
		}

		// Again, and passed this time.
		mOwn, mCat, mBob := own.mark(), cat.mark(), bob.mark()
		r = cat.teamCall("applyToTeam", map[string]any{"teamId": tid, "message": "please"})
		if !jsonHasNum(r.Ret, "applyStatus", 2) {
			t.Errorf("applyToTeam again: %v, want applyStatus 2", r)
		}
		own.waitNote(mOwn, noteTeamApply, "e8cat", tid)
		r = own.teamCall("passApplyToTeam", map[string]any{"teamId": tid, "userId": "e8cat"})
		if !jsonHasNum(r.Ret, "applyStatus", 1) {
			t.Errorf("passApplyToTeam: %v, want applyStatus 1 (in the team)", r)
		}
		cat.waitTeamEvent(mCat, "onTeamAdded", teamOf(tid))
		cat.waitMyTeam(tid, "t.isMyTeam && t.memberNumber === 3", 10*time.Second)
		bob.waitTeamEvent(mBob, "onTeamMemberChanged", membersHave("updateMembers", "e8cat"))
		own.waitTeamEvent(mOwn, "onTeamMemberChanged", membersHave("updateMembers", "e8cat"))
		bob.waitMembers("fetchTeamMembers", tid, "e8own", "e8bob", "e8cat")
		own.waitFor("the owner's application notification to be passed (handleStatus 1)", fmt.Sprintf(
			`call('fetchSystemNotifications', {limit: 100}).then(r => r.ret && (r.ret.notifications || []).some(n =>
				n.type === 0 && n.sourceID === 'e8cat' && n.targetID === %q && n.postscript === 'please' && n.handleStatus === 1))`, tid), 10*time.Second)
	})

	step(t, "refusals", func() {
		// bob is a normal member; updateInfoMode and inviteMode are 0.
		for _, c := range []struct {
			method string
			params map[string]any
		}{
			{"kickUsersFromTeam", map[string]any{"teamId": tid, "users": []string{"e8cat"}}},
			{"addManagersToTeam", map[string]any{"teamId": tid, "users": []string{"e8cat"}}},
			{"removeManagersFromTeam", map[string]any{"teamId": tid, "users": []string{"e8cat"}}},
			{"updateTeamName", map[string]any{"teamId": tid, "teamName": "bob's team"}},
			{"updateTeamJoinMode", map[string]any{"teamId": tid, "joinMode": 0}},
			{"dismissTeam", map[string]any{"teamId": tid}},
			{"transferManagerWithTeam", map[string]any{"teamId": tid, "newOwnerId": "e8cat"}},
			{"muteUserFromTeam", map[string]any{"teamId": tid, "userId": "e8cat"}},
			{"muteAllFromTeam", map[string]any{"teamId": tid}},
			{"invitationToTeam", map[string]any{"teamId": tid, "users": []string{"e8dan"}}},
			{"updateUserNick", map[string]any{"teamId": tid, "userId": "e8cat", "newNick": "kitty"}},
		} {
			expectCode(t, bob.call(c.method, c.params), 802)
		}
		expectCode(t, own.call("quitTeam", map[string]any{"teamId": tid}), 802) // the owner must transfer first
		if tv := own.myTeam(tid); tv == nil || tv.TeamName != "E8 Team" || tv.JoinMode != 1 || tv.Owner != "e8own" || tv.MemberNumber != 3 {
			t.Errorf("the team after the refusals: %+v, want it unchanged", tv)
		}
	})

	step(t, "invitation", func() {
		mBob := bob.mark()
		own.teamCall("updateTeamBeInviteMode", map[string]any{"teamId": tid, "beInviteMode": 0})
		bob.waitTeamEvent(mBob, "onTeamUpdated", teamOf(tid))
		bob.waitMyTeam(tid, "t.beInviteMode === 0", 10*time.Second)

		mOwn, mDan := own.mark(), dan.mark()
		r := own.teamCall("invitationToTeam", map[string]any{"teamId": tid, "users": []string{"e8dan"}, "postscript": "join us", "attach": `{"why":"e2e"}`})
		if !jsonHasEmptyArray(r.Ret, "members") {
			t.Errorf("invitationToTeam (beInviteMode 0): %v, want members [] (the invitation waits)", r)
		}
		n := dan.waitNote(mDan, noteTeamInvite, "e8own", tid)
		if n.Postscript != "join us" || n.NotifyExt != `{"why":"e2e"}` || n.HandleStatus != 0 {
			t.Errorf("dan's invitation %+v, want postscript 'join us', notifyExt the attach, handleStatus 0", n)
		}
		if dan.isMyTeam(tid) {
			t.Errorf("dan: isMyTeam true before accepting")
		}
		dan.teamCall("rejectInviteWithTeam", map[string]any{"teamId": tid, "invitorId": "e8own", "reason": "busy"})
		if n := own.waitNote(mOwn, noteTeamInviteReject, "e8dan", tid); n.Postscript != "busy" {
			t.Errorf("owner's rejection notification %+v, want postscript 'busy'", n)
		}

		mDan, mBob = dan.mark(), bob.mark()
		own.teamCall("invitationToTeam", map[string]any{"teamId": tid, "users": []string{"e8dan"}})
		dan.waitNote(mDan, noteTeamInvite, "e8own", tid)
		dan.teamCall("acceptInviteWithTeam", map[string]any{"teamId": tid, "invitorId": "e8own"})
		dan.waitTeamEvent(mDan, "onTeamAdded", teamOf(tid))
		dan.waitMyTeam(tid, "t.isMyTeam && t.memberNumber === 4", 10*time.Second)
		bob.waitTeamEvent(mBob, "onTeamMemberChanged", membersHave("updateMembers", "e8dan"))
		if m := dan.waitMembers("fetchTeamMembers", tid, "e8own", "e8bob", "e8cat", "e8dan"); memberByID(m, "e8dan").InviterAccid != "e8own" {
			t.Errorf("dan's member row %+v, want inviterAccid e8own", *memberByID(m, "e8dan"))
		}
		if m := dan.teamMember(tid, "e8dan"); m == nil || m.Invitor != "e8own" {
			t.Errorf("dan's own teamMember %+v, want invitor e8own (iOS: the own row only)", m)
		}
	})

	step(t, "managers", func() {
		mBob, mOwn := bob.mark(), own.mark()
		own.teamCall("addManagersToTeam", map[string]any{"teamId": tid, "users": []string{"e8bob"}})
		bob.waitTeamEvent(mBob, "onTeamMemberChanged", `(r.updateMembers || []).some(m => m.userId === 'e8bob' && m.type === 2)`)
		bob.waitFor("bob to be a manager", fmt.Sprintf(`call('teamMember', {teamId: %q, userId: 'e8bob'}).then(r => r.ret && r.ret.member && r.ret.member.type === 2)`, tid), 10*time.Second)
		// A manager may update the info under updateInfoMode 0.
		bob.teamCall("updateTeamName", map[string]any{"teamId": tid, "teamName": "E8 by a manager"})
		own.waitTeamEvent(mOwn, "onTeamUpdated", teamOf(tid))
		own.waitMyTeam(tid, "t.teamName === 'E8 by a manager'", 10*time.Second)

		mBob = bob.mark()
		own.teamCall("removeManagersFromTeam", map[string]any{"teamId": tid, "users": []string{"e8bob"}})
		bob.waitTeamEvent(mBob, "onTeamMemberChanged", `(r.updateMembers || []).some(m => m.userId === 'e8bob' && m.type === 0)`)
		expectCode(t, bob.call("updateTeamName", map[string]any{"teamId": tid, "teamName": "no longer"}), 802)
	})

	step(t, "info", func() {
		for _, c := range []struct {
			method, param string
			value         any
			cond          string // on bob's allMyTeams team t
		}{
			{"updateTeamName", "teamName", "E8 Renamed", "t.teamName === 'E8 Renamed'"},
			{"updateTeamAvatar", "teamAvatarUrl", "https://example.com/e8-new.png", "t.avatarUrl === 'https://example.com/e8-new.png'"},
			{"updateTeamIntro", "intro", "a new intro", "t.intro === 'a new intro'"},
			{"updateTeamAnnouncement", "announcement", "news", "t.announcement === 'news'"},
			{"updateTeamJoinMode", "joinMode", 2, "t.joinMode === 2"},
			{"updateTeamBeInviteMode", "beInviteMode", 1, "t.beInviteMode === 1"},
			{"updateTeamInviteMode", "inviteMode", 1, "t.inviteMode === 1"},
			{"updateTeamUpdateInfoMode", "infoMode", 1, "t.updateInfoMode === 1"},
			{"updateTeamUpdateClientCustomMode", "clientCustomMode", 1, "t.updateClientCustomMode === 1"},
			{"updateTeamCustomInfo", "customInfo", `{"v":2}`, `t.clientCustomInfo === '{"v":2}'`},
		} {
			mBob := bob.mark()
			own.teamCall(c.method, map[string]any{"teamId": tid, c.param: c.value})
			bob.waitTeamEvent(mBob, "onTeamUpdated", teamOf(tid))
			bob.waitMyTeam(tid, c.cond, 10*time.Second)
		}
		// updateInfoMode 1: a normal member may update the info now.
		mOwn := own.mark()
		bob.teamCall("updateTeamIntro", map[string]any{"teamId": tid, "intro": "bob's intro"})
		own.waitTeamEvent(mOwn, "onTeamUpdated", teamOf(tid))
		own.waitMyTeam(tid, "t.intro === \"bob's intro\"", 10*time.Second)
	})

	step(t, "nicknames and notify state", func() {
		own.teamCall("updateUserNick", map[string]any{"teamId": tid, "userId": "e8bob", "newNick": "Bobby"})
		bob.waitFor("bob's nickname set by the owner", fmt.Sprintf(
			`call('fetchTeamMembers', {teamId: %q}).then(r => r.ret && (r.ret.members || []).some(m => m.userId === 'e8bob' && m.nickname === 'Bobby'))`, tid), 10*time.Second)
		// A member sets its own nickname; the others see it at once (a
		// member change: the team's member version moves for everyone).
		cat.teamCall("updateUserNick", map[string]any{"teamId": tid, "userId": "e8cat", "newNick": "Kitty"})
		cat.waitFor("cat's own nickname", fmt.Sprintf(
			`call('teamMember', {teamId: %q, userId: 'e8cat'}).then(r => r.ret && r.ret.member && r.ret.member.nickname === 'Kitty')`, tid), 10*time.Second)
		own.waitFor("cat's nickname at the owner", fmt.Sprintf(
			`call('fetchTeamMembers', {teamId: %q}).then(r => r.ret && (r.ret.members || []).some(m => m.userId === 'e8cat' && m.nickname === 'Kitty'))`, tid), 10*time.Second)

		if n := bob.notifyState(tid); n != 0 {
			t.Errorf("bob: fetchTeamNotifyState %d before any change, want 0", n)
		}
		bob.teamCall("updateTeamNotifyState", map[string]any{"teamId": tid, "notifyState": 2})
		if n := bob.notifyState(tid); n != 2 {
			t.Errorf("bob: fetchTeamNotifyState %d after setting 2", n)
		}
		if tv := bob.myTeam(tid); tv == nil || tv.NotifyState != 2 {
			t.Errorf("bob: allMyTeams' notifyState %+v, want 2", tv)
		}
		if n := own.notifyState(tid); n != 0 {
			t.Errorf("own: fetchTeamNotifyState %d, want 0 (bob's state is his own)", n)
		}
	})

	step(t, "mute", func() {
		own.teamCall("muteUserFromTeam", map[string]any{"teamId": tid, "userId": "e8cat"}) // isMute defaults to true
		if m := own.waitMembers("fetchTeamMutedMembers", tid, "e8cat"); !m[0].IsMuted || m[0].Nickname != "Kitty" {
			t.Errorf("fetchTeamMutedMembers %+v, want cat muted, nicknamed Kitty", m)
		}
		cat.waitFor("cat's own row muted", fmt.Sprintf(
			`call('teamMember', {teamId: %q, userId: 'e8cat'}).then(r => r.ret && r.ret.member && r.ret.member.isMuted === true)`, tid), 10*time.Second)
		expectCode(t, cat.sendToTeam("sendText", tid, 1, "text: 'muted cat'"), 812)
		bob.sendTeamText(tid, 1, "bob is not muted")

		own.teamCall("muteUserFromTeam", map[string]any{"teamId": tid, "userId": "e8cat", "isMute": false})
		own.waitMembers("fetchTeamMutedMembers", tid)
		cat.sendTeamText(tid, 1, "cat speaks again")

		mBob := bob.mark()
		own.teamCall("muteAllFromTeam", map[string]any{"teamId": tid}) // isMute defaults to true
		bob.waitTeamEvent(mBob, "onTeamUpdated", teamOf(tid))
		bob.waitMyTeam(tid, "t.inAllMuteMode === true && t.muteMode === 1", 10*time.Second)
		expectCode(t, bob.sendToTeam("sendText", tid, 1, "text: 'all muted'"), 812)
		expectCode(t, cat.sendToTeam("sendText", tid, 1, "text: 'all muted'"), 812)
		own.sendTeamText(tid, 1, "the owner still speaks")

		own.teamCall("muteAllFromTeam", map[string]any{"teamId": tid, "isMute": false})
		bob.waitMyTeam(tid, "t.inAllMuteMode === false && t.muteMode === 0", 10*time.Second)
		bob.sendTeamText(tid, 1, "bob speaks again")
		// A refused message stays in its sender's history as failed
		// (deliveryState 0), and reaches nobody.
		for _, b := range []*browser{own, bob, cat} {
			for _, m := range b.teamHistory(tid, 1) {
				refused := m.Body.Text == "muted cat" || m.Body.Text == "all muted" || m.Body.Text == "let me talk"
				if refused && (m.From != b.name || m.DeliveryState != deliveryFailed) {
					t.Errorf("%s: the refused %q from %s is in the history with deliveryState %d; want only the sender's own, failed", b.name, m.Body.Text, m.From, m.DeliveryState)
				}
			}
		}
	})

	step(t, "kick, transfer, offline member", func() {
		dan.close() // dan's device goes offline
		mCat, mBob := cat.mark(), bob.mark()
		own.teamCall("kickUsersFromTeam", map[string]any{"teamId": tid, "users": []string{"e8cat"}})
		cat.waitTeamEvent(mCat, "onTeamRemoved", teamOf(tid)+" && r.team && r.team.isMyTeam === false")
		cat.waitNotMyTeam(tid, 10*time.Second)
		bob.waitTeamEvent(mBob, "onTeamMemberRemoved", membersHave("removedMembers", "e8cat"))
		bob.waitMembers("fetchTeamMembers", tid, "e8own", "e8bob", "e8dan")
		expectCode(t, cat.sendToTeam("sendText", tid, 1, "text: 'kicked'"), 804)
		if h := cat.teamHistory(tid, 1); countText(h, "cat speaks again") != 1 {
			t.Errorf("cat: the history after the kick %v, want it still readable", texts(h))
		}

		mOwn, mBob := own.mark(), bob.mark()
		own.teamCall("transferManagerWithTeam", map[string]any{"teamId": tid, "newOwnerId": "e8bob", "isLeave": true})
		own.waitTeamEvent(mOwn, "onTeamRemoved", teamOf(tid)+" && r.team && r.team.isMyTeam === false")
		own.waitNotMyTeam(tid, 10*time.Second)
		bob.waitTeamEvent(mBob, "onTeamUpdated", teamOf(tid))
		bob.waitMyTeam(tid, "t.owner === 'e8bob' && t.memberNumber === 2", 10*time.Second)
		bob.waitTeamEvent(mBob, "onTeamMemberRemoved", membersHave("removedMembers", "e8own"))
		if ms := bob.waitMembers("fetchTeamMembers", tid, "e8bob", "e8dan"); memberByID(ms, "e8bob").Type != memberOwner {
			t.Errorf("bob's row after the transfer %+v, want type 1 (owner)", *memberByID(ms, "e8bob"))
		}

		// dan comes back: the cache catches up at the login's sync.
		dan = dan.reopen(s)
		dan.login("e8dan", tok["e8dan"])
		tv := dan.waitMyTeam(tid, "t.owner === 'e8bob'", 10*time.Second)
		if tv.MemberNumber != 2 || tv.TeamName != "E8 Renamed" || tv.JoinMode != 2 || !tv.IsMyTeam {
			t.Errorf("dan after its login: %+v, want owner e8bob, 2 members, the renamed team", tv)
		}
		ms := dan.waitMembers("fetchTeamMembers", tid, "e8bob", "e8dan")
		if memberByID(ms, "e8bob").Type != memberOwner || memberByID(ms, "e8bob").Nickname != "Bobby" {
			t.Errorf("dan sees bob as %+v, want the owner nicknamed Bobby", *memberByID(ms, "e8bob"))
		}
	})

	step(t, "quit, rejoin, dismiss", func() {
		mBob, mDan := bob.mark(), dan.mark()
		dan.teamCall("quitTeam", map[string]any{"teamId": tid})
		dan.waitTeamEvent(mDan, "onTeamRemoved", teamOf(tid)+" && r.team && r.team.isMyTeam === false")
		dan.waitNotMyTeam(tid, 10*time.Second)
		bob.waitTeamEvent(mBob, "onTeamMemberRemoved", membersHave("removedMembers", "e8dan"))
		bob.waitMembers("fetchTeamMembers", tid, "e8bob")

		// beInviteMode is 1: the old owner and cat come back at once.
		mOwn, mCat := own.mark(), cat.mark()
		r := bob.teamCall("invitationToTeam", map[string]any{"teamId": tid, "users": []string{"e8own", "e8cat"}})
		var v struct {
			Members []memberView `json:"members"`
		}
		json.Unmarshal(r.Ret, &v)
		if got := accountsOf(v.Members); !slices.Equal(got, []string{"e8cat", "e8own"}) {
			t.Errorf("invitationToTeam (beInviteMode 1): members %v, want e8cat e8own added at once (%v)", got, r)
		}
		own.waitTeamEvent(mOwn, "onTeamAdded", teamOf(tid))
		own.waitMyTeam(tid, "t.isMyTeam && t.memberNumber === 3", 10*time.Second)
		cat.waitTeamEvent(mCat, "onTeamAdded", teamOf(tid))

		// cat goes offline; bob dismisses: own sees it live, cat at its login.
		cat.close()
		mOwn = own.mark()
		bob.teamCall("dismissTeam", map[string]any{"teamId": tid})
		own.waitTeamEvent(mOwn, "onTeamRemoved", teamOf(tid)+" && r.team && r.team.isMyTeam === false")
		own.waitNotMyTeam(tid, 10*time.Second)
		bob.waitNotMyTeam(tid, 10*time.Second)
		expectCode(t, bob.call("updateTeamName", map[string]any{"teamId": tid, "teamName": "gone"}), 803)
		expectCode(t, own.sendToTeam("sendText", tid, 1, "text: 'anyone?'"), 803)

		cat = cat.reopen(s)
		cat.login("e8cat", tok["e8cat"])
		cat.waitNotMyTeam(tid, 10*time.Second)
		// cat's device came back: the dismissed team's history is read from its cache.
		skipUnlessKeepsProfile(t)
		if h := cat.teamHistory(tid, 1); countText(h, "cat speaks again") != 1 {
			t.Errorf("cat: the dismissed team's history %v, want it still readable", texts(h))
		}
	})
}

// TestTeamMessages: a normal team of three accounts (one on two devices)
// and a super team. Text, image (made in the page), tip and location
// messages reach every member's devices exactly once (the sender's other
// device too, the sending one never), also a member that goes
// offline mid-conversation and comes back; unread counts, mark read and
// the notify state follow across the two devices of one account;
// notification messages (type 5) are in the history with the doc's body.
func TestTeamMessages(t *testing.T) {
	s := useShared(t)
	tok := users(t, s, "e9own", "e9bob", "e9cat")
	own, bob1, bob2, cat := newBrowser(t, "e9own"), newBrowser(t, "e9bob-1"), newBrowser(t, "e9bob-2"), newBrowser(t, "e9cat")
	for _, b := range []*browser{own, bob1, bob2, cat} {
		b.open(pages.pageURL(s, false))
	}
	// bob's devices share read marks (the doc's shouldSyncUnreadCount).
	for _, b := range []*browser{bob1, bob2} {
		b.teamCall("init", map[string]any{"shouldSyncUnreadCount": true})
	}
	own.login("e9own", tok["e9own"])
	bob1.login("e9bob", tok["e9bob"])
	bob2.login("e9bob", tok["e9bob"])
	cat.login("e9cat", tok["e9cat"])

	// A normal team: bob at creation, cat by invitation (at once: a normal team).
	tid, failed := own.createTeam([]string{"e9bob"}, map[string]any{"name": "E9 Chat"})
	if len(failed) != 0 {
		t.Errorf("createTeam failedUserIds %v", failed)
	}
	mCat := cat.mark()
	r := own.teamCall("invitationToTeam", map[string]any{"teamId": tid, "users": []string{"e9cat"}})
	var inv struct {
		Members []memberView `json:"members"`
	}
	json.Unmarshal(r.Ret, &inv)
	if got := accountsOf(inv.Members); !slices.Equal(got, []string{"e9cat"}) {
		t.Errorf("invitationToTeam (normal team): members %v, want e9cat added at once (%v)", got, r)
	}
	cat.waitTeamEvent(mCat, "onTeamAdded", teamOf(tid))
	for _, b := range []*browser{bob1, bob2, cat} {
		if tv := b.waitMyTeam(tid, "t.memberNumber === 3", 10*time.Second); tv.Type != 0 || tv.Owner != "e9own" {
			t.Errorf("%s: team %+v, want a normal team owned by e9own", b.name, tv)
		}
	}

	marks := map[*browser]int{}
	for _, b := range []*browser{own, bob1, bob2, cat} {
		marks[b] = b.mark()
	}
	own.addMedia()
	own.exec(`(async () => { window.png = await media.png(40, 30); })()`)
	own.waitFor("the PNG", "window.png instanceof Blob", 10*time.Second)

	// account of each device (cat's browser is replaced when it comes back).
	account := func(b *browser) string { return strings.Split(b.name, "-")[0] }
	type sent struct {
		from, dev string // the sender's account and device
		msg       msgView
	}
	var all []sent
	send := func(b *browser, method, more string, check func(m msgView) string) {
		t.Helper()
		r := b.sendToTeam(method, tid, 1, more)
		if r.failed() || !r.status() {
			t.Fatalf("%s: %s to the team: %v", b.name, method, r)
		}
		m := sentMessage(t, r)
		if m.SessionID != tid || m.ChatType != 1 || m.Session.ChatType != 1 || m.DeliveryState != deliverySent {
			t.Errorf("%s: sent %s: sessionId %q chatType %d session %+v deliveryState %d; want the team, 1, sent",
				b.name, method, m.SessionID, m.ChatType, m.Session, m.DeliveryState)
		}
		all = append(all, sent{account(b), b.name, m})
		// Every device but the sending one, the sender's other device too.
		for _, rb := range []*browser{own, bob1, bob2, cat} {
			if rb == b {
				continue
			}
			got := rb.waitRecvID(marks[rb], m.MessageID, 15*time.Second)
			if got.SessionID != tid || got.ChatType != 1 || got.From != m.From {
				t.Errorf("%s: received %s: sessionId %q chatType %d from %q; want the team, 1, %q", rb.name, method, got.SessionID, got.ChatType, got.From, m.From)
			}
			if problem := check(got); problem != "" {
				t.Errorf("%s: received %s: %s", rb.name, method, problem)
			}
		}
	}
	send(own, "sendText", "text: 'hello team'", func(m msgView) string {
		if m.Body.Type != 0 || m.Body.Text != "hello team" {
			return fmt.Sprintf("body %+v, want the text", m.Body)
		}
		return ""
	})
	send(own, "sendImage", "path: window.png", func(m msgView) string {
		if m.Body.Type != 1 || m.Body.URL == "" || m.Body.Size == nil || m.Body.Size.W != 40 || m.Body.Size.H != 30 {
			return fmt.Sprintf("body %+v, want an image 40×30 with a url", m.Body)
		}
		return ""
	})
	send(bob1, "sendTip", "text: 'a team tip'", func(m msgView) string {
		if m.Body.Type != 10 || m.Body.Text != "a team tip" {
			return fmt.Sprintf("body %+v, want a tip", m.Body)
		}
		return ""
	})
	send(cat, "sendLocation", "latitude: 30.5, longitude: 114.3, address: 'Wuhan'", func(m msgView) string {
		if m.Body.Type != 4 || m.Body.Latitude != 30.5 || m.Body.Longitude != 114.3 || m.Body.Title != "Wuhan" {
			return fmt.Sprintf("body %+v, want a location", m.Body)
		}
		return ""
	})

	// cat goes offline mid-conversation and comes back.
	beforeCat := cat.received(marks[cat])
	cat.close()
	away1 := own.sendTeamText(tid, 1, "while cat is away 1")
	away2 := bob2.sendTeamText(tid, 1, "while cat is away 2")
	all = append(all, sent{"e9own", own.name, away1}, sent{"e9bob", bob2.name, away2})
	bob1.waitRecvID(marks[bob1], away1.MessageID, 15*time.Second)
	bob2.waitRecvID(marks[bob2], away1.MessageID, 15*time.Second)
	bob1.waitRecvID(marks[bob1], away2.MessageID, 15*time.Second)
	own.waitRecvID(marks[own], away2.MessageID, 15*time.Second)
	cat = cat.reopen(s)
	mCat = cat.mark()
	cat.login("e9cat", tok["e9cat"])
	cat.waitRecvID(mCat, away2.MessageID, 15*time.Second)
	cat.waitRecvID(mCat, away1.MessageID, 15*time.Second)
	n := countIDs(append(beforeCat, cat.received(mCat)...))
	// cat's device came back with its cache: nothing it had is announced
	// again (a subtest, so that only this check skips where the cache is not
	// kept; the later steps go on with the reopened cat).
	t.Run("cat's cache kept across the restart", func(t *testing.T) {
		skipUnlessKeepsProfile(t)
		for _, m := range all {
			want := 1
			if m.from == "e9cat" {
				want = 0
			}
			if n[m.msg.MessageID] != want {
				t.Errorf("cat got %q (%s) %d times in onRecvMessages across its two sessions, want %d", m.msg.Body.Text, m.msg.MessageID, n[m.msg.MessageID], want)
			}
		}
	})
	for _, b := range []*browser{own, bob1, bob2, cat} {
		h := countIDs(b.teamHistory(tid, 1))
		for _, m := range all {
			if h[m.msg.MessageID] != 1 {
				t.Errorf("%s: messagesInSession has %s (%q) %d times, want once", b.name, m.msg.MessageID, m.msg.Body.Text, h[m.msg.MessageID])
			}
		}
	}
	// Each device got each message once in onRecvMessages, except its own
	// sends (never echoed).
	for _, b := range []*browser{own, bob1, bob2} {
		got := countIDs(b.received(marks[b]))
		for _, m := range all {
			want := 1
			if m.dev == b.name {
				want = 0
			}
			if got[m.msg.MessageID] != want {
				t.Errorf("%s: onRecvMessages brought %q (sent by %s) %d times, want %d", b.name, m.msg.Body.Text, m.dev, got[m.msg.MessageID], want)
			}
		}
	}

	step(t, "unread on two devices", func() {
		// From others to bob: hello team, the image, the location, away 1.
		for _, b := range []*browser{bob1, bob2} {
			b.waitFor("the team session's unreadCount 4", fmt.Sprintf(
				`call('allRecentSessions').then(r => r.ret && (r.ret.recentSessions || []).some(s => (s.sessionId === %q || s.session && s.session.sessionId === %q) && s.unreadCount === 4))`, tid, tid), 10*time.Second)
			if ss := b.session(tid); ss == nil || ss.Session.ChatType != 1 || ss.LastMessage == nil || ss.LastMessage.MessageID != away2.MessageID {
				t.Errorf("%s: the team session %+v, want chatType 1 and away 2 last", b.name, ss)
			}
		}
		if u := bob1.unreadCount(); u != 4 {
			t.Errorf("bob1: allUnreadCount %d, want 4", u)
		}
		bob1.teamCall("markAllMessagesReadInSession", map[string]any{"sessionId": tid, "chatType": 1})
		for _, b := range []*browser{bob1, bob2} {
			b.waitFor("allUnreadCount 0 after bob1 read the team", `call('allUnreadCount').then(r => r.ret && r.ret.unreadCount === 0)`, 10*time.Second)
		}
		cat.waitFor("cat's unread: others' messages sent after it joined", fmt.Sprintf(
			`call('allRecentSessions').then(r => r.ret && (r.ret.recentSessions || []).some(s => (s.sessionId === %q || s.session && s.session.sessionId === %q) && s.unreadCount === 5))`, tid, tid), 10*time.Second)
	})

	step(t, "notify state on two devices", func() {
		bob1.teamCall("updateTeamNotifyState", map[string]any{"teamId": tid, "notifyState": 1})
		bob2.waitFor("bob2's notify state 1", fmt.Sprintf(`call('fetchTeamNotifyState', {teamId: %q}).then(r => r.ret && r.ret.notifyState === 1)`, tid), 10*time.Second)
		bob2.waitMyTeam(tid, "t.notifyState === 1", 10*time.Second)
		bob2.teamCall("updateTeamNotifyState", map[string]any{"teamId": tid, "notifyState": 0})
		bob1.waitFor("bob1's notify state 0", fmt.Sprintf(`call('fetchTeamNotifyState', {teamId: %q}).then(r => r.ret && r.ret.notifyState === 0)`, tid), 10*time.Second)
		if n := own.notifyState(tid); n != 0 {
			t.Errorf("own: notifyState %d, want 0", n)
		}
	})

	step(t, "notification messages", func() {
		own.teamCall("updateTeamName", map[string]any{"teamId": tid, "teamName": "E9 Renamed"})
		bob1.waitMyTeam(tid, "t.teamName === 'E9 Renamed'", 10*time.Second)
		bob1.waitFor("the rename's notification message in the history", fmt.Sprintf(
			`call('messagesInSession', {sessionId: %q, chatType: 1, limit: 100}).then(r => r.ret && (r.ret.messages || []).some(m => m.body && m.body.type === 5 && m.body.operation === 3))`, tid), 10*time.Second)
		var rename, invite *msgView
		for _, h := range bob1.teamHistory(tid, 1) {
			if h.Body.Type != 5 {
				continue
			}
			switch {
			case h.Body.Operation == 3 && jsonHas(h.Body.Update, "teamName", "E9 Renamed"):
				rename = &h
			case h.Body.Operation == 0 && slices.Contains(h.Body.Targets, "e9cat"):
				invite = &h
			}
		}
		if rename == nil || rename.Body.NotificationType != 1 || rename.Body.AndroidType != 3 || rename.From != "e9own" || rename.SessionID != tid {
			t.Errorf("the rename's notification message %+v (update %s), want type 5, notificationType 1, androidType 3, operation 3, from e9own, update.teamName", rename, msgUpdate(rename))
		}
		if invite == nil || invite.Body.NotificationType != 1 || invite.Body.AndroidType != 0 || !slices.Equal(invite.Body.Targets, []string{"e9cat"}) {
			t.Errorf("the invitation's notification message %+v, want androidType 0, targets [e9cat]", invite)
		}
		// Not counted as unread (shouldCountTeam is false by default).
		if ss := bob1.session(tid); ss == nil || ss.UnreadCount != 0 {
			t.Errorf("bob1: the team session after a notification message %+v, want unreadCount 0 (shouldCountTeam false)", ss)
		}
	})

	step(t, "super team", func() {
		mBob := bob1.mark()
		sid, _ := own.createTeam([]string{"e9bob"}, map[string]any{"name": "E9 Super", "type": 2, "beInviteMode": 1})
		bob1.waitTeamEvent(mBob, "onTeamAdded", teamOf(sid))
		if tv := bob1.waitMyTeam(sid, "", 10*time.Second); tv.Type != 2 {
			t.Errorf("super team %+v, want type 2", tv)
		}
		m := own.sendTeamText(sid, 5, "hello super team")
		got := bob1.waitRecvID(mBob, m.MessageID, 10*time.Second)
		if got.ChatType != 5 || got.Session.ChatType != 5 || got.SessionID != sid {
			t.Errorf("super team message: chatType %d session %+v, want 5 and the team", got.ChatType, got.Session)
		}
		expectCode(t, own.sendToTeam("sendText", sid, 1, "text: 'wrong type'"), 805)
		if h := bob2.teamHistory(sid, 5); countText(h, "hello super team") != 1 {
			t.Errorf("bob2: super team history %v, want the message once", texts(h))
		}
	})
}

// msgUpdate is m's body.update for messages.
func msgUpdate(m *msgView) string {
	if m == nil {
		return ""
	}
	return string(m.Body.Update)
}

// TestTeamReceipts: with teamReceiptEnabled, two members' receipts for a
// team message reach its sender live (onRecvMessageReceipts with
// teamReceiptInfo) and its cached copy counts readCount 2, unreadCount 1.
func TestTeamReceipts(t *testing.T) {
	s := useShared(t)
	tok := users(t, s, "e10own", "e10bob", "e10cat", "e10dan")
	own, bob, cat := newBrowser(t, "e10own"), newBrowser(t, "e10bob"), newBrowser(t, "e10cat")
	for _, b := range []*browser{own, bob, cat} {
		b.open(pages.pageURL(s, false))
		b.teamCall("init", map[string]any{"teamReceiptEnabled": true})
	}
	own.login("e10own", tok["e10own"])
	bob.login("e10bob", tok["e10bob"])
	cat.login("e10cat", tok["e10cat"])

	tid, _ := own.createTeam([]string{"e10bob", "e10cat", "e10dan"}, map[string]any{"name": "E10 Receipts"})
	bob.waitMyTeam(tid, "", 10*time.Second)
	cat.waitMyTeam(tid, "", 10*time.Second)

	mBob, mCat := bob.mark(), cat.mark()
	m := own.sendTeamText(tid, 1, "please read")
	own.waitFor("the sent message's teamReceiptInfo {0, 3}", fmt.Sprintf(
		`call('messagesInSessionWithMessageIds', {sessionId: %q, chatType: 1, messageIds: [%q]}).then(r => r.ret && (r.ret.messages || []).some(m =>
			m.teamReceiptInfo && m.teamReceiptInfo.readCount === 0 && m.teamReceiptInfo.unreadCount === 3))`, tid, m.MessageID), 10*time.Second)
	bm := bob.waitRecvID(mBob, m.MessageID, 10*time.Second)
	cm := cat.waitRecvID(mCat, m.MessageID, 10*time.Second)

	mOwn := own.mark()
	bob.teamCall("sendTeamMessageReceipts", map[string]any{"sessionId": tid, "chatType": 1, "messageIds": []string{bm.MessageID}})
	own.waitEvent(mOwn, "message", "onRecvMessageReceipts", fmt.Sprintf(
		`(r.receipts || []).some(x => x.messageId === %q && x.teamReceiptInfo && x.teamReceiptInfo.readCount === 1 && x.teamReceiptInfo.unreadCount === 2)`, m.MessageID), 10*time.Second)
	cat.teamCall("sendTeamMessageReceipts", map[string]any{"sessionId": tid, "chatType": 1, "messageIds": []string{cm.MessageID}})
	own.waitEvent(mOwn, "message", "onRecvMessageReceipts", fmt.Sprintf(
		`(r.receipts || []).some(x => x.messageId === %q && x.teamReceiptInfo && x.teamReceiptInfo.readCount === 2 && x.teamReceiptInfo.unreadCount === 1)`, m.MessageID), 10*time.Second)
	for _, ev := range own.messageEvents(mOwn, "onRecvMessageReceipts") {
		for _, rc := range ev.Receipts {
			if rc.MessageID == m.MessageID && (rc.SessionID != tid || rc.Session.ChatType != 1 || rc.Timestamp == 0) {
				t.Errorf("receipt %+v, want sessionId the team, session chatType 1, a timestamp", rc)
			}
		}
	}
	if got := own.teamMessageByID(tid, 1, m.MessageID); got == nil || got.TeamReceiptInfo == nil ||
		*got.TeamReceiptInfo != (teamReceiptInfo{ReadCount: 2, UnreadCount: 1}) {
		t.Errorf("own: the message after two receipts %+v, want teamReceiptInfo {2, 1}", got)
	}
	// A repeated receipt counts once.
	bob.teamCall("sendTeamMessageReceipts", map[string]any{"sessionId": tid, "chatType": 1, "messageIds": []string{bm.MessageID}})
	if got := bob.teamMessageByID(tid, 1, bm.MessageID); got == nil || !got.IsTeamReceiptSended {
		t.Errorf("bob: the message after his receipt %+v, want isTeamReceiptSended", got)
	}
	// The history from the server carries the counts too (a fresh device of
	// the sender), and bob's repeated receipt (answered before this login)
	// did not count again: {2, 1}, not {3, 0}.
	own2 := newBrowser(t, "e10own-2")
	own2.open(pages.pageURL(s, false))
	own2.teamCall("init", map[string]any{"teamReceiptEnabled": true})
	own2.login("e10own", tok["e10own"])
	own2.waitFor("the counts on another device of the sender", fmt.Sprintf(
		`call('messagesInSession', {sessionId: %q, chatType: 1, limit: 100}).then(r => r.ret && (r.ret.messages || []).some(m =>
			m.messageId === %q && m.teamReceiptInfo && m.teamReceiptInfo.readCount === 2 && m.teamReceiptInfo.unreadCount === 1))`, tid, m.MessageID), 15*time.Second)
}

// jsonHasNum reports whether the JSON object raw has key with number value.
func jsonHasNum(raw jx.RawMessage, key string, value float64) bool {
	var v map[string]any
	if json.Unmarshal(raw, &v) != nil {
		return false
	}
	n, ok := v[key].(float64)
	return ok && n == value
}

// jsonHasEmptyArray reports whether the JSON object raw has key with [].
func jsonHasEmptyArray(raw jx.RawMessage, key string) bool {
	var v map[string]jx.RawMessage
	if json.Unmarshal(raw, &v) != nil {
		return false
	}
	var a []any
	return json.Unmarshal(v[key], &a) == nil && a != nil && len(a) == 0
}
