package proto

// Team ops (client → server). Each write answers TeamResp: the changes it
// appended to the caller's own log (the client applies them as a sync's)
// and what the doc's callback needs. Team messages use OpSend with
// Msg.ChatType ChatTeam (or ChatSuperTeam) and Msg.To the team id.
const (
	OpTeamCreate   = "tcreate"   // CreateTeamReq → TeamResp (TeamID, Failed; Pending: invitations sent)
	OpTeamUpdate   = "tupdate"   // TeamUpdateReq → TeamResp
	OpTeamDismiss  = "tdismiss"  // TeamReq → TeamResp
	OpTeamInvite   = "tinvite"   // TeamAccountsReq (Ps) → TeamResp (Failed; Pending: 810)
	OpTeamApply    = "tapply"    // TeamReq (Ps) → TeamResp (Pending: 808)
	OpTeamAnswer   = "tanswer"   // TeamAnswerReq → TeamResp
	OpTeamKick     = "tkick"     // TeamAccountsReq → TeamResp
	OpTeamQuit     = "tquit"     // TeamReq → TeamResp
	OpTeamTransfer = "ttransfer" // TeamTransferReq → TeamResp
	OpTeamManagers = "tmanagers" // TeamAccountsReq (On: add, else remove) → TeamResp
	OpTeamMute     = "tmute"     // TeamAccountsReq (one account; On: mute) → TeamResp
	OpTeamMember   = "tmember"   // TeamMemberReq → TeamResp (updateUserNick; own custom info)
	OpTeamNotify   = "tnotify"   // TeamNotifyReq → TeamResp (updateTeamNotifyState)
	OpTeamMembers  = "tmembers"  // TeamMembersReq → TeamMembersResp
	OpTeamInfo     = "tinfo"     // TeamReq → TeamState (the caller's view of a team it is or was a member of; 803/804 otherwise)
)

// TeamReq names a team (dismiss, apply, quit, info); Ps is apply's
// postscript.
type TeamReq struct {
	TeamID string `json:"tid"`
	Ps     string `json:"ps,omitempty"`
}

// TeamUpdateReq is a TeamUpdate of one team (ServerCustom is refused: the
// app's server sets it over REST).
type TeamUpdateReq struct {
	TeamID string `json:"tid"`
	TeamUpdate
}

// TeamAccountsReq names accounts of a team: invite (Ps), kick, managers
// (On: appoint), mute (one account; On: mute).
type TeamAccountsReq struct {
	TeamID   string   `json:"tid"`
	Accounts []string `json:"accounts"`
	On       bool     `json:"on,omitempty"`
	Ps       string   `json:"ps,omitempty"`
	// Attach is invitationToTeam's attach: the app's extension of the
	// invitations, their system notifications' notifyExt (≤ MaxTeamCustomBytes).
	Attach string `json:"attach,omitempty"`
}

// Team answers (TeamAnswerReq.Kind).
const (
	AnswerApply  = "apply"  // the owner or a manager answers Account's application
	AnswerInvite = "invite" // the caller answers Account's (the inviter's) invitation
)

// TeamAnswerReq passes or rejects an application (Kind AnswerApply; the
// caller the owner or a manager, Account the applicant) or accepts or
// rejects an invitation (AnswerInvite; the caller the invitee, Account the
// inviter). Ps is a rejection's reason.
type TeamAnswerReq struct {
	TeamID  string `json:"tid"`
	Kind    string `json:"kind"`
	Account string `json:"account"`
	Accept  bool   `json:"accept"`
	Ps      string `json:"ps,omitempty"`
}

// TeamTransferReq makes Owner the owner; with Leave the caller leaves too
// (transferManagerWithTeam's isLeave).
type TeamTransferReq struct {
	TeamID string `json:"tid"`
	Owner  string `json:"owner"`
	Leave  bool   `json:"leave,omitempty"`
}

// TeamMemberReq sets Account's team nick (updateUserNick) and/or, for the
// caller itself, its custom info; nil unchanged.
type TeamMemberReq struct {
	TeamID  string  `json:"tid"`
	Account string  `json:"account"`
	Nick    *string `json:"nick,omitempty"`
	Custom  *string `json:"custom,omitempty"`
}

// TeamNotifyReq sets the caller's notify state in a team (Notify*).
type TeamNotifyReq struct {
	TeamID string `json:"tid"`
	Notify int    `json:"notify"`
}

// TeamMembersReq asks for a page of a team's member rows changed after the
// MemberVer Since (0: the valid members), ordered by (Ver, Account), after
// the previous page's last (AfterVer, AfterAccount). The caller must be or
// have been a member.
type TeamMembersReq struct {
	TeamID       string `json:"tid"`
	Since        int64  `json:"since,omitempty"`
	AfterVer     int64  `json:"afterVer,omitempty"`
	AfterAccount string `json:"afterAccount,omitempty"`
}

// TeamMembersResp is one page, cut by count (MaxTeamMembersPage) and bytes
// (MaxPage); More: ask again after the last member.
type TeamMembersResp struct {
	Members []TeamMember `json:"members"`
	More    bool         `json:"more,omitempty"`
}

// MaxTeamMembersPage is the most member rows one TeamMembersResp holds.
const MaxTeamMembersPage = 1000

// TeamResp is the reply of a team write.
type TeamResp struct {
	Changes []Change `json:"changes"`
	TeamID  string   `json:"tid,omitempty"`     // createTeam
	Failed  []string `json:"failed,omitempty"`  // accounts not added or invited
	Pending bool     `json:"pending,omitempty"` // an application or invitations wait for an answer (808, 810)
	// Msgs are the team notification messages the write posted: the
	// caller's connection gets them here, as the other members' and the
	// caller's other connections get them pushed.
	Msgs []Msg `json:"msgs,omitempty"`
}
