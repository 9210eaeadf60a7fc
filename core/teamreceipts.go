package core

import (
	"context"
	"slices"

	"yunxin/proto"
)

// Team message receipts (teamReceiptEnabled). A team message sent with
// Config.TeamReceiptEnabled asks its readers for receipts (Message.
// TeamReceipt); its send's reply gives its first unread count. Readers
// call SendTeamMessageReceipts; every receipt the server records appends a
// ChangeTeamReceipt to the sender's log, which updates the cached message's
// teamReceiptInfo and reports onRecvMessageReceipts on every tab of the
// sender's devices, once per tab and count.

func init() {
	registerChange(proto.ChangeTeamReceipt, applyTeamReceiptChange)
}

// SendTeamMessageReceipts tells the senders of messages of a team session
// that the logged-in account has read them (sendTeamMessageReceipts).
// messageIds names 1…proto.MaxTeamReceiptSeqs cached messages of the
// session (404 for one that is not); the account's own messages, those
// that did not ask for receipts, those not stored by the server yet and
// those this device acknowledged already are skipped. The messages
// acknowledged get isTeamReceiptSended. 415 offline.
func (c *Client) SendTeamMessageReceipts(ctx context.Context, sessionID string, chatType int, messageIDs []string) error {
	if err := checkSession(sessionID, chatType); err != nil {
		return err
	}
	if !isTeamChat(chatType) {
		return BadParam("chatType", "must be 1 (team) or 5 (super team)")
	}
	if len(messageIDs) == 0 {
		return BadParam("messageIds", "must not be empty")
	}
	if len(messageIDs) > proto.MaxTeamReceiptSeqs {
		return BadParam("messageIds", "has more than "+itoa(proto.MaxTeamReceiptSeqs)+" entries")
	}
	for _, id := range messageIDs {
		if err := checkMessageID("messageIds", id); err != nil {
			return err
		}
	}
	r, l, err := c.online()
	if err != nil {
		return err
	}
	sk := SessionKey(chatType, sessionID)
	ms, err := r.cache.MessagesByID(ctx, messageIDs)
	if err != nil {
		return wrap("cannot read the local cache", c.cacheFailed(r, err))
	}
	byID := make(map[string]Message, len(ms))
	for _, m := range ms {
		if m.SK == sk && !m.Deleted {
			byID[m.ID] = m
		}
	}
	var seqs []int64
	for _, id := range messageIDs {
		m, ok := byID[id]
		if !ok {
			return Errf(proto.CodeNotFound, "message "+id+" not found in session "+sessionID)
		}
		if m.Outgoing || !m.TeamReceipt || m.Seq <= 0 || m.ReceiptSent || slices.Contains(seqs, m.Seq) {
			continue
		}
		seqs = append(seqs, m.Seq)
	}
	if len(seqs) == 0 {
		return nil
	}
	var resp proto.TeamReceiptResp
	if err := l.call(ctx, proto.OpTeamReceipt, &proto.TeamReceiptReq{TeamID: sessionID, Seqs: seqs}, &resp); err != nil {
		return err
	}
	if len(resp.Seqs) == 0 {
		return nil
	}
	err = c.change(r, func(t *tx) {
		// Read again under the write lock: local changes made meanwhile stay.
		cur, err := r.cache.MessagesByID(r.ctx, messageIDs)
		if err != nil {
			c.logf("cannot mark team receipts sent: " + err.Error())
			return
		}
		for _, m := range cur {
			if m.SK == sk && !m.ReceiptSent && slices.Contains(resp.Seqs, m.Seq) {
				m.ReceiptSent = true
				t.msgs = append(t.msgs, m)
			}
		}
	})
	if err != nil && err != errLoggedOut {
		return wrap("receipts sent, but", c.cacheFailed(r, err))
	}
	return nil
}

// applyTeamReceiptChange applies a ChangeTeamReceipt: new counts of one of
// the account's team messages.
func applyTeamReceiptChange(t *tx, ch proto.Change) error {
	if ch.Deleted {
		return nil
	}
	var info proto.TeamReceiptInfo
	if err := decode(ch, &info); err != nil {
		return err
	}
	if info.Conv == "" || info.Seq <= 0 {
		return Errf(proto.CodeBadParam, "team receipt without a conversation or seq")
	}
	return t.applyTeamReceipt(info)
}

// teamReceiptMark is the key of a team message's reported read count in
// this tab's announced receipt marks (sessionState.receipts): it cannot be
// a session key, which has no "t|" prefix.
func teamReceiptMark(conv string, seq int64) string {
	return "t|" + conv + "|" + itoa(int(seq))
}

// receiptFits reports whether a team receipt of the message at seq is for
// m, of its client id: m is at seq, or m is this account's message still
// being sent (no seq yet: the receipt came before the send's reply), whose
// counts its send's finish then keeps.
func receiptFits(m *Message, seq int64) bool {
	return m.Seq == seq || m.Seq == 0 && m.State == DeliverySending && m.Outgoing
}

// applyTeamReceipt stores info's counts on the cached message (never
// lowering its read count) and reports onRecvMessageReceipts with its
// teamReceiptInfo, once per tab and read count. A receipt of a session not
// met yet only updates the message, if cached.
func (t *tx) applyTeamReceipt(info proto.TeamReceiptInfo) error {
	key := t.keyOfConv(info.Conv, "")
	var m *Message
	// A message staged by this tx (an earlier change of the same page).
	for i := len(t.msgs) - 1; i >= 0; i-- {
		if t.msgs[i].ID == info.ClientID && receiptFits(&t.msgs[i], info.Seq) {
			mc := t.msgs[i]
			m = &mc
			break
		}
	}
	if m == nil && info.ClientID != "" {
		ms, err := t.r.cache.MessagesByID(t.r.ctx, []string{info.ClientID})
		if err != nil {
			return wrap("cannot read the local cache", err)
		}
		for i := range ms {
			if receiptFits(&ms[i], info.Seq) && (key == "" || ms[i].SK == key) && ms[i].Outgoing {
				m = &ms[i]
				break
			}
		}
	}
	if m != nil && m.Seq == 0 {
		// Still being sent (here or in another tab): the send's finish
		// takes the counts from memory; rewriting the sending copy could
		// undo another tab's finish.
		t.c.mu.Lock()
		if e, ok := t.r.st.sessions.early[m.ID]; !ok || info.Read > e.Read {
			t.r.st.sessions.early[m.ID] = info
		}
		t.c.mu.Unlock()
		m = nil
	}
	if m != nil && info.Read >= m.ReceiptRead && (info.Read != m.ReceiptRead || info.Unread != m.ReceiptUnread || !m.TeamReceipt) {
		m.TeamReceipt, m.ReceiptRead, m.ReceiptUnread = true, info.Read, info.Unread
		t.msgs = append(t.msgs, *m)
	}
	if key == "" {
		return nil
	}
	s, ok := t.session(key)
	if !ok {
		return nil
	}
	mark := teamReceiptMark(info.Conv, info.Seq)
	if int64(info.Read) <= t.receiptMark(mark) { // this tab reported it already
		return nil
	}
	if t.receipts == nil {
		t.receipts = map[string]int64{}
	}
	t.receipts[mark] = int64(info.Read)
	if m != nil {
		// Its view reports the counts too (a page listing it re-reads it).
		if s.LastMsg != nil && s.LastMsg.ID == m.ID {
			lm := *s.LastMsg
			lm.TeamReceipt, lm.ReceiptRead, lm.ReceiptUnread = true, m.ReceiptRead, m.ReceiptUnread
			s.LastMsg = &lm
			t.putSession(s, "")
		}
	}
	rv := ReceiptView{Session: SessionRef{s.ID, s.ChatType}, SessionID: s.ID, Timestamp: info.Time,
		MessageID: info.ClientID, TeamReceiptInfo: &TeamReceiptInfo{ReadCount: info.Read, UnreadCount: info.Unread}}
	if n := len(t.events); n > 0 {
		if e, ok := t.events[n-1].Data.(MessageEvent); ok && e.EventType == "onRecvMessageReceipts" {
			e.Receipts = append(e.Receipts, rv)
			t.events[n-1].Data = e
			return nil
		}
	}
	t.events = append(t.events, Event{Kind: EventMessage, Data: MessageEvent{EventType: "onRecvMessageReceipts",
		Receipts: []ReceiptView{rv}}})
	return nil
}
