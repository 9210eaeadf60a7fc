//go:build !js

package core_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"yunxin/proto"
)

// TestFetchUsersFollowsNext: profiles full of characters JSON escapes to 6
// bytes pass a frame at 150; the server cuts its users reply and the SDK
// asks again from Next, so fetchUserInfos still gets every profile.
func TestFetchUsersFollowsNext(t *testing.T) {
	ts := startServer(t)
	ts.user("viewer")
	ext := strings.Repeat(">", proto.MaxUserExt)
	var accounts []string
	for i := range proto.MaxUsers {
		acc := fmt.Sprintf("u%03d", i)
		ts.user(acc)
		form := url.Values{"accid": {acc}, "name": {strings.Repeat("<", proto.MaxNickRunes)},
			"icon": {strings.Repeat("&", proto.MaxIconBytes)}, "sign": {strings.Repeat("\u2028", proto.MaxSignRunes)}, "ex": {ext}}
		if code, desc := ts.rest("user/updateUinfo", form); code != proto.CodeOK {
			t.Fatalf("updateUinfo %s: %d %s", acc, code, desc)
		}
		accounts = append(accounts, acc)
	}
	d := newDevice(t, ts, false)
	d.login("viewer")
	_, _, before := d.net.count(proto.OpUsers)
	views, err := d.c.FetchUserInfos(bg, accounts)
	if err != nil {
		t.Fatal(err)
	}
	if len(views) != len(accounts) {
		t.Fatalf("%d profiles of %d", len(views), len(accounts))
	}
	for i, v := range views {
		if v.UserID != accounts[i] || v.UserInfo == nil || v.UserInfo.Ext != ext {
			t.Fatalf("profile %d: %+v", i, v.UserID)
		}
	}
	if _, _, n := d.net.count(proto.OpUsers); n-before < 2 {
		t.Fatalf("%d users requests: the reply should have been cut", n-before)
	}
}
