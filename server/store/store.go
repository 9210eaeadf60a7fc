// Package store defines the storage the server's services use, split by
// domain (users, messages, conversations, the change log) and combined into
// one Store. server/sqlitestore is the default implementation; a PostgreSQL
// one can be added beside it and must pass the same conformance suite
// (server/store/storetest).
//
// The data model:
//   - A message is stored once, with a per-conversation Seq (1, 2, 3…).
//   - A conversation has one row (last seq, last time, and a stamp from a
//     store-wide counter that moves each time a message is stored) and one
//     member row per member (read mark, receipt mark). Storing a message writes
//     the message and the conversation row, never one row per member: unread
//     counts are derived from the last seq and the member's read mark.
//   - Each account has a change log: every write another device of the
//     account must learn about (read mark, receipt; later friends, teams,
//     notifications) appends a proto.Change under the account's counter, in
//     the same transaction as the write. A newer change of the same
//     (kind, key) replaces the older one.
//   - A revoked message keeps its row and Seq (so that a conversation's seqs
//     stay contiguous) but loses its body and ext; every member's log gets a
//     proto.ChangeRevoke. History leaves revoked messages out; Messages (pull)
//     returns them with Revoked set and no Body or Ext.
//   - A message keeps its sender's nickname of the moment it was stored
//     (proto.Msg.Nick): a later rename does not change it.
//   - A member row records the conversation's last seq when the account
//     deleted the conversation from its session list
//     (deleteRemoteSessions). ConvsSince leaves the conversation out until
//     a newer message arrives; the messages stay.
//   - A team (Teams) is a team row, a team member row per account that
//     ever joined it, and an ordinary conversation (proto.TeamConv) whose
//     members rows exist for its valid members only, each starting at the
//     conversation's last seq when it joined. Team changes post team
//     notification messages into that conversation and fan proto.ChangeTeam
//     out to the members' logs.
package store

import (
	"context"
	"errors"

	"yunxin/proto"
)

// Store is all the durable state of the server. Every write method is atomic
// (one transaction) and returns only after the change is durable.
type Store interface {
	Users
	Messages
	Conversations
	Changes
	People
	Teams
	TeamReceipts
	Close() error
}

// Users stores accounts.
type Users interface {
	// CreateUser inserts a new account; ErrExists if the accid is taken.
	CreateUser(ctx context.Context, u User) error
	// User returns one account; ErrNotFound if there is none.
	User(ctx context.Context, accid string) (User, error)
	// SetToken replaces an account's token hash; ErrNotFound if there is none.
	SetToken(ctx context.Context, accid string, salt, hash []byte) error
}

// Messages stores messages.
type Messages interface {
	// Send stores m (From, To, Conv, ChatType, ClientID, Type, Body, Ext and
	// FromClient set by the caller) unless (From, ClientID) is already
	// stored. It assigns ServerID, Seq = the conversation's last seq + 1,
	// Time = max(nowMs, the conversation's last time + 1) and Nick = the
	// sender's nickname at that moment ("" without a profile; whatever the
	// caller set is replaced; every read returns it), creates the
	// conversation and, for P2P, both member rows if they are missing, and
	// moves the conversation's last seq, last time and stamp, all in one
	// transaction. It returns the stored message and whether it had been
	// stored before (dup: nothing was written, the stored one is returned).
	Send(ctx context.Context, m proto.Msg, nowMs int64) (stored proto.Msg, dup bool, err error)
	// Messages returns up to limit messages of conv with Seq > after, oldest
	// first. A revoked message is among them with Revoked set and no Body
	// or Ext.
	Messages(ctx context.Context, conv string, after int64, limit int) ([]proto.Msg, error)
	// Message returns the message of conv with seq (a revoked one as
	// Messages returns it); ErrNotFound if there is none.
	Message(ctx context.Context, conv string, seq int64) (proto.Msg, error)
	// MessageByClientID returns the message of conv that from sent with
	// client id cid (a revoked one as Messages returns it); ErrNotFound if
	// there is none.
	MessageByClientID(ctx context.Context, conv, from, cid string) (proto.Msg, error)
	// Revoke revokes the message of conv with seq: by revoked it at nowMs
	// with postscript ps. It erases the message's body and ext, keeps its
	// row, and appends a proto.ChangeRevoke (Key proto.RevokeKey(conv,
	// seq), Data the returned Revoke) to the log of every member of conv,
	// in one transaction, returning those changes. Revoking a revoked
	// message writes nothing: it returns the stored Revoke and no changes.
	// The caller checks who may revoke and when. ErrNotFound if there is
	// no such message.
	Revoke(ctx context.Context, conv string, seq int64, by, ps string, nowMs int64) (proto.Revoke, []Change, error)
	// History returns up to limit messages of conv next to seq (seq itself
	// not included), revoked ones left out, in Seq order: the newest ones
	// below seq (seq 0: the newest of all) or, with newer, the oldest ones
	// above seq. more reports whether further messages (not revoked) lie
	// beyond them in that direction.
	History(ctx context.Context, conv string, seq int64, newer bool, limit int) (msgs []proto.Msg, more bool, err error)
}

// Conversations stores conversation rows and their members' marks.
type Conversations interface {
	// ConvsSince returns up to limit of account's conversations whose stamp
	// (Conv.Ver) is above since, ordered by stamp, as account sees them:
	// ReadSeq its read mark, Unread the messages from others, not revoked,
	// after it (and after the seq account deleted the conversation at),
	// PeerReadSeq/PeerReadTime the P2P peer's receipt. A conversation
	// account deleted (DeleteConvs) is left out until its last seq passes
	// the deletion's.
	ConvsSince(ctx context.Context, account string, since int64, limit int) ([]proto.Conv, error)
	// IsMember reports whether account is a member of conv.
	IsMember(ctx context.Context, account, conv string) (bool, error)
	// MarkRead moves account's read mark in conv to max(read, min(seq, last
	// seq)) and, when that moved it, appends a proto.ChangeConv change
	// (Data: the returned Conv) to account's log. It returns account's
	// Conv either way; the Change is zero (Ver 0) when the mark did not
	// move. ErrNotFound if account is not a member. A team conversation
	// account left (quit, kicked, dismissed: its TeamMember row invalid
	// with a LeftSeq) keeps its read mark: it moves up to LeftSeq (a higher
	// seq is clamped there) and the Conv is the conversation up to the
	// leave (LastSeq LeftSeq, unread counted up to it); ErrNotFound if
	// account never was a member (or LeftSeq is 0).
	MarkRead(ctx context.Context, account, conv string, seq int64) (proto.Conv, Change, error)
	// Receipt records that account has read the P2P conversation conv up to
	// min(seq, last seq) at timeMs, and appends a proto.ChangeReceipt change
	// (Data: the returned Receipt, From = account) to the log of the other
	// member, peer. Only a receipt that raises the stored one does that: for
	// any other nothing is written, the Change is zero (Ver 0) and the
	// Receipt is the stored one (its seq, time and the cid it came with).
	// ErrNotFound if account is not a member, peer is not its peer in conv,
	// or conv has no message.
	Receipt(ctx context.Context, account, peer, conv string, seq, timeMs int64, cid string) (proto.Receipt, Change, error)
	// DeleteConvs deletes convs from account's session list at nowMs, in
	// one transaction: for each conversation account is a member of it
	// records the conversation's last seq on account's member row and
	// appends a proto.ChangeConvDeleted (Key the conversation, Data a
	// proto.ConvDeleted of that seq and nowMs) to account's log; the
	// others are skipped, and so is one already deleted at its last seq
	// (nothing new to hide). It returns the appended changes. ConvsSince
	// then leaves the conversation out until a message with a higher seq
	// is stored, and Unread counts only the messages after the deletion.
	DeleteConvs(ctx context.Context, account string, convs []string, nowMs int64) ([]Change, error)
}

// Changes reads the per-account change logs (the domain stores append to
// them).
type Changes interface {
	// ChangesSince returns up to limit of account's changes with Ver above
	// since, in Ver order.
	ChangesSince(ctx context.Context, account string, since int64, limit int) ([]proto.Change, error)
}

// Change is a committed change-log entry and the account whose log holds it.
// Writes return them so the server can push them to the account's online
// connections.
type Change struct {
	Account string
	proto.Change
}

// User is a stored account. The token is kept only as
// sha256(salt || token).
type User struct {
	Accid     string
	Name      string
	Icon      string
	Salt      []byte
	TokenHash []byte
	CreatedMs int64
	// Blocked is set by People.SetBlocked (user/block): the account's
	// logins are refused (422) and searches leave it out. CreateUser
	// stores it as given.
	Blocked bool
}

// Store errors.
var (
	ErrExists   = errors.New("already exists")
	ErrNotFound = errors.New("not found")
)
