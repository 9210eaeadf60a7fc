package store

import (
	"context"
	"fmt"

	"yunxin/proto"
)

// Teams stores teams, their members and NetEase's permission model
// (proto/teams.go). Every write is one transaction that checks the
// caller's rights against the stored team, changes it, appends the
// changes to the logs of the accounts concerned (proto.ChangeTeam, and
// proto.ChangeNote for system notifications), stores the team
// notification message (proto.MsgNotification, body proto.TeamNote, from
// by) in the team's conversation, and returns all of it (TeamWrite) for
// the server to push.
//
// The data model:
//   - A team row (proto.Team) with a MemberVer moved by every member row
//     change; its conversation row (proto.TeamConv) is created with it.
//   - A team member row per account that ever joined (proto.TeamMember:
//     role, nick, custom, muted, inviter, joined, notify, valid, ver), and,
//     while it is a member, a members row of the team's conversation (the
//     read mark) whose read mark starts at the conversation's last seq
//     when it joined: unread counts only what came after, and IsMember is
//     true only for valid members. When it leaves, the read mark stays on
//     its member row; MarkRead still moves it, up to LeftSeq.
//   - Applications and invitations are system notifications (the notes of
//     the People store, To the team id) of the owner's and managers'
//     inboxes (apply) or the invitee's (invite); answering one sets its
//     handleStatus, as a friend request's.
//   - A team change appends a ChangeTeam (the team and that member's own
//     row) to every valid member's log — linear in the member count, like
//     a profile's fan-out — and to the log of each one it removed (a
//     member's nick or custom info too); notify, private to its member,
//     to that member's log only.
//   - A member row's JoinSeq and LeftSeq bound the team conversation's
//     history it may read: (JoinSeq, LeftSeq], LeftSeq open while valid.
//
// Rights (NetEase's): a normal team lets any member invite (invitees join
// at once) and only the owner kick, update or dismiss; an advanced or
// super team follows its modes (InviteMode, UpdateInfoMode,
// UpdateCustomMode, JoinMode, BeInviteMode), and its owner and managers
// invite, kick (managers only normal members) and answer applications;
// only the owner dismisses, transfers, and appoints or removes managers;
// the owner cannot quit (transfer first). Violations are TeamError values
// with NetEase's codes (802 no permission, 803 no such team, 804 not a
// member, 805 wrong team type for the operation, 801 member limit, 806
// creation limit, 809 already a member, 812 muted).
type Teams interface {
	// CreateTeam creates a team owned by owner (a new id) with the
	// options of req (checked by the caller) and invites req.Members
	// (see proto.CreateTeamReq): added at once or invited. failed lists
	// members that do not exist or have owner on their blacklist (they
	// are skipped). maxMembers is the cap for the type (the server's
	// configuration; 0: proto.DefaultTeamMembers / DefaultSuperMembers);
	// the team's limit is req.MaxMembers when it is above 0 and below the
	// cap, else the cap. A normal team ignores the modes of req (stored
	// 0). TeamError 806 past proto.MaxTeamsCreated owned teams, 801 when
	// the members do not fit the limit.
	CreateTeam(ctx context.Context, owner string, req proto.CreateTeamReq, maxMembers int, nowMs int64) (t proto.Team, failed []string, w TeamWrite, err error)
	// Team returns a team (a dismissed one too); TeamError 803 if none.
	Team(ctx context.Context, tid string) (proto.Team, error)
	// TeamMember returns a member row (an invalid one too); TeamError 804
	// if account never was a member.
	TeamMember(ctx context.Context, tid, account string) (proto.TeamMember, error)
	// TeamMembers returns up to limit member rows of tid whose Ver is
	// above since (since 0: the valid members only), ordered by (Ver,
	// Account) after (afterVer, afterAccount), and whether more follow.
	TeamMembers(ctx context.Context, tid string, since, afterVer int64, afterAccount string, limit int) ([]proto.TeamMember, bool, error)
	// TeamAccounts returns the valid members of tid (a message's fan-out).
	// The slice may be shared with other callers: it must not be modified.
	TeamAccounts(ctx context.Context, tid string) ([]string, error)
	// MyTeams returns the account's team states (valid memberships, and
	// invalid ones with invalidToo), for a REST listing.
	MyTeams(ctx context.Context, account string, invalidToo bool) ([]proto.TeamState, error)

	// UpdateTeam applies upd by by (UpdateInfoMode / UpdateCustomMode for
	// ClientCustom; modes and MuteMode by the owner and managers; only the
	// app's server sets ServerCustom: by "" means the app's server, which
	// may do anything). An update that changes nothing writes nothing.
	UpdateTeam(ctx context.Context, by, tid string, upd proto.TeamUpdate, nowMs int64) (TeamWrite, error)
	// DismissTeam dismisses tid (the owner, or by "" the app's server):
	// every member's row becomes invalid and its log gets the team with
	// Dismissed set.
	DismissTeam(ctx context.Context, by, tid string, nowMs int64) (TeamWrite, error)
	// InviteToTeam invites accounts by by with postscript ps: they join
	// at once (normal team, BeInviteMode 1, or by "" the app's server with
	// consent false) or get an invitation (pending true). failed lists
	// those skipped (unknown accounts, members already, accounts that
	// have by on their blacklist). 801 when they would not fit.
	InviteToTeam(ctx context.Context, by, tid string, accounts []string, ps string, consent bool, nowMs int64) (failed []string, pending bool, w TeamWrite, err error)
	// InviteToTeamExt is InviteToTeam whose invitations (the system
	// notifications, when they are pending) carry ext as their notifyExt
	// (invitationToTeam's attach; checked by the caller).
	InviteToTeamExt(ctx context.Context, by, tid string, accounts []string, ps, ext string, consent bool, nowMs int64) (failed []string, pending bool, w TeamWrite, err error)
	// ApplyToTeam applies for account: JoinAnyone joins at once, JoinApproval
	// notifies the owner and managers (pending true), JoinNobody is 802;
	// 809 when already a member; normal teams cannot be applied to (805).
	ApplyToTeam(ctx context.Context, account, tid, ps string, nowMs int64) (pending bool, w TeamWrite, err error)
	// AnswerApplication passes or rejects applicant's pending application
	// (the owner or a manager): TeamError 404 when there is none (an
	// application is untreated until answered, or expired — NoteExpired —
	// when its account joins the team by any path or leaves it, or the
	// team is dismissed).
	AnswerApplication(ctx context.Context, by, tid, applicant string, accept bool, ps string, nowMs int64) (TeamWrite, error)
	// AnswerInvitation accepts or rejects inviter's pending invitation of
	// invitee: TeamError 404 when there is none (expired as an
	// application is) or, to accept, when the inviter is no longer a valid
	// member allowed to invite.
	AnswerInvitation(ctx context.Context, invitee, tid, inviter string, accept bool, ps string, nowMs int64) (TeamWrite, error)
	// KickFromTeam removes accounts (not the owner; managers only normal
	// members; by "" the app's server).
	KickFromTeam(ctx context.Context, by, tid string, accounts []string, nowMs int64) (TeamWrite, error)
	// QuitTeam makes account leave (the owner cannot: 802).
	QuitTeam(ctx context.Context, account, tid string, nowMs int64) (TeamWrite, error)
	// TransferTeam makes newOwner (a member) the owner (unmuted); the old
	// owner becomes a normal member, or leaves with leave. TeamError 806
	// when newOwner owns proto.MaxTeamsCreated live teams already.
	TransferTeam(ctx context.Context, by, tid, newOwner string, leave bool, nowMs int64) (TeamWrite, error)
	// SetManagers appoints (add) or removes managers (the owner only;
	// advanced and super teams only: 805).
	SetManagers(ctx context.Context, by, tid string, accounts []string, add bool, nowMs int64) (TeamWrite, error)
	// MuteMember mutes or unmutes a member (the owner, or a manager for a
	// normal member).
	MuteMember(ctx context.Context, by, tid, account string, mute bool, nowMs int64) (TeamWrite, error)
	// UpdateMember sets account's team nick (itself, or the owner/a
	// manager for others) and/or custom info (itself only); nil unchanged.
	// It moves MemberVer and the row's Ver and appends a ChangeTeam to
	// every valid member's log (a member change, as a mute is: the others
	// read the row with TeamMembers(since) of their last MemberVer).
	UpdateMember(ctx context.Context, by, tid, account string, nick, custom *string, nowMs int64) (TeamWrite, error)
	// SetTeamNotify sets account's notify state in tid (its own log only,
	// no team notification message, no MemberVer move: notify is private,
	// and the server blanks it in other members' rows).
	SetTeamNotify(ctx context.Context, account, tid string, notify int, nowMs int64) (TeamWrite, error)
	// SendTeam stores m, a message of From to the team m.To in its
	// conversation (Conv proto.TeamConv(m.To); the other fields as
	// Messages.Send takes them), in one transaction that checks the
	// sender's rights on the rows as they are then: a mute, kick or
	// dismissal commits wholly before or after it. A message From already
	// stored with m.ClientID is returned with dup true before any check
	// (a retry of a delivered message, even if From may no longer post).
	// Otherwise TeamError 803 (no team or dismissed), 805 (m.ChatType is
	// not proto.TeamChatType of the team's type), 804 (From is not a valid
	// member), 812 (muted: the member — never the owner —, or an advanced
	// or super team's MuteMode — MuteNormal spares the owner and managers,
	// MuteAll spares the owner only; a normal team has no MuteMode).
	SendTeam(ctx context.Context, m proto.Msg, nowMs int64) (stored proto.Msg, dup bool, err error)
}

// TeamWrite is what a team write committed: the change-log entries it
// appended (to push to their accounts) and the team notification messages
// it stored (to push to the team's members).
type TeamWrite struct {
	Changes []Change
	Msgs    []proto.Msg
}

// TeamError is a refusal of the team rules with NetEase's code
// (proto.CodeTeam*, or 404/414 where they fit) and a message for the
// caller.
type TeamError struct {
	Code int
	Msg  string
}

func (e *TeamError) Error() string { return fmt.Sprintf("%d %s", e.Code, e.Msg) }

// TeamErrorf returns a *TeamError.
func TeamErrorf(code int, format string, args ...any) error {
	return &TeamError{Code: code, Msg: fmt.Sprintf(format, args...)}
}
