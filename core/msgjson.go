package core

import (
	"strconv"

	"yunxin/internal/jx"
	"yunxin/proto"
)

// AppendJSON appends m's JSON, byte for byte what json.Marshal(m) writes,
// to b. The cache writes every synced message's record (a sync of 10,000
// messages: 10,000 records), and json.Marshal's reflection was a sixth of
// the sync's time in the browser. The common message is written here by
// hand; one with attachment paths, or with a body or ext that
// json.Marshal would rewrite (whitespace, <, >, &, U+2028 or U+2029, or
// not valid JSON at all), goes through jx (its table). FuzzMessageJSON
// compares the two with json.Marshal; TestMessageJSONFields fails when Message gains a field
// this does not write.
func (m *Message) AppendJSON(b []byte) ([]byte, error) {
	if len(m.Paths) > 0 || !rawSafe(m.Body, true) || !rawSafe(m.Ext, false) || !rawSafe(m.LocalExt, false) {
		return jx.Append(b, m)
	}
	b = append(b, `{"id":`...)
	b = appendStr(b, m.ID)
	b = append(b, `,"sk":`...)
	b = appendStr(b, m.SK)
	b = append(b, `,"sid":`...)
	b = appendStr(b, m.SessionID)
	b = appendIntField(b, `,"ct":`, int64(m.ChatType), false)
	if m.ServerID != "" {
		b = append(b, `,"srv":`...)
		b = appendStr(b, m.ServerID)
	}
	b = appendIntField(b, `,"seq":`, m.Seq, true)
	b = append(b, `,"from":`...)
	b = appendStr(b, m.From)
	b = appendIntField(b, `,"type":`, int64(m.Type), false)
	b = appendRawField(b, `,"body":`, m.Body)
	if len(m.Ext) > 0 {
		b = append(b, `,"ext":`...)
		b = append(b, m.Ext...)
	}
	if len(m.LocalExt) > 0 {
		b = append(b, `,"lext":`...)
		b = append(b, m.LocalExt...)
	}
	b = appendIntField(b, `,"t":`, m.Time, false)
	b = appendIntField(b, `,"st":`, int64(m.State), false)
	b = appendTrue(b, `,"out":true`, m.Outgoing)
	b = appendIntField(b, `,"fct":`, int64(m.FromClient), true)
	b = appendTrue(b, `,"del":true`, m.Deleted)
	b = appendIntField(b, `,"dl":`, int64(m.DL), true)
	b = appendTrue(b, `,"played":true`, m.Played)
	if m.Nick != "" {
		b = append(b, `,"nick":`...)
		b = appendStr(b, m.Nick)
	}
	b = appendTrue(b, `,"black":true`, m.Black)
	b = appendTrue(b, `,"trc":true`, m.TeamReceipt)
	b = appendIntField(b, `,"trr":`, int64(m.ReceiptRead), true)
	b = appendIntField(b, `,"tru":`, int64(m.ReceiptUnread), true)
	b = appendTrue(b, `,"trs":true`, m.ReceiptSent)
	return append(b, '}'), nil
}

// appendStr is proto.AppendString, which is json.Marshal's string.
func appendStr(b []byte, s string) []byte { return proto.AppendString(b, s) }

// appendIntField appends key and v, or nothing when omitEmpty and v is 0.
func appendIntField(b []byte, key string, v int64, omitEmpty bool) []byte {
	if omitEmpty && v == 0 {
		return b
	}
	return strconv.AppendInt(append(b, key...), v, 10)
}

// appendTrue appends field when v (an omitempty bool).
func appendTrue(b []byte, field string, v bool) []byte {
	if v {
		return append(b, field...)
	}
	return b
}

// rawSafe reports whether json.Marshal writes r, a jx.RawMessage field,
// as it is (proto.MarshalsAsIs). An empty r is safe where the field is
// omitempty (left out) and where nil (null) is allowed: Body (allowNil)
// writes null for nil but fails on an empty non-nil value, as json.Marshal
// does.
func rawSafe(r jx.RawMessage, allowNil bool) bool {
	if len(r) == 0 {
		return !allowNil || r == nil
	}
	return proto.MarshalsAsIs(r)
}

// AppendJSON appends e's JSON, byte for byte what json.Marshal(e) writes,
// to b. A sync page's onRecvMessages event carries up to 1,000 views; an
// event of messages alone is written by hand, any other (receipts,
// progress, a revoke…) and one with a view appendJSON cannot write goes
// through jx. FuzzMessageEventJSON compares the two with json.Marshal.
func (e *MessageEvent) AppendJSON(b []byte) ([]byte, error) {
	if e.Receipts != nil || e.URLString != "" || e.Progress != nil || e.Notification != nil || e.Success != nil || e.Code != 0 || e.Msg != "" {
		return e.marshal(b)
	}
	start := len(b)
	if need := 64 + 600*len(e.Messages); cap(b)-len(b) < need {
		b = append(make([]byte, 0, len(b)+need), b...) // a view is 400–600 bytes
	}
	b = append(b, `{"eventType":`...)
	b = appendStr(b, e.EventType)
	ok := true
	if e.Message != nil {
		b = append(b, `,"message":`...)
		b, ok = e.Message.appendJSON(b)
	}
	if len(e.Messages) > 0 && ok {
		b = append(b, `,"messages":[`...)
		for i := range e.Messages {
			if i > 0 {
				b = append(b, ',')
			}
			if b, ok = e.Messages[i].appendJSON(b); !ok {
				break
			}
		}
		b = append(b, ']')
	}
	if !ok {
		return e.marshal(b[:start])
	}
	return append(b, '}'), nil
}

func (e *MessageEvent) marshal(b []byte) ([]byte, error) { return jx.Append(b, e) }

// appendJSON appends v's JSON as json.Marshal writes it, or reports false
// (b then holds a part) when a raw field is one json.Marshal would rewrite.
func (v *MessageView) appendJSON(b []byte) ([]byte, bool) {
	if !rawSafe(v.RemoteExt, true) || !rawSafe(v.LocalExt, true) || !rawSafe(v.Body, true) {
		return b, false
	}
	b = append(b, `{"messageId":`...)
	b = appendStr(b, v.MessageID)
	b = append(b, `,"session":{"sessionId":`...)
	b = appendStr(b, v.Session.SessionID)
	b = appendIntField(b, `,"chatType":`, int64(v.Session.ChatType), false)
	b = append(b, `},"sessionId":`...)
	b = appendStr(b, v.SessionID)
	b = appendIntField(b, `,"sessionType":`, int64(v.SessionType), false)
	b = appendIntField(b, `,"chatType":`, int64(v.ChatType), false)
	b = append(b, `,"from":`...)
	b = appendStr(b, v.From)
	b = append(b, `,"serverID":`...)
	b = appendStr(b, v.ServerID)
	b = appendRawField(b, `,"remoteExt":`, v.RemoteExt)
	b = appendRawField(b, `,"localExt":`, v.LocalExt)
	b = appendIntField(b, `,"timestamp":`, v.Timestamp, false)
	b = appendIntField(b, `,"deliveryState":`, int64(v.DeliveryState), false)
	b = appendIntField(b, `,"attachmentDownloadState":`, int64(v.AttachmentDownloadState), false)
	b = appendBoolField(b, `,"isReceivedMsg":`, v.IsReceivedMsg)
	b = appendBoolField(b, `,"isOutgoingMsg":`, v.IsOutgoingMsg)
	b = appendBoolField(b, `,"isPlayed":`, v.IsPlayed)
	b = appendBoolField(b, `,"isDeleted":`, v.IsDeleted)
	b = appendBoolField(b, `,"isRemoteRead":`, v.IsRemoteRead)
	b = appendBoolField(b, `,"isTeamReceiptSended":`, v.IsTeamReceiptSended)
	if r := v.TeamReceiptInfo; r != nil {
		b = appendIntField(b, `,"teamReceiptInfo":{"readCount":`, int64(r.ReadCount), false)
		b = appendIntField(b, `,"unreadCount":`, int64(r.UnreadCount), false)
		b = append(b, '}')
	}
	b = append(b, `,"senderName":`...)
	b = appendStr(b, v.SenderName)
	b = appendIntField(b, `,"senderClientType":`, int64(v.SenderClientType), false)
	b = appendBoolField(b, `,"isBlackListed":`, v.IsBlackListed)
	b = appendRawField(b, `,"body":`, v.Body)
	b = appendIntField(b, `,"seq":`, v.Seq, false)
	return append(b, '}'), true
}

// appendBoolField appends key and v.
func appendBoolField(b []byte, key string, v bool) []byte {
	return strconv.AppendBool(append(b, key...), v)
}

// appendRawField appends key and r (rawSafe), null for nil.
func appendRawField(b []byte, key string, r jx.RawMessage) []byte {
	b = append(b, key...)
	if r == nil {
		return append(b, "null"...)
	}
	return append(b, r...)
}
