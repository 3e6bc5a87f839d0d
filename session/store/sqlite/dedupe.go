package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// Inbound dedupe: redeliveries run nothing again.

// ClaimInbound records an inbound event's dedupe key. It reports false
// with the stored outcome (nil while the first delivery is still running)
// when the key was seen before.
func (s *Store) ClaimInbound(ctx context.Context, key string, at time.Time) (bool, json.RawMessage, error) {
	var first bool
	var out sql.NullString
	err := s.inBatch(ctx, func(ctx context.Context, tx *sql.Tx) error {
		first, out = false, sql.NullString{}
		res, err := tx.ExecContext(ctx, `INSERT INTO inbound (key, at) VALUES (?, ?) ON CONFLICT(key) DO NOTHING`, key, ts(at))
		if err != nil {
			return fmt.Errorf("claim inbound: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			first = true
			return nil
		}
		if err := tx.QueryRowContext(ctx, `SELECT outcome FROM inbound WHERE key = ?`, key).Scan(&out); err != nil {
			return fmt.Errorf("claim inbound: %w", err)
		}
		return nil
	})
	if err != nil || first || !out.Valid {
		return first, nil, err
	}
	return false, json.RawMessage(out.String), nil
}

// ForgetUnfinishedInbound drops dedupe keys whose first delivery never
// finished (the process died mid-turn), so a redelivery is handled instead
// of being answered "in progress" forever. Confirmed actions stay
// protected by their proposals' states and execution claims.
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
