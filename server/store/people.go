package store

import (
	"context"
	"errors"
	"time"

	"yunxin/proto"
)

// People stores profiles, friendships, the blacklist and mute list, system
// notifications and stored custom notifications. Every write is one
// transaction that also appends its changes to the change logs of the
// accounts concerned (proto.Change* of people.go) and returns them, so the
// server can push them.
//
// The data model:
//   - A profile is the users row (name, icon, sign, gender, email, birth,
//     mobile, ext) with a version (Ver: 1 at creation, +1 per update) and
//     the time of its last update.
//   - A friendship is two rows, one per side (owner, friend), each with
//     the owner's alias, ext and serverExt of the friend. Deleting it keeps
//     a side's row (not a friend any more) when its alias is kept.
//   - The blacklist and the mute list are rows (owner, account, time).
//   - A system notification is a row of its receiver's inbox with an id
//     from a store-wide counter; the inbox has a read mark and a delete
//     mark (ids).
type People interface {
	// Profiles returns the profiles of the accounts that exist, in the
	// order asked (duplicates once, unknown ones left out).
	Profiles(ctx context.Context, accounts []string) ([]proto.UserInfo, error)
	// UpdateProfile applies upd (nil fields unchanged) to account's
	// profile at nowMs, raises its Ver and appends a proto.ChangeUser
	// (Data the new profile) to the logs of account, its friends and the
	// accounts it shares a P2P conversation with. An upd that changes
	// nothing (every field it sets already has that value; no field set)
	// writes nothing: it returns the profile as stored and no changes.
	// ErrNotFound if there is no such account. The caller has checked upd
	// (proto.UserProblem).
	UpdateProfile(ctx context.Context, account string, upd proto.UpdateUserReq, nowMs int64) (proto.UserInfo, []Change, error)
	// SearchUsers returns a page of accounts matching q (see
	// proto.SearchReq; q.Limit already clamped to 1…proto.MaxSearch)
	// ordered by account, and whether more follow.
	SearchUsers(ctx context.Context, q proto.SearchReq) ([]proto.UserInfo, bool, error)
	// SetBlocked blocks or unblocks an account (user/block): a blocked one
	// cannot log in. ErrNotFound if there is no such account.
	SetBlocked(ctx context.Context, account string, blocked bool) error

	// Befriend does op (proto.FriendAdd…FriendReject) by from towards to at
	// nowMs, with the postscript msg:
	//   - FriendAdd: both become friends (a proto.ChangeFriend in each
	//     log, and each gets the other's proto.ChangeUser) and to's inbox
	//     gets a proto.NoteFriend notification with Op FriendAdd.
	//   - FriendRequest: to's inbox gets a notification with Op
	//     FriendRequest and Status NoteUntreated. While an untreated
	//     request from from is in to's inbox, a new one updates it in
	//     place instead (same id, the new Ps and Time, still untreated; its
	//     ChangeNote again), so repeated requests take one row. Already
	//     friends: nothing is written.
	//   - FriendAccept / FriendReject: the newest untreated FriendRequest
	//     notification from to in from's inbox gets Status NotePassed /
	//     NoteDeclined (its ChangeNote again; a deleted request cannot be
	//     answered); Accept makes them friends as FriendAdd does; to's
	//     inbox gets a notification with Op FriendAccept / FriendReject.
	//     ErrNotFound when there is no such pending request.
	// ErrBlacklisted when to has from on its blacklist (Add, Request,
	// Accept); ErrNotFound when to does not exist. It returns every change
	// appended, of both logs.
	Befriend(ctx context.Context, from, to string, op int, msg string, nowMs int64) ([]Change, error)
	// Unfriend ends the friendship of account and friend for both sides
	// (a deleted proto.ChangeFriend in each log of a side that was a
	// friend). removeAlias also clears account's alias of friend; the
	// other side keeps its alias. Not friends: nothing is written.
	Unfriend(ctx context.Context, account, friend string, removeAlias bool, nowMs int64) ([]Change, error)
	// UpdateFriend sets account's alias and/or serverExt of its friend
	// (nil unchanged) and appends the proto.ChangeFriend to account's log.
	// ErrNotFound when they are not friends.
	UpdateFriend(ctx context.Context, account, friend string, alias, serverExt *string, nowMs int64) ([]Change, error)
	// Friends returns account's friends whose row changed after sinceMs,
	// by update time (friend/get).
	Friends(ctx context.Context, account string, sinceMs int64) ([]proto.Friend, error)
	// SetRelation puts other on (on) or takes it off owner's list
	// (proto.ListBlack or ListMute) at nowMs, appending the proto.ChangeBlack
	// or ChangeMute to owner's log. No change (already so): nothing is
	// written. ErrNotFound when other does not exist (putting it on).
	SetRelation(ctx context.Context, owner, list, other string, on bool, nowMs int64) ([]Change, error)
	// InRelation reports whether owner has other on its list.
	InRelation(ctx context.Context, owner, list, other string) (bool, error)

	// MarkNotes moves account's inbox read mark up to readTo and its
	// delete mark up to deleteTo (each clamped to the newest notification
	// of the inbox, never moved down; 0 leaves it), appending one
	// proto.ChangeNotesMark when either moved; the proto.ChangeNote entries
	// of deleted notifications may leave the log.
	MarkNotes(ctx context.Context, account string, readTo, deleteTo int64, nowMs int64) ([]Change, error)
	// AddCustom stores a custom notification for offline delivery to each
	// account of to (already resolved: a team's members) with a new id,
	// appending a proto.ChangeCustom to each one's log. Stored custom
	// notifications do not stay forever: at each one, a receiver's
	// ChangeCustom entries older than CustomKeep before n.Time leave its
	// log, and all but its newest CustomKeepMax.
	AddCustom(ctx context.Context, n proto.CustomNote, to []string) (proto.CustomNote, []Change, error)
}

// How long and how many stored custom notifications (AddCustom) an
// account's log keeps, as NetEase keeps offline custom notifications for a
// limited time.
const (
	CustomKeep    = 7 * 24 * time.Hour
	CustomKeepMax = 100
)

// ErrBlacklisted: the other account has this one on its blacklist.
var ErrBlacklisted = errors.New("blacklisted")
