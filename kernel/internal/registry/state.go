package registry

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/steward-os/steward/kernel/route"
	"github.com/steward-os/steward/sdk"
	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// Seed initialises each loaded extension's state for a tenant from the
// world data (extension id → JSON), once per tenant and extension.
func (r *Registry) Seed(ctx context.Context, tenant session.TenantID, world map[string]json.RawMessage) error {
	for _, x := range r.Extensions() {
		if x.Ext.Seed == nil {
			continue
		}
		first, err := r.st.MarkSeeded(ctx, x.ID(), tenant, r.now())
		if err != nil {
			return fmt.Errorf("seed %s/%s: %w", tenant, x.ID(), err)
		}
		if !first {
			continue
		}
		if err := x.Ext.Seed(ctx, r.State(x.ID(), tenant), world[x.ID()]); err != nil {
			_ = r.st.UnmarkSeeded(ctx, x.ID(), tenant)
			return fmt.Errorf("seed %s/%s: %w", tenant, x.ID(), err)
		}
	}
	return nil
}

// Resources collects a tenant's context (L3–L8) from every extension, or
// from the extensions keep allows (nil: all).
func (r *Registry) Resources(ctx context.Context, tenant session.TenantID, keep func(*Extension) bool) ([]route.Resource, error) {
	var out []route.Resource
	for _, x := range r.Extensions() {
		if x.Ext.Context == nil || (keep != nil && !keep(x)) {
			continue
		}
		rs, err := x.Ext.Context.Resources(ctx, tenant, r.State(x.ID(), tenant))
		if err != nil {
			return nil, fmt.Errorf("context from %s: %w", x.ID(), err)
		}
		for _, res := range rs {
			out = append(out, route.Resource{Extension: x.ID(), Level: x.Manifest.LevelOf(res.Kind), Resource: res})
		}
	}
	return out, nil
}

// State is one extension's state in one tenant.
func (r *Registry) State(ext string, tenant session.TenantID) sdk.State {
	return &extState{st: r.st, ext: ext, tenant: tenant}
}

type extState struct {
	st     store.ExtState
	ext    string
	tenant session.TenantID
}

func (s *extState) Get(ctx context.Context, coll, key string, v any) (bool, error) {
	raw, ok, err := s.st.StateGet(ctx, s.ext, s.tenant, coll, key)
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
	return s.st.StatePut(ctx, s.ext, s.tenant, coll, key, b)
}

func (s *extState) Delete(ctx context.Context, coll, key string) error {
	return s.st.StateDelete(ctx, s.ext, s.tenant, coll, key)
}

func (s *extState) List(ctx context.Context, coll string) ([]json.RawMessage, error) {
	return s.st.StateList(ctx, s.ext, s.tenant, coll)
}
