// Package configs holds Steward's embedded default configuration and demo
// world, and loads configuration strictly.
//
// Contract. Load starts from the embedded default (overlaid by the given
// file, section by section), applies STEWARD_* environment variables, then
// --set style overrides, then validates. Unknown keys anywhere are errors naming their
// path. Secrets are never read from the YAML: user tokens come from
// token_env or token_file, and Config never prints them.
//
// Files: configs.go the types, load.go loading (overlay, environment and
// --set overrides), validate.go the checks Validate runs, credentials.go
// the secrets that bots and users name.
package configs

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"time"
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
