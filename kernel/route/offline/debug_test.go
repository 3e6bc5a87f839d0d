package offline

import (
	"os"
	"testing"
)

// TestDebugScores prints the ranking of ROUTER_DEBUG requests (development aid).
func TestDebugScores(t *testing.T) {
	set := os.Getenv("ROUTER_DEBUG")
	if set == "" {
		t.Skip("set ROUTER_DEBUG=dev|heldout")
	}
	cases := devCases(t)
	if set == "heldout" {
		cases = heldOut
	}
	catalog := loadCatalog(t)
	r := newTestRouter()
	ix := r.index(catalog)
	all := make([]int, len(ix.tools))
	for i := range all {
		all[i] = i
	}
	for _, c := range cases {
		cl := r.classify(ix, demoTurn(catalog, c.text), all)
		top, second := "", ""
		var tt, t2, cov, lex float64
		if len(cl.rank) > 0 {
			top = ix.tools[cl.rank[0].tool].spec.Name
			tt, cov, lex = cl.rank[0].total, cl.rank[0].coverage, cl.rank[0].lex
		}
		if len(cl.rank) > 1 {
			second = ix.tools[cl.rank[1].tool].spec.Name
			t2 = cl.rank[1].total
		}
		mark := "  "
		if c.tool == "" {
			mark = "OO"
		}
		t.Logf("%s conf=%.2f top=%-18s %.2f (lex %.2f cov %.2f) 2nd=%-18s %.2f | %s", mark, cl.conf, top, tt, lex, cov, second, t2, c.text)
	}
}

// TestDebugPlans prints Route+Plan outcomes (development aid).
func TestDebugPlans(t *testing.T) {
	set := os.Getenv("ROUTER_DEBUG")
	if set == "" {
		t.Skip("set ROUTER_DEBUG=dev|heldout")
	}
	cases := devCases(t)
	if set == "heldout" {
		cases = heldOut
	}
	catalog := loadCatalog(t)
	r := newTestRouter()
	for _, c := range cases {
		o := run(t, r, catalog, c.text)
		var args string
		if len(o.plan.Steps) > 0 {
			args = string(o.plan.Steps[0].Args)
		}
		t.Logf("%-60q %s %v %-26s %s | %s", c.text, o.intent.Kind, o.intent.Domains, o.tool, args, o.plan.Clarify)
	}
}
