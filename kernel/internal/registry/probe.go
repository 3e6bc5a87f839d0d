package registry

import (
	"slices"

	"github.com/steward-os/steward/kernel/route"
	"github.com/steward-os/steward/session"
)

// ProbesFor lists the probes of the extensions that serve the tenant, as
// the level-0 tools they are dispatched as. They are not in the catalog:
// routers never see them, and only a structured call names one.
func (r *Registry) ProbesFor(tenant session.TenantID) []route.ToolSpec {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []route.ToolSpec
	for _, id := range r.order {
		x := r.exts[id]
		if !x.Serves(tenant) {
			continue
		}
		for _, p := range x.Manifest.Probes {
			if te, ok := r.tools[session.ToolID(id+"."+p.Name)]; ok {
				out = append(out, te.Spec)
			}
		}
	}
	return out
}

// Callable is the surface a structured call is checked against: the
// tenant's catalog and its probes.
func (r *Registry) Callable(tenant session.TenantID) []route.ToolSpec {
	cat := r.CatalogFor(tenant)
	probes := r.ProbesFor(tenant)
	if len(probes) == 0 {
		return cat
	}
	return append(slices.Clip(cat), probes...)
}
