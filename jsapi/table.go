package jsapi

import (
	"context"
	"strconv"

	"yunxin/core"
	"yunxin/internal/jx"
	"yunxin/proto"
)

// Engine is what the table calls: *core.Client. Tests use a fake. Each
// domain's methods are declared beside its handlers (account.go,
// messaging.go, sessions.go, people.go, notes.go, teams.go).
type Engine interface {
	AccountEngine
	FilesEngine
	MessagingEngine
	SessionsEngine
	PeopleEngine
	NotesEngine
	TeamsEngine
}

var _ Engine = (*core.Client)(nil)

// handler runs one method: it converts p, calls e and returns the ret of a
// success. A nil handler means "not supported yet".
type handler func(ctx context.Context, e Engine, p params) (jx.Value, error)

// table maps every JS method name to its Go function: the 100 plugin
// methods and init, in the plugin doc's groups. nil: not supported yet.
// The listener methods the SDK supports are not listed here: init adds
// them from their one definition, listenerMethods.
// TestTableHasExactlyTheMethods checks it against the doc's list.
var table = map[string]handler{
	InitMethod: doInit,

	// account (account.go)
	"login": doLogin, "autoLogin": doAutoLogin, "logout": doLogout, "isLogined": doIsLogined,
	"currentAccount": doCurrentAccount, "kickOtherClient": doKick,

	// user (people.go; files.go for upload, download, cancelTask)
	"localUserInfo": doLocalUserInfo, "openLocalCache": doOpenLocalCache, "fetchUserInfos": doFetchUserInfos,
	"updateMyUserInfo": doUpdateMyUserInfo,
	"upload":           doUpload, "download": doDownload, "cancelTask": doCancelTask,

	// message (messaging.go)
	"sendText": doSendText, "sendImage": doSendImage, "sendVoice": doSendVoice, "sendVideo": doSendVideo,
	"sendFile": doSendFile, "sendLocation": doSendLocation, "sendTip": doSendTip,
	"cancelSendingMessage": doCancelSending, "resendMessage": doResend,
	"forwardMessage": doForward, "revokeMessage": doRevoke, "sendMessageReceipt": doReceipt,
	"sendTeamMessageReceipts": doTeamReceipts,

	// session and history (sessions.go)
	"allRecentSessions": doAllRecentSessions, "creatRecentSession": doCreateSession,
	"deleteRecentSession": doDeleteSession, "updateRecentLocalExt": doUpdateLocalExt,
	"allUnreadCount": doAllUnreadCount, "markAllMessagesReadInSession": doMarkRead,
	"deleteRemoteSessions": doDeleteRemoteSessions, "messagesInSession": doMessages,
	"pullMessageHistory": doPullHistory, "messagesInSessionWithMessageIds": doMessagesByIDs,
	"deleteMessage": doDeleteMessage, "deleteAllmessagesInSession": doDeleteAllInSession,
	"deleteAllMessages": doDeleteAll,

	// friend (people.go; addFriendListen, removeFriendListen: listenerMethods)
	"myFriends": doMyFriends, "requestFriend": doRequestFriend, "deleteFriend": doDeleteFriend,
	"isMyFriend": doIsMyFriend, "myBlackList": doMyBlackList, "addToBlackList": blackList(true),
	"removeFromBlackList": blackList(false), "isUserInBlackList": doIsUserInBlackList,
	"myMuteUserList": doMyMuteUserList, "setMute": doSetMute, "isMute": doIsMute, "searchUser": doSearchUser,
	"getUserInfoList": doGetUserInfoList,

	// system notification (notes.go; addNotificationListen, removeNotificationListen: listenerMethods)
	"fetchSystemNotifications": doFetchNotifications, "allNotificationsUnreadCount": doNotificationsUnreadCount,
	"markAllNotificationsAsRead": doMarkNotificationsRead, "deleteAllNotifications": doDeleteNotifications,

	// team (teams.go; addTeamListen, removeTeamListen: listenerMethods)
	"createTeam": doCreateTeam, "allMyTeams": doAllMyTeams,
	"dismissTeam":          team(func(e Engine, ctx context.Context, tid string) error { return e.DismissTeam(ctx, tid) }),
	"quitTeam":             team(func(e Engine, ctx context.Context, tid string) error { return e.QuitTeam(ctx, tid) }),
	"applyToTeam":          doApplyToTeam,
	"passApplyToTeam":      doPassApplyToTeam,
	"rejectApplyToTeam":    doRejectApply,
	"invitationToTeam":     doInvitationToTeam,
	"acceptInviteWithTeam": doAcceptInvite,
	"rejectInviteWithTeam": doRejectInvite,
	"kickUsersFromTeam":    doKickUsers,
	"fetchTeamMembers": teamMembers(func(e Engine, ctx context.Context, tid string) ([]core.TeamMemberView, error) {
		return e.FetchTeamMembers(ctx, tid)
	}),
	"fetchTeamMutedMembers": teamMembers(func(e Engine, ctx context.Context, tid string) ([]core.TeamMemberView, error) {
		return e.FetchTeamMutedMembers(ctx, tid)
	}),
	"teamMember": doTeamMember, "updateUserNick": doUpdateUserNick, "isMyTeam": doIsMyTeam,
	"transferManagerWithTeam": doTransferOwner,
	"addManagersToTeam":       managers(true), "removeManagersFromTeam": managers(false),
	"muteUserFromTeam": doMuteUser, "muteAllFromTeam": doMuteAll,
	"updateTeamName": updateText("teamName", proto.MaxTeamNameRunes, false,
		func(u *core.TeamInfoUpdate, s *string) { u.Name = s }),
	"updateTeamAvatar": updateText("teamAvatarUrl", proto.MaxTeamIconBytes, true,
		func(u *core.TeamInfoUpdate, s *string) { u.Avatar = s }),
	"updateTeamIntro": updateText("intro", proto.MaxTeamIntroRunes, false,
		func(u *core.TeamInfoUpdate, s *string) { u.Intro = s }),
	"updateTeamAnnouncement": updateText("announcement", proto.MaxTeamAnnounceRunes, false,
		func(u *core.TeamInfoUpdate, s *string) { u.Announcement = s }),
	"updateTeamCustomInfo": updateText("customInfo", proto.MaxTeamCustomBytes, true,
		func(u *core.TeamInfoUpdate, s *string) { u.ClientCustom = s }),
	"updateTeamJoinMode": updateMode("joinMode", joinModes,
		func(u *core.TeamInfoUpdate, n *int) { u.JoinMode = n }),
	"updateTeamBeInviteMode": updateMode("beInviteMode", beInvModes,
		func(u *core.TeamInfoUpdate, n *int) { u.BeInviteMode = n }),
	"updateTeamInviteMode": updateMode("inviteMode", inviteModes,
		func(u *core.TeamInfoUpdate, n *int) { u.InviteMode = n }),
	"updateTeamUpdateInfoMode": updateMode("infoMode", inviteModes,
		func(u *core.TeamInfoUpdate, n *int) { u.UpdateInfoMode = n }),
	"updateTeamUpdateClientCustomMode": updateMode("clientCustomMode", inviteModes,
		func(u *core.TeamInfoUpdate, n *int) { u.UpdateCustomMode = n }),
	"updateTeamNotifyState": doUpdateNotifyState, "fetchTeamNotifyState": doFetchNotifyState,
}

// init adds the listener methods (listenerMethods) to the table, answered
// by doListen should a call reach Go; one listed by hand as well panics.
func init() {
	for name := range listenerMethods {
		if _, dup := table[name]; dup {
			panic("jsapi: listener method " + name + " is in the table literal too; listenerMethods defines it")
		}
		table[name] = doListen
	}
}

// Methods returns every name of the table: the 100 plugin methods and init.
func Methods() []string {
	return append(PluginMethods(), InitMethod)
}

// Supported reports whether method is implemented (not a 414 "not supported yet").
func Supported(method string) bool { return table[method] != nil }

// Envelope is what the loader receives for one call: ret always, err on failure.
type Envelope struct {
	Ret jx.Value    `json:"ret"`
	Err *core.Error `json:"err,omitempty"`
}

// envelopeErr is an envelope's err, as the bridge reads it back.
type envelopeErr struct {
	Err jx.RawMessage `json:"err"`
}

type status struct {
	Status bool `json:"status"`
}

var (
	statusTrue  = status{true}
	statusFalse = status{false}
)

// done is the ret of a method whose success carries nothing but status.
func done(err error) (jx.Value, error) {
	if err != nil {
		return nil, err
	}
	return &statusTrue, nil
}

// Call runs method with the page's params (JSON; "" for none) and returns
// the envelope as JSON. It blocks while core works: call it from a goroutine.
// It does not recover panics; the bridge does.
func Call(ctx context.Context, e Engine, method, paramsJSON string) []byte {
	ret, err := call(ctx, e, method, paramsJSON)
	return Encode(ret, err)
}

func call(ctx context.Context, e Engine, method, paramsJSON string) (jx.Value, error) {
	h, known := table[method]
	if h == nil {
		if method == "" {
			return nil, core.BadParam("method", "must be a method name")
		}
		if !known {
			return nil, core.ErrNotSupported("method " + method)
		}
		return nil, core.ErrNotSupported(method)
	}
	p, err := decodeParams(paramsJSON)
	if err != nil {
		return nil, err
	}
	if sendMethods[method] {
		ctx = answerSend(ctx)
	}
	return h(ctx, e, p)
}

// sendMethods are the methods whose ret is sentRet's: with an early
// function (WithEarly) they answer as soon as the server answered, before
// the cache records the sent state (core.WithSendAnswer).
var sendMethods = map[string]bool{
	"sendText": true, "sendImage": true, "sendVoice": true, "sendVideo": true, "sendFile": true,
	"sendLocation": true, "sendTip": true, "resendMessage": true, "forwardMessage": true,
}

type earlyKey struct{}

// WithEarly returns ctx carrying fn, which takes the call's envelope when
// the call can answer before it returns (a send: see sendMethods). Once fn
// was called, the call has answered: the caller (the bridge) must not
// deliver the envelope Call returns, and must hold the page's later calls
// until Call returned, so that they see what the call wrote.
func WithEarly(ctx context.Context, fn func(env []byte)) context.Context {
	return context.WithValue(ctx, earlyKey{}, fn)
}

// answerSend makes a send answer its early function (if ctx has one) from
// core's send answer.
func answerSend(ctx context.Context) context.Context {
	fn, _ := ctx.Value(earlyKey{}).(func([]byte))
	if fn == nil {
		return ctx
	}
	return core.WithSendAnswer(ctx, func(v *core.MessageView, err error) { fn(Encode(sentRet(v, err))) })
}

// Encode returns the envelope of a result: {"ret":ret} on success,
// {"ret":{"status":false},"err":{code,msg}} on failure.
func Encode(ret jx.Value, err error) []byte {
	env := Envelope{Ret: ret}
	if err != nil {
		env = Envelope{Ret: &statusFalse, Err: core.AsError(err)}
	}
	b, mErr := jx.Marshal(&env)
	if mErr != nil {
		b, _ = jx.Marshal(&Envelope{Ret: &statusFalse, Err: core.Errf(proto.CodeServer, "cannot encode the result: "+mErr.Error())})
	}
	return b
}

type progressKey struct{}

// WithProgress returns ctx carrying fn, which gets the JSON of each interim
// ret a call hands the page before its final answer (upload's
// {"status":true,"progress":0.5}), in order, from the call's goroutine. The
// bridge sets it for every call that has a callback.
func WithProgress(ctx context.Context, fn func(ret []byte)) context.Context {
	return context.WithValue(ctx, progressKey{}, fn)
}

// interim hands ret to the call's progress function, if it has one.
func interim(ctx context.Context, ret jx.Value) {
	fn, _ := ctx.Value(progressKey{}).(func([]byte))
	if fn == nil {
		return
	}
	if b, err := jx.Marshal(ret); err == nil {
		fn(b)
	}
}

// Fail returns the envelope of a failure.
func Fail(code int, msg string) []byte { return Encode(nil, core.Errf(code, msg)) }

// panicMessage turns a recovered panic value into an error message.
func panicMessage(method string, v any) string {
	var what string
	switch v := v.(type) {
	case error:
		what = v.Error()
	case string:
		what = v
	case int:
		what = strconv.Itoa(v)
	default:
		what = "unknown panic"
	}
	return "internal error in " + method + ": " + what
}

// Recovered returns the envelope of a call that panicked (code 500).
func Recovered(method string, v any) []byte {
	return Fail(proto.CodeServer, panicMessage(method, v))
}
