package kernel

import (
	"context"
	"encoding/json"

	"github.com/steward-os/steward/kernel/internal/authz"
	"github.com/steward-os/steward/kernel/internal/levels"
	"github.com/steward-os/steward/kernel/internal/registry"
	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// maxSurfaceFacts bounds the facts one Facts call returns.
const maxSurfaceFacts = 100

// surface is an actor's own tool surface and recent facts
// (session.Surface), for agents: the registry's catalog for the tenant,
// filtered by the actor's roles, and the actor's session ledger, masked.
type surface struct {
	reg    *registry.Registry
	az     *authz.Authz
	ledger store.Ledger
	mask   *levels.FactMasker
	unmask map[session.TenantID]bool
}

// Tools lists the tools the actor may call or propose: their tenant's,
// whose scopes their roles hold, within their ceiling (the actor re-read
// from the directory first, ISO-01).
func (s surface) Tools(ctx context.Context, a session.Actor) ([]session.ToolView, error) {
	a, err := s.az.Actor(ctx, a)
	if err != nil {
		return nil, err
	}
	out := []session.ToolView{}
	for _, spec := range s.reg.CatalogFor(a.Tenant) {
		t, ok := s.reg.Tool(spec.ID)
		if !ok || !s.az.Allowed(a, t) {
			continue
		}
		schema, err := json.Marshal(t.Bound.Schema)
		if err != nil {
			return nil, err
		}
		out = append(out, session.ToolView{ID: t.ID, Description: spec.Description, SafetyLevel: t.Level, Parameters: schema})
	}
	return out, nil
}

// Facts lists the actor's most recent facts (at most limit, capped at
// 100), masked as for a model unless the tenant opted out (AF-10).
func (s surface) Facts(ctx context.Context, a session.Actor, limit int) ([]session.Fact, error) {
	a, err := s.az.Actor(ctx, a)
	if err != nil {
		return nil, err
	}
	if limit <= 0 || limit > maxSurfaceFacts {
		limit = maxSurfaceFacts
	}
	fs, err := s.ledger.Recent(ctx, session.SessionFor(a), session.Cap{Count: limit, Bytes: 1 << 20})
	if err != nil {
		return nil, err
	}
	if !s.unmask[a.Tenant] {
		for i := range fs {
			fs[i] = s.mask.Mask(fs[i])
		}
	}
	return fs, nil
}
