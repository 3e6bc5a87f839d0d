package kernel

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/steward-os/steward/kernel/route"
	"github.com/steward-os/steward/sdk"
	"github.com/steward-os/steward/session"
)

// Levels is one turn's ICNLI context, resolved in order from L0 to L8
// (CTX-01) and filtered to the actor's tenant and role (CTX-07) before any
// router, model or narrator sees it.
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

// visible reports whether the actor may use any tool of the extension
// (the role filter for context).
func (k *Kernel) visible(a session.Actor, x *extension) bool {
	for _, t := range x.m.Tools {
		ok := len(t.Scopes) > 0
		for _, sc := range t.Scopes {
			if !k.holdsScope(a, sc) {
				ok = false
			}
		}
		if ok && t.Level() <= k.ceiling(a) {
			return true
		}
	}
	return false
}

// resolveContext resolves L0…L8 for a turn. L3–L6 come from the context
// providers of the extensions the actor's role may use (CTX-05), L7–L8
// from their relations; a relation to another service's resource, or a
// mention of one in an attribute, is an interconnection (L8).
func (k *Kernel) resolveContext(ctx context.Context, a session.Actor, channel session.ChannelID) (*Levels, error) {
	lv := &Levels{}
	lv.L0 = map[string]any{"kernel": Version, "conformance_level": ConformanceLevel, "channel": channel, "time": k.now().UTC()}
	lv.Order = append(lv.Order, "L0")
	lv.L1 = a
	lv.Order = append(lv.Order, "L1")
	lv.L2 = map[string]any{"tenant": a.Tenant, "roles": a.Roles, "ceiling": k.ceiling(a), "turns_per_minute": k.quota(a.Tenant),
		"confirm_level1": k.cfg.ConfirmLevel1[a.Tenant], "unmask_pii": k.cfg.UnmaskPII[a.Tenant]}
	lv.Order = append(lv.Order, "L2")
	var vis []*extension
	for _, x := range k.extensions() {
		if k.visible(a, x) {
			vis = append(vis, x)
			lv.L3 = append(lv.L3, Service{Extension: x.m.ID, Description: x.m.Description})
		}
	}
	lv.Order = append(lv.Order, "L3")
	var all []route.Resource
	owner := map[[2]string]string{} // (kind, id) → extension
	for _, x := range vis {
		if x.ext.Context == nil {
			continue
		}
		rs, err := x.ext.Context.Resources(ctx, a.Tenant, k.state(x.m.ID, a.Tenant))
		if err != nil {
			return nil, fmt.Errorf("context from %s: %w", x.m.ID, err)
		}
		for _, r := range rs {
			rr := route.Resource{Extension: x.m.ID, Level: x.m.LevelOf(r.Kind), Resource: k.maskResource(a, r)}
			all = append(all, rr)
			owner[[2]string{r.Kind, r.ID}] = x.m.ID
		}
	}
	for _, lvl := range []string{"L4", "L5", "L6"} {
		for _, r := range all {
			if r.Level == lvl {
				switch lvl {
				case "L4":
					lv.L4 = append(lv.L4, r)
				case "L5":
					lv.L5 = append(lv.L5, r)
				default:
					lv.L6 = append(lv.L6, r)
				}
			}
		}
		lv.Order = append(lv.Order, lvl)
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
	l8 = append(l8, mentions(all)...)
	lv.L8 = l8
	lv.Order = append(lv.Order, "L8")
	return lv, nil
}

// mentions infers interconnections: an attribute of one service's resource
// that names another service's resource ("Patch staging-1").
func mentions(all []route.Resource) []Edge {
	var out []Edge
	for _, r := range all {
		for _, v := range r.Attrs {
			for _, o := range all {
				if o.Extension == r.Extension || len(o.ID) < 3 || !strings.ContainsAny(o.ID, "-.0123456789") {
					continue
				}
				if containsWord(v, o.ID) {
					out = append(out, Edge{FromKind: r.Kind, From: r.ID, Type: "mentions", ToKind: o.Kind, To: o.ID, Inferred: true})
				}
			}
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

// Resources flattens L4–L6 for routers.
func (lv *Levels) Resources() []route.Resource {
	return slices.Concat(lv.L4, lv.L5, lv.L6)
}

// Summary is what the audit trail records of the context.
func (lv *Levels) Summary(members, facts int) map[string]any {
	return map[string]any{
		"order": lv.Order, "L0": lv.L0, "L1": map[string]any{"actor": lv.L1.ID, "roles": lv.L1.Roles}, "L2": lv.L2,
		"L3": len(lv.L3), "L4": len(lv.L4), "L5": len(lv.L5), "L6": len(lv.L6), "L7": len(lv.L7), "L8": len(lv.L8),
		"members": members, "facts": facts,
	}
}

// maskResource masks personal data in a resource's attributes unless the
// tenant opted in to unmasked context (AF-10).
func (k *Kernel) maskResource(a session.Actor, r sdk.Resource) sdk.Resource {
	if k.cfg.UnmaskPII[a.Tenant] || len(r.Attrs) == 0 {
		return r
	}
	attrs := make(map[string]string, len(r.Attrs))
	for key, v := range r.Attrs {
		if k.mask.MaskedField(key) {
			attrs[key] = "<masked>"
			continue
		}
		attrs[key] = k.mask.String(v)
	}
	r.Attrs = attrs
	return r
}
