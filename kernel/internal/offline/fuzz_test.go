package offline

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/steward-os/steward/kernel/route"
	"github.com/steward-os/steward/session"
)

// FuzzRoutePlan checks the invariants on arbitrary text: no panic,
// confidence in 0..1, steps only from the surface with object arguments,
// and a step that comes with a question lacks a required argument.
func FuzzRoutePlan(f *testing.F) {
	for _, c := range append(append([]routeCase{}, devSet...), heldOut...) {
		f.Add(c.text)
	}
	for _, s := range []string{"", " ", "\"", "'", "::", "web-", "-1", "..", "a.b.c.d.e", "@@@", "ünïcödé wéb-1",
		"restart web-1 web-2 db-1 staging-1", strings.Repeat("delete ", 200), "tell", "remind me to", `"unterminated`,
		"due 2026-02-30", "in 99999999999999999999 days", "my my my manager manager"} {
		f.Add(s)
	}
	catalog := loadCatalog(f)
	required := map[string][]string{}
	for _, s := range catalog {
		for _, p := range s.Params {
			if p.Required {
				required[string(s.ID)] = append(required[string(s.ID)], p.Name)
			}
		}
	}
	r := newTestRouter()
	f.Fuzz(func(t *testing.T, text string) {
		if !utf8.ValidString(text) {
			return
		}
		turn := demoTurn(catalog, text)
		in, err := r.Route(context.Background(), turn)
		if err != nil {
			t.Fatal(err)
		}
		if in.Confidence < 0 || in.Confidence > 1 {
			t.Fatalf("confidence %v", in.Confidence)
		}
		if in.Kind == session.IntentNone {
			if len(in.Domains) != 0 || in.Clarify == "" {
				t.Fatalf("none: %+v", in)
			}
			return
		}
		surface := surfaceFor(catalog, in.Domains)
		p, err := r.Plan(context.Background(), turn, in, surface)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range p.Steps {
			if !strings.HasPrefix(string(s.Tool), in.Domains[0]+".") && len(in.Domains) == 1 {
				t.Fatalf("tool %s outside %v", s.Tool, in.Domains)
			}
			var args map[string]any
			if err := json.Unmarshal(s.Args, &args); err != nil || args == nil {
				t.Fatalf("args %s: %v", s.Args, err)
			}
			if p.Clarify != "" {
				missing := false
				for _, name := range required[string(s.Tool)] {
					if _, ok := args[name]; !ok {
						missing = true
					}
				}
				if !missing {
					t.Fatalf("%q: clarifying step is complete: %s", text, s.Args)
				}
			}
		}
	})
}

func TestEmptyCatalog(t *testing.T) {
	r := newTestRouter()
	in, err := r.Route(context.Background(), route.Turn{Text: "restart web-1"})
	if err != nil || in.Kind != session.IntentNone || in.Clarify == "" {
		t.Errorf("empty catalog: %+v %v", in, err)
	}
}

// FuzzChainPlan checks the plan invariants on arbitrary text with a ledger
// present (CHAIN-03, CHAIN-08, AF-02): ids s1…sn, dependencies only on
// earlier steps, every step reference listed in DependsOn, ledger
// references and answers only to successful facts of the turn, a chain
// intent for several steps, and no steps beside an answer or a question
// about a multi-step request.
func FuzzChainPlan(f *testing.F) {
	for _, c := range append(append(append(append([]chainCase{}, devChains...), heldOutChains...), devRefs...), heldOutRefs...) {
		f.Add(c.text)
	}
	for _, s := range []string{"and", "then", "and then and then", ", , ,", "restart it and it and it", "the first one the last one",
		"how many of them how many", "if then otherwise", "restart web-1. then. then.", "send them them them to her",
		strings.Repeat("restart web-1 and ", 50), "after after before before", "once done, then", "\"and then\" restart web-1"} {
		f.Add(s)
	}
	catalog := loadCatalog(f)
	r := newTestRouter()
	facts := ledger(factTasks, factServers, factFailed, factServer)
	f.Fuzz(func(t *testing.T, text string) {
		if !utf8.ValidString(text) {
			return
		}
		o := runChainCase(t, r, catalog, chainCase{text: text, facts: facts})
		checkPlanInvariants(t, text, facts, o)
		if o.intent.Confidence < 0 || o.intent.Confidence > 1 || o.plan.Confidence < 0 || o.plan.Confidence > 1 {
			t.Fatalf("%q: confidence %v / %v", text, o.intent.Confidence, o.plan.Confidence)
		}
		if o.intent.Kind == session.IntentNone && (len(o.intent.Domains) != 0 || o.intent.Clarify == "") {
			t.Fatalf("%q: none intent %+v", text, o.intent)
		}
		for _, s := range o.plan.Steps {
			if !slices.Contains(o.intent.Domains, strings.SplitN(string(s.Tool), ".", 2)[0]) {
				t.Fatalf("%q: %s outside the routed domains %v", text, s.Tool, o.intent.Domains)
			}
		}
	})
}
