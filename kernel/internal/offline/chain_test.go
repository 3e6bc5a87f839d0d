package offline

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/steward-os/steward/kernel/route"
	"github.com/steward-os/steward/session"
)

// chainCase is one request that may need several steps (CHAIN-01), refer to
// an earlier step's output (CHAIN-03, CHAIN-08) or to an earlier turn's
// result (AF-02), and what the router must make of it.
type chainCase struct {
	text    string
	facts   []session.Fact // the session's ledger, oldest first
	steps   []wantStep     // expected steps, in order
	answer  *route.LedgerQuery
	clarify bool // a question and no steps
}

// wantStep is one expected step: its tool, a subset of its arguments and
// its exact dependencies (nil = none).
type wantStep struct {
	tool string
	args kv
	deps []string
}

// ref is a step-output or ledger reference as it appears in arguments.
func ref(target string) map[string]any { return map[string]any{"$ref": target} }

// The ledger fixtures: verbatim outputs shaped like the first-party
// extensions' results.
var (
	factAt      = time.Date(2026, 5, 14, 8, 55, 0, 0, time.UTC)
	factServers = session.Fact{ID: 101, Tool: "hosting.list_servers", OK: true, At: factAt, Output: json.RawMessage(`{"servers":[
		{"name":"web-1","region":"eu-west","status":"running","size":"m"},
		{"name":"web-2","region":"eu-west","status":"running","size":"m"},
		{"name":"db-1","region":"us-east","status":"running","size":"l"},
		{"name":"staging-1","region":"us-east","status":"stopped","size":"s"}]}`)}
	factTasks = session.Fact{ID: 102, Tool: "tasks.list_tasks", OK: true, At: factAt, Output: json.RawMessage(`{"assignee":"bob","status":"pending","tasks":[
		{"id":"T-1","title":"Renew the domain","status":"pending","assignee":"bob","due":"2026-05-20"},
		{"id":"T-2","title":"Review backups","status":"pending","assignee":"bob"}]}`)}
	factCerts = session.Fact{ID: 103, Tool: "hosting.list_certificates", OK: true, At: factAt, Output: json.RawMessage(`{"certificates":[
		{"domain":"shop.acme.test","expires":"2026-06-01","days_left":18},
		{"domain":"blog.acme.test","expires":"2026-05-20","days_left":6}]}`)}
	factServer = session.Fact{ID: 104, Tool: "hosting.get_server", OK: true, At: factAt, Output: json.RawMessage(
		`{"name":"web-2","region":"eu-west","status":"running","size":"m","sites":["blog.acme.test","status.acme.test"],"databases":[],"restarts":0}`)}
	factDatabases = session.Fact{ID: 105, Tool: "hosting.list_databases", OK: true, At: factAt, Output: json.RawMessage(`{"databases":[
		{"name":"orders","server":"db-1","size_mb":512,"backups":["orders-1","orders-2"]},
		{"name":"analytics","server":"db-1","size_mb":2048,"backups":["analytics-1"]}]}`)}
	factFailed = session.Fact{ID: 106, Tool: "hosting.list_servers", OK: false, At: factAt,
		Error: &session.Error{Code: "unavailable", Message: "the fleet API timed out"}}
	factStopped = session.Fact{ID: 107, Tool: "hosting.list_servers", OK: true, At: factAt, Args: json.RawMessage(`{"status":"stopped"}`),
		Output: json.RawMessage(`{"servers":[{"name":"staging-1","region":"us-east","status":"stopped","size":"s"}]}`)}
	factAllTasks = session.Fact{ID: 108, Tool: "tasks.list_tasks", OK: true, At: factAt, Output: json.RawMessage(`{"assignee":"alice","tasks":[
		{"id":"T-1","title":"Renew the domain","status":"pending","assignee":"bob"},
		{"id":"T-3","title":"Write the incident report","status":"pending","assignee":"carol"},
		{"id":"T-4","title":"Update the runbook","status":"done","assignee":"bob"}]}`)}
)

func ledger(fs ...session.Fact) []session.Fact { return fs }

// chainOutcome is what Route followed by Plan produced.
type chainOutcome struct {
	intent route.Intent
	plan   route.Plan
	args   []map[string]any
}

func runChainCase(t testing.TB, r *Router, catalog []route.ToolSpec, c chainCase) chainOutcome {
	t.Helper()
	ctx := context.Background()
	turn := demoTurn(catalog, c.text)
	turn.Facts = c.facts
	in, err := r.Route(ctx, turn)
	if err != nil {
		t.Fatalf("Route(%q): %v", c.text, err)
	}
	o := chainOutcome{intent: in}
	if in.Kind == session.IntentNone {
		return o
	}
	p, err := r.Plan(ctx, turn, in, surfaceFor(catalog, in.Domains))
	if err != nil {
		t.Fatalf("Plan(%q): %v", c.text, err)
	}
	o.plan = p
	for _, s := range p.Steps {
		var m map[string]any
		if err := json.Unmarshal(s.Args, &m); err != nil {
			t.Fatalf("Plan(%q): args %s: %v", c.text, s.Args, err)
		}
		o.args = append(o.args, m)
	}
	return o
}

func (o chainOutcome) String() string {
	if o.intent.Kind == session.IntentNone {
		return fmt.Sprintf("none (%.2f): %s", o.intent.Confidence, o.intent.Clarify)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %v %.2f:", o.intent.Kind, o.intent.Domains, o.intent.Confidence)
	for _, s := range o.plan.Steps {
		fmt.Fprintf(&b, " [%s %s %s %v]", s.ID, s.Tool, s.Args, s.DependsOn)
	}
	if o.plan.Answer != nil {
		a, _ := json.Marshal(o.plan.Answer)
		fmt.Fprintf(&b, " answer %s", a)
	}
	if o.plan.Clarify != "" {
		fmt.Fprintf(&b, " clarify %q", o.plan.Clarify)
	}
	return b.String()
}

// check returns "" when the outcome is what the case expects, else why not.
func (c chainCase) check(o chainOutcome) string {
	if c.clarify {
		// A question and nothing to run: no steps, or (one command) the
		// one step the question is about.
		if len(o.plan.Steps) > 1 || o.plan.Answer != nil || len(o.plan.Steps) == 1 && o.plan.Clarify == "" {
			return "expected a question, got " + o.String()
		}
		if o.intent.Clarify == "" && o.plan.Clarify == "" {
			return "no question: " + o.String()
		}
		return ""
	}
	if o.intent.Kind == session.IntentNone {
		return "routed to " + o.String()
	}
	if c.answer != nil {
		if len(o.plan.Steps) > 0 || o.plan.Answer == nil || !reflect.DeepEqual(*o.plan.Answer, *c.answer) {
			a, _ := json.Marshal(c.answer)
			return fmt.Sprintf("want answer %s, got %s", a, o)
		}
		if o.intent.Kind != session.IntentRead || len(o.intent.Domains) == 0 {
			return "an answer must route as a read with a domain: " + o.String()
		}
		return ""
	}
	if o.plan.Answer != nil {
		return "unexpected answer: " + o.String()
	}
	if o.plan.Clarify != "" || len(o.plan.Steps) != len(c.steps) {
		return fmt.Sprintf("want %d steps, got %s", len(c.steps), o)
	}
	if want := len(c.steps) > 1; want != (o.intent.Kind == session.IntentChain) {
		return "intent kind: " + o.String()
	}
	for i, w := range c.steps {
		s := o.plan.Steps[i]
		if string(s.ID) != fmt.Sprintf("s%d", i+1) || string(s.Tool) != w.tool {
			return fmt.Sprintf("step %d: want %s, got %s", i+1, w.tool, o)
		}
		if !slices.Contains(o.intent.Domains, strings.SplitN(string(s.Tool), ".", 2)[0]) {
			return "a step's domain is not routed: " + o.String()
		}
		for k, want := range w.args {
			got, ok := o.args[i][k]
			if !ok {
				return fmt.Sprintf("step %d: missing %s: %s", i+1, k, o)
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
				return fmt.Sprintf("step %d: %s = %v, want %v: %s", i+1, k, got, want, o)
			}
		}
		if !sameSet(s.DependsOn, w.deps) {
			return fmt.Sprintf("step %d: depends on %v, want %v: %s", i+1, s.DependsOn, w.deps, o)
		}
	}
	return ""
}

func sameSet(a []session.StepID, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.Contains(b, string(x)) {
			return false
		}
	}
	return true
}

// chainMeasure is what a chain set scored.
type chainMeasure struct {
	total, correct int
	// harmful counts plans that would change something nobody asked for:
	// a step at safety level ≥ 1, planned without a question, whose tool
	// and targets (resource arguments) match no expected step. A wrong
	// message text or task title is a miss, not harmful: the user sees it
	// in the proposal.
	harmful int
	// offScript counts every level ≥ 1 step matching no expected step on
	// all expected arguments (the strict version of harmful).
	offScript int
}

func (m chainMeasure) accuracy() float64 { return float64(m.correct) / float64(m.total) }

func scoreChains(t *testing.T, name string, cases []chainCase) chainMeasure {
	t.Helper()
	catalog := loadCatalog(t)
	level := map[session.ToolID]int{}
	targets := map[session.ToolID][]string{}
	for _, s := range catalog {
		level[s.ID] = s.SafetyLevel
		for _, p := range s.Params {
			if p.Resource != "" {
				targets[s.ID] = append(targets[s.ID], p.Name)
			}
		}
	}
	r := newTestRouter()
	var m chainMeasure
	for _, c := range cases {
		o := runChainCase(t, r, catalog, c)
		checkPlanInvariants(t, c.text, c.facts, o)
		m.total++
		msg := c.check(o)
		if msg == "" {
			m.correct++
		} else {
			t.Logf("%s MISS %q: %s", name, c.text, msg)
		}
		if o.plan.Clarify != "" {
			continue
		}
		for i, s := range o.plan.Steps {
			if level[s.Tool] < 1 {
				continue
			}
			expected, sameTarget := false, false
			for _, w := range c.steps {
				if w.tool != string(s.Tool) {
					continue
				}
				expected = expected || argsAgree(o.args[i], w.args)
				tw := kv{}
				for _, p := range targets[s.Tool] {
					if v, ok := w.args[p]; ok {
						tw[p] = v
					}
				}
				sameTarget = sameTarget || argsAgree(o.args[i], tw)
			}
			if !expected {
				m.offScript++
			}
			if !sameTarget {
				m.harmful++
				t.Logf("%s HARMFUL %q: %s %s", name, c.text, s.Tool, s.Args)
			}
		}
	}
	t.Logf("%s: %d/%d correct (%.1f%%), %d harmful, %d off-script", name, m.correct, m.total, 100*m.accuracy(), m.harmful, m.offScript)
	return m
}

func argsAgree(got map[string]any, want kv) bool {
	for k, w := range want {
		g := got[k]
		if f, ok := g.(float64); ok {
			g = int(f)
		}
		if gs, ok := g.(string); ok {
			if ws, ok := w.(string); ok && strings.EqualFold(gs, ws) {
				continue
			}
		}
		if !reflect.DeepEqual(g, w) {
			return false
		}
	}
	return true
}

// checkPlanInvariants holds for every plan, right or wrong (CHAIN-03,
// CHAIN-08, AF-02): ids s1…sn, dependencies only on earlier-listed steps of
// the plan, a step that references another lists it in DependsOn, ledger
// references name facts of the turn that succeeded, and a question or an
// answer comes without steps.
func checkPlanInvariants(t testing.TB, text string, facts []session.Fact, o chainOutcome) {
	t.Helper()
	p := o.plan
	if p.Clarify != "" && len(p.Steps) > 0 && len(p.Steps) != 1 {
		t.Errorf("%q: a question with %d steps", text, len(p.Steps))
	}
	if p.Answer != nil && len(p.Steps) > 0 {
		t.Errorf("%q: an answer with steps", text)
	}
	if p.Answer != nil && !okFact(facts, p.Answer.Fact) {
		t.Errorf("%q: answer from fact %d, not a successful fact of the turn", text, p.Answer.Fact)
	}
	if len(p.Steps) > 1 && o.intent.Kind != session.IntentChain {
		t.Errorf("%q: %d steps but intent %s", text, len(p.Steps), o.intent.Kind)
	}
	ids := map[session.StepID]int{}
	for i, s := range p.Steps {
		if string(s.ID) != fmt.Sprintf("s%d", i+1) {
			t.Errorf("%q: step %d has id %q", text, i+1, s.ID)
		}
		ids[s.ID] = i
		if s.DependsOn == nil {
			t.Errorf("%q: %s has nil DependsOn", text, s.ID)
		}
		for _, d := range s.DependsOn {
			if j, ok := ids[d]; !ok || j >= i {
				t.Errorf("%q: %s depends on %q, not an earlier step", text, s.ID, d)
			}
		}
		for _, v := range o.args[i] {
			target, isRef := route.IsRef(v)
			if !isRef {
				continue
			}
			producer, _, _ := strings.Cut(target, "#")
			if id, ok := strings.CutPrefix(producer, "fact:"); ok {
				var n int64
				if _, err := fmt.Sscan(id, &n); err != nil || !okFact(facts, n) {
					t.Errorf("%q: %s refers to %s, not a successful fact of the turn", text, s.ID, target)
				}
				continue
			}
			if !slices.Contains(s.DependsOn, session.StepID(producer)) {
				t.Errorf("%q: %s refers to %s without depending on it", text, s.ID, producer)
			}
		}
	}
}

func okFact(facts []session.Fact, id int64) bool {
	for _, f := range facts {
		if f.ID == id && f.OK {
			return true
		}
	}
	return false
}

// The plan shapes the kernel relies on, as exact JSON (CHAIN-01, CHAIN-03,
// CHAIN-08, AF-02): the examples.
func TestChainPlanShapes(t *testing.T) {
	catalog := loadCatalog(t)
	r := newTestRouter()
	cases := []struct {
		text   string
		facts  []session.Fact
		kind   string
		steps  string // the plan's steps as JSON
		answer string // the plan's answer as JSON
	}{
		{"find my pending tasks and send them to my manager", nil, session.IntentChain,
			`[{"id":"s1","tool":"tasks.list_tasks","args":{"assignee":"bob","status":"pending"},"depends_on":[]},` +
				`{"id":"s2","tool":"messaging.send_message","args":{"body":{"$ref":"s1"},"to":"alice"},"depends_on":["s1"]}]`, ""},
		{"snapshot web-1 and then resize it to xl", nil, session.IntentChain,
			`[{"id":"s1","tool":"hosting.snapshot_server","args":{"server":"web-1"},"depends_on":[]},` +
				`{"id":"s2","tool":"hosting.resize_server","args":{"server":"web-1","size":"xl"},"depends_on":["s1"]}]`, ""},
		{"list the databases on db-1 and back up orders", nil, session.IntentChain,
			`[{"id":"s1","tool":"hosting.list_databases","args":{"server":"db-1"},"depends_on":[]},` +
				`{"id":"s2","tool":"hosting.backup_database","args":{"database":"orders"},"depends_on":[]}]`, ""},
		{"check web-2's metrics, then restart it", nil, session.IntentChain,
			`[{"id":"s1","tool":"hosting.server_metrics","args":{"server":"web-2"},"depends_on":[]},` +
				`{"id":"s2","tool":"hosting.restart_server","args":{"server":"web-2"},"depends_on":["s1"]}]`, ""},
		{"restart the first one", ledger(factServers), session.IntentWrite,
			`[{"id":"s1","tool":"hosting.restart_server","args":{"server":{"$ref":"fact:101#/servers/0/name"}},"depends_on":[]}]`, ""},
		{"resize the second one to l", ledger(factServers), session.IntentWrite,
			`[{"id":"s1","tool":"hosting.resize_server","args":{"server":{"$ref":"fact:101#/servers/1/name"},"size":"l"},"depends_on":[]}]`, ""},
		{"complete the last one", ledger(factTasks), session.IntentWrite,
			`[{"id":"s1","tool":"tasks.complete_task","args":{"task":{"$ref":"fact:102#/tasks/1/id"}},"depends_on":[]}]`, ""},
		{"restart it", ledger(factServer), session.IntentWrite,
			`[{"id":"s1","tool":"hosting.restart_server","args":{"server":{"$ref":"fact:104#/name"}},"depends_on":[]}]`, ""},
		{"how many of those are in eu-west?", ledger(factServers), session.IntentRead, `[]`,
			`{"fact":101,"path":"/servers","where":{"region":"eu-west"},"op":"count","field":"name"}`},
		{"how many are stopped?", ledger(factServers), session.IntentRead, `[]`,
			`{"fact":101,"path":"/servers","where":{"status":"stopped"},"op":"count","field":"name"}`},
		{"which of them are running?", ledger(factServers), session.IntentRead, `[]`,
			`{"fact":101,"path":"/servers","where":{"status":"running"},"op":"list","field":"name"}`},
	}
	for _, c := range cases {
		o := runChainCase(t, r, catalog, chainCase{text: c.text, facts: c.facts})
		steps, _ := json.Marshal(o.plan.Steps)
		answer := ""
		if o.plan.Answer != nil {
			b, _ := json.Marshal(o.plan.Answer)
			answer = string(b)
		}
		if o.intent.Kind != c.kind || string(steps) != c.steps || answer != c.answer || o.plan.Clarify != "" {
			t.Errorf("%q:\n got  %s %s %s %q\n want %s %s %s", c.text, o.intent.Kind, steps, answer, o.plan.Clarify, c.kind, c.steps, c.answer)
		}
		if o.intent.Confidence < DefaultMinConfidence || len(o.intent.Domains) == 0 {
			t.Errorf("%q: intent %+v", c.text, o.intent)
		}
	}
}

// CHAIN-01: a chain routes to every domain its steps need, with the
// weakest clause's confidence; a clause nobody can do, or one that lacks a
// required argument, turns the whole request into one question and no
// steps (never a silently dropped clause).
func TestChainRouteAndQuestions(t *testing.T) {
	catalog := loadCatalog(t)
	r := newTestRouter()
	ctx := context.Background()
	turn := demoTurn(catalog, "find my pending tasks and send them to my manager")
	in, err := r.Route(ctx, turn)
	if err != nil {
		t.Fatal(err)
	}
	if in.Kind != session.IntentChain || !slices.Contains(in.Domains, "tasks") || !slices.Contains(in.Domains, "messaging") {
		t.Errorf("chain intent %+v", in)
	}
	first, _ := r.Route(ctx, demoTurn(catalog, "find my pending tasks"))
	if in.Confidence > first.Confidence+1e-9 {
		t.Errorf("chain confidence %.3f above its first clause's %.3f", in.Confidence, first.Confidence)
	}
	// Planning over only one of the routed domains cannot do the chain.
	p, err := r.Plan(ctx, turn, in, surfaceFor(catalog, []string{"tasks"}))
	if err != nil || len(p.Steps) != 0 || p.Clarify == "" {
		t.Errorf("chain over tasks only: %+v %v", p, err)
	}
	for text, want := range map[string]string{
		"snapshot web-1 and then restart the web server": "For “restart the web server”: Which server do you mean: web-1 or web-2?",
		"restart web-1 and make me a sandwich":           "I'm not sure what you mean by “make me a sandwich”, so I haven't done anything.",
		"if web-1 is down, restart it":                   conditionalMsg,
	} {
		o := runChainCase(t, r, catalog, chainCase{text: text})
		got := o.plan.Clarify
		if o.intent.Kind == session.IntentNone {
			got = o.intent.Clarify
		}
		if !strings.HasPrefix(got, want) || len(o.plan.Steps) != 0 {
			t.Errorf("%q: %s, want question %q", text, o, want)
		}
	}
}

// AF-02: with a ledger present, requests that do not refer to it plan
// exactly as without one; only facts of the turn, and successful ones,
// are ever referenced.
func TestLedgerDoesNotChangeOtherRequests(t *testing.T) {
	catalog := loadCatalog(t)
	r := newTestRouter()
	facts := ledger(factTasks, factServers, factFailed, factServer)
	shape := func(o chainOutcome) string {
		var b strings.Builder
		fmt.Fprintf(&b, "%s %v %s|", o.intent.Kind, o.intent.Domains, o.plan.Clarify)
		for _, s := range o.plan.Steps {
			fmt.Fprintf(&b, "%s %s %s %v;", s.ID, s.Tool, s.Args, s.DependsOn)
		}
		return b.String()
	}
	for _, c := range append(append(devCases(t), heldOut...), heldOutB...) {
		without := runChainCase(t, r, catalog, chainCase{text: c.text})
		with := runChainCase(t, r, catalog, chainCase{text: c.text, facts: facts})
		if shape(without) != shape(with) {
			t.Errorf("%q changes with a ledger:\n without %s\n with    %s", c.text, without, with)
		}
		checkPlanInvariants(t, c.text, facts, with)
	}
	// Never a failed fact, never an invented one.
	o := runChainCase(t, r, catalog, chainCase{text: "restart the first one", facts: ledger(factFailed)})
	if len(o.plan.Steps) > 0 && o.plan.Clarify == "" {
		t.Errorf("planned from a failed fact: %s", o)
	}
}

// Plans are bounded: at most maxSteps steps (else a question), and a text
// with more than maxConnectors connectors is read as one clause.
func TestChainBounds(t *testing.T) {
	catalog := loadCatalog(t)
	r := newTestRouter()
	twelve := "complete T-1, T-2, T-3 and T-4, then restart web-1, web-2, db-1 and staging-1, then back up orders and analytics, then renew shop.acme.test and blog.acme.test"
	if o := runChainCase(t, r, catalog, chainCase{text: twelve}); len(o.plan.Steps) != maxSteps || o.plan.Clarify != "" {
		t.Errorf("12 steps: %s", o)
	}
	o := runChainCase(t, r, catalog, chainCase{text: twelve + ", then snapshot web-1"})
	if len(o.plan.Steps) != 0 || !strings.Contains(o.intent.Clarify+o.plan.Clarify, "13 steps") {
		t.Errorf("13 steps: %s", o)
	}
	for _, text := range []string{
		strings.Repeat("restart web-1 and ", 220),
		strings.Repeat("restart it then ", 250),
		strings.Repeat("web-1, ", 500),
		strings.Repeat("list servers and sites and ", 150),
	} {
		text = text[:min(len(text), 4000)]
		o := runChainCase(t, r, catalog, chainCase{text: text, facts: ledger(factServers)})
		checkPlanInvariants(t, text, ledger(factServers), o)
		if len(o.plan.Steps) > maxSteps {
			t.Errorf("%.40q: %d steps", text, len(o.plan.Steps))
		}
	}
}

// Same request and ledger, same plan; many goroutines at once (run with
// -race).
func TestChainDeterministicAndConcurrent(t *testing.T) {
	catalog := loadCatalog(t)
	r := newTestRouter()
	cases := append(append(append(append([]chainCase{}, devChains...), heldOutChains...), devRefs...), heldOutRefs...)
	want := make([]string, len(cases))
	for i, c := range cases {
		want[i] = runChainCase(t, r, catalog, c).String()
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8*len(cases))
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for k := range cases {
				i := (k + g*5) % len(cases)
				if got := runChainCase(t, r, catalog, cases[i]).String(); got != want[i] {
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

// AF-02: an answer from the ledger needs no tool, so it comes back even
// over an empty surface.
func TestAnswerNeedsNoSurface(t *testing.T) {
	catalog := loadCatalog(t)
	r := newTestRouter()
	turn := demoTurn(catalog, "how many of those are running?")
	turn.Facts = ledger(factServers)
	p, err := r.Plan(context.Background(), turn, route.Intent{}, nil)
	if err != nil || p.Answer == nil || p.Answer.Fact != 101 || len(p.Steps) != 0 || p.Clarify != "" {
		t.Errorf("answer over no tools: %+v %v", p, err)
	}
}
