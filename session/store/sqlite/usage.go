package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/steward-os/steward/session"
)

// Model usage: tokens per tenant and period (store.Usage).

// AddUsage adds tokens to a tenant's period and returns the new total, in
// one statement (concurrent adds are serialised by the write connection).
func (s *Store) AddUsage(ctx context.Context, tenant session.TenantID, period string, tokens int64) (int64, error) {
	if tokens < 0 {
		return 0, errors.New("add usage: tokens must not be negative")
	}
	var total int64
	err := s.w.QueryRowContext(ctx, `INSERT INTO model_usage (tenant, period, tokens) VALUES (?,?,?)
		ON CONFLICT(tenant, period) DO UPDATE SET tokens = tokens + excluded.tokens RETURNING tokens`,
		string(tenant), period, tokens).Scan(&total)
	if err != nil {
		return 0, fmt.Errorf("add usage: %w", err)
	}
	return total, nil
}

// UsageOf returns a tenant's total for a period (0 when none).
func (s *Store) UsageOf(ctx context.Context, tenant session.TenantID, period string) (int64, error) {
	var n int64
	err := s.r.QueryRowContext(ctx, `SELECT tokens FROM model_usage WHERE tenant = ? AND period = ?`, string(tenant), period).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("usage: %w", err)
	}
	return n, nil
}
