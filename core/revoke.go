package core

import (
	"context"

	"yunxin/internal/jx"
	"yunxin/proto"
)

// Revoking. The sender (or, in a team, the owner or a manager) asks the
// server (RevokeMessage); the server erases the message and appends a
// ChangeRevoke to every member's change log, the sender's too. Each device applies it once (applyRevoke): the message
// leaves its cache, its session is fixed (unread count, last message) and
// the page hears onRecvRevokeMessageNotification — except on the device
// that revoked, which removed the message already and tells nothing.

func init() {
	registerChange(proto.ChangeRevoke, applyRevokeChange)
}

// recRevoke is the kind of the domain record (key proto.RevokeKey) a device
// keeps of each revoke it handled (revokeRec), so that a revoke met twice
// (a push, then the sync that pages over it) is applied once, and so that
// the device that asked for it announces nothing.
const recRevoke = "revoke"

// revokeRec is the Data of a recRevoke record.
type revokeRec struct {
	Self bool `json:"self,omitempty"` // this device asked for the revoke
	Done bool `json:"done,omitempty"` // applied
}

// RevokeMessage revokes one of this account's messages (revokeMessage), in
// the server's revoke window (2 minutes by default): the message leaves the
// server, this device's cache at once (this page hears no notification, as
// with NIM) and the caches of the peer (the team's members) and of the
// account's other devices, which hear onRecvRevokeMessageNotification —
// live, or at their next sync (isRoaming) — whose fromUserId names this
// account and messageFromUserId the sender. In an advanced or super team
// the owner may revoke any member's message and a manager a normal
// member's (NetEase's rights; the server decides, with the same window).
// postscript (ours, ≤ proto.MaxPostscriptBytes) goes with the
// notification. A network failure (415, 408) after the request went out
// may hide a revoke the server made: the message then leaves this cache at
// the next sync, still without a notification here. Errors: 415 offline;
// 404 the message is not cached in that session; 403 it is not this
// account's (P2P, normal team) or, in a team, this account has no right
// over its sender; 414 it was never stored by the server (deliveryState
// not sent); 508 the revoke window passed.
func (c *Client) RevokeMessage(ctx context.Context, sessionID string, chatType int, messageID, postscript string) error {
	if err := checkSession(sessionID, chatType); err != nil {
		return err
	}
	if err := checkMessageID("messageId", messageID); err != nil {
		return err
	}
	if err := checkPostscript(postscript); err != nil {
		return err
	}
	r, l, err := c.online()
	if err != nil {
		return err
	}
	sk := SessionKey(chatType, sessionID)
	m, err := c.cachedMessage(ctx, r, sk, sessionID, messageID)
	if err != nil {
		return err
	}
	var from string // the sender, when another member's (the server decides)
	if !m.Outgoing || m.From != r.account {
		if !isTeamChat(chatType) || m.From == "" || m.From == r.account {
			return Errf(proto.CodeForbidden, "message "+messageID+" was sent by "+m.From+": only its sender may revoke it")
		}
		from = m.From
	}
	if m.Seq == 0 {
		return BadParam("messageId", "names a message the server never stored (deliveryState "+itoa(m.State)+"): there is nothing to revoke")
	}
	conv := c.convOf(r, sk, sessionID, chatType)
	key := RecordKey{recRevoke, proto.RevokeKey(conv, m.Seq)}
	// Marked as this device's before the request: its change may be pushed
	// here before the reply arrives.
	err = c.change(r, func(t *tx) {
		if _, ok := t.record(key); !ok {
			t.putRecord(revokeRecord(key, revokeRec{Self: true}))
		}
	})
	if err := c.cacheFailed(r, err); err != nil {
		return err
	}
	var rv proto.Revoke
	if err := l.call(ctx, proto.OpRevoke, &proto.RevokeReq{Conv: conv, ClientID: messageID, Postscript: postscript, From: from}, &rv); err != nil {
		if isNetwork(err) {
			// The reply was lost, not necessarily the request: the server may
			// have revoked it, and this device must not announce its own
			// revoke when the change comes. (Should it never come, the record
			// only stays: a later revoke of the message by this device is
			// quiet here anyway.)
			return err
		}
		c.change(r, func(t *tx) {
			if rec, ok := t.record(key); ok && !decodeRevokeRec(rec).Done {
				t.deleteRecord(key)
			}
		})
		return err
	}
	if rv.Conv == "" {
		rv.Conv, rv.Seq, rv.ClientID = conv, m.Seq, messageID
	}
	return c.cacheFailed(r, c.change(r, func(t *tx) {
		if err := t.applyRevoke(rv); err != nil {
			c.logf("cannot apply the revoke of " + messageID + ": " + err.Error())
		}
	}))
}

// cachedMessage returns the cached message id of session sk (sessionID),
// or 404.
func (c *Client) cachedMessage(ctx context.Context, r *run, sk, sessionID, id string) (Message, error) {
	ms, err := r.cache.MessagesByID(ctx, []string{id})
	if err != nil {
		return Message{}, wrap("cannot read the local cache", c.cacheFailed(r, err))
	}
	if len(ms) == 0 || ms[0].SK != sk {
		return Message{}, Errf(proto.CodeNotFound, "message "+id+" not found in session "+sessionID)
	}
	return ms[0], nil
}

// convOf returns the server conversation of session sk: the one the
// session knows, or the one the server derives from the accounts (P2P) or
// the team id.
func (c *Client) convOf(r *run, sk, sessionID string, chatType int) string {
	c.mu.Lock()
	s := r.st.sessions.byKey[sk]
	c.mu.Unlock()
	if s != nil && s.Conv != "" {
		return s.Conv
	}
	return sessionConv(r.account, chatType, sessionID)
}

func revokeRecord(k RecordKey, rec revokeRec) Record {
	data, _ := jx.Marshal(&rec)
	return Record{Kind: k.Kind, Key: k.Key, Data: data}
}

func decodeRevokeRec(r Record) revokeRec {
	var rec revokeRec
	jx.Unmarshal(r.Data, &rec)
	return rec
}

// applyRevokeChange applies a ChangeRevoke.
func applyRevokeChange(t *tx, ch proto.Change) error {
	if ch.Deleted {
		return nil
	}
	var rv proto.Revoke
	if err := decode(ch, &rv); err != nil {
		return err
	}
	if rv.Conv == "" || rv.Seq <= 0 {
		return Errf(proto.CodeBadParam, "revoke without a conversation or seq")
	}
	return t.applyRevoke(rv)
}

// applyRevoke applies a revoke once per device (its recRevoke record): the
// message leaves the cache; in its session, a message that counted as
// unread stops counting and a removed last message gives way to the newest
// cached one left (the session's cut mark, see Session.CutAt, keeps other
// tabs' older copies from bringing it back). Unless this device asked for
// the revoke, the page hears onRecvRevokeMessageNotification — when the
// message was cached here or its session is known (a new device's first
// sync, which meets revokes before their sessions, stays quiet), with
// isRoaming when learned by a sync. The seq counts as known in the
// session's cursors (a pull answered before the revoke neither caches nor
// announces it), and the message's kept files leave the file store after
// the commit (removeKeptFiles).
func (t *tx) applyRevoke(rv proto.Revoke) error {
	me := t.r.account
	k := RecordKey{recRevoke, proto.RevokeKey(rv.Conv, rv.Seq)}
	var rec revokeRec
	if r, ok := t.record(k); ok {
		rec = decodeRevokeRec(r)
	}
	if rec.Done {
		return nil
	}
	peer := convSessionID(rv.Conv, rv.ChatType, me)
	key := t.keyOfConv(rv.Conv, "")
	if key == "" && peer != "" {
		key = SessionKey(rv.ChatType, peer)
	}
	// Reads first: nothing is staged when they fail.
	ctx := t.r.ctx
	var m *Message
	ids := []string{rv.ClientID}
	if rv.ServerID != "" {
		ids = append(ids, "s"+rv.ServerID)
	}
	ms, err := t.r.cache.MessagesByID(ctx, ids)
	if err != nil {
		return wrap("cannot read the local cache", err)
	}
	for i := range ms {
		if ms[i].Seq == rv.Seq && (key == "" || ms[i].SK == key) {
			m = &ms[i]
			break
		}
	}
	s, known := t.session(key)
	var newest *Message
	gone := rv.ClientID
	if m != nil {
		gone = m.ID
	}
	if known && s.LastMsg != nil && (s.LastMsg.ID == gone || s.LastMsg.Seq == rv.Seq) {
		if newest, err = t.newestExcept(key, s.LastMsg.ID); err != nil {
			return err
		}
	}

	if m != nil {
		t.dropMessage(m.ID)
		t.removeKeptFiles(*m)
	}
	if known {
		changed := false
		// The seq is known from now on: a pull answered before the revoke
		// (a gap pull, a stale page) neither caches nor announces it.
		if s.markSeq(rv.Seq) {
			s.LastSeq = max(s.LastSeq, rv.Seq)
			changed = true
		}
		if a := t.announcedOf(key); a.mark(rv.Seq) {
			t.setAnnounced(key, a)
		}
		if !t.syncing {
			t.gapPull(key) // marking it may leave a hole before it
		}
		if m != nil {
			if !m.Outgoing && m.Seq > s.ReadSeq && s.Unread > 0 {
				s.Unread--
				changed = true
			}
			// Only the tab that removed the message claims the cut (its
			// unread count wins a merge tie): another tab that finds it
			// gone already merely catches up.
			s.CutAt = max(s.CutAt+1, t.c.now())
			s.raiseCut(m)
			changed = true
		}
		if s.LastMsg != nil && (s.LastMsg.ID == gone || s.LastMsg.Seq == rv.Seq) {
			s.raiseCut(s.LastMsg)
			s.LastMsg = newest
			changed = true
		}
		if changed {
			t.putSession(s, evUpdateSession)
		}
	}
	if !rec.Self && (m != nil || known) {
		n := RevokeNotificationView{NotificationType: 7, FromUserID: rv.By, MessageFromUserID: rv.MsgFrom,
			Session: SessionRef{peer, rv.ChatType}, SessionID: peer, Timestamp: rv.MsgTime,
			IsRoaming: t.syncing, Postscript: rv.Postscript}
		if isTeamChat(rv.ChatType) {
			n.NotificationType = 8
		}
		if m != nil {
			v := m.View(s.PeerReadSeq)
			n.Message = &v
		}
		t.events = append(t.events, Event{Kind: EventMessage, Data: MessageEvent{
			EventType: "onRecvRevokeMessageNotification", Notification: &n}})
	}
	rec.Done = true
	t.putRecord(revokeRecord(k, rec))
	return nil
}

// revokeDone reports whether this device applied the revoke of the message
// at seq of conversation conv (as t sees its records).
func (t *tx) revokeDone(conv string, seq int64) bool {
	r, ok := t.record(RecordKey{recRevoke, proto.RevokeKey(conv, seq)})
	return ok && decodeRevokeRec(r).Done
}

// revokeDoneIn is revokeDone over installed records (the caller holds
// Client.mu).
func revokeDoneIn(records map[RecordKey]Record, conv string, seq int64) bool {
	r, ok := records[RecordKey{recRevoke, proto.RevokeKey(conv, seq)}]
	return ok && decodeRevokeRec(r).Done
}

// removeKeptFiles has the files of the revoked message m that the local
// file store keeps (keptKeys: its own sent files, downloads) removed once t
// is committed, outside the locks, best effort (removeKept: a failure is
// logged, the page's paths of those keys are forgotten). A forwarded copy
// that shares a download of the same url then shows no local path until
// downloaded again.
func (t *tx) removeKeptFiles(m Message) {
	m.Deleted = true // its downloads go too (keptKeys)
	if len(keptKeys(t.r.account, m, true)) == 0 {
		return
	}
	c, r := t.c, t.r
	t.after = append(t.after, func() {
		go func() { // IndexedDB work, off the caller (a push handler, a tx)
			defer func() {
				if p := recover(); p != nil {
					c.logf("removing the files of a revoked message: internal error: " + panicText(p))
				}
			}()
			c.removeKept(r, m)
		}()
	})
}

// raiseCut raises the session's cut mark (CutT, CutID) to message m.
func (s *Session) raiseCut(m *Message) {
	if cutBefore(s.CutT, s.CutID, m.Time, m.ID) {
		s.CutT, s.CutID = m.Time, m.ID
	}
}

// dropMessage stages the deletion of the cached message id (and drops it
// from what t staged).
func (t *tx) dropMessage(id string) {
	kept := t.msgs[:0]
	for _, m := range t.msgs {
		if m.ID != id {
			kept = append(kept, m)
		}
	}
	t.msgs = kept
	added := t.addMsgs[:0]
	for _, m := range t.addMsgs {
		if m.ID != id {
			added = append(added, m)
		}
	}
	t.addMsgs = added
	t.delMsgs = append(t.delMsgs, id)
}

// newestExcept returns a copy of the newest cached message of session key
// that is not deleted, not one of except and not deleted by t, or nil.
func (t *tx) newestExcept(key string, except ...string) (*Message, error) {
	skip := map[string]bool{}
	for _, id := range except {
		skip[id] = true
	}
	for _, id := range t.delMsgs {
		skip[id] = true
	}
	ms, err := t.r.cache.Messages(t.r.ctx, Query{SK: key, Limit: len(skip) + 1})
	if err != nil {
		return nil, wrap("cannot read the local cache", err)
	}
	for i := len(ms) - 1; i >= 0; i-- {
		if !skip[ms[i].ID] {
			m := ms[i]
			return &m, nil
		}
	}
	return nil, nil
}
