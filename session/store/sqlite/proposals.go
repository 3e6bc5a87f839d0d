package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// Proposals, and the execution claim an accepted one takes.

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
	return s.inProposalTx(ctx, "transition proposal", func(tx *sql.Tx) (bool, error) {
		return transition(ctx, tx, id, from, to, at, outcome)
	})
}

// AcceptProposal moves a pending proposal to executing and takes its
// execution claim in the same transaction, so that no proposal is ever
// executing (or later interrupted) without its claim.
func (s *Store) AcceptProposal(ctx context.Context, id session.ProposalID, at time.Time) (bool, error) {
	return s.inProposalTx(ctx, "accept proposal", func(tx *sql.Tx) (bool, error) {
		var state string
		err := tx.QueryRowContext(ctx, `SELECT state FROM proposals WHERE id = ?`, string(id)).Scan(&state)
		if err := found(err, "accept proposal"); err != nil {
			return false, err
		}
		if store.ProposalState(state) != store.ProposalPending {
			return false, nil
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO executions (key, at) VALUES (?, ?) ON CONFLICT(key) DO NOTHING`, "proposal:"+string(id), ts(at))
		if err != nil {
			return false, fmt.Errorf("accept proposal: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return false, nil // claimed before: the proposal must not run
		}
		return transition(ctx, tx, id, store.ProposalPending, store.ProposalExecuting, at, nil)
	})
}

// inProposalTx runs fn in a transaction of its own and commits it when fn
// reports true; what names the operation in errors.
func (s *Store) inProposalTx(ctx context.Context, what string, fn func(tx *sql.Tx) (bool, error)) (bool, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("%s: %w", what, err)
	}
	defer tx.Rollback() //nolint:errcheck
	if ok, err := fn(tx); err != nil || !ok {
		return false, err
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("%s: %w", what, err)
	}
	return true, nil
}

// transition moves a proposal from one state to another inside tx.
func transition(ctx context.Context, tx *sql.Tx, id session.ProposalID, from, to store.ProposalState, at time.Time, outcome json.RawMessage) (bool, error) {
	var raw, state string
	err := tx.QueryRowContext(ctx, `SELECT row, state FROM proposals WHERE id = ?`, string(id)).Scan(&raw, &state)
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
