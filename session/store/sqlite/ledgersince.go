package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

var _ store.LedgerSince = (*Store)(nil)

// FactsSince returns the session's facts after an id (store.LedgerSince):
// one range read of the facts_session index, from the file, so it sees
// whatever process wrote them. Ids are assigned by the one writer in
// commit order, so a smaller id never becomes visible after a larger one.
func (s *Store) FactsSince(ctx context.Context, sid session.SessionID, after int64, limit int) ([]session.Fact, error) {
	if limit <= 0 {
		limit = 20
	}
	rows, err := s.stmts["r:factsSince"].QueryContext(ctx, string(sid), after, limit)
	if err != nil {
		return nil, fmt.Errorf("facts since: %w", err)
	}
	out, err := scanAll(rows, func(rows *sql.Rows) (session.Fact, error) {
		f, err := scanFact(rows, nil)
		f.Session = sid
		return f, err
	})
	if err != nil {
		return nil, fmt.Errorf("facts since: %w", err)
	}
	slices.Reverse(out)
	return out, nil
}
