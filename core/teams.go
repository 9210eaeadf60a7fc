package core

import "context"

// The team domain's Client methods (issue 8). Reads come from the cache
// (teamstate.go) and work offline; writes go to the server (proto's team
// ops), whose reply (the caller's own changes) is applied at once through
// the same appliers as a sync's, and reaches the other members and the
// account's other devices as pushes.
//
// CONTRACT STUBS: every method answers "not supported yet" until the team
// domain lands; the signatures are what jsapi's TeamsEngine calls.

// CreateTeam creates a team owned by the logged-in account (createTeam).
func (c *Client) CreateTeam(ctx context.Context, p CreateTeamParams) (*CreateTeamResult, error) {
	return nil, ErrNotSupported("createTeam")
}

// AllMyTeams returns the teams the account is a member of, from the cache (allMyTeams).
func (c *Client) AllMyTeams(ctx context.Context) ([]TeamView, error) {
	return nil, ErrNotSupported("allMyTeams")
}

// DismissTeam dismisses a team (the owner only; dismissTeam).
func (c *Client) DismissTeam(ctx context.Context, teamID string) error {
	return ErrNotSupported("dismissTeam")
}

// ApplyToTeam applies to join a team (applyToTeam): ApplyJoined when it
// joined at once, ApplyWaiting when the application waits (808).
func (c *Client) ApplyToTeam(ctx context.Context, teamID, message string) (int, error) {
	return 0, ErrNotSupported("applyToTeam")
}

// PassApplyToTeam passes account's application (passApplyToTeam); the
// applyStatus is ApplyJoined.
func (c *Client) PassApplyToTeam(ctx context.Context, teamID, account string) (int, error) {
	return 0, ErrNotSupported("passApplyToTeam")
}

// RejectApplyToTeam rejects account's application (rejectApplyToTeam).
func (c *Client) RejectApplyToTeam(ctx context.Context, teamID, account, reason string) error {
	return ErrNotSupported("rejectApplyToTeam")
}

// InvitationToTeam invites accounts (invitationToTeam): the members added
// at once (none when the invitees must accept: 810 is success).
func (c *Client) InvitationToTeam(ctx context.Context, teamID string, accounts []string, postscript, attach string) ([]TeamMemberView, error) {
	return nil, ErrNotSupported("invitationToTeam")
}

// AcceptInviteWithTeam accepts invitor's invitation (acceptInviteWithTeam).
func (c *Client) AcceptInviteWithTeam(ctx context.Context, teamID, invitor string) error {
	return ErrNotSupported("acceptInviteWithTeam")
}

// RejectInviteWithTeam rejects invitor's invitation (rejectInviteWithTeam).
func (c *Client) RejectInviteWithTeam(ctx context.Context, teamID, invitor, reason string) error {
	return ErrNotSupported("rejectInviteWithTeam")
}

// KickUsersFromTeam removes accounts from a team (kickUsersFromTeam).
func (c *Client) KickUsersFromTeam(ctx context.Context, teamID string, accounts []string) error {
	return ErrNotSupported("kickUsersFromTeam")
}

// QuitTeam leaves a team (quitTeam).
func (c *Client) QuitTeam(ctx context.Context, teamID string) error {
	return ErrNotSupported("quitTeam")
}

// FetchTeamMembers returns a team's members (fetchTeamMembers): from the
// cache, brought up to date from the server first when it is behind.
func (c *Client) FetchTeamMembers(ctx context.Context, teamID string) ([]TeamMemberView, error) {
	return nil, ErrNotSupported("fetchTeamMembers")
}

// TeamMember returns one cached member (teamMember); nil when not cached.
func (c *Client) TeamMember(ctx context.Context, teamID, account string) (*TeamMemberView, error) {
	return nil, ErrNotSupported("teamMember")
}

// UpdateUserNick sets account's nickname in a team (updateUserNick).
func (c *Client) UpdateUserNick(ctx context.Context, teamID, account, nick string) error {
	return ErrNotSupported("updateUserNick")
}

// IsMyTeam reports whether the account is a member of a team (isMyTeam), from the cache.
func (c *Client) IsMyTeam(ctx context.Context, teamID string) (bool, error) {
	return false, ErrNotSupported("isMyTeam")
}

// TransferManagerWithTeam makes newOwner the owner, and with leave the
// caller leaves (transferManagerWithTeam).
func (c *Client) TransferManagerWithTeam(ctx context.Context, teamID, newOwner string, leave bool) error {
	return ErrNotSupported("transferManagerWithTeam")
}

// SetTeamManagers appoints (on) or removes accounts as managers
// (addManagersToTeam, removeManagersFromTeam).
func (c *Client) SetTeamManagers(ctx context.Context, teamID string, accounts []string, on bool) error {
	return ErrNotSupported("addManagersToTeam")
}

// MuteUserFromTeam mutes or unmutes one member (muteUserFromTeam).
func (c *Client) MuteUserFromTeam(ctx context.Context, teamID, account string, mute bool) error {
	return ErrNotSupported("muteUserFromTeam")
}

// MuteAllFromTeam mutes (proto.MuteNormal) or unmutes the normal members (muteAllFromTeam).
func (c *Client) MuteAllFromTeam(ctx context.Context, teamID string, mute bool) error {
	return ErrNotSupported("muteAllFromTeam")
}

// FetchTeamMutedMembers returns a team's muted members (fetchTeamMutedMembers).
func (c *Client) FetchTeamMutedMembers(ctx context.Context, teamID string) ([]TeamMemberView, error) {
	return nil, ErrNotSupported("fetchTeamMutedMembers")
}

// UpdateTeamInfo changes a team's info or modes (updateTeamName …
// updateTeamCustomInfo: one field each).
func (c *Client) UpdateTeamInfo(ctx context.Context, teamID string, u TeamInfoUpdate) error {
	return ErrNotSupported("updateTeamName")
}

// UpdateTeamNotifyState sets the account's notify state in a team
// (updateTeamNotifyState, proto.Notify*), synced to its other devices.
func (c *Client) UpdateTeamNotifyState(ctx context.Context, teamID string, state int) error {
	return ErrNotSupported("updateTeamNotifyState")
}

// FetchTeamNotifyState returns the account's notify state in a team (fetchTeamNotifyState).
func (c *Client) FetchTeamNotifyState(ctx context.Context, teamID string) (int, error) {
	return 0, ErrNotSupported("fetchTeamNotifyState")
}
