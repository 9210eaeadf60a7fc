package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"yunxin/server/store"
)

// CreateUser implements store.Users.
func (s *Store) CreateUser(ctx context.Context, u store.User) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO users(accid, name, icon, salt, token_hash, created_ms, ver, updated_ms, blocked)
			VALUES(?,?,?,?,?,?,1,?,?)`,
			u.Accid, u.Name, u.Icon, u.Salt, u.TokenHash, u.CreatedMs, u.CreatedMs, u.Blocked)
		if isUnique(err) {
			return fmt.Errorf("create user %q: %w", u.Accid, store.ErrExists)
		}
		if err != nil {
			return fmt.Errorf("create user %q: %w", u.Accid, err)
		}
		return nil
	})
}

// User implements store.Users.
func (s *Store) User(ctx context.Context, accid string) (store.User, error) {
	u := store.User{Accid: accid}
	err := s.rq.user.QueryRowContext(ctx, accid).
		Scan(&u.Name, &u.Icon, &u.Salt, &u.TokenHash, &u.CreatedMs, &u.Blocked)
	if errors.Is(err, sql.ErrNoRows) {
		return u, fmt.Errorf("user %q: %w", accid, store.ErrNotFound)
	}
	if err != nil {
		return u, fmt.Errorf("user %q: %w", accid, err)
	}
	return u, nil
}

// SetToken implements store.Users.
func (s *Store) SetToken(ctx context.Context, accid string, salt, hash []byte) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET salt = ?, token_hash = ? WHERE accid = ?`, salt, hash, accid)
		if err != nil {
			return fmt.Errorf("set token of %q: %w", accid, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("set token of %q: %w", accid, err)
		} else if n == 0 {
			return fmt.Errorf("set token of %q: %w", accid, store.ErrNotFound)
		}
		return nil
	})
}
