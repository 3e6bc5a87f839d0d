package offline

import (
	"context"
	"strings"
	"testing"

	"github.com/steward-os/steward/kernel/route"
)

var benchTexts = []string{
	"could you restart web-2 for me",
	"list my servers",
	"delete the www record from acme.test",
	"tell alice that the backups finished",
	"remind me to review the backups tomorrow",
	"what's the weather in Paris",
}

func benchTurns(b *testing.B) []route.Turn {
	catalog := loadCatalog(b)
	turns := make([]route.Turn, len(benchTexts))
	for i, s := range benchTexts {
		turns[i] = demoTurn(catalog, s)
	}
	return turns
}

// BenchmarkRoute measures one Route call (catalog index cached, as in a
// running kernel), averaged over a mix of requests.
func BenchmarkRoute(b *testing.B) {
	turns := benchTurns(b)
	r := newTestRouter()
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := r.Route(ctx, turns[i%len(turns)]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRoutePlan measures a whole turn: Route, then Plan over the
// routed surface.
func BenchmarkRoutePlan(b *testing.B) {
	turns := benchTurns(b)
	r := newTestRouter()
	ctx := context.Background()
	surfaces := map[string][]route.ToolSpec{}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		t := turns[i%len(turns)]
		in, err := r.Route(ctx, t)
		if err != nil {
			b.Fatal(err)
		}
		if len(in.Domains) == 0 {
			continue
		}
		key := in.Domains[0]
		s, ok := surfaces[key]
		if !ok {
			s = surfaceFor(t.Catalog, in.Domains[:1])
			surfaces[key] = s
		}
		if _, err := r.Plan(ctx, t, in, s); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBuildIndex measures indexing a catalog (once per catalog change).
func BenchmarkBuildIndex(b *testing.B) {
	catalog := loadCatalog(b)
	b.ReportAllocs()
	for b.Loop() {
		buildIndex(catalog)
	}
}

var benchChainTexts = []string{
	"find my pending tasks and send them to my manager",
	"snapshot web-1 and then resize it to xl",
	"list the databases on db-1 and back up orders",
	"check web-2's metrics, then restart it",
	"restart web-1, web-2 and db-1",
	"restart the first one",
	"how many of those are in eu-west?",
}

func benchChainTurns(b *testing.B) []route.Turn {
	catalog := loadCatalog(b)
	turns := make([]route.Turn, len(benchChainTexts))
	for i, s := range benchChainTexts {
		turns[i] = demoTurn(catalog, s)
		turns[i].Facts = ledger(factTasks, factServers)
	}
	return turns
}

// BenchmarkRouteChain measures Route on multi-step requests and ledger
// references (with a two-fact ledger).
func BenchmarkRouteChain(b *testing.B) {
	turns := benchChainTurns(b)
	r := newTestRouter()
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := r.Route(ctx, turns[i%len(turns)]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRoutePlanChain measures a whole multi-step turn: Route, then
// Plan over the routed domains.
func BenchmarkRoutePlanChain(b *testing.B) {
	turns := benchChainTurns(b)
	r := newTestRouter()
	ctx := context.Background()
	surfaces := map[string][]route.ToolSpec{}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		t := turns[i%len(turns)]
		in, err := r.Route(ctx, t)
		if err != nil {
			b.Fatal(err)
		}
		key := strings.Join(in.Domains, ",")
		s, ok := surfaces[key]
		if !ok {
			s = surfaceFor(t.Catalog, in.Domains)
			surfaces[key] = s
		}
		if _, err := r.Plan(ctx, t, in, s); err != nil {
			b.Fatal(err)
		}
	}
}
