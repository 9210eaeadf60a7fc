package core

import "context"

// Temporary: the send side of issue 6 replaces these (one per method, each
// deleted as it is implemented). This file must be gone before issue 6 lands.

// SendMessage sends an image, voice, video, file, location or tip message.
func (c *Client) SendMessage(ctx context.Context, p SendParams) (*MessageView, error) {
	return nil, ErrNotSupported("SendMessage")
}

// CancelSendingMessage cancels a message still being sent (its upload, or
// its wait in the outbox): it ends with deliveryState 0.
func (c *Client) CancelSendingMessage(ctx context.Context, sessionID string, chatType int, messageID string) error {
	return ErrNotSupported("cancelSendingMessage")
}

// ResendMessage sends a failed (or canceled) message again, same messageId.
func (c *Client) ResendMessage(ctx context.Context, sessionID string, chatType int, messageID string) (*MessageView, error) {
	return nil, ErrNotSupported("resendMessage")
}

// ForwardMessage sends a copy of a message to another session.
func (c *Client) ForwardMessage(ctx context.Context, p ForwardParams) (*MessageView, error) {
	return nil, ErrNotSupported("forwardMessage")
}

// Upload uploads the file at path and returns its URL (upload).
func (c *Client) Upload(ctx context.Context, path string, progress func(sent, total int64)) (string, error) {
	return "", ErrNotSupported("upload")
}

// Download fetches url (download); when it is a cached message's attachment,
// the message gets its local path and download state.
func (c *Client) Download(ctx context.Context, url string) (string, error) {
	return "", ErrNotSupported("download")
}

// CancelTask cancels the upload or download of path (cancelTask).
func (c *Client) CancelTask(ctx context.Context, path string) error {
	return ErrNotSupported("cancelTask")
}
