package jsapi

import "yunxin/core"

// The rets of the methods that return one or two named values.

// userIDRet is the ret of getCurrentAccount.
type userIDRet struct {
	UserID string `json:"userID"`
}

// uploadedRet is the ret of upload.
type uploadedRet struct {
	Status    bool   `json:"status"`
	URLString string `json:"urlString"`
}

// downloadedRet is the ret of download.
type downloadedRet struct {
	Status bool   `json:"status"`
	Path   string `json:"path"`
}

// notificationsRet is the ret of querySystemNotifications.
type notificationsRet struct {
	Notifications []core.NotificationView `json:"notifications"`
}

// unreadCountRet is the ret of the unread counts.
type unreadCountRet struct {
	UnreadCount int `json:"unreadCount"`
}

// userRet is the ret of userInfo.
type userRet struct {
	User *core.UserView `json:"user"`
}

// recentSessionsRet is the ret of allRecentSessions.
type recentSessionsRet struct {
	RecentSessions []core.RecentSessionView `json:"recentSessions"`
}

// membersRet is the ret of fetchTeamMembers.
type membersRet struct {
	Status  bool                  `json:"status"`
	Members []core.TeamMemberView `json:"members"`
}

// appliedRet is the ret of applyToTeam and passApplyToTeam.
type appliedRet struct {
	Status      bool `json:"status"`
	ApplyStatus int  `json:"applyStatus"`
}

// createdTeamRet is the ret of createTeam.
type createdTeamRet struct {
	Status        bool     `json:"status"`
	TeamID        string   `json:"teamId"`
	FailedUserIDs []string `json:"failedUserIds"`
}

// teamsRet is the ret of allMyTeams.
type teamsRet struct {
	Teams []core.TeamView `json:"teams"`
}

// memberRet is the ret of teamMember.
type memberRet struct {
	Member *core.TeamMemberView `json:"member"`
}

// notifyStateRet is the ret of the team notify state.
type notifyStateRet struct {
	Status      bool `json:"status"`
	NotifyState int  `json:"notifyState"`
}

// usersRet, blackUsersRet and muteUsersRet are the rets of the methods
// that list users (users).
type usersRet struct {
	Users []core.UserView `json:"users"`
}

type blackUsersRet struct {
	BlackUsers []core.UserView `json:"blackUsers"`
}

type muteUsersRet struct {
	MuteUsers []core.UserView `json:"muteUsers"`
}

// isFriendRet, isBlackRet, isMuteRet and isMyTeamRet are the rets of the
// Is methods (flag).
type isFriendRet struct {
	IsFriend bool `json:"isFriend"`
}

type isBlackRet struct {
	IsBlack bool `json:"isBlack"`
}

type isMuteRet struct {
	IsMute bool `json:"isMute"`
}

type isMyTeamRet struct {
	IsMyTeam bool `json:"isMyTeam"`
}
