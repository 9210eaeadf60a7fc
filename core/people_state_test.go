package core

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"yunxin/proto"
)

// These tests drive the people appliers (profiles, friends, relations,
// notifications, custom notifications) through pushes and the Client's
// reads, over a MemCache, with no network.

// peopleEvents returns the people events recorded, as "kind:detail".
func (rec *recorder) peopleEvents() []string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var out []string
	for _, e := range rec.events {
		switch d := e.Data.(type) {
		case FriendEvent:
			s := d.EventType
			if d.User != nil {
				s += " " + d.User.UserID
			}
			for _, v := range d.ChangeUser {
				nick := ""
				if v.UserInfo != nil {
					nick = v.UserInfo.NickName
				}
				s += " change=" + v.UserID + "/" + v.Alias + "/" + nick
			}
			if len(d.AddUser) > 0 {
				s += " add=" + strings.Join(d.AddUser, ",")
			}
			if len(d.RemoveUser) > 0 {
				s += " remove=" + strings.Join(d.RemoveUser, ",")
			}
			if d.Mute != nil {
				s += fmt.Sprintf(" mute=%s/%v", d.MuteUser, *d.Mute)
			}
			out = append(out, s)
		case NotificationEvent:
			s := d.EventType
			if d.Notification != nil {
				s += fmt.Sprintf(" id=%d read=%v status=%d", d.Notification.NotificationID, d.Notification.Read, d.Notification.HandleStatus)
			}
			if d.UnreadCount != nil {
				s += fmt.Sprintf(" unread=%d", *d.UnreadCount)
			}
			if d.SystemNotification != nil {
				s += fmt.Sprintf(" custom=%d:%s", d.SystemNotification.NotificationID, d.SystemNotification.Content)
			}
			out = append(out, s)
		}
	}
	return out
}

func pushChange(c *Client, r *run, ver int64, kind, key string, data any) {
	c.onPush(r, nil, proto.PushChange, change(ver, kind, key, data))
}

func pushDeleted(c *Client, r *run, ver int64, kind, key string) {
	b, _ := json.Marshal(proto.Change{Ver: ver, Kind: kind, Key: key, Deleted: true})
	c.onPush(r, nil, proto.PushChange, b)
}

func wantEvents(t *testing.T, rec *recorder, want ...string) {
	t.Helper()
	if got := rec.peopleEvents(); !slices.Equal(got, want) {
		t.Fatalf("events\n got %q\nwant %q", got, want)
	}
	rec.reset()
}

func TestFriendsAndProfiles(t *testing.T) {
	ctx := context.Background()
	cache := NewMemCache()
	c, r, rec := offline(t, cache, false)

	// A new friend and its profile in one sync page: the friend event
	// shows the profile that came after it.
	err := c.change(r, func(t *tx) {
		t.applyChange(proto.Change{Ver: 1, Kind: proto.ChangeFriend, Key: "bob", Data: mustJSON(proto.Friend{Account: "bob", Alias: "Bobby", Time: 5})})
		t.applyChange(proto.Change{Ver: 2, Kind: proto.ChangeUser, Key: "bob", Data: mustJSON(proto.UserInfo{Account: "bob", Name: "Bob", Icon: "http://x/b.png", Ver: 3})})
	})
	if err != nil {
		t.Fatal(err)
	}
	wantEvents(t, rec, "onFriendChanged bob change=bob/Bobby/Bob add=bob", "onUserInfoChanged bob change=bob/Bobby/Bob")
	friends, _ := c.MyFriends(ctx)
	if len(friends) != 1 || friends[0].UserID != "bob" || friends[0].Alias != "Bobby" || friends[0].UserInfo == nil ||
		friends[0].UserInfo.NickName != "Bob" || friends[0].UserInfo.ThumbAvatarURL != "http://x/b.png" {
		t.Fatalf("friends %+v", friends)
	}
	if ok, _ := c.IsMyFriend(ctx, "bob"); !ok {
		t.Fatal("bob is not a friend")
	}
	if ok, _ := c.IsMyFriend(ctx, "carol"); ok {
		t.Fatal("carol is a friend")
	}

	// The same changes again (the sync pages over the pushes): nothing.
	pushChange(c, r, 1, proto.ChangeFriend, "bob", proto.Friend{Account: "bob", Alias: "Bobby", Time: 5})
	pushChange(c, r, 2, proto.ChangeUser, "bob", proto.UserInfo{Account: "bob", Name: "Bob", Icon: "http://x/b.png", Ver: 3})
	wantEvents(t, rec)

	// An older profile (a fetch that raced a change) does not replace a
	// newer one; a newer one does, with onUserInfoChanged.
	c.change(r, func(t *tx) { t.putUser(proto.UserInfo{Account: "bob", Name: "Old", Ver: 2}) })
	if v, _ := c.LocalUserInfo(ctx, "bob"); v == nil || v.UserInfo.NickName != "Bob" {
		t.Fatalf("an older profile replaced the newer one: %+v", v)
	}
	pushChange(c, r, 3, proto.ChangeUser, "bob", proto.UserInfo{Account: "bob", Name: "Robert", Ver: 4})
	wantEvents(t, rec, "onUserInfoChanged bob change=bob/Bobby/Robert")
	snap, _ := cache.Load(ctx)
	if i := slices.IndexFunc(snap.Records, func(r Record) bool { return r.Kind == "user" }); i < 0 || snap.Records[i].Ver != 4 {
		t.Fatalf("user record in the cache: %+v (want Ver = the profile's, 4)", snap.Records)
	}

	// An alias change: onFriendChanged again.
	pushChange(c, r, 4, proto.ChangeFriend, "bob", proto.Friend{Account: "bob", Alias: "B", Time: 5})
	wantEvents(t, rec, "onFriendChanged bob change=bob/B/Robert add=bob")

	// An older deletion (a sync paging over history) does not undo the
	// newer friendship; a newer one ends it.
	pushDeleted(c, r, 3, proto.ChangeFriend, "bob")
	wantEvents(t, rec)
	if ok, _ := c.IsMyFriend(ctx, "bob"); !ok {
		t.Fatal("an older deletion ended the friendship")
	}
	pushDeleted(c, r, 6, proto.ChangeFriend, "bob")
	wantEvents(t, rec, "onFriendChanged bob remove=bob")
	if ok, _ := c.IsMyFriend(ctx, "bob"); ok {
		t.Fatal("still a friend after the deletion")
	}
	pushDeleted(c, r, 6, proto.ChangeFriend, "bob")
	wantEvents(t, rec)
	// The profile stays cached; without the friendship, no alias.
	if v, _ := c.LocalUserInfo(ctx, "bob"); v == nil || v.Alias != "" || v.UserInfo.NickName != "Robert" {
		t.Fatalf("bob after the friendship: %+v", v)
	}
	if v, err := c.LocalUserInfo(ctx, "nobody"); v != nil || err != nil {
		t.Fatalf("unknown profile: %+v, %v", v, err)
	}

	// Malformed changes are logged and skipped.
	pushChange(c, r, 7, proto.ChangeFriend, "bad one", proto.Friend{})
	c.onPush(r, nil, proto.PushChange, []byte(`{"ver":8,"kind":"user","key":"x","data":[1]}`))
	if log := rec.logText(); !strings.Contains(log, "change 7 (friend") || !strings.Contains(log, "change 8 (user") {
		t.Fatalf("log %q", log)
	}
	// Everything survives a reload of the cache.
	snap, _ = cache.Load(ctx)
	st := newState(snap)
	if u, ok := profile(st.lookup, "bob"); !ok || u.Name != "Robert" {
		t.Fatalf("reloaded profile %+v", u)
	}
}

func TestRelations(t *testing.T) {
	ctx := context.Background()
	c, r, rec := offline(t, NewMemCache(), false)
	pushChange(c, r, 1, proto.ChangeBlack, "carol", proto.Relation{Account: "carol", Time: 1})
	pushChange(c, r, 2, proto.ChangeMute, "dave", proto.Relation{Account: "dave", Time: 1})
	pushChange(c, r, 2, proto.ChangeMute, "dave", proto.Relation{Account: "dave", Time: 1})
	wantEvents(t, rec, "onBlackListChanged carol add=carol", "onMuteListChanged dave mute=dave/true")
	if ok, _ := c.IsUserInBlackList(ctx, "carol"); !ok {
		t.Fatal("carol not blacklisted")
	}
	if ok, _ := c.IsMute(ctx, "dave"); !ok {
		t.Fatal("dave not muted")
	}
	if ok, _ := c.IsMute(ctx, "carol"); ok {
		t.Fatal("carol muted")
	}
	bl, _ := c.MyBlackList(ctx)
	ml, _ := c.MyMuteUserList(ctx)
	if len(bl) != 1 || bl[0].UserID != "carol" || bl[0].UserInfo != nil || len(ml) != 1 || ml[0].UserID != "dave" {
		t.Fatalf("lists %+v %+v", bl, ml)
	}
	pushDeleted(c, r, 3, proto.ChangeBlack, "carol")
	pushDeleted(c, r, 4, proto.ChangeMute, "dave")
	pushDeleted(c, r, 4, proto.ChangeMute, "dave")
	wantEvents(t, rec, "onBlackListChanged carol remove=carol", "onMuteListChanged dave mute=dave/false")
	if bl, _ := c.MyBlackList(ctx); len(bl) != 0 {
		t.Fatalf("blacklist %+v", bl)
	}
	// The tombstone keeps an older put (another tab's lagging write) out.
	pushChange(c, r, 2, proto.ChangeMute, "dave", proto.Relation{Account: "dave"})
	if ok, _ := c.IsMute(ctx, "dave"); ok {
		t.Fatal("an older put brought dave back onto the mute list")
	}
}

func note(id int64, from string, op, status int) proto.SysNote {
	return proto.SysNote{ID: id, Type: proto.NoteFriend, From: from, To: "alice", Time: 1000 + id, Ps: "hi", Op: op, Status: status}
}

func TestSystemNotifications(t *testing.T) {
	ctx := context.Background()
	cache := NewMemCache()
	c, r, rec := offline(t, cache, false)

	// Two requests: each reported, then the count once per tx.
	err := c.change(r, func(t *tx) {
		t.applyChange(proto.Change{Ver: 1, Kind: proto.ChangeNote, Key: "10", Data: mustJSON(note(10, "bob", proto.FriendRequest, 0))})
		t.applyChange(proto.Change{Ver: 2, Kind: proto.ChangeNote, Key: "11", Data: mustJSON(note(11, "carol", proto.FriendRequest, 0))})
	})
	if err != nil {
		t.Fatal(err)
	}
	wantEvents(t, rec,
		"onReceiveSystemNotification id=10 read=false status=0 unread=1",
		"onReceiveSystemNotification id=11 read=false status=0 unread=2",
		"onSystemNotificationCountChanged unread=2")
	if n, _ := c.NotificationsUnreadCount(ctx); n != 2 {
		t.Fatalf("unread %d", n)
	}
	// Again (a sync over the pushes): nothing. A new handleStatus: stored,
	// no event.
	pushChange(c, r, 2, proto.ChangeNote, "11", note(11, "carol", proto.FriendRequest, 0))
	pushChange(c, r, 3, proto.ChangeNote, "10", note(10, "bob", proto.FriendRequest, proto.NotePassed))
	wantEvents(t, rec)
	// A renewed request (carol asked again while untreated: same id, a
	// newer time and postscript) is reported again; the count stays.
	renewed := note(11, "carol", proto.FriendRequest, 0)
	renewed.Time, renewed.Ps = 5000, "again"
	pushChange(c, r, 4, proto.ChangeNote, "11", renewed)
	wantEvents(t, rec, "onReceiveSystemNotification id=11 read=false status=0 unread=2")
	list, _ := c.SystemNotifications(ctx, 3, 0)
	if len(list) != 2 || list[0].NotificationID != 11 || list[1].NotificationID != 10 || list[1].HandleStatus != proto.NotePassed ||
		list[1].SourceID != "bob" || list[1].TargetID != "alice" || list[1].Postscript != "hi" || list[1].Operation != proto.FriendRequest || list[1].Read {
		t.Fatalf("inbox %+v", list)
	}
	if l, _ := c.SystemNotifications(ctx, 1, 1); len(l) != 1 || l[0].NotificationID != 10 {
		t.Fatalf("page 2: %+v", l)
	}
	if l, _ := c.SystemNotifications(ctx, 5, 2); len(l) != 0 || l == nil {
		t.Fatalf("past the end: %#v", l)
	}

	// The server's read mark (another device): the count moves.
	pushChange(c, r, 4, proto.ChangeNotesMark, "", proto.NotesMark{ReadTo: 10})
	wantEvents(t, rec, "onSystemNotificationCountChanged unread=1")
	// An older mark does not move it back.
	pushChange(c, r, 4, proto.ChangeNotesMark, "", proto.NotesMark{ReadTo: 10})
	wantEvents(t, rec)

	// Mark all read while offline: at once, here.
	if err := c.MarkAllNotificationsRead(ctx); err != nil {
		t.Fatal(err)
	}
	wantEvents(t, rec, "onSystemNotificationCountChanged unread=0")
	if list, _ := c.SystemNotifications(ctx, 3, 0); !list[0].Read || !list[1].Read {
		t.Fatalf("not read: %+v", list)
	}
	if err := c.MarkAllNotificationsRead(ctx); err != nil { // nothing more to mark
		t.Fatal(err)
	}
	wantEvents(t, rec)

	// A new one, read status as it comes; then delete all: gone, and a
	// replay of a deleted one (a sync) stays out.
	pushChange(c, r, 5, proto.ChangeNote, "12", note(12, "dave", proto.FriendAdd, 0))
	wantEvents(t, rec, "onReceiveSystemNotification id=12 read=false status=0 unread=1", "onSystemNotificationCountChanged unread=1")
	if err := c.DeleteAllNotifications(ctx); err != nil {
		t.Fatal(err)
	}
	wantEvents(t, rec, "onSystemNotificationCountChanged unread=0")
	if l, _ := c.SystemNotifications(ctx, 10, 0); len(l) != 0 {
		t.Fatalf("after delete all: %+v", l)
	}
	pushChange(c, r, 5, proto.ChangeNote, "12", note(12, "dave", proto.FriendAdd, 0))
	pushChange(c, r, 6, proto.ChangeNote, "11", note(11, "carol", proto.FriendRequest, proto.NoteDeclined))
	wantEvents(t, rec)
	snap, _ := cache.Load(ctx)
	for _, rc := range snap.Records {
		if rc.Kind == proto.ChangeNote {
			t.Fatalf("a deleted notification is still cached: %+v", rc)
		}
	}
	// The local marks are unsent (no link): they are what the next sync sends.
	c.mu.Lock()
	srv, local := notesMarks(r.st.lookup)
	c.mu.Unlock()
	if srv.ReadTo != 10 || local.ReadTo != 11 || local.DeletedTo != 12 {
		t.Fatalf("marks: server %+v, local %+v", srv, local)
	}
	// A later notification counts.
	pushChange(c, r, 7, proto.ChangeNote, "13", note(13, "erin", proto.FriendRequest, 0))
	wantEvents(t, rec, "onReceiveSystemNotification id=13 read=false status=0 unread=1", "onSystemNotificationCountChanged unread=1")
	// A notification deleted by the server's log: gone, counted down.
	pushDeleted(c, r, 8, proto.ChangeNote, "13")
	wantEvents(t, rec, "onSystemNotificationCountChanged unread=0")

	// Reloaded from the cache: the same inbox and marks.
	pushChange(c, r, 9, proto.ChangeNote, "14", note(14, "erin", proto.FriendRequest, 0))
	snap, _ = cache.Load(ctx)
	st := newState(snap)
	if n := st.unreadNotes(); n != 1 {
		t.Fatalf("reloaded unread %d", n)
	}
	// Deleting read notifications (another device's delete all) changes
	// the inbox, not the unread count: the count event tells the page.
	rec.reset()
	pushChange(c, r, 10, proto.ChangeNotesMark, "", proto.NotesMark{ReadTo: 14})
	pushChange(c, r, 11, proto.ChangeNotesMark, "", proto.NotesMark{ReadTo: 14, DeletedTo: 14})
	wantEvents(t, rec, "onSystemNotificationCountChanged unread=0", "onSystemNotificationCountChanged unread=0")
	if l, _ := c.SystemNotifications(ctx, 10, 0); len(l) != 0 {
		t.Fatalf("after the server's delete mark: %+v", l)
	}

	// Bad params.
	for _, tc := range []struct{ limit, offset int }{{0, 0}, {-1, 0}, {1, -1}} {
		if _, err := c.SystemNotifications(ctx, tc.limit, tc.offset); AsError(err).Code != proto.CodeBadParam {
			t.Fatalf("limit %d offset %d: %v", tc.limit, tc.offset, err)
		}
	}
}

func TestCustomNotifications(t *testing.T) {
	c, r, rec := offline(t, NewMemCache(), false)
	cn := proto.CustomNote{ID: 7, From: "app", To: "alice", Content: `{"k":1}`, Time: 5}
	pushChange(c, r, 1, proto.ChangeCustom, "7", cn)
	pushChange(c, r, 1, proto.ChangeCustom, "7", cn) // and the sync over it
	wantEvents(t, rec, `onReceiveCustomSystemNotification custom=7:{"k":1}`)
	cn.ID, cn.Content = 0, "live"
	c.onPush(r, nil, proto.PushCustom, mustJSON(cn))
	c.onPush(r, nil, proto.PushCustom, mustJSON(cn)) // not stored: each push is one
	wantEvents(t, rec, "onReceiveCustomSystemNotification custom=0:live", "onReceiveCustomSystemNotification custom=0:live")
	c.onPush(r, nil, proto.PushCustom, []byte(`[`))
	if !strings.Contains(rec.logText(), "bad custom push") {
		t.Fatalf("log %q", rec.logText())
	}
}

func TestSearchFriendsFromCache(t *testing.T) {
	ctx := context.Background()
	c, r, _ := offline(t, NewMemCache(), false)
	c.change(r, func(t *tx) {
		for i, f := range []proto.Friend{{Account: "bob", Alias: "Builder"}, {Account: "carol", Alias: "Cee"}, {Account: "zed"}} {
			t.applyChange(proto.Change{Ver: int64(i + 1), Kind: proto.ChangeFriend, Key: f.Account, Data: mustJSON(f)})
		}
		t.putUser(proto.UserInfo{Account: "bob", Name: "Robert", Ver: 1})
		t.putUser(proto.UserInfo{Account: "carol", Name: "Carolina Bo", Ver: 1})
		t.putUser(proto.UserInfo{Account: "stranger", Name: "Bo", Ver: 1})
	})
	search := func(text string, option int, ignoreCase bool) string {
		vs, err := c.SearchUser(ctx, SearchParams{Text: text, Option: option, IgnoreCase: ignoreCase})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, v := range vs {
			ids = append(ids, v.UserID)
		}
		return strings.Join(ids, ",")
	}
	for _, tc := range []struct {
		text       string
		option     int
		ignoreCase bool
		want       string
	}{
		{"b", proto.SearchID, true, "bob"},
		{"B", proto.SearchID, false, ""},
		{"B", proto.SearchID, true, "bob"},
		{"bu", proto.SearchAlias, true, "bob"},
		{"bu", proto.SearchAlias, false, ""},
		{"bo", proto.SearchNick, true, "carol"},
		{"bo", proto.SearchAll, true, "bob,carol"},
		{"e", proto.SearchAll, false, "bob,carol,zed"},
		{"x", proto.SearchAll, true, ""},
	} {
		if got := search(tc.text, tc.option, tc.ignoreCase); got != tc.want {
			t.Errorf("search %q option %d ignoreCase %v = %q, want %q", tc.text, tc.option, tc.ignoreCase, got, tc.want)
		}
	}
	// Range 1 by alias is the friends too (works offline); by id it needs
	// the server.
	if vs, err := c.SearchUser(ctx, SearchParams{Text: "cee", Range: 1, Option: proto.SearchAlias, IgnoreCase: true}); err != nil || len(vs) != 1 {
		t.Fatalf("range 1 alias: %+v %v", vs, err)
	}
	if _, err := c.SearchUser(ctx, SearchParams{Text: "b", Range: 1}); AsError(err).Code != proto.CodeNetwork {
		t.Fatalf("range 1 offline: %v", err)
	}
	for _, p := range []SearchParams{{Text: ""}, {Text: "  "}, {Text: strings.Repeat("x", 65)}, {Text: "a", Range: 2}, {Text: "a", Option: 4}, {Text: "a", Option: -1}} {
		if _, err := c.SearchUser(ctx, p); AsError(err).Code != proto.CodeBadParam {
			t.Errorf("%+v: %v, want 414", p, err)
		}
	}
}

func TestPeopleBadParamsAndOffline(t *testing.T) {
	ctx := context.Background()
	c, _, _ := offline(t, NewMemCache(), false)
	bad := func(what string, err error, param string) {
		t.Helper()
		e := AsError(err)
		if e == nil || e.Code != proto.CodeBadParam || !strings.Contains(e.Msg, param) {
			t.Errorf("%s: %v, want 414 naming %s", what, err, param)
		}
	}
	offline := func(what string, err error) {
		t.Helper()
		if e := AsError(err); e == nil || e.Code != proto.CodeNetwork {
			t.Errorf("%s: %v, want 415", what, err)
		}
	}
	_, err := c.LocalUserInfo(ctx, "")
	bad("localUserInfo", err, "userId")
	many := make([]string, proto.MaxUsers+1)
	for i := range many {
		many[i] = fmt.Sprintf("u%d", i)
	}
	_, err = c.FetchUserInfos(ctx, many)
	bad("fetchUserInfos 151", err, "parameter users must list at most 150 accounts")
	_, err = c.GetUserInfoList(ctx, many)
	bad("getUserInfoList 151", err, "parameter userIds must list at most 150 accounts")
	_, err = c.FetchUserInfos(ctx, []string{"ok", "bad one"})
	bad("fetchUserInfos bad", err, "users[1]")
	_, err = c.FetchUserInfos(ctx, many[:proto.MaxUsers])
	offline("fetchUserInfos offline", err)
	_, err = c.GetUserInfoList(ctx, []string{""})
	bad("getUserInfoList", err, "userIds[0]")
	if vs, err := c.GetUserInfoList(ctx, []string{"bob"}); err != nil || len(vs) != 0 {
		t.Errorf("getUserInfoList offline: %v %v", vs, err)
	}
	long := strings.Repeat("n", 65)
	g := 3
	email := "nope"
	bad("updateMyUserInfo nick", c.UpdateMyUserInfo(ctx, UserUpdate{NickName: &long}), "userInfo.nickName")
	bad("updateMyUserInfo gender", c.UpdateMyUserInfo(ctx, UserUpdate{Gender: &g}), "userInfo.gender")
	bad("updateMyUserInfo email", c.UpdateMyUserInfo(ctx, UserUpdate{Email: &email}), "userInfo.email")
	bad("updateMyUserInfo empty", c.UpdateMyUserInfo(ctx, UserUpdate{}), "userInfo")
	ok := "Al"
	offline("updateMyUserInfo offline", c.UpdateMyUserInfo(ctx, UserUpdate{NickName: &ok}))
	bad("requestFriend userId", c.RequestFriend(ctx, "", 2, ""), "userId")
	bad("requestFriend self", c.RequestFriend(ctx, "alice", 2, ""), "userId")
	bad("requestFriend op", c.RequestFriend(ctx, "bob", 5, ""), "operation")
	bad("requestFriend message", c.RequestFriend(ctx, "bob", 2, strings.Repeat("m", 257)), "message")
	offline("requestFriend offline", c.RequestFriend(ctx, "bob", 2, strings.Repeat("m", 256)))
	bad("deleteFriend", c.DeleteFriend(ctx, "a b", true), "userId")
	offline("deleteFriend offline", c.DeleteFriend(ctx, "bob", true))
	bad("addToBlackList", c.SetBlackList(ctx, "", true), "userId")
	offline("addToBlackList offline", c.SetBlackList(ctx, "bob", true))
	bad("setMute", c.SetMute(ctx, "", true), "userId")
	offline("setMute offline", c.SetMute(ctx, "bob", true))
	_, err = c.IsMyFriend(ctx, "")
	bad("isMyFriend", err, "userId")
	_, err = c.IsUserInBlackList(ctx, "")
	bad("isUserInBlackList", err, "userId")
	_, err = c.IsMute(ctx, "")
	bad("isMute", err, "userId")
	bad("openLocalCache", c.OpenLocalCache(ctx, ""), "account")
}

// closeCounter is a MemCache that counts its closes.
type closeCounter struct {
	*MemCache
	mu     sync.Mutex
	closes int
}

func (c *closeCounter) Close() error { c.mu.Lock(); c.closes++; c.mu.Unlock(); return nil }
func (c *closeCounter) closed() int  { c.mu.Lock(); defer c.mu.Unlock(); return c.closes }

func TestOpenLocalCache(t *testing.T) {
	ctx := context.Background()
	caches := map[string]*closeCounter{"alice": {MemCache: NewMemCache()}, "bob": {MemCache: NewMemCache()}}
	// alice's cache, as an earlier login left it: a friend, a notification.
	caches["alice"].Apply(ctx, &Batch{Records: []Record{
		{Kind: proto.ChangeFriend, Key: "bob", Ver: 1, Data: mustJSON(proto.Friend{Account: "bob", Alias: "B"})},
		{Kind: proto.ChangeNote, Key: "3", Ver: 2, Data: mustJSON(note(3, "bob", proto.FriendRequest, 0))},
	}, Sessions: []Session{{Key: "0|bob", ID: "bob", UpdateTime: 5, Unread: 1}}})
	var mu sync.Mutex
	var opened []string
	open := func(ctx context.Context, appKey, account string) (Cache, error) {
		mu.Lock()
		defer mu.Unlock()
		opened = append(opened, account)
		return caches[account], nil
	}
	dials := 0
	dial := func(ctx context.Context, url string) (Conn, error) {
		mu.Lock()
		dials++
		mu.Unlock()
		return nil, errors.New("no network")
	}
	rec := &recorder{}
	c := NewClient(Config{AppKey: "demo", Server: "ws://127.0.0.1:1/ws"}, dial, open, rec.emit)
	c.backoff = func(int) time.Duration { return time.Hour }
	if err := c.OpenLocalCache(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if c.IsLogined() || c.Online() || c.CurrentAccount() != "alice" {
		t.Fatalf("after openLocalCache: logined %v online %v account %q", c.IsLogined(), c.Online(), c.CurrentAccount())
	}
	// Reads work.
	if fs, _ := c.MyFriends(ctx); len(fs) != 1 || fs[0].Alias != "B" {
		t.Fatalf("friends %+v", fs)
	}
	if n, _ := c.NotificationsUnreadCount(ctx); n != 1 {
		t.Fatalf("unread notifications %d", n)
	}
	if ss, _ := c.AllRecentSessions(ctx); len(ss) != 1 || ss[0].SessionID != "bob" {
		t.Fatalf("sessions %+v", ss)
	}
	// What needs the server: 415 "not logged in"; local marks work.
	for what, err := range map[string]error{
		"requestFriend": c.RequestFriend(ctx, "bob", 2, ""),
		"setMute":       c.SetMute(ctx, "bob", true),
	} {
		if e := AsError(err); e == nil || e.Code != proto.CodeNetwork || e.Msg != "not logged in" {
			t.Errorf("%s: %v, want 415 not logged in", what, err)
		}
	}
	if _, err := c.SendText(ctx, SendTextParams{SessionID: "bob", Text: "x", ReSend: true}); AsError(err).Msg != "not logged in" {
		t.Errorf("sendText: %v, want 415 not logged in", err)
	}
	if err := c.MarkAllNotificationsRead(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := c.NotificationsUnreadCount(ctx); n != 0 {
		t.Fatalf("unread after mark %d", n)
	}
	// Another account's cache replaces it; the first one is closed.
	if err := c.OpenLocalCache(ctx, "bob"); err != nil {
		t.Fatal(err)
	}
	if caches["alice"].closed() != 1 || c.CurrentAccount() != "bob" {
		t.Fatalf("alice's cache closed %d times, account %q", caches["alice"].closed(), c.CurrentAccount())
	}
	// A login replaces it (autoLogin: logged in while it tries to connect).
	if err := c.AutoLogin(ctx, "alice", "tok"); err != nil {
		t.Fatal(err)
	}
	if !c.IsLogined() || caches["bob"].closed() != 1 {
		t.Fatalf("after autoLogin: logined %v, bob's cache closed %d", c.IsLogined(), caches["bob"].closed())
	}
	// The mark made while cache-only is kept for the next sync to send.
	c.mu.Lock()
	_, local := notesMarks(c.active.st.lookup)
	c.mu.Unlock()
	if local.ReadTo != 3 {
		t.Fatalf("local mark after the login: %+v", local)
	}
	c.Logout(ctx)
	if err := c.OpenLocalCache(ctx, "bob"); err != nil {
		t.Fatal(err)
	}
	c.Logout(ctx)
	if c.IsLogined() || c.CurrentAccount() != "" || caches["bob"].closed() != 2 {
		t.Fatalf("after logout: logined %v, account %q, bob's cache closed %d", c.IsLogined(), c.CurrentAccount(), caches["bob"].closed())
	}
	if !LoopsEnded(c, 5*time.Second) {
		t.Fatal("a loop is still running")
	}
}
