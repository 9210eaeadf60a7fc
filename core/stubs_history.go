package core

import (
	"context"
	"encoding/json"
)

// Temporary: the history/revoke/delete side of issue 6 replaces these (one
// per method, each deleted as it is implemented). This file must be gone
// before issue 6 lands.

// RevokeMessage revokes one of this account's messages.
func (c *Client) RevokeMessage(ctx context.Context, sessionID string, chatType int, messageID, postscript string) error {
	return ErrNotSupported("revokeMessage")
}

// PullMessageHistory reads a page of a session's messages from the server.
func (c *Client) PullMessageHistory(ctx context.Context, p HistoryParams) ([]MessageView, error) {
	return nil, ErrNotSupported("pullMessageHistory")
}

// DeleteMessage deletes one cached message.
func (c *Client) DeleteMessage(ctx context.Context, sessionID string, chatType int, messageID string) error {
	return ErrNotSupported("deleteMessage")
}

// DeleteAllMessagesInSession deletes a session's cached messages.
func (c *Client) DeleteAllMessagesInSession(ctx context.Context, sessionID string, chatType int, removeSession bool) error {
	return ErrNotSupported("deleteAllmessagesInSession")
}

// DeleteAllMessages deletes every cached message.
func (c *Client) DeleteAllMessages(ctx context.Context, removeSession bool) error {
	return ErrNotSupported("deleteAllMessages")
}

// DeleteRemoteSessions deletes sessions from the server-side session list.
func (c *Client) DeleteRemoteSessions(ctx context.Context, sessions []SessionRef) error {
	return ErrNotSupported("deleteRemoteSessions")
}

// UpdateRecentLocalExt sets a recent session's localExt.
func (c *Client) UpdateRecentLocalExt(ctx context.Context, sessionID string, chatType int, localExt json.RawMessage) error {
	return ErrNotSupported("updateRecentLocalExt")
}
