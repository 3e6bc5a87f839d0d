package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// Alerts: episodes, the receipts that changed them, and the schedule of
// their steps. Times the schedule compares are Unix nanoseconds.

const alertsSchema = `
CREATE TABLE IF NOT EXISTS alert_episodes (id TEXT PRIMARY KEY, tenant TEXT NOT NULL, source TEXT NOT NULL, fingerprint TEXT NOT NULL,
	open INTEGER NOT NULL, version INTEGER NOT NULL, seq INTEGER NOT NULL, row TEXT NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS alert_episodes_open ON alert_episodes(tenant, source, fingerprint) WHERE open = 1;
CREATE INDEX IF NOT EXISTS alert_episodes_key ON alert_episodes(tenant, source, fingerprint, seq);
CREATE INDEX IF NOT EXISTS alert_episodes_tenant ON alert_episodes(tenant, seq);
CREATE TABLE IF NOT EXISTS alert_receipts (key TEXT PRIMARY KEY, episode TEXT NOT NULL, at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS alert_steps (key TEXT PRIMARY KEY, seq INTEGER NOT NULL, episode TEXT NOT NULL, tenant TEXT NOT NULL, actor TEXT NOT NULL,
	state TEXT NOT NULL, due INTEGER NOT NULL, row TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS alert_steps_due ON alert_steps(state, due);
CREATE INDEX IF NOT EXISTS alert_steps_episode ON alert_steps(episode, seq);
CREATE INDEX IF NOT EXISTS alert_steps_actor ON alert_steps(tenant, actor, state);
`

// ApplyAlert stores an episode's change, its receipt and its steps in one
// commit (store.Alerts).
func (s *Store) ApplyAlert(ctx context.Context, c store.AlertChange) (bool, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("apply alert: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck
	e := c.Episode
	if c.Receipt != "" {
		res, err := tx.ExecContext(ctx, `INSERT INTO alert_receipts (key, episode, at) VALUES (?,?,?) ON CONFLICT(key) DO NOTHING`, c.Receipt, string(e.ID), e.Updated.UnixNano())
		if err != nil {
			return false, fmt.Errorf("apply alert receipt: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return false, nil
		}
	}
	if err := putEpisode(ctx, tx, e); err != nil {
		return false, err
	}
	if c.Cancel {
		if err := cancelSteps(ctx, tx, e.ID); err != nil {
			return false, err
		}
	}
	for _, st := range c.Schedule {
		if err := addStep(ctx, tx, st); err != nil {
			return false, err
		}
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("apply alert: %w", err)
	}
	return true, nil
}

func putEpisode(ctx context.Context, tx *sql.Tx, e store.EpisodeRow) error {
	prev := e.Version
	e.Version++
	row, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("apply alert: %w", err)
	}
	open := 0
	if e.State != session.AlertResolved {
		open = 1
	}
	if prev == 0 {
		_, err := tx.ExecContext(ctx, `INSERT INTO alert_episodes (id, tenant, source, fingerprint, open, version, seq, row)
			VALUES (?,?,?,?,?,?,(SELECT coalesce(max(seq),0)+1 FROM alert_episodes),?)`, string(e.ID), string(e.Tenant), e.Source, e.Fingerprint, open, e.Version, string(row))
		if err != nil {
			if isConstraint(err) {
				return store.ErrConflict
			}
			return fmt.Errorf("insert episode: %w", err)
		}
		return nil
	}
	res, err := tx.ExecContext(ctx, `UPDATE alert_episodes SET open = ?, version = ?, row = ? WHERE id = ? AND version = ?`, open, e.Version, string(row), string(e.ID), prev)
	if err != nil {
		if isConstraint(err) {
			return store.ErrConflict
		}
		return fmt.Errorf("update episode: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrConflict
	}
	return nil
}

func addStep(ctx context.Context, tx *sql.Tx, st store.StepRow) error {
	if st.State == "" {
		st.State = store.AlertStepPending
	}
	row, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("schedule step: %w", err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO alert_steps (key, seq, episode, tenant, actor, state, due, row)
		VALUES (?,(SELECT coalesce(max(seq),0)+1 FROM alert_steps),?,?,?,?,?,?) ON CONFLICT(key) DO NOTHING`,
		st.Key, string(st.Episode), string(st.Tenant), string(st.Actor), string(st.State), st.Due.UnixNano(), string(row))
	if err != nil {
		return fmt.Errorf("schedule step %s: %w", st.Key, err)
	}
	return nil
}

func cancelSteps(ctx context.Context, tx *sql.Tx, id session.AlertID) error {
	rows, err := tx.QueryContext(ctx, `SELECT row FROM alert_steps WHERE episode = ? AND state = ?`, string(id), string(store.AlertStepPending))
	if err != nil {
		return fmt.Errorf("cancel steps: %w", err)
	}
	steps, err := scanSteps(rows)
	if err != nil {
		return err
	}
	for _, st := range steps {
		st.State = store.AlertStepCancelled
		if err := setStep(ctx, tx, st); err != nil {
			return err
		}
	}
	return nil
}

func setStep(ctx context.Context, tx *sql.Tx, st store.StepRow) error {
	row, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("save step: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE alert_steps SET state = ?, row = ? WHERE key = ?`, string(st.State), string(row), st.Key); err != nil {
		return fmt.Errorf("save step %s: %w", st.Key, err)
	}
	return nil
}

// Episode loads one episode.
func (s *Store) Episode(ctx context.Context, id session.AlertID) (store.EpisodeRow, error) {
	return s.oneEpisode(ctx, `SELECT row FROM alert_episodes WHERE id = ?`, string(id))
}

// LatestEpisode is the newest episode of a condition.
func (s *Store) LatestEpisode(ctx context.Context, tenant session.TenantID, source, fingerprint string) (store.EpisodeRow, error) {
	return s.oneEpisode(ctx, `SELECT row FROM alert_episodes WHERE tenant = ? AND source = ? AND fingerprint = ? ORDER BY seq DESC LIMIT 1`, string(tenant), source, fingerprint)
}

func (s *Store) oneEpisode(ctx context.Context, q string, args ...any) (store.EpisodeRow, error) {
	var raw string
	var e store.EpisodeRow
	if err := found(s.r.QueryRowContext(ctx, q, args...).Scan(&raw), "episode"); err != nil {
		return e, err
	}
	if err := json.Unmarshal([]byte(raw), &e); err != nil {
		return e, fmt.Errorf("decode episode: %w", err)
	}
	return e, nil
}

// Episodes lists a tenant's episodes, newest first.
func (s *Store) Episodes(ctx context.Context, tenant session.TenantID, open bool, limit int) ([]store.EpisodeRow, error) {
	if limit < 1 || limit > 200 {
		limit = 200
	}
	q := `SELECT row FROM alert_episodes WHERE tenant = ? ORDER BY seq DESC LIMIT ?`
	if open {
		q = `SELECT row FROM alert_episodes WHERE tenant = ? AND open = 1 ORDER BY seq DESC LIMIT ?`
	}
	rows, err := s.r.QueryContext(ctx, q, string(tenant), limit)
	if err != nil {
		return nil, fmt.Errorf("episodes: %w", err)
	}
	return scanRows[store.EpisodeRow](rows, "episode")
}

// DueSteps lists pending steps due by until.
func (s *Store) DueSteps(ctx context.Context, until time.Time, limit int) ([]store.StepRow, error) {
	if limit < 1 || limit > 500 {
		limit = 500
	}
	return s.querySteps(ctx, `SELECT row FROM alert_steps WHERE state = ? AND due <= ? ORDER BY due, seq LIMIT ?`, string(store.AlertStepPending), until.UnixNano(), limit)
}

// NextDue is the earliest pending step's due time.
func (s *Store) NextDue(ctx context.Context) (time.Time, bool, error) {
	var due sql.NullInt64
	if err := s.r.QueryRowContext(ctx, `SELECT min(due) FROM alert_steps WHERE state = ?`, string(store.AlertStepPending)).Scan(&due); err != nil {
		return time.Time{}, false, fmt.Errorf("next due: %w", err)
	}
	if !due.Valid {
		return time.Time{}, false, nil
	}
	return time.Unix(0, due.Int64).UTC(), true, nil
}

// ClaimedSteps lists claimed steps never finished.
func (s *Store) ClaimedSteps(ctx context.Context) ([]store.StepRow, error) {
	steps, err := s.querySteps(ctx, `SELECT row FROM alert_steps WHERE state = ? ORDER BY seq`, string(store.AlertStepClaimed))
	if err != nil {
		return nil, err
	}
	return sortByClaim(steps), nil
}

// Steps lists an episode's steps.
func (s *Store) Steps(ctx context.Context, id session.AlertID) ([]store.StepRow, error) {
	return s.querySteps(ctx, `SELECT row FROM alert_steps WHERE episode = ? ORDER BY seq`, string(id))
}

// HeldSteps lists an actor's held steps.
func (s *Store) HeldSteps(ctx context.Context, tenant session.TenantID, actor session.ActorID) ([]store.StepRow, error) {
	return s.querySteps(ctx, `SELECT row FROM alert_steps WHERE tenant = ? AND actor = ? AND state = ? ORDER BY seq`, string(tenant), string(actor), string(store.AlertStepHeld))
}

func (s *Store) querySteps(ctx context.Context, q string, args ...any) ([]store.StepRow, error) {
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("steps: %w", err)
	}
	return scanSteps(rows)
}

func scanSteps(rows *sql.Rows) ([]store.StepRow, error) { return scanRows[store.StepRow](rows, "step") }

// scanRows decodes the JSON row of every result, in order, and closes it.
func scanRows[T any](rows *sql.Rows, what string) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		var raw string
		var v T
		if err := rows.Scan(&raw); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		if err := json.Unmarshal([]byte(raw), &v); err != nil {
			return nil, fmt.Errorf("decode %s: %w", what, err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// ClaimStep moves a pending step to claimed; exactly one caller wins.
func (s *Store) ClaimStep(ctx context.Context, key string, at time.Time, mark int64) (bool, error) {
	return s.moveStep(ctx, key, store.AlertStepPending, func(st *store.StepRow) {
		st.State, st.Claimed, st.Mark = store.AlertStepClaimed, at.UTC(), mark
	})
}

// FinishStep moves a claimed step to its end state, once.
func (s *Store) FinishStep(ctx context.Context, key string, state store.AlertStepState, at time.Time, event int64, note string) (bool, error) {
	return s.moveStep(ctx, key, store.AlertStepClaimed, func(st *store.StepRow) {
		st.State, st.Done, st.Event, st.Note = state, at.UTC(), event, note
	})
}

func (s *Store) moveStep(ctx context.Context, key string, from store.AlertStepState, change func(*store.StepRow)) (bool, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("step %s: %w", key, err)
	}
	defer tx.Rollback() //nolint:errcheck
	var raw string
	if err := found(tx.QueryRowContext(ctx, `SELECT row FROM alert_steps WHERE key = ?`, key).Scan(&raw), "step"); err != nil {
		return false, err
	}
	var st store.StepRow
	if err := json.Unmarshal([]byte(raw), &st); err != nil {
		return false, fmt.Errorf("decode step: %w", err)
	}
	if st.State != from {
		return false, nil
	}
	change(&st)
	if err := setStep(ctx, tx, st); err != nil {
		return false, err
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("step %s: %w", key, err)
	}
	return true, nil
}

func sortByClaim(steps []store.StepRow) []store.StepRow {
	slices.SortStableFunc(steps, func(a, b store.StepRow) int { return a.Claimed.Compare(b.Claimed) })
	return steps
}

// isConstraint reports a uniqueness violation.
func isConstraint(err error) bool {
	var coded interface{ Code() int }
	if errors.As(err, &coded) {
		return coded.Code()&0xff == 19 // SQLITE_CONSTRAINT and its extended codes
	}
	return false
}
