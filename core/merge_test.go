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
