// Package sqlite is the embedded store: one SQLite file in WAL mode through
// modernc.org/sqlite (no cgo).
//
// Concurrency: writes go through a single connection whose transactions
// begin IMMEDIATE, so a read-check-write inside Update is serialized against
// every other writer, including other processes on the same file (they wait
// on busy_timeout). Reads use a separate pool and never block writers.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/openpca/openpca/internal/store"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Store is a store.Store on one SQLite database file.
type Store struct {
	changed    store.Signal
	appendHook atomic.Pointer[store.AppendHook]
	updates    chan *update
	closing    chan struct{}
	closeOnce  sync.Once
	writerDone chan struct{}
	write      *sql.DB
	read       *sql.DB
	wq         *queries
	rq         *queries
}

var _ store.Store = (*Store)(nil)

// walCheckpointPages is the WAL size, in pages, at which a commit copies the
// WAL back into the database. The copy runs inside that commit and stalls
// every write queued behind it, and a page rewritten many times (the outbox
// tail, the relay cursor, index pages) is copied once per checkpoint. 8,000
// pages (32 MiB) instead of SQLite's 1,000 makes the stalls eight times rarer
// and each longer: BenchmarkCommitLatency puts the p99 commit at a quarter
// to a half and the p99.9 at about three times the default's (3.4 vs 12.9 ms,
// 50 vs 16 ms; 18% more commits per second), and go run ./bench
// saw p99 commit → SQS consumer at 500 issuances/s fall from 24.5 to 17 ms
// and server CPU per certificate from 1.10 to 0.92 ms (docs/BENCHMARKS.md).
const walCheckpointPages = 8000

// Open opens (creating if needed) the database at path and applies migrations.
func Open(ctx context.Context, path string) (*Store, error) {
	return open(ctx, path, walCheckpointPages)
}

func open(ctx context.Context, path string, checkpointPages int) (*Store, error) {
	pragmas := []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(ON)",
		fmt.Sprintf("wal_autocheckpoint(%d)", checkpointPages)}
	dsn := func(extra ...string) string {
		v := url.Values{}
		for _, p := range pragmas {
			v.Add("_pragma", p)
		}
		for i := 0; i+1 < len(extra); i += 2 {
			v.Add(extra[i], extra[i+1])
		}
		return "file:" + path + "?" + v.Encode()
	}
	write, err := sql.Open("sqlite", dsn("_txlock", "immediate"))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	if err := migrate(ctx, write); err != nil {
		write.Close()
		return nil, err
	}
	read, err := sql.Open("sqlite", dsn())
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	read.SetMaxOpenConns(8)
	read.SetMaxIdleConns(8)
	wq, err := newQueries(ctx, write)
	if err != nil {
		write.Close()
		read.Close()
		return nil, err
	}
	rq, err := newQueries(ctx, read)
	if err != nil {
		write.Close()
		read.Close()
		return nil, err
	}
	s := &Store{write: write, read: read, wq: wq, rq: rq, updates: make(chan *update), closing: make(chan struct{}),
		writerDone: make(chan struct{})}
	go s.writer()
	return s, nil
}

func migrate(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)`); err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	var applied int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&applied); err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	if applied > len(migrations) {
		return fmt.Errorf("sqlite: database schema version %d is newer than this binary (%d)", applied, len(migrations))
	}
	for v := applied + 1; v <= len(migrations); v++ {
		if _, err := tx.ExecContext(ctx, migrations[v-1]); err != nil {
			return fmt.Errorf("sqlite: migration %d: %w", v, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version) VALUES (?)`, v); err != nil {
			return fmt.Errorf("sqlite: migration %d: %w", v, err)
		}
	}
	return tx.Commit()
}

// Close stops the writer and closes both connection pools.
func (s *Store) Close() error {
	s.closeOnce.Do(func() { close(s.closing) })
	<-s.writerDone
	return errors.Join(s.read.Close(), s.write.Close())
}

// errClosed answers Updates made after Close.
var errClosed = errors.New("sqlite: store is closed")

// maxGroup bounds how many Updates share one commit, so one commit's wait
// stays short.
const maxGroup = 64

// update is one Update waiting for the writer.
type update struct {
	ctx  context.Context
	fn   func(store.Tx) error
	done chan error
}

// panicked carries a panic from fn back to the Update caller's goroutine.
type panicked struct{ value any }

func (p panicked) Error() string { return fmt.Sprint("sqlite: update panicked: ", p.value) }

// Update runs fn atomically: its writes commit together, durably, before
// Update returns nil, or not at all.
//
// Concurrent Updates share one IMMEDIATE transaction (group commit): the
// writer runs each queued fn inside its own savepoint, rolls back only the
// savepoints whose fn failed, and commits once, so N concurrent requests cost
// one fsync. fns run one after another, each seeing the writes of the ones
// before it, exactly as if they had committed separately.
func (s *Store) Update(ctx context.Context, fn func(store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	u := &update{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case s.updates <- u:
	case <-s.closing:
		return errClosed
	}
	// Wait even if ctx ends: once queued, fn may already be committing, and
	// the caller must not believe a committed change failed.
	err := <-u.done
	if p, ok := err.(panicked); ok {
		panic(p.value)
	}
	return err
}

func (s *Store) writer() {
	defer close(s.writerDone)
	for {
		var batch []*update
		select {
		case u := <-s.updates:
			batch = append(batch, u)
		case <-s.closing:
			return
		}
	gather:
		for len(batch) < maxGroup {
			select {
			case u := <-s.updates:
				batch = append(batch, u)
			default:
				break gather
			}
		}
		s.commit(batch)
	}
}

// commit runs a group of updates in one transaction and answers each.
func (s *Store) commit(batch []*update) {
	results := make([]error, len(batch))
	answer := func() {
		for i, u := range batch {
			u.done <- results[i]
		}
	}
	failAll := func(err error) {
		for i := range results {
			if results[i] == nil {
				results[i] = err
			}
		}
		answer()
	}
	ctx := context.Background()
	sqlTx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		failAll(fmt.Errorf("sqlite: begin: %w", err))
		return
	}
	grouped := len(batch) > 1
	anyDeliveries, anyAppended := false, false
	for i, u := range batch {
		if err := u.ctx.Err(); err != nil {
			results[i] = err
			continue
		}
		if grouped {
			if _, err := sqlTx.ExecContext(ctx, "SAVEPOINT u"); err != nil {
				sqlTx.Rollback()
				failAll(fmt.Errorf("sqlite: savepoint: %w", err))
				return
			}
		}
		var deliveries, appended bool
		err := run(u.fn, &tx{queries: s.wq.inTx(sqlTx, &deliveries, &appended)})
		switch {
		case err != nil && !grouped:
			sqlTx.Rollback()
			results[i] = err
			answer()
			return
		case err != nil:
			results[i] = err
			if _, rbErr := sqlTx.ExecContext(ctx, "ROLLBACK TO u"); rbErr != nil {
				sqlTx.Rollback()
				failAll(fmt.Errorf("sqlite: group commit aborted: %w", rbErr))
				return
			}
			fallthrough
		case grouped:
			if _, err := sqlTx.ExecContext(ctx, "RELEASE u"); err != nil {
				sqlTx.Rollback()
				failAll(fmt.Errorf("sqlite: release savepoint: %w", err))
				return
			}
		}
		anyDeliveries = anyDeliveries || (err == nil && deliveries)
		anyAppended = anyAppended || (err == nil && appended)
	}
	var afterCommit func()
	relayed := false
	if hook := s.appendHook.Load(); hook != nil && anyAppended {
		var deliveries bool
		if afterCommit, relayed, err = s.runHook(ctx, sqlTx, *hook, &deliveries); err != nil {
			sqlTx.Rollback()
			failAll(err)
			return
		}
		anyDeliveries = anyDeliveries || deliveries
	}
	if err := sqlTx.Commit(); err != nil {
		failAll(fmt.Errorf("sqlite: commit: %w", err))
		return
	}
	// Events the hook relayed need no wake-up; new deliveries and events it
	// did not relay do.
	if anyDeliveries || (anyAppended && !relayed) {
		s.changed.Fire()
	}
	answer()
	if afterCommit != nil {
		afterCommit()
	}
}

// runHook runs the append hook in its own savepoint and reports whether it
// succeeded. Only a failure to manage the savepoint is returned: the hook's
// own failure is undone and forgotten, since the events it would have
// relayed stay in the outbox.
func (s *Store) runHook(ctx context.Context, sqlTx *sql.Tx, hook store.AppendHook, deliveries *bool) (func(), bool, error) {
	if _, err := sqlTx.ExecContext(ctx, "SAVEPOINT hook"); err != nil {
		return nil, false, fmt.Errorf("sqlite: savepoint: %w", err)
	}
	var appended bool
	var afterCommit func()
	err := run(func(t store.Tx) (err error) {
		afterCommit, err = hook(t)
		return err
	}, &tx{queries: s.wq.inTx(sqlTx, deliveries, &appended)})
	ok := err == nil
	if !ok {
		afterCommit, *deliveries = nil, false
		if _, err := sqlTx.ExecContext(ctx, "ROLLBACK TO hook"); err != nil {
			return nil, false, fmt.Errorf("sqlite: roll back the append hook: %w", err)
		}
	}
	if _, err := sqlTx.ExecContext(ctx, "RELEASE hook"); err != nil {
		return nil, false, fmt.Errorf("sqlite: release savepoint: %w", err)
	}
	return afterCommit, ok, nil
}

// SetAppendHook implements store.Store.
func (s *Store) SetAppendHook(hook store.AppendHook) {
	if hook == nil {
		s.appendHook.Store(nil)
		return
	}
	s.appendHook.Store(&hook)
}

// run calls fn, turning a panic into an error the caller re-raises.
func run(fn func(store.Tx) error, t *tx) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = panicked{v}
		}
	}()
	return fn(t)
}

// Changed implements store.Store.
func (s *Store) Changed() <-chan struct{} { return s.changed.C() }

// querier is what *sql.DB and *sql.Tx share.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// queries runs statements prepared once per database at open; inside a
// transaction the prepared statement is rebound to it. The map is read-only
// after newQueries, so concurrent use needs no lock.
type queries struct {
	tx *sql.Tx
	// Inside a transaction, deliveries records that it wrote deliveries and
	// appended that it appended events, so that the commit can run the append
	// hook and fire the store's signal.
	deliveries, appended *bool
	stmts                map[string]*sql.Stmt
}

func newQueries(ctx context.Context, db *sql.DB) (*queries, error) {
	q := &queries{stmts: make(map[string]*sql.Stmt)}
	for _, text := range slices.Concat(allStatements, policyStatements, busStatements, queueStatements) {
		st, err := db.PrepareContext(ctx, text)
		if err != nil {
			return nil, fmt.Errorf("sqlite: prepare %q: %w", text, err)
		}
		q.stmts[text] = st
	}
	return q, nil
}

func (q *queries) inTx(t *sql.Tx, deliveries, appended *bool) *queries {
	c := *q
	c.tx, c.deliveries, c.appended = t, deliveries, appended
	return &c
}

func (q *queries) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	st, ok := q.stmts[query]
	if !ok {
		return nil, fmt.Errorf("sqlite: statement not prepared at open: %q", query)
	}
	if q.tx != nil {
		return q.tx.StmtContext(ctx, st), nil
	}
	return st, nil
}

func (q *queries) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := q.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	res, err := st.ExecContext(ctx, args...)
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE constraint failed") || strings.Contains(err.Error(), "PRIMARY KEY") {
			return nil, fmt.Errorf("%w: %v", store.ErrConflict, err)
		}
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	return res, nil
}

func (q *queries) queryRow(ctx context.Context, query string, args ...any) (*sql.Row, error) {
	st, err := q.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryRowContext(ctx, args...), nil
}

func (q *queries) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := q.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	return rows, nil
}

func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	return fmt.Errorf("sqlite: %w", err)
}

type tx struct{ *queries }

var _ store.Tx = (*tx)(nil)

// Reads outside a transaction go to the read pool.
func (s *Store) GetAccessKey(ctx context.Context, id string) (store.AccessKey, error) {
	return s.rq.GetAccessKey(ctx, id)
}
func (s *Store) GetAccount(ctx context.Context, id string) (store.Account, error) {
	return s.rq.GetAccount(ctx, id)
}
func (s *Store) GetCA(ctx context.Context, id string) (store.CA, error) { return s.rq.GetCA(ctx, id) }
func (s *Store) GetCAState(ctx context.Context, id string) (store.CA, error) {
	return s.rq.GetCAState(ctx, id)
}
func (s *Store) ListCAs(ctx context.Context, accountID, region string, afterSeq int64, limit int) ([]store.CA, error) {
	return s.rq.ListCAs(ctx, accountID, region, afterSeq, limit)
}
func (s *Store) ListTags(ctx context.Context, caID string) ([]store.Tag, error) {
	return s.rq.ListTags(ctx, caID)
}
func (s *Store) GetCertificate(ctx context.Context, caID, serial string) (store.Certificate, error) {
	return s.rq.GetCertificate(ctx, caID, serial)
}
func (s *Store) GetIdempotency(ctx context.Context, accountID, operation, token string) (store.Idempotency, error) {
	return s.rq.GetIdempotency(ctx, accountID, operation, token)
}
func (s *Store) ListSharedCAs(ctx context.Context, accountID, region string, afterSeq int64, limit int) ([]store.CA, error) {
	return s.rq.ListSharedCAs(ctx, accountID, region, afterSeq, limit)
}
func (s *Store) GetPolicy(ctx context.Context, caID string) (store.Policy, error) {
	return s.rq.GetPolicy(ctx, caID)
}
func (s *Store) ListPermissions(ctx context.Context, caID string) ([]store.Permission, error) {
	return s.rq.ListPermissions(ctx, caID)
}
func (s *Store) GetEventBus(ctx context.Context, accountID, region, name string) (store.EventBus, error) {
	return s.rq.GetEventBus(ctx, accountID, region, name)
}
func (s *Store) ListEventBuses(ctx context.Context, accountID, region string) ([]store.EventBus, error) {
	return s.rq.ListEventBuses(ctx, accountID, region)
}
func (s *Store) GetRule(ctx context.Context, accountID, region, bus, name string) (store.Rule, error) {
	return s.rq.GetRule(ctx, accountID, region, bus, name)
}
func (s *Store) ListRules(ctx context.Context, accountID, region, bus string) ([]store.Rule, error) {
	return s.rq.ListRules(ctx, accountID, region, bus)
}
func (s *Store) ListTargets(ctx context.Context, accountID, region, bus, rule string) ([]store.Target, error) {
	return s.rq.ListTargets(ctx, accountID, region, bus, rule)
}
func (s *Store) ListBusTargets(ctx context.Context, accountID, region, bus string) ([]store.Target, error) {
	return s.rq.ListBusTargets(ctx, accountID, region, bus)
}
func (s *Store) DueDeliveries(ctx context.Context, now time.Time, limit int) ([]store.Delivery, error) {
	return s.rq.DueDeliveries(ctx, now, limit)
}
func (s *Store) NextDeliveryAt(ctx context.Context) (time.Time, error) {
	return s.rq.NextDeliveryAt(ctx)
}
func (s *Store) GetCursor(ctx context.Context, name string) (int64, error) {
	return s.rq.GetCursor(ctx, name)
}
func (s *Store) ListEvents(ctx context.Context, afterSeq int64, limit int) ([]store.Event, error) {
	return s.rq.ListEvents(ctx, afterSeq, limit)
}
