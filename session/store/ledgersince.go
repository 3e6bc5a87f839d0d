package store

import (
	"context"

	"github.com/steward-os/steward/session"
)

// LedgerSince reads what a session's ledger gained after a fact id, so
// that the kernel can keep each session's recent facts decoded and masked
// in memory and, on every turn, read only the facts added since (usually
// none, or the one the last turn recorded). Facts are immutable and their
// ids grow, so the id of the newest fact held is the version of what is
// held: the question is asked of the store, so a fact any instance of a
// shared back-end wrote is seen.
//
// It is optional: over a back-end without it, Recent is read every turn.
type LedgerSince interface {
	// FactsSince returns the session's facts with an id greater than
	// after, oldest first; when there are more than limit (20 when
	// limit ≤ 0), the newest limit of them. Once a fact of a session can
	// be read, no fact of that session with a smaller id appears later.
	FactsSince(ctx context.Context, s session.SessionID, after int64, limit int) ([]session.Fact, error)
}
