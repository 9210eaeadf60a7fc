package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"yunxin/proto"
	"yunxin/server/store"
)

// Message implements store.Messages.
func (s *Store) Message(ctx context.Context, conv string, seq int64) (proto.Msg, error) {
	m, err := scanMsg(s.r.QueryRowContext(ctx, `SELECT `+msgCols+` FROM messages WHERE conv = ? AND seq = ?`, conv, seq))
	if errors.Is(err, sql.ErrNoRows) {
		return m, fmt.Errorf("message %d of %s: %w", seq, conv, store.ErrNotFound)
	}
	if err != nil {
		return m, fmt.Errorf("message %d of %s: %w", seq, conv, err)
	}
	return m, nil
}

// MessageByClientID implements store.Messages.
func (s *Store) MessageByClientID(ctx context.Context, conv, from, cid string) (proto.Msg, error) {
	// UNIQUE(sender, cid) finds the row; the conversation must match too.
	m, err := scanMsg(s.r.QueryRowContext(ctx, `SELECT `+msgCols+` FROM messages WHERE sender = ? AND cid = ? AND conv = ?`, from, cid, conv))
	if errors.Is(err, sql.ErrNoRows) {
		return m, fmt.Errorf("message %s/%s in %s: %w", from, cid, conv, store.ErrNotFound)
	}
	if err != nil {
		return m, fmt.Errorf("message %s/%s in %s: %w", from, cid, conv, err)
	}
	return m, nil
}

// Revoke implements store.Messages.
func (s *Store) Revoke(ctx context.Context, conv string, seq int64, by, ps string, nowMs int64) (proto.Revoke, []store.Change, error) {
	var r proto.Revoke
	var changes []store.Change
	err := s.write(ctx, func(tx *sql.Tx) error {
		var id, revokedMs int64
		err := tx.QueryRowContext(ctx, `SELECT id, chat_type, cid, sender, time_ms, revoked_ms, revoked_by, revoke_ps
			FROM messages WHERE conv = ? AND seq = ?`, conv, seq).
			Scan(&id, &r.ChatType, &r.ClientID, &r.MsgFrom, &r.MsgTime, &revokedMs, &r.By, &r.Postscript)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("no such message: %w", store.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("read message: %w", err)
		}
		r.Conv, r.Seq, r.ServerID = conv, seq, strconv.FormatInt(id, 10)
		if revokedMs > 0 {
			r.Time = revokedMs // revoked before: the stored revoke, nothing written
			return nil
		}
		r.By, r.Time, r.Postscript = by, max(nowMs, 1), ps
		_, err = tx.ExecContext(ctx, `UPDATE messages SET body = '', ext = '', revoked_ms = ?, revoked_by = ?, revoke_ps = ? WHERE id = ?`,
			r.Time, by, ps, id)
		if err != nil {
			return fmt.Errorf("mark revoked: %w", err)
		}
		members, err := convMembers(ctx, tx, conv)
		if err != nil {
			return err
		}
		data, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("encode revoke: %w", err)
		}
		key := proto.RevokeKey(conv, seq)
		changes, err = s.appendToAll(ctx, tx, members, proto.Change{Kind: proto.ChangeRevoke, Key: key, Data: data})
		return err
	})
	if err != nil {
		return proto.Revoke{}, nil, fmt.Errorf("revoke message %d of %s: %w", seq, conv, err)
	}
	return r, changes, nil
}

// convMembers lists the members of conv, in tx.
func convMembers(ctx context.Context, tx *sql.Tx, conv string) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT account FROM members WHERE conv = ? ORDER BY account`, conv)
	if err != nil {
		return nil, fmt.Errorf("members of %s: %w", conv, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var acc string
		if err := rows.Scan(&acc); err != nil {
			return nil, fmt.Errorf("members of %s: %w", conv, err)
		}
		out = append(out, acc)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("members of %s: %w", conv, err)
	}
	return out, nil
}

// The queries of History: limit + 1 rows, to know whether there are more.
const (
	historyOlderSQL = `SELECT ` + msgCols + ` FROM messages WHERE conv = ? AND seq < ? AND revoked_ms = 0 ORDER BY seq DESC LIMIT ?`
	historyNewerSQL = `SELECT ` + msgCols + ` FROM messages WHERE conv = ? AND seq > ? AND revoked_ms = 0 ORDER BY seq LIMIT ?`
)

// History implements store.Messages.
func (s *Store) History(ctx context.Context, conv string, seq int64, newer bool, limit int) ([]proto.Msg, bool, error) {
	out := []proto.Msg{}
	if limit <= 0 {
		return out, false, nil
	}
	query := historyNewerSQL
	if !newer {
		query = historyOlderSQL
		if seq <= 0 {
			seq = 1<<63 - 1 // from the newest end
		}
	}
	rows, err := s.r.QueryContext(ctx, query, conv, seq, limit+1)
	if err != nil {
		return nil, false, fmt.Errorf("history of %s: %w", conv, err)
	}
	defer rows.Close()
	for rows.Next() {
		m, err := scanMsg(rows)
		if err != nil {
			return nil, false, fmt.Errorf("history of %s: %w", conv, err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("history of %s: %w", conv, err)
	}
	more := len(out) > limit
	if more {
		out = out[:limit]
	}
	if !newer {
		slices.Reverse(out)
	}
	return out, more, nil
}
