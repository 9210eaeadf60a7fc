package jsapi

import (
	"reflect"
	"testing"

	"yunxin/core"
	"yunxin/internal/jx"
	"yunxin/proto"
)

// TestSendMethodsMapping: each send method's params become core.SendParams
// with the doc's names and defaults (reSend true), and the ret is
// {status, message}.
func TestSendMethodsMapping(t *testing.T) {
	cases := []struct {
		method, params string
		want           core.SendParams
	}{
		{"sendImage", `{"sessionId":"bob","path":"blob:http://p/1","displayName":"a.png","compressQuality":0.3,"ext":{"a":1},"from":"me"}`,
			core.SendParams{SessionID: "bob", Type: proto.MsgImage, Path: "blob:http://p/1", DisplayName: "a.png", Ext: jx.RawMessage(`{"a":1}`), ReSend: true}},
		{"sendImage", `{"sessionId":"bob","path":"data:image/png;base64,AAAA","reSend":false}`,
			core.SendParams{SessionID: "bob", Type: proto.MsgImage, Path: "data:image/png;base64,AAAA"}},
		{"sendVoice", `{"sessionId":"bob","chatType":0,"path":"https://h/v.wav","duration":1500}`,
			core.SendParams{SessionID: "bob", Type: proto.MsgAudio, Path: "https://h/v.wav", Duration: 1500, ReSend: true}},
		// Computed numbers (audio.duration*1000) are rounded, not refused.
		{"sendVoice", `{"sessionId":"bob","path":"blob:v","duration":1499.6}`,
			core.SendParams{SessionID: "bob", Type: proto.MsgAudio, Path: "blob:v", Duration: 1500, ReSend: true}},
		{"sendVideo", `{"sessionId":"bob","path":"blob:v","duration":2000.4,"width":639.5,"height":479.49}`,
			core.SendParams{SessionID: "bob", Type: proto.MsgVideo, Path: "blob:v", Duration: 2000, Width: 640, Height: 479, ReSend: true}},
		// compressQuality is ignored, an illegal value too (the doc: it falls back to 0.5).
		{"sendImage", `{"sessionId":"bob","path":"blob:i","compressQuality":"0.5"}`,
			core.SendParams{SessionID: "bob", Type: proto.MsgImage, Path: "blob:i", ReSend: true}},
		{"sendImage", `{"sessionId":"bob","path":"blob:i","compressQuality":{"q":7}}`,
			core.SendParams{SessionID: "bob", Type: proto.MsgImage, Path: "blob:i", ReSend: true}},
		{"sendVideo", `{"sessionId":"bob","path":"blob:v","displayName":"clip","duration":3000,"width":640,"height":480}`,
			core.SendParams{SessionID: "bob", Type: proto.MsgVideo, Path: "blob:v", DisplayName: "clip", Duration: 3000, Width: 640, Height: 480, ReSend: true}},
		{"sendFile", `{"sessionId":"bob","path":"blob:f","displayName":"report","extension":"pdf","reSend":true}`,
			core.SendParams{SessionID: "bob", Type: proto.MsgFile, Path: "blob:f", DisplayName: "report", Extension: "pdf", ReSend: true}},
		{"sendLocation", `{"sessionId":"bob","latitude":30.25,"longitude":-120.5,"address":"West Lake","path":"ignored"}`,
			core.SendParams{SessionID: "bob", Type: proto.MsgLocation, Latitude: 30.25, Longitude: -120.5, Title: "West Lake", ReSend: true}},
		{"sendLocation", `{"sessionId":"bob","latitude":0,"longitude":0}`,
			core.SendParams{SessionID: "bob", Type: proto.MsgLocation, ReSend: true}},
		{"sendTip", `{"sessionId":"bob","text":"welcome"}`,
			core.SendParams{SessionID: "bob", Type: proto.MsgTip, Text: "welcome", ReSend: true}},
	}
	for _, c := range cases {
		f := &fake{}
		env := run(t, f, c.method, c.params)
		if env.Err != nil {
			t.Errorf("%s: %+v", c.method, env.Err)
			continue
		}
		got, ok := f.args.(core.SendParams)
		if f.last != "SendMessage" || !ok {
			t.Errorf("%s called %s(%v)", c.method, f.last, f.args)
			continue
		}
		if string(got.Ext) != string(c.want.Ext) {
			t.Errorf("%s ext %s, want %s", c.method, got.Ext, c.want.Ext)
		}
		got.Ext, c.want.Ext = nil, nil
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s(%s)\n got %+v\nwant %+v", c.method, c.params, got, c.want)
		}
		if env.Ret["status"] != true || env.Ret["message"].(map[string]any)["messageId"] != "m2" {
			t.Errorf("%s ret %v", c.method, env.Ret)
		}
	}
}

// TestSendMethodsBadParams: a value of the wrong JS type is a 414 naming
// the parameter, and nothing reaches the engine.
func TestSendMethodsBadParams(t *testing.T) {
	cases := []struct{ method, params, msg string }{
		{"sendImage", `{"sessionId":"bob"}`, "parameter path must be a File, a Blob or a URL string"},
		{"sendImage", `{"sessionId":"bob","path":{}}`, "parameter path must be a File, a Blob or a URL string"},
		{"sendImage", `{"sessionId":"bob","path":{"0":"blob:x"}}`, "parameter path must be a File, a Blob or a URL string"},
		{"sendImage", `{"sessionId":"bob","path":5}`, "parameter path must be"},
		{"sendImage", `{"sessionId":"bob","path":["blob:x"]}`, "parameter path must be"},
		{"sendImage", `{"sessionId":"bob","path":"blob:x","displayName":5}`, "parameter displayName must be a string"},
		{"sendVoice", `{"sessionId":"bob","path":null}`, "parameter path must be"},
		{"sendVoice", `{"sessionId":"bob","path":"blob:x","duration":"1s"}`, "parameter duration must be a number"},
		{"sendVoice", `{"sessionId":"bob","path":"blob:x","duration":1e999}`, "parameter duration must be a finite number"},
		{"sendVoice", `{"sessionId":"bob","path":"blob:x","duration":3e9}`, "parameter duration is out of range"},
		{"sendVideo", `{"sessionId":"bob","path":"blob:x","displayName":[]}`, "parameter displayName must be a string"},
		{"sendVideo", `{"sessionId":"bob","path":"blob:x","duration":true}`, "parameter duration must be a number"},
		{"sendVideo", `{"sessionId":"bob","path":"blob:x","width":"640"}`, "parameter width must be a number"},
		{"sendVideo", `{"sessionId":"bob","path":"blob:x","height":"480"}`, "parameter height must be a number"},
		{"sendFile", `{"sessionId":"bob","path":true}`, "parameter path must be"},
		{"sendFile", `{"sessionId":"bob","path":"blob:x","displayName":{}}`, "parameter displayName must be a string"},
		{"sendFile", `{"sessionId":"bob","path":"blob:x","extension":5}`, "parameter extension must be a string"},
		{"sendLocation", `{"sessionId":"bob","longitude":1}`, "parameter latitude must be a number"},
		{"sendLocation", `{"sessionId":"bob","latitude":"30","longitude":1}`, "parameter latitude must be a number"},
		{"sendLocation", `{"sessionId":"bob","latitude":1e999,"longitude":1}`, "parameter latitude must be a finite number"},
		{"sendLocation", `{"sessionId":"bob","latitude":1}`, "parameter longitude must be a number"},
		{"sendLocation", `{"sessionId":"bob","latitude":1,"longitude":null}`, "parameter longitude must be a number"},
		{"sendLocation", `{"sessionId":"bob","latitude":1,"longitude":{}}`, "parameter longitude must be a number"},
		{"sendLocation", `{"sessionId":"bob","latitude":1,"longitude":2,"address":5}`, "parameter address must be a string"},
		{"sendTip", `{"sessionId":"bob"}`, "parameter text must be a string"},
		{"sendTip", `{"sessionId":"bob","text":7}`, "parameter text must be a string"},
		{"cancelSendingMessage", `{"sessionId":"bob"}`, "parameter messageId must be a string"},
		{"cancelSendingMessage", `{"sessionId":"bob","messageId":1,"chatType":0}`, "parameter messageId must be a string"},
		{"resendMessage", `{"sessionId":"bob","chatType":"0","messageId":"m"}`, "parameter chatType must be a number"},
		{"resendMessage", `{"sessionId":"bob","messageId":[]}`, "parameter messageId must be a string"},
		{"forwardMessage", `{"sessionId":"bob","messageId":"m"}`, "parameter toSessionId must be a string"},
		{"forwardMessage", `{"sessionId":"bob","messageId":"m","toSessionId":5}`, "parameter toSessionId must be a string"},
		{"forwardMessage", `{"sessionId":"bob","messageId":"m","toSessionId":"carol","toChatType":"1"}`, "parameter toChatType must be a number"},
		{"forwardMessage", `{"sessionId":"bob","messageId":"m","toSessionId":"carol","reSend":"no"}`, "parameter reSend must be a boolean"},
		{"revokeMessage", `{"sessionId":"bob"}`, "parameter messageId must be a string"},
		{"revokeMessage", `{"sessionId":"bob","messageId":"m","postscript":5}`, "parameter postscript must be a string"},
	}
	// What every send method checks the same way.
	for _, m := range []string{"sendImage", "sendVoice", "sendVideo", "sendFile", "sendLocation", "sendTip", "sendText"} {
		ok := `"sessionId":"bob","path":"blob:x","latitude":1,"longitude":2,"text":"t"`
		cases = append(cases,
			struct{ method, params, msg string }{m, `{` + ok + `,"ext":"x"}`, "parameter ext must be an object"},
			struct{ method, params, msg string }{m, `{` + ok + `,"ext":[1]}`, "parameter ext must be an object"},
			struct{ method, params, msg string }{m, `{` + ok + `,"reSend":"yes"}`, "parameter reSend must be a boolean"},
			struct{ method, params, msg string }{m, `{` + ok + `,"reSend":1}`, "parameter reSend must be a boolean"},
			struct{ method, params, msg string }{m, `{` + ok + `,"from":1}`, "parameter from must be a string"},
			struct{ method, params, msg string }{m, `{` + ok + `,"chatType":"0"}`, "parameter chatType must be a number"},
			struct{ method, params, msg string }{m, `{"path":"blob:x","latitude":1,"longitude":2,"text":"t"}`, "parameter sessionId must be a string"},
		)
	}
	for _, c := range cases {
		f := &fake{}
		wantErr(t, run(t, f, c.method, c.params), 414, c.msg)
		if f.last != "" {
			t.Errorf("%s(%s) reached the engine: %s", c.method, c.params, f.last)
		}
	}
}

func TestMessageOpsMapping(t *testing.T) {
	f := &fake{}
	env := run(t, f, "cancelSendingMessage", `{"sessionId":"bob","messageId":"m1"}`)
	if a, _ := f.args.([]any); f.last != "CancelSendingMessage" || len(a) != 3 || a[0] != "bob" || a[1] != 0 || a[2] != "m1" || env.Ret["status"] != true {
		t.Errorf("cancelSendingMessage %s %v %v", f.last, f.args, env.Ret)
	}
	env = run(t, f, "resendMessage", `{"sessionId":"bob","chatType":0,"messageId":"m1"}`)
	if a, _ := f.args.([]any); f.last != "ResendMessage" || a[2] != "m1" || env.Ret["status"] != true || env.Ret["message"].(map[string]any)["messageId"] != "m1" {
		t.Errorf("resendMessage %s %v %v", f.last, f.args, env.Ret)
	}
	env = run(t, f, "forwardMessage", `{"sessionId":"bob","messageId":"m1","toSessionId":"carol"}`)
	if p, _ := f.args.(core.ForwardParams); p != (core.ForwardParams{SessionID: "bob", MessageID: "m1", ToSessionID: "carol", ReSend: true}) ||
		env.Ret["message"].(map[string]any)["sessionId"] != "carol" {
		t.Errorf("forwardMessage defaults %+v %v", f.args, env.Ret)
	}
	run(t, f, "forwardMessage", `{"sessionId":"bob","chatType":0,"messageId":"m1","toSessionId":"team1","toChatType":1,"reSend":false}`)
	if p, _ := f.args.(core.ForwardParams); p != (core.ForwardParams{SessionID: "bob", MessageID: "m1", ToSessionID: "team1", ToChatType: 1}) {
		t.Errorf("forwardMessage %+v", f.args)
	}
	env = run(t, f, "revokeMessage", `{"sessionId":"bob","messageId":"m1"}`)
	if a, _ := f.args.([]any); f.last != "RevokeMessage" || a[2] != "m1" || a[3] != "" || env.Ret["status"] != true {
		t.Errorf("revokeMessage %v %v", f.args, env.Ret)
	}
	run(t, f, "revokeMessage", `{"sessionId":"bob","messageId":"m1","postscript":"oops"}`)
	if a, _ := f.args.([]any); a[3] != "oops" {
		t.Errorf("revokeMessage postscript %v", f.args)
	}
	// An engine error reaches the page as is.
	f.err = core.Errf(proto.CodeExpired, "too late to revoke")
	wantErr(t, run(t, f, "revokeMessage", `{"sessionId":"bob","messageId":"m1"}`), 508, "too late")
	wantErr(t, run(t, f, "sendImage", `{"sessionId":"bob","path":"blob:x"}`), 508, "too late")
}
