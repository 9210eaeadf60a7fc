package core

import (
	"context"
	"sync"
)

// Client is the SDK engine for one page: the account state machine, the
// connection with its requests and reconnects, the sync and the cache logic.
// It is plain Go: the browser edge (jsapi) only decodes arguments, calls these
// methods from goroutines and shapes the results. All methods are safe for
// concurrent use.
type Client struct {
	mu   sync.Mutex
	cfg  Config
	dial DialFunc
	open OpenCacheFunc
	emit func(Event)
}

// NewClient returns a Client that dials with dial, opens caches with open and
// reports listener events through emit (called from the Client's goroutines,
// never while it holds a lock).
func NewClient(cfg Config, dial DialFunc, open OpenCacheFunc, emit func(Event)) *Client {
	return &Client{cfg: cfg, dial: dial, open: open, emit: emit}
}

// SetConfig replaces the configuration (yunxinIM.init). It takes effect at the next login.
func (c *Client) SetConfig(cfg Config) { c.mu.Lock(); c.cfg = cfg; c.mu.Unlock() }

// Config returns the configuration.
func (c *Client) Config() Config { c.mu.Lock(); defer c.mu.Unlock(); return c.cfg }

// Login opens the account's cache, connects, authenticates and syncs. It
// returns once logged in (before the sync finishes) or with the failure:
// 302 wrong account/token, 408 timeout, 415 unreachable server.
func (c *Client) Login(ctx context.Context, account, token string) error {
	return ErrNotSupported("login")
}

// AutoLogin opens the account's cache at once, so cached sessions and
// messages are readable even offline, then logs in in the background,
// retrying with backoff until it succeeds, the token is refused or Logout.
func (c *Client) AutoLogin(ctx context.Context, account, token string) error {
	return ErrNotSupported("autoLogin")
}

// Logout disconnects, stops reconnecting and closes the cache.
func (c *Client) Logout(ctx context.Context) error { return ErrNotSupported("logout") }

// IsLogined reports whether the client is logged in (the connection is up and authenticated).
func (c *Client) IsLogined() bool { return false }

// CurrentAccount returns the account of the current login or autoLogin, or "".
func (c *Client) CurrentAccount() string { return "" }

// KickOtherClient disconnects the account's other clients of clientType.
func (c *Client) KickOtherClient(ctx context.Context, clientType int) error {
	return ErrNotSupported("kickOtherClient")
}

// SendText sends a text message and returns it once the server stored it.
func (c *Client) SendText(ctx context.Context, p SendTextParams) (*MessageView, error) {
	return nil, ErrNotSupported("sendText")
}

// SendMessageReceipt tells the peer of a P2P session that messages up to messageID are read.
func (c *Client) SendMessageReceipt(ctx context.Context, sessionID string, chatType int, messageID string) error {
	return ErrNotSupported("sendMessageReceipt")
}

// AllRecentSessions returns the visible sessions, most recently updated first.
func (c *Client) AllRecentSessions(ctx context.Context) ([]RecentSessionView, error) {
	return nil, ErrNotSupported("allRecentSessions")
}

// AllUnreadCount returns the total unread count of the visible sessions.
func (c *Client) AllUnreadCount(ctx context.Context) (int, error) {
	return 0, ErrNotSupported("allUnreadCount")
}

// MarkAllMessagesReadInSession clears a session's unread count (and, with
// shouldSyncUnreadCount, the account's other clients').
func (c *Client) MarkAllMessagesReadInSession(ctx context.Context, sessionID string, chatType int) error {
	return ErrNotSupported("markAllMessagesReadInSession")
}

// CreateRecentSession adds an empty recent session (or shows a hidden one).
func (c *Client) CreateRecentSession(ctx context.Context, sessionID string, chatType int) error {
	return ErrNotSupported("creatRecentSession")
}

// DeleteRecentSession removes a session from the recent list (its messages stay).
func (c *Client) DeleteRecentSession(ctx context.Context, sessionID string, chatType int) error {
	return ErrNotSupported("deleteRecentSession")
}

// MessagesInSession returns one page of a session's cached messages.
func (c *Client) MessagesInSession(ctx context.Context, p MessagesParams) ([]MessageView, error) {
	return nil, ErrNotSupported("messagesInSession")
}

// MessagesByIDs returns the cached messages with these ids.
func (c *Client) MessagesByIDs(ctx context.Context, ids []string) ([]MessageView, error) {
	return nil, ErrNotSupported("messagesInSessionWithMessageIds")
}
