package core

import (
	"strings"

	"yunxin/internal/jx"
	"yunxin/proto"
)

// The views below are the JSON shapes pages receive in ret, field for field
// as in the plugin doc's appendix. Where iOS and Android name a field
// differently both are present, so pages written for either platform work.
// Timestamps are milliseconds since the epoch.

// SessionRef is the doc's 会话信息.
type SessionRef struct {
	SessionID string `json:"sessionId"`
	ChatType  int    `json:"chatType"`
}

// MessageView is the doc's 消息内容.
type MessageView struct {
	MessageID               string        `json:"messageId"`
	Session                 SessionRef    `json:"session"`     // iOS
	SessionID               string        `json:"sessionId"`   // Android
	SessionType             int           `json:"sessionType"` // Android
	ChatType                int           `json:"chatType"`
	From                    string        `json:"from"`
	ServerID                string        `json:"serverID"`
	RemoteExt               jx.RawMessage `json:"remoteExt"`
	LocalExt                jx.RawMessage `json:"localExt"`
	Timestamp               int64         `json:"timestamp"`
	DeliveryState           int           `json:"deliveryState"`
	AttachmentDownloadState int           `json:"attachmentDownloadState"`
	IsReceivedMsg           bool          `json:"isReceivedMsg"`
	IsOutgoingMsg           bool          `json:"isOutgoingMsg"`
	IsPlayed                bool          `json:"isPlayed"`
	IsDeleted               bool          `json:"isDeleted"`
	IsRemoteRead            bool          `json:"isRemoteRead"`
	IsTeamReceiptSended     bool          `json:"isTeamReceiptSended"`
	// TeamReceiptInfo: a team message that asked for receipts
	// (teamReceiptEnabled): its read and unread counts; absent otherwise.
	TeamReceiptInfo  *TeamReceiptInfo `json:"teamReceiptInfo,omitempty"`
	SenderName       string           `json:"senderName"`
	SenderClientType int              `json:"senderClientType"`
	IsBlackListed    bool             `json:"isBlackListed"`
	Body             jx.RawMessage    `json:"body"` // {"type":0,"text":"…"}
	Seq              int64            `json:"seq"`  // our addition: the per-session sequence number (0 until stored)
}

var emptyObject = jx.RawMessage(`{}`)

// View returns the JS shape of m. peerReadSeq is the session's receipt mark
// (Session.PeerReadSeq), which decides isRemoteRead for outgoing P2P messages.
func (m *Message) View(peerReadSeq int64) MessageView {
	v := MessageView{
		MessageID: m.ID, Session: SessionRef{m.SessionID, m.ChatType}, SessionID: m.SessionID,
		SessionType: m.ChatType, ChatType: m.ChatType, From: m.From, ServerID: m.ServerID,
		RemoteExt: m.Ext, LocalExt: m.LocalExt, Timestamp: m.Time, DeliveryState: m.State,
		AttachmentDownloadState: DownloadDone, IsReceivedMsg: !m.Outgoing, IsOutgoingMsg: m.Outgoing,
		IsDeleted: m.Deleted, SenderClientType: m.FromClient, Seq: m.Seq, SenderName: m.Nick, IsBlackListed: m.Black,
		IsRemoteRead:        m.Outgoing && m.ChatType == 0 && m.Seq > 0 && m.Seq <= peerReadSeq,
		IsTeamReceiptSended: m.ReceiptSent, TeamReceiptInfo: m.teamReceiptInfo(),
	}
	if len(v.RemoteExt) == 0 {
		v.RemoteExt = emptyObject
	}
	if len(v.LocalExt) == 0 {
		v.LocalExt = emptyObject
	}
	v.Body = bodyWithType(m.Type, m.Body)
	if m.Type == proto.MsgNotification && isTeamChat(m.ChatType) {
		if b := teamNoteBody(m.ChatType, m.Body); b != nil {
			v.Body = b
		}
	}
	if isAttachment(m.Type) {
		if !m.Outgoing {
			v.AttachmentDownloadState = m.DL // an own message's file is here: done
		}
		v.Body = withLocalFields(v.Body, m.Type, m.Paths)
		noteURL(m)
	}
	return v
}

// isAttachment reports whether messages of type typ carry a file.
func isAttachment(typ int) bool {
	switch typ {
	case proto.MsgImage, proto.MsgAudio, proto.MsgVideo, proto.MsgFile:
		return true
	}
	return false
}

// localFields are the doc's local body fields of an attachment type, in
// the order the view shows them: the file's path, and the thumbnail's
// (image) or the cover's (video).
func localFields(typ int) []string {
	switch typ {
	case proto.MsgImage:
		return []string{fieldPath, fieldThumb}
	case proto.MsgVideo:
		return []string{fieldPath, fieldCover}
	}
	return []string{fieldPath}
}

// Local body fields (Message.Paths keys).
const (
	fieldPath  = "path"
	fieldThumb = "thumbPath"
	fieldCover = "coverPath"
)

// withLocalFields puts the local fields of an attachment (path, thumbPath,
// coverPath) right after "type" into body (a view body, "type" first).
// Each is always present, "" when unknown; a kept file not resolved to a
// path ("key:…", see Client.withPaths) shows as "".
func withLocalFields(body jx.RawMessage, typ int, paths map[string]string) jx.RawMessage {
	head := `{"type":` + itoa(typ)
	if len(body) < len(head) || string(body[:len(head)]) != head {
		return body
	}
	b := make([]byte, 0, len(body)+64)
	b = append(b, head...)
	for _, f := range localFields(typ) {
		v := paths[f]
		if strings.HasPrefix(v, keyPrefix) {
			v = ""
		}
		q := jx.MarshalString(v)
		b = append(b, `,"`...)
		b = append(b, f...)
		b = append(b, `":`...)
		b = append(b, q...)
	}
	return append(b, body[len(head):]...)
}

// bodyWithType puts "type" first into the stored body object.
func bodyWithType(typ int, body jx.RawMessage) jx.RawMessage {
	b := make([]byte, 0, len(body)+12)
	b = append(b, `{"type":`...)
	b = append(b, itoa(typ)...)
	inner := body
	if len(inner) >= 2 && inner[0] == '{' {
		inner = inner[1 : len(inner)-1]
		for len(inner) > 0 && (inner[0] == ' ' || inner[0] == '\n' || inner[0] == '\t' || inner[0] == '\r') {
			inner = inner[1:]
		}
		if len(inner) > 0 {
			b = append(b, ',')
			b = append(b, inner...)
		}
	}
	return append(b, '}')
}

// RecentSessionView is the doc's 最近会话信息.
type RecentSessionView struct {
	Session       SessionRef    `json:"session"`     // iOS
	LastMessage   *MessageView  `json:"lastMessage"` // iOS
	LastMessageID string        `json:"lastMessageId"`
	UnreadCount   int           `json:"unreadCount"`
	UpdateTime    int64         `json:"updateTime"`
	LocalExt      jx.RawMessage `json:"localExt"`
	ServerExt     string        `json:"serverExt"`
	SessionID     string        `json:"sessionId"` // Android
	Content       string        `json:"content"`
	FromAccount   string        `json:"fromAccount"`
	FromNick      string        `json:"fromNick"`
	MsgStatus     int           `json:"msgStatus"` // Android: -1 draft, 0 sending, 1 sent, 2 failed, 3 read, 4 unread
	MsgType       int           `json:"msgType"`
	MsgID         string        `json:"msgId"`
	SessionType   int           `json:"sessionType"`
	ChatType      int           `json:"chatType"`
}

// View returns the JS shape of s.
func (s *Session) View() RecentSessionView {
	v := RecentSessionView{
		Session: SessionRef{s.ID, s.ChatType}, UnreadCount: s.Unread, UpdateTime: s.UpdateTime,
		LocalExt: s.LocalExt, SessionID: s.ID, SessionType: s.ChatType, ChatType: s.ChatType, MsgStatus: -1,
	}
	if len(v.LocalExt) == 0 {
		v.LocalExt = emptyObject
	}
	if m := s.LastMsg; m != nil {
		mv := m.View(s.PeerReadSeq)
		v.LastMessage = &mv
		v.LastMessageID, v.MsgID = m.ID, m.ID
		v.FromAccount, v.FromNick, v.MsgType = m.From, m.Nick, m.Type
		v.Content = Summary(m)
		switch {
		case m.Outgoing && m.State == DeliveryFailed:
			v.MsgStatus = 2
		case m.Outgoing && m.State == DeliverySending:
			v.MsgStatus = 0
		case m.Outgoing && mv.IsRemoteRead:
			v.MsgStatus = 3
		case m.Outgoing:
			v.MsgStatus = 1
		case s.Unread > 0:
			v.MsgStatus = 4
		default:
			v.MsgStatus = 3
		}
	}
	return v
}

// Summary is the short text of a message for a session list (Android's
// content): a text's or a tip's text, else the type in brackets as NIM's
// apps show it ("[图片]").
func Summary(m *Message) string {
	switch m.Type {
	case proto.MsgText, proto.MsgTip:
		var b textBody
		jx.Unmarshal(m.Body, &b)
		return b.Text
	case proto.MsgImage:
		return "[图片]"
	case proto.MsgAudio:
		return "[语音]"
	case proto.MsgVideo:
		return "[视频]"
	case proto.MsgLocation:
		return "[位置]"
	case proto.MsgFile:
		return "[文件]"
	}
	return ""
}

// urlBody is the url of an attachment message's body.
type urlBody struct {
	URL string `json:"url"`
}

// textBody is the text of a text or tip message's body.
type textBody struct {
	Text string `json:"text"`
}
