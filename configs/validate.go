package configs

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Validate checks values the types cannot. Every problem is reported, in
// the order of the sections below.
func (c *Config) Validate() error {
	return errors.Join(slices.Concat(
		c.validateServing(),
		c.validateTimes(),
		c.validateOutput(),
		c.validateTelemetry(),
		c.validatePeople(),
		c.validateApprovals(),
		c.validateExtensions(),
		c.validateModels(),
		c.validateStore(),
	)...)
}

// validateServing checks the server, the data directory, the router and
// the planner retries.
func (c *Config) validateServing() []error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Server.Addr); err != nil {
		errs = append(errs, fmt.Errorf("server.addr %q: want HOST:PORT", c.Server.Addr))
	}
	if c.Server.MaxBodyBytes <= 0 {
		errs = append(errs, errors.New("server.max_body_bytes must be positive"))
	}
	for _, h := range c.Server.AllowedHosts {
		if !validHost(h) {
			errs = append(errs, fmt.Errorf("server.allowed_hosts %q: want a host name or address, optionally with :port (no scheme, path or wildcard)", h))
		}
	}
	if r := c.Server.Refusals; r.Burst < 0 || r.Burst > 10000 || r.PerMinute <= 0 || r.PerMinute > 60000 || r.Window.D() < time.Second || r.Window.D() > time.Hour {
		errs = append(errs, errors.New("server.refusals: burst must be 0–10000, per_minute above 0 and at most 60000, window 1s–1h"))
	}
	if c.Data == "" {
		errs = append(errs, errors.New("data: the data directory must be set"))
	}
	if c.Router.MinConfidence <= 0 || c.Router.MinConfidence > 1 {
		errs = append(errs, errors.New("router.min_confidence must be above 0 and at most 1 (0 would act on any guess)"))
	}
	if c.Safety.PlanRetries < 1 || c.Safety.PlanRetries > 5 {
		errs = append(errs, errors.New("safety.plan_retries must be 1–5: a planner always gets a bounded retry"))
	}
	return errs
}

// validHost reports whether h is a Host header's form: a name or an
// address ("[v6]" for IPv6), optionally with a port of 1–65535.
func validHost(h string) bool {
	u, err := url.Parse("http://" + h)
	if err != nil || u.Host != h || u.Hostname() == "" || strings.ContainsAny(h, "*@ ") {
		return false
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		return err == nil && n >= 1 && n <= 65535
	}
	return !strings.HasSuffix(h, ":")
}

// validateTimes checks the task budgets and the safety periods.
func (c *Config) validateTimes() []error {
	var errs []error
	if c.Limits.StateValuesPerTenant < 1 || c.Limits.TenantConcurrency < 1 {
		errs = append(errs, errors.New("limits: state_values_per_tenant and tenant_concurrency must be at least 1"))
	}
	if c.Tasks.InlineBudget.D() <= 0 || c.Tasks.DefaultCap.D() <= 0 || c.Tasks.MaxCap.D() < c.Tasks.DefaultCap.D() {
		errs = append(errs, errors.New("tasks: inline_budget and default_cap must be positive and max_cap at least default_cap"))
	}
	if c.Tasks.InlineBudget.D() >= c.Tasks.DefaultCap.D() {
		errs = append(errs, errors.New("tasks.inline_budget must be shorter than tasks.default_cap"))
	}
	if c.Tasks.MaxCap.D() > 30*time.Minute {
		errs = append(errs, errors.New("tasks.max_cap may not exceed 30m"))
	}
	if c.Tasks.MaxResultBytes < 1024 {
		errs = append(errs, errors.New("tasks.max_result_bytes must be at least 1024"))
	}
	if c.Safety.CoolingPeriod.D() < 30*time.Second {
		errs = append(errs, fmt.Errorf("safety.cooling_period %s: the cooling period can only be raised above 30s, never lowered", c.Safety.CoolingPeriod.D()))
	}
	if c.Safety.ProposalTTL.D() <= 0 {
		errs = append(errs, errors.New("safety.proposal_ttl must be positive"))
	}
	if c.Safety.ProposalTTL.D() <= c.Safety.CoolingPeriod.D() {
		errs = append(errs, errors.New("safety.proposal_ttl must be longer than the cooling period"))
	}
	return errs
}

// validateOutput checks delivery and logging.
func (c *Config) validateOutput() []error {
	var errs []error
	if c.Delivery != "last_used" && c.Delivery != "all" && (!strings.HasPrefix(c.Delivery, "preferred:") || len(c.Delivery) == len("preferred:")) {
		errs = append(errs, fmt.Errorf("delivery %q: want last_used, all or preferred:<channel>", c.Delivery))
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log.level %q: want debug, info, warn or error", c.Log.Level))
	}
	switch c.Log.Format {
	case "auto", "text", "json":
	default:
		errs = append(errs, fmt.Errorf("log.format %q: want auto, text or json", c.Log.Format))
	}
	return errs
}

// validatePeople checks roles and the tenants' users.
func (c *Config) validatePeople() []error {
	var errs []error
	for name, r := range c.Roles {
		if r.Ceiling < 0 || r.Ceiling > 4 {
			errs = append(errs, fmt.Errorf("roles.%s.ceiling %d: want 0–4", name, r.Ceiling))
		}
	}
	for tn, t := range c.Tenants {
		for un, u := range t.Users {
			for _, r := range u.Roles {
				if _, ok := c.Roles[r]; !ok {
					errs = append(errs, fmt.Errorf("tenants.%s.users.%s.roles: unknown role %q", tn, un, r))
				}
			}
			if u.Manager != "" {
				if _, ok := t.Users[u.Manager]; !ok {
					errs = append(errs, fmt.Errorf("tenants.%s.users.%s.manager: %q is not a user of %s", tn, un, u.Manager, tn))
				}
			}
		}
	}
	return errs
}

// validateExtensions checks that every extension is named once and that
// every extension_config block belongs to a listed extension. The blocks
// themselves are checked by their modules when they are loaded.
func (c *Config) validateExtensions() []error {
	var errs []error
	seen := map[string]bool{}
	for _, id := range c.Extensions {
		if seen[id] {
			errs = append(errs, fmt.Errorf("extensions: %q is listed twice", id))
		}
		seen[id] = true
	}
	for id := range c.ExtensionConfig {
		if !seen[id] {
			errs = append(errs, fmt.Errorf("extension_config.%s: %q is not in extensions", id, id))
		}
	}
	return errs
}
