package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/steward-os/steward/channels"
	"github.com/steward-os/steward/channels/api"
	"github.com/steward-os/steward/channels/guard"
	"github.com/steward-os/steward/session"
)

// gateway is what serve runs: the HTTP API (the gateway's own endpoint,
// configured by server:) and every module — the extensions openApp loaded,
// then the channels of the configuration — on one listener, behind the
// front door (channels/guard: the Host check, the refusal limit per
// client, refusals audited as summaries).
type gateway struct {
	app    *app
	api    *api.API
	guard  *guard.Guard
	door   http.Handler
	mounts *mounts
	bots   []string
}

// newGateway builds the front door and the API and loads the channel
// modules; every channel's refusals go through the door.
func newGateway(ctx context.Context, a *app) (*gateway, error) {
	srv := a.cfg.Server
	// With demo tokens, only loopback names (and those listed) may reach
	// the gateway: a page on another name that resolves to it (DNS
	// rebinding) would otherwise act with the public demo tokens.
	hosts, err := guard.NewHosts(srv.AllowedHosts, a.cfg.Auth.DemoTokens || len(srv.AllowedHosts) > 0)
	if err != nil {
		return nil, err
	}
	burst := srv.Refusals.Burst
	if burst == 0 {
		burst = -1 // no limit
	}
	g := &gateway{app: a, mounts: &mounts{},
		guard: guard.New(a.kernel, guard.Options{Hosts: hosts, Burst: burst, PerMinute: srv.Refusals.PerMinute, Window: srv.Refusals.Window.D()})}
	core := channels.CoreOf(a.kernel)
	core.Turns = g.guard.Turns(core.Turns)
	core.Alerts = a.alerts // filled when the alerts module is provisioned (alerts.go)
	core.Turns = alertTurns{Turns: core.Turns, slot: a.alerts}
	g.api = api.New(core, a.dir, api.Options{MaxBodyBytes: srv.MaxBodyBytes, Log: a.log})
	g.door = g.guard.Wrap(http.HandlerFunc(g.route), doorOf)
	h := &host{log: a.log, masker: a.masker, core: core, dir: a.dir, mounts: g.mounts, hosts: hosts, store: a.store, alerts: a.alerts}
	bots, err := loadChannels(ctx, a.cfg, h, &a.modules)
	if err != nil {
		return nil, err
	}
	if err := a.loadProfile(ctx, h); err != nil { // profile.go
		return nil, err
	}
	g.bots = bots
	return g, nil
}

// ServeHTTP passes every request through the front door, then routes it.
func (g *gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) { g.door.ServeHTTP(w, r) }

// doorOf names the channel a request is for, for the door's own
// refusals: the API's paths, a bot's webhook, or the web page; the
// health probes pass the door whatever they hold.
func doorOf(r *http.Request) (session.ChannelID, bool) {
	p := r.URL.Path
	switch {
	case p == "/healthz" || p == "/readyz":
		return api.Name, true
	case p == "/v1" || strings.HasPrefix(p, "/v1/"):
		return api.Name, false
	case strings.HasPrefix(p, "/hooks/"):
		if parts := strings.SplitN(p, "/", 5); len(parts) >= 4 && parts[2] != "" && parts[3] != "" {
			return channelName(parts[2], parts[3]), false
		}
		return "hooks", false
	}
	return "web", false
}

// route sends /v1/…, /healthz and /readyz to the API, /hooks/… to the
// chat bots' webhooks (404 when none is mounted there), and every other
// path to the module mounted at "/" (the web page) or, without one, to the
// API.
func (g *gateway) route(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	h, rest := g.mounts.route(p)
	if (p == "/v1" || strings.HasPrefix(p, "/v1/") || p == "/healthz" || p == "/readyz") && (rest == p || !strings.HasPrefix(p, "/v1/alerts")) {
		g.api.ServeHTTP(w, r) // the API, but for /v1/alerts when the alerts module mounted it
		return
	}
	switch {
	case strings.HasPrefix(p, "/hooks/") && rest == p:
		channels.WriteError(w, http.StatusNotFound, session.CodeNotFound, "No webhook is configured at this path.")
	case h == nil:
		g.api.ServeHTTP(w, r)
	case rest != p:
		r2 := r.Clone(r.Context())
		r2.URL.Path, r2.URL.RawPath = rest, ""
		h.ServeHTTP(w, r2)
	default:
		h.ServeHTTP(w, r)
	}
}

// run starts every module, serves until ctx ends, then shuts down within
// server.shutdown_timeout: in-flight requests finish (long polls end at
// once), the modules stop in reverse order (the page's sockets close and
// their turns finish, the bots stop receiving and finish their turns and
// deliveries), then running tool handlers get what is left of the bound.
func (g *gateway) run(ctx context.Context) error {
	cfg, log := g.app.cfg, g.app.log
	if err := g.app.modules.Start(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Server.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{
		Handler: g, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: cfg.Server.ReadTimeout.D(),
		WriteTimeout: cfg.Server.WriteTimeout.D(), IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 32 << 10,
	}
	srv.RegisterOnShutdown(g.api.Shutdown) // long polls and event streams end at once
	sweep, stopSweep := context.WithCancel(context.WithoutCancel(ctx))
	defer stopSweep()
	go g.guard.Run(sweep)                 // writes the refusal summaries of ended windows
	go escalate(sweep, g.app.kernel, log) // approval requests nobody answered in time
	metrics := g.serveMetrics(sweep)      // its own listener (telemetry.go)
	g.api.SetReady(true)
	log.Info("steward is serving", "addr", ln.Addr().String(), "metrics", metrics, "data", cfg.Data, "extensions", cfg.Extensions, "demo_tokens", cfg.Auth.DemoTokens, "chat_bots", g.bots)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	return g.shutdown(ctx, srv)
}

func (g *gateway) shutdown(ctx context.Context, srv *http.Server) error {
	log, timeout := g.app.log, g.app.cfg.Server.ShutdownTimeout.D()
	log.Info("shutting down: finishing in-flight requests", "timeout", timeout.String())
	g.api.SetReady(false)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		// The bound passed: close what is left and still shut down cleanly.
		log.Warn("requests did not finish in time; closing them", "err", err)
		_ = srv.Close()
	}
	if err := g.app.modules.Stop(sctx); err != nil {
		log.Warn("modules did not stop cleanly", "err", err)
	}
	g.guard.Flush(sctx) // the summaries of windows still open
	// Background tasks get what is left of the bound; any still running
	// stay recorded as running and are settled by the next start.
	if err := g.app.kernel.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}
