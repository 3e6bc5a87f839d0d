package kernel

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"

	"github.com/steward-os/steward/kernel/audit"
	"github.com/steward-os/steward/kernel/manifest"
	"github.com/steward-os/steward/kernel/route"
	"github.com/steward-os/steward/sdk"
	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

type extension struct {
	m   *manifest.Manifest
	ext sdk.Extension
}

type toolEntry struct {
	id    session.ToolID
	ext   *extension
	b     *manifest.BoundTool
	spec  route.ToolSpec
	level int
}

var systemActor = session.Actor{ID: session.SystemActor, Tenant: "_system"}

// Load validates and registers an extension, all or nothing (EXT-02…05).
// It returns the issues found; when any has error severity, nothing was
// registered and the error is a *manifest.IssuesError.
func (k *Kernel) Load(ctx context.Context, e sdk.Extension) ([]manifest.Issue, error) {
	m, issues := manifest.Parse(e.Manifest)
	id := "?"
	if m != nil {
		id = m.ID
	}
	k.write(ctx, systemActor, "", audit.KindExtension, map[string]any{"stage": "load", "extension": id})
	if m != nil {
		if m.ConformanceLevel > ConformanceLevel {
			issues = append(issues, manifest.Issue{Rule: "K001", Severity: manifest.SeverityError, Path: "conformance_level",
				Message: fmt.Sprintf("the extension targets conformance level %d but this kernel implements level %d", m.ConformanceLevel, ConformanceLevel),
				Fix:     "target a level this kernel implements, or run a newer kernel"})
		}
		bound, bindIssues := manifest.Bind(m, e.Handlers)
		issues = append(issues, bindIssues...)
		if !manifest.HasErrors(issues) {
			k.mu.Lock()
			if _, dup := k.exts[m.ID]; dup {
				issues = append(issues, manifest.Issue{Rule: "K002", Severity: manifest.SeverityError, Path: "id",
					Message: fmt.Sprintf("an extension with id %q is already registered", m.ID), Fix: "unload it first or choose another id"})
			} else {
				x := &extension{m: m, ext: e}
				for name, b := range bound {
					te := &toolEntry{id: session.ToolID(m.ID + "." + name), ext: x, b: b, level: b.Tool.Level()}
					te.spec = specOf(te)
					k.tools[te.id] = te
				}
				k.exts[m.ID] = x
				k.order = append(k.order, m.ID)
				k.rebuildCatalog()
			}
			k.mu.Unlock()
		}
	}
	k.write(ctx, systemActor, "", audit.KindExtension, map[string]any{"stage": "validate", "extension": id, "issues": issues, "ok": !manifest.HasErrors(issues)})
	if manifest.HasErrors(issues) {
		_ = k.audit.Sync(ctx)
		return issues, &manifest.IssuesError{Issues: issues}
	}
	tools := make([]string, 0, len(m.Tools))
	for _, t := range m.Tools {
		tools = append(tools, m.ID+"."+t.Name)
	}
	k.write(ctx, systemActor, "", audit.KindExtension, map[string]any{"stage": "register", "extension": id, "version": m.Version, "tools": tools})
	return issues, k.audit.Sync(ctx)
}

// Unload removes an extension and its tools.
func (k *Kernel) Unload(ctx context.Context, id string) error {
	k.mu.Lock()
	x, ok := k.exts[id]
	if ok {
		delete(k.exts, id)
		k.order = slices.DeleteFunc(k.order, func(s string) bool { return s == id })
		for tid, te := range k.tools {
			if te.ext == x {
				delete(k.tools, tid)
			}
		}
		k.rebuildCatalog()
	}
	k.mu.Unlock()
	if !ok {
		return Errf(session.CodeNotFound, "No extension %q is loaded.", id)
	}
	k.write(ctx, systemActor, "", audit.KindExtension, map[string]any{"stage": "unload", "extension": id})
	return k.audit.Sync(ctx)
}

func specOf(te *toolEntry) route.ToolSpec {
	t := te.b.Tool
	s := route.ToolSpec{ID: te.id, Extension: te.ext.m.ID, Name: t.Name, Description: t.Description,
		Examples: t.Examples, Keywords: t.Keywords, SafetyLevel: t.Level()}
	names := make([]string, 0, len(te.b.Schema.Properties))
	for n := range te.b.Schema.Properties {
		names = append(names, n)
	}
	order := te.b.Schema.PropertyOrder
	sort.SliceStable(names, func(i, j int) bool {
		return slices.Index(order, names[i]) < slices.Index(order, names[j])
	})
	for _, n := range names {
		ps := te.b.Schema.Properties[n]
		p := route.Param{Name: n, Type: ps.Type, Required: slices.Contains(te.b.Schema.Required, n), Description: ps.Description}
		for _, e := range ps.Enum {
			p.Enum = append(p.Enum, fmt.Sprint(e))
		}
		if a, ok := t.Params[n]; ok {
			p.Resource = a.Resource
		}
		s.Params = append(s.Params, p)
	}
	return s
}

// Catalog lists every registered tool, in load order then by name.
// The slice is shared: callers must not change it.
func (k *Kernel) Catalog() []route.ToolSpec {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.catalog
}

// rebuildCatalog recomputes the catalog after a load or an unload (held
// under k.mu), so that turns do not rebuild it.
func (k *Kernel) rebuildCatalog() {
	var out []route.ToolSpec
	for _, id := range k.order {
		x := k.exts[id]
		for _, t := range x.m.Tools {
			if te, ok := k.tools[session.ToolID(id+"."+t.Name)]; ok {
				out = append(out, te.spec)
			}
		}
	}
	k.catalog = out
}

func (k *Kernel) tool(id session.ToolID) (*toolEntry, bool) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	te, ok := k.tools[id]
	return te, ok
}

func (k *Kernel) extensions() []*extension {
	k.mu.RLock()
	defer k.mu.RUnlock()
	out := make([]*extension, 0, len(k.order))
	for _, id := range k.order {
		out = append(out, k.exts[id])
	}
	return out
}

// Seed initialises each loaded extension's state for a tenant from the
// world data (extension id → JSON), once per tenant and extension.
func (k *Kernel) Seed(ctx context.Context, tenant session.TenantID, world map[string]json.RawMessage) error {
	for _, x := range k.extensions() {
		if x.ext.Seed == nil {
			continue
		}
		first, err := k.st.MarkSeeded(ctx, x.m.ID, tenant, k.now())
		if err != nil {
			return fmt.Errorf("seed %s/%s: %w", tenant, x.m.ID, err)
		}
		if !first {
			continue
		}
		if err := x.ext.Seed(ctx, k.state(x.m.ID, tenant), world[x.m.ID]); err != nil {
			_ = k.st.UnmarkSeeded(ctx, x.m.ID, tenant)
			return fmt.Errorf("seed %s/%s: %w", tenant, x.m.ID, err)
		}
	}
	return nil
}

// resources collects a tenant's context (L3–L8) from every extension.
func (k *Kernel) resources(ctx context.Context, tenant session.TenantID) ([]route.Resource, error) {
	var out []route.Resource
	for _, x := range k.extensions() {
		if x.ext.Context == nil {
			continue
		}
		rs, err := x.ext.Context.Resources(ctx, tenant, k.state(x.m.ID, tenant))
		if err != nil {
			return nil, fmt.Errorf("context from %s: %w", x.m.ID, err)
		}
		for _, r := range rs {
			out = append(out, route.Resource{Extension: x.m.ID, Level: x.m.LevelOf(r.Kind), Resource: r})
		}
	}
	return out, nil
}

// ---- what an extension may touch ----

type extState struct {
	k      *Kernel
	ext    string
	tenant session.TenantID
}

func (k *Kernel) state(ext string, tenant session.TenantID) sdk.State {
	return &extState{k: k, ext: ext, tenant: tenant}
}

func (s *extState) Get(ctx context.Context, coll, key string, v any) (bool, error) {
	raw, ok, err := s.k.st.StateGet(ctx, s.ext, s.tenant, coll, key)
	if err != nil || !ok {
		return false, err
	}
	return true, json.Unmarshal(raw, v)
}

func (s *extState) Put(ctx context.Context, coll, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("state put %s/%s: %w", coll, key, err)
	}
	return s.k.st.StatePut(ctx, s.ext, s.tenant, coll, key, b)
}

func (s *extState) Delete(ctx context.Context, coll, key string) error {
	return s.k.st.StateDelete(ctx, s.ext, s.tenant, coll, key)
}

func (s *extState) List(ctx context.Context, coll string) ([]json.RawMessage, error) {
	return s.k.st.StateList(ctx, s.ext, s.tenant, coll)
}

type env struct {
	k      *Kernel
	x      *extension
	caller sdk.Caller
	turn   session.TurnID
	inv    *invocation // progress goes here
}

func (e *env) State() sdk.State { return e.k.state(e.x.m.ID, e.caller.Tenant) }

func (e *env) declared(scope string) bool { return slices.Contains(e.x.m.Scopes, scope) }

func (e *env) Directory() (sdk.Directory, error) {
	if !e.declared(sdk.ScopeDirectoryRead) {
		return nil, sdk.ErrScopeDenied
	}
	return dirView{e}, nil
}

func (e *env) Outbox() (sdk.Outbox, error) {
	if !e.declared(sdk.ScopeMessagesDeliver) {
		return nil, sdk.ErrScopeDenied
	}
	return outbox{e}, nil
}

func (e *env) Progress(percent int, message string) {
	if e.inv != nil {
		e.inv.progress(percent, message)
	}
}

type dirView struct{ e *env }

func (d dirView) Members(ctx context.Context) ([]sdk.Member, error) {
	as, err := d.e.k.dir.Members(ctx, d.e.caller.Tenant)
	if err != nil {
		return nil, err
	}
	out := make([]sdk.Member, len(as))
	for i, a := range as {
		out[i] = sdk.Member{ID: a.ID, Roles: a.Roles, Manager: a.Manager}
	}
	return out, nil
}

type outbox struct{ e *env }

func (o outbox) Deliver(ctx context.Context, n sdk.Note) (string, error) {
	if _, ok := o.e.k.dir.Lookup(ctx, o.e.caller.Tenant, n.To); !ok {
		return "", sdk.Errorf(sdk.CodeNotFound, "nobody called %q here", n.To)
	}
	id, err := o.e.k.st.DeliverNote(ctx, store.Note{Tenant: o.e.caller.Tenant, To: n.To, From: o.e.caller.Actor, Subject: n.Subject, Body: n.Body, At: o.e.k.now()})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("m-%d", id), nil
}

// Manifests returns the effective manifest of every loaded extension: as
// declared, with each tool's parameters (the handler's inferred schema with
// the manifest's annotations) and return shape filled in.
func (k *Kernel) Manifests() []manifest.Manifest {
	k.mu.RLock()
	defer k.mu.RUnlock()
	var out []manifest.Manifest
	for _, id := range k.order {
		x := k.exts[id]
		m := *x.m
		m.Tools = make([]manifest.Tool, len(x.m.Tools))
		for i, t := range x.m.Tools {
			if te, ok := k.tools[session.ToolID(id+"."+t.Name)]; ok {
				if b, err := json.Marshal(te.b.Schema); err == nil {
					t.Parameters = b
				}
				if len(t.Returns) == 0 && te.b.Returns != nil {
					if b, err := json.Marshal(te.b.Returns); err == nil {
						t.Returns = b
					}
				}
			}
			m.Tools[i] = t
		}
		out = append(out, m)
	}
	return out
}
