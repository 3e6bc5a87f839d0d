package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// Approval requests and their votes (store.Approvals), and grants
// (store.Grants, grants.go). Deadlines are stored as Unix nanoseconds so
// that "due before" compares as numbers.

// approvalsSchema holds the tables of approvals.go and grants.go; Open
// runs it with the main schema.
const approvalsSchema = `
CREATE TABLE IF NOT EXISTS approvals (
  proposal TEXT PRIMARY KEY, tenant TEXT NOT NULL, asked INTEGER NOT NULL, next INTEGER NOT NULL,
  closed INTEGER NOT NULL DEFAULT 0, closed_at TEXT NOT NULL DEFAULT '', closed_by TEXT NOT NULL DEFAULT '',
  closed_on TEXT NOT NULL DEFAULT '', row TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS approvals_due ON approvals(next) WHERE closed = 0;
CREATE TABLE IF NOT EXISTS approval_votes (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, proposal TEXT NOT NULL, approver TEXT NOT NULL, channel TEXT NOT NULL, at TEXT NOT NULL,
  UNIQUE (proposal, approver));
CREATE TABLE IF NOT EXISTS grants (
  id TEXT PRIMARY KEY, tenant TEXT NOT NULL, actor TEXT NOT NULL, expires INTEGER NOT NULL,
  last_used TEXT NOT NULL, revoked_at TEXT NOT NULL DEFAULT '', row TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS grants_actor ON grants(tenant, actor, expires);
`

// CreateApproval stores a new request; store.ErrConflict when the
// proposal has one.
func (s *Store) CreateApproval(ctx context.Context, r store.ApprovalRow) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = s.w.ExecContext(ctx, `INSERT INTO approvals (proposal, tenant, asked, next, closed, row) VALUES (?,?,?,?,0,?)`,
		string(r.Proposal), string(r.Tenant), r.Asked, r.Next.UnixNano(), string(b))
	if err != nil && strings.Contains(err.Error(), "UNIQUE") {
		return store.ErrConflict
	}
	if err != nil {
		return fmt.Errorf("create approval: %w", err)
	}
	return nil
}

// GetApproval loads a request and its votes.
func (s *Store) GetApproval(ctx context.Context, id session.ProposalID) (store.ApprovalRow, error) {
	var r store.ApprovalRow
	var raw, closedAt, closedBy, closedOn string
	var asked, next, closed int64
	err := s.w.QueryRowContext(ctx, `SELECT asked, next, closed, closed_at, closed_by, closed_on, row FROM approvals WHERE proposal = ?`, string(id)).
		Scan(&asked, &next, &closed, &closedAt, &closedBy, &closedOn, &raw)
	if err := found(err, "get approval"); err != nil {
		return r, err
	}
	if err := json.Unmarshal([]byte(raw), &r); err != nil {
		return r, fmt.Errorf("decode approval: %w", err)
	}
	r.Asked, r.Next, r.Closed = int(asked), time.Unix(0, next).UTC(), closed != 0
	if r.Closed {
		r.ClosedAt, r.ClosedBy, r.ClosedOn = parseTS(closedAt), session.ActorID(closedBy), session.ChannelID(closedOn)
	}
	rows, err := s.w.QueryContext(ctx, `SELECT approver, channel, at FROM approval_votes WHERE proposal = ? ORDER BY seq`, string(id))
	if err != nil {
		return r, fmt.Errorf("approval votes: %w", err)
	}
	r.Votes, err = scanAll(rows, func(rows *sql.Rows) (store.ApprovalVote, error) {
		var v store.ApprovalVote
		var at string
		err := rows.Scan(&v.Approver, &v.Channel, &at)
		v.At = parseTS(at)
		return v, err
	})
	return r, err
}

// AdvanceApproval moves an open request from `from` approvers asked to
// `to`, in one statement.
func (s *Store) AdvanceApproval(ctx context.Context, id session.ProposalID, from, to int, next time.Time) (bool, error) {
	res, err := s.w.ExecContext(ctx, `UPDATE approvals SET asked = ?, next = ? WHERE proposal = ? AND asked = ? AND closed = 0`, to, next.UnixNano(), string(id), from)
	return s.approvalChanged(ctx, id, res, err, "advance approval")
}

// CloseApproval closes an open request, once.
func (s *Store) CloseApproval(ctx context.Context, id session.ProposalID, by session.ActorID, channel session.ChannelID, at time.Time) (bool, error) {
	res, err := s.w.ExecContext(ctx, `UPDATE approvals SET closed = 1, closed_at = ?, closed_by = ?, closed_on = ? WHERE proposal = ? AND closed = 0`,
		ts(at), string(by), string(channel), string(id))
	return s.approvalChanged(ctx, id, res, err, "close approval")
}

// approvalChanged reports whether an update changed a row, and
// store.ErrNotFound when the request does not exist.
func (s *Store) approvalChanged(ctx context.Context, id session.ProposalID, res sql.Result, err error, what string) (bool, error) {
	if err != nil {
		return false, fmt.Errorf("%s: %w", what, err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return true, nil
	}
	var one int
	if err := found(s.w.QueryRowContext(ctx, `SELECT 1 FROM approvals WHERE proposal = ?`, string(id)).Scan(&one), what); err != nil {
		return false, err
	}
	return false, nil
}

// DueApprovals lists open requests whose deadline has come, earliest first.
func (s *Store) DueApprovals(ctx context.Context, before time.Time) ([]store.ApprovalRow, error) {
	rows, err := s.w.QueryContext(ctx, `SELECT asked, next, row FROM approvals WHERE closed = 0 AND next <= ? ORDER BY next, proposal LIMIT 200`, before.UnixNano())
	if err != nil {
		return nil, fmt.Errorf("due approvals: %w", err)
	}
	return scanAll(rows, func(rows *sql.Rows) (store.ApprovalRow, error) {
		var r store.ApprovalRow
		var raw string
		var asked, next int64
		if err := rows.Scan(&asked, &next, &raw); err != nil {
			return r, err
		}
		if err := json.Unmarshal([]byte(raw), &r); err != nil {
			return r, fmt.Errorf("decode approval: %w", err)
		}
		r.Asked, r.Next = int(asked), time.Unix(0, next).UTC()
		return r, nil
	})
}

// AddApprovalVote records a vote once per approver and counts the votes,
// in one transaction.
func (s *Store) AddApprovalVote(ctx context.Context, id session.ProposalID, v store.ApprovalVote) (int, bool, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, false, fmt.Errorf("vote: %w", err)
	}
	defer tx.Rollback()
	var one int
	if err := found(tx.QueryRowContext(ctx, `SELECT 1 FROM approvals WHERE proposal = ?`, string(id)).Scan(&one), "vote"); err != nil {
		return 0, false, err
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO approval_votes (proposal, approver, channel, at) VALUES (?,?,?,?) ON CONFLICT(proposal, approver) DO NOTHING`,
		string(id), string(v.Approver), string(v.Channel), ts(v.At))
	if err != nil {
		return 0, false, fmt.Errorf("vote: %w", err)
	}
	added, _ := res.RowsAffected()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM approval_votes WHERE proposal = ?`, string(id)).Scan(&n); err != nil {
		return 0, false, fmt.Errorf("count votes: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, false, fmt.Errorf("vote: %w", err)
	}
	return n, added == 1, nil
}
