//go:build !js

package core_test

// The people domain end to end: real engine, real server and SQLite store,
// real WebSockets; the cache is the in-memory one.

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"yunxin/core"
	"yunxin/proto"
)

var bg = context.Background()

// rest calls the server API action path (e.g. "msg/sendAttachMsg") with
// form and returns the reply's code and desc.
func (ts *testServer) rest(path string, form url.Values) (int, string) {
	ts.t.Helper()
	req, _ := http.NewRequest("POST", "http://"+ts.addr+"/nimserver/"+path+".action", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded;charset=utf-8")
	nonce := "n" + strconv.FormatInt(time.Now().UnixNano(), 10)
	ct := strconv.FormatInt(time.Now().Unix(), 10)
	sum := sha1.Sum([]byte("secret" + nonce + ct))
	req.Header.Set("AppKey", "demo")
	req.Header.Set("Nonce", nonce)
	req.Header.Set("CurTime", ct)
	req.Header.Set("CheckSum", hex.EncodeToString(sum[:]))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		ts.t.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct {
		Code int    `json:"code"`
		Desc string `json:"desc"`
	}
	json.NewDecoder(resp.Body).Decode(&r)
	return r.Code, r.Desc
}

// friendEvents returns the device's friend events of eventType.
func (d *device) friendEvents(eventType string) []core.FriendEvent {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []core.FriendEvent
	for _, e := range d.events {
		if f, ok := e.Data.(core.FriendEvent); ok && f.EventType == eventType {
			out = append(out, f)
		}
	}
	return out
}

// noteEvents returns the device's notification events of eventType.
func (d *device) noteEvents(eventType string) []core.NotificationEvent {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []core.NotificationEvent
	for _, e := range d.events {
		if n, ok := e.Data.(core.NotificationEvent); ok && n.EventType == eventType {
			out = append(out, n)
		}
	}
	return out
}

// lastCount is the unreadCount of the device's last
// onSystemNotificationCountChanged (-1: none yet).
func (d *device) lastCount() int {
	evs := d.noteEvents("onSystemNotificationCountChanged")
	if len(evs) == 0 {
		return -1
	}
	return *evs[len(evs)-1].UnreadCount
}

func (d *device) friends() string {
	d.t.Helper()
	fs, err := d.c.MyFriends(bg)
	if err != nil {
		d.t.Fatal(err)
	}
	var ids []string
	for _, f := range fs {
		ids = append(ids, f.UserID)
	}
	return strings.Join(ids, ",")
}

func (d *device) inbox() []core.NotificationView {
	d.t.Helper()
	ns, err := d.c.SystemNotifications(bg, 100, 0)
	if err != nil {
		d.t.Fatal(err)
	}
	return ns
}

func TestFriendRequestAcceptAcrossDevices(t *testing.T) {
	ts, a1, a2, b := twoAlicesAndBob(t)
	ts.user("carol")

	// alice asks bob: bob's inbox gets the request, live.
	if err := a1.c.RequestFriend(bg, "bob", proto.FriendRequest, "hi bob"); err != nil {
		t.Fatal(err)
	}
	b.waitFor("the request", func() bool { return len(b.noteEvents("onReceiveSystemNotification")) == 1 && b.lastCount() == 1 })
	n := b.noteEvents("onReceiveSystemNotification")[0].Notification
	if n.Type != proto.NoteFriend || n.SourceID != "alice" || n.TargetID != "bob" || n.Postscript != "hi bob" ||
		n.Operation != proto.FriendRequest || n.HandleStatus != proto.NoteUntreated || n.Read {
		t.Fatalf("request notification %+v", n)
	}
	if c, _ := b.c.NotificationsUnreadCount(bg); c != 1 {
		t.Fatalf("bob's unread %d", c)
	}
	if ok, _ := a1.c.IsMyFriend(bg, "bob"); ok {
		t.Fatal("friends before the accept")
	}
	// Accepting a request that does not exist: 404.
	if err := a1.c.RequestFriend(bg, "bob", proto.FriendAccept, ""); core.AsError(err).Code != proto.CodeNotFound {
		t.Fatalf("accept without a request: %v", err)
	}

	// bob accepts: both sides' friend lists, on every device, live; alice
	// hears the answer in her inbox; bob's request is handled.
	if err := b.c.RequestFriend(bg, "alice", proto.FriendAccept, ""); err != nil {
		t.Fatal(err)
	}
	if got := b.friends(); got != "alice" {
		t.Fatalf("bob's friends right after accepting: %q", got)
	}
	for _, d := range []*device{a1, a2} {
		d.waitFor("alice's friend list", func() bool { return len(d.friendEvents("onFriendChanged")) >= 1 && d.friends() == "bob" })
		fe := d.friendEvents("onFriendChanged")[0]
		if fe.User == nil || fe.User.UserID != "bob" || len(fe.AddUser) != 1 || fe.AddUser[0] != "bob" || len(fe.ChangeUser) != 1 {
			t.Fatalf("onFriendChanged %+v", fe)
		}
		d.waitFor("the answer", func() bool {
			for _, n := range d.inbox() {
				if n.SourceID == "bob" && n.Operation == proto.FriendAccept {
					return true
				}
			}
			return false
		})
		// The friend's profile came with the friendship.
		d.waitFor("bob's profile", func() bool {
			v, _ := d.c.LocalUserInfo(bg, "bob")
			return v != nil && v.UserInfo.NickName == "bob"
		})
	}
	if got := b.inbox(); len(got) != 1 || got[0].HandleStatus != proto.NotePassed {
		t.Fatalf("bob's inbox after accepting: %+v", got)
	}
	if ok, _ := b.c.IsMyFriend(bg, "alice"); !ok {
		t.Fatal("alice is not bob's friend")
	}

	// The lists survive a reload (a new login over the same cache).
	a2.c.Logout(bg)
	a2.login("alice")
	if got := a2.friends(); got != "bob" {
		t.Fatalf("alice's friends after a reload: %q", got)
	}

	// An offline target sees the request at its next login.
	if err := a1.c.RequestFriend(bg, "carol", proto.FriendRequest, "later"); err != nil {
		t.Fatal(err)
	}
	c := newDevice(t, ts, true)
	c.login("carol")
	c.waitFor("carol's request", func() bool { return len(c.inbox()) == 1 })
	if got := c.inbox()[0]; got.SourceID != "alice" || got.Postscript != "later" {
		t.Fatalf("carol's inbox %+v", got)
	}
	if n, _ := c.c.NotificationsUnreadCount(bg); n != 1 {
		t.Fatalf("carol's unread %d", n)
	}
	// carol rejects: alice hears it, no friendship.
	if err := c.c.RequestFriend(bg, "alice", proto.FriendReject, ""); err != nil {
		t.Fatal(err)
	}
	a1.waitFor("the rejection", func() bool {
		for _, n := range a1.inbox() {
			if n.SourceID == "carol" && n.Operation == proto.FriendReject {
				return true
			}
		}
		return false
	})
	if got := c.inbox()[0]; got.HandleStatus != proto.NoteDeclined {
		t.Fatalf("carol's request after rejecting: %+v", got)
	}

	// Deleting the friendship: both sides, live.
	if err := b.c.DeleteFriend(bg, "alice", true); err != nil {
		t.Fatal(err)
	}
	a1.waitFor("the friendship's end", func() bool {
		for _, fe := range a1.friendEvents("onFriendChanged") {
			if len(fe.RemoveUser) == 1 && fe.RemoveUser[0] == "bob" {
				return a1.friends() == ""
			}
		}
		return false
	})
	if got := b.friends(); got != "" {
		t.Fatalf("bob's friends after deleting: %q", got)
	}
}

func TestProfileAndNicknames(t *testing.T) {
	ts, a1, a2, b := twoAlicesAndBob(t)
	if err := a1.c.RequestFriend(bg, "bob", proto.FriendAdd, ""); err != nil {
		t.Fatal(err)
	}
	b.waitFor("the friendship", func() bool { return b.friends() == "alice" })

	nick, sign, gender, birth := "Alice W", "hello", 2, "1990-02-03"
	if err := a1.c.UpdateMyUserInfo(bg, core.UserUpdate{NickName: &nick, Sign: &sign, Gender: &gender, Birth: &birth}); err != nil {
		t.Fatal(err)
	}
	if v, _ := a1.c.LocalUserInfo(bg, "alice"); v == nil || v.UserInfo.NickName != nick || v.UserInfo.Birth != birth {
		t.Fatalf("own profile after the update: %+v", v)
	}
	changed := func(d *device) bool {
		for _, fe := range d.friendEvents("onUserInfoChanged") {
			if fe.User != nil && fe.User.UserID == "alice" && fe.User.UserInfo != nil && fe.User.UserInfo.NickName == nick &&
				len(fe.ChangeUser) == 1 && fe.ChangeUser[0].UserInfo.Sign == sign {
				return true
			}
		}
		return false
	}
	b.waitFor("the friend's new profile", func() bool { return changed(b) })
	a2.waitFor("the other device's new profile", func() bool { return changed(a2) })
	if v, _ := b.c.LocalUserInfo(bg, "alice"); v == nil || v.UserInfo.Gender != 2 || v.UserInfo.Sign != sign {
		t.Fatalf("bob's copy of alice: %+v", v)
	}
	if changed(a1) {
		t.Fatal("the updating device heard onUserInfoChanged of its own update")
	}
	bad := "x@"
	if err := a1.c.UpdateMyUserInfo(bg, core.UserUpdate{Email: &bad}); core.AsError(err).Code != proto.CodeBadParam {
		t.Fatalf("bad email: %v", err)
	}

	// A new device fetches its own profile at login (the log has no
	// ChangeUser of a profile that never changed): its messages carry the
	// account's nickname.
	if v, _ := b.c.LocalUserInfo(bg, "bob"); v == nil || v.UserInfo.NickName != "bob" {
		t.Fatalf("bob's own profile after the login: %+v", v)
	}
	if v := b.send("alice", "yo"); v.SenderName != "bob" {
		t.Fatalf("bob's message's senderName %q", v.SenderName)
	}
	a1.waitFor("bob's message", func() bool { return len(a1.received()) == 1 })
	if ms := a1.messages("bob", 10); len(ms) != 1 || ms[0].SenderName != "bob" {
		t.Fatalf("alice's copy of bob's message: %+v", ms)
	}

	// Messages carry the sender's nickname.
	v := a1.send("bob", "hi")
	if v.SenderName != nick {
		t.Fatalf("own message's senderName %q", v.SenderName)
	}
	b.waitFor("the message", func() bool { return len(b.received()) == 1 })
	if ms := b.messages("alice", 10); len(ms) != 2 || ms[1].SenderName != nick {
		t.Fatalf("bob's message %+v", ms)
	}
	if s := b.session("alice"); s == nil || s.FromNick != nick {
		t.Fatalf("bob's session %+v", s)
	}

	// fetchUserInfos: 150 in one call, cached, no onUserInfoChanged; 151: 414.
	var accounts []string
	for i := 0; i < proto.MaxUsers; i++ {
		acc := fmt.Sprintf("u%03d", i)
		ts.user(acc)
		accounts = append(accounts, acc)
	}
	before := len(b.friendEvents("onUserInfoChanged"))
	vs, err := b.c.FetchUserInfos(bg, accounts)
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != proto.MaxUsers || vs[0].UserID != "u000" || vs[0].UserInfo.NickName != "u000" || vs[149].UserID != "u149" {
		t.Fatalf("fetched %d users", len(vs))
	}
	if v, _ := b.c.LocalUserInfo(bg, "u042"); v == nil || v.UserInfo.NickName != "u042" {
		t.Fatalf("u042 not cached: %+v", v)
	}
	if n := len(b.friendEvents("onUserInfoChanged")); n != before {
		t.Fatalf("fetchUserInfos emitted %d onUserInfoChanged", n-before)
	}
	if _, err := b.c.FetchUserInfos(bg, append(accounts, "bob")); core.AsError(err).Code != proto.CodeBadParam {
		t.Fatalf("151 accounts: %v", err)
	}
	// getUserInfoList: the cached one and a fetched one; unknown accounts
	// are left out.
	ts.user("dora")
	list, err := b.c.GetUserInfoList(bg, []string{"u001", "dora", "ghost"})
	if err != nil || len(list) != 2 || list[1].UserID != "dora" || list[1].UserInfo == nil {
		t.Fatalf("getUserInfoList: %+v, %v", list, err)
	}

	// searchUser over everyone asks the server.
	res, err := b.c.SearchUser(bg, core.SearchParams{Text: "U14", IgnoreCase: true, Range: 1, Option: proto.SearchID})
	if err != nil || len(res) != 10 || res[0].UserID != "u140" {
		t.Fatalf("search: %d results, %v", len(res), err)
	}
	res, err = b.c.SearchUser(bg, core.SearchParams{Text: "alice w", IgnoreCase: true, Range: 1, Option: proto.SearchNick})
	if err != nil || len(res) != 1 || res[0].UserID != "alice" || res[0].UserInfo.NickName != nick {
		t.Fatalf("search by nickname: %+v, %v", res, err)
	}
	res, err = b.c.SearchUser(bg, core.SearchParams{Text: "alice w", IgnoreCase: false, Range: 1, Option: proto.SearchNick})
	if err != nil || len(res) != 0 {
		t.Fatalf("case-sensitive search: %+v, %v", res, err)
	}
	// over friends, offline from the cache.
	res, err = b.c.SearchUser(bg, core.SearchParams{Text: "W", IgnoreCase: false, Range: 0, Option: proto.SearchAll})
	if err != nil || len(res) != 1 || res[0].UserID != "alice" {
		t.Fatalf("friend search: %+v, %v", res, err)
	}
}

func TestBlacklistAndMute(t *testing.T) {
	ts, a, b1 := aliceAndBob(t, true)
	b2 := newDevice(t, ts, true)
	b2.login("bob")

	if err := b1.c.SetBlackList(bg, "alice", true); err != nil {
		t.Fatal(err)
	}
	for _, d := range []*device{b1, b2} {
		d.waitFor("onBlackListChanged", func() bool {
			evs := d.friendEvents("onBlackListChanged")
			return len(evs) == 1 && len(evs[0].AddUser) == 1 && evs[0].AddUser[0] == "alice"
		})
		if ok, _ := d.c.IsUserInBlackList(bg, "alice"); !ok {
			t.Fatal("alice not on the blacklist")
		}
	}
	// alice's send is refused with 7101 and marked.
	v, err := a.c.SendText(bg, core.SendTextParams{SessionID: "bob", Text: "blocked", ReSend: true})
	if core.AsError(err).Code != proto.CodeBlacklisted || v == nil || !v.IsBlackListed || v.DeliveryState != core.DeliveryFailed {
		t.Fatalf("send to a blocker: %+v, %v", v, err)
	}
	if ms := a.messages("bob", 10); len(ms) != 1 || !ms[0].IsBlackListed || ms[0].DeliveryState != core.DeliveryFailed {
		t.Fatalf("alice's cached message %+v", ms)
	}
	if err := a.c.RequestFriend(bg, "bob", proto.FriendRequest, ""); core.AsError(err).Code != proto.CodeBlacklisted {
		t.Fatalf("friend request to a blocker: %v", err)
	}
	// alice's blacklist does not show it.
	if bl, _ := a.c.MyBlackList(bg); len(bl) != 0 {
		t.Fatalf("alice's blacklist %+v", bl)
	}

	// Unblocked: delivery again; a resend of the refused one clears the mark.
	if err := b2.c.SetBlackList(bg, "alice", false); err != nil {
		t.Fatal(err)
	}
	b1.waitFor("the unblock", func() bool {
		ok, _ := b1.c.IsUserInBlackList(bg, "alice")
		return !ok && len(b1.friendEvents("onBlackListChanged")) == 2
	})
	a.send("bob", "free")
	rv, err := a.c.ResendMessage(bg, "bob", 0, v.MessageID)
	if err != nil || rv.IsBlackListed || rv.DeliveryState != core.DeliverySent {
		t.Fatalf("resend after the unblock: %+v, %v", rv, err)
	}
	b1.waitFor("delivery", func() bool { return len(b1.received()) == 2 })
	if bl, _ := b1.c.MyBlackList(bg); len(bl) != 0 {
		t.Fatalf("bob's blacklist %+v", bl)
	}

	// The mute list syncs across devices.
	if err := b1.c.SetMute(bg, "alice", true); err != nil {
		t.Fatal(err)
	}
	b2.waitFor("onMuteListChanged", func() bool {
		evs := b2.friendEvents("onMuteListChanged")
		return len(evs) == 1 && evs[0].MuteUser == "alice" && *evs[0].Mute
	})
	if ml, _ := b2.c.MyMuteUserList(bg); len(ml) != 1 || ml[0].UserID != "alice" {
		t.Fatalf("bob's mute list on the other device: %+v", ml)
	}
	if err := b2.c.SetMute(bg, "alice", false); err != nil {
		t.Fatal(err)
	}
	b1.waitFor("unmute", func() bool { ok, _ := b1.c.IsMute(bg, "alice"); return !ok })
	// A new device gets the lists from the sync.
	b3 := newDevice(t, ts, true)
	b1.c.SetMute(bg, "alice", true)
	b3.login("bob")
	if ok, _ := b3.c.IsMute(bg, "alice"); !ok {
		t.Fatal("a new device does not have the mute list")
	}
}

func TestNotificationMarksAcrossDevices(t *testing.T) {
	ts := startServer(t)
	for _, u := range []string{"alice", "bob", "carol"} {
		ts.user(u)
	}
	a, c := newDevice(t, ts, true), newDevice(t, ts, true)
	b1, b2 := newDevice(t, ts, true), newDevice(t, ts, true)
	a.login("alice")
	c.login("carol")
	b1.login("bob")
	b2.login("bob")

	a.c.RequestFriend(bg, "bob", proto.FriendRequest, "")
	c.c.RequestFriend(bg, "bob", proto.FriendRequest, "")
	for _, d := range []*device{b1, b2} {
		d.waitFor("two requests", func() bool { return len(d.inbox()) == 2 && d.lastCount() == 2 })
	}
	// Mark all read on one device: the other follows.
	if err := b1.c.MarkAllNotificationsRead(bg); err != nil {
		t.Fatal(err)
	}
	if n, _ := b1.c.NotificationsUnreadCount(bg); n != 0 {
		t.Fatalf("unread after marking: %d", n)
	}
	b2.waitFor("the read mark", func() bool { return b2.lastCount() == 0 })
	if got := b2.inbox(); !got[0].Read || !got[1].Read {
		t.Fatalf("b2's inbox %+v", got)
	}

	// Delete all while offline (the cache only): at once here, on the
	// other device after this one's next sync.
	b1.c.Logout(bg)
	if err := b1.c.OpenLocalCache(bg, "bob"); err != nil {
		t.Fatal(err)
	}
	if b1.c.IsLogined() {
		t.Fatal("logged in after openLocalCache")
	}
	if err := b1.c.DeleteAllNotifications(bg); err != nil {
		t.Fatal(err)
	}
	if got := b1.inbox(); len(got) != 0 {
		t.Fatalf("inbox after delete all: %+v", got)
	}
	if got := b2.inbox(); len(got) != 2 {
		t.Fatalf("b2 heard an offline delete: %+v", got)
	}
	b1.login("bob")
	b2.waitFor("the delete mark", func() bool { return len(b2.inbox()) == 0 })
	if got := b1.inbox(); len(got) != 0 {
		t.Fatalf("deleted notifications came back: %+v", got)
	}
	// A later request is kept and counted.
	ts.user("dave")
	d := newDevice(t, ts, true)
	d.login("dave")
	d.c.RequestFriend(bg, "bob", proto.FriendRequest, "")
	b2.waitFor("a new request", func() bool { return len(b2.inbox()) == 1 && b2.lastCount() == 1 })
	// A new device of bob: only the new one.
	b3 := newDevice(t, ts, true)
	b3.login("bob")
	if got := b3.inbox(); len(got) != 1 || got[0].SourceID != "dave" {
		t.Fatalf("new device's inbox %+v", got)
	}
	if n, _ := b3.c.NotificationsUnreadCount(bg); n != 1 {
		t.Fatalf("new device's unread %d", n)
	}
}

func TestCustomNotificationsFromREST(t *testing.T) {
	ts, a1, a2, b := twoAlicesAndBob(t)
	custom := func(d *device) []string {
		var out []string
		for _, e := range d.noteEvents("onReceiveCustomSystemNotification") {
			out = append(out, e.SystemNotification.Content)
		}
		return out
	}
	// save 1: online devices only.
	if code, desc := ts.rest("msg/sendAttachMsg", url.Values{"from": {"bob"}, "msgtype": {"0"}, "to": {"alice"}, "attach": {`{"a":1}`}, "save": {"1"}}); code != 200 {
		t.Fatalf("sendAttachMsg: %d %s", code, desc)
	}
	for _, d := range []*device{a1, a2} {
		d.waitFor("the live custom notification", func() bool { return len(custom(d)) == 1 })
		e := d.noteEvents("onReceiveCustomSystemNotification")[0].SystemNotification
		if e.Sender != "bob" || e.Receiver != "alice" || e.Content != `{"a":1}` || e.ReceiverType != 0 || e.Timestamp == 0 {
			t.Fatalf("custom notification %+v", e)
		}
	}
	// save 2: stored; a2, offline now, gets it at its next login, once.
	a2.c.Logout(bg)
	if code, desc := ts.rest("msg/sendAttachMsg", url.Values{"from": {"bob"}, "msgtype": {"0"}, "to": {"alice"}, "attach": {"stored"}}); code != 200 {
		t.Fatalf("sendAttachMsg: %d %s", code, desc)
	}
	a1.waitFor("the stored one, live", func() bool { return len(custom(a1)) == 2 })
	a2.login("alice")
	a2.waitFor("the stored one, synced", func() bool { return len(custom(a2)) == 2 })
	a1.c.Logout(bg)
	a1.login("alice")
	a2.c.Logout(bg)
	a2.login("alice")
	if got := fmt.Sprint(custom(a1), custom(a2)); got != `[{"a":1} stored] [{"a":1} stored]` {
		t.Fatalf("custom notifications heard: %s", got)
	}
	if len(custom(b)) != 0 {
		t.Fatal("the sender heard it")
	}
}
