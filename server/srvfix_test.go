package server

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"strings"
	"testing"
	"time"

	"yunxin/internal/jx"
	"yunxin/proto"
)

// worstProfile is an update that fills every field of a profile with the
// characters JSON escapes to 6 bytes each (<, &, U+2028).
func worstProfile() proto.UpdateUserReq {
	return proto.UpdateUserReq{
		Name:   ptr(strings.Repeat("<", proto.MaxNickRunes)),
		Icon:   ptr(strings.Repeat("&", proto.MaxIconBytes)),
		Sign:   ptr(strings.Repeat("\u2028", proto.MaxSignRunes)),
		Gender: ptr(1),
		Email:  ptr(strings.Repeat("a", proto.MaxEmailBytes-6) + "@b.com"),
		Birth:  ptr("1990-01-01"),
		Mobile: ptr(strings.Repeat("1", proto.MaxMobileBytes)),
		Ext:    ptr(strings.Repeat(">", proto.MaxUserExt)),
	}
}

// TestUsersPagedByBytes: 150 worst-case profiles pass a frame, so users
// answers them in pages; following Next gets every profile once, in order.
func TestUsersPagedByBytes(t *testing.T) {
	e := newEnv(t, "viewer")
	ctx := context.Background()
	var accounts []string
	for i := range proto.MaxUsers - 2 {
		acc := fmt.Sprintf("u%03d", i)
		if _, err := e.srv.CreateUser(ctx, acc, acc, "tok-"+acc); err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.srv.store.UpdateProfile(ctx, acc, worstProfile(), 1); err != nil {
			t.Fatal(err)
		}
		accounts = append(accounts, acc)
	}
	// An unknown account and a duplicate in the middle: Next still
	// indexes the request.
	accounts = append(accounts[:70:70], append([]string{"nobody", "u000"}, accounts[70:]...)...)
	v, _ := e.login("viewer")
	var got []string
	seen := map[string]bool{}
	rest, pages := accounts, 0
	for len(rest) > 0 {
		r := v.call(proto.OpUsers, proto.UsersReq{Accounts: rest})
		if r.Code != proto.CodeOK {
			t.Fatalf("users of %d accounts: code %d %s", len(rest), r.Code, r.Msg)
		}
		if len(r.Data) > proto.MaxPage+1024 {
			t.Fatalf("users reply of %d bytes, budget %d", len(r.Data), proto.MaxPage)
		}
		var resp proto.UsersResp
		if err := json.Unmarshal(r.Data, &resp); err != nil {
			t.Fatal(err)
		}
		pages++
		for _, u := range resp.Users {
			if u.Ext != *worstProfile().Ext {
				t.Fatalf("profile of %s: ext %.20q…", u.Account, u.Ext)
			}
			if !seen[u.Account] { // a later page may answer a duplicate again
				seen[u.Account] = true
				got = append(got, u.Account)
			}
		}
		if resp.Next == 0 {
			break
		}
		if resp.Next < 0 || resp.Next >= len(rest) {
			t.Fatalf("next %d after %d profiles of %d asked", resp.Next, len(resp.Users), len(rest))
		}
		rest = rest[resp.Next:]
	}
	if pages < 2 {
		t.Fatalf("%d page(s): the worst case should not fit one", pages)
	}
	want := strings.Join(accounts[:70], ",") + "," + strings.Join(accounts[72:], ",") // no nobody, u000 once
	if g := strings.Join(got, ","); g != want {
		t.Fatalf("profiles %s\nwant %s", g, want)
	}
}

// TestUpdateUserNoOpAndLimit: an update without fields is refused, one
// that changes nothing writes nothing (no Ver, no push), and updates are
// rate-limited per account.
func TestUpdateUserNoOpAndLimit(t *testing.T) {
	e := newEnv(t, "alice", "bob")
	clock := e.clock(time.Unix(1_800_000_000, 0))
	a, _ := e.login("alice")
	b, _ := e.login("bob")
	a.ok(proto.OpSend, text("bob", "c1", "hi"), nil) // bob is alice's P2P partner
	b.drain(a)

	a.fail(proto.OpUpdateUser, proto.UpdateUserReq{}, proto.CodeBadParam, "userInfo must set at least one field")
	a.fail(proto.OpUpdateUser, jx.RawMessage(`{}`), proto.CodeBadParam, "userInfo must set at least one field")
	own := a.write(proto.OpUpdateUser, proto.UpdateUserReq{Name: ptr("Alice"), Sign: ptr("s")}) // 1
	if u := decodeData[proto.UserInfo](t, find(t, own, proto.ChangeUser, "alice")); u.Ver != 2 {
		t.Fatalf("profile %+v", u)
	}
	b.waitChange(proto.ChangeUser, "alice")
	// The same values again: no changes, no push, Ver stays.
	if own := a.write(proto.OpUpdateUser, proto.UpdateUserReq{Name: ptr("Alice"), Sign: ptr("s"), Gender: ptr(0)}); len(own) != 0 { // 2
		t.Fatalf("update changing nothing replied %+v", own)
	}
	b.noChange(proto.ChangeUser, a)
	var users proto.UsersResp
	b.ok(proto.OpUsers, proto.UsersReq{Accounts: []string{"alice"}}, &users)
	if users.Users[0].Ver != 2 {
		t.Fatalf("profile after a no-op update %+v", users.Users[0])
	}
	// The rate limit: a burst of 5 (the no-op one counted), then one per
	// interval; refused updates (414) take nothing.
	for i := range 3 { // 3, 4, 5
		a.write(proto.OpUpdateUser, proto.UpdateUserReq{Sign: ptr(fmt.Sprint("s", i))})
	}
	a.fail(proto.OpUpdateUser, proto.UpdateUserReq{Sign: ptr("over")}, proto.CodeRateLimited, "too many profile updates")
	clock.add(profileUpdateEvery)
	a.write(proto.OpUpdateUser, proto.UpdateUserReq{Sign: ptr("later")})
	a.fail(proto.OpUpdateUser, proto.UpdateUserReq{Sign: ptr("over")}, proto.CodeRateLimited, "too many profile updates")
	// Per account: bob is not limited by alice's updates.
	b.write(proto.OpUpdateUser, proto.UpdateUserReq{Sign: ptr("bob")})
	b.ok(proto.OpUsers, proto.UsersReq{Accounts: []string{"alice"}}, &users)
	if users.Users[0].Sign != "later" || users.Users[0].Ver != 6 {
		t.Fatalf("profile after the limit %+v", users.Users[0])
	}
}

// TestRESTUpdateUinfoNoFields: user/updateUinfo with only accid names the
// form fields it needs.
func TestRESTUpdateUinfoNoFields(t *testing.T) {
	e := newEnv(t, "alice")
	e.restFail("user/updateUinfo", url.Values{"accid": {"alice"}}, proto.CodeBadParam, "name, icon, sign, gender, email, birth, mobile, ex")
}

// TestFriendRequestAgainInPlace: asking again while the request is
// untreated updates it (same id, new postscript), and requests are
// rate-limited per sender.
func TestFriendRequestAgainInPlace(t *testing.T) {
	e := newEnv(t, "alice", "bob", "carol")
	clock := e.clock(time.Unix(1_800_000_000, 0))
	a, _ := e.login("alice")
	b, _ := e.login("bob")
	c, _ := e.login("carol")
	a.write(proto.OpFriend, proto.FriendReq{Account: "bob", Op: proto.FriendRequest, Msg: "hi"})
	first := decodeData[proto.SysNote](t, b.changeOf(proto.ChangeNote))
	clock.add(time.Second)
	for i := 2; i <= friendRequestBurst; i++ {
		a.write(proto.OpFriend, proto.FriendReq{Account: "bob", Op: proto.FriendRequest, Msg: fmt.Sprint("hi ", i)})
		n := decodeData[proto.SysNote](t, b.changeOf(proto.ChangeNote))
		if n.ID != first.ID || n.Ps != fmt.Sprint("hi ", i) || n.Status != proto.NoteUntreated || n.Time != first.Time+1000 {
			t.Fatalf("request %d: %+v, first %+v", i, n, first)
		}
	}
	a.fail(proto.OpFriend, proto.FriendReq{Account: "carol", Op: proto.FriendRequest}, proto.CodeRateLimited, "too many friend requests")
	c.noChange(proto.ChangeNote, a)
	// Other operations are not limited; the bucket refills.
	a.write(proto.OpFriend, proto.FriendReq{Account: "carol", Op: proto.FriendAdd})
	clock.add(friendRequestEvery)
	a.write(proto.OpFriend, proto.FriendReq{Account: "bob", Op: proto.FriendRequest, Msg: "last"})
	// bob answers the one request there is.
	own := b.write(proto.OpFriend, proto.FriendReq{Account: "alice", Op: proto.FriendAccept})
	if n := decodeData[proto.SysNote](t, find(t, own, proto.ChangeNote, proto.NoteKey(first.ID))); n.Status != proto.NotePassed || n.Ps != "last" {
		t.Fatalf("the accepted request: %+v", n)
	}
	var sync proto.SyncResp
	b.ok(proto.OpSync, proto.SyncReq{}, &sync)
	notes := 0
	for _, ch := range sync.Changes {
		if ch.Kind == proto.ChangeNote {
			notes++
		}
	}
	if notes != 1 {
		t.Fatalf("bob's log has %d notifications, want the one request", notes)
	}
}

// TestKickClientTypeChecked: kick takes only NIM's client types; the value
// that used to mean "every type" (math.MinInt32) is refused and kicks no
// one.
func TestKickClientTypeChecked(t *testing.T) {
	e := newEnv(t, "alice")
	a1, _ := e.login("alice")
	a2, _ := e.login("alice")
	for _, ct := range []int{math.MinInt32, 0, 3, 128, -16} {
		a1.fail(proto.OpKick, proto.KickReq{ClientType: ct}, proto.CodeBadParam, "clientType")
	}
	a2.noPush(proto.PushKick, a1)
	a2.ok(proto.OpPing, nil, nil)
	var kr proto.KickResp
	a1.ok(proto.OpKick, proto.KickReq{ClientType: 1}, &kr) // no Android client: no one
	if kr.Kicked != 0 {
		t.Fatalf("kicked %d", kr.Kicked)
	}
	a2.noPush(proto.PushKick, a1)
	a1.ok(proto.OpKick, proto.KickReq{ClientType: proto.ClientWeb}, &kr)
	if kr.Kicked != 1 {
		t.Fatalf("kicked %d", kr.Kicked)
	}
	a2.push(proto.PushKick, nil)
	a2.waitClosed()
}

// TestBlacklistRetryOfStored: a retry of a message stored before the
// receiver blacklisted the sender is the duplicate it is, not a refusal;
// a new message is refused and nothing is pushed.
func TestBlacklistRetryOfStored(t *testing.T) {
	e := newEnv(t, "alice", "bob")
	a, _ := e.login("alice")
	b, _ := e.login("bob")
	var first proto.SendResp
	a.ok(proto.OpSend, text("bob", "m1", "one"), &first)
	b.push(proto.PushMsg, nil)
	b.write(proto.OpRelation, proto.RelationReq{List: proto.ListBlack, Account: "alice", On: true})

	var again proto.SendResp
	a.ok(proto.OpSend, text("bob", "m1", "one"), &again)
	if !again.Dup || again.ServerID != first.ServerID || again.Seq != first.Seq || again.Conv != first.Conv || again.Time != first.Time {
		t.Fatalf("retry after the blacklisting: %+v, first %+v", again, first)
	}
	a.fail(proto.OpSend, text("bob", "m2", "two"), proto.CodeBlacklisted, "refused by the receiver's settings")
	b.noPush(proto.PushMsg, a)
}
