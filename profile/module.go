package profile

import (
	"context"
	"errors"

	"github.com/steward-os/steward/sdk/module"
)

// ModuleID is the refresher's module: serve decodes the profile: block
// with it and starts and stops it with the other modules.
const ModuleID module.ID = "proactive.profile"

func init() { module.Register(&Module{}) }

// Module is the background refresh as a module. Its block is Config.
type Module struct {
	Config
	r *Refresher
}

// Host is what the module needs from the program that loads it.
type Host interface {
	module.Host
	ProfileDeps() Deps
}

// Module implements module.Module.
func (*Module) Module() module.Info {
	return module.Info{ID: ModuleID, New: func() module.Module { return &Module{} }}
}

// Validate checks the block (no I/O).
func (m *Module) Validate() error { return m.Config.Validate() }

// Provision builds the refresher from the host's kernel and directory.
func (m *Module) Provision(_ context.Context, h module.Host) error {
	ph, ok := h.(Host)
	if !ok {
		return errors.New("profile: the host provides no kernel")
	}
	d := ph.ProfileDeps()
	d.Log = h.Logger()
	r, err := New(m.Config, d)
	if err != nil {
		return err
	}
	m.r = r
	return nil
}

// Start starts the refresh loops.
func (m *Module) Start(ctx context.Context) error { return m.r.Start(ctx) }

// Stop ends them.
func (m *Module) Stop(ctx context.Context) error { return m.r.Stop(ctx) }

// Refresher is the provisioned refresher (nil before Provision).
func (m *Module) Refresher() *Refresher { return m.r }
