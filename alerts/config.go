package alerts

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/steward-os/steward/sdk/module"
	"github.com/steward-os/steward/session"
)

// Config is the alerts: block, decoded strictly (an unknown key is an
// error naming its path) and checked by Validate with no I/O.
type Config struct {
	// FlapWindow: a condition that fires again within this long of being
	// resolved reopens the same episode instead of starting a new one.
	FlapWindow module.Duration `json:"flap_window"`
	// MaxBodyBytes bounds a webhook's or the API's request body.
	MaxBodyBytes int64 `json:"max_body_bytes"`
	// Tick is how often the schedule is looked at for due steps.
	Tick    module.Duration   `json:"tick"`
	Tenants map[string]Tenant `json:"tenants"`
}

// Tenant is one tenant's on-call configuration.
type Tenant struct {
	// Alertmanager is the receiver /hooks/alertmanager/<tenant>: its
	// bearer token, referenced, never inlined.
	Alertmanager struct {
		TokenEnv  string `json:"token_env,omitempty"`
		TokenFile string `json:"token_file,omitempty"`
	} `json:"alertmanager"`
	Schedules map[string]Schedule `json:"schedules"`
	Policies  map[string]Policy   `json:"policies"`
	// Policy is the escalation policy alerts of this tenant follow.
	Policy string          `json:"policy"`
	Users  map[string]User `json:"users"`
}

// Schedule is a rotation: people take turns of Shift each, the first
// turn starting at Start; overrides put someone else on call for a while.
type Schedule struct {
	Rotation  []string        `json:"rotation"`
	Start     time.Time       `json:"start"`
	Shift     module.Duration `json:"shift"`
	Overrides []Override      `json:"overrides"`
}

// Override puts Actor on call from From until To.
type Override struct {
	Actor string    `json:"actor"`
	From  time.Time `json:"from"`
	To    time.Time `json:"to"`
}

// Policy is an escalation policy: levels paged in order, each Delay after
// the one before, while nobody acknowledges.
type Policy struct {
	Levels []Level `json:"levels"`
}

// Level pages its targets: "schedule:<name>" (whoever is on call) or
// "user:<id>".
type Level struct {
	Delay   module.Duration `json:"delay"`
	Targets []string        `json:"targets"`
}

// User is one person's notification rules and quiet hours.
type User struct {
	// Rules by severity ("critical", "warning", "info", or "default"):
	// the channels to try, each After the page began.
	Rules map[string][]Rule `json:"rules"`
	Quiet *Quiet            `json:"quiet_hours,omitempty"`
}

// Rule is one notification: a channel and its delay.
type Rule struct {
	Channel string          `json:"channel"`
	After   module.Duration `json:"after"`
}

// Quiet hours hold non-critical notifications for a digest at their end.
// From and To are "HH:MM" in Zone (an IANA name, UTC when empty).
type Quiet struct {
	From string `json:"from"`
	To   string `json:"to"`
	Zone string `json:"zone,omitempty"`
}

// Severities, in order.
var severities = []string{"info", "warning", "critical"}

// defaults fills what the block leaves out.
func (c *Config) defaults() {
	if c.FlapWindow == 0 {
		c.FlapWindow = module.Duration(30 * time.Minute)
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = 1 << 20
	}
	if c.Tick == 0 {
		c.Tick = module.Duration(time.Second)
	}
}

// Validate checks the block: every schedule, policy, target, rule and
// quiet hours well formed, every name it uses defined.
func (c *Config) Validate() error {
	c.defaults()
	var errs []error
	if c.FlapWindow < 0 || c.MaxBodyBytes < 0 || c.Tick < 0 {
		errs = append(errs, errors.New("flap_window, max_body_bytes and tick must not be negative"))
	}
	for _, tn := range sortedKeys(c.Tenants) {
		if err := c.Tenants[tn].validate(); err != nil {
			errs = append(errs, fmt.Errorf("tenants.%s: %w", tn, err))
		}
	}
	return errors.Join(errs...)
}

func (t Tenant) validate() error {
	var errs []error
	for name, s := range t.Schedules {
		if len(s.Rotation) == 0 || s.Shift <= 0 || s.Start.IsZero() {
			errs = append(errs, fmt.Errorf("schedules.%s: needs rotation, start and a positive shift", name))
		}
		for i, o := range s.Overrides {
			if o.Actor == "" || !o.To.After(o.From) {
				errs = append(errs, fmt.Errorf("schedules.%s.overrides[%d]: needs an actor and to after from", name, i))
			}
		}
	}
	if _, ok := t.Policies[t.Policy]; !ok && (t.Policy != "" || len(t.Policies) > 0) {
		errs = append(errs, fmt.Errorf("policy: %q is not one of policies", t.Policy))
	}
	for name, p := range t.Policies {
		if len(p.Levels) == 0 {
			errs = append(errs, fmt.Errorf("policies.%s: needs at least one level", name))
		}
		for i, l := range p.Levels {
			if err := t.checkLevel(l); err != nil {
				errs = append(errs, fmt.Errorf("policies.%s.levels[%d]: %w", name, i, err))
			}
		}
	}
	for name, u := range t.Users {
		if err := u.validate(); err != nil {
			errs = append(errs, fmt.Errorf("users.%s: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

func (t Tenant) checkLevel(l Level) error {
	if l.Delay < 0 || len(l.Targets) == 0 {
		return errors.New("needs targets and a delay not negative")
	}
	for _, tg := range l.Targets {
		kind, name, _ := strings.Cut(tg, ":")
		switch {
		case kind == "schedule" && t.Schedules[name].Rotation != nil:
		case kind == "user" && name != "":
		default:
			return fmt.Errorf("target %q: want schedule:<a schedule> or user:<id>", tg)
		}
	}
	return nil
}

func (u User) validate() error {
	for sev, rules := range u.Rules {
		if sev != "default" && !slices.Contains(severities, sev) {
			return fmt.Errorf("rules.%s: want critical, warning, info or default", sev)
		}
		for i, r := range rules {
			if r.Channel == "" || r.After < 0 {
				return fmt.Errorf("rules.%s[%d]: needs a channel and an after not negative", sev, i)
			}
		}
	}
	if u.Quiet != nil {
		if _, err := u.Quiet.zone(); err != nil {
			return fmt.Errorf("quiet_hours.zone: %w", err)
		}
		if _, err := clock(u.Quiet.From); err != nil {
			return fmt.Errorf("quiet_hours.from: %w", err)
		}
		if _, err := clock(u.Quiet.To); err != nil {
			return fmt.Errorf("quiet_hours.to: %w", err)
		}
	}
	return nil
}

// rules are a user's rules for a severity: its own, else "default", else
// one notification on every channel the user is linked on (nil).
func (u User) rules(severity string) []Rule {
	if r, ok := u.Rules[severity]; ok {
		return r
	}
	return u.Rules["default"]
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// tenantOf returns a tenant's block (the zero one when absent).
func (c *Config) tenantOf(t session.TenantID) Tenant { return c.Tenants[string(t)] }
