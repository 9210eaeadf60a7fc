package proto

import "strings"

// Teams (issue 8): normal, advanced and super teams with NetEase's
// permission model. A team's conversation is TeamConv(tid): its messages
// are stored once with per-conversation seqs like P2P ones, and every
// member has a member row of that conversation (read mark; unread derived
// from seqs). A member's row starts at the conversation's last seq when it
// joined: it reads only what was sent after (NetEase's behaviour). Team
// info and the account's own membership reach each member through its
// change log (ChangeTeam); the member list is read per team, incrementally
// from the team's MemberVer. Every team change also posts a team
// notification message (MsgNotification, body TeamNote) into the team's
// conversation, and applications and invitations create system
// notifications (types 0–3, 15–18 for super teams).
//
// The ops are in teamops.go, team receipts in teamreceipts.go; the SDK's
// side is core/teams.go, core/teamstate.go and core/teammsg.go.

// ChangeTeam: Key is a team id, Data a TeamState: the team as the log's
// owner sees it (the team, and its own membership). Appended to every
// member's log when the team's info or member list changes, to a member's
// log when its own membership changes, and to the log of one who left,
// was kicked or whose team was dismissed (Me.Valid false: the team is
// read-only for it from then on).
const ChangeTeam = "team"

// Team error codes (NetEase's).
const (
	CodeTeamMemberLimit = 801
	CodeTeamPermission  = 802
	CodeTeamNotFound    = 803
	CodeTeamNotMember   = 804
	CodeTeamType        = 805
	CodeTeamCreateLimit = 806
	CodeTeamMemberState = 807
	CodeTeamApplied     = 808 // success: the application waits for approval
	CodeTeamAlready     = 809
	CodeTeamInvited     = 810 // success: the invitations wait for the invitees
	CodeTeamMuted       = 812
)

// Team types (Team.Type, the doc's type).
const (
	TeamNormal   = 0
	TeamAdvanced = 1
	TeamSuper    = 2
)

// Member types (TeamMember.Type, the doc's).
const (
	MemberNormal    = 0
	MemberOwner     = 1
	MemberManager   = 2
	MemberApplicant = 3
)

// Team modes, NetEase's numbers: JoinMode 0 anyone / 1 approval / 2
// nobody; InviteMode, UpdateInfoMode, UpdateCustomMode 0 owner and
// managers only / 1 everyone; BeInviteMode 0 the invitee must accept / 1
// it joins at once; MuteMode 0 none / 1 normal members muted / 3 everyone
// muted; a member's Notify (updateTeamNotifyState, fetchTeamNotifyState)
// 0 all / 1 none / 2 managers' messages only, the plugin doc's numbers
// (NIM's NIMTeamNotifyState).
const (
	JoinAnyone   = 0
	JoinApproval = 1
	JoinNobody   = 2

	ModeManagers = 0
	ModeEveryone = 1

	BeInviteNeedsConsent = 0
	BeInviteAtOnce       = 1

	MuteNone   = 0
	MuteNormal = 1
	MuteAll    = 3

	NotifyAll      = 0
	NotifyNone     = 1
	NotifyManagers = 2
)

// Team limits (NetEase's where it has one).
const (
	MaxTeamNameRunes     = 64
	MaxTeamIntroRunes    = 512
	MaxTeamAnnounceRunes = 1024
	MaxTeamCustomBytes   = 1024
	MaxTeamIconBytes     = 1024
	MaxTeamPsRunes       = 256
	MaxTeamNickRunes     = 64
	DefaultTeamMembers   = 200  // normal and advanced teams
	DefaultSuperMembers  = 2000 // super teams
	MaxTeamAccounts      = 200  // accounts in one create/invite/kick/managers request
	MaxTeamsCreated      = 500  // teams one account may own (806 past it)
)

// TeamConv is the conversation id of a team.
func TeamConv(tid string) string { return "t:" + tid }

// TeamOfConv returns the team id of a team conversation id, or "".
func TeamOfConv(conv string) string {
	tid, ok := strings.CutPrefix(conv, "t:")
	if !ok {
		return ""
	}
	return tid
}

// TeamChatType is the chat (session) type of a team's messages: ChatTeam,
// or ChatSuperTeam for a super team.
func TeamChatType(teamType int) int {
	if teamType == TeamSuper {
		return ChatSuperTeam
	}
	return ChatTeam
}

// Team is a team's info, the doc's 群组信息 fields.
type Team struct {
	ID               string `json:"id"`
	Name             string `json:"name"`
	Type             int    `json:"type"`
	Owner            string `json:"owner"`
	Icon             string `json:"icon,omitempty"`
	Intro            string `json:"intro,omitempty"`
	Announcement     string `json:"announcement,omitempty"`
	ClientCustom     string `json:"clientCustom,omitempty"`
	ServerCustom     string `json:"serverCustom,omitempty"`
	JoinMode         int    `json:"joinMode"`
	InviteMode       int    `json:"inviteMode"`
	BeInviteMode     int    `json:"beInviteMode"`
	UpdateInfoMode   int    `json:"updateInfoMode"`
	UpdateCustomMode int    `json:"updateCustomMode"`
	MuteMode         int    `json:"muteMode"`
	MaxMembers       int    `json:"maxMembers"`
	Members          int    `json:"members"`   // valid members
	MemberVer        int64  `json:"memberVer"` // moves with every member row change
	Created          int64  `json:"created"`   // ms
	Updated          int64  `json:"updated"`   // ms
	Dismissed        bool   `json:"dismissed,omitempty"`
}

// TeamMember is one member of a team, the doc's 群成员信息 fields.
type TeamMember struct {
	TeamID  string `json:"tid"`
	Account string `json:"account"`
	Type    int    `json:"type"` // Member*
	Nick    string `json:"nick,omitempty"`
	Custom  string `json:"custom,omitempty"`
	Muted   bool   `json:"muted,omitempty"`
	Inviter string `json:"inviter,omitempty"`
	Joined  int64  `json:"joined"`           // ms
	Notify  int    `json:"notify,omitempty"` // Notify*
	Valid   bool   `json:"valid"`            // false: left, kicked, or the team was dismissed
	Ver     int64  `json:"ver"`              // the team's MemberVer when this row last changed
	// LeftSeq is, for an invalid row, the seq of the team conversation's
	// last message when the account left (its own leave, kick or dismiss
	// notification included): it keeps the history up to there.
	LeftSeq int64 `json:"leftSeq,omitempty"`
	// JoinSeq is the seq of the team conversation's last message when the
	// account (last) joined: its history is the messages after it (up to
	// LeftSeq for an invalid row).
	JoinSeq int64 `json:"joinSeq,omitempty"`
}

// TeamState is the Data of a ChangeTeam: the team and the log owner's own
// membership.
type TeamState struct {
	Team Team       `json:"team"`
	Me   TeamMember `json:"me"`
}

// CreateTeamReq creates a team owned by the caller with the doc's
// createTeam options and invites Members: a normal team, or an advanced or
// super one with BeInviteMode 1, adds them at once; otherwise each gets an
// invitation (system notification type 2 / 17) to accept.
type CreateTeamReq struct {
	Name             string   `json:"name"`
	Type             int      `json:"type"`
	Icon             string   `json:"icon,omitempty"`
	Intro            string   `json:"intro,omitempty"`
	Announcement     string   `json:"announcement,omitempty"`
	ClientCustom     string   `json:"clientCustom,omitempty"`
	Postscript       string   `json:"ps,omitempty"`
	JoinMode         int      `json:"joinMode"`
	InviteMode       int      `json:"inviteMode"`
	BeInviteMode     int      `json:"beInviteMode"`
	UpdateInfoMode   int      `json:"updateInfoMode"`
	UpdateCustomMode int      `json:"updateCustomMode"`
	MaxMembers       int      `json:"maxMembers,omitempty"` // 0: the default for the type
	MuteMode         int      `json:"muteMode"`
	Members          []string `json:"members"`
}

// TeamUpdate changes a team's info or modes: only the fields given. It is
// also TeamNote.Update (what an update changed).
type TeamUpdate struct {
	Name             *string `json:"name,omitempty"`
	Icon             *string `json:"icon,omitempty"`
	Intro            *string `json:"intro,omitempty"`
	Announcement     *string `json:"announcement,omitempty"`
	ClientCustom     *string `json:"clientCustom,omitempty"`
	ServerCustom     *string `json:"serverCustom,omitempty"` // the app's server only (REST)
	JoinMode         *int    `json:"joinMode,omitempty"`
	InviteMode       *int    `json:"inviteMode,omitempty"`
	BeInviteMode     *int    `json:"beInviteMode,omitempty"`
	UpdateInfoMode   *int    `json:"updateInfoMode,omitempty"`
	UpdateCustomMode *int    `json:"updateCustomMode,omitempty"`
	MuteMode         *int    `json:"muteMode,omitempty"`
}

// Team notification operations (TeamNote.Op), NIM's NIMTeamOperationType.
const (
	TeamOpInvite   = 0
	TeamOpKick     = 1
	TeamOpLeave    = 2
	TeamOpUpdate   = 3
	TeamOpDismiss  = 4
	TeamOpPass     = 5 // an application passed
	TeamOpTransfer = 6
	TeamOpAddMgr   = 7
	TeamOpDelMgr   = 8
	TeamOpAccept   = 9 // an invitation accepted
	TeamOpMute     = 10
)

// TeamNote is the body of a team notification message (MsgNotification)
// the server posts, from the member who made the change, into the team's
// conversation for every team change.
type TeamNote struct {
	Op       int         `json:"op"`                 // TeamOp*
	Accounts []string    `json:"accounts,omitempty"` // the members concerned (invited, kicked, new owner…)
	Update   *TeamUpdate `json:"update,omitempty"`   // TeamOpUpdate: what changed
	Mute     bool        `json:"mute,omitempty"`     // TeamOpMute: muted (true) or not
}

// System notification types of super teams (SysNote.Type); the normal and
// advanced ones are NoteTeamApply…NoteTeamInviteRejct (people.go).
const (
	NoteSuperApply        = 15
	NoteSuperApplyReject  = 16
	NoteSuperInvite       = 17
	NoteSuperInviteReject = 18
)
