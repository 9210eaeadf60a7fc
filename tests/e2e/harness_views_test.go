package e2e

import (
	"encoding/json"
	"reflect"
	"strings"

	"yunxin/internal/jx"
)

// The JSON shapes pages receive, as the plugin doc's appendix and
// core/view.go define them. Written out here (not imported from core) so the
// tests check the names a page sees.

type sessionRef struct {
	SessionID string `json:"sessionId"`
	ChatType  int    `json:"chatType"`
}

type msgBody struct {
	Type int    `json:"type"`
	Text string `json:"text"`

	// attachments (image, voice, video, file)
	URL         string    `json:"url"`
	Path        string    `json:"path"`
	DisplayName string    `json:"displayName"`
	FileLength  int64     `json:"fileLength"`
	MD5         string    `json:"md5"`
	ThumbURL    string    `json:"thumbUrl"`
	ThumbPath   string    `json:"thumbPath"`
	Size        *sizeView `json:"size"`
	Duration    int64     `json:"duration"`
	CoverURL    string    `json:"coverUrl"`
	CoverPath   string    `json:"coverPath"`
	CoverSize   *sizeView `json:"coverSize"`

	// location
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
	Title     string  `json:"title"`

	// team notification (type 5)
	NotificationType int           `json:"notificationType"`
	AndroidType      int           `json:"androidType"`
	Operation        int           `json:"operation"`
	Targets          []string      `json:"targets"`
	Update           jx.RawMessage `json:"update"`
	IsMute           bool          `json:"isMute"`
}

// teamReceiptInfo is a team message's read and unread counts.
type teamReceiptInfo struct {
	ReadCount   int `json:"readCount"`
	UnreadCount int `json:"unreadCount"`
}

type sizeView struct {
	W int `json:"w"`
	H int `json:"h"`
}

type msgView struct {
	MessageID     string        `json:"messageId"`
	SessionID     string        `json:"sessionId"`
	Session       sessionRef    `json:"session"`
	ChatType      int           `json:"chatType"`
	From          string        `json:"from"`
	ServerID      string        `json:"serverID"`
	Timestamp     int64         `json:"timestamp"`
	DeliveryState int           `json:"deliveryState"`
	IsOutgoingMsg bool          `json:"isOutgoingMsg"`
	IsReceivedMsg bool          `json:"isReceivedMsg"`
	IsRemoteRead  bool          `json:"isRemoteRead"`
	SenderName    string        `json:"senderName"`
	IsBlackListed bool          `json:"isBlackListed"`
	Body          msgBody       `json:"body"`
	RemoteExt     jx.RawMessage `json:"remoteExt"`
	Seq           int64         `json:"seq"`

	AttachmentDownloadState int  `json:"attachmentDownloadState"`
	IsDeleted               bool `json:"isDeleted"`

	// team messages
	TeamReceiptInfo     *teamReceiptInfo `json:"teamReceiptInfo"`
	IsTeamReceiptSended bool             `json:"isTeamReceiptSended"`
}

// Attachment download states (attachmentDownloadState).
const (
	downloadNeeded = 0
	downloadDone   = 3
)

// Delivery states (iOS numbers).
const (
	deliveryFailed  = 0
	deliverySending = 1
	deliverySent    = 2
)

type recentSession struct {
	SessionID     string     `json:"sessionId"`
	Session       sessionRef `json:"session"`
	UnreadCount   int        `json:"unreadCount"`
	LastMessage   *msgView   `json:"lastMessage"`
	LastMessageID string     `json:"lastMessageId"`
	UpdateTime    int64      `json:"updateTime"`
}

type clientView struct {
	OS         string `json:"os"`
	ClientType int    `json:"clientType"`
	LoginTime  int64  `json:"loginTime"`
	ClientIP   string `json:"clientIP"`
}

type accountEvent struct {
	EventType  string       `json:"eventType"`
	Step       int          `json:"step"`
	ReasonCode int          `json:"reasonCode"`
	Type       int          `json:"type"`
	Clients    []clientView `json:"clients"`
}

type receiptView struct {
	Session   sessionRef `json:"session"`
	SessionID string     `json:"sessionId"`
	Timestamp int64      `json:"timestamp"`
	MessageID string     `json:"messageId"`

	TeamReceiptInfo *teamReceiptInfo `json:"teamReceiptInfo"` // team receipts
}

type messageEvent struct {
	EventType    string        `json:"eventType"`
	Message      *msgView      `json:"message"`
	URLString    string        `json:"urlString"`
	Progress     *float64      `json:"progress"`
	Notification *revokeView   `json:"notification"`
	Messages     []msgView     `json:"messages"`
	Receipts     []receiptView `json:"receipts"`
	Success      *bool         `json:"success"`
	Code         int           `json:"code"`
	Msg          string        `json:"msg"`
}

// revokeView is the notification of onRecvRevokeMessageNotification.
type revokeView struct {
	NotificationType  int        `json:"notificationType"`
	FromUserID        string     `json:"fromUserId"`
	MessageFromUserID string     `json:"messageFromUserId"`
	Session           sessionRef `json:"session"`
	Timestamp         int64      `json:"timestamp"`
	Message           *msgView   `json:"message"`
	IsRoaming         bool       `json:"isRoaming"`
	Postscript        string     `json:"postscript"`
}

// sameJSON reports whether a and b are the same JSON value.
func sameJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// texts returns the body texts of ms.
func texts(ms []msgView) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Body.Text
	}
	return out
}

// withPrefix keeps the messages whose text starts with prefix.
func withPrefix(ms []msgView, prefix string) []msgView {
	var out []msgView
	for _, m := range ms {
		if strings.HasPrefix(m.Body.Text, prefix) {
			out = append(out, m)
		}
	}
	return out
}

// countText counts the messages with text.
func countText(ms []msgView, text string) int {
	n := 0
	for _, m := range ms {
		if m.Body.Text == text {
			n++
		}
	}
	return n
}

// isSubsequence reports whether want appears in got in order (not
// necessarily contiguous).
func isSubsequence(want, got []int) bool {
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	return i == len(want)
}
