package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"yunxin/proto"
	"yunxin/server/store"
)

// peopleTests are the cases of store.People (and Send's Nick), run by Run.
var peopleTests = []struct {
	name string
	fn   func(t *testing.T, s store.Store)
}{
	{"Profiles", testProfiles},
	{"UpdateProfileFanOut", testUpdateProfileFanOut},
	{"SendNick", testSendNick},
	{"Blocked", testBlocked},
	{"SearchUsers", testSearchUsers},
	{"FriendRequestAccept", testFriendRequestAccept},
	{"FriendReject", testFriendReject},
	{"FriendAdd", testFriendAdd},
	{"FriendBlacklisted", testFriendBlacklisted},
	{"Unfriend", testUnfriend},
	{"UpdateFriend", testUpdateFriend},
	{"Relations", testRelations},
	{"MarkNotes", testMarkNotes},
	{"AddCustom", testAddCustom},
	{"AddCustomTrim", testAddCustomTrim},
	{"ConcurrentPeople", testConcurrentPeople},
}

// users creates the accounts (name: the accid's upper case) at created ms
// 100.
func users(t *testing.T, s store.Store, accids ...string) {
	t.Helper()
	for _, a := range accids {
		u := store.User{Accid: a, Name: strings.ToUpper(a), Salt: []byte{1}, TokenHash: []byte{2}, CreatedMs: 100}
		if err := s.CreateUser(t.Context(), u); err != nil {
			t.Fatalf("create %s: %v", a, err)
		}
	}
}

// ptr returns a pointer to v.
func ptr[T any](v T) *T { return &v }

// kindKeys lists the changes as "account kind key" ("-" suffix: deleted),
// in order.
func kindKeys(chs []store.Change) []string {
	out := []string{}
	for _, c := range chs {
		out = append(out, changeString(c.Account, c.Change))
	}
	return out
}

func changeString(account string, c proto.Change) string {
	s := fmt.Sprintf("%s %s %s", account, c.Kind, c.Key)
	if c.Deleted {
		s += "-"
	}
	return s
}

// logOf returns account's changes after since as "kind key" strings,
// keyed, with the decoded changes.
func logOf(t *testing.T, s store.Store, account string, since int64) map[string]proto.Change {
	t.Helper()
	out := map[string]proto.Change{}
	for _, c := range changes(t, s, account, since) {
		out[c.Kind+" "+c.Key] = c
	}
	return out
}

// decode unmarshals a change's data into v, failing t.
func decode(t *testing.T, c proto.Change, v any) {
	t.Helper()
	if err := json.Unmarshal(c.Data, v); err != nil {
		t.Fatalf("%s %s data %s: %v", c.Kind, c.Key, c.Data, err)
	}
}

// lastVer is the Ver of account's newest change (0: none).
func lastVer(t *testing.T, s store.Store, account string) int64 {
	t.Helper()
	cs := changes(t, s, account, 0)
	if len(cs) == 0 {
		return 0
	}
	return cs[len(cs)-1].Ver
}

// sameChanges checks that the returned changes are the newest entries of
// their logs as ChangesSince reads them.
func sameChanges(t *testing.T, s store.Store, chs []store.Change) {
	t.Helper()
	for _, c := range chs {
		got := logOf(t, s, c.Account, c.Ver-1)[c.Kind+" "+c.Key]
		if !reflect.DeepEqual(got, c.Change) {
			t.Errorf("%s's log has %+v, the write returned %+v", c.Account, got, c.Change)
		}
	}
}

func testProfiles(t *testing.T, s store.Store) {
	ctx := t.Context()
	users(t, s, "a", "b")
	got, err := s.Profiles(ctx, []string{"b", "x", "a", "b"})
	want := []proto.UserInfo{{Account: "b", Name: "B", Ver: 1, Time: 100}, {Account: "a", Name: "A", Ver: 1, Time: 100}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("Profiles = %+v, %v; want %+v", got, err, want)
	}
	if got, err := s.Profiles(ctx, nil); err != nil || len(got) != 0 {
		t.Fatalf("Profiles(nil) = %+v, %v", got, err)
	}
	// Many at once.
	var many []string
	for i := range 1200 {
		many = append(many, fmt.Sprint("u", i))
	}
	users(t, s, many[:3]...)
	got, err = s.Profiles(ctx, append(many, "a"))
	if err != nil || len(got) != 4 || got[0].Account != "u0" || got[3].Account != "a" {
		t.Fatalf("Profiles of 1201 accounts = %+v, %v", got, err)
	}
}

// UpdateProfile changes only the fields given, raises Ver, and tells the
// account, its friends and its P2P partners, nobody else.
func testUpdateProfileFanOut(t *testing.T, s store.Store) {
	ctx := t.Context()
	users(t, s, "a", "f", "p", "x")
	if _, err := s.Befriend(ctx, "a", "f", proto.FriendAdd, "", 200); err != nil {
		t.Fatal(err)
	}
	send(t, s, "p", "a", "c1", 300)
	send(t, s, "x", "p", "c2", 300) // x talks to p only
	since := map[string]int64{}
	for _, acc := range []string{"a", "f", "p", "x"} {
		since[acc] = lastVer(t, s, acc)
	}
	u, chs, err := s.UpdateProfile(ctx, "a", proto.UpdateUserReq{Sign: ptr("hi"), Gender: ptr(2), Ext: ptr(`{"k":1}`)}, 500)
	want := proto.UserInfo{Account: "a", Name: "A", Sign: "hi", Gender: 2, Ext: `{"k":1}`, Ver: 2, Time: 500}
	if err != nil || u != want {
		t.Fatalf("UpdateProfile = %+v, %v; want %+v", u, err, want)
	}
	if got := kindKeys(chs); !sameSet(got, []string{"a user a", "f user a", "p user a"}) {
		t.Fatalf("changes %v", got)
	}
	sameChanges(t, s, chs)
	for _, acc := range []string{"a", "f", "p"} {
		c, ok := logOf(t, s, acc, since[acc])["user a"]
		var got proto.UserInfo
		if ok {
			decode(t, c, &got)
		}
		if got != want {
			t.Errorf("%s's log: %+v, want %+v", acc, got, want)
		}
	}
	if l := logOf(t, s, "x", since["x"]); len(l) != 0 {
		t.Errorf("x heard of it: %+v", l)
	}
	// A second update: nil fields stay, "" clears.
	u, _, err = s.UpdateProfile(ctx, "a", proto.UpdateUserReq{Name: ptr("Ann"), Sign: ptr("")}, 600)
	want = proto.UserInfo{Account: "a", Name: "Ann", Gender: 2, Ext: `{"k":1}`, Ver: 3, Time: 600}
	if err != nil || u != want {
		t.Fatalf("second UpdateProfile = %+v, %v; want %+v", u, err, want)
	}
	if got, _ := s.Profiles(ctx, []string{"a"}); len(got) != 1 || got[0] != want {
		t.Fatalf("Profiles after the update: %+v", got)
	}
	if _, _, err := s.UpdateProfile(ctx, "nobody", proto.UpdateUserReq{Name: ptr("N")}, 700); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("UpdateProfile of an unknown account: %v, want ErrNotFound", err)
	}
	// Every field as stored (or none set): nothing is written, no Ver.
	aVer, fVer := lastVer(t, s, "a"), lastVer(t, s, "f")
	for _, upd := range []proto.UpdateUserReq{{Name: ptr("Ann"), Sign: ptr(""), Gender: ptr(2)}, {}} {
		u, chs, err = s.UpdateProfile(ctx, "a", upd, 800)
		if err != nil || u != want || len(chs) != 0 {
			t.Fatalf("UpdateProfile changing nothing = %+v, %v, %v; want %+v and no changes", u, kindKeys(chs), err, want)
		}
	}
	if lastVer(t, s, "a") != aVer || lastVer(t, s, "f") != fVer {
		t.Fatal("an update changing nothing was logged")
	}
	if _, _, err := s.UpdateProfile(ctx, "nobody", proto.UpdateUserReq{}, 800); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("empty UpdateProfile of an unknown account: %v, want ErrNotFound", err)
	}
}

// sameSet reports whether a and b hold the same strings, in any order.
func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[string]int{}
	for _, x := range a {
		m[x]++
	}
	for _, x := range b {
		m[x]--
	}
	for _, n := range m {
		if n != 0 {
			return false
		}
	}
	return true
}

// Send stores the sender's nickname of the moment with the message, and
// every read returns it.
func testSendNick(t *testing.T, s store.Store) {
	ctx := t.Context()
	users(t, s, "a", "b")
	m1 := send(t, s, "a", "b", "c1", 1000)
	if m1.Nick != "A" {
		t.Fatalf("Nick %q, want A", m1.Nick)
	}
	if _, _, err := s.UpdateProfile(ctx, "a", proto.UpdateUserReq{Name: ptr("Ann")}, 1500); err != nil {
		t.Fatal(err)
	}
	m2 := send(t, s, "a", "b", "c2", 2000)
	if m2.Nick != "Ann" {
		t.Fatalf("Nick after the rename %q, want Ann", m2.Nick)
	}
	if m := send(t, s, "stranger", "b", "c3", 3000); m.Nick != "" {
		t.Fatalf("Nick of an account without a profile %q", m.Nick)
	}
	again, dup, err := s.Send(ctx, msg("a", "b", "c1"), 4000)
	if err != nil || !dup || again.Nick != "A" {
		t.Fatalf("resend: %+v %v %v", again, dup, err)
	}
	ms, err := s.Messages(ctx, m1.Conv, 0, 10)
	if err != nil || len(ms) != 2 || ms[0].Nick != "A" || ms[1].Nick != "Ann" {
		t.Fatalf("Messages: %+v, %v", ms, err)
	}
	if m, err := s.Message(ctx, m1.Conv, 2); err != nil || m.Nick != "Ann" {
		t.Fatalf("Message: %+v, %v", m, err)
	}
	if m, err := s.MessageByClientID(ctx, m1.Conv, "a", "c1"); err != nil || m.Nick != "A" {
		t.Fatalf("MessageByClientID: %+v, %v", m, err)
	}
	if hs, _, err := s.History(ctx, m1.Conv, 0, false, 10); err != nil || len(hs) != 2 || hs[0].Nick != "A" || hs[1].Nick != "Ann" {
		t.Fatalf("History: %+v, %v", hs, err)
	}
}

// SetBlocked shows in User.Blocked and hides the account from searches.
func testBlocked(t *testing.T, s store.Store) {
	ctx := t.Context()
	users(t, s, "a", "ab")
	if err := s.SetBlocked(ctx, "a", true); err != nil {
		t.Fatal(err)
	}
	if u, err := s.User(ctx, "a"); err != nil || !u.Blocked {
		t.Fatalf("User after SetBlocked: %+v, %v", u, err)
	}
	if us, _, err := s.SearchUsers(ctx, proto.SearchReq{Text: "a", Fields: proto.SearchID, Limit: 10}); err != nil || len(us) != 1 || us[0].Account != "ab" {
		t.Fatalf("search with a blocked account: %+v, %v", us, err)
	}
	if err := s.SetBlocked(ctx, "a", false); err != nil {
		t.Fatal(err)
	}
	if u, err := s.User(ctx, "a"); err != nil || u.Blocked {
		t.Fatalf("User after unblocking: %+v, %v", u, err)
	}
	if err := s.SetBlocked(ctx, "nobody", true); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("SetBlocked of an unknown account: %v", err)
	}
}

func testSearchUsers(t *testing.T, s store.Store) {
	ctx := t.Context()
	users(t, s, "amy", "bob", "Bobby", "carl", "x_y", "xzy", "dan")
	if _, _, err := s.UpdateProfile(ctx, "carl", proto.UpdateUserReq{Name: ptr("bob's friend 100%")}, 200); err != nil {
		t.Fatal(err)
	}
	search := func(q proto.SearchReq) ([]string, bool) {
		t.Helper()
		us, more, err := s.SearchUsers(ctx, q)
		if err != nil {
			t.Fatalf("SearchUsers(%+v): %v", q, err)
		}
		out := []string{}
		for _, u := range us {
			out = append(out, u.Account)
		}
		return out, more
	}
	for _, tc := range []struct {
		q    proto.SearchReq
		want []string
	}{
		{proto.SearchReq{Text: "bob", Fields: proto.SearchID}, []string{"bob"}},
		{proto.SearchReq{Text: "bob", Fields: proto.SearchID, IgnoreCase: true}, []string{"Bobby", "bob"}},
		{proto.SearchReq{Text: "BOB", Fields: proto.SearchNick}, []string{"Bobby", "bob"}}, // names are upper case
		{proto.SearchReq{Text: "bob", Fields: proto.SearchNick}, []string{"carl"}},
		{proto.SearchReq{Text: "bob", Fields: proto.SearchAll}, []string{"bob", "carl"}},
		{proto.SearchReq{Text: "bob", Fields: proto.SearchAll, IgnoreCase: true}, []string{"Bobby", "bob", "carl"}},
		// LIKE's wildcards are plain characters.
		{proto.SearchReq{Text: "x_", Fields: proto.SearchID, IgnoreCase: true}, []string{"x_y"}},
		{proto.SearchReq{Text: "0%", Fields: proto.SearchNick, IgnoreCase: true}, []string{"carl"}},
		{proto.SearchReq{Text: "%", Fields: proto.SearchID, IgnoreCase: true}, []string{}},
		{proto.SearchReq{Text: "bob", Fields: proto.SearchAlias}, []string{}},
	} {
		if got, more := search(tc.q); !reflect.DeepEqual(got, tc.want) || more {
			t.Errorf("SearchUsers(%+v) = %v, %v; want %v", tc.q, got, more, tc.want)
		}
	}
	// Paging: two by two, by account.
	var all []string
	q := proto.SearchReq{Text: "", Fields: proto.SearchID, Limit: 2}
	for i := 0; ; i++ {
		page, more := search(q)
		if len(page) != 2 && more || len(page) > 2 || i > 5 {
			t.Fatalf("page %d: %v, more %v", i, page, more)
		}
		all = append(all, page...)
		if !more {
			break
		}
		q.After = page[len(page)-1]
	}
	if want := []string{"Bobby", "amy", "bob", "carl", "dan", "x_y", "xzy"}; !reflect.DeepEqual(all, want) {
		t.Fatalf("paged: %v, want %v", all, want)
	}
	// An exact last page has no more.
	if page, more := search(proto.SearchReq{Text: "", Fields: proto.SearchID, After: "dan", Limit: 2}); len(page) != 2 || more {
		t.Fatalf("exact last page: %v, %v", page, more)
	}
}

// note decodes account's ChangeNote of id from its log.
func note(t *testing.T, s store.Store, account string, id string) (proto.SysNote, bool) {
	t.Helper()
	c, ok := logOf(t, s, account, 0)[proto.ChangeNote+" "+id]
	var n proto.SysNote
	if ok {
		decode(t, c, &n)
	}
	return n, ok
}

// notes returns account's ChangeNote notifications, by id.
func notes(t *testing.T, s store.Store, account string) []proto.SysNote {
	t.Helper()
	var out []proto.SysNote
	for _, c := range changes(t, s, account, 0) {
		if c.Kind == proto.ChangeNote {
			var n proto.SysNote
			decode(t, c, &n)
			out = append(out, n)
		}
	}
	return out
}

// friendsOf returns account's friends by account.
func friendsOf(t *testing.T, s store.Store, account string) map[string]proto.Friend {
	t.Helper()
	fs, err := s.Friends(t.Context(), account, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]proto.Friend{}
	for _, f := range fs {
		out[f.Account] = f
	}
	return out
}

// A request lands in the target's inbox; a newer one expires it; accepting
// makes both friends with rows, changes and profiles in both logs, and the
// requester hears of the acceptance.
func testFriendRequestAccept(t *testing.T, s store.Store) {
	ctx := t.Context()
	users(t, s, "a", "b")
	chs, err := s.Befriend(ctx, "a", "b", proto.FriendRequest, "hello", 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(chs) != 1 || chs[0].Account != "b" || chs[0].Kind != proto.ChangeNote {
		t.Fatalf("request changes: %v", kindKeys(chs))
	}
	sameChanges(t, s, chs)
	first := chs[0].Key
	n, _ := note(t, s, "b", first)
	if want := (proto.SysNote{ID: n.ID, Type: proto.NoteFriend, From: "a", To: "b", Time: 1000, Ps: "hello", Op: proto.FriendRequest,
		Status: proto.NoteUntreated}); n != want || n.ID <= 0 || proto.NoteKey(n.ID) != first {
		t.Fatalf("the request: %+v, want %+v", n, want)
	}
	// Asking again while the request is untreated updates it in place:
	// same id, the new postscript and time, still untreated.
	chs, err = s.Befriend(ctx, "a", "b", proto.FriendRequest, "again", 2000)
	if err != nil {
		t.Fatal(err)
	}
	if got := kindKeys(chs); len(got) != 1 || got[0] != "b sysnote "+first {
		t.Fatalf("second request changes: %v", got)
	}
	sameChanges(t, s, chs)
	second := first
	if n, _ := note(t, s, "b", first); n.Status != proto.NoteUntreated || n.Ps != "again" || n.Time != 2000 || n.From != "a" {
		t.Fatalf("the request after asking again: %+v", n)
	}
	if in := notes(t, s, "b"); len(in) != 1 {
		t.Fatalf("b's inbox after asking twice: %+v", in)
	}
	if fs := friendsOf(t, s, "a"); len(fs) != 0 {
		t.Fatalf("friends before the answer: %+v", fs)
	}
	// Accepting a request that does not exist: b never asked a.
	if _, err := s.Befriend(ctx, "a", "b", proto.FriendAccept, "", 2500); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("accept without a request: %v", err)
	}

	aVer, bVer := lastVer(t, s, "a"), lastVer(t, s, "b")
	chs, err = s.Befriend(ctx, "b", "a", proto.FriendAccept, "ok", 3000)
	if err != nil {
		t.Fatal(err)
	}
	sameChanges(t, s, chs)
	got := kindKeys(chs)
	for _, w := range []string{"b sysnote " + second, "a friend b", "b friend a", "a user b", "b user a"} {
		if !contains(got, w) {
			t.Errorf("accept changes %v lack %q", got, w)
		}
	}
	if n, _ := note(t, s, "b", second); n.Status != proto.NotePassed {
		t.Fatalf("the request after accepting: %+v", n)
	}
	an := notes(t, s, "a")
	if len(an) != 1 || an[0].Op != proto.FriendAccept || an[0].From != "b" || an[0].To != "a" || an[0].Ps != "ok" || an[0].Time != 3000 {
		t.Fatalf("a's inbox: %+v", an)
	}
	for _, side := range [][2]string{{"a", "b"}, {"b", "a"}} {
		owner, other := side[0], side[1]
		f, ok := friendsOf(t, s, owner)[other]
		if want := (proto.Friend{Account: other, Time: 3000, Update: 3000}); !ok || f != want {
			t.Errorf("%s's friend %s: %+v, want %+v", owner, other, f, want)
		}
		since := map[string]int64{"a": aVer, "b": bVer}[owner]
		l := logOf(t, s, owner, since)
		var lf proto.Friend
		var lu proto.UserInfo
		decode(t, l["friend "+other], &lf)
		decode(t, l["user "+other], &lu)
		if lf != f || lu.Account != other || lu.Name != strings.ToUpper(other) || lu.Ver != 1 {
			t.Errorf("%s's log: friend %+v, user %+v", owner, lf, lu)
		}
	}
	// Answered: no second answer; friends: a new request writes nothing.
	if _, err := s.Befriend(ctx, "b", "a", proto.FriendAccept, "", 4000); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second accept: %v", err)
	}
	if chs, err := s.Befriend(ctx, "a", "b", proto.FriendRequest, "", 4000); err != nil || len(chs) != 0 {
		t.Fatalf("request between friends: %v, %v", kindKeys(chs), err)
	}
	if _, err := s.Befriend(ctx, "a", "nobody", proto.FriendRequest, "", 4000); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("request to an unknown account: %v", err)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	var n int64
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Rejecting declines the request and tells the requester; nobody becomes
// a friend.
func testFriendReject(t *testing.T, s store.Store) {
	ctx := t.Context()
	users(t, s, "a", "b")
	chs, err := s.Befriend(ctx, "a", "b", proto.FriendRequest, "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	req := chs[0].Key
	chs, err = s.Befriend(ctx, "b", "a", proto.FriendReject, "no", 2000)
	if err != nil {
		t.Fatal(err)
	}
	if got := kindKeys(chs); len(got) != 2 || got[0] != "b sysnote "+req || !strings.HasPrefix(got[1], "a sysnote ") {
		t.Fatalf("reject changes: %v", got)
	}
	if n, _ := note(t, s, "b", req); n.Status != proto.NoteDeclined {
		t.Fatalf("the request: %+v", n)
	}
	if an := notes(t, s, "a"); len(an) != 1 || an[0].Op != proto.FriendReject || an[0].From != "b" || an[0].Ps != "no" {
		t.Fatalf("a's inbox: %+v", an)
	}
	if fs := friendsOf(t, s, "a"); len(fs) != 0 {
		t.Fatalf("a's friends: %+v", fs)
	}
	if fs := friendsOf(t, s, "b"); len(fs) != 0 {
		t.Fatalf("b's friends: %+v", fs)
	}
	// Asking again after an answer is a new request; the answered one
	// stays declined.
	chs, err = s.Befriend(ctx, "a", "b", proto.FriendRequest, "please", 3000)
	if err != nil {
		t.Fatal(err)
	}
	if got := kindKeys(chs); len(got) != 1 || got[0] == "b sysnote "+req {
		t.Fatalf("request after the answer: %v", got)
	}
	if n, _ := note(t, s, "b", chs[0].Key); n.Status != proto.NoteUntreated || n.Ps != "please" || n.ID <= mustInt(t, req) {
		t.Fatalf("the new request: %+v", n)
	}
	if n, _ := note(t, s, "b", req); n.Status != proto.NoteDeclined {
		t.Fatalf("the answered request after a new one: %+v", n)
	}
}

// FriendAdd makes both friends at once and tells the target.
func testFriendAdd(t *testing.T, s store.Store) {
	ctx := t.Context()
	users(t, s, "a", "b")
	chs, err := s.Befriend(ctx, "a", "b", proto.FriendAdd, "hi", 1000)
	if err != nil {
		t.Fatal(err)
	}
	sameChanges(t, s, chs)
	got := kindKeys(chs)
	want := []string{"a friend b", "a user b", "b friend a", "b user a"}
	if len(got) != 5 || !sameSet(got[:4], want) || !strings.HasPrefix(got[4], "b sysnote ") {
		t.Fatalf("add changes: %v", got)
	}
	if bn := notes(t, s, "b"); len(bn) != 1 || bn[0].Op != proto.FriendAdd || bn[0].From != "a" || bn[0].To != "b" || bn[0].Ps != "hi" {
		t.Fatalf("b's inbox: %+v", bn)
	}
	if len(friendsOf(t, s, "a")) != 1 || len(friendsOf(t, s, "b")) != 1 {
		t.Fatal("not friends")
	}
	if chs, err := s.Befriend(ctx, "b", "a", proto.FriendAdd, "", 2000); err != nil || len(chs) != 0 {
		t.Fatalf("adding a friend again: %v, %v", kindKeys(chs), err)
	}
	if _, err := s.Befriend(ctx, "a", "nobody", proto.FriendAdd, "", 2000); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("add an unknown account: %v", err)
	}
}

// Who is on the target's blacklist can neither add nor ask nor accept; a
// rejection still goes through.
func testFriendBlacklisted(t *testing.T, s store.Store) {
	ctx := t.Context()
	users(t, s, "a", "b")
	if _, err := s.Befriend(ctx, "b", "a", proto.FriendRequest, "", 500); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetRelation(ctx, "b", proto.ListBlack, "a", true, 600); err != nil {
		t.Fatal(err)
	}
	before := lastVer(t, s, "b")
	for _, op := range []int{proto.FriendAdd, proto.FriendRequest, proto.FriendAccept} {
		if chs, err := s.Befriend(ctx, "a", "b", op, "", 1000); !errors.Is(err, store.ErrBlacklisted) || len(chs) != 0 {
			t.Errorf("op %d by a blacklisted account: %v, %v", op, kindKeys(chs), err)
		}
	}
	if v := lastVer(t, s, "b"); v != before {
		t.Errorf("b's log moved: %d → %d", before, v)
	}
	if len(friendsOf(t, s, "a")) != 0 {
		t.Error("friends after all")
	}
	if _, err := s.Befriend(ctx, "a", "b", proto.FriendReject, "", 1000); err != nil {
		t.Errorf("reject by a blacklisted account: %v", err)
	}
	// The other way round is not blocked: a has not blacklisted b.
	if _, err := s.Befriend(ctx, "b", "a", proto.FriendAdd, "", 2000); err != nil {
		t.Errorf("add by the blacklisting account: %v", err)
	}
}

// Unfriend ends both sides; the alias is kept unless removeAlias, and a
// new friendship finds it again.
func testUnfriend(t *testing.T, s store.Store) {
	ctx := t.Context()
	users(t, s, "a", "b")
	if _, err := s.Befriend(ctx, "a", "b", proto.FriendAdd, "", 1000); err != nil {
		t.Fatal(err)
	}
	for _, side := range [][2]string{{"a", "b"}, {"b", "a"}} {
		if _, err := s.UpdateFriend(ctx, side[0], side[1], ptr("alias of "+side[1]), nil, 1500); err != nil {
			t.Fatal(err)
		}
	}
	chs, err := s.Unfriend(ctx, "a", "b", false, 2000)
	if err != nil {
		t.Fatal(err)
	}
	if got := kindKeys(chs); !sameSet(got, []string{"a friend b-", "b friend a-"}) {
		t.Fatalf("unfriend changes: %v", got)
	}
	sameChanges(t, s, chs)
	if len(friendsOf(t, s, "a")) != 0 || len(friendsOf(t, s, "b")) != 0 {
		t.Fatal("still friends")
	}
	if chs, err := s.Unfriend(ctx, "a", "b", true, 2500); err != nil || len(chs) != 0 {
		t.Fatalf("unfriend again: %v, %v", kindKeys(chs), err)
	}
	if _, err := s.UpdateFriend(ctx, "a", "b", ptr("x"), nil, 2600); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("UpdateFriend of a former friend: %v", err)
	}
	if _, err := s.Befriend(ctx, "b", "a", proto.FriendAdd, "", 3000); err != nil {
		t.Fatal(err)
	}
	for _, side := range [][2]string{{"a", "b"}, {"b", "a"}} {
		f := friendsOf(t, s, side[0])[side[1]]
		if want := (proto.Friend{Account: side[1], Alias: "alias of " + side[1], Time: 3000, Update: 3000}); f != want {
			t.Errorf("%s's friend after a new friendship: %+v, want %+v", side[0], f, want)
		}
	}
	// removeAlias clears a's alias only.
	if _, err := s.Unfriend(ctx, "a", "b", true, 4000); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Befriend(ctx, "a", "b", proto.FriendAdd, "", 5000); err != nil {
		t.Fatal(err)
	}
	if f := friendsOf(t, s, "a")["b"]; f.Alias != "" {
		t.Errorf("a's alias after removeAlias: %+v", f)
	}
	if f := friendsOf(t, s, "b")["a"]; f.Alias != "alias of a" {
		t.Errorf("b's alias after a's removeAlias: %+v", f)
	}
}

// UpdateFriend sets the alias and serverExt (nil: unchanged) and logs the
// owner's side only; Friends returns the rows changed since a time.
func testUpdateFriend(t *testing.T, s store.Store) {
	ctx := t.Context()
	users(t, s, "a", "b", "c")
	for _, o := range []string{"b", "c"} {
		if _, err := s.Befriend(ctx, "a", o, proto.FriendAdd, "", 1000); err != nil {
			t.Fatal(err)
		}
	}
	bVer := lastVer(t, s, "b")
	chs, err := s.UpdateFriend(ctx, "a", "b", ptr("Bee"), ptr(`{"s":1}`), 2000)
	if err != nil || len(chs) != 1 || chs[0].Account != "a" || chs[0].Kind != proto.ChangeFriend || chs[0].Key != "b" {
		t.Fatalf("UpdateFriend: %v, %v", kindKeys(chs), err)
	}
	sameChanges(t, s, chs)
	var f proto.Friend
	decode(t, chs[0].Change, &f)
	if want := (proto.Friend{Account: "b", Alias: "Bee", ServerExt: `{"s":1}`, Time: 1000, Update: 2000}); f != want {
		t.Fatalf("the change: %+v, want %+v", f, want)
	}
	if _, err := s.UpdateFriend(ctx, "a", "b", nil, ptr(""), 3000); err != nil {
		t.Fatal(err)
	}
	if l := logOf(t, s, "b", bVer); len(l) != 0 {
		t.Errorf("b's log moved: %+v", l)
	}
	fs, err := s.Friends(ctx, "a", 2500)
	if want := []proto.Friend{{Account: "b", Alias: "Bee", Time: 1000, Update: 3000}}; err != nil || !reflect.DeepEqual(fs, want) {
		t.Fatalf("Friends since 2500: %+v, %v; want %+v", fs, err, want)
	}
	if fs, err := s.Friends(ctx, "a", 0); err != nil || len(fs) != 2 || fs[0].Account != "c" {
		t.Fatalf("Friends since 0 (by update time): %+v, %v", fs, err)
	}
	if _, err := s.UpdateFriend(ctx, "b", "c", ptr("x"), nil, 3000); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("UpdateFriend of a non-friend: %v", err)
	}
}

// SetRelation is idempotent, logs only the owner, and refuses an unknown
// account; InRelation follows it.
func testRelations(t *testing.T, s store.Store) {
	ctx := t.Context()
	users(t, s, "a", "b")
	for _, list := range []string{proto.ListBlack, proto.ListMute} {
		kind := map[string]string{proto.ListBlack: proto.ChangeBlack, proto.ListMute: proto.ChangeMute}[list]
		bVer := lastVer(t, s, "b")
		// Asked before the write too: a store that caches the answer
		// must not keep it past the write.
		if on, err := s.InRelation(ctx, "a", list, "b"); err != nil || on {
			t.Fatalf("InRelation before putting on: %v, %v", on, err)
		}
		chs, err := s.SetRelation(ctx, "a", list, "b", true, 1000)
		if err != nil || len(chs) != 1 || chs[0].Account != "a" || chs[0].Kind != kind || chs[0].Key != "b" || chs[0].Deleted {
			t.Fatalf("put b on a's %s list: %v, %v", list, kindKeys(chs), err)
		}
		sameChanges(t, s, chs)
		var r proto.Relation
		decode(t, chs[0].Change, &r)
		if r != (proto.Relation{Account: "b", Time: 1000}) {
			t.Fatalf("relation %+v", r)
		}
		if on, err := s.InRelation(ctx, "a", list, "b"); err != nil || !on {
			t.Fatalf("InRelation after putting on: %v, %v", on, err)
		}
		if on, err := s.InRelation(ctx, "b", list, "a"); err != nil || on {
			t.Fatalf("InRelation the other way: %v, %v", on, err)
		}
		if chs, err := s.SetRelation(ctx, "a", list, "b", true, 2000); err != nil || len(chs) != 0 {
			t.Fatalf("put on again: %v, %v", kindKeys(chs), err)
		}
		if l := logOf(t, s, "b", bVer); len(l) != 0 {
			t.Fatalf("b heard of it: %+v", l)
		}
		chs, err = s.SetRelation(ctx, "a", list, "b", false, 3000)
		if err != nil || len(chs) != 1 || !chs[0].Deleted || chs[0].Data != nil {
			t.Fatalf("take off: %+v, %v", chs, err)
		}
		sameChanges(t, s, chs)
		if on, err := s.InRelation(ctx, "a", list, "b"); err != nil || on {
			t.Fatalf("InRelation after taking off: %v, %v", on, err)
		}
		if chs, err := s.SetRelation(ctx, "a", list, "b", false, 4000); err != nil || len(chs) != 0 {
			t.Fatalf("take off again: %v, %v", kindKeys(chs), err)
		}
		if _, err := s.SetRelation(ctx, "a", list, "nobody", true, 4000); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("put an unknown account on: %v", err)
		}
	}
	// The lists are apart.
	if _, err := s.SetRelation(ctx, "a", proto.ListMute, "b", true, 5000); err != nil {
		t.Fatal(err)
	}
	if on, _ := s.InRelation(ctx, "a", proto.ListBlack, "b"); on {
		t.Fatal("muting blacklisted")
	}
}

// MarkNotes clamps to the newest notification, never moves down, logs one
// ChangeNotesMark, and drops the deleted notifications from the log.
func testMarkNotes(t *testing.T, s store.Store) {
	ctx := t.Context()
	users(t, s, "a", "b", "c", "d")
	var ids []int64
	for i, from := range []string{"a", "c", "d"} {
		chs, err := s.Befriend(ctx, from, "b", proto.FriendRequest, "", int64(1000+i))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, mustInt(t, chs[0].Key))
	}
	// Someone else's notification raises the store-wide counter.
	if _, err := s.Befriend(ctx, "b", "a", proto.FriendRequest, "", 2000); err != nil {
		t.Fatal(err)
	}
	mark := func(readTo, deleteTo int64, want proto.NotesMark, logged bool) {
		t.Helper()
		chs, err := s.MarkNotes(ctx, "b", readTo, deleteTo, 3000)
		if err != nil {
			t.Fatal(err)
		}
		if !logged {
			if len(chs) != 0 {
				t.Fatalf("MarkNotes(%d, %d) logged %v", readTo, deleteTo, kindKeys(chs))
			}
			return
		}
		if len(chs) != 1 || chs[0].Account != "b" || chs[0].Kind != proto.ChangeNotesMark || chs[0].Key != "" {
			t.Fatalf("MarkNotes(%d, %d): %v", readTo, deleteTo, kindKeys(chs))
		}
		sameChanges(t, s, chs)
		var got proto.NotesMark
		decode(t, chs[0].Change, &got)
		if got != want {
			t.Fatalf("MarkNotes(%d, %d) = %+v, want %+v", readTo, deleteTo, got, want)
		}
	}
	mark(ids[1], 0, proto.NotesMark{ReadTo: ids[1]}, true)
	mark(ids[0], 0, proto.NotesMark{}, false)             // never down
	mark(1<<40, 0, proto.NotesMark{ReadTo: ids[2]}, true) // clamped to b's newest, not the store's
	mark(1<<40, 0, proto.NotesMark{}, false)              // already there
	mark(0, ids[0], proto.NotesMark{ReadTo: ids[2], DeletedTo: ids[0]}, true)
	if _, ok := note(t, s, "b", proto.NoteKey(ids[0])); ok {
		t.Error("the deleted notification is still in the log")
	}
	if _, ok := note(t, s, "b", proto.NoteKey(ids[1])); !ok {
		t.Error("a notification above the delete mark left the log")
	}
	// A deleted request cannot be answered.
	if _, err := s.Befriend(ctx, "b", "a", proto.FriendAccept, "", 4000); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("accept a deleted request: %v", err)
	}
	if _, err := s.Befriend(ctx, "b", "c", proto.FriendAccept, "", 4000); err != nil {
		t.Errorf("accept a request above the delete mark: %v", err)
	}
	mark(0, 1<<40, proto.NotesMark{ReadTo: ids[2], DeletedTo: ids[2]}, true)
	if ns := notes(t, s, "b"); len(ns) != 0 {
		t.Errorf("notes left after deleting all: %+v", ns)
	}
	if ns := notes(t, s, "a"); len(ns) != 1 {
		t.Errorf("a's inbox (b's request) changed with b's: %+v", ns)
	}
	// Nothing left to mark: nothing moves, a new notification moves it on.
	mark(1<<40, 1<<40, proto.NotesMark{}, false)
	chs, err := s.Befriend(ctx, "d", "b", proto.FriendRequest, "", 5000)
	if err != nil {
		t.Fatal(err)
	}
	newest := mustInt(t, chs[len(chs)-1].Key)
	if newest <= ids[2] {
		t.Fatalf("new id %d not above %d", newest, ids[2])
	}
	mark(1<<40, 0, proto.NotesMark{ReadTo: newest, DeletedTo: ids[2]}, true)
}

// AddCustom gives one id, increasing, and logs it for each receiver once.
func testAddCustom(t *testing.T, s store.Store) {
	ctx := t.Context()
	n := proto.CustomNote{From: "app", To: "t1", ToType: proto.CustomToTeam, Content: `{"x":1}`, Time: 1000}
	got, chs, err := s.AddCustom(ctx, n, []string{"a", "b", "a"})
	if err != nil || got.ID <= 0 {
		t.Fatalf("AddCustom: %+v, %v", got, err)
	}
	key := proto.NoteKey(got.ID)
	if k := kindKeys(chs); !reflect.DeepEqual(k, []string{"a custom " + key, "b custom " + key}) {
		t.Fatalf("changes %v", k)
	}
	sameChanges(t, s, chs)
	var logged proto.CustomNote
	decode(t, chs[1].Change, &logged)
	n.ID = got.ID
	if logged != n || got != n {
		t.Fatalf("logged %+v, returned %+v, want %+v", logged, got, n)
	}
	next, _, err := s.AddCustom(ctx, n, []string{"a"})
	if err != nil || next.ID <= got.ID {
		t.Fatalf("second AddCustom: %+v, %v", next, err)
	}
	if l := logOf(t, s, "a", 0); len(l) != 2 {
		t.Fatalf("a's log: %+v", l)
	}
}

// Stored custom notifications leave the log: older than CustomKeep at a
// new one, and beyond the newest CustomKeepMax.
func testAddCustomTrim(t *testing.T, s store.Store) {
	ctx := t.Context()
	day := (24 * time.Hour).Milliseconds()
	add := func(to string, ms int64) string {
		t.Helper()
		got, _, err := s.AddCustom(ctx, proto.CustomNote{From: "app", To: to, ToType: proto.CustomToAccount, Content: "{}", Time: ms}, []string{to})
		if err != nil {
			t.Fatal(err)
		}
		return proto.ChangeCustom + " " + proto.NoteKey(got.ID)
	}
	customs := func(account string) []string {
		t.Helper()
		var keys []string
		for _, c := range changes(t, s, account, 0) {
			if c.Kind == proto.ChangeCustom {
				keys = append(keys, c.Kind+" "+c.Key)
			}
		}
		return keys
	}
	old := add("a", 1000)
	other := add("b", 1000) // b's log is b's
	week := add("a", 1000+2*day)
	if got := customs("a"); !reflect.DeepEqual(got, []string{old, week}) {
		t.Fatalf("a's customs: %v", got)
	}
	// Seven days after the first, and a moment: it goes, the one of day
	// 2 stays; b's stays (b got nothing new).
	now := add("a", 1000+store.CustomKeep.Milliseconds()+1)
	if got := customs("a"); !reflect.DeepEqual(got, []string{week, now}) {
		t.Fatalf("a's customs a week later: %v", got)
	}
	if got := customs("b"); !reflect.DeepEqual(got, []string{other}) {
		t.Fatalf("b's customs: %v", got)
	}
	// At most the newest CustomKeepMax.
	var all []string
	for i := range store.CustomKeepMax + 5 {
		all = append(all, add("c", 5000+int64(i)))
	}
	if got := customs("c"); !reflect.DeepEqual(got, all[5:]) {
		t.Fatalf("c's customs: %d, first %v; want the newest %d", len(got), got[:1], store.CustomKeepMax)
	}
}

// Friendships and profile updates at once: whichever comes first, each
// friend's log ends with the newest profile.
func testConcurrentPeople(t *testing.T, s store.Store) {
	ctx := t.Context()
	const n = 10
	acc := func(i int) string { return fmt.Sprint("u", i%n) }
	for i := range n {
		users(t, s, acc(i))
	}
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if _, err := s.Befriend(ctx, acc(i), acc(i+1), proto.FriendAdd, "", 1000); err != nil {
				t.Error(err)
			}
		})
		wg.Go(func() {
			if _, _, err := s.UpdateProfile(ctx, acc(i), proto.UpdateUserReq{Sign: ptr("s")}, 2000); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for i := range n {
		me := acc(i)
		fs := friendsOf(t, s, me)
		if len(fs) != 2 {
			t.Errorf("%s's friends: %+v", me, fs)
		}
		l := logOf(t, s, me, 0)
		for f := range fs {
			var u proto.UserInfo
			decode(t, l["user "+f], &u)
			if u.Ver != 2 || u.Sign != "s" {
				t.Errorf("%s's log has %s's profile %+v, want the updated one", me, f, u)
			}
		}
	}
}
