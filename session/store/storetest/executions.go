package storetest

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

var executionChecks = []check{
	{"ClaimOnceAuditedOnce", executionClaimOnce},
	{"ConcurrentClaimsOneFirst", executionConcurrentClaim},
	{"SettleRecordsOnce", executionSettleOnce},
	{"ConcurrentSettlesOneWins", executionConcurrentSettle},
	{"SettleUnclaimedNotFound", executionSettleUnknown},
	{"UnsettledAndByInbound", executionLists},
}

// execution is the i-th dispatch claim of a check, of the turn with an
// inbound key.
func execution(key, inbound string, i int) store.Execution {
	return store.Execution{Key: key, Inbound: inbound, Tenant: "acme", Actor: "alice", Session: "s:acme:alice",
		Turn: session.TurnID(fmt.Sprintf("t_%d", i)), Chain: "c_1", Step: "s1", Tool: "tasks.create_task",
		Args: json.RawMessage(`{"title":"x"}`), Level: 1, ClaimedAt: at(i)}
}

// claimed claims e and checks whether it was first.
func claimed(t *testing.T, b store.Backend, e store.Execution, wantFirst bool, audit ...store.AuditEntry) store.Execution {
	t.Helper()
	first, stored, err := b.ClaimDispatch(t.Context(), e, audit...)
	must(t, err)
	same(t, "first claim of "+e.Key, first, wantFirst)
	return stored
}

// executionClaimOnce: the first claim stores the claim and its audit
// entries; a later one (another turn, other entries) gets the stored claim
// and stores nothing.
func executionClaimOnce(t *testing.T, b store.Backend) {
	e := execution("k/s1", "k", 1)
	same(t, "first", claimed(t, b, e, true, entry("acme", 1)), e)
	again := execution("k/s1", "other", 2)
	same(t, "stored", claimed(t, b, again, false, entry("acme", 2)), e)
	same(t, "loaded", load(t, b.Execution, "k/s1"), e)
	same(t, "audit records", len(verified(t, b, "acme")), 1)
	_, err := b.Execution(t.Context(), "nope")
	wantErr(t, err, store.ErrNotFound)
}

// executionConcurrentClaim: of concurrent claims of one key exactly one
// is first.
func executionConcurrentClaim(t *testing.T, b store.Backend) {
	exactlyOne(t, func(i int) (bool, error) {
		first, _, err := b.ClaimDispatch(t.Context(), execution("k/s1", "k", i))
		return first, err
	})
}

// executionSettleOnce: settling records the fact, its audit entries and
// the claim's outcome; settling again records nothing and returns the
// fact stored first.
func executionSettleOnce(t *testing.T, b store.Backend) {
	e := claimed(t, b, execution("k/s1", "k", 1), true)
	f := fact("s:acme:alice", 2, json.RawMessage(`{"id":"T-1"}`))
	stored, won, err := b.SettleDispatch(t.Context(), "k/s1", f, resultOf("acme", 2))
	must(t, err)
	same(t, "won", won, true)
	e.Fact, f.ID = stored.Fact, stored.Fact
	same(t, "settled", stored, e)
	same(t, "fact", load(t, b.Fact, stored.Fact), f)
	again, won, err := b.SettleDispatch(t.Context(), "k/s1", fact("s:acme:alice", 3, nil), resultOf("acme", 3))
	must(t, err)
	same(t, "settled twice", []any{won, again}, []any{false, e})
	facts, err := b.Facts(t.Context(), 0, 0)
	must(t, err)
	same(t, "facts", len(facts), 1)
	rows := verified(t, b, "acme")
	same(t, "result record", []any{len(rows), string(rows[0].Data)}, []any{1, fmt.Sprintf(`{"fact":%d}`, e.Fact)})
}

// executionConcurrentSettle: of concurrent settlements of one claim
// exactly one wins, and one fact is recorded.
func executionConcurrentSettle(t *testing.T, b store.Backend) {
	claimed(t, b, execution("k/s1", "k", 1), true)
	exactlyOne(t, func(i int) (bool, error) {
		_, won, err := b.SettleDispatch(t.Context(), "k/s1", fact("s:acme:alice", i, nil), nil)
		return won, err
	})
	facts, err := b.Facts(t.Context(), 0, 0)
	must(t, err)
	same(t, "facts", len(facts), 1)
}

// executionSettleUnknown: settling a key never claimed is ErrNotFound and
// records nothing.
func executionSettleUnknown(t *testing.T, b store.Backend) {
	_, _, err := b.SettleDispatch(t.Context(), "nope", fact("s1", 1, nil), resultOf("acme", 1))
	wantErr(t, err, store.ErrNotFound)
	facts, err := b.Facts(t.Context(), 0, 0)
	must(t, err)
	same(t, "facts", len(facts), 0)
}

// executionLists: UnsettledDispatches lists the dispatch claims without an
// outcome (never a bare proposal claim), DispatchesOf an inbound key's
// claims, settled or not, both oldest first.
func executionLists(t *testing.T, b store.Backend) {
	a, c := claimed(t, b, execution("k1/s1", "k1", 1), true), claimed(t, b, execution("turn:t_3/s1", "", 3), true)
	bb := claimed(t, b, execution("k1/s2", "k1", 2), true)
	claimed(t, b, execution("k2/s1", "k2", 4), true)
	saveAll(t, b.CreateProposal, proposal("p_1", 5))
	_, err := b.AcceptProposal(t.Context(), "p_1", at(5))
	must(t, err)
	settled, _, err := b.SettleDispatch(t.Context(), "k1/s2", fact("s:acme:alice", 6, nil), nil)
	must(t, err)
	bb.Fact = settled.Fact
	open, err := b.UnsettledDispatches(t.Context())
	must(t, err)
	same(t, "unsettled", keys(open), []string{"k1/s1", "turn:t_3/s1", "k2/s1"})
	of, err := b.DispatchesOf(t.Context(), "k1")
	must(t, err)
	same(t, "dispatches of k1", of, []store.Execution{a, bb})
	same(t, "unsettled claim", open[1], c)
}

func keys(es []store.Execution) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Key
	}
	return out
}
