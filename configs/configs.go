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

	"github.com/steward-os/steward/sdk/module"
	"github.com/steward-os/steward/session"
)

// Default is the embedded default configuration.
//
//go:embed steward.yaml
var Default []byte

// World is the embedded demo world.
//
//go:embed world.yaml
var World []byte

// Duration is a time.Duration written as "30s", "10m" (one type with the
// modules' configuration blocks).
type Duration = module.Duration

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
	// Delivery says where results arriving outside a turn go: "last_used"
	// (the channel the actor used most recently), "all", or
	// "preferred:<channel>".
	Delivery string `json:"delivery"`
	// Extensions lists the extension modules to load, in order, by id
	// ("hosting" is the module extensions.hosting).
	Extensions []string `json:"extensions"`
	// ExtensionConfig holds an extension's own configuration block, by id,
	// decoded strictly by the extension's module.
	ExtensionConfig map[string]any    `json:"extension_config"`
	World           string            `json:"world"`
	Tenants         map[string]Tenant `json:"tenants"`

	// Channels holds each channel module's configuration block by its
	// top-level key: a key of the document is a channel's block when a
	// module "channels.<key>" is registered (web, telegram, slack,
	// discord, …). Each block is decoded strictly by its module.
	Channels map[string]any `json:"-"`

	// Warnings found while loading (for example an environment variable
	// that names no setting); the caller logs them.
	Warnings []string `json:"-"`
}

// Role is a role's safety ceiling and scopes.
type Role = session.Role

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
