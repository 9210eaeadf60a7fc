package core

import (
	"sort"

	"yunxin/internal/jx"
	"yunxin/proto"
)

// The people domain's state: profiles ("user" records), friends
// ("friend"), the blacklist ("black") and the mute list ("mute"), kept as
// domain records (Cache Records, state.records) and fed by the change log
// (sync pages, pushes, and the replies of this client's own writes).
//
// A "user" record's Ver is the profile's own version (proto.UserInfo.Ver),
// not the change-log ver, so that a profile fetched (fetchUserInfos) and
// one from the log compare: the newer profile wins in memory and in the
// cache. The other kinds carry the ver of the change they came from; a
// deleted change leaves a tombstone.

func init() {
	registerChange(proto.ChangeUser, applyUserChange)
	registerChange(proto.ChangeFriend, applyFriendChange)
	registerChange(proto.ChangeBlack, relationApplier(proto.ChangeBlack))
	registerChange(proto.ChangeMute, relationApplier(proto.ChangeMute))
}

// Friend listener event kinds (addFriendListen's eventType).
const (
	evFriendChanged    = "onFriendChanged"
	evBlackListChanged = "onBlackListChanged"
	evMuteListChanged  = "onMuteListChanged"
	evUserInfoChanged  = "onUserInfoChanged"
)

// lookup finds a live domain record: tx.record while a change is staged,
// state.lookup for reads.
type lookup func(RecordKey) (Record, bool)

// lookup returns the live record of k installed in st.
func (st *state) lookup(k RecordKey) (Record, bool) {
	rec, ok := st.records[k]
	return rec, ok
}

// keys returns the keys of st's live records of kind, sorted.
func (st *state) keys(kind string) []string {
	var out []string
	for k := range st.records {
		if k.Kind == kind {
			out = append(out, k.Key)
		}
	}
	sortStrings(out)
	return out
}

// profile returns the cached profile of account.
func profile(get lookup, account string) (proto.UserInfo, bool) {
	rec, ok := get(RecordKey{proto.ChangeUser, account})
	if !ok {
		return proto.UserInfo{}, false
	}
	var u proto.UserInfo
	if jx.Unmarshal(rec.Data, &u) != nil {
		return proto.UserInfo{}, false
	}
	return u, true
}

// friendOf returns the friend record of account.
func friendOf(get lookup, account string) (proto.Friend, bool) {
	rec, ok := get(RecordKey{proto.ChangeFriend, account})
	if !ok {
		return proto.Friend{}, false
	}
	var f proto.Friend
	if jx.Unmarshal(rec.Data, &f) != nil {
		return proto.Friend{}, false
	}
	return f, true
}

// userView is the doc's 用户信息 of account: its cached profile (UserInfo
// nil when none is cached) and, for a friend, the alias and exts.
func userView(get lookup, account string) UserView {
	v := UserView{UserID: account}
	if u, ok := profile(get, account); ok {
		v.UserInfo = infoView(u)
	}
	if f, ok := friendOf(get, account); ok {
		v.Alias, v.Ext, v.ServerExt = f.Alias, f.Ext, f.ServerExt
	}
	return v
}

// infoView is the doc's userInfo of profile u. There is no thumbnail
// service: thumbAvatarUrl is the avatar's url too.
func infoView(u proto.UserInfo) *UserInfoView {
	return &UserInfoView{NickName: u.Name, AvatarURL: u.Icon, ThumbAvatarURL: u.Icon, Sign: u.Sign, Gender: u.Gender,
		Email: u.Email, Birth: u.Birth, Mobile: u.Mobile, Ext: u.Ext}
}

// nickOf returns account's cached nickname in run r ("" when unknown).
func (c *Client) nickOf(r *run, account string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	u, _ := profile(r.st.lookup, account)
	return u.Name
}

// newer reports whether the live record of k, as t sees it, comes from a
// change later than the one being applied: an older change (a sync paging
// over what a push brought) must not undo it.
func (t *tx) newer(k RecordKey) bool {
	rec, ok := t.record(k)
	return ok && rec.Ver > t.ver
}

// putUser stages profile u as account u.Account's "user" record (Ver: the
// profile's), unless the cached one is newer or the same. It reports
// whether it staged anything.
func (t *tx) putUser(u proto.UserInfo) bool {
	k := RecordKey{proto.ChangeUser, u.Account}
	ver := max(u.Ver, 1)
	if old, ok := t.record(k); ok {
		if old.Ver > ver {
			return false
		}
		var ou proto.UserInfo
		if jx.Unmarshal(old.Data, &ou) == nil && ou == u {
			return false
		}
	}
	data, _ := jx.Marshal(&u)
	t.putRecord(Record{Kind: k.Kind, Key: k.Key, Ver: ver, Data: data})
	return true
}

// friendEvent stages a friend listener event about record k.
func (t *tx) friendEvent(k RecordKey, e FriendEvent) {
	t.events = append(t.events, Event{Kind: EventFriend, Data: e, rec: k})
}

// refreshViews rebuilds the views of account in the friend events of
// events (staged, not emitted yet) from get: a profile applied after the
// friendship in the same tx (a new friend's ChangeUser) shows in its
// onFriendChanged.
func refreshViews(events []Event, get lookup, account string) {
	for i, e := range events {
		fe, ok := e.Data.(FriendEvent)
		if !ok {
			continue
		}
		changed := false
		if fe.User != nil && fe.User.UserID == account {
			v := userView(get, account)
			fe.User, changed = &v, true
		}
		for j := range fe.ChangeUser { // staged only: not shared with anyone yet
			if fe.ChangeUser[j].UserID == account {
				fe.ChangeUser[j], changed = userView(get, account), true
			}
		}
		if changed {
			events[i].Data = fe
		}
	}
}

// movedRecord is a record a commit staged of which the cache kept another
// one (another tab's newer change): prev is the live record installed
// before (nil: none), now the one kept and installed.
type movedRecord struct {
	k    RecordKey
	prev *Record
	now  Record
}

// settle returns events without those tied to the moved records, plus
// what changed for the page between each one's prev and now
// (settledEvent), once they are installed in st.
func (st *state) settle(events []Event, moved []movedRecord) []Event {
	drop := make(map[RecordKey]bool, len(moved))
	for _, m := range moved {
		drop[m.k] = true
	}
	out := make([]Event, 0, len(events))
	for _, e := range events {
		if e.rec.Kind == "" || !drop[e.rec] {
			out = append(out, e)
		}
	}
	sort.Slice(moved, func(i, j int) bool {
		a, b := moved[i].k, moved[j].k
		return a.Kind < b.Kind || a.Kind == b.Kind && a.Key < b.Key
	})
	for _, m := range moved {
		if e, ok := st.settledEvent(m); ok {
			out = append(out, e)
		}
	}
	for _, m := range moved {
		if m.k.Kind == proto.ChangeUser {
			refreshViews(out, st.lookup, m.k.Key)
		}
	}
	return out
}

// settledEvent is the event that tells the page what changed between a
// moved record's prev and now (installed in st), if anything: a profile
// changed, a friendship began, changed or ended, an account went on or off
// the blacklist or mute list, a notification arrived. (The unread count is
// reported by the commit.)
func (st *state) settledEvent(m movedRecord) (Event, bool) {
	was, is := m.prev != nil, !m.now.Deleted
	same := was && is && string(m.prev.Data) == string(m.now.Data)
	account := m.k.Key
	switch m.k.Kind {
	case proto.ChangeUser:
		if is && !same {
			v := userView(st.lookup, account)
			return Event{Kind: EventFriend, Data: FriendEvent{EventType: evUserInfoChanged, User: &v, ChangeUser: []UserView{v}}, rec: m.k}, true
		}
	case proto.ChangeFriend:
		v := userView(st.lookup, account)
		switch {
		case was && !is:
			return Event{Kind: EventFriend, Data: FriendEvent{EventType: evFriendChanged, User: &v, RemoveUser: []string{account}}, rec: m.k}, true
		case is && !same:
			return Event{Kind: EventFriend, Data: FriendEvent{EventType: evFriendChanged, User: &v, ChangeUser: []UserView{v}, AddUser: []string{account}}, rec: m.k}, true
		}
	case proto.ChangeBlack, proto.ChangeMute:
		if was != is {
			return relationEvent(st.lookup, m.k.Kind, account, is), true
		}
	case proto.ChangeTeam, recMember:
		return st.settledTeamEvent(m)
	case proto.ChangeNote:
		var n proto.SysNote
		if !was && is && jx.Unmarshal(m.now.Data, &n) == nil {
			n.ID = noteID(account)
			return receiveEvent(n, st.inbox.mark, st.inbox.unread), true
		}
	}
	return Event{}, false
}

// applyUserChange applies a ChangeUser: account Key's profile, newer than
// the cached one, or a first one; onUserInfoChanged when it changed.
func applyUserChange(t *tx, ch proto.Change) error {
	if ch.Deleted {
		return nil // profiles are never deleted
	}
	var u proto.UserInfo
	if err := decode(ch, &u); err != nil {
		return err
	}
	if u.Account == "" {
		u.Account = ch.Key
	}
	if !proto.ValidAccount(u.Account) {
		return Errf(proto.CodeBadParam, "bad account "+u.Account)
	}
	if !t.putUser(u) {
		return nil
	}
	refreshViews(t.events, t.record, u.Account)
	v := userView(t.record, u.Account)
	t.friendEvent(RecordKey{proto.ChangeUser, u.Account}, FriendEvent{EventType: evUserInfoChanged, User: &v, ChangeUser: []UserView{v}})
	return nil
}

// applyFriendChange applies a ChangeFriend: account Key became a friend or
// its alias or exts changed (onFriendChanged with changeUser and addUser),
// or, deleted, is no friend any more (onFriendChanged with removeUser).
func applyFriendChange(t *tx, ch proto.Change) error {
	if !proto.ValidAccount(ch.Key) {
		return Errf(proto.CodeBadParam, "bad account "+ch.Key)
	}
	k := RecordKey{proto.ChangeFriend, ch.Key}
	if t.newer(k) {
		return nil
	}
	old, was := friendOf(t.record, ch.Key)
	if ch.Deleted {
		t.deleteRecord(k)
		if was {
			v := userView(t.record, ch.Key)
			t.friendEvent(k, FriendEvent{EventType: evFriendChanged, User: &v, RemoveUser: []string{ch.Key}})
		}
		return nil
	}
	var f proto.Friend
	if err := decode(ch, &f); err != nil {
		return err
	}
	f.Account = ch.Key
	if was && old == f {
		return nil
	}
	data, _ := jx.Marshal(&f)
	t.putRecord(Record{Kind: k.Kind, Key: k.Key, Data: data})
	v := userView(t.record, ch.Key)
	t.friendEvent(k, FriendEvent{EventType: evFriendChanged, User: &v, ChangeUser: []UserView{v}, AddUser: []string{ch.Key}})
	return nil
}

// relationApplier returns the applier of ChangeBlack or ChangeMute (kind):
// account Key is on the list, or, deleted, taken off it;
// onBlackListChanged (addUser / removeUser) or onMuteListChanged (muteUser,
// mute) when that changed.
func relationApplier(kind string) changeApplier {
	return func(t *tx, ch proto.Change) error {
		if !proto.ValidAccount(ch.Key) {
			return Errf(proto.CodeBadParam, "bad account "+ch.Key)
		}
		k := RecordKey{kind, ch.Key}
		if t.newer(k) {
			return nil
		}
		_, was := t.record(k)
		if ch.Deleted {
			t.deleteRecord(k)
			if was {
				t.events = append(t.events, relationEvent(t.record, kind, ch.Key, false))
			}
			return nil
		}
		var rel proto.Relation
		if err := decode(ch, &rel); err != nil {
			return err
		}
		rel.Account = ch.Key
		data, _ := jx.Marshal(&rel)
		t.putRecord(Record{Kind: kind, Key: ch.Key, Data: data})
		if !was {
			t.events = append(t.events, relationEvent(t.record, kind, ch.Key, true))
		}
		return nil
	}
}

// relationEvent is the event of account going on (on) or off the
// blacklist or the mute list (kind), tied to its record; views from get.
func relationEvent(get lookup, kind, account string, on bool) Event {
	v := userView(get, account)
	e := FriendEvent{User: &v}
	switch kind {
	case proto.ChangeBlack:
		e.EventType = evBlackListChanged
		if on {
			e.AddUser = []string{account}
		} else {
			e.RemoveUser = []string{account}
		}
	case proto.ChangeMute:
		e.EventType, e.MuteUser, e.Mute = evMuteListChanged, account, &on
	}
	return Event{Kind: EventFriend, Data: e, rec: RecordKey{kind, account}}
}
