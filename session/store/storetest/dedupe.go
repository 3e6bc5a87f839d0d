package storetest

import (
	"encoding/json"
	"testing"

	"github.com/steward-os/steward/session/store"
)

var dedupeChecks = []check{
	{"ClaimThenFinish", dedupeClaimFinish},
	{"ForgetReleasesOnlyUnfinished", dedupeForget},
	{"ConcurrentClaimsOneFirst", dedupeConcurrent},
	{"KeyBoundToItsRequest", dedupeBound},
	{"UnfinishedInClaimOrder", dedupeUnfinished},
}

// claim claims a key and checks what it returns.
func claim(t *testing.T, b store.Backend, key string, wantFirst bool, wantOutcome string) {
	t.Helper()
	first, out, err := b.ClaimInbound(t.Context(), key, "req", at(1))
	must(t, err)
	same(t, "claim of "+key, []any{first, string(out), out == nil}, []any{wantFirst, wantOutcome, wantOutcome == ""})
}

// dedupeClaimFinish: the first claim of a key is first; a later one is not
// and gets nil while the first is unfinished, then the stored outcome.
func dedupeClaimFinish(t *testing.T, b store.Backend) {
	claim(t, b, "k1", true, "")
	claim(t, b, "k1", false, "")
	claim(t, b, "k2", true, "")
	must(t, b.FinishInbound(t.Context(), "k1", json.RawMessage(`{"turn_id":"t_1"}`)))
	claim(t, b, "k1", false, `{"turn_id":"t_1"}`)
	claim(t, b, "k2", false, "")
}

// dedupeForget: ForgetUnfinishedInbound releases the unfinished keys only
// and counts them; a released key can be claimed first again.
func dedupeForget(t *testing.T, b store.Backend) {
	for _, k := range []string{"done", "open1", "open2"} {
		claim(t, b, k, true, "")
	}
	must(t, b.FinishInbound(t.Context(), "done", json.RawMessage(`{"ok":true}`)))
	for _, want := range []int64{2, 0} {
		n, err := b.ForgetUnfinishedInbound(t.Context())
		must(t, err)
		same(t, "forgotten", n, want)
	}
	claim(t, b, "done", false, `{"ok":true}`)
	claim(t, b, "open1", true, "")
}

// dedupeConcurrent: of concurrent claims of one key exactly one is first.
func dedupeConcurrent(t *testing.T, b store.Backend) {
	exactlyOne(t, func(i int) (bool, error) {
		first, _, err := b.ClaimInbound(t.Context(), "k1", "req", at(i))
		return first, err
	})
}

// dedupeBound: a key answers only the request it was claimed for: another
// request gets ErrKeyReused, unfinished or finished, and changes nothing.
// Today: a key stored without a request (by an older build) matches any.
func dedupeBound(t *testing.T, b store.Backend) {
	claim(t, b, "k1", true, "")
	_, _, err := b.ClaimInbound(t.Context(), "k1", "other", at(2))
	wantErr(t, err, store.ErrKeyReused)
	must(t, b.FinishInbound(t.Context(), "k1", json.RawMessage(`{"turn_id":"t_1"}`)))
	_, _, err = b.ClaimInbound(t.Context(), "k1", "other", at(3))
	wantErr(t, err, store.ErrKeyReused)
	claim(t, b, "k1", false, `{"turn_id":"t_1"}`)
	first, _, err := b.ClaimInbound(t.Context(), "legacy", "", at(4))
	must(t, err)
	same(t, "first claim without a request", first, true)
	first, _, err = b.ClaimInbound(t.Context(), "legacy", "any", at(5))
	must(t, err)
	same(t, "claim of a key without a request", first, false)
}

// dedupeUnfinished: UnfinishedInbound lists the keys without an outcome,
// in claim order.
func dedupeUnfinished(t *testing.T, b store.Backend) {
	for _, k := range []string{"open2", "done", "open1"} {
		claim(t, b, k, true, "")
	}
	must(t, b.FinishInbound(t.Context(), "done", json.RawMessage(`{}`)))
	keys, err := b.UnfinishedInbound(t.Context())
	must(t, err)
	same(t, "unfinished", keys, []string{"open2", "open1"})
}
