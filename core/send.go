package core

import (
	"context"
	"errors"
	"runtime"
	"sync"

	"yunxin/internal/jx"
	"yunxin/proto"
)

// Sending. Every send method (sendText, sendImage … sendTip, resendMessage,
// forwardMessage) makes one Message and hands it to submit:
//
//  1. It is cached as sending (deliveryState 1) and the page hears
//     willSendMessage at once (a message without files goes to the server
//     just before: once cached, never earlier). With reSend it is also
//     recorded in the outbox (outbox.go), so that it is sent even after a
//     reload.
//  2. An attachment is kept in the page's file store and uploaded
//     (sendMessageProgress 0…1, then uploadAttachmentSuccess with its url).
//  3. The message goes to the server (op send), which stores it once per
//     messageId; its acknowledgement gives it its serverID, seq and time:
//     sendMessageFinish with success true.
//
// A failure ends it with deliveryState 0, sendMessageFinish (success false,
// code, msg) and sendMessageFail — unless reSend is set and it failed on the
// network (415, 408) because the connection is gone: then it stays sending
// in the outbox, which sends it after the next sync. A network failure while
// the connection is up (an upload whose HTTP request failed, a request that
// timed out) is checked with a ping: when the ping is answered the link is
// live, nothing would ever drain the message, and the failure is final
// (resendMessage sends it again); when the ping fails the link is closed
// (the client reconnects) and the message waits. The method returns when the outcome is known:
// sent, failed for good, or cancelled (cancelSendingMessage, cancelTask);
// a message waiting in the outbox returns only once it went out (or
// failed), or with 415 if the page logs out meanwhile. After a reload only
// the events report the outcome of what the outbox sends.

// SendText sends a text message (see Sending above for its events and
// when it returns). The text must not be empty or blank and has at most
// 5000 characters; ext is absent or a JSON object of at most 1 KB.
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
	body, _ := jx.Marshal(&proto.TipBody{Text: p.Text})
	r, err := c.current()
	if err != nil {
		return nil, err
	}
	return c.submit(ctx, r, &job{m: c.newMessage(r, c.ticket(r), NewMessageID(), p.SessionID, p.ChatType, proto.MsgText, body, ext), reSend: p.ReSend})
}

// SendMessage sends an image, voice (proto.MsgAudio), video, file,
// location or tip message (see Sending above for its events and when it
// returns). An attachment's path is a blob: or data: URL (a File or Blob
// the page passed) or an http(s) URL; the SDK probes it (Files.Probe) for
// its size, md5, type, name and extension, an image's size and
// thumbnail, a voice's or video's duration and a video's size and cover,
// unless the params give them. Bad params are 414s naming the param, and
// nothing is cached.
func (c *Client) SendMessage(ctx context.Context, p SendParams) (*MessageView, error) {
	ext, err := checkSendParams(p)
	if err != nil {
		return nil, err
	}
	r, err := c.current()
	if err != nil {
		return nil, err
	}
	id, at := NewMessageID(), c.ticket(r) // its place in the outbox, before the probe
	j := &job{reSend: p.ReSend}
	var body []byte
	switch p.Type {
	case proto.MsgLocation:
		body, _ = jx.Marshal(&proto.LocationBody{Latitude: p.Latitude, Longitude: p.Longitude, Title: p.Title})
	case proto.MsgTip:
		body, _ = jx.Marshal(&proto.TipBody{Text: p.Text})
	default:
		f, err := c.fileEdge(sendMethod(p.Type))
		if err != nil {
			return nil, err
		}
		info, err := f.Probe(ctx, "path", p.Path, p.Type)
		if err != nil {
			return nil, err
		}
		if info.Size <= 0 {
			return nil, BadParam("path", "names an empty file")
		}
		ab := attachBody(p, info)
		body, _ = jx.Marshal(&ab)
		j.info, j.src = &info, p.Path
		j.keep = map[string]string{fieldPath: p.Path}
		paths := map[string]string{fieldPath: keyPrefix + fileKey(r.account, id, fieldPath)}
		if tf := thumbField(p.Type); tf != "" && info.Thumb != "" {
			j.keep[tf] = info.Thumb
			paths[tf] = keyPrefix + fileKey(r.account, id, tf)
		}
		for field, path := range j.keep { // this page shows the paths it has
			r.send.setPath(fileKey(r.account, id, field), path)
		}
		m := c.newMessage(r, at, id, p.SessionID, p.ChatType, p.Type, body, ext)
		m.Paths = paths
		j.m = m
		return c.submit(ctx, r, j)
	}
	j.m = c.newMessage(r, at, id, p.SessionID, p.ChatType, p.Type, body, ext)
	return c.submit(ctx, r, j)
}

// sendMethod is the plugin's method sending messages of type typ.
func sendMethod(typ int) string {
	switch typ {
	case proto.MsgImage:
		return "sendImage"
	case proto.MsgAudio:
		return "sendVoice"
	case proto.MsgVideo:
		return "sendVideo"
	}
	return "sendFile"
}

// thumbField is the Paths field of an attachment type's derived image:
// an image's thumbnail, a video's cover; "" for the others.
func thumbField(typ int) string {
	switch typ {
	case proto.MsgImage:
		return fieldThumb
	case proto.MsgVideo:
		return fieldCover
	}
	return ""
}

// attachBody is the body of an attachment message before its upload:
// what the params and the probe say (the params win), no url yet.
func attachBody(p SendParams, info FileInfo) proto.AttachBody {
	b := proto.AttachBody{FileLength: info.Size, MD5: info.MD5, Ext: info.Ext}
	name := p.DisplayName
	if name == "" {
		name = info.Name
	}
	switch p.Type {
	case proto.MsgImage:
		b.DisplayName = name
		if info.W > 0 && info.H > 0 {
			b.Size = &proto.Size{W: info.W, H: info.H}
		}
	case proto.MsgAudio:
		b.Duration = info.Duration
		if p.Duration > 0 {
			b.Duration = p.Duration
		}
	case proto.MsgVideo:
		b.DisplayName = name
		b.Duration, b.Width, b.Height = info.Duration, info.W, info.H
		if p.Duration > 0 {
			b.Duration = p.Duration
		}
		if p.Width > 0 {
			b.Width = p.Width
		}
		if p.Height > 0 {
			b.Height = p.Height
		}
		if info.Thumb != "" && info.ThumbW > 0 && info.ThumbH > 0 {
			b.CoverSize = &proto.Size{W: info.ThumbW, H: info.ThumbH}
		}
	case proto.MsgFile:
		b.DisplayName = name
		if p.Extension != "" {
			b.Ext = p.Extension
		}
	}
	return b
}

// newMessage returns an outgoing message of this account, sending, created
// at at (ticket), with the own cached profile's nickname (senderName); a
// team message asks for receipts when Config.TeamReceiptEnabled is set.
func (c *Client) newMessage(r *run, at int64, id, sessionID string, chatType, typ int, body, ext jx.RawMessage) Message {
	return Message{ID: id, SK: SessionKey(chatType, sessionID), SessionID: sessionID, ChatType: chatType,
		From: r.account, Type: typ, Body: body, Ext: ext, Time: at, State: DeliverySending, Outgoing: true,
		FromClient: proto.ClientWeb, Nick: c.nickOf(r, r.account),
		TeamReceipt: isTeamChat(chatType) && c.Config().TeamReceiptEnabled}
}

// job is one message on its way to the server.
type job struct {
	m      Message
	reSend bool // network failures leave it waiting in the outbox
	resend bool // resendMessage: the cached message must not be sent or being sent
	// Set by the first attempt of a send of this page only:
	info *FileInfo         // the main file as probed (nil: probe it again)
	keep map[string]string // Paths field → the page's path, kept before the upload
	src  string            // the page's path of the main file (cancelTask)
	// cachedAt is run.msgWrites when m was cached as sending by the
	// commit that counted it (0: unknown): while the counter has not moved
	// since, the cached record is m as it is (see finish).
	cachedAt uint64
	// answer, when set (WithSendAnswer), hears the outcome before finish
	// records it; called at most once.
	answer func(*MessageView, error)
}

type answerKey struct{}

// WithSendAnswer returns ctx carrying fn. A send made with it (SendText,
// SendMessage, ResendMessage, ForwardMessage) that reaches the server while
// the caller waits calls fn with its outcome — the message as sent, with
// its serverId and deliveryState, or the failure — as soon as the server
// answered, before the sent state is written to the cache; the send itself
// returns once that write is done (sendMessageFinish comes with it). A
// caller that answers its page from fn must hold the page's later calls
// until the send returns, or they may read the message still sending. fn is
// not called for a send that waits in the outbox (its outcome comes later)
// and runs on the send's goroutine, with the cache's write lock held: it
// must not call the Client.
func WithSendAnswer(ctx context.Context, fn func(*MessageView, error)) context.Context {
	return context.WithValue(ctx, answerKey{}, fn)
}

// SendAnswer returns the function WithSendAnswer put in ctx, nil if none:
// for an engine other than Client (a test's fake) that answers early too.
func SendAnswer(ctx context.Context) func(*MessageView, error) {
	fn, _ := ctx.Value(answerKey{}).(func(*MessageView, error))
	return fn
}

// outcome is how an attempt to send a message ended.
type outcome struct {
	view    MessageView
	err     error
	waiting bool // failed on the network: it waits in the outbox
	stopped bool // the run ended first: nothing recorded
}

// result is what a caller waiting for a message's outcome receives.
type result struct {
	view MessageView
	err  error
}

// submit caches j's message as sending (willSendMessage) and sends it: at
// once when online (with reSend, unless older messages still wait in the
// outbox: it queues behind them), else it waits in the outbox (reSend) or
// fails with 415. It returns the outcome (see Sending).
func (c *Client) submit(ctx context.Context, r *run, j *job) (*MessageView, error) {
	if r.cacheOnly {
		return nil, errNotLoggedIn // openLocalCache: nothing is sent before a login
	}
	c.mu.Lock()
	waits := r.link == nil || len(c.outboxKeys(r)) > 0
	c.mu.Unlock()
	if j.reSend && waits {
		// It will wait in the outbox: its files must outlive the page. Kept
		// before it is recorded, so that a drain cannot send it (and remove
		// its kept files) before the copy is made.
		c.keepFiles(ctx, r, j)
	}
	t, err := c.openTx(r)
	if err != nil {
		return nil, err
	}
	defer t.abort()
	if j.resend {
		// Checked in the tx: a concurrent resend (or send) of the message
		// claims it, or records its outcome, under this lock.
		cm, err := c.resendable(r, j.m.ID)
		if err != nil {
			return nil, err
		}
		cm.State, cm.Time = DeliverySending, j.m.Time
		j.m = cm
	}
	m := j.m
	s, kind := t.touch(m.SK, m.SessionID, m.ChatType)
	mc := m
	s.LastMsg, s.UpdateTime = &mc, max(s.UpdateTime, m.Time)
	if s.Conv == "" {
		s.Conv = localConv(r.account, m.ChatType, m.SessionID)
	}
	t.putSession(s, kind)
	t.msgs = append(t.msgs, m)
	v := r.viewOf(m, 0)
	will := Event{Kind: EventMessage, Data: MessageEvent{EventType: "willSendMessage", Message: &v}}
	t.events = append(t.events, will)
	c.mu.Lock()
	l := r.link
	c.mu.Unlock()
	var wait chan result
	queue := false
	if j.reSend {
		// Behind any message of the outbox, also one being sent: the
		// outbox keeps the order of the sends.
		queue = l == nil || len(c.outboxKeys(r)) > 0
		c.enqueue(t, &m)
		wait = r.send.wait(m.ID)
		defer r.send.unwait(m.ID, wait)
	}
	var fl *flight
	if !queue {
		if fl = r.send.claim(m.ID); fl == nil && !j.reSend {
			return nil, BadParam("messageId", "names a message being sent")
		}
	}
	if fl == nil {
		if err := c.commitWill(r, t, will); err != nil {
			// Not in the outbox: it fails now (it would wait for nothing).
			out := c.finish(r, j, proto.SendResp{}, err, false)
			return &out.view, out.err
		}
		c.keepFiles(ctx, r, j)
		if l != nil {
			go c.drainOutbox(r)
		}
		return c.await(ctx, r, v, wait)
	}
	j.answer = SendAnswer(ctx)
	out := c.attempt(ctx, r, l, j, fl, t, will)
	c.kickOutbox(r) // messages queued behind this one go now
	if out.waiting {
		return c.await(ctx, r, out.view, wait)
	}
	return &out.view, out.err
}

// commitWill writes the staged "sending" message of t. Should the write
// fail (the cache is full, ErrCacheFull, or closed), the page hears
// willSendMessage anyway and the error is returned: a message not sent
// yet then fails without being sent (an outbox it is not in would wait
// for nothing); one whose request went out meanwhile gets the server's
// answer (see attempt).
func (c *Client) commitWill(r *run, t *tx, will Event) error {
	err := c.cacheFailed(r, t.commit(r.ctx))
	if err != nil {
		c.logf("cannot cache the message being sent: " + err.Error())
		c.emit(will)
	}
	return err
}

// await waits for the outcome of a message waiting in the outbox.
func (c *Client) await(ctx context.Context, r *run, v MessageView, wait chan result) (*MessageView, error) {
	select {
	case res := <-wait:
		return &res.view, res.err
	case <-ctx.Done():
		return &v, ctxError("send", ctx.Err())
	case <-r.ctx.Done():
		return &v, Errf(proto.CodeNetwork, "logged out: the message waits in the outbox and is sent after the account's next login")
	}
}

// attempt sends j's message once over l (nil: offline, it fails with 415):
// it keeps and uploads its files if it has any not uploaded yet, then
// sends it. will, when not nil, is the uncommitted tx caching it as
// sending: committed while the request makes its round trip (a message
// with files to upload: before the upload, and when that write fails (a
// full cache) the message fails with its error and is not sent). fl is
// the message's flight, claimed by the caller and released here.
func (c *Client) attempt(ctx context.Context, r *run, l *link, j *job, fl *flight, will *tx, willEv Event) (out outcome) {
	ss := r.send
	actx, cancel := context.WithCancelCause(r.ctx)
	defer cancel(nil)
	defer func() { ss.release(j.m.ID, fl, out) }()
	stop := context.AfterFunc(ctx, func() { cancel(errCanceled) }) // the caller gave up
	defer stop()
	if !ss.start(fl, cancel) {
		cancel(errCanceled)
	}
	if src := ss.taskPath(j); src != "" { // cancelTask(path) reaches it
		defer ss.addTask(src, cancel)()
	}
	type sent struct {
		resp proto.SendResp
		err  error
	}
	var done chan sent
	send := func() {
		done = make(chan sent, 1)
		if !ss.commit(fl) {
			done <- sent{err: errCanceled}
			return
		}
		m := j.m
		go func() {
			var s sent
			s.err = l.call(r.ctx, proto.OpSend, &proto.SendReq{Msg: proto.Msg{ClientID: m.ID, To: m.SessionID,
				ChatType: m.ChatType, Type: m.Type, Body: m.Body, Ext: m.Ext, TeamReceipt: m.TeamReceipt}}, &s.resp)
			done <- s
		}()
		// The request goes out now, before this goroutine goes on (in the
		// browser, the events the caller emits next take the page's thread
		// for a while): l.call writes it before it waits.
		runtime.Gosched()
	}
	upload := isAttachment(j.m.Type) && !uploaded(j.m)
	sendNow := l != nil && !upload
	if will != nil {
		if sendNow {
			// The request goes out first: the "sending" write (the message
			// and its outbox entry, two puts without a read; the outcome's
			// write stores the session, see finish) runs during its round
			// trip. The outcome waits for that write, so willSendMessage
			// still comes first.
			send()
			will.sessionsLater = true
		}
		if err := c.commitWill(r, will, willEv); err != nil {
			if done == nil {
				return c.finish(r, j, proto.SendResp{}, err, false)
			}
			// Not cached, but the request went out: the server's answer
			// decides. Sent, it is a sent message this device could not
			// store (the next sync brings it once there is space); not
			// sent, it fails with the cache's error, and never waits for
			// an outbox it is not in.
			s := <-done
			if s.err != nil {
				return c.finish(r, j, proto.SendResp{}, err, false)
			}
			return c.finish(r, j, s.resp, nil, false)
		}
		j.cachedAt = will.msgWrite
	}
	if sendNow && done == nil {
		send()
	}
	var err error
	switch {
	case l == nil:
		err = Errf(proto.CodeNetwork, "not connected")
	case upload:
		if err = c.upload(actx, r, l, j); err == nil {
			send()
		}
	}
	var resp proto.SendResp
	if done != nil {
		s := <-done
		resp, err = s.resp, s.err
	}
	if err != nil && !uploaded(j.m) {
		// Not sent: its files are kept for the outbox or a resend (see
		// keepFiles), also when the page reloads meanwhile. Not bound to
		// actx, which a cancel ended.
		c.keepFiles(context.WithoutCancel(ctx), r, j)
	}
	wait := false
	if err != nil && j.reSend && isNetwork(err) && !errors.Is(err, errCanceled) && r.ctx.Err() == nil {
		wait = !c.linkAlive(r, l)
	}
	return c.finish(r, j, resp, err, wait)
}

// linkAlive reports whether l, which a request or an upload of run r
// failed on with a network error, is still r's live link: r's current link,
// answering a ping. A link that does not answer is closed (the run
// reconnects and syncs, and the sync drains the outbox).
func (c *Client) linkAlive(r *run, l *link) bool {
	if l == nil {
		return false
	}
	c.mu.Lock()
	cur := r.link
	c.mu.Unlock()
	if cur != l {
		return false
	}
	if err := l.call(r.ctx, proto.OpPing, nil, nil); err != nil {
		l.close(err)
		return false
	}
	return true
}

// uploaded reports whether an attachment message's file has its url.
func uploaded(m Message) bool {
	var b urlBody
	return jx.Unmarshal(m.Body, &b) == nil && b.URL != ""
}

// finish records the outcome of an attempt to send j's message: sent
// (resp), failed for good (err; deliveryState 0 and out of the outbox), or,
// with wait (a network failure with reSend on a link that is gone),
// nothing: it waits in the outbox. Callers waiting for the message hear a
// final outcome. A message deleted (deleteMessage) while it was sent stays
// deleted and does not become its session's last message; a message sent
// loses its kept files (see keepFiles).
func (c *Client) finish(r *run, j *job, resp proto.SendResp, err error, wait bool) outcome {
	m := j.m
	if r.ctx.Err() != nil { // logged out or replaced meanwhile: the next login sends it (outbox) or it stays as it is
		if err == nil {
			err = errLoggedOut
		}
		return outcome{view: r.viewOf(m, 0), err: err, stopped: true}
	}
	if err != nil && wait {
		return outcome{view: r.viewOf(m, 0), err: err, waiting: true}
	}
	t, terr := c.openTx(r)
	if terr != nil {
		if err == nil {
			err = terr
		}
		return outcome{view: r.viewOf(m, 0), err: err, stopped: true}
	}
	defer t.abort()
	// The cached copy's local changes made meanwhile stay (t holds the
	// write lock: none can come between this read and the write). When no
	// commit touched a cached message since this one was cached as
	// sending (no delete, clear, local ext, receipt, sync…), the cached
	// copy is m: the read, an IndexedDB transaction, is skipped.
	var cached []Message
	var cerr error
	if j.cachedAt != 0 && r.msgWrites.Load() == j.cachedAt {
		cached = []Message{m}
	} else {
		cached, cerr = r.cache.MessagesByID(r.ctx, []string{m.ID})
	}
	if cerr == nil && len(cached) == 1 {
		m.Deleted, m.LocalExt, m.Played = cached[0].Deleted, cached[0].LocalExt, cached[0].Played
		if cached[0].ReceiptRead > 0 { // a receipt change came first
			m.ReceiptRead, m.ReceiptUnread = cached[0].ReceiptRead, cached[0].ReceiptUnread
		}
	}
	c.mu.Lock()
	if e, ok := r.st.sessions.early[m.ID]; ok { // a team receipt came before the reply
		delete(r.st.sessions.early, m.ID)
		if e.Read > m.ReceiptRead {
			m.ReceiptRead, m.ReceiptUnread = e.Read, e.Unread
		}
	}
	c.mu.Unlock()
	s, ok := t.session(m.SK)
	if !ok { // the pending write failed
		s = Session{Key: m.SK, ID: m.SessionID, ChatType: m.ChatType}
		s.Conv = localConv(r.account, m.ChatType, m.SessionID)
	}
	// Cleared while it was being sent (deleteAllmessagesInSession,
	// deleteAllMessages took its cached copy): it stays cleared, as a
	// deleted one stays deleted. m.Time is still its creation time here.
	cleared := cerr == nil && len(cached) == 0 && ok && m.Time <= s.ClearedTo
	if cleared {
		m.Deleted = true
	}
	// Refused because the receiver blacklisted this account (7101): failed
	// for good (not a network failure: the outbox does not retry it) and
	// marked isBlackListed; a later successful resend clears the mark.
	m.Black = err != nil && AsError(err).Code == proto.CodeBlacklisted
	if err != nil {
		m.State = DeliveryFailed
	} else {
		m.State, m.ServerID, m.Seq, m.Time = DeliverySent, resp.ServerID, resp.Seq, resp.Time
		if m.TeamReceipt && m.ReceiptRead == 0 && m.ReceiptUnread == 0 {
			// Its first counts: every other member has yet to read it (a
			// receipt change that came first keeps its newer counts).
			m.ReceiptUnread = resp.ReceiptUnread
		}
		if resp.Conv != "" {
			s.Conv = resp.Conv
		}
		if s.SyncSeq == 0 && s.LastSeq == 0 && len(s.Ahead) == 0 {
			// Nothing of the conversation is cached from the server yet (a
			// session made here): it roams like one met by a push. Its
			// read mark comes with its conversation row (applyConv takes a
			// session's first server read mark whatever the setting).
			t.roam(&s, resp.Seq)
		}
		s.markSeq(resp.Seq)
		s.LastSeq = max(s.LastSeq, resp.Seq)
		if a := t.announcedOf(m.SK); a.mark(resp.Seq) { // sendMessageFinish announces it
			t.setAnnounced(m.SK, a)
		}
	}
	if !m.Deleted && (s.LastMsg == nil || s.LastMsg.ID == m.ID || Less(s.LastMsg, &m)) {
		mc := m
		s.LastMsg = &mc
		s.UpdateTime = max(s.UpdateTime, m.Time)
	}
	t.putSession(s, evUpdateSession)
	if err == nil {
		// A seq past a hole (messages this client has not received yet):
		// pull from the cursor, as for a push past a gap.
		t.gapPull(m.SK)
	}
	if !cleared {
		t.msgs = append(t.msgs, m)
	}
	c.dequeue(t, m.ID)
	v := r.viewOf(m, s.PeerReadSeq)
	ok = err == nil
	fin := MessageEvent{EventType: "sendMessageFinish", Message: &v, Success: &ok}
	if err != nil {
		e := AsError(err)
		fin.Code, fin.Msg = e.Code, e.Msg
	}
	events := []Event{{Kind: EventMessage, Data: fin}}
	if !ok {
		events = append(events, Event{Kind: EventMessage, Data: MessageEvent{EventType: "sendMessageFail",
			Message: &v, Success: &ok, Code: fin.Code, Msg: fin.Msg}})
	}
	t.events = append(t.events, events...)
	if j.answer != nil {
		// The outcome is known: the caller hears it now, the cache write
		// follows (see WithSendAnswer).
		answer, view := j.answer, v
		j.answer = nil
		answer(&view, err)
	}
	werr := c.cacheFailed(r, t.commit(r.ctx))
	if werr != nil {
		c.logf("cannot cache the message sent: " + werr.Error())
		c.emitAll(events)
	}
	out := outcome{view: v, err: err}
	if err == nil && werr != nil {
		out.err = wrap("sent, but", werr)
	}
	if werr == nil && (err == nil || m.Deleted) {
		c.removeKept(r, m) // before the callers hear it: nothing keeps them after
	}
	r.send.notify(m.ID, result{v, out.err})
	return out
}

// upload keeps j's files (first attempt) and uploads the ones without a
// url yet: the main file, then an image's thumbnail or a video's cover
// (optional: a failure to read it leaves it out). It reports
// sendMessageProgress (0…1, in order, ending at 1), stores the urls in the
// message's body and reports uploadAttachmentSuccess with the file's url.
func (c *Client) upload(ctx context.Context, r *run, l *link, j *job) error {
	f, err := c.fileEdge(sendMethod(j.m.Type))
	if err != nil {
		return err
	}
	m := &j.m
	var ab proto.AttachBody
	if err := jx.Unmarshal(m.Body, &ab); err != nil {
		return Errf(proto.CodeServer, "bad attachment body: "+err.Error())
	}
	type part struct {
		src, name string
		info      FileInfo
		url       *string
	}
	var parts []part
	if ab.URL == "" {
		src, err := c.source(ctx, r, f, m.Paths[fieldPath])
		if err != nil {
			return ctxFailure(ctx, err)
		}
		if src == "" {
			return BadParam("messageId", "names a message whose file is no longer here: send the file again")
		}
		var info FileInfo
		if j.info != nil {
			info = *j.info
		} else if info, err = f.Probe(ctx, "path", src, proto.MsgFile); err != nil {
			return ctxFailure(ctx, err)
		}
		parts = append(parts, part{src, ab.DisplayName, info, &ab.URL})
	}
	if tf := thumbField(m.Type); tf != "" && m.Paths[tf] != "" {
		u := &ab.ThumbURL
		if tf == fieldCover {
			u = &ab.CoverURL
		}
		if *u == "" {
			src, err := c.source(ctx, r, f, m.Paths[tf])
			var info FileInfo
			if err == nil && src != "" {
				info, err = f.Probe(ctx, tf, src, proto.MsgFile)
			}
			switch {
			case ctx.Err() != nil:
				return ctxFailure(ctx, err)
			case err == nil && src != "":
				parts = append(parts, part{src, "", info, u})
			default:
				c.logf("sending message " + m.ID + " without its " + tf)
			}
		}
	}
	var total int64
	for _, p := range parts {
		total += p.info.Size
	}
	v := r.viewOf(*m, 0)
	pr := &progress{emit: func(p float64) {
		c.emit(Event{Kind: EventMessage, Data: MessageEvent{EventType: "sendMessageProgress", Message: &v, Progress: &p}})
	}}
	var base int64
	for _, p := range parts {
		b := base
		u, err := c.uploadFile(ctx, l, f, p.src, p.name, p.info, func(sent, _ int64) {
			if total > 0 {
				pr.report(float64(b+sent) / float64(total))
			}
		})
		if err != nil {
			pr.end(false)
			return ctxFailure(ctx, err)
		}
		*p.url = u
		base += p.info.Size
	}
	pr.end(true)
	body, _ := jx.Marshal(&ab)
	m.Body = body
	// The urls are stored at once: a later attempt does not upload again.
	err = c.change(r, func(t *tx) {
		cached, err := r.cache.MessagesByID(ctx, []string{m.ID})
		if err == nil && len(cached) == 1 && cached[0].State == DeliverySending {
			cm := cached[0]
			cm.Body = body
			t.msgs = append(t.msgs, cm)
		}
		v := r.viewOf(*m, 0)
		t.events = append(t.events, Event{Kind: EventMessage, Data: MessageEvent{EventType: "uploadAttachmentSuccess",
			Message: &v, URLString: ab.URL}})
	})
	if err != nil && err != errLoggedOut {
		c.logf("cannot cache the uploaded file's url: " + err.Error())
	}
	return nil
}

// keepFiles copies the files of j's first attempt into the page's file
// store (once), so that the outbox after a reload, a resend after a reload
// and the views meanwhile still have them. A file that cannot be kept is
// logged and sent from the page's path; only ctx's end is an error.
//
// The kept-file policy: a message's files are kept only while they may
// still be needed to send it — when it is recorded to wait in the outbox
// (sent offline, or queued behind older outbox messages), and when an
// attempt fails before its file was uploaded (it waits in the outbox, or it
// failed and resendMessage may send it again, also after a reload). A
// message sent normally is uploaded from the page's path and never kept.
// Once the message is sent its kept copies are removed (finish,
// removeKept): its views then show the page's path while this page knows
// it, else "" (the body's url is always there). deleteMessage removes the
// kept files of the message it deletes.
func (c *Client) keepFiles(ctx context.Context, r *run, j *job) error {
	if len(j.keep) == 0 {
		return nil
	}
	f, err := c.fileEdge(sendMethod(j.m.Type))
	if err != nil {
		return err
	}
	for field, path := range j.keep {
		if err := f.Keep(ctx, path, fileKey(r.account, j.m.ID, field)); err != nil {
			if ctx.Err() != nil {
				return ctxFailure(ctx, err)
			}
			c.logf("cannot keep the file of message " + j.m.ID + ": " + err.Error())
		}
	}
	j.keep = nil
	return nil
}

// progress turns a transfer's byte counts into progress events: rising,
// in steps of at least 1%, below 1 until end reports 1 (once, on success).
type progress struct {
	emit func(float64)
	mu   sync.Mutex
	any  bool // reported something yet
	last float64
	done bool
}

func (p *progress) report(f float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done || f >= 1 || f < 0 || p.any && f < p.last+0.01 {
		return
	}
	p.any, p.last = true, f
	p.emit(f)
}

func (p *progress) end(ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		return
	}
	p.done = true
	if ok {
		p.emit(1)
	}
}

// SendMessageReceipt tells the peer of a P2P session that this account has
// read the session's messages up to messageID (the peer's messages get
// isRemoteRead and the peer hears onRecvMessageReceipts). Team sessions
// take SendTeamMessageReceipts (414).
func (c *Client) SendMessageReceipt(ctx context.Context, sessionID string, chatType int, messageID string) error {
	if err := checkSession(sessionID, chatType); err != nil {
		return err
	}
	if chatType != proto.ChatP2P {
		return BadParam("chatType", "must be 0: team messages take sendTeamMessageReceipts")
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
	return l.call(ctx, proto.OpReceipt, &proto.ReceiptReq{Conv: conv, Seq: ms[0].Seq, ClientID: messageID}, nil)
}
