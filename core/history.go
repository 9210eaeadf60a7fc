package core

import (
	"context"

	"yunxin/proto"
)

// PullMessageHistory reads up to p.Limit (1…proto.MaxHistory) of a
// session's messages from the server (pullMessageHistory), next to the
// anchor p.MessageID (not included; a cached message the server stored) or,
// without one, from the newest end (with p.Newer: the oldest). It reaches
// past what this device roamed or still caches (a cleared cache, a new
// device): the server keeps the whole history, revoked messages left out.
// Pages the server cuts (by bytes) are followed up to p.Limit.
//
// Order: the walk's, nearest the anchor first — newest first by default
// (older messages, NIM Android's QUERY_OLD order), oldest first with
// p.Newer. So the last message of a page is the anchor of the next.
//
// With p.Persist the messages are cached as history, not as news: no
// onRecvMessages, no unread count, the sync cursors untouched. Only
// messages the cursors already pass are written (older than the session's
// roaming start, or removed from the cache meanwhile); a message cached
// already is not overwritten (a deleted one stays deleted), and one older
// than the session's last deleteAllmessagesInSession / deleteAllMessages is
// not cached again unless p.PersistClear. Newer ones the sync brings, and
// announces, as usual.
//
// The anchor is a message cached in the session, or one a history page
// returned since the login (kept in memory, the latest maxHistIndex): so
// paging goes on without persist, and after deleteAllmessagesInSession.
//
// Errors: 414 a bad parameter, or an anchor the server never stored; 404
// an anchor neither cached in this session nor returned by its history;
// 415 offline.
func (c *Client) PullMessageHistory(ctx context.Context, p HistoryParams) ([]MessageView, error) {
	if err := checkSession(p.SessionID, p.ChatType); err != nil {
		return nil, err
	}
	if err := checkHistoryLimit(p.Limit); err != nil {
		return nil, err
	}
	if p.MessageID != "" {
		if err := checkMessageID("messageId", p.MessageID); err != nil {
			return nil, err
		}
	}
	r, l, err := c.online()
	if err != nil {
		return nil, err
	}
	sk := SessionKey(p.ChatType, p.SessionID)
	var seq int64
	if p.MessageID != "" {
		m, err := c.cachedMessage(ctx, r, sk, p.SessionID, p.MessageID)
		switch {
		case err == nil && m.Seq == 0:
			return nil, BadParam("messageId", "names a message the server never stored (deliveryState "+itoa(m.State)+"): it cannot anchor history")
		case err == nil:
			seq = m.Seq
		case AsError(err).Code == proto.CodeNotFound:
			c.mu.Lock()
			ref, ok := r.st.sessions.history.get(p.MessageID)
			c.mu.Unlock()
			if !ok || ref.sk != sk {
				return nil, err
			}
			seq = ref.seq
		default:
			return nil, err
		}
	}
	conv := c.convOf(r, sk, p.SessionID, p.ChatType)
	var got []proto.Msg // in walk order
	for len(got) < p.Limit {
		req := proto.HistoryReq{Conv: conv, Seq: seq, Newer: p.Newer, Limit: p.Limit - len(got)}
		var resp proto.HistoryResp
		if err := l.call(ctx, proto.OpHistory, &req, &resp); err != nil {
			return nil, err
		}
		ms := resp.Msgs // ascending
		if !p.Newer {
			for i, j := 0, len(ms)-1; i < j; i, j = i+1, j-1 {
				ms[i], ms[j] = ms[j], ms[i]
			}
		}
		for _, pm := range ms {
			if pm.Revoked || len(got) == p.Limit {
				continue
			}
			if p.Newer && pm.Seq <= seq || !p.Newer && seq > 0 && pm.Seq >= seq {
				continue // not past the anchor: a server that repeats itself
			}
			got = append(got, pm)
		}
		if !resp.More || len(ms) == 0 {
			break
		}
		next := ms[len(ms)-1].Seq
		if next == seq {
			break
		}
		seq = next
	}
	// Messages whose revoke this device applied meanwhile (a reply the
	// server made before the revoke) are left out; the rest can anchor the
	// next page.
	c.mu.Lock()
	kept := got[:0]
	for _, pm := range got {
		if revokeDoneIn(r.st.records, pm.Conv, pm.Seq) {
			continue
		}
		kept = append(kept, pm)
		id := pm.ClientID
		if id == "" {
			id = "s" + pm.ServerID // as protoMessage names it
		}
		r.st.sessions.history.put(id, histRef{sk: sk, seq: pm.Seq})
	}
	got = kept
	c.mu.Unlock()
	msgs := make([]Message, 0, len(got))
	for _, pm := range got {
		peer := p.SessionID
		if q := convSessionID(pm.Conv, pm.ChatType, r.account); q != "" {
			peer = q
		}
		msgs = append(msgs, protoMessage(pm, r.account, sk, peer, c.fileBase()))
	}
	if p.Persist && len(msgs) > 0 {
		if err := c.persistHistory(ctx, r, sk, msgs, p.PersistClear); err != nil {
			return nil, err
		}
	}
	c.mu.Lock()
	var peerRead int64
	if s := r.st.sessions.byKey[sk]; s != nil {
		peerRead = s.PeerReadSeq
	}
	c.mu.Unlock()
	out := make([]MessageView, len(msgs))
	for i := range msgs {
		out[i] = msgs[i].View(peerRead)
	}
	return out, nil
}

// persistHistory caches the history messages msgs of session sk that its
// cursors pass and that are not cached yet (see PullMessageHistory), as
// Batch.AddMessages: the cache checks again, in its transaction, that none
// is stored (deleted ones included) and, unless persistClear, that none is
// at or below the session's ClearedTo.
func (c *Client) persistHistory(ctx context.Context, r *run, sk string, msgs []Message, persistClear bool) error {
	ids := make([]string, len(msgs))
	for i := range msgs {
		ids[i] = msgs[i].ID
	}
	cached, err := r.cache.MessagesByID(ctx, ids)
	if err != nil {
		return wrap("cannot read the local cache", c.cacheFailed(r, err))
	}
	have := make(map[string]bool, len(cached))
	for _, m := range cached {
		have[m.ID] = true
	}
	t, err := c.openTx(r)
	if err != nil {
		return err
	}
	defer t.abort()
	s, ok := t.session(sk)
	if !ok {
		t.abort()
		return nil // nothing of the session is known: the sync brings it
	}
	cur := seqCursor{s.SyncSeq, s.Ahead}
	changed := false
	for i := range msgs {
		m := msgs[i]
		if have[m.ID] || !cur.has(m.Seq) || !persistClear && m.Time <= s.ClearedTo || t.revokeDone(s.Conv, m.Seq) {
			continue
		}
		t.addMsgs = append(t.addMsgs, m) // the cache decides again (Batch.AddMessages)
		if s.LastMsg == nil || Less(s.LastMsg, &m) {
			mc := m
			s.LastMsg, changed = &mc, true
		}
	}
	t.addClear = persistClear
	if changed {
		t.putSession(s, evUpdateSession)
	}
	return c.cacheFailed(r, t.commit(ctx))
}

// maxHistIndex bounds the history index (histIndex) of a run.
const maxHistIndex = 10000

// histRef is where a message a history page returned lies: its session
// and seq.
type histRef struct {
	sk  string
	seq int64
}

// histIndex maps the ids of messages history pages returned to where they
// lie, so that one can anchor the next page though it is not cached
// (PullMessageHistory without persist, or after a clear). It holds the
// latest max ids, the oldest forgotten first.
type histIndex struct {
	refs map[string]histRef
	ring []string // ids in insertion order, a ring of len max once full
	next int      // ring position the next id replaces, once full
	max  int
}

func newHistIndex(n int) histIndex {
	return histIndex{refs: map[string]histRef{}, max: n}
}

// put records that message id lies at ref.
func (h *histIndex) put(id string, ref histRef) {
	if h.refs == nil {
		*h = newHistIndex(max(h.max, 1))
	}
	if _, ok := h.refs[id]; ok {
		h.refs[id] = ref
		return
	}
	if len(h.ring) < h.max {
		h.ring = append(h.ring, id)
	} else {
		delete(h.refs, h.ring[h.next])
		h.ring[h.next] = id
		h.next = (h.next + 1) % h.max
	}
	h.refs[id] = ref
}

// get returns where message id lies, if a history page returned it.
func (h *histIndex) get(id string) (histRef, bool) {
	ref, ok := h.refs[id]
	return ref, ok
}
