package sqlitestore

// TEMPORARY stubs of store.People: the store helper replaces this file.

import (
	"context"
	"errors"

	"yunxin/proto"
	"yunxin/server/store"
)

var errTODO = errors.New("not implemented yet")

func (s *Store) Profiles(ctx context.Context, accounts []string) ([]proto.UserInfo, error) {
	return nil, errTODO
}
func (s *Store) UpdateProfile(ctx context.Context, account string, upd proto.UpdateUserReq, nowMs int64) (proto.UserInfo, []store.Change, error) {
	return proto.UserInfo{}, nil, errTODO
}
func (s *Store) SearchUsers(ctx context.Context, q proto.SearchReq) ([]proto.UserInfo, bool, error) {
	return nil, false, errTODO
}
func (s *Store) SetBlocked(ctx context.Context, account string, blocked bool) error { return errTODO }
func (s *Store) Befriend(ctx context.Context, from, to string, op int, msg string, nowMs int64) ([]store.Change, error) {
	return nil, errTODO
}
func (s *Store) Unfriend(ctx context.Context, account, friend string, removeAlias bool, nowMs int64) ([]store.Change, error) {
	return nil, errTODO
}
func (s *Store) UpdateFriend(ctx context.Context, account, friend string, alias, serverExt *string, nowMs int64) ([]store.Change, error) {
	return nil, errTODO
}
func (s *Store) Friends(ctx context.Context, account string, sinceMs int64) ([]proto.Friend, error) {
	return nil, errTODO
}
func (s *Store) SetRelation(ctx context.Context, owner, list, other string, on bool, nowMs int64) ([]store.Change, error) {
	return nil, errTODO
}
func (s *Store) InRelation(ctx context.Context, owner, list, other string) (bool, error) {
	return false, errTODO
}
func (s *Store) MarkNotes(ctx context.Context, account string, readTo, deleteTo int64, nowMs int64) ([]store.Change, error) {
	return nil, errTODO
}
func (s *Store) AddCustom(ctx context.Context, n proto.CustomNote, to []string) (proto.CustomNote, []store.Change, error) {
	return n, nil, errTODO
}
