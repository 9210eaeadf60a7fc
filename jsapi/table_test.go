package jsapi

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"yunxin/core"
	"yunxin/internal/jx"
	"yunxin/proto"
)

// implemented are the methods of this issue (plus init and the listener methods).
var implemented = strings.Fields(`init login autoLogin logout isLogined currentAccount addAccountListen
removeAccountListen kickOtherClient sendText addMessageListen sendMessageReceipt allRecentSessions
allUnreadCount markAllMessagesReadInSession creatRecentSession deleteRecentSession messagesInSession
messagesInSessionWithMessageIds addSessionListen removeSessionListen
upload download cancelTask sendImage sendVoice sendVideo sendFile sendLocation sendTip cancelSendingMessage
resendMessage forwardMessage revokeMessage updateRecentLocalExt deleteRemoteSessions pullMessageHistory
deleteMessage deleteAllmessagesInSession deleteAllMessages
localUserInfo openLocalCache fetchUserInfos updateMyUserInfo myFriends requestFriend deleteFriend isMyFriend
myBlackList addToBlackList removeFromBlackList isUserInBlackList myMuteUserList setMute isMute searchUser
addFriendListen removeFriendListen getUserInfoList fetchSystemNotifications allNotificationsUnreadCount
markAllNotificationsAsRead deleteAllNotifications addNotificationListen removeNotificationListen
sendTeamMessageReceipts createTeam allMyTeams dismissTeam applyToTeam passApplyToTeam rejectApplyToTeam
invitationToTeam acceptInviteWithTeam rejectInviteWithTeam kickUsersFromTeam quitTeam fetchTeamMembers
teamMember updateUserNick isMyTeam transferManagerWithTeam addManagersToTeam removeManagersFromTeam
muteUserFromTeam muteAllFromTeam fetchTeamMutedMembers updateTeamName updateTeamAvatar updateTeamIntro
updateTeamAnnouncement updateTeamJoinMode updateTeamBeInviteMode updateTeamInviteMode
updateTeamUpdateInfoMode updateTeamUpdateClientCustomMode updateTeamCustomInfo updateTeamNotifyState
fetchTeamNotifyState addTeamListen removeTeamListen`)

func TestTableHasExactlyTheMethods(t *testing.T) {
	want := append(specMethods(t), "init")
	if len(table) != len(want) {
		t.Errorf("table has %d entries, want %d", len(table), len(want))
	}
	for _, n := range want {
		if _, ok := table[n]; !ok {
			t.Errorf("table lacks %q", n)
		}
	}
	for _, n := range implemented {
		if !Supported(n) {
			t.Errorf("%s should be implemented", n)
		}
	}
	supported := 0
	for n := range table {
		if Supported(n) {
			supported++
		}
	}
	if supported != len(implemented) {
		t.Errorf("%d methods implemented, want %d", supported, len(implemented))
	}
}

// fake is an Engine that records the last call.
type fake struct {
	cfg      core.Config
	last     string
	args     any
	err      error
	progress [][2]int64 // what Upload reports
}

func (f *fake) rec(name string, args any) error { f.last, f.args = name, args; return f.err }

func (f *fake) SetConfig(c core.Config) { f.cfg = c }
func (f *fake) Config() core.Config     { return f.cfg }
func (f *fake) Login(_ context.Context, a, t string) error {
	return f.rec("Login", [2]string{a, t})
}
func (f *fake) AutoLogin(_ context.Context, a, t string) error {
	return f.rec("AutoLogin", [2]string{a, t})
}
func (f *fake) Logout(context.Context) error { return f.rec("Logout", nil) }
func (f *fake) IsLogined() bool              { f.rec("IsLogined", nil); return true }
func (f *fake) CurrentAccount() string       { f.rec("CurrentAccount", nil); return "alice" }
func (f *fake) KickOtherClient(_ context.Context, ct int) error {
	return f.rec("KickOtherClient", ct)
}
func (f *fake) SendText(_ context.Context, p core.SendTextParams) (*core.MessageView, error) {
	if err := f.rec("SendText", p); err != nil {
		return nil, err
	}
	return &core.MessageView{MessageID: "m1", SessionID: p.SessionID}, nil
}
func (f *fake) SendMessageReceipt(_ context.Context, sid string, ct int, mid string) error {
	return f.rec("SendMessageReceipt", []any{sid, ct, mid})
}
func (f *fake) AllRecentSessions(context.Context) ([]core.RecentSessionView, error) {
	return nil, f.rec("AllRecentSessions", nil)
}
func (f *fake) AllUnreadCount(context.Context) (int, error) {
	return 7, f.rec("AllUnreadCount", nil)
}
func (f *fake) MarkAllMessagesReadInSession(_ context.Context, sid string, ct int) error {
	return f.rec("MarkAllMessagesReadInSession", []any{sid, ct})
}
func (f *fake) CreateRecentSession(_ context.Context, sid string, ct int) error {
	return f.rec("CreateRecentSession", []any{sid, ct})
}
func (f *fake) DeleteRecentSession(_ context.Context, sid string, ct int) error {
	return f.rec("DeleteRecentSession", []any{sid, ct})
}
func (f *fake) MessagesInSession(_ context.Context, p core.MessagesParams) ([]core.MessageView, error) {
	return nil, f.rec("MessagesInSession", p)
}
func (f *fake) MessagesByIDs(_ context.Context, ids []string) ([]core.MessageView, error) {
	return []core.MessageView{{MessageID: ids[0]}}, f.rec("MessagesByIDs", ids)
}

func (f *fake) SendMessage(_ context.Context, p core.SendParams) (*core.MessageView, error) {
	if err := f.rec("SendMessage", p); err != nil {
		return nil, err
	}
	return &core.MessageView{MessageID: "m2", SessionID: p.SessionID}, nil
}
func (f *fake) CancelSendingMessage(_ context.Context, sid string, ct int, mid string) error {
	return f.rec("CancelSendingMessage", []any{sid, ct, mid})
}
func (f *fake) ResendMessage(_ context.Context, sid string, ct int, mid string) (*core.MessageView, error) {
	if err := f.rec("ResendMessage", []any{sid, ct, mid}); err != nil {
		return nil, err
	}
	return &core.MessageView{MessageID: mid, SessionID: sid}, nil
}
func (f *fake) ForwardMessage(_ context.Context, p core.ForwardParams) (*core.MessageView, error) {
	if err := f.rec("ForwardMessage", p); err != nil {
		return nil, err
	}
	return &core.MessageView{MessageID: "m3", SessionID: p.ToSessionID}, nil
}
func (f *fake) RevokeMessage(_ context.Context, sid string, ct int, mid, ps string) error {
	return f.rec("RevokeMessage", []any{sid, ct, mid, ps})
}
func (f *fake) UpdateRecentLocalExt(_ context.Context, sid string, ct int, ext jx.RawMessage) error {
	return f.rec("UpdateRecentLocalExt", []any{sid, ct, string(ext)})
}
func (f *fake) DeleteRemoteSessions(_ context.Context, s []core.SessionRef) error {
	return f.rec("DeleteRemoteSessions", s)
}
func (f *fake) PullMessageHistory(_ context.Context, p core.HistoryParams) ([]core.MessageView, error) {
	return []core.MessageView{{MessageID: "h1"}}, f.rec("PullMessageHistory", p)
}
func (f *fake) DeleteMessage(_ context.Context, sid string, ct int, mid string) error {
	return f.rec("DeleteMessage", []any{sid, ct, mid})
}
func (f *fake) DeleteAllMessagesInSession(_ context.Context, sid string, ct int, rm bool) error {
	return f.rec("DeleteAllMessagesInSession", []any{sid, ct, rm})
}
func (f *fake) DeleteAllMessages(_ context.Context, rm bool) error {
	return f.rec("DeleteAllMessages", rm)
}

// Upload reports progress (progress) before it answers, as core does.
func (f *fake) Upload(_ context.Context, path string, progress func(sent, total int64)) (string, error) {
	if err := f.rec("Upload", path); err != nil {
		return "", err
	}
	for _, p := range f.progress {
		progress(p[0], p[1])
	}
	return "https://files.test/u1", nil
}
func (f *fake) Download(_ context.Context, url string) (string, error) {
	if err := f.rec("Download", url); err != nil {
		return "", err
	}
	return "blob:http://page/1", nil
}
func (f *fake) CancelTask(_ context.Context, path string) error { return f.rec("CancelTask", path) }

type envelope struct {
	Ret map[string]any `json:"ret"`
	Err *core.Error    `json:"err"`
}

func run(t *testing.T, e Engine, method, params string) envelope {
	t.Helper()
	var env envelope
	b := Call(context.Background(), e, method, params)
	if err := json.Unmarshal(b, &env); err != nil {
		t.Fatalf("%s(%s): bad envelope %s: %v", method, params, b, err)
	}
	if env.Ret == nil {
		t.Fatalf("%s(%s): no ret in %s", method, params, b)
	}
	if env.Err != nil && env.Ret["status"] != false {
		t.Errorf("%s(%s): failure ret %v is not {status:false}", method, params, env.Ret)
	}
	return env
}

func wantErr(t *testing.T, env envelope, code int, msg string) {
	t.Helper()
	if env.Err == nil || env.Err.Code != code || !strings.Contains(env.Err.Msg, msg) {
		t.Errorf("err = %+v, want %d containing %q", env.Err, code, msg)
	}
}

func TestUnsupportedMethods(t *testing.T) {
	f := &fake{}
	for n, h := range table {
		if h != nil {
			continue
		}
		for _, p := range []string{"", "null", `{"sessionId":"a"}`, "[1,2]", "{"} {
			env := run(t, f, n, p)
			wantErr(t, env, 414, n+" not supported yet")
		}
	}
	wantErr(t, run(t, f, "noSuchMethod", ""), 414, "method noSuchMethod not supported yet")
	wantErr(t, run(t, f, "", ""), 414, "parameter method")
	wantErr(t, run(t, f, "__proto__", ""), 414, "not supported yet")
	if f.last != "" {
		t.Errorf("an unsupported method reached the engine: %s", f.last)
	}
}

// firstParam is the parameter a 414 names when a method gets no params.
var firstParam = map[string]string{
	"login": "account", "autoLogin": "account", "kickOtherClient": "client",
	"sendText": "sessionId", "sendMessageReceipt": "sessionId", "markAllMessagesReadInSession": "sessionId",
	"creatRecentSession": "sessionId", "deleteRecentSession": "sessionId", "messagesInSession": "sessionId",
	"messagesInSessionWithMessageIds": "messageIds",
	// issue 6
	"sendImage": "sessionId", "sendVoice": "sessionId", "sendVideo": "sessionId", "sendFile": "sessionId",
	"sendLocation": "sessionId", "sendTip": "sessionId", "cancelSendingMessage": "sessionId",
	"resendMessage": "sessionId", "forwardMessage": "sessionId", "revokeMessage": "sessionId",
	"updateRecentLocalExt": "sessionId", "deleteRemoteSessions": "sessions", "pullMessageHistory": "sessionId",
	"deleteMessage": "messageId", "deleteAllmessagesInSession": "sessionId",
	"upload": "filepath", "download": "urlString", "cancelTask": "filepath",
	// issue 7
	"localUserInfo": "userId", "openLocalCache": "account", "fetchUserInfos": "users",
	"updateMyUserInfo": "userInfo", "requestFriend": "userId", "deleteFriend": "userId", "isMyFriend": "userId",
	"addToBlackList": "userId", "removeFromBlackList": "userId", "isUserInBlackList": "userId",
	"setMute": "userId", "isMute": "userId", "searchUser": "searchContent", "getUserInfoList": "userIds",
	// issue 8
	"sendTeamMessageReceipts": "sessionId", "createTeam": "users", "dismissTeam": "teamId",
	"applyToTeam": "teamId", "passApplyToTeam": "teamId", "rejectApplyToTeam": "teamId",
	"invitationToTeam": "teamId", "acceptInviteWithTeam": "teamId", "rejectInviteWithTeam": "teamId",
	"kickUsersFromTeam": "teamId", "quitTeam": "teamId", "fetchTeamMembers": "teamId", "teamMember": "teamId",
	"updateUserNick": "teamId", "isMyTeam": "teamId", "transferManagerWithTeam": "teamId",
	"addManagersToTeam": "teamId", "removeManagersFromTeam": "teamId", "muteUserFromTeam": "teamId",
	"muteAllFromTeam": "teamId", "fetchTeamMutedMembers": "teamId", "updateTeamName": "teamId",
	"updateTeamAvatar": "teamId", "updateTeamIntro": "teamId", "updateTeamAnnouncement": "teamId",
	"updateTeamJoinMode": "teamId", "updateTeamBeInviteMode": "teamId", "updateTeamInviteMode": "teamId",
	"updateTeamUpdateInfoMode": "teamId", "updateTeamUpdateClientCustomMode": "teamId",
	"updateTeamCustomInfo": "teamId", "updateTeamNotifyState": "teamId", "fetchTeamNotifyState": "teamId",
}

// optionalSessionID are the methods whose sessionId is optional: a
// sessionId of the wrong type is named before their first required parameter.
var optionalSessionID = map[string]bool{"messagesInSessionWithMessageIds": true, "deleteMessage": true}

// TestBadInputNamesTheParameter: a value of the wrong JS type is a 414
// naming the parameter, before the engine is called.
func TestBadInputNamesTheParameter(t *testing.T) {
	garbage := []string{
		"", "null", "undefined", "[]", "[1,2,3]", "123", `"str"`, "true", "{}", "{", "[[[", `{"a":`,
		`{"sessionId":1,"account":1,"client":"1","messageIds":1}`,
		`{"sessionId":[],"account":[],"client":[],"messageIds":{}}`,
		`{"sessionId":{"a":{"b":[1,{"c":null}]}},"account":{"x":[[]]},"client":{},"messageIds":[1]}`,
		`{"sessionId":null,"account":null,"client":null,"messageIds":null}`,
		`{"sessionId":5,"account":5,"client":1.5,"messageIds":[null]}`,
		`{"sessionId":true,"account":false,"client":true,"messageIds":"m1"}`,
		`{"sessionId":1e999}`,
	}
	for method, param := range firstParam {
		for _, g := range garbage {
			f := &fake{}
			env := run(t, f, method, g)
			if env.Err == nil || env.Err.Code != 414 {
				t.Errorf("%s(%s) = %+v, want 414", method, g, env)
				continue
			}
			if !strings.Contains(env.Err.Msg, "parameter ") {
				t.Errorf("%s(%s): %q names no parameter", method, g, env.Err.Msg)
			}
			if g != "{" && g != "[[[" && g != `{"a":` && g != "undefined" && !strings.Contains(env.Err.Msg, "parameter "+param+" ") &&
				!(optionalSessionID[method] && strings.Contains(env.Err.Msg, "parameter sessionId ")) {
				t.Errorf("%s(%s): %q does not name %s", method, g, env.Err.Msg, param)
			}
			if f.last != "" {
				t.Errorf("%s(%s) reached the engine", method, g)
			}
		}
	}
}

func TestParamlessMethodsIgnoreGarbage(t *testing.T) {
	for _, m := range []string{"logout", "isLogined", "currentAccount", "allRecentSessions", "allUnreadCount", "deleteAllMessages",
		"myFriends", "myBlackList", "myMuteUserList", "fetchSystemNotifications", "allNotificationsUnreadCount",
		"markAllNotificationsAsRead", "deleteAllNotifications", "allMyTeams"} {
		for _, g := range []string{"", "null", "[]", `{"x":[1,{}]}`, "42"} {
			if env := run(t, &fake{}, m, g); env.Err != nil {
				t.Errorf("%s(%s): %+v", m, g, env.Err)
			}
		}
	}
}

func TestSecondParameters(t *testing.T) {
	f := &fake{}
	cases := []struct{ method, params, msg string }{
		{"login", `{"account":"alice"}`, "parameter token must be a string"},
		{"login", `{"account":"alice","token":5}`, "parameter token must be a string"},
		{"sendText", `{"sessionId":"bob"}`, "parameter text must be a string"},
		{"sendText", `{"sessionId":"bob","text":12}`, "parameter text must be a string"},
		{"sendText", `{"sessionId":"bob","text":"hi","chatType":"0"}`, "parameter chatType must be a number"},
		{"sendText", `{"sessionId":"bob","text":"hi","chatType":0.5}`, "parameter chatType must be an integer"},
		{"sendText", `{"sessionId":"bob","text":"hi","ext":"x"}`, "parameter ext must be an object"},
		{"sendText", `{"sessionId":"bob","text":"hi","ext":[1]}`, "parameter ext must be an object"},
		{"sendText", `{"sessionId":"bob","text":"hi","from":1}`, "parameter from must be a string"},
		{"sendMessageReceipt", `{"sessionId":"bob"}`, "parameter messageId must be a string"},
		{"sendMessageReceipt", `{"sessionId":"bob","messageId":[]}`, "parameter messageId must be a string"},
		{"messagesInSession", `{"sessionId":"bob","limit":"5"}`, "parameter limit must be a number"},
		{"messagesInSession", `{"sessionId":"bob","limit":2.5}`, "parameter limit must be an integer"},
		{"messagesInSession", `{"sessionId":"bob","limit":1e10}`, "parameter limit must be an integer"},
		{"messagesInSession", `{"sessionId":"bob","direction":"UP"}`, "parameter direction"},
		{"messagesInSession", `{"sessionId":"bob","asc":"yes"}`, "parameter asc must be a boolean"},
		{"messagesInSession", `{"sessionId":"bob","messageId":5}`, "parameter messageId must be a string"},
		{"messagesInSessionWithMessageIds", `{"sessionId":5,"messageIds":["a"]}`, "parameter sessionId must be a string"},
		{"messagesInSessionWithMessageIds", `{"messageIds":["a",2]}`, "parameter messageIds must be an array of strings"},
		{"deleteRecentSession", `{"sessionId":"bob","sessionType":"x"}`, "parameter sessionType must be a number"},
		{"kickOtherClient", `{}`, "parameter client must be a number"},
		{"kickOtherClient", `{"client":"16"}`, "parameter client must be a number"},
		{"sendText", `{"sessionId":"bob","text":"hi","reSend":"no"}`, "parameter reSend must be a boolean"},
		{"messagesInSessionWithMessageIds", `{"messageIds":["a"],"chatType":"0"}`, "parameter chatType must be a number"},
		{"init", `{"server":"http://x"}`, "parameter server must be a ws:// or wss:// URL"},
		{"init", `{"shouldSyncUnreadCount":"fasle"}`, "parameter shouldSyncUnreadCount must be a boolean"},
		{"init", `{"maxAutoLoginRetryTimes":"many"}`, "parameter maxAutoLoginRetryTimes must be an integer"},
		{"init", `{"appKey":5}`, "parameter appKey must be a string"},
	}
	for _, c := range cases {
		wantErr(t, run(t, f, c.method, c.params), 414, c.msg)
	}
	if f.last != "" {
		t.Errorf("a bad call reached the engine: %s", f.last)
	}
}

// TestLimitsAreCore runs the table in front of the real core.Client: the
// limits on values (empty, too long, too many, out of range, blank text,
// account id rules, chat types) are core's, and reach the page as 414s
// naming the parameter, before anything is sent or cached.
func TestLimitsAreCore(t *testing.T) {
	dialed := 0
	dial := func(context.Context, string) (core.Conn, error) {
		dialed++
		return nil, core.Errf(415, "no network in this test")
	}
	open := func(context.Context, string, string) (core.Cache, error) { return core.NewMemCache(), nil }
	c := core.NewClient(core.Config{AppKey: "k", Server: "ws://127.0.0.1:1/ws"}, dial, open, func(core.Event) {})
	long := func(n int, s string) string { return strings.Repeat(s, n) }
	cases := []struct{ method, params, msg string }{
		{"login", `{"account":"","token":"t"}`, "parameter account must not be empty"},
		{"login", `{"account":"bad id!","token":"t"}`, "parameter account must be an account id"},
		{"login", `{"account":"alice","token":""}`, "parameter token must not be empty"},
		{"autoLogin", `{"account":"alice","token":"` + long(proto.MaxTokenBytes+1, "t") + `"}`, "parameter token is longer than"},
		{"kickOtherClient", `{"client":3}`, "parameter client must be one of"},
		{"sendText", `{"sessionId":"","text":"hi"}`, "parameter sessionId must not be empty"},
		{"sendText", `{"sessionId":"bad id!","text":"hi"}`, "parameter sessionId must be an account id"},
		{"sendText", `{"sessionId":"bob","text":""}`, "parameter text"},
		{"sendText", `{"sessionId":"bob","text":" \n\t "}`, "parameter text"},
		{"sendText", `{"sessionId":"bob","text":"` + long(proto.MaxTextRunes+1, "字") + `"}`, "parameter text"},
		{"sendText", `{"sessionId":"bob","text":"hi","ext":{"a":"` + long(proto.MaxExtBytes, "x") + `"}}`, "parameter ext is longer"},
		{"sendMessageReceipt", `{"sessionId":"bob","messageId":""}`, "parameter messageId must not be empty"},
		{"sendMessageReceipt", `{"sessionId":"bob","messageId":"` + long(proto.MaxIDBytes+1, "m") + `"}`, "parameter messageId is longer"},
		{"messagesInSession", `{"sessionId":"bob","limit":0}`, "parameter limit must be at least 1"},
		{"messagesInSession", `{"sessionId":"bob","limit":-3}`, "parameter limit must be at least 1"},
		{"messagesInSessionWithMessageIds", `{"messageIds":[""]}`, "parameter messageIds"},
		{"messagesInSessionWithMessageIds", `{"messageIds":[` + strings.TrimSuffix(long(proto.MaxMessageIDs+1, `"m",`), ",") + `]}`, "parameter messageIds has more than"},
		{"creatRecentSession", `{"sessionId":""}`, "parameter sessionId must not be empty"},
		{"markAllMessagesReadInSession", `{"sessionId":"bad id!"}`, "parameter sessionId must be an account id"},
		{"deleteRecentSession", `{"sessionId":"bob","sessionType":7}`, "parameter chatType"},
		{"init", `{"maxAutoLoginRetryTimes":-1}`, "parameter maxAutoLoginRetryTimes must not be negative"},
	}
	for _, m := range []string{"sendText", "sendMessageReceipt", "markAllMessagesReadInSession", "creatRecentSession", "deleteRecentSession", "messagesInSession", "messagesInSessionWithMessageIds"} {
		p := `{"sessionId":"bob","text":"hi","messageId":"m","messageIds":["m"],"chatType":1}`
		cases = append(cases, struct{ method, params, msg string }{m, strings.Replace(p, `"chatType":1`, `"chatType":2`, 1), "chatType 2 not supported yet"})
	}
	cases = append(cases, struct{ method, params, msg string }{"deleteRecentSession", `{"sessionId":"bob","sessionType":3}`, "chatType 3 not supported yet"})
	for _, tc := range cases {
		env := run(t, c, tc.method, tc.params)
		if env.Err == nil || env.Err.Code != 414 || !strings.Contains(env.Err.Msg, tc.msg) {
			t.Errorf("%s(%.80s) = %+v, want 414 containing %q", tc.method, tc.params, env.Err, tc.msg)
		}
	}
	if dialed != 0 {
		t.Errorf("a call with a bad value dialed the server %d times", dialed)
	}
	if cfg := c.Config(); cfg.MaxAutoLoginRetryTimes != 0 {
		t.Errorf("a refused init changed the config: %+v", cfg)
	}
}

func TestMapping(t *testing.T) {
	f := &fake{}
	env := run(t, f, "login", `{"account":"alice","token":"t0k"}`)
	if env.Err != nil || env.Ret["status"] != true || f.last != "Login" || f.args != [2]string{"alice", "t0k"} {
		t.Errorf("login: %+v %s %v", env, f.last, f.args)
	}
	run(t, f, "autoLogin", `{"account":"alice","token":"t0k"}`)
	if f.last != "AutoLogin" {
		t.Errorf("autoLogin: %s", f.last)
	}
	env = run(t, f, "sendText", `{"sessionId":"bob","text":"hi","ext":{ "k" : [1, 2] },"reSend":false,"from":"x"}`)
	p := f.args.(core.SendTextParams)
	if p.SessionID != "bob" || p.ChatType != 0 || p.Text != "hi" || string(p.Ext) != `{ "k" : [1, 2] }` || p.ReSend {
		t.Errorf("sendText params %+v", p)
	}
	if env.Ret["status"] != true || env.Ret["message"].(map[string]any)["messageId"] != "m1" {
		t.Errorf("sendText ret %v", env.Ret)
	}
	run(t, f, "sendText", `{"sessionId":"bob","text":"hi"}`)
	if p := f.args.(core.SendTextParams); !p.ReSend || p.Ext != nil {
		t.Errorf("sendText defaults %+v (reSend defaults to true)", p)
	}
	run(t, f, "messagesInSession", `{"sessionId":"bob"}`)
	if q := f.args.(core.MessagesParams); q != (core.MessagesParams{SessionID: "bob", Limit: 10}) {
		t.Errorf("messagesInSession defaults %+v", q)
	}
	env = run(t, f, "messagesInSession", `{"sessionId":"bob","chatType":0,"messageId":"m9","limit":500,"direction":"QUERY_NEW","asc":false}`)
	if q := f.args.(core.MessagesParams); q != (core.MessagesParams{SessionID: "bob", MessageID: "m9", Limit: 500, Newer: true, Desc: true}) {
		t.Errorf("messagesInSession %+v", q)
	}
	if ms, ok := env.Ret["messages"].([]any); !ok || len(ms) != 0 || env.Ret["status"] != true {
		t.Errorf("messagesInSession ret %v", env.Ret)
	}
	env = run(t, f, "messagesInSessionWithMessageIds", `{"messageIds":["m1","m2"]}`)
	if ids := f.args.([]string); len(ids) != 2 || len(env.Ret["messages"].([]any)) != 1 {
		t.Errorf("messagesInSessionWithMessageIds %v %v", ids, env.Ret)
	}
	run(t, f, "deleteRecentSession", `{"sessionId":"bob","sessionType":0,"notifyOb":true}`)
	if a := f.args.([]any); f.last != "DeleteRecentSession" || a[0] != "bob" || a[1] != 0 {
		t.Errorf("deleteRecentSession %s %v", f.last, a)
	}
	run(t, f, "sendMessageReceipt", `{"sessionId":"bob","messageId":"m3"}`)
	if a := f.args.([]any); a[2] != "m3" {
		t.Errorf("sendMessageReceipt %v", a)
	}
	run(t, f, "kickOtherClient", `{"client":16}`)
	if f.args != 16 {
		t.Errorf("kickOtherClient %v", f.args)
	}
	for method, want := range map[string]string{
		"isLogined":                    `{"ret":{"status":true}}`,
		"currentAccount":               `{"ret":{"userID":"alice"}}`,
		"allRecentSessions":            `{"ret":{"recentSessions":[]}}`,
		"allUnreadCount":               `{"ret":{"unreadCount":7}}`,
		"logout":                       `{"ret":{"status":true}}`,
		"creatRecentSession":           `{"ret":{"status":true}}`,
		"addAccountListen":             `{"ret":{"status":true}}`,
		"markAllMessagesReadInSession": `{"ret":{"status":true}}`,
	} {
		if got := string(Call(context.Background(), f, method, `{"sessionId":"bob"}`)); got != want {
			t.Errorf("%s = %s, want %s", method, got, want)
		}
	}
}

func TestEngineErrors(t *testing.T) {
	f := &fake{err: core.Errf(302, "wrong account or token")}
	if got := string(Call(context.Background(), f, "login", `{"account":"alice","token":"x"}`)); got != `{"ret":{"status":false},"err":{"code":302,"msg":"wrong account or token"}}` {
		t.Errorf("login failure = %s", got)
	}
	f.err = context.DeadlineExceeded
	wantErr(t, run(t, f, "logout", ""), 500, "deadline")
}

func TestInitMergesConfig(t *testing.T) {
	f := &fake{}
	run(t, f, "init", `{"appKey":"demo","server":"ws://h/ws","shouldSyncUnreadCount":"true","maxAutoLoginRetryTimes":"3","teamReceiptEnabled":"","apnsCername":"x","os":"Chrome"}`)
	run(t, f, "init", `{"shouldCountTeam":true,"maxAutoLoginRetryTimes":2,"shouldSyncUnreadCount":"0"}`)
	want := core.Config{AppKey: "demo", Server: "ws://h/ws", ShouldCountTeam: true, MaxAutoLoginRetryTimes: 2, OS: "Chrome"}
	if f.cfg != want {
		t.Errorf("config %+v, want %+v", f.cfg, want)
	}
	wantErr(t, run(t, f, "init", `{"appKey":"other","shouldCountTeam":"maybe"}`), 414, "shouldCountTeam")
	if f.cfg != want {
		t.Errorf("a failed init changed the config: %+v", f.cfg)
	}
}

func TestRecovered(t *testing.T) {
	var env envelope
	json.Unmarshal(Recovered("sendText", "boom"), &env)
	if env.Err == nil || env.Err.Code != 500 || env.Err.Msg != "internal error in sendText: boom" || env.Ret["status"] != false {
		t.Errorf("%+v", env)
	}
}
