package core

// The people domain's public shapes: profiles, friends, the blacklist and
// mute list (addFriendListen), system and custom notifications
// (addNotificationListen). The Client methods are in people.go and
// notes.go.

// Event kinds of the people domain.
const (
	EventFriend       = "friend"       // addFriendListen / removeFriendListen
	EventNotification = "notification" // addNotificationListen / removeNotificationListen
)

// UserView is the doc's 用户信息: an account with its profile and, for a
// friend, the caller's alias and ext of it. UserInfo is nil when the
// profile is not cached.
type UserView struct {
	UserID    string        `json:"userId"`
	Alias     string        `json:"alias"`
	Ext       string        `json:"ext"`
	ServerExt string        `json:"serverExt"`
	UserInfo  *UserInfoView `json:"userInfo"`
}

// UserInfoView is UserView.UserInfo, the doc's field names.
type UserInfoView struct {
	NickName       string `json:"nickName"`
	AvatarURL      string `json:"avatarUrl"`
	ThumbAvatarURL string `json:"thumbAvatarUrl"`
	Sign           string `json:"sign"`
	Gender         int    `json:"gender"`
	Email          string `json:"email"`
	Birth          string `json:"birth"`
	Mobile         string `json:"mobile"`
	Ext            string `json:"ext"`
}

// UserUpdate is updateMyUserInfo's userInfo: only the fields given (not
// nil) change. Its field names are the doc's (nickName, avatar…).
type UserUpdate struct {
	NickName *string
	Avatar   *string
	Sign     *string
	Gender   *int
	Email    *string
	Birth    *string
	Mobile   *string
	Ext      *string
}

// SearchParams are searchUser's params.
type SearchParams struct {
	Text       string // searchContent, required
	IgnoreCase bool   // ignoreingCase (default true: jsapi fills it)
	Range      int    // searchRange: 0 friends (from the cache, works offline), 1 everyone (asks the server)
	Option     int    // searchContentOption: 0 id, 1 alias, 2 nickname, 3 all (proto.Search*)
}

// FriendEvent is the ret of addFriendListen: both platforms' fields.
type FriendEvent struct {
	// onFriendChanged, onBlackListChanged, onMuteListChanged, onUserInfoChanged
	EventType  string     `json:"eventType"`
	User       *UserView  `json:"user,omitempty"`       // iOS: the friend or user that changed
	ChangeUser []UserView `json:"changeUser,omitempty"` // Android: profiles that changed (onUserInfoChanged), friends added or updated (onFriendChanged)
	AddUser    []string   `json:"addUser,omitempty"`    // Android: accounts added (friends, blacklist)
	RemoveUser []string   `json:"removeUser,omitempty"` // Android: accounts removed
	MuteUser   string     `json:"muteUser,omitempty"`   // Android: onMuteListChanged's account
	Mute       *bool      `json:"mute,omitempty"`       // Android: its new mute state
}

// NotificationView is the doc's system notification object.
type NotificationView struct {
	NotificationID int64  `json:"notificationId"`
	Type           int    `json:"type"` // proto.Note*
	Timestamp      int64  `json:"timestamp"`
	SourceID       string `json:"sourceID"`
	TargetID       string `json:"targetID"`
	Postscript     string `json:"postscript"`
	Read           bool   `json:"read"`
	HandleStatus   int    `json:"handleStatus"` // proto.Note* handle states
	NotifyExt      string `json:"notifyExt"`
	// Operation is our addition for type 5: which friend operation it
	// reports (1 added you, 2 asks you, 3 accepted, 4 rejected; NIM's
	// attachment type).
	Operation int `json:"operation,omitempty"`
}

// CustomNotificationView is the doc's systemNotification (a custom
// notification).
type CustomNotificationView struct {
	NotificationID int64  `json:"notificationId"`
	Timestamp      int64  `json:"timestamp"`
	Sender         string `json:"sender"`
	Receiver       string `json:"receiver"`
	Content        string `json:"content"`
	ReceiverType   int    `json:"receiverType"` // 0 P2P, 1 team
}

// NotificationEvent is the ret of addNotificationListen.
type NotificationEvent struct {
	// onReceiveSystemNotification, onSystemNotificationCountChanged,
	// onReceiveCustomSystemNotification
	EventType          string                  `json:"eventType"`
	Notification       *NotificationView       `json:"notification,omitempty"`
	UnreadCount        *int                    `json:"unreadCount,omitempty"`
	SystemNotification *CustomNotificationView `json:"systemNotification,omitempty"`
}
