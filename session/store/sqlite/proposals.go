package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// Proposals and their execution claims (idempotency keys).

// CreateProposal stores a new proposal.
func (s *Store) CreateProposal(ctx context.Context, p store.ProposalRow) error {
	return s.putRow(ctx, "create proposal", `INSERT INTO proposals (id, tenant, actor, state, expires_at, row) VALUES (?,?,?,?,?,?)`, p,
		string(p.ID), string(p.Tenant), string(p.Actor), string(p.State), ts(p.ExpiresAt))
}

// GetProposal loads a proposal; store.ErrNotFound when absent.
func (s *Store) GetProposal(ctx context.Context, id session.ProposalID) (store.ProposalRow, error) {
	var raw, state string
	err := s.w.QueryRowContext(ctx, `SELECT row, state FROM proposals WHERE id = ?`, string(id)).Scan(&raw, &state)
	if err := found(err, "get proposal"); err != nil {
		return store.ProposalRow{}, err
	}
	var p store.ProposalRow
	if err := json.Unmarshal([]byte(raw), &p); err != nil {
		return store.ProposalRow{}, fmt.Errorf("decode proposal: %w", err)
	}
	p.State = store.ProposalState(state)
	return p, nil
}

// TransitionProposal moves a proposal from one state to another atomically;
// it reports false when the proposal was not in state from (someone else
// decided first). outcome, when non-nil, is stored with the new state.
func (s *Store) TransitionProposal(ctx context.Context, id session.ProposalID, from, to store.ProposalState, at time.Time, outcome json.RawMessage) (bool, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("transition proposal: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck
	var raw, state string
	err = tx.QueryRowContext(ctx, `SELECT row, state FROM proposals WHERE id = ?`, string(id)).Scan(&raw, &state)
	if err := found(err, "transition proposal"); err != nil {
		return false, err
	}
	if store.ProposalState(state) != from {
		return false, nil
	}
	var p store.ProposalRow
	if err := json.Unmarshal([]byte(raw), &p); err != nil {
		return false, fmt.Errorf("decode proposal: %w", err)
	}
	p.State, p.DecidedAt = to, at.UTC()
	if outcome != nil {
		p.Outcome = outcome
	}
	b, _ := json.Marshal(p)
	if _, err := tx.ExecContext(ctx, `UPDATE proposals SET state = ?, row = ? WHERE id = ?`, string(to), string(b), string(id)); err != nil {
		return false, fmt.Errorf("transition proposal: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("transition proposal: %w", err)
	}
	return true, nil
}

// ProposalsInState lists the proposals in a state, oldest first.
func (s *Store) ProposalsInState(ctx context.Context, state store.ProposalState) ([]store.ProposalRow, error) {
	rows, err := s.w.QueryContext(ctx, `SELECT row FROM proposals WHERE state = ? ORDER BY rowid`, string(state))
	if err != nil {
		return nil, fmt.Errorf("proposals in state: %w", err)
	}
	out, err := loadRows[store.ProposalRow](rows, "proposal")
	for i := range out {
		out[i].State = state // the column is authoritative
	}
	return out, err
}

// ClaimExecution records that the action with this key is about to run; it
// reports false when the key was claimed before (the action must not run again).
func (s *Store) ClaimExecution(ctx context.Context, key string, at time.Time) (bool, error) {
	res, err := s.w.ExecContext(ctx, `INSERT INTO executions (key, at) VALUES (?, ?) ON CONFLICT(key) DO NOTHING`, key, ts(at))
	if err != nil {
		return false, fmt.Errorf("claim execution: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}
