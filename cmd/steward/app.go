package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/steward-os/steward/configs"
	"github.com/steward-os/steward/internal/strict"
	"github.com/steward-os/steward/kernel"
	"github.com/steward-os/steward/sdk"
	"github.com/steward-os/steward/sdk/module"
	"github.com/steward-os/steward/session"
)

// app is the wired core: configuration → store → directory → kernel →
// extension modules. serve adds the channel modules to the same group.
type app struct {
	cfg     *configs.Config
	log     *slog.Logger
	store   backend
	leave   func() // leaves the shared store's instances (nil on the embedded one)
	dir     *session.StaticDirectory
	kernel  *kernel.Kernel
	masker  *kernel.Masker
	obs     *observability // metrics and traces (telemetry.go)
	alerts  *alertSlot     // the alerts service, once its module is provisioned (alerts.go)
	modules module.Group   // extensions, then channels: started in order, stopped in reverse
}

// newLogger is the log of one command: JSON or text on w, every record
// masked by m first, so no secret m knows (users' tokens, every credential
// a module resolves, from the moment it is resolved) reaches a log line.
func newLogger(cfg *configs.Config, w io.Writer, m *kernel.Masker) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(cfg.Log.Level))
	h := logHandler(cfg.Log.Format, w, &slog.HandlerOptions{Level: lvl}) // telemetry.go
	return slog.New(kernel.NewLogHandler(h, m))
}

// buildDirectory creates the actors and their credentials. Demo tokens are
// demo-<user>; other tokens come from the environment or files.
func buildDirectory(cfg *configs.Config) (*session.StaticDirectory, []string, error) {
	dir := session.NewStaticDirectory()
	var secrets []string
	tenants := make([]string, 0, len(cfg.Tenants))
	for t := range cfg.Tenants {
		tenants = append(tenants, t)
	}
	sort.Strings(tenants)
	seen := map[string]string{}
	for _, tn := range tenants {
		t := cfg.Tenants[tn]
		for un, u := range t.Users {
			tok, err := u.Token(os.Getenv)
			if err != nil {
				return nil, nil, fmt.Errorf("tenants.%s.users.%s: %w", tn, un, err)
			}
			if tok == "" && cfg.Auth.DemoTokens {
				tok = "demo-" + un
			}
			if tok != "" {
				if other, dup := seen[tok]; dup {
					return nil, nil, fmt.Errorf("tenants.%s.users.%s: the same token is configured for %s", tn, un, other)
				}
				seen[tok] = tn + "/" + un
				if !strings.HasPrefix(tok, "demo-") {
					secrets = append(secrets, tok)
				}
			}
			dir.Add(session.Actor{ID: session.ActorID(un), Tenant: session.TenantID(tn), Roles: u.Roles, Manager: session.ActorID(u.Manager)}, tok)
		}
	}
	return dir, secrets, nil
}

// openApp wires the gateway, logging to logs. Users' tokens join m before
// the logger exists, and every secret a module resolves joins it as it is
// resolved (host.Secret). recover settles what a previous serving process
// left unfinished; only `serve` (which holds the data directory's lock)
// may do that, never a tool run beside a live server.
func openApp(ctx context.Context, cfg *configs.Config, m *kernel.Masker, logs io.Writer, recover bool) (*app, error) {
	dir, secrets, err := buildDirectory(cfg)
	if err != nil {
		return nil, err
	}
	m.AddSecrets(secrets...)
	log := newLogger(cfg, logs, m)
	for _, w := range cfg.Warnings {
		log.Warn(w)
	}
	obs, err := newObservability(ctx, cfg)
	if err != nil {
		return nil, err
	}
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		obs.Close()
		return nil, err
	}
	masker := m.WithFields(cfg.Privacy.MaskedFields...) // shares m's secrets
	confirm1 := map[session.TenantID]bool{}
	quota := map[session.TenantID]int{}
	unmask := map[session.TenantID]bool{}
	for tn, t := range cfg.Tenants {
		confirm1[session.TenantID(tn)] = t.ConfirmLevel1
		unmask[session.TenantID(tn)] = t.UnmaskPII
		quota[session.TenantID(tn)] = t.TurnsPerMinute
	}
	models, err := modelsConfig(cfg, os.Getenv, masker) // provider keys join the masker as they are read
	if err != nil {
		st.Close()
		return nil, err
	}
	k, err := kernel.New(kernel.Config{
		Models: models,
		Roles:  cfg.Roles, ProposalTTL: cfg.Safety.ProposalTTL.D(), Cooling: cfg.Safety.CoolingPeriod.D(),
		ConfirmLevel1: confirm1, Approvals: approvalPolicies(cfg), MinConfidence: cfg.Router.MinConfidence, PlanRetries: cfg.Safety.PlanRetries,
		LedgerCap: session.Cap{Count: cfg.Ledger.ReplayCount, Bytes: cfg.Ledger.ReplayBytes}, TenantTurnsPerMinute: quota, UnmaskPII: unmask, Delivery: cfg.Delivery,
		InlineBudget: cfg.Tasks.InlineBudget.D(), TaskCap: cfg.Tasks.DefaultCap.D(), MaxTaskCap: cfg.Tasks.MaxCap.D(),
		MaxResultBytes:       cfg.Tasks.MaxResultBytes,
		StateValuesPerTenant: cfg.Limits.StateValuesPerTenant, TenantConcurrency: cfg.Limits.TenantConcurrency,
	}, kernel.Deps{Store: st, Directory: probeDirectory(cfg, dir), Masker: masker, Log: log, Telemetry: obs.obs}) // profile.go
	if err != nil {
		st.Close()
		return nil, err
	}
	a := &app{cfg: cfg, log: log, store: st, dir: dir, kernel: k, masker: masker, obs: obs, alerts: &alertSlot{}}
	if err := a.loadExtensions(ctx); err != nil {
		a.Close()
		return nil, err
	}
	if err := a.seed(ctx); err != nil {
		a.Close()
		return nil, err
	}
	if recover {
		recover, err = a.joinStore(ctx)
		if err != nil {
			a.Close()
			return nil, err
		}
	}
	if recover {
		if n, err := k.Recover(ctx); err != nil {
			a.Close()
			return nil, fmt.Errorf("recover: %w", err)
		} else if n > 0 {
			log.Warn("proposals interrupted by the previous shutdown were marked failed", "count", n)
		}
	}
	return a, nil
}

// loadExtensions loads each configured extension as a module
// ("extensions.<id>", with its extension_config block) and registers it
// with the kernel, all or nothing per extension; on an error it cleans up
// what it provisioned.
func (a *app) loadExtensions(ctx context.Context) error {
	h := &host{log: a.log, masker: a.masker, kernel: a.kernel}
	for _, id := range a.cfg.Extensions {
		if err := a.loadExtension(ctx, h, id); err != nil {
			_ = a.modules.Cleanup()
			return err
		}
	}
	return nil
}

// loadExtension loads the module extensions.<id>: one value, or for a
// module with instances one per instance of its block (each MCP server
// of extension_config.mcp is an extension named after its instance).
func (a *app) loadExtension(ctx context.Context, h *host, id string) error {
	mid := module.ID("extensions." + id)
	info, _ := module.Lookup(mid)
	blocks := map[string]any{"": a.cfg.ExtensionConfig[id]}
	if info.Instances {
		blocks = configs.Instances(a.cfg.ExtensionConfig[id])
	}
	for _, inst := range sortedNames(blocks) {
		name := strings.TrimSuffix(id+"."+inst, ".")
		m, err := module.Load(ctx, mid, blocks[inst], h.with(mid, inst))
		if err != nil {
			return fmt.Errorf("extensions: %s: %w", name, err)
		}
		a.modules.Add(m)
		x, ok := m.(sdk.ExtensionModule)
		if !ok {
			return fmt.Errorf("extensions: %s is not an extension", name)
		}
		if _, err := a.kernel.Load(ctx, x.Extension()); err != nil {
			return fmt.Errorf("load extension %s: %w", name, err)
		}
	}
	return nil
}

// seed loads the demo world into tenants seen for the first time.
func (a *app) seed(ctx context.Context) error {
	var raw []byte
	switch a.cfg.World {
	case "":
		return nil
	case "embedded":
		raw = configs.World
	default:
		b, err := os.ReadFile(a.cfg.World)
		if err != nil {
			return fmt.Errorf("world: %w", err)
		}
		raw = b
	}
	var world struct {
		Tenants map[string]map[string]any `json:"tenants"`
	}
	if err := strict.Decode(raw, &world); err != nil {
		return fmt.Errorf("world: %w", err)
	}
	for tn := range a.cfg.Tenants {
		parts := map[string]json.RawMessage{}
		for ext, v := range world.Tenants[tn] {
			b, err := json.Marshal(v)
			if err != nil {
				return fmt.Errorf("world %s.%s: %w", tn, ext, err)
			}
			parts[ext] = b
		}
		if err := a.kernel.Seed(ctx, session.TenantID(tn), parts); err != nil {
			return err
		}
	}
	return nil
}

// Close releases what the modules provisioned (an MCP server's process)
// and closes the store.
func (a *app) Close() error {
	if a.leave != nil {
		a.leave()
	}
	return errors.Join(a.modules.Cleanup(), a.store.Close(), a.obs.Close())
}

// actorFor resolves --as USER (or TENANT/USER); the default is the first
// admin of the first tenant.
func (a *app) actorFor(ctx context.Context, as string) (session.Actor, error) {
	if as == "" {
		for _, t := range a.dir.Tenants(ctx) {
			ms, _ := a.dir.Members(ctx, t)
			for _, m := range ms {
				if m.HasRole("admin") {
					return m, nil
				}
			}
		}
		return session.Actor{}, fmt.Errorf("no users are configured")
	}
	tenant, user, ok := strings.Cut(as, "/")
	if !ok {
		user, tenant = as, ""
	}
	var found []session.Actor
	for _, t := range a.dir.Tenants(ctx) {
		if tenant != "" && string(t) != tenant {
			continue
		}
		if m, ok := a.dir.Lookup(ctx, t, session.ActorID(user)); ok {
			found = append(found, m)
		}
	}
	switch len(found) {
	case 0:
		return session.Actor{}, fmt.Errorf("--as %s: no such user", as)
	case 1:
		return found[0], nil
	}
	return session.Actor{}, fmt.Errorf("--as %s: the name exists in several tenants; write TENANT/USER", as)
}

// lockData takes the data directory's serve lock, so two gateways never
// share one store (and start-up recovery never touches a live server's
// work). The lock is released when the process exits.
func lockData(dir string) (*os.File, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, "serve.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("another steward serve is using %s", dir)
	}
	return f, nil
}
