package core

import (
	"context"
	"errors"

	"yunxin/internal/jx"
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

// Conn is one WebSocket connection carrying text frames. The bytes Read
// returns are the caller's: an implementation must not reuse them (the
// link keeps slices of them, proto.DecodeFrame does not copy).
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
	// rec is the domain record whose change the event reports (zero:
	// none): core emits it only when the cache kept that record as staged
	// (tx.commit).
	rec RecordKey
}

// AppendData appends the JSON of e.Data, the listeners' ret: one of the
// event types below (AccountEvent, MessageEvent, SessionEvent,
// FriendEvent, NotificationEvent, TeamEvent) or a jx.Value.
func (e Event) AppendData(b []byte) ([]byte, error) {
	switch d := e.Data.(type) {
	case MessageEvent:
		return d.AppendJSON(b) // a sync page's 1,000 messages: by hand
	case AccountEvent:
		return jx.Append(b, &d)
	case SessionEvent:
		return jx.Append(b, &d)
	case FriendEvent:
		return jx.Append(b, &d)
	case NotificationEvent:
		return jx.Append(b, &d)
	case TeamEvent:
		return jx.Append(b, &d)
	case jx.Value:
		return jx.Append(b, d)
	}
	return b, errors.New("core: a " + e.Kind + " event's data has no JSON table")
}

// AccountEvent is the ret of addAccountListen.
type AccountEvent struct {
	EventType  string       `json:"eventType"` // login, kickout, multiLoginClientsChanged, autoLoginFailed, localCacheFull
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
	// TeamReceiptInfo: a team message's receipt counts (team receipts);
	// absent for P2P receipts.
	TeamReceiptInfo *TeamReceiptInfo `json:"teamReceiptInfo,omitempty"`
}

// MessageEvent is the ret of addMessageListen.
type MessageEvent struct {
	// willSendMessage, sendingMessage, uploadAttachmentSuccess,
	// sendMessageProgress, sendMessageFinish, sendMessageFail,
	// onRecvMessages, onRecvMessageReceipts, onRecvRevokeMessageNotification,
	// fetchMessageAttachmentProgress, fetchMessageAttachmentFinish
	EventType    string                  `json:"eventType"`
	Message      *MessageView            `json:"message,omitempty"`
	Messages     []MessageView           `json:"messages,omitempty"`
	Receipts     []ReceiptView           `json:"receipts,omitempty"`
	URLString    string                  `json:"urlString,omitempty"` // uploadAttachmentSuccess, fetchMessageAttachment*
	Progress     *float64                `json:"progress,omitempty"`  // 0…1: sendMessageProgress, fetchMessageAttachmentProgress
	Notification *RevokeNotificationView `json:"notification,omitempty"`
	Success      *bool                   `json:"success,omitempty"`
	Code         int                     `json:"code,omitempty"`
	Msg          string                  `json:"msg,omitempty"`
}

// RevokeNotificationView is MessageEvent.Notification of
// onRecvRevokeMessageNotification.
type RevokeNotificationView struct {
	NotificationType  int          `json:"notificationType"`  // 7 P2P, 8 team
	FromUserID        string       `json:"fromUserId"`        // who revoked
	MessageFromUserID string       `json:"messageFromUserId"` // who sent the message
	Session           SessionRef   `json:"session"`
	SessionID         string       `json:"sessionId"` // Android
	Timestamp         int64        `json:"timestamp"` // the message's time, ms
	Message           *MessageView `json:"message,omitempty"`
	IsRoaming         bool         `json:"isRoaming"` // learned at a sync rather than live
	Postscript        string       `json:"postscript"`
}

// SessionEvent is the ret of addSessionListen.
type SessionEvent struct {
	EventType        string             `json:"eventType"` // didAddRecentSession, didUpdateRecentSession, didRemoveRecentSession
	RecentSession    *RecentSessionView `json:"recentSession,omitempty"`
	Session          *SessionRef        `json:"session,omitempty"`
	Message          *MessageView       `json:"message,omitempty"`
	Step             *int               `json:"step,omitempty"` // allMessagesClearedInSession: 0 local, 1 server, 3 server error
	TotalUnreadCount int                `json:"totalUnreadCount"`
}

// SendTextParams are sendText's params.
type SendTextParams struct {
	SessionID string
	ChatType  int
	Text      string
	Ext       jx.RawMessage // a JSON object or nil
	ReSend    bool          // the doc's reSend: offline or unacknowledged, the message waits in the outbox
}

// SendParams are the params of sendImage, sendVoice, sendVideo, sendFile,
// sendLocation and sendTip.
type SendParams struct {
	SessionID string
	ChatType  int
	Type      int // proto.MsgImage, MsgAudio, MsgVideo, MsgFile, MsgLocation or MsgTip

	Path          string // attachment: a blob:, data: or http(s): URL (Files)
	DisplayName   string // image, video, file; default: the file's name
	Extension     string // file; default: from the name
	Duration      int64  // voice, video, ms; 0: probed
	Width, Height int    // video; 0: probed

	Latitude, Longitude float64 // location
	Title               string  // location's address

	Text string // tip

	Ext    jx.RawMessage // remoteExt: a JSON object or nil
	ReSend bool          // as SendTextParams.ReSend
}

// ForwardParams are forwardMessage's params.
type ForwardParams struct {
	SessionID   string
	ChatType    int
	MessageID   string
	ToSessionID string
	ToChatType  int
	ReSend      bool
}

// HistoryParams are pullMessageHistory's params.
type HistoryParams struct {
	SessionID string
	ChatType  int
	MessageID string // anchor ("" = from the newest end, or the oldest with Newer)
	Limit     int    // 1…proto.MaxHistory (jsapi fills the default, 10)
	Newer     bool   // direction QUERY_NEW
	Persist   bool   // also cache the messages
	// PersistClear is the doc's persistClear: with Persist, also cache
	// messages older than the session's last clear (deleteAllmessagesInSession,
	// deleteAllMessages), which are left out by default.
	PersistClear bool
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
