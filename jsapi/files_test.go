package jsapi

import (
	"context"
	"strings"
	"testing"

	"yunxin/core"
)

// TestUploadProgress: upload hands {status:true, progress} rets (0…1, in
// order) to the call's progress function, then answers {status:true,
// urlString}; reports without a total are left out.
func TestUploadProgress(t *testing.T) {
	f := &fake{progress: [][2]int64{{0, 4}, {1, 4}, {3, 0}, {4, 4}, {5, 4}}}
	var got []string
	ctx := WithProgress(context.Background(), func(ret []byte) { got = append(got, string(ret)) })
	env := string(Call(ctx, f, "upload", `{"filepath":"blob:http://p/1"}`))
	if env != `{"ret":{"status":true,"urlString":"https://files.test/u1"}}` {
		t.Errorf("upload = %s", env)
	}
	if f.last != "Upload" || f.args != "blob:http://p/1" {
		t.Errorf("upload called %s(%v)", f.last, f.args)
	}
	want := `{"status":true,"progress":0} {"status":true,"progress":0.25} {"status":true,"progress":1} {"status":true,"progress":1}`
	if strings.Join(got, " ") != want {
		t.Errorf("interim rets\n got %s\nwant %s", strings.Join(got, " "), want)
	}
	// Without a progress function (no callback) the reports go nowhere.
	if env := run(t, f, "upload", `{"filepath":"https://h/a.png"}`); env.Err != nil || env.Ret["urlString"] != "https://files.test/u1" {
		t.Errorf("upload without progress: %+v", env)
	}
	// A failure: no interim ret, the error.
	got = nil
	f.err = core.Errf(414, "parameter filepath: fs:// and widget:// are APICloud app paths")
	wantErr(t, run(t, f, "upload", `{"filepath":"fs://a.png"}`), 414, "fs://")
	if len(got) != 0 {
		t.Errorf("interim rets of a failed upload: %v", got)
	}
}

func TestFileMethods(t *testing.T) {
	f := &fake{}
	if env := string(Call(context.Background(), f, "download", `{"urlString":"https://files.test/u1"}`)); env != `{"ret":{"status":true,"path":"blob:http://page/1"}}` ||
		f.last != "Download" || f.args != "https://files.test/u1" {
		t.Errorf("download = %s, %s(%v)", env, f.last, f.args)
	}
	if env := string(Call(context.Background(), f, "cancelTask", `{"filepath":"blob:http://p/1"}`)); env != `{"ret":{"status":true}}` ||
		f.last != "CancelTask" || f.args != "blob:http://p/1" {
		t.Errorf("cancelTask = %s, %s(%v)", env, f.last, f.args)
	}
	cases := []struct{ method, params, msg string }{
		{"upload", `{}`, "parameter filepath must be a File, a Blob or a URL string"},
		{"upload", `{"filepath":{}}`, "parameter filepath must be a File, a Blob or a URL string"},
		{"upload", `{"filepath":5}`, "parameter filepath must be"},
		{"upload", `{"path":"blob:x"}`, "parameter filepath must be"},
		{"download", `{}`, "parameter urlString must be a string"},
		{"download", `{"urlString":{}}`, "parameter urlString must be a string"},
		{"cancelTask", `{"filepath":[]}`, "parameter filepath must be"},
		{"cancelTask", ``, "parameter filepath must be"},
	}
	for _, c := range cases {
		f := &fake{}
		wantErr(t, run(t, f, c.method, c.params), 414, c.msg)
		if f.last != "" {
			t.Errorf("%s(%s) reached the engine", c.method, c.params)
		}
	}
}
