package core

import "context"

// SendTeamMessageReceipts tells the senders of messages of a team session
// that the logged-in account has read them (sendTeamMessageReceipts).
//
// CONTRACT STUB until team receipts land.
func (c *Client) SendTeamMessageReceipts(ctx context.Context, sessionID string, chatType int, messageIDs []string) error {
	return ErrNotSupported("sendTeamMessageReceipts")
}
