package server

import (
	"encoding/json"
	"strings"
	"testing"

	"yunxin/internal/jx"
	"yunxin/proto"
)

// send builds a SendReq of type typ with a raw body.
func send(to, cid string, typ int, body string) proto.SendReq {
	return proto.SendReq{Msg: proto.Msg{ClientID: cid, To: to, Type: typ, Body: jx.RawMessage(body)}}
}

// attach is an attachment body with url, the stored length and md5, and
// more fields (a JSON fragment starting with a comma, or "").
func attach(up proto.UploadResp, more string) string {
	return `{"url":` + quote(up.URL) + `,"fileLength":` + itoa64(up.Size) + `,"md5":"` + up.MD5 + `"` + more + `}`
}

func TestSendEveryTypeHappy(t *testing.T) {
	e := newFilesEnv(t, nil, "alice", "bob")
	a, _ := e.login("alice")
	b, _ := e.login("bob")
	voice := e.upload(a, "voice.wav", "audio/wav", []byte("RIFF....WAVE"))
	video := e.upload(a, "clip.webm", "video/webm", []byte("\x1aE\xdf\xa3 webm"))
	cover := e.upload(a, "cover.jpg", "image/jpeg", []byte("\xff\xd8 jpeg"))
	doc := e.upload(a, "report.pdf", "application/pdf", []byte("%PDF-1.7"))
	path := func(up proto.UploadResp) string { return quote(strings.TrimPrefix(up.URL, e.hs.URL)) } // as stored

	cases := []struct {
		name string
		typ  int
		body string
		want string // the body as stored and delivered
	}{
		{"tip", proto.MsgTip, `{"text":"alice recalled a message","extra":1}`, `{"text":"alice recalled a message"}`},
		{"location", proto.MsgLocation, `{"latitude":31.2304,"longitude":121.4737,"title":"上海","address":"dropped"}`,
			`{"latitude":31.2304,"longitude":121.4737,"title":"上海"}`},
		{"location edges", proto.MsgLocation, `{"latitude":-90,"longitude":180}`, `{"latitude":-90,"longitude":180,"title":""}`},
		{"audio", proto.MsgAudio, attach(voice, `,"duration":3200,"ext":"wav","size":{"w":1,"h":1},"path":"/tmp/v.wav"`),
			`{"url":` + path(voice) + `,"fileLength":12,"md5":"` + voice.MD5 + `","ext":"wav","duration":3200}`},
		{"video", proto.MsgVideo, attach(video, `,"duration":86400000,"width":1280,"height":720,"coverUrl":`+quote(cover.URL)+`,"coverSize":{"w":1280,"h":720},"thumbUrl":`+quote(cover.URL)),
			`{"url":` + path(video) + `,"fileLength":` + itoa64(video.Size) + `,"md5":"` + video.MD5 + `","duration":86400000,"width":1280,"height":720,"coverUrl":` + path(cover) + `,"coverSize":{"w":1280,"h":720}}`},
		{"file", proto.MsgFile, attach(doc, `,"displayName":"Q3 report.pdf","ext":"pdf","duration":5,"coverUrl":`+quote(cover.URL)),
			`{"url":` + path(doc) + `,"displayName":"Q3 report.pdf","fileLength":8,"md5":"` + doc.MD5 + `","ext":"pdf"}`},
		{"text still", proto.MsgText, `{"text":"hi"}`, `{"text":"hi"}`},
	}
	for i, c := range cases {
		a.ok(proto.OpSend, send("bob", "ok"+itoa64(int64(i)), c.typ, c.body), nil)
		var m proto.Msg
		b.push(proto.PushMsg, &m)
		if m.Type != c.typ || string(m.Body) != c.want {
			t.Errorf("%s: bob got type %d body %s\nwant %s", c.name, m.Type, m.Body, c.want)
		}
	}
}

func TestSendBodyRefusals(t *testing.T) {
	e := newFilesEnv(t, nil, "alice", "bob")
	a, _ := e.login("alice")
	img := e.upload(a, "a.png", "image/png", []byte("png bytes"))
	video := e.upload(a, "v.webm", "video/webm", []byte("webm bytes"))
	id := strings.Split(strings.TrimPrefix(img.URL, e.hs.URL+"/files/"), "/")[0]
	voice := e.upload(a, "v.wav", "audio/wav", []byte("wav bytes"))
	unknown := e.hs.URL + "/files/" + strings.Repeat("ab", 16) + "/a.png"
	with := func(up proto.UploadResp, url string) proto.UploadResp { up.URL = url; return up }

	cases := []struct {
		name string
		typ  int
		body string
		msg  string
	}{
		// url: required, a file of this server (its path counts: the host is
		// not stored, see TestFileURLHostIgnored).
		{"no url", proto.MsgImage, `{"fileLength":9,"md5":"` + img.MD5 + `"}`, "msg.body.url is required"},
		{"unknown blob", proto.MsgImage, attach(with(img, unknown), ""), "msg.body.url names no file uploaded to this server"},
		{"query", proto.MsgImage, attach(with(img, e.hs.URL+"/files/"+id+"/a.png?x=1"), ""), "msg.body.url must be the url of a file"},
		{"user info", proto.MsgImage, attach(with(img, "http://u:p@"+strings.TrimPrefix(e.hs.URL, "http://")+"/files/"+id+"/a.png"), ""), "msg.body.url must be the url of a file"},
		{"relative, not /files", proto.MsgImage, attach(with(img, "files/"+id+"/a.png"), ""), "msg.body.url must be the url of a file"},
		{"image of another type", proto.MsgImage, attach(video, ""), "msg.body.url is a file of type video/webm, not image/*"},
		{"voice of another type", proto.MsgAudio, attach(img, ""), "msg.body.url is a file of type image/png, not audio/*"},
		{"video of another type", proto.MsgVideo, attach(img, ""), "msg.body.url is a file of type image/png, not video/*"},
		{"not a files path", proto.MsgImage, attach(with(img, e.hs.URL+"/sdk/yunxinim.js"), ""), "msg.body.url must be the url of a file uploaded to this server"},
		{"dot segments", proto.MsgImage, attach(with(img, e.hs.URL+"/files/../files/"+id+"/a.png"), ""), "msg.body.url must be the url of a file"},
		{"local path", proto.MsgImage, attach(with(img, "/home/alice/a.png"), ""), "msg.body.url must be the url of a file uploaded to this server (/files/<id>/<name>)"},
		{"file scheme", proto.MsgImage, attach(with(img, "file:///etc/passwd"), ""), "msg.body.url must be the url of a file"},
		{"blob url", proto.MsgImage, attach(with(img, "blob:"+e.hs.URL+"/1234"), ""), "msg.body.url must be the url of a file"},
		{"length", proto.MsgImage, `{"url":` + quote(img.URL) + `,"fileLength":10,"md5":"` + img.MD5 + `"}`, "msg.body.fileLength 10 differs from the size of the file at url, 9 bytes"},
		{"no length", proto.MsgImage, `{"url":` + quote(img.URL) + `,"md5":"` + img.MD5 + `"}`, "msg.body.fileLength 0 differs"},
		{"md5", proto.MsgImage, `{"url":` + quote(img.URL) + `,"fileLength":9,"md5":"` + video.MD5 + `"}`, "msg.body.md5"},
		{"length type", proto.MsgFile, `{"url":` + quote(img.URL) + `,"fileLength":"9","md5":"` + img.MD5 + `"}`, "msg.body.fileLength must be a JSON number"},
		{"url type", proto.MsgFile, `{"url":5}`, "msg.body.url must be a JSON string"},
		{"not an object", proto.MsgFile, `[1]`, "msg.body must be a JSON object"},
		// thumbUrl and coverUrl: this server's files too.
		{"thumb not an image", proto.MsgImage, attach(img, `,"thumbUrl":`+quote(video.URL)), "msg.body.thumbUrl is a file of type video/webm, not image/*"},
		{"cover not an image", proto.MsgVideo, attach(video, `,"coverUrl":`+quote(voice.URL)), "msg.body.coverUrl is a file of type audio/wav, not image/*"},
		{"thumb unknown", proto.MsgImage, attach(img, `,"thumbUrl":`+quote(unknown)), "msg.body.thumbUrl names no file"},
		{"cover unknown", proto.MsgVideo, attach(video, `,"coverUrl":`+quote(unknown)), "msg.body.coverUrl names no file"},
		{"cover elsewhere", proto.MsgVideo, attach(video, `,"coverUrl":"https://cdn.example/c.jpg"`), "msg.body.coverUrl must be the url of a file"},
		// Names and numbers.
		{"displayName", proto.MsgFile, attach(img, `,"displayName":"`+strings.Repeat("d", 256)+`"`), "msg.body.displayName longer than 255 bytes"},
		{"displayName control", proto.MsgFile, attach(img, `,"displayName":"a\u0000b"`), "msg.body.displayName must not contain control characters"},
		{"ext", proto.MsgFile, attach(img, `,"ext":"`+strings.Repeat("e", 17)+`"`), "msg.body.ext longer than 16 bytes"},
		{"duration negative", proto.MsgAudio, attach(voice, `,"duration":-1`), "msg.body.duration must be 0 to 86400000 ms"},
		{"duration long", proto.MsgVideo, attach(video, `,"duration":86400001`), "msg.body.duration must be 0 to 86400000 ms"},
		{"size w", proto.MsgImage, attach(img, `,"size":{"w":65536,"h":1}`), "msg.body.size.w must be 0 to 65535"},
		{"size h", proto.MsgImage, attach(img, `,"size":{"w":1,"h":-1}`), "msg.body.size.h must be 0 to 65535"},
		{"width", proto.MsgVideo, attach(video, `,"width":70000`), "msg.body.width must be 0 to 65535"},
		{"height", proto.MsgVideo, attach(video, `,"height":-2`), "msg.body.height must be 0 to 65535"},
		{"coverSize", proto.MsgVideo, attach(video, `,"coverSize":{"w":1,"h":65536}`), "msg.body.coverSize.h must be 0 to 65535"},
		// Location.
		{"latitude", proto.MsgLocation, `{"latitude":90.5,"longitude":0}`, "msg.body.latitude must be a number from -90 to 90"},
		{"latitude missing", proto.MsgLocation, `{"longitude":0}`, "msg.body.latitude must be a number"},
		{"latitude type", proto.MsgLocation, `{"latitude":"1","longitude":0}`, "msg.body.latitude must be a JSON number"},
		{"longitude", proto.MsgLocation, `{"latitude":0,"longitude":-180.01}`, "msg.body.longitude must be a number from -180 to 180"},
		{"longitude missing", proto.MsgLocation, `{"latitude":0}`, "msg.body.longitude must be a number"},
		{"title", proto.MsgLocation, `{"latitude":0,"longitude":0,"title":"` + strings.Repeat("t", 1025) + `"}`, "msg.body.title longer than 1024 bytes"},
		{"location array", proto.MsgLocation, `[0,0]`, "msg.body must be a JSON object"},
		// Tip: like text.
		{"tip empty", proto.MsgTip, `{"text":""}`, "msg.body.text must not be empty"},
		{"tip blank", proto.MsgTip, `{"text":"  "}`, "msg.body.text must not be blank"},
		{"tip missing", proto.MsgTip, `{}`, "msg.body.text must be a string"},
		{"tip long", proto.MsgTip, `{"text":"` + strings.Repeat("字", proto.MaxTextRunes+1) + `"}`, "msg.body.text must be at most 5000 characters"},
		// Types the server does not take.
		{"notification", proto.MsgNotification, `{"text":"x"}`, "msg.type 5 (notification) is posted by the server only"},
		{"type 11", 11, `{"text":"x"}`, "msg.type 11 not supported"},
		{"custom 100", 100, `{"text":"x"}`, "msg.type 100 not supported"},
		{"negative", -1, `{"text":"x"}`, "msg.type -1 not supported"},
	}
	for i, c := range cases {
		r := a.call(proto.OpSend, send("bob", "bad"+itoa64(int64(i)), c.typ, c.body))
		_ = id
		if r.Code != proto.CodeBadParam || !strings.Contains(r.Msg, c.msg) {
			t.Errorf("%s: %d %q, want 414 containing %q", c.name, r.Code, r.Msg, c.msg)
		}
	}
	// Nothing of it was stored: the next message is the conversation's first.
	var ok proto.SendResp
	a.ok(proto.OpSend, send("bob", "good", proto.MsgImage, attach(img, "")), &ok)
	if ok.Seq != 1 {
		t.Fatalf("first good message has seq %d", ok.Seq)
	}
}

// A message naming a file uploaded by someone else (a forward) is fine:
// the url is what makes the file reachable, not who uploaded it.
func TestForwardedAttachment(t *testing.T) {
	e := newFilesEnv(t, nil, "alice", "bob", "carol")
	a, _ := e.login("alice")
	b, _ := e.login("bob")
	c, _ := e.login("carol")
	up := e.upload(a, "a.png", "image/png", []byte("png bytes"))
	a.ok(proto.OpSend, send("bob", "a1", proto.MsgImage, attach(up, "")), nil)
	var m proto.Msg
	b.push(proto.PushMsg, &m)
	b.ok(proto.OpSend, send("carol", "fwd1", proto.MsgImage, string(m.Body)), nil)
	var f proto.Msg
	c.push(proto.PushMsg, &f)
	if string(f.Body) != string(m.Body) || f.From != "bob" {
		t.Fatalf("forwarded %s from %s, want %s", f.Body, f.From, m.Body)
	}
}

// TestFileURLHostIgnored: a body's url counts by its path only, and is
// stored and delivered as that path: a host the uploader's request claimed
// (Host header) or wrote into the body never reaches the receiver, who
// resolves the path against its own server.
func TestFileURLHostIgnored(t *testing.T) {
	e := newFilesEnv(t, nil, "alice", "bob")
	a, _ := e.login("alice")
	b, _ := e.login("bob")
	img := e.upload(a, "a.png", "image/png", []byte("png bytes"))
	path := strings.TrimPrefix(img.URL, e.hs.URL)
	for i, u := range []string{"http://evil.example:666" + path, "https://other.example" + path, path} {
		up := img
		up.URL = u
		a.ok(proto.OpSend, send("bob", "h"+itoa64(int64(i)), proto.MsgImage, attach(up, "")), nil)
		var m proto.Msg
		b.push(proto.PushMsg, &m)
		var got proto.AttachBody
		json.Unmarshal(m.Body, &got)
		if got.URL != path {
			t.Errorf("url %s delivered as %q, want the path %s", u, got.URL, path)
		}
	}
}
