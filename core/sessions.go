package core

import (
	"context"
	"sort"

	"yunxin/proto"
)

// AllRecentSessions returns the visible sessions, most recently updated
// first. It reads memory only: the sessions are loaded from the cache at
// login and kept up to date.
func (c *Client) AllRecentSessions(ctx context.Context) ([]RecentSessionView, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.active == nil {
		return nil, Errf(proto.CodeNetwork, "not logged in")
	}
	list := make([]*Session, 0, len(c.sessions))
	for _, s := range c.sessions {
		if !s.Hidden() {
			list = append(list, s)
		}
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].UpdateTime != list[j].UpdateTime {
			return list[i].UpdateTime > list[j].UpdateTime
		}
		return list[i].Key < list[j].Key
	})
	out := make([]RecentSessionView, len(list))
	for i, s := range list {
		out[i] = s.View()
	}
	return out, nil
}

// AllUnreadCount returns the total unread count of the visible sessions.
func (c *Client) AllUnreadCount(ctx context.Context) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.active == nil {
		return 0, Errf(proto.CodeNetwork, "not logged in")
	}
	n := 0
	for _, s := range c.sessions {
		if !s.Hidden() {
			n += s.Unread
		}
	}
	return n, nil
}

// update applies fn to the session with key sk under the locks, writes the
// session to the cache and emits the event fn names ("" for none). fn
// returns false to leave everything unchanged.
func (c *Client) update(ctx context.Context, sk string, fn func(s *Session) (kind string, ok bool)) (Session, bool, error) {
	c.writeMu.Lock()
	c.mu.Lock()
	if c.active == nil || c.cache == nil {
		c.mu.Unlock()
		c.writeMu.Unlock()
		return Session{}, false, Errf(proto.CodeNetwork, "not logged in")
	}
	s := c.sessions[sk]
	kind, ok := fn(s)
	if !ok {
		c.mu.Unlock()
		c.writeMu.Unlock()
		return Session{}, false, nil
	}
	s = c.sessions[sk]
	rec, cache := *s, c.cache
	var ev Event
	if kind != "" {
		ev = c.sessionEvent(kind, s)
	}
	c.mu.Unlock()
	err := cache.Apply(ctx, &Batch{Sessions: []Session{rec}})
	c.writeMu.Unlock()
	if err != nil {
		return rec, true, Errf(proto.CodeServer, "cannot write the local cache: "+err.Error())
	}
	if kind != "" {
		c.emit(ev)
	}
	return rec, true, nil
}

// MarkAllMessagesReadInSession clears a session's unread count. With
// shouldSyncUnreadCount on, the read mark goes to the server too, which
// clears it on the account's other clients.
func (c *Client) MarkAllMessagesReadInSession(ctx context.Context, sessionID string, chatType int) error {
	if err := checkSession(sessionID, chatType); err != nil {
		return err
	}
	rec, changed, err := c.update(ctx, SessionKey(chatType, sessionID), func(s *Session) (string, bool) {
		if s == nil || s.Unread == 0 && s.ReadSeq >= s.LastSeq {
			return "", false
		}
		s.Unread, s.ReadSeq = 0, max(s.ReadSeq, s.LastSeq)
		if s.Hidden() {
			return "", true
		}
		return "didUpdateRecentSession", true
	})
	if err != nil || !changed {
		return err
	}
	c.mu.Lock()
	l, syncUnread := c.link, c.cfg.ShouldSyncUnreadCount
	c.mu.Unlock()
	if syncUnread && l != nil && rec.Conv != "" {
		// Offline, the mark stays local; the next sync sends it (unsentReads).
		return l.call(ctx, proto.OpRead, proto.ReadReq{Conv: rec.Conv, Seq: rec.ReadSeq}, nil)
	}
	return nil
}

// CreateRecentSession adds an empty recent session, or shows a hidden one.
// An existing visible session is left as it is.
func (c *Client) CreateRecentSession(ctx context.Context, sessionID string, chatType int) error {
	if err := checkSession(sessionID, chatType); err != nil {
		return err
	}
	now := c.now()
	_, _, err := c.update(ctx, SessionKey(chatType, sessionID), func(s *Session) (string, bool) {
		if s != nil && !s.Hidden() {
			return "", false
		}
		s, kind := c.touchSession(SessionKey(chatType, sessionID), sessionID, chatType)
		s.UpdateTime = max(s.UpdateTime, now)
		if s.Conv == "" && chatType == proto.ChatP2P {
			s.Conv = proto.P2PConv(c.account, sessionID)
			c.byConv[s.Conv] = s
		}
		return kind, true
	})
	return err
}

// DeleteRecentSession removes a session from the recent list. Its messages
// and sync cursor stay; a new message shows it again.
func (c *Client) DeleteRecentSession(ctx context.Context, sessionID string, chatType int) error {
	if err := checkSession(sessionID, chatType); err != nil {
		return err
	}
	now := c.now()
	_, _, err := c.update(ctx, SessionKey(chatType, sessionID), func(s *Session) (string, bool) {
		if s == nil || s.Hidden() {
			return "", false
		}
		s.HideTime = max(now, s.UpdateTime)
		return "didRemoveRecentSession", true
	})
	return err
}

// MessagesInSession returns one page of a session's cached messages in time
// order (or newest first with p.Desc): by default the p.Limit newest, or the
// ones just before (after, with p.Newer) the message p.MessageID.
func (c *Client) MessagesInSession(ctx context.Context, p MessagesParams) ([]MessageView, error) {
	if err := checkSession(p.SessionID, p.ChatType); err != nil {
		return nil, err
	}
	if p.Limit == 0 {
		p.Limit = 10
	}
	if p.Limit < 0 || p.Limit > 100 {
		return nil, BadParam("limit", "must be between 1 and 100")
	}
	sk := SessionKey(p.ChatType, p.SessionID)
	c.mu.Lock()
	cache := c.cache
	var peerRead int64
	if s := c.sessions[sk]; s != nil {
		peerRead = s.PeerReadSeq
	}
	c.mu.Unlock()
	if cache == nil {
		return nil, Errf(proto.CodeNetwork, "not logged in")
	}
	q := Query{SK: sk, Limit: p.Limit, Newer: p.Newer}
	if p.MessageID != "" {
		a, err := cache.MessagesByID(ctx, []string{p.MessageID})
		if err != nil {
			return nil, Errf(proto.CodeServer, err.Error())
		}
		if len(a) == 0 || a[0].SK != sk {
			return nil, Errf(proto.CodeNotFound, "message "+p.MessageID+" not found in session "+p.SessionID)
		}
		q.Anchor = &a[0]
	}
	ms, err := cache.Messages(ctx, q)
	if err != nil {
		return nil, Errf(proto.CodeServer, err.Error())
	}
	out := make([]MessageView, len(ms))
	for i := range ms {
		j := i
		if p.Desc {
			j = len(ms) - 1 - i
		}
		out[j] = ms[i].View(peerRead)
	}
	return out, nil
}

// MessagesByIDs returns the cached messages with these ids, in the order asked.
func (c *Client) MessagesByIDs(ctx context.Context, ids []string) ([]MessageView, error) {
	if len(ids) > 100 {
		return nil, BadParam("messageIds", "must have at most 100 ids")
	}
	c.mu.Lock()
	cache := c.cache
	c.mu.Unlock()
	if cache == nil {
		return nil, Errf(proto.CodeNetwork, "not logged in")
	}
	ms, err := cache.MessagesByID(ctx, ids)
	if err != nil {
		return nil, Errf(proto.CodeServer, err.Error())
	}
	out := make([]MessageView, len(ms))
	c.mu.Lock()
	for i := range ms {
		var pr int64
		if s := c.sessions[ms[i].SK]; s != nil {
			pr = s.PeerReadSeq
		}
		out[i] = ms[i].View(pr)
	}
	c.mu.Unlock()
	return out, nil
}
