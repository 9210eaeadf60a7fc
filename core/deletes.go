package core

import (
	"context"

	"yunxin/internal/jx"
	"yunxin/proto"
)

// Deletes. deleteMessage, deleteAllmessagesInSession and deleteAllMessages
// are local: the server keeps the messages (pullMessageHistory still finds
// them) and the session cursors stay, so the next sync does not bring them
// back. Each moves the session's cut mark (Session.CutAt), so that another
// tab's older copy of the session cannot bring a removed last message back
// when the records merge. deleteRemoteSessions goes to the server, which
// tells the account's other devices (ChangeConvDeleted).

func init() {
	registerChange(proto.ChangeConvDeleted, applyConvDeletedChange)
}

// Session event kinds of the deletes (addSessionListen's eventType).
const (
	evMessagesDeletedInSession = "messagesDeletedInSession"
	evAllMessagesDeleted       = "allMessagesDeleted"
)

// DeleteMessage deletes one cached message (deleteMessage). As NIM's, it is
// marked deleted: messagesInSession skips it, messagesInSessionWithMessageIds
// still returns it with isDeleted true. When it was its session's last
// message, the newest one left takes its place (didUpdateRecentSession).
// The unread count does not change. The files the SDK kept for it (copies
// of a file being sent, its downloads) are removed from the page's file
// store. 404 when the message is not cached in
// that session; deleting it again does nothing. sessionID "" (the doc's
// Android form, which passes only messageId) finds the message by its id
// alone.
func (c *Client) DeleteMessage(ctx context.Context, sessionID string, chatType int, messageID string) error {
	if sessionID != "" {
		if err := checkSession(sessionID, chatType); err != nil {
			return err
		}
	}
	if err := checkMessageID("messageId", messageID); err != nil {
		return err
	}
	r, err := c.current()
	if err != nil {
		return err
	}
	if sessionID == "" {
		ms, err := r.cache.MessagesByID(ctx, []string{messageID})
		if err != nil {
			return wrap("cannot read the local cache", c.cacheFailed(r, err))
		}
		if len(ms) == 0 {
			return Errf(proto.CodeNotFound, "message "+messageID+" not found")
		}
		sessionID, chatType = ms[0].SessionID, ms[0].ChatType
	}
	sk := SessionKey(chatType, sessionID)
	m, err := c.cachedMessage(ctx, r, sk, sessionID, messageID)
	if err != nil || m.Deleted {
		return err
	}
	now := c.now()
	t, err := c.openTx(r)
	if err != nil {
		return err
	}
	defer t.abort()
	s, ok := t.session(sk)
	last := ok && s.LastMsg != nil && s.LastMsg.ID == messageID
	var newest *Message
	if last {
		if newest, err = t.newestExcept(sk, messageID); err != nil {
			return c.cacheFailed(r, err)
		}
	}
	m.Deleted = true
	t.msgs = append(t.msgs, m)
	if last {
		s.CutAt = max(s.CutAt+1, now)
		s.raiseCut(s.LastMsg)
		s.LastMsg = newest
		t.putSession(s, evUpdateSession)
	}
	if err := c.cacheFailed(r, t.commit(ctx)); err != nil {
		return err
	}
	c.removeKept(r, m) // its kept files (a send's copies, its downloads) go with it
	return nil
}

// DeleteAllMessagesInSession deletes every cached message of a session
// (deleteAllmessagesInSession): its last message is cleared
// (didUpdateRecentSession), or with removeSession the session leaves the
// recent list too (didRemoveRecentSession); then messagesDeletedInSession.
// The unread count does not change (markAllMessagesReadInSession clears it).
// pullMessageHistory's persist does not cache the deleted messages again
// unless asked to (persistClear).
func (c *Client) DeleteAllMessagesInSession(ctx context.Context, sessionID string, chatType int, removeSession bool) error {
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
	sk := SessionKey(chatType, sessionID)
	t.clearSKs = append(t.clearSKs, sk)
	if s, ok := t.session(sk); ok {
		t.putSession(clearedSession(s, now, removeSession))
	}
	if err := c.cacheFailed(r, t.commit(ctx)); err != nil {
		return err
	}
	c.emitIfCurrent(r, func(total int) Event {
		return Event{Kind: EventSession, Data: SessionEvent{EventType: evMessagesDeletedInSession,
			Session: &SessionRef{sessionID, chatType}, TotalUnreadCount: total}}
	})
	return nil
}

// DeleteAllMessages deletes every cached message (deleteAllMessages): every
// session's last message is cleared (didUpdateRecentSession), or with
// removeSession every session leaves the recent list
// (didRemoveRecentSession); then allMessagesDeleted. As
// DeleteAllMessagesInSession for each session.
func (c *Client) DeleteAllMessages(ctx context.Context, removeSession bool) error {
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
	t.clearAll = true
	for _, s := range r.st.sessions.byKey { // t holds writeMu: the state stays
		t.putSession(clearedSession(*s, now, removeSession))
	}
	if err := c.cacheFailed(r, t.commit(ctx)); err != nil {
		return err
	}
	c.emitIfCurrent(r, func(total int) Event {
		return Event{Kind: EventSession, Data: SessionEvent{EventType: evAllMessagesDeleted, TotalUnreadCount: total}}
	})
	return nil
}

// clearedSession returns s with its messages cleared at now: no last
// message, the cut mark and ClearedTo past everything it had, hidden with
// remove; and the session event to tell.
func clearedSession(s Session, now int64, remove bool) (Session, string) {
	if s.LastMsg != nil {
		s.raiseCut(s.LastMsg)
		s.ClearedTo = max(s.ClearedTo, s.LastMsg.Time)
	}
	s.raiseCut(&Message{Time: now})
	s.ClearedTo = max(s.ClearedTo, now)
	s.CutAt = max(s.CutAt+1, now)
	s.LastMsg = nil
	switch {
	case remove && !s.Hidden():
		s.HideTime = max(now, s.UpdateTime, 1)
		return s, evRemoveSession
	case s.Hidden():
		return s, ""
	}
	return s, evUpdateSession
}

// emitIfCurrent emits the event made by ev with the total unread count,
// unless run r stopped meanwhile.
func (c *Client) emitIfCurrent(r *run, ev func(total int) Event) {
	c.mu.Lock()
	if c.active != r {
		c.mu.Unlock()
		return
	}
	total := r.st.sessions.totalUnread()
	c.mu.Unlock()
	c.emit(ev(total))
}

// DeleteRemoteSessions deletes sessions from the account's server-side
// session list (deleteRemoteSessions): at most proto.MaxDeleteConvs. A new
// device does not list them any more, the account's other devices remove
// them from their recent lists (ChangeConvDeleted), and so does this one
// (didRemoveRecentSession); the next message lists a session again. The
// messages stay. 415 offline.
func (c *Client) DeleteRemoteSessions(ctx context.Context, sessions []SessionRef) error {
	if err := checkSessionRefs(sessions); err != nil {
		return err
	}
	r, l, err := c.online()
	if err != nil {
		return err
	}
	convs := make([]string, 0, len(sessions))
	for _, ref := range sessions {
		if conv := c.convOf(r, SessionKey(ref.ChatType, ref.SessionID), ref.SessionID, ref.ChatType); conv != "" {
			convs = append(convs, conv)
		}
	}
	if err := l.call(ctx, proto.OpDeleteConvs, &proto.DeleteConvsReq{Convs: convs}, nil); err != nil {
		return err
	}
	now := c.now()
	return c.cacheFailed(r, c.change(r, func(t *tx) {
		for _, ref := range sessions {
			if s, ok := t.session(SessionKey(ref.ChatType, ref.SessionID)); ok && !s.Hidden() {
				s.HideTime = max(now, s.UpdateTime, 1)
				t.putSession(s, evRemoveSession)
			}
		}
	}))
}

// applyConvDeletedChange applies a ChangeConvDeleted: the account deleted
// the conversation from its server-side list, on this device or another.
// The session leaves the recent list, unless a message newer than the
// deletion is cached (it lists the session again, as on the server).
func applyConvDeletedChange(t *tx, ch proto.Change) error {
	if ch.Deleted {
		return nil
	}
	var cd proto.ConvDeleted
	if err := decode(ch, &cd); err != nil {
		return err
	}
	if cd.Conv == "" {
		cd.Conv = ch.Key
	}
	key := t.keyOfConv(cd.Conv, "")
	if key == "" {
		if peer := proto.P2PPeer(cd.Conv, t.r.account); peer != "" {
			key = SessionKey(proto.ChatP2P, peer)
		} else if tid := proto.TeamOfConv(cd.Conv); tid != "" {
			key = t.keyOfConv(cd.Conv, SessionKey(proto.ChatTeam, tid))
		}
	}
	s, ok := t.session(key)
	if !ok || s.Hidden() || countedTo(&s) > cd.Seq {
		return nil
	}
	if m := s.LastMsg; m != nil && (m.Seq > cd.Seq || m.Seq == 0 && m.Time > cd.Time) {
		return nil // newer, or being sent
	}
	s.HideTime = max(s.UpdateTime, cd.Time, 1)
	t.putSession(s, evRemoveSession)
	return nil
}

// UpdateRecentLocalExt sets a recent session's localExt
// (updateRecentLocalExt): a JSON object of at most MaxLocalExtBytes, or
// null to clear it. It is local (never sent), kept across reloads, and the
// latest setting wins across tabs. didUpdateRecentSession; 404 for a
// session that does not exist.
func (c *Client) UpdateRecentLocalExt(ctx context.Context, sessionID string, chatType int, localExt jx.RawMessage) error {
	if err := checkSession(sessionID, chatType); err != nil {
		return err
	}
	ext, err := normalizeLocalExt(localExt)
	if err != nil {
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
	if !ok {
		return Errf(proto.CodeNotFound, "recent session "+sessionID+" not found")
	}
	s.LocalExt, s.LocalExtAt = ext, max(s.LocalExtAt+1, now)
	t.putSession(s, evUpdateSession)
	return c.cacheFailed(r, t.commit(ctx))
}
