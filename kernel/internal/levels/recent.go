package levels

import (
	"context"
	"slices"
	"sync"

	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// recentSessions bounds how many sessions' rings are kept; past it the
// cache starts again empty (a session then reads its replay once).
const recentSessions = 4096

// RecentFacts serves each session's recent facts (the replay a turn
// routes with) from memory: per session, a ring of the newest facts,
// decoded and masked once. Its version is the id of the newest fact it
// holds; each call asks the store only for the facts after it
// (store.LedgerSince: usually none, or the one the last turn recorded),
// so a fact any instance of a shared back-end wrote is seen, and adds
// them to the ring. Facts are immutable, so what the ring holds never
// goes stale. Over a back-end without LedgerSince it reads Recent on
// every call. Safe for concurrent use.
type RecentFacts struct {
	ledger store.Ledger
	since  store.LedgerSince // nil: no ring
	mask   *FactMasker

	mu    sync.Mutex
	rings map[session.SessionID]*ring
}

// ring is one session's newest facts, oldest first, at most count of
// them; it is replaced, never changed, once published.
type ring struct {
	version int64 // the newest fact's id (0: none)
	count   int
	facts   []session.Fact
	masked  []session.Fact // facts, masked
}

// NewRecentFacts returns a RecentFacts over the ledger; it keeps rings
// when the ledger also implements store.LedgerSince.
func NewRecentFacts(ledger store.Ledger, mask *FactMasker) *RecentFacts {
	r := &RecentFacts{ledger: ledger, mask: mask, rings: map[session.SessionID]*ring{}}
	r.since, _ = ledger.(store.LedgerSince)
	return r
}

// Recent returns what store.Ledger.Recent would: the session's newest
// facts within the cap, oldest first; masked for a router or model
// (AF-10) when masked is true. The slice is the caller's; the facts'
// bytes are shared and must not be modified.
func (r *RecentFacts) Recent(ctx context.Context, sid session.SessionID, c session.Cap, masked bool) ([]session.Fact, error) {
	if r.since == nil {
		return r.read(ctx, sid, c, masked)
	}
	count := c.Count
	if count <= 0 {
		count = 20
	}
	r.mu.Lock()
	rg := r.rings[sid]
	r.mu.Unlock()
	if rg == nil || rg.count != count {
		rg = &ring{count: count}
	}
	added, err := r.since.FactsSince(ctx, sid, rg.version, count)
	if err != nil {
		return nil, err
	}
	if len(added) > 0 {
		rg = rg.with(added, r.mask)
		r.mu.Lock()
		if cur := r.rings[sid]; cur == nil || cur.count != count || cur.version < rg.version {
			if len(r.rings) >= recentSessions {
				clear(r.rings)
			}
			r.rings[sid] = rg
		}
		r.mu.Unlock()
	} else if rg.version == 0 {
		return nil, nil
	}
	if masked {
		return capped(rg.masked, c.Bytes), nil
	}
	return capped(rg.facts, c.Bytes), nil
}

// with is a new ring: rg's facts and the added ones (newer, oldest
// first), the newest count of them kept.
func (rg *ring) with(added []session.Fact, mask *FactMasker) *ring {
	n := &ring{version: added[len(added)-1].ID, count: rg.count}
	n.facts = append(slices.Clone(rg.facts), added...)
	n.masked = slices.Clone(rg.masked)
	for _, f := range added {
		n.masked = append(n.masked, mask.Mask(f))
	}
	if cut := len(n.facts) - n.count; cut > 0 {
		n.facts, n.masked = n.facts[cut:], n.masked[cut:]
	}
	return n
}

// capped is a copy of the newest facts that fit in bytes (by
// len(Args)+len(Output); the newest always), oldest first, as Recent
// caps them.
func capped(facts []session.Fact, bytes int) []session.Fact {
	first, total := len(facts), 0
	for i := len(facts) - 1; i >= 0; i-- {
		size := len(facts[i].Args) + len(facts[i].Output)
		if bytes > 0 && total+size > bytes && i < len(facts)-1 {
			break
		}
		total += size
		first = i
	}
	return slices.Clone(facts[first:])
}

// read is the path without a ring.
func (r *RecentFacts) read(ctx context.Context, sid session.SessionID, c session.Cap, masked bool) ([]session.Fact, error) {
	facts, err := r.ledger.Recent(ctx, sid, c)
	if err != nil || !masked {
		return facts, err
	}
	for i := range facts {
		facts[i] = r.mask.Mask(facts[i])
	}
	return facts, nil
}
