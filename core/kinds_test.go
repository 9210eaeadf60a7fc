//go:build !js

package core_test

import (
	"context"
	"testing"

	"yunxin/core"
)

func TestChangeKindsResync(t *testing.T) {
	ts := startServer(t)
	ts.user("alice")
	ts.user("bob")
	b := newDevice(t, ts, true)
	b.login("bob")
	b.send("alice", "hello")
	a1 := newDevice(t, ts, true)
	a1.login("alice")
	if err := a1.c.MarkAllMessagesReadInSession(context.Background(), "bob", 0); err != nil {
		t.Fatal(err)
	}
	a1.c.Logout(context.Background())
	a1.login("alice")
	snap, _ := a1.caches["alice"].Load(context.Background())
	if snap.Meta.Ver == 0 || snap.Meta.Kinds != core.ChangeKinds {
		t.Fatalf("meta after a sync = %+v, want a change-log cursor and kinds %d", snap.Meta, core.ChangeKinds)
	}
	ver, convVer := snap.Meta.Ver, snap.Meta.ConvVer

	// A cache whose cursor an older SDK moved (kinds 0), skipping what it
	// did not know (here: everything): the whole change log is synced again.
	a2 := newDevice(t, ts, true)
	old := core.NewMemCache()
	old.Apply(context.Background(), &core.Batch{Meta: &core.Meta{Ver: ver, ConvVer: convVer, DeviceID: "old"}})
	a2.caches["alice"] = old
	a2.login("alice")
	a2.net.mu.Lock()
	first := a2.net.syncs[0]
	a2.net.mu.Unlock()
	if first.Since != 0 || first.ConvSince != convVer {
		t.Fatalf("first sync %+v, want since 0 (the change log again) and convSince %d", first, convVer)
	}
	if s := a2.session("bob"); s == nil || s.UnreadCount != 0 {
		t.Fatalf("the skipped read mark did not arrive: %+v", s)
	}
	snap, _ = old.Load(context.Background())
	if snap.Meta.Ver != ver || snap.Meta.Kinds != core.ChangeKinds || snap.Meta.DeviceID != "old" {
		t.Fatalf("meta after the resync = %+v, want ver %d, kinds %d", snap.Meta, ver, core.ChangeKinds)
	}
	a2.c.Logout(context.Background())
	a2.login("alice")
	a2.net.mu.Lock()
	last := a2.net.syncs[len(a2.net.syncs)-1]
	a2.net.mu.Unlock()
	if last.Since != ver {
		t.Fatalf("sync after the resync from %d, want %d", last.Since, ver)
	}

	// A cache marked by a newer SDK (more kinds): no resync, and the mark
	// comes down to this SDK's kinds, so that the newer SDK resyncs what
	// this one skips.
	a3 := newDevice(t, ts, true)
	newer := core.NewMemCache()
	newer.Apply(context.Background(), &core.Batch{Meta: &core.Meta{Ver: ver, ConvVer: convVer, DeviceID: "new", Kinds: core.ChangeKinds + 1}})
	a3.caches["alice"] = newer
	a3.login("alice")
	a3.net.mu.Lock()
	first = a3.net.syncs[0]
	a3.net.mu.Unlock()
	snap, _ = newer.Load(context.Background())
	if first.Since != ver || snap.Meta.Kinds != core.ChangeKinds {
		t.Fatalf("newer SDK's cache: synced from %d (want %d), kinds %d (want %d)", first.Since, ver, snap.Meta.Kinds, core.ChangeKinds)
	}
}
