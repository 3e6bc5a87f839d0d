package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// Links: identity links and single-use link codes.

// SaveLinkCode stores a new link code (by its hash).
func (s *Store) SaveLinkCode(ctx context.Context, c store.LinkCode) error {
	if _, err := s.w.ExecContext(ctx, `INSERT INTO link_codes (hash, tenant, actor, expires) VALUES (?,?,?,?)`, c.Hash, string(c.Tenant), string(c.Actor), ts(c.Expires)); err != nil {
		return fmt.Errorf("save link code: %w", err)
	}
	return nil
}

// UseLinkCode marks a code used and returns it; store.ErrNotFound when it
// does not exist or was used before (single use, atomically).
func (s *Store) UseLinkCode(ctx context.Context, hash string, at time.Time) (store.LinkCode, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return store.LinkCode{}, fmt.Errorf("use link code: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck
	var c store.LinkCode
	var tenant, actor, expires string
	err = tx.QueryRowContext(ctx, `SELECT tenant, actor, expires FROM link_codes WHERE hash = ? AND used_at IS NULL`, hash).Scan(&tenant, &actor, &expires)
	if err := found(err, "use link code"); err != nil {
		return c, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE link_codes SET used_at = ? WHERE hash = ?`, ts(at), hash); err != nil {
		return c, fmt.Errorf("use link code: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return c, fmt.Errorf("use link code: %w", err)
	}
	c.Hash, c.Tenant, c.Actor, c.Expires = hash, session.TenantID(tenant), session.ActorID(actor), parseTS(expires)
	return c, nil
}

// SaveLink links a channel account; it fails with store.ErrConflict when
// the account is linked to someone else.
func (s *Store) SaveLink(ctx context.Context, l store.Link) error {
	res, err := s.w.ExecContext(ctx, `INSERT INTO links (channel, account, tenant, actor, at) VALUES (?,?,?,?,?)
		ON CONFLICT(channel, account) DO UPDATE SET at = excluded.at WHERE links.tenant = excluded.tenant AND links.actor = excluded.actor`,
		l.Channel, l.Account, string(l.Tenant), string(l.Actor), ts(l.LinkedAt))
	if err != nil {
		return fmt.Errorf("save link: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrConflict
	}
	return nil
}

// DeleteLink removes an actor's link; store.ErrNotFound when there is none.
func (s *Store) DeleteLink(ctx context.Context, l store.Link) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM links WHERE channel = ? AND account = ? AND tenant = ? AND actor = ?`, l.Channel, l.Account, string(l.Tenant), string(l.Actor))
	if err != nil {
		return fmt.Errorf("delete link: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// LinkFor returns the link of a channel account; store.ErrNotFound when none.
func (s *Store) LinkFor(ctx context.Context, channel session.ChannelID, account string) (store.Link, error) {
	l := store.Link{Channel: channel, Account: account}
	var tenant, actor, at string
	err := s.w.QueryRowContext(ctx, `SELECT tenant, actor, at FROM links WHERE channel = ? AND account = ?`, channel, account).Scan(&tenant, &actor, &at)
	if err := found(err, "link"); err != nil {
		return l, err
	}
	l.Tenant, l.Actor, l.LinkedAt = session.TenantID(tenant), session.ActorID(actor), parseTS(at)
	return l, nil
}

// Links lists an actor's linked accounts.
func (s *Store) Links(ctx context.Context, tenant session.TenantID, actor session.ActorID) ([]store.Link, error) {
	rows, err := s.w.QueryContext(ctx, `SELECT channel, account, at FROM links WHERE tenant = ? AND actor = ? ORDER BY channel, account`, string(tenant), string(actor))
	if err != nil {
		return nil, fmt.Errorf("links: %w", err)
	}
	return scanAll(rows, func(rows *sql.Rows) (store.Link, error) {
		l := store.Link{Tenant: tenant, Actor: actor}
		var at string
		err := rows.Scan(&l.Channel, &l.Account, &at)
		l.LinkedAt = parseTS(at)
		return l, err
	})
}
