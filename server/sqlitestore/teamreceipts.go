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

// The statements of TeamReceipt.
const (
	receiptMsgSQL = `SELECT sender, cid, team_receipt, revoked_ms FROM messages WHERE conv = ? AND seq = ?`
	addReaderSQL  = `INSERT INTO team_receipts(conv, seq, account, time_ms) VALUES(?,?,?,?)
		ON CONFLICT(conv, seq, account) DO NOTHING`
	countReadSQL = `UPDATE messages SET receipt_read = receipt_read + 1 WHERE conv = ? AND seq = ?
		RETURNING receipt_read, receipt_total`
)

// TeamReceipt implements store.TeamReceipts: one write transaction of
// two reads and, per message, up to four statements.
func (s *Store) TeamReceipt(ctx context.Context, account, tid string, seqs []int64, nowMs int64) ([]int64, []store.Change, error) {
	var recorded []int64
	var changes []store.Change
	conv := proto.TeamConv(tid)
	err := s.write(ctx, func(tx *sql.Tx) error {
		recorded, changes = nil, nil
		if _, err := readTeam(ctx, tx, tid, true); err != nil {
			return err
		}
		me, ok, err := readMember(ctx, tx, tid, account)
		if err != nil {
			return err
		}
		if !ok || !me.Valid {
			return teamErr(proto.CodeTeamNotMember, "%s is not a member of team %s", account, tid)
		}
		seen := make(map[int64]bool, len(seqs))
		for _, seq := range seqs {
			if seen[seq] || seq <= me.JoinSeq {
				continue // before the caller (re)joined: not its history
			}
			seen[seq] = true
			var sender, cid string
			var asks bool
			var revokedMs int64
			err := tx.QueryRowContext(ctx, receiptMsgSQL, conv, seq).Scan(&sender, &cid, &asks, &revokedMs)
			if errors.Is(err, sql.ErrNoRows) {
				continue
			}
			if err != nil {
				return fmt.Errorf("read message %d: %w", seq, err)
			}
			if !asks || sender == account || revokedMs > 0 {
				continue
			}
			res, err := tx.ExecContext(ctx, addReaderSQL, conv, seq, account, nowMs)
			if err != nil {
				return fmt.Errorf("record receipt of %d: %w", seq, err)
			}
			recorded = append(recorded, seq)
			if n, err := res.RowsAffected(); err != nil || n == 0 {
				if err != nil {
					return fmt.Errorf("record receipt of %d: %w", seq, err)
				}
				continue // recorded before
			}
			var read, total int
			if err := tx.QueryRowContext(ctx, countReadSQL, conv, seq).Scan(&read, &total); err != nil {
				return fmt.Errorf("count receipt of %d: %w", seq, err)
			}
			data, err := json.Marshal(proto.TeamReceiptInfo{Conv: conv, Seq: seq, ClientID: cid,
				Read: read, Unread: max(total-read, 0), Time: nowMs})
			if err != nil {
				return fmt.Errorf("encode receipt of %d: %w", seq, err)
			}
			ch, err := s.appendChange(ctx, tx, sender, proto.Change{Kind: proto.ChangeTeamReceipt,
				Key: store.TeamReceiptKey(conv, seq), Data: data})
			if err != nil {
				return err
			}
			changes = append(changes, ch)
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("team receipts of %s in %s: %w", account, tid, err)
	}
	return recorded, changes, nil
}
