package core

import "testing"

func TestMergeMetaKinds(t *testing.T) {
	for _, tc := range []struct {
		name       string
		old, new   Meta
		ver, kinds int64
	}{
		{"writer ahead keeps its kinds", Meta{Ver: 5, Kinds: 1}, Meta{Ver: 9, Kinds: 2}, 9, 2},
		{"writer ahead may lower them", Meta{Ver: 5, Kinds: 2}, Meta{Ver: 9, Kinds: 1}, 9, 1},
		{"equal cursors: the writer's", Meta{Ver: 9, Kinds: 1}, Meta{Ver: 9, Kinds: 2}, 9, 2},
		// Another (older) SDK moved the stored cursor past kinds it skips: a
		// newer writer behind it must not mark that range as covered.
		{"stored ahead, older SDK", Meta{Ver: 100, Kinds: 1}, Meta{Ver: 40, Kinds: 2}, 100, 1},
		{"stored ahead, newer SDK", Meta{Ver: 100, Kinds: 2}, Meta{Ver: 40, Kinds: 1}, 100, 1},
	} {
		got := MergeMeta(tc.old, tc.new)
		if got.Ver != tc.ver || int64(got.Kinds) != tc.kinds {
			t.Errorf("%s: MergeMeta(%+v, %+v) = ver %d kinds %d, want ver %d kinds %d",
				tc.name, tc.old, tc.new, got.Ver, got.Kinds, tc.ver, tc.kinds)
		}
	}
}

// A read mark pushed from another device raises a tab's LastSeq without any
// message counted; with the same read mark, the tab that counted the
// messages keeps its count.
func TestMergeReadCountedWins(t *testing.T) {
	counted := Session{Key: "0|bob", ReadSeq: 0, SyncSeq: 4, LastSeq: 4, Unread: 4}
	raised := Session{Key: "0|bob", ReadSeq: 0, SyncSeq: 1, LastSeq: 4, Unread: 1}
	for _, tc := range []struct {
		name     string
		old, new Session
	}{{"stale writer last", counted, raised}, {"stale writer first", raised, counted}} {
		if got := MergeSession(tc.old, tc.new); got.Unread != 4 || got.LastSeq != 4 {
			t.Errorf("%s: unread %d, last %d; want 4, 4", tc.name, got.Unread, got.LastSeq)
		}
	}
}
