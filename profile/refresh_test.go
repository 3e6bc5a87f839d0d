package profile_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/steward-os/steward/kernel/kerneltest"
	"github.com/steward-os/steward/profile"
	"github.com/steward-os/steward/session"
)

// sink records what the refresher raises.
type sink struct {
	mu sync.Mutex
	fs []profile.Finding
}

func (s *sink) Raise(_ context.Context, f profile.Finding) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fs = append(s.fs, f)
	return nil
}

func (s *sink) all() []profile.Finding {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]profile.Finding(nil), s.fs...)
}

// fakeClock is the kernel's settable clock with timers.
type fakeClock struct{ c *kerneltest.Clock }

func (f fakeClock) Now() time.Time { return f.c.Now() }
func (f fakeClock) After(d time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	ch <- f.c.Now()
	return ch
}

func newEnv(t *testing.T, cfg profile.Config) (*kerneltest.Env, *profile.Refresher, *sink) {
	t.Helper()
	e := kerneltest.New(t, kerneltest.Options{})
	for _, tn := range []session.TenantID{"acme", "globex"} {
		e.Dir.Add(session.Actor{ID: "system", Tenant: tn, Roles: []string{"viewer"}}, "")
	}
	s := &sink{}
	r, err := profile.New(cfg, profile.Deps{Kernel: e.K, Directory: e.Dir, Sink: s, Clock: fakeClock{e.Clock}, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	return e, r, s
}

func TestCertificateFindingAtStart(t *testing.T) {
	_, r, s := newEnv(t, profile.Config{})
	if err := r.Pass(context.Background(), "acme"); err != nil {
		t.Fatal(err)
	}
	for _, f := range s.all() {
		t.Logf("%+v", f)
	}
	var found bool
	for _, f := range s.all() {
		if f.Detector == profile.DetectCert && f.Resource == "blog.acme.test" && strings.Contains(f.Summary, "5 days") {
			found = true
		}
	}
	if !found {
		t.Fatal("no certificate finding")
	}
}

func findingsOf(fs []profile.Finding, det, resource string) []profile.Finding {
	var out []profile.Finding
	for _, f := range fs {
		if f.Detector == det && f.Resource == resource {
			out = append(out, f)
		}
	}
	return out
}

// An injected CPU incident raises a critical threshold finding with its
// evidence in the ledger and a grounded summary; further passes raise
// nothing again (same fingerprint); clearing it resolves the finding.
func TestIncidentRaisesAndResolves(t *testing.T) {
	e, r, s := newEnv(t, profile.Config{})
	ctx := context.Background()
	pass := func() {
		t.Helper()
		if err := r.Pass(ctx, "acme"); err != nil {
			t.Fatal(err)
		}
		e.Clock.Advance(30 * time.Second)
	}
	for range 12 {
		pass()
	}
	if got := findingsOf(s.all(), profile.DetectThreshold, "web-2"); len(got) != 0 {
		t.Fatalf("web-2 alerted in calm weather: %+v", got)
	}
	e.Call(t, kerneltest.Alice, "hosting.inject_incident", `{"server":"web-2","metric":"cpu","minutes":10}`)
	pass()
	pass()
	pass()
	got := findingsOf(s.all(), profile.DetectThreshold, "web-2")
	if len(got) != 1 || got[0].Severity != profile.SeverityCritical || got[0].Resolved {
		t.Fatalf("want one critical finding, got %+v", got)
	}
	f := got[0]
	if !strings.Contains(f.Summary, "web-2: cpu_percent is 97") || f.Fix == nil || f.Fix.Tool != "hosting.restart_server" {
		t.Fatalf("finding %+v", f)
	}
	base := findingsOf(s.all(), profile.DetectBaseline, "web-2")
	if len(base) != 1 || base[0].Fingerprint == f.Fingerprint || len(base[0].Evidence) != 2 {
		t.Fatalf("baseline finding %+v", base)
	}
	facts, err := e.Store.Recent(ctx, "s:acme:system", session.Cap{Count: 100, Bytes: 1 << 22})
	if err != nil {
		t.Fatal(err)
	}
	ok := false
	for _, x := range facts {
		if x.ID == f.Evidence[0] && x.Tool == "hosting.server_load" && strings.Contains(string(x.Output), `"resource":"web-2"`) {
			ok = true
		}
	}
	if !ok {
		t.Fatalf("evidence fact %d is not the probe's recorded observation", f.Evidence[0])
	}
	e.Call(t, kerneltest.Alice, "hosting.inject_incident", `{"server":"web-2","metric":"cpu","clear":true}`)
	pass()
	got = findingsOf(s.all(), profile.DetectThreshold, "web-2")
	if len(got) != 2 || !got[1].Resolved || got[1].Fingerprint != f.Fingerprint {
		t.Fatalf("want the finding resolved under its fingerprint, got %+v", got)
	}
}

// The profile's tools answer from the actor's profile, each section
// stamped (PRO-02, PRO-03): the open certificate finding, and only the
// caller's own tasks.
func TestProfileTools(t *testing.T) {
	e, r, _ := newEnv(t, profile.Config{})
	ctx := context.Background()
	if _, err := e.K.Load(ctx, r.Extension()); err != nil {
		t.Fatal(err)
	}
	e.Clock.Advance(4 * 24 * time.Hour) // T-1 (alice, due in 3 days) is a day late
	if err := r.Pass(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	res := e.Call(t, kerneltest.Alice, "profile.attention", `{}`)
	alerts, _ := res["alerts"].([]any)
	tasks, _ := res["tasks"].([]any)
	if len(alerts) == 0 || len(tasks) != 2 {
		t.Fatalf("attention: %v", res)
	}
	for _, x := range tasks {
		if id := x.(map[string]any)["id"]; id != "T-1" && id != "T-2" {
			t.Fatalf("alice sees %v", x)
		}
	}
	v, err := r.View(ctx, kerneltest.Bob)
	if err != nil {
		t.Fatal(err)
	}
	if v.Alerts.At.IsZero() || v.Activity.At.IsZero() || len(v.Tasks.Items) != 1 || v.Tasks.Items[0].ID != "T-3" {
		t.Fatalf("bob's profile: %+v", v)
	}
}
