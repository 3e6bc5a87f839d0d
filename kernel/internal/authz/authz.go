// Package authz decides who may do what: the role's scopes and safety
// ceiling (SAFE-09), the tenant boundary for every resource a call names
// (ISO-02), and the per-actor turn quota (L2).
//
// Contract. Every refusal is audited with its stable code; a resource of
// another tenant is refused exactly like one that does not exist and is
// recorded in both tenants. Scopes fail closed: a role without a matching
// scope may not call the tool. Nothing here runs a tool.
package authz

import (
	"context"
	"fmt"
	"strings"

	"github.com/steward-os/steward/kernel/audit"
	"github.com/steward-os/steward/kernel/internal/kit"
	"github.com/steward-os/steward/kernel/internal/registry"
	"github.com/steward-os/steward/kernel/route"
	"github.com/steward-os/steward/session"
)

// Role is what a role may do (session.Role).
type Role = session.Role

// Authz authorizes tool calls.
type Authz struct {
	roles map[string]Role
	reg   *registry.Registry
	dir   session.Directory
	rec   *kit.Recorder
}

// New returns an Authz over the roles.
func New(roles map[string]Role, reg *registry.Registry, dir session.Directory, rec *kit.Recorder) *Authz {
	return &Authz{roles: roles, reg: reg, dir: dir, rec: rec}
}

// scopeMatches reports whether a held scope pattern grants a needed scope.
func scopeMatches(held, need string) bool {
	if held == "*" || held == need {
		return true
	}
	ha, hv, _ := strings.Cut(held, ":")
	na, nv, _ := strings.Cut(need, ":")
	return (ha == "*" || ha == na) && (hv == "*" || hv == nv)
}

// Ceiling is the actor's best safety ceiling (-1 with no known role).
func (z *Authz) Ceiling(a session.Actor) int {
	c := -1
	for _, r := range a.Roles {
		if role, ok := z.roles[r]; ok && role.Ceiling > c {
			c = role.Ceiling
		}
	}
	return c
}

// HoldsScope reports whether one of the actor's roles grants the scope.
func (z *Authz) HoldsScope(a session.Actor, need string) bool {
	for _, r := range a.Roles {
		for _, h := range z.roles[r].Scopes {
			if scopeMatches(h, need) {
				return true
			}
		}
	}
	return false
}

// Visible reports whether the actor may use any tool of the extension
// (the role filter for context).
func (z *Authz) Visible(a session.Actor, x *registry.Extension) bool {
	if !x.Serves(a.Tenant) {
		return false
	}
	for _, t := range x.Manifest.Tools {
		ok := len(t.Scopes) > 0
		for _, sc := range t.Scopes {
			if !z.HoldsScope(a, sc) {
				ok = false
			}
		}
		if ok && t.Level() <= z.Ceiling(a) {
			return true
		}
	}
	return false
}

// Allowed reports whether the actor may call or propose the tool: its
// extension serves the actor's tenant, the actor's roles hold every scope
// it needs, and its level is within the ceiling (Role without the audit,
// to list an actor's surface).
func (z *Authz) Allowed(a session.Actor, t *registry.Tool) bool {
	if !t.Ext.Serves(a.Tenant) || len(t.Decl().Scopes) == 0 || t.Level > z.Ceiling(a) {
		return false
	}
	for _, sc := range t.Decl().Scopes {
		if !z.HoldsScope(a, sc) {
			return false
		}
	}
	return true
}

// Role checks the actor's tenant, scopes and role safety ceiling for a
// tool (SAFE-09); every refusal is audited.
func (z *Authz) Role(ctx context.Context, a session.Actor, turn session.TurnID, t *registry.Tool) error {
	deny := func(code, reason string, e *kit.Error) error {
		z.rec.Note(ctx, a, turn, audit.KindDenied, map[string]any{"tool": t.ID, "code": code, "reason": reason, "roles": a.Roles})
		return e
	}
	if !t.Ext.Serves(a.Tenant) { // as if it did not exist (ISO-02)
		return deny(session.CodeUnknownTool, "extension does not serve the tenant", kit.Errf(session.CodeUnknownTool, "There is no tool %s.", t.ID))
	}
	roles := strings.Join(a.Roles, ", ")
	for _, sc := range t.Decl().Scopes {
		if !z.HoldsScope(a, sc) {
			return deny(session.CodeForbidden, "scope "+sc, kit.Errf(session.CodeForbidden, "Your role (%s) does not allow %s.", roles, t.ID))
		}
	}
	if c := z.Ceiling(a); t.Level > c {
		return deny(session.CodeSafetyCeiling, fmt.Sprintf("level %d above ceiling %d", t.Level, c),
			kit.Errf(session.CodeSafetyCeiling, "%s is a level-%d action; your role (%s) may go up to level %d. Ask someone with a higher role.", t.ID, t.Level, roles, max(c, 0)))
	}
	return nil
}

// Call checks tenant, scopes and the role's safety ceiling, and that every
// resource named in the arguments belongs to the actor's tenant; it
// audits the authorization or the refusal.
func (z *Authz) Call(ctx context.Context, a session.Actor, turn session.TurnID, t *registry.Tool, args map[string]any, resources []route.Resource) error {
	if err := z.Role(ctx, a, turn, t); err != nil {
		return err
	}
	for _, p := range t.Spec.Params {
		v, ok := args[p.Name].(string)
		if p.Resource == "" || !ok || v == "" || z.inTenant(ctx, a, p.Resource, v, resources) {
			continue
		}
		if owner := z.ownerElsewhere(ctx, a.Tenant, p.Resource, v); owner != "" {
			// ISO-02: refused at the boundary and audited, in both tenants;
			// the answer is the same as for something that does not exist.
			z.rec.CrossTenant(ctx, a, owner, turn, map[string]any{"tool": t.ID, "param": p.Name, "kind": p.Resource, "id": v})
		} else {
			z.rec.Note(ctx, a, turn, audit.KindDenied, map[string]any{"tool": t.ID, "code": session.CodeNotFound, "param": p.Name, "kind": p.Resource, "id": v})
		}
		return kit.Errf(session.CodeNotFound, "I can't find a %s called %q.", p.Resource, v)
	}
	z.rec.Note(ctx, a, turn, audit.KindAuthorized, map[string]any{"tool": t.ID, "level": t.Level, "roles": a.Roles})
	return nil
}

const personKind = "person"

func (z *Authz) inTenant(ctx context.Context, a session.Actor, kind, id string, resources []route.Resource) bool {
	if kind == personKind {
		_, ok := z.dir.Lookup(ctx, a.Tenant, session.ActorID(id))
		return ok
	}
	for _, r := range resources {
		if r.Kind == kind && r.ID == id {
			return true
		}
	}
	return false
}

// ownerElsewhere returns another tenant that has the resource, if any.
func (z *Authz) ownerElsewhere(ctx context.Context, self session.TenantID, kind, id string) session.TenantID {
	for _, t := range z.dir.Tenants(ctx) {
		if t == self {
			continue
		}
		if kind == personKind {
			if _, ok := z.dir.Lookup(ctx, t, session.ActorID(id)); ok {
				return t
			}
			continue
		}
		rs, err := z.reg.Resources(ctx, t, nil)
		if err != nil {
			continue
		}
		for _, r := range rs {
			if r.Kind == kind && r.ID == id {
				return t
			}
		}
	}
	return ""
}

// Actor re-reads the actor from the directory: the channel says who
// authenticated; the directory says what they may do (ISO-01).
func (z *Authz) Actor(ctx context.Context, a session.Actor) (session.Actor, error) {
	cur, ok := z.dir.Lookup(ctx, a.Tenant, a.ID)
	if !ok {
		return a, kit.Errf(session.CodeUnauthenticated, "Your account is not known here.")
	}
	return cur, nil
}
