package core

import (
	"context"
	"sort"

	"yunxin/internal/jx"
	"yunxin/proto"
)

// RoamLimit is how many of a conversation's latest messages a client fetches
// when it meets the conversation for the first time (a new device, or a
// conversation created elsewhere). Older ones stay on the server.
const RoamLimit = 100

// sync brings the state up to date after a login: it asks for sync pages
// from the two cursors (Meta.Ver over the account's change log, Meta.ConvVer
// over its conversations) until the server says there is no more, applying
// each page (syncPage), then sends the read marks made while offline (of
// sessions, and of the notification inbox).
func (c *Client) sync(r *run, l *link) error {
	for {
		c.mu.Lock()
		req := proto.SyncReq{Since: r.st.meta.Ver, ConvSince: r.st.meta.ConvVer}
		if r.resync {
			req.Since = r.since
		}
		c.mu.Unlock()
		var resp proto.SyncResp
		if err := l.call(r.ctx, proto.OpSync, &req, &resp); err != nil {
			return err
		}
		if resp.More && resp.Ver <= req.Since && resp.ConvVer <= req.ConvSince {
			return Errf(proto.CodeServer, "sync page made no progress")
		}
		if err := c.syncPage(r, l, &resp); err != nil {
			return err
		}
		if !resp.More {
			if err := c.sendUnsentReads(r, l); err != nil {
				return err
			}
			return c.afterPeopleSync(r, l)
		}
	}
}

// syncPage applies one sync page: its changes (through the registry) and
// conversation rows, written in one transaction; then the messages of those
// conversations after what this tab announced (pullStart; pulled in
// byte-bounded pages); then the read marks and unread counts, with the
// page's cursors, in one last transaction. The cursors are stored only once everything before them is.
func (c *Client) syncPage(r *run, l *link, resp *proto.SyncResp) error {
	t, err := c.openTx(r)
	if err != nil {
		return err
	}
	defer t.abort()
	t.syncing = true
	for _, ch := range resp.Changes {
		t.applyChange(ch)
	}
	for _, cv := range resp.Convs {
		t.applyConv(cv, false)
	}
	convs := t.convs
	if err := t.commit(r.ctx); err != nil {
		return wrap("sync page", err)
	}

	targets := map[string]int64{}
	for _, cv := range convs {
		targets[cv.ID] = max(targets[cv.ID], cv.LastSeq)
	}
	// Each conversation is pulled from this tab's announced cursor (see
	// pullStart): what another tab cached meanwhile is announced here too.
	var cursors []proto.Cursor
	err = c.change(r, func(t *tx) {
		for conv, last := range targets {
			key := t.keyOfConv(conv, "")
			s, ok := t.session(key)
			if !ok {
				continue
			}
			if from := t.pullStart(s, last); last > from {
				cursors = append(cursors, proto.Cursor{Conv: conv, After: from})
			}
		}
	})
	if err != nil {
		return wrap("sync page", err)
	}
	sort.Slice(cursors, func(i, j int) bool { return cursors[i].Conv < cursors[j].Conv })
	if err := c.pull(r, l, cursors, targets, false); err != nil {
		return err
	}

	// The server's unread counts and read marks win once the messages are
	// in, except where this client read further while offline.
	if t, err = c.openTx(r); err != nil {
		return err
	}
	defer t.abort()
	for _, cv := range convs {
		t.applyConv(cv, true)
	}
	m := t.getMeta()
	m.Ver, m.ConvVer = max(m.Ver, resp.Ver), max(m.ConvVer, resp.ConvVer)
	if !resp.More {
		m.Kinds = changeKinds // every kind this SDK applies is in, up to m.Ver
	}
	t.setMeta(m)
	if err := t.commit(r.ctx); err != nil {
		return wrap("sync page", err)
	}
	c.mu.Lock()
	if r.resync {
		r.since, r.resync = max(r.since, resp.Ver), resp.More
	}
	c.mu.Unlock()
	return nil
}

// pull fetches the messages after the cursors until the server says there
// are no more (a page is cut by count and by bytes), committing each page.
// targets, when known, are the conversations' last seqs: a cursor that
// reached its target is not asked again. The next page is asked for as
// soon as a page arrived (its cursors follow from the page alone), so that
// the server's work, the transfer and the decoding of page n+1 overlap the
// cache write of page n; pages are still committed one by one, in order.
func (c *Client) pull(r *run, l *link, cursors []proto.Cursor, targets map[string]int64, live bool) error {
	if len(cursors) == 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(r.ctx)
	defer cancel() // a page asked for and not needed (an error) is dropped
	next := fetchPull(ctx, l, cursors)
	for next != nil {
		res := <-next
		if res.err != nil {
			return res.err
		}
		resp := &res.resp
		next = nil
		if resp.More && len(resp.Msgs) > 0 {
			if cursors = nextCursors(cursors, resp, targets); len(cursors) > 0 {
				next = fetchPull(ctx, l, cursors)
			}
		}
		err := c.change(r, func(t *tx) {
			t.ingest(resp.Msgs, live)
			t.applyFloors(resp.Floors)
		})
		if err != nil {
			return wrap("pull", err)
		}
	}
	return nil
}

// pulled is the outcome of one pull request.
type pulled struct {
	resp proto.PullResp
	err  error
}

// fetchPull asks for the messages after cursors; the channel gets the
// outcome.
func fetchPull(ctx context.Context, l *link, cursors []proto.Cursor) <-chan pulled {
	ch := make(chan pulled, 1)
	go func() {
		var p pulled
		p.err = l.call(ctx, proto.OpPull, &proto.PullReq{Cursors: cursors, Limit: proto.MaxPull}, &p.resp)
		ch <- p
	}()
	return ch
}

// nextCursors are the cursors after page resp: a conversation the server
// did not reach keeps its cursor; one it finished cannot always be told
// from one it cut, so unless its target says so it is asked again and
// answers nothing.
func nextCursors(cursors []proto.Cursor, resp *proto.PullResp, targets map[string]int64) []proto.Cursor {
	last := map[string]int64{}
	for _, m := range resp.Msgs {
		last[m.Conv] = max(last[m.Conv], m.Seq)
	}
	next := make([]proto.Cursor, 0, len(cursors))
	for _, cur := range cursors {
		if s, ok := last[cur.Conv]; ok {
			cur.After = max(cur.After, s)
		}
		cur.After = max(cur.After, resp.Floors[cur.Conv]) // nothing below the window comes
		if target, ok := targets[cur.Conv]; ok && cur.After >= target {
			continue
		}
		next = append(next, cur)
	}
	return next
}

// sendUnsentReads sends the read marks this client moved while offline (or
// whose request failed), when read marks are synced: every session whose
// ReadSeq is above the server's as last seen.
func (c *Client) sendUnsentReads(r *run, l *link) error {
	c.mu.Lock()
	var reqs []proto.ReadReq
	if c.cfg.ShouldSyncUnreadCount {
		for _, s := range r.st.sessions.byKey {
			if s.Conv != "" && s.ReadSeq > s.SrvReadSeq {
				reqs = append(reqs, proto.ReadReq{Conv: s.Conv, Seq: s.ReadSeq})
			}
		}
	}
	c.mu.Unlock()
	sort.Slice(reqs, func(i, j int) bool { return reqs[i].Conv < reqs[j].Conv })
	var convs []proto.Conv
	for _, rq := range reqs {
		var cv proto.Conv
		if err := l.call(r.ctx, proto.OpRead, &rq, &cv); err != nil {
			if isNetwork(err) {
				return err
			}
			if readRefused(rq.Conv, err) {
				c.readRefusedFor(r, rq.Conv, rq.Seq)
				continue
			}
			c.logf("cannot send the read mark of " + rq.Conv + ": " + err.Error())
			continue
		}
		convs = append(convs, cv)
	}
	if len(convs) > 0 {
		c.applyServerConvs(r, convs)
	}
	return nil
}

// fillGaps pulls the messages missing before live ones, one pull per
// conversation at a time.
func (c *Client) fillGaps(r *run, cursors []proto.Cursor) {
	var todo []proto.Cursor
	defer func() {
		if p := recover(); p != nil { // a panic here must not kill the runtime
			c.logf("filling a gap: internal error: " + panicText(p))
		}
		c.mu.Lock()
		var again []proto.Cursor
		for _, cur := range todo {
			delete(r.st.sessions.pulling, cur.Conv)
			if next, ok := r.st.sessions.repull[cur.Conv]; ok {
				delete(r.st.sessions.repull, cur.Conv)
				again = append(again, next)
			}
		}
		c.mu.Unlock()
		if len(again) > 0 && r.ctx.Err() == nil {
			go c.fillGaps(r, again)
		}
	}()
	l := func() *link {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.active != r || r.link == nil {
			return nil
		}
		for _, cur := range cursors {
			if !r.st.sessions.pulling[cur.Conv] {
				r.st.sessions.pulling[cur.Conv] = true
				todo = append(todo, cur)
			} else if prev, ok := r.st.sessions.repull[cur.Conv]; !ok || cur.After < prev.After {
				// Asked while a pull of it runs (a leave pull after a gap
				// pull the server answered before the leave): run after it,
				// from the lowest cursor asked.
				r.st.sessions.repull[cur.Conv] = cur
			}
		}
		return r.link
	}()
	if l == nil || len(todo) == 0 {
		return
	}
	if err := c.liveFull(r, c.cacheFailed(r, c.pull(r, l, todo, nil, true))); err != nil && r.ctx.Err() == nil && !isNetwork(err) {
		c.logf("cannot fill a gap: " + err.Error())
	}
}

// maxHeldBytes caps the pushes held during a sync (their data): past it
// they are dropped and the sync runs again, which brings what they carried.
var maxHeldBytes = 4 * proto.MaxFrame

// onPush handles a server push on link l of run r. Messages and changes go
// through the same code as a sync's; a change whose Ver is the next one
// after Meta.Ver also advances Meta.Ver (otherwise the cursor waits for the
// next sync, which pages over it again). A push that cannot be applied is
// logged.
//
// Messages and changes pushed on a link that is not the run's any more (a
// dead one's queue) are dropped: the next sync brings them. Those pushed
// while a sync runs are held and applied after it (releaseHeld), in arrival
// order: the server fans pushes out after its commit, so one may arrive
// while the sync is still pulling older messages of the same conversation.
// Held pushes are capped by bytes (maxHeldBytes); past the cap they are
// dropped and the sync runs again.
func (c *Client) onPush(r *run, l *link, op string, data jx.RawMessage) {
	if op == proto.PushMsg || op == proto.PushChange {
		c.mu.Lock()
		switch {
		case r.link != l:
			c.mu.Unlock()
			return
		case r.syncing != nil:
			if !r.overflow {
				r.held = append(r.held, push{op, data})
				r.heldBytes += len(data)
				if r.heldBytes > maxHeldBytes {
					r.held, r.heldBytes, r.overflow = nil, 0, true
				}
			}
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
	}
	c.applyPush(r, op, data)
}

// releaseHeld applies the pushes held during link l's sync, then lets
// pushes through again. It returns false, holding on, when the held pushes
// passed their cap and were dropped: the caller syncs again.
func (c *Client) releaseHeld(r *run, l *link) bool {
	for {
		c.mu.Lock()
		if r.syncing != l {
			c.mu.Unlock()
			return true
		}
		if r.overflow {
			r.held, r.heldBytes, r.overflow = nil, 0, false
			c.mu.Unlock()
			return false
		}
		held := r.held
		r.held, r.heldBytes = nil, 0
		if len(held) == 0 {
			r.syncing = nil
			c.mu.Unlock()
			return true
		}
		c.mu.Unlock()
		for _, p := range held {
			c.applyPush(r, p.op, p.data)
		}
	}
}

// applyPush applies one push of run r.
func (c *Client) applyPush(r *run, op string, data jx.RawMessage) {
	defer func() {
		if p := recover(); p != nil { // a bad push must not kill the runtime
			c.logf("push " + op + ": internal error: " + panicText(p))
		}
	}()
	switch op {
	case proto.PushMsg:
		var m proto.Msg
		if err := jx.Unmarshal(data, &m); err != nil {
			c.logf("bad msg push: " + err.Error())
			return
		}
		err := c.liveFull(r, c.cacheFailed(r, c.change(r, func(t *tx) { t.ingest([]proto.Msg{m}, true) })))
		if err != nil && err != errLoggedOut {
			c.logf("cannot apply a pushed message: " + err.Error())
		}
	case proto.PushChange:
		var ch proto.Change
		if err := jx.Unmarshal(data, &ch); err != nil {
			c.logf("bad change push: " + err.Error())
			return
		}
		err := c.liveFull(r, c.cacheFailed(r, c.change(r, func(t *tx) {
			t.applyChange(ch)
			if m := t.getMeta(); ch.Ver == m.Ver+1 {
				m.Ver = ch.Ver
				t.setMeta(m)
			}
		})))
		if err != nil && err != errLoggedOut {
			c.logf("cannot apply pushed change " + itoa64(ch.Ver) + " (" + ch.Kind + "): " + err.Error())
		}
	case proto.PushClients:
		var cl proto.Clients
		if err := jx.Unmarshal(data, &cl); err != nil {
			c.logf("bad clients push: " + err.Error())
			return
		}
		c.mu.Lock()
		if c.active != r {
			c.mu.Unlock()
			return
		}
		typ := 3
		if len(cl.Clients) > len(r.clients) {
			typ = 2
		}
		r.clients = cl.Clients
		c.mu.Unlock()
		c.emitAccount(AccountEvent{EventType: "multiLoginClientsChanged", Type: typ, Clients: clientViews(cl.Clients)})
	case proto.PushCustom:
		c.onCustomPush(r, data)
	case proto.PushKick:
		var k proto.Kick
		jx.Unmarshal(data, &k)
		// Kicked: no reconnect. The run is detached before the page hears
		// kickout, so isLogined() in its handler answers false.
		c.end(r, errLoginKicked, AccountEvent{EventType: "kickout", ReasonCode: k.Reason, ClientType: k.ClientType, ReasonDesc: k.Desc})
	}
}
