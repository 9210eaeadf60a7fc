package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"yunxin/proto"
)

// msgCols are the columns of a proto.Msg (scanMsg).
const msgCols = `id, conv, seq, cid, sender, receiver, chat_type, type, body, ext, time_ms, from_client, revoked_ms, nick,
	team_receipt, receipt_total, receipt_read`

// The statements of Send (prepared: Store.q).
const (
	findMsgSQL = `SELECT ` + msgCols + ` FROM messages WHERE sender = ? AND cid = ?`
	// upsertConvSQL moves (or creates) the conversation row: its next seq,
	// its last time, and a stamp above every other conversation's (the
	// index conversations_stamp's last entry) and above counters
	// 'conv_stamp', which holds stamps given out before this statement
	// took over from the counter (the counter is no longer moved: one
	// statement and a page write fewer per send; migration 00002's Down
	// sets it to the highest stamp). Conversation rows are never deleted,
	// so stamps only go up.
	upsertConvSQL = `INSERT INTO conversations(conv, chat_type, last_seq, last_time, stamp) VALUES(?1, ?2, 1, ?3,
			MAX((SELECT COALESCE(MAX(stamp), 0) FROM conversations),
				COALESCE((SELECT value FROM counters WHERE name = 'conv_stamp'), 0)) + 1)
		ON CONFLICT(conv) DO UPDATE SET last_seq = last_seq + 1, last_time = MAX(excluded.last_time, last_time + 1),
			stamp = excluded.stamp
		RETURNING last_seq, last_time`
	// insertMsgSQL stores the sender's current nickname with the message
	// ('' when the sender has no users row), and a team message that asks
	// for receipts its flag and total.
	insertMsgSQL    = insertMsgRowSQL + ` RETURNING id, nick`
	insertMsgRowSQL = `INSERT INTO messages(conv, seq, cid, sender, receiver, chat_type, type, body, ext, time_ms, from_client, nick,
			team_receipt, receipt_total)
		VALUES(?,?,?,?,?,?,?,?,?,?,?, COALESCE((SELECT name FROM users WHERE accid = ?4), ''), ?12, ?13)`
	// insertMsgOnceSQL is insertMsgSQL for a send: a message whose (cid,
	// sender) is stored already is not inserted and returns no row (the
	// send's dedupe, without a lookup before every insert).
	insertMsgOnceSQL = insertMsgRowSQL + ` ON CONFLICT(cid, sender) DO NOTHING RETURNING id, nick`
	// receiptTotalSQL counts a team's valid members other than the sender
	// (?2): the readers a team message asking for receipts waits for.
	receiptTotalSQL = `SELECT COUNT(*) FROM team_members WHERE tid = ? AND valid = 1 AND account <> ?`
	addMemberSQL    = `INSERT INTO members(account, conv, chat_type, peer) VALUES(?,?,?,?)
		ON CONFLICT(account, conv) DO NOTHING`
	addMembersSQL = `INSERT INTO members(account, conv, chat_type, peer) VALUES(?,?,?,?), (?,?,?,?)
		ON CONFLICT(account, conv) DO NOTHING`
)

// messagesAfterSQL is Messages' query: a conversation's messages above a
// seq, in order.
const messagesAfterSQL = `SELECT ` + msgCols + ` FROM messages WHERE conv = ? AND seq > ? ORDER BY seq LIMIT ?`

func scanMsg(row scanner) (proto.Msg, error) {
	var m proto.Msg
	var id int64
	var body, ext string
	var revokedMs int64
	var total, read int
	err := row.Scan(&id, &m.Conv, &m.Seq, &m.ClientID, &m.From, &m.To, &m.ChatType, &m.Type, &body, &ext, &m.Time, &m.FromClient, &revokedMs, &m.Nick,
		&m.TeamReceipt, &total, &read)
	if err != nil {
		return m, err
	}
	m.ServerID = strconv.FormatInt(id, 10)
	if m.TeamReceipt {
		m.ReceiptRead, m.ReceiptUnread = read, max(total-read, 0)
	}
	if revokedMs > 0 {
		m.Revoked = true // body and ext are erased
		return m, nil
	}
	m.Body = []byte(body)
	if ext != "" {
		m.Ext = []byte(ext)
	}
	return m, nil
}

// Send implements store.Messages: two statements (the conversation row
// with its stamp, the message with the sender's nickname, deduped by the
// insert; a new P2P conversation adds its member rows), in the
// next group commit (Store.group); a team message asking for receipts adds
// one (the count of the team's other valid members).
func (s *Store) Send(ctx context.Context, m proto.Msg, nowMs int64) (proto.Msg, bool, error) {
	if m.ChatType == proto.ChatP2P {
		m.TeamReceipt = false // team messages only
	}
	return s.send(ctx, m, nowMs, nil, func(ctx context.Context, tx *sql.Tx, m proto.Msg) error {
		// The member rows come with the conversation row (seq 1): both
		// are only ever inserted here, in one savepoint, and neither is
		// ever deleted (a deleted conversation is a member's deleted_seq).
		if m.ChatType == proto.ChatP2P && m.Seq == 1 {
			return s.addP2PMembers(ctx, tx, m)
		}
		return nil
	})
}

// SendTeam implements store.Teams: in the next group commit, it dedupes by
// (From, ClientID) first — a retry of a stored message is its duplicate,
// whatever the sender's rights now —, then checks the sender's rights on
// the team's and its member row as they are in that transaction (mayPost),
// then stores the message. A mute, kick or dismissal commits either
// before it (the send is refused) or after it (the message was stored
// while the sender could post).
func (s *Store) SendTeam(ctx context.Context, m proto.Msg, nowMs int64) (proto.Msg, bool, error) {
	tid := proto.TeamOfConv(m.Conv)
	if tid == "" || m.To != tid {
		return proto.Msg{}, false, fmt.Errorf("send team %s/%s: %q is not the conversation of team %q", m.From, m.ClientID, m.Conv, m.To)
	}
	return s.send(ctx, m, nowMs, func(ctx context.Context, tx *sql.Tx) error { return mayPost(ctx, tx, tid, m.From, m.ChatType) }, nil)
}

// send stores m as one send of a group commit (Store.group): a retry of a
// stored (From, ClientID) is answered as that message (dup); otherwise
// check (if any) may refuse it, then it is inserted and after (if any) runs
// with the stored message. It returns once its batch is on disk.
//
// The dedupe costs no lookup when the message is new: the insert skips a
// stored (cid, sender) (insertMsgOnceSQL), and only then is the send's
// savepoint rolled back (the conversation row's move undone) and the
// stored message read. A send that check refuses is still answered as its
// stored message when it is a retry, whatever the sender's rights now.
func (s *Store) send(ctx context.Context, m proto.Msg, nowMs int64, check func(context.Context, *sql.Tx) error,
	after func(context.Context, *sql.Tx, proto.Msg) error) (proto.Msg, bool, error) {
	m.ReceiptRead, m.ReceiptUnread = 0, 0
	var out proto.Msg
	dup := false
	err := s.group(ctx, func(ctx context.Context, tx *sql.Tx) error {
		stored := func() (bool, error) {
			old, err := scanMsg(s.stmt(ctx, tx, s.q.findMsg).QueryRowContext(ctx, m.From, m.ClientID))
			if errors.Is(err, sql.ErrNoRows) {
				return false, nil
			}
			if err != nil {
				return false, fmt.Errorf("look up message: %w", err)
			}
			out, dup = old, true
			return true, nil
		}
		if check != nil {
			if err := check(ctx, tx); err != nil {
				if ok, ferr := stored(); ok || ferr != nil {
					return ferr
				}
				return err
			}
		}
		var err error
		out, err = s.insertMsg(ctx, tx, s.q.insertMsgOnce, m, nowMs)
		if errors.Is(err, errStored) {
			if _, err := s.stmt(ctx, tx, s.q.rollbackTo).ExecContext(ctx); err != nil {
				return fmt.Errorf("roll back a duplicate: %w", err)
			}
			if ok, err := stored(); ok || err != nil {
				return err
			}
			return fmt.Errorf("message %s/%s: refused as stored, then not found", m.From, m.ClientID)
		}
		if err != nil {
			return err
		}
		if after != nil {
			return after(ctx, tx, out)
		}
		return nil
	})
	if err != nil {
		return proto.Msg{}, false, fmt.Errorf("send %s/%s in %s: %w", m.From, m.ClientID, m.Conv, err)
	}
	return out, dup, nil
}

// errStored is insertMsg's error when insert, insertMsgOnceSQL, skipped the
// message: its (cid, sender) is stored already.
var errStored = errors.New("message stored already")

// insertMsg stores m (From, To, Conv, ChatType, ClientID, Type, Body, Ext
// and FromClient set) as a new message in tx with insert (the prepared
// insertMsgSQL or insertMsgOnceSQL): it moves the conversation row
// (creating it) and its stamp, assigns ServerID, Seq, Time and Nick, and
// returns the stored message. A team message with TeamReceipt stores the
// team's other valid members as its receipt total (ReceiptUnread). It
// neither adds member rows nor, with insertMsgSQL, dedupes; with
// insertMsgOnceSQL a stored (cid, sender) is errStored, the conversation
// row moved all the same (the caller rolls back).
func (s *Store) insertMsg(ctx context.Context, tx *sql.Tx, insert *sql.Stmt, m proto.Msg, nowMs int64) (proto.Msg, error) {
	total := 0
	if tid := proto.TeamOfConv(m.Conv); m.TeamReceipt && tid != "" {
		if err := tx.QueryRowContext(ctx, receiptTotalSQL, tid, m.From).Scan(&total); err != nil {
			return m, fmt.Errorf("count receipt readers of team %s: %w", tid, err)
		}
	} else {
		m.TeamReceipt = false
	}
	m.ReceiptRead, m.ReceiptUnread = 0, total
	err := s.stmt(ctx, tx, s.q.upsertConv).QueryRowContext(ctx, m.Conv, m.ChatType, nowMs).Scan(&m.Seq, &m.Time)
	if err != nil {
		return m, fmt.Errorf("update conversation: %w", err)
	}
	var id int64
	err = s.stmt(ctx, tx, insert).QueryRowContext(ctx, m.Conv, m.Seq, m.ClientID, m.From, m.To, m.ChatType, m.Type, string(m.Body), string(m.Ext), m.Time, m.FromClient,
		m.TeamReceipt, total).Scan(&id, &m.Nick)
	if errors.Is(err, sql.ErrNoRows) && insert == s.q.insertMsgOnce {
		return m, errStored
	}
	if err != nil {
		return m, fmt.Errorf("insert message: %w", err)
	}
	m.ServerID = strconv.FormatInt(id, 10)
	return m, nil
}

// addP2PMembers inserts the member rows of m's P2P conversation that are
// missing: one per account, one only for a note to self.
func (s *Store) addP2PMembers(ctx context.Context, tx *sql.Tx, m proto.Msg) error {
	var err error
	if m.From == m.To {
		_, err = s.stmt(ctx, tx, s.q.addMember).ExecContext(ctx, m.From, m.Conv, m.ChatType, m.To)
	} else {
		_, err = s.stmt(ctx, tx, s.q.addMembers).ExecContext(ctx, m.From, m.Conv, m.ChatType, m.To, m.To, m.Conv, m.ChatType, m.From)
	}
	if err != nil {
		return fmt.Errorf("add members: %w", err)
	}
	return nil
}

// Messages implements store.Messages.
func (s *Store) Messages(ctx context.Context, conv string, after int64, limit int) ([]proto.Msg, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.rq.messagesAfter.QueryContext(ctx, conv, after, limit)
	if err != nil {
		return nil, fmt.Errorf("messages of %s: %w", conv, err)
	}
	defer rows.Close()
	var out []proto.Msg
	for rows.Next() {
		m, err := scanMsg(rows)
		if err != nil {
			return nil, fmt.Errorf("messages of %s: %w", conv, err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("messages of %s: %w", conv, err)
	}
	return out, nil
}
