package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"yunxin/proto"
	"yunxin/server/store"
)

// DeleteConvs implements store.Conversations.
func (s *Store) DeleteConvs(ctx context.Context, account string, convs []string, nowMs int64) ([]store.Change, error) {
	var changes []store.Change
	err := s.write(ctx, func(tx *sql.Tx) error {
		done := make(map[string]bool, len(convs))
		for _, conv := range convs {
			if done[conv] {
				continue
			}
			done[conv] = true
			var deleted int64
			var last sql.NullInt64
			err := tx.QueryRowContext(ctx, `SELECT m.deleted_seq, c.last_seq FROM members m LEFT JOIN conversations c ON c.conv = m.conv
				WHERE m.account = ? AND m.conv = ?`, account, conv).Scan(&deleted, &last)
			if errors.Is(err, sql.ErrNoRows) {
				continue // not a member: skipped
			}
			if err != nil {
				return fmt.Errorf("read member of %s: %w", conv, err)
			}
			if last.Int64 <= deleted {
				continue // deleted at its last seq already
			}
			_, err = tx.ExecContext(ctx, `UPDATE members SET deleted_seq = ? WHERE account = ? AND conv = ?`, last.Int64, account, conv)
			if err != nil {
				return fmt.Errorf("mark %s deleted: %w", conv, err)
			}
			data, err := json.Marshal(proto.ConvDeleted{Conv: conv, Seq: last.Int64, Time: nowMs})
			if err != nil {
				return fmt.Errorf("encode deletion of %s: %w", conv, err)
			}
			ch, err := s.appendChange(ctx, tx, account, proto.Change{Kind: proto.ChangeConvDeleted, Key: conv, Data: data})
			if err != nil {
				return err
			}
			changes = append(changes, ch)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("delete conversations of %s: %w", account, err)
	}
	return changes, nil
}
