// Package kerneltest builds a real kernel over a temporary SQLite store, the
// demo extensions and world, and a scripted router, for tests in any
// package. It is test support only: production code never imports it.
//
// The scripted router understands requests of the form
//
//	[route:EXT[,EXT]] TOOL_ID {json args}
//	plan: [{"id":"s1","tool":…,"args":…,"depends_on":[…]}, …]
//	answer: {"fact":…,"path":…,"op":…}
//
// routes to the named extensions (default: the tools' own), and plans
// exactly those steps (or that ledger answer). Anything else classifies as
// "none". It records the
// turns and surfaces it saw so tests can check what reached it.
package kerneltest

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/steward-os/steward/configs"
	"github.com/steward-os/steward/extensions/demo"
	"github.com/steward-os/steward/internal/strict"
	"github.com/steward-os/steward/kernel"
	"github.com/steward-os/steward/kernel/internal/redact"
	"github.com/steward-os/steward/kernel/route"
	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
	"github.com/steward-os/steward/session/store/sqlite"
)

// Clock is a settable clock.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock starts at a fixed instant.
func NewClock() *Clock { return &Clock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)} }

// Now returns the current fake time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Script is the scripted router and planner.
type Script struct {
	mu       sync.Mutex
	Turns    []route.Turn
	Surfaces [][]route.ToolSpec
	Plans    int
	// Override, when set, replaces the planned step's tool (to test
	// ROUTE-03) or args on re-plans.
	Override func(attempt int, s route.Step) route.Step
}

func parse(text string) (domains []string, tool string, args json.RawMessage, ok bool) {
	text = strings.TrimSpace(text)
	if rest, found := strings.CutPrefix(text, "route:"); found {
		d, r, _ := strings.Cut(rest, " ")
		domains = strings.Split(d, ",")
		text = strings.TrimSpace(r)
	}
	tool, a, _ := strings.Cut(text, " ")
	if !strings.Contains(tool, ".") {
		return nil, "", nil, false
	}
	a = strings.TrimSpace(a)
	if a == "" {
		a = "{}"
	}
	if domains == nil {
		domains = []string{strings.SplitN(tool, ".", 2)[0]}
	}
	return domains, tool, json.RawMessage(a), true
}

func parsePlan(text string) ([]route.Step, *route.LedgerQuery, []string, bool) {
	if rest, ok := strings.CutPrefix(text, "plan:"); ok {
		var steps []route.Step
		if err := json.Unmarshal([]byte(rest), &steps); err != nil {
			return nil, nil, nil, false
		}
		var domains []string
		for _, st := range steps {
			d := strings.SplitN(string(st.Tool), ".", 2)[0]
			if !slices.Contains(domains, d) {
				domains = append(domains, d)
			}
		}
		return steps, nil, domains, true
	}
	if rest, ok := strings.CutPrefix(text, "answer:"); ok {
		var q route.LedgerQuery
		if err := json.Unmarshal([]byte(rest), &q); err != nil {
			return nil, nil, nil, false
		}
		return nil, &q, []string{"hosting"}, true
	}
	return nil, nil, nil, false
}

// Route implements route.Router.
func (s *Script) Route(_ context.Context, t route.Turn) (route.Intent, error) {
	s.mu.Lock()
	s.Turns = append(s.Turns, t)
	s.mu.Unlock()
	if _, _, d, ok := parsePlan(t.Text); ok {
		return route.Intent{Kind: session.IntentChain, Confidence: 0.9, Domains: d}, nil
	}
	d, _, _, ok := parse(t.Text)
	if !ok {
		return route.Intent{Kind: session.IntentNone, Confidence: 0.05, Clarify: "I can't help with that."}, nil
	}
	return route.Intent{Kind: session.IntentRead, Confidence: 0.9, Domains: d}, nil
}

// Plan implements route.Planner.
func (s *Script) Plan(_ context.Context, t route.Turn, _ route.Intent, surface []route.ToolSpec) (route.Plan, error) {
	s.mu.Lock()
	s.Surfaces = append(s.Surfaces, surface)
	s.Plans++
	attempt := s.Plans
	ov := s.Override
	s.mu.Unlock()
	if steps, q, _, ok := parsePlan(t.Text); ok {
		return route.Plan{Steps: steps, Answer: q, Confidence: 0.9}, nil
	}
	_, tool, args, _ := parse(t.Text)
	st := route.Step{ID: "s1", Tool: session.ToolID(tool), Args: args, DependsOn: []session.StepID{}}
	if ov != nil {
		st = ov(attempt, st)
	}
	return route.Plan{Steps: []route.Step{st}, Confidence: 0.9}, nil
}

// Env is a running test kernel.
type Env struct {
	K      *kernel.Kernel
	Store  *sqlite.Store
	Dir    *session.StaticDirectory
	Clock  *Clock
	Script *Script
	Data   string
}

// Options adjust the environment.
type Options struct {
	Config   kernel.Config
	Router   route.Router  // default: the Script (none with Config.Models.Router "openai": the model path)
	Planner  route.Planner // default: the Script (likewise)
	Secrets  []string
	NoSeed   bool
	NoExtend bool // load no extensions
	// Telemetry, when set, receives the kernel's metrics and traces.
	Telemetry *kernel.Telemetry
}

// Actors of the demo world.
var (
	Alice = session.Actor{ID: "alice", Tenant: "acme", Roles: []string{"admin"}}
	Bob   = session.Actor{ID: "bob", Tenant: "acme", Roles: []string{"operator"}, Manager: "alice"}
	Carol = session.Actor{ID: "carol", Tenant: "acme", Roles: []string{"viewer"}, Manager: "alice"}
	Dave  = session.Actor{ID: "dave", Tenant: "globex", Roles: []string{"admin"}}
	// Erin is acme's second admin: the other pair of eyes of its approval
	// policy (docs/approvals.md).
	Erin = session.Actor{ID: "erin", Tenant: "acme", Roles: []string{"admin"}}
)

// New builds the environment; it is closed when the test ends.
func New(t testing.TB, o Options) *Env {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, dir, nil)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	d := session.NewStaticDirectory()
	for _, a := range []session.Actor{Alice, Bob, Carol, Dave, Erin} {
		d.Add(a, "demo-"+string(a.ID))
	}
	clock := NewClock()
	sc := &Script{}
	var rt route.Router = sc
	var pl route.Planner = sc
	if o.Router != nil {
		rt = o.Router
	}
	if o.Planner != nil {
		pl = o.Planner
	}
	if o.Config.Models.Router == kernel.RouterOpenAI && o.Router == nil {
		rt, pl = nil, nil // the kernel builds the model path from the configuration
	}
	if o.Config.TurnsPerMinute == 0 {
		o.Config.TurnsPerMinute = 1 << 30 // the fake clock never refills a quota
	}
	k, err := kernel.New(o.Config, kernel.Deps{Store: st, Directory: d, Router: rt, Planner: pl, Clock: clock.Now, Masker: redact.New(o.Secrets...), Telemetry: o.Telemetry})
	if err != nil {
		t.Fatalf("kernel: %v", err)
	}
	e := &Env{K: k, Store: st, Dir: d, Clock: clock, Script: sc, Data: dir}
	if o.NoExtend {
		return e
	}
	for _, x := range demo.Extensions(demo.WithClock(clock.Now)) {
		if _, err := k.Load(ctx, x); err != nil {
			t.Fatalf("load extension: %v", err)
		}
	}
	if !o.NoSeed {
		for tn, parts := range World(t) {
			if err := k.Seed(ctx, tn, parts); err != nil {
				t.Fatalf("seed: %v", err)
			}
		}
	}
	return e
}

// World is the demo world: each tenant's sections, by extension id, as
// Kernel.Seed takes them.
func World(t testing.TB) map[session.TenantID]map[string]json.RawMessage {
	t.Helper()
	var world struct {
		Tenants map[string]map[string]any `json:"tenants"`
	}
	if err := strict.Decode(configs.World, &world); err != nil {
		t.Fatalf("world: %v", err)
	}
	out := map[session.TenantID]map[string]json.RawMessage{}
	for tn, exts := range world.Tenants {
		parts := map[string]json.RawMessage{}
		for id, v := range exts {
			parts[id], _ = json.Marshal(v)
		}
		out[session.TenantID(tn)] = parts
	}
	return out
}

// Say sends a text turn.
func (e *Env) Say(t testing.TB, a session.Actor, text string) session.Outbound {
	t.Helper()
	out, err := e.K.Handle(context.Background(), a, session.Inbound{From: session.Address{Channel: "test"}, Text: text, At: e.Clock.Now()})
	if err != nil {
		t.Fatalf("handle %q: %v", text, err)
	}
	return out
}

// Decide sends a decision.
func (e *Env) Decide(t testing.TB, a session.Actor, id session.ProposalID, kind session.ActionKind, phrase string) session.Outbound {
	t.Helper()
	out, err := e.K.Handle(context.Background(), a, session.Inbound{From: session.Address{Channel: "test"}, Action: &session.Action{Kind: kind, Proposal: id, Phrase: phrase}, At: e.Clock.Now()})
	if err != nil {
		t.Fatalf("decide: %v", err)
	}
	return out
}

// Card returns the outbound's proposal card or fails.
func Card(t testing.TB, out session.Outbound) *session.ProposalCard {
	t.Helper()
	for _, p := range out.Parts {
		if c, ok := p.(*session.ProposalCard); ok {
			return c
		}
	}
	t.Fatalf("no proposal in %s", Dump(out))
	return nil
}

// ErrCode returns the code of the outbound's error part, or "".
func ErrCode(out session.Outbound) string {
	for _, p := range out.Parts {
		if e, ok := p.(*session.Error); ok {
			return e.Code
		}
	}
	return ""
}

// TextOf joins the outbound's text parts.
func TextOf(out session.Outbound) string {
	var b []string
	for _, p := range out.Parts {
		if x, ok := p.(*session.Text); ok {
			b = append(b, x.Text)
		}
	}
	return strings.Join(b, "\n")
}

// Dump renders an outbound as JSON for failure messages.
func Dump(out session.Outbound) string {
	b, _ := json.Marshal(out)
	return string(b)
}

// Call runs a read tool directly through a turn and returns its output.
func (e *Env) Call(t testing.TB, a session.Actor, tool string, args string) map[string]any {
	t.Helper()
	out := e.Say(t, a, tool+" "+args)
	if c := ErrCode(out); c != "" {
		t.Fatalf("%s %s: %s", tool, args, Dump(out))
	}
	facts, err := e.Store.Recent(context.Background(), session.SessionFor(a), session.Cap{Count: 1})
	if err != nil || len(facts) == 0 {
		t.Fatalf("no fact for %s: %v", tool, err)
	}
	var m map[string]any
	_ = json.Unmarshal(facts[len(facts)-1].Output, &m)
	return m
}

// Audit returns every audit row of a tenant.
func (e *Env) Audit(t testing.TB, tenant session.TenantID) []AuditRow {
	t.Helper()
	var out []AuditRow
	err := e.Store.AuditChain(context.Background(), tenant, func(r store.AuditRow) error {
		out = append(out, AuditRow{Seq: r.Seq, Kind: r.Kind, Actor: string(r.Actor), Turn: string(r.Turn), Data: string(r.Data)})
		return nil
	})
	if err != nil {
		t.Fatalf("audit: %v", err)
	}
	return out
}

// AuditRow is a simplified audit record.
type AuditRow struct {
	Seq   int64
	Kind  string
	Actor string
	Turn  string
	Data  string
}
