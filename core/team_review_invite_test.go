//go:build !js

package core_test

import (
	"context"
	"testing"

	"yunxin/core"
	"yunxin/proto"
)

// Inviting an existing member with a new one: the server skips the
// existing member (failed), and invitationToTeam lists only the one it
// added. createTeam with the owner among its users drops the owner, as the
// server does, instead of refusing.
func TestTeamInviteListsOnlyAdded(t *testing.T) {
	ctx := context.Background()
	_, a, _, _ := threeAccounts(t)
	tid := a.create(core.CreateTeamParams{Name: "n", Type: proto.TeamNormal, Users: []string{"alice", "bob"}})
	if got := a.members(tid); got != "alice/1 bob/0" {
		t.Fatalf("members %q after createTeam with the owner among the users", got)
	}
	ms, err := a.c.InvitationToTeam(ctx, tid, []string{"bob", "carol"}, "", "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range ms {
		got = append(got, m.UserID)
	}
	if len(got) != 1 || got[0] != "carol" {
		t.Fatalf("want only carol, got %v", got)
	}
}
