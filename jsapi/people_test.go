package jsapi

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"yunxin/core"
)

// The fake's people and notification methods: lists answer what the
// tests below expect in the rets.

func (f *fake) LocalUserInfo(_ context.Context, a string) (*core.UserView, error) {
	if err := f.rec("LocalUserInfo", a); err != nil || a == "nobody" {
		return nil, err
	}
	return &core.UserView{UserID: a, UserInfo: &core.UserInfoView{NickName: "N" + a}}, nil
}
func (f *fake) OpenLocalCache(_ context.Context, a string) error { return f.rec("OpenLocalCache", a) }
func (f *fake) FetchUserInfos(_ context.Context, ids []string) ([]core.UserView, error) {
	return viewsOf(ids), f.rec("FetchUserInfos", ids)
}
func (f *fake) GetUserInfoList(_ context.Context, ids []string) ([]core.UserView, error) {
	return viewsOf(ids), f.rec("GetUserInfoList", ids)
}
func (f *fake) UpdateMyUserInfo(_ context.Context, u core.UserUpdate) error {
	return f.rec("UpdateMyUserInfo", u)
}
func (f *fake) MyFriends(context.Context) ([]core.UserView, error) {
	return nil, f.rec("MyFriends", nil)
}
func (f *fake) RequestFriend(_ context.Context, a string, op int, msg string) error {
	return f.rec("RequestFriend", []any{a, op, msg})
}
func (f *fake) DeleteFriend(_ context.Context, a string, rm bool) error {
	return f.rec("DeleteFriend", []any{a, rm})
}
func (f *fake) IsMyFriend(_ context.Context, a string) (bool, error) {
	return a == "bob", f.rec("IsMyFriend", a)
}
func (f *fake) MyBlackList(context.Context) ([]core.UserView, error) {
	return viewsOf([]string{"eve"}), f.rec("MyBlackList", nil)
}
func (f *fake) SetBlackList(_ context.Context, a string, on bool) error {
	return f.rec("SetBlackList", []any{a, on})
}
func (f *fake) IsUserInBlackList(_ context.Context, a string) (bool, error) {
	return a == "eve", f.rec("IsUserInBlackList", a)
}
func (f *fake) MyMuteUserList(context.Context) ([]core.UserView, error) {
	return viewsOf([]string{"carol"}), f.rec("MyMuteUserList", nil)
}
func (f *fake) SetMute(_ context.Context, a string, on bool) error {
	return f.rec("SetMute", []any{a, on})
}
func (f *fake) IsMute(_ context.Context, a string) (bool, error) {
	return a == "carol", f.rec("IsMute", a)
}
func (f *fake) SearchUser(_ context.Context, p core.SearchParams) ([]core.UserView, error) {
	return nil, f.rec("SearchUser", p)
}
func (f *fake) SystemNotifications(_ context.Context, limit, offset int) ([]core.NotificationView, error) {
	n := []core.NotificationView{{NotificationID: 9, Type: 5, SourceID: "bob", TargetID: "alice", Operation: 2}}
	return n, f.rec("SystemNotifications", [2]int{limit, offset})
}
func (f *fake) NotificationsUnreadCount(context.Context) (int, error) {
	return 4, f.rec("NotificationsUnreadCount", nil)
}
func (f *fake) MarkAllNotificationsRead(context.Context) error {
	return f.rec("MarkAllNotificationsRead", nil)
}
func (f *fake) DeleteAllNotifications(context.Context) error {
	return f.rec("DeleteAllNotifications", nil)
}

func viewsOf(ids []string) []core.UserView {
	var v []core.UserView
	for _, id := range ids {
		v = append(v, core.UserView{UserID: id})
	}
	return v
}

func strp(s string) *string { return &s }
func intp(n int) *int       { return &n }

// TestPeopleMapping: each method's params (and their defaults) reach the
// engine as the doc means them, and the rets have the doc's shape.
func TestPeopleMapping(t *testing.T) {
	cases := []struct {
		method, params string
		call           string // the engine method
		args           any    // its arguments as the fake records them
		ret            string // the whole envelope; "" when not checked
	}{
		{"localUserInfo", `{"userId":"bob"}`, "LocalUserInfo", "bob",
			`{"ret":{"user":{"userId":"bob","alias":"","ext":"","serverExt":"","userInfo":{"nickName":"Nbob","avatarUrl":"","thumbAvatarUrl":"","sign":"","gender":0,"email":"","birth":"","mobile":"","ext":""}}}}`},
		{"localUserInfo", `{"userId":"nobody"}`, "LocalUserInfo", "nobody", `{"ret":{"user":null}}`},
		{"openLocalCache", `{"account":"alice"}`, "OpenLocalCache", "alice", `{"ret":{"status":true}}`},
		{"fetchUserInfos", `{"users":["bob","carol"]}`, "FetchUserInfos", []string{"bob", "carol"}, ""},
		{"fetchUserInfos", `{"users":[]}`, "FetchUserInfos", []string{}, `{"ret":{"status":true,"users":[]}}`},
		{"getUserInfoList", `{"userIds":["bob"]}`, "GetUserInfoList", []string{"bob"}, ""},
		{"getUserInfoList", `{"userIds":[]}`, "GetUserInfoList", []string{}, `{"ret":{"users":[]}}`},
		{"updateMyUserInfo", `{"userInfo":{"nickName":"Al","avatar":"https://a/i.png","sign":"hi","gender":2,"email":"a@b.cn","birth":"1990-01-02","mobile":"+86 138","ext":"{}"}}`,
			"UpdateMyUserInfo", core.UserUpdate{NickName: strp("Al"), Avatar: strp("https://a/i.png"), Sign: strp("hi"), Gender: intp(2),
				Email: strp("a@b.cn"), Birth: strp("1990-01-02"), Mobile: strp("+86 138"), Ext: strp("{}")}, `{"ret":{"status":true}}`},
		// only the keys given change; null is absent, unknown keys are ignored, "" clears
		{"updateMyUserInfo", `{"userInfo":{"sign":"","email":null,"nick":"x","avatarUrl":5}}`, "UpdateMyUserInfo",
			core.UserUpdate{Sign: strp("")}, ""},
		{"updateMyUserInfo", `{"userInfo":{"gender":0}}`, "UpdateMyUserInfo", core.UserUpdate{Gender: intp(0)}, ""},
		{"myFriends", ``, "MyFriends", nil, `{"ret":{"users":[]}}`},
		{"requestFriend", `{"userId":"bob"}`, "RequestFriend", []any{"bob", 2, ""}, `{"ret":{"status":true}}`},
		{"requestFriend", `{"userId":"bob","operation":3,"message":"ok"}`, "RequestFriend", []any{"bob", 3, "ok"}, ""},
		{"requestFriend", `{"userId":"bob","operation":1,"message":"` + strings.Repeat("好", 256) + `"}`, "RequestFriend",
			[]any{"bob", 1, strings.Repeat("好", 256)}, ""},
		{"deleteFriend", `{"userId":"bob"}`, "DeleteFriend", []any{"bob", true}, `{"ret":{"status":true}}`},
		{"deleteFriend", `{"userId":"bob","removeAlias":false}`, "DeleteFriend", []any{"bob", false}, ""},
		{"isMyFriend", `{"userId":"bob"}`, "IsMyFriend", "bob", `{"ret":{"isFriend":true}}`},
		{"isMyFriend", `{"userId":"eve"}`, "IsMyFriend", "eve", `{"ret":{"isFriend":false}}`},
		{"myBlackList", ``, "MyBlackList", nil, `{"ret":{"blackUsers":[{"userId":"eve","alias":"","ext":"","serverExt":"","userInfo":null}]}}`},
		{"addToBlackList", `{"userId":"eve"}`, "SetBlackList", []any{"eve", true}, `{"ret":{"status":true}}`},
		{"removeFromBlackList", `{"userId":"eve"}`, "SetBlackList", []any{"eve", false}, `{"ret":{"status":true}}`},
		{"isUserInBlackList", `{"userId":"eve"}`, "IsUserInBlackList", "eve", `{"ret":{"isBlack":true}}`},
		{"myMuteUserList", ``, "MyMuteUserList", nil, `{"ret":{"muteUsers":[{"userId":"carol","alias":"","ext":"","serverExt":"","userInfo":null}]}}`},
		{"setMute", `{"userId":"carol"}`, "SetMute", []any{"carol", true}, `{"ret":{"status":true}}`},
		{"setMute", `{"userId":"carol","isNotify":false}`, "SetMute", []any{"carol", false}, ""},
		{"isMute", `{"userId":"carol"}`, "IsMute", "carol", `{"ret":{"isMute":true}}`},
		{"isMute", `{"userId":"bob"}`, "IsMute", "bob", `{"ret":{"isMute":false}}`},
		{"searchUser", `{"searchContent":"Bo"}`, "SearchUser", core.SearchParams{Text: "Bo", IgnoreCase: true, Range: 0, Option: 3},
			`{"ret":{"status":true,"users":[]}}`},
		{"searchUser", `{"searchContent":"bo","ignoreingCase":false,"searchRange":1,"searchContentOption":0}`, "SearchUser",
			core.SearchParams{Text: "bo", Range: 1, Option: 0}, ""},
		{"searchUser", `{"searchContent":"bo","searchContentOption":2}`, "SearchUser",
			core.SearchParams{Text: "bo", IgnoreCase: true, Option: 2}, ""},
		{"fetchSystemNotifications", ``, "SystemNotifications", [2]int{3, 0},
			`{"ret":{"notifications":[{"notificationId":9,"type":5,"timestamp":0,"sourceID":"bob","targetID":"alice","postscript":"","read":false,"handleStatus":0,"notifyExt":"","operation":2}]}}`},
		{"fetchSystemNotifications", `{"limit":1000,"offset":20}`, "SystemNotifications", [2]int{1000, 20}, ""},
		{"fetchSystemNotifications", `{"limit":1}`, "SystemNotifications", [2]int{1, 0}, ""},
		{"allNotificationsUnreadCount", ``, "NotificationsUnreadCount", nil, `{"ret":{"unreadCount":4}}`},
		{"markAllNotificationsAsRead", ``, "MarkAllNotificationsRead", nil, `{"ret":{"status":true}}`},
		{"deleteAllNotifications", ``, "DeleteAllNotifications", nil, `{"ret":{"status":true}}`},
	}
	for _, c := range cases {
		f := &fake{}
		got := string(Call(context.Background(), f, c.method, c.params))
		if f.last != c.call || !reflect.DeepEqual(f.args, c.args) {
			t.Errorf("%s(%.60s) called %s(%#v), want %s(%#v)", c.method, c.params, f.last, f.args, c.call, c.args)
		}
		if c.ret != "" && got != c.ret {
			t.Errorf("%s(%.60s) = %s\nwant %s", c.method, c.params, got, c.ret)
		}
		if c.ret == "" && !strings.Contains(got, `"ret":{"`) || strings.Contains(got, `"err"`) {
			t.Errorf("%s(%.60s) = %s", c.method, c.params, got)
		}
	}
}

// TestPeopleRets: the list rets carry what the engine returned.
func TestPeopleRets(t *testing.T) {
	env := run(t, &fake{}, "fetchUserInfos", `{"users":["bob","carol"]}`)
	if us, _ := env.Ret["users"].([]any); env.Ret["status"] != true || len(us) != 2 || us[1].(map[string]any)["userId"] != "carol" {
		t.Errorf("fetchUserInfos ret %v", env.Ret)
	}
	env = run(t, &fake{}, "getUserInfoList", `{"userIds":["bob"]}`)
	if us, _ := env.Ret["users"].([]any); len(us) != 1 || us[0].(map[string]any)["userId"] != "bob" || env.Ret["status"] != nil {
		t.Errorf("getUserInfoList ret %v", env.Ret)
	}
	// 150 accounts is the most fetchUserInfos takes
	ids := make([]string, 150)
	for i := range ids {
		ids[i] = "u" + strings.Repeat("x", i%30)
	}
	b, _ := json.Marshal(map[string]any{"users": ids})
	f := &fake{}
	if env := run(t, f, "fetchUserInfos", string(b)); env.Err != nil || len(f.args.([]string)) != 150 {
		t.Errorf("fetchUserInfos of 150: %+v", env.Err)
	}
}

// TestPeopleBadParams: every value the doc does not allow is a 414 naming
// the parameter, and the engine is not called.
func TestPeopleBadParams(t *testing.T) {
	long := func(n int, s string) string { return strings.Repeat(s, n) }
	many := func(n int) string {
		ids := make([]string, n)
		for i := range ids {
			ids[i] = "u"
		}
		b, _ := json.Marshal(ids)
		return string(b)
	}
	cases := []struct{ method, params, msg string }{
		{"openLocalCache", `{}`, "parameter account must be a string"},
		{"openLocalCache", `{"account":""}`, "parameter account must not be empty"},
		{"openLocalCache", `{"account":"a b"}`, "parameter account must be an account id"},
		{"openLocalCache", `{"account":["alice"]}`, "parameter account must be a string"},
		{"fetchUserInfos", `{}`, "parameter users must be an array of strings"},
		{"fetchUserInfos", `{"users":"bob"}`, "parameter users must be an array of strings"},
		{"fetchUserInfos", `{"users":["bob",1]}`, "parameter users must be an array of strings"},
		{"fetchUserInfos", `{"users":[null]}`, "parameter users must be an array of strings"},
		{"fetchUserInfos", `{"users":["bob",""]}`, "parameter users[1] must not be empty"},
		{"fetchUserInfos", `{"users":["bob","a/b"]}`, "parameter users[1] must be an account id"},
		{"fetchUserInfos", `{"users":` + many(151) + `}`, "parameter users must list at most 150 accounts"},
		{"getUserInfoList", `{"userIds":` + many(151) + `}`, "parameter userIds must list at most 150 accounts"},
		{"getUserInfoList", `{"userIds":{}}`, "parameter userIds must be an array of strings"},
		{"getUserInfoList", `{"userIds":[["bob"]]}`, "parameter userIds must be an array of strings"},
		{"getUserInfoList", `{"userIds":["` + long(33, "a") + `"]}`, "parameter userIds[0] must be an account id"},
		{"getUserInfoList", `{"users":["bob"]}`, "parameter userIds must be an array of strings"},
		{"updateMyUserInfo", `{}`, "parameter userInfo must be an object"},
		{"updateMyUserInfo", `{"userInfo":null}`, "parameter userInfo must be an object"},
		{"updateMyUserInfo", `{"userInfo":"Al"}`, "parameter userInfo must be an object"},
		{"updateMyUserInfo", `{"userInfo":[{"nickName":"Al"}]}`, "parameter userInfo must be an object"},
		{"updateMyUserInfo", `{"userInfo":{}}`, "parameter userInfo must have at least one of nickName, avatar, sign, gender, email, birth, mobile, ext"},
		{"updateMyUserInfo", `{"userInfo":{"nick":"Al","nickName":null}}`, "parameter userInfo must have at least one of"},
		{"updateMyUserInfo", `{"userInfo":{"nickName":5}}`, "parameter userInfo.nickName must be a string"},
		{"updateMyUserInfo", `{"userInfo":{"avatar":{}}}`, "parameter userInfo.avatar must be a string"},
		{"updateMyUserInfo", `{"userInfo":{"sign":true}}`, "parameter userInfo.sign must be a string"},
		{"updateMyUserInfo", `{"userInfo":{"email":["a@b.cn"]}}`, "parameter userInfo.email must be a string"},
		{"updateMyUserInfo", `{"userInfo":{"birth":19900102}}`, "parameter userInfo.birth must be a string"},
		{"updateMyUserInfo", `{"userInfo":{"mobile":13800000000}}`, "parameter userInfo.mobile must be a string"},
		{"updateMyUserInfo", `{"userInfo":{"ext":{"a":1}}}`, "parameter userInfo.ext must be a string"},
		{"updateMyUserInfo", `{"userInfo":{"gender":"1"}}`, "parameter userInfo.gender must be an integer"},
		{"updateMyUserInfo", `{"userInfo":{"gender":1.5}}`, "parameter userInfo.gender must be an integer"},
		{"updateMyUserInfo", `{"userInfo":{"gender":3}}`, "parameter userInfo.gender must be 0 (unknown), 1 (male) or 2 (female)"},
		{"updateMyUserInfo", `{"userInfo":{"nickName":"` + long(65, "名") + `"}}`, "parameter userInfo.nickName must be at most 64 characters"},
		{"updateMyUserInfo", `{"userInfo":{"nickName":"a\nb"}}`, "parameter userInfo.nickName must not contain control characters"},
		{"updateMyUserInfo", `{"userInfo":{"email":"nobody"}}`, "parameter userInfo.email must be an email address"},
		{"updateMyUserInfo", `{"userInfo":{"birth":"1990-13-01"}}`, "parameter userInfo.birth must be a date yyyy-MM-dd"},
		{"updateMyUserInfo", `{"userInfo":{"mobile":"call me"}}`, "parameter userInfo.mobile must be a phone number"},
		{"updateMyUserInfo", `{"userInfo":{"ext":"` + long(1025, "x") + `"}}`, "parameter userInfo.ext must be at most 1024 bytes"},
		{"requestFriend", `{}`, "parameter userId must be a string"},
		{"requestFriend", `{"userId":null}`, "parameter userId must be a string"},
		{"requestFriend", `{"userId":7}`, "parameter userId must be a string"},
		{"requestFriend", `{"userId":"  "}`, "parameter userId must not be empty"},
		{"requestFriend", `{"userId":"bob!"}`, "parameter userId must be an account id"},
		{"requestFriend", `{"userId":"bob","operation":0}`, "parameter operation must be 1 (add), 2 (request), 3 (accept) or 4 (reject)"},
		{"requestFriend", `{"userId":"bob","operation":5}`, "parameter operation must be 1"},
		{"requestFriend", `{"userId":"bob","operation":"2"}`, "parameter operation must be a number"},
		{"requestFriend", `{"userId":"bob","operation":2.5}`, "parameter operation must be an integer"},
		{"requestFriend", `{"userId":"bob","message":1}`, "parameter message must be a string"},
		{"requestFriend", `{"userId":"bob","message":{"text":"hi"}}`, "parameter message must be a string"},
		{"requestFriend", `{"userId":"bob","message":"` + long(257, "好") + `"}`, "parameter message must be at most 256 characters"},
		{"deleteFriend", `{"userId":""}`, "parameter userId must not be empty"},
		{"deleteFriend", `{"userId":"bob","removeAlias":"false"}`, "parameter removeAlias must be a boolean"},
		{"deleteFriend", `{"userId":"bob","removeAlias":0}`, "parameter removeAlias must be a boolean"},
		{"isMyFriend", `{"userId":["bob"]}`, "parameter userId must be a string"},
		{"isMyFriend", `{"userId":"` + long(33, "b") + `"}`, "parameter userId must be an account id"},
		{"addToBlackList", `{"userId":{}}`, "parameter userId must be a string"},
		{"addToBlackList", `{"userId":"e v"}`, "parameter userId must be an account id"},
		{"removeFromBlackList", `{"userId":""}`, "parameter userId must not be empty"},
		{"isUserInBlackList", `{"userId":false}`, "parameter userId must be a string"},
		{"setMute", `{"userId":"\t"}`, "parameter userId must not be empty"},
		{"setMute", `{"userId":"carol","isNotify":1}`, "parameter isNotify must be a boolean"},
		{"setMute", `{"userId":"carol","isNotify":"true"}`, "parameter isNotify must be a boolean"},
		{"isMute", `{"userId":1}`, "parameter userId must be a string"},
		{"localUserInfo", `{"userId":""}`, "parameter userId must not be empty"},
		{"localUserInfo", `{"userId":"a,b"}`, "parameter userId must be an account id"},
		{"searchUser", `{}`, "parameter searchContent must be a string"},
		{"searchUser", `{"searchContent":5}`, "parameter searchContent must be a string"},
		{"searchUser", `{"searchContent":""}`, "parameter searchContent must not be empty"},
		{"searchUser", `{"searchContent":" \n"}`, "parameter searchContent must not be empty"},
		{"searchUser", `{"searchContent":"` + long(65, "字") + `"}`, "parameter searchContent must be at most 64 characters"},
		{"searchUser", `{"searchContent":"bo","ignoreingCase":"yes"}`, "parameter ignoreingCase must be a boolean"},
		{"searchUser", `{"searchContent":"bo","searchRange":2}`, "parameter searchRange must be 0 (friends) or 1 (everyone)"},
		{"searchUser", `{"searchContent":"bo","searchRange":-1}`, "parameter searchRange must be 0"},
		{"searchUser", `{"searchContent":"bo","searchRange":"1"}`, "parameter searchRange must be a number"},
		{"searchUser", `{"searchContent":"bo","searchContentOption":4}`, "parameter searchContentOption must be 0 (id), 1 (alias), 2 (nickname) or 3 (all)"},
		{"searchUser", `{"searchContent":"bo","searchContentOption":-1}`, "parameter searchContentOption must be 0"},
		{"searchUser", `{"searchContent":"bo","searchContentOption":true}`, "parameter searchContentOption must be a number"},
		{"fetchSystemNotifications", `{"limit":0}`, "parameter limit must be 1 to 1000"},
		{"fetchSystemNotifications", `{"limit":1001}`, "parameter limit must be 1 to 1000"},
		{"fetchSystemNotifications", `{"limit":-3}`, "parameter limit must be 1 to 1000"},
		{"fetchSystemNotifications", `{"limit":"3"}`, "parameter limit must be a number"},
		{"fetchSystemNotifications", `{"limit":2.5}`, "parameter limit must be an integer"},
		{"fetchSystemNotifications", `{"offset":-1}`, "parameter offset must not be negative"},
		{"fetchSystemNotifications", `{"offset":"0"}`, "parameter offset must be a number"},
		{"fetchSystemNotifications", `{"offset":1e12}`, "parameter offset must be an integer"},
	}
	for _, c := range cases {
		f := &fake{}
		env := run(t, f, c.method, c.params)
		if env.Err == nil || env.Err.Code != 414 || !strings.Contains(env.Err.Msg, c.msg) {
			t.Errorf("%s(%.70s) = %+v, want 414 containing %q", c.method, c.params, env.Err, c.msg)
		}
		if f.last != "" {
			t.Errorf("%s(%.70s) reached the engine: %s", c.method, c.params, f.last)
		}
	}
	// The fake is logged in as alice: she cannot befriend, blacklist or
	// mute herself (the engine hears only the CurrentAccount question).
	for _, m := range []string{"requestFriend", "deleteFriend", "addToBlackList", "removeFromBlackList", "setMute"} {
		f := &fake{}
		wantErr(t, run(t, f, m, `{"userId":"alice"}`), 414, "parameter userId must not be your own account")
		if f.last != "CurrentAccount" {
			t.Errorf("%s(alice) reached the engine: %s", m, f.last)
		}
	}
	// Reads about oneself are fine.
	for _, m := range []string{"localUserInfo", "isMyFriend", "isUserInBlackList", "isMute"} {
		if env := run(t, &fake{}, m, `{"userId":"alice"}`); env.Err != nil {
			t.Errorf("%s(alice): %+v", m, env.Err)
		}
	}
}

// TestPeopleEngineErrors: an engine failure reaches the page as it is, with
// {status:false}, for reads and writes alike.
func TestPeopleEngineErrors(t *testing.T) {
	for method, params := range map[string]string{
		"localUserInfo": `{"userId":"bob"}`, "openLocalCache": `{"account":"alice"}`,
		"fetchUserInfos": `{"users":["bob"]}`, "getUserInfoList": `{"userIds":["bob"]}`,
		"updateMyUserInfo": `{"userInfo":{"sign":"x"}}`, "myFriends": ``,
		"requestFriend": `{"userId":"bob"}`, "deleteFriend": `{"userId":"bob"}`, "isMyFriend": `{"userId":"bob"}`,
		"myBlackList": ``, "addToBlackList": `{"userId":"bob"}`, "removeFromBlackList": `{"userId":"bob"}`,
		"isUserInBlackList": `{"userId":"bob"}`, "myMuteUserList": ``, "setMute": `{"userId":"bob"}`,
		"isMute": `{"userId":"bob"}`, "searchUser": `{"searchContent":"b"}`, "fetchSystemNotifications": ``,
		"allNotificationsUnreadCount": ``, "markAllNotificationsAsRead": ``, "deleteAllNotifications": ``,
	} {
		f := &fake{err: core.Errf(7101, "blacklisted")}
		got := string(Call(context.Background(), f, method, params))
		if got != `{"ret":{"status":false},"err":{"code":7101,"msg":"blacklisted"}}` {
			t.Errorf("%s = %s", method, got)
		}
		if f.last == "" {
			t.Errorf("%s did not reach the engine", method)
		}
	}
}
