package core

// TEMPORARY stubs of the people domain's Client methods: the core helper
// replaces this file (people.go, notes.go and their state files).

import "context"

var errTODO = Errf(500, "not implemented yet")

// LocalUserInfo returns account's cached profile (nil, nil when none is
// cached). Works offline and after OpenLocalCache.
func (c *Client) LocalUserInfo(ctx context.Context, account string) (*UserView, error) {
	return nil, errTODO
}

// FetchUserInfos fetches up to proto.MaxUsers profiles from the server and
// caches them (no onUserInfoChanged).
func (c *Client) FetchUserInfos(ctx context.Context, accounts []string) ([]UserView, error) {
	return nil, errTODO
}

// GetUserInfoList returns the cached profiles of accounts, fetching the
// missing ones when online.
func (c *Client) GetUserInfoList(ctx context.Context, accounts []string) ([]UserView, error) {
	return nil, errTODO
}

// UpdateMyUserInfo changes the logged-in account's profile.
func (c *Client) UpdateMyUserInfo(ctx context.Context, u UserUpdate) error { return errTODO }

// OpenLocalCache opens account's cache without connecting: the cached
// data (sessions, messages, profiles, friends, notifications) is readable;
// isLogined stays false; a later login replaces it.
func (c *Client) OpenLocalCache(ctx context.Context, account string) error { return errTODO }

// MyFriends lists the friends, with their cached profiles.
func (c *Client) MyFriends(ctx context.Context) ([]UserView, error) { return nil, errTODO }

// RequestFriend does a friend operation (proto.FriendAdd…FriendReject).
func (c *Client) RequestFriend(ctx context.Context, account string, op int, msg string) error {
	return errTODO
}

// DeleteFriend ends a friendship.
func (c *Client) DeleteFriend(ctx context.Context, account string, removeAlias bool) error {
	return errTODO
}

// IsMyFriend reports whether account is a friend (cache).
func (c *Client) IsMyFriend(ctx context.Context, account string) (bool, error) { return false, errTODO }

// MyBlackList lists the blacklist.
func (c *Client) MyBlackList(ctx context.Context) ([]UserView, error) { return nil, errTODO }

// SetBlackList puts account on (on) or takes it off the blacklist.
func (c *Client) SetBlackList(ctx context.Context, account string, on bool) error { return errTODO }

// IsUserInBlackList reports whether account is on the blacklist (cache).
func (c *Client) IsUserInBlackList(ctx context.Context, account string) (bool, error) {
	return false, errTODO
}

// MyMuteUserList lists the mute list.
func (c *Client) MyMuteUserList(ctx context.Context) ([]UserView, error) { return nil, errTODO }

// SetMute mutes (on) or unmutes account.
func (c *Client) SetMute(ctx context.Context, account string, on bool) error { return errTODO }

// IsMute reports whether account is muted (cache).
func (c *Client) IsMute(ctx context.Context, account string) (bool, error) { return false, errTODO }

// SearchUser searches friends (cache) or everyone (server).
func (c *Client) SearchUser(ctx context.Context, p SearchParams) ([]UserView, error) {
	return nil, errTODO
}

// SystemNotifications returns a page of the inbox, newest first.
func (c *Client) SystemNotifications(ctx context.Context, limit, offset int) ([]NotificationView, error) {
	return nil, errTODO
}

// NotificationsUnreadCount counts the unread notifications.
func (c *Client) NotificationsUnreadCount(ctx context.Context) (int, error) { return 0, errTODO }

// MarkAllNotificationsRead marks the inbox read, on every device.
func (c *Client) MarkAllNotificationsRead(ctx context.Context) error { return errTODO }

// DeleteAllNotifications empties the inbox, on every device.
func (c *Client) DeleteAllNotifications(ctx context.Context) error { return errTODO }
