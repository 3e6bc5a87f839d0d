package main

import (
	"context"
	"fmt"

	"github.com/steward-os/steward/configs"
	"github.com/steward-os/steward/profile"
	"github.com/steward-os/steward/sdk/module"
	"github.com/steward-os/steward/session"
)

// profileConfig is the profile: block, decoded strictly (configs.Load
// has already checked it).
func profileConfig(cfg *configs.Config) profile.Config {
	m, err := module.Decode(configs.ProfileModule, cfg.Profile)
	if err != nil {
		return profile.Config{}
	}
	return m.(*profile.Module).Config
}

// probeDirectory is the directory the kernel reads actors from: the
// configured people and, in every tenant, the probe actor the background
// refresh runs probes as (profile.ProbeDirectory).
func probeDirectory(cfg *configs.Config, dir session.Directory) session.Directory {
	return profile.ProbeDirectory(dir, profileConfig(cfg))
}

// ProfileDeps gives the profile module the kernel, the directory, the
// alerts as its Sink and the store's proposals and continuity
// (profile.Host).
func (h *host) ProfileDeps() profile.Deps {
	return profile.Deps{Kernel: h.kernel, Directory: h.dir, Sink: h.alerts, Proposals: h.store, Continuity: h.store}
}

// loadProfile loads the background refresh (module proactive.profile)
// into the serve group, after the channels: it starts last and stops
// first.
func (a *app) loadProfile(ctx context.Context, h *host) error {
	ph := h.with(configs.ProfileModule, "")
	ph.kernel, ph.dir = a.kernel, a.dir
	m, err := module.Load(ctx, configs.ProfileModule, a.cfg.Profile, ph)
	if err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	a.modules.Add(m)
	if _, err := a.kernel.Load(ctx, m.(*profile.Module).Refresher().Extension()); err != nil {
		return fmt.Errorf("profile: load its extension: %w", err)
	}
	return nil
}
