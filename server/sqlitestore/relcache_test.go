package sqlitestore

import "testing"

// A list read before a write ended is not kept: the write may have
// committed after the read's snapshot.
func TestRelationsReadAcrossWrite(t *testing.T) {
	var c relations
	k := relationList{"a", "black"}
	if _, ok, _ := c.get(k, "b"); ok {
		t.Fatal("cached before any read")
	}
	_, _, gen := c.get(k, "b")
	c.changed("z") // a write of anyone's lists, during the read
	c.put(k, map[string]struct{}{}, gen)
	if _, ok, _ := c.get(k, "b"); ok {
		t.Fatal("a read begun before a write was kept")
	}
	_, _, gen = c.get(k, "b")
	c.put(k, map[string]struct{}{"b": {}}, gen)
	if on, ok, _ := c.get(k, "b"); !ok || !on {
		t.Fatalf("get after put = %v, %v", on, ok)
	}
	c.changed("a")
	if _, ok, _ := c.get(k, "b"); ok {
		t.Fatal("a's list kept after a write of a's lists")
	}
}
