package core

import (
	"context"
	"encoding/json"

	"yunxin/proto"
)

// SendText sends a text message: it is cached as sending (deliveryState 1,
// willSendMessage) while it goes to the server; the server's
// acknowledgement, after it stored the message, gives it its serverID, seq
// and time (sendMessageFinish). A failure leaves it cached with
// deliveryState 0 and returns the error. The text must not be empty or
// blank and has at most 5000 characters; ext is absent or a JSON object of
// at most 1 KB.
func (c *Client) SendText(ctx context.Context, p SendTextParams) (*MessageView, error) {
	if err := checkSession(p.SessionID, p.ChatType); err != nil {
		return nil, err
	}
	if err := checkText(p.Text); err != nil {
		return nil, err
	}
	ext, err := normalizeExt(p.Ext)
	if err != nil {
		return nil, err
	}
	body, _ := json.Marshal(struct {
		Text string `json:"text"`
	}{p.Text})
	return c.send(ctx, p.SessionID, p.ChatType, proto.MsgText, body, ext)
}

func (c *Client) send(ctx context.Context, sessionID string, chatType, typ int, body, ext json.RawMessage) (*MessageView, error) {
	r, err := c.current()
	if err != nil {
		return nil, err
	}
	now := c.now()
	m := Message{ID: newID(), SK: SessionKey(chatType, sessionID), SessionID: sessionID, ChatType: chatType,
		From: r.account, Type: typ, Body: body, Ext: ext, Time: now, State: DeliverySending, Outgoing: true,
		FromClient: proto.ClientWeb}

	// 1. Stage it as sending.
	t, err := c.openTx(r)
	if err != nil {
		return nil, err
	}
	defer t.abort()
	s, kind := t.touch(m.SK, sessionID, chatType)
	mc := m
	s.LastMsg, s.UpdateTime = &mc, max(s.UpdateTime, now)
	if s.Conv == "" && chatType == proto.ChatP2P {
		s.Conv = proto.P2PConv(r.account, sessionID)
	}
	conv := s.Conv
	t.putSession(s, kind)
	t.msgs = append(t.msgs, m)
	v := m.View(0)
	will := Event{Kind: EventMessage, Data: MessageEvent{EventType: "willSendMessage", Message: &v}}
	t.events = append(t.events, will)
	c.mu.Lock()
	l := r.link
	c.mu.Unlock()

	// 2. Send it while the pending record is written: the two waits overlap.
	// The server acknowledges after a durable commit. (Should the page die
	// before the pending write lands, the sync brings the message back.)
	type result struct {
		resp proto.SendResp
		err  error
	}
	done := make(chan result, 1)
	go func() {
		var res result
		if l == nil {
			res.err = Errf(proto.CodeNetwork, "not connected")
		} else {
			res.err = l.call(ctx, proto.OpSend, proto.SendReq{Msg: proto.Msg{ClientID: m.ID, To: sessionID,
				ChatType: chatType, Type: typ, Body: body, Ext: ext}}, &res.resp)
		}
		done <- res
	}()
	if err := c.cacheFailed(r, t.commit(ctx)); err != nil {
		// The final write below stores the message with its outcome.
		c.logf("cannot cache the message being sent: " + err.Error())
		c.emit(will)
	}
	res := <-done

	// 3. Record the outcome.
	t, err = c.openTx(r)
	if err != nil { // logged out meanwhile
		if res.err != nil {
			return nil, res.err
		}
		return nil, err
	}
	defer t.abort()
	s, ok := t.session(m.SK)
	if !ok { // the pending write failed
		s = Session{Key: m.SK, ID: sessionID, ChatType: chatType, Conv: conv}
	}
	if res.err != nil {
		m.State = DeliveryFailed
	} else {
		m.State, m.ServerID, m.Seq, m.Time = DeliverySent, res.resp.ServerID, res.resp.Seq, res.resp.Time
		if res.resp.Conv != "" {
			s.Conv = res.resp.Conv
		}
		if s.SyncSeq == 0 && s.LastSeq == 0 && len(s.Ahead) == 0 {
			// Nothing of the conversation is cached from the server yet (a
			// session made here): it roams like one met by a push. Its
			// read mark comes with its conversation row (applyConv takes a
			// session's first server read mark whatever the setting).
			t.roam(&s, res.resp.Seq)
		}
		s.markSeq(res.resp.Seq)
		s.LastSeq = max(s.LastSeq, res.resp.Seq)
		if a := t.announcedOf(m.SK); a.mark(res.resp.Seq) { // sendMessageFinish announces it
			t.setAnnounced(m.SK, a)
		}
	}
	if s.LastMsg == nil || s.LastMsg.ID == m.ID || Less(s.LastMsg, &m) {
		mc := m
		s.LastMsg = &mc
		s.UpdateTime = max(s.UpdateTime, m.Time)
	}
	t.putSession(s, evUpdateSession)
	if res.err == nil {
		// A seq past a hole (messages this client has not received yet):
		// pull from the cursor, as for a push past a gap.
		t.gapPull(m.SK)
	}
	t.msgs = append(t.msgs, m)
	v = m.View(s.PeerReadSeq)
	ok = res.err == nil
	fin := MessageEvent{EventType: "sendMessageFinish", Message: &v, Success: &ok}
	if res.err != nil {
		e := AsError(res.err)
		fin.Code, fin.Msg = e.Code, e.Msg
	}
	events := []Event{{Kind: EventMessage, Data: fin}}
	if !ok {
		events = append(events, Event{Kind: EventMessage, Data: MessageEvent{EventType: "sendMessageFail",
			Message: &v, Success: &ok, Code: fin.Code, Msg: fin.Msg}})
	}
	t.events = append(t.events, events...)
	werr := c.cacheFailed(r, t.commit(ctx))
	if werr != nil {
		c.logf("cannot cache the message sent: " + werr.Error())
		c.emitAll(events)
	}
	if res.err != nil {
		return &v, res.err
	}
	if werr != nil {
		return &v, wrap("sent, but", werr)
	}
	return &v, nil
}

// SendMessageReceipt tells the peer of a P2P session that this account has
// read the session's messages up to messageID (the peer's messages get
// isRemoteRead and the peer hears onRecvMessageReceipts).
func (c *Client) SendMessageReceipt(ctx context.Context, sessionID string, chatType int, messageID string) error {
	if err := checkSession(sessionID, chatType); err != nil {
		return err
	}
	if err := checkMessageID("messageId", messageID); err != nil {
		return err
	}
	r, l, err := c.online()
	if err != nil {
		return err
	}
	sk := SessionKey(chatType, sessionID)
	c.mu.Lock()
	conv := ""
	if s := r.st.sessions.byKey[sk]; s != nil {
		conv = s.Conv
	}
	c.mu.Unlock()
	ms, err := r.cache.MessagesByID(ctx, []string{messageID})
	if err != nil {
		return wrap("cannot read the local cache", c.cacheFailed(r, err))
	}
	if len(ms) == 0 || ms[0].SK != sk {
		return Errf(proto.CodeNotFound, "message "+messageID+" not found in session "+sessionID)
	}
	if ms[0].Seq == 0 || conv == "" {
		return BadParam("messageId", "names a message the server has not stored")
	}
	return l.call(ctx, proto.OpReceipt, proto.ReceiptReq{Conv: conv, Seq: ms[0].Seq, ClientID: messageID}, nil)
}
