package core

import (
	"slices"
	"sort"
)

// MergeSession returns the session record to store when the cache holds old
// and a writer puts new for the same key. Several tabs of one account share
// one cache, each with its own copy in memory, so a put must not undo what
// another tab wrote since: every field merges in the direction it only
// moves (marks and times up, cursors over the union of what is cached), and
// fields a writer leaves empty keep the stored value. Both Cache
// implementations call it inside Apply.
func MergeSession(old, new Session) Session {
	out := new
	if out.Conv == "" {
		out.Conv = old.Conv
	}
	out.SyncSeq, out.Ahead = mergeCursor(old.SyncSeq, old.Ahead, new.SyncSeq, new.Ahead)
	out.LastSeq = max(old.LastSeq, new.LastSeq)
	out.CutAt = max(old.CutAt, new.CutAt)
	out.CutT, out.CutID = new.CutT, new.CutID
	if cutBefore(new.CutT, new.CutID, old.CutT, old.CutID) {
		out.CutT, out.CutID = old.CutT, old.CutID
	}
	out.ClearedTo = max(old.ClearedTo, new.ClearedTo)
	out.LastMsg = laterMessage(survivor(old, out), survivor(new, out))
	out.ReadSeq, out.Unread = mergeRead(old, new, out.LastSeq, out.LastMsg)
	out.SrvReadSeq = max(old.SrvReadSeq, new.SrvReadSeq)
	if old.PeerReadSeq > new.PeerReadSeq {
		out.PeerReadSeq, out.PeerReadTime = old.PeerReadSeq, old.PeerReadTime
	}
	out.UpdateTime = max(old.UpdateTime, new.UpdateTime)
	if old.LocalExtAt > new.LocalExtAt || old.LocalExtAt == new.LocalExtAt && out.LocalExt == nil {
		out.LocalExt, out.LocalExtAt = old.LocalExt, old.LocalExtAt
	}
	out.HideTime = max(old.HideTime, new.HideTime)
	return out
}

// survivor returns the last message of the writer's record s that may
// stay in the merged record out: any, when s saw the latest removal
// (s.CutAt is out's), else only one later than every message removed as a
// last message (out.CutT, out.CutID). A writer that did not see a removal
// may still hold the removed message as its last one; a message it got
// after, later than the removed ones, stays.
func survivor(s Session, out Session) *Message {
	m := s.LastMsg
	if m == nil || s.CutAt >= out.CutAt || cutBefore(out.CutT, out.CutID, m.Time, m.ID) {
		return m
	}
	return nil
}

// cutBefore reports whether (t1, id1) comes before (t2, id2) in the
// cache's message order (Less).
func cutBefore(t1 int64, id1 string, t2 int64, id2 string) bool {
	return t1 < t2 || t1 == t2 && id1 < id2
}

// mergeCursor unites two (SyncSeq, Ahead) cursors: the messages either
// writer cached are all in the shared cache.
func mergeCursor(s1 int64, a1 []int64, s2 int64, a2 []int64) (int64, []int64) {
	s := max(s1, s2)
	var ahead []int64
	for _, q := range append(slices.Clone(a1), a2...) {
		if q > s {
			ahead = append(ahead, q)
		}
	}
	sort.Slice(ahead, func(i, j int) bool { return ahead[i] < ahead[j] }) // not slices.Sort: see sortStrings
	ahead = slices.Compact(ahead)
	k := 0
	for k < len(ahead) && ahead[k] == s+1 {
		s = ahead[k]
		k++
	}
	ahead = ahead[k:]
	if len(ahead) == 0 {
		ahead = nil
	}
	return s, ahead
}

// mergeRead merges read marks and unread counts: the higher read mark wins
// with its unread count, plus the messages that arrived after that writer
// last saw the session (at most: some of them may be the account's own; the
// newest one, lastMsg at seq last, is not counted when it is), and never more than the
// other writer counted after a lower read mark when it had cached every
// message up to last. With the same read mark the writer that counted
// further wins — by its cursor first, since a read mark from another device
// can raise LastSeq without any message being counted, then by LastSeq — or
// on a tie the one that removed messages last (CutAt: a revoke took an
// unread message out of its count), then the new one: its count may be the
// server's (shouldSyncUnreadCount), not one of cached messages.
func mergeRead(old, new Session, last int64, lastMsg *Message) (int64, int) {
	hi, lo := new, old
	if old.ReadSeq > new.ReadSeq || old.ReadSeq == new.ReadSeq &&
		(countedTo(&old) > countedTo(&new) || countedTo(&old) == countedTo(&new) &&
			(old.LastSeq > new.LastSeq || old.LastSeq == new.LastSeq && old.CutAt > new.CutAt)) {
		hi, lo = old, new
	}
	unseen := max(0, last-hi.LastSeq)
	if unseen > 0 && lastMsg != nil && lastMsg.Outgoing && lastMsg.Seq == last {
		unseen-- // the account's own message is never unread
	}
	u := hi.Unread + int(unseen)
	if lo.SyncSeq >= last && lo.ReadSeq < hi.ReadSeq {
		u = min(u, lo.Unread) // lo counted every message after its lower read mark
	}
	if hi.ReadSeq >= last {
		u = 0
	}
	return hi.ReadSeq, max(u, 0)
}

// countedTo is the highest seq whose message s has cached (and so counted):
// its cursor, or the highest seq cached past a gap.
func countedTo(s *Session) int64 {
	if n := len(s.Ahead); n > 0 {
		return max(s.SyncSeq, s.Ahead[n-1])
	}
	return s.SyncSeq
}

// laterMessage returns the later of two last messages by (Time, ID); for the
// same message, the copy the server has stored (Seq set) or else b.
func laterMessage(a, b *Message) *Message {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	case a.ID == b.ID:
		if a.Seq > 0 && b.Seq == 0 {
			return a
		}
		return b
	case Less(a, b):
		return b
	}
	return a
}

// MergeMeta returns the meta record to store when the cache holds old and a
// writer puts new: cursors only move forward and the device id, once set,
// stays. Kinds says which change kinds the stored Ver covers: the writer's,
// unless the stored Ver is ahead of the writer's, which another SDK moved —
// then the smaller of the two, so a newer SDK syncs again what an older one
// may have skipped (a lower Kinds only costs a resync).
func MergeMeta(old, new Meta) Meta {
	out := new
	if old.Ver > new.Ver {
		out.Kinds = min(old.Kinds, new.Kinds)
	}
	out.Ver = max(old.Ver, new.Ver)
	out.ConvVer = max(old.ConvVer, new.ConvVer)
	if old.DeviceID != "" {
		out.DeviceID = old.DeviceID
	}
	return out
}

// sortStrings sorts ss. sort.Strings and slices.Sort would each add a copy
// of pdqsort for their element type to the wasm (about 13 KB raw each);
// sort.Slice's copy is shared by every sort of the SDK.
func sortStrings(ss []string) {
	sort.Slice(ss, func(i, j int) bool { return ss[i] < ss[j] })
}
