package sqlitestore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// maxBatch is the most sends one group commit holds.
const maxBatch = 256

// A batch that finds lingerSiblings sends or more waiting (the server is
// busy) waits up to lingerFor for more before it commits: each commit
// rewrites the pages every send touches (the tail of the messages table
// and its indexes, the conversations' stamp index), so a batch of 40 costs
// far less per send than four of 10, in CPU and in bytes written.
var (
	lingerSiblings = 4
	lingerFor      = 500 * time.Microsecond
)

// errClosed answers a send made after Close.
var errClosed = errors.New("store closed")

// job is one send waiting for the writer.
type job struct {
	ctx  context.Context
	run  func(ctx context.Context, tx *sql.Tx) error
	done chan error // the send's error, or its batch's commit error; nil once committed
}

// writer runs the sends of Store.sendTx in batches (group commit): each batch
// is one transaction, each send in it under its own savepoint.
type writer struct {
	mu     sync.RWMutex // held (read) while enqueueing; Close takes it to close jobs
	closed bool
	jobs   chan *job
	done   chan struct{} // closed when the writer goroutine has ended

	commits atomic.Int64 // batches committed
	lastMs  atomic.Int64 // when the last batch committed (unix ms): checkpoints wait for a quiet moment

	// restart asks the writer for a RESTART checkpoint between two batches
	// (see runCheckpointer) once the WAL passes restartAt bytes (walRestartAt;
	// tests lower it); restarts counts the ones that completed.
	restart   chan struct{}
	restartAt atomic.Int64
	restarts  atomic.Int64

	// tx is the batch's transaction while it runs, and stmts its
	// statements bound to it (Store.stmt): binding one with
	// Tx.StmtContext allocates and locks each time, about 5% of a send.
	// stmts is only touched by the writer goroutine (the jobs run on it).
	tx    atomic.Pointer[sql.Tx]
	stmts map[*sql.Stmt]*sql.Stmt

	// hooks for tests; nil in production.
	beforeCommit func(n int)       // runs before each batch's COMMIT with its size
	lingering    func(n int)       // runs when a batch of n starts to wait for more (lingerFor)
	afterRun     func(i int) error // runs after the i-th send of a batch succeeded; an error fails that send
}

// group runs fn as one send of the next batch: in the batch's transaction,
// under a savepoint of its own (its writes are rolled back alone when fn
// fails; the others of its batch go on). It returns once the batch has
// committed — with synchronous=FULL, once the WAL is flushed to disk — or
// fn's error, or the batch's commit error.
//
// fn runs on the writer goroutine with the writer's context: it must not
// start another write (s.write or group) or it deadlocks.
func (s *Store) group(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	j := &job{ctx: ctx, run: fn, done: make(chan error, 1)}
	s.wr.mu.RLock()
	if s.wr.closed {
		s.wr.mu.RUnlock()
		return errClosed
	}
	s.wr.jobs <- j
	s.wr.mu.RUnlock()
	// No select on ctx: once queued the send may commit, and its caller must
	// learn whether it did.
	return <-j.done
}

// runWriter takes the queued sends as they come, as many as are waiting
// (up to maxBatch) per batch, until the queue is closed.
func (s *Store) runWriter() {
	defer close(s.wr.done)
	batch := make([]*job, 0, maxBatch)
	var linger *time.Timer
	for {
		var j *job
		select {
		case <-s.wr.restart:
			s.restartWAL()
			continue
		case next, ok := <-s.wr.jobs:
			if !ok {
				return
			}
			j = next
		}
		batch = append(batch[:0], j)
	more:
		for len(batch) < maxBatch {
			select {
			case j, ok := <-s.wr.jobs:
				if !ok {
					break more
				}
				batch = append(batch, j)
			default:
				break more
			}
		}
		if len(batch) >= lingerSiblings && len(batch) < maxBatch {
			// Under load, wait a moment for more sends (see lingerFor).
			if s.wr.lingering != nil {
				s.wr.lingering(len(batch))
			}
			if linger == nil {
				linger = time.NewTimer(lingerFor)
			} else {
				linger.Reset(lingerFor)
			}
		wait:
			for len(batch) < maxBatch {
				select {
				case j, ok := <-s.wr.jobs:
					if !ok {
						break wait
					}
					batch = append(batch, j)
				case <-linger.C:
					break wait
				}
			}
			linger.Stop()
		}
		s.runBatch(batch)
		clear(batch)
	}
}

// runBatch runs batch in one BEGIN IMMEDIATE transaction and answers each
// send after the COMMIT returned.
func (s *Store) runBatch(batch []*job) {
	ctx := context.Background()
	errs := make([]error, len(batch))
	fail := func(err error) {
		for _, j := range batch {
			j.done <- err
		}
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		fail(fmt.Errorf("begin write: %w", err))
		return
	}
	s.wr.tx.Store(tx)
	defer func() {
		s.wr.tx.Store(nil)
		clear(s.wr.stmts) // the transaction's end closed them
	}()
	for i, j := range batch {
		if err := j.ctx.Err(); err != nil {
			errs[i] = err // given up before its batch began: not run
			continue
		}
		if _, err := s.stmt(ctx, tx, s.q.savepoint).ExecContext(ctx); err != nil {
			tx.Rollback()
			fail(fmt.Errorf("savepoint: %w", err))
			return
		}
		err := j.run(ctx, tx)
		if err == nil && s.wr.afterRun != nil {
			err = s.wr.afterRun(i)
		}
		if err != nil {
			if _, rerr := s.stmt(ctx, tx, s.q.rollbackTo).ExecContext(ctx); rerr != nil {
				// The transaction is gone (e.g. an I/O error): nothing of the
				// batch is stored.
				tx.Rollback()
				fail(fmt.Errorf("%w; roll back to savepoint: %w", err, rerr))
				return
			}
			errs[i] = err
		}
		if _, err := s.stmt(ctx, tx, s.q.release).ExecContext(ctx); err != nil {
			tx.Rollback()
			fail(fmt.Errorf("release savepoint: %w", err))
			return
		}
	}
	if s.wr.beforeCommit != nil {
		s.wr.beforeCommit(len(batch))
	}
	if err := tx.Commit(); err != nil {
		fail(fmt.Errorf("commit: %w", err))
		return
	}
	s.wr.commits.Add(1)
	s.wr.lastMs.Store(time.Now().UnixMilli())
	for i, j := range batch {
		j.done <- errs[i]
	}
}

// stmt is st bound to tx: from the batch's cache when tx is the writer's
// batch (a send), else bound anew (Tx.StmtContext).
func (s *Store) stmt(ctx context.Context, tx *sql.Tx, st *sql.Stmt) *sql.Stmt {
	if tx != s.wr.tx.Load() {
		return tx.StmtContext(ctx, st)
	}
	b, ok := s.wr.stmts[st]
	if !ok {
		b = tx.StmtContext(ctx, st)
		if s.wr.stmts == nil {
			s.wr.stmts = map[*sql.Stmt]*sql.Stmt{}
		}
		s.wr.stmts[st] = b
	}
	return b
}

// closeWriter stops taking sends, lets the writer finish the queued ones and
// waits for it.
func (s *Store) closeWriter() {
	s.wr.mu.Lock()
	if !s.wr.closed {
		s.wr.closed = true
		close(s.wr.jobs)
	}
	s.wr.mu.Unlock()
	<-s.wr.done
}

// Checkpoint tuning: a PASSIVE checkpoint every checkpointEvery, on its own
// connection (it copies the WAL into the database and fsyncs it without the
// write lock). A PASSIVE checkpoint never lets the WAL start over under a
// steady load: the writer appends frames while it runs, so the next write
// finds frames not yet copied and appends after them. So once the WAL file
// passes walRestartAt and a PASSIVE checkpoint has copied all of it, the
// writer runs a RESTART checkpoint between two batches: it copies the few
// frames written meanwhile, and the next write starts the WAL over (the
// file is reused, not grown). Before, the WAL grew to 4 × walLimit and a
// TRUNCATE checkpoint then held the write lock while it copied all of it:
// the sends' p99 went from 8 ms to 100–200 ms at 6,000 msg/s. The TRUNCATE
// stays for a WAL past walLimit at a quiet moment (no commit for quietFor),
// or whatever the load past 4 × walLimit (readers kept the RESTART from
// completing).
//
// A checkpoint copies each page changed since the last one once, however
// often it changed: the last pages of each conversation's (conv, seq)
// index, the conversation rows and the messages table's tail change with
// nearly every commit. Once a second instead of every 250 ms, the bytes
// written per message at 6,000 msg/s went from 4.5–6.1 to 3.1–4.6 KB
// (loadgen, alternated); the WAL passes walRestartAt by what a second of
// writes adds before it starts over (a few MB at that rate).
var checkpointEvery = time.Second // a var: TestWALStartsOverUnderLoad shortens it

const (
	walRestartAt = 16 << 20
	walLimit     = 64 << 20
	quietFor     = 200 * time.Millisecond
	// restartBusy bounds how long a RESTART waits for readers of older
	// snapshots (it then checkpoints what it can and the next one tries
	// again); the sends wait meanwhile.
	restartBusy = 50 * time.Millisecond
)

// restartWAL runs a RESTART checkpoint on the write connection, between
// batches (see the checkpoint tuning above).
func (s *Store) restartWAL() {
	ctx := context.Background()
	c, err := s.w.Conn(ctx)
	if err != nil {
		s.log.WarnContext(ctx, "wal restart: no connection", "err", err)
		return
	}
	defer c.Close()
	if _, err := c.ExecContext(ctx, "PRAGMA busy_timeout="+strconv.FormatInt(restartBusy.Milliseconds(), 10)); err != nil {
		s.log.WarnContext(ctx, "wal restart: busy_timeout", "err", err)
		return
	}
	var busy, logFrames, done int
	if err := c.QueryRowContext(ctx, "PRAGMA wal_checkpoint(RESTART)").Scan(&busy, &logFrames, &done); err != nil {
		s.log.WarnContext(ctx, "wal restart failed", "err", err)
	} else if busy == 0 {
		s.wr.restarts.Add(1)
	}
	if _, err := c.ExecContext(ctx, "PRAGMA busy_timeout="+strconv.FormatInt(busyTimeout.Milliseconds(), 10)); err != nil {
		// The connection would keep the short timeout: drop it (the pool
		// opens a new one with the DSN's pragmas).
		c.Raw(func(any) error { return driver.ErrBadConn })
		s.log.WarnContext(ctx, "wal restart: busy_timeout back", "err", err)
	}
}

// runCheckpointer checkpoints the WAL of path on ck until stop is closed.
func (s *Store) runCheckpointer(ck *sql.DB, path string, every time.Duration, stop, done chan struct{}) {
	defer close(done)
	t := time.NewTicker(every)
	defer t.Stop()
	ctx := context.Background()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		// The WAL's size before the checkpoint (a PASSIVE one never shrinks
		// the file) decides both the mode and the writer's RESTART.
		var size int64
		if st, err := os.Stat(path + "-wal"); err == nil {
			size = st.Size()
		}
		mode := "PASSIVE"
		if size > walLimit {
			quiet := time.Now().UnixMilli()-s.wr.lastMs.Load() > quietFor.Milliseconds()
			if quiet || size > 4*walLimit {
				mode = "TRUNCATE"
			}
		}
		var busy, logFrames, done int
		if err := ck.QueryRowContext(ctx, "PRAGMA wal_checkpoint("+mode+")").Scan(&busy, &logFrames, &done); err != nil {
			s.log.WarnContext(ctx, "wal checkpoint failed", "mode", mode, "err", err)
			continue
		}
		if mode == "PASSIVE" && busy == 0 && logFrames > 0 && done == logFrames && size > s.wr.restartAt.Load() {
			select {
			case s.wr.restart <- struct{}{}:
			default: // one is pending
			}
		}
	}
}
