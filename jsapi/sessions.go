package jsapi

import (
	"context"

	"yunxin/core"
)

// SessionsEngine is the session and history group's part of Engine.
type SessionsEngine interface {
	AllRecentSessions(ctx context.Context) ([]core.RecentSessionView, error)
	AllUnreadCount(ctx context.Context) (int, error)
	MarkAllMessagesReadInSession(ctx context.Context, sessionID string, chatType int) error
	CreateRecentSession(ctx context.Context, sessionID string, chatType int) error
	DeleteRecentSession(ctx context.Context, sessionID string, chatType int) error
	MessagesInSession(ctx context.Context, p core.MessagesParams) ([]core.MessageView, error)
	MessagesByIDs(ctx context.Context, ids []string) ([]core.MessageView, error)
}

// session returns the sessionId and chatType parameters (chatType 0 when
// absent). chatTypeNames are the names the chat type may go by, in order
// (deleteRecentSession's Android spelling is sessionType).
func session(p params, chatTypeNames ...string) (string, int, error) {
	sid, err := p.need("sessionId")
	if err != nil {
		return "", 0, err
	}
	name := "chatType"
	for _, n := range chatTypeNames {
		if p.has(n) {
			name = n
			break
		}
	}
	ct, err := p.integer(name, 0)
	return sid, ct, err
}

func doAllRecentSessions(ctx context.Context, e Engine, _ params) (any, error) {
	s, err := e.AllRecentSessions(ctx)
	if err != nil {
		return nil, err
	}
	if s == nil {
		s = []core.RecentSessionView{}
	}
	return struct {
		RecentSessions []core.RecentSessionView `json:"recentSessions"`
	}{s}, nil
}

func doAllUnreadCount(ctx context.Context, e Engine, _ params) (any, error) {
	n, err := e.AllUnreadCount(ctx)
	if err != nil {
		return nil, err
	}
	return struct {
		UnreadCount int `json:"unreadCount"`
	}{n}, nil
}

func doMarkRead(ctx context.Context, e Engine, p params) (any, error) {
	sid, ct, err := session(p)
	if err != nil {
		return nil, err
	}
	return done(e.MarkAllMessagesReadInSession(ctx, sid, ct))
}

func doCreateSession(ctx context.Context, e Engine, p params) (any, error) {
	sid, ct, err := session(p)
	if err != nil {
		return nil, err
	}
	return done(e.CreateRecentSession(ctx, sid, ct))
}

func doDeleteSession(ctx context.Context, e Engine, p params) (any, error) {
	sid, ct, err := session(p, "sessionType", "chatType")
	if err != nil {
		return nil, err
	}
	if _, err := p.boolean("notifyOb", false); err != nil {
		return nil, err
	}
	return done(e.DeleteRecentSession(ctx, sid, ct))
}

// messages is the ret of messagesInSession and messagesInSessionWithMessageIds.
type messages struct {
	Status   bool               `json:"status"`
	Messages []core.MessageView `json:"messages"`
}

func messagesRet(m []core.MessageView, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	if m == nil {
		m = []core.MessageView{}
	}
	return messages{true, m}, nil
}

func doMessages(ctx context.Context, e Engine, p params) (any, error) {
	sid, ct, err := session(p)
	if err != nil {
		return nil, err
	}
	q := core.MessagesParams{SessionID: sid, ChatType: ct}
	if q.MessageID, err = p.str("messageId"); err != nil {
		return nil, err
	}
	if q.Limit, err = p.integer("limit", 10); err != nil {
		return nil, err
	}
	dir, err := p.str("direction")
	if err != nil {
		return nil, err
	}
	// The plugin's two direction names become core's Newer.
	switch dir {
	case "", "QUERY_OLD":
	case "QUERY_NEW":
		q.Newer = true
	default:
		return nil, core.BadParam("direction", "must be 'QUERY_OLD' or 'QUERY_NEW'")
	}
	asc, err := p.boolean("asc", true)
	if err != nil {
		return nil, err
	}
	q.Desc = !asc
	return messagesRet(e.MessagesInSession(ctx, q))
}

func doMessagesByIDs(ctx context.Context, e Engine, p params) (any, error) {
	// sessionId (iOS) and chatType are optional: the ids say it all.
	if _, err := p.str("sessionId"); err != nil {
		return nil, err
	}
	ct, err := p.integer("chatType", 0)
	if err != nil {
		return nil, err
	}
	if err := core.CheckChatType(ct); err != nil {
		return nil, err
	}
	ids, err := p.strings("messageIds")
	if err != nil {
		return nil, err
	}
	return messagesRet(e.MessagesByIDs(ctx, ids))
}
