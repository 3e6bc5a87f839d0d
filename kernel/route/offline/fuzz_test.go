package offline

import (
	"context"
	"encoding/json"
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
				required[s.ID] = append(required[s.ID], p.Name)
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
			if !strings.HasPrefix(s.Tool, in.Domains[0]+".") && len(in.Domains) == 1 {
				t.Fatalf("tool %s outside %v", s.Tool, in.Domains)
			}
			var args map[string]any
			if err := json.Unmarshal(s.Args, &args); err != nil || args == nil {
				t.Fatalf("args %s: %v", s.Args, err)
			}
			if p.Clarify != "" {
				missing := false
				for _, name := range required[s.Tool] {
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
