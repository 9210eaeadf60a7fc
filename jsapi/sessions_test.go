package jsapi

import (
	"context"
	"reflect"
	"testing"

	"yunxin/core"
)

func TestSessionOpsMapping(t *testing.T) {
	f := &fake{}
	env := run(t, f, "updateRecentLocalExt", `{"sessionId":"bob","localExt":{"draft":"hi"}}`)
	if a, _ := f.args.([]any); f.last != "UpdateRecentLocalExt" || !reflect.DeepEqual(a, []any{"bob", 0, `{"draft":"hi"}`}) || env.Ret["status"] != true {
		t.Errorf("updateRecentLocalExt %v %v", f.args, env.Ret)
	}
	run(t, f, "deleteRemoteSessions", `{"sessions":[{"sessionId":"bob"},{"sessionId":"team1","chatType":1}]}`)
	if s, _ := f.args.([]core.SessionRef); !reflect.DeepEqual(s, []core.SessionRef{{SessionID: "bob"}, {SessionID: "team1", ChatType: 1}}) {
		t.Errorf("deleteRemoteSessions %v", f.args)
	}
	run(t, f, "deleteRemoteSessions", `{"sessions":[]}`) // the engine decides about none
	if s, ok := f.args.([]core.SessionRef); !ok || len(s) != 0 {
		t.Errorf("deleteRemoteSessions [] %v", f.args)
	}
	env = run(t, f, "pullMessageHistory", `{"sessionId":"bob"}`)
	if q := f.args.(core.HistoryParams); q != (core.HistoryParams{SessionID: "bob", Limit: 10}) {
		t.Errorf("pullMessageHistory defaults %+v", q)
	}
	if ms, ok := env.Ret["messages"].([]any); !ok || len(ms) != 1 || env.Ret["status"] != true {
		t.Errorf("pullMessageHistory ret %v", env.Ret)
	}
	run(t, f, "pullMessageHistory", `{"sessionId":"bob","chatType":0,"messageId":"m5","limit":100,"persist":true,"persistClear":true,"direction":"QUERY_NEW"}`)
	if q := f.args.(core.HistoryParams); q != (core.HistoryParams{SessionID: "bob", MessageID: "m5", Limit: 100, Persist: true, PersistClear: true, Newer: true}) {
		t.Errorf("pullMessageHistory %+v", q)
	}
	run(t, f, "deleteMessage", `{"messageId":"m1"}`)
	if a, _ := f.args.([]any); f.last != "DeleteMessage" || !reflect.DeepEqual(a, []any{"", 0, "m1"}) {
		t.Errorf("deleteMessage (Android: messageId only) %v", f.args)
	}
	run(t, f, "deleteMessage", `{"sessionId":"bob","chatType":0,"messageId":"m1"}`)
	if a, _ := f.args.([]any); !reflect.DeepEqual(a, []any{"bob", 0, "m1"}) {
		t.Errorf("deleteMessage %v", f.args)
	}
	run(t, f, "deleteAllmessagesInSession", `{"sessionId":"bob"}`)
	if a, _ := f.args.([]any); !reflect.DeepEqual(a, []any{"bob", 0, false}) {
		t.Errorf("deleteAllmessagesInSession defaults %v", f.args)
	}
	run(t, f, "deleteAllmessagesInSession", `{"sessionId":"bob","removeSession":true,"removeTable":true}`)
	if a, _ := f.args.([]any); !reflect.DeepEqual(a, []any{"bob", 0, true}) {
		t.Errorf("deleteAllmessagesInSession %v", f.args)
	}
	run(t, f, "deleteAllMessages", ``)
	if f.last != "DeleteAllMessages" || f.args != false {
		t.Errorf("deleteAllMessages defaults %s %v", f.last, f.args)
	}
	run(t, f, "deleteAllMessages", `{"removeSession":true}`)
	if f.args != true {
		t.Errorf("deleteAllMessages %v", f.args)
	}
	for method, params := range map[string]string{
		"updateRecentLocalExt": `{"sessionId":"bob","localExt":{}}`, "deleteRemoteSessions": `{"sessions":[]}`,
		"deleteMessage": `{"messageId":"m"}`, "deleteAllmessagesInSession": `{"sessionId":"bob"}`,
		"deleteAllMessages": ``,
	} {
		if got := string(Call(context.Background(), f, method, params)); got != `{"ret":{"status":true}}` {
			t.Errorf("%s = %s", method, got)
		}
	}
}

func TestSessionOpsBadParams(t *testing.T) {
	cases := []struct{ method, params, msg string }{
		{"updateRecentLocalExt", `{"sessionId":"bob"}`, "parameter localExt must be an object"},
		{"updateRecentLocalExt", `{"sessionId":"bob","localExt":null}`, "parameter localExt must be an object"},
		{"updateRecentLocalExt", `{"sessionId":"bob","localExt":"x"}`, "parameter localExt must be an object"},
		{"updateRecentLocalExt", `{"sessionId":"bob","localExt":[1]}`, "parameter localExt must be an object"},
		{"updateRecentLocalExt", `{"sessionId":"bob","chatType":"0","localExt":{}}`, "parameter chatType must be a number"},
		{"deleteRemoteSessions", `{}`, "parameter sessions must be an array of {sessionId, chatType}"},
		{"deleteRemoteSessions", `{"sessions":{}}`, "parameter sessions must be an array"},
		{"deleteRemoteSessions", `{"sessions":"bob"}`, "parameter sessions must be an array"},
		{"deleteRemoteSessions", `{"sessions":[1]}`, "parameter sessions[0] must be an object"},
		{"deleteRemoteSessions", `{"sessions":[null]}`, "parameter sessions[0] must be an object"},
		{"deleteRemoteSessions", `{"sessions":[{"sessionId":"a"},"b"]}`, "parameter sessions[1] must be an object"},
		{"deleteRemoteSessions", `{"sessions":[{"sessionId":5}]}`, "parameter sessions[0].sessionId must be a string"},
		{"deleteRemoteSessions", `{"sessions":[{"chatType":0}]}`, "parameter sessions[0].sessionId must be a string"},
		{"deleteRemoteSessions", `{"sessions":[{"sessionId":"a"},{"sessionId":"b","chatType":"1"}]}`, "parameter sessions[1].chatType must be an integer"},
		{"deleteRemoteSessions", `{"sessions":[{"sessionId":"a","chatType":0.5}]}`, "parameter sessions[0].chatType must be an integer"},
		{"pullMessageHistory", `{"sessionId":"bob","limit":"5"}`, "parameter limit must be a number"},
		{"pullMessageHistory", `{"sessionId":"bob","limit":2.5}`, "parameter limit must be an integer"},
		{"pullMessageHistory", `{"sessionId":"bob","persist":"yes"}`, "parameter persist must be a boolean"},
		{"pullMessageHistory", `{"sessionId":"bob","persistClear":1}`, "parameter persistClear must be a boolean"},
		{"pullMessageHistory", `{"sessionId":"bob","direction":"UP"}`, "parameter direction must be 'QUERY_OLD' or 'QUERY_NEW'"},
		{"pullMessageHistory", `{"sessionId":"bob","direction":1}`, "parameter direction must be a string"},
		{"pullMessageHistory", `{"sessionId":"bob","messageId":5}`, "parameter messageId must be a string"},
		{"pullMessageHistory", `{"sessionId":"bob","chatType":true}`, "parameter chatType must be a number"},
		{"deleteMessage", `{}`, "parameter messageId must be a string"},
		{"deleteMessage", `{"messageId":5}`, "parameter messageId must be a string"},
		{"deleteMessage", `{"sessionId":5,"messageId":"m"}`, "parameter sessionId must be a string"},
		{"deleteMessage", `{"chatType":"0","messageId":"m"}`, "parameter chatType must be a number"},
		{"deleteAllmessagesInSession", `{"sessionId":"bob","removeSession":"yes"}`, "parameter removeSession must be a boolean"},
		{"deleteAllmessagesInSession", `{"sessionId":"bob","removeTable":0}`, "parameter removeTable must be a boolean"},
		{"deleteAllmessagesInSession", `{"sessionId":"bob","chatType":[]}`, "parameter chatType must be a number"},
		{"deleteAllMessages", `{"removeSession":1}`, "parameter removeSession must be a boolean"},
		{"deleteAllMessages", `{"removeTable":"true"}`, "parameter removeTable must be a boolean"},
	}
	for _, c := range cases {
		f := &fake{}
		wantErr(t, run(t, f, c.method, c.params), 414, c.msg)
		if f.last != "" {
			t.Errorf("%s(%s) reached the engine: %s", c.method, c.params, f.last)
		}
	}
}
