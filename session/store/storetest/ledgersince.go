package storetest

import (
	"slices"
	"testing"

	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// ledgerSinceChecks run against a back-end that implements the optional
// store.LedgerSince; one without it passes them as not applicable.
var ledgerSinceChecks = []check{
	{"FactsAfterAnIDOldestFirst", ledgerSinceAfter},
}

// FactsSince returns the session's facts after an id, oldest first, the
// newest limit of them when there are more, none when nothing was added,
// and never another session's.
func ledgerSinceAfter(t *testing.T, b store.Backend) {
	ls, ok := b.(store.LedgerSince)
	if !ok {
		t.Log("back-end does not implement store.LedgerSince: recent facts are read on every turn")
		return
	}
	since := func(sid session.SessionID, after int64, limit int) []int64 {
		t.Helper()
		fs, err := ls.FactsSince(t.Context(), sid, after, limit)
		must(t, err)
		ids := make([]int64, len(fs))
		for i, f := range fs {
			if f.Session != sid {
				t.Fatalf("fact %d of session %q returned for %q", f.ID, f.Session, sid)
			}
			ids[i] = f.ID
		}
		return ids
	}
	if got := since("s1", 0, 10); len(got) != 0 {
		t.Fatalf("empty session: %v", got)
	}
	ids := record(t, b, fact("s1", 1, nil), fact("s2", 2, nil), fact("s1", 3, nil), fact("s1", 4, nil))
	want := []int64{ids[0], ids[2], ids[3]}
	if got := since("s1", 0, 10); !slices.Equal(got, want) {
		t.Fatalf("all of s1: %v, want %v", got, want)
	}
	if got := since("s1", ids[0], 10); !slices.Equal(got, want[1:]) {
		t.Fatalf("after the first: %v, want %v", got, want[1:])
	}
	if got := since("s1", 0, 2); !slices.Equal(got, want[1:]) {
		t.Fatalf("limit 2 keeps the newest: %v, want %v", got, want[1:])
	}
	if got := since("s1", ids[3], 10); len(got) != 0 {
		t.Fatalf("nothing added: %v", got)
	}
	f, err := ls.FactsSince(t.Context(), "s2", 0, 10)
	must(t, err)
	if len(f) != 1 || f[0].ID != ids[1] || f[0].Tool != "hosting.list_servers" || f[0].ArgsHash != "hash2" {
		t.Fatalf("s2 round trip: %+v", f)
	}
}
