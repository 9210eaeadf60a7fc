package jsapi

import (
	"context"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"yunxin/core"
	"yunxin/proto"
)

// The fake's team methods: they record their arguments and answer what
// the tests below expect in the rets.

func (f *fake) CreateTeam(_ context.Context, p core.CreateTeamParams) (*core.CreateTeamResult, error) {
	if err := f.rec("CreateTeam", p); err != nil {
		return nil, err
	}
	return &core.CreateTeamResult{TeamID: "t1", FailedUserIDs: nil}, nil
}
func (f *fake) AllMyTeams(context.Context) ([]core.TeamView, error) {
	return []core.TeamView{{TeamID: "t1", TeamName: "T", IsMyTeam: true}}, f.rec("AllMyTeams", nil)
}
func (f *fake) DismissTeam(_ context.Context, tid string) error { return f.rec("DismissTeam", tid) }
func (f *fake) ApplyToTeam(_ context.Context, tid, msg string) (int, error) {
	return core.ApplyWaiting, f.rec("ApplyToTeam", []any{tid, msg})
}
func (f *fake) PassApplyToTeam(_ context.Context, tid, a string) (int, error) {
	return core.ApplyJoined, f.rec("PassApplyToTeam", []any{tid, a})
}
func (f *fake) RejectApplyToTeam(_ context.Context, tid, a, reason string) error {
	return f.rec("RejectApplyToTeam", []any{tid, a, reason})
}
func (f *fake) InvitationToTeam(_ context.Context, tid string, a []string, ps, attach string) ([]core.TeamMemberView, error) {
	if err := f.rec("InvitationToTeam", []any{tid, a, ps, attach}); err != nil {
		return nil, err
	}
	if ps == "none" {
		return nil, nil
	}
	return []core.TeamMemberView{{TeamID: tid, UserID: a[0]}}, nil
}
func (f *fake) AcceptInviteWithTeam(_ context.Context, tid, inv string) error {
	return f.rec("AcceptInviteWithTeam", []any{tid, inv})
}
func (f *fake) RejectInviteWithTeam(_ context.Context, tid, inv, reason string) error {
	return f.rec("RejectInviteWithTeam", []any{tid, inv, reason})
}
func (f *fake) KickUsersFromTeam(_ context.Context, tid string, a []string) error {
	return f.rec("KickUsersFromTeam", []any{tid, a})
}
func (f *fake) QuitTeam(_ context.Context, tid string) error { return f.rec("QuitTeam", tid) }
func (f *fake) FetchTeamMembers(_ context.Context, tid string) ([]core.TeamMemberView, error) {
	return []core.TeamMemberView{{TeamID: tid, UserID: "alice", Type: proto.MemberOwner}}, f.rec("FetchTeamMembers", tid)
}
func (f *fake) TeamMember(_ context.Context, tid, a string) (*core.TeamMemberView, error) {
	if err := f.rec("TeamMember", []any{tid, a}); err != nil || a == "nobody" {
		return nil, err
	}
	return &core.TeamMemberView{TeamID: tid, UserID: a, Nickname: "n"}, nil
}
func (f *fake) UpdateUserNick(_ context.Context, tid, a, nick string) error {
	return f.rec("UpdateUserNick", []any{tid, a, nick})
}
func (f *fake) IsMyTeam(_ context.Context, tid string) (bool, error) {
	return tid == "t1", f.rec("IsMyTeam", tid)
}
func (f *fake) TransferManagerWithTeam(_ context.Context, tid, owner string, leave bool) error {
	return f.rec("TransferManagerWithTeam", []any{tid, owner, leave})
}
func (f *fake) SetTeamManagers(_ context.Context, tid string, a []string, on bool) error {
	return f.rec("SetTeamManagers", []any{tid, a, on})
}
func (f *fake) MuteUserFromTeam(_ context.Context, tid, a string, mute bool) error {
	return f.rec("MuteUserFromTeam", []any{tid, a, mute})
}
func (f *fake) MuteAllFromTeam(_ context.Context, tid string, mute bool) error {
	return f.rec("MuteAllFromTeam", []any{tid, mute})
}
func (f *fake) FetchTeamMutedMembers(_ context.Context, tid string) ([]core.TeamMemberView, error) {
	return nil, f.rec("FetchTeamMutedMembers", tid)
}
func (f *fake) UpdateTeamInfo(_ context.Context, tid string, u core.TeamInfoUpdate) error {
	return f.rec("UpdateTeamInfo", []any{tid, u})
}
func (f *fake) UpdateTeamNotifyState(_ context.Context, tid string, st int) error {
	return f.rec("UpdateTeamNotifyState", []any{tid, st})
}
func (f *fake) FetchTeamNotifyState(_ context.Context, tid string) (int, error) {
	return proto.NotifyManagers, f.rec("FetchTeamNotifyState", tid)
}
func (f *fake) SendTeamMessageReceipts(_ context.Context, sid string, ct int, ids []string) error {
	return f.rec("SendTeamMessageReceipts", []any{sid, ct, ids})
}

// TestTeamMapping: each team method's params (and the doc's defaults)
// reach the engine as the doc means them, and the rets have the doc's
// shape.
func TestTeamMapping(t *testing.T) {
	cases := []struct {
		method, params string
		call           string
		args           any
		ret            string // the whole envelope
	}{
		{"createTeam", `{"users":[],"option":{"name":"T"}}`, "CreateTeam",
			core.CreateTeamParams{Users: []string{}, Name: "T"},
			`{"ret":{"status":true,"teamId":"t1","failedUserIds":[]}}`},
		{"createTeam", `{"users":["bob","carol"],"option":{"name":"团","type":1,"intro":"i","icon":"https://x/i.png",
			"announcement":"a","clientCustomInfo":"{\"k\":1}","postscript":"ps","joinMode":2,"inviteMode":1,"beInviteMode":1,
			"updateInfoMode":1,"updateClientCustomMode":1,"maxMember":50,"muteMode":3,"unknown":[1]}}`, "CreateTeam",
			core.CreateTeamParams{Users: []string{"bob", "carol"}, Name: "团", Type: 1, Intro: "i", Icon: "https://x/i.png",
				Announcement: "a", ClientCustomInfo: `{"k":1}`, Postscript: "ps", JoinMode: 2, InviteMode: 1, BeInviteMode: 1,
				UpdateInfoMode: 1, UpdateCustomMode: 1, MaxMember: 50, MuteMode: 3},
			`{"ret":{"status":true,"teamId":"t1","failedUserIds":[]}}`},
		{"createTeam", `{"users":["bob","alice"],"option":{"name":"T"}}`, "CreateTeam", // the owner is dropped, as the server does
			core.CreateTeamParams{Users: []string{"bob"}, Name: "T"},
			`{"ret":{"status":true,"teamId":"t1","failedUserIds":[]}}`},
		{"allMyTeams", `[1]`, "AllMyTeams", nil, ""},
		{"dismissTeam", `{"teamId":"t1"}`, "DismissTeam", "t1", `{"ret":{"status":true}}`},
		{"quitTeam", `{"teamId":"t1"}`, "QuitTeam", "t1", `{"ret":{"status":true}}`},
		{"applyToTeam", `{"teamId":"t1"}`, "ApplyToTeam", []any{"t1", ""}, `{"ret":{"status":true,"applyStatus":2}}`},
		{"applyToTeam", `{"teamId":"t1","message":"let me in"}`, "ApplyToTeam", []any{"t1", "let me in"}, `{"ret":{"status":true,"applyStatus":2}}`},
		{"passApplyToTeam", `{"teamId":"t1","userId":"bob"}`, "PassApplyToTeam", []any{"t1", "bob"}, `{"ret":{"status":true,"applyStatus":1}}`},
		{"rejectApplyToTeam", `{"teamId":"t1","userId":"bob","reason":"no"}`, "RejectApplyToTeam", []any{"t1", "bob", "no"}, `{"ret":{"status":true}}`},
		{"rejectApplyToTeam", `{"teamId":"t1","userId":"bob"}`, "RejectApplyToTeam", []any{"t1", "bob", ""}, `{"ret":{"status":true}}`},
		{"invitationToTeam", `{"teamId":"t1","users":["bob"],"postscript":"hi","attach":"{}"}`, "InvitationToTeam",
			[]any{"t1", []string{"bob"}, "hi", "{}"},
			`{"ret":{"status":true,"members":[{"teamId":"t1","userId":"bob","invitor":"","inviterAccid":"","type":0,"nickname":"","isMuted":false,"createTime":0,"customInfo":""}]}}`},
		{"invitationToTeam", `{"teamId":"t1","users":["bob"],"postscript":"none"}`, "InvitationToTeam",
			[]any{"t1", []string{"bob"}, "none", ""}, `{"ret":{"status":true,"members":[]}}`},
		{"acceptInviteWithTeam", `{"teamId":"t1","invitorId":"bob"}`, "AcceptInviteWithTeam", []any{"t1", "bob"}, `{"ret":{"status":true}}`},
		{"rejectInviteWithTeam", `{"teamId":"t1","invitorId":"bob","reason":"busy"}`, "RejectInviteWithTeam", []any{"t1", "bob", "busy"}, `{"ret":{"status":true}}`},
		{"kickUsersFromTeam", `{"teamId":"t1","users":["bob","carol"]}`, "KickUsersFromTeam", []any{"t1", []string{"bob", "carol"}}, `{"ret":{"status":true}}`},
		// the doc types users as a string: one account id is a list of one
		{"kickUsersFromTeam", `{"teamId":"t1","users":"bob"}`, "KickUsersFromTeam", []any{"t1", []string{"bob"}}, `{"ret":{"status":true}}`},
		{"fetchTeamMembers", `{"teamId":"t1"}`, "FetchTeamMembers", "t1",
			`{"ret":{"status":true,"members":[{"teamId":"t1","userId":"alice","invitor":"","inviterAccid":"","type":1,"nickname":"","isMuted":false,"createTime":0,"customInfo":""}]}}`},
		{"fetchTeamMutedMembers", `{"teamId":"t1","isMute":true}`, "FetchTeamMutedMembers", "t1", `{"ret":{"status":true,"members":[]}}`},
		{"teamMember", `{"teamId":"t1","userId":"bob"}`, "TeamMember", []any{"t1", "bob"},
			`{"ret":{"member":{"teamId":"t1","userId":"bob","invitor":"","inviterAccid":"","type":0,"nickname":"n","isMuted":false,"createTime":0,"customInfo":""}}}`},
		{"teamMember", `{"teamId":"t1","userId":"nobody"}`, "TeamMember", []any{"t1", "nobody"}, `{"ret":{"member":null}}`},
		{"updateUserNick", `{"teamId":"t1","userId":"bob","newNick":"B"}`, "UpdateUserNick", []any{"t1", "bob", "B"}, `{"ret":{"status":true}}`},
		{"updateUserNick", `{"teamId":"t1","userId":"bob","newNick":""}`, "UpdateUserNick", []any{"t1", "bob", ""}, `{"ret":{"status":true}}`},
		{"isMyTeam", `{"teamId":"t1"}`, "IsMyTeam", "t1", `{"ret":{"isMyTeam":true}}`},
		{"isMyTeam", `{"teamId":"t2"}`, "IsMyTeam", "t2", `{"ret":{"isMyTeam":false}}`},
		{"transferManagerWithTeam", `{"teamId":"t1","newOwnerId":"bob"}`, "TransferManagerWithTeam", []any{"t1", "bob", false}, `{"ret":{"status":true}}`},
		{"transferManagerWithTeam", `{"teamId":"t1","newOwnerId":"bob","isLeave":true}`, "TransferManagerWithTeam", []any{"t1", "bob", true}, `{"ret":{"status":true}}`},
		{"addManagersToTeam", `{"teamId":"t1","users":["bob"]}`, "SetTeamManagers", []any{"t1", []string{"bob"}, true}, `{"ret":{"status":true}}`},
		{"removeManagersFromTeam", `{"teamId":"t1","users":["bob"]}`, "SetTeamManagers", []any{"t1", []string{"bob"}, false}, `{"ret":{"status":true}}`},
		{"muteUserFromTeam", `{"teamId":"t1","userId":"bob"}`, "MuteUserFromTeam", []any{"t1", "bob", true}, `{"ret":{"status":true}}`},
		{"muteUserFromTeam", `{"teamId":"t1","userId":"bob","isMute":false}`, "MuteUserFromTeam", []any{"t1", "bob", false}, `{"ret":{"status":true}}`},
		{"muteAllFromTeam", `{"teamId":"t1"}`, "MuteAllFromTeam", []any{"t1", true}, `{"ret":{"status":true}}`},
		{"muteAllFromTeam", `{"teamId":"t1","isMute":false}`, "MuteAllFromTeam", []any{"t1", false}, `{"ret":{"status":true}}`},
		{"updateTeamName", `{"teamId":"t1","teamName":"N"}`, "UpdateTeamInfo", []any{"t1", core.TeamInfoUpdate{Name: strp("N")}}, `{"ret":{"status":true}}`},
		{"updateTeamAvatar", `{"teamId":"t1","teamAvatarUrl":"https://x/a.png"}`, "UpdateTeamInfo", []any{"t1", core.TeamInfoUpdate{Avatar: strp("https://x/a.png")}}, `{"ret":{"status":true}}`},
		{"updateTeamAvatar", `{"teamId":"t1","teamAvatarUrl":""}`, "UpdateTeamInfo", []any{"t1", core.TeamInfoUpdate{Avatar: strp("")}}, `{"ret":{"status":true}}`},
		{"updateTeamIntro", `{"teamId":"t1","intro":"I"}`, "UpdateTeamInfo", []any{"t1", core.TeamInfoUpdate{Intro: strp("I")}}, `{"ret":{"status":true}}`},
		{"updateTeamAnnouncement", `{"teamId":"t1","announcement":"A"}`, "UpdateTeamInfo", []any{"t1", core.TeamInfoUpdate{Announcement: strp("A")}}, `{"ret":{"status":true}}`},
		{"updateTeamCustomInfo", `{"teamId":"t1","customInfo":"C"}`, "UpdateTeamInfo", []any{"t1", core.TeamInfoUpdate{ClientCustom: strp("C")}}, `{"ret":{"status":true}}`},
		{"updateTeamJoinMode", `{"teamId":"t1","joinMode":2}`, "UpdateTeamInfo", []any{"t1", core.TeamInfoUpdate{JoinMode: intp(2)}}, `{"ret":{"status":true}}`},
		{"updateTeamBeInviteMode", `{"teamId":"t1","beInviteMode":1}`, "UpdateTeamInfo", []any{"t1", core.TeamInfoUpdate{BeInviteMode: intp(1)}}, `{"ret":{"status":true}}`},
		{"updateTeamInviteMode", `{"teamId":"t1","inviteMode":0}`, "UpdateTeamInfo", []any{"t1", core.TeamInfoUpdate{InviteMode: intp(0)}}, `{"ret":{"status":true}}`},
		{"updateTeamUpdateInfoMode", `{"teamId":"t1","infoMode":1}`, "UpdateTeamInfo", []any{"t1", core.TeamInfoUpdate{UpdateInfoMode: intp(1)}}, `{"ret":{"status":true}}`},
		{"updateTeamUpdateClientCustomMode", `{"teamId":"t1","clientCustomMode":1}`, "UpdateTeamInfo", []any{"t1", core.TeamInfoUpdate{UpdateCustomMode: intp(1)}}, `{"ret":{"status":true}}`},
		{"updateTeamNotifyState", `{"teamId":"t1","notifyState":2}`, "UpdateTeamNotifyState", []any{"t1", 2}, `{"ret":{"status":true}}`},
		{"fetchTeamNotifyState", `{"teamId":"t1"}`, "FetchTeamNotifyState", "t1", `{"ret":{"status":true,"notifyState":2}}`},
		{"sendTeamMessageReceipts", `{"sessionId":"t1","chatType":1,"messageIds":["m1","m2"]}`, "SendTeamMessageReceipts",
			[]any{"t1", 1, []string{"m1", "m2"}}, `{"ret":{"status":true}}`},
		{"sendTeamMessageReceipts", `{"sessionId":"t1","chatType":5,"messageIds":["m1"]}`, "SendTeamMessageReceipts",
			[]any{"t1", 5, []string{"m1"}}, `{"ret":{"status":true}}`},
	}
	for _, c := range cases {
		f := &fake{}
		got := string(Call(context.Background(), f, c.method, c.params))
		if f.last != c.call || !reflect.DeepEqual(f.args, c.args) {
			t.Errorf("%s(%.60s) called %s %#v, want %s %#v", c.method, c.params, f.last, f.args, c.call, c.args)
		}
		if c.ret != "" && got != c.ret {
			t.Errorf("%s(%.60s) = %s, want %s", c.method, c.params, got, c.ret)
		}
	}
	env := run(t, &fake{}, "allMyTeams", "")
	if ts, ok := env.Ret["teams"].([]any); !ok || len(ts) != 1 || ts[0].(map[string]any)["teamId"] != "t1" ||
		ts[0].(map[string]any)["isMyTeam"] != true || len(env.Ret) != 1 {
		t.Errorf("allMyTeams ret %v", env.Ret)
	}
	// Each update method sets exactly one field of TeamInfoUpdate.
	for _, m := range []string{"updateTeamName", "updateTeamAvatar", "updateTeamIntro", "updateTeamAnnouncement",
		"updateTeamCustomInfo", "updateTeamJoinMode", "updateTeamBeInviteMode", "updateTeamInviteMode",
		"updateTeamUpdateInfoMode", "updateTeamUpdateClientCustomMode"} {
		f := &fake{}
		run(t, f, m, `{"teamId":"t1","teamName":"x","teamAvatarUrl":"x","intro":"x","announcement":"x","customInfo":"x",
			"joinMode":1,"beInviteMode":1,"inviteMode":1,"infoMode":1,"clientCustomMode":1}`)
		u := reflect.ValueOf(f.args.([]any)[1].(core.TeamInfoUpdate))
		set := 0
		for i := 0; i < u.NumField(); i++ {
			if !u.Field(i).IsNil() {
				set++
			}
		}
		if set != 1 {
			t.Errorf("%s set %d fields of TeamInfoUpdate: %+v", m, set, f.args)
		}
	}
}

// TestTeamBadParams: every team method answers a value of the wrong type
// or out of range with a 414 naming the doc's parameter, before the
// engine is called.
func TestTeamBadParams(t *testing.T) {
	long := func(n int, s string) string { return strings.Repeat(s, n) }
	many := func(n int) string {
		ids := make([]string, n)
		for i := range ids {
			ids[i] = `"u` + strconv.Itoa(i) + `"`
		}
		return "[" + strings.Join(ids, ",") + "]"
	}
	opt := func(kv string) string { return `{"users":["bob"],"option":{"name":"T",` + kv + `}}` }
	cases := []struct{ method, params, msg string }{
		{"createTeam", `{"users":["bob"]}`, "parameter option must be an object"},
		{"createTeam", `{"users":["bob"],"option":"T"}`, "parameter option must be an object"},
		{"createTeam", `{"users":["bob"],"option":[]}`, "parameter option must be an object"},
		{"createTeam", `{"users":"bob bob","option":{"name":"T"}}`, "parameter users must be an account id"},
		{"createTeam", `{"users":[1],"option":{"name":"T"}}`, "parameter users must be an array of strings"},
		{"createTeam", `{"users":["bad id!"],"option":{"name":"T"}}`, "parameter users[0] must be an account id"},
		{"createTeam", `{"users":["bob",""],"option":{"name":"T"}}`, "parameter users[1] must not be empty"},
		{"createTeam", `{"users":` + many(proto.MaxTeamAccounts+1) + `,"option":{"name":"T"}}`, "parameter users must list at most 200 accounts"},
		{"createTeam", `{"users":["bob"],"option":{}}`, "parameter option.name must be a string"},
		{"createTeam", `{"users":["bob"],"option":{"name":5}}`, "parameter option.name must be a string"},
		{"createTeam", `{"users":["bob"],"option":{"name":""}}`, "parameter option.name is required"},
		{"createTeam", `{"users":["bob"],"option":{"name":"a\nb"}}`, "parameter option.name must not contain control characters"},
		{"kickUsersFromTeam", `{"teamId":"t1","users":"alice"}`, "parameter users must not name your own account"},
		{"passApplyToTeam", `{"teamId":"t1","userId":"alice"}`, "parameter userId must not be your own account"},
		{"rejectApplyToTeam", `{"teamId":"t1","userId":"alice"}`, "parameter userId must not be your own account"},
		{"acceptInviteWithTeam", `{"teamId":"t1","invitorId":"alice"}`, "parameter invitorId must not be your own account"},
		{"rejectInviteWithTeam", `{"teamId":"t1","invitorId":"alice"}`, "parameter invitorId must not be your own account"},
		{"muteUserFromTeam", `{"teamId":"t1","userId":"alice"}`, "parameter userId must not be your own account"},
		{"updateUserNick", `{"teamId":"t1","userId":"alice","newNick":"a\tb"}`, "parameter newNick must not contain control characters"},
		{"updateTeamName", `{"teamId":"t1","teamName":"a\u0000"}`, "parameter teamName must not contain control characters"},
		{"createTeam", `{"users":["bob"],"option":{"name":"` + long(proto.MaxTeamNameRunes+1, "名") + `"}}`, "parameter option.name must be at most 64 characters"},
		{"createTeam", opt(`"type":3`), "parameter option.type must be 0 (normal), 1 (advanced) or 2 (super)"},
		{"createTeam", opt(`"type":-1`), "parameter option.type must be 0"},
		{"createTeam", opt(`"type":"1"`), "parameter option.type must be a number"},
		{"createTeam", opt(`"type":1.5`), "parameter option.type must be an integer"},
		{"createTeam", opt(`"intro":1`), "parameter option.intro must be a string"},
		{"createTeam", opt(`"intro":"` + long(proto.MaxTeamIntroRunes+1, "介") + `"`), "parameter option.intro must be at most 512 characters"},
		{"createTeam", opt(`"icon":"` + long(proto.MaxTeamIconBytes+1, "i") + `"`), "parameter option.icon must be at most 1024 bytes"},
		{"createTeam", opt(`"announcement":"` + long(proto.MaxTeamAnnounceRunes+1, "a") + `"`), "parameter option.announcement must be at most 1024 characters"},
		{"createTeam", opt(`"clientCustomInfo":{}`), "parameter option.clientCustomInfo must be a string"},
		{"createTeam", opt(`"clientCustomInfo":"` + long(proto.MaxTeamCustomBytes/3+1, "字") + `"`), "parameter option.clientCustomInfo must be at most 1024 bytes"},
		{"createTeam", opt(`"postscript":"` + long(proto.MaxTeamPsRunes+1, "p") + `"`), "parameter option.postscript must be at most 256 characters"},
		{"createTeam", opt(`"joinMode":3`), "parameter option.joinMode must be 0 (anyone), 1 (approval) or 2 (nobody)"},
		{"createTeam", opt(`"inviteMode":2`), "parameter option.inviteMode must be 0"},
		{"createTeam", opt(`"beInviteMode":2`), "parameter option.beInviteMode must be 0"},
		{"createTeam", opt(`"updateInfoMode":-1`), "parameter option.updateInfoMode must be 0"},
		{"createTeam", opt(`"updateClientCustomMode":true`), "parameter option.updateClientCustomMode must be a number"},
		{"createTeam", opt(`"maxMember":-1`), "parameter option.maxMember must not be negative"},
		{"createTeam", opt(`"maxMember":"10"`), "parameter option.maxMember must be a number"},
		{"createTeam", opt(`"muteMode":2`), "parameter option.muteMode must be 0 (none), 1 (normal members) or 3 (everyone)"},
		{"dismissTeam", `{"teamId":""}`, "parameter teamId must not be empty"},
		{"dismissTeam", `{"teamId":5}`, "parameter teamId must be a string"},
		{"quitTeam", `{"teamId":"` + long(65, "1") + `"}`, "parameter teamId is not a valid team id (1-64 letters, digits, _ . @ -)"},
		{"quitTeam", `{"teamId":"t 1"}`, "parameter teamId is not a valid team id"},
		{"isMyTeam", `{"teamId":"团"}`, "parameter teamId is not a valid team id"},
		{"sendTeamMessageReceipts", `{"sessionId":"t/1","chatType":1,"messageIds":["m1"]}`, "parameter sessionId is not a valid team id"},
		{"applyToTeam", `{"teamId":"t1","message":5}`, "parameter message must be a string"},
		{"applyToTeam", `{"teamId":"t1","message":"` + long(proto.MaxTeamPsRunes+1, "m") + `"}`, "parameter message must be at most 256 characters"},
		{"passApplyToTeam", `{"teamId":"t1"}`, "parameter userId must be a string"},
		{"passApplyToTeam", `{"teamId":"t1","userId":"bad id!"}`, "parameter userId must be an account id"},
		{"rejectApplyToTeam", `{"teamId":"t1","userId":"bob","reason":[]}`, "parameter reason must be a string"},
		{"rejectApplyToTeam", `{"teamId":"t1","userId":"bob","reason":"` + long(proto.MaxTeamPsRunes+1, "r") + `"}`, "parameter reason must be at most 256 characters"},
		{"invitationToTeam", `{"teamId":"t1"}`, "parameter users must be an array of strings"},
		{"invitationToTeam", `{"teamId":"t1","users":[]}`, "parameter users must name at least one account"},
		{"invitationToTeam", `{"teamId":"t1","users":` + many(proto.MaxTeamAccounts+1) + `}`, "parameter users must list at most 200 accounts"},
		{"invitationToTeam", `{"teamId":"t1","users":["bob"],"postscript":1}`, "parameter postscript must be a string"},
		{"invitationToTeam", `{"teamId":"t1","users":["bob"],"postscript":"` + long(proto.MaxTeamPsRunes+1, "p") + `"}`, "parameter postscript must be at most 256 characters"},
		{"invitationToTeam", `{"teamId":"t1","users":["bob"],"attach":{}}`, "parameter attach must be a string"},
		{"invitationToTeam", `{"teamId":"t1","users":["bob"],"attach":"` + long(proto.MaxTeamCustomBytes+1, "a") + `"}`, "parameter attach must be at most 1024 bytes"},
		{"acceptInviteWithTeam", `{"teamId":"t1"}`, "parameter invitorId must be a string"},
		{"rejectInviteWithTeam", `{"teamId":"t1","invitorId":""}`, "parameter invitorId must not be empty"},
		{"rejectInviteWithTeam", `{"teamId":"t1","invitorId":"bob","reason":false}`, "parameter reason must be a string"},
		{"kickUsersFromTeam", `{"teamId":"t1","users":[]}`, "parameter users must name at least one account"},
		{"kickUsersFromTeam", `{"teamId":"t1","users":{}}`, "parameter users must be an array of strings"},
		{"kickUsersFromTeam", `{"teamId":"t1","users":""}`, "parameter users must not be empty"},
		{"fetchTeamMembers", `{"teamId":["t1"]}`, "parameter teamId must be a string"},
		{"fetchTeamMutedMembers", `{"teamId":null}`, "parameter teamId must be a string"},
		{"teamMember", `{"teamId":"t1","userId":1}`, "parameter userId must be a string"},
		{"updateUserNick", `{"teamId":"t1","userId":"bob"}`, "parameter newNick must be a string"},
		{"updateUserNick", `{"teamId":"t1","userId":"bob","newNick":1}`, "parameter newNick must be a string"},
		{"updateUserNick", `{"teamId":"t1","userId":"bob","newNick":"` + long(proto.MaxTeamNickRunes+1, "昵") + `"}`, "parameter newNick must be at most 64 characters"},
		{"isMyTeam", `{"teamId":{}}`, "parameter teamId must be a string"},
		{"transferManagerWithTeam", `{"teamId":"t1"}`, "parameter newOwnerId must be a string"},
		{"transferManagerWithTeam", `{"teamId":"t1","newOwnerId":"bob","isLeave":"yes"}`, "parameter isLeave must be a boolean"},
		{"transferManagerWithTeam", `{"teamId":"t1","newOwnerId":"alice"}`, "parameter newOwnerId must not be your own account"},
		{"addManagersToTeam", `{"teamId":"t1","users":["ok",5]}`, "parameter users must be an array of strings"},
		{"removeManagersFromTeam", `{"teamId":"t1","users":[]}`, "parameter users must name at least one account"},
		{"muteUserFromTeam", `{"teamId":"t1","userId":"bob","isMute":1}`, "parameter isMute must be a boolean"},
		{"muteAllFromTeam", `{"teamId":"t1","isMute":"false"}`, "parameter isMute must be a boolean"},
		{"updateTeamName", `{"teamId":"t1"}`, "parameter teamName must be a string"},
		{"updateTeamName", `{"teamId":"t1","teamName":""}`, "parameter teamName is required"},
		{"updateTeamName", `{"teamId":"t1","teamName":"` + long(proto.MaxTeamNameRunes+1, "n") + `"}`, "parameter teamName must be at most 64 characters"},
		{"updateTeamAvatar", `{"teamId":"t1","teamAvatarUrl":5}`, "parameter teamAvatarUrl must be a string"},
		{"updateTeamAvatar", `{"teamId":"t1","teamAvatarUrl":"` + long(proto.MaxTeamIconBytes+1, "u") + `"}`, "parameter teamAvatarUrl must be at most 1024 bytes"},
		{"updateTeamIntro", `{"teamId":"t1"}`, "parameter intro must be a string"},
		{"updateTeamIntro", `{"teamId":"t1","intro":"` + long(proto.MaxTeamIntroRunes+1, "i") + `"}`, "parameter intro must be at most 512 characters"},
		{"updateTeamAnnouncement", `{"teamId":"t1","announcement":null}`, "parameter announcement must be a string"},
		{"updateTeamAnnouncement", `{"teamId":"t1","announcement":"` + long(proto.MaxTeamAnnounceRunes+1, "a") + `"}`, "parameter announcement must be at most 1024 characters"},
		{"updateTeamCustomInfo", `{"teamId":"t1","customInfo":{}}`, "parameter customInfo must be a string"},
		{"updateTeamCustomInfo", `{"teamId":"t1","customInfo":"` + long(proto.MaxTeamCustomBytes+1, "c") + `"}`, "parameter customInfo must be at most 1024 bytes"},
		{"updateTeamJoinMode", `{"teamId":"t1"}`, "parameter joinMode must be a number"},
		{"updateTeamJoinMode", `{"teamId":"t1","joinMode":3}`, "parameter joinMode must be 0 (anyone), 1 (approval) or 2 (nobody)"},
		{"updateTeamBeInviteMode", `{"teamId":"t1","beInviteMode":"0"}`, "parameter beInviteMode must be a number"},
		{"updateTeamBeInviteMode", `{"teamId":"t1","beInviteMode":2}`, "parameter beInviteMode must be 0"},
		{"updateTeamInviteMode", `{"teamId":"t1","inviteMode":0.5}`, "parameter inviteMode must be an integer"},
		{"updateTeamInviteMode", `{"teamId":"t1","inviteMode":-1}`, "parameter inviteMode must be 0"},
		{"updateTeamUpdateInfoMode", `{"teamId":"t1"}`, "parameter infoMode must be a number"},
		{"updateTeamUpdateInfoMode", `{"teamId":"t1","infoMode":2}`, "parameter infoMode must be 0"},
		{"updateTeamUpdateClientCustomMode", `{"teamId":"t1","clientCustomMode":null}`, "parameter clientCustomMode must be a number"},
		{"updateTeamUpdateClientCustomMode", `{"teamId":"t1","clientCustomMode":7}`, "parameter clientCustomMode must be 0"},
		{"updateTeamNotifyState", `{"teamId":"t1"}`, "parameter notifyState must be a number"},
		{"updateTeamNotifyState", `{"teamId":"t1","notifyState":3}`, "parameter notifyState must be 0 (all), 1 (none) or 2 (managers only)"},
		{"updateTeamNotifyState", `{"teamId":"t1","notifyState":true}`, "parameter notifyState must be a number"},
		{"fetchTeamNotifyState", `{"teamId":""}`, "parameter teamId must not be empty"},
		{"sendTeamMessageReceipts", `{"sessionId":"t1","messageIds":["m1"]}`, "parameter chatType must be 1 or 5"},
		{"sendTeamMessageReceipts", `{"sessionId":"t1","chatType":0,"messageIds":["m1"]}`, "parameter chatType must be 1 or 5"},
		{"sendTeamMessageReceipts", `{"sessionId":"t1","chatType":2,"messageIds":["m1"]}`, "parameter chatType must be 1 or 5"},
		{"sendTeamMessageReceipts", `{"sessionId":"t1","chatType":"1","messageIds":["m1"]}`, "parameter chatType must be a number"},
		{"sendTeamMessageReceipts", `{"sessionId":"","chatType":1,"messageIds":["m1"]}`, "parameter sessionId must not be empty"},
		{"sendTeamMessageReceipts", `{"sessionId":"t1","chatType":1}`, "parameter messageIds must be an array of strings"},
		{"sendTeamMessageReceipts", `{"sessionId":"t1","chatType":1,"messageIds":"m1"}`, "parameter messageIds must be an array of strings"},
		{"sendTeamMessageReceipts", `{"sessionId":"t1","chatType":1,"messageIds":[]}`, "parameter messageIds must name at least one message"},
		{"sendTeamMessageReceipts", `{"sessionId":"t1","chatType":1,"messageIds":["m1",""]}`, "parameter messageIds must not contain an empty id"},
		{"sendTeamMessageReceipts", `{"sessionId":"t1","chatType":1,"messageIds":["` + long(proto.MaxIDBytes+1, "m") + `"]}`, "parameter messageIds has an id longer than 64 bytes"},
		{"sendTeamMessageReceipts", `{"sessionId":"t1","chatType":1,"messageIds":` + many(proto.MaxTeamReceiptSeqs+1) + `}`, "parameter messageIds has more than 100 entries"},
	}
	for _, c := range cases {
		f := &fake{}
		env := run(t, f, c.method, c.params)
		if env.Err == nil || env.Err.Code != 414 || !strings.Contains(env.Err.Msg, c.msg) {
			t.Errorf("%s(%.80s) = %+v, want 414 containing %q", c.method, c.params, env.Err, c.msg)
		}
		if f.last != "" && f.last != "CurrentAccount" {
			t.Errorf("%s(%.80s) reached the engine: %s", c.method, c.params, f.last)
		}
	}
	// The boundaries themselves are accepted.
	for _, c := range []struct{ method, params string }{
		{"createTeam", `{"users":` + many(proto.MaxTeamAccounts) + `,"option":{"name":"` + long(proto.MaxTeamNameRunes, "名") + `","type":2,"muteMode":1}}`},
		{"updateTeamName", `{"teamId":"t1","teamName":"` + long(proto.MaxTeamNameRunes, "名") + `"}`},
		{"updateTeamCustomInfo", `{"teamId":"t1","customInfo":"` + long(proto.MaxTeamCustomBytes, "c") + `"}`},
		{"sendTeamMessageReceipts", `{"sessionId":"t1","chatType":1,"messageIds":` + many(proto.MaxTeamReceiptSeqs) + `}`},
		{"updateTeamNotifyState", `{"teamId":"t1","notifyState":0}`},
		{"dismissTeam", `{"teamId":"` + long(64, "9") + `"}`},
		{"dismissTeam", `{"teamId":"a_b.c@d-E9"}`},
	} {
		if env := run(t, &fake{}, c.method, c.params); env.Err != nil {
			t.Errorf("%s(%.60s): %+v", c.method, c.params, env.Err)
		}
	}
}

// TestTeamGarbage: every team method and sendTeamMessageReceipts answers
// any params (wrong types, nulls, nesting) with a ret, a 414 naming a
// parameter when it fails on them, and never panics.
func TestTeamGarbage(t *testing.T) {
	garbage := []string{"", "null", "[]", "5", `"x"`, "{}", `{"teamId":null}`, `{"teamId":1}`, `{"teamId":"t1"}`,
		`{"teamId":"t1","users":null,"userId":null,"option":null}`,
		`{"teamId":"t1","users":[null],"userId":[],"option":{"name":null,"type":null},"invitorId":{},"newOwnerId":1}`,
		`{"teamId":"t1","users":[[]],"option":{"name":"T","type":{}},"messageIds":[{}],"sessionId":"t1","chatType":1}`,
		`{"teamId":"t1","users":["bob"],"option":{"name":"T","maxMember":1e999},"joinMode":1e999,"notifyState":-0}`,
	}
	for _, m := range teamMethods() {
		for _, g := range garbage {
			env := run(t, &fake{}, m, g)
			if env.Err != nil && (env.Err.Code != 414 || !strings.Contains(env.Err.Msg, "parameter ")) {
				t.Errorf("%s(%s): %+v", m, g, env.Err)
			}
		}
	}
}

// TestTeamEngineErrors: core's errors reach the page as they are, with
// ret {status:false}.
func TestTeamEngineErrors(t *testing.T) {
	f := &fake{err: core.Errf(proto.CodeTeamPermission, "no permission")}
	for _, c := range []struct{ method, params string }{
		{"createTeam", `{"users":[],"option":{"name":"T"}}`},
		{"allMyTeams", ``},
		{"applyToTeam", `{"teamId":"t1"}`},
		{"invitationToTeam", `{"teamId":"t1","users":["bob"]}`},
		{"fetchTeamMembers", `{"teamId":"t1"}`},
		{"teamMember", `{"teamId":"t1","userId":"bob"}`},
		{"isMyTeam", `{"teamId":"t1"}`},
		{"fetchTeamNotifyState", `{"teamId":"t1"}`},
		{"updateTeamName", `{"teamId":"t1","teamName":"N"}`},
		{"sendTeamMessageReceipts", `{"sessionId":"t1","chatType":1,"messageIds":["m"]}`},
	} {
		want := `{"ret":{"status":false},"err":{"code":802,"msg":"no permission"}}`
		if got := string(Call(context.Background(), f, c.method, c.params)); got != want {
			t.Errorf("%s = %s, want %s", c.method, got, want)
		}
	}
}

// teamMethods are the team group's methods but the listener methods, and
// sendTeamMessageReceipts.
func teamMethods() []string {
	ms := []string{"sendTeamMessageReceipts"}
	for _, m := range strings.Fields(methodGroups[6]) {
		if ListenerKind(m) == "" {
			ms = append(ms, m)
		}
	}
	return ms
}

// TestTeamMethodsReachCore runs the table in front of the real
// core.Client: every team method's valid call reaches core (whatever core
// answers, it is an envelope with a code, never a panic).
func TestTeamMethodsReachCore(t *testing.T) {
	dial := func(context.Context, string) (core.Conn, error) {
		return nil, core.Errf(415, "no network in this test")
	}
	open := func(context.Context, string, string) (core.Cache, error) { return core.NewMemCache(), nil }
	c := core.NewClient(core.Config{AppKey: "k", Server: "ws://127.0.0.1:1/ws"}, dial, open, func(core.Event) {})
	p := `{"teamId":"t1","users":["bob"],"userId":"bob","invitorId":"bob","newOwnerId":"bob","newNick":"n",
		"option":{"name":"T"},"teamName":"N","teamAvatarUrl":"u","intro":"i","announcement":"a","customInfo":"c",
		"joinMode":0,"beInviteMode":0,"inviteMode":0,"infoMode":0,"clientCustomMode":0,"notifyState":0,
		"sessionId":"t1","chatType":1,"messageIds":["m1"]}`
	if n := len(teamMethods()); n != 34 {
		t.Fatalf("%d team methods (33 and sendTeamMessageReceipts), want 34: %v", n, teamMethods())
	}
	for _, m := range teamMethods() {
		var env envelope
		func() {
			defer func() {
				if v := recover(); v != nil {
					t.Errorf("%s panicked: %v", m, v)
				}
			}()
			env = run(t, c, m, p)
		}()
		if env.Err != nil && strings.Contains(env.Err.Msg, "parameter ") {
			t.Errorf("%s: a valid call was refused: %+v", m, env.Err)
		}
	}
}

// TestTeamWordingIsCore: where jsapi and core both check a value, a page
// gets the same 414 whichever layer sees it first.
func TestTeamWordingIsCore(t *testing.T) {
	dial := func(context.Context, string) (core.Conn, error) {
		return nil, core.Errf(415, "no network in this test")
	}
	open := func(context.Context, string, string) (core.Cache, error) { return core.NewMemCache(), nil }
	c := core.NewClient(core.Config{AppKey: "k", Server: "ws://127.0.0.1:1/ws"}, dial, open, func(core.Event) {})
	ctx := context.Background()
	long := func(n int) string { return strings.Repeat("x", n) }
	s := func(v string) *string { return &v }
	n := func(v int) *int { return &v }
	cases := []struct {
		method, params string
		core           error
	}{
		{"dismissTeam", `{"teamId":"t 1"}`, c.DismissTeam(ctx, "t 1")},
		{"dismissTeam", `{"teamId":""}`, c.DismissTeam(ctx, "")},
		{"createTeam", `{"users":[],"option":{"name":""}}`, func() error { _, err := c.CreateTeam(ctx, core.CreateTeamParams{}); return err }()},
		{"createTeam", `{"users":[],"option":{"name":"a\u0001"}}`, func() error {
			_, err := c.CreateTeam(ctx, core.CreateTeamParams{Name: "a\u0001"})
			return err
		}()},
		{"createTeam", `{"users":[],"option":{"name":"T","icon":"` + long(proto.MaxTeamIconBytes+1) + `"}}`, func() error {
			_, err := c.CreateTeam(ctx, core.CreateTeamParams{Name: "T", Icon: long(proto.MaxTeamIconBytes + 1)})
			return err
		}()},
		{"createTeam", `{"users":[],"option":{"name":"T","muteMode":2}}`, func() error {
			_, err := c.CreateTeam(ctx, core.CreateTeamParams{Name: "T", MuteMode: 2})
			return err
		}()},
		{"createTeam", `{"users":[],"option":{"name":"T","maxMember":-1}}`, func() error {
			_, err := c.CreateTeam(ctx, core.CreateTeamParams{Name: "T", MaxMember: -1})
			return err
		}()},
		{"invitationToTeam", `{"teamId":"t1","users":[]}`, func() error {
			_, err := c.InvitationToTeam(ctx, "t1", []string{}, "", "")
			return err
		}()},
		{"applyToTeam", `{"teamId":"t1","message":"` + long(proto.MaxTeamPsRunes+1) + `"}`, func() error {
			_, err := c.ApplyToTeam(ctx, "t1", long(proto.MaxTeamPsRunes+1))
			return err
		}()},
		{"updateUserNick", `{"teamId":"t1","userId":"bob","newNick":"a\tb"}`, c.UpdateUserNick(ctx, "t1", "bob", "a\tb")},
		{"updateTeamName", `{"teamId":"t1","teamName":""}`, c.UpdateTeamInfo(ctx, "t1", core.TeamInfoUpdate{Name: s("")})},
		{"updateTeamCustomInfo", `{"teamId":"t1","customInfo":"` + long(proto.MaxTeamCustomBytes+1) + `"}`,
			c.UpdateTeamInfo(ctx, "t1", core.TeamInfoUpdate{ClientCustom: s(long(proto.MaxTeamCustomBytes + 1))})},
		{"updateTeamJoinMode", `{"teamId":"t1","joinMode":5}`, c.UpdateTeamInfo(ctx, "t1", core.TeamInfoUpdate{JoinMode: n(5)})},
		{"updateTeamUpdateInfoMode", `{"teamId":"t1","infoMode":5}`, c.UpdateTeamInfo(ctx, "t1", core.TeamInfoUpdate{UpdateInfoMode: n(5)})},
		{"updateTeamNotifyState", `{"teamId":"t1","notifyState":5}`, c.UpdateTeamNotifyState(ctx, "t1", 5)},
	}
	for _, tc := range cases {
		env := run(t, &fake{}, tc.method, tc.params)
		want := core.AsError(tc.core)
		if env.Err == nil || want == nil || *env.Err != *want {
			t.Errorf("%s(%.60s): jsapi %+v, core %+v", tc.method, tc.params, env.Err, want)
		}
	}
}
