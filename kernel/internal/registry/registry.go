// Package registry is the kernel's extension registry: it loads an
// extension through the manifest contract (validate, bind, register — all
// or nothing), unloads it, keeps the tool catalog routers see, and gives
// each extension what it may touch (its own state per tenant, the
// directory and the outbox when its scopes allow).
//
// Contract. A tool is reachable only while its extension is registered;
// a load with any error-severity issue registers nothing and returns every
// issue. Every lifecycle stage (load, validate, register, unload) is
// audited. The catalog is rebuilt on load and unload, never per turn, and
// is shared read-only. Extension state is always scoped by the kernel to
// one extension and one tenant; an extension cannot name another's.
package registry

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/steward-os/steward/kernel/audit"
	"github.com/steward-os/steward/kernel/internal/kit"
	"github.com/steward-os/steward/kernel/manifest"
	"github.com/steward-os/steward/kernel/route"
	"github.com/steward-os/steward/sdk"
	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// ConformanceLevel is the ICNLI conformance level this kernel implements
// (self-attested). Extensions targeting a higher level are refused.
const ConformanceLevel = 2

var systemActor = session.Actor{ID: session.SystemActor, Tenant: "_system"}

// Registry holds the loaded extensions and their tools.
type Registry struct {
	rec *kit.Recorder
	st  store.ExtState
	dir session.Directory
	now func() time.Time
	// stateLimit bounds the values each extension may hold per tenant.
	stateLimit int

	mu      sync.RWMutex
	exts    map[string]*Extension
	tools   map[session.ToolID]*Tool
	order   []string         // extension ids in load order
	catalog []route.ToolSpec // every registered tool, rebuilt on load and unload

	cache resourceCache // context resources by tenant state version

	onNote NoteHook // notes.go
}

// New returns an empty registry; stateLimit bounds the values each
// extension may hold per tenant (0: no limit).
func New(rec *kit.Recorder, st store.ExtState, dir session.Directory, now func() time.Time, stateLimit int) *Registry {
	return &Registry{rec: rec, st: st, dir: dir, now: now, stateLimit: stateLimit, exts: map[string]*Extension{}, tools: map[session.ToolID]*Tool{}}
}

// Load validates and registers an extension, all or nothing (EXT-02…05).
// It returns the issues found; when any has error severity, nothing was
// registered and the error is a *manifest.IssuesError.
func (r *Registry) Load(ctx context.Context, e sdk.Extension) ([]manifest.Issue, error) {
	return r.install(ctx, e, false)
}

// Replace swaps a registered extension for a new version of itself (the
// same id: an MCP server whose tool list changed), all or nothing: the new
// version is validated and bound exactly as a load, and on any
// error-severity issue the registered version stays as it was and the
// issues are returned as a *manifest.IssuesError. Audited as stages
// replace, validate and register.
func (r *Registry) Replace(ctx context.Context, e sdk.Extension) ([]manifest.Issue, error) {
	return r.install(ctx, e, true)
}

// install is Load (replace false) or Replace.
func (r *Registry) install(ctx context.Context, e sdk.Extension, replace bool) ([]manifest.Issue, error) {
	m, issues := manifest.Parse(e.Manifest)
	id := "?"
	if m != nil {
		id = m.ID
	}
	stage := "load"
	if replace {
		stage = "replace"
	}
	r.rec.Note(ctx, systemActor, "", audit.KindExtension, map[string]any{"stage": stage, "extension": id})
	if m != nil {
		issues = r.register(m, e, issues, replace)
	}
	r.rec.Note(ctx, systemActor, "", audit.KindExtension, map[string]any{"stage": "validate", "extension": id, "issues": issues, "ok": !manifest.HasErrors(issues)})
	if manifest.HasErrors(issues) {
		r.rec.SyncLogged(ctx)
		return issues, &manifest.IssuesError{Issues: issues}
	}
	tools := make([]string, 0, len(m.Tools))
	for _, t := range m.Tools {
		tools = append(tools, m.ID+"."+t.Name)
	}
	data := map[string]any{"stage": "register", "extension": id, "version": m.Version, "tools": tools}
	if len(m.Probes) > 0 {
		probes := make([]string, 0, len(m.Probes))
		for _, p := range m.Probes {
			probes = append(probes, m.ID+"."+p.Name)
		}
		data["probes"] = probes
	}
	r.rec.Note(ctx, systemActor, "", audit.KindExtension, data)
	return issues, r.rec.Sync(ctx)
}

// register checks the conformance level, binds the handlers and, when
// nothing is wrong (issues holds the manifest's own), registers the
// extension — in place of the registered one of its id when replace is
// set; it returns every issue.
func (r *Registry) register(m *manifest.Manifest, e sdk.Extension, issues []manifest.Issue, replace bool) []manifest.Issue {
	if m.ConformanceLevel > ConformanceLevel {
		issues = append(issues, manifest.Issue{Rule: "K001", Severity: manifest.SeverityError, Path: "conformance_level",
			Message: fmt.Sprintf("the extension targets conformance level %d but this kernel implements level %d", m.ConformanceLevel, ConformanceLevel),
			Fix:     "target a level this kernel implements, or run a newer kernel"})
	}
	bound, bindIssues := manifest.Bind(m, e.Handlers)
	issues = append(issues, bindIssues...)
	if manifest.HasErrors(issues) {
		return issues
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	old, exists := r.exts[m.ID]
	switch {
	case exists && !replace:
		return append(issues, manifest.Issue{Rule: "K002", Severity: manifest.SeverityError, Path: "id",
			Message: fmt.Sprintf("an extension with id %q is already registered", m.ID), Fix: "unload it first or choose another id"})
	case !exists && replace:
		return append(issues, manifest.Issue{Rule: "K003", Severity: manifest.SeverityError, Path: "id",
			Message: fmt.Sprintf("no extension with id %q is registered to replace", m.ID), Fix: "load it first"})
	}
	r.dropTools(old)
	x := &Extension{Manifest: m, Ext: e}
	for name, b := range bound {
		t := &Tool{ID: session.ToolID(m.ID + "." + name), Ext: x, Bound: b, Level: b.Tool.Level()}
		t.Spec = specOf(t)
		r.tools[t.ID] = t
	}
	r.exts[m.ID] = x
	if !exists {
		r.order = append(r.order, m.ID)
	}
	r.rebuildCatalog()
	r.cache.clear()
	return issues
}

// Unload removes an extension and its tools.
func (r *Registry) Unload(ctx context.Context, id string) error {
	r.mu.Lock()
	x, ok := r.exts[id]
	if ok {
		delete(r.exts, id)
		r.order = slices.DeleteFunc(r.order, func(s string) bool { return s == id })
		r.dropTools(x)
		r.rebuildCatalog()
		r.cache.clear()
	}
	r.mu.Unlock()
	if !ok {
		return kit.Errf(session.CodeNotFound, "No extension %q is loaded.", id)
	}
	r.rec.Note(ctx, systemActor, "", audit.KindExtension, map[string]any{"stage": "unload", "extension": id})
	return r.rec.Sync(ctx)
}

// dropTools removes an extension's tools (held under r.mu; x may be nil).
func (r *Registry) dropTools(x *Extension) {
	for tid, t := range r.tools {
		if x != nil && t.Ext == x {
			delete(r.tools, tid)
		}
	}
}

// Catalog lists every registered tool, in load order then by name.
// The slice is shared: callers must not change it.
func (r *Registry) Catalog() []route.ToolSpec {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.catalog
}

// CatalogFor lists the tools of the extensions that serve the tenant, in
// catalog order: every tool unless an extension serves only some tenants
// (sdk.Extension.Tenants). The slice is shared when nothing is left out:
// callers must not change it.
func (r *Registry) CatalogFor(tenant session.TenantID) []route.ToolSpec {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []route.ToolSpec
	for i, s := range r.catalog {
		if x := r.exts[s.Extension]; x.Serves(tenant) {
			if out != nil {
				out = append(out, s)
			}
			continue
		}
		if out == nil {
			out = append(make([]route.ToolSpec, 0, len(r.catalog)), r.catalog[:i]...)
		}
	}
	if out == nil {
		return r.catalog
	}
	return out
}

// rebuildCatalog recomputes the catalog after a load or an unload (held
// under r.mu), so that turns do not rebuild it.
func (r *Registry) rebuildCatalog() {
	var out []route.ToolSpec
	for _, id := range r.order {
		for _, t := range r.exts[id].Manifest.Tools {
			if te, ok := r.tools[session.ToolID(id+"."+t.Name)]; ok {
				out = append(out, te.Spec)
			}
		}
	}
	r.catalog = out
}

// Tool returns a registered tool.
func (r *Registry) Tool(id session.ToolID) (*Tool, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	t, ok := r.tools[id]
	return t, ok
}

// Extensions lists the registered extensions in load order.
func (r *Registry) Extensions() []*Extension {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]*Extension, 0, len(r.order))
	for _, id := range r.order {
		out = append(out, r.exts[id])
	}
	return out
}

// Descriptions lists the descriptions of the registered extensions that
// serve the tenant, in load order.
func (r *Registry) Descriptions(tenant session.TenantID) []string {
	var out []string
	for _, x := range r.Extensions() {
		if x.Serves(tenant) {
			out = append(out, x.Manifest.Description)
		}
	}
	return out
}
