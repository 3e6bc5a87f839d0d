package alerts

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/steward-os/steward/channels"
	"github.com/steward-os/steward/sdk/module"
	"github.com/steward-os/steward/session"
)

// The alerts register as the module "channels.alerts": the top-level
// block alerts: (docs/alerts.md), loaded by serve like a channel, so its
// endpoints are mounted on the gateway's listener.
func init() { module.Register(new(Module)) }

// Backing is what the program that runs the module provides besides the
// channels' host: the store and a durable audit writer. Offer tells the
// program the service, for the profile's refresher and the channels'
// typed acts.
type Backing interface {
	AlertBacking() (Store, Auditor)
	OfferAlerts(*Service)
}

// Module is the alerts: block and, once provisioned, the service.
type Module struct {
	Config

	host channels.Host
	svc  *Service
	http *HTTP
	stop context.CancelFunc
	wg   sync.WaitGroup
}

// Module names the module type.
func (*Module) Module() module.Info {
	return module.Info{ID: "channels.alerts", New: func() module.Module { return new(Module) }}
}

// Provision builds the service from the host's parts and resolves each
// tenant's receiver token (masked from then on).
func (m *Module) Provision(_ context.Context, h module.Host) error {
	ch, err := channels.HostOf(h)
	if err != nil {
		return err
	}
	b, ok := h.(Backing)
	if !ok {
		return errors.New("the alerts module needs a host with the alerts' store")
	}
	core := ch.Core()
	bus, ok := core.Deliveries.(Publisher)
	if !ok {
		return errors.New("the alerts module needs a session bus that publishes")
	}
	st, aud := b.AlertBacking()
	svc, err := New(m.Config, Parts{Store: st, Bus: bus, Identity: core.Identity, Directory: ch.Directory(), Turns: core.Turns,
		Audit: aud, Log: h.Logger()})
	if err != nil {
		return err
	}
	tokens := map[session.TenantID]string{}
	for _, tn := range sortedKeys(m.Tenants) {
		am := m.Tenants[tn].Alertmanager
		tok, err := h.Secret("token", am.TokenEnv, am.TokenFile)
		if err != nil {
			return fmt.Errorf("tenants.%s.alertmanager: %w", tn, err)
		}
		tokens[session.TenantID(tn)] = tok
	}
	m.host, m.svc, m.http = ch, svc, NewHTTP(svc, tokens, core.Turns)
	b.OfferAlerts(svc)
	return nil
}

// Service is the provisioned service.
func (m *Module) Service() *Service { return m.svc }

// Start finishes what a stopped process left claimed, warns about on-call
// people without a working route, mounts the endpoints and runs the
// schedule.
func (m *Module) Start(ctx context.Context) error {
	if err := m.svc.Recover(ctx); err != nil {
		return err
	}
	m.svc.CheckRoutes(ctx)
	m.host.Mount("/hooks/alertmanager", http.HandlerFunc(m.http.Alertmanager))
	m.host.Mount("/v1/alerts", http.HandlerFunc(m.http.API))
	run, stop := context.WithCancel(context.WithoutCancel(ctx))
	m.stop = stop
	m.wg.Go(func() { m.svc.Run(run) })
	return nil
}

// Stop ends the schedule's loop; steps still due wait in the store.
func (m *Module) Stop(ctx context.Context) error {
	if m.stop != nil {
		m.stop()
	}
	done := make(chan struct{})
	go func() { m.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// CheckRoutes warns (log and audit) about every person a schedule or
// policy may page who has no working route: none of their rules' channels
// is linked.
func (s *Service) CheckRoutes(ctx context.Context) {
	for _, tn := range sortedKeys(s.cfg.Tenants) {
		t := s.cfg.Tenants[tn]
		for _, who := range t.pageable() {
			if !s.routable(ctx, session.TenantID(tn), who) {
				s.p.Log.WarnContext(ctx, "on-call person has no working route", "tenant", tn, "actor", who)
				s.audit(ctx, session.TenantID(tn), who, KindNoRoute, map[string]any{"actor": who, "reason": "no channel of the rules is linked"})
			}
		}
	}
}

// routable reports whether a person has a channel of a rule linked (or a
// rule for the web page or the API, which need no link).
func (s *Service) routable(ctx context.Context, t session.TenantID, who session.ActorID) bool {
	linked := s.linkedChannels(ctx, t, who)
	for _, rules := range s.cfg.tenantOf(t).Users[string(who)].Rules {
		for _, r := range rules {
			if r.Channel == "web" || r.Channel == "api" {
				return true
			}
			for _, l := range linked {
				if string(l) == r.Channel {
					return true
				}
			}
		}
	}
	return false
}

// pageable lists everyone a schedule or a policy names.
func (t Tenant) pageable() []session.ActorID {
	seen := map[session.ActorID]bool{}
	var out []session.ActorID
	add := func(s string) {
		if a := session.ActorID(s); a != "" && !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	for _, name := range sortedKeys(t.Schedules) {
		for _, who := range t.Schedules[name].Rotation {
			add(who)
		}
		for _, o := range t.Schedules[name].Overrides {
			add(o.Actor)
		}
	}
	for _, name := range sortedKeys(t.Policies) {
		for _, l := range t.Policies[name].Levels {
			for _, tg := range l.Targets {
				if who, ok := strings.CutPrefix(tg, "user:"); ok {
					add(who)
				}
			}
		}
	}
	return out
}
