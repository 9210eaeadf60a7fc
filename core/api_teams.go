package core

// The team domain's public shapes (issue 8): the doc's 群组信息 (TeamView)
// and 群成员信息 (TeamMemberView), addTeamListen's ret (TeamEvent) and the
// params of the team methods. The Client methods are in teams.go, the
// state (team and member records) in teamstate.go.

// EventTeam is the event kind of addTeamListen / removeTeamListen.
const EventTeam = "team"

// TeamView is the doc's 群组信息, both platforms' fields.
type TeamView struct {
	TeamID                 string `json:"teamId"`
	TeamName               string `json:"teamName"`
	AvatarURL              string `json:"avatarUrl"`
	ThumbAvatarURL         string `json:"thumbAvatarUrl"`
	Type                   int    `json:"type"` // proto.Team*
	Owner                  string `json:"owner"`
	Intro                  string `json:"intro"`
	Announcement           string `json:"announcement"`
	MemberNumber           int    `json:"memberNumber"`
	Level                  int    `json:"level"` // the member limit (Android's meaning)
	CreateTime             int64  `json:"createTime"`
	JoinMode               int    `json:"joinMode"`
	InviteMode             int    `json:"inviteMode"`
	BeInviteMode           int    `json:"beInviteMode"`
	UpdateInfoMode         int    `json:"updateInfoMode"`
	UpdateClientCustomMode int    `json:"updateClientCustomMode"`
	ServerCustomInfo       string `json:"serverCustomInfo"`
	ClientCustomInfo       string `json:"clientCustomInfo"`
	InAllMuteMode          bool   `json:"inAllMuteMode"`
	MuteMode               int    `json:"muteMode"`
	// Our additions: whether the logged-in account is a member now (false:
	// it left, was kicked, or the team was dismissed; the team is
	// read-only), and its notify state there (proto.Notify*).
	IsMyTeam    bool `json:"isMyTeam"`
	NotifyState int  `json:"notifyState"`
}

// TeamMemberView is the doc's 群成员信息, both platforms' fields.
type TeamMemberView struct {
	TeamID       string `json:"teamId"`
	UserID       string `json:"userId"`
	Invitor      string `json:"invitor"`      // iOS: only for the logged-in account's own row
	InviterAccid string `json:"inviterAccid"` // Android
	Type         int    `json:"type"`         // proto.Member*
	Nickname     string `json:"nickname"`
	IsMuted      bool   `json:"isMuted"`
	CreateTime   int64  `json:"createTime"` // when it joined (ms)
	CustomInfo   string `json:"customInfo"`
}

// TeamEvent is the ret of addTeamListen: both platforms' fields.
type TeamEvent struct {
	// onTeamAdded, onTeamUpdated, onTeamRemoved, onTeamMemberChanged,
	// onTeamMemberRemoved
	EventType      string           `json:"eventType"`
	Team           *TeamView        `json:"team,omitempty"`           // iOS (all), Android (onTeamRemoved)
	Teams          []TeamView       `json:"teams,omitempty"`          // Android: onTeamUpdated (and onTeamAdded)
	UpdateMembers  []TeamMemberView `json:"updateMembers,omitempty"`  // onTeamMemberChanged: members added or changed
	RemovedMembers []TeamMemberView `json:"removedMembers,omitempty"` // onTeamMemberRemoved (and onTeamMemberChanged): members gone
}

// CreateTeamParams are createTeam's users and option (the doc's names in
// the comments); jsapi fills the doc's defaults.
type CreateTeamParams struct {
	Users            []string // users
	Name             string   // option.name (required)
	Type             int      // option.type: proto.TeamNormal, TeamAdvanced, TeamSuper
	Intro            string   // option.intro
	Icon             string   // option.icon
	Announcement     string   // option.announcement
	ClientCustomInfo string   // option.clientCustomInfo
	Postscript       string   // option.postscript
	JoinMode         int      // option.joinMode
	InviteMode       int      // option.inviteMode
	BeInviteMode     int      // option.beInviteMode
	UpdateInfoMode   int      // option.updateInfoMode
	UpdateCustomMode int      // option.updateClientCustomMode
	MaxMember        int      // option.maxMember (0: the type's default)
	MuteMode         int      // option.muteMode
}

// CreateTeamResult is createTeam's ret (besides status).
type CreateTeamResult struct {
	TeamID        string   `json:"teamId"`
	FailedUserIDs []string `json:"failedUserIds"`
}

// Apply states (applyToTeam's and passApplyToTeam's applyStatus).
const (
	ApplyInvalid = 0
	ApplyJoined  = 1 // already in the team (joined at once)
	ApplyWaiting = 2 // the application waits for the owner or a manager
)

// TeamInfoUpdate is what updateTeamName … updateTeamCustomInfo change:
// the fields given (not nil). Each update method sets one.
type TeamInfoUpdate struct {
	Name             *string // updateTeamName: teamName
	Avatar           *string // updateTeamAvatar: teamAvatarUrl
	Intro            *string // updateTeamIntro: intro
	Announcement     *string // updateTeamAnnouncement: announcement
	JoinMode         *int    // updateTeamJoinMode: joinMode
	BeInviteMode     *int    // updateTeamBeInviteMode: beInviteMode
	InviteMode       *int    // updateTeamInviteMode: inviteMode
	UpdateInfoMode   *int    // updateTeamUpdateInfoMode: infoMode
	UpdateCustomMode *int    // updateTeamUpdateClientCustomMode: clientCustomMode
	ClientCustom     *string // updateTeamCustomInfo: customInfo
}
