package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"

	"yunxin/proto"
	"yunxin/server/store"
)

// The statements of appendChange (prepared: Store.q).
const (
	nextVerSQL = `INSERT INTO account_ver(account, ver) VALUES(?, 1)
		ON CONFLICT(account) DO UPDATE SET ver = ver + 1 RETURNING ver`
	putChangeSQL = `INSERT INTO changes(account, ver, kind, key, deleted, data) VALUES(?,?,?,?,?,?)
		ON CONFLICT(account, kind, key) DO UPDATE SET ver = excluded.ver, deleted = excluded.deleted, data = excluded.data`
)

// appendChange appends c (its Ver ignored) to account's change log in tx:
// it moves the account's counter and stores c under the new Ver, replacing
// the entry of the same (Kind, Key) if there is one. It returns the entry as
// stored.
func (s *Store) appendChange(ctx context.Context, tx *sql.Tx, account string, c proto.Change) (store.Change, error) {
	err := s.stmt(ctx, tx, s.q.nextVer).QueryRowContext(ctx, account).Scan(&c.Ver)
	if err != nil {
		return store.Change{}, fmt.Errorf("move change counter of %s: %w", account, err)
	}
	var data any // NULL when there is none
	if len(c.Data) > 0 && !c.Deleted {
		data = string(c.Data)
	} else {
		c.Data = nil
	}
	_, err = s.stmt(ctx, tx, s.q.putChange).ExecContext(ctx, account, c.Ver, c.Kind, c.Key, c.Deleted, data)
	if err != nil {
		return store.Change{}, fmt.Errorf("append %s change %q to %s: %w", c.Kind, c.Key, account, err)
	}
	return store.Change{Account: account, Change: c}, nil
}

// appendToAll appends c to the log of each of accounts in tx (an account
// listed twice gets it once) and returns the entries as stored.
func (s *Store) appendToAll(ctx context.Context, tx *sql.Tx, accounts []string, c proto.Change) ([]store.Change, error) {
	out := make([]store.Change, 0, len(accounts))
	seen := make(map[string]bool, len(accounts))
	for _, acc := range accounts {
		if seen[acc] {
			continue
		}
		seen[acc] = true
		ch, err := s.appendChange(ctx, tx, acc, c)
		if err != nil {
			return nil, err
		}
		out = append(out, ch)
	}
	return out, nil
}

// ChangesSince implements store.Changes.
func (s *Store) ChangesSince(ctx context.Context, account string, since int64, limit int) ([]proto.Change, error) {
	out := []proto.Change{}
	if limit <= 0 {
		return out, nil
	}
	rows, err := s.r.QueryContext(ctx, `SELECT ver, kind, key, deleted, data FROM changes
		WHERE account = ? AND ver > ? ORDER BY ver LIMIT ?`, account, since, limit)
	if err != nil {
		return nil, fmt.Errorf("changes of %s: %w", account, err)
	}
	defer rows.Close()
	for rows.Next() {
		var c proto.Change
		var data sql.NullString
		if err := rows.Scan(&c.Ver, &c.Kind, &c.Key, &c.Deleted, &data); err != nil {
			return nil, fmt.Errorf("changes of %s: %w", account, err)
		}
		if data.Valid {
			c.Data = []byte(data.String)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("changes of %s: %w", account, err)
	}
	return out, nil
}
