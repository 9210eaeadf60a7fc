// Package store defines the storage interface the server uses, so SQLite (server/sqlitestore)
// and later PostgreSQL are swappable without touching the services.
package store

import (
	"context"
	"errors"

	"yunxin/proto"
)

// Store is the durable state the server needs: accounts, messages and each
// account's conversation rows with its change counter. Implementations must
// make every write method atomic (one transaction) and return only after the
// change is durable. server/sqlitestore is the default implementation.
type Store interface {
	// CreateUser inserts a new account; ErrExists if the accid is taken.
	CreateUser(ctx context.Context, u User) error
	// User returns one account; ErrNotFound if there is none.
	User(ctx context.Context, accid string) (User, error)
	// SetToken replaces an account's token hash; ErrNotFound if there is none.
	SetToken(ctx context.Context, accid string, salt, hash []byte) error

	// Send stores m (From, To, Conv, ChatType, ClientID, Type, Body, Ext and
	// FromClient set by the caller) unless (From, ClientID) is already stored.
	// It assigns ServerID, Seq = the conversation's last seq + 1 and
	// Time = max(nowMs, the conversation's last time + 1), and updates the
	// conversation rows of both members in the same transaction. It returns
	// the stored message and whether it had been stored before (dup).
	Send(ctx context.Context, m proto.Msg, nowMs int64) (stored proto.Msg, dup bool, err error)

	// ConvsSince returns account's conversation rows with Ver > since and the
	// account's current change counter.
	ConvsSince(ctx context.Context, account string, since int64) ([]proto.Conv, int64, error)
	// Messages returns up to limit messages of conv with Seq > after, oldest
	// first.
	Messages(ctx context.Context, conv string, after int64, limit int) ([]proto.Msg, error)
	// MarkRead moves account's read mark in conv to max(read, min(seq, last)),
	// recounts Unread and bumps the account's counter. ErrNotFound if account
	// has no row for conv.
	MarkRead(ctx context.Context, account, conv string, seq int64) (proto.Conv, error)
	// PeerRead records on account's row for conv that its peer has read up to
	// min(seq, last seq) (never moving down) at timeMs, and bumps the account's counter.
	// ErrNotFound if account has no row for conv.
	PeerRead(ctx context.Context, account, conv string, seq, timeMs int64) (proto.Conv, error)

	Close() error
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
}

// Store errors.
var (
	ErrExists   = errors.New("already exists")
	ErrNotFound = errors.New("not found")
)
