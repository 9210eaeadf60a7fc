// Package sqlitestore is the default store.Store: an embedded SQLite database
// (modernc.org/sqlite, pure Go) in one file.
//
// The database runs in WAL mode with synchronous=NORMAL: a committed
// transaction survives a crash or kill -9 of the process (it is in the WAL,
// which the OS holds), but the last transactions before a power loss or OS
// crash may be lost. Writes are serialized by a mutex in the process and by
// BEGIN IMMEDIATE between processes (e.g. `yunxin-server user create` while a
// server runs); busy_timeout makes the other process wait instead of failing.
package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver

	"yunxin/proto"
	"yunxin/server/store"
)

// FileName is the database file inside the data directory.
const FileName = "yunxin.db"

// Store is a store.Store backed by SQLite.
type Store struct {
	w  *sql.DB // one connection, BEGIN IMMEDIATE: all writes
	r  *sql.DB // reads
	mu sync.Mutex
}

var _ store.Store = (*Store)(nil)

const schema = `
CREATE TABLE IF NOT EXISTS users (
	accid      TEXT PRIMARY KEY,
	name       TEXT NOT NULL DEFAULT '',
	icon       TEXT NOT NULL DEFAULT '',
	salt       BLOB NOT NULL,
	token_hash BLOB NOT NULL,
	created_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	conv        TEXT NOT NULL,
	seq         INTEGER NOT NULL,
	cid         TEXT NOT NULL,
	sender      TEXT NOT NULL,
	receiver    TEXT NOT NULL,
	chat_type   INTEGER NOT NULL,
	type        INTEGER NOT NULL,
	body        TEXT NOT NULL,
	ext         TEXT NOT NULL DEFAULT '',
	time_ms     INTEGER NOT NULL,
	from_client INTEGER NOT NULL DEFAULT 0,
	UNIQUE(conv, seq),
	UNIQUE(sender, cid)
);
CREATE TABLE IF NOT EXISTS convs (
	account        TEXT NOT NULL,
	conv           TEXT NOT NULL,
	chat_type      INTEGER NOT NULL,
	peer           TEXT NOT NULL,
	last_seq       INTEGER NOT NULL DEFAULT 0,
	last_time      INTEGER NOT NULL DEFAULT 0,
	read_seq       INTEGER NOT NULL DEFAULT 0,
	unread         INTEGER NOT NULL DEFAULT 0,
	peer_read_seq  INTEGER NOT NULL DEFAULT 0,
	peer_read_time INTEGER NOT NULL DEFAULT 0,
	ver            INTEGER NOT NULL,
	PRIMARY KEY(account, conv)
);
CREATE INDEX IF NOT EXISTS convs_account_ver ON convs(account, ver);
CREATE TABLE IF NOT EXISTS account_ver (
	account TEXT PRIMARY KEY,
	ver     INTEGER NOT NULL
);
`

// Open opens (creating if needed) dir/yunxin.db.
func Open(ctx context.Context, dir string) (*Store, error) {
	path, err := filepath.Abs(filepath.Join(dir, FileName))
	if err != nil {
		return nil, err
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	base := "file:" + path + "?" + q.Encode()

	w, err := sql.Open("sqlite", base+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	if _, err := w.ExecContext(ctx, schema); err != nil {
		w.Close()
		return nil, fmt.Errorf("create schema in %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", base+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	r.SetMaxOpenConns(8)
	if err := r.PingContext(ctx); err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return &Store{w: w, r: r}, nil
}

// Close closes the database.
func (s *Store) Close() error {
	return errors.Join(s.r.Close(), s.w.Close())
}

// write runs fn in one write transaction, serialized with every other write.
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

func isUnique(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// CreateUser implements store.Store.
func (s *Store) CreateUser(ctx context.Context, u store.User) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO users(accid, name, icon, salt, token_hash, created_ms) VALUES(?,?,?,?,?,?)`,
			u.Accid, u.Name, u.Icon, u.Salt, u.TokenHash, u.CreatedMs)
		if isUnique(err) {
			return store.ErrExists
		}
		return err
	})
}

// User implements store.Store.
func (s *Store) User(ctx context.Context, accid string) (store.User, error) {
	u := store.User{Accid: accid}
	err := s.r.QueryRowContext(ctx, `SELECT name, icon, salt, token_hash, created_ms FROM users WHERE accid = ?`, accid).
		Scan(&u.Name, &u.Icon, &u.Salt, &u.TokenHash, &u.CreatedMs)
	if errors.Is(err, sql.ErrNoRows) {
		return u, store.ErrNotFound
	}
	return u, err
}

// SetToken implements store.Store.
func (s *Store) SetToken(ctx context.Context, accid string, salt, hash []byte) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET salt = ?, token_hash = ? WHERE accid = ?`, salt, hash, accid)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrNotFound
		}
		return nil
	})
}

const msgCols = `id, conv, seq, cid, sender, receiver, chat_type, type, body, ext, time_ms, from_client`

type scanner interface{ Scan(...any) error }

func scanMsg(row scanner) (proto.Msg, error) {
	var m proto.Msg
	var id int64
	var body, ext string
	err := row.Scan(&id, &m.Conv, &m.Seq, &m.ClientID, &m.From, &m.To, &m.ChatType, &m.Type, &body, &ext, &m.Time, &m.FromClient)
	if err != nil {
		return m, err
	}
	m.ServerID = strconv.FormatInt(id, 10)
	m.Body = []byte(body)
	if ext != "" {
		m.Ext = []byte(ext)
	}
	return m, nil
}

// bumpVer increments account's change counter and returns the new value.
func bumpVer(ctx context.Context, tx *sql.Tx, account string) (int64, error) {
	var v int64
	err := tx.QueryRowContext(ctx, `INSERT INTO account_ver(account, ver) VALUES(?, 1)
		ON CONFLICT(account) DO UPDATE SET ver = ver + 1 RETURNING ver`, account).Scan(&v)
	return v, err
}

// Send implements store.Store.
func (s *Store) Send(ctx context.Context, m proto.Msg, nowMs int64) (proto.Msg, bool, error) {
	var out proto.Msg
	dup := false
	err := s.write(ctx, func(tx *sql.Tx) error {
		old, err := scanMsg(tx.QueryRowContext(ctx, `SELECT `+msgCols+` FROM messages WHERE sender = ? AND cid = ?`, m.From, m.ClientID))
		if err == nil {
			out, dup = old, true
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		var lastSeq, lastTime int64
		// Times increase with seq, so the last message holds both maxima.
		err = tx.QueryRowContext(ctx, `SELECT seq, time_ms FROM messages WHERE conv = ? ORDER BY seq DESC LIMIT 1`, m.Conv).
			Scan(&lastSeq, &lastTime)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		m.Seq = lastSeq + 1
		m.Time = max(nowMs, lastTime+1)
		var id int64
		err = tx.QueryRowContext(ctx, `INSERT INTO messages(conv, seq, cid, sender, receiver, chat_type, type, body, ext, time_ms, from_client)
			VALUES(?,?,?,?,?,?,?,?,?,?,?) RETURNING id`,
			m.Conv, m.Seq, m.ClientID, m.From, m.To, m.ChatType, m.Type, string(m.Body), string(m.Ext), m.Time, m.FromClient).Scan(&id)
		if err != nil {
			return err
		}
		m.ServerID = strconv.FormatInt(id, 10)
		members := []string{m.From}
		if m.To != m.From {
			members = append(members, m.To)
		}
		for _, acc := range members {
			peer := m.To
			if acc == m.To {
				peer = m.From
			}
			unread := 0
			if acc != m.From {
				unread = 1
			}
			ver, err := bumpVer(ctx, tx, acc)
			if err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO convs(account, conv, chat_type, peer, last_seq, last_time, unread, ver)
				VALUES(?,?,?,?,?,?,?,?)
				ON CONFLICT(account, conv) DO UPDATE SET last_seq = excluded.last_seq, last_time = excluded.last_time,
					unread = unread + excluded.unread, ver = excluded.ver`,
				acc, m.Conv, m.ChatType, peer, m.Seq, m.Time, unread, ver)
			if err != nil {
				return err
			}
		}
		out = m
		return nil
	})
	return out, dup, err
}

const convCols = `conv, chat_type, peer, last_seq, last_time, read_seq, unread, peer_read_seq, peer_read_time, ver`

func scanConv(row scanner) (proto.Conv, error) {
	var c proto.Conv
	err := row.Scan(&c.ID, &c.ChatType, &c.Peer, &c.LastSeq, &c.LastTime, &c.ReadSeq, &c.Unread, &c.PeerReadSeq, &c.PeerReadTime, &c.Ver)
	return c, err
}

// ConvsSince implements store.Store.
func (s *Store) ConvsSince(ctx context.Context, account string, since int64) ([]proto.Conv, int64, error) {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, 0, err
	}
	defer tx.Rollback()
	var ver int64
	err = tx.QueryRowContext(ctx, `SELECT ver FROM account_ver WHERE account = ?`, account).Scan(&ver)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, 0, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+convCols+` FROM convs WHERE account = ? AND ver > ? ORDER BY ver`, account, since)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	convs := []proto.Conv{}
	for rows.Next() {
		c, err := scanConv(rows)
		if err != nil {
			return nil, 0, err
		}
		convs = append(convs, c)
	}
	return convs, ver, rows.Err()
}

// Messages implements store.Store.
func (s *Store) Messages(ctx context.Context, conv string, after int64, limit int) ([]proto.Msg, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+msgCols+` FROM messages WHERE conv = ? AND seq > ? ORDER BY seq LIMIT ?`, conv, after, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []proto.Msg
	for rows.Next() {
		m, err := scanMsg(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// MarkRead implements store.Store.
func (s *Store) MarkRead(ctx context.Context, account, conv string, seq int64) (proto.Conv, error) {
	return s.updateConv(ctx, account, conv, func(tx *sql.Tx, c *proto.Conv) error {
		c.ReadSeq = max(c.ReadSeq, min(seq, c.LastSeq))
		return tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM messages WHERE conv = ? AND seq > ? AND sender != ?`,
			conv, c.ReadSeq, account).Scan(&c.Unread)
	})
}

// PeerRead implements store.Store.
func (s *Store) PeerRead(ctx context.Context, account, conv string, seq, timeMs int64) (proto.Conv, error) {
	return s.updateConv(ctx, account, conv, func(tx *sql.Tx, c *proto.Conv) error {
		c.PeerReadSeq = max(c.PeerReadSeq, min(seq, c.LastSeq))
		c.PeerReadTime = timeMs
		return nil
	})
}

// updateConv changes one of account's conversation rows in a write
// transaction: it reads the row (store.ErrNotFound if there is none), lets
// change edit its read marks, bumps the account's change counter and writes
// the row back.
func (s *Store) updateConv(ctx context.Context, account, conv string, change func(*sql.Tx, *proto.Conv) error) (proto.Conv, error) {
	var c proto.Conv
	err := s.write(ctx, func(tx *sql.Tx) error {
		var err error
		c, err = scanConv(tx.QueryRowContext(ctx, `SELECT `+convCols+` FROM convs WHERE account = ? AND conv = ?`, account, conv))
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		if err := change(tx, &c); err != nil {
			return err
		}
		if c.Ver, err = bumpVer(ctx, tx, account); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE convs SET read_seq = ?, unread = ?, peer_read_seq = ?, peer_read_time = ?, ver = ?
			WHERE account = ? AND conv = ?`, c.ReadSeq, c.Unread, c.PeerReadSeq, c.PeerReadTime, c.Ver, account, conv)
		return err
	})
	return c, err
}
