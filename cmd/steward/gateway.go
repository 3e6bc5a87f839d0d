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
	"github.com/steward-os/steward/session"
)

// gateway is what serve runs: the HTTP API (the gateway's own endpoint,
// configured by server:) and every module — the extensions openApp loaded,
// then the channels of the configuration — on one listener.
type gateway struct {
	app    *app
	api    *api.API
	mounts *mounts
	bots   []string
}

// newGateway builds the API and loads the channel modules.
func newGateway(ctx context.Context, a *app) (*gateway, error) {
	core := channels.CoreOf(a.kernel)
	g := &gateway{app: a, mounts: &mounts{},
		api: api.New(core, a.dir, api.Options{MaxBodyBytes: a.cfg.Server.MaxBodyBytes, Log: a.log})}
	h := &host{log: a.log, masker: a.masker, core: core, dir: a.dir, mounts: g.mounts}
	bots, err := loadChannels(ctx, a.cfg, h, &a.modules)
	if err != nil {
		return nil, err
	}
	g.bots = bots
	return g, nil
}

// ServeHTTP sends /v1/…, /healthz and /readyz to the API, /hooks/… to the
// chat bots' webhooks (404 when none is mounted there), and every other
// path to the module mounted at "/" (the web page) or, without one, to the
// API.
func (g *gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if p == "/v1" || strings.HasPrefix(p, "/v1/") || p == "/healthz" || p == "/readyz" {
		g.api.ServeHTTP(w, r)
		return
	}
	h, rest := g.mounts.route(p)
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
	g.api.SetReady(true)
	log.Info("steward is serving", "addr", ln.Addr().String(), "data", cfg.Data, "extensions", cfg.Extensions, "demo_tokens", cfg.Auth.DemoTokens, "chat_bots", g.bots)
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
	// Background tasks get what is left of the bound; any still running
	// stay recorded as running and are settled by the next start.
	if err := g.app.kernel.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}
