package sqlite

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// Tasks: background tasks.

// SaveTask creates or replaces a task.
func (s *Store) SaveTask(ctx context.Context, t store.TaskRow) error {
	return s.putRow(ctx, "save task", `INSERT INTO tasks (id, tenant, actor, state, row) VALUES (?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET state = excluded.state, row = excluded.row`, t,
		t.ID, string(t.Tenant), string(t.Actor), string(t.State))
}

// FinishTask moves a running task to an end state atomically; it reports
// false when the task had already ended (cancel and completion raced).
func (s *Store) FinishTask(ctx context.Context, t store.TaskRow) (bool, error) {
	b, err := json.Marshal(t)
	if err != nil {
		return false, err
	}
	res, err := s.w.ExecContext(ctx, `UPDATE tasks SET state = ?, row = ? WHERE id = ? AND state = ?`, string(t.State), string(b), t.ID, string(store.TaskRunning))
	if err != nil {
		return false, fmt.Errorf("finish task: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// GetTask loads a task; store.ErrNotFound when absent.
func (s *Store) GetTask(ctx context.Context, id session.TaskID) (store.TaskRow, error) {
	return loadRow[store.TaskRow](ctx, s, `SELECT row FROM tasks WHERE id = ?`, string(id), "task")
}

// Tasks lists an actor's tasks newest first (tenant and actor set, state
// ignored, at most 200) or, with an empty actor, every task in a state
// (of every tenant) oldest first. A replaced task keeps its place.
func (s *Store) Tasks(ctx context.Context, tenant session.TenantID, actor session.ActorID, state store.TaskState) ([]store.TaskRow, error) {
	q, args := `SELECT row FROM tasks WHERE tenant = ? AND actor = ? ORDER BY rowid DESC LIMIT 200`, []any{string(tenant), string(actor)}
	if actor == "" {
		q, args = `SELECT row FROM tasks WHERE state = ? ORDER BY rowid`, []any{string(state)}
	}
	rows, err := s.w.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("tasks: %w", err)
	}
	return loadRows[store.TaskRow](rows, "task")
}
