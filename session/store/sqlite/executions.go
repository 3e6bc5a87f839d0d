package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// Execution claims: a state-changing dispatch is claimed (with its
// "dispatch" audit record) before its handler runs, and settled by the
// commit that records its outcome.

// ClaimDispatch takes a dispatch's key, storing the audit entries with
// the claim when it is the first.
func (s *Store) ClaimDispatch(ctx context.Context, e store.Execution, audit ...store.AuditEntry) (bool, store.Execution, error) {
	e.Fact = 0
	row, err := json.Marshal(e)
	if err != nil {
		return false, store.Execution{}, err
	}
	var first bool
	var stored store.Execution
	err = s.inBatchAudited(ctx, func(ctx context.Context, tx *sql.Tx) error {
		first, stored = false, store.Execution{}
		res, err := tx.ExecContext(ctx, `INSERT INTO executions (key, at, inbound, row) VALUES (?, ?, ?, ?) ON CONFLICT(key) DO NOTHING`,
			e.Key, ts(e.ClaimedAt), nullable(e.Inbound), string(row))
		if err != nil {
			return fmt.Errorf("claim dispatch: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			first, stored = true, e
			return nil
		}
		stored, _, err = execution(ctx, tx, e.Key)
		return err
	}, func() []store.AuditEntry {
		if first {
			return audit
		}
		return nil
	})
	return first, stored, err
}

// SettleDispatch records a claimed dispatch's outcome and settles the
// claim in one commit; a claim settled before records nothing.
func (s *Store) SettleDispatch(ctx context.Context, key string, f session.Fact, audit store.Audited) (store.Execution, bool, error) {
	var won, ok bool
	var stored store.Execution
	err := s.inBatchAudited(ctx, func(ctx context.Context, tx *sql.Tx) error {
		won = false
		var err error
		stored, ok, err = execution(ctx, tx, key)
		if err != nil || !ok || stored.Fact != 0 {
			return err
		}
		if stored.Fact, err = s.insertFact(ctx, tx, f); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE executions SET fact = ? WHERE key = ?`, stored.Fact, key); err != nil {
			return fmt.Errorf("settle dispatch: %w", err)
		}
		won = true
		return nil
	}, func() []store.AuditEntry {
		if won && audit != nil {
			return audit(stored.Fact)
		}
		return nil
	})
	if err == nil && !ok {
		err = store.ErrNotFound
	}
	return stored, won, err
}

// Execution loads one claim; store.ErrNotFound when absent.
func (s *Store) Execution(ctx context.Context, key string) (store.Execution, error) {
	e, ok, err := execution(ctx, s.w, key)
	if err == nil && !ok {
		err = store.ErrNotFound
	}
	return e, err
}

// UnsettledDispatches lists the dispatch claims without an outcome, oldest first.
func (s *Store) UnsettledDispatches(ctx context.Context) ([]store.Execution, error) {
	return s.executions(ctx, `SELECT key, at, row, fact FROM executions WHERE row IS NOT NULL AND fact IS NULL ORDER BY rowid`)
}

// DispatchesOf lists the dispatch claims of an inbound key, oldest first.
func (s *Store) DispatchesOf(ctx context.Context, inbound string) ([]store.Execution, error) {
	return s.executions(ctx, `SELECT key, at, row, fact FROM executions WHERE inbound = ? AND row IS NOT NULL ORDER BY rowid`, inbound)
}

func (s *Store) executions(ctx context.Context, query string, args ...any) ([]store.Execution, error) {
	rows, err := s.w.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("executions: %w", err)
	}
	return scanAll(rows, func(rows *sql.Rows) (store.Execution, error) { return scanExecution(rows) })
}

// querier is a transaction or the database.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// execution reads one claim; ok is false when there is none.
func execution(ctx context.Context, q querier, key string) (store.Execution, bool, error) {
	e, err := scanExecution(q.QueryRowContext(ctx, `SELECT key, at, row, fact FROM executions WHERE key = ?`, key))
	if errors.Is(err, sql.ErrNoRows) {
		return e, false, nil
	}
	return e, err == nil, err
}

// scanExecution scans key, at, row and fact; a bare claim has no row.
func scanExecution(row interface{ Scan(dest ...any) error }) (store.Execution, error) {
	var e store.Execution
	var key, at string
	var raw sql.NullString
	var fact sql.NullInt64
	if err := row.Scan(&key, &at, &raw, &fact); err != nil {
		return e, err
	}
	if raw.Valid {
		if err := json.Unmarshal([]byte(raw.String), &e); err != nil {
			return e, fmt.Errorf("decode execution %s: %w", key, err)
		}
	}
	e.Key, e.ClaimedAt, e.Fact = key, parseTS(at), fact.Int64
	return e, nil
}

// nullable stores "" as NULL.
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}
