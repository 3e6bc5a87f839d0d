// Package levels resolves one turn's ICNLI context, L0 to L8, in order
// (CTX-01): the platform, the actor, the account, the services the actor's
// role may use, their environments, applications and resources, and the
// relations inside one service (L7) and across services (L8). It also
// gives the recent facts of the session as a router may see them.
//
// Contract. Everything is filtered to the actor's tenant and role before
// any router, model or narrator sees it (CTX-05, CTX-07), and personal
// data is masked unless the tenant opted in to unmasked context (AF-10).
// It reads; it never changes anything.
package levels

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/steward-os/steward/kernel/internal/authz"
	"github.com/steward-os/steward/kernel/internal/redact"
	"github.com/steward-os/steward/kernel/internal/registry"
	"github.com/steward-os/steward/kernel/route"
	"github.com/steward-os/steward/sdk"
	"github.com/steward-os/steward/session"
)

// Levels is one turn's ICNLI context, resolved in order from L0 to L8.
type Levels struct {
	L0 map[string]any   `json:"L0"` // platform
	L1 session.Actor    `json:"L1"` // actor
	L2 map[string]any   `json:"L2"` // account: tenant, ceiling, quota, policy
	L3 []Service        `json:"L3"` // services: the extensions the actor may use
	L4 []route.Resource `json:"L4"` // environments
	L5 []route.Resource `json:"L5"` // applications
	L6 []route.Resource `json:"L6"` // resources
	L7 []Edge           `json:"L7"` // relationships inside one service
	L8 []Edge           `json:"L8"` // interconnections across services
	// Order lists the levels as they were resolved.
	Order []string `json:"order"`
	// Key identifies L3–L8: two turns with the same Key saw the same
	// services and resources (the tenant, its state version and what the
	// actor's roles may see), so a router may key its caches on it.
	Key string `json:"-"`

	resources []route.Resource // L4–L6 in one slice, shared read-only
}

// Service is an L3 entry.
type Service struct {
	Extension   string `json:"extension"`
	Description string `json:"description"`
}

// Edge is an L7/L8 relation between two resources.
type Edge struct {
	FromKind string `json:"from_kind"`
	From     string `json:"from"`
	Type     string `json:"type"`
	ToKind   string `json:"to_kind"`
	To       string `json:"to"`
	Inferred bool   `json:"inferred,omitempty"`
}

// Policy is what L2 reports of a tenant's settings.
type Policy struct {
	ConfirmLevel1 map[session.TenantID]bool
	UnmaskPII     map[session.TenantID]bool
}

// Resolver resolves context levels.
type Resolver struct {
	cache   levelsCache
	reg     *registry.Registry
	az      *authz.Authz
	quotas  *authz.Quotas
	mask    *redact.Masker
	policy  Policy
	now     func() time.Time
	version string
	level   int
}

// New returns a Resolver. version and level are the kernel's, shown in L0.
func New(reg *registry.Registry, az *authz.Authz, quotas *authz.Quotas, mask *redact.Masker, policy Policy, now func() time.Time, version string, level int) *Resolver {
	return &Resolver{reg: reg, az: az, quotas: quotas, mask: mask, policy: policy, now: now, version: version, level: level}
}

// Unmasked reports whether the tenant opted in to unmasked context.
func (r *Resolver) Unmasked(t session.TenantID) bool { return r.policy.UnmaskPII[t] }

// Resolve resolves L0…L8 for a turn. L3–L6 come from the context
// providers of the extensions the actor's role may use (CTX-05), L7–L8
// from their relations; a relation to another service's resource, or a
// mention of one in an attribute, is an interconnection (L8).
func (r *Resolver) Resolve(ctx context.Context, a session.Actor, channel session.ChannelID) (*Levels, error) {
	lv := &Levels{}
	lv.L0 = map[string]any{"kernel": r.version, "conformance_level": r.level, "channel": channel, "time": r.now().UTC()}
	lv.L1 = a
	lv.L2 = map[string]any{"tenant": a.Tenant, "roles": a.Roles, "ceiling": r.az.Ceiling(a), "turns_per_minute": r.quotas.PerMinute(a.Tenant),
		"confirm_level1": r.policy.ConfirmLevel1[a.Tenant], "unmask_pii": r.policy.UnmaskPII[a.Tenant]}
	lv.Order = append(lv.Order, "L0", "L1", "L2")
	var ids []string
	for _, x := range r.reg.Extensions() {
		if r.az.Visible(a, x) {
			ids = append(ids, x.ID())
		}
	}
	vs, err := r.reg.Versions(ctx, a.Tenant)
	if err != nil {
		return nil, fmt.Errorf("context: %w", err)
	}
	var kb strings.Builder
	kb.WriteString("levels:" + string(a.Tenant))
	for _, id := range ids {
		fmt.Fprintf(&kb, "/%s@%d", id, vs[id])
	}
	key := kb.String()
	services, ok := r.cache.get(key)
	if !ok {
		if services, err = r.services(ctx, a, ids, vs, key); err != nil {
			return nil, err
		}
		r.cache.put(key, services)
	}
	services.into(lv)
	return lv, nil
}

// services resolves L3–L8 of what the actor may see.
func (r *Resolver) services(ctx context.Context, a session.Actor, ids []string, vs registry.Versions, key string) (*Levels, error) {
	lv := &Levels{Key: key}
	for _, x := range r.reg.Extensions() {
		if slices.Contains(ids, x.ID()) {
			lv.L3 = append(lv.L3, Service{Extension: x.ID(), Description: x.Manifest.Description})
		}
	}
	lv.Order = append(lv.Order, "L3")
	var all []route.Resource
	for _, x := range r.reg.Extensions() {
		if !slices.Contains(ids, x.ID()) {
			continue
		}
		rs, err := r.masked(ctx, a.Tenant, x, vs[x.ID()])
		if err != nil {
			return nil, fmt.Errorf("context: %w", err)
		}
		all = append(all, rs...)
	}
	lv.place(all)
	lv.resources = slices.Concat(lv.L4, lv.L5, lv.L6)
	return lv, nil
}

// into gives a turn's Levels the resolved services (shared, read-only).
func (s *Levels) into(lv *Levels) {
	lv.L3, lv.L4, lv.L5, lv.L6, lv.L7, lv.L8 = s.L3, s.L4, s.L5, s.L6, s.L7, s.L8
	lv.Order = append(lv.Order, s.Order...)
	lv.Key, lv.resources = s.Key, s.resources
}

// place sorts resources into L4–L6 and their relations into L7–L8.
func (lv *Levels) place(all []route.Resource) {
	for _, r := range all {
		switch r.Level {
		case "L4":
			lv.L4 = append(lv.L4, r)
		case "L5":
			lv.L5 = append(lv.L5, r)
		case "L6":
			lv.L6 = append(lv.L6, r)
		}
	}
	lv.Order = append(lv.Order, "L4", "L5", "L6")
	owner := make(map[[2]string]string, len(all)) // (kind, id) → extension
	for _, r := range all {
		owner[[2]string{r.Kind, r.ID}] = r.Extension
	}
	var l8 []Edge
	for _, r := range all {
		for _, rel := range r.Relations {
			e := Edge{FromKind: r.Kind, From: r.ID, Type: rel.Type, ToKind: rel.Kind, To: rel.ID}
			if o, ok := owner[[2]string{rel.Kind, rel.ID}]; ok && o != r.Extension {
				l8 = append(l8, e)
			} else {
				lv.L7 = append(lv.L7, e)
			}
		}
	}
	lv.Order = append(lv.Order, "L7")
	lv.L8 = append(l8, mentions(all)...)
	lv.Order = append(lv.Order, "L8")
}

// mentions infers interconnections: an attribute of one service's resource
// that names another service's resource ("Patch staging-1"). It reads each
// attribute once, looking its words up in an index of the ids that can be
// mentioned, so its cost grows with the context's size, not its square.
func mentions(all []route.Resource) []Edge {
	byWord := make(map[string][]int, len(all)) // an id made of id characters → resources
	var other []int                            // ids with other characters ("api.acme.test")
	for i, o := range all {
		if len(o.ID) < 3 || !strings.ContainsAny(o.ID, "-.0123456789") {
			continue
		}
		if strings.IndexFunc(o.ID, func(c rune) bool { return c > 0x7f || !isIDChar(byte(c)) }) < 0 {
			byWord[o.ID] = append(byWord[o.ID], i)
		} else {
			other = append(other, i)
		}
	}
	var out []Edge
	for _, r := range all {
		for _, v := range r.Attrs {
			var hits []int
			for _, w := range idWords(v) {
				hits = append(hits, byWord[w]...)
			}
			for _, i := range other {
				if containsWord(v, all[i].ID) {
					hits = append(hits, i)
				}
			}
			slices.Sort(hits) // in the context's order, each once
			for _, i := range slices.Compact(hits) {
				if o := all[i]; o.Extension != r.Extension {
					out = append(out, Edge{FromKind: r.Kind, From: r.ID, Type: "mentions", ToKind: o.Kind, To: o.ID, Inferred: true})
				}
			}
		}
	}
	return out
}

// idWords splits text into its runs of id characters.
func idWords(s string) []string {
	var out []string
	start := -1
	for i := 0; i <= len(s); i++ {
		if i < len(s) && isIDChar(s[i]) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			out = append(out, s[start:i])
			start = -1
		}
	}
	return out
}

func containsWord(s, w string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], w)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(w)
		before := start == 0 || !isIDChar(s[start-1])
		after := end == len(s) || !isIDChar(s[end])
		if before && after {
			return true
		}
		i = start + 1
	}
}

func isIDChar(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_'
}

// Resources flattens L4–L6 for routers (shared: callers must not change
// it).
func (lv *Levels) Resources() []route.Resource {
	if lv.resources == nil {
		return slices.Concat(lv.L4, lv.L5, lv.L6)
	}
	return lv.resources
}

// Summary is what the audit trail records of the context.
func (lv *Levels) Summary(members, facts int) map[string]any {
	return map[string]any{
		"order": lv.Order, "L0": lv.L0, "L1": map[string]any{"actor": lv.L1.ID, "roles": lv.L1.Roles}, "L2": lv.L2,
		"L3": len(lv.L3), "L4": len(lv.L4), "L5": len(lv.L5), "L6": len(lv.L6), "L7": len(lv.L7), "L8": len(lv.L8),
		"members": members, "facts": facts,
	}
}

// masked is one extension's resources in a tenant at a state version, as
// routers may see them (maskResource), kept until the version moves.
func (r *Resolver) masked(ctx context.Context, tenant session.TenantID, x *registry.Extension, version int64) ([]route.Resource, error) {
	key := fmt.Sprintf("masked:%s/%s@%d", tenant, x.ID(), version)
	if p, ok := r.cache.get(key); ok {
		return p.resources, nil
	}
	rs, err := r.reg.ExtResources(ctx, x, tenant, version)
	if err != nil {
		return nil, err
	}
	out := make([]route.Resource, len(rs))
	for i, res := range rs {
		out[i] = res
		out[i].Resource = r.maskResource(tenant, res.Resource)
	}
	r.cache.put(key, &Levels{resources: out})
	return out, nil
}

// maskResource masks personal data in a resource's attributes unless the
// tenant opted in to unmasked context (AF-10).
func (r *Resolver) maskResource(tenant session.TenantID, res sdk.Resource) sdk.Resource {
	if r.policy.UnmaskPII[tenant] || len(res.Attrs) == 0 {
		return res
	}
	attrs := make(map[string]string, len(res.Attrs))
	for key, v := range res.Attrs {
		if r.mask.MaskedField(key) {
			attrs[key] = "<masked>"
			continue
		}
		attrs[key] = r.mask.String(v)
	}
	res.Attrs = attrs
	return res
}
