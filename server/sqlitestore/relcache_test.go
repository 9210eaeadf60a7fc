package sqlitestore

import (
	"strconv"
	"testing"
)

// A list read before a write ended is not kept: the write may have
// committed after the read's snapshot.
func TestRelationsReadAcrossWrite(t *testing.T) {
	var c relations
	k := relationList{"a", "black"}
	if _, ok, _ := c.get(k, "b"); ok {
		t.Fatal("cached before any read")
	}
	_, _, gen := c.get(k, "b")
	c.changed(relationList{"z", "black"}) // a write of any list, during the read
	c.put(k, map[string]struct{}{}, gen)
	if _, ok, _ := c.get(k, "b"); ok {
		t.Fatal("a read begun before a write was kept")
	}
	_, _, gen = c.get(k, "b")
	c.put(k, map[string]struct{}{"b": {}}, gen)
	if on, ok, _ := c.get(k, "b"); !ok || !on {
		t.Fatalf("get after put = %v, %v", on, ok)
	}
	c.changed(k)
	if _, ok, _ := c.get(k, "b"); ok {
		t.Fatal("a's list kept after a write of it")
	}
}

// Empty lists count too: the cache stays bounded however many owners ask.
func TestRelationsBounded(t *testing.T) {
	var c relations
	for i := range maxCachedAccounts + 10 {
		k := relationList{strconv.Itoa(i), "black"}
		_, _, gen := c.get(k, "x")
		c.put(k, map[string]struct{}{}, gen)
	}
	if n := len(c.lists); n > maxCachedAccounts || c.held > maxCachedAccounts {
		t.Fatalf("%d lists cached, %d held; at most %d", n, c.held, maxCachedAccounts)
	}
}
