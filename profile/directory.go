package profile

import (
	"context"
	"slices"

	"github.com/steward-os/steward/session"
)

// ProbeDirectory is a directory that also knows each tenant's probe actor
// (cfg.Actor with cfg.Roles), so that the kernel re-reads it like any
// actor (ISO-01) when a probe runs. The probe actor is not a member: it
// is left out of Members and has no credential, so no one can sign in
// as it and no extension lists it.
func ProbeDirectory(d session.Directory, cfg Config) session.Directory {
	cfg = cfg.WithDefaults()
	if !*cfg.Enabled {
		return d
	}
	return probeDirectory{Directory: d, id: session.ActorID(cfg.Actor), roles: slices.Clone(cfg.Roles)}
}

type probeDirectory struct {
	session.Directory
	id    session.ActorID
	roles []string
}

// Lookup finds the probe actor in every tenant of the directory; a
// configured person of that id wins.
func (p probeDirectory) Lookup(ctx context.Context, tenant session.TenantID, id session.ActorID) (session.Actor, bool) {
	if a, ok := p.Directory.Lookup(ctx, tenant, id); ok || id != p.id {
		return a, ok
	}
	if !slices.Contains(p.Directory.Tenants(ctx), tenant) {
		return session.Actor{}, false
	}
	return session.Actor{ID: p.id, Tenant: tenant, Roles: slices.Clone(p.roles)}, true
}
