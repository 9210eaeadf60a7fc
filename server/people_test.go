package server

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"yunxin/internal/jx"
	"yunxin/proto"
)

// waitChange waits for a change push of kind and key, skipping other
// pushes, and returns it.
func (c *client) waitChange(kind, key string) proto.Change {
	c.t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case f := <-c.pushes:
			if f.Op != proto.PushChange {
				continue
			}
			var ch proto.Change
			if err := json.Unmarshal(f.Data, &ch); err != nil {
				c.t.Fatal(err)
			}
			if ch.Kind == kind && ch.Key == key {
				return ch
			}
		case <-deadline:
			c.t.Fatalf("no %s change push of %q", kind, key)
		}
	}
}

// changeOf waits for the next change push of kind, skipping other pushes.
func (c *client) changeOf(kind string) proto.Change {
	c.t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case f := <-c.pushes:
			var ch proto.Change
			if f.Op != proto.PushChange || json.Unmarshal(f.Data, &ch) != nil || ch.Kind != kind {
				continue
			}
			return ch
		case <-deadline:
			c.t.Fatalf("no %s change push", kind)
		}
	}
}

// noChange checks that no change push of kind reached c from the requests
// the actors (and c) made so far.
func (c *client) noChange(kind string, actors ...*client) {
	c.t.Helper()
	c.settle(actors...)
	for {
		select {
		case f := <-c.pushes:
			var ch proto.Change
			json.Unmarshal(f.Data, &ch)
			if f.Op == proto.PushChange && ch.Kind == kind {
				c.t.Fatalf("unexpected %s change push: %s", kind, f.Data)
			}
		default:
			return
		}
	}
}

// write calls a people write op, fails unless it is 200, and returns the
// caller's own changes of its reply (checked to be in Ver order).
func (c *client) write(op string, payload any) []proto.Change {
	c.t.Helper()
	var resp proto.ChangesResp
	c.ok(op, payload, &resp)
	if resp.Changes == nil {
		c.t.Fatalf("%s: reply without a changes array", op)
	}
	for i := 1; i < len(resp.Changes); i++ {
		if resp.Changes[i].Ver <= resp.Changes[i-1].Ver {
			c.t.Fatalf("%s: reply changes out of Ver order: %+v", op, resp.Changes)
		}
	}
	return resp.Changes
}

// find returns the change of kind and key among changes.
func find(t *testing.T, changes []proto.Change, kind, key string) proto.Change {
	t.Helper()
	for _, ch := range changes {
		if ch.Kind == kind && ch.Key == key {
			return ch
		}
	}
	t.Fatalf("no %s change of %q in %+v", kind, key, changes)
	return proto.Change{}
}

func decodeData[T any](t *testing.T, ch proto.Change) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(ch.Data, &v); err != nil {
		t.Fatalf("%s change data %s: %v", ch.Kind, ch.Data, err)
	}
	return v
}

func ptr[T any](v T) *T { return &v }

func TestUpdateUser(t *testing.T) {
	e := newEnv(t, "alice", "bob", "carol")
	a1, _ := e.login("alice")
	a2, _ := e.login("alice")
	b, _ := e.login("bob")
	c, _ := e.login("carol")
	a1.ok(proto.OpSend, text("bob", "c1", "hi"), nil) // bob is alice's P2P partner; carol is nothing to her
	a1.drain(b)
	a2.drain(a1)
	b.drain(a1)

	own := a1.write(proto.OpUpdateUser, proto.UpdateUserReq{Name: ptr("Alice A"), Sign: ptr("hello"), Gender: ptr(2), Birth: ptr("1990-02-28"), Ext: ptr(`{"k":1}`)})
	u := decodeData[proto.UserInfo](t, find(t, own, proto.ChangeUser, "alice"))
	if u.Name != "Alice A" || u.Sign != "hello" || u.Gender != 2 || u.Birth != "1990-02-28" || u.Ext != `{"k":1}` || u.Ver != 2 {
		t.Fatalf("own profile %+v", u)
	}
	for _, cl := range []*client{a2, b} {
		got := decodeData[proto.UserInfo](t, cl.waitChange(proto.ChangeUser, "alice"))
		if got.Name != "Alice A" || got.Ver != 2 {
			t.Fatalf("pushed profile %+v", got)
		}
	}
	a1.noChange(proto.ChangeUser) // the requesting connection has it in its reply
	c.noChange(proto.ChangeUser, a1)

	// users returns the full profile.
	var users proto.UsersResp
	c.ok(proto.OpUsers, proto.UsersReq{Accounts: []string{"alice", "nobody", "alice", "bob"}}, &users)
	if len(users.Users) != 2 || users.Users[0].Account != "alice" || users.Users[0].Sign != "hello" || users.Users[0].Ver != 2 ||
		users.Users[1].Account != "bob" || users.Users[1].Name != "bob" {
		t.Fatalf("users %+v", users)
	}

	long := strings.Repeat("x", 2000)
	for _, tc := range []struct {
		req  proto.UpdateUserReq
		want string
	}{
		{proto.UpdateUserReq{Name: ptr(strings.Repeat("名", 65))}, "userInfo.nickName must be at most 64"},
		{proto.UpdateUserReq{Name: ptr("a\nb")}, "userInfo.nickName must not contain control"},
		{proto.UpdateUserReq{Icon: ptr(long)}, "userInfo.avatar"},
		{proto.UpdateUserReq{Sign: ptr(strings.Repeat("s", 257))}, "userInfo.sign"},
		{proto.UpdateUserReq{Gender: ptr(3)}, "userInfo.gender"},
		{proto.UpdateUserReq{Email: ptr("not-an-email")}, "userInfo.email"},
		{proto.UpdateUserReq{Birth: ptr("1990-02-30")}, "userInfo.birth"},
		{proto.UpdateUserReq{Mobile: ptr("call me")}, "userInfo.mobile"},
		{proto.UpdateUserReq{Ext: ptr(long)}, "userInfo.ext"},
	} {
		a1.fail(proto.OpUpdateUser, tc.req, proto.CodeBadParam, tc.want)
	}
	a1.fail(proto.OpUpdateUser, jx.RawMessage(`{"gender":"x"}`), proto.CodeBadParam, "malformed payload")
	a1.fail(proto.OpUsers, proto.UsersReq{Accounts: make([]string, proto.MaxUsers+1)}, proto.CodeBadParam, "at most 150")
	a1.fail(proto.OpUsers, proto.UsersReq{Accounts: []string{"ok", "not ok"}}, proto.CodeBadParam, "accounts[1]")
	// Nothing of the refused updates was written.
	c.ok(proto.OpUsers, proto.UsersReq{Accounts: []string{"alice"}}, &users)
	if users.Users[0].Ver != 2 {
		t.Fatalf("profile after refused updates %+v", users.Users[0])
	}
}

func TestFriendRequestAccept(t *testing.T) {
	e := newEnv(t, "alice", "bob", "carol")
	a, _ := e.login("alice")
	b1, _ := e.login("bob")
	b2, _ := e.login("bob")

	if own := a.write(proto.OpFriend, proto.FriendReq{Account: "bob", Op: proto.FriendRequest, Msg: "hi, it's alice"}); len(own) != 0 {
		t.Fatalf("a request changes nothing of the requester's: %+v", own)
	}
	var note proto.SysNote
	for _, cl := range []*client{b1, b2} {
		ch := cl.changeOf(proto.ChangeNote)
		note = decodeData[proto.SysNote](t, ch)
		if note.Type != proto.NoteFriend || note.From != "alice" || note.Op != proto.FriendRequest || note.Ps != "hi, it's alice" ||
			note.Status != proto.NoteUntreated || ch.Key != proto.NoteKey(note.ID) {
			t.Fatalf("request note %s", ch.Data)
		}
	}

	own := b1.write(proto.OpFriend, proto.FriendReq{Account: "alice", Op: proto.FriendAccept})
	f := decodeData[proto.Friend](t, find(t, own, proto.ChangeFriend, "alice"))
	if f.Account != "alice" || f.Time == 0 {
		t.Fatalf("bob's friend %+v", f)
	}
	if st := decodeData[proto.SysNote](t, find(t, own, proto.ChangeNote, proto.NoteKey(note.ID))); st.Status != proto.NotePassed {
		t.Fatalf("handled note %+v", st)
	}
	find(t, own, proto.ChangeUser, "alice")
	// bob's other device and alice hear it.
	b2.waitChange(proto.ChangeFriend, "alice")
	if fa := decodeData[proto.Friend](t, a.waitChange(proto.ChangeFriend, "bob")); fa.Account != "bob" {
		t.Fatalf("alice's friend %+v", fa)
	}
	a.waitChange(proto.ChangeUser, "bob")
	b1.noChange(proto.ChangeFriend)

	// Accepting again: no pending request.
	b1.fail(proto.OpFriend, proto.FriendReq{Account: "alice", Op: proto.FriendAccept}, proto.CodeNotFound, "no pending friend request from alice")
	b1.fail(proto.OpFriend, proto.FriendReq{Account: "carol", Op: proto.FriendReject}, proto.CodeNotFound, "no pending friend request from carol")

	// Rejection: the requester's inbox hears it.
	c, _ := e.login("carol")
	c.write(proto.OpFriend, proto.FriendReq{Account: "bob", Op: proto.FriendRequest})
	b1.write(proto.OpFriend, proto.FriendReq{Account: "carol", Op: proto.FriendReject, Msg: "no"})
	var got proto.SysNote
	for got.Op != proto.FriendReject {
		got = decodeData[proto.SysNote](t, c.changeOf(proto.ChangeNote))
	}
	if got.From != "bob" || got.Type != proto.NoteFriend || got.Ps != "no" {
		t.Fatalf("rejection note %+v", got)
	}
	c.noChange(proto.ChangeFriend, b1)

	// Refusals.
	a.fail(proto.OpFriend, proto.FriendReq{Account: "nobody", Op: proto.FriendRequest}, proto.CodeNotFound, "user not found: nobody")
	a.fail(proto.OpFriend, proto.FriendReq{Account: "alice", Op: proto.FriendRequest}, proto.CodeBadParam, "userId")
	a.fail(proto.OpFriend, proto.FriendReq{Account: "", Op: proto.FriendRequest}, proto.CodeBadParam, "userId")
	a.fail(proto.OpFriend, proto.FriendReq{Account: "not valid!", Op: proto.FriendRequest}, proto.CodeBadParam, "userId")
	a.fail(proto.OpFriend, proto.FriendReq{Account: "carol"}, proto.CodeBadParam, "operation")
	a.fail(proto.OpFriend, proto.FriendReq{Account: "carol", Op: 5}, proto.CodeBadParam, "operation")
	a.fail(proto.OpFriend, proto.FriendReq{Account: "carol", Op: proto.FriendRequest, Msg: strings.Repeat("附", 257)}, proto.CodeBadParam, "message")
	a.ok(proto.OpFriend, proto.FriendReq{Account: "carol", Op: proto.FriendRequest, Msg: strings.Repeat("附", 256)}, nil)
}

func TestFriendAddAndDelete(t *testing.T) {
	e := newEnv(t, "alice", "bob")
	a, _ := e.login("alice")
	b, _ := e.login("bob")
	own := a.write(proto.OpFriend, proto.FriendReq{Account: "bob", Op: proto.FriendAdd})
	find(t, own, proto.ChangeFriend, "bob")
	b.waitChange(proto.ChangeFriend, "alice")
	var note proto.SysNote
	for note.Op != proto.FriendAdd {
		note = decodeData[proto.SysNote](t, b.changeOf(proto.ChangeNote))
	}

	own = b.write(proto.OpDeleteFriend, proto.DeleteFriendReq{Account: "alice"})
	if ch := find(t, own, proto.ChangeFriend, "alice"); !ch.Deleted {
		t.Fatalf("bob's friend change %+v", ch)
	}
	if ch := a.waitChange(proto.ChangeFriend, "bob"); !ch.Deleted {
		t.Fatalf("alice's friend change %+v", ch)
	}
	// Not friends any more: nothing to delete.
	if own := b.write(proto.OpDeleteFriend, proto.DeleteFriendReq{Account: "alice"}); len(own) != 0 {
		t.Fatalf("second delete %+v", own)
	}
	b.fail(proto.OpDeleteFriend, proto.DeleteFriendReq{Account: "bob"}, proto.CodeBadParam, "userId")
	b.fail(proto.OpDeleteFriend, proto.DeleteFriendReq{}, proto.CodeBadParam, "userId")
}

func TestBlacklist(t *testing.T) {
	e := newEnv(t, "alice", "bob", "carol")
	a, _ := e.login("alice")
	b1, _ := e.login("bob")
	b2, _ := e.login("bob")
	a.ok(proto.OpSend, text("bob", "m1", "one"), nil)
	var m proto.Msg
	b1.push(proto.PushMsg, &m)
	b2.drain(a)

	own := b1.write(proto.OpRelation, proto.RelationReq{List: proto.ListBlack, Account: "alice", On: true})
	if r := decodeData[proto.Relation](t, find(t, own, proto.ChangeBlack, "alice")); r.Account != "alice" || r.Time == 0 {
		t.Fatalf("relation %+v", r)
	}
	b2.waitChange(proto.ChangeBlack, "alice")
	a.noChange(proto.ChangeBlack, b1) // being blacklisted is not announced

	a.fail(proto.OpSend, text("bob", "m2", "two"), proto.CodeBlacklisted, "refused by the receiver's settings")
	b1.noPush(proto.PushMsg, a)
	a.fail(proto.OpFriend, proto.FriendReq{Account: "bob", Op: proto.FriendRequest}, proto.CodeBlacklisted, "refused")
	a.fail(proto.OpFriend, proto.FriendReq{Account: "bob", Op: proto.FriendAdd}, proto.CodeBlacklisted, "refused")
	// bob may still write to alice, and others to bob.
	b1.ok(proto.OpSend, text("alice", "r1", "still here"), nil)
	e.dialLogin("carol").ok(proto.OpSend, text("bob", "c1", "hi"), nil)
	// Already on: nothing new.
	if own := b1.write(proto.OpRelation, proto.RelationReq{List: proto.ListBlack, Account: "alice", On: true}); len(own) != 0 {
		t.Fatalf("second put %+v", own)
	}

	own = b1.write(proto.OpRelation, proto.RelationReq{List: proto.ListBlack, Account: "alice", On: false})
	if ch := find(t, own, proto.ChangeBlack, "alice"); !ch.Deleted {
		t.Fatalf("taken off %+v", ch)
	}
	b2.waitChange(proto.ChangeBlack, "alice")
	var sent proto.SendResp
	a.ok(proto.OpSend, text("bob", "m3", "three"), &sent)
	if sent.Seq != 3 { // m1, bob's r1, m3: the refused m2 was never stored
		t.Fatalf("seq after unblock %d", sent.Seq)
	}

	// The mute list: a change, no refusal.
	own = b1.write(proto.OpRelation, proto.RelationReq{List: proto.ListMute, Account: "alice", On: true})
	find(t, own, proto.ChangeMute, "alice")
	b2.waitChange(proto.ChangeMute, "alice")
	a.ok(proto.OpSend, text("bob", "m4", "four"), nil)

	b1.fail(proto.OpRelation, proto.RelationReq{List: "grey", Account: "alice", On: true}, proto.CodeBadParam, "list")
	b1.fail(proto.OpRelation, proto.RelationReq{List: proto.ListBlack, Account: "bob", On: true}, proto.CodeBadParam, "userId")
	b1.fail(proto.OpRelation, proto.RelationReq{List: proto.ListBlack, Account: "a b", On: true}, proto.CodeBadParam, "userId")
	b1.fail(proto.OpRelation, proto.RelationReq{List: proto.ListBlack, Account: "nobody", On: true}, proto.CodeNotFound, "user not found: nobody")
}

// dialLogin logs acc in and returns its client.
func (e *env) dialLogin(acc string) *client {
	e.t.Helper()
	c, _ := e.login(acc)
	return c
}

func TestSearchUsers(t *testing.T) {
	e := newEnv(t, "alice", "alina", "bob", "Alfred")
	a, _ := e.login("alice")
	a.write(proto.OpUpdateUser, proto.UpdateUserReq{Name: ptr("Queen Ali")})
	e.dialLogin("bob").write(proto.OpUpdateUser, proto.UpdateUserReq{Name: ptr("ali baba")})

	search := func(req proto.SearchReq) (accs []string, more bool) {
		t.Helper()
		var resp proto.SearchResp
		a.ok(proto.OpSearchUsers, req, &resp)
		for _, u := range resp.Users {
			accs = append(accs, u.Account)
		}
		return accs, resp.More
	}
	same := func(got []string, want ...string) {
		t.Helper()
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("found %v, want %v", got, want)
		}
	}
	got, _ := search(proto.SearchReq{Text: "ali", Fields: proto.SearchID})
	same(got, "alice", "alina")
	got, _ = search(proto.SearchReq{Text: "ali", Fields: proto.SearchNick}) // "Queen Ali" does not match
	same(got, "alina", "bob")
	got, _ = search(proto.SearchReq{Text: "ALI", Fields: proto.SearchAll, IgnoreCase: true})
	same(got, "alice", "alina", "bob")
	got, more := search(proto.SearchReq{Text: "al", Fields: proto.SearchID, IgnoreCase: true, Limit: 2})
	same(got, "Alfred", "alice")
	if !more {
		t.Fatal("first page without more")
	}
	got, more = search(proto.SearchReq{Text: "al", Fields: proto.SearchID, IgnoreCase: true, Limit: 2, After: "alice"})
	same(got, "alina")
	if more {
		t.Fatal("last page with more")
	}

	for _, tc := range []struct {
		req  proto.SearchReq
		want string
	}{
		{proto.SearchReq{Text: ""}, "searchContent"},
		{proto.SearchReq{Text: strings.Repeat("搜", 65)}, "searchContent"},
		{proto.SearchReq{Text: "a", Fields: proto.SearchAlias}, "searchContentOption 1"},
		{proto.SearchReq{Text: "a", Fields: 4}, "searchContentOption"},
		{proto.SearchReq{Text: "a", Fields: -1}, "searchContentOption"},
		{proto.SearchReq{Text: "a", After: "bad after"}, "after"},
	} {
		a.fail(proto.OpSearchUsers, tc.req, proto.CodeBadParam, tc.want)
	}
	got, _ = search(proto.SearchReq{Text: strings.Repeat("搜", 64), Limit: 1000})
	same(got)
}

func TestNotesMark(t *testing.T) {
	e := newEnv(t, "alice", "bob", "carol")
	b1, _ := e.login("bob")
	b2, _ := e.login("bob")
	e.dialLogin("alice").write(proto.OpFriend, proto.FriendReq{Account: "bob", Op: proto.FriendRequest})
	e.dialLogin("carol").write(proto.OpFriend, proto.FriendReq{Account: "bob", Op: proto.FriendRequest})
	var ids []int64
	for len(ids) < 2 {
		ids = append(ids, decodeData[proto.SysNote](t, b1.changeOf(proto.ChangeNote)).ID)
	}
	b2.drain()

	own := b1.write(proto.OpNotesMark, proto.NotesMarkReq{ReadTo: ids[1] + 100})
	mark := decodeData[proto.NotesMark](t, find(t, own, proto.ChangeNotesMark, ""))
	if mark.ReadTo != ids[1] || mark.DeletedTo != 0 {
		t.Fatalf("read mark %+v (ids %v)", mark, ids)
	}
	if got := decodeData[proto.NotesMark](t, b2.waitChange(proto.ChangeNotesMark, "")); got != mark {
		t.Fatalf("pushed mark %+v", got)
	}
	own = b1.write(proto.OpNotesMark, proto.NotesMarkReq{DeleteTo: ids[0]})
	if mark = decodeData[proto.NotesMark](t, find(t, own, proto.ChangeNotesMark, "")); mark.ReadTo != ids[1] || mark.DeletedTo != ids[0] {
		t.Fatalf("delete mark %+v", mark)
	}
	b2.waitChange(proto.ChangeNotesMark, "")
	// Never down; nothing to move: no change.
	if own = b1.write(proto.OpNotesMark, proto.NotesMarkReq{ReadTo: 1, DeleteTo: ids[0]}); len(own) != 0 {
		t.Fatalf("mark moved down: %+v", own)
	}
	if own = b1.write(proto.OpNotesMark, proto.NotesMarkReq{}); len(own) != 0 {
		t.Fatalf("empty mark: %+v", own)
	}
	b1.fail(proto.OpNotesMark, proto.NotesMarkReq{ReadTo: -1}, proto.CodeBadParam, "readTo")
	b1.fail(proto.OpNotesMark, proto.NotesMarkReq{DeleteTo: -1}, proto.CodeBadParam, "deleteTo")

	// A new device syncs the mark and only the notification not deleted.
	b3, _ := e.login("bob")
	var sync proto.SyncResp
	b3.ok(proto.OpSync, proto.SyncReq{}, &sync)
	notes := 0
	for _, ch := range sync.Changes {
		if ch.Kind == proto.ChangeNote {
			notes++
			if n := decodeData[proto.SysNote](t, ch); n.ID <= ids[0] {
				t.Fatalf("deleted note synced: %+v", n)
			}
		}
	}
	find(t, sync.Changes, proto.ChangeNotesMark, "")
	if notes != 1 {
		t.Fatalf("%d notes synced, want 1", notes)
	}
}
