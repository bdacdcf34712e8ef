// Package state is the service's state database: one SQLite file per data folder (pure Go,
// modernc.org/sqlite, so the binary stays CGO_ENABLED=0) holding what must survive a restart:
// the last processed bar per symbol and frequency, the last score band sent per output and the
// outbox of notifications not yet acknowledged by Telegram. The trader's ledger will join them
// as a later schema migration.
//
// The file is an ordinary SQLite database in WAL mode: `sqlite3 <data_folder>/tradectl.db`
// can read it while the service runs. Times are stored as UTC text in a fixed-width,
// sortable layout (2006-01-02T15:04:05.000Z), so they are readable and comparable in SQL.
//
// Each tick's changes (progress, band, enqueued messages) are made in one transaction through
// DB.Tick, so a crash leaves either all of a tick or none of it.
package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"time"

	"github.com/tradectl/tradectl/internal/clock"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// FileName is the state database's name inside the data folder.
const FileName = "tradectl.db"

// Path returns the state database path for a data folder.
func Path(dataFolder string) string { return filepath.Join(dataFolder, FileName) }

// ErrSchemaTooNew is returned by Open when the file was written by a newer tradectl.
var ErrSchemaTooNew = errors.New("state database schema is newer than this tradectl supports")

// timeLayout is how times are stored: UTC, fixed width, so text order is time order.
const timeLayout = "2006-01-02T15:04:05.000Z"

// Options configures Open.
type Options struct {
	// Clock stamps created/updated times; nil means clock.System.
	Clock clock.Clock
	// BusyTimeout is how long a statement waits for another process's lock (default 5 s).
	BusyTimeout time.Duration
}

// DB is an open state database. It is safe for concurrent use; statements are serialised
// over one connection (SQLite has one writer anyway), so a transaction function must only use
// its Tx, never the DB.
type DB struct {
	sql  *sql.DB
	path string
	clk  clock.Clock
}

// Open opens (creating if needed) the state database at path and applies any pending
// migrations. A database from a newer tradectl is refused with ErrSchemaTooNew.
func Open(ctx context.Context, path string, opt Options) (*DB, error) {
	return openWith(ctx, path, opt, migrations)
}

func openWith(ctx context.Context, path string, opt Options, migs []migration) (*DB, error) {
	if opt.Clock == nil {
		opt.Clock = clock.System{}
	}
	if opt.BusyTimeout <= 0 {
		opt.BusyTimeout = 5 * time.Second
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", opt.BusyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	// FULL: a commit survives power loss too, so a message marked sent stays marked.
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "foreign_keys(ON)")
	q.Set("_txlock", "immediate") // writers take the lock at BEGIN: no upgrade deadlocks
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
	sdb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("state database %s: %w", path, err)
	}
	sdb.SetMaxOpenConns(1)
	sdb.SetConnMaxLifetime(0)
	sdb.SetConnMaxIdleTime(0)
	d := &DB{sql: sdb, path: path, clk: opt.Clock}
	if err := d.migrate(ctx, migs); err != nil {
		sdb.Close()
		return nil, err
	}
	return d, nil
}

// Path returns the file the database lives in.
func (d *DB) Path() string { return d.path }

// Close closes the database (checkpointing the WAL when it is the last connection).
func (d *DB) Close() error { return d.sql.Close() }

// Tx is one transaction of the state database.
type Tx struct {
	tx  *sql.Tx
	now time.Time
}

// Now is the clock time at which the transaction began; rows it writes carry this time.
func (t *Tx) Now() time.Time { return t.now }

// Tick runs fn in one write transaction: it commits if fn returns nil and rolls back
// otherwise (returning fn's error). Everything one tick changes goes through one Tick call.
func (d *DB) Tick(ctx context.Context, fn func(tx *Tx) error) error {
	stx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("state database %s: begin: %w", d.path, err)
	}
	tx := &Tx{tx: stx, now: d.clk.Now().UTC()}
	if err := fn(tx); err != nil {
		stx.Rollback()
		return err
	}
	if err := stx.Commit(); err != nil {
		return fmt.Errorf("state database %s: commit: %w", d.path, err)
	}
	return nil
}

// Savepoint runs fn inside a savepoint of the transaction: if fn fails, what it changed is
// rolled back and fn's error returned, while the rest of the transaction goes on (so one
// output of a tick cannot undo the others).
func (t *Tx) Savepoint(ctx context.Context, fn func() error) error {
	if _, err := t.tx.ExecContext(ctx, "SAVEPOINT output"); err != nil {
		return fmt.Errorf("state database: savepoint: %w", err)
	}
	if ferr := fn(); ferr != nil {
		_, err := t.tx.ExecContext(ctx, "ROLLBACK TO output")
		if err == nil {
			_, err = t.tx.ExecContext(ctx, "RELEASE output")
		}
		if err != nil {
			return errors.Join(ferr, fmt.Errorf("state database: rollback to savepoint: %w", err))
		}
		return ferr
	}
	if _, err := t.tx.ExecContext(ctx, "RELEASE output"); err != nil {
		return fmt.Errorf("state database: release savepoint: %w", err)
	}
	return nil
}

// View runs fn in a transaction that is always rolled back: a consistent read.
func (d *DB) View(ctx context.Context, fn func(tx *Tx) error) error {
	stx, err := d.sql.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("state database %s: begin: %w", d.path, err)
	}
	defer stx.Rollback()
	return fn(&Tx{tx: stx, now: d.clk.Now().UTC()})
}

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("stored time %q: %w", s, err)
	}
	return t, nil
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return formatTime(t)
}

func parseNullTime(s sql.NullString) (time.Time, error) {
	if !s.Valid {
		return time.Time{}, nil
	}
	return parseTime(s.String)
}
