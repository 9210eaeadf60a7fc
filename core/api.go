package core

import (
	"context"
	"encoding/json"
)

// Config mirrors the plugin's config.xml params plus the server address.
type Config struct {
	AppKey                 string `json:"appKey"`
	Server                 string `json:"server"` // WebSocket URL, e.g. ws://127.0.0.1:8080/ws
	ShouldSyncUnreadCount  bool   `json:"shouldSyncUnreadCount"`
	ShouldCountTeam        bool   `json:"shouldCountTeam"`
	MaxAutoLoginRetryTimes int    `json:"maxAutoLoginRetryTimes"` // 0: retry forever
	TeamReceiptEnabled     bool   `json:"teamReceiptEnabled"`
	OS                     string `json:"os"` // reported to the account's other clients
}

// Conn is one WebSocket connection carrying text frames.
type Conn interface {
	Read(ctx context.Context) ([]byte, error)
	Write(ctx context.Context, frame []byte) error
	Close() error
}

// ClosedError is what a Conn's Read returns when the server closed the
// connection with a status code (e.g. proto.CloseOriginNotAllowed) and a
// reason. Conn implementations (wasm's dialer, the tests' dialer) convert
// their library's close error into it, so core stays free of it.
type ClosedError struct {
	Code   int
	Reason string
}

func (e *ClosedError) Error() string { return "connection closed (" + itoa(e.Code) + "): " + e.Reason }

// DialFunc opens a WebSocket connection to url.
type DialFunc func(ctx context.Context, url string) (Conn, error)

// Event kinds: which listener list an event goes to.
const (
	EventAccount = "account" // addAccountListen
	EventMessage = "message" // addMessageListen
	EventSession = "session" // addSessionListen
)

// Event is something listeners hear about. Data marshals to the listener's ret.
type Event struct {
	Kind string
	Data any
}

// AccountEvent is the ret of addAccountListen.
type AccountEvent struct {
	EventType  string       `json:"eventType"` // login, kickout, multiLoginClientsChanged, autoLoginFailed
	Step       int          `json:"step,omitempty"`
	ReasonCode int          `json:"reasonCode,omitempty"`
	ClientType int          `json:"clientType,omitempty"`
	ReasonDesc string       `json:"reasonDesc,omitempty"`
	Code       int          `json:"code,omitempty"`
	Msg        string       `json:"msg,omitempty"`
	Type       int          `json:"type,omitempty"` // multiLoginClientsChanged: 1 others online, 2 one came, 3 one left
	Clients    []ClientView `json:"clients,omitempty"`
}

// ClientView is one entry of AccountEvent.Clients.
type ClientView struct {
	OS         string `json:"os"`
	ClientType int    `json:"clientType"`
	LoginTime  int64  `json:"loginTime"`
	ClientIP   string `json:"clientIP"`
}

// Login steps of addAccountListen (eventType "login").
const (
	StepConnecting    = 1
	StepConnected     = 2
	StepConnectFailed = 3
	StepLoggingIn     = 4
	StepLoggedIn      = 5
	StepLoginFailed   = 6
	StepSyncing       = 7
	StepSynced        = 8
	StepDisconnected  = 9
)

// ReceiptView is one entry of MessageEvent.Receipts.
type ReceiptView struct {
	Session   SessionRef `json:"session"`
	SessionID string     `json:"sessionId"`
	Timestamp int64      `json:"timestamp"`
	MessageID string     `json:"messageId"`
}

// MessageEvent is the ret of addMessageListen.
type MessageEvent struct {
	EventType string        `json:"eventType"` // willSendMessage, sendMessageFinish, sendMessageFail, onRecvMessages, onRecvMessageReceipts
	Message   *MessageView  `json:"message,omitempty"`
	Messages  []MessageView `json:"messages,omitempty"`
	Receipts  []ReceiptView `json:"receipts,omitempty"`
	Success   *bool         `json:"success,omitempty"`
	Code      int           `json:"code,omitempty"`
	Msg       string        `json:"msg,omitempty"`
}

// SessionEvent is the ret of addSessionListen.
type SessionEvent struct {
	EventType        string             `json:"eventType"` // didAddRecentSession, didUpdateRecentSession, didRemoveRecentSession
	RecentSession    *RecentSessionView `json:"recentSession,omitempty"`
	Session          *SessionRef        `json:"session,omitempty"`
	TotalUnreadCount int                `json:"totalUnreadCount"`
}

// SendTextParams are sendText's params.
type SendTextParams struct {
	SessionID string
	ChatType  int
	Text      string
	Ext       json.RawMessage // a JSON object or nil
}

// MessagesParams are messagesInSession's params.
type MessagesParams struct {
	SessionID string
	ChatType  int
	MessageID string // anchor; "" = from the newest end
	Limit     int    // at least 1 (the page's default, 10, is jsapi's to fill in); above MaxLimit it is lowered to MaxLimit
	Newer     bool   // direction QUERY_NEW
	Desc      bool   // asc:false — newest first in the returned array
}
