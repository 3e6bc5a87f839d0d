package main

import (
	"fmt"

	"github.com/steward-os/steward/configs"
	"github.com/steward-os/steward/kernel"
	"github.com/steward-os/steward/session"
)

// modelsConfig turns the router section into the kernel's model settings,
// resolving each provider's key from the environment or its file; a key
// joins the masker as soon as it is read. A provider that is configured
// but not used (router.kind offline, narration template) still needs its
// key, so a misconfiguration shows at start.
func modelsConfig(cfg *configs.Config, getenv func(string) string, m *kernel.Masker) (kernel.Models, error) {
	r := cfg.Router
	out := kernel.Models{Router: r.Kind, Narration: r.Narration, BreakerFailures: r.BreakerFailures, BreakerCooldown: r.BreakerCooldown.D(),
		MaxRetryAfter: r.MaxRetryAfter.D(), ContextTokens: r.ContextTokens, Tenants: map[session.TenantID]kernel.TenantModels{}}
	for _, name := range cfg.FailoverOrder() {
		p := r.Providers[name]
		key, err := p.Key(getenv)
		if err != nil {
			return kernel.Models{}, fmt.Errorf("router.providers.%s: %w", name, err)
		}
		m.AddSecrets(key)
		out.Providers = append(out.Providers, kernel.ModelProvider{Name: name, Kind: p.Kind, BaseURL: p.BaseURL, Model: p.Model, APIKey: key,
			APIVersion: p.APIVersion, Timeout: p.Timeout.D(), MaxTokens: p.MaxTokens, Output: p.Output, InputPrice: p.InputPrice, OutputPrice: p.OutputPrice})
	}
	for tn, t := range cfg.Tenants {
		out.Tenants[session.TenantID(tn)] = kernel.TenantModels{Providers: t.Models.Providers, MonthlyTokens: t.Models.MonthlyTokens}
	}
	return out, nil
}
