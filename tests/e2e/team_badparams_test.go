package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestTeamBadParams: every team method and sendTeamMessageReceipts answer
// missing or wrong-typed parameters with err.code 414 naming the doc's
// parameter, at once and without touching the team; afterwards good calls
// still work (the wasm runtime is alive), and removeTeamListen removes a
// listener.
func TestTeamBadParams(t *testing.T) {
	s := useShared(t)
	tok := users(t, s, "e11ann", "e11ben")
	ann := newBrowser(t, "e11ann")
	ann.open(pages.pageURL(s, false))
	ann.login("e11ann", tok["e11ann"])
	tid, _ := ann.createTeam([]string{"e11ben"}, map[string]any{"name": "E11 Team", "type": 1, "beInviteMode": 1})
	ann.waitMyTeam(tid, "t.memberNumber === 2", 10*time.Second)

	T := fmt.Sprintf("teamId: %q", tid) // a good teamId, as JS
	cases := []struct {
		method, params string
		param          string // err.msg must name it ("" = any)
	}{
		{"createTeam", `null`, ""},
		{"createTeam", `'E11'`, ""},
		{"createTeam", `{users: ['e11ben']}`, "option"},
		{"createTeam", `{users: ['e11ben'], option: 'E11'}`, "option"},
		{"createTeam", `{users: ['e11ben'], option: {}}`, "name"},
		{"createTeam", `{users: ['e11ben'], option: {name: 5}}`, "name"},
		{"createTeam", `{users: ['e11ben'], option: {name: 'x'.repeat(65)}}`, "name"},
		{"createTeam", `{users: 5, option: {name: 'x'}}`, "users"},
		{"createTeam", `{users: [5], option: {name: 'x'}}`, "users"},
		{"createTeam", `{users: ['e11ben'], option: {name: 'x', type: 9}}`, "type"},
		{"createTeam", `{users: ['e11ben'], option: {name: 'x', type: '1'}}`, "type"},
		{"createTeam", `{users: ['e11ben'], option: {name: 'x', type: 1, joinMode: 5}}`, "joinMode"},
		{"createTeam", `{users: ['e11ben'], option: {name: 'x', type: 1, beInviteMode: 'no'}}`, "beInviteMode"},
		{"createTeam", `{users: ['e11ben'], option: {name: 'x', type: 1, muteMode: 2}}`, "muteMode"},
		{"createTeam", `{users: ['e11ben'], option: {name: 'x', maxMember: -1}}`, "maxMember"},
		{"createTeam", `{users: ['e11ben'], option: {name: 'x', intro: 5}}`, "intro"},
		{"dismissTeam", `{}`, "teamId"},
		{"dismissTeam", `{teamId: 5}`, "teamId"},
		{"dismissTeam", `{teamId: ''}`, "teamId"},
		{"applyToTeam", `{}`, "teamId"},
		{"applyToTeam", `{` + T + `, message: 5}`, "message"},
		{"passApplyToTeam", `{` + T + `}`, "userId"},
		{"passApplyToTeam", `{userId: 'e11ben'}`, "teamId"},
		{"rejectApplyToTeam", `{` + T + `, userId: 5}`, "userId"},
		{"rejectApplyToTeam", `{` + T + `, userId: 'e11ben', reason: {}}`, "reason"},
		{"invitationToTeam", `{` + T + `}`, "users"},
		{"invitationToTeam", `{` + T + `, users: {}}`, "users"},
		{"invitationToTeam", `{users: ['e11ben']}`, "teamId"},
		{"invitationToTeam", `{` + T + `, users: ['e11ben'], postscript: 5}`, "postscript"},
		{"invitationToTeam", `{` + T + `, users: ['e11ben'], attach: 5}`, "attach"},
		{"invitationToTeam", `{` + T + `, users: ['e11ben'], postscript: 'x'.repeat(257)}`, "postscript"},
		{"acceptInviteWithTeam", `{` + T + `}`, "invitorId"},
		{"acceptInviteWithTeam", `{invitorId: 'e11ben'}`, "teamId"},
		{"rejectInviteWithTeam", `{` + T + `, invitorId: 7}`, "invitorId"},
		{"rejectInviteWithTeam", `{` + T + `, invitorId: 'e11ben', reason: 7}`, "reason"},
		{"kickUsersFromTeam", `{` + T + `}`, "users"},
		{"kickUsersFromTeam", `{` + T + `, users: [null]}`, "users"},
		{"kickUsersFromTeam", `{users: ['e11ben']}`, "teamId"},
		{"quitTeam", `{}`, "teamId"},
		{"quitTeam", `{teamId: ['x']}`, "teamId"},
		{"fetchTeamMembers", `{}`, "teamId"},
		{"fetchTeamMembers", `{teamId: true}`, "teamId"},
		{"teamMember", `{` + T + `}`, "userId"},
		{"teamMember", `{userId: 'e11ben'}`, "teamId"},
		{"updateUserNick", `{` + T + `, userId: 'e11ben'}`, "newNick"},
		{"updateUserNick", `{` + T + `, userId: 'e11ben', newNick: 5}`, "newNick"},
		{"updateUserNick", `{` + T + `, newNick: 'n'}`, "userId"},
		{"updateUserNick", `{` + T + `, userId: 'e11ben', newNick: 'x'.repeat(65)}`, "newNick"},
		{"isMyTeam", `{}`, "teamId"},
		{"isMyTeam", `{teamId: 5}`, "teamId"},
		{"transferManagerWithTeam", `{` + T + `}`, "newOwnerId"},
		{"transferManagerWithTeam", `{` + T + `, newOwnerId: 'e11ben', isLeave: 'yes'}`, "isLeave"},
		{"transferManagerWithTeam", `{newOwnerId: 'e11ben'}`, "teamId"},
		{"addManagersToTeam", `{` + T + `}`, "users"},
		{"addManagersToTeam", `{` + T + `, users: [5]}`, "users"},
		{"removeManagersFromTeam", `{` + T + `}`, "users"},
		{"removeManagersFromTeam", `{users: ['e11ben']}`, "teamId"},
		{"muteUserFromTeam", `{` + T + `}`, "userId"},
		{"muteUserFromTeam", `{` + T + `, userId: 'e11ben', isMute: 'yes'}`, "isMute"},
		{"muteAllFromTeam", `{}`, "teamId"},
		{"muteAllFromTeam", `{` + T + `, isMute: 1}`, "isMute"},
		{"fetchTeamMutedMembers", `{}`, "teamId"},
		{"updateTeamName", `{` + T + `}`, "teamName"},
		{"updateTeamName", `{` + T + `, teamName: 5}`, "teamName"},
		{"updateTeamName", `{` + T + `, teamName: 'x'.repeat(65)}`, "teamName"},
		{"updateTeamName", `{teamName: 'x'}`, "teamId"},
		{"updateTeamAvatar", `{` + T + `}`, "teamAvatarUrl"},
		{"updateTeamAvatar", `{` + T + `, teamAvatarUrl: 5}`, "teamAvatarUrl"},
		{"updateTeamIntro", `{` + T + `}`, "intro"},
		{"updateTeamIntro", `{` + T + `, intro: 'x'.repeat(513)}`, "intro"},
		{"updateTeamAnnouncement", `{` + T + `}`, "announcement"},
		{"updateTeamAnnouncement", `{` + T + `, announcement: []}`, "announcement"},
		{"updateTeamJoinMode", `{` + T + `}`, "joinMode"},
		{"updateTeamJoinMode", `{` + T + `, joinMode: 'x'}`, "joinMode"},
		{"updateTeamJoinMode", `{` + T + `, joinMode: 3}`, "joinMode"},
		{"updateTeamBeInviteMode", `{` + T + `, beInviteMode: 2}`, "beInviteMode"},
		{"updateTeamBeInviteMode", `{` + T + `}`, "beInviteMode"},
		{"updateTeamInviteMode", `{` + T + `, inviteMode: 2}`, "inviteMode"},
		{"updateTeamInviteMode", `{` + T + `, inviteMode: 0.5}`, "inviteMode"},
		{"updateTeamUpdateInfoMode", `{` + T + `, infoMode: 2}`, "infoMode"},
		{"updateTeamUpdateInfoMode", `{` + T + `}`, "infoMode"},
		{"updateTeamUpdateClientCustomMode", `{` + T + `, clientCustomMode: -1}`, "clientCustomMode"},
		{"updateTeamUpdateClientCustomMode", `{` + T + `}`, "clientCustomMode"},
		{"updateTeamCustomInfo", `{` + T + `}`, "customInfo"},
		{"updateTeamCustomInfo", `{` + T + `, customInfo: 5}`, "customInfo"},
		{"updateTeamCustomInfo", `{` + T + `, customInfo: 'x'.repeat(1025)}`, "customInfo"},
		{"updateTeamNotifyState", `{` + T + `}`, "notifyState"},
		{"updateTeamNotifyState", `{` + T + `, notifyState: 3}`, "notifyState"},
		{"updateTeamNotifyState", `{` + T + `, notifyState: '1'}`, "notifyState"},
		{"updateTeamNotifyState", `{notifyState: 1}`, "teamId"},
		{"fetchTeamNotifyState", `{}`, "teamId"},
		{"fetchTeamNotifyState", `{teamId: {}}`, "teamId"},
		{"sendTeamMessageReceipts", `{sessionId: '` + tid + `', chatType: 1}`, "messageIds"},
		{"sendTeamMessageReceipts", `{sessionId: '` + tid + `', chatType: 1, messageIds: []}`, "messageIds"},
		{"sendTeamMessageReceipts", `{sessionId: '` + tid + `', chatType: 1, messageIds: 'm1'}`, "messageIds"},
		{"sendTeamMessageReceipts", `{sessionId: '` + tid + `', chatType: 1, messageIds: Array(101).fill('m')}`, "messageIds"},
		{"sendTeamMessageReceipts", `{sessionId: '` + tid + `', chatType: 0, messageIds: ['m1']}`, "chatType"},
		{"sendTeamMessageReceipts", `{chatType: 1, messageIds: ['m1']}`, "sessionId"},
		{"sendText", `{sessionId: '` + tid + `', chatType: 3, text: 'x'}`, "chatType"},
		{"messagesInSession", `{sessionId: 5, chatType: 1}`, "sessionId"},
	}
	for _, c := range cases {
		name := c.method + "(" + short(c.params) + ")"
		if len(name) > 120 {
			name = name[:120] + "…"
		}
		start := time.Now()
		r := ann.callJS(c.method, c.params)
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("%s: the 414 took %v; a parameter check should answer at once", name, d.Round(time.Millisecond))
		}
		switch {
		case r.Timeout || r.Missing || r.Thrown != "":
			t.Errorf("%s: %v, want the callback with err.code 414", name, r)
		case r.Err == nil || r.Err.Code != 414:
			t.Errorf("%s: %v, want err.code 414", name, r)
		case c.param != "" && !strings.Contains(r.Err.Msg, c.param):
			t.Errorf("%s: err.msg %q does not name %q", name, r.Err.Msg, c.param)
		case r.status():
			t.Errorf("%s: ret.status true alongside err %v", name, r)
		}
	}

	// (A single account id string where users belongs is taken as a
	// one-element list: the doc types kickUsersFromTeam's users as a string.)

	// Nothing changed, and good calls work.
	tv := ann.myTeam(tid)
	if tv == nil || tv.TeamName != "E11 Team" || tv.Owner != "e11ann" || tv.MemberNumber != 2 || tv.JoinMode != 0 || tv.NotifyState != 0 {
		t.Errorf("the team after the bad calls: %+v, want it unchanged", tv)
	}
	if got := accountsOf(ann.members(tid)); strings.Join(got, ",") != "e11ann,e11ben" {
		t.Errorf("the members after the bad calls: %v", got)
	}
	// A second team listener hears a good update; removeTeamListen(fn)
	// removes it and leaves the page's own listener.
	ann.exec(`window.extraTeam = []; window.extraTeamFn = function (r) { extraTeam.push(r); }; yunxinIM.addTeamListen(extraTeamFn);`)
	m := ann.mark()
	ann.teamCall("updateTeamName", map[string]any{"teamId": tid, "teamName": "E11 Good"})
	ann.waitMyTeam(tid, "t.teamName === 'E11 Good'", 10*time.Second)
	ann.waitTeamEvent(m, "onTeamUpdated", teamOf(tid))
	ann.waitFor("the second listener's onTeamUpdated", `extraTeam.some(r => r && r.eventType === 'onTeamUpdated')`, 5*time.Second)
	ann.exec(`yunxinIM.removeTeamListen(extraTeamFn); window.extraTeamSeen = extraTeam.length;`)
	m = ann.mark()
	ann.teamCall("updateTeamIntro", map[string]any{"teamId": tid, "intro": "after removeTeamListen"})
	ann.waitTeamEvent(m, "onTeamUpdated", teamOf(tid)+" && r.team && r.team.intro === 'after removeTeamListen'")
	if n := eval[int](ann, `extraTeam.length - extraTeamSeen`); n != 0 {
		t.Errorf("the removed team listener got %d more events", n)
	}
	tid2, _ := ann.createTeam([]string{}, map[string]any{"name": "E11 Second"})
	ann.waitMyTeam(tid2, "", 10*time.Second)
	if ann.isMyTeam("99999999999") {
		t.Errorf("isMyTeam of an unknown team: true")
	}
	ann.sendTeamText(tid, 1, "still works")
}
