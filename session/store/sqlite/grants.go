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

// Grants (store.Grants): what a person allowed to run without asking
// again. The tables are in approvalsSchema (approvals.go).

// SaveGrant stores a new grant; store.ErrConflict when the id exists.
func (s *Store) SaveGrant(ctx context.Context, g store.GrantRow) error {
	b, err := json.Marshal(g)
	if err != nil {
		return err
	}
	res, err := s.w.ExecContext(ctx, `INSERT INTO grants (id, tenant, actor, expires, last_used, row) VALUES (?,?,?,?,?,?) ON CONFLICT(id) DO NOTHING`,
		g.ID, string(g.Tenant), string(g.Actor), g.Expires.UnixNano(), ts(g.LastUsed), string(b))
	if err != nil {
		return fmt.Errorf("save grant: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrConflict // the id is taken
	}
	return nil
}

// ActiveGrants lists the actor's grants that are neither revoked nor
// expired at at, oldest first.
func (s *Store) ActiveGrants(ctx context.Context, tenant session.TenantID, actor session.ActorID, at time.Time) ([]store.GrantRow, error) {
	rows, err := s.w.QueryContext(ctx, `SELECT last_used, row FROM grants WHERE tenant = ? AND actor = ? AND revoked_at = '' AND expires > ? ORDER BY rowid`,
		string(tenant), string(actor), at.UnixNano())
	if err != nil {
		return nil, fmt.Errorf("grants: %w", err)
	}
	return scanAll(rows, func(rows *sql.Rows) (store.GrantRow, error) {
		var g store.GrantRow
		var last, raw string
		if err := rows.Scan(&last, &raw); err != nil {
			return g, err
		}
		if err := json.Unmarshal([]byte(raw), &g); err != nil {
			return g, fmt.Errorf("decode grant: %w", err)
		}
		g.LastUsed = parseTS(last)
		return g, nil
	})
}

// TouchGrant moves a grant's last use forward.
func (s *Store) TouchGrant(ctx context.Context, id string, at time.Time) error {
	var last string
	if err := found(s.w.QueryRowContext(ctx, `SELECT last_used FROM grants WHERE id = ?`, id).Scan(&last), "touch grant"); err != nil {
		return err
	}
	if !at.After(parseTS(last)) {
		return nil
	}
	if _, err := s.w.ExecContext(ctx, `UPDATE grants SET last_used = ? WHERE id = ?`, ts(at), id); err != nil {
		return fmt.Errorf("touch grant: %w", err)
	}
	return nil
}

// RevokeGrants revokes the actor's active grants.
func (s *Store) RevokeGrants(ctx context.Context, tenant session.TenantID, actor session.ActorID, at time.Time) (int, error) {
	res, err := s.w.ExecContext(ctx, `UPDATE grants SET revoked_at = ? WHERE tenant = ? AND actor = ? AND revoked_at = '' AND expires > ?`,
		ts(at), string(tenant), string(actor), at.UnixNano())
	if err != nil {
		return 0, fmt.Errorf("revoke grants: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
