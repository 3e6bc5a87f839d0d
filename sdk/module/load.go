package module

import (
	"context"
	"errors"
	"fmt"

	"github.com/steward-os/steward/internal/strict"
)

// Decode makes a module value of a registered type from its
// configuration block (a decoded YAML or JSON value: maps, slices and
// scalars; nil for no block): strict decoding into a new value, then its
// Validate. It does no I/O, so a configuration can be checked without
// starting anything. Errors are the stage's own (a decoding problem names
// its path inside the block); the caller says which block they are about.
func Decode(id ID, block any) (Module, error) {
	info, ok := Lookup(id)
	if !ok {
		return nil, fmt.Errorf("module %s is not available in this build", id)
	}
	m := info.New()
	if block != nil {
		if err := strict.DecodeValue(block, m); err != nil {
			return nil, err
		}
	}
	if v, ok := m.(Validator); ok {
		if err := v.Validate(); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Load decodes a module (Decode) and provisions it.
func Load(ctx context.Context, id ID, block any, h Host) (Module, error) {
	m, err := Decode(id, block)
	if err != nil {
		return nil, err
	}
	if p, ok := m.(Provisioner); ok {
		if err := p.Provision(ctx, h); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Group runs modules: Start in the order they were added, Stop in reverse.
type Group struct {
	mods    []Module
	started []Module
}

// Add appends modules to the group.
func (g *Group) Add(ms ...Module) { g.mods = append(g.mods, ms...) }

// Modules lists the group's modules in order.
func (g *Group) Modules() []Module { return g.mods }

// Start starts every module that has Start, in order. When one fails, the
// ones already started are stopped (in reverse, within ctx) and the error
// returned.
func (g *Group) Start(ctx context.Context) error {
	for _, m := range g.mods {
		if s, ok := m.(Starter); ok {
			if err := s.Start(ctx); err != nil {
				return errors.Join(fmt.Errorf("start %s: %w", m.Module().ID, err), g.Stop(ctx))
			}
		}
		g.started = append(g.started, m)
	}
	return nil
}

// Cleanup cleans up every module of the group that has Cleanup, started
// or not, in reverse order, and returns every error.
func (g *Group) Cleanup() error {
	var errs []error
	for i := len(g.mods) - 1; i >= 0; i-- {
		if c, ok := g.mods[i].(Cleaner); ok {
			if err := c.Cleanup(); err != nil {
				errs = append(errs, fmt.Errorf("clean up %s: %w", g.mods[i].Module().ID, err))
			}
		}
	}
	return errors.Join(errs...)
}

// Stop stops the started modules in reverse order, each bounded by ctx,
// and returns every error.
func (g *Group) Stop(ctx context.Context) error {
	var errs []error
	for i := len(g.started) - 1; i >= 0; i-- {
		m := g.started[i]
		if s, ok := m.(Stopper); ok {
			if err := s.Stop(ctx); err != nil {
				errs = append(errs, fmt.Errorf("stop %s: %w", m.Module().ID, err))
			}
		}
	}
	g.started = nil
	return errors.Join(errs...)
}
