package core

import (
	"context"
	"sort"
	"strconv"

	"yunxin/internal/jx"
	"yunxin/proto"
)

// System notifications (the inbox: friend requests and their answers; team
// ones come with teams) and custom notifications.
//
// The inbox is kept as domain records: "sysnote" (Key the notification id,
// Data a proto.SysNote) and "sysmark", the marks: Key "" is the server's
// (ChangeNotesMark: read up to ReadTo, deleted up to DeletedTo), Keys
// markLocalRead and markLocalDel this device's own (ReadTo and DeletedTo,
// one record each, Ver the mark, so that the cache keeps the higher of
// each whichever tab wrote it), set by markAllNotificationsAsRead and
// deleteAllNotifications at once, also offline, and sent to the server in
// the background or after the next sync (sendUnsentNotesMark) while they
// are above the server's. The marks in effect are the higher of the
// server's and the local ones. A notification at or below DeletedTo is
// gone: its record is removed when the mark is set and one arriving later
// is ignored. Unread are the notifications above ReadTo. The state indexes
// the inbox (inbox.go) as records are installed; a commit reports the
// unread count once, when it changed or notifications were removed.
//
// A stored custom notification (ChangeCustom) is reported the first time
// this tab meets it, whether in a push or a sync: one "custom" record (Key
// "", Data {"seenTo": id}, Ver the id) holds the highest id reported, and
// a notification is reported iff its id is above it. Custom ids grow
// store-wide and each account's log delivers them in id order, so this is
// exact, but for one case: a push lost, then a higher one seen, then the
// lost one synced is skipped (the server keeps at most 100 of them per
// account, for 7 days). One that is not stored (PushCustom) is only
// reported.

func init() {
	registerChange(proto.ChangeNote, applyNoteChange)
	registerChange(proto.ChangeNotesMark, applyNotesMarkChange)
	registerChange(proto.ChangeCustom, applyCustomChange)
}

// Notification listener event kinds (addNotificationListen's eventType).
const (
	evReceiveSystemNotification = "onReceiveSystemNotification"
	evNotificationCountChanged  = "onSystemNotificationCountChanged"
	evReceiveCustomNotification = "onReceiveCustomSystemNotification"
)

// Keys of the "sysmark" records.
const (
	markServer    = ""           // the server's marks, from ChangeNotesMark
	markLocalRead = "local-read" // this device's read mark (ReadTo; see above)
	markLocalDel  = "local-del"  // this device's delete mark (DeletedTo)
	// markLocalOld is the key of the one local record of the first
	// version (both marks, Ver their sum): still read, never written.
	markLocalOld = "local"
)

// MaxNotificationsPage caps fetchSystemNotifications' limit.
const MaxNotificationsPage = 1000

// noteID is the notification id of a "sysnote" record key (0 if it is not
// one).
func noteID(key string) int64 {
	id, err := strconv.ParseInt(key, 10, 64)
	if err != nil || id < 0 {
		return 0
	}
	return id
}

// notesMarks returns the server's and the local inbox marks.
func notesMarks(get lookup) (srv, local proto.NotesMark) {
	read := func(key string) proto.NotesMark {
		var m proto.NotesMark
		if rec, ok := get(RecordKey{proto.ChangeNotesMark, key}); ok {
			jx.Unmarshal(rec.Data, &m)
		}
		return m
	}
	old, lr, ld := read(markLocalOld), read(markLocalRead), read(markLocalDel)
	return read(markServer), proto.NotesMark{ReadTo: max(old.ReadTo, lr.ReadTo), DeletedTo: max(old.DeletedTo, ld.DeletedTo)}
}

// effectiveMark returns the marks in effect: the higher of the server's
// and the local one.
func effectiveMark(get lookup) proto.NotesMark {
	srv, local := notesMarks(get)
	return proto.NotesMark{ReadTo: max(srv.ReadTo, local.ReadTo), DeletedTo: max(srv.DeletedTo, local.DeletedTo)}
}

// unreadNotes is the unread count as t stages the inbox.
func (t *tx) unreadNotes() int { return t.inbox().unread }

// unreadNotes is the unread count of the inbox installed in st.
func (st *state) unreadNotes() int { return st.inbox.unread }

// noteView is the doc's system notification object of n under mark.
func noteView(n proto.SysNote, mark proto.NotesMark) NotificationView {
	return NotificationView{NotificationID: n.ID, Type: n.Type, Timestamp: n.Time, SourceID: n.From, TargetID: n.To,
		Postscript: n.Ps, Read: n.ID <= mark.ReadTo, HandleStatus: n.Status, NotifyExt: n.Ext, Operation: n.Op}
}

// customView is the doc's custom systemNotification of n.
func customView(n proto.CustomNote) CustomNotificationView {
	return CustomNotificationView{NotificationID: n.ID, Timestamp: n.Time, Sender: n.From, Receiver: n.To,
		Content: n.Content, ReceiverType: n.ToType}
}

// countEvent is onSystemNotificationCountChanged with unread count n. A
// commit emits it once, after the other events it staged, when the count
// it installed differs from the one before, it removed notifications (the
// inbox changed: a page refreshes its list on this event) or a
// notification event it emits told another count (staleCount).
func countEvent(n int) Event {
	return Event{Kind: EventNotification, Data: NotificationEvent{EventType: evNotificationCountChanged, UnreadCount: &n}}
}

// staleCount reports whether one of the onReceiveSystemNotification
// events of events carries another unread count than unread, the one
// installed (a notification received and deleted in one tx): the page
// hears the count again after them.
func staleCount(events []Event, unread int) bool {
	for _, e := range events {
		if ne, ok := e.Data.(NotificationEvent); ok && ne.EventType == evReceiveSystemNotification && ne.UnreadCount != nil && *ne.UnreadCount != unread {
			return true
		}
	}
	return false
}

// receiveEvent is onReceiveSystemNotification of n under mark, with the
// unread count, tied to n's record.
func receiveEvent(n proto.SysNote, mark proto.NotesMark, unread int) Event {
	v := noteView(n, mark)
	return Event{Kind: EventNotification, Data: NotificationEvent{EventType: evReceiveSystemNotification,
		Notification: &v, UnreadCount: &unread}, rec: RecordKey{proto.ChangeNote, proto.NoteKey(n.ID)}}
}

// applyNoteChange applies a ChangeNote: a new notification
// (onReceiveSystemNotification; the commit reports the count when it is
// unread), a renewed request (reported again), a new handleStatus of a
// known one (no event), or, deleted, its
// removal (the commit reports the count). One at or below the delete mark
// is ignored.
func applyNoteChange(t *tx, ch proto.Change) error {
	id := noteID(ch.Key)
	if id <= 0 {
		return Errf(proto.CodeBadParam, "bad notification id "+ch.Key)
	}
	k := RecordKey{proto.ChangeNote, proto.NoteKey(id)}
	if t.newer(k) {
		return nil
	}
	mark := effectiveMark(t.record)
	old, was := t.record(k)
	if ch.Deleted {
		t.deleteRecord(k)
		return nil
	}
	if id <= mark.DeletedTo {
		return nil // deleted here already (deleteAllNotifications)
	}
	var n proto.SysNote
	if err := decode(ch, &n); err != nil {
		return err
	}
	n.ID = id
	var on proto.SysNote
	if was && jx.Unmarshal(old.Data, &on) == nil && on == n {
		return nil
	}
	data, _ := jx.Marshal(&n)
	t.putRecord(Record{Kind: k.Kind, Key: k.Key, Data: data})
	// A known one with a new handleStatus is not reported (the count is
	// the same); a renewed request (asked again while untreated: the same
	// id with a newer time and postscript) is, as the new request it is.
	if was && !(n.Status == proto.NoteUntreated && n.Time > on.Time) {
		return nil
	}
	t.events = append(t.events, receiveEvent(n, mark, t.unreadNotes()))
	return nil
}

// applyNotesMarkChange applies a ChangeNotesMark: the account marked its
// inbox read or deleted it, here or on another device.
func applyNotesMarkChange(t *tx, ch proto.Change) error {
	if ch.Key != markServer {
		return Errf(proto.CodeBadParam, "bad notes mark key "+ch.Key)
	}
	k := RecordKey{proto.ChangeNotesMark, markServer}
	if ch.Deleted || t.newer(k) {
		return nil
	}
	var m proto.NotesMark
	if err := decode(ch, &m); err != nil {
		return err
	}
	old, _ := notesMarks(t.record)
	m.ReadTo, m.DeletedTo = max(m.ReadTo, old.ReadTo), max(m.DeletedTo, old.DeletedTo)
	data, _ := jx.Marshal(&m)
	t.putRecord(Record{Kind: k.Kind, Key: k.Key, Data: data})
	t.settleMarks()
	return nil
}

// settleMarks removes the notifications the marks in effect delete.
func (t *tx) settleMarks() {
	in := t.inbox()
	var gone []int64
	in.each(func(id int64) {
		if id <= in.mark.DeletedTo {
			gone = append(gone, id)
		}
	})
	for _, id := range gone {
		k := RecordKey{proto.ChangeNote, proto.NoteKey(id)}
		rec, _ := t.record(k)
		// A tombstone as new as the record at least, so that the cache
		// takes it also outside a change (a local mark).
		t.stageRecord(Record{Kind: k.Kind, Key: k.Key, Ver: max(rec.Ver, t.ver), Deleted: true})
	}
}

// customSeenKey is the key of the "custom" record that holds the highest
// custom notification id this tab reported (see above).
var customSeenKey = RecordKey{proto.ChangeCustom, ""}

// customSeen is the data of the customSeenKey record.
type customSeen struct {
	SeenTo int64 `json:"seenTo"`
}

// seenCustom returns the highest custom notification id reported, as t
// stages it.
func (t *tx) seenCustom() int64 {
	var s customSeen
	if rec, ok := t.record(customSeenKey); ok {
		jx.Unmarshal(rec.Data, &s)
	}
	return s.SeenTo
}

// applyCustomChange applies a ChangeCustom: a stored custom notification,
// reported (onReceiveCustomSystemNotification) when its id is above the
// highest one reported (see above).
func applyCustomChange(t *tx, ch proto.Change) error {
	if ch.Deleted {
		return nil // the log forgot it; the seen mark stays
	}
	id := noteID(ch.Key)
	if id <= 0 {
		return Errf(proto.CodeBadParam, "bad custom notification id "+ch.Key)
	}
	if id <= t.seenCustom() {
		return nil
	}
	var n proto.CustomNote
	if err := decode(ch, &n); err != nil {
		return err
	}
	data, _ := jx.Marshal(&customSeen{id})
	t.putRecord(Record{Kind: customSeenKey.Kind, Key: customSeenKey.Key, Ver: id, Data: data})
	t.customEvent(n)
	return nil
}

// customEvent stages onReceiveCustomSystemNotification for n.
func (t *tx) customEvent(n proto.CustomNote) {
	v := customView(n)
	t.events = append(t.events, Event{Kind: EventNotification, Data: NotificationEvent{EventType: evReceiveCustomNotification,
		SystemNotification: &v}})
}

// onCustomPush reports a custom notification that is not stored
// (PushCustom).
func (c *Client) onCustomPush(r *run, data jx.RawMessage) {
	var n proto.CustomNote
	if err := jx.Unmarshal(data, &n); err != nil {
		c.logf("bad custom push: " + err.Error())
		return
	}
	if err := c.change(r, func(t *tx) { t.customEvent(n) }); err != nil && err != errLoggedOut {
		c.logf("cannot report a custom notification: " + err.Error())
	}
}

// SystemNotifications returns a page of the inbox from the cache, newest
// first (fetchSystemNotifications): limit (at least 1; more than
// MaxNotificationsPage are capped) notifications after the first offset.
// Works offline and after OpenLocalCache.
func (c *Client) SystemNotifications(ctx context.Context, limit, offset int) ([]NotificationView, error) {
	if limit < 1 {
		return nil, BadParam("limit", "must be at least 1")
	}
	if offset < 0 {
		return nil, BadParam("offset", "must not be negative")
	}
	limit = min(limit, MaxNotificationsPage)
	r, err := c.current()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	mark := r.st.inbox.mark
	var ids []int64
	for id := range r.st.inbox.ids {
		if id > mark.DeletedTo {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] > ids[j] })
	out := []NotificationView{}
	for i := offset; i < len(ids) && len(out) < limit; i++ {
		rec := r.st.records[RecordKey{proto.ChangeNote, proto.NoteKey(ids[i])}]
		var n proto.SysNote
		if jx.Unmarshal(rec.Data, &n) != nil {
			continue
		}
		n.ID = ids[i]
		out = append(out, noteView(n, mark))
	}
	return out, nil
}

// NotificationsUnreadCount counts the unread notifications of the inbox
// (allNotificationsUnreadCount), from the cache.
func (c *Client) NotificationsUnreadCount(ctx context.Context) (int, error) {
	r, err := c.current()
	if err != nil {
		return 0, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return r.st.unreadNotes(), nil
}

// MarkAllNotificationsRead marks every notification of the inbox read
// (markAllNotificationsAsRead), on every device: here at once
// (onSystemNotificationCountChanged), also offline; it returns once the
// mark is cached. The server hears it at once in the background when
// online, else (or when that fails) after the next sync.
func (c *Client) MarkAllNotificationsRead(ctx context.Context) error {
	return c.markNotes(ctx, false)
}

// DeleteAllNotifications deletes every notification of the inbox
// (deleteAllNotifications), on every device, like MarkAllNotificationsRead.
// Notifications that arrive later are kept.
func (c *Client) DeleteAllNotifications(ctx context.Context) error {
	return c.markNotes(ctx, true)
}

// markNotes moves the local mark (read, or with del deleted) up to the
// newest notification and, when online, sends it in the background.
func (c *Client) markNotes(ctx context.Context, del bool) error {
	r, err := c.current()
	if err != nil {
		return err
	}
	err = c.cacheFailed(r, c.change(r, func(t *tx) {
		in := t.inbox()
		var top int64
		in.each(func(id int64) { top = max(top, id) })
		var m proto.NotesMark
		key := markLocalRead
		switch {
		case del && top > in.mark.DeletedTo:
			m.DeletedTo, key = top, markLocalDel
		case !del && top > in.mark.ReadTo:
			m.ReadTo = top
		default:
			return // nothing new to mark
		}
		data, _ := jx.Marshal(&m)
		// Ver is the mark: the cache keeps each tab's higher one, per
		// mark, so no tab's older mark replaces a newer one.
		t.putRecord(Record{Kind: proto.ChangeNotesMark, Key: key, Ver: top, Data: data})
		t.settleMarks()
	}))
	if err != nil {
		return err
	}
	if _, l, err := c.online(); err == nil {
		// In the background, on the run's context: the caller (a jsapi
		// barrier call) returns once the mark is in the cache. A failure
		// leaves the mark unsent: the next sync sends it.
		go c.sendUnsentNotesMark(r, l)
	}
	return nil
}

// sendNotesMark sends the local inbox marks that are above the server's,
// if any, and applies the reply.
func (c *Client) sendNotesMark(ctx context.Context, r *run, l *link) error {
	c.mu.Lock()
	srv, local := notesMarks(r.st.lookup)
	c.mu.Unlock()
	var req proto.NotesMarkReq
	if local.ReadTo > srv.ReadTo {
		req.ReadTo = local.ReadTo
	}
	if local.DeletedTo > srv.DeletedTo {
		req.DeleteTo = local.DeletedTo
	}
	if req == (proto.NotesMarkReq{}) {
		return nil
	}
	var resp proto.ChangesResp
	if err := l.call(ctx, proto.OpNotesMark, &req, &resp); err != nil {
		return err
	}
	return c.applyReply(r, resp.Changes, nil)
}

// sendUnsentNotesMark sends the inbox marks set while offline (or whose
// request failed) at the end of a sync, and a new mark in the background
// (markNotes). A network failure is returned (a sync fails and runs
// again); another one is logged.
func (c *Client) sendUnsentNotesMark(r *run, l *link) error {
	err := c.sendNotesMark(r.ctx, r, l)
	if err != nil && !isNetwork(err) {
		c.logf("cannot send the notifications' read mark: " + err.Error())
		return nil
	}
	return err
}
