package server

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"unicode/utf8"

	"yunxin/internal/jx"
	"yunxin/proto"
	"yunxin/server/store"
)

// The people domain: the caller's profile, friends, the blacklist and the
// mute list, and the user search. Every write replies a proto.ChangesResp
// of the changes it appended to the caller's own log (its client applies
// them at once) and hands all of its changes to the dispatcher, which
// pushes them to every account concerned (friends, P2P partners, the
// caller's other devices), never to the requesting connection.
//
// 414 messages name the plugin doc's parameters (userId, operation,
// message, searchContent, ...), so a page's developer can map them.
func init() {
	register(proto.OpUpdateUser, opUpdateUser)
	register(proto.OpFriend, opFriend)
	register(proto.OpDeleteFriend, opDeleteFriend)
	register(proto.OpRelation, opRelation)
	register(proto.OpSearchUsers, opSearchUsers)
}

// ownChanges is the reply of a people write: the changes of changes that
// went to account's own log, in Ver order (never nil, so it encodes as []).
func ownChanges(account string, changes []store.Change) proto.ChangesResp {
	own := []proto.Change{}
	for _, ch := range changes {
		if ch.Account == account {
			own = append(own, ch.Change)
		}
	}
	slices.SortStableFunc(own, func(a, b proto.Change) int {
		switch {
		case a.Ver < b.Ver:
			return -1
		case a.Ver > b.Ver:
			return 1
		}
		return 0
	})
	return proto.ChangesResp{Changes: own}
}

// written is the result of a people write by c: its own changes as the
// reply, all of them for the dispatcher.
func (c *conn) written(changes []store.Change) result {
	return result{reply: ownChanges(c.account, changes), changes: changes}
}

// otherAccount checks the userId of a request about another account: a
// valid account id that is not the caller's.
func (c *conn) otherAccount(account string) error {
	if !proto.ValidAccount(account) {
		return errorf(proto.CodeBadParam, "userId %q is not a valid account", account)
	}
	if account == c.account {
		return errorf(proto.CodeBadParam, "userId must not be your own account")
	}
	return nil
}

// userExists fails with 404 "user not found" unless account exists.
func (s *Server) userExists(ctx context.Context, account string) error {
	_, err := s.store.User(ctx, account)
	if errors.Is(err, store.ErrNotFound) {
		return errorf(proto.CodeNotFound, "user not found: %s", account)
	}
	if err != nil {
		return fmt.Errorf("look up user %s: %w", account, err)
	}
	return nil
}

// opUpdateUser is updateMyUserInfo: the given fields of the caller's
// profile change; its friends, P2P partners and other devices get the new
// profile as a ChangeUser. An update that changes nothing (every field as
// stored) writes nothing and replies no changes. Updates are rate-limited
// per account (profileLimit: 416).
func opUpdateUser(ctx context.Context, c *conn, d jx.RawMessage) (result, error) {
	var req proto.UpdateUserReq
	if err := decode(d, &req); err != nil {
		return result{}, err
	}
	if req == (proto.UpdateUserReq{}) {
		return result{}, errorf(proto.CodeBadParam, "userInfo must set at least one field")
	}
	if field, problem := proto.UserProblem(req); field != "" {
		return result{}, errorf(proto.CodeBadParam, "userInfo.%s %s", field, problem)
	}
	// Every update fans out to all friends and P2P partners: bound them.
	now := c.s.now()
	if !c.s.profileLimit.allow(c.account, now) {
		return result{}, errorf(proto.CodeRateLimited, "too many profile updates: at most %d at once, then one per %v",
			profileUpdateBurst, profileUpdateEvery)
	}
	_, changes, err := c.s.store.UpdateProfile(ctx, c.account, req, now.UnixMilli())
	if errors.Is(err, store.ErrNotFound) {
		return result{}, errorf(proto.CodeNotFound, "user not found: %s", c.account)
	}
	if err != nil {
		return result{}, fmt.Errorf("update profile of %s: %w", c.account, err)
	}
	return c.written(changes), nil
}

// checkFriendOp validates a friend operation and its postscript (the doc's
// operation and message).
func checkFriendOp(op int, msg string) error {
	if op < proto.FriendAdd || op > proto.FriendReject {
		return errorf(proto.CodeBadParam, "operation must be 1 (add), 2 (request), 3 (accept) or 4 (reject), not %d", op)
	}
	if n := utf8.RuneCountInString(msg); n > proto.MaxFriendMsgRunes {
		return errorf(proto.CodeBadParam, "message must be at most %d characters, not %d", proto.MaxFriendMsgRunes, n)
	}
	return nil
}

// befriend runs a friend operation of from towards to (both valid, not
// the same) and maps the store's refusals to their codes.
func (s *Server) befriend(ctx context.Context, from, to string, op int, msg string) ([]store.Change, error) {
	// Look the target up first: the store's ErrNotFound also means "no
	// pending request" for accept and reject.
	if err := s.userExists(ctx, to); err != nil {
		return nil, err
	}
	changes, err := s.store.Befriend(ctx, from, to, op, msg, s.now().UnixMilli())
	switch {
	case errors.Is(err, store.ErrBlacklisted):
		return nil, errorf(proto.CodeBlacklisted, "friend request refused by the receiver's settings")
	case errors.Is(err, store.ErrNotFound) && (op == proto.FriendAccept || op == proto.FriendReject):
		return nil, errorf(proto.CodeNotFound, "no pending friend request from %s", to)
	case errors.Is(err, store.ErrNotFound):
		return nil, errorf(proto.CodeNotFound, "user not found: %s", to)
	case err != nil:
		return nil, fmt.Errorf("friend op %d of %s towards %s: %w", op, from, to, err)
	}
	return changes, nil
}

// opFriend is requestFriend: add, request, accept or reject. Requests
// are rate-limited per sender (friendLimit: 416).
func opFriend(ctx context.Context, c *conn, d jx.RawMessage) (result, error) {
	var req proto.FriendReq
	if err := decode(d, &req); err != nil {
		return result{}, err
	}
	if err := c.otherAccount(req.Account); err != nil {
		return result{}, err
	}
	if err := checkFriendOp(req.Op, req.Msg); err != nil {
		return result{}, err
	}
	// Each request lands in another account's inbox: bound them.
	if req.Op == proto.FriendRequest && !c.s.friendLimit.allow(c.account, c.s.now()) {
		return result{}, errorf(proto.CodeRateLimited, "too many friend requests: at most %d at once, then one per %v",
			friendRequestBurst, friendRequestEvery)
	}
	changes, err := c.s.befriend(ctx, c.account, req.Account, req.Op, req.Msg)
	if err != nil {
		return result{}, err
	}
	return c.written(changes), nil
}

// opDeleteFriend is deleteFriend: the friendship ends for both sides. Not
// friends: nothing changes (no error).
func opDeleteFriend(ctx context.Context, c *conn, d jx.RawMessage) (result, error) {
	var req proto.DeleteFriendReq
	if err := decode(d, &req); err != nil {
		return result{}, err
	}
	if err := c.otherAccount(req.Account); err != nil {
		return result{}, err
	}
	changes, err := c.s.store.Unfriend(ctx, c.account, req.Account, req.RemoveAlias, c.s.now().UnixMilli())
	if err != nil {
		return result{}, fmt.Errorf("unfriend %s and %s: %w", c.account, req.Account, err)
	}
	return c.written(changes), nil
}

// opRelation puts an account on or takes it off the caller's blacklist
// (addToBlackList, removeFromBlackList) or mute list (setMute). Only the
// caller's log changes: being blacklisted is not announced.
func opRelation(ctx context.Context, c *conn, d jx.RawMessage) (result, error) {
	var req proto.RelationReq
	if err := decode(d, &req); err != nil {
		return result{}, err
	}
	if req.List != proto.ListBlack && req.List != proto.ListMute {
		return result{}, errorf(proto.CodeBadParam, "list must be %q or %q, not %q", proto.ListBlack, proto.ListMute, req.List)
	}
	if err := c.otherAccount(req.Account); err != nil {
		return result{}, err
	}
	changes, err := c.s.store.SetRelation(ctx, c.account, req.List, req.Account, req.On, c.s.now().UnixMilli())
	if errors.Is(err, store.ErrNotFound) {
		return result{}, errorf(proto.CodeNotFound, "user not found: %s", req.Account)
	}
	if err != nil {
		return result{}, fmt.Errorf("set %s list of %s for %s: %w", req.List, c.account, req.Account, err)
	}
	return c.written(changes), nil
}

// opSearchUsers is searchUser over everyone (searchRange 1): one page of
// the accounts whose id and/or nickname contain the text. Matching friends'
// aliases (searchContentOption 1) is the client's: it has them.
func opSearchUsers(ctx context.Context, c *conn, d jx.RawMessage) (result, error) {
	var req proto.SearchReq
	if err := decode(d, &req); err != nil {
		return result{}, err
	}
	if n := utf8.RuneCountInString(req.Text); n == 0 || n > proto.MaxSearchRunes {
		return result{}, errorf(proto.CodeBadParam, "searchContent must be 1-%d characters", proto.MaxSearchRunes)
	}
	switch req.Fields {
	case proto.SearchID, proto.SearchNick, proto.SearchAll:
	case proto.SearchAlias:
		return result{}, errorf(proto.CodeBadParam, "searchContentOption 1 (alias) is matched by the client, not the server")
	default:
		return result{}, errorf(proto.CodeBadParam, "searchContentOption must be 0 (id), 2 (nickname) or 3 (all), not %d", req.Fields)
	}
	if req.After != "" && !proto.ValidAccount(req.After) {
		return result{}, errorf(proto.CodeBadParam, "after %q is not a valid account", req.After)
	}
	if req.Limit <= 0 || req.Limit > proto.MaxSearch {
		req.Limit = proto.MaxSearch
	}
	users, more, err := c.s.store.SearchUsers(ctx, req)
	if err != nil {
		return result{}, fmt.Errorf("search users for %s: %w", c.account, err)
	}
	// Cut the page at the byte budget too: profiles are up to a few KB
	// each, and a page must fit a frame. The client asks for the rest
	// with After = the last account.
	resp := proto.SearchResp{Users: []proto.UserInfo{}, More: more}
	var page pageBudget
	for _, u := range users {
		if !page.fits(len(resp.Users), u) {
			resp.More = true
			break
		}
		resp.Users = append(resp.Users, u)
	}
	return result{reply: resp}, nil
}
