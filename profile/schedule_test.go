package profile

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/steward-os/steward/kernel/manifest"
	"github.com/steward-os/steward/session"
)

// recClock records every wait asked of it and fires each one when the
// test lets it (step).
type recClock struct {
	mu    sync.Mutex
	now   time.Time
	waits []time.Duration
	fire  chan chan time.Time
}

func (c *recClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *recClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	c.waits = append(c.waits, d)
	c.mu.Unlock()
	ch := make(chan time.Time, 1)
	c.fire <- ch
	return ch
}

// step advances the clock by the pending wait and fires it.
func (c *recClock) step(t *testing.T) {
	t.Helper()
	select {
	case ch := <-c.fire:
		c.mu.Lock()
		c.now = c.now.Add(c.waits[len(c.waits)-1])
		now := c.now
		c.mu.Unlock()
		ch <- now
	case <-time.After(10 * time.Second):
		t.Fatal("the refresher did not wait")
	}
}

// stubKernel has one probe that fails while fail is set.
type stubKernel struct {
	mu    sync.Mutex
	calls int
	fail  bool
}

func (k *stubKernel) Handle(context.Context, session.Actor, session.Inbound) (session.Outbound, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.calls++
	if k.fail {
		return session.Outbound{}, errors.New("probe down")
	}
	return session.Outbound{Parts: []session.Part{&session.Error{Code: "x", Message: "y"}}}, nil
}
func (k *stubKernel) Surface() session.Surface { return nil }
func (k *stubKernel) Manifests() []manifest.Manifest {
	return []manifest.Manifest{{ID: "hosting", Probes: []manifest.Probe{{Name: "server_load"}}}}
}

type oneTenant struct{ session.Directory }

func (oneTenant) Tenants(context.Context) []session.TenantID { return []session.TenantID{"acme"} }

// The first pass comes within the jitter of the start, each later one
// every period plus a jitter below its bound (PRO-01).
func TestScheduleAndJitterBounds(t *testing.T) {
	clk := &recClock{now: t0, fire: make(chan chan time.Time)}
	k := &stubKernel{}
	r, err := New(Config{}, Deps{Kernel: k, Directory: oneTenant{}, Clock: clk, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	for range 20 {
		clk.step(t)
	}
	go func() { // the loop waits once more before it sees the stop
		for range clk.fire {
		}
	}()
	if err := r.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	close(clk.fire)
	every, jit := r.cfg.Every.D(), r.cfg.Jitter.D()
	clk.mu.Lock()
	defer clk.mu.Unlock()
	if w := clk.waits[0]; w < 0 || w >= jit {
		t.Fatalf("first wait %s outside [0, %s)", w, jit)
	}
	distinct := map[time.Duration]bool{}
	for _, w := range clk.waits[1:] {
		if w < every || w >= every+jit {
			t.Fatalf("wait %s outside [%s, %s)", w, every, every+jit)
		}
		distinct[w] = true
	}
	if len(distinct) < 5 {
		t.Fatalf("jitter does not vary: %v", clk.waits)
	}
}

// A failing probe backs off, doubling up to the cap; a success resets it.
func TestBackoff(t *testing.T) {
	clk := &recClock{now: t0}
	k := &stubKernel{fail: true}
	r, err := New(Config{}, Deps{Kernel: k, Directory: oneTenant{}, Clock: clk, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 10 * time.Minute, 10 * time.Minute}
	for i, w := range want {
		if err := r.Pass(ctx, "acme"); err == nil {
			t.Fatal("a failing probe passed")
		}
		if k.calls != i+1 {
			t.Fatalf("pass %d: %d calls", i, k.calls)
		}
		clk.now = clk.now.Add(w - time.Second)
		_ = r.Pass(ctx, "acme") // still backing off: not called
		if k.calls != i+1 {
			t.Fatalf("pass %d ran during its back-off of %s", i, w)
		}
		clk.now = clk.now.Add(time.Second)
	}
	r.ingest("acme", "hosting.server_load", session.Fact{ID: 1}, nil)
	if ps := r.tenants["acme"].probes["hosting.server_load"]; ps.fails != 0 || ps.next.After(clk.now) {
		t.Fatalf("a success did not reset the back-off: %+v", ps)
	}
}
