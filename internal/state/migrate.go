package state

import (
	"context"
	"errors"
	"fmt"
)

// migration is one forward step of the schema. Versions are 1, 2, 3, ... in order; a new table
// (the trader's ledger, say) is a new entry appended to migrations, never an edit of an old one.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations is the schema history. Never edit an applied entry: append a new one.
var migrations = []migration{
	{1, "service progress, score bands, notification outbox", `
CREATE TABLE progress (
	symbol     TEXT NOT NULL,
	freq       TEXT NOT NULL,
	last_bar   TEXT NOT NULL, -- open time of the last processed closed bar (UTC)
	updated_at TEXT NOT NULL,
	PRIMARY KEY (symbol, freq)
) STRICT;

CREATE TABLE score_band (
	output     TEXT PRIMARY KEY, -- the output_sets entry, e.g. "score_notification_model#0"
	band       INTEGER NOT NULL, -- the last band_no computed (ITB's prev_band_no)
	bar        TEXT NOT NULL,    -- close time of the bar it was computed for
	updated_at TEXT NOT NULL
) STRICT;

CREATE TABLE outbox (
	id              INTEGER PRIMARY KEY AUTOINCREMENT, -- delivery order
	created_at      TEXT NOT NULL,
	kind            TEXT NOT NULL CHECK (kind IN ('text', 'photo')),
	text            TEXT NOT NULL,            -- message, or photo caption, formatted for parse_mode
	parse_mode      TEXT NOT NULL DEFAULT '', -- Telegram parse_mode: '', 'HTML', 'MarkdownV2'
	photo           BLOB,                     -- PNG bytes for kind 'photo'
	filename        TEXT NOT NULL DEFAULT '',
	dedup_key       TEXT NOT NULL UNIQUE,     -- e.g. output + bar time: enqueued at most once
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt_at TEXT NOT NULL,
	last_error      TEXT NOT NULL DEFAULT '',
	sent_at         TEXT, -- set when Telegram acknowledged it
	failed_at       TEXT, -- set when given up (Telegram rejected it as malformed)
	CHECK (kind = 'text' OR photo IS NOT NULL)
) STRICT;

CREATE INDEX outbox_pending ON outbox (id) WHERE sent_at IS NULL AND failed_at IS NULL;
`},
	{2, "paper trader bars and fills", `
CREATE TABLE paper_bar (
	trader   TEXT NOT NULL,    -- the trader_simulation output, e.g. "trader_simulation#0"
	time     INTEGER NOT NULL, -- bar open time, Unix ms
	open     REAL NOT NULL,
	high     REAL NOT NULL,
	low      REAL NOT NULL,
	close    REAL NOT NULL,
	decision INTEGER NOT NULL CHECK (decision IN (0, 1, 2)), -- none, buy, sell (at the bar's close)
	PRIMARY KEY (trader, time)
) STRICT;

CREATE TABLE paper_fill (
	trader     TEXT NOT NULL,
	seq        INTEGER NOT NULL, -- 1, 2, 3, ... per trader
	time       INTEGER NOT NULL, -- open time of the bar the fill happened in, Unix ms
	side       TEXT NOT NULL CHECK (side IN ('BUY', 'SELL')),
	entry      INTEGER NOT NULL CHECK (entry IN (0, 1)),
	price      REAL NOT NULL,    -- market price before slippage
	qty        REAL NOT NULL,
	fee        REAL NOT NULL,
	reason     TEXT NOT NULL,    -- exit reason ('' for an entry)
	profit     REAL NOT NULL,    -- net profit of the round trip an exit closes (0 for an entry)
	profit_pct REAL NOT NULL,    -- 100 * profit / quote committed at entry
	equity     REAL NOT NULL,    -- account equity at the close of the fill's bar
	PRIMARY KEY (trader, seq)
) STRICT;

CREATE INDEX paper_fill_time ON paper_fill (trader, time);
`},
}

// migrate brings the schema up to the last of migs, each step in its own transaction with
// its schema_version row, and refuses a database that is already past it.
func (d *DB) migrate(ctx context.Context, migs []migration) error {
	for i, m := range migs {
		if m.version != i+1 {
			return fmt.Errorf("state: migration %d has version %d", i+1, m.version)
		}
	}
	for {
		done, err := d.migrateOne(ctx, migs)
		if err != nil || done {
			return err
		}
	}
}

// migrateOne applies the next pending migration and reports whether none was left.
func (d *DB) migrateOne(ctx context.Context, migs []migration) (done bool, err error) {
	err = d.Tick(ctx, func(tx *Tx) error {
		if _, err := tx.tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
	version    INTEGER PRIMARY KEY,
	name       TEXT NOT NULL,
	applied_at TEXT NOT NULL
) STRICT`); err != nil {
			return err
		}
		var cur int
		if err := tx.tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&cur); err != nil {
			return err
		}
		if cur > len(migs) {
			return fmt.Errorf("%w: %s has schema version %d, this tradectl knows versions up to %d (upgrade tradectl or use another data folder)",
				ErrSchemaTooNew, d.path, cur, len(migs))
		}
		if cur == len(migs) {
			done = true
			return nil
		}
		m := migs[cur]
		if _, err := tx.tx.ExecContext(ctx, m.sql); err != nil {
			return fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
		}
		_, err := tx.tx.ExecContext(ctx, `INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)`,
			m.version, m.name, formatTime(tx.now))
		return err
	})
	if err != nil {
		if errors.Is(err, ErrSchemaTooNew) {
			return false, err
		}
		return false, fmt.Errorf("state database %s: %w", d.path, err)
	}
	return done, nil
}

// SchemaVersion returns the schema version the database is at.
func (d *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := d.sql.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("state database %s: %w", d.path, err)
	}
	return v, nil
}
