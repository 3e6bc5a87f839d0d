package configs

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
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
		c.validatePeople(),
		c.validateBots(),
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
	if c.Data == "" {
		errs = append(errs, errors.New("data: the data directory must be set"))
	}
	if c.Router.Kind != "offline" {
		errs = append(errs, fmt.Errorf("router.kind %q: only \"offline\" is available in this build", c.Router.Kind))
	}
	if c.Router.MinConfidence <= 0 || c.Router.MinConfidence > 1 {
		errs = append(errs, errors.New("router.min_confidence must be above 0 and at most 1 (0 would act on any guess)"))
	}
	if c.Safety.PlanRetries < 1 || c.Safety.PlanRetries > 5 {
		errs = append(errs, errors.New("safety.plan_retries must be 1–5: a planner always gets a bounded retry"))
	}
	return errs
}

// validateTimes checks the task budgets and the safety periods.
func (c *Config) validateTimes() []error {
	var errs []error
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

// validateOutput checks the web channel, delivery and logging.
func (c *Config) validateOutput() []error {
	var errs []error
	if c.Web.MaxFrameBytes < 1024 || c.Web.MaxFrameBytes > 1<<20 {
		errs = append(errs, fmt.Errorf("web.max_frame_bytes %d: want 1024–1048576", c.Web.MaxFrameBytes))
	}
	for _, o := range c.Web.AllowedOrigins {
		if !validOrigin(o) {
			errs = append(errs, fmt.Errorf("web.allowed_origins %q: want scheme://host[:port] with http or https and nothing else", o))
		}
	}
	if c.Delivery != "last_used" && c.Delivery != "all" && (!strings.HasPrefix(c.Delivery, "preferred:") || len(c.Delivery) == len("preferred:")) {
		errs = append(errs, fmt.Errorf("delivery %q: want last_used, all or preferred:<channel>", c.Delivery))
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log.level %q: want debug, info, warn or error", c.Log.Level))
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		errs = append(errs, fmt.Errorf("log.format %q: want text or json", c.Log.Format))
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

var reBotName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

// validateBots checks the chat platform blocks.
func (c *Config) validateBots() []error {
	var errs []error
	bot := func(platform, name, tenant, tokenEnv, tokenFile string) {
		p := platform + "." + name
		if !reBotName.MatchString(name) {
			errs = append(errs, fmt.Errorf("%s: a bot name is a lower-case letter then up to 31 of a-z, 0-9 and _", p))
		}
		if _, ok := c.Tenants[tenant]; !ok {
			errs = append(errs, fmt.Errorf("%s.tenant %q: not a configured tenant", p, tenant))
		}
		if tokenEnv == "" && tokenFile == "" {
			errs = append(errs, fmt.Errorf("%s: set token_env or token_file (the bot token)", p))
		}
	}
	for name, b := range c.Telegram {
		p := "telegram." + name
		bot("telegram", name, b.Tenant, b.TokenEnv, b.TokenFile)
		switch b.Mode {
		case "", "poll":
		case "webhook":
			if u, err := url.Parse(b.WebhookURL); err != nil || u.Scheme != "https" || u.Host == "" {
				errs = append(errs, fmt.Errorf("%s.webhook_url %q: webhook mode needs the public https URL that reaches /hooks/telegram/%s", p, b.WebhookURL, name))
			}
			if b.SecretEnv == "" && b.SecretFile == "" {
				errs = append(errs, fmt.Errorf("%s: webhook mode needs secret_env or secret_file (the secret Telegram sends back in X-Telegram-Bot-Api-Secret-Token)", p))
			}
		default:
			errs = append(errs, fmt.Errorf("%s.mode %q: want poll or webhook", p, b.Mode))
		}
		if b.PollTimeout.D() < 0 || b.PollTimeout.D() > 50*time.Second {
			errs = append(errs, fmt.Errorf("%s.poll_timeout: want 0–50s", p))
		}
	}
	for name, b := range c.Slack {
		p := "slack." + name
		bot("slack", name, b.Tenant, b.TokenEnv, b.TokenFile)
		switch b.Mode {
		case "", "socket":
			if b.AppTokenEnv == "" && b.AppTokenFile == "" {
				errs = append(errs, fmt.Errorf("%s: Socket Mode needs app_token_env or app_token_file (the xapp- token)", p))
			}
		case "events":
			if b.SigningSecretEnv == "" && b.SigningSecretFile == "" {
				errs = append(errs, fmt.Errorf("%s: the Events API needs signing_secret_env or signing_secret_file", p))
			}
		default:
			errs = append(errs, fmt.Errorf("%s.mode %q: want socket or events", p, b.Mode))
		}
	}
	for name, b := range c.Discord {
		p := "discord." + name
		bot("discord", name, b.Tenant, b.TokenEnv, b.TokenFile)
		if b.PublicKey != "" {
			if k, err := hex.DecodeString(b.PublicKey); err != nil || len(k) != 32 {
				errs = append(errs, fmt.Errorf("%s.public_key: want the application's 64-hex-digit public key", p))
			}
		}
	}
	return errs
}

// validOrigin reports whether o is an http(s) origin: scheme://host[:port].
func validOrigin(o string) bool {
	u, err := url.Parse(o)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" &&
		(u.Path == "" || u.Path == "/") && u.RawQuery == "" && u.Fragment == "" && u.User == nil
}
