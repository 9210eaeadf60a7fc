package jsapi

import (
	"context"

	"yunxin/core"
)

// MessagingEngine is the message group's part of Engine.
type MessagingEngine interface {
	SendText(ctx context.Context, p core.SendTextParams) (*core.MessageView, error)
	SendMessageReceipt(ctx context.Context, sessionID string, chatType int, messageID string) error
}

func doSendText(ctx context.Context, e Engine, p params) (any, error) {
	sid, ct, err := session(p)
	if err != nil {
		return nil, err
	}
	text, err := p.need("text")
	if err != nil {
		return nil, err
	}
	ext, err := p.object("ext")
	if err != nil {
		return nil, err
	}
	// from and reSend are accepted and ignored: the sender is the logged-in
	// account and a failed message is resent with resendMessage.
	if _, err := p.str("from"); err != nil {
		return nil, err
	}
	if _, err := p.boolean("reSend", false); err != nil {
		return nil, err
	}
	m, err := e.SendText(ctx, core.SendTextParams{SessionID: sid, ChatType: ct, Text: text, Ext: ext})
	if err != nil {
		return nil, err
	}
	return struct {
		Status  bool              `json:"status"`
		Message *core.MessageView `json:"message,omitempty"`
	}{true, m}, nil
}

func doReceipt(ctx context.Context, e Engine, p params) (any, error) {
	sid, ct, err := session(p)
	if err != nil {
		return nil, err
	}
	mid, err := p.need("messageId")
	if err != nil {
		return nil, err
	}
	return done(e.SendMessageReceipt(ctx, sid, ct, mid))
}
