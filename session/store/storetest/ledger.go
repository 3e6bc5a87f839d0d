package storetest

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

var ledgerChecks = []check{
	{"RecordIDsGrow", ledgerIDsGrow},
	{"FactRoundTrip", ledgerRoundTrip},
	{"UnknownFactNotFound", ledgerUnknown},
	{"RecentPerSessionOldestFirst", ledgerRecentPerSession},
	{"RecentWithinCap", ledgerRecentCap},
	{"RecordCommitsItsAudit", ledgerRecordAudited},
	{"FactsAfterOldestFirst", ledgerFactsAfter},
}

// fact is the i-th fact of a check in a session; its size (args and
// output, what Cap.Bytes counts) is 2+len(output).
func fact(sid session.SessionID, i int, output json.RawMessage) session.Fact {
	return session.Fact{Session: sid, Turn: session.TurnID(fmt.Sprintf("t_%d", i)), Step: "s1", Tool: "hosting.list_servers",
		Args: json.RawMessage(`{}`), ArgsHash: fmt.Sprintf("hash%d", i), OK: true, Output: output, At: at(i)}
}

// record stores facts and returns their ids.
func record(t *testing.T, b store.Backend, facts ...session.Fact) []int64 {
	t.Helper()
	ids := make([]int64, len(facts))
	for i, f := range facts {
		id, err := b.Record(t.Context(), f, nil)
		must(t, err)
		ids[i] = id
	}
	return ids
}

// factIDs are the ids of facts, in their order.
func factIDs(facts []session.Fact) []int64 {
	ids := make([]int64, len(facts))
	for i, f := range facts {
		ids[i] = f.ID
	}
	return ids
}

// ledgerIDsGrow: each Record returns a larger id than the one before, in
// any session.
func ledgerIDsGrow(t *testing.T, b store.Backend) {
	ids := record(t, b, fact("s1", 1, nil), fact("s2", 2, nil), fact("s1", 3, nil))
	if ids[0] <= 0 || ids[1] <= ids[0] || ids[2] <= ids[1] {
		t.Fatalf("ids %v do not grow", ids)
	}
}

// ledgerRoundTrip: Fact returns every field as recorded, with and without
// an output or an error.
func ledgerRoundTrip(t *testing.T, b store.Backend) {
	failed := fact("s1", 2, nil)
	failed.OK, failed.Error = false, &session.Error{Code: "not_found", Message: "No such server."}
	for _, f := range []session.Fact{fact("s1", 1, json.RawMessage(`{"servers":["web-1"]}`)), failed, fact("s2", 3, nil)} {
		f.ID = record(t, b, f)[0]
		got, err := b.Fact(t.Context(), f.ID)
		must(t, err)
		same(t, "fact", got, f)
	}
}

// ledgerUnknown: Fact of an id never recorded is ErrNotFound.
func ledgerUnknown(t *testing.T, b store.Backend) {
	_, err := b.Fact(t.Context(), 4242)
	wantErr(t, err, store.ErrNotFound)
}

// ledgerRecentPerSession: Recent returns only the session's facts, oldest
// first, complete; an unknown session has none.
func ledgerRecentPerSession(t *testing.T, b store.Backend) {
	facts := []session.Fact{fact("s1", 1, json.RawMessage(`1`)), fact("s2", 2, nil), fact("s1", 3, nil), fact("s1", 4, json.RawMessage(`4`))}
	ids := record(t, b, facts...)
	got, err := b.Recent(t.Context(), "s1", session.Cap{Count: 10, Bytes: 1000})
	must(t, err)
	want := []session.Fact{facts[0], facts[2], facts[3]}
	for i, j := range []int{0, 2, 3} {
		want[i].ID = ids[j]
	}
	same(t, "recent", got, want)
	got, err = b.Recent(t.Context(), "nobody", session.Cap{Count: 10})
	must(t, err)
	same(t, "recent of an unknown session", len(got), 0)
}

// ledgerRecentCap: Recent returns the newest facts, oldest first, at most
// Count of them and, when Bytes is set, only as many of the newest as fit
// in it. Today: a Count of 0 means 20, a Bytes of 0 means no byte cap,
// and the newest fact is returned even when it alone exceeds Bytes.
func ledgerRecentCap(t *testing.T, b store.Backend) {
	var facts []session.Fact
	for i := range 25 {
		facts = append(facts, fact("s1", i, json.RawMessage(`"`+strings.Repeat("x", 6)+`"`))) // 10 bytes each
	}
	ids := record(t, b, facts...)
	record(t, b, fact("s2", 99, nil))
	for _, c := range []struct {
		name string
		cap  session.Cap
		want int // the newest want facts
	}{
		{"count", session.Cap{Count: 4}, 4},
		{"count above the facts", session.Cap{Count: 30}, 25},
		{"count 0 is 20", session.Cap{}, 20},
		{"bytes fit exactly", session.Cap{Count: 30, Bytes: 30}, 3},
		{"bytes one short", session.Cap{Count: 30, Bytes: 29}, 2},
		{"bytes below one fact", session.Cap{Count: 30, Bytes: 5}, 1},
		{"count below bytes", session.Cap{Count: 2, Bytes: 1000}, 2},
	} {
		got, err := b.Recent(t.Context(), "s1", c.cap)
		must(t, err)
		same(t, c.name, factIDs(got), ids[len(ids)-c.want:])
	}
}

// resultOf builds a "result" entry naming the fact it is committed with.
func resultOf(tenant session.TenantID, i int) store.Audited {
	return func(id int64) []store.AuditEntry {
		e := entry(tenant, i)
		e.Kind, e.Data = "result", json.RawMessage(fmt.Sprintf(`{"fact":%d}`, id))
		return []store.AuditEntry{e}
	}
}

// ledgerRecordAudited: Record appends the entries its audit builds, with
// the new fact's id, once, after what was enqueued before.
func ledgerRecordAudited(t *testing.T, b store.Backend) {
	must(t, b.EnqueueAudit(t.Context(), entry("acme", 1)))
	id, err := b.Record(t.Context(), fact("s1", 2, json.RawMessage(`2`)), resultOf("acme", 2))
	must(t, err)
	rows := verified(t, b, "acme")
	same(t, "records", len(rows), 2)
	same(t, "result record", []any{rows[0].Kind, rows[1].Kind, string(rows[1].Data)}, []any{"kind.1", "result", fmt.Sprintf(`{"fact":%d}`, id)})
}

// ledgerFactsAfter: Facts lists every session's facts after an id, oldest
// first, at most limit. Today: a limit outside 1..500 is 500.
func ledgerFactsAfter(t *testing.T, b store.Backend) {
	facts := []session.Fact{fact("s1", 1, nil), fact("s2", 2, json.RawMessage(`2`)), fact("s1", 3, nil)}
	ids := record(t, b, facts...)
	for i := range facts {
		facts[i].ID = ids[i]
	}
	for _, c := range []struct {
		after int64
		limit int
		want  []session.Fact
	}{{0, 0, facts}, {ids[0], 10, facts[1:]}, {0, 2, facts[:2]}, {ids[2], 10, nil}} {
		got, err := b.Facts(t.Context(), c.after, c.limit)
		must(t, err)
		same(t, fmt.Sprintf("facts after %d (limit %d)", c.after, c.limit), got, c.want)
	}
}
