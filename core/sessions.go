package core

import (
	"context"
	"sort"
	"strings"

	"yunxin/proto"
)

// AllRecentSessions returns the visible sessions, most recently updated
// first. It reads memory only: the sessions are loaded from the cache at
// login and kept up to date.
func (c *Client) AllRecentSessions(ctx context.Context) ([]RecentSessionView, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.active == nil {
		return nil, c.notLoggedIn()
	}
	list := make([]*Session, 0, len(c.active.st.sessions.byKey))
	for _, s := range c.active.st.sessions.byKey {
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
		return 0, c.notLoggedIn()
	}
	return c.active.st.sessions.totalUnread(), nil
}

// MarkAllMessagesReadInSession clears a session's unread count. With
// shouldSyncUnreadCount on, the read mark goes to the server too, which
// clears it on the account's other clients; offline (or when the request
// fails on the network) it goes at the next sync.
func (c *Client) MarkAllMessagesReadInSession(ctx context.Context, sessionID string, chatType int) error {
	if err := checkSession(sessionID, chatType); err != nil {
		return err
	}
	r, err := c.current()
	if err != nil {
		return err
	}
	t, err := c.openTx(r)
	if err != nil {
		return err
	}
	defer t.abort()
	s, ok := t.session(SessionKey(chatType, sessionID))
	if !ok || s.Unread == 0 && s.ReadSeq >= s.LastSeq {
		t.abort()
		return nil
	}
	s.Unread, s.ReadSeq = 0, max(s.ReadSeq, s.LastSeq)
	t.putSession(s, evUpdateSession)
	if err := c.cacheFailed(r, t.commit(ctx)); err != nil {
		return err
	}
	c.mu.Lock()
	l, syncUnread := r.link, c.cfg.ShouldSyncUnreadCount
	c.mu.Unlock()
	if !syncUnread || l == nil || s.Conv == "" {
		return nil
	}
	var cv proto.Conv
	if err := l.call(ctx, proto.OpRead, &proto.ReadReq{Conv: s.Conv, Seq: s.ReadSeq}, &cv); err != nil {
		if isNetwork(err) {
			return nil // sent at the next sync (ReadSeq > SrvReadSeq)
		}
		if readRefused(s.Conv, err) {
			c.readRefusedFor(r, s.Conv, s.ReadSeq)
			return nil // read here; the server keeps no mark for this account
		}
		return err
	}
	c.applyServerConvs(r, []proto.Conv{cv})
	return nil
}

// readRefused reports whether err, the answer to a read of conversation
// conv, is final: 403 on a team conversation the account never was a
// member of. (The server keeps the read mark of a team the account left,
// was removed from or that was dismissed, up to the leave, and passes it
// to the account's other devices; a seq above the leave is clamped.) A
// refused read is not sent again, so nothing loops.
func readRefused(conv string, err error) bool {
	return proto.TeamOfConv(conv) != "" && AsError(err).Code == proto.CodeForbidden
}

// readRefusedFor keeps the local read mark of conversation conv, whose
// read the server refused for good (readRefused), and counts it as sent
// (SrvReadSeq up to seq) so that sendUnsentReads does not send it again.
func (c *Client) readRefusedFor(r *run, conv string, seq int64) {
	err := c.cacheFailed(r, c.change(r, func(t *tx) {
		key := t.keyOfConv(conv, "")
		if s, ok := t.session(key); ok && key != "" && seq > s.SrvReadSeq {
			s.SrvReadSeq = seq
			t.putSession(s, "")
		}
	}))
	if err != nil && err != errLoggedOut {
		c.logf("cannot keep a refused read mark: " + err.Error())
	}
}

// isNetwork reports whether err is a network failure or timeout: the
// request may be repeated later.
func isNetwork(err error) bool {
	code := AsError(err).Code
	return code == proto.CodeNetwork || code == proto.CodeTimeout
}

// applyServerConvs applies conversation rows the server sent in reply to a
// read; a failed cache write is logged.
func (c *Client) applyServerConvs(r *run, convs []proto.Conv) {
	err := c.cacheFailed(r, c.change(r, func(t *tx) {
		for _, cv := range convs {
			t.applyConv(cv, true)
		}
	}))
	if err != nil && err != errLoggedOut {
		c.logf("cannot apply a read mark: " + err.Error())
	}
}

// CreateRecentSession adds an empty recent session, or shows a hidden one;
// an existing visible session is left as it is. For a new P2P session with
// another account, when online, the server is asked first whether the
// account exists (op users): if it does not, the answer is err 404
// "user not found: X" and nothing is created. Offline (or on a network
// failure) the session is created locally without that check.
func (c *Client) CreateRecentSession(ctx context.Context, sessionID string, chatType int) error {
	if err := checkSession(sessionID, chatType); err != nil {
		return err
	}
	r, err := c.current()
	if err != nil {
		return err
	}
	key := SessionKey(chatType, sessionID)
	c.mu.Lock()
	existing, l := r.st.sessions.byKey[key], r.link
	c.mu.Unlock()
	if existing != nil && !existing.Hidden() {
		return nil
	}
	if existing == nil && chatType == proto.ChatP2P && sessionID != r.account && l != nil {
		if err := userExists(ctx, l, sessionID); err != nil {
			return err
		}
	}
	now := c.now()
	t, err := c.openTx(r)
	if err != nil {
		return err
	}
	defer t.abort()
	s, kind := t.touch(key, sessionID, chatType)
	if kind != evAddSession {
		t.abort() // shown meanwhile
		return nil
	}
	s.UpdateTime = max(s.UpdateTime, now)
	if s.Conv == "" {
		s.Conv = localConv(r.account, chatType, sessionID)
	}
	t.putSession(s, kind)
	return c.cacheFailed(r, t.commit(ctx))
}

// userExists asks the server whether account exists: nil when it does or
// when the server cannot say (network failure, a server without op users),
// 404 "user not found: X" when it does not.
func userExists(ctx context.Context, l *link, account string) error {
	var resp proto.UsersResp
	if err := l.call(ctx, proto.OpUsers, &proto.UsersReq{Accounts: []string{account}}, &resp); err != nil {
		e := AsError(err)
		if isNetwork(err) || e.Code == proto.CodeBadParam && strings.Contains(e.Msg, "unknown op") {
			return nil
		}
		return err
	}
	for _, u := range resp.Users {
		if u.Account == account {
			return nil
		}
	}
	return Errf(proto.CodeNotFound, "user not found: "+account)
}

// DeleteRecentSession removes a session from the recent list. Its messages
// and sync cursor stay; new activity (a later message, a send,
// creatRecentSession) shows it again. Hiding is a time (Session.HideTime),
// so another tab of the same account writing its older copy of the session
// does not undo it.
func (c *Client) DeleteRecentSession(ctx context.Context, sessionID string, chatType int) error {
	if err := checkSession(sessionID, chatType); err != nil {
		return err
	}
	r, err := c.current()
	if err != nil {
		return err
	}
	now := c.now()
	t, err := c.openTx(r)
	if err != nil {
		return err
	}
	defer t.abort()
	s, ok := t.session(SessionKey(chatType, sessionID))
	if !ok || s.Hidden() {
		t.abort()
		return nil
	}
	s.HideTime = max(now, s.UpdateTime)
	t.putSession(s, evRemoveSession)
	return c.cacheFailed(r, t.commit(ctx))
}

// MessagesInSession returns one page of a session's cached messages in time
// order (or newest first with p.Desc): the p.Limit newest, or the ones just
// before (after, with p.Newer) the message p.MessageID. p.Limit must be at
// least 1 (the page's default, 10, is filled in by jsapi); above MaxLimit it
// is lowered to MaxLimit.
func (c *Client) MessagesInSession(ctx context.Context, p MessagesParams) ([]MessageView, error) {
	if err := checkSession(p.SessionID, p.ChatType); err != nil {
		return nil, err
	}
	limit, err := checkLimit(p.Limit)
	if err != nil {
		return nil, err
	}
	if p.MessageID != "" {
		if err := checkMessageID("messageId", p.MessageID); err != nil {
			return nil, err
		}
	}
	sk := SessionKey(p.ChatType, p.SessionID)
	c.mu.Lock()
	r := c.active
	var peerRead int64
	if r != nil {
		if s := r.st.sessions.byKey[sk]; s != nil {
			peerRead = s.PeerReadSeq
		}
	}
	notIn := c.notLoggedIn()
	c.mu.Unlock()
	if r == nil {
		return nil, notIn
	}
	q := Query{SK: sk, Limit: limit, Newer: p.Newer}
	if p.MessageID != "" {
		a, err := r.cache.MessagesByID(ctx, []string{p.MessageID})
		if err != nil {
			return nil, wrap("cannot read the local cache", c.cacheFailed(r, err))
		}
		if len(a) == 0 || a[0].SK != sk {
			return nil, Errf(proto.CodeNotFound, "message "+p.MessageID+" not found in session "+p.SessionID)
		}
		q.Anchor = &a[0]
	}
	ms, err := r.cache.Messages(ctx, q)
	if err != nil {
		return nil, wrap("cannot read the local cache", c.cacheFailed(r, err))
	}
	ms = c.withPaths(ctx, r, ms) // kept files as paths the page can use
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

// MessagesByIDs returns the cached messages with these ids (at most
// proto.MaxMessageIDs, none empty), in the order asked.
func (c *Client) MessagesByIDs(ctx context.Context, ids []string) ([]MessageView, error) {
	if err := checkMessageIDs(ids); err != nil {
		return nil, err
	}
	r, err := c.current()
	if err != nil {
		return nil, err
	}
	ms, err := r.cache.MessagesByID(ctx, ids)
	if err != nil {
		return nil, wrap("cannot read the local cache", c.cacheFailed(r, err))
	}
	ms = c.withPaths(ctx, r, ms) // kept files as paths the page can use
	out := make([]MessageView, len(ms))
	c.mu.Lock()
	for i := range ms {
		var pr int64
		if s := r.st.sessions.byKey[ms[i].SK]; s != nil {
			pr = s.PeerReadSeq
		}
		out[i] = ms[i].View(pr)
	}
	c.mu.Unlock()
	return out, nil
}
