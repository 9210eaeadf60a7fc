package core

import (
	"yunxin/proto"
)

// inbox indexes the system notification inbox installed in a state: the
// ids of the live "sysnote" records, the marks in effect and the unread
// count under them. It is kept up to date as records are installed
// (tx.commit) so that counting costs nothing per notification; only a new
// mark recounts (once, over the live ids).
type inbox struct {
	ids    map[int64]bool  // live notification ids (true only; absent: none)
	mark   proto.NotesMark // the marks in effect (effectiveMark)
	unread int             // live ids above both marks
}

// newInbox indexes the live records of records (the state's).
func newInbox(records map[RecordKey]Record) inbox {
	in := inbox{ids: map[int64]bool{}}
	for k := range records {
		if k.Kind == proto.ChangeNote {
			if id := noteID(k.Key); id > 0 {
				in.ids[id] = true
			}
		}
	}
	in.mark = effectiveMark(func(k RecordKey) (Record, bool) { r, ok := records[k]; return r, ok })
	in.unread = unreadOf(in.ids, in.mark)
	return in
}

// unreadUnder reports whether notification id is unread under mark.
func unreadUnder(id int64, mark proto.NotesMark) bool { return id > mark.ReadTo && id > mark.DeletedTo }

// unreadOf counts the ids unread under mark.
func unreadOf(ids map[int64]bool, mark proto.NotesMark) int {
	n := 0
	for id := range ids {
		if unreadUnder(id, mark) {
			n++
		}
	}
	return n
}

// set records that notification id is live or not; it reports whether
// that changed.
func (in *inbox) set(id int64, live bool) bool {
	if in.ids[id] == live {
		return false
	}
	if live {
		in.ids[id] = true
	} else {
		delete(in.ids, id)
	}
	if unreadUnder(id, in.mark) {
		if live {
			in.unread++
		} else {
			in.unread--
		}
	}
	return true
}

// setMark installs the marks in effect, recounting when they moved.
func (in *inbox) setMark(m proto.NotesMark) {
	if m == in.mark {
		return
	}
	in.mark = m
	in.unread = unreadOf(in.ids, m)
}

// inboxTx is the inbox as a tx stages it: the installed index (base) and
// the staged changes over it, kept as the tx stages records (stageRecord),
// so that the staged count is known at every step without a walk.
type inboxTx struct {
	base   *inbox
	ids    map[int64]bool // staged liveness, over base's
	mark   proto.NotesMark
	unread int
}

// inbox returns the staged inbox, starting it from the installed one.
func (t *tx) inbox() *inboxTx {
	if t.notes == nil {
		b := &t.r.st.inbox
		t.notes = &inboxTx{base: b, ids: map[int64]bool{}, mark: b.mark, unread: b.unread}
	}
	return t.notes
}

// live reports whether notification id is live as staged.
func (in *inboxTx) live(id int64) bool {
	if l, ok := in.ids[id]; ok {
		return l
	}
	return in.base.ids[id]
}

// each calls f with every live id as staged, in no order.
func (in *inboxTx) each(f func(id int64)) {
	for id := range in.base.ids {
		if _, staged := in.ids[id]; !staged {
			f(id)
		}
	}
	for id, l := range in.ids {
		if l {
			f(id)
		}
	}
}

// set stages notification id as live or not.
func (in *inboxTx) set(id int64, live bool) {
	if in.live(id) == live {
		return
	}
	in.ids[id] = live
	if unreadUnder(id, in.mark) {
		if live {
			in.unread++
		} else {
			in.unread--
		}
	}
}

// setMark stages the marks in effect, recounting when they moved.
func (in *inboxTx) setMark(m proto.NotesMark) {
	if m == in.mark {
		return
	}
	in.mark = m
	in.unread = 0
	in.each(func(id int64) {
		if unreadUnder(id, m) {
			in.unread++
		}
	})
}

// stagedInbox keeps the staged inbox in step with a record staged in t
// (stageRecord): a notification staged live or deleted, a mark moved.
func (t *tx) stagedInbox(rec Record) {
	switch rec.Kind {
	case proto.ChangeNote:
		if id := noteID(rec.Key); id > 0 {
			t.inbox().set(id, !rec.Deleted)
		}
	case proto.ChangeNotesMark:
		t.inbox().setMark(effectiveMark(t.record))
	}
}
