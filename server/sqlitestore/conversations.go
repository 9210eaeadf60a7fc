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

// convView selects conversations as their members see them from m, a
// subquery of member rows with their conversation's columns (memberCols):
// unread derived from the messages from others, not revoked, after m's read
// mark and after the seq m deleted the conversation at, the peer's receipt
// from the other member's row o (P2P), how many of the unread are
// notification messages (NoteUnread), the start of a team member's pull
// window (Floor: its JoinSeq). Unread is counted in the outer query
// so that only the rows of the page are counted.
const convView = `SELECT m.conv, m.chat_type, m.peer, COALESCE(m.last_seq, 0), COALESCE(m.last_time, 0), m.read_seq,
	(SELECT COUNT(*) FROM messages x WHERE x.conv = m.conv AND x.seq > MAX(m.read_seq, m.deleted_seq)
		AND x.sender != m.account AND x.revoked_ms = 0),
	(SELECT COUNT(*) FROM messages x WHERE x.conv = m.conv AND x.seq > MAX(m.read_seq, m.deleted_seq)
		AND x.sender != m.account AND x.revoked_ms = 0 AND x.type = ` + noteType + `),
	COALESCE((SELECT tm.join_seq FROM team_members tm WHERE m.chat_type != 0 AND tm.tid = m.peer AND tm.account = m.account), 0),
	COALESCE(o.receipt_seq, 0), COALESCE(o.receipt_time, 0), COALESCE(m.stamp, 0)`

// noteType is proto.MsgNotification in SQL, for convView's NoteUnread.
const noteType = "5"

// memberCols are the columns of convView's subquery m, from members m and
// conversations c.
const memberCols = `m.account, m.conv, m.chat_type, m.peer, m.read_seq, m.deleted_seq, c.last_seq, c.last_time, c.stamp`

// peerJoin joins the other member's row of a P2P conversation to convView's
// m.
const peerJoin = ` LEFT JOIN members o ON m.chat_type = 0 AND o.account = m.peer AND o.conv = m.conv`

// convsSinceSQL is ConvsSince's query: a page of member rows in stamp order,
// leaving out those deleted at the conversation's last seq, then their
// views.
const convsSinceSQL = convView + ` FROM (SELECT ` + memberCols + ` FROM members m JOIN conversations c ON c.conv = m.conv
	WHERE m.account = ? AND c.stamp > ? AND c.last_seq > m.deleted_seq ORDER BY c.stamp LIMIT ?) m` + peerJoin + ` ORDER BY m.stamp`

// convOfSQL is convOf's query: one member row (with or without a
// conversation row) and its view.
const convOfSQL = convView + ` FROM (SELECT ` + memberCols + ` FROM members m LEFT JOIN conversations c ON c.conv = m.conv
	WHERE m.account = ? AND m.conv = ?) m` + peerJoin

func scanConv(row scanner) (proto.Conv, error) {
	var c proto.Conv
	err := row.Scan(&c.ID, &c.ChatType, &c.Peer, &c.LastSeq, &c.LastTime, &c.ReadSeq, &c.Unread, &c.NoteUnread, &c.Floor, &c.PeerReadSeq, &c.PeerReadTime, &c.Ver)
	return c, err
}

// ConvsSince implements store.Conversations.
func (s *Store) ConvsSince(ctx context.Context, account string, since int64, limit int) ([]proto.Conv, error) {
	convs := []proto.Conv{}
	if limit <= 0 {
		return convs, nil
	}
	rows, err := s.r.QueryContext(ctx, convsSinceSQL, account, since, limit)
	if err != nil {
		return nil, fmt.Errorf("conversations of %s: %w", account, err)
	}
	defer rows.Close()
	for rows.Next() {
		c, err := scanConv(rows)
		if err != nil {
			return nil, fmt.Errorf("conversations of %s: %w", account, err)
		}
		convs = append(convs, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("conversations of %s: %w", account, err)
	}
	return convs, nil
}

// convOf reads one conversation as account sees it, in tx.
func convOf(ctx context.Context, tx *sql.Tx, account, conv string) (proto.Conv, error) {
	c, err := scanConv(tx.QueryRowContext(ctx, convOfSQL, account, conv))
	if err != nil {
		return c, fmt.Errorf("read conversation: %w", err)
	}
	return c, nil
}

// IsMember implements store.Conversations.
func (s *Store) IsMember(ctx context.Context, account, conv string) (bool, error) {
	var one int
	err := s.r.QueryRowContext(ctx, `SELECT 1 FROM members WHERE account = ? AND conv = ?`, account, conv).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("is %s a member of %s: %w", account, conv, err)
	}
	return true, nil
}

// MarkRead implements store.Conversations.
func (s *Store) MarkRead(ctx context.Context, account, conv string, seq int64) (proto.Conv, store.Change, error) {
	var c proto.Conv
	var ch store.Change
	err := s.write(ctx, func(tx *sql.Tx) error {
		var read int64
		var last sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT m.read_seq, c.last_seq FROM members m LEFT JOIN conversations c ON c.conv = m.conv
			WHERE m.account = ? AND m.conv = ?`, account, conv).Scan(&read, &last)
		if errors.Is(err, sql.ErrNoRows) {
			var moved bool
			c, moved, err = markLeftRead(ctx, tx, account, conv, seq)
			if err != nil || !moved {
				return err
			}
			return s.convChange(ctx, tx, account, c, &ch)
		}
		if err != nil {
			return fmt.Errorf("read member: %w", err)
		}
		next := max(read, min(seq, last.Int64))
		if next > read {
			if _, err := tx.ExecContext(ctx, `UPDATE members SET read_seq = ? WHERE account = ? AND conv = ?`, next, account, conv); err != nil {
				return fmt.Errorf("move read mark: %w", err)
			}
		}
		if c, err = convOf(ctx, tx, account, conv); err != nil {
			return err
		}
		if next == read {
			return nil // nothing moved: no change
		}
		return s.convChange(ctx, tx, account, c, &ch)
	})
	if err != nil {
		return proto.Conv{}, store.Change{}, fmt.Errorf("mark %s read by %s: %w", conv, account, err)
	}
	return c, ch, nil
}

// convChange appends c to account's log as a ChangeConv, into *ch.
func (s *Store) convChange(ctx context.Context, tx *sql.Tx, account string, c proto.Conv, ch *store.Change) error {
	data, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("encode conversation: %w", err)
	}
	*ch, err = s.appendChange(ctx, tx, account, proto.Change{Kind: proto.ChangeConv, Key: c.ID, Data: data})
	return err
}

// leftConvSQL is the view of a team conversation its member left, as
// convView's columns, from its team member row tm (read mark left_read):
// the conversation up to the leave (LeftSeq) only.
const leftConvSQL = `SELECT tm.tid, t.type, tm.left_seq, COALESCE((SELECT x.time_ms FROM messages x WHERE x.conv = ?1 AND x.seq = tm.left_seq), 0),
	tm.left_read,
	(SELECT COUNT(*) FROM messages x WHERE x.conv = ?1 AND x.seq > MAX(tm.left_read, tm.join_seq) AND x.seq <= tm.left_seq
		AND x.sender != tm.account AND x.revoked_ms = 0),
	(SELECT COUNT(*) FROM messages x WHERE x.conv = ?1 AND x.seq > MAX(tm.left_read, tm.join_seq) AND x.seq <= tm.left_seq
		AND x.sender != tm.account AND x.revoked_ms = 0 AND x.type = ` + noteType + `),
	tm.join_seq, COALESCE((SELECT c.stamp FROM conversations c WHERE c.conv = ?1), 0)
	FROM team_members tm JOIN teams t ON t.id = tm.tid WHERE tm.tid = ?2 AND tm.account = ?3 AND tm.valid = 0 AND tm.left_seq > 0`

// markLeftRead moves the read mark of account in the team conversation
// conv it left (no members row; its team member row keeps the mark) to
// max(read, min(seq, LeftSeq)) and returns its view of the conversation
// up to the leave and whether the mark moved. ErrNotFound if conv is not a
// team conversation or account never was its member (or left before
// anything was sent: LeftSeq 0).
func markLeftRead(ctx context.Context, tx *sql.Tx, account, conv string, seq int64) (proto.Conv, bool, error) {
	tid := proto.TeamOfConv(conv)
	if tid == "" {
		return proto.Conv{}, false, fmt.Errorf("%s is not a member: %w", account, store.ErrNotFound)
	}
	view := func() (proto.Conv, error) {
		var c proto.Conv
		var typ int
		err := tx.QueryRowContext(ctx, leftConvSQL, conv, tid, account).Scan(&c.Peer, &typ, &c.LastSeq, &c.LastTime,
			&c.ReadSeq, &c.Unread, &c.NoteUnread, &c.Floor, &c.Ver)
		if errors.Is(err, sql.ErrNoRows) {
			return c, fmt.Errorf("%s is not a member: %w", account, store.ErrNotFound)
		}
		if err != nil {
			return c, fmt.Errorf("read the left conversation: %w", err)
		}
		c.ID, c.ChatType = conv, proto.TeamChatType(typ)
		return c, nil
	}
	c, err := view()
	if err != nil {
		return c, false, err
	}
	next := max(c.ReadSeq, min(seq, c.LastSeq))
	if next == c.ReadSeq {
		return c, false, nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE team_members SET left_read = ? WHERE tid = ? AND account = ?`, next, tid, account); err != nil {
		return c, false, fmt.Errorf("move the read mark of a left team: %w", err)
	}
	c, err = view()
	return c, err == nil, err
}

// Receipt implements store.Conversations.
func (s *Store) Receipt(ctx context.Context, account, peer, conv string, seq, timeMs int64, cid string) (proto.Receipt, store.Change, error) {
	var r proto.Receipt
	var ch store.Change
	err := s.write(ctx, func(tx *sql.Tx) error {
		var chatType int
		var myPeer string
		var lastSeq sql.NullInt64
		var stored proto.Receipt
		err := tx.QueryRowContext(ctx, `SELECT m.chat_type, m.peer, c.last_seq, m.receipt_seq, m.receipt_time
			FROM members m LEFT JOIN conversations c ON c.conv = m.conv
			WHERE m.account = ? AND m.conv = ?`, account, conv).Scan(&chatType, &myPeer, &lastSeq, &stored.Seq, &stored.Time)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%s is not a member: %w", account, store.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("read member: %w", err)
		}
		if lastSeq.Int64 <= 0 {
			return fmt.Errorf("no message: %w", store.ErrNotFound)
		}
		if chatType == proto.ChatP2P && peer != myPeer {
			return fmt.Errorf("%s is not the peer: %w", peer, store.ErrNotFound)
		}
		next := min(seq, lastSeq.Int64)
		if next <= stored.Seq {
			// Nothing moves: the stored receipt, with the cid its change
			// carried, and no change.
			stored.Conv, stored.From = conv, account
			stored.ClientID, err = s.receiptCID(ctx, tx, peer, conv, stored.Seq)
			r = stored
			return err
		}
		r = proto.Receipt{Conv: conv, From: account, Seq: next, ClientID: cid, Time: timeMs}
		_, err = tx.ExecContext(ctx, `UPDATE members SET receipt_seq = ?, receipt_time = ? WHERE account = ? AND conv = ?`,
			next, timeMs, account, conv)
		if err != nil {
			return fmt.Errorf("move receipt mark: %w", err)
		}
		data, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("encode receipt: %w", err)
		}
		ch, err = s.appendChange(ctx, tx, peer, proto.Change{Kind: proto.ChangeReceipt, Key: conv, Data: data})
		return err
	})
	if err != nil {
		return proto.Receipt{}, store.Change{}, fmt.Errorf("receipt of %s in %s: %w", account, conv, err)
	}
	return r, ch, nil
}

// receiptCID returns the cid of the receipt change of conv in peer's log
// when that change is the receipt at seq ("" when there is none, e.g. a
// receipt migrated from before the change log).
func (s *Store) receiptCID(ctx context.Context, tx *sql.Tx, peer, conv string, seq int64) (string, error) {
	var data sql.NullString
	err := tx.QueryRowContext(ctx, `SELECT data FROM changes WHERE account = ? AND kind = ? AND key = ?`,
		peer, proto.ChangeReceipt, conv).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) || err == nil && !data.Valid {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read the stored receipt: %w", err)
	}
	var r proto.Receipt
	if json.Unmarshal([]byte(data.String), &r) != nil || r.Seq != seq {
		return "", nil
	}
	return r.ClientID, nil
}
