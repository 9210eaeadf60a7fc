package jsapi

import "strings"

// methodGroups are the plugin's 100 methods in the order and groups of the
// plugin doc (../shared/spec/methods.txt), spelled exactly as documented,
// typos included: pages call them by these names. wasm/yunxinim.js carries
// the same list; methods_test.go keeps the three in step.
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

// Listener methods are kept by the loader: it holds the listener lists in
// JS and Go only emits events. Kind is the core.Event kind they listen to.
var listenerMethods = map[string]string{
	"addAccountListen":    "account",
	"removeAccountListen": "account",
	"addMessageListen":    "message",
	"addSessionListen":    "session",
	"removeSessionListen": "session",
}

// ListenerKind returns the event kind of a listener method the loader
// handles itself, or "" for every other method.
func ListenerKind(method string) string { return listenerMethods[method] }
