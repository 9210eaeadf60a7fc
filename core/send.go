package core

import (
	"context"
	"encoding/json"
	"unicode/utf8"

	"yunxin/proto"
)

// checkSession validates a sessionId/chatType pair of this scope.
func checkSession(sessionID string, chatType int) error {
	if chatType != proto.ChatP2P {
		switch chatType {
		case proto.ChatTeam, proto.ChatRoom, proto.ChatYsf, proto.ChatSuperTeam:
			return ErrNotSupported("chatType " + itoa(chatType))
		}
		return BadParam("chatType", "must be 0, 1, 2, 3 or 5")
	}
	if sessionID == "" {
		return BadParam("sessionId", "is required")
	}
	if !proto.ValidAccount(sessionID) {
		return BadParam("sessionId", "is not a valid account id")
	}
	return nil
}

// CheckExt validates a remoteExt value: a JSON object of at most 1 KB.
func CheckExt(ext json.RawMessage) error {
	if len(ext) == 0 || string(ext) == "null" {
		return nil
	}
	if ext[0] != '{' || !json.Valid(ext) {
		return BadParam("ext", "must be a JSON object")
	}
	if len(ext) > proto.MaxExtBytes {
		return BadParam("ext", "must be at most 1 KB as JSON")
	}
	return nil
}

// SendText sends a text message: it is cached as sending (deliveryState 1,
// willSendMessage) while it goes to the server; the server's
// acknowledgement, after it stored the message, gives it its serverID, seq
// and time (sendMessageFinish). A failure leaves it cached with
// deliveryState 0 and returns the error.
func (c *Client) SendText(ctx context.Context, p SendTextParams) (*MessageView, error) {
	if err := checkSession(p.SessionID, p.ChatType); err != nil {
		return nil, err
	}
	if p.Text == "" {
		return nil, BadParam("text", "is required")
	}
	if utf8.RuneCountInString(p.Text) > proto.MaxTextRunes {
		return nil, BadParam("text", "must be at most 5000 characters")
	}
	if err := CheckExt(p.Ext); err != nil {
		return nil, err
	}
	if string(p.Ext) == "null" {
		p.Ext = nil
	}
	body, _ := json.Marshal(struct {
		Text string `json:"text"`
	}{p.Text})
	return c.send(ctx, p.SessionID, p.ChatType, proto.MsgText, body, p.Ext)
}

func (c *Client) send(ctx context.Context, sessionID string, chatType, typ int, body, ext json.RawMessage) (*MessageView, error) {
	now := c.now()
	m := Message{ID: newID(), SK: SessionKey(chatType, sessionID), SessionID: sessionID, ChatType: chatType,
		Type: typ, Body: body, Ext: ext, Time: now, State: DeliverySending, Outgoing: true, FromClient: proto.ClientWeb}

	// 1. Cache it as sending.
	var ev Event
	c.writeMu.Lock()
	c.mu.Lock()
	if c.active == nil || c.cache == nil {
		c.mu.Unlock()
		c.writeMu.Unlock()
		return nil, Errf(proto.CodeNetwork, "not logged in")
	}
	m.From = c.account
	s, kind := c.touchSession(m.SK, sessionID, chatType)
	mc := m
	s.LastMsg, s.UpdateTime = &mc, max(s.UpdateTime, now)
	if s.Conv == "" && chatType == proto.ChatP2P {
		s.Conv = proto.P2PConv(c.account, sessionID)
		c.byConv[s.Conv] = s
	}
	rec, cache, l, conv := *s, c.cache, c.link, s.Conv
	ev = c.sessionEvent(kind, s)
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
		var r result
		if l == nil {
			r.err = Errf(proto.CodeNetwork, "not connected")
		} else {
			r.err = l.call(ctx, proto.OpSend, proto.SendReq{Msg: proto.Msg{ClientID: m.ID, To: sessionID,
				ChatType: chatType, Type: typ, Body: body, Ext: ext}}, &r.resp)
		}
		done <- r
	}()
	// A failure here is superseded by the final write below, which reports its own.
	cache.Apply(ctx, &Batch{Messages: []Message{m}, Sessions: []Session{rec}})
	c.writeMu.Unlock()
	v := m.View(0)
	c.emit(Event{Kind: EventMessage, Data: MessageEvent{EventType: "willSendMessage", Message: &v}})
	c.emit(ev)
	res := <-done
	resp, err := res.resp, res.err

	// 3. Record the outcome.
	c.writeMu.Lock()
	c.mu.Lock()
	if c.cache != cache { // logged out meanwhile
		c.mu.Unlock()
		c.writeMu.Unlock()
		if err == nil {
			err = Errf(proto.CodeNetwork, "logged out")
		}
		return nil, err
	}
	s = c.sessions[m.SK]
	if err != nil {
		m.State = DeliveryFailed
	} else {
		m.State, m.ServerID, m.Seq, m.Time = DeliverySent, resp.ServerID, resp.Seq, resp.Time
		if resp.Conv != "" && resp.Conv != conv {
			s.Conv = resp.Conv
			c.byConv[resp.Conv] = s
		}
		s.markSeq(resp.Seq)
		if resp.Seq > s.LastSeq {
			s.LastSeq = resp.Seq
		}
	}
	if s.LastMsg != nil && s.LastMsg.ID == m.ID {
		mc := m
		s.LastMsg = &mc
		s.UpdateTime = max(s.UpdateTime, m.Time)
	}
	rec = *s
	ev = c.sessionEvent("didUpdateRecentSession", s)
	c.mu.Unlock()
	werr := cache.Apply(ctx, &Batch{Messages: []Message{m}, Sessions: []Session{rec}})
	c.writeMu.Unlock()
	v = m.View(rec.PeerReadSeq)
	ok := err == nil
	fin := MessageEvent{EventType: "sendMessageFinish", Message: &v, Success: &ok}
	if err != nil {
		e := AsError(err)
		fin.Code, fin.Msg = e.Code, e.Msg
	}
	c.emit(Event{Kind: EventMessage, Data: fin})
	if !ok {
		c.emit(Event{Kind: EventMessage, Data: MessageEvent{EventType: "sendMessageFail", Message: &v, Success: &ok, Code: fin.Code, Msg: fin.Msg}})
	}
	c.emit(ev)
	if err != nil {
		return &v, err
	}
	if werr != nil {
		return &v, Errf(proto.CodeServer, "sent, but the local cache failed: "+werr.Error())
	}
	return &v, nil
}

// touchSession returns the session with key sk, creating it or showing a
// hidden one, and the session event kind that fits; c.mu must be held.
func (c *Client) touchSession(sk, id string, chatType int) (*Session, string) {
	s := c.sessions[sk]
	if s == nil {
		s = &Session{Key: sk, ID: id, ChatType: chatType}
		c.sessions[sk] = s
		return s, "didAddRecentSession"
	}
	if s.Hidden() {
		s.UpdateTime = s.HideTime + 1 // shown again; callers may move it further
		return s, "didAddRecentSession"
	}
	return s, "didUpdateRecentSession"
}

// SendMessageReceipt tells the peer of a P2P session that this account has
// read the session's messages up to messageID (the peer's messages get
// isRemoteRead and the peer hears onRecvMessageReceipts).
func (c *Client) SendMessageReceipt(ctx context.Context, sessionID string, chatType int, messageID string) error {
	if err := checkSession(sessionID, chatType); err != nil {
		return err
	}
	if messageID == "" {
		return BadParam("messageId", "is required")
	}
	l, err := c.online()
	if err != nil {
		return err
	}
	c.mu.Lock()
	cache := c.cache
	s := c.sessions[SessionKey(chatType, sessionID)]
	conv := ""
	if s != nil {
		conv = s.Conv
	}
	c.mu.Unlock()
	if cache == nil {
		return Errf(proto.CodeNetwork, "not logged in")
	}
	ms, err := cache.MessagesByID(ctx, []string{messageID})
	if err != nil {
		return Errf(proto.CodeServer, err.Error())
	}
	if len(ms) == 0 || ms[0].SK != SessionKey(chatType, sessionID) {
		return Errf(proto.CodeNotFound, "message "+messageID+" not found in session "+sessionID)
	}
	if ms[0].Seq == 0 || conv == "" {
		return BadParam("messageId", "names a message the server has not stored")
	}
	return l.call(ctx, proto.OpReceipt, proto.ReceiptReq{Conv: conv, Seq: ms[0].Seq, ClientID: messageID}, nil)
}
