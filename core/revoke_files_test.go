//go:build !js

package core_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"yunxin/core"
	"yunxin/proto"
)

// keptWith returns the keys f keeps that contain sub.
func keptWith(f *fakeFiles, sub string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for k := range f.kept {
		if strings.Contains(k, sub) {
			out = append(out, k)
		}
	}
	return out
}

// eventually polls f until it holds, failing after 10 s.
func eventually(t *testing.T, what string, f func() bool) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); !f(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// A revoked message's kept files leave the file store: the receiver's
// download and whatever the sender kept of it; other kept files stay.
func TestRevokeRemovesKeptFiles(t *testing.T) {
	ctx := context.Background()
	_, a, b := aliceAndBob(t, false)
	af, bf := withFiles(a), withFiles(b)
	send := func(seed string) (core.MessageView, string) {
		t.Helper()
		path := af.add(fakeFile{data: blob(seed, 3000), name: seed + ".png", mime: "image/png", w: 4, h: 4, thumb: blob("t"+seed, 100)})
		v, err := a.c.SendMessage(ctx, core.SendParams{SessionID: "bob", Type: proto.MsgImage, Path: path})
		if err != nil {
			t.Fatal(err)
		}
		receivedMsg(b, v.MessageID)
		url, _ := body(t, *v)["url"].(string)
		p, err := b.c.Download(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		return *v, strings.TrimPrefix(p, "obj:")
	}
	keep, keepKey := send("keep")
	gone, goneKey := send("gone")
	if bf.keptData(goneKey) == nil || bf.keptData(keepKey) == nil {
		t.Fatal("downloads not kept")
	}
	if err := a.c.RevokeMessage(ctx, "bob", 0, gone.MessageID, ""); err != nil {
		t.Fatal(err)
	}
	// The removal runs after the commit, off the event path: no event
	// tells when it is done, so these poll.
	b.waitFor("bob's notification", func() bool { return len(b.revokes()) == 1 })
	eventually(t, "bob's download removed", func() bool { return bf.keptData(goneKey) == nil })
	eventually(t, "alice's copies removed", func() bool { return len(keptWith(af, gone.MessageID)) == 0 })
	if bf.keptData(keepKey) == nil {
		t.Fatal("the other message's download went too")
	}
	// The other message still shows its kept file on re-read.
	ms := b.messages("alice", 10)
	if len(ms) != 1 || ms[0].MessageID != keep.MessageID || body(t, ms[0])["path"] != "obj:"+keepKey {
		t.Fatalf("bob's messages after the revoke: %+v", ms)
	}
}

// A revoke whose reply is lost (408) may have been made: the device that
// asked keeps it as its own, so the change its next sync brings removes the
// message without telling this device's page.
func TestRevokeReplyLost(t *testing.T) {
	ctx := context.Background()
	_, a, b := aliceAndBob(t, false)
	v := a.send("bob", "oops")
	receivedMsg(b, v.MessageID)
	a.net.mu.Lock()
	a.net.drop = func(f proto.Frame) bool { return strings.Contains(string(f.Data), v.MessageID) } // the reply and the push
	a.net.mu.Unlock()
	tctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	if err := a.c.RevokeMessage(tctx, "bob", 0, v.MessageID, ""); codeOf(err) != proto.CodeTimeout {
		t.Fatalf("revoke without its reply: %v, want 408", err)
	}
	b.waitFor("bob's notification", func() bool { return len(b.revokes()) == 1 }) // the server made it
	a.net.mu.Lock()
	a.net.drop = nil
	a.net.mu.Unlock()
	synced := a.count(isStep(core.StepSynced))
	a.net.cut()
	a.waitStep(core.StepSynced, synced+1)
	if got := ids(a.messages("bob", 10)); got != "" {
		t.Fatalf("alice still caches %s after the sync", got)
	}
	if n := a.revokes(); len(n) != 0 {
		t.Fatalf("alice heard her own revoke: %+v", n)
	}
}
