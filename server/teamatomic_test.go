package server

import (
	"encoding/json"
	"testing"

	"yunxin/proto"
)

// A member's own nick (or the owner's change of another's) is a member
// change: every valid member's connection gets a ChangeTeam with the
// moved MemberVer, and TeamMembers since the old version returns the row.
func TestTeamMemberNickReachesAllMembers(t *testing.T) {
	e := newEnv(t, "alice", "bob", "carol")
	a, _ := e.login("alice")
	b, _ := e.login("bob")
	c, _ := e.login("carol")
	tid := a.tcreate(proto.CreateTeamReq{Name: "t", Type: proto.TeamAdvanced, BeInviteMode: proto.BeInviteAtOnce,
		Members: []string{"bob", "carol"}}).TeamID
	var before proto.TeamState
	a.ok(proto.OpTeamInfo, proto.TeamReq{TeamID: tid}, &before)
	a.drain(b, c)
	c.drain(a, b)

	b.tok(proto.OpTeamMember, proto.TeamMemberReq{TeamID: tid, Account: "bob", Nick: ptr("Bobby")})
	for _, x := range []*client{a, c} {
		var st proto.TeamState
		if err := json.Unmarshal(x.waitChange(proto.ChangeTeam, tid).Data, &st); err != nil {
			t.Fatal(err)
		}
		if st.Team.MemberVer <= before.Team.MemberVer || st.Me.Account == "bob" || !st.Me.Valid {
			t.Fatalf("team change after bob's nick: %+v (memberVer was %d)", st, before.Team.MemberVer)
		}
		var since proto.TeamMembersResp
		x.ok(proto.OpTeamMembers, proto.TeamMembersReq{TeamID: tid, Since: before.Team.MemberVer}, &since)
		if len(since.Members) != 1 || since.Members[0].Account != "bob" || since.Members[0].Nick != "Bobby" ||
			since.Members[0].Ver != st.Team.MemberVer {
			t.Fatalf("members since %d: %+v (memberVer now %d)", before.Team.MemberVer, since.Members, st.Team.MemberVer)
		}
	}
	// No notification message: a nick has no team operation.
	if ms := a.msgs(b); len(ms) != 0 {
		t.Errorf("a nick change pushed messages %+v", ms)
	}

	// The owner names carol: bob hears it too.
	b.drain(a)
	a.tok(proto.OpTeamMember, proto.TeamMemberReq{TeamID: tid, Account: "carol", Nick: ptr("Caro")})
	var st proto.TeamState
	json.Unmarshal(b.waitChange(proto.ChangeTeam, tid).Data, &st)
	var since proto.TeamMembersResp
	b.ok(proto.OpTeamMembers, proto.TeamMembersReq{TeamID: tid, Since: st.Team.MemberVer - 1}, &since)
	if st.Me.Account != "bob" || len(since.Members) != 1 || since.Members[0].Nick != "Caro" {
		t.Fatalf("bob after carol's nick: %+v, members %+v", st, since.Members)
	}
}

// A team send is checked and stored in one transaction: each refusal
// code, and a retry of a message stored before a mute or a kick is
// answered as its duplicate (no push), while a new message is refused.
func TestTeamSendRefusalsAndRetries(t *testing.T) {
	e := newEnv(t, "alice", "bob")
	a, _ := e.login("alice")
	b, _ := e.login("bob")
	tid := a.tcreate(proto.CreateTeamReq{Name: "t", Type: proto.TeamAdvanced, BeInviteMode: proto.BeInviteAtOnce,
		Members: []string{"bob"}}).TeamID

	var first proto.SendResp
	b.ok(proto.OpSend, teamText(tid, proto.ChatTeam, "b1", "hi"), &first)
	if first.ServerID == "" || first.Dup {
		t.Fatalf("first send %+v", first)
	}
	b.fail(proto.OpSend, teamText(tid, proto.ChatSuperTeam, "b2", "x"), proto.CodeTeamType, "")
	b.fail(proto.OpSend, teamText("999999999", proto.ChatTeam, "b2", "x"), proto.CodeTeamNotFound, "")

	a.tok(proto.OpTeamMute, proto.TeamAccountsReq{TeamID: tid, Accounts: []string{"bob"}, On: true})
	a.drain(b)
	b.fail(proto.OpSend, teamText(tid, proto.ChatTeam, "b2", "x"), proto.CodeTeamMuted, "")
	var again proto.SendResp
	b.ok(proto.OpSend, teamText(tid, proto.ChatTeam, "b1", "hi"), &again)
	if !again.Dup || again.ServerID != first.ServerID || again.Seq != first.Seq {
		t.Fatalf("retry after the mute %+v, first %+v", again, first)
	}
	if ms := a.msgs(b); len(ms) != 0 {
		t.Errorf("a refused send or a retry pushed %+v", ms)
	}

	a.tok(proto.OpTeamKick, proto.TeamAccountsReq{TeamID: tid, Accounts: []string{"bob"}})
	b.fail(proto.OpSend, teamText(tid, proto.ChatTeam, "b3", "x"), proto.CodeTeamNotMember, "")
	again = proto.SendResp{}
	b.ok(proto.OpSend, teamText(tid, proto.ChatTeam, "b1", "hi"), &again)
	if !again.Dup || again.ServerID != first.ServerID {
		t.Fatalf("retry after the kick %+v", again)
	}
}
