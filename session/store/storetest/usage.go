package storetest

import (
	"testing"

	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

var usageChecks = []check{
	{"AddReturnsTotal", usageAdd},
	{"TenantsAndPeriodsApart", usageApart},
	{"NegativeRefused", usageNegative},
	{"ConcurrentAddsAllCounted", usageConcurrent},
}

// wantUsage checks a tenant's total for a period.
func wantUsage(t *testing.T, b store.Backend, tenant, period string, want int64) {
	t.Helper()
	n, err := b.UsageOf(t.Context(), session.TenantID(tenant), period)
	must(t, err)
	same(t, "usage "+tenant+" "+period, n, want)
}

// usageAdd: nothing added reads 0; each add returns the running total,
// adding 0 included.
func usageAdd(t *testing.T, b store.Backend) {
	wantUsage(t, b, "acme", "2026-11", 0)
	for _, c := range []struct{ add, total int64 }{{120, 120}, {0, 120}, {30, 150}} {
		n, err := b.AddUsage(t.Context(), "acme", "2026-11", c.add)
		must(t, err)
		same(t, "total after adding", n, c.total)
	}
	wantUsage(t, b, "acme", "2026-11", 150)
}

// usageApart: a tenant's period counts only its own adds.
func usageApart(t *testing.T, b store.Backend) {
	for _, a := range []struct {
		tenant, period string
		n              int64
	}{{"acme", "2026-11", 10}, {"acme", "2026-12", 20}, {"globex", "2026-11", 40}} {
		_, err := b.AddUsage(t.Context(), session.TenantID(a.tenant), a.period, a.n)
		must(t, err)
	}
	wantUsage(t, b, "acme", "2026-11", 10)
	wantUsage(t, b, "acme", "2026-12", 20)
	wantUsage(t, b, "globex", "2026-11", 40)
	wantUsage(t, b, "globex", "2026-12", 0)
}

// usageNegative: a negative add is an error and changes nothing.
func usageNegative(t *testing.T, b store.Backend) {
	_, err := b.AddUsage(t.Context(), "acme", "2026-11", 5)
	must(t, err)
	if _, err := b.AddUsage(t.Context(), "acme", "2026-11", -3); err == nil {
		t.Fatal("a negative add was accepted")
	}
	wantUsage(t, b, "acme", "2026-11", 5)
}

// usageConcurrent: adds from many callers at once are all counted.
func usageConcurrent(t *testing.T, b store.Backend) {
	done := make(chan error, racers)
	for i := range racers {
		go func() {
			_, err := b.AddUsage(t.Context(), "acme", "2026-11", int64(i+1))
			done <- err
		}()
	}
	for range racers {
		must(t, <-done)
	}
	wantUsage(t, b, "acme", "2026-11", racers*(racers+1)/2)
}
