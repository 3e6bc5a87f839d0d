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
		if x.Ext.Seed == nil || !x.Serves(tenant) {
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

// Versions are the state versions of the tenant's extensions, by id
// (store.ExtState.StateVersions): what was read of an extension's state
// at one version is current while it stays the same.
func (r *Registry) Versions(ctx context.Context, tenant session.TenantID) (Versions, error) {
	vs, err := r.st.StateVersions(ctx, tenant)
	if err != nil {
		return nil, fmt.Errorf("state versions: %w", err)
	}
	out := make(Versions, len(vs))
	for _, v := range vs {
		out[v.Ext] = v.Version
	}
	return out, nil
}

// Versions are extension state versions by extension id (absent: 0).
type Versions map[string]int64

// Resources collects a tenant's context (L3–L8) from every extension, or
// from the extensions keep allows (nil: all). An extension's resources
// are asked for once per state version of the tenant and then served from
// memory (a context provider depends on the tenant's state alone). The
// slice is the caller's; the resources in it are shared and read-only.
func (r *Registry) Resources(ctx context.Context, tenant session.TenantID, keep func(*Extension) bool) ([]route.Resource, error) {
	vs, err := r.Versions(ctx, tenant)
	if err != nil {
		return nil, fmt.Errorf("context: %w", err)
	}
	var out []route.Resource
	for _, x := range r.Extensions() {
		if (keep != nil && !keep(x)) || !x.Serves(tenant) {
			continue
		}
		rs, err := r.ExtResources(ctx, x, tenant, vs[x.ID()])
		if err != nil {
			return nil, err
		}
		out = append(out, rs...)
	}
	return out, nil
}

// ExtResources is one extension's context in a tenant at a version of its
// state (nil for an extension without a context provider); shared and
// read-only.
func (r *Registry) ExtResources(ctx context.Context, x *Extension, tenant session.TenantID, version int64) ([]route.Resource, error) {
	if x.Ext.Context == nil {
		return nil, nil
	}
	key := resourceKey{ext: x.ID(), tenant: tenant}
	if rs, ok := r.cache.get(key, version); ok {
		return rs, nil
	}
	rs, err := x.Ext.Context.Resources(ctx, tenant, r.State(x.ID(), tenant))
	if err != nil {
		return nil, fmt.Errorf("context from %s: %w", x.ID(), err)
	}
	out := make([]route.Resource, len(rs))
	for i, res := range rs {
		out[i] = route.Resource{Extension: x.ID(), Level: x.Manifest.LevelOf(res.Kind), Resource: res}
	}
	r.cache.put(key, version, out)
	return out, nil
}

// State is one extension's state in one tenant.
func (r *Registry) State(ext string, tenant session.TenantID) sdk.State {
	return &extState{st: r.st, ext: ext, tenant: tenant, limit: r.stateLimit}
}

type extState struct {
	st     store.ExtState
	ext    string
	tenant session.TenantID
	limit  int // values the extension may hold in the tenant (0: no limit)
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
	if err := s.room(ctx, coll, key); err != nil {
		return err
	}
	return s.st.StatePut(ctx, s.ext, s.tenant, coll, key, b)
}

// room refuses a new value when the extension already holds its quota of
// values in the tenant (an existing value may always be replaced). Of
// concurrent puts near the limit a few may pass it: the quota bounds
// growth, it is not a ledger.
func (s *extState) room(ctx context.Context, coll, key string) error {
	if s.limit <= 0 {
		return nil
	}
	vs, err := s.st.StateVersions(ctx, s.tenant)
	if err != nil {
		return fmt.Errorf("state quota: %w", err)
	}
	for _, v := range vs {
		if v.Ext != s.ext || v.Values < int64(s.limit) {
			continue
		}
		if _, exists, err := s.st.StateGet(ctx, s.ext, s.tenant, coll, key); err != nil || exists {
			return err
		}
		return sdk.Errorf(sdk.CodeQuotaExceeded, "%s already holds %d items for this organisation, its limit; remove some before adding more", s.ext, s.limit)
	}
	return nil
}

func (s *extState) Delete(ctx context.Context, coll, key string) error {
	return s.st.StateDelete(ctx, s.ext, s.tenant, coll, key)
}

func (s *extState) List(ctx context.Context, coll string) ([]json.RawMessage, error) {
	return s.st.StateList(ctx, s.ext, s.tenant, coll)
}
