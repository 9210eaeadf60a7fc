//go:build !js

package core_test

import (
	"context"
	"encoding/json"
	"testing"

	"yunxin/core"
	"yunxin/proto"
)

// notes returns the operations of the team notification messages cached in
// team tid's session, oldest first.
func (d *device) notes(tid string) []int {
	d.t.Helper()
	var ops []int
	for _, m := range d.teamMessages(tid, proto.ChatTeam) {
		var b struct {
			Type      int `json:"type"`
			Operation int `json:"operation"`
		}
		json.Unmarshal(m.Body, &b)
		if b.Type == proto.MsgNotification {
			ops = append(ops, b.Operation)
		}
	}
	return ops
}

// TestTeamWriterGetsItsNotifications: the device that makes a team change
// caches the notification message it posted at once (the server pushes it
// to everyone but the writing connection; the reply carries it), so its
// chat shows "…invited…" without waiting for the team's next message.
func TestTeamWriterGetsItsNotifications(t *testing.T) {
	ctx := context.Background()
	_, a, b, _ := threeAccounts(t)
	tid := a.create(core.CreateTeamParams{Name: "writers", Type: proto.TeamNormal})
	if _, err := a.c.InvitationToTeam(ctx, tid, []string{"bob", "carol"}, "", ""); err != nil {
		t.Fatal(err)
	}
	if got := a.notes(tid); len(got) == 0 || got[len(got)-1] != proto.TeamOpInvite {
		t.Fatalf("the inviter's cached notifications %v, want the invite last", got)
	}
	b.waitFor("bob's team", func() bool { return b.team(tid) != nil })
	must(t, "quit", b.c.QuitTeam(ctx, tid))
	if got := b.notes(tid); len(got) == 0 || got[len(got)-1] != proto.TeamOpLeave {
		t.Fatalf("the leaver's cached notifications %v, want its leave last", got)
	}
	a.waitFor("bob's leave at alice", func() bool {
		got := a.notes(tid)
		return len(got) > 0 && got[len(got)-1] == proto.TeamOpLeave
	})
}
