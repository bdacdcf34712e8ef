package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Kind is what an outbox message carries.
type Kind string

// Message kinds.
const (
	KindText  Kind = "text"
	KindPhoto Kind = "photo"
)

// Notification is a message to enqueue.
type Notification struct {
	Kind Kind
	// Text is the message (or the photo's caption), already formatted for ParseMode.
	Text      string
	ParseMode string
	// Photo holds the PNG bytes of a photo, named Filename.
	Photo    []byte
	Filename string
	// DedupKey identifies the notification (e.g. output and bar time): a second Enqueue with
	// the same key is ignored, even after the first was sent.
	DedupKey string
}

// Message is an outbox row.
type Message struct {
	ID int64
	Notification
	Created     time.Time
	Attempts    int
	NextAttempt time.Time
	LastError   string
	Sent        time.Time // zero until acknowledged
	Failed      time.Time // zero unless given up
}

// ErrBadNotification is returned by Enqueue for a notification that cannot be sent.
var ErrBadNotification = errors.New("state: bad notification")

// Enqueue adds n to the outbox, due at once. added is false (and id 0) when a notification
// with the same DedupKey was enqueued before.
func (t *Tx) Enqueue(ctx context.Context, n Notification) (id int64, added bool, err error) {
	switch {
	case n.DedupKey == "":
		return 0, false, fmt.Errorf("%w: empty dedup key", ErrBadNotification)
	case n.Kind == KindText && n.Text == "":
		return 0, false, fmt.Errorf("%w: %s: empty text", ErrBadNotification, n.DedupKey)
	case n.Kind == KindPhoto && len(n.Photo) == 0:
		return 0, false, fmt.Errorf("%w: %s: empty photo", ErrBadNotification, n.DedupKey)
	case n.Kind != KindText && n.Kind != KindPhoto:
		return 0, false, fmt.Errorf("%w: %s: unknown kind %q", ErrBadNotification, n.DedupKey, n.Kind)
	}
	var photo any
	if n.Kind == KindPhoto {
		photo = n.Photo
	}
	now := formatTime(t.now)
	err = t.tx.QueryRowContext(ctx, `INSERT INTO outbox (created_at, kind, text, parse_mode, photo, filename, dedup_key, next_attempt_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dedup_key) DO NOTHING RETURNING id`,
		now, string(n.Kind), n.Text, n.ParseMode, photo, n.Filename, n.DedupKey, now).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("state: enqueue %s: %w", n.DedupKey, err)
	}
	return id, true, nil
}

const messageColumns = `id, created_at, kind, text, parse_mode, photo, filename, dedup_key, attempts, next_attempt_at, last_error, sent_at, failed_at`

func scanMessage(row interface{ Scan(...any) error }) (*Message, error) {
	var m Message
	var created, next string
	var sent, failed sql.NullString
	var kind string
	if err := row.Scan(&m.ID, &created, &kind, &m.Text, &m.ParseMode, &m.Photo, &m.Filename, &m.DedupKey,
		&m.Attempts, &next, &m.LastError, &sent, &failed); err != nil {
		return nil, err
	}
	m.Kind = Kind(kind)
	var err error
	if m.Created, err = parseTime(created); err != nil {
		return nil, err
	}
	if m.NextAttempt, err = parseTime(next); err != nil {
		return nil, err
	}
	if m.Sent, err = parseNullTime(sent); err != nil {
		return nil, err
	}
	if m.Failed, err = parseNullTime(failed); err != nil {
		return nil, err
	}
	return &m, nil
}

// NextPending returns the oldest message neither sent nor given up, or nil if there is none.
// Delivery is in id order: a later message waits for the one before it.
func (d *DB) NextPending(ctx context.Context) (*Message, error) {
	row := d.sql.QueryRowContext(ctx, `SELECT `+messageColumns+` FROM outbox
WHERE sent_at IS NULL AND failed_at IS NULL ORDER BY id LIMIT 1`)
	m, err := scanMessage(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("state database %s: next pending message: %w", d.path, err)
	}
	return m, nil
}

// Messages returns every outbox row in id order (for tests, status output and sqlite3 users'
// peace of mind).
func (d *DB) Messages(ctx context.Context) ([]Message, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT `+messageColumns+` FROM outbox ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("state database %s: messages: %w", d.path, err)
	}
	defer rows.Close()
	var out []Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, fmt.Errorf("state database %s: messages: %w", d.path, err)
		}
		out = append(out, *m)
	}
	return out, rows.Err()
}

// Pending counts the messages neither sent nor given up.
func (d *DB) Pending(ctx context.Context) (int, error) {
	var n int
	err := d.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("state database %s: pending: %w", d.path, err)
	}
	return n, nil
}

// MarkSent records that Telegram acknowledged message id at time at.
func (d *DB) MarkSent(ctx context.Context, id int64, at time.Time) error {
	return d.update(ctx, id, `UPDATE outbox SET sent_at = ?, attempts = attempts + 1, last_error = '' WHERE id = ? AND sent_at IS NULL`, formatTime(at), id)
}

// MarkRetry records a failed attempt of message id and when to try again.
func (d *DB) MarkRetry(ctx context.Context, id int64, next time.Time, lastErr string) error {
	return d.update(ctx, id, `UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ? AND sent_at IS NULL`,
		formatTime(next), lastErr, id)
}

// MarkFailed gives up on message id (it will not be sent), keeping lastErr for the user.
func (d *DB) MarkFailed(ctx context.Context, id int64, at time.Time, lastErr string) error {
	return d.update(ctx, id, `UPDATE outbox SET attempts = attempts + 1, failed_at = ?, last_error = ? WHERE id = ? AND sent_at IS NULL`,
		formatTime(at), lastErr, id)
}

func (d *DB) update(ctx context.Context, id int64, query string, args ...any) error {
	res, err := d.sql.ExecContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("state database %s: outbox message %d: %w", d.path, id, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("state database %s: outbox message %d: not pending", d.path, id)
	}
	return nil
}

// PruneSent deletes messages sent before the given time (their dedup keys are forgotten
// with them) and returns how many were deleted.
func (d *DB) PruneSent(ctx context.Context, before time.Time) (int64, error) {
	res, err := d.sql.ExecContext(ctx, `DELETE FROM outbox WHERE sent_at IS NOT NULL AND sent_at < ?`, formatTime(before))
	if err != nil {
		return 0, fmt.Errorf("state database %s: prune: %w", d.path, err)
	}
	return res.RowsAffected()
}
