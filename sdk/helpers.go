package sdk

// Helpers that most Go extensions need. Each one is a small convenience
// over the contract in sdk.go; none is required, and none reaches anything
// but the State, Env and data it is given.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
)

// TenantLocks serialises an extension's work per tenant within one process.
// State has no transactions, so a handler that reads, changes and writes a
// tenant's state runs holding that tenant's lock ([Locked] binds a tool that
// way). The zero value is ready to use; it must not be copied after first
// use.
type TenantLocks struct {
	m sync.Map // TenantID → *sync.Mutex
}

// Lock locks the tenant's mutex and returns the function that unlocks it.
func (l *TenantLocks) Lock(t TenantID) (unlock func()) {
	m, _ := l.m.LoadOrStore(t, new(sync.Mutex))
	mu := m.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}

// Locked wraps a tool function so that it runs holding its caller's tenant
// lock from l, as in Tool("restart_server", Locked(&x.locks, x.restart)).
func Locked[P, R any](l *TenantLocks, fn func(ctx context.Context, c Call[P]) (R, error)) func(ctx context.Context, c Call[P]) (R, error) {
	return func(ctx context.Context, c Call[P]) (R, error) {
		defer l.Lock(c.Caller.Tenant)()
		return fn(ctx, c)
	}
}

// FindMember looks a person up in the caller's tenant through env's
// Directory (scope directory:read): the member whose id is name, ignoring
// case. ok is false when there is none; err is the Directory's own error
// ([ErrScopeDenied] without the scope).
func FindMember(ctx context.Context, env Env, name string) (m Member, ok bool, err error) {
	dir, err := env.Directory()
	if err != nil {
		return Member{}, false, err
	}
	members, err := dir.Members(ctx)
	if err != nil {
		return Member{}, false, err
	}
	for _, m := range members {
		if strings.EqualFold(string(m.ID), name) {
			return m, true, nil
		}
	}
	return Member{}, false, nil
}

// DecodeSeed decodes the data an [Extension]'s Seed receives (its section of
// the world file) strictly into v: a key that names no field of v is an
// error, as it is in manifests and the configuration. Empty data and null
// leave v as it is.
func DecodeSeed(data json.RawMessage, v any) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// The seed marker SeedOnce keeps in a tenant's State.
const (
	seedCollection = "meta"
	seedKey        = "seeded"
)

// SeedOnce builds an [Extension] Seed that decodes its data with
// [DecodeSeed] into a T and hands it to seed, once per tenant: when seed
// succeeds it stores a marker in the tenant's State (collection "meta", key
// "seeded"), and a State that carries the marker is left alone, whatever the
// data. An extension that uses SeedOnce must not write that key itself.
// Errors of seed are returned as they are.
func SeedOnce[T any](seed func(ctx context.Context, st State, d T) error) func(ctx context.Context, st State, data json.RawMessage) error {
	return func(ctx context.Context, st State, data json.RawMessage) error {
		var done bool
		if ok, err := st.Get(ctx, seedCollection, seedKey, &done); err != nil {
			return fmt.Errorf("seed marker: %w", err)
		} else if ok && done {
			return nil
		}
		var d T
		if err := DecodeSeed(data, &d); err != nil {
			return fmt.Errorf("world section: %w", err)
		}
		if err := seed(ctx, st, d); err != nil {
			return err
		}
		if err := st.Put(ctx, seedCollection, seedKey, true); err != nil {
			return fmt.Errorf("seed marker: %w", err)
		}
		return nil
	}
}
