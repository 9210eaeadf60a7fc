//go:build !js

package core_test

import (
	"testing"

	"yunxin/proto"
)

func TestSendAckPastAGapPulls(t *testing.T) {
	// The acknowledgement of a send whose seq leaves a gap (a message this
	// client did not get) pulls the gap, as a push past a gap does.
	_, a, b := aliceAndBob(t, false)
	dropped := make(chan struct{}, 1)
	a.net.mu.Lock()
	a.net.drop = func(f proto.Frame) bool {
		if f.ID == 0 && f.Op == proto.PushMsg {
			dropped <- struct{}{}
			return true
		}
		return false
	}
	a.net.mu.Unlock()
	b.send("alice", "missed")
	<-dropped
	a.send("bob", "reply")
	a.waitFor("the missed message", func() bool { return len(a.received()) == 1 })
	if got := a.received()[0]; got != "missed" {
		t.Fatalf("received %q", got)
	}
	ms := a.messages("bob", 10)
	if len(ms) != 2 || ms[0].Seq != 1 || ms[1].Seq != 2 {
		t.Fatalf("alice's messages: %+v", ms)
	}
}
