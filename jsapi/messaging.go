package jsapi

import (
	"context"
	"strconv"

	"yunxin/core"
	"yunxin/internal/jx"
	"yunxin/proto"
)

// MessagingEngine is the message group's part of Engine.
type MessagingEngine interface {
	SendText(ctx context.Context, p core.SendTextParams) (*core.MessageView, error)
	SendMessage(ctx context.Context, p core.SendParams) (*core.MessageView, error)
	CancelSendingMessage(ctx context.Context, sessionID string, chatType int, messageID string) error
	ResendMessage(ctx context.Context, sessionID string, chatType int, messageID string) (*core.MessageView, error)
	ForwardMessage(ctx context.Context, p core.ForwardParams) (*core.MessageView, error)
	RevokeMessage(ctx context.Context, sessionID string, chatType int, messageID, postscript string) error
	SendMessageReceipt(ctx context.Context, sessionID string, chatType int, messageID string) error
	SendTeamMessageReceipts(ctx context.Context, sessionID string, chatType int, messageIDs []string) error
}

// sent is the ret of the send methods: status and the message as cached.
type sent struct {
	Status  bool              `json:"status"`
	Message *core.MessageView `json:"message,omitempty"`
}

func sentRet(m *core.MessageView, err error) (jx.Value, error) {
	if err != nil {
		return nil, err
	}
	return &sent{true, m}, nil
}

// common reads what every send method takes: sessionId, chatType, ext,
// from (accepted and ignored: the sender is the logged-in account) and
// reSend (default true, the doc's: a message sent offline or unacknowledged
// waits in the outbox).
func common(p params) (sid string, ct int, ext []byte, reSend bool, err error) {
	if sid, ct, err = session(p); err != nil {
		return
	}
	if ext, err = p.object("ext"); err != nil {
		return
	}
	if _, err = p.str("from"); err != nil {
		return
	}
	reSend, err = p.boolean("reSend", true)
	return
}

func doSendText(ctx context.Context, e Engine, p params) (jx.Value, error) {
	sid, ct, err := session(p)
	if err != nil {
		return nil, err
	}
	text, err := p.need("text")
	if err != nil {
		return nil, err
	}
	_, _, ext, reSend, err := common(p)
	if err != nil {
		return nil, err
	}
	return sentRet(e.SendText(ctx, core.SendTextParams{SessionID: sid, ChatType: ct, Text: text, Ext: ext, ReSend: reSend}))
}

// sendParams reads the common params and, for an attachment type, path.
func sendParams(p params, typ int) (core.SendParams, error) {
	q := core.SendParams{Type: typ}
	var err error
	if q.SessionID, q.ChatType, q.Ext, q.ReSend, err = common(p); err != nil {
		return q, err
	}
	switch typ {
	case proto.MsgImage, proto.MsgAudio, proto.MsgVideo, proto.MsgFile:
		q.Path, err = p.path("path")
	}
	return q, err
}

func doSendImage(ctx context.Context, e Engine, p params) (jx.Value, error) {
	q, err := sendParams(p, proto.MsgImage)
	if err != nil {
		return nil, err
	}
	if q.DisplayName, err = p.str("displayName"); err != nil {
		return nil, err
	}
	// compressQuality (iOS) is ignored, whatever its value (the doc: an
	// illegal one falls back to 0.5, never an error): the image goes as the
	// page gave it (a page that wants it smaller draws it on a canvas).
	return sentRet(e.SendMessage(ctx, q))
}

func doSendVoice(ctx context.Context, e Engine, p params) (jx.Value, error) {
	q, err := sendParams(p, proto.MsgAudio)
	if err != nil {
		return nil, err
	}
	d, err := p.rounded("duration", 0)
	if err != nil {
		return nil, err
	}
	q.Duration = int64(d)
	return sentRet(e.SendMessage(ctx, q))
}

func doSendVideo(ctx context.Context, e Engine, p params) (jx.Value, error) {
	q, err := sendParams(p, proto.MsgVideo)
	if err != nil {
		return nil, err
	}
	if q.DisplayName, err = p.str("displayName"); err != nil {
		return nil, err
	}
	d, err := p.rounded("duration", 0)
	if err != nil {
		return nil, err
	}
	q.Duration = int64(d)
	if q.Width, err = p.rounded("width", 0); err != nil {
		return nil, err
	}
	if q.Height, err = p.rounded("height", 0); err != nil {
		return nil, err
	}
	return sentRet(e.SendMessage(ctx, q))
}

func doSendFile(ctx context.Context, e Engine, p params) (jx.Value, error) {
	q, err := sendParams(p, proto.MsgFile)
	if err != nil {
		return nil, err
	}
	if q.DisplayName, err = p.str("displayName"); err != nil {
		return nil, err
	}
	if q.Extension, err = p.str("extension"); err != nil {
		return nil, err
	}
	return sentRet(e.SendMessage(ctx, q))
}

func doSendLocation(ctx context.Context, e Engine, p params) (jx.Value, error) {
	q, err := sendParams(p, proto.MsgLocation)
	if err != nil {
		return nil, err
	}
	if q.Latitude, err = p.needNumber("latitude"); err != nil {
		return nil, err
	}
	if q.Longitude, err = p.needNumber("longitude"); err != nil {
		return nil, err
	}
	if q.Title, err = p.str("address"); err != nil {
		return nil, err
	}
	return sentRet(e.SendMessage(ctx, q))
}

func doSendTip(ctx context.Context, e Engine, p params) (jx.Value, error) {
	q, err := sendParams(p, proto.MsgTip)
	if err != nil {
		return nil, err
	}
	if q.Text, err = p.need("text"); err != nil {
		return nil, err
	}
	return sentRet(e.SendMessage(ctx, q))
}

// message returns the sessionId, chatType and messageId parameters.
func message(p params) (string, int, string, error) {
	sid, ct, err := session(p)
	if err != nil {
		return "", 0, "", err
	}
	mid, err := p.need("messageId")
	return sid, ct, mid, err
}

func doCancelSending(ctx context.Context, e Engine, p params) (jx.Value, error) {
	sid, ct, mid, err := message(p)
	if err != nil {
		return nil, err
	}
	return done(e.CancelSendingMessage(ctx, sid, ct, mid))
}

func doResend(ctx context.Context, e Engine, p params) (jx.Value, error) {
	sid, ct, mid, err := message(p)
	if err != nil {
		return nil, err
	}
	return sentRet(e.ResendMessage(ctx, sid, ct, mid))
}

func doForward(ctx context.Context, e Engine, p params) (jx.Value, error) {
	sid, ct, mid, err := message(p)
	if err != nil {
		return nil, err
	}
	q := core.ForwardParams{SessionID: sid, ChatType: ct, MessageID: mid}
	if q.ToSessionID, err = p.need("toSessionId"); err != nil {
		return nil, err
	}
	if q.ToChatType, err = p.integer("toChatType", 0); err != nil {
		return nil, err
	}
	if q.ReSend, err = p.boolean("reSend", true); err != nil {
		return nil, err
	}
	return sentRet(e.ForwardMessage(ctx, q))
}

// doRevoke: postscript (optional) is our addition: the text the other side
// gets with onRecvRevokeMessageNotification.
func doRevoke(ctx context.Context, e Engine, p params) (jx.Value, error) {
	sid, ct, mid, err := message(p)
	if err != nil {
		return nil, err
	}
	ps, err := p.str("postscript")
	if err != nil {
		return nil, err
	}
	return done(e.RevokeMessage(ctx, sid, ct, mid, ps))
}

func doReceipt(ctx context.Context, e Engine, p params) (jx.Value, error) {
	sid, ct, mid, err := message(p)
	if err != nil {
		return nil, err
	}
	return done(e.SendMessageReceipt(ctx, sid, ct, mid))
}

// doTeamReceipts reads sendTeamMessageReceipts' sessionId (the team id),
// chatType (1 team or 5 super team; the doc's default 0 is refused: only a
// team has team receipts) and messageIds (1 to proto.MaxTeamReceiptSeqs
// ids of messages of that session).
func doTeamReceipts(ctx context.Context, e Engine, p params) (jx.Value, error) {
	sid, err := teamID(p, "sessionId")
	if err != nil {
		return nil, err
	}
	ct, err := p.integer("chatType", proto.ChatP2P)
	if err != nil {
		return nil, err
	}
	if ct != proto.ChatTeam && ct != proto.ChatSuperTeam {
		return nil, core.BadParam("chatType", "must be 1 or 5 (a team session)")
	}
	ids, err := p.strings("messageIds")
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, core.BadParam("messageIds", "must name at least one message")
	}
	if len(ids) > proto.MaxTeamReceiptSeqs {
		return nil, core.BadParam("messageIds", "has more than "+strconv.Itoa(proto.MaxTeamReceiptSeqs)+" entries")
	}
	for _, id := range ids {
		if id == "" {
			return nil, core.BadParam("messageIds", "must not contain an empty id")
		}
		if len(id) > proto.MaxIDBytes {
			return nil, core.BadParam("messageIds", "has an id longer than "+strconv.Itoa(proto.MaxIDBytes)+" bytes")
		}
	}
	return done(e.SendTeamMessageReceipts(ctx, sid, ct, ids))
}
