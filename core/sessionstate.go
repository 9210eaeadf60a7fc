package core

import (
	"slices"

	"yunxin/proto"
)

// The sessions domain: the account's conversations as recent sessions with
// their sync cursors, fed by conversation rows (sync), ChangeConv and
// ChangeReceipt changes (sync and pushes) and messages (pulls, pushes,
// sends).

func init() {
	registerChange(proto.ChangeConv, applyConvChange)
	registerChange(proto.ChangeReceipt, applyReceiptChange)
}

// Session event kinds (addSessionListen's eventType).
const (
	evAddSession    = "didAddRecentSession"
	evUpdateSession = "didUpdateRecentSession"
	evRemoveSession = "didRemoveRecentSession"
)

// sessionState is the sessions domain's state: every session by key and by
// conversation id. Installed sessions are never changed in place (a tx
// installs new copies), so a reader holding Client.mu may keep a pointer.
//
// Two cursors say which of a session's messages are known. The session's
// SyncSeq and Ahead, stored and merged with the other tabs' (MergeSession),
// say which are cached: a tab installs the merged record, so it also counts
// what another tab cached (and counted unread) as cached. announced, in this
// tab's memory only, says which this tab has reported to its page
// (onRecvMessages, or sendMessageFinish for its own sends): a message cached
// by another tab is still reported here once (see ingest), and pulls start
// from this cursor (pullStart). It starts at the cached cursor of each
// session loaded: what was cached at load is not reported again.
type sessionState struct {
	byKey     map[string]*Session
	byConv    map[string]*Session
	announced map[string]seqCursor // by session key; none: nothing announced
	// receipts is this tab's announced receipt mark by session key: the
	// peer-read seq it reported last (onRecvMessageReceipts). Like
	// announced, per tab: another tab's write may bring a higher
	// PeerReadSeq into this tab's merged record before this tab applies
	// the receipt change itself, and it must still report it once.
	receipts map[string]int64
	pulling  map[string]bool // conversations with a gap pull running; guarded by Client.mu
	// repull holds, by conversation, a pull asked for while a gap pull of
	// it was running (a leave pull, a newer gap): fillGaps runs it after.
	repull  map[string]proto.Cursor
	history histIndex // messages history pages returned (anchors not cached); guarded by Client.mu
	// early holds team receipts of this account's messages that came
	// before their send's reply (no seq yet), by message id: the send's
	// finish takes their counts (teamreceipts.go). Memory only: the
	// sending copy in the cache is never rewritten for them, since another
	// tab may be finishing that send. Guarded by Client.mu.
	early map[string]proto.TeamReceiptInfo
}

func newSessionState(list []Session) sessionState {
	st := sessionState{byKey: make(map[string]*Session, len(list)), byConv: make(map[string]*Session, len(list)),
		announced: make(map[string]seqCursor, len(list)), receipts: make(map[string]int64, len(list)),
		pulling: map[string]bool{}, repull: map[string]proto.Cursor{}, history: newHistIndex(maxHistIndex),
		early: map[string]proto.TeamReceiptInfo{}}
	for i := range list {
		s := list[i] // schema-1 records come converted from the cache's Load
		st.install(&s)
		st.announced[s.Key] = seqCursor{s.SyncSeq, s.Ahead}
		st.receipts[s.Key] = s.PeerReadSeq
	}
	return st
}

// seqCursor is a set of a conversation's seqs: every seq up to Seq, and
// the ones in Ahead (ascending, each above Seq+1). Ahead is replaced, never
// changed in place: copies share it.
type seqCursor struct {
	Seq   int64
	Ahead []int64
}

// HasSeq reports whether the session's cursor (SyncSeq and Ahead) holds
// seq: a message of that seq was cached from the server, or passed by.
func (s *Session) HasSeq(seq int64) bool { return seqCursor{s.SyncSeq, s.Ahead}.has(seq) }

// has reports whether seq is in c.
func (c seqCursor) has(seq int64) bool {
	if seq <= c.Seq {
		return true
	}
	_, found := slices.BinarySearch(c.Ahead, seq)
	return found
}

// mark adds seq to c, advancing Seq over contiguous seqs. It returns false
// when seq was in c already.
func (c *seqCursor) mark(seq int64) bool {
	if seq <= c.Seq {
		return false
	}
	i, found := slices.BinarySearch(c.Ahead, seq)
	if found {
		return false
	}
	if seq == c.Seq+1 {
		c.Seq = seq
		k := 0
		for k < len(c.Ahead) && c.Ahead[k] == c.Seq+1 {
			c.Seq = c.Ahead[k]
			k++
		}
		c.Ahead = slices.Clone(c.Ahead[k:])
		if len(c.Ahead) == 0 {
			c.Ahead = nil
		}
		return true
	}
	c.Ahead = slices.Insert(slices.Clone(c.Ahead), i, seq)
	return true
}

// union adds every seq of o to c.
func (c *seqCursor) union(o seqCursor) {
	c.Seq, c.Ahead = mergeCursor(c.Seq, c.Ahead, o.Seq, o.Ahead)
}

// receiptMark returns this tab's announced receipt mark of session key as
// t stages it (sessionState.receipts).
func (t *tx) receiptMark(key string) int64 {
	if m, ok := t.receipts[key]; ok {
		return m
	}
	return t.r.st.sessions.receipts[key]
}

// announcedOf returns this tab's announced cursor of session key as t
// sees it.
func (t *tx) announcedOf(key string) seqCursor {
	if a, ok := t.announced[key]; ok {
		return a
	}
	return t.r.st.sessions.announced[key]
}

// setAnnounced stages a as the announced cursor of session key.
func (t *tx) setAnnounced(key string, a seqCursor) {
	if t.announced == nil {
		t.announced = map[string]seqCursor{}
	}
	t.announced[key] = a
}

// roam starts the cursor of session s, of which nothing is cached from the
// server yet, RoamLimit messages before last: older ones stay on the
// server, and this tab does not announce them either.
func (t *tx) roam(s *Session, last int64) {
	s.SyncSeq = max(0, last-RoamLimit)
	t.raiseAnnounced(s.Key, s.SyncSeq)
}

// raiseFloor counts every seq of session s up to floor as cached and as
// announced by this tab: the server never serves them to this account (its
// pull window of a team conversation starts after floor: proto.Conv.Floor,
// proto.PullResp.Floors), so they must not look like a gap. It reports
// whether s changed.
func (t *tx) raiseFloor(s *Session, floor int64) bool {
	if floor <= 0 {
		return false
	}
	t.raiseAnnounced(s.Key, floor)
	if floor <= s.SyncSeq {
		return false
	}
	c := seqCursor{s.SyncSeq, s.Ahead}
	c.union(seqCursor{Seq: floor})
	s.SyncSeq, s.Ahead = c.Seq, c.Ahead
	return true
}

// applyFloors raises the cursors of the sessions of the conversations in
// floors (a pull's PullResp.Floors) to their floors (raiseFloor).
func (t *tx) applyFloors(floors map[string]int64) {
	for conv, floor := range floors {
		key := t.keyOfConv(conv, "")
		if key == "" {
			continue
		}
		if s, ok := t.session(key); ok && t.raiseFloor(&s, floor) {
			t.putSession(s, "")
		}
	}
}

// raiseAnnounced counts every seq of session key up to seq as announced.
func (t *tx) raiseAnnounced(key string, seq int64) {
	if a := t.announcedOf(key); seq > a.Seq {
		a.union(seqCursor{Seq: seq})
		t.setAnnounced(key, a)
	}
}

// pullStart returns the seq after which this tab pulls the messages of
// session s (as staged) up to last (see pullFrom), and counts the seqs it
// skips as announced.
func (t *tx) pullStart(s Session, last int64) int64 {
	from := pullFrom(t.announcedOf(s.Key), s, last)
	t.raiseAnnounced(s.Key, from)
	return from
}

// pullFrom returns the seq after which a tab whose announced cursor is a
// pulls the messages of session s up to last: its announced cursor, so that
// it pulls and announces what another tab cached too, but never after the
// cache's cursor (what is not cached must be pulled), and, of the messages
// cached already, only the RoamLimit latest before last (the tab skips
// older ones).
func pullFrom(a seqCursor, s Session, last int64) int64 {
	return max(min(a.Seq, s.SyncSeq), min(s.SyncSeq, last-RoamLimit))
}

// gapPull asks for a pull of session key's conversation after the commit,
// should the session as installed then (merged with the other tabs') have a
// hole before its last seq: in the cache's cursor, or in what this tab
// announced (see tx.commit).
func (t *tx) gapPull(key string) {
	if !slices.Contains(t.gapKeys, key) {
		t.gapKeys = append(t.gapKeys, key)
	}
}

// gapCursor returns where a gap pull of session key starts, from the state
// installed in st, raising its announced cursor over the seqs skipped; ok
// is false when there is no hole.
func (st *sessionState) gapCursor(key string) (cur proto.Cursor, ok bool) {
	s, a := st.byKey[key], st.announced[key]
	if s == nil || s.Conv == "" || len(s.Ahead) == 0 && len(a.Ahead) == 0 {
		return proto.Cursor{}, false
	}
	from := pullFrom(a, *s, s.LastSeq)
	a.union(seqCursor{Seq: from})
	st.announced[key] = a
	return proto.Cursor{Conv: s.Conv, After: from}, true
}

// install makes s the session of its key (and of its conversation).
func (st *sessionState) install(s *Session) {
	if old := st.byKey[s.Key]; old != nil && old.Conv != "" && old.Conv != s.Conv {
		delete(st.byConv, old.Conv)
	}
	st.byKey[s.Key] = s
	if s.Conv != "" {
		st.byConv[s.Conv] = s
	}
}

// totalUnread is the unread count of the visible sessions.
func (st *sessionState) totalUnread() int {
	n := 0
	for _, s := range st.byKey {
		if !s.Hidden() {
			n += s.Unread
		}
	}
	return n
}

// sessionEvent builds a session listener event; ok is false when there is
// nothing to tell (a hidden session changed: pages only hear of it when it
// is removed or shown again).
func sessionEvent(kind string, s *Session, total int) (e Event, ok bool) {
	if s == nil || s.Hidden() && kind != evRemoveSession {
		return Event{}, false
	}
	v := s.View()
	return Event{Kind: EventSession, Data: SessionEvent{EventType: kind, RecentSession: &v,
		Session: &SessionRef{s.ID, s.ChatType}, TotalUnreadCount: total}}, true
}

// session returns a copy of the session with key as t sees it, and whether
// it exists.
func (t *tx) session(key string) (Session, bool) {
	if s := t.sessions[key]; s != nil {
		return *s, true
	}
	if s := t.r.st.sessions.byKey[key]; s != nil {
		return *s, true
	}
	return Session{}, false
}

// keyOfConv returns the key of conversation conv's session, or def when
// there is none yet.
func (t *tx) keyOfConv(conv, def string) string {
	if k, ok := t.convKeys[conv]; ok {
		return k
	}
	if s := t.r.st.sessions.byConv[conv]; s != nil {
		return s.Key
	}
	return def
}

// putSession stages s and, unless event is "", the session event to emit.
// An add is not downgraded to an update within one tx.
func (t *tx) putSession(s Session, event string) {
	t.sessions[s.Key] = &s
	if s.Conv != "" {
		t.convKeys[s.Conv] = s.Key
	}
	if event == "" || t.kinds[s.Key] == evAddSession && event == evUpdateSession {
		return
	}
	t.kinds[s.Key] = event
}

// touch returns the session with key for new activity (a send, a
// creatRecentSession): a new one, or a hidden one shown again, with the
// session event that fits.
func (t *tx) touch(key, id string, chatType int) (Session, string) {
	s, ok := t.session(key)
	if !ok {
		return Session{Key: key, ID: id, ChatType: chatType}, evAddSession
	}
	if s.Hidden() {
		s.UpdateTime = s.HideTime + 1 // shown again; callers may move it further
		return s, evAddSession
	}
	return s, evUpdateSession
}

// applyConv merges a server conversation row (from a sync page, a
// ChangeConv, or a read reply) into its session, creating the session with
// its roaming cursor (RoamLimit) when it is new. Before a sync page's
// messages are pulled (final false) it takes the receipt and the server's
// read mark (as SrvReadSeq); final also takes the last seq, and the read
// mark and the unread count when shouldSyncUnreadCount is on, unless the
// row is older than what the session already knows. (The last seq waits
// for the messages: a session claiming a LastSeq whose messages it has not
// counted would win MergeSession's unread count over another tab's record
// that counted them.)
func (t *tx) applyConv(cv proto.Conv, final bool) {
	t.convs = append(t.convs, cv)
	peer := convSessionID(cv.ID, cv.ChatType, t.r.account)
	if peer == "" {
		return // not a P2P or team conversation of this account
	}
	key := t.keyOfConv(cv.ID, SessionKey(cv.ChatType, peer))
	s, ok := t.session(key)
	changed := !ok
	if !ok {
		s = Session{Key: key, ID: peer, ChatType: cv.ChatType, UpdateTime: cv.LastTime, ReadSeq: cv.ReadSeq}
		t.roam(&s, cv.LastSeq)
	}
	if s.Conv == "" {
		s.Conv, changed = cv.ID, true
	}
	if ok && s.SyncSeq == 0 && s.LastSeq == 0 && len(s.Ahead) == 0 {
		// A session made here (creatRecentSession, a send while offline)
		// before its conversation was met: nothing of it is cached from the
		// server, so it roams like a new one.
		if cv.LastSeq > RoamLimit {
			t.roam(&s, cv.LastSeq)
			changed = true
		}
		if cv.ReadSeq > s.ReadSeq {
			s.ReadSeq, changed = cv.ReadSeq, true
		}
	}
	if t.raiseFloor(&s, cv.Floor) {
		changed = true // seqs up to its (re)join never reach this account
	}
	if final && cv.LastSeq > s.LastSeq {
		s.LastSeq, changed = cv.LastSeq, true
	}
	if cv.PeerReadSeq > s.PeerReadSeq {
		s.PeerReadSeq, s.PeerReadTime, changed = cv.PeerReadSeq, cv.PeerReadTime, true
	}
	// The server counts team notification messages as unread; without
	// shouldCountTeam this SDK does not (countsUnread), so it takes the
	// server's count less those.
	counted := cv
	if isTeamChat(cv.ChatType) && !t.c.Config().ShouldCountTeam {
		counted.Unread = max(0, cv.Unread-cv.NoteUnread)
	}
	if s.SrvReadSeq == 0 && s.ReadSeq == 0 && cv.ReadSeq > 0 {
		// The first server read mark of a session read nowhere here (one
		// whose cursor a send's ack started before its row came): it is
		// taken whatever shouldSyncUnreadCount, as a new session takes it,
		// and the unread count is recounted from the row, at most what this
		// session counted itself (messages pulled later count after it).
		if r, u, take := syncedRead(s, counted); take {
			s.ReadSeq, s.Unread, changed = r, min(u, s.Unread), true
		}
	}
	if final && t.c.Config().ShouldSyncUnreadCount {
		if r, u, take := syncedRead(s, counted); take {
			if r != s.ReadSeq || u != s.Unread {
				s.ReadSeq, s.Unread, changed = r, u, true
			}
		}
	}
	event := ""
	switch {
	case !final:
	case !ok:
		event = evAddSession
	case changed:
		event = evUpdateSession
	}
	if cv.ReadSeq > s.SrvReadSeq { // bookkeeping only: no event
		s.SrvReadSeq, changed = cv.ReadSeq, true
	}
	if changed {
		t.putSession(s, event)
	}
}

// syncedRead returns the read mark and unread count a session takes from
// the server's row cv, and whether it takes them. A row that knows all the
// session knows (cv.LastSeq >= s.LastSeq) gives both as they are, unless its
// read mark is behind the session's. A higher read mark is taken whatever
// the row's LastSeq (another device read while this one already got newer
// messages); the unread count is then the row's plus the messages this
// session knows of after cv.LastSeq, at most the session's own count (some
// of those may be the account's own; the newest is not counted when it is).
func syncedRead(s Session, cv proto.Conv) (int64, int, bool) {
	switch {
	case cv.ReadSeq < s.ReadSeq:
		return 0, 0, false
	case cv.LastSeq >= s.LastSeq:
		return cv.ReadSeq, cv.Unread, cv.ReadSeq != s.ReadSeq || cv.Unread != s.Unread
	case cv.ReadSeq == s.ReadSeq:
		return 0, 0, false
	case cv.ReadSeq >= s.LastSeq:
		return cv.ReadSeq, 0, true
	}
	after := s.LastSeq - cv.LastSeq
	if m := s.LastMsg; m != nil && m.Outgoing && m.Seq == s.LastSeq {
		after-- // the account's own message is never unread
	}
	u := min(s.Unread, cv.Unread+int(after))
	return cv.ReadSeq, max(u, 0), true
}

// applyConvChange applies a ChangeConv: the account's read mark moved.
// During a sync its read mark waits for the page's messages (applyConv).
func applyConvChange(t *tx, ch proto.Change) error {
	if ch.Deleted {
		return nil // no op deletes a conversation yet
	}
	var cv proto.Conv
	if err := decode(ch, &cv); err != nil {
		return err
	}
	if cv.ID == "" {
		cv.ID = ch.Key
	}
	t.applyConv(cv, !t.syncing)
	return nil
}

// applyReceiptChange applies a ChangeReceipt: the peer read this account's
// messages up to Seq.
func applyReceiptChange(t *tx, ch proto.Change) error {
	if ch.Deleted {
		return nil
	}
	var rc proto.Receipt
	if err := decode(ch, &rc); err != nil {
		return err
	}
	if rc.Conv == "" {
		rc.Conv = ch.Key
	}
	t.applyReceipt(rc)
	return nil
}

// applyReceipt raises the session's PeerReadSeq and reports
// onRecvMessageReceipts. A receipt for a conversation not met yet is left
// to its conversation row, which carries the same mark.
func (t *tx) applyReceipt(rc proto.Receipt) {
	key := t.keyOfConv(rc.Conv, "")
	if key == "" {
		return
	}
	s, ok := t.session(key)
	if !ok {
		return
	}
	if rc.Seq > s.PeerReadSeq {
		s.PeerReadSeq, s.PeerReadTime = rc.Seq, rc.Time
		t.putSession(s, evUpdateSession)
	}
	if rc.Seq <= t.receiptMark(key) { // this tab reported it already
		return
	}
	if t.receipts == nil {
		t.receipts = map[string]int64{}
	}
	t.receipts[key] = rc.Seq
	ref := SessionRef{s.ID, s.ChatType}
	rv := ReceiptView{Session: ref, SessionID: s.ID, Timestamp: rc.Time, MessageID: rc.ClientID}
	if n := len(t.events); n > 0 {
		if e, ok := t.events[n-1].Data.(MessageEvent); ok && e.EventType == "onRecvMessageReceipts" {
			e.Receipts = append(e.Receipts, rv)
			t.events[n-1].Data = e
			return
		}
	}
	t.events = append(t.events, Event{Kind: EventMessage, Data: MessageEvent{EventType: "onRecvMessageReceipts",
		Receipts: []ReceiptView{rv}}})
}

// ingest stages messages from the server (a pull page or a push) and
// reports the ones this tab has not announced (onRecvMessages). A message
// the cache's cursor (merged with the other tabs') does not have is cached
// and counted in its session; one another tab cached already is only
// announced: that tab counted it (unread, last message), and the merged
// record this tab installed says so. Cached messages go to the cache as
// Batch.AddMessages: the cache, not this tab's memory (which may lag behind
// another tab's deletes and clears), decides whether each is inserted; the
// session this tab staged is merged with the stored one and that merge is
// what it installs. A session of which nothing is cached
// from the server yet roams (RoamLimit). A revoked message (Msg.Revoked,
// or one whose revoke this device applied already) only moves the cursors. With live (pushes and gap pulls),
// conversations left with a hole (a message arrived whose predecessors are
// missing) are pulled after the commit.
func (t *tx) ingest(msgs []proto.Msg, live bool) {
	me := t.r.account
	// Once per page, not per message: the config (a copy under the
	// client's lock) and the file base; room for the page's messages.
	cfg, base := t.c.Config(), t.c.fileBase()
	fresh := make([]MessageView, 0, len(msgs))
	if n := len(t.addMsgs) + len(msgs); cap(t.addMsgs) < n {
		t.addMsgs = append(make([]Message, 0, n), t.addMsgs...)
	}
	touched := map[string]bool{}
	var order []string
	for _, pm := range msgs {
		if pm.Seq <= 0 {
			continue
		}
		peer := convSessionID(pm.Conv, pm.ChatType, me)
		if peer == "" {
			continue
		}
		key := t.keyOfConv(pm.Conv, SessionKey(pm.ChatType, peer))
		s, ok := t.session(key)
		kind := evUpdateSession
		if !ok {
			s = Session{Key: key, ID: peer, ChatType: pm.ChatType}
			kind = evAddSession
		} else if s.Hidden() && pm.Time > s.HideTime {
			kind = evAddSession
		}
		if s.SyncSeq == 0 && s.LastSeq == 0 && len(s.Ahead) == 0 {
			t.roam(&s, pm.Seq)
		}
		if s.Conv == "" {
			s.Conv = pm.Conv
		}
		a := t.announcedOf(key)
		cache := s.markSeq(pm.Seq) // not cached yet, by this tab or another
		tell := a.mark(pm.Seq)     // not announced by this tab yet
		if !cache && !tell {
			continue
		}
		// A revoke this device applied already (its change came first, the
		// message in a pull answered before it) counts as Msg.Revoked.
		if pm.Revoked || t.revokeDone(pm.Conv, pm.Seq) {
			// Known, so the cursors pass it, but gone: never cached,
			// counted or announced (its ChangeRevoke tells the page).
			if tell {
				t.setAnnounced(key, a)
			}
			if cache {
				s.LastSeq = max(s.LastSeq, pm.Seq)
				if !ok && s.UpdateTime == 0 {
					s.HideTime = 1 // nothing to list: shown by its first message
				}
				t.putSession(s, "")
			}
			continue
		}
		m := protoMessage(pm, me, s.Key, peer, base)
		if cache {
			// Inserted only if the cache has no message of its id (another
			// tab may have deleted it) and its session was not cleared
			// past it (Batch.AddMessages): this tab's memory may lag.
			t.addMsgs = append(t.addMsgs, m)
			if countsUnread(&m, cfg) && m.Seq > s.ReadSeq {
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
			t.putSession(s, kind)
		}
		if tell {
			t.setAnnounced(key, a)
			fresh = append(fresh, m.View(s.PeerReadSeq))
		}
		if !touched[key] {
			touched[key] = true
			order = append(order, key)
		}
	}
	if live {
		for _, k := range order {
			t.gapPull(k)
		}
	}
	if len(fresh) > 0 {
		t.events = append(t.events, Event{Kind: EventMessage, Data: MessageEvent{EventType: "onRecvMessages", Messages: fresh}})
	}
}

// protoMessage is the cached form of a message from the server in session
// key with peer, as account me sees it, its file URLs resolved against
// fileBase (absoluteFileURLs).
func protoMessage(pm proto.Msg, me, key, peer, fileBase string) Message {
	m := Message{ID: pm.ClientID, SK: key, SessionID: peer, ChatType: pm.ChatType, ServerID: pm.ServerID,
		Seq: pm.Seq, From: pm.From, Type: pm.Type, Body: absoluteFileURLs(pm.Type, pm.Body, fileBase), Ext: pm.Ext, Time: pm.Time,
		State: DeliverySent, Outgoing: pm.From == me, FromClient: pm.FromClient, Nick: pm.Nick,
		TeamReceipt: pm.TeamReceipt, ReceiptRead: pm.ReceiptRead, ReceiptUnread: pm.ReceiptUnread}
	if m.ID == "" {
		m.ID = "s" + pm.ServerID
	}
	return m
}

// markSeq records that the message with seq is cached, advancing SyncSeq
// over contiguous seqs. It returns false when seq was cached already.
func (s *Session) markSeq(seq int64) bool {
	c := seqCursor{s.SyncSeq, s.Ahead}
	if !c.mark(seq) {
		return false
	}
	s.SyncSeq, s.Ahead = c.Seq, c.Ahead
	return true
}
