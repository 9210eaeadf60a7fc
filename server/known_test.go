package server

import (
	"context"
	"testing"

	"yunxin/proto"
)

// TestSendToUnknownThenCreated: a send to an account that does not exist
// is 404 (not remembered as missing): once the account is created, a send
// to it goes through, and it is remembered as existing.
func TestSendToUnknownThenCreated(t *testing.T) {
	e := newEnv(t, "alice")
	a, _ := e.login("alice")
	a.fail(proto.OpSend, text("later", "k-1", "too early"), proto.CodeNotFound, "user not found: later")
	if _, err := e.srv.CreateUser(context.Background(), "later", "later", "tok-later"); err != nil {
		t.Fatal(err)
	}
	a.ok(proto.OpSend, text("later", "k-2", "now"), nil)
	if !e.srv.known.has("later") {
		t.Error("an account a send found is not remembered")
	}
	a.ok(proto.OpSend, text("later", "k-3", "again"), nil)
}

// TestKnownAccountsBounded: the set empties itself when full.
func TestKnownAccountsBounded(t *testing.T) {
	var k knownAccounts
	for i := 0; i < maxKnown; i++ {
		k.add(string(rune('a'+i%26)) + itoa64(int64(i)))
	}
	if !k.has("a0") {
		t.Fatal("a0 not remembered")
	}
	k.add("one-more")
	if k.has("a0") || !k.has("one-more") || len(k.m) != 1 {
		t.Errorf("after passing maxKnown: %d remembered, a0 %v; want only the new one", len(k.m), k.has("a0"))
	}
}
