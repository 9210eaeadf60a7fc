package e2e

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"
)

// The team group's shapes as pages get them (the plugin doc's appendix
// 群组信息, 群成员信息 and addTeamListen's ret), and helpers that drive the
// team methods of a page. Written out here, not imported from core, so the
// tests check the names a page sees.

// teamView is the doc's 群组信息 (plus our isMyTeam and notifyState).
type teamView struct {
	TeamID                 string `json:"teamId"`
	TeamName               string `json:"teamName"`
	AvatarURL              string `json:"avatarUrl"`
	ThumbAvatarURL         string `json:"thumbAvatarUrl"`
	Type                   int    `json:"type"`
	Owner                  string `json:"owner"`
	Intro                  string `json:"intro"`
	Announcement           string `json:"announcement"`
	MemberNumber           int    `json:"memberNumber"`
	Level                  int    `json:"level"`
	CreateTime             int64  `json:"createTime"`
	JoinMode               int    `json:"joinMode"`
	InviteMode             int    `json:"inviteMode"`
	BeInviteMode           int    `json:"beInviteMode"`
	UpdateInfoMode         int    `json:"updateInfoMode"`
	UpdateClientCustomMode int    `json:"updateClientCustomMode"`
	ServerCustomInfo       string `json:"serverCustomInfo"`
	ClientCustomInfo       string `json:"clientCustomInfo"`
	InAllMuteMode          bool   `json:"inAllMuteMode"`
	MuteMode               int    `json:"muteMode"`
	IsMyTeam               bool   `json:"isMyTeam"`
	NotifyState            int    `json:"notifyState"`
}

// memberView is the doc's 群成员信息.
type memberView struct {
	TeamID       string `json:"teamId"`
	UserID       string `json:"userId"`
	Invitor      string `json:"invitor"`
	InviterAccid string `json:"inviterAccid"`
	Type         int    `json:"type"`
	Nickname     string `json:"nickname"`
	IsMuted      bool   `json:"isMuted"`
	CreateTime   int64  `json:"createTime"`
	CustomInfo   string `json:"customInfo"`
}

// Member types (memberView.Type), the doc's.
const (
	memberNormal  = 0
	memberOwner   = 1
	memberManager = 2
)

// teamEvent is addTeamListen's ret.
type teamEvent struct {
	EventType      string       `json:"eventType"`
	Team           *teamView    `json:"team"`
	Teams          []teamView   `json:"teams"`
	UpdateMembers  []memberView `json:"updateMembers"`
	RemovedMembers []memberView `json:"removedMembers"`
}

// teamNote is a system notification with the fields the team ones use.
type teamNote struct {
	NotificationID int64  `json:"notificationId"`
	Type           int    `json:"type"`
	Timestamp      int64  `json:"timestamp"`
	SourceID       string `json:"sourceID"`
	TargetID       string `json:"targetID"`
	Postscript     string `json:"postscript"`
	Read           bool   `json:"read"`
	HandleStatus   int    `json:"handleStatus"`
	NotifyExt      string `json:"notifyExt"`
}

// System notification types of teams (the doc's).
const (
	noteTeamApply        = 0
	noteTeamApplyReject  = 1
	noteTeamInvite       = 2
	noteTeamInviteReject = 3
)

// createTeam calls createTeam({users, option}) and returns ret.teamId and
// ret.failedUserIds; it fails the test unless ret.status is true.
func (b *browser) createTeam(users []string, option map[string]any) (string, []string) {
	b.t.Helper()
	r := b.call("createTeam", map[string]any{"users": users, "option": option})
	if r.failed() || !r.status() {
		b.t.Fatalf("%s: createTeam %v %v: %v", b.name, users, option, r)
	}
	var v struct {
		TeamID        string    `json:"teamId"`
		FailedUserIDs *[]string `json:"failedUserIds"`
	}
	if err := json.Unmarshal(r.Ret, &v); err != nil || v.TeamID == "" || v.FailedUserIDs == nil {
		b.t.Fatalf("%s: createTeam ret %s: want teamId and failedUserIds (%v)", b.name, short(string(r.Ret)), err)
	}
	return v.TeamID, *v.FailedUserIDs
}

// teamCall calls a team method that answers {status: true} and fails the
// test otherwise.
func (b *browser) teamCall(method string, params map[string]any) callResult {
	b.t.Helper()
	r := b.call(method, params)
	if r.failed() || !r.status() {
		b.t.Fatalf("%s: %s %v: %v", b.name, method, params, r)
	}
	return r
}

// myTeams returns allMyTeams' ret.teams.
func (b *browser) myTeams() []teamView {
	b.t.Helper()
	r := b.mustCall("allMyTeams", nil)
	var v struct {
		Teams *[]teamView `json:"teams"`
	}
	if err := json.Unmarshal(r.Ret, &v); err != nil || v.Teams == nil {
		b.t.Fatalf("%s: allMyTeams ret %s: want teams (%v)", b.name, short(string(r.Ret)), err)
	}
	return *v.Teams
}

// myTeam returns allMyTeams' team tid, or nil.
func (b *browser) myTeam(tid string) *teamView {
	b.t.Helper()
	for _, t := range b.myTeams() {
		if t.TeamID == tid {
			return &t
		}
	}
	return nil
}

// waitMyTeam waits until allMyTeams lists team tid and the JS condition
// cond (on the team, named t; "" for none) holds, and returns it.
func (b *browser) waitMyTeam(tid, cond string, timeout time.Duration) teamView {
	b.t.Helper()
	if cond == "" {
		cond = "true"
	}
	b.waitFor(fmt.Sprintf("allMyTeams to list %s with %s", tid, cond), fmt.Sprintf(
		`call('allMyTeams').then(r => r.ret && (r.ret.teams || []).some(t => t.teamId === %q && (%s)))`, tid, cond), timeout)
	t := b.myTeam(tid)
	if t == nil {
		b.t.Fatalf("%s: team %s vanished from allMyTeams", b.name, tid)
	}
	return *t
}

// waitNotMyTeam waits until allMyTeams no longer lists tid and isMyTeam
// says false.
func (b *browser) waitNotMyTeam(tid string, timeout time.Duration) {
	b.t.Helper()
	b.waitFor(fmt.Sprintf("team %s to leave allMyTeams and isMyTeam to be false", tid), fmt.Sprintf(
		`Promise.all([call('allMyTeams'), call('isMyTeam', {teamId: %q})]).then(([a, i]) =>
			a.ret && !(a.ret.teams || []).some(t => t.teamId === %q) && i.ret && i.ret.isMyTeam === false)`, tid, tid), timeout)
}

// isMyTeam returns isMyTeam's ret.isMyTeam.
func (b *browser) isMyTeam(tid string) bool {
	b.t.Helper()
	r := b.mustCall("isMyTeam", map[string]any{"teamId": tid})
	var v struct {
		IsMyTeam *bool `json:"isMyTeam"`
	}
	if err := json.Unmarshal(r.Ret, &v); err != nil || v.IsMyTeam == nil {
		b.t.Fatalf("%s: isMyTeam ret %s: want isMyTeam", b.name, short(string(r.Ret)))
	}
	return *v.IsMyTeam
}

// membersOf calls method (fetchTeamMembers or fetchTeamMutedMembers) and
// returns ret.members.
func (b *browser) membersOf(method, tid string) []memberView {
	b.t.Helper()
	r := b.call(method, map[string]any{"teamId": tid})
	if r.failed() || !r.status() {
		b.t.Fatalf("%s: %s %s: %v", b.name, method, tid, r)
	}
	var v struct {
		Members *[]memberView `json:"members"`
	}
	if err := json.Unmarshal(r.Ret, &v); err != nil || v.Members == nil {
		b.t.Fatalf("%s: %s ret %s: want members (%v)", b.name, method, short(string(r.Ret)), err)
	}
	return *v.Members
}

// members returns fetchTeamMembers' members.
func (b *browser) members(tid string) []memberView {
	b.t.Helper()
	return b.membersOf("fetchTeamMembers", tid)
}

// accountsOf returns the userIds of ms, sorted.
func accountsOf(ms []memberView) []string {
	var ids []string
	for _, m := range ms {
		ids = append(ids, m.UserID)
	}
	slices.Sort(ids)
	return ids
}

// memberByID returns the member of ms with userId id, or nil.
func memberByID(ms []memberView, id string) *memberView {
	for _, m := range ms {
		if m.UserID == id {
			return &m
		}
	}
	return nil
}

// waitMembers waits until method's (fetchTeamMembers or
// fetchTeamMutedMembers) members are exactly the accounts want.
func (b *browser) waitMembers(method, tid string, want ...string) []memberView {
	b.t.Helper()
	w := append([]string{}, want...)
	slices.Sort(w)
	wj, _ := json.Marshal(w)
	b.waitFor(fmt.Sprintf("%s of %s to be %v", method, tid, w), fmt.Sprintf(
		`call(%q, {teamId: %q}).then(r => r.ret && JSON.stringify((r.ret.members || []).map(m => m.userId).sort()) === %q)`,
		method, tid, string(wj)), 10*time.Second)
	return b.membersOf(method, tid)
}

// teamMember returns teamMember's ret.member (nil when absent or empty).
func (b *browser) teamMember(tid, uid string) *memberView {
	b.t.Helper()
	r := b.call("teamMember", map[string]any{"teamId": tid, "userId": uid})
	if r.failed() {
		b.t.Fatalf("%s: teamMember %s %s: %v", b.name, tid, uid, r)
	}
	var v struct {
		Member *memberView `json:"member"`
	}
	if err := json.Unmarshal(r.Ret, &v); err != nil {
		b.t.Fatalf("%s: teamMember ret %s: %v", b.name, short(string(r.Ret)), err)
	}
	if v.Member == nil || v.Member.UserID == "" {
		return nil
	}
	return v.Member
}

// notifyState returns fetchTeamNotifyState's ret.notifyState.
func (b *browser) notifyState(tid string) int {
	b.t.Helper()
	r := b.mustCall("fetchTeamNotifyState", map[string]any{"teamId": tid})
	var v struct {
		NotifyState *int `json:"notifyState"`
	}
	if err := json.Unmarshal(r.Ret, &v); err != nil || v.NotifyState == nil {
		b.t.Fatalf("%s: fetchTeamNotifyState ret %s: want notifyState", b.name, short(string(r.Ret)))
	}
	return *v.NotifyState
}

// teamEvents returns the addTeamListen events of eventType since mark.
func (b *browser) teamEvents(since int, eventType string) []teamEvent {
	b.t.Helper()
	var out []teamEvent
	for _, e := range b.events(since) {
		var te teamEvent
		if e.Kind == "team" && json.Unmarshal(e.Ret, &te) == nil && te.EventType == eventType {
			out = append(out, te)
		}
	}
	return out
}

// waitTeamEvent waits for an addTeamListen event of eventType since mark
// for which the JS condition cond (on the ret, named r) holds.
func (b *browser) waitTeamEvent(since int, eventType, cond string) {
	b.t.Helper()
	b.waitEvent(since, "team", eventType, cond, 10*time.Second)
}

// teamOf is the JS condition "the event's team (or one of its teams) is tid".
func teamOf(tid string) string {
	return fmt.Sprintf(`((r.team && r.team.teamId === %q) || (r.teams || []).some(t => t.teamId === %q))`, tid, tid)
}

// membersHave is the JS condition "the event's field (updateMembers or
// removedMembers) names account".
func membersHave(field, account string) string {
	return fmt.Sprintf(`(r.%s || []).some(m => m.userId === %q)`, field, account)
}

// waitNote waits for onReceiveSystemNotification since mark with a
// notification of type typ from source about team tid, and returns it.
func (b *browser) waitNote(since, typ int, source, tid string) teamNote {
	b.t.Helper()
	b.waitEvent(since, "notification", "onReceiveSystemNotification", fmt.Sprintf(
		`r.notification && r.notification.type === %d && r.notification.sourceID === %q && r.notification.targetID === %q`,
		typ, source, tid), 10*time.Second)
	for _, e := range b.events(since) {
		var v struct {
			EventType    string    `json:"eventType"`
			Notification *teamNote `json:"notification"`
		}
		if e.Kind == "notification" && json.Unmarshal(e.Ret, &v) == nil && v.Notification != nil &&
			v.Notification.Type == typ && v.Notification.SourceID == source && v.Notification.TargetID == tid {
			return *v.Notification
		}
	}
	b.t.Fatalf("%s: the notification vanished", b.name)
	return teamNote{}
}

// teamNotes returns fetchSystemNotifications' notifications (up to 100).
func (b *browser) teamNotes() []teamNote {
	b.t.Helper()
	r := b.mustCall("fetchSystemNotifications", map[string]int{"limit": 100})
	var v struct {
		Notifications []teamNote `json:"notifications"`
	}
	if err := json.Unmarshal(r.Ret, &v); err != nil {
		b.t.Fatalf("%s: fetchSystemNotifications: %v (%v)", b.name, err, r)
	}
	return v.Notifications
}

// sendToTeam calls a send method with sessionId tid and chatType ct plus
// the JS object literal fields more (e.g. "text: 'hi'"), and returns the
// result (not checked).
func (b *browser) sendToTeam(method, tid string, ct int, more string) callResult {
	b.t.Helper()
	return b.callWithin(30*time.Second, method, fmt.Sprintf(`{sessionId: %q, chatType: %d, %s}`, tid, ct, more))
}

// sendTeamText sends a text to team tid (chatType ct) and returns the sent
// message; it fails the test unless ret.status is true.
func (b *browser) sendTeamText(tid string, ct int, text string) msgView {
	b.t.Helper()
	q, _ := json.Marshal(text)
	r := b.sendToTeam("sendText", tid, ct, "text: "+string(q))
	if r.failed() || !r.status() {
		b.t.Fatalf("%s: sendText to team %s %q: %v", b.name, tid, text, r)
	}
	return sentMessage(b.t, r)
}

// teamHistory returns messagesInSession(tid, chatType ct, limit 100)'s messages.
func (b *browser) teamHistory(tid string, ct int) []msgView {
	b.t.Helper()
	r := b.mustCall("messagesInSession", map[string]any{"sessionId": tid, "chatType": ct, "limit": 100})
	var v struct {
		Messages []msgView `json:"messages"`
	}
	if err := json.Unmarshal(r.Ret, &v); err != nil {
		b.t.Fatalf("%s: messagesInSession ret %s: %v", b.name, short(string(r.Ret)), err)
	}
	return v.Messages
}

// teamMessageByID returns messagesInSessionWithMessageIds' message id of
// team tid (chatType ct), or nil.
func (b *browser) teamMessageByID(tid string, ct int, id string) *msgView {
	b.t.Helper()
	r := b.mustCall("messagesInSessionWithMessageIds", map[string]any{"sessionId": tid, "chatType": ct, "messageIds": []string{id}})
	var v struct {
		Messages []msgView `json:"messages"`
	}
	if err := json.Unmarshal(r.Ret, &v); err != nil {
		b.t.Fatalf("%s: messagesInSessionWithMessageIds ret %s: %v", b.name, short(string(r.Ret)), err)
	}
	for _, m := range v.Messages {
		if m.MessageID == id {
			return &m
		}
	}
	return nil
}

// countIDs counts the messages of ms by messageId.
func countIDs(ms []msgView) map[string]int {
	n := map[string]int{}
	for _, m := range ms {
		n[m.MessageID]++
	}
	return n
}

// reopen closes b's browser (the device goes offline) and returns a new one
// on the same profile with the test page open (not logged in). The new
// browser belongs to b's test (not to a subtest calling reopen).
func (b *browser) reopen(s *imServer) *browser {
	b.t.Helper()
	b.close()
	nb := newBrowserWithProfile(b.t, b.name, b.profile)
	nb.open(pages.pageURL(s, false))
	return nb
}

// step runs one step of a long test, named in the log. The browsers'
// helpers fail the test that made them, so steps are not subtests: a
// fatal failure ends the test (later steps build on earlier ones).
func step(t *testing.T, name string, f func()) {
	t.Helper()
	t.Logf("step: %s", name)
	f()
}
