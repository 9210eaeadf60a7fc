package core

import "testing"

// The history index keeps the latest ids up to its bound, forgetting the
// oldest first; a repeated id is updated in place.
func TestHistIndexBound(t *testing.T) {
	h := newHistIndex(3)
	for i := int64(1); i <= 3; i++ {
		h.put("m"+itoa64(i), histRef{sk: "0|bob", seq: i})
	}
	h.put("m2", histRef{sk: "0|bob", seq: 20}) // update, no eviction
	if r, ok := h.get("m1"); !ok || r.seq != 1 {
		t.Fatalf("m1: %+v %v", r, ok)
	}
	if r, _ := h.get("m2"); r.seq != 20 {
		t.Fatalf("m2 not updated: %+v", r)
	}
	h.put("m4", histRef{sk: "0|bob", seq: 4}) // evicts m1
	h.put("m5", histRef{sk: "0|bob", seq: 5}) // evicts m2
	for id, want := range map[string]bool{"m1": false, "m2": false, "m3": true, "m4": true, "m5": true} {
		if _, ok := h.get(id); ok != want {
			t.Errorf("%s kept = %v, want %v", id, ok, want)
		}
	}
	if len(h.refs) != 3 || len(h.ring) != 3 {
		t.Fatalf("index grew: %d refs, ring %d", len(h.refs), len(h.ring))
	}
}
