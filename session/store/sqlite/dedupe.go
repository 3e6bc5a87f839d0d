package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/steward-os/steward/session/store"
)

// Inbound dedupe: redeliveries run nothing again, and a key answers only
// the request it was first claimed for.

// ClaimInbound records an inbound event's dedupe key with the hash of its
// request. It reports false with the stored outcome (nil while the first
// delivery is still running) when the key was seen before for the same
// request, and store.ErrKeyReused when it was seen for another one.
func (s *Store) ClaimInbound(ctx context.Context, key, request string, at time.Time) (bool, json.RawMessage, error) {
	var first, reused bool
	var out sql.NullString
	err := s.inBatch(ctx, func(ctx context.Context, tx *sql.Tx) error {
		first, reused, out = false, false, sql.NullString{}
		res, err := tx.ExecContext(ctx, `INSERT INTO inbound (key, at, request) VALUES (?, ?, ?) ON CONFLICT(key) DO NOTHING`, key, ts(at), nullable(request))
		if err != nil {
			return fmt.Errorf("claim inbound: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			first = true
			return nil
		}
		var stored sql.NullString
		if err := tx.QueryRowContext(ctx, `SELECT outcome, request FROM inbound WHERE key = ?`, key).Scan(&out, &stored); err != nil {
			return fmt.Errorf("claim inbound: %w", err)
		}
		reused = stored.Valid && stored.String != request
		return nil
	})
	switch {
	case err != nil:
		return false, nil, err
	case reused:
		return false, nil, store.ErrKeyReused
	case first || !out.Valid:
		return first, nil, nil
	}
	return false, json.RawMessage(out.String), nil
}

// UnfinishedInbound lists the keys whose first delivery never finished,
// in the order they were claimed.
func (s *Store) UnfinishedInbound(ctx context.Context) ([]string, error) {
	rows, err := s.w.QueryContext(ctx, `SELECT key FROM inbound WHERE outcome IS NULL ORDER BY rowid`)
	if err != nil {
		return nil, fmt.Errorf("unfinished inbound: %w", err)
	}
	return scanAll(rows, text[string])
}

// ForgetUnfinishedInbound drops dedupe keys whose first delivery never
// finished (the process died mid-turn), so a redelivery is handled instead
// of being answered "in progress" forever. Recovery first settles the keys
// whose turn had claimed a state-changing dispatch (their outcome is
// stored), so what is forgotten ran nothing that could run twice.
func (s *Store) ForgetUnfinishedInbound(ctx context.Context) (int64, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM inbound WHERE outcome IS NULL`)
	if err != nil {
		return 0, fmt.Errorf("forget unfinished inbound: %w", err)
	}
	return res.RowsAffected()
}

// FinishInbound stores the outcome of a claimed inbound event.
func (s *Store) FinishInbound(ctx context.Context, key string, outcome json.RawMessage) error {
	return s.inBatch(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE inbound SET outcome = ? WHERE key = ?`, string(outcome), key); err != nil {
			return fmt.Errorf("finish inbound: %w", err)
		}
		return nil
	})
}
