package alerts

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/steward-os/steward/sdk/module"
	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store/sqlite"
)

// fakeClock is a settable fakeClock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// bus stores events like the session bus and remembers what it published.
type bus struct {
	st  *sqlite.Store
	clk *fakeClock
	mu  sync.Mutex
	out []published
}

type published struct {
	sid  session.SessionID
	out  session.Outbound
	card *session.AlertCard
}

func (b *bus) Publish(ctx context.Context, sid session.SessionID, out session.Outbound) {
	raw, _ := json.Marshal(out)
	if _, err := b.st.AppendEvent(ctx, sid, b.clk.Now(), raw); err != nil {
		panic(err)
	}
	p := published{sid: sid, out: out}
	for _, part := range out.Parts {
		if c, ok := part.(*session.AlertCard); ok {
			p.card = c
		}
	}
	b.mu.Lock()
	b.out = append(b.out, p)
	b.mu.Unlock()
}

// pages are the new cards (not edits) published, as "actor@channel".
func (b *bus) pages() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, p := range b.out {
		if p.card != nil && !p.card.Edit {
			out = append(out, string(p.sid)[len("s:acme:"):]+"@"+string(p.out.To.Channel))
		}
	}
	return out
}

func (b *bus) edits() []*session.AlertCard {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []*session.AlertCard
	for _, p := range b.out {
		if p.card != nil && p.card.Edit {
			out = append(out, p.card)
		}
	}
	return out
}

// identity links accounts: actor → channels.
type identity struct {
	links map[session.ActorID][]session.ChannelID
}

func (i identity) LinkCode(context.Context, session.Actor) (string, time.Time, error) {
	return "", time.Time{}, nil
}
func (i identity) Links(_ context.Context, a session.Actor) ([]session.Link, error) {
	var out []session.Link
	for _, c := range i.links[a.ID] {
		out = append(out, session.Link{Channel: c, Account: "1", Tenant: a.Tenant, Actor: a.ID})
	}
	return out, nil
}
func (i identity) Unlink(context.Context, session.Actor, session.ChannelID, string) error { return nil }
func (i identity) ActorFor(context.Context, session.TenantID, session.ChannelID, string) (session.Actor, bool) {
	return session.Actor{}, false
}
func (i identity) Redeem(context.Context, session.TenantID, session.ChannelID, string, string) (session.Actor, error) {
	return session.Actor{}, nil
}

// auditLog remembers the kinds written.
type auditLog struct {
	mu    sync.Mutex
	kinds []string
}

func (a *auditLog) Write(_ context.Context, _ session.TenantID, _ session.ActorID, _ session.TurnID, kind string, _ any) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.kinds = append(a.kinds, kind)
	return nil
}

func (a *auditLog) count(kind string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, k := range a.kinds {
		if k == kind {
			n++
		}
	}
	return n
}

type harness struct {
	t     *testing.T
	st    *sqlite.Store
	clk   *fakeClock
	bus   *bus
	audit *auditLog
	dir   *session.StaticDirectory
	svc   *Service
}

// t0 is a Monday 10:00 UTC.
var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func d(s string) module.Duration {
	v, err := time.ParseDuration(s)
	if err != nil {
		panic(err)
	}
	return module.Duration(v)
}

// testConfig: acme's primary schedule rotates alice and bob weekly from
// t0; level 0 pages whoever is on call, level 1 (5 minutes later) carol.
// alice's critical rules: slack now, telegram after 2 minutes.
func testConfig() Config {
	return Config{FlapWindow: d("10m"), Tenants: map[string]Tenant{"acme": {
		Schedules: map[string]Schedule{"primary": {Rotation: []string{"alice", "bob"}, Start: t0.Add(-time.Hour), Shift: d("168h")}},
		Policies: map[string]Policy{"default": {Levels: []Level{
			{Targets: []string{"schedule:primary"}},
			{Delay: d("5m"), Targets: []string{"user:carol"}},
		}}},
		Policy: "default",
		Users: map[string]User{
			"alice": {Rules: map[string][]Rule{
				"critical": {{Channel: "slack"}, {Channel: "telegram", After: d("2m")}},
				"default":  {{Channel: "slack"}},
			}, Quiet: &Quiet{From: "22:00", To: "07:00"}},
			"carol": {Rules: map[string][]Rule{"default": {{Channel: "telegram"}}}},
		},
	}}}
}

func newHarness(t *testing.T, cfg Config) *harness {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clk := &fakeClock{t: t0}
	h := &harness{t: t, st: st, clk: clk, bus: &bus{st: st, clk: clk}, audit: &auditLog{}, dir: session.NewStaticDirectory()}
	for _, who := range []session.ActorID{"alice", "bob", "carol"} {
		h.dir.Add(session.Actor{ID: who, Tenant: "acme", Roles: []string{"admin"}}, "tok-"+string(who))
	}
	ids := identity{links: map[session.ActorID][]session.ChannelID{"alice": {"slack", "telegram"}, "carol": {"telegram"}}}
	h.svc, err = New(cfg, Parts{Store: st, Bus: h.bus, Identity: ids, Directory: h.dir, Audit: h.audit, Clock: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func (h *harness) receive(a Alert) Outcome {
	h.t.Helper()
	if a.Tenant == "" {
		a.Tenant = "acme"
	}
	if a.Source == "" {
		a.Source = "api"
	}
	o, err := h.svc.Receive(context.Background(), a)
	if err != nil {
		h.t.Fatalf("Receive: %v", err)
	}
	return o
}

// advance moves the fakeClock and carries out what fell due.
func (h *harness) advance(dur time.Duration) {
	h.t.Helper()
	h.clk.Add(dur)
	if err := h.svc.Tick(context.Background()); err != nil {
		h.t.Fatalf("Tick: %v", err)
	}
}

func (h *harness) act(who session.ActorID, act session.AlertAct) (session.AlertCard, error) {
	a, _ := h.dir.Lookup(context.Background(), "acme", who)
	return h.svc.Act(context.Background(), a, act)
}
