package offline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/steward-os/steward/kernel/route"
	"github.com/steward-os/steward/sdk"
	"github.com/steward-os/steward/session"
)

// ROUTE-01: the intent kind comes from the chosen tool's safety level, and
// domains are extension ids, the winner's first.
func TestRouteIntentKindAndDomains(t *testing.T) {
	catalog := loadCatalog(t)
	r := newTestRouter()
	cases := []struct {
		text   string
		kind   string
		domain string
	}{
		{"list my servers", session.IntentRead, "hosting"},
		{"restart web-1", session.IntentWrite, "hosting"},          // level 2
		{"snapshot web-1", session.IntentWrite, "hosting"},         // level 1
		{"stop web-2", session.IntentDestructive, "hosting"},       // level 3
		{"delete staging-1", session.IntentDestructive, "hosting"}, // level 4
		{"what are my tasks", session.IntentRead, "tasks"},
		{"tell alice that the backups finished", session.IntentWrite, "messaging"},
	}
	for _, c := range cases {
		in, err := r.Route(context.Background(), demoTurn(catalog, c.text))
		if err != nil {
			t.Fatal(err)
		}
		if in.Kind != c.kind || len(in.Domains) == 0 || in.Domains[0] != c.domain {
			t.Errorf("Route(%q) = %s %v, want %s [%s …]", c.text, in.Kind, in.Domains, c.kind, c.domain)
		}
		if in.Confidence < DefaultMinConfidence || in.Confidence > 1 || in.Clarify != "" {
			t.Errorf("Route(%q): confidence %.2f clarify %q", c.text, in.Confidence, in.Clarify)
		}
	}
}

// Out of scope: intent none, low confidence, no domains, and a message
// that says what the router can help with.
func TestRouteOutOfScope(t *testing.T) {
	catalog := loadCatalog(t)
	r := newTestRouter()
	for _, text := range []string{"what's the weather in Paris", "tell me a joke", "hello", "order a pizza", ""} {
		in, err := r.Route(context.Background(), demoTurn(catalog, text))
		if err != nil {
			t.Fatal(err)
		}
		if in.Kind != session.IntentNone || in.Confidence >= DefaultMinConfidence || len(in.Domains) != 0 {
			t.Errorf("Route(%q) = %+v, want none", text, in)
		}
		for _, ext := range []string{"hosting", "tasks", "messaging", "list my servers"} {
			if !strings.Contains(in.Clarify, ext) {
				t.Errorf("Route(%q).Clarify = %q, does not mention %q", text, in.Clarify, ext)
			}
		}
	}
}

// A named resource alone never leads to a state change.
func TestEntityAloneIsNeverAChange(t *testing.T) {
	catalog := loadCatalog(t)
	r := newTestRouter()
	for _, text := range []string{"what's the weather on web-1", "web-1 is on fire, what do I do?", "orders", "staging-1?"} {
		o := run(t, r, catalog, text)
		if o.intent.Kind != session.IntentNone && o.intent.Kind != session.IntentRead {
			t.Errorf("%q routed to %s (%s)", text, o.intent.Kind, o.tool)
		}
	}
}

// ROUTE-02: the planner picks only from the surface it is given, and does
// not force-fit a request to a surface that cannot serve it.
func TestPlanOnlyFromSurface(t *testing.T) {
	catalog := loadCatalog(t)
	r := newTestRouter()
	turn := demoTurn(catalog, "restart web-1")
	tasks := surfaceFor(catalog, []string{"tasks"})
	p, err := r.Plan(context.Background(), turn, route.Intent{Kind: session.IntentWrite, Domains: []string{"tasks"}}, tasks)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Steps) != 0 || p.Clarify == "" {
		t.Errorf("Plan over tasks for %q = %+v, want no steps and a question", turn.Text, p)
	}
	// Every chosen tool is in the surface, whatever the request.
	for _, c := range append(devCases(t), heldOut...) {
		turn := demoTurn(catalog, c.text)
		for _, ext := range []string{"hosting", "tasks", "messaging"} {
			surface := surfaceFor(catalog, []string{ext})
			p, err := r.Plan(context.Background(), turn, route.Intent{}, surface)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range p.Steps {
				if !strings.HasPrefix(string(s.Tool), ext+".") {
					t.Fatalf("Plan(%q) over %s chose %s", c.text, ext, s.Tool)
				}
			}
		}
	}
	// An empty surface yields no steps.
	p, err = r.Plan(context.Background(), turn, route.Intent{}, nil)
	if err != nil || len(p.Steps) != 0 || p.Clarify == "" {
		t.Errorf("Plan over no tools = %+v, %v", p, err)
	}
	// A surface outside the turn's catalog is planned on its own.
	turn.Catalog = nil
	p, err = r.Plan(context.Background(), turn, route.Intent{}, surfaceFor(catalog, []string{"hosting"}))
	if err != nil || len(p.Steps) != 1 || p.Steps[0].Tool != "hosting.restart_server" {
		t.Errorf("Plan without catalog = %+v, %v", p, err)
	}
}

// The step shape the kernel relies on.
func TestPlanStepShape(t *testing.T) {
	catalog := loadCatalog(t)
	r := newTestRouter()
	o := run(t, r, catalog, "resize web-1 to xl")
	if len(o.plan.Steps) != 1 {
		t.Fatalf("steps: %+v", o.plan)
	}
	s := o.plan.Steps[0]
	if s.ID != "s1" || s.Tool != "hosting.resize_server" || s.DependsOn == nil || len(s.DependsOn) != 0 {
		t.Errorf("step = %+v", s)
	}
	if string(s.Args) != `{"server":"web-1","size":"xl"}` {
		t.Errorf("args = %s", s.Args)
	}
	b, _ := json.Marshal(s)
	if !strings.Contains(string(b), `"depends_on":[]`) {
		t.Errorf("step JSON = %s", b)
	}
	if o.plan.Confidence <= 0 || o.plan.Confidence > 1 || o.plan.Clarify != "" {
		t.Errorf("plan = %+v", o.plan)
	}
}

// A clarifying plan holds one step with the known arguments only; it always
// lacks a required argument, so it cannot pass validation by accident.
func TestPlanClarifies(t *testing.T) {
	catalog := loadCatalog(t)
	r := newTestRouter()
	cases := []struct {
		text, tool, question string
		args                 string
	}{
		{"restart the server", "hosting.restart_server", "Which server do you mean: web-1, web-2, db-1 or staging-1?", `{}`},
		{"restart the web server", "hosting.restart_server", "Which server do you mean: web-1 or web-2?", `{}`},
		{"make web-2 bigger", "hosting.resize_server", "Which size: s, m, l or xl?", `{"server":"web-2"}`},
		{"restore the orders database", "hosting.restore_database", "Which backup do you mean: orders-1 or orders-2?", `{"database":"orders"}`},
		{"send a message", "messaging.send_message", "Who do you mean: alice or carol?", `{}`},
		{"ping carol", "messaging.send_message", "What should the message text be?", `{"to":"carol"}`},
		{"close the task", "tasks.complete_task", "Which task do you mean: T-1, T-2, T-3 or T-4?", `{}`},
	}
	required := map[string][]string{}
	for _, s := range catalog {
		for _, p := range s.Params {
			if p.Required {
				required[string(s.ID)] = append(required[string(s.ID)], p.Name)
			}
		}
	}
	for _, c := range cases {
		o := run(t, r, catalog, c.text)
		if o.tool != c.tool || o.plan.Clarify != c.question || string(o.plan.Steps[0].Args) != c.args {
			t.Errorf("%q: tool %q args %s clarify %q; want %q %s %q", c.text, o.tool, argsOf(o), o.plan.Clarify, c.tool, c.args, c.question)
			continue
		}
		missing := false
		for _, name := range required[o.tool] {
			if _, ok := o.args[name]; !ok {
				missing = true
			}
		}
		if !missing {
			t.Errorf("%q: a clarifying step has every required argument: %s", c.text, o.plan.Steps[0].Args)
		}
	}
	// Re-planning with the answer appended completes the plan.
	o := run(t, r, catalog, "restart the server web-2")
	if o.tool != "hosting.restart_server" || o.args["server"] != "web-2" || o.plan.Clarify != "" {
		t.Errorf("answered: %+v", o)
	}
}

func argsOf(o outcome) string {
	if len(o.plan.Steps) == 0 {
		return "-"
	}
	return string(o.plan.Steps[0].Args)
}

// Resource names are matched case-insensitively and with light variation.
func TestResourceNameVariants(t *testing.T) {
	catalog := loadCatalog(t)
	r := newTestRouter()
	cases := []struct{ text, tool, param, want string }{
		{"restart web1", "hosting.restart_server", "server", "web-1"},
		{"restart web 1", "hosting.restart_server", "server", "web-1"},
		{"restart WEB-1", "hosting.restart_server", "server", "web-1"},
		{"restart Web-1.", "hosting.restart_server", "server", "web-1"},
		{"back up the orders db", "hosting.backup_database", "database", "orders"},
		{"renew the cert of BLOG.ACME.TEST", "hosting.renew_certificate", "domain", "blog.acme.test"},
		{"renew the blog cert", "hosting.renew_certificate", "domain", "blog.acme.test"},
		{"which sites run on staging", "hosting.list_sites", "server", "staging-1"},
		{"complete t-2", "tasks.complete_task", "task", "T-2"},
		{"delete the www record", "hosting.delete_dns_record", "zone", "acme.test"}, // the record's zone, by relation
		{"list records of acme test", "hosting.list_dns_records", "zone", "acme.test"},
	}
	for _, c := range cases {
		o := run(t, r, catalog, c.text)
		if o.tool != c.tool || o.args[c.param] != c.want {
			t.Errorf("%q: %s %s, want %s %s=%s", c.text, o.tool, argsOf(o), c.tool, c.param, c.want)
		}
	}
}

// A resource's kind decides between tools that share a verb.
func TestKindDisambiguates(t *testing.T) {
	catalog := loadCatalog(t)
	r := newTestRouter()
	for text, want := range map[string]string{
		"delete orders":                        "hosting.drop_database",
		"delete staging-1":                     "hosting.delete_server",
		"delete the www record from acme.test": "hosting.delete_dns_record",
		"remove analytics":                     "hosting.drop_database",
		"destroy web-2":                        "hosting.delete_server",
	} {
		if o := run(t, r, catalog, text); o.tool != want {
			t.Errorf("%q → %q, want %q", text, o.tool, want)
		}
	}
}

// Person parameters: members by name, "me"/"my" as the actor, "my manager"
// as the actor's manager; nobody outside the turn's members.
func TestPersonParams(t *testing.T) {
	catalog := loadCatalog(t)
	r := newTestRouter()
	cases := []struct{ text, param, want string }{
		{"show carol's tasks", "assignee", "carol"},
		{"list my tasks", "assignee", "bob"},
		{"message my manager that I am late", "to", "alice"},
		{"tell my boss the report is ready", "to", "alice"},
		{"send me a message saying stand up", "to", "bob"},
	}
	for _, c := range cases {
		o := run(t, r, catalog, c.text)
		if o.args[c.param] != c.want {
			t.Errorf("%q: %s=%v, want %s (%s)", c.text, c.param, o.args[c.param], c.want, argsOf(o))
		}
	}
	// An actor without a manager is asked whom they mean.
	turn := demoTurn(catalog, "message my manager that I am late")
	turn.Actor = session.Actor{ID: "alice", Tenant: "acme", Roles: []string{"admin"}}
	in, _ := r.Route(context.Background(), turn)
	p, _ := r.Plan(context.Background(), turn, in, surfaceFor(catalog, in.Domains))
	if p.Clarify != "Who do you mean: bob or carol?" {
		t.Errorf("no manager: %+v", p)
	}
	// A name that is not a member is not a person.
	o := run(t, r, catalog, "tell dave that the deploy is done")
	if _, ok := o.args["to"]; ok {
		t.Errorf("unknown person resolved: %s", argsOf(o))
	}
}

// Enum values: exact, everyday words, and no guess for a comparative.
func TestEnumValues(t *testing.T) {
	catalog := loadCatalog(t)
	r := newTestRouter()
	cases := []struct {
		text, param string
		want        any // nil = absent
	}{
		{"resize web-1 to extra large", "size", "xl"},
		{"resize web-1 to medium", "size", "m"},
		{"resize web-1 to XL", "size", "xl"},
		{"make web-1 bigger", "size", nil},
		{"which servers are running", "status", "running"},
		{"list the servers in us-east", "region", "us-east"},
		{"list the servers", "status", nil},
		{"which tasks are done", "status", "done"},
		{"certificates expiring within 2 weeks", "expiring_within_days", float64(14)},
		{"add a CNAME www2 to acme.test pointing at shop.acme.test", "type", "CNAME"},
		{"add a record api to acme.test pointing at 203.0.113.7", "type", nil}, // "a" is an article, not type A
	}
	for _, c := range cases {
		o := run(t, r, catalog, c.text)
		got, ok := o.args[c.param]
		if c.want == nil && ok || c.want != nil && got != c.want {
			t.Errorf("%q: %s=%v, want %v (%s %s)", c.text, c.param, got, c.want, o.tool, argsOf(o))
		}
	}
}

// Prose parameters and dates.
func TestProseAndDates(t *testing.T) {
	catalog := loadCatalog(t)
	r := newTestRouter()
	cases := []struct {
		text string
		want map[string]any
	}{
		{"tell alice that the backups finished", map[string]any{"to": "alice", "body": "the backups finished"}},
		{"remind me to review the backups", map[string]any{"title": "review the backups"}},
		{`add a todo "call the bank" due 2026-12-01`, map[string]any{"title": "call the bank", "due": "2026-12-01"}},
		{"remind me to call alice tomorrow", map[string]any{"title": "call alice", "due": "2026-05-15"}},
		{"create a task to renew the domain in 3 days", map[string]any{"title": "renew the domain", "due": "2026-05-17"}},
		{"new task: pay the invoice by june 3", map[string]any{"title": "pay the invoice", "due": "2026-06-03"}},
		{"remind me to restart web-1", map[string]any{"title": "restart web-1"}},
		{"message carol: the meeting moved to 3pm", map[string]any{"to": "carol", "body": "the meeting moved to 3pm"}},
	}
	for _, c := range cases {
		o := run(t, r, catalog, c.text)
		for k, v := range c.want {
			if o.args[k] != v {
				t.Errorf("%q: %s=%v, want %v (%s %s)", c.text, k, o.args[k], v, o.tool, argsOf(o))
			}
		}
	}
}

// Nothing about the demo world is built in: another tenant's names work
// the same way, and the demo's names mean nothing there.
func TestNoBuiltInNames(t *testing.T) {
	catalog := loadCatalog(t)
	r := newTestRouter()
	turn := func(text string) route.Turn {
		return route.Turn{
			Text:  text,
			Actor: session.Actor{ID: "zoe", Tenant: "globex", Roles: []string{"admin"}, Manager: "yann"},
			Resources: []route.Resource{
				res("hosting", "server", "alpha-7", nil),
				res("hosting", "server", "beta-3", nil),
				res("hosting", "database", "ledger", nil, rel("runs_on", "server", "beta-3")),
				res("hosting", "zone", "globex.example", nil),
			},
			Members: []sdk.Member{{ID: "zoe"}, {ID: "yann"}, {ID: "xavier", Manager: "yann"}},
			Catalog: catalog,
		}
	}
	cases := []struct{ text, tool, args string }{
		{"restart alpha-7", "hosting.restart_server", `{"server":"alpha-7"}`},
		{"drop ledger", "hosting.drop_database", `{"database":"ledger"}`},
		{"list dns records for globex.example", "hosting.list_dns_records", `{"zone":"globex.example"}`},
		{"tell my manager the build is green", "messaging.send_message", `{"body":"the build is green","to":"yann"}`},
		{"restart web-1", "hosting.restart_server", `{}`}, // not this tenant's server: ask
	}
	for _, c := range cases {
		tn := turn(c.text)
		in, err := r.Route(context.Background(), tn)
		if err != nil {
			t.Fatal(err)
		}
		p, err := r.Plan(context.Background(), tn, in, surfaceFor(catalog, in.Domains))
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Steps) != 1 || string(p.Steps[0].Tool) != c.tool || string(p.Steps[0].Args) != c.args {
			t.Errorf("%q: %+v, want %s %s", c.text, p, c.tool, c.args)
		}
	}
}

// MinConfidence is honoured.
func TestMinConfidenceOption(t *testing.T) {
	catalog := loadCatalog(t)
	strict := New(Options{MinConfidence: 0.999})
	in, err := strict.Route(context.Background(), demoTurn(catalog, "tell me about web-1"))
	if err != nil || in.Kind != session.IntentNone || in.Clarify == "" {
		t.Errorf("strict router: %+v %v", in, err)
	}
	loose := New(Options{MinConfidence: 0.01})
	in, _ = loose.Route(context.Background(), demoTurn(catalog, "tell me something interesting"))
	if in.Kind == session.IntentNone {
		t.Errorf("loose router refused: %+v", in)
	}
}

func TestCancelledContext(t *testing.T) {
	catalog := loadCatalog(t)
	r := newTestRouter()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.Route(ctx, demoTurn(catalog, "list my servers")); !errors.Is(err, context.Canceled) {
		t.Errorf("Route: %v", err)
	}
	if _, err := r.Plan(ctx, demoTurn(catalog, "list my servers"), route.Intent{}, catalog); !errors.Is(err, context.Canceled) {
		t.Errorf("Plan: %v", err)
	}
}

// Same input, same output; many goroutines at once (run with -race).
func TestDeterministicAndConcurrent(t *testing.T) {
	catalog := loadCatalog(t)
	r := newTestRouter()
	cases := append(devCases(t), heldOut...)
	want := make([]string, len(cases))
	render := func(text string) string {
		o := run(t, r, catalog, text)
		return fmt.Sprintf("%s|%v|%.3f|%s|%s|%s", o.intent.Kind, o.intent.Domains, o.intent.Confidence, o.tool, argsOf(o), o.plan.Clarify)
	}
	for i, c := range cases {
		want[i] = render(c.text)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8*len(cases))
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for k := range cases {
				i := (k + g*7) % len(cases)
				if got := render(cases[i].text); got != want[i] {
					errs <- fmt.Sprintf("%q: %s != %s", cases[i].text, got, want[i])
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// The tokenizer keeps names whole and drops clitics.
func TestTokenize(t *testing.T) {
	cases := map[string]string{
		"restart web-1, please!":         "restart web-1 , please !",
		"renew blog.acme.test's cert":    "renew blog.acme.test cert",
		"what's on db-1?":                "what on db-1 ?",
		"don't stop 10.0.0.1":            "do not stop 10.0.0.1",
		`add a todo "call the bank"`:     `add a todo " call the bank "`,
		"put 'update the runbook' there": "put ' update the runbook ' there",
		"delete the @ record":            "delete the @ record",
		"due 2026-07-01 at 10:30":        "due 2026-07-01 at 10:30",
	}
	for in, want := range cases {
		var got []string
		for _, tk := range tokenize(in) {
			got = append(got, tk.raw)
		}
		if strings.Join(got, " ") != want {
			t.Errorf("tokenize(%q) = %q, want %q", in, strings.Join(got, " "), want)
		}
	}
}

func TestStem(t *testing.T) {
	groups := [][]string{
		{"server", "servers"},
		{"expire", "expires", "expiring", "expired"},
		{"stop", "stopped", "stopping", "stops"},
		{"database", "databases"},
		{"utilisation", "utilization"},
		{"entry", "entries"},
	}
	for _, g := range groups {
		for _, w := range g[1:] {
			if stem(w) != stem(g[0]) {
				t.Errorf("stem(%q) = %q, stem(%q) = %q", w, stem(w), g[0], stem(g[0]))
			}
		}
	}
	if stem("news") == stem("new") {
		t.Error("news and new must differ")
	}
}
