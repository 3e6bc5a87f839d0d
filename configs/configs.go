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
		// AllowedHosts are the names (or addresses), besides loopback
		// ones, that requests may carry in their Host header: "name",
		// "name:port", "[v6]" or "[v6]:port". Checked when demo tokens
		// are on or the list is not empty; their own origins may open the
		// web page's socket.
		AllowedHosts []string `json:"allowed_hosts"`
		// Refusals bound what one client address may cost: after Burst
		// refusals its requests are answered 429 before anything reads
		// them, until the allowance refills at PerMinute (Burst 0: never);
		// its refusals after the first in a Window are audited as one
		// summary record.
		Refusals struct {
			Burst     int      `json:"burst"`
			PerMinute float64  `json:"per_minute"`
			Window    Duration `json:"window"`
		} `json:"refusals"`
	} `json:"server"`
	Data string `json:"data"`
	// Store is where the state lives: the embedded file under Data, or Redis.
	Store Store `json:"store"`
	Log   struct {
		Level  string `json:"level"`
		Format string `json:"format"`
	} `json:"log"`
	// Metrics and Tracing are the gateway's telemetry (telemetry.go).
	Metrics Metrics `json:"metrics"`
	Tracing Tracing `json:"tracing"`
	Router  Router  `json:"router"`
	Safety  struct {
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
	// Limits bound what one tenant may hold and run at once, so its cost
	// and its share of the machine do not grow with what it stores.
	Limits struct {
		StateValuesPerTenant int `json:"state_values_per_tenant"`
		TenantConcurrency    int `json:"tenant_concurrency"`
	} `json:"limits"`
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
	// Profile is the background refresh's block, decoded strictly by the
	// module proactive.profile (docs/profile.md).
	Profile any `json:"profile,omitempty"`

	// Channels holds each channel module's configuration block by its
	// top-level key: a key of the document is a channel's block when a
	// module "channels.<key>" is registered (web, telegram, slack,
	// discord, …). Each block is decoded strictly by its module.
	Channels map[string]any `json:"-"`

	// Warnings found while loading (for example an environment variable
	// that names no setting); the caller logs them.
	Warnings []string `json:"-"`
}

// Router chooses how requests are understood: the embedded offline
// router, or models through OpenAI-compatible endpoints (docs/models.md).
type Router struct {
	Kind          string  `json:"kind"` // offline or openai
	MinConfidence float64 `json:"min_confidence"`
	// Narration is "template" (the manifests' templates) or "model" (a
	// model writes first; the grounding check decides).
	Narration string `json:"narration"`
	// Failover lists every provider's name in the order they are tried;
	// empty means every provider, by name.
	Failover  []string            `json:"failover"`
	Providers map[string]Provider `json:"providers"`
	// BreakerFailures consecutive failures set a provider aside for
	// BreakerCooldown; MaxRetryAfter caps how long a 429 does.
	BreakerFailures int      `json:"breaker_failures"`
	BreakerCooldown Duration `json:"breaker_cooldown"`
	MaxRetryAfter   Duration `json:"max_retry_after"`
	// ContextTokens bounds the conversation context of a prompt.
	ContextTokens int `json:"context_tokens"`
}

// Provider is one OpenAI-compatible endpoint. Its key is referenced,
// never inlined.
type Provider struct {
	Kind        string   `json:"kind"` // openai, azure, ollama, vllm, llamacpp
	BaseURL     string   `json:"base_url"`
	Model       string   `json:"model"`
	APIKeyEnv   string   `json:"api_key_env,omitempty"`
	APIKeyFile  string   `json:"api_key_file,omitempty"`
	APIVersion  string   `json:"api_version,omitempty"` // azure deployment URLs
	Timeout     Duration `json:"timeout"`
	MaxTokens   int      `json:"max_tokens"`
	Output      string   `json:"output"` // json_schema or tools
	InputPrice  float64  `json:"input_price"`
	OutputPrice float64  `json:"output_price"`
}

// Key resolves a provider's key from the environment or its file: ""
// when none is configured.
func (p Provider) Key(getenv func(string) string) (string, error) {
	return Secret("api_key", p.APIKeyEnv, p.APIKeyFile, getenv)
}

// TenantModels is a tenant's choice of model providers and its monthly
// token budget.
type TenantModels struct {
	// Providers, in order; empty means router.failover. "offline" makes
	// the offline router answer this tenant from there on.
	Providers     []string `json:"providers"`
	MonthlyTokens int64    `json:"monthly_tokens"` // 0: no budget
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
	Models         TenantModels    `json:"models"`
	Users          map[string]User `json:"users"`
	// Approvals is who must accept the tenant's proposals (approvals.go).
	Approvals Approvals `json:"approvals"`
}

// User is one person of a tenant. Credentials are referenced, never inlined.
type User struct {
	Roles     []string `json:"roles"`
	Manager   string   `json:"manager,omitempty"`
	TokenEnv  string   `json:"token_env,omitempty"`
	TokenFile string   `json:"token_file,omitempty"`
}
