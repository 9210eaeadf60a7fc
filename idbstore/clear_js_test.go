//go:build js && wasm

package idbstore

import (
	"context"
	"testing"

	"yunxin/core"
)

// ClearSessions and ClearAll in real IndexedDB, and that what they deleted
// stays deleted when the database is opened again (a reload), while the
// sessions and their cursors stay.
func TestClearsPersist(t *testing.T) {
	ctx := context.Background()
	c, acct := openFresh(t)
	var b core.Batch
	for i := 1; i <= 40; i++ {
		b.Messages = append(b.Messages, testMsg("0|bob", i, int64(1000+i)), testMsg("0|carol", i, int64(1000+i)),
			testMsg("0|dan", i, int64(1000+i)))
	}
	b.Sessions = []core.Session{{Key: "0|bob", ID: "bob", SyncSeq: 40, LastSeq: 40}, {Key: "0|carol", ID: "carol", SyncSeq: 40, LastSeq: 40}}
	if err := c.Apply(ctx, &b); err != nil {
		t.Fatal(err)
	}
	if err := c.Apply(ctx, &core.Batch{ClearSessions: []string{"0|bob"}}); err != nil {
		t.Fatal(err)
	}
	c.Close()
	c2, err := Open(ctx, testApp, acct)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	count := func(c core.Cache, sk string) int {
		t.Helper()
		ms, err := c.Messages(ctx, core.Query{SK: sk, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		return len(ms)
	}
	if n := count(c2, "0|bob"); n != 0 {
		t.Fatalf("bob after ClearSessions and a reopen: %d messages", n)
	}
	if n := count(c2, "0|carol") + count(c2, "0|dan"); n != 80 {
		t.Fatalf("the others after bob's clear: %d messages, want 80", n)
	}
	if got, _ := c2.MessagesByID(ctx, []string{testMsg("0|bob", 7, 0).ID}); len(got) != 0 {
		t.Fatalf("a cleared message by id: %+v", got)
	}
	snap, err := c2.Load(ctx)
	if err != nil || len(snap.Sessions) != 2 || snap.Sessions[0].SyncSeq != 40 {
		t.Fatalf("sessions after the clear: %+v, %v", snap, err)
	}
	if err := c2.Apply(ctx, &core.Batch{ClearAll: true}); err != nil {
		t.Fatal(err)
	}
	c2.Close()
	c3, err := Open(ctx, testApp, acct)
	if err != nil {
		t.Fatal(err)
	}
	defer c3.Close()
	if n := count(c3, "0|carol") + count(c3, "0|dan"); n != 0 {
		t.Fatalf("after ClearAll and a reopen: %d messages", n)
	}
	if snap, _ := c3.Load(ctx); len(snap.Sessions) != 2 {
		t.Fatalf("sessions after ClearAll: %d", len(snap.Sessions))
	}
}
