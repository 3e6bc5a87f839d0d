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

// Extension state, seed markers and delivered notes.

// StateGet reads one value; ok is false when absent.
func (s *Store) StateGet(ctx context.Context, ext string, tenant session.TenantID, coll, key string) (json.RawMessage, bool, error) {
	return optional[json.RawMessage](s.stmts["r:stateGet"].QueryRowContext(ctx, ext, string(tenant), coll, key), "state get")
}

// StatePut writes one value.
func (s *Store) StatePut(ctx context.Context, ext string, tenant session.TenantID, coll, key string, v json.RawMessage) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO ext_state (ext, tenant, coll, key, value) VALUES (?,?,?,?,?) ON CONFLICT(ext, tenant, coll, key) DO UPDATE SET value = excluded.value`,
		ext, string(tenant), coll, key, string(v))
	if err != nil {
		return fmt.Errorf("state put: %w", err)
	}
	return nil
}

// StateDelete removes one value.
func (s *Store) StateDelete(ctx context.Context, ext string, tenant session.TenantID, coll, key string) error {
	if _, err := s.w.ExecContext(ctx, `DELETE FROM ext_state WHERE ext = ? AND tenant = ? AND coll = ? AND key = ?`, ext, string(tenant), coll, key); err != nil {
		return fmt.Errorf("state delete: %w", err)
	}
	return nil
}

// StateList returns a collection's values ordered by key.
func (s *Store) StateList(ctx context.Context, ext string, tenant session.TenantID, coll string) ([]json.RawMessage, error) {
	rows, err := s.stmts["r:stateList"].QueryContext(ctx, ext, string(tenant), coll)
	if err != nil {
		return nil, fmt.Errorf("state list: %w", err)
	}
	return scanAll(rows, text[json.RawMessage])
}

// MarkSeeded records that an extension's tenant state was seeded; it
// reports false when it already was.
func (s *Store) MarkSeeded(ctx context.Context, ext string, tenant session.TenantID, at time.Time) (bool, error) {
	res, err := s.w.ExecContext(ctx, `INSERT INTO seeded (ext, tenant, at) VALUES (?,?,?) ON CONFLICT DO NOTHING`, ext, string(tenant), ts(at))
	if err != nil {
		return false, fmt.Errorf("mark seeded: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// UnmarkSeeded forgets a seeding that failed half-way.
func (s *Store) UnmarkSeeded(ctx context.Context, ext string, tenant session.TenantID) error {
	_, err := s.w.ExecContext(ctx, `DELETE FROM seeded WHERE ext = ? AND tenant = ?`, ext, string(tenant))
	return err
}

// DeliverNote stores a note for its recipient.
func (s *Store) DeliverNote(ctx context.Context, n store.Note) (int64, error) {
	res, err := s.w.ExecContext(ctx, `INSERT INTO notes (tenant, recipient, sender, subject, body, at) VALUES (?,?,?,?,?,?)`,
		string(n.Tenant), string(n.To), string(n.From), n.Subject, n.Body, ts(n.At))
	if err != nil {
		return 0, fmt.Errorf("deliver note: %w", err)
	}
	return res.LastInsertId()
}

// Notes lists the notes delivered to an actor, oldest first.
func (s *Store) Notes(ctx context.Context, tenant session.TenantID, to session.ActorID) ([]store.Note, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, sender, subject, body, at FROM notes WHERE tenant = ? AND recipient = ? ORDER BY id`, string(tenant), string(to))
	if err != nil {
		return nil, fmt.Errorf("notes: %w", err)
	}
	return scanAll(rows, func(rows *sql.Rows) (store.Note, error) {
		n := store.Note{Tenant: tenant, To: to}
		var from, at string
		err := rows.Scan(&n.ID, &from, &n.Subject, &n.Body, &at)
		n.From, n.At = session.ActorID(from), parseTS(at)
		return n, err
	})
}

// StateVersions lists the tenant's extension state versions, kept by
// triggers on ext_state in the same transaction as each change.
func (s *Store) StateVersions(ctx context.Context, tenant session.TenantID) ([]store.StateVersion, error) {
	rows, err := s.stmts["r:stateVer"].QueryContext(ctx, string(tenant))
	if err != nil {
		return nil, fmt.Errorf("state versions: %w", err)
	}
	defer rows.Close()
	var out []store.StateVersion
	for rows.Next() {
		var v store.StateVersion
		if err := rows.Scan(&v.Ext, &v.Version, &v.Values); err != nil {
			return nil, fmt.Errorf("state versions: %w", err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
