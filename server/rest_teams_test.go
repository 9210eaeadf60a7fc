package server

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"yunxin/proto"
)

// restTinfos calls team/query and decodes its tinfos.
func (e *env) restTinfos(form url.Values) []restTinfo {
	e.t.Helper()
	reply := e.restOK("team/query", form)
	var out []restTinfo
	if err := json.Unmarshal(reply["tinfos"], &out); err != nil {
		e.t.Fatalf("tinfos %s: %v", reply["tinfos"], err)
	}
	return out
}

func TestRESTTeamChecksum(t *testing.T) {
	e := newEnv(t, "alice", "bob")
	for _, path := range []string{"team/create", "team/add", "team/kick", "team/remove", "team/update", "team/query",
		"team/leave", "team/changeOwner", "team/addManager", "team/removeManager", "team/muteTlist", "team/muteTlistAll"} {
		code, desc, _ := e.restRaw(path, url.Values{"tname": {"t"}, "owner": {"alice"}, "members": {`["bob"]`}}, "wrong-secret")
		if code != proto.CodeBadParam || !strings.Contains(desc, "CheckSum") {
			t.Fatalf("%s with a bad checksum: %d %q", path, code, desc)
		}
	}
	// Nothing was created.
	a := e.dialLogin("alice")
	var sync proto.SyncResp
	a.ok(proto.OpSync, proto.SyncReq{}, &sync)
	for _, ch := range sync.Changes {
		if ch.Kind == proto.ChangeTeam {
			t.Fatalf("a refused call created a team: %+v", ch)
		}
	}
}

func TestRESTTeams(t *testing.T) {
	e := newEnv(t, "alice", "bob", "carol", "dave")
	a := e.dialLogin("alice")
	b := e.dialLogin("bob")
	c := e.dialLogin("carol")
	d := e.dialLogin("dave")

	// team/create with magree 0: the members join at once, live.
	reply := e.restOK("team/create", url.Values{"tname": {"rest team"}, "owner": {"alice"}, "members": {`["bob","carol","ghost"]`},
		"msg": {"welcome"}, "magree": {"0"}, "joinmode": {"1"}, "intro": {"about"}, "custom": {`{"srv":1}`}})
	var tid string
	json.Unmarshal(reply["tid"], &tid)
	if tid == "" || reply["faccid"] == nil {
		t.Fatalf("create reply %v", reply)
	}
	var bs proto.TeamState
	json.Unmarshal(b.waitChange(proto.ChangeTeam, tid).Data, &bs)
	if !bs.Me.Valid || bs.Team.Type != proto.TeamAdvanced || bs.Team.JoinMode != proto.JoinApproval {
		t.Fatalf("bob's view %+v", bs)
	}
	a.waitChange(proto.ChangeTeam, tid)
	c.ok(proto.OpSend, teamText(tid, proto.ChatTeam, "c1", "hi"), nil)
	if ms := b.msgs(c); len(ms) == 0 || ms[len(ms)-1].ClientID != "c1" {
		t.Fatalf("bob's pushes %+v", ms)
	}

	tinfos := e.restTinfos(url.Values{"tids": {`["` + tid + `","777777"]`}, "ope": {"1"}})
	if len(tinfos) != 1 {
		t.Fatalf("query %+v", tinfos)
	}
	ti := tinfos[0]
	if ti.Tid != tid || ti.Tname != "rest team" || ti.Owner != "alice" || ti.Size != 3 || ti.JoinMode != 1 || ti.Intro != "about" ||
		ti.Custom != `{"srv":1}` || ti.MaxUsers != proto.DefaultTeamMembers || strings.Join(ti.Members, ",") != "bob,carol" || len(ti.Admins) != 0 {
		t.Fatalf("tinfo %+v", ti)
	}

	// The owner field must be the owner.
	e.restFail("team/add", url.Values{"tid": {tid}, "owner": {"bob"}, "members": {`["dave"]`}}, proto.CodeTeamPermission, "owner")
	e.restFail("team/kick", url.Values{"tid": {tid}, "owner": {"carol"}, "member": {"bob"}}, proto.CodeTeamPermission, "owner")
	e.restFail("team/remove", url.Values{"tid": {tid}, "owner": {"bob"}}, proto.CodeTeamPermission, "owner")
	e.restFail("team/add", url.Values{"tid": {"777777"}, "owner": {"alice"}, "members": {`["dave"]`}}, proto.CodeTeamNotFound, "")

	// team/add with magree 1: dave gets an invitation, accepts it.
	e.restOK("team/add", url.Values{"tid": {tid}, "owner": {"alice"}, "members": {`["dave"]`}, "magree": {"1"}, "msg": {"join"}})
	var n proto.SysNote
	d.change(proto.ChangeNote, &n)
	if n.Type != proto.NoteTeamInvite || n.From != "alice" || n.To != tid {
		t.Fatalf("dave's invitation %+v", n)
	}
	d.tok(proto.OpTeamAnswer, proto.TeamAnswerReq{TeamID: tid, Kind: proto.AnswerInvite, Account: "alice", Accept: true})
	d.ok(proto.OpSend, teamText(tid, proto.ChatTeam, "d1", "in"), nil)

	// Managers, mute, update, owner change.
	e.restOK("team/addManager", url.Values{"tid": {tid}, "owner": {"alice"}, "members": {`["bob"]`}})
	e.restOK("team/muteTlist", url.Values{"tid": {tid}, "owner": {"alice"}, "accid": {"carol"}, "mute": {"1"}})
	c.fail(proto.OpSend, teamText(tid, proto.ChatTeam, "c2", "x"), proto.CodeTeamMuted, "")
	e.restOK("team/muteTlist", url.Values{"tid": {tid}, "owner": {"alice"}, "accid": {"carol"}, "mute": {"0"}})
	c.ok(proto.OpSend, teamText(tid, proto.ChatTeam, "c2", "x"), nil)
	e.restOK("team/muteTlistAll", url.Values{"tid": {tid}, "owner": {"alice"}, "mute": {"true"}})
	d.fail(proto.OpSend, teamText(tid, proto.ChatTeam, "d2", "x"), proto.CodeTeamMuted, "")
	b.ok(proto.OpSend, teamText(tid, proto.ChatTeam, "b1", "managers speak"), nil)
	e.restOK("team/muteTlistAll", url.Values{"tid": {tid}, "owner": {"alice"}, "muteType": {"0"}})
	d.ok(proto.OpSend, teamText(tid, proto.ChatTeam, "d2", "x"), nil)
	e.restOK("team/update", url.Values{"tid": {tid}, "owner": {"alice"}, "tname": {"renamed"}, "announcement": {"news"}})
	e.restOK("team/removeManager", url.Values{"tid": {tid}, "owner": {"alice"}, "members": {`["bob"]`}})
	ti = e.restTinfos(url.Values{"tids": {`["` + tid + `"]`}})[0]
	if ti.Tname != "renamed" || ti.Announcement != "news" || ti.Members != nil || ti.Size != 4 {
		t.Fatalf("tinfo after updates %+v", ti)
	}

	// kick, leave, changeOwner, remove.
	e.restOK("team/kick", url.Values{"tid": {tid}, "owner": {"alice"}, "member": {"dave"}})
	var ds proto.TeamState
	for ds = (proto.TeamState{Me: proto.TeamMember{Valid: true}}); ds.Me.Valid; {
		json.Unmarshal(d.waitChange(proto.ChangeTeam, tid).Data, &ds)
	}
	d.fail(proto.OpSend, teamText(tid, proto.ChatTeam, "d3", "x"), proto.CodeTeamNotMember, "")
	e.restOK("team/leave", url.Values{"tid": {tid}, "accid": {"carol"}})
	c.fail(proto.OpSend, teamText(tid, proto.ChatTeam, "c3", "x"), proto.CodeTeamNotMember, "")
	e.restFail("team/leave", url.Values{"tid": {tid}, "accid": {"alice"}}, proto.CodeTeamPermission, "")
	e.restOK("team/changeOwner", url.Values{"tid": {tid}, "owner": {"alice"}, "newowner": {"bob"}, "leave": {"2"}})
	e.restFail("team/remove", url.Values{"tid": {tid}, "owner": {"alice"}}, proto.CodeTeamPermission, "owner")
	e.restOK("team/remove", url.Values{"tid": {tid}, "owner": {"bob"}})
	if got := e.restTinfos(url.Values{"tids": {`["` + tid + `"]`}}); len(got) != 0 {
		t.Fatalf("query of a dismissed team %+v", got)
	}
	a.fail(proto.OpSend, teamText(tid, proto.ChatTeam, "a9", "x"), proto.CodeTeamNotFound, "")

	// team/create with magree 1: invitations.
	reply = e.restOK("team/create", url.Values{"tname": {"t2"}, "owner": {"alice"}, "members": {`["carol"]`}, "magree": {"1"}})
	json.Unmarshal(reply["tid"], &tid)
	cn := decodeData[proto.SysNote](t, c.changeOf(proto.ChangeNote))
	if cn.Type != proto.NoteTeamInvite || cn.To != tid {
		t.Fatalf("carol's invitation %+v", cn)
	}
}

func TestRESTTeamBadInput(t *testing.T) {
	e := newEnv(t, "alice", "bob")
	reply := e.restOK("team/create", url.Values{"tname": {"t"}, "owner": {"alice"}, "members": {`["bob"]`}})
	var tid string
	json.Unmarshal(reply["tid"], &tid)
	long := strings.Repeat("x", 2000)
	for _, tc := range []struct {
		path string
		form url.Values
		want string
	}{
		{"team/create", url.Values{"owner": {"alice"}, "members": {`[]`}}, "tname"},
		{"team/create", url.Values{"tname": {"t"}, "members": {`[]`}}, "owner"},
		{"team/create", url.Values{"tname": {"t"}, "owner": {"alice"}}, "members"},
		{"team/create", url.Values{"tname": {"t"}, "owner": {"alice"}, "members": {`"bob"`}}, "members"},
		{"team/create", url.Values{"tname": {"t"}, "owner": {"alice"}, "members": {`["b b"]`}}, "members[0]"},
		{"team/create", url.Values{"tname": {"t"}, "owner": {"alice"}, "members": {`["bob"]`}, "magree": {"2"}}, "magree"},
		{"team/create", url.Values{"tname": {"t"}, "owner": {"alice"}, "members": {`["bob"]`}, "joinmode": {"3"}}, "joinmode"},
		{"team/create", url.Values{"tname": {"t"}, "owner": {"alice"}, "members": {`["bob"]`}, "beinvitemode": {"x"}}, "beinvitemode"},
		{"team/create", url.Values{"tname": {"t"}, "owner": {"alice"}, "members": {`["bob"]`}, "invitemode": {"2"}}, "invitemode"},
		{"team/create", url.Values{"tname": {"t"}, "owner": {"alice"}, "members": {`["bob"]`}, "uptinfomode": {"2"}}, "uptinfomode"},
		{"team/create", url.Values{"tname": {"t"}, "owner": {"alice"}, "members": {`["bob"]`}, "upcustommode": {"2"}}, "upcustommode"},
		{"team/create", url.Values{"tname": {"t"}, "owner": {"alice"}, "members": {`["bob"]`}, "intro": {long}}, "intro"},
		{"team/create", url.Values{"tname": {"t"}, "owner": {"alice"}, "members": {`["bob"]`}, "icon": {long}}, "icon"},
		{"team/create", url.Values{"tname": {"t"}, "owner": {"alice"}, "members": {`["bob"]`}, "custom": {long}}, "custom"},
		{"team/create", url.Values{"tname": {"t"}, "owner": {"alice"}, "members": {`["bob"]`}, "msg": {long}}, "msg"},
		{"team/create", url.Values{"tname": {"t"}, "owner": {"alice"}, "members": {`["bob"]`}, "teamMemberLimit": {"201"}}, "teamMemberLimit"},
		{"team/add", url.Values{"owner": {"alice"}, "members": {`["bob"]`}}, "tid"},
		{"team/add", url.Values{"tid": {tid}, "owner": {"alice"}}, "members"},
		{"team/add", url.Values{"tid": {tid}, "owner": {"alice"}, "members": {`["alice"]`}}, "members"},
		{"team/kick", url.Values{"tid": {tid}, "owner": {"alice"}}, "member"},
		{"team/kick", url.Values{"tid": {tid}, "owner": {"alice"}, "member": {"alice"}}, "owner"},
		{"team/update", url.Values{"tid": {tid}, "owner": {"alice"}}, "at least one"},
		{"team/update", url.Values{"tid": {tid}, "owner": {"alice"}, "tname": {""}}, "tname"},
		{"team/update", url.Values{"tid": {tid}, "owner": {"alice"}, "joinmode": {"7"}}, "joinmode"},
		{"team/update", url.Values{"tid": {tid}, "owner": {"alice"}, "announcement": {strings.Repeat("a", 1025)}}, "announcement"},
		{"team/query", url.Values{}, "tids"},
		{"team/query", url.Values{"tids": {`[1]`}}, "tids"},
		{"team/query", url.Values{"tids": {`["a/b"]`}}, "tids[0]"},
		{"team/query", url.Values{"tids": {`["1"]`}, "ope": {"2"}}, "ope"},
		{"team/leave", url.Values{"tid": {tid}}, "accid"},
		{"team/changeOwner", url.Values{"tid": {tid}, "owner": {"alice"}, "newowner": {"alice"}, "leave": {"1"}}, "newowner"},
		{"team/changeOwner", url.Values{"tid": {tid}, "owner": {"alice"}, "newowner": {"bob"}, "leave": {"3"}}, "leave"},
		{"team/addManager", url.Values{"tid": {tid}, "owner": {"alice"}, "members": {`["alice"]`}}, "members"},
		{"team/muteTlist", url.Values{"tid": {tid}, "owner": {"alice"}, "accid": {"bob"}}, "mute"},
		{"team/muteTlist", url.Values{"tid": {tid}, "owner": {"alice"}, "accid": {"bob"}, "mute": {"2"}}, "mute"},
		{"team/muteTlistAll", url.Values{"tid": {tid}, "owner": {"alice"}}, "mute"},
		{"team/muteTlistAll", url.Values{"tid": {tid}, "owner": {"alice"}, "muteType": {"2"}}, "muteType"},
		{"team/muteTlistAll", url.Values{"tid": {tid}, "owner": {"alice"}, "mute": {"yes"}}, "mute"},
	} {
		code, desc, _ := e.restRaw(tc.path, tc.form, testSecret)
		if code != proto.CodeBadParam || !strings.Contains(desc, tc.want) {
			t.Errorf("%s %v: got %d %q, want 414 naming %q", tc.path, tc.form, code, desc, tc.want)
		}
	}
	e.restFail("team/create", url.Values{"tname": {"t"}, "owner": {"nobody"}, "members": {`["bob"]`}}, proto.CodeNotFound, "nobody")
}
