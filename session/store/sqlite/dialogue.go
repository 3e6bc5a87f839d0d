package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// Dialogue: each session's dialogue state, one versioned row.

const dialogueSchema = `
CREATE TABLE IF NOT EXISTS dialogue (session TEXT PRIMARY KEY, version INTEGER NOT NULL, state TEXT NOT NULL, at TEXT NOT NULL);
`

// DialogueState loads a session's state (store.Dialogue).
func (s *Store) DialogueState(ctx context.Context, id session.SessionID) (store.DialogueRow, error) {
	r := store.DialogueRow{Session: id}
	var state, at string
	err := s.w.QueryRowContext(ctx, `SELECT version, state, at FROM dialogue WHERE session = ?`, string(id)).Scan(&r.Version, &state, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return r, nil
	}
	if err != nil {
		return r, fmt.Errorf("dialogue state: %w", err)
	}
	r.State, r.Updated = []byte(state), parseTS(at)
	return r, nil
}

// SaveDialogue stores a session's state over the version it was read at
// (store.Dialogue).
func (s *Store) SaveDialogue(ctx context.Context, r store.DialogueRow) (int64, error) {
	var res sql.Result
	var err error
	if r.Version == 0 {
		res, err = s.w.ExecContext(ctx, `INSERT INTO dialogue (session, version, state, at) VALUES (?,1,?,?) ON CONFLICT(session) DO NOTHING`,
			string(r.Session), string(r.State), ts(r.Updated))
	} else {
		res, err = s.w.ExecContext(ctx, `UPDATE dialogue SET version = version + 1, state = ?, at = ? WHERE session = ? AND version = ?`,
			string(r.State), ts(r.Updated), string(r.Session), r.Version)
	}
	if err != nil {
		return 0, fmt.Errorf("save dialogue: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return 0, store.ErrConflict
	}
	return r.Version + 1, nil
}
