package core

import (
	"context"
	"encoding/json"
	"sort"
	"strconv"

	"yunxin/proto"
)

// System notifications (the inbox: friend requests and their answers; team
// ones come with teams) and custom notifications.
//
// The inbox is kept as domain records: "sysnote" (Key the notification id,
// Data a proto.SysNote) and "sysmark", the marks: Key "" is the server's
// (ChangeNotesMark: read up to ReadTo, deleted up to DeletedTo), Key
// markLocal this device's own, set by markAllNotificationsAsRead and
// deleteAllNotifications at once, also offline, and sent to the server
// now or after the next sync (sendUnsentNotesMark) while it is above the
// server's. The marks in effect are the higher of the two. A notification
// at or below DeletedTo is gone: its record is removed when the mark is set
// and one arriving later is ignored. Unread are the notifications above
// ReadTo.
//
// A stored custom notification (ChangeCustom) leaves a "custom" record
// (Key its id, no data) so that each client reports it once, whether it
// comes in a push or a sync; one that is not stored (PushCustom) is only
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
	markServer = ""      // the server's marks, from ChangeNotesMark
	markLocal  = "local" // this device's marks (see above)
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
			json.Unmarshal(rec.Data, &m)
		}
		return m
	}
	return read(markServer), read(markLocal)
}

// effectiveMark returns the marks in effect: the higher of the server's
// and the local one.
func effectiveMark(get lookup) proto.NotesMark {
	srv, local := notesMarks(get)
	return proto.NotesMark{ReadTo: max(srv.ReadTo, local.ReadTo), DeletedTo: max(srv.DeletedTo, local.DeletedTo)}
}

// unreadOf counts the notifications of ids unread under mark.
func unreadOf(ids []int64, mark proto.NotesMark) int {
	n := 0
	for _, id := range ids {
		if id > mark.ReadTo && id > mark.DeletedTo {
			n++
		}
	}
	return n
}

// noteIDs returns the ids of the live "sysnote" records of keys.
func noteIDs(keys []string) []int64 {
	ids := make([]int64, 0, len(keys))
	for _, k := range keys {
		if id := noteID(k); id > 0 {
			ids = append(ids, id)
		}
	}
	return ids
}

// liveKeys returns the keys of the live records of kind as t stages them.
func (t *tx) liveKeys(kind string) []string {
	var out []string
	for k := range t.r.st.records {
		if _, staged := t.records[k]; k.Kind == kind && !staged {
			out = append(out, k.Key)
		}
	}
	for k, rec := range t.records {
		if k.Kind == kind && !rec.Deleted {
			out = append(out, k.Key)
		}
	}
	return out
}

// unreadNotes is the unread count as t stages the inbox.
func (t *tx) unreadNotes() int {
	return unreadOf(noteIDs(t.liveKeys(proto.ChangeNote)), effectiveMark(t.record))
}

// unreadNotes is the unread count of the inbox installed in st.
func (st *state) unreadNotes() int {
	return unreadOf(noteIDs(st.keys(proto.ChangeNote)), effectiveMark(st.lookup))
}

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

// countEvent stages onSystemNotificationCountChanged with the unread count
// as staged now. Only the last one of a tx goes out: an earlier one staged
// is dropped (a sync page bringing many notifications reports each, then
// the count once).
func (t *tx) countEvent() {
	for i, e := range t.events {
		if ne, ok := e.Data.(NotificationEvent); ok && ne.EventType == evNotificationCountChanged {
			t.events = append(t.events[:i:i], t.events[i+1:]...)
			break
		}
	}
	n := t.unreadNotes()
	t.events = append(t.events, Event{Kind: EventNotification, Data: NotificationEvent{EventType: evNotificationCountChanged, UnreadCount: &n}})
}

// applyNoteChange applies a ChangeNote: a new notification
// (onReceiveSystemNotification, then onSystemNotificationCountChanged when
// it is unread), a new handleStatus of a known one (no event), or, deleted,
// its removal (onSystemNotificationCountChanged). One at or below the
// delete mark is ignored.
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
		if was {
			t.countEvent() // the inbox changed: pages refresh it on this event
		}
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
	if was {
		var on proto.SysNote
		if json.Unmarshal(old.Data, &on) == nil && on == n {
			return nil
		}
	}
	data, _ := json.Marshal(n)
	t.putRecord(Record{Kind: k.Kind, Key: k.Key, Data: data})
	if was {
		return nil // a new handleStatus: the count is the same
	}
	v := noteView(n, mark)
	count := t.unreadNotes()
	t.events = append(t.events, Event{Kind: EventNotification, Data: NotificationEvent{EventType: evReceiveSystemNotification,
		Notification: &v, UnreadCount: &count}})
	if !v.Read {
		t.countEvent()
	}
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
	before := t.unreadNotes()
	old, _ := notesMarks(t.record)
	m.ReadTo, m.DeletedTo = max(m.ReadTo, old.ReadTo), max(m.DeletedTo, old.DeletedTo)
	data, _ := json.Marshal(m)
	t.putRecord(Record{Kind: k.Kind, Key: k.Key, Data: data})
	t.settleMarks(before)
	return nil
}

// settleMarks removes the notifications the marks in effect delete and
// stages onSystemNotificationCountChanged when the unread count is not
// before any more or notifications were removed (the inbox changed: a
// page refreshes its list on this event).
func (t *tx) settleMarks(before int) {
	mark := effectiveMark(t.record)
	removed := false
	for _, key := range t.liveKeys(proto.ChangeNote) {
		if id := noteID(key); id <= mark.DeletedTo {
			k := RecordKey{proto.ChangeNote, key}
			rec, _ := t.record(k)
			// A tombstone as new as the record at least, so that the cache
			// takes it also outside a change (a local mark).
			t.stageRecord(Record{Kind: k.Kind, Key: k.Key, Ver: max(rec.Ver, t.ver), Deleted: true})
			removed = true
		}
	}
	if removed || t.unreadNotes() != before {
		t.countEvent()
	}
}

// applyCustomChange applies a ChangeCustom: a stored custom notification,
// reported (onReceiveCustomSystemNotification) the first time this client
// meets it.
func applyCustomChange(t *tx, ch proto.Change) error {
	if ch.Deleted {
		return nil // the log forgot it; the seen-marker stays
	}
	if ch.Key == "" {
		return Errf(proto.CodeBadParam, "custom notification without an id")
	}
	k := RecordKey{proto.ChangeCustom, ch.Key}
	if _, seen := t.record(k); seen {
		return nil
	}
	var n proto.CustomNote
	if err := decode(ch, &n); err != nil {
		return err
	}
	t.putRecord(Record{Kind: k.Kind, Key: k.Key})
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
func (c *Client) onCustomPush(r *run, data json.RawMessage) {
	var n proto.CustomNote
	if err := json.Unmarshal(data, &n); err != nil {
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
	mark := effectiveMark(r.st.lookup)
	var ids []int64
	for _, id := range noteIDs(r.st.keys(proto.ChangeNote)) {
		if id > mark.DeletedTo {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] > ids[j] })
	out := []NotificationView{}
	for i := offset; i < len(ids) && len(out) < limit; i++ {
		rec := r.st.records[RecordKey{proto.ChangeNote, proto.NoteKey(ids[i])}]
		var n proto.SysNote
		if json.Unmarshal(rec.Data, &n) != nil {
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
		var top int64
		for _, id := range noteIDs(t.liveKeys(proto.ChangeNote)) {
			top = max(top, id)
		}
		mark := effectiveMark(t.record)
		_, local := notesMarks(t.record)
		switch {
		case del && top > mark.DeletedTo:
			local.DeletedTo = top
		case !del && top > mark.ReadTo:
			local.ReadTo = top
		default:
			return // nothing new to mark
		}
		before := t.unreadNotes()
		data, _ := json.Marshal(local)
		// Its Ver only grows as the marks do (never moved down): a
		// tab's older local mark does not replace a newer one.
		t.putRecord(Record{Kind: proto.ChangeNotesMark, Key: markLocal, Ver: local.ReadTo + local.DeletedTo, Data: data})
		t.settleMarks(before)
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
	if err := l.call(ctx, proto.OpNotesMark, req, &resp); err != nil {
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
