package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// Events (outbound deliveries), marks (small durable state of channel
// adapters) and session continuity (the channel each session used last).

// AppendEvent stores an outbound delivery for a session and returns its id.
func (s *Store) AppendEvent(ctx context.Context, sid session.SessionID, at time.Time, out json.RawMessage) (int64, error) {
	res, err := s.w.ExecContext(ctx, `INSERT INTO events (session, at, outbound) VALUES (?,?,?)`, string(sid), ts(at), string(out))
	if err != nil {
		return 0, fmt.Errorf("append event: %w", err)
	}
	return res.LastInsertId()
}

// Events returns a session's events after an id, oldest first.
func (s *Store) Events(ctx context.Context, sid session.SessionID, after int64, limit int) ([]store.Event, error) {
	if limit <= 0 || limit > 500 {
		limit = 500
	}
	rows, err := s.r.QueryContext(ctx, `SELECT id, at, outbound FROM events WHERE session = ? AND id > ? ORDER BY id LIMIT ?`, string(sid), after, limit)
	if err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	return scanAll(rows, func(rows *sql.Rows) (store.Event, error) {
		e := store.Event{Session: sid}
		var at, o string
		err := rows.Scan(&e.ID, &at, &o)
		e.At, e.Out = parseTS(at), json.RawMessage(o)
		return e, err
	})
}

// AllEvents returns the events of every session after an id, oldest
// first: the feed a channel that pushes to a platform reads.
func (s *Store) AllEvents(ctx context.Context, after int64, limit int) ([]store.Event, error) {
	if limit <= 0 || limit > 500 {
		limit = 500
	}
	rows, err := s.r.QueryContext(ctx, `SELECT id, session, at, outbound FROM events WHERE id > ? ORDER BY id LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("all events: %w", err)
	}
	return scanAll(rows, func(rows *sql.Rows) (store.Event, error) {
		var e store.Event
		var sid, at, o string
		err := rows.Scan(&e.ID, &sid, &at, &o)
		e.Session, e.At, e.Out = session.SessionID(sid), parseTS(at), json.RawMessage(o)
		return e, err
	})
}

// LastEventID is the id of the newest event, 0 when there is none.
func (s *Store) LastEventID(ctx context.Context) (int64, error) {
	var id sql.NullInt64
	if err := s.r.QueryRowContext(ctx, `SELECT MAX(id) FROM events`).Scan(&id); err != nil {
		return 0, fmt.Errorf("last event: %w", err)
	}
	return id.Int64, nil
}

// Mark reads a mark.
func (s *Store) Mark(ctx context.Context, key string) (string, bool, error) {
	return optional[string](s.w.QueryRowContext(ctx, `SELECT value FROM marks WHERE key = ?`, key), "mark")
}

// SetMark writes a mark; an empty value deletes it.
func (s *Store) SetMark(ctx context.Context, key, value string, at time.Time) error {
	var err error
	if value == "" {
		_, err = s.w.ExecContext(ctx, `DELETE FROM marks WHERE key = ?`, key)
	} else {
		_, err = s.w.ExecContext(ctx, `INSERT INTO marks (key, value, at) VALUES (?,?,?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, at = excluded.at`, key, value, ts(at))
	}
	if err != nil {
		return fmt.Errorf("set mark: %w", err)
	}
	return nil
}

// TakeMark deletes a mark and returns its value; of two callers, one gets
// it and the other finds nothing.
func (s *Store) TakeMark(ctx context.Context, key string) (string, bool, error) {
	return optional[string](s.w.QueryRowContext(ctx, `DELETE FROM marks WHERE key = ? RETURNING value`, key), "take mark")
}

// Marks lists the marks whose key starts with prefix, by key. The prefix
// is compared as bytes: substr counts characters in TEXT, bytes in a BLOB.
func (s *Store) Marks(ctx context.Context, prefix string) (map[string]string, error) {
	rows, err := s.w.QueryContext(ctx, `SELECT key, value FROM marks WHERE substr(CAST(key AS BLOB), 1, ?) = CAST(? AS BLOB) ORDER BY key`, len(prefix), prefix)
	if err != nil {
		return nil, fmt.Errorf("marks: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, rows.Err()
}

// TouchSession records the channel a session was last used from.
func (s *Store) TouchSession(ctx context.Context, sid session.SessionID, from session.Address, at time.Time) error {
	if _, err := s.w.ExecContext(ctx, `INSERT INTO sessions (id, channel, account, chat, at) VALUES (?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET channel = excluded.channel, account = excluded.account, chat = excluded.chat, at = excluded.at`,
		string(sid), from.Channel, from.Account, from.Chat, ts(at)); err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	return nil
}

// LastChannel returns the address a session was last used from.
func (s *Store) LastChannel(ctx context.Context, sid session.SessionID) (session.Address, error) {
	var a session.Address
	err := s.w.QueryRowContext(ctx, `SELECT channel, account, chat FROM sessions WHERE id = ?`, string(sid)).Scan(&a.Channel, &a.Account, &a.Chat)
	if errors.Is(err, sql.ErrNoRows) {
		return a, store.ErrNotFound
	}
	return a, err
}
