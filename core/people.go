package core

import (
	"context"
	"strings"
	"unicode/utf8"

	"yunxin/internal/jx"
	"yunxin/proto"
)

// The people domain's Client methods: profiles, friends, the blacklist and
// mute list, search, and openLocalCache. Reads come from the cache's state
// in memory (peoplestate.go) and work offline; writes go to the server,
// whose reply (the caller's own changes) is applied at once through the
// same appliers as a sync's, and reaches the account's other devices as
// pushes.

// LocalUserInfo returns account's cached profile (localUserInfo), with the
// alias of a friend; nil, nil when no profile of it is cached. Works
// offline and after OpenLocalCache.
func (c *Client) LocalUserInfo(ctx context.Context, account string) (*UserView, error) {
	if err := checkAccount("userId", account); err != nil {
		return nil, err
	}
	r, err := c.current()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := profile(r.st.lookup, account); !ok {
		return nil, nil
	}
	v := userView(r.st.lookup, account)
	return &v, nil
}

// checkAccounts checks a list of accounts, the parameter name (each
// named name[i]), and returns them without duplicates, in order.
func checkAccounts(name string, accounts []string) ([]string, error) {
	seen := make(map[string]bool, len(accounts))
	out := make([]string, 0, len(accounts))
	for i, a := range accounts {
		if err := checkAccount(name+"["+itoa(i)+"]", a); err != nil {
			return nil, err
		}
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	return out, nil
}

// FetchUserInfos fetches the profiles of up to proto.MaxUsers accounts from
// the server (fetchUserInfos) and caches them, without onUserInfoChanged.
// Accounts that do not exist are left out. 415 offline.
func (c *Client) FetchUserInfos(ctx context.Context, accounts []string) ([]UserView, error) {
	if len(accounts) > proto.MaxUsers {
		return nil, BadParam("users", MaxAccountsProblem(proto.MaxUsers))
	}
	accounts, err := checkAccounts("users", accounts)
	if err != nil {
		return nil, err
	}
	r, l, err := c.online()
	if err != nil {
		return nil, err
	}
	if err := c.fetchUsers(ctx, r, l, accounts); err != nil {
		return nil, err
	}
	return c.cachedViews(r, accounts), nil
}

// fetchUsers fetches and caches the profiles of accounts (any number: in
// requests of proto.MaxUsers, each continued from the reply's Next when
// the server cut it at its byte budget).
func (c *Client) fetchUsers(ctx context.Context, r *run, l *link, accounts []string) error {
	for len(accounts) > 0 {
		n := min(len(accounts), proto.MaxUsers)
		var resp proto.UsersResp
		if err := l.call(ctx, proto.OpUsers, &proto.UsersReq{Accounts: accounts[:n]}, &resp); err != nil {
			return err
		}
		if resp.Next > 0 && resp.Next < n {
			n = resp.Next // the rest of this request next time
		}
		accounts = accounts[n:]
		err := c.cacheFailed(r, c.change(r, func(t *tx) {
			for _, u := range resp.Users {
				if proto.ValidAccount(u.Account) {
					t.putUser(u)
				}
			}
		}))
		if err != nil {
			return err
		}
	}
	return nil
}

// cachedViews returns the views of those of accounts whose profile is
// cached, in order.
func (c *Client) cachedViews(r *run, accounts []string) []UserView {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := []UserView{}
	for _, a := range accounts {
		if _, ok := profile(r.st.lookup, a); ok {
			out = append(out, userView(r.st.lookup, a))
		}
	}
	return out
}

// MaxAccountsProblem is the problem of a list of accounts longer than max
// (fetchUserInfos' users, getUserInfoList's userIds): the one wording of
// core and jsapi, "must list at most <max> accounts".
func MaxAccountsProblem(max int) string { return "must list at most " + itoa(max) + " accounts" }

// GetUserInfoList returns the profiles of up to proto.MaxUsers accounts
// (getUserInfoList): the cached ones, and, when online, the missing ones
// fetched from the server (and cached; no onUserInfoChanged). Offline only
// the cached ones.
func (c *Client) GetUserInfoList(ctx context.Context, accounts []string) ([]UserView, error) {
	if len(accounts) > proto.MaxUsers {
		return nil, BadParam("userIds", MaxAccountsProblem(proto.MaxUsers))
	}
	accounts, err := checkAccounts("userIds", accounts)
	if err != nil {
		return nil, err
	}
	r, err := c.current()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	var missing []string
	for _, a := range accounts {
		if _, ok := profile(r.st.lookup, a); !ok {
			missing = append(missing, a)
		}
	}
	c.mu.Unlock()
	if len(missing) > 0 {
		if _, l, err := c.online(); err == nil {
			if err := c.fetchUsers(ctx, r, l, missing); err != nil && !isNetwork(err) {
				return nil, err
			}
		}
	}
	return c.cachedViews(r, accounts), nil
}

// afterPeopleSync ends a sync's people part: it sends the inbox marks set
// while offline (sendUnsentNotesMark) and fetches the account's own profile
// when none is cached yet (a new device of an account whose profile never
// changed: the log has no ChangeUser of it), so that its messages carry
// its nickname (senderName). A network failure fails the sync; another
// one is logged.
func (c *Client) afterPeopleSync(r *run, l *link) error {
	if err := c.sendUnsentNotesMark(r, l); err != nil {
		return err
	}
	c.mu.Lock()
	_, cached := profile(r.st.lookup, r.account)
	c.mu.Unlock()
	if cached {
		return nil
	}
	err := c.fetchUsers(r.ctx, r, l, []string{r.account})
	if err != nil && !isNetwork(err) {
		c.logf("cannot fetch the own profile: " + err.Error())
		return nil
	}
	return err
}

// UpdateMyUserInfo changes the logged-in account's profile
// (updateMyUserInfo): the fields given, checked as the server checks them
// (proto.UserProblem; 414 naming userInfo.<field>). The new profile is
// cached at once; the account's other devices, its friends and chat
// partners hear onUserInfoChanged (this device does not). 415 offline.
func (c *Client) UpdateMyUserInfo(ctx context.Context, u UserUpdate) error {
	req := proto.UpdateUserReq{Name: u.NickName, Icon: u.Avatar, Sign: u.Sign, Gender: u.Gender, Email: u.Email,
		Birth: u.Birth, Mobile: u.Mobile, Ext: u.Ext}
	if req == (proto.UpdateUserReq{}) {
		return BadParam("userInfo", "must give at least one field to change")
	}
	if field, problem := proto.UserProblem(req); field != "" {
		return BadParam("userInfo."+field, problem)
	}
	r, l, err := c.online()
	if err != nil {
		return err
	}
	var resp proto.ChangesResp
	if err := l.call(ctx, proto.OpUpdateUser, &req, &resp); err != nil {
		return err
	}
	own := func(e Event) bool {
		fe, ok := e.Data.(FriendEvent)
		return ok && fe.EventType == evUserInfoChanged && fe.User != nil && fe.User.UserID == r.account
	}
	return c.applyReply(r, resp.Changes, own)
}

// applyReply applies the changes a people write returned (the caller's
// own, in Ver order) in one tx, moving the change-log cursor over them
// where they follow it, as pushes do. Events for which drop says so are
// not emitted.
func (c *Client) applyReply(r *run, changes []proto.Change, drop func(Event) bool) error {
	return c.cacheFailed(r, c.change(r, func(t *tx) {
		for _, ch := range changes {
			t.applyChange(ch)
			if m := t.getMeta(); ch.Ver == m.Ver+1 {
				m.Ver = ch.Ver
				t.setMeta(m)
			}
		}
		if drop == nil {
			return
		}
		kept := t.events[:0:0]
		for _, e := range t.events {
			if !drop(e) {
				kept = append(kept, e)
			}
		}
		t.events = kept
	}))
}

// write sends a people write op and applies its reply.
func (c *Client) write(ctx context.Context, op string, req jx.Value) error {
	r, l, err := c.online()
	if err != nil {
		return err
	}
	var resp proto.ChangesResp
	if err := l.call(ctx, op, req, &resp); err != nil {
		return err
	}
	return c.applyReply(r, resp.Changes, nil)
}

// checkOther checks userId of a friend or relation write: a valid account
// that is not the logged-in one.
func (c *Client) checkOther(account string) error {
	if err := checkAccount("userId", account); err != nil {
		return err
	}
	if account == c.CurrentAccount() {
		return BadParam("userId", "must not be your own account")
	}
	return nil
}

// OpenLocalCache opens account's cache without connecting
// (openLocalCache): whatever was cached (sessions, messages, profiles,
// friends, notifications) is readable, IsLogined stays false, and what
// needs the server answers 415 "not logged in". It ends the current login,
// if any; Login or AutoLogin replace it, Logout closes it.
func (c *Client) OpenLocalCache(ctx context.Context, account string) error {
	if err := checkAccount("account", account); err != nil {
		return err
	}
	_, err := c.startRun(ctx, account, "", nil, true)
	return err
}

// MyFriends lists the friends (myFriends) with their cached profiles, by
// account. Works offline.
func (c *Client) MyFriends(ctx context.Context) ([]UserView, error) {
	return c.listOf(proto.ChangeFriend)
}

// listOf returns the views of the accounts of the live records of kind.
func (c *Client) listOf(kind string) ([]UserView, error) {
	r, err := c.current()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	out := []UserView{}
	for _, a := range r.st.keys(kind) {
		out = append(out, userView(r.st.lookup, a))
	}
	return out, nil
}

// has reports whether account has a live record of kind.
func (c *Client) has(kind, account string) (bool, error) {
	if err := checkAccount("userId", account); err != nil {
		return false, err
	}
	r, err := c.current()
	if err != nil {
		return false, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := r.st.records[RecordKey{kind, account}]
	return ok, nil
}

// RequestFriend does a friend operation with account (requestFriend): op
// proto.FriendAdd (become friends at once), FriendRequest (ask: the
// account's inbox gets a notification), FriendAccept or FriendReject (of
// its pending request; 404 when there is none); msg is the postscript (≤
// proto.MaxFriendMsgRunes characters). 7101 when account has this one on
// its blacklist. 415 offline.
func (c *Client) RequestFriend(ctx context.Context, account string, op int, msg string) error {
	if err := c.checkOther(account); err != nil {
		return err
	}
	if op < proto.FriendAdd || op > proto.FriendReject {
		return BadParam("operation", "must be 1 (add), 2 (request), 3 (accept) or 4 (reject)")
	}
	if utf8.RuneCountInString(msg) > proto.MaxFriendMsgRunes {
		return BadParam("message", "must be at most "+itoa(proto.MaxFriendMsgRunes)+" characters")
	}
	return c.write(ctx, proto.OpFriend, &proto.FriendReq{Account: account, Op: op, Msg: msg})
}

// DeleteFriend ends the friendship with account, for both (deleteFriend);
// removeAlias also forgets this account's alias of it. 415 offline.
func (c *Client) DeleteFriend(ctx context.Context, account string, removeAlias bool) error {
	if err := c.checkOther(account); err != nil {
		return err
	}
	return c.write(ctx, proto.OpDeleteFriend, &proto.DeleteFriendReq{Account: account, RemoveAlias: removeAlias})
}

// IsMyFriend reports whether account is a friend (isMyFriend), from the
// cache.
func (c *Client) IsMyFriend(ctx context.Context, account string) (bool, error) {
	return c.has(proto.ChangeFriend, account)
}

// MyBlackList lists the blacklist (myBlackList), from the cache.
func (c *Client) MyBlackList(ctx context.Context) ([]UserView, error) {
	return c.listOf(proto.ChangeBlack)
}

// SetBlackList puts account on (on) or takes it off the blacklist
// (addToBlackList, removeFromBlackList), on every device
// (onBlackListChanged). A blacklisted account's messages and friend
// requests are refused with 7101. 415 offline.
func (c *Client) SetBlackList(ctx context.Context, account string, on bool) error {
	if err := c.checkOther(account); err != nil {
		return err
	}
	return c.write(ctx, proto.OpRelation, &proto.RelationReq{List: proto.ListBlack, Account: account, On: on})
}

// IsUserInBlackList reports whether account is on the blacklist
// (isUserInBlackList), from the cache.
func (c *Client) IsUserInBlackList(ctx context.Context, account string) (bool, error) {
	return c.has(proto.ChangeBlack, account)
}

// MyMuteUserList lists the mute list (myMuteUserList), from the cache.
func (c *Client) MyMuteUserList(ctx context.Context) ([]UserView, error) {
	return c.listOf(proto.ChangeMute)
}

// SetMute mutes (on) or unmutes account (setMute), on every device
// (onMuteListChanged). 415 offline.
func (c *Client) SetMute(ctx context.Context, account string, on bool) error {
	if err := c.checkOther(account); err != nil {
		return err
	}
	return c.write(ctx, proto.OpRelation, &proto.RelationReq{List: proto.ListMute, Account: account, On: on})
}

// IsMute reports whether account is muted (isMute), from the cache.
func (c *Client) IsMute(ctx context.Context, account string) (bool, error) {
	return c.has(proto.ChangeMute, account)
}

// SearchUser searches users (searchUser). Range 0 searches the friends in
// the cache (works offline); range 1 everyone: by alias (option 1) that is
// the friends too, otherwise the server matches ids and/or nicknames (one
// page of proto.MaxSearch, by account), and option 3 adds the friends whose
// alias matches. Text is matched as a substring, ignoring case with
// IgnoreCase.
func (c *Client) SearchUser(ctx context.Context, p SearchParams) ([]UserView, error) {
	if strings.TrimSpace(p.Text) == "" {
		return nil, BadParam("searchContent", "must not be empty")
	}
	if utf8.RuneCountInString(p.Text) > proto.MaxSearchRunes {
		return nil, BadParam("searchContent", "must be at most "+itoa(proto.MaxSearchRunes)+" characters")
	}
	if p.Range != 0 && p.Range != 1 {
		return nil, BadParam("searchRange", "must be 0 (friends) or 1 (everyone)")
	}
	if p.Option < proto.SearchID || p.Option > proto.SearchAll {
		return nil, BadParam("searchContentOption", "must be 0 (id), 1 (alias), 2 (nickname) or 3 (all)")
	}
	if p.Range == 0 || p.Option == proto.SearchAlias {
		r, err := c.current()
		if err != nil {
			return nil, err
		}
		return c.searchFriends(r, p, p.Option), nil
	}
	r, l, err := c.online()
	if err != nil {
		return nil, err
	}
	var resp proto.SearchResp
	req := proto.SearchReq{Text: p.Text, Fields: p.Option, IgnoreCase: p.IgnoreCase, Limit: proto.MaxSearch}
	if err := l.call(ctx, proto.OpSearchUsers, &req, &resp); err != nil {
		return nil, err
	}
	c.mu.Lock()
	out := make([]UserView, 0, len(resp.Users))
	seen := map[string]bool{}
	for _, u := range resp.Users {
		if !proto.ValidAccount(u.Account) || seen[u.Account] {
			continue
		}
		seen[u.Account] = true
		v := userView(r.st.lookup, u.Account)
		v.UserInfo = infoView(u) // the server's, as found
		out = append(out, v)
	}
	c.mu.Unlock()
	if p.Option == proto.SearchAll {
		for _, v := range c.searchFriends(r, p, proto.SearchAlias) {
			if !seen[v.UserID] {
				out = append(out, v)
			}
		}
	}
	return out, nil
}

// searchFriends returns the friends matching p.Text by option, by account.
func (c *Client) searchFriends(r *run, p SearchParams, option int) []UserView {
	text := p.Text
	if p.IgnoreCase {
		text = strings.ToLower(text)
	}
	match := func(s string) bool {
		if p.IgnoreCase {
			s = strings.ToLower(s)
		}
		return s != "" && strings.Contains(s, text)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	out := []UserView{}
	for _, a := range r.st.keys(proto.ChangeFriend) {
		v := userView(r.st.lookup, a)
		nick := ""
		if v.UserInfo != nil {
			nick = v.UserInfo.NickName
		}
		ok := false
		switch option {
		case proto.SearchID:
			ok = match(a)
		case proto.SearchAlias:
			ok = match(v.Alias)
		case proto.SearchNick:
			ok = match(nick)
		case proto.SearchAll:
			ok = match(a) || match(v.Alias) || match(nick)
		}
		if ok {
			out = append(out, v)
		}
	}
	return out
}
