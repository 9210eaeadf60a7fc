// Package sqlitestore is the default store.Store: an embedded SQLite database
// (modernc.org/sqlite, pure Go) in one file, laid out as the data model of
// package store describes (tables users, messages, conversations, members,
// changes, account_ver and counters).
//
// Durability: an acknowledged write is on disk. The database runs in WAL
// mode and the write connection uses synchronous=FULL: every commit
// returns only after the WAL has been flushed (fsync), so a committed
// transaction survives a crash or kill -9 of the process and a power loss
// or OS crash (as far as the disk honours its flushes).
//
// Group commit: sends (Send, SendTeam) are queued to one writer goroutine,
// which runs as many as are waiting (up to 256) in one BEGIN IMMEDIATE
// transaction, each under its own savepoint — a send that fails is rolled
// back alone, the others of its batch go on —, and answers each only after
// that transaction's COMMIT returned. The flush is shared by the batch: the
// more sends arrive at once, the fewer flushes per send. Every other write
// runs in a transaction of its own on the same single write connection, so
// it serializes with the batches; BEGIN IMMEDIATE also serializes writes
// between processes (e.g. `yunxin-server user create` while a server runs;
// busy_timeout makes the other process wait instead of failing). Reads go
// to a pool of read-only connections and never wait for a write.
//
// Checkpoints are off the write path: the write connection never
// checkpoints by itself (wal_autocheckpoint=0); a background goroutine on a
// connection of its own runs a PASSIVE checkpoint every 250 ms (copying the
// WAL into the database file and flushing it without holding the write
// lock). Once the WAL passes 16 MiB and such a checkpoint has copied all
// of it, the writer runs a short RESTART checkpoint between two batches so
// that the WAL starts over (see groupcommit.go); a TRUNCATE one runs once
// the WAL passes 64 MiB, at a quiet moment (no commit for 200 ms) or, past
// 256 MiB, at once.
//
// Page size: a new database is made with pages of PageSize bytes (SQLite's
// default is 4096). A commit writes every page it changed into the WAL
// (and a checkpoint into the database file), and a send changes a few rows
// in several B-trees (the message and its two unique indexes, both sides'
// conversation rows, the change log), each on a page of its own: smaller
// pages write fewer bytes per message (at 6,000 msg/s: 14.5 KB → 6.1 KB
// per message with 1 KB pages), at the price of more pages to read for a
// long message. A database made with another page size keeps it.
//
// The schema is versioned with goose: Open applies the SQL files of
// migrations/sqlite that the database has not seen yet. A PostgreSQL store
// would keep its own files in migrations/postgres.
package sqlitestore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"yunxin/server/store"
)

// FileName is the database file inside the data directory.
const FileName = "yunxin.db"

// busyTimeout is how long a connection waits for a lock another
// connection or process holds.
const busyTimeout = 10 * time.Second

// PageSize is the page size of a database Open makes (see the package doc).
const PageSize = 1024

// Store is a store.Store backed by SQLite.
type Store struct {
	w  *sql.DB // one connection, BEGIN IMMEDIATE, synchronous=FULL: all writes
	r  *sql.DB // read-only connections: all reads outside a write
	ck *sql.DB // one connection: the background WAL checkpoints
	q  queries // the hot write statements, prepared on w
	rq reads   // the hot read statements, prepared on r
	wr writer  // the group commit of sends
	// teamAccs caches the member lists of team fan-outs (TeamAccounts).
	teamAccs teamAccounts
	rels     relations // InRelation's lists
	log      *slog.Logger
	path     string // the database file

	ckStop, ckDone chan struct{} // stop the checkpointer; closed when it ended
	ckOnce         sync.Once     // closes ckStop
}

// queries are the statements run by every Send or appended change,
// prepared once: parsing them each time would cost a third of a Send.
type queries struct {
	findMsg, upsertConv, insertMsg, insertMsgOnce, addMember, addMembers, nextVer, putChange *sql.Stmt
	savepoint, rollbackTo, release                                                           *sql.Stmt // one send of a batch
}

// prepare prepares the statements of q on w.
func (q *queries) prepare(ctx context.Context, w *sql.DB) error {
	for _, st := range []struct {
		dst   **sql.Stmt
		query string
	}{
		{&q.findMsg, findMsgSQL},
		{&q.upsertConv, upsertConvSQL},
		{&q.insertMsg, insertMsgSQL},
		{&q.insertMsgOnce, insertMsgOnceSQL},
		{&q.addMember, addMemberSQL},
		{&q.addMembers, addMembersSQL},
		{&q.nextVer, nextVerSQL},
		{&q.putChange, putChangeSQL},
		{&q.savepoint, "SAVEPOINT send"},
		{&q.rollbackTo, "ROLLBACK TO send"},
		{&q.release, "RELEASE send"},
	} {
		stmt, err := w.PrepareContext(ctx, st.query)
		if err != nil {
			return fmt.Errorf("prepare %q: %w", st.query, err)
		}
		*st.dst = stmt
	}
	return nil
}

// reads are the statements every P2P send reads before its write (the
// receiver's row, the receiver's blacklist) and the one a pull runs per
// conversation (messagesAfter), prepared once on the read pool: parsing
// them each time took a tenth of the server's CPU under load, and most of
// a pull of a thousand conversations.
type reads struct {
	user, relationList, messagesAfter *sql.Stmt
}

// readConns is the size of the read pool (the reads of requests run
// there, beside the one writer).
const readConns = 8

const (
	userSQL         = `SELECT name, icon, salt, token_hash, created_ms, blocked FROM users WHERE accid = ?`
	inRelationSQL   = `SELECT 1 FROM relations WHERE owner = ? AND list = ? AND account = ?`
	relationListSQL = `SELECT account FROM relations WHERE owner = ? AND list = ?`
)

var _ store.Store = (*Store)(nil)

//go:embed migrations/sqlite/*.sql
var migrations embed.FS

// create makes the database file at path with pages of PageSize bytes
// when it does not exist yet or is empty. The page size must be set before
// the first write, which the journal_mode pragma of Open's connections
// would be (modernc applies it before the DSN's other pragmas).
func create(ctx context.Context, path string, q url.Values) error {
	if st, err := os.Stat(path); err == nil && st.Size() > 0 {
		return nil
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	for _, pragma := range []string{"PRAGMA page_size=" + strconv.Itoa(PageSize), "PRAGMA journal_mode=WAL"} {
		if _, err := db.ExecContext(ctx, pragma); err != nil {
			return fmt.Errorf("%s: %w", pragma, err)
		}
	}
	return db.Close()
}

// Open opens dir/yunxin.db, creating it if needed, and migrates its schema
// to the latest version, logging each migration it applies to log (nil:
// discard).
func Open(ctx context.Context, dir string, log *slog.Logger) (*Store, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	path, err := filepath.Abs(filepath.Join(dir, FileName))
	if err != nil {
		return nil, fmt.Errorf("open store in %s: %w", dir, err)
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout("+strconv.FormatInt(busyTimeout.Milliseconds(), 10)+")")
	if err := create(ctx, path, q); err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	q.Add("_pragma", "journal_mode(WAL)")
	base := "file:" + path + "?" + q.Encode()

	// The writer flushes the WAL at every commit (FULL) and never
	// checkpoints itself: the checkpointer does, off the write lock.
	w, err := sql.Open("sqlite", base+"&_pragma=synchronous(FULL)&_pragma=wal_autocheckpoint(0)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	if err := migrate(ctx, w, log.With("db", path)); err != nil {
		w.Close()
		return nil, fmt.Errorf("migrate %s: %w", path, err)
	}
	s := &Store{w: w, log: log, path: path}
	if err := s.q.prepare(ctx, w); err != nil {
		w.Close() // closes the statements too
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", base+"&_pragma=synchronous(NORMAL)&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// Idle connections stay open (database/sql keeps 2 by default): a
	// reopened one costs a connect and a prepare of each statement it runs
	// (it was 6% of the server's CPU time under load).
	r.SetMaxOpenConns(readConns)
	r.SetMaxIdleConns(readConns)
	if err := r.PingContext(ctx); err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	s.r = r
	for _, st := range []struct {
		dst   **sql.Stmt
		query string
	}{{&s.rq.user, userSQL}, {&s.rq.relationList, relationListSQL}, {&s.rq.messagesAfter, messagesAfterSQL}} {
		if *st.dst, err = r.PrepareContext(ctx, st.query); err != nil {
			w.Close()
			r.Close()
			return nil, fmt.Errorf("open %s: prepare %q: %w", path, st.query, err)
		}
	}
	// The checkpointer's connection fsyncs the database file after copying
	// the WAL into it (FULL), so the WAL may then be reused.
	ck, err := sql.Open("sqlite", base+"&_pragma=synchronous(FULL)")
	if err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	ck.SetMaxOpenConns(1)
	if err := ck.PingContext(ctx); err != nil {
		w.Close()
		r.Close()
		ck.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	s.ck = ck
	s.wr.jobs = make(chan *job, maxBatch)
	s.wr.restart = make(chan struct{}, 1)
	s.wr.restartAt.Store(walRestartAt)
	s.wr.done = make(chan struct{})
	go s.runWriter()
	s.ckStop, s.ckDone = make(chan struct{}), make(chan struct{})
	go s.runCheckpointer(ck, path, checkpointEvery, s.ckStop, s.ckDone)
	return s, nil
}

// migrate applies the pending migrations of migrations/sqlite to db.
//
// Two processes opening an old database at once may both try a migration;
// the second one's transaction then fails (BEGIN IMMEDIATE makes it wait for
// the first, after which its tables exist) and is rolled back, and migrate
// succeeds if nothing is pending any more.
func migrate(ctx context.Context, db *sql.DB, log *slog.Logger) error {
	files, err := fs.Sub(migrations, "migrations/sqlite")
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, files, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("load migrations: %w", err)
	}
	// p.Close would close db: the provider is simply dropped.
	results, err := p.Up(ctx)
	for _, r := range results {
		if r.Error == nil {
			log.InfoContext(ctx, "schema migration applied", "version", r.Source.Version,
				"file", filepath.Base(r.Source.Path), "duration", r.Duration)
		}
	}
	if err != nil {
		if pending, perr := p.HasPending(ctx); perr == nil && !pending {
			log.WarnContext(ctx, "schema migration failed, but another process completed it", "err", err)
			return nil
		}
		return err
	}
	return nil
}

// Close closes the database.
// Sends still queued are committed first.
func (s *Store) Close() error {
	s.closeWriter()
	s.ckOnce.Do(func() { close(s.ckStop) })
	<-s.ckDone
	return errors.Join(s.ck.Close(), s.r.Close(), s.w.Close())
}

// write runs fn in one write transaction. The single write connection
// serializes it with every other write.
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin write: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// isUnique reports whether err is a violated UNIQUE or PRIMARY KEY
// constraint.
func isUnique(err error) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	return e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(...any) error }
