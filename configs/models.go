package configs

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sort"
)

// The router section's model settings: which providers exist, in what
// order they are tried, and each tenant's choice and budget.

// providerKinds are the provider kinds; those with a default base URL may
// leave base_url out.
var providerKinds = map[string]struct{ defaultBase, keyNeeded bool }{
	"openai":   {true, true},
	"azure":    {false, true},
	"ollama":   {true, false},
	"vllm":     {false, false},
	"llamacpp": {false, false},
}

// FailoverOrder is the providers' names in the order they are tried:
// router.failover, or every provider by name.
func (c *Config) FailoverOrder() []string {
	if len(c.Router.Failover) > 0 {
		return c.Router.Failover
	}
	names := make([]string, 0, len(c.Router.Providers))
	for n := range c.Router.Providers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// validateModels checks the router kind, narration, providers, failover
// order and the tenants' model settings.
func (c *Config) validateModels() []error {
	r := c.Router
	var errs []error
	if r.Kind != "offline" && r.Kind != "openai" {
		errs = append(errs, fmt.Errorf("router.kind %q: want offline or openai", r.Kind))
	}
	if r.Narration != "template" && r.Narration != "model" {
		errs = append(errs, fmt.Errorf("router.narration %q: want template or model", r.Narration))
	}
	if (r.Kind == "openai" || r.Narration == "model") && len(r.Providers) == 0 {
		errs = append(errs, errors.New("router.providers: router.kind openai and router.narration model need at least one provider"))
	}
	names := make([]string, 0, len(r.Providers))
	for n := range r.Providers {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		errs = append(errs, r.Providers[n].problems("router.providers."+n)...)
	}
	if _, ok := r.Providers["offline"]; ok {
		errs = append(errs, errors.New(`router.providers.offline: "offline" is reserved for the offline router`))
	}
	errs = append(errs, c.checkNames("router.failover", r.Failover, false)...)
	for _, n := range names {
		if len(r.Failover) > 0 && !slices.Contains(r.Failover, n) {
			errs = append(errs, fmt.Errorf("router.failover: provider %q is not listed (list every provider, or none for all by name)", n))
		}
	}
	if r.BreakerFailures < 1 || r.BreakerCooldown.D() <= 0 || r.MaxRetryAfter.D() <= 0 {
		errs = append(errs, errors.New("router: breaker_failures must be at least 1, breaker_cooldown and max_retry_after positive"))
	}
	if r.ContextTokens < 100 {
		errs = append(errs, errors.New("router.context_tokens must be at least 100"))
	}
	for tn, t := range c.Tenants {
		errs = append(errs, c.checkNames("tenants."+tn+".models.providers", t.Models.Providers, true)...)
		if t.Models.MonthlyTokens < 0 {
			errs = append(errs, fmt.Errorf("tenants.%s.models.monthly_tokens must not be negative (0: no budget)", tn))
		}
	}
	return errs
}

// checkNames checks a list of provider names: each configured (or
// "offline" where allowed) and listed once.
func (c *Config) checkNames(path string, names []string, offline bool) []error {
	var errs []error
	for i, n := range names {
		if _, ok := c.Router.Providers[n]; !ok && !(offline && n == "offline") {
			errs = append(errs, fmt.Errorf("%s: %q is not a provider of router.providers", path, n))
		}
		if slices.Contains(names[:i], n) {
			errs = append(errs, fmt.Errorf("%s: %q is listed twice", path, n))
		}
	}
	return errs
}

// problems checks one provider.
func (p Provider) problems(path string) []error {
	var errs []error
	k, ok := providerKinds[p.Kind]
	if !ok {
		return []error{fmt.Errorf("%s.kind %q: want openai, azure, ollama, vllm or llamacpp", path, p.Kind)}
	}
	if p.Model == "" {
		errs = append(errs, fmt.Errorf("%s.model must be set", path))
	}
	if p.BaseURL == "" && !k.defaultBase {
		errs = append(errs, fmt.Errorf("%s.base_url must be set for kind %s", path, p.Kind))
	}
	if u, err := url.Parse(p.BaseURL); p.BaseURL != "" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "") {
		errs = append(errs, fmt.Errorf("%s.base_url %q: want http(s)://host/…", path, p.BaseURL))
	}
	if k.keyNeeded && p.APIKeyEnv == "" && p.APIKeyFile == "" {
		errs = append(errs, fmt.Errorf("%s: kind %s needs api_key_env or api_key_file", path, p.Kind))
	}
	if p.APIKeyEnv != "" && p.APIKeyFile != "" {
		errs = append(errs, fmt.Errorf("%s: set api_key_env or api_key_file, not both", path))
	}
	if p.APIVersion != "" && p.Kind != "azure" {
		errs = append(errs, fmt.Errorf("%s.api_version is for kind azure only", path))
	}
	if p.Output != "" && p.Output != "json_schema" && p.Output != "tools" {
		errs = append(errs, fmt.Errorf("%s.output %q: want json_schema or tools", path, p.Output))
	}
	if p.Timeout.D() < 0 || p.MaxTokens < 0 || p.InputPrice < 0 || p.OutputPrice < 0 {
		errs = append(errs, fmt.Errorf("%s: timeout, max_tokens and prices must not be negative (0: the default)", path))
	}
	return errs
}
