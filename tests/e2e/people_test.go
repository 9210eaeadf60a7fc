package e2e

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"yunxin/internal/jx"
)

// The people group (profiles, friends, blacklist, mute, search) and the
// notification group, end to end: the real server binary, the SDK in
// real browsers, several devices per account.

// userView is the doc's 用户信息 as pages get it.
type userView struct {
	UserID    string `json:"userId"`
	Alias     string `json:"alias"`
	Ext       string `json:"ext"`
	ServerExt string `json:"serverExt"`
	UserInfo  *struct {
		NickName  string `json:"nickName"`
		AvatarURL string `json:"avatarUrl"`
		Sign      string `json:"sign"`
		Gender    int    `json:"gender"`
		Email     string `json:"email"`
		Birth     string `json:"birth"`
		Mobile    string `json:"mobile"`
		Ext       string `json:"ext"`
	} `json:"userInfo"`
}

// noteView is a system notification as pages get it.
type noteView struct {
	NotificationID int64  `json:"notificationId"`
	Type           int    `json:"type"`
	Timestamp      int64  `json:"timestamp"`
	SourceID       string `json:"sourceID"`
	TargetID       string `json:"targetID"`
	Postscript     string `json:"postscript"`
	Read           bool   `json:"read"`
	HandleStatus   int    `json:"handleStatus"`
	Operation      int    `json:"operation"`
}

// usersOf calls a method whose ret holds a list of users in field and
// returns their ids, sorted.
func (b *browser) usersOf(method, field string, params any) []string {
	b.t.Helper()
	var ids []string
	for _, u := range b.userViews(method, field, params) {
		ids = append(ids, u.UserID)
	}
	slices.Sort(ids)
	return ids
}

// userViews calls a method whose ret holds a list of users in field.
func (b *browser) userViews(method, field string, params any) []userView {
	b.t.Helper()
	r := b.mustCall(method, params)
	var ret map[string]jx.RawMessage
	json.Unmarshal(r.Ret, &ret)
	var us []userView
	if err := json.Unmarshal(ret[field], &us); err != nil {
		b.t.Fatalf("%s: %s: ret.%s: %v (%v)", b.name, method, field, err, r)
	}
	return us
}

// waitList waits until method's ret.field lists exactly the accounts want.
func (b *browser) waitList(method, field string, want ...string) {
	b.t.Helper()
	slices.Sort(want)
	w, _ := json.Marshal(strings.Join(want, ","))
	m, _ := json.Marshal(method)
	b.waitFor(fmt.Sprintf("%s lists %v", method, want), fmt.Sprintf(
		`call(%s).then(r => r.ret && (r.ret.%s || []).map(u => u.userId).sort().join(',') === %s)`, m, field, w), 10*time.Second)
}

// notes returns fetchSystemNotifications' notifications.
func (b *browser) notes(limit int) []noteView {
	b.t.Helper()
	r := b.mustCall("fetchSystemNotifications", map[string]int{"limit": limit})
	var ret struct {
		Notifications []noteView `json:"notifications"`
	}
	if err := json.Unmarshal(r.Ret, &ret); err != nil {
		b.t.Fatalf("%s: fetchSystemNotifications: %v (%v)", b.name, err, r)
	}
	return ret.Notifications
}

// notesUnread returns allNotificationsUnreadCount's unreadCount.
func (b *browser) notesUnread() int {
	b.t.Helper()
	r := b.mustCall("allNotificationsUnreadCount", nil)
	var ret struct {
		UnreadCount *int `json:"unreadCount"`
	}
	json.Unmarshal(r.Ret, &ret)
	if ret.UnreadCount == nil {
		b.t.Fatalf("%s: allNotificationsUnreadCount without unreadCount: %v", b.name, r)
	}
	return *ret.UnreadCount
}

// waitEvent waits for an event of kind with ret.eventType since mark for
// which the JS condition cond (on the event's ret, named r) holds.
func (b *browser) waitEvent(since int, kind, eventType, cond string, timeout time.Duration) {
	b.t.Helper()
	if cond == "" {
		cond = "true"
	}
	b.waitFor(fmt.Sprintf("%s event %s (%s)", kind, eventType, cond), fmt.Sprintf(
		`window.events.slice(%d).some(e => e.kind === %q && e.ret && e.ret.eventType === %q && (r => %s)(e.ret))`,
		since, kind, eventType, cond), timeout)
}

// countEvents counts the events of kind with ret.eventType since mark.
func (b *browser) countEvents(since int, kind, eventType string) int {
	b.t.Helper()
	return eval[int](b, fmt.Sprintf(`window.events.slice(%d).filter(e => e.kind === %q && e.ret && e.ret.eventType === %q).length`,
		since, kind, eventType))
}

// decoded returns r's ret re-encoded without escapes of non-ASCII
// characters (the SDK's JSON writes Ä as \u00c4), for substring checks.
func decoded(r callResult) string {
	var v any
	if json.Unmarshal(r.Ret, &v) != nil {
		return string(r.Ret)
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
	return b.String()
}

// expectCode fails unless r failed with err.code code and a msg containing
// every one of words.
func expectCode(t *testing.T, r callResult, code int, words ...string) {
	t.Helper()
	if r.Err == nil || r.Err.Code != code {
		t.Errorf("%v, want err.code %d", r, code)
		return
	}
	for _, w := range words {
		if !strings.Contains(r.Err.Msg, w) {
			t.Errorf("%v: err.msg does not name %q", r, w)
		}
	}
}

// TestFriendRequestAccept: a request to an offline account reaches it at
// its next login; accepting it makes both friends on two devices each, live
// and after a reload; deleting the friendship ends it on both sides; a
// rejection reaches the requester.
func TestFriendRequestAccept(t *testing.T) {
	s := useShared(t)
	tok := users(t, s, "p1alice", "p1bob", "p1carol")
	a1, a2 := newBrowser(t, "p1alice-1"), newBrowser(t, "p1alice-2")
	b1, b2 := newBrowser(t, "p1bob-1"), newBrowser(t, "p1bob-2")
	carol := newBrowser(t, "p1carol")
	for _, b := range []*browser{a1, a2, b1, b2, carol} {
		b.open(pages.pageURL(s, false))
	}
	a1.login("p1alice", tok["p1alice"])
	a2.login("p1alice", tok["p1alice"])

	// bob is offline when alice asks.
	a1.mustCall("requestFriend", map[string]any{"userId": "p1bob", "message": "hi bob, it's alice"})
	if got := a1.usersOf("myFriends", "users", nil); len(got) != 0 {
		t.Errorf("alice's friends right after asking: %v, want none", got)
	}

	mb := b1.mark()
	b1.login("p1bob", tok["p1bob"])
	b1.waitEvent(mb, "notification", "onReceiveSystemNotification", `r.notification && r.notification.sourceID === 'p1alice'`, 10*time.Second)
	ns := b1.notes(10)
	if len(ns) != 1 {
		t.Fatalf("bob's inbox after login: %+v, want alice's request", ns)
	}
	n := ns[0]
	if n.Type != 5 || n.SourceID != "p1alice" || n.TargetID != "p1bob" || n.Postscript != "hi bob, it's alice" ||
		n.Read || n.HandleStatus != 0 || n.Operation != 2 || n.NotificationID == 0 || n.Timestamp == 0 {
		t.Errorf("bob's notification: %+v, want type 5 from p1alice to p1bob, the postscript, unread, handleStatus 0, operation 2", n)
	}
	if u := b1.notesUnread(); u != 1 {
		t.Errorf("bob's unread notifications: %d, want 1", u)
	}
	b2.login("p1bob", tok["p1bob"])
	if ns := b2.notes(10); len(ns) != 1 || ns[0].NotificationID != n.NotificationID {
		t.Errorf("bob's second device's inbox: %+v, want the same request", ns)
	}

	// bob accepts on b1: all four devices see the friendship live.
	ma1, ma2, mb2 := a1.mark(), a2.mark(), b2.mark()
	b1.mustCall("requestFriend", map[string]any{"userId": "p1alice", "operation": 3})
	b1.waitList("myFriends", "users", "p1alice")
	b2.waitList("myFriends", "users", "p1alice")
	a1.waitList("myFriends", "users", "p1bob")
	a2.waitList("myFriends", "users", "p1bob")
	a1.waitEvent(ma1, "friend", "onFriendChanged", `(r.addUser || []).includes('p1bob') && r.user && r.user.userId === 'p1bob'`, 10*time.Second)
	a2.waitEvent(ma2, "friend", "onFriendChanged", `(r.addUser || []).includes('p1bob')`, 10*time.Second)
	a1.waitEvent(ma1, "notification", "onReceiveSystemNotification",
		`r.notification && r.notification.sourceID === 'p1bob' && r.notification.operation === 3`, 10*time.Second)
	b2.waitEvent(mb2, "friend", "onFriendChanged", `(r.addUser || []).includes('p1alice')`, 10*time.Second)
	b2.waitFor("bob's second device sees the request handled", `call('fetchSystemNotifications', {limit: 10}).then(r =>
		r.ret.notifications.length === 1 && r.ret.notifications[0].handleStatus === 1)`, 10*time.Second)
	for _, b := range []*browser{a1, b1} {
		r := b.mustCall("isMyFriend", map[string]string{"userId": map[*browser]string{a1: "p1bob", b1: "p1alice"}[b]})
		if !strings.Contains(string(r.Ret), `"isFriend":true`) {
			t.Errorf("%s: isMyFriend: %v, want true", b.name, r)
		}
	}
	// The friend list carries the friend's profile.
	if us := a1.userViews("myFriends", "users", nil); len(us) != 1 || us[0].UserInfo == nil {
		t.Errorf("alice's friends: %+v, want bob with his userInfo", us)
	}

	// After a reload the friendship is still there, from the cache at once
	// and after the sync.
	for _, b := range []*browser{a2, b2} {
		b.reload()
		b.login(map[*browser]string{a2: "p1alice", b2: "p1bob"}[b], tok[map[*browser]string{a2: "p1alice", b2: "p1bob"}[b]])
	}
	a2.waitList("myFriends", "users", "p1bob")
	b2.waitList("myFriends", "users", "p1alice")

	// alice deletes bob: both sides, every device.
	mb1 := b1.mark()
	a1.mustCall("deleteFriend", map[string]any{"userId": "p1bob"})
	a1.waitList("myFriends", "users")
	a2.waitList("myFriends", "users")
	b1.waitList("myFriends", "users")
	b2.waitList("myFriends", "users")
	b1.waitEvent(mb1, "friend", "onFriendChanged", `(r.removeUser || []).includes('p1alice')`, 10*time.Second)

	// carol asks bob; bob rejects; carol hears it and is no friend.
	carol.login("p1carol", tok["p1carol"])
	mc := carol.mark()
	carol.mustCall("requestFriend", map[string]any{"userId": "p1bob", "operation": 2, "message": "carol here"})
	b1.waitFor("carol's request on bob's device", `call('fetchSystemNotifications', {limit: 10}).then(r =>
		r.ret.notifications.some(n => n.sourceID === 'p1carol' && n.handleStatus === 0))`, 10*time.Second)
	b1.mustCall("requestFriend", map[string]any{"userId": "p1carol", "operation": 4})
	carol.waitEvent(mc, "notification", "onReceiveSystemNotification",
		`r.notification && r.notification.sourceID === 'p1bob' && r.notification.operation === 4`, 10*time.Second)
	b2.waitFor("the rejection on bob's other device", `call('fetchSystemNotifications', {limit: 10}).then(r =>
		r.ret.notifications.some(n => n.sourceID === 'p1carol' && n.handleStatus === 2))`, 10*time.Second)
	if got := carol.usersOf("myFriends", "users", nil); len(got) != 0 {
		t.Errorf("carol's friends after the rejection: %v, want none", got)
	}
	// Answering a request that does not exist is a 404.
	expectCode(t, carol.call("requestFriend", map[string]any{"userId": "p1alice", "operation": 3}), 404)

	// Adding directly (operation 1) makes friends at once and tells the other.
	mc = carol.mark()
	a1.mustCall("requestFriend", map[string]any{"userId": "p1carol", "operation": 1})
	carol.waitList("myFriends", "users", "p1alice")
	carol.waitEvent(mc, "notification", "onReceiveSystemNotification",
		`r.notification && r.notification.sourceID === 'p1alice' && r.notification.operation === 1`, 10*time.Second)
}

// TestBlacklistAndMute: a message to an account that blacklisted the sender
// is refused with 7101 and marked isBlackListed on the sender's side;
// removing it restores delivery. The blacklist and the mute list reach the
// account's other device live.
func TestBlacklistAndMute(t *testing.T) {
	s := useShared(t)
	tok := users(t, s, "p2alice", "p2bob")
	alice, b1, b2 := newBrowser(t, "p2alice"), newBrowser(t, "p2bob-1"), newBrowser(t, "p2bob-2")
	for _, b := range []*browser{alice, b1, b2} {
		b.open(pages.pageURL(s, false))
	}
	alice.login("p2alice", tok["p2alice"])
	b1.login("p2bob", tok["p2bob"])
	b2.login("p2bob", tok["p2bob"])
	mb := b1.mark()
	alice.sendText("p2bob", "before the block")
	b1.waitRecv(mb, "before the block", 10*time.Second)

	m2 := b2.mark()
	b1.mustCall("addToBlackList", map[string]string{"userId": "p2alice"})
	b2.waitEvent(m2, "friend", "onBlackListChanged", `(r.addUser || []).includes('p2alice')`, 10*time.Second)
	b2.waitList("myBlackList", "blackUsers", "p2alice")
	r := b2.mustCall("isUserInBlackList", map[string]string{"userId": "p2alice"})
	if !strings.Contains(string(r.Ret), `"isBlack":true`) {
		t.Errorf("isUserInBlackList on bob's other device: %v, want true", r)
	}
	// alice is not told, and her own lists say nothing of it.
	if got := alice.usersOf("myBlackList", "blackUsers", nil); len(got) != 0 {
		t.Errorf("alice's blacklist: %v, want empty", got)
	}

	mb = b1.mark()
	r = alice.call("sendText", map[string]any{"sessionId": "p2bob", "chatType": 0, "text": "while blocked"})
	expectCode(t, r, 7101)
	// The sender's copy is kept, failed and marked isBlackListed.
	alice.waitFor("the refused message marked isBlackListed", `call('messagesInSession', {sessionId: 'p2bob', chatType: 0, limit: 10}).then(r =>
		r.ret.messages.some(m => m.body.text === 'while blocked' && m.isBlackListed === true && m.deliveryState === 0))`, 10*time.Second)
	b1.stays("no blocked message", fmt.Sprintf(`!window.events.slice(%d).some(e => e.kind === 'message' && JSON.stringify(e.ret).includes('while blocked'))`, mb), 2*time.Second)

	b2.mustCall("removeFromBlackList", map[string]string{"userId": "p2alice"})
	b1.waitList("myBlackList", "blackUsers")
	mb = b1.mark()
	alice.sendText("p2bob", "after the unblock")
	b1.waitRecv(mb, "after the unblock", 10*time.Second)

	// Mute: set on one device, seen on the other; the doc's isNotify:true mutes.
	m2 = b2.mark()
	b1.mustCall("setMute", map[string]any{"userId": "p2alice", "isNotify": true})
	b2.waitEvent(m2, "friend", "onMuteListChanged", `r.muteUser === 'p2alice' && r.mute === true`, 10*time.Second)
	b2.waitList("myMuteUserList", "muteUsers", "p2alice")
	if r := b2.mustCall("isMute", map[string]string{"userId": "p2alice"}); !strings.Contains(string(r.Ret), `"isMute":true`) {
		t.Errorf("isMute on bob's other device: %v, want true", r)
	}
	// A muted sender's messages still arrive and count.
	mb = b1.mark()
	alice.sendText("p2bob", "muted but delivered")
	b1.waitRecv(mb, "muted but delivered", 10*time.Second)
	b1.mustCall("setMute", map[string]any{"userId": "p2alice", "isNotify": false})
	b2.waitList("myMuteUserList", "muteUsers")
	b2.reload()
	b2.login("p2bob", tok["p2bob"])
	if got := b2.usersOf("myMuteUserList", "muteUsers", nil); len(got) != 0 {
		t.Errorf("bob's mute list after a reload: %v, want empty", got)
	}
}

// TestProfiles: a profile change reaches a chat partner's cache live
// (onUserInfoChanged) and the next message carries the new senderName;
// fetchUserInfos takes 150 accounts and refuses 151; bad profile fields
// get 414 naming the field.
func TestProfiles(t *testing.T) {
	s := useShared(t)
	tok := users(t, s, "p3alice", "p3bob")
	alice, bob := newBrowser(t, "p3alice"), newBrowser(t, "p3bob")
	for _, b := range []*browser{alice, bob} {
		b.open(pages.pageURL(s, false))
	}
	alice.login("p3alice", tok["p3alice"])
	bob.login("p3bob", tok["p3bob"])
	mb := bob.mark()
	alice.sendText("p3bob", "hello before")
	bob.waitRecv(mb, "hello before", 10*time.Second)

	mb = bob.mark()
	alice.mustCall("updateMyUserInfo", map[string]any{"userInfo": map[string]any{
		"nickName": "Alice Ä", "avatar": "https://example.com/a.png", "sign": "hi", "gender": 2,
		"email": "alice@example.com", "birth": "1990-02-28", "mobile": "+86 138-0000-0000", "ext": `{"k":1}`}})
	bob.waitEvent(mb, "friend", "onUserInfoChanged", `r.user && r.user.userId === 'p3alice' && r.user.userInfo.nickName === 'Alice Ä'`, 10*time.Second)
	r := bob.mustCall("localUserInfo", map[string]string{"userId": "p3alice"})
	var lu struct {
		User *userView `json:"user"`
	}
	json.Unmarshal(r.Ret, &lu)
	if lu.User == nil || lu.User.UserInfo == nil || lu.User.UserInfo.NickName != "Alice Ä" || lu.User.UserInfo.AvatarURL != "https://example.com/a.png" ||
		lu.User.UserInfo.Gender != 2 || lu.User.UserInfo.Birth != "1990-02-28" || lu.User.UserInfo.Email != "alice@example.com" ||
		lu.User.UserInfo.Mobile != "+86 138-0000-0000" || lu.User.UserInfo.Sign != "hi" || lu.User.UserInfo.Ext != `{"k":1}` {
		t.Errorf("bob's localUserInfo of alice: %v", r)
	}
	// alice's own cache has it too.
	r = alice.mustCall("localUserInfo", map[string]string{"userId": "p3alice"})
	if !strings.Contains(decoded(r), `"nickName":"Alice Ä"`) {
		t.Errorf("alice's own localUserInfo: %v", r)
	}
	mb = bob.mark()
	alice.sendText("p3bob", "hello after")
	m := bob.waitRecv(mb, "hello after", 10*time.Second)
	if m.SenderName != "Alice Ä" {
		t.Errorf("senderName of alice's message: %q, want the new nickname", m.SenderName)
	}
	bob.waitFor("the session's fromNick", `call('allRecentSessions').then(r => r.ret.recentSessions.some(s =>
		s.sessionId === 'p3alice' && s.fromNick === 'Alice Ä'))`, 10*time.Second)

	// Bad fields: 414 naming the field; nothing changes.
	for _, c := range []struct {
		info  string
		field string
	}{
		{`{gender: 5}`, "gender"},
		{`{birth: '1990-13-01'}`, "birth"},
		{`{email: 'not an email'}`, "email"},
		{`{nickName: '` + strings.Repeat("n", 65) + `'}`, "nickName"},
		{`{nickName: 7}`, "nickName"},
		{`{mobile: 'call me'}`, "mobile"},
	} {
		expectCode(t, alice.callJS("updateMyUserInfo", `{userInfo: `+c.info+`}`), 414, c.field)
	}
	expectCode(t, alice.callJS("updateMyUserInfo", `{}`), 414, "userInfo")
	r = bob.mustCall("fetchUserInfos", map[string]any{"users": []string{"p3alice"}})
	if !strings.Contains(decoded(r), `"nickName":"Alice Ä"`) || !r.status() {
		t.Errorf("fetchUserInfos after the bad updates: %v", r)
	}

	// 150 accounts in one call; 151 is refused.
	var ids []string
	for i := range 150 {
		id := fmt.Sprintf("p3u%03d", i)
		if _, rep := rest(t, s, "user/create.action", appSecret, url.Values{"accid": {id}, "name": {"User " + id}}); rep.Code != 200 {
			t.Fatalf("create %s: %+v", id, rep)
		}
		ids = append(ids, id)
	}
	us := bob.userViews("fetchUserInfos", "users", map[string]any{"users": ids})
	if len(us) != 150 {
		t.Errorf("fetchUserInfos of 150 accounts: %d users", len(us))
	} else if us[7].UserID != ids[7] || us[7].UserInfo == nil || us[7].UserInfo.NickName != "User "+ids[7] {
		t.Errorf("fetchUserInfos users[7]: %+v", us[7])
	}
	// They are cached: localUserInfo answers offline-first.
	if r := bob.mustCall("localUserInfo", map[string]string{"userId": ids[149]}); !strings.Contains(string(r.Ret), "User "+ids[149]) {
		t.Errorf("localUserInfo after fetchUserInfos: %v", r)
	}
	expectCode(t, bob.call("fetchUserInfos", map[string]any{"users": append(ids, "p3alice")}), 414, "users", "150")
	if r := bob.mustCall("getUserInfoList", map[string]any{"userIds": []string{"p3alice", ids[3]}}); !strings.Contains(decoded(r), "Alice Ä") {
		t.Errorf("getUserInfoList: %v", r)
	}
}

// TestSearchUser: every searchRange and searchContentOption, case and alias.
func TestSearchUser(t *testing.T) {
	s := useShared(t)
	tok := users(t, s, "p4alice", "p4bob", "p4Bobby", "p4carol")
	for id, name := range map[string]string{"p4bob": "Robert", "p4Bobby": "bobby tables", "p4carol": "Carol Bob"} {
		if _, rep := rest(t, s, "user/updateUinfo.action", appSecret, url.Values{"accid": {id}, "name": {name}}); rep.Code != 200 {
			t.Fatalf("updateUinfo %s: %+v", id, rep)
		}
	}
	alice := newBrowser(t, "p4alice")
	alice.open(pages.pageURL(s, false))
	alice.login("p4alice", tok["p4alice"])
	alice.mustCall("requestFriend", map[string]any{"userId": "p4carol", "operation": 1})
	if _, rep := rest(t, s, "friend/update.action", appSecret, url.Values{"accid": {"p4alice"}, "faccid": {"p4carol"}, "alias": {"Cece"}}); rep.Code != 200 {
		t.Fatalf("friend/update: %+v", rep)
	}
	alice.waitFor("carol's alias", `call('myFriends').then(r => r.ret.users.some(u => u.userId === 'p4carol' && u.alias === 'Cece'))`, 10*time.Second)

	// Other tests' accounts live on the shared server too: only this
	// test's (p4…) count.
	search := func(p map[string]any) []string {
		t.Helper()
		var mine []string
		for _, id := range alice.usersOf("searchUser", "users", p) {
			if strings.HasPrefix(id, "p4") {
				mine = append(mine, id)
			}
		}
		return mine
	}
	for _, c := range []struct {
		p    map[string]any
		want []string
	}{
		// everyone, by id
		{map[string]any{"searchContent": "p4bob", "searchRange": 1, "searchContentOption": 0}, []string{"p4Bobby", "p4bob"}},
		{map[string]any{"searchContent": "p4bob", "searchRange": 1, "searchContentOption": 0, "ignoreingCase": false}, []string{"p4bob"}},
		// everyone, by nickname
		{map[string]any{"searchContent": "bob", "searchRange": 1, "searchContentOption": 2}, []string{"p4Bobby", "p4carol"}},
		{map[string]any{"searchContent": "Bob", "searchRange": 1, "searchContentOption": 2, "ignoreingCase": false}, []string{"p4carol"}},
		// everyone, all fields (the default option)
		{map[string]any{"searchContent": "p4b", "searchRange": 1}, []string{"p4Bobby", "p4bob"}},
		{map[string]any{"searchContent": "cece", "searchRange": 1}, []string{"p4carol"}},
		// friends (the default range), from the cache
		{map[string]any{"searchContent": "bob"}, []string{"p4carol"}},
		{map[string]any{"searchContent": "cece", "searchContentOption": 1}, []string{"p4carol"}},
		{map[string]any{"searchContent": "cece", "searchContentOption": 1, "ignoreingCase": false}, nil},
		{map[string]any{"searchContent": "p4bob", "searchContentOption": 0}, nil},
	} {
		if got := search(c.p); !slices.Equal(got, c.want) {
			t.Errorf("searchUser(%v) = %v, want %v", c.p, got, c.want)
		}
	}
	expectCode(t, alice.call("searchUser", map[string]any{"searchContent": ""}), 414, "searchContent")
	expectCode(t, alice.call("searchUser", map[string]any{"searchContent": "x", "searchRange": 2}), 414, "searchRange")
	expectCode(t, alice.call("searchUser", map[string]any{"searchContent": "x", "searchContentOption": 9}), 414, "searchContentOption")

	// Friends search works offline, from the cache.
	alice.mustCall("logout", nil)
	alice.reload()
	alice.mustCall("openLocalCache", map[string]string{"account": "p4alice"})
	if got := alice.usersOf("searchUser", "users", map[string]any{"searchContent": "carol"}); !slices.Equal(got, []string{"p4carol"}) {
		t.Errorf("searchUser over friends after openLocalCache: %v, want p4carol", got)
	}
	if r := alice.mustCall("isLogined", nil); r.status() {
		t.Errorf("isLogined after openLocalCache: %v, want false", r)
	}
}

// TestNotificationsSync: unread count, mark all read and delete all reach
// the account's other device live and survive a reload.
func TestNotificationsSync(t *testing.T) {
	s := useShared(t)
	tok := users(t, s, "p5bob", "p5x", "p5y")
	for _, from := range []string{"p5x", "p5y"} {
		if _, rep := rest(t, s, "friend/add.action", appSecret, url.Values{"accid": {from}, "faccid": {"p5bob"}, "type": {"2"}, "msg": {"from " + from}}); rep.Code != 200 {
			t.Fatalf("friend/add %s: %+v", from, rep)
		}
	}
	b1, b2 := newBrowser(t, "p5bob-1"), newBrowser(t, "p5bob-2")
	for _, b := range []*browser{b1, b2} {
		b.open(pages.pageURL(s, false))
		b.login("p5bob", tok["p5bob"])
		b.waitFor("two unread notifications", `call('allNotificationsUnreadCount').then(r => r.ret.unreadCount === 2)`, 10*time.Second)
	}
	if ns := b1.notes(1); len(ns) != 1 || ns[0].SourceID != "p5y" {
		t.Errorf("the newest notification (limit 1): %+v, want p5y's", ns)
	}
	if ns := b1.notes(3); len(ns) != 2 || ns[0].NotificationID <= ns[1].NotificationID {
		t.Errorf("notifications: %+v, want both, newest first", ns)
	}

	m2 := b2.mark()
	b1.mustCall("markAllNotificationsAsRead", nil)
	if u := b1.notesUnread(); u != 0 {
		t.Errorf("unread right after markAllNotificationsAsRead: %d", u)
	}
	b2.waitEvent(m2, "notification", "onSystemNotificationCountChanged", `r.unreadCount === 0`, 10*time.Second)
	if ns := b2.notes(10); len(ns) != 2 || !ns[0].Read || !ns[1].Read {
		t.Errorf("bob's other device after mark all read: %+v, want both read", ns)
	}

	// A new one is unread again, on both.
	if _, rep := rest(t, s, "friend/add.action", appSecret, url.Values{"accid": {"p5x"}, "faccid": {"p5bob"}, "type": {"1"}}); rep.Code != 200 {
		t.Fatalf("friend/add: %+v", rep)
	}
	b2.waitFor("one unread", `call('allNotificationsUnreadCount').then(r => r.ret.unreadCount === 1)`, 10*time.Second)
	b1.waitFor("one unread", `call('allNotificationsUnreadCount').then(r => r.ret.unreadCount === 1)`, 10*time.Second)

	b1.mustCall("deleteAllNotifications", nil)
	if ns := b1.notes(10); len(ns) != 0 {
		t.Errorf("inbox right after deleteAllNotifications: %+v", ns)
	}
	b2.waitFor("an empty inbox on the other device", `call('fetchSystemNotifications', {limit: 10}).then(r => r.ret.notifications.length === 0)`, 10*time.Second)
	b2.reload()
	b2.login("p5bob", tok["p5bob"])
	if ns := b2.notes(10); len(ns) != 0 {
		t.Errorf("inbox after a reload: %+v, want empty", ns)
	}
	if u := b2.notesUnread(); u != 0 {
		t.Errorf("unread after a reload: %d", u)
	}
	// A device that never saw them does not get them either.
	b3 := newBrowser(t, "p5bob-3")
	b3.open(pages.pageURL(s, false))
	b3.login("p5bob", tok["p5bob"])
	if ns := b3.notes(10); len(ns) != 0 {
		t.Errorf("a new device's inbox: %+v, want empty", ns)
	}
}

// TestCustomNotification: msg/sendAttachMsg reaches the page as
// onReceiveCustomSystemNotification: save 1 only while online, save 2 (the
// default) also after a login, once.
func TestCustomNotification(t *testing.T) {
	s := useShared(t)
	tok := users(t, s, "p6bob", "p6app")
	bob := newBrowser(t, "p6bob")
	bob.open(pages.pageURL(s, false))
	bob.login("p6bob", tok["p6bob"])
	send := func(save, content string) {
		t.Helper()
		f := url.Values{"from": {"p6app"}, "msgtype": {"0"}, "to": {"p6bob"}, "attach": {content}}
		if save != "" {
			f.Set("save", save)
		}
		if _, rep := rest(t, s, "msg/sendAttachMsg.action", appSecret, f); rep.Code != 200 {
			t.Fatalf("sendAttachMsg %s: %+v", content, rep)
		}
	}
	mb := bob.mark()
	send("1", `{"live":1}`)
	bob.waitEvent(mb, "notification", "onReceiveCustomSystemNotification", `r.systemNotification && r.systemNotification.content === '{"live":1}' &&
		r.systemNotification.sender === 'p6app' && r.systemNotification.receiver === 'p6bob' && r.systemNotification.receiverType === 0 &&
		r.systemNotification.timestamp > 0`, 10*time.Second)

	bob.logout()
	send("1", `{"missed":1}`)
	send("", `{"kept":1}`)
	mb = bob.mark()
	bob.login("p6bob", tok["p6bob"])
	bob.waitEvent(mb, "notification", "onReceiveCustomSystemNotification", `r.systemNotification.content === '{"kept":1}'`, 10*time.Second)
	bob.stays("no online-only notification after the login", fmt.Sprintf(
		`!window.events.slice(%d).some(e => JSON.stringify(e.ret).includes('missed'))`, mb), time.Second)
	// Heard once: a reload and login do not repeat it.
	bob.reload()
	mb = bob.mark()
	bob.login("p6bob", tok["p6bob"])
	bob.stays("the stored notification is not repeated", fmt.Sprintf(
		`!window.events.slice(%d).some(e => e.kind === 'notification' && e.ret.eventType === 'onReceiveCustomSystemNotification')`, mb), 2*time.Second)

	// Bad REST input is refused with NetEase's 414.
	if _, rep := rest(t, s, "msg/sendAttachMsg.action", appSecret, url.Values{"from": {"p6app"}, "msgtype": {"0"}, "to": {"p6bob"},
		"attach": {strings.Repeat("x", 4097)}}); rep.Code != 414 {
		t.Errorf("sendAttachMsg with 4097 bytes: %+v, want 414", rep)
	}
}

// TestBlockedAccount: user/block with needkick closes the account's
// connection, its logins get 422; user/unblock lets it in again.
func TestBlockedAccount(t *testing.T) {
	s := useShared(t)
	tok := users(t, s, "p7eve")
	eve := newBrowser(t, "p7eve")
	eve.open(pages.pageURL(s, false))
	eve.login("p7eve", tok["p7eve"])
	m := eve.mark()
	if _, rep := rest(t, s, "user/block.action", appSecret, url.Values{"accid": {"p7eve"}, "needkick": {"true"}}); rep.Code != 200 {
		t.Fatalf("user/block: %+v", rep)
	}
	eve.waitEvent(m, "account", "kickout", "", 10*time.Second)
	eve.waitFor("logged out", `call('isLogined').then(r => r.ret.status === false)`, 10*time.Second)
	expectCode(t, eve.call("login", map[string]string{"account": "p7eve", "token": tok["p7eve"]}), 422)
	if _, rep := rest(t, s, "user/unblock.action", appSecret, url.Values{"accid": {"p7eve"}}); rep.Code != 200 {
		t.Fatalf("user/unblock: %+v", rep)
	}
	eve.login("p7eve", tok["p7eve"])

	// user/getUinfos in NetEase's shape.
	if _, rep := rest(t, s, "user/updateUinfo.action", appSecret, url.Values{"accid": {"p7eve"}, "name": {"Eve"}, "gender": {"2"}}); rep.Code != 200 {
		t.Fatalf("updateUinfo: %+v", rep)
	}
	raw := restRaw(t, s, "user/getUinfos.action", url.Values{"accids": {`["p7eve","p7nobody"]`}})
	var got struct {
		Code   int              `json:"code"`
		Uinfos []map[string]any `json:"uinfos"`
	}
	json.Unmarshal(raw, &got)
	if got.Code != 200 || len(got.Uinfos) != 1 || got.Uinfos[0]["accid"] != "p7eve" || got.Uinfos[0]["name"] != "Eve" || got.Uinfos[0]["gender"] != float64(2) {
		t.Errorf("user/getUinfos: %s", raw)
	}
	eve.waitFor("eve's own profile from the REST update", `call('localUserInfo', {userId: 'p7eve'}).then(r => r.ret.user && r.ret.user.userInfo.nickName === 'Eve')`, 10*time.Second)
}

// TestPeopleBadParams: every people and notification method refuses bad
// input with 414 naming the parameter, and the runtime lives on.
func TestPeopleBadParams(t *testing.T) {
	s := useShared(t)
	tok := users(t, s, "p8alice")
	a := newBrowser(t, "p8alice")
	a.open(pages.pageURL(s, false))
	a.login("p8alice", tok["p8alice"])
	for _, c := range []struct{ method, params, word string }{
		{"localUserInfo", `{}`, "userId"},
		{"fetchUserInfos", `{users: 'p8alice'}`, "users"},
		{"fetchUserInfos", `{users: ['bad id!']}`, "users"},
		{"getUserInfoList", `{userIds: [1, 2]}`, "userIds"},
		{"updateMyUserInfo", `{userInfo: 'x'}`, "userInfo"},
		{"requestFriend", `{}`, "userId"},
		{"requestFriend", `{userId: 'p8alice'}`, "userId"},
		{"requestFriend", `{userId: 'p8bob', operation: 7}`, "operation"},
		{"requestFriend", `{userId: 'p8bob', message: '` + strings.Repeat("m", 257) + `'}`, "message"},
		{"deleteFriend", `{userId: ''}`, "userId"},
		{"deleteFriend", `{userId: 'p8bob', removeAlias: 'yes'}`, "removeAlias"},
		{"isMyFriend", `{userId: 5}`, "userId"},
		{"addToBlackList", `{}`, "userId"},
		{"removeFromBlackList", `{userId: null}`, "userId"},
		{"isUserInBlackList", `{}`, "userId"},
		{"setMute", `{userId: 'p8bob', isNotify: 'no'}`, "isNotify"},
		{"isMute", `{}`, "userId"},
		{"searchUser", `{searchContent: 5}`, "searchContent"},
		{"fetchSystemNotifications", `{limit: 0}`, "limit"},
		{"fetchSystemNotifications", `{limit: 3, offset: -1}`, "offset"},
		{"openLocalCache", `{account: ''}`, "account"},
	} {
		expectCode(t, a.callJS(c.method, c.params), 414, c.word)
	}
	// Unknown accounts are 404, not 414.
	expectCode(t, a.call("requestFriend", map[string]any{"userId": "p8nobody"}), 404)
	expectCode(t, a.call("addToBlackList", map[string]any{"userId": "p8nobody"}), 404)
	// Still alive and logged in.
	if r := a.mustCall("isLogined", nil); !r.status() {
		t.Errorf("isLogined after the bad calls: %v", r)
	}
	if got := a.usersOf("myFriends", "users", nil); len(got) != 0 {
		t.Errorf("friends after the bad calls: %v", got)
	}
}

// TestPeopleTwoTabs: two tabs of one browser profile share one IndexedDB
// cache; each hears a friend request, the friendship and the mute list
// once, and both end on the state the cache holds, also after a quick
// mute then unmute in one of them and after a reload.
func TestPeopleTwoTabs(t *testing.T) {
	s := useShared(t)
	tok := users(t, s, "p9alice", "p9bob")
	tab1, bob := newBrowser(t, "p9alice tab 1"), newBrowser(t, "p9bob")
	tab2 := tab1.newTab("p9alice tab 2")
	for _, b := range []*browser{tab1, tab2, bob} {
		b.open(pages.pageURL(s, false))
	}
	bob.login("p9bob", tok["p9bob"])
	tab1.login("p9alice", tok["p9alice"])
	tab2.login("p9alice", tok["p9alice"])

	m1, m2 := tab1.mark(), tab2.mark()
	bob.mustCall("requestFriend", map[string]any{"userId": "p9alice", "message": "two tabs?"})
	for _, tab := range []*browser{tab1, tab2} {
		tab.waitFor("one unread notification", `call('allNotificationsUnreadCount').then(r => r.ret.unreadCount === 1)`, 10*time.Second)
	}
	tab1.mustCall("requestFriend", map[string]any{"userId": "p9bob", "operation": 3})
	for _, tab := range []*browser{tab1, tab2} {
		tab.waitList("myFriends", "users", "p9bob")
	}
	// Each tab heard the request and the new friend once.
	tab2.waitEvent(m2, "friend", "onFriendChanged", `(r.addUser || []).includes('p9bob')`, 10*time.Second)
	for _, c := range []struct {
		b    *browser
		mark int
	}{{tab1, m1}, {tab2, m2}} {
		n := eval[int](c.b, fmt.Sprintf(`window.events.slice(%d).filter(e => e.kind === 'notification' &&
			e.ret.eventType === 'onReceiveSystemNotification' && e.ret.notification.sourceID === 'p9bob').length`, c.mark))
		if n != 1 {
			t.Errorf("%s heard bob's request %d times, want once", c.b.name, n)
		}
		n = eval[int](c.b, fmt.Sprintf(`window.events.slice(%d).filter(e => e.kind === 'friend' &&
			e.ret.eventType === 'onFriendChanged' && (e.ret.addUser || []).includes('p9bob')).length`, c.mark))
		if n != 1 {
			t.Errorf("%s heard the new friend %d times, want once", c.b.name, n)
		}
	}

	// A quick mute then unmute in tab 2: tab 1 ends unmuted, and the last
	// mute event it heard says so.
	m1 = tab1.mark()
	tab2.mustCall("setMute", map[string]any{"userId": "p9bob", "isNotify": true})
	tab2.mustCall("setMute", map[string]any{"userId": "p9bob", "isNotify": false})
	tab1.waitEvent(m1, "friend", "onMuteListChanged", `r.muteUser === 'p9bob' && r.mute === false`, 10*time.Second)
	tab1.stays("no later mute=true", fmt.Sprintf(`(() => { const ev = window.events.slice(%d).filter(e => e.kind === 'friend' &&
		e.ret.eventType === 'onMuteListChanged'); return ev.length > 0 && ev[ev.length - 1].ret.mute === false; })()`, m1), time.Second)
	if r := tab1.mustCall("isMute", map[string]string{"userId": "p9bob"}); !strings.Contains(string(r.Ret), `"isMute":false`) {
		t.Errorf("tab 1 isMute after mute and unmute in tab 2: %v", r)
	}

	// Mark all read in tab 1: tab 2's count follows.
	tab1.mustCall("markAllNotificationsAsRead", nil)
	tab2.waitFor("tab 2's unread count 0", `call('allNotificationsUnreadCount').then(r => r.ret.unreadCount === 0)`, 10*time.Second)

	tab2.reload()
	tab2.login("p9alice", tok["p9alice"])
	if got := tab2.usersOf("myFriends", "users", nil); !slices.Equal(got, []string{"p9bob"}) {
		t.Errorf("tab 2's friends after a reload: %v", got)
	}
	if u := tab2.notesUnread(); u != 0 {
		t.Errorf("tab 2's unread notifications after a reload: %d", u)
	}
	if got := tab2.usersOf("myMuteUserList", "muteUsers", nil); len(got) != 0 {
		t.Errorf("tab 2's mute list after a reload: %v", got)
	}
}
