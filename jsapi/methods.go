package jsapi

import (
	"strings"

	"yunxin/core"
	"yunxin/internal/jx"
)

// methodGroups are the plugin's 100 methods in the order and groups of the
// plugin doc (its list is kept in testdata/methods.txt), spelled exactly as
// documented, typos included: pages call them by these names.
// wasm/yunxinim.js carries the same list (it must define every method before
// the wasm is loaded); methods_test.go and wasm's loader test keep the three
// in step.
var methodGroups = [...]string{
	"login autoLogin logout isLogined currentAccount addAccountListen removeAccountListen kickOtherClient",
	"localUserInfo openLocalCache fetchUserInfos updateMyUserInfo upload download cancelTask",
	"sendText sendImage sendVoice sendVideo sendFile sendLocation sendTip cancelSendingMessage resendMessage forwardMessage revokeMessage sendMessageReceipt sendTeamMessageReceipts addMessageListen",
	"allRecentSessions creatRecentSession deleteRecentSession updateRecentLocalExt allUnreadCount markAllMessagesReadInSession deleteRemoteSessions messagesInSession pullMessageHistory messagesInSessionWithMessageIds deleteMessage deleteAllmessagesInSession deleteAllMessages addSessionListen removeSessionListen",
	"myFriends requestFriend deleteFriend isMyFriend myBlackList addToBlackList removeFromBlackList isUserInBlackList myMuteUserList setMute isMute searchUser addFriendListen removeFriendListen getUserInfoList",
	"fetchSystemNotifications allNotificationsUnreadCount markAllNotificationsAsRead deleteAllNotifications addNotificationListen removeNotificationListen",
	"createTeam allMyTeams dismissTeam applyToTeam passApplyToTeam rejectApplyToTeam invitationToTeam acceptInviteWithTeam rejectInviteWithTeam kickUsersFromTeam quitTeam fetchTeamMembers teamMember updateUserNick isMyTeam transferManagerWithTeam addManagersToTeam removeManagersFromTeam muteUserFromTeam muteAllFromTeam fetchTeamMutedMembers updateTeamName updateTeamAvatar updateTeamIntro updateTeamAnnouncement updateTeamJoinMode updateTeamBeInviteMode updateTeamInviteMode updateTeamUpdateInfoMode updateTeamUpdateClientCustomMode updateTeamCustomInfo updateTeamNotifyState fetchTeamNotifyState addTeamListen removeTeamListen",
}

// InitMethod is the SDK's own method: yunxinIM.init({appKey, server, …})
// sets what config.xml sets in the app.
const InitMethod = "init"

// PluginMethods returns the plugin's 100 method names in the doc's order.
func PluginMethods() []string {
	var names []string
	for _, g := range methodGroups {
		names = append(names, strings.Fields(g)...)
	}
	return names
}

// listener is a listener method the loader keeps: the core.Event kind it
// listens to and whether it adds (or removes) a listener.
type listener struct {
	Kind string
	Add  bool
}

// listenerMethods is the one definition of the listener methods and their
// event kinds: Go emits events of these kinds (core.Event.Kind), and the
// loader, which holds the listener lists in JS, gets this table from
// hooks.ready at start-up (ListenersJSON) instead of keeping its own.
var listenerMethods = map[string]listener{
	"addAccountListen":         {core.EventAccount, true},
	"removeAccountListen":      {core.EventAccount, false},
	"addMessageListen":         {core.EventMessage, true},
	"addSessionListen":         {core.EventSession, true},
	"removeSessionListen":      {core.EventSession, false},
	"addFriendListen":          {core.EventFriend, true},
	"removeFriendListen":       {core.EventFriend, false},
	"addNotificationListen":    {core.EventNotification, true},
	"removeNotificationListen": {core.EventNotification, false},
	"addTeamListen":            {core.EventTeam, true},
	"removeTeamListen":         {core.EventTeam, false},
}

// ListenerKind returns the event kind of a listener method the loader
// handles itself, or "" for every other method.
func ListenerKind(method string) string { return listenerMethods[method].Kind }

// ListenersJSON is the listener table as the loader reads it:
// {"addAccountListen":["account",true],"removeAccountListen":["account",false],…}.
func ListenersJSON() string {
	m := make(map[string]any, len(listenerMethods))
	for name, l := range listenerMethods {
		m[name] = []any{l.Kind, l.Add}
	}
	b, _ := jx.MarshalAny(m) // strings and booleans: cannot fail
	return string(b)
}
