package offline

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/steward-os/steward/kernel/route"
	"github.com/steward-os/steward/sdk"
	"github.com/steward-os/steward/session"
)

// testNow is "now" for every test: Thursday 2026-05-14, 09:00 UTC.
var testNow = time.Date(2026, 5, 14, 9, 0, 0, 0, time.UTC)

// manifestDoc is the part of an extension manifest the router sees.
type manifestDoc struct {
	ID    string `yaml:"id"`
	Tools []struct {
		Name        string    `yaml:"name"`
		Description string    `yaml:"description"`
		SafetyLevel int       `yaml:"safety_level"`
		Params      yaml.Node `yaml:"params"`
		Examples    []string  `yaml:"examples"`
		Keywords    []string  `yaml:"keywords"`
	} `yaml:"tools"`
}

// requiredParams lists the mandatory parameters of each tool (the handlers'
// non-omitempty fields).
var requiredParams = map[string][]string{
	"hosting.get_server":          {"server"},
	"hosting.server_metrics":      {"server"},
	"hosting.check_server_health": {"server"},
	"hosting.start_server":        {"server"},
	"hosting.snapshot_server":     {"server"},
	"hosting.restart_server":      {"server"},
	"hosting.resize_server":       {"server", "size"},
	"hosting.stop_server":         {"server"},
	"hosting.delete_server":       {"server"},
	"hosting.backup_database":     {"database"},
	"hosting.restore_database":    {"database", "backup"},
	"hosting.drop_database":       {"database"},
	"hosting.list_dns_records":    {"zone"},
	"hosting.export_zone":         {"zone"},
	"hosting.add_dns_record":      {"zone", "type", "name", "value"},
	"hosting.delete_dns_record":   {"zone", "name"},
	"hosting.renew_certificate":   {"domain"},
	"tasks.create_task":           {"title"},
	"tasks.complete_task":         {"task"},
	"messaging.send_message":      {"to", "body"},
	"messaging.read_message":      {"message"},
}

// loadCatalog reads the real manifests of the first-party extensions.
func loadCatalog(tb testing.TB) []route.ToolSpec {
	tb.Helper()
	files, err := filepath.Glob("../../../extensions/*/manifest.yaml")
	if err != nil || len(files) == 0 {
		tb.Fatalf("no manifests found: %v", err)
	}
	sort.Strings(files)
	var out []route.ToolSpec
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		var m manifestDoc
		if err := yaml.Unmarshal(raw, &m); err != nil {
			tb.Fatalf("%s: %v", f, err)
		}
		for _, t := range m.Tools {
			id := m.ID + "." + t.Name
			spec := route.ToolSpec{
				ID: session.ToolID(id), Extension: m.ID, Name: t.Name, Description: t.Description,
				Examples: t.Examples, Keywords: t.Keywords, SafetyLevel: t.SafetyLevel,
			}
			req := map[string]bool{}
			for _, p := range requiredParams[id] {
				req[p] = true
			}
			// params is a mapping; walk its nodes to keep the manifest's order.
			for i := 0; i+1 < len(t.Params.Content); i += 2 {
				name := t.Params.Content[i].Value
				var p struct {
					Resource    string   `yaml:"resource"`
					Enum        []string `yaml:"enum"`
					Description string   `yaml:"description"`
				}
				if err := t.Params.Content[i+1].Decode(&p); err != nil {
					tb.Fatalf("%s %s.%s: %v", f, id, name, err)
				}
				typ := "string"
				if name == "expiring_within_days" {
					typ = "integer"
				}
				spec.Params = append(spec.Params, route.Param{
					Name: name, Type: typ, Required: req[name], Enum: p.Enum,
					Resource: p.Resource, Description: p.Description,
				})
			}
			out = append(out, spec)
		}
	}
	return out
}

func res(ext, kind, id string, attrs map[string]string, rels ...sdk.Relation) route.Resource {
	return route.Resource{Extension: ext, Resource: sdk.Resource{Kind: kind, ID: id, Attrs: attrs, Relations: rels}}
}

func rel(typ, kind, id string) sdk.Relation { return sdk.Relation{Type: typ, Kind: kind, ID: id} }

// demoResources mirrors the demo world of tenant acme.
func demoResources() []route.Resource {
	a := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	return []route.Resource{
		res("hosting", "server", "web-1", a("region", "eu-west", "status", "running", "size", "m")),
		res("hosting", "server", "web-2", a("region", "eu-west", "status", "running", "size", "m")),
		res("hosting", "server", "db-1", a("region", "us-east", "status", "running", "size", "l")),
		res("hosting", "server", "staging-1", a("region", "us-east", "status", "stopped", "size", "s")),
		res("hosting", "site", "shop.acme.test", nil, rel("runs_on", "server", "web-1")),
		res("hosting", "site", "blog.acme.test", nil, rel("runs_on", "server", "web-2")),
		res("hosting", "site", "status.acme.test", nil, rel("runs_on", "server", "web-2")),
		res("hosting", "database", "orders", a("size_mb", "512"), rel("runs_on", "server", "db-1")),
		res("hosting", "database", "analytics", a("size_mb", "2048"), rel("runs_on", "server", "db-1")),
		res("hosting", "backup", "orders-1", a("created", "2026-05-12"), rel("of", "database", "orders")),
		res("hosting", "backup", "orders-2", a("created", "2026-05-13"), rel("of", "database", "orders")),
		res("hosting", "backup", "analytics-1", a("created", "2026-05-10"), rel("of", "database", "analytics")),
		res("hosting", "zone", "acme.test", nil),
		res("hosting", "dns_record", "shop", a("type", "A", "value", "203.0.113.10"), rel("in", "zone", "acme.test")),
		res("hosting", "dns_record", "blog", a("type", "A", "value", "203.0.113.11"), rel("in", "zone", "acme.test")),
		res("hosting", "dns_record", "www", a("type", "CNAME", "value", "shop.acme.test"), rel("in", "zone", "acme.test")),
		res("hosting", "dns_record", "@", a("type", "MX", "value", "mail.acme.test"), rel("in", "zone", "acme.test")),
		res("hosting", "certificate", "shop.acme.test", a("expires", "2026-06-01"), rel("secures", "site", "shop.acme.test")),
		res("hosting", "certificate", "blog.acme.test", a("expires", "2026-05-20"), rel("secures", "site", "blog.acme.test")),
		res("tasks", "task", "T-1", a("title", "Renew the domain", "status", "pending", "assignee", "bob")),
		res("tasks", "task", "T-2", a("title", "Review backups", "status", "pending", "assignee", "bob")),
		res("tasks", "task", "T-3", a("title", "Write the incident report", "status", "pending", "assignee", "carol")),
		res("tasks", "task", "T-4", a("title", "Update the runbook", "status", "done", "assignee", "bob")),
	}
}

func demoMembers() []sdk.Member {
	return []sdk.Member{
		{ID: "alice", Roles: []string{"admin"}},
		{ID: "bob", Roles: []string{"operator"}, Manager: "alice"},
		{ID: "carol", Roles: []string{"viewer"}, Manager: "alice"},
	}
}

func bob() session.Actor {
	return session.Actor{ID: "bob", Tenant: "acme", Roles: []string{"operator"}, Manager: "alice"}
}

func newTestRouter() *Router {
	return New(Options{Now: func() time.Time { return testNow }})
}

func demoTurn(catalog []route.ToolSpec, text string) route.Turn {
	return route.Turn{Text: text, Actor: bob(), Resources: demoResources(), Members: demoMembers(), Catalog: catalog}
}

// kv is a subset of expected arguments.
type kv map[string]any

type clarifyWant int

const (
	clarNo  clarifyWant = iota // a complete step, no question
	clarYes                    // a question (the step, if any, names the tool)
	clarAny                    // either
)

// routeCase is one phrasing and what the router must make of it.
type routeCase struct {
	text    string
	tool    string // "" = out of scope
	args    kv     // a subset of the planned arguments
	clarify clarifyWant
}

// outcome is what Route followed by Plan produced for a case.
type outcome struct {
	intent route.Intent
	plan   route.Plan
	tool   string
	args   map[string]any
}

// surfaceFor is what the kernel hands the planner (ROUTE-02): the tools of
// the routed domains only.
func surfaceFor(catalog []route.ToolSpec, domains []string) []route.ToolSpec {
	var out []route.ToolSpec
	for _, t := range catalog {
		for _, d := range domains {
			if t.Extension == d {
				out = append(out, t)
				break
			}
		}
	}
	return out
}

func run(t testing.TB, r *Router, catalog []route.ToolSpec, text string) outcome {
	t.Helper()
	ctx := context.Background()
	turn := demoTurn(catalog, text)
	in, err := r.Route(ctx, turn)
	if err != nil {
		t.Fatalf("Route(%q): %v", text, err)
	}
	o := outcome{intent: in}
	if in.Kind == session.IntentNone {
		return o
	}
	p, err := r.Plan(ctx, turn, in, surfaceFor(catalog, in.Domains))
	if err != nil {
		t.Fatalf("Plan(%q): %v", text, err)
	}
	o.plan = p
	if len(p.Steps) > 0 {
		o.tool = string(p.Steps[0].Tool)
		if err := json.Unmarshal(p.Steps[0].Args, &o.args); err != nil {
			t.Fatalf("Plan(%q): args %s: %v", text, p.Steps[0].Args, err)
		}
	}
	return o
}

// check returns "" when the outcome satisfies the case, else why not.
func (c routeCase) check(o outcome) string {
	if c.tool == "" {
		if o.intent.Kind != session.IntentNone || len(o.plan.Steps) > 0 {
			return fmt.Sprintf("force-fit: intent %s (%.2f) tool %q", o.intent.Kind, o.intent.Confidence, o.tool)
		}
		return ""
	}
	if o.intent.Kind == session.IntentNone {
		return fmt.Sprintf("routed to none (%.2f): %s", o.intent.Confidence, o.intent.Clarify)
	}
	if o.tool != c.tool {
		return fmt.Sprintf("tool %q, want %q (clarify %q)", o.tool, c.tool, o.plan.Clarify)
	}
	for k, want := range c.args {
		got, ok := o.args[k]
		if !ok {
			return fmt.Sprintf("missing arg %s (args %v, clarify %q)", k, o.args, o.plan.Clarify)
		}
		if f, isNum := got.(float64); isNum {
			got = int(f)
		}
		if gs, ok := got.(string); ok {
			if ws, ok := want.(string); ok && strings.EqualFold(strings.TrimSpace(gs), ws) {
				continue
			}
		}
		if !reflect.DeepEqual(got, want) {
			return fmt.Sprintf("arg %s = %#v, want %#v (args %v)", k, got, want, o.args)
		}
	}
	switch {
	case c.clarify == clarNo && o.plan.Clarify != "":
		return fmt.Sprintf("unexpected clarify %q (args %v)", o.plan.Clarify, o.args)
	case c.clarify == clarYes && o.plan.Clarify == "":
		return fmt.Sprintf("expected a clarifying question (args %v)", o.args)
	}
	return ""
}

// measure is what a set scored.
type measure struct {
	inScope, correct int
	outOfScope       int
	forceFits        int
	// harmful counts wrong state-changing choices: a tool at safety level
	// ≥ 1 other than the expected one, planned without a question.
	harmful int
}

func (m measure) accuracy() float64 { return float64(m.correct) / float64(m.inScope) }

// score runs a set and reports in-scope accuracy and out-of-scope force-fits.
func score(t *testing.T, name string, cases []routeCase) measure {
	t.Helper()
	catalog := loadCatalog(t)
	level := map[string]int{}
	for _, s := range catalog {
		level[string(s.ID)] = s.SafetyLevel
	}
	r := newTestRouter()
	var m measure
	for _, c := range cases {
		o := run(t, r, catalog, c.text)
		msg := c.check(o)
		if o.tool != "" && o.tool != c.tool && level[o.tool] >= 1 && o.plan.Clarify == "" {
			m.harmful++
			t.Logf("%s HARMFUL %q: %s", name, c.text, o.tool)
		}
		if c.tool == "" {
			m.outOfScope++
			if msg != "" {
				m.forceFits++
				t.Logf("%s FORCE-FIT %q: %s", name, c.text, msg)
			}
			continue
		}
		m.inScope++
		if msg == "" {
			m.correct++
		} else {
			t.Logf("%s MISS %q: %s", name, c.text, msg)
		}
	}
	t.Logf("%s: %d/%d in scope correct (%.1f%%), %d/%d out-of-scope force-fits, %d harmful",
		name, m.correct, m.inScope, 100*m.accuracy(), m.forceFits, m.outOfScope, m.harmful)
	return m
}
