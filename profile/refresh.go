package profile

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/steward-os/steward/kernel/manifest"
	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// Kernel is what the refresher needs of the kernel: turns (a probe is a
// structured call of a level-0 tool), the actor's facts (the recorded
// observations) and the manifests (which probes exist). *kernel.Kernel
// has all three; the refresher adds nothing to it.
type Kernel interface {
	Handle(ctx context.Context, a session.Actor, in session.Inbound) (session.Outbound, error)
	Surface() session.Surface
	Manifests() []manifest.Manifest
}

// Clock is the refresher's time: the wall clock in production, a fake one
// in tests.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type wallClock struct{}

func (wallClock) Now() time.Time                         { return time.Now() }
func (wallClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Deps are the refresher's collaborators. Kernel and Directory are
// required; the rest are optional.
type Deps struct {
	Kernel    Kernel
	Directory session.Directory
	// Sink receives findings (the alerts package); without one, findings
	// are only kept in the profile.
	Sink Sink
	// Proposals and Continuity feed the profile's open proposals and
	// preferred channels; without them those sections stay empty.
	Proposals interface {
		ProposalsInState(ctx context.Context, state store.ProposalState) ([]store.ProposalRow, error)
	}
	Continuity interface {
		LastChannel(ctx context.Context, sid session.SessionID) (session.Address, error)
	}
	Log   *slog.Logger
	Clock Clock
	// Seed makes the jitter reproducible (0: random).
	Seed uint64
}

// Refresher runs every tenant's probes on a schedule, keeps the series
// they observe, judges them with the detectors and hands findings to the
// Sink. Start it once; Stop ends it.
type Refresher struct {
	cfg Config
	d   Deps
	det detectors
	sem chan struct{}

	rngMu sync.Mutex
	rng   *rand.Rand

	mu      sync.Mutex
	tenants map[session.TenantID]*tenantState

	run struct {
		sync.Mutex
		cancel context.CancelFunc
		done   chan struct{}
	}
}

// New returns a refresher; cfg's zero values take their defaults.
func New(cfg Config, d Deps) (*Refresher, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if d.Kernel == nil || d.Directory == nil {
		return nil, errors.New("profile: Kernel and Directory are required")
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Clock == nil {
		d.Clock = wallClock{}
	}
	seed := d.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	return &Refresher{cfg: cfg, d: d, det: detectors{cfg: cfg}, sem: make(chan struct{}, cfg.Concurrency),
		rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), tenants: map[session.TenantID]*tenantState{}}, nil
}

// Config is the effective configuration.
func (r *Refresher) Config() Config { return r.cfg }

// jitter is a random delay in [0, cfg.Jitter).
func (r *Refresher) jitter() time.Duration {
	j := r.cfg.Jitter.D()
	if j <= 0 {
		return 0
	}
	r.rngMu.Lock()
	defer r.rngMu.Unlock()
	return time.Duration(r.rng.Int64N(int64(j)))
}

// Start runs one loop per tenant of the directory: a first pass after a
// jitter, then one every cfg.Every plus a jitter. It returns at once.
func (r *Refresher) Start(ctx context.Context) error {
	r.run.Lock()
	defer r.run.Unlock()
	if r.run.cancel != nil {
		return errors.New("profile: already started")
	}
	if !*r.cfg.Enabled {
		return nil
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	r.run.cancel, r.run.done = cancel, make(chan struct{})
	var wg sync.WaitGroup
	for _, tn := range r.d.Directory.Tenants(ctx) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.loop(ctx, tn)
		}()
	}
	go func() {
		wg.Wait()
		close(r.run.done)
	}()
	return nil
}

// Stop ends the loops and waits for passes under way (bounded by ctx).
func (r *Refresher) Stop(ctx context.Context) error {
	r.run.Lock()
	defer r.run.Unlock()
	if r.run.cancel == nil {
		return nil
	}
	r.run.cancel()
	select {
	case <-r.run.done:
	case <-ctx.Done():
		return fmt.Errorf("profile: stop: %w", ctx.Err())
	}
	r.run.cancel = nil
	return nil
}

// loop refreshes one tenant until ctx ends.
func (r *Refresher) loop(ctx context.Context, tn session.TenantID) {
	delay := r.jitter()
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.d.Clock.After(delay):
		}
		if err := r.Pass(ctx, tn); err != nil && ctx.Err() == nil {
			r.d.Log.Warn("profile refresh", "tenant", tn, "err", err)
		}
		delay = r.cfg.Every.D() + r.jitter()
	}
}

// Pass runs the tenant's due probes once — each extension's probes within
// its budget, at most cfg.Concurrency probes at once overall — then
// judges every series and hands new, changed and resolved findings to the
// Sink. A probe that fails waits out its back-off before it runs again.
func (r *Refresher) Pass(ctx context.Context, tn session.TenantID) error {
	actor := r.probeActor(tn)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for _, m := range r.d.Kernel.Manifests() {
		if len(m.Probes) == 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.runExtension(ctx, actor, m); err != nil {
				select {
				case errs <- err:
				default:
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	var all []error
	for err := range errs {
		all = append(all, err)
	}
	r.judge(ctx, tn)
	return errors.Join(all...)
}

// probeActor is the identity probes run as in a tenant.
func (r *Refresher) probeActor(tn session.TenantID) session.Actor {
	return session.Actor{ID: session.ActorID(r.cfg.Actor), Tenant: tn, Roles: r.cfg.Roles}
}

// runExtension runs one extension's due probes in order, within its budget.
func (r *Refresher) runExtension(ctx context.Context, a session.Actor, m manifest.Manifest) error {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.Budget.D())
	defer cancel()
	var errs []error
	for _, p := range m.Probes {
		id := session.ToolID(m.ID + "." + p.Name)
		if !r.due(a.Tenant, id) {
			continue
		}
		select {
		case r.sem <- struct{}{}:
		case <-ctx.Done():
			err := fmt.Errorf("probe %s: budget of %s spent: %w", id, r.cfg.Budget.D(), ctx.Err())
			r.failed(a.Tenant, id, err)
			errs = append(errs, err)
			continue
		}
		err := r.probe(ctx, a, id)
		<-r.sem
		if err != nil {
			r.failed(a.Tenant, id, err)
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
