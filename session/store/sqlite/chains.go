package sqlite

import (
	"context"

	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// Chains: plans of several steps while they wait.

// SaveChain creates or replaces a chain's persisted state.
func (s *Store) SaveChain(ctx context.Context, c store.ChainRow) error {
	return s.putRow(ctx, "save chain", `INSERT INTO chains (id, tenant, state, row) VALUES (?,?,?,?) ON CONFLICT(id) DO UPDATE SET state = excluded.state, row = excluded.row`, c,
		c.ID, string(c.Tenant), c.State)
}

// GetChain loads a chain; store.ErrNotFound when absent.
func (s *Store) GetChain(ctx context.Context, id session.ChainID) (store.ChainRow, error) {
	return loadRow[store.ChainRow](ctx, s, `SELECT row FROM chains WHERE id = ?`, string(id), "chain")
}
