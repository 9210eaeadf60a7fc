package core

import (
	"context"
	"encoding/json"
	"slices"
	"sort"

	"yunxin/proto"
)

// RoamLimit is how many of a conversation's latest messages a client fetches
// when it meets the conversation for the first time (a new device, or a
// conversation created elsewhere). Older ones stay on the server.
const RoamLimit = 100

// sync brings the cache up to date after a login: the conversations that
// changed since the last sync (by the account's change counter), then every
// message after each conversation's cursor, in batches of up to
// proto.MaxPull, each written to the cache in one transaction.
func (c *Client) sync(ctx context.Context, l *link) error {
	c.mu.Lock()
	since := c.meta.Ver
	c.mu.Unlock()
	var resp proto.SyncResp
	if err := l.call(ctx, proto.OpSync, proto.SyncReq{Since: since}, &resp); err != nil {
		return err
	}
	if err := c.applyConvs(ctx, resp.Convs, false); err != nil {
		return err
	}
	// Pull every changed conversation from its cursor.
	var cursors []proto.Cursor
	c.mu.Lock()
	for _, cv := range resp.Convs {
		if s := c.byConv[cv.ID]; s != nil && cv.LastSeq > s.SyncSeq {
			cursors = append(cursors, proto.Cursor{Conv: cv.ID, After: s.SyncSeq})
		}
	}
	c.mu.Unlock()
	if err := c.pull(ctx, l, cursors, false); err != nil {
		return err
	}
	// The server's unread counts and read marks win once the messages are
	// in, except where this client read further while offline: those marks
	// go to the server now.
	if err := c.applyConvs(ctx, resp.Convs, true); err != nil {
		return err
	}
	for _, r := range c.unsentReads(resp.Convs) {
		if err := l.call(ctx, proto.OpRead, r, nil); err != nil && AsError(err).Code == proto.CodeNetwork {
			return err
		}
	}
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	c.mu.Lock()
	if c.cache == nil || c.link != l {
		c.mu.Unlock()
		return Errf(proto.CodeNetwork, "logged out")
	}
	c.meta.Ver = resp.Ver
	m, cache := c.meta, c.cache
	c.mu.Unlock()
	return cache.Apply(ctx, &Batch{Meta: &m})
}

// pull fetches messages after the cursors until the server says there are no
// more, ingesting each batch.
func (c *Client) pull(ctx context.Context, l *link, cursors []proto.Cursor, live bool) error {
	for len(cursors) > 0 {
		var resp proto.PullResp
		if err := l.call(ctx, proto.OpPull, proto.PullReq{Cursors: cursors, Limit: proto.MaxPull}, &resp); err != nil {
			return err
		}
		if err := c.ingest(ctx, resp.Msgs, live); err != nil {
			return err
		}
		if !resp.More || len(resp.Msgs) == 0 {
			return nil
		}
		last := map[string]int64{}
		for _, m := range resp.Msgs {
			if m.Seq > last[m.Conv] {
				last[m.Conv] = m.Seq
			}
		}
		next := cursors[:0]
		for _, cur := range cursors {
			if s, ok := last[cur.Conv]; ok {
				cur.After = s
			}
			next = append(next, cur)
		}
		// A conversation the server did not reach this time keeps its
		// cursor; one it finished cannot be told apart from one it cut, so
		// all are asked again and finished ones answer nothing.
		cursors = next
	}
	return nil
}

// applyConvs merges server conversation rows into the sessions. Before the
// pull (final=false) it creates missing sessions with their roaming cursor
// and takes receipts; after it (final=true) it also takes the read marks and
// unread counts when shouldSyncUnreadCount is on.
func (c *Client) applyConvs(ctx context.Context, convs []proto.Conv, final bool) error {
	if len(convs) == 0 {
		return nil
	}
	var events []Event
	c.writeMu.Lock()
	c.mu.Lock()
	if c.cache == nil {
		c.mu.Unlock()
		c.writeMu.Unlock()
		return Errf(proto.CodeNetwork, "logged out")
	}
	me, syncUnread, cache := c.account, c.cfg.ShouldSyncUnreadCount, c.cache
	var b Batch
	for _, cv := range convs {
		if cv.ChatType != proto.ChatP2P {
			continue // later groups
		}
		peer := proto.P2PPeer(cv.ID, me)
		if peer == "" {
			continue
		}
		s := c.byConv[cv.ID]
		if s == nil {
			s = c.sessions[SessionKey(cv.ChatType, peer)]
		}
		if s == nil {
			s = &Session{Key: SessionKey(cv.ChatType, peer), ID: peer, ChatType: cv.ChatType, UpdateTime: cv.LastTime}
			s.SyncSeq = max(0, cv.LastSeq-RoamLimit)
			s.ReadSeq = cv.ReadSeq
			c.sessions[s.Key] = s
		}
		if s.Conv == "" {
			s.Conv = cv.ID
			c.byConv[cv.ID] = s
		}
		changed := false
		if cv.LastSeq > s.LastSeq {
			s.LastSeq, changed = cv.LastSeq, true
		}
		if cv.PeerReadSeq > s.PeerReadSeq {
			s.PeerReadSeq, s.PeerReadTime, changed = cv.PeerReadSeq, cv.PeerReadTime, true
		}
		if final && syncUnread && cv.ReadSeq >= s.ReadSeq && (cv.ReadSeq != s.ReadSeq || cv.Unread != s.Unread) && cv.LastSeq >= s.LastSeq {
			s.ReadSeq, s.Unread, changed = cv.ReadSeq, cv.Unread, true
		}
		if changed || !final {
			b.Sessions = append(b.Sessions, *s)
		}
		if changed && final && !s.Hidden() {
			events = append(events, c.sessionEvent("didUpdateRecentSession", s))
		}
	}
	c.mu.Unlock()
	err := cache.Apply(ctx, &b)
	c.writeMu.Unlock()
	c.emitAll(events)
	return err
}

// unsentReads returns read requests for the conversations whose local read
// mark is ahead of the server's (marked read while offline), when read marks
// are synced.
func (c *Client) unsentReads(convs []proto.Conv) []proto.ReadReq {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.cfg.ShouldSyncUnreadCount {
		return nil
	}
	var out []proto.ReadReq
	for _, cv := range convs {
		if s := c.byConv[cv.ID]; s != nil && s.ReadSeq > cv.ReadSeq {
			out = append(out, proto.ReadReq{Conv: cv.ID, Seq: s.ReadSeq})
		}
	}
	return out
}

func (c *Client) emitAll(events []Event) {
	for _, e := range events {
		c.emit(e)
	}
}

// sessionEvent builds a session listener event; c.mu must be held.
func (c *Client) sessionEvent(kind string, s *Session) Event {
	v := s.View()
	total := 0
	for _, x := range c.sessions {
		if !x.Hidden() {
			total += x.Unread
		}
	}
	return Event{Kind: EventSession, Data: SessionEvent{EventType: kind, RecentSession: &v,
		Session: &SessionRef{s.ID, s.ChatType}, TotalUnreadCount: total}}
}

// ingest stores messages from the server (a pull batch or a push) in one
// cache transaction, skipping ones already cached, and reports the new ones.
// It returns the conversations left with a gap (a message arrived whose
// predecessors are missing) through c.fillGaps.
func (c *Client) ingest(ctx context.Context, msgs []proto.Msg, live bool) error {
	if len(msgs) == 0 {
		return nil
	}
	var events []Event
	var gaps []proto.Cursor
	c.writeMu.Lock()
	c.mu.Lock()
	if c.cache == nil {
		c.mu.Unlock()
		c.writeMu.Unlock()
		return Errf(proto.CodeNetwork, "logged out")
	}
	me, cache := c.account, c.cache
	var b Batch
	var fresh []MessageView
	touched := map[*Session]string{} // session → event kind
	for _, pm := range msgs {
		if pm.ChatType != proto.ChatP2P {
			continue
		}
		peer := proto.P2PPeer(pm.Conv, me)
		if peer == "" || pm.Seq <= 0 {
			continue
		}
		s := c.byConv[pm.Conv]
		if s == nil {
			s = c.sessions[SessionKey(pm.ChatType, peer)]
		}
		kind := "didUpdateRecentSession"
		if s == nil {
			s = &Session{Key: SessionKey(pm.ChatType, peer), ID: peer, ChatType: pm.ChatType,
				SyncSeq: max(0, pm.Seq-RoamLimit)}
			c.sessions[s.Key] = s
			kind = "didAddRecentSession"
		} else if s.Hidden() && pm.Time > s.HideTime {
			kind = "didAddRecentSession"
		}
		if s.Conv == "" {
			s.Conv = pm.Conv
			c.byConv[pm.Conv] = s
		}
		if !s.markSeq(pm.Seq) {
			continue // already cached
		}
		m := Message{ID: pm.ClientID, SK: s.Key, SessionID: peer, ChatType: pm.ChatType, ServerID: pm.ServerID,
			Seq: pm.Seq, From: pm.From, Type: pm.Type, Body: pm.Body, Ext: pm.Ext, Time: pm.Time,
			State: DeliverySent, Outgoing: pm.From == me, FromClient: pm.FromClient}
		if m.ID == "" {
			m.ID = "s" + pm.ServerID
		}
		b.Messages = append(b.Messages, m)
		if !m.Outgoing && m.Seq > s.ReadSeq {
			s.Unread++
		}
		if m.Seq > s.LastSeq {
			s.LastSeq = m.Seq
		}
		if s.LastMsg == nil || Less(s.LastMsg, &m) {
			mc := m
			s.LastMsg = &mc
			s.UpdateTime = max(s.UpdateTime, m.Time)
		}
		fresh = append(fresh, m.View(s.PeerReadSeq))
		if _, ok := touched[s]; !ok || kind == "didAddRecentSession" {
			touched[s] = kind
		}
	}
	for s := range touched {
		b.Sessions = append(b.Sessions, *s)
		if len(s.Ahead) > 0 {
			gaps = append(gaps, proto.Cursor{Conv: s.Conv, After: s.SyncSeq})
		}
	}
	sort.Slice(b.Sessions, func(i, j int) bool { return b.Sessions[i].UpdateTime < b.Sessions[j].UpdateTime })
	for _, s := range b.Sessions {
		events = append(events, c.sessionEvent(touched[c.sessions[s.Key]], c.sessions[s.Key]))
	}
	c.mu.Unlock()
	err := cache.Apply(ctx, &b)
	c.writeMu.Unlock()
	if err != nil {
		return err
	}
	if len(fresh) > 0 {
		c.emit(Event{Kind: EventMessage, Data: MessageEvent{EventType: "onRecvMessages", Messages: fresh}})
	}
	c.emitAll(events)
	if live && len(gaps) > 0 {
		go c.fillGaps(gaps)
	}
	return nil
}

// markSeq records that the message with seq is cached, advancing SyncSeq
// over contiguous seqs. It returns false when seq was cached already.
func (s *Session) markSeq(seq int64) bool {
	if seq <= s.SyncSeq {
		return false
	}
	i := sort.Search(len(s.Ahead), func(i int) bool { return s.Ahead[i] >= seq })
	if i < len(s.Ahead) && s.Ahead[i] == seq {
		return false
	}
	// Ahead is replaced, never changed in place: copies of the session
	// handed to the cache share it.
	if seq == s.SyncSeq+1 {
		s.SyncSeq = seq
		k := 0
		for k < len(s.Ahead) && s.Ahead[k] == s.SyncSeq+1 {
			s.SyncSeq = s.Ahead[k]
			k++
		}
		s.Ahead = slices.Clone(s.Ahead[k:])
		if len(s.Ahead) == 0 {
			s.Ahead = nil
		}
		return true
	}
	s.Ahead = slices.Insert(slices.Clone(s.Ahead), i, seq)
	return true
}

// fillGaps pulls the messages missing before live pushes, once per
// conversation at a time.
func (c *Client) fillGaps(cursors []proto.Cursor) {
	c.mu.Lock()
	l, r := c.link, c.active
	var todo []proto.Cursor
	for _, cur := range cursors {
		if !c.pulling[cur.Conv] {
			c.pulling[cur.Conv] = true
			todo = append(todo, cur)
		}
	}
	c.mu.Unlock()
	if l == nil || r == nil || len(todo) == 0 {
		return
	}
	c.pull(r.ctx, l, todo, true)
	c.mu.Lock()
	for _, cur := range todo {
		delete(c.pulling, cur.Conv)
	}
	c.mu.Unlock()
}

// onPush handles a server push on link l of run r.
func (c *Client) onPush(r *run, l *link, op string, data json.RawMessage) {
	defer func() { recover() }() // a bad push must not kill the runtime
	switch op {
	case proto.PushMsg:
		var m proto.Msg
		if json.Unmarshal(data, &m) == nil {
			c.ingest(r.ctx, []proto.Msg{m}, true)
		}
	case proto.PushChange:
		var ch proto.Change
		if json.Unmarshal(data, &ch) != nil {
			return
		}
		switch ch.Kind {
		case proto.ChangeConv:
			var cv proto.Conv
			if json.Unmarshal(ch.Data, &cv) == nil {
				c.applyConvs(r.ctx, []proto.Conv{cv}, true)
			}
		case proto.ChangeReceipt:
			var rc proto.Receipt
			if json.Unmarshal(ch.Data, &rc) == nil {
				c.onReceipt(r.ctx, rc)
			}
		}
	case proto.PushClients:
		var cl proto.Clients
		if json.Unmarshal(data, &cl) == nil {
			c.mu.Lock()
			typ := 3
			if len(cl.Clients) > len(c.clients) {
				typ = 2
			}
			c.clients = cl.Clients
			c.mu.Unlock()
			c.emitAccount(AccountEvent{EventType: "multiLoginClientsChanged", Type: typ, Clients: clientViews(cl.Clients)})
		}
	case proto.PushKick:
		var k proto.Kick
		json.Unmarshal(data, &k)
		c.emitAccount(AccountEvent{EventType: "kickout", ReasonCode: k.Reason, ClientType: k.ClientType, ReasonDesc: k.Desc})
		go c.stop(r) // kicked: no reconnect
	}
}

// onReceipt records that the peer read this account's messages up to rc.Seq.
func (c *Client) onReceipt(ctx context.Context, rc proto.Receipt) {
	c.writeMu.Lock()
	c.mu.Lock()
	s := c.byConv[rc.Conv]
	if s == nil || c.cache == nil || rc.Seq <= s.PeerReadSeq {
		c.mu.Unlock()
		c.writeMu.Unlock()
		return
	}
	s.PeerReadSeq, s.PeerReadTime = rc.Seq, rc.Time
	cache, rec := c.cache, *s
	ev := c.sessionEvent("didUpdateRecentSession", s)
	c.mu.Unlock()
	err := cache.Apply(ctx, &Batch{Sessions: []Session{rec}})
	c.writeMu.Unlock()
	if err != nil {
		return
	}
	ref := SessionRef{rec.ID, rec.ChatType}
	c.emit(Event{Kind: EventMessage, Data: MessageEvent{EventType: "onRecvMessageReceipts",
		Receipts: []ReceiptView{{Session: ref, SessionID: rec.ID, Timestamp: rc.Time, MessageID: rc.ClientID}}}})
	if !rec.Hidden() {
		c.emit(ev)
	}
}
