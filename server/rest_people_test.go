package server

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"yunxin/internal/jx"
	"yunxin/proto"
)

// signREST sets the server API's headers on req (AppKey, Nonce, CurTime and
// CheckSum = sha1(secret + Nonce + CurTime)).
func signREST(req *http.Request, secret string) {
	nonce := "n" + strconv.FormatInt(time.Now().UnixNano(), 10)
	ct := strconv.FormatInt(time.Now().Unix(), 10)
	sum := sha1.Sum([]byte(secret + nonce + ct))
	req.Header.Set("AppKey", testKey)
	req.Header.Set("Nonce", nonce)
	req.Header.Set("CurTime", ct)
	req.Header.Set("CheckSum", hex.EncodeToString(sum[:]))
}

// restRaw posts form to the REST action path with a checksum made from
// secret and returns the reply's code, desc and whole JSON object.
func (e *env) restRaw(path string, form url.Values, secret string) (code int, desc string, reply map[string]jx.RawMessage) {
	e.t.Helper()
	req, _ := http.NewRequest("POST", e.hs.URL+"/nimserver/"+path+".action", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded;charset=utf-8")
	signREST(req, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("%s: HTTP %d %s", path, resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, &reply); err != nil {
		e.t.Fatalf("%s: reply %s: %v", path, body, err)
	}
	json.Unmarshal(reply["code"], &code)
	json.Unmarshal(reply["desc"], &desc)
	return code, desc, reply
}

// restOK calls a REST action with the right secret and fails unless it
// answers 200; it returns the reply.
func (e *env) restOK(path string, form url.Values) map[string]jx.RawMessage {
	e.t.Helper()
	code, desc, reply := e.restRaw(path, form, testSecret)
	if code != proto.CodeOK {
		e.t.Fatalf("%s %v: code %d %q", path, form, code, desc)
	}
	return reply
}

// restFail calls a REST action and checks its code and that desc contains
// want.
func (e *env) restFail(path string, form url.Values, code int, want string) {
	e.t.Helper()
	got, desc, _ := e.restRaw(path, form, testSecret)
	if got != code || !strings.Contains(desc, want) {
		e.t.Fatalf("%s %v: got %d %q, want %d containing %q", path, form, got, desc, code, want)
	}
}

func TestRESTPeopleChecksum(t *testing.T) {
	e := newEnv(t, "alice")
	for _, path := range []string{"user/updateUinfo", "user/getUinfos", "user/block", "user/unblock", "friend/add",
		"friend/delete", "friend/get", "friend/update", "msg/sendAttachMsg"} {
		code, desc, _ := e.restRaw(path, url.Values{"accid": {"alice"}, "name": {"X"}}, "wrong-secret")
		if code != proto.CodeBadParam || !strings.Contains(desc, "CheckSum") {
			t.Fatalf("%s with a bad checksum: %d %q", path, code, desc)
		}
	}
	// Nothing was written by the refused calls.
	var users proto.UsersResp
	e.dialLogin("alice").ok(proto.OpUsers, proto.UsersReq{Accounts: []string{"alice"}}, &users)
	if users.Users[0].Name != "alice" || users.Users[0].Ver != 1 {
		t.Fatalf("profile after refused calls %+v", users.Users[0])
	}
}

func TestRESTUinfos(t *testing.T) {
	e := newEnv(t, "alice", "bob")
	a, _ := e.login("alice")
	e.restOK("user/updateUinfo", url.Values{"accid": {"alice"}, "name": {"Alice"}, "icon": {"https://x/a.png"}, "sign": {"hi"},
		"email": {"a@example.com"}, "birth": {"2000-01-31"}, "mobile": {"+86 138-0000"}, "gender": {"2"}, "ex": {`{"v":1}`}})
	// The REST write reaches every connection of the account.
	u := decodeData[proto.UserInfo](t, a.waitChange(proto.ChangeUser, "alice"))
	if u.Name != "Alice" || u.Gender != 2 || u.Ext != `{"v":1}` || u.Ver != 2 {
		t.Fatalf("pushed profile %+v", u)
	}

	reply := e.restOK("user/getUinfos", url.Values{"accids": {`["alice","nobody","bob"]`}})
	if _, ok := reply["info"]; ok {
		t.Fatalf("getUinfos has info: %v", reply)
	}
	var uinfos []map[string]any
	if err := json.Unmarshal(reply["uinfos"], &uinfos); err != nil {
		t.Fatal(err)
	}
	want := []map[string]any{
		{"accid": "alice", "name": "Alice", "icon": "https://x/a.png", "sign": "hi", "email": "a@example.com", "birth": "2000-01-31",
			"mobile": "+86 138-0000", "gender": float64(2), "ex": `{"v":1}`},
		{"accid": "bob", "name": "bob"},
	}
	if b1, b2 := mustJSON(uinfos), mustJSON(want); string(b1) != string(b2) {
		t.Fatalf("uinfos\n%s\nwant\n%s", b1, b2)
	}
	// An empty value clears a field.
	e.restOK("user/updateUinfo", url.Values{"accid": {"alice"}, "sign": {""}})
	reply = e.restOK("user/getUinfos", url.Values{"accids": {`["alice"]`}})
	if strings.Contains(string(reply["uinfos"]), "sign") {
		t.Fatalf("sign not cleared: %s", reply["uinfos"])
	}

	for _, tc := range []struct {
		form url.Values
		want string
	}{
		{url.Values{"name": {"x"}}, "accid is required"},
		{url.Values{"accid": {"a b"}}, "accid"},
		{url.Values{"accid": {"alice"}, "name": {strings.Repeat("n", 65)}}, "name must be at most 64"},
		{url.Values{"accid": {"alice"}, "icon": {strings.Repeat("i", 1025)}}, "icon"},
		{url.Values{"accid": {"alice"}, "gender": {"x"}}, "gender"},
		{url.Values{"accid": {"alice"}, "gender": {"3"}}, "gender"},
		{url.Values{"accid": {"alice"}, "email": {"nope"}}, "email"},
		{url.Values{"accid": {"alice"}, "birth": {"31/01/2000"}}, "birth"},
		{url.Values{"accid": {"alice"}, "mobile": {"abc"}}, "mobile"},
		{url.Values{"accid": {"alice"}, "ex": {strings.Repeat("e", 1025)}}, "ex must be"},
	} {
		e.restFail("user/updateUinfo", tc.form, proto.CodeBadParam, tc.want)
	}
	e.restFail("user/updateUinfo", url.Values{"accid": {"nobody"}, "name": {"N"}}, proto.CodeNotFound, "user not found: nobody")

	many := make([]string, MaxGetUinfos+1)
	for i := range many {
		many[i] = "u" + strconv.Itoa(i)
	}
	e.restFail("user/getUinfos", url.Values{"accids": {string(mustJSON(many))}}, proto.CodeBadParam, "at most 200")
	e.restOK("user/getUinfos", url.Values{"accids": {string(mustJSON(many[:200]))}})
	e.restFail("user/getUinfos", url.Values{}, proto.CodeBadParam, "accids is required")
	e.restFail("user/getUinfos", url.Values{"accids": {"alice,bob"}}, proto.CodeBadParam, "JSON array")
	e.restFail("user/getUinfos", url.Values{"accids": {`["alice","no good"]`}}, proto.CodeBadParam, "accids[1]")
}

func TestRESTBlock(t *testing.T) {
	e := newEnv(t, "alice", "bob")
	web, _ := e.login("alice")
	android := e.dial()
	req := loginReq("alice")
	req.ClientType = 1
	android.ok(proto.OpLogin, req, nil)
	b, _ := e.login("bob")

	e.restOK("user/block", url.Values{"accid": {"alice"}, "needkick": {"true"}})
	for _, c := range []*client{web, android} {
		var k proto.Kick
		c.push(proto.PushKick, &k)
		if k.Reason != proto.KickByServer {
			t.Fatalf("kick %+v", k)
		}
		c.waitClosed()
	}
	b.ok(proto.OpPing, nil, nil) // others stay

	again := e.dial()
	again.fail(proto.OpLogin, loginReq("alice"), proto.CodeDisabled, "account disabled")
	again.waitClosed()
	wrong := loginReq("alice")
	wrong.Token = "wrong"
	e.dial().fail(proto.OpLogin, wrong, proto.CodeBadAuth, "wrong account or token")

	e.restOK("user/unblock", url.Values{"accid": {"alice"}})
	a, _ := e.login("alice")

	// Without needkick the live connection stays; new logins are refused.
	e.restOK("user/block", url.Values{"accid": {"alice"}, "needkick": {"false"}})
	a.ok(proto.OpPing, nil, nil)
	e.dial().fail(proto.OpLogin, loginReq("alice"), proto.CodeDisabled, "account disabled")
	e.restOK("user/block", url.Values{"accid": {"alice"}})
	a.noPush(proto.PushKick)

	e.restFail("user/block", url.Values{"accid": {"nobody"}}, proto.CodeNotFound, "user not found: nobody")
	e.restFail("user/unblock", url.Values{"accid": {"nobody"}}, proto.CodeNotFound, "user not found: nobody")
	e.restFail("user/block", url.Values{"accid": {"alice"}, "needkick": {"yes"}}, proto.CodeBadParam, "needkick")
	e.restFail("user/block", url.Values{}, proto.CodeBadParam, "accid is required")
}

func TestRESTFriends(t *testing.T) {
	e := newEnv(t, "alice", "bob", "carol")
	a, _ := e.login("alice")
	b, _ := e.login("bob")
	before := time.Now().UnixMilli()

	e.restOK("friend/add", url.Values{"accid": {"alice"}, "faccid": {"bob"}, "type": {"1"}})
	a.waitChange(proto.ChangeFriend, "bob") // REST: every connection hears it
	b.waitChange(proto.ChangeFriend, "alice")

	friends := func(accid string, since int64) (int, []map[string]any) {
		t.Helper()
		reply := e.restOK("friend/get", url.Values{"accid": {accid}, "updatetime": {strconv.FormatInt(since, 10)}})
		var size int
		var list []map[string]any
		json.Unmarshal(reply["size"], &size)
		if err := json.Unmarshal(reply["friends"], &list); err != nil || size != len(list) {
			t.Fatalf("friend/get %v: size %d, %v", reply, size, err)
		}
		return size, list
	}
	n, list := friends("alice", 0)
	if n != 1 || list[0]["faccid"] != "bob" || list[0]["bidirection"] != true || list[0]["createtime"].(float64) < float64(before) ||
		list[0]["updatetime"].(float64) < list[0]["createtime"].(float64) {
		t.Fatalf("alice's friends %v", list)
	}

	e.restOK("friend/update", url.Values{"accid": {"alice"}, "faccid": {"bob"}, "alias": {"Bobby"}, "ex": {"vip"}})
	f := decodeData[proto.Friend](t, a.waitChange(proto.ChangeFriend, "bob"))
	if f.Alias != "Bobby" || f.ServerExt != "vip" {
		t.Fatalf("updated friend %+v", f)
	}
	b.noChange(proto.ChangeFriend) // bob's side did not change
	if _, list = friends("alice", 0); list[0]["alias"] != "Bobby" || list[0]["ex"] != "vip" {
		t.Fatalf("alice's friends after update %v", list)
	}
	if n, _ = friends("alice", time.Now().UnixMilli()+1000); n != 0 {
		t.Fatalf("%d friends changed in the future", n)
	}
	e.restFail("friend/update", url.Values{"accid": {"alice"}, "faccid": {"carol"}, "alias": {"C"}}, proto.CodeNotFound, "carol is not a friend of alice")
	e.restFail("friend/update", url.Values{"accid": {"alice"}, "faccid": {"bob"}}, proto.CodeBadParam, "alias or ex")
	e.restFail("friend/update", url.Values{"accid": {"alice"}, "faccid": {"bob"}, "alias": {strings.Repeat("a", 129)}}, proto.CodeBadParam, "alias")
	e.restFail("friend/update", url.Values{"accid": {"alice"}, "faccid": {"bob"}, "ex": {strings.Repeat("x", 1025)}}, proto.CodeBadParam, "ex must")

	// A request and its acceptance through the API.
	c, _ := e.login("carol")
	e.restOK("friend/add", url.Values{"accid": {"carol"}, "faccid": {"bob"}, "type": {"2"}, "msg": {"hello"}})
	c.noChange(proto.ChangeFriend)
	if note := decodeData[proto.SysNote](t, b.changeOf(proto.ChangeNote)); note.Ps != "hello" || note.From != "carol" {
		t.Fatalf("request note %+v", note)
	}
	e.restFail("friend/add", url.Values{"accid": {"bob"}, "faccid": {"alice"}, "type": {"3"}}, proto.CodeNotFound, "no pending friend request from alice")
	e.restOK("friend/add", url.Values{"accid": {"bob"}, "faccid": {"carol"}, "type": {"3"}})
	c.waitChange(proto.ChangeFriend, "bob")

	e.restOK("friend/delete", url.Values{"accid": {"alice"}, "faccid": {"bob"}, "isDeleteAlias": {"true"}})
	if ch := b.waitChange(proto.ChangeFriend, "alice"); !ch.Deleted {
		t.Fatalf("bob's side %+v", ch)
	}
	if ch := a.waitChange(proto.ChangeFriend, "bob"); !ch.Deleted {
		t.Fatalf("alice's side %+v", ch)
	}
	if n, _ = friends("alice", 0); n != 0 {
		t.Fatalf("alice still has %d friends", n)
	}

	// Blacklist through the API too.
	b.write(proto.OpRelation, proto.RelationReq{List: proto.ListBlack, Account: "alice", On: true})
	e.restFail("friend/add", url.Values{"accid": {"alice"}, "faccid": {"bob"}, "type": {"1"}}, proto.CodeBlacklisted, "refused")

	for _, tc := range []struct {
		path string
		form url.Values
		code int
		want string
	}{
		{"friend/add", url.Values{"accid": {"alice"}, "faccid": {"bob"}}, proto.CodeBadParam, "type"},
		{"friend/add", url.Values{"accid": {"alice"}, "faccid": {"bob"}, "type": {"5"}}, proto.CodeBadParam, "type"},
		{"friend/add", url.Values{"accid": {"alice"}, "faccid": {"bob"}, "type": {"x"}}, proto.CodeBadParam, "type"},
		{"friend/add", url.Values{"accid": {"alice"}, "faccid": {"alice"}, "type": {"1"}}, proto.CodeBadParam, "faccid must not be accid"},
		{"friend/add", url.Values{"accid": {"alice"}, "type": {"1"}}, proto.CodeBadParam, "faccid is required"},
		{"friend/add", url.Values{"accid": {"alice"}, "faccid": {"carol"}, "type": {"2"}, "msg": {strings.Repeat("m", 257)}}, proto.CodeBadParam, "msg"},
		{"friend/add", url.Values{"accid": {"alice"}, "faccid": {"nobody"}, "type": {"1"}}, proto.CodeNotFound, "user not found: nobody"},
		{"friend/add", url.Values{"accid": {"nobody"}, "faccid": {"alice"}, "type": {"1"}}, proto.CodeNotFound, "user not found: nobody"},
		{"friend/delete", url.Values{"accid": {"alice"}, "faccid": {"bob"}, "isDeleteAlias": {"1"}}, proto.CodeBadParam, "isDeleteAlias"},
		{"friend/delete", url.Values{"accid": {"nobody"}, "faccid": {"bob"}}, proto.CodeNotFound, "user not found"},
		{"friend/get", url.Values{"accid": {"alice"}, "updatetime": {"-1"}}, proto.CodeBadParam, "updatetime"},
		{"friend/get", url.Values{"accid": {"alice"}, "updatetime": {"soon"}}, proto.CodeBadParam, "updatetime"},
		{"friend/get", url.Values{"accid": {"nobody"}}, proto.CodeNotFound, "user not found"},
	} {
		e.restFail(tc.path, tc.form, tc.code, tc.want)
	}
}

func TestRESTSendAttachMsgToTeam(t *testing.T) {
	e := newEnv(t, "app", "bob", "carol", "dan")
	a, _ := e.login("app")
	b, _ := e.login("bob")
	d, _ := e.login("dan")
	tid := a.tcreate(proto.CreateTeamReq{Name: "t", Type: proto.TeamAdvanced, BeInviteMode: proto.BeInviteAtOnce, Members: []string{"bob", "carol"}}).TeamID
	e.restFail("msg/sendAttachMsg", url.Values{"from": {"dan"}, "msgtype": {"1"}, "to": {tid}, "attach": {"x"}}, proto.CodeTeamNotMember, "dan")

	// save 1: pushed to the other members online now.
	e.restOK("msg/sendAttachMsg", url.Values{"from": {"bob"}, "msgtype": {"1"}, "to": {tid}, "attach": {"one"}, "save": {"1"}})
	var n proto.CustomNote
	a.push(proto.PushCustom, &n)
	if n.From != "bob" || n.To != tid || n.ToType != proto.CustomToTeam || n.Content != "one" {
		t.Fatalf("pushed team custom %+v", n)
	}
	b.noPush(proto.PushCustom)
	d.noPush(proto.PushCustom)

	// save 2: stored for each other member (carol, offline, syncs it).
	e.restOK("msg/sendAttachMsg", url.Values{"from": {"bob"}, "msgtype": {"1"}, "to": {tid}, "attach": {"two"}})
	if got := decodeData[proto.CustomNote](t, a.changeOf(proto.ChangeCustom)); got.Content != "two" || got.ToType != proto.CustomToTeam {
		t.Fatalf("stored team custom %+v", got)
	}
	c, _ := e.login("carol")
	var sync proto.SyncResp
	c.ok(proto.OpSync, proto.SyncReq{}, &sync)
	found := false
	for _, ch := range sync.Changes {
		if ch.Kind == proto.ChangeCustom && decodeData[proto.CustomNote](t, ch).Content == "two" {
			found = true
		}
	}
	if !found {
		t.Fatalf("carol's sync has no team custom notification: %+v", sync.Changes)
	}
	b.noChange(proto.ChangeCustom)
	d.noChange(proto.ChangeCustom)

	// One who left, and a dismissed team.
	b.tok(proto.OpTeamQuit, proto.TeamReq{TeamID: tid})
	e.restFail("msg/sendAttachMsg", url.Values{"from": {"bob"}, "msgtype": {"1"}, "to": {tid}, "attach": {"x"}}, proto.CodeTeamNotMember, "bob")
	a.tok(proto.OpTeamDismiss, proto.TeamReq{TeamID: tid})
	e.restFail("msg/sendAttachMsg", url.Values{"from": {"app"}, "msgtype": {"1"}, "to": {tid}, "attach": {"x"}}, proto.CodeTeamNotFound, tid)
}

func TestRESTSendAttachMsg(t *testing.T) {
	e := newEnv(t, "app", "bob")
	b1, _ := e.login("bob")

	// save 1: pushed to the connections online now, not stored.
	e.restOK("msg/sendAttachMsg", url.Values{"from": {"app"}, "msgtype": {"0"}, "to": {"bob"}, "attach": {`{"n":1}`}, "save": {"1"}})
	var n proto.CustomNote
	b1.push(proto.PushCustom, &n)
	if n.From != "app" || n.To != "bob" || n.ToType != proto.CustomToAccount || n.Content != `{"n":1}` || n.Time == 0 || n.ID != 0 {
		t.Fatalf("pushed custom %+v", n)
	}

	// save 2 (the default): stored, pushed as a change now, synced later.
	e.restOK("msg/sendAttachMsg", url.Values{"from": {"app"}, "msgtype": {"0"}, "to": {"bob"}, "attach": {"two"}})
	ch := b1.changeOf(proto.ChangeCustom)
	n = decodeData[proto.CustomNote](t, ch)
	if n.Content != "two" || n.ID == 0 || ch.Key != proto.NoteKey(n.ID) {
		t.Fatalf("stored custom %+v (key %q)", n, ch.Key)
	}
	b2, _ := e.login("bob")
	var sync proto.SyncResp
	b2.ok(proto.OpSync, proto.SyncReq{}, &sync)
	customs := 0
	for _, ch := range sync.Changes {
		if ch.Kind == proto.ChangeCustom {
			customs++
			if got := decodeData[proto.CustomNote](t, ch); got != n {
				t.Fatalf("synced custom %+v, want %+v", got, n)
			}
		}
	}
	if customs != 1 { // the save-1 one is not there
		t.Fatalf("%d custom notifications synced, want 1", customs)
	}
	b1.noPush(proto.PushCustom)

	big := strings.Repeat("a", proto.MaxCustomBytes)
	e.restOK("msg/sendAttachMsg", url.Values{"from": {"app"}, "msgtype": {"0"}, "to": {"bob"}, "attach": {big}, "save": {"1"}})
	b1.push(proto.PushCustom, nil)
	for _, tc := range []struct {
		form url.Values
		code int
		want string
	}{
		{url.Values{"from": {"app"}, "msgtype": {"1"}, "to": {"12345"}, "attach": {"x"}}, proto.CodeTeamNotFound, "12345"},
		{url.Values{"from": {"app"}, "msgtype": {"1"}, "to": {"x y"}, "attach": {"x"}}, proto.CodeBadParam, "to"},
		{url.Values{"from": {"app"}, "msgtype": {"0"}, "to": {"bob"}, "attach": {big + "a"}}, proto.CodeBadParam, "attach must be at most 4096"},
		{url.Values{"from": {"app"}, "msgtype": {"0"}, "to": {"bob"}}, proto.CodeBadParam, "attach is required"},
		{url.Values{"from": {"app"}, "msgtype": {"0"}, "to": {"bob"}, "attach": {"x"}, "save": {"3"}}, proto.CodeBadParam, "save"},
		{url.Values{"from": {"app"}, "msgtype": {"2"}, "to": {"bob"}, "attach": {"x"}}, proto.CodeBadParam, "msgtype"},
		{url.Values{"from": {"app"}, "to": {"bob"}, "attach": {"x"}}, proto.CodeBadParam, "msgtype"},
		{url.Values{"from": {"app"}, "msgtype": {"0"}, "attach": {"x"}}, proto.CodeBadParam, "to is required"},
		{url.Values{"from": {"app"}, "msgtype": {"0"}, "to": {"b b"}, "attach": {"x"}}, proto.CodeBadParam, "to"},
		{url.Values{"msgtype": {"0"}, "to": {"bob"}, "attach": {"x"}}, proto.CodeBadParam, "from is required"},
		{url.Values{"from": {"app"}, "msgtype": {"0"}, "to": {"nobody"}, "attach": {"x"}}, proto.CodeNotFound, "user not found: nobody"},
		{url.Values{"from": {"nobody"}, "msgtype": {"0"}, "to": {"bob"}, "attach": {"x"}}, proto.CodeNotFound, "user not found: nobody"},
	} {
		e.restFail("msg/sendAttachMsg", tc.form, tc.code, tc.want)
	}
	b1.noPush(proto.PushCustom)
	b1.noChange(proto.ChangeCustom)
}
