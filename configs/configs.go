// Package configs holds Steward's embedded default configuration and demo
// world, and loads configuration strictly.
//
// Contract. Load starts from the embedded default (or the given file, which
// replaces it), applies STEWARD_* environment variables, then --set style
// overrides, then validates. Unknown keys anywhere are errors naming their
// path. Secrets are never read from the YAML: user tokens come from
// token_env or token_file, and Config never prints them.
package configs

import (
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/steward-os/steward/internal/strict"
)

// Default is the embedded default configuration.
//
//go:embed steward.yaml
var Default []byte

// World is the embedded demo world.
//
//go:embed world.yaml
var World []byte

// Duration is a time.Duration written as "30s", "10m".
type Duration time.Duration

// UnmarshalJSON accepts a Go duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("want a duration such as \"30s\"")
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("want a duration such as \"30s\": %w", err)
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON writes the duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// D returns the time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// Config is Steward's configuration.
type Config struct {
	Server struct {
		Addr            string   `json:"addr"`
		MaxBodyBytes    int64    `json:"max_body_bytes"`
		ReadTimeout     Duration `json:"read_timeout"`
		WriteTimeout    Duration `json:"write_timeout"`
		ShutdownTimeout Duration `json:"shutdown_timeout"`
	} `json:"server"`
	Data string `json:"data"`
	Log  struct {
		Level  string `json:"level"`
		Format string `json:"format"`
	} `json:"log"`
	Router struct {
		Kind          string  `json:"kind"`
		MinConfidence float64 `json:"min_confidence"`
	} `json:"router"`
	Safety struct {
		ProposalTTL   Duration `json:"proposal_ttl"`
		CoolingPeriod Duration `json:"cooling_period"`
		PlanRetries   int      `json:"plan_retries"`
	} `json:"safety"`
	Tasks struct {
		InlineBudget   Duration `json:"inline_budget"`
		DefaultCap     Duration `json:"default_cap"`
		MaxCap         Duration `json:"max_cap"`
		MaxResultBytes int      `json:"max_result_bytes"`
	} `json:"tasks"`
	Ledger struct {
		ReplayCount int `json:"replay_count"`
		ReplayBytes int `json:"replay_bytes"`
	} `json:"ledger"`
	Privacy struct {
		// MaskedFields are object fields whose whole value is masked in
		// anything sent to a router or model (AF-10).
		MaskedFields []string `json:"masked_fields"`
	} `json:"privacy"`
	Roles map[string]Role `json:"roles"`
	Auth  struct {
		DemoTokens bool `json:"demo_tokens"`
	} `json:"auth"`
	Web Web `json:"web"`
	// Delivery says where results arriving outside a turn go: "last_used"
	// (the channel the actor used most recently), "all", or
	// "preferred:<channel>".
	Delivery   string            `json:"delivery"`
	Extensions []string          `json:"extensions"`
	World      string            `json:"world"`
	Tenants    map[string]Tenant `json:"tenants"`
	// Chat platform bots by name (docs/channels.md): each serves one
	// tenant. The bot named "default" is channel "telegram" (or "slack",
	// "discord"); any other name n is channel "telegram.n".
	Telegram map[string]Telegram `json:"telegram"`
	Slack    map[string]Slack    `json:"slack"`
	Discord  map[string]Discord  `json:"discord"`

	// Warnings found while loading (for example an environment variable
	// that names no setting); the caller logs them.
	Warnings []string `json:"-"`
}

// EnvName is the environment variable that overrides a dotted path.
func EnvName(path string) string {
	return "STEWARD_" + strings.ToUpper(strings.NewReplacer(".", "_", "-", "_").Replace(path))
}

func (c *Config) tokenEnv(name string) bool {
	for _, cr := range c.BotCredentials() {
		if cr.Env == name {
			return true
		}
	}
	for _, t := range c.Tenants {
		for _, u := range t.Users {
			if u.TokenEnv == name {
				return true
			}
		}
	}
	return false
}

// Web configures the browser channel (docs/web.md).
type Web struct {
	// Enabled serves the chat page at "/" and its socket at "/ws".
	Enabled bool `json:"enabled"`
	// AllowedOrigins may open a socket besides the page's own host:
	// "scheme://host[:port]" each, for a page served through a proxy.
	AllowedOrigins []string `json:"allowed_origins"`
	// AllowMissingOrigin accepts sockets that send no Origin (non-browser
	// clients).
	AllowMissingOrigin bool `json:"allow_missing_origin"`
	// MaxFrameBytes bounds one inbound WebSocket frame.
	MaxFrameBytes int64 `json:"max_frame_bytes"`
}

// Telegram is one Telegram bot (docs/channels.md#telegram).
type Telegram struct {
	Tenant    string `json:"tenant"`
	TokenEnv  string `json:"token_env,omitempty"`
	TokenFile string `json:"token_file,omitempty"`
	// Mode is "poll" (long polling, the default) or "webhook".
	Mode string `json:"mode,omitempty"`
	// WebhookURL is the public https URL that reaches this server's
	// /hooks/telegram/<name>; registered with setWebhook at start.
	WebhookURL string `json:"webhook_url,omitempty"`
	// The webhook secret (X-Telegram-Bot-Api-Secret-Token); webhook mode.
	SecretEnv  string `json:"secret_env,omitempty"`
	SecretFile string `json:"secret_file,omitempty"`
	// APIURL is the Bot API endpoint pattern (token, method); default
	// https://api.telegram.org/bot%s/%s, or a self-hosted Bot API server.
	APIURL      string   `json:"api_url,omitempty"`
	PollTimeout Duration `json:"poll_timeout,omitempty"`
}

// Slack is one Slack app (docs/channels.md#slack).
type Slack struct {
	Tenant string `json:"tenant"`
	// The bot token (xoxb-…).
	TokenEnv  string `json:"token_env,omitempty"`
	TokenFile string `json:"token_file,omitempty"`
	// Mode is "socket" (Socket Mode, the default) or "events" (the
	// Events API and interactivity over HTTP at /hooks/slack/<name>).
	Mode string `json:"mode,omitempty"`
	// The app-level token (xapp-…) for Socket Mode.
	AppTokenEnv  string `json:"app_token_env,omitempty"`
	AppTokenFile string `json:"app_token_file,omitempty"`
	// The signing secret for the Events API.
	SigningSecretEnv  string `json:"signing_secret_env,omitempty"`
	SigningSecretFile string `json:"signing_secret_file,omitempty"`
	// APIURL is the Web API base, default https://slack.com/api/.
	APIURL string `json:"api_url,omitempty"`
}

// Discord is one Discord application's bot (docs/channels.md#discord).
type Discord struct {
	Tenant    string `json:"tenant"`
	TokenEnv  string `json:"token_env,omitempty"`
	TokenFile string `json:"token_file,omitempty"`
	// PublicKey (hex) enables HTTP interactions at /hooks/discord/<name>
	// (set the application's Interactions Endpoint URL to it); without
	// it, button presses arrive over the gateway.
	PublicKey string `json:"public_key,omitempty"`
	// APIURL is where REST and the gateway lookup go, default
	// https://discord.com/.
	APIURL string `json:"api_url,omitempty"`
}

// Credential is one secret a chat bot is configured with: where it comes
// from (an environment variable or a file; at most one is used, the
// variable first).
type Credential struct {
	Bot  string // "telegram.default"
	What string // "token", "secret", "app_token", "signing_secret"
	Env  string
	File string
}

// BotCredentials lists every credential the chat bots name, in a stable
// order; one with neither Env nor File set is not configured (Validate
// says which ones a bot needs).
func (c *Config) BotCredentials() []Credential {
	var out []Credential
	for _, name := range sortedKeys(c.Telegram) {
		b := c.Telegram[name]
		out = append(out, Credential{"telegram." + name, "token", b.TokenEnv, b.TokenFile}, Credential{"telegram." + name, "secret", b.SecretEnv, b.SecretFile})
	}
	for _, name := range sortedKeys(c.Slack) {
		b := c.Slack[name]
		out = append(out, Credential{"slack." + name, "token", b.TokenEnv, b.TokenFile}, Credential{"slack." + name, "app_token", b.AppTokenEnv, b.AppTokenFile},
			Credential{"slack." + name, "signing_secret", b.SigningSecretEnv, b.SigningSecretFile})
	}
	for _, name := range sortedKeys(c.Discord) {
		b := c.Discord[name]
		out = append(out, Credential{"discord." + name, "token", b.TokenEnv, b.TokenFile})
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ChannelName is the channel a bot of a platform is known by: the
// platform for the bot named "default", else "<platform>.<name>".
func ChannelName(platform, name string) string {
	if name == "default" {
		return platform
	}
	return platform + "." + name
}

// Role is a role's safety ceiling and scopes.
type Role struct {
	Ceiling int      `json:"ceiling"`
	Scopes  []string `json:"scopes"`
}

// Tenant is one organisation.
type Tenant struct {
	ConfirmLevel1 bool `json:"confirm_level1"`
	// UnmaskPII opts the tenant in to unmasked context for routers and
	// models; every such turn is audited.
	UnmaskPII      bool            `json:"unmask_pii"`
	TurnsPerMinute int             `json:"turns_per_minute"`
	Users          map[string]User `json:"users"`
}

// User is one person of a tenant. Credentials are referenced, never inlined.
type User struct {
	Roles     []string `json:"roles"`
	Manager   string   `json:"manager,omitempty"`
	TokenEnv  string   `json:"token_env,omitempty"`
	TokenFile string   `json:"token_file,omitempty"`
}

// Load reads the configuration: path ("" for the embedded default), then
// the environment (environ as from os.Environ), then sets ("a.b=value").
func Load(path string, environ []string, sets []string) (*Config, error) {
	def, err := strict.Generic(Default)
	if err != nil {
		return nil, fmt.Errorf("embedded default: %w", err)
	}
	root := def.(map[string]any)
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read config: %w", err)
		}
		g, err := strict.Generic(b)
		if err != nil {
			return nil, fmt.Errorf("config %s: %w", nameOf(path), err)
		}
		file, ok := g.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("config %s: the document must be a mapping", nameOf(path))
		}
		overlay(root, file, "")
	}
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "STEWARD_") {
			env[k] = v
		}
	}
	// Order: short forms, then full path names (which win over a short
	// form for the same key), then sets.
	var overrides [][2]string
	for _, a := range [][2]string{{"STEWARD_ADDR", "server.addr"}, {"STEWARD_DATA", "data"}} {
		if v, ok := env[a[0]]; ok {
			overrides = append(overrides, [2]string{a[1], v})
			delete(env, a[0])
		}
	}
	paths := leafPaths(reflect.TypeFor[Config](), root, "")
	sort.Strings(paths)
	for _, p := range paths {
		name := EnvName(p)
		if v, ok := env[name]; ok {
			overrides = append(overrides, [2]string{p, v})
			delete(env, name)
		}
	}
	unused := make([]string, 0, len(env))
	for k := range env {
		unused = append(unused, k)
	}
	sort.Strings(unused)
	for _, s := range sets {
		p, v, ok := strings.Cut(s, "=")
		if !ok {
			return nil, fmt.Errorf("--set %q: want path=value", s)
		}
		overrides = append(overrides, [2]string{strings.TrimSpace(p), v})
	}
	for _, o := range overrides {
		if err := setPath(root, reflect.TypeFor[Config](), o[0], o[1]); err != nil {
			return nil, fmt.Errorf("override %s: %w", o[0], err)
		}
	}
	var c Config
	if err := strict.DecodeValue(root, &c); err != nil {
		return nil, fmt.Errorf("config %s: %w", nameOf(path), err)
	}
	// A STEWARD_* variable that sets nothing is most likely misspelt;
	// variables named by token_env are credentials, not settings.
	for _, k := range unused {
		if !c.tokenEnv(k) {
			c.Warnings = append(c.Warnings, fmt.Sprintf("environment variable %s does not name a setting; it was ignored", k))
		}
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("config %s: %w", nameOf(path), err)
	}
	return &c, nil
}

// replaced are the keys a file replaces whole instead of merging into the
// default: a deployment's people, roles and extensions never mix with the
// demo's.
var replaced = map[string]bool{"tenants": true, "roles": true, "extensions": true}

// overlay writes src over dst: sections merge key by key (so a file need
// only name what it changes and keeps working as settings are added),
// except the replaced keys and every non-mapping value, which src replaces.
func overlay(dst, src map[string]any, prefix string) {
	for k, v := range src {
		sub, isMap := v.(map[string]any)
		cur, curMap := dst[k].(map[string]any)
		if isMap && curMap && !replaced[join(prefix, k)] {
			overlay(cur, sub, join(prefix, k))
			continue
		}
		dst[k] = v
	}
}

func nameOf(path string) string {
	if path == "" {
		return "(embedded default)"
	}
	return path
}

// leafPaths lists the dotted paths of every scalar value the type can hold,
// expanding maps by the keys present in the document.
func leafPaths(t reflect.Type, doc any, prefix string) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == reflect.TypeFor[Duration]() {
		return []string{prefix}
	}
	switch t.Kind() {
	case reflect.Struct:
		var out []string
		m, _ := doc.(map[string]any)
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" || name == "-" {
				continue
			}
			out = append(out, leafPaths(f.Type, m[name], join(prefix, name))...)
		}
		return out
	case reflect.Map:
		var out []string
		m, _ := doc.(map[string]any)
		for k, v := range m {
			out = append(out, leafPaths(t.Elem(), v, join(prefix, k))...)
		}
		return out
	default:
		return []string{prefix}
	}
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "." + b
}

// setPath writes a string value at a dotted path, converting it to the
// field's kind (lists are comma-separated).
func setPath(root map[string]any, t reflect.Type, path, value string) error {
	keys := strings.Split(path, ".")
	cur := root
	for i, k := range keys {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		var ft reflect.Type
		switch t.Kind() {
		case reflect.Struct:
			found := false
			for j := 0; j < t.NumField(); j++ {
				name, _, _ := strings.Cut(t.Field(j).Tag.Get("json"), ",")
				if name == k {
					ft, found = t.Field(j).Type, true
					break
				}
			}
			if !found {
				return fmt.Errorf("unknown key %q", strings.Join(keys[:i+1], "."))
			}
		case reflect.Map:
			ft = t.Elem()
		default:
			return fmt.Errorf("%q is not a section", strings.Join(keys[:i], "."))
		}
		if i == len(keys)-1 {
			v, err := convert(ft, value)
			if err != nil {
				return err
			}
			cur[k] = v
			return nil
		}
		next, ok := cur[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			cur[k] = next
		}
		cur, t = next, ft
	}
	return nil
}

func convert(t reflect.Type, s string) (any, error) {
	if t == reflect.TypeFor[Duration]() {
		if _, err := time.ParseDuration(s); err != nil {
			return nil, fmt.Errorf("want a duration such as 30s: %w", err)
		}
		return s, nil
	}
	switch t.Kind() {
	case reflect.String:
		return s, nil
	case reflect.Bool:
		return strconv.ParseBool(s)
	case reflect.Int, reflect.Int64:
		return strconv.ParseInt(s, 10, 64)
	case reflect.Float64:
		return strconv.ParseFloat(s, 64)
	case reflect.Slice:
		var out []any
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("cannot set a %s from text", t.Kind())
}

// Validate checks values the types cannot.
func (c *Config) Validate() error {
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
	errs = append(errs, c.validateBots()...)
	return errors.Join(errs...)
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

// DemoTokensAllowed reports whether the address is loopback only, where
// demo tokens may be used.
func DemoTokensAllowed(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Token resolves a user's credential from the environment or a file. It
// returns "" when the user has none configured, and an error when one is
// configured but missing or empty (never a silent fallback).
func (u User) Token(getenv func(string) string) (string, error) {
	return Secret("token", u.TokenEnv, u.TokenFile, getenv)
}

// Secret resolves a credential named by an environment variable (env) or
// a file: "" when neither is set, an error when one is set but missing
// or empty. what names the setting in errors ("token" for token_env).
func Secret(what, env, file string, getenv func(string) string) (string, error) {
	switch {
	case env != "":
		tok := strings.TrimSpace(getenv(env))
		if tok == "" {
			return "", fmt.Errorf("%s_env %s is not set or empty", what, env)
		}
		return tok, nil
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("read %s file: %w", what, err)
		}
		tok := strings.TrimSpace(string(b))
		if tok == "" {
			return "", fmt.Errorf("%s_file %s is empty", what, file)
		}
		return tok, nil
	}
	return "", nil
}

// validOrigin reports whether o is an http(s) origin: scheme://host[:port].
func validOrigin(o string) bool {
	u, err := url.Parse(o)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" &&
		(u.Path == "" || u.Path == "/") && u.RawQuery == "" && u.Fragment == "" && u.User == nil
}
