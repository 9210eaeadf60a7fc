package jsapi

import (
	"context"
	"strconv"

	"yunxin/core"
	"yunxin/internal/jx"
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
	UpdateRecentLocalExt(ctx context.Context, sessionID string, chatType int, localExt jx.RawMessage) error
	DeleteRemoteSessions(ctx context.Context, sessions []core.SessionRef) error
	PullMessageHistory(ctx context.Context, p core.HistoryParams) ([]core.MessageView, error)
	DeleteMessage(ctx context.Context, sessionID string, chatType int, messageID string) error
	DeleteAllMessagesInSession(ctx context.Context, sessionID string, chatType int, removeSession bool) error
	DeleteAllMessages(ctx context.Context, removeSession bool) error
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

func doAllRecentSessions(ctx context.Context, e Engine, _ params) (jx.Value, error) {
	s, err := e.AllRecentSessions(ctx)
	if err != nil {
		return nil, err
	}
	if s == nil {
		s = []core.RecentSessionView{}
	}
	return &recentSessionsRet{s}, nil
}

func doAllUnreadCount(ctx context.Context, e Engine, _ params) (jx.Value, error) {
	n, err := e.AllUnreadCount(ctx)
	if err != nil {
		return nil, err
	}
	return &unreadCountRet{n}, nil
}

func doMarkRead(ctx context.Context, e Engine, p params) (jx.Value, error) {
	sid, ct, err := session(p)
	if err != nil {
		return nil, err
	}
	return done(e.MarkAllMessagesReadInSession(ctx, sid, ct))
}

func doCreateSession(ctx context.Context, e Engine, p params) (jx.Value, error) {
	sid, ct, err := session(p)
	if err != nil {
		return nil, err
	}
	return done(e.CreateRecentSession(ctx, sid, ct))
}

func doDeleteSession(ctx context.Context, e Engine, p params) (jx.Value, error) {
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

func messagesRet(m []core.MessageView, err error) (jx.Value, error) {
	if err != nil {
		return nil, err
	}
	if m == nil {
		m = []core.MessageView{}
	}
	return &messages{true, m}, nil
}

func doMessages(ctx context.Context, e Engine, p params) (jx.Value, error) {
	sid, ct, err := session(p)
	if err != nil {
		return nil, err
	}
	q := core.MessagesParams{SessionID: sid, ChatType: ct}
	if q.MessageID, q.Limit, q.Newer, err = pageParams(p); err != nil {
		return nil, err
	}
	asc, err := p.boolean("asc", true)
	if err != nil {
		return nil, err
	}
	q.Desc = !asc
	return messagesRet(e.MessagesInSession(ctx, q))
}

func doMessagesByIDs(ctx context.Context, e Engine, p params) (jx.Value, error) {
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

// newer turns the plugin's two direction names into core's Newer.
// pageParams reads the params of a page of messages, messagesInSession's
// and pullMessageHistory's: the anchor messageId, limit (default 10) and
// direction.
func pageParams(p params) (messageID string, limit int, newerDir bool, err error) {
	if messageID, err = p.str("messageId"); err != nil {
		return
	}
	if limit, err = p.integer("limit", 10); err != nil {
		return
	}
	dir, err := p.str("direction")
	if err != nil {
		return
	}
	newerDir, err = newer(dir)
	return
}

func newer(direction string) (bool, error) {
	switch direction {
	case "", "QUERY_OLD":
		return false, nil
	case "QUERY_NEW":
		return true, nil
	}
	return false, core.BadParam("direction", "must be 'QUERY_OLD' or 'QUERY_NEW'")
}

// doUpdateLocalExt: localExt (a JSON object, {} to clear) is our addition:
// the doc's iOS method names the session only.
func doUpdateLocalExt(ctx context.Context, e Engine, p params) (jx.Value, error) {
	sid, ct, err := session(p)
	if err != nil {
		return nil, err
	}
	ext, err := p.object("localExt")
	if err != nil {
		return nil, err
	}
	if ext == nil {
		return nil, core.BadParam("localExt", "must be an object")
	}
	return done(e.UpdateRecentLocalExt(ctx, sid, ct, ext))
}

// doDeleteRemoteSessions reads sessions: [{sessionId, chatType}, …].
func doDeleteRemoteSessions(ctx context.Context, e Engine, p params) (jx.Value, error) {
	v := p.get("sessions")
	var raw []jx.RawMessage
	if v == nil || v[0] != '[' || jx.UnmarshalRawSlice(v, &raw) != nil {
		return nil, core.BadParam("sessions", "must be an array of {sessionId, chatType}")
	}
	refs := make([]core.SessionRef, len(raw))
	for i, r := range raw {
		name := "sessions[" + strconv.Itoa(i) + "]"
		el, err := decodeParams(string(r))
		if err != nil || len(r) == 0 || r[0] != '{' {
			return nil, core.BadParam(name, "must be an object {sessionId, chatType}")
		}
		sid, err := el.need("sessionId")
		if err != nil {
			return nil, core.BadParam(name+".sessionId", "must be a string")
		}
		ct, err := el.integer("chatType", 0)
		if err != nil {
			return nil, core.BadParam(name+".chatType", "must be an integer")
		}
		refs[i] = core.SessionRef{SessionID: sid, ChatType: ct}
	}
	return done(e.DeleteRemoteSessions(ctx, refs))
}

// doPullHistory: direction (like messagesInSession's) is our addition; the
// doc's is QUERY_OLD.
func doPullHistory(ctx context.Context, e Engine, p params) (jx.Value, error) {
	sid, ct, err := session(p)
	if err != nil {
		return nil, err
	}
	q := core.HistoryParams{SessionID: sid, ChatType: ct}
	if q.MessageID, q.Limit, q.Newer, err = pageParams(p); err != nil {
		return nil, err
	}
	if q.Persist, err = p.boolean("persist", false); err != nil {
		return nil, err
	}
	if q.PersistClear, err = p.boolean("persistClear", false); err != nil {
		return nil, err
	}
	return messagesRet(e.PullMessageHistory(ctx, q))
}

// doDeleteMessage: sessionId and chatType are optional (the doc's Android
// version takes the messageId alone); core finds the message by its id.
func doDeleteMessage(ctx context.Context, e Engine, p params) (jx.Value, error) {
	sid, err := p.str("sessionId")
	if err != nil {
		return nil, err
	}
	ct, err := p.integer("chatType", 0)
	if err != nil {
		return nil, err
	}
	mid, err := p.need("messageId")
	if err != nil {
		return nil, err
	}
	return done(e.DeleteMessage(ctx, sid, ct, mid))
}

// removeSession reads removeSession (default false) and removeTable
// (accepted and ignored: there are no message tables here).
func removeSession(p params) (bool, error) {
	rm, err := p.boolean("removeSession", false)
	if err != nil {
		return false, err
	}
	_, err = p.boolean("removeTable", false)
	return rm, err
}

func doDeleteAllInSession(ctx context.Context, e Engine, p params) (jx.Value, error) {
	sid, ct, err := session(p)
	if err != nil {
		return nil, err
	}
	rm, err := removeSession(p)
	if err != nil {
		return nil, err
	}
	return done(e.DeleteAllMessagesInSession(ctx, sid, ct, rm))
}

func doDeleteAll(ctx context.Context, e Engine, p params) (jx.Value, error) {
	rm, err := removeSession(p)
	if err != nil {
		return nil, err
	}
	return done(e.DeleteAllMessages(ctx, rm))
}
