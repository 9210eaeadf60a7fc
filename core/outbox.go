package core

import (
	"context"
	"strings"

	"yunxin/internal/jx"
	"yunxin/proto"
)

// The outbox. A message sent with reSend (the doc's default, true; core's
// zero value is false, which keeps the immediate 415 offline) is recorded
// as a domain record of kind "outbox" in the same write that caches it as
// sending, and removed in the write that records its outcome (sent, failed
// for good, cancelled, deleted). Until then it stays deliveryState 1: sent
// while offline, or failed on the network (415, 408) on a connection that
// is gone, it waits there, its files kept in the page's file store, and
// after every successful sync (login, reconnect, a reload's autoLogin) the
// outbox goes out by itself, one message at a time in the order they were
// sent, each with its own messageId, so that the server stores it once
// even when an earlier attempt had reached it. A message whose upload had
// failed is uploaded again. The order holds: a new send with reSend queues
// behind every message of the outbox, also one being sent, and the drain
// stops at a message being sent (its end starts the drain again,
// kickOutbox). A message deleted (deleteMessage) while it waits leaves the
// outbox unsent: its send returns 404. The records survive a reload; the
// callbacks of the methods do not (after a reload only the events tell the
// outcome).
//
// Record keys are the enqueue time, zero-padded, then "|" and the message
// id: the records sort in enqueue order.

const kindOutbox = "outbox"

// LocalRecord reports whether records of kind are only ever written by
// this device with Ver 0 (the outbox's entries): no stored record of their
// key can be newer, so a Cache may put them without reading the stored one
// first (Batch.Records' version check cannot refuse them).
func LocalRecord(kind string) bool { return kind == kindOutbox }

// outboxEntry is the Data of an outbox record.
type outboxEntry struct {
	ID string `json:"id"` // the message id
	SK string `json:"sk"` // its session key
}

// outboxKey is the record key of message id enqueued at ms.
func outboxKey(ms int64, id string) string {
	s := itoa64(ms)
	for len(s) < 15 {
		s = "0" + s
	}
	return s + "|" + id
}

// outboxTime is the enqueue time of an outbox key.
func outboxTime(key string) int64 {
	t, _, _ := strings.Cut(key, "|")
	var n int64
	for i := 0; i < len(t); i++ {
		n = n*10 + int64(t[i]-'0')
	}
	return n
}

// ticket returns the creation time of a new outgoing message: the clock,
// but strictly after every message this run created and every outbox key.
// A send takes it when it is called, before its file is probed, and the
// message's outbox key is made from it (enqueue): so the outbox holds
// messages in the order the page sent them, also when a text sent after an
// image is staged before the image's probe is done.
func (c *Client) ticket(r *run) int64 {
	now := c.now()
	c.mu.Lock()
	keys := c.outboxKeys(r)
	c.mu.Unlock()
	ss := r.send
	ss.mu.Lock()
	defer ss.mu.Unlock()
	at := max(now, ss.lastKey+1)
	for _, k := range keys {
		at = max(at, outboxTime(k)+1)
	}
	ss.lastKey = at
	return at
}

// enqueue stages message m's outbox record, keyed by its creation time
// (ticket).
func (c *Client) enqueue(t *tx, m *Message) {
	data, _ := jx.Marshal(&outboxEntry{ID: m.ID, SK: m.SK})
	t.putRecord(Record{Kind: kindOutbox, Key: outboxKey(m.Time, m.ID), Data: data})
}

// dequeue stages the removal of message id's outbox record, if it has one.
func (c *Client) dequeue(t *tx, id string) {
	for k, rec := range t.records {
		if k.Kind == kindOutbox && strings.HasSuffix(k.Key, "|"+id) && !rec.Deleted {
			t.deleteRecord(k)
			return
		}
	}
	for _, k := range c.outboxKeys(t.r) {
		if strings.HasSuffix(k, "|"+id) {
			t.deleteRecord(RecordKey{kindOutbox, k})
			return
		}
	}
}

// outboxKeys returns the installed outbox record keys in enqueue order.
// The caller holds c.mu or c.writeMu.
func (c *Client) outboxKeys(r *run) []string {
	var keys []string
	for k := range r.st.records {
		if k.Kind == kindOutbox {
			keys = append(keys, k.Key)
		}
	}
	sortStrings(keys)
	return keys
}

// inOutbox reports whether message id has an outbox record. The caller
// holds c.mu or c.writeMu.
func (c *Client) inOutbox(r *run, id string) bool {
	for _, k := range c.outboxKeys(r) {
		if strings.HasSuffix(k, "|"+id) {
			return true
		}
	}
	return false
}

// kickOutbox starts a drain when run r is online and its outbox is not
// empty: after a message that held the drain up (being sent, or claimed by
// a cancel) is done.
func (c *Client) kickOutbox(r *run) {
	c.mu.Lock()
	drain := r.link != nil && len(c.outboxKeys(r)) > 0 && r.ctx.Err() == nil
	c.mu.Unlock()
	if drain {
		go c.drainOutbox(r)
	}
}

// drainOutbox sends what waits in the outbox, one message at a time in
// enqueue order, until it is empty or the network fails (the next sync
// drains again). One drain runs per run at a time; a drain asked for while
// one runs makes it go over the outbox once more.
func (c *Client) drainOutbox(r *run) {
	defer func() {
		if p := recover(); p != nil { // a panic here must not kill the runtime
			c.logf("outbox: internal error: " + panicText(p))
			r.send.mu.Lock()
			r.send.draining = false
			r.send.mu.Unlock()
		}
	}()
	ss := r.send
	ss.mu.Lock()
	if ss.draining {
		ss.again = true
		ss.mu.Unlock()
		return
	}
	ss.draining = true
	ss.mu.Unlock()
	for {
		c.drainOnce(r)
		ss.mu.Lock()
		if !ss.again || r.ctx.Err() != nil {
			ss.draining, ss.again = false, false
			ss.mu.Unlock()
			return
		}
		ss.again = false
		ss.mu.Unlock()
	}
}

// drainOnce goes over the outbox once, in order. It stops at a message
// being sent (by its own send call, or claimed by a cancel): the later ones
// must not overtake it; that message's end kicks the drain again.
func (c *Client) drainOnce(r *run) {
	c.mu.Lock()
	keys := c.outboxKeys(r)
	c.mu.Unlock()
	for _, k := range keys {
		_, id, _ := strings.Cut(k, "|")
		c.mu.Lock()
		l := r.link
		c.mu.Unlock()
		if l == nil || r.ctx.Err() != nil {
			return
		}
		fl := r.send.claim(id)
		if fl == nil {
			return // being sent, or cancelled, right now
		}
		ms, err := r.cache.MessagesByID(r.ctx, []string{id})
		if err != nil {
			r.send.release(id, fl, outcome{})
			c.logf("outbox: cannot read the local cache: " + c.cacheFailed(r, err).Error())
			return
		}
		if len(ms) == 0 || ms[0].Deleted || ms[0].State != DeliverySending || !ms[0].Outgoing {
			// Deleted, or its outcome recorded by another tab: it leaves,
			// unsent. A deleted one is recorded failed (not sending for ever).
			err := c.change(r, func(t *tx) {
				c.dequeue(t, id)
				if len(ms) == 1 && ms[0].Deleted && ms[0].State == DeliverySending {
					m := ms[0]
					m.State = DeliveryFailed
					t.msgs = append(t.msgs, m)
				}
			})
			var res result
			switch {
			case len(ms) == 0 || ms[0].Deleted:
				if len(ms) == 1 {
					res.view = r.viewOf(ms[0], 0)
					res.view.DeliveryState = DeliveryFailed
				}
				res.err = Errf(proto.CodeNotFound, "message "+id+" was deleted before it was sent")
			default:
				res.view = r.viewOf(ms[0], 0)
				if ms[0].State == DeliveryFailed {
					res.err = Errf(proto.CodeNetwork, "sending failed")
				}
			}
			r.send.release(id, fl, outcome{})
			r.send.notify(id, res)
			if err != nil {
				return
			}
			continue
		}
		out := c.attempt(context.Background(), r, l, &job{m: ms[0], reSend: true}, fl, nil, Event{})
		if out.waiting || out.stopped {
			return
		}
	}
}

// flight is one attempt to send a message, or a cancel claiming the
// message; at most one per message id at a time (sendState.flights).
type flight struct {
	cancel    context.CancelCauseFunc // stops the attempt; nil until it starts
	canceled  bool                    // cancelSendingMessage asked
	committed bool                    // the message went to the server: too late to cancel
	done      chan struct{}           // closed once the attempt's outcome is recorded
	out       outcome
}

// claim returns a new flight of message id, or nil when it has one.
func (ss *sendState) claim(id string) *flight {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.flights[id] != nil {
		return nil
	}
	fl := &flight{done: make(chan struct{})}
	ss.flights[id] = fl
	return fl
}

// start gives fl the function that stops its attempt; false when it was
// cancelled already.
func (ss *sendState) start(fl *flight, cancel context.CancelCauseFunc) bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	fl.cancel = cancel
	return !fl.canceled
}

// commit marks fl's message as on its way to the server, when it was not
// cancelled (false).
func (ss *sendState) commit(fl *flight) bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if fl.canceled {
		return false
	}
	fl.committed = true
	return true
}

// stop cancels fl unless its message went to the server already (false).
func (ss *sendState) stop(fl *flight) bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if fl.committed {
		return false
	}
	fl.canceled = true
	if fl.cancel != nil {
		fl.cancel(errCanceled)
	}
	return true
}

// release ends flight fl of message id with out.
func (ss *sendState) release(id string, fl *flight, out outcome) {
	ss.mu.Lock()
	if ss.flights[id] == fl {
		delete(ss.flights, id)
	}
	ss.mu.Unlock()
	fl.out = out
	close(fl.done)
}

// wait registers a caller waiting for message id's final outcome.
func (ss *sendState) wait(id string) chan result {
	ch := make(chan result, 1)
	ss.mu.Lock()
	ss.waiters[id] = append(ss.waiters[id], ch)
	ss.mu.Unlock()
	return ch
}

// unwait removes a waiter.
func (ss *sendState) unwait(id string, ch chan result) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	list := ss.waiters[id]
	for i, w := range list {
		if w == ch {
			list = append(list[:i:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(ss.waiters, id)
	} else {
		ss.waiters[id] = list
	}
}

// notify hands message id's final outcome to its waiters.
func (ss *sendState) notify(id string, res result) {
	ss.mu.Lock()
	list := ss.waiters[id]
	delete(ss.waiters, id)
	ss.mu.Unlock()
	for _, ch := range list {
		select {
		case ch <- res:
		default:
		}
	}
}

// outgoing returns this account's cached message id of session
// (sessionID, chatType): 404 when there is none, 414 when it was received.
func (c *Client) outgoing(ctx context.Context, r *run, sessionID string, chatType int, id string) (Message, error) {
	ms, err := r.cache.MessagesByID(ctx, []string{id})
	if err != nil {
		return Message{}, wrap("cannot read the local cache", c.cacheFailed(r, err))
	}
	if len(ms) == 0 || ms[0].SK != SessionKey(chatType, sessionID) {
		return Message{}, Errf(proto.CodeNotFound, "message "+id+" not found in session "+sessionID)
	}
	if !ms[0].Outgoing {
		return Message{}, BadParam("messageId", "names a message received, not sent by this account")
	}
	return ms[0], nil
}

// CancelSendingMessage cancels a message still being sent: its upload is
// aborted, or it leaves the outbox. It ends failed (deliveryState 0) with
// sendMessageFinish (success false, code 415, msg "sending cancelled") and
// sendMessageFail, and its send call returns that error. A message that
// went to the server already (sent, or its send request on its way) cannot
// be cancelled: 414 saying so. An unknown message: 404.
func (c *Client) CancelSendingMessage(ctx context.Context, sessionID string, chatType int, messageID string) error {
	if err := checkSession(sessionID, chatType); err != nil {
		return err
	}
	if err := checkMessageID("messageId", messageID); err != nil {
		return err
	}
	r, err := c.current()
	if err != nil {
		return err
	}
	for {
		m, err := c.outgoing(ctx, r, sessionID, chatType, messageID)
		if err != nil {
			return err
		}
		switch m.State {
		case DeliverySent:
			return BadParam("messageId", "names a message already sent: it cannot be cancelled")
		case DeliveryFailed:
			return BadParam("messageId", "names a message not being sent (it failed or was cancelled)")
		}
		ss := r.send
		ss.mu.Lock()
		fl := ss.flights[messageID]
		ss.mu.Unlock()
		if fl != nil { // being sent: stop it and wait for its outcome
			stopped := ss.stop(fl)
			select {
			case <-fl.done:
			case <-ctx.Done():
				return ctxError("cancelSendingMessage", ctx.Err())
			}
			if fl.out.stopped {
				return fl.out.err
			}
			if !stopped && fl.out.err == nil {
				return BadParam("messageId", "names a message already sent: it cannot be cancelled")
			}
			if fl.out.waiting || !stopped && fl.out.err != nil {
				continue // back in the outbox, or failed on its own: look again
			}
			return nil
		}
		// Waiting in the outbox (or left sending by a page that died
		// without reSend): claim it, then record it as cancelled.
		if fl = ss.claim(messageID); fl == nil {
			continue
		}
		out := c.cancelWaiting(r, messageID)
		ss.release(messageID, fl, out)
		c.kickOutbox(r) // a drain may have stopped at it
		return out.err
	}
}

// cancelWaiting records message id, sending but not being sent, as
// cancelled. Its flight is claimed by the caller.
func (c *Client) cancelWaiting(r *run, id string) outcome {
	ms, err := r.cache.MessagesByID(r.ctx, []string{id})
	if err != nil {
		return outcome{err: wrap("cannot read the local cache", c.cacheFailed(r, err))}
	}
	if len(ms) == 0 || ms[0].State != DeliverySending {
		return outcome{err: BadParam("messageId", "names a message not being sent")}
	}
	out := c.finish(r, &job{m: ms[0]}, proto.SendResp{}, errCanceled, false)
	if out.err == errCanceled {
		out.err = nil // the cancel succeeded
	}
	return out
}

// ResendMessage sends a failed (or cancelled) outgoing message again with
// the same messageId, uploading its file again when it has no url yet (the
// file kept when it was first sent). The server stores a messageId once, so
// a message whose first attempt reached the server after all is not
// duplicated. Events and return as for a send without reSend. A message
// sent or being sent (by this page, or waiting in the outbox): 414; an
// unknown one: 404. A message left sending by a send that a logout or a
// reload cut off (neither being sent nor in the outbox) counts as failed:
// it is sent again.
func (c *Client) ResendMessage(ctx context.Context, sessionID string, chatType int, messageID string) (*MessageView, error) {
	if err := checkSession(sessionID, chatType); err != nil {
		return nil, err
	}
	if err := checkMessageID("messageId", messageID); err != nil {
		return nil, err
	}
	r, err := c.current()
	if err != nil {
		return nil, err
	}
	m, err := c.outgoing(ctx, r, sessionID, chatType, messageID)
	if err != nil {
		return nil, err
	}
	if m.State == DeliverySent {
		return nil, BadParam("messageId", "names a message already sent")
	}
	m.State, m.Time = DeliverySending, c.now()
	return c.submit(ctx, r, &job{m: m, resend: true}) // it checks the message again, in its tx
}

// resendable returns cached message id if resendMessage may send it: not
// sent, not being sent by this page, not waiting in the outbox. The caller
// holds a tx of r (so no send claims it or records its outcome meanwhile).
func (c *Client) resendable(r *run, id string) (Message, error) {
	ms, err := r.cache.MessagesByID(r.ctx, []string{id})
	if err != nil {
		return Message{}, wrap("cannot read the local cache", c.cacheFailed(r, err))
	}
	if len(ms) == 0 {
		return Message{}, Errf(proto.CodeNotFound, "message "+id+" not found")
	}
	switch ms[0].State {
	case DeliverySent:
		return Message{}, BadParam("messageId", "names a message already sent")
	case DeliverySending:
		r.send.mu.Lock()
		busy := r.send.flights[id] != nil
		r.send.mu.Unlock()
		if busy || c.inOutbox(r, id) {
			return Message{}, BadParam("messageId", "names a message being sent")
		}
	}
	return ms[0], nil
}

// ForwardMessage sends a copy of a cached message (its body, with the urls
// of its files: nothing is uploaded again, and its local paths) to the
// session ToSessionID/ToChatType, as a new message with a new messageId.
// Events and return as for a send. A notification message cannot be
// forwarded (414), nor a message whose file is not uploaded yet (414); an
// unknown message: 404.
func (c *Client) ForwardMessage(ctx context.Context, p ForwardParams) (*MessageView, error) {
	if err := checkSession(p.SessionID, p.ChatType); err != nil {
		return nil, err
	}
	if err := checkSessionParams("toSessionId", "toChatType", p.ToSessionID, p.ToChatType); err != nil {
		return nil, err
	}
	if err := checkMessageID("messageId", p.MessageID); err != nil {
		return nil, err
	}
	r, err := c.current()
	if err != nil {
		return nil, err
	}
	ms, err := r.cache.MessagesByID(ctx, []string{p.MessageID})
	if err != nil {
		return nil, wrap("cannot read the local cache", c.cacheFailed(r, err))
	}
	if len(ms) == 0 || ms[0].SK != SessionKey(p.ChatType, p.SessionID) {
		return nil, Errf(proto.CodeNotFound, "message "+p.MessageID+" not found in session "+p.SessionID)
	}
	src := ms[0]
	switch src.Type {
	case proto.MsgText, proto.MsgLocation, proto.MsgTip:
	case proto.MsgImage, proto.MsgAudio, proto.MsgVideo, proto.MsgFile:
		if !uploaded(src) {
			return nil, BadParam("messageId", "names a message whose file is not uploaded yet")
		}
	case proto.MsgNotification:
		return nil, BadParam("messageId", "names a notification message, which cannot be forwarded")
	default:
		return nil, BadParam("messageId", "names a message of type "+itoa(src.Type)+", which cannot be forwarded")
	}
	m := c.newMessage(r, c.ticket(r), NewMessageID(), p.ToSessionID, p.ToChatType, src.Type, src.Body, src.Ext)
	if len(src.Paths) > 0 {
		m.Paths = make(map[string]string, len(src.Paths))
		for k, v := range src.Paths {
			m.Paths[k] = v
		}
	}
	return c.submit(ctx, r, &job{m: m, reSend: p.ReSend})
}
