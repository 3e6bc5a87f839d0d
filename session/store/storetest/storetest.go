// Package storetest is the conformance suite of the storage contract: the
// part interfaces of session/store (parts.go) and store.Backend, all of
// them. Every back-end runs it from its own tests, so that a second
// back-end (Redis) behaves exactly as SQLite does, on the bad and the
// concurrent paths too:
//
//	func TestStoreConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Backend { … })
//	}
//
// It is an ordinary package rather than a _test file only so that each
// back-end's tests can share it: import it from tests, never from
// production code.
//
// Each part is one group of small named checks. Details the interfaces
// once left open are pinned to what the SQLite back-end does (the check's
// comment says "Today:", and parts.go now states them); a back-end that
// differs there must change the contract first, not the check. No check
// asserts timing.
package storetest

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/steward-os/steward/session/store"
)

// Run checks a back-end against the contract. open returns a fresh, empty
// back-end for each check and registers its closing with t.Cleanup. The
// checks run one after another (a check may start many goroutines).
func Run(t *testing.T, open func(t *testing.T) store.Backend) {
	for _, p := range parts {
		t.Run(p.name, func(t *testing.T) {
			for _, c := range p.checks {
				t.Run(c.name, func(t *testing.T) { c.fn(t, open(t)) })
			}
		})
	}
}

// check is one rule of the contract, run against a fresh back-end.
type check struct {
	name string
	fn   func(t *testing.T, b store.Backend)
}

// parts are the subtest groups, one per interface of parts.go.
var parts = []struct {
	name   string
	checks []check
}{
	{"Audit", auditChecks},
	{"Ledger", ledgerChecks},
	{"LedgerSince", ledgerSinceChecks}, // ledgersince.go
	{"Proposals", proposalChecks},
	{"Executions", executionChecks},
	{"Chains", chainChecks},
	{"Tasks", taskChecks},
	{"Events", eventChecks},
	{"Marks", markChecks},
	{"Continuity", continuityChecks},
	{"Links", linkChecks},
	{"ExtState", extStateChecks},
	{"Dedupe", dedupeChecks},
	{"Usage", usageChecks},
	{"Alerts", alertChecks},       // alerts.go
	{"Dialogue", dialogueChecks},  // dialogue.go
	{"Approvals", approvalChecks}, // approvals.go
	{"Grants", grantChecks},       // grants.go
}

// racers is how many goroutines contend in the "exactly one" checks.
const racers = 20

// base carries nanoseconds so that a back-end that rounds times fails.
var base = time.Date(2025, 3, 14, 9, 26, 53, 589793238, time.UTC)

// at is the i-th instant of a check, i seconds after base, in UTC.
func at(i int) time.Time { return base.Add(time.Duration(i) * time.Second) }

// must stops the check on an unexpected error.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantErr stops the check unless errors.Is(err, target).
func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error %v, want %v", err, target)
	}
}

// same stops the check unless got and want are deeply equal.
func same(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

// saveAll writes values with a back-end's save method, in order.
func saveAll[V any](t *testing.T, save func(context.Context, V) error, vs ...V) {
	t.Helper()
	for _, v := range vs {
		must(t, save(t.Context(), v))
	}
}

// load returns what a back-end's get method returns for key; an error
// stops the check.
func load[K, V any](t *testing.T, get func(context.Context, K) (V, error), key K) V {
	t.Helper()
	v, err := get(t.Context(), key)
	must(t, err)
	return v
}

// exactlyOne runs fn from racers goroutines released at once and stops the
// check unless exactly one reports true (an error fails the check); it
// returns the index of the one that did.
func exactlyOne(t *testing.T, fn func(i int) (bool, error)) int {
	t.Helper()
	won := make(chan int, racers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range racers {
		wg.Go(func() {
			<-start
			ok, err := fn(i)
			if err != nil {
				t.Errorf("caller %d: %v", i, err)
			}
			if ok {
				won <- i
			}
		})
	}
	close(start)
	wg.Wait()
	close(won)
	if len(won) != 1 {
		t.Fatalf("%d of %d concurrent callers won, want exactly 1", len(won), racers)
	}
	return <-won
}
