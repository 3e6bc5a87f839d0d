package kernel

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/steward-os/steward/kernel/internal/authz"
	"github.com/steward-os/steward/kernel/internal/kit"
	"github.com/steward-os/steward/kernel/internal/llm"
	"github.com/steward-os/steward/kernel/internal/narration"
	"github.com/steward-os/steward/kernel/internal/offline"
	"github.com/steward-os/steward/kernel/internal/plan"
	"github.com/steward-os/steward/kernel/internal/registry"
	"github.com/steward-os/steward/kernel/route"
	"github.com/steward-os/steward/session"
)

// Router kinds and narration modes (Models.Router, Models.Narration).
const (
	RouterOffline     = "offline"  // the embedded offline router (default)
	RouterOpenAI      = "openai"   // models through OpenAI-compatible endpoints
	NarrationTemplate = "template" // manifests' templates (default)
	NarrationModel    = "model"    // a model writes first, grounded
)

// ModelProvider is one OpenAI-compatible endpoint (OpenAI, Azure OpenAI,
// Ollama, vLLM, a llama.cpp server) with its model, resolved key, timeout,
// completion cap, output kind and prices.
type ModelProvider = llm.Provider

// TenantModels is a tenant's choice of providers and monthly token budget.
type TenantModels = llm.Tenant

// Models configures the model path (docs/models.md). The zero value is
// the offline router with template narration: no key, no network.
type Models struct {
	Router    string // RouterOffline (default) or RouterOpenAI
	Narration string // NarrationTemplate (default) or NarrationModel
	// Providers in failover order. Each key is added to the kernel's
	// masker.
	Providers []ModelProvider
	Tenants   map[session.TenantID]TenantModels
	// BreakerFailures consecutive failures open a provider's circuit
	// breaker for BreakerCooldown (defaults 3 and 30 s).
	BreakerFailures int
	BreakerCooldown time.Duration
	// MaxRetryAfter caps how long a 429's retry-after sets a provider
	// aside (default 5 min).
	MaxRetryAfter time.Duration
	// ContextTokens bounds the conversation context in a prompt (default
	// 1500).
	ContextTokens int
}

func (m *Models) check() error {
	if err := oneOf("router kind", &m.Router, RouterOffline, RouterOpenAI); err != nil {
		return err
	}
	if err := oneOf("narration", &m.Narration, NarrationTemplate, NarrationModel); err != nil {
		return err
	}
	if (m.Router == RouterOpenAI || m.Narration == NarrationModel) && len(m.Providers) == 0 {
		return fmt.Errorf("router %s with narration %s needs at least one model provider", m.Router, m.Narration)
	}
	return nil
}

// oneOf checks a setting against its values; empty is the first.
func oneOf(what string, v *string, values ...string) error {
	if *v == "" {
		*v = values[0]
	}
	if !slices.Contains(values, *v) {
		return fmt.Errorf("%s %q: want one of %s", what, *v, strings.Join(values, ", "))
	}
	return nil
}

// modelParts are the kernel parts the model path reads.
type modelParts struct {
	reg   *registry.Registry
	az    *authz.Authz
	plans *plan.Checker
	rec   *kit.Recorder
	speak *narration.Narrator
}

// useModels builds the model path when the configuration asks for it:
// the router and planner (unless Deps named its own) with the offline
// router as fallback, and model narration.
// It returns what flushes the model path's token counts at shutdown.
func useModels(cfg Config, d *Deps, routed bool, p modelParts) (func(context.Context) error, error) {
	mc := cfg.Models
	if mc.Router != RouterOpenAI && mc.Narration != NarrationModel {
		return nil, nil
	}
	for _, pr := range mc.Providers {
		d.Masker.AddSecrets(pr.APIKey)
	}
	fallback, ok := d.Router.(llm.Fallback)
	if routed || !ok {
		fallback = offline.New(offline.Options{MinConfidence: cfg.MinConfidence})
	}
	m, err := llm.New(llm.Options{
		Providers: mc.Providers, Tenants: mc.Tenants, UnmaskPII: cfg.UnmaskPII,
		BreakerFailures: mc.BreakerFailures, BreakerCooldown: mc.BreakerCooldown, MaxRetryAfter: mc.MaxRetryAfter,
		Repairs: cfg.PlanRetries, ContextTokens: mc.ContextTokens,
		Tools: modelTools{reg: p.reg, az: p.az, schemas: &sync.Map{}}, Fallback: fallback, Usage: d.Store, Recorder: p.rec, Masker: d.Masker,
		Check: func(ctx context.Context, a session.Actor, pl route.Plan, surface []route.ToolSpec) []*kit.Error {
			_, problems := p.plans.Check(ctx, a, pl, surface)
			return problems
		},
		Clock: d.Clock, Log: d.Log,
	})
	if err != nil {
		return nil, fmt.Errorf("kernel: models: %w", err)
	}
	if mc.Router == RouterOpenAI && !routed {
		d.Router, d.Planner = m, m
	}
	if mc.Narration == NarrationModel {
		p.speak.WithModel(m)
	}
	return m.Flush, nil
}

// modelTools is what the model path reads about tools: schemas, the
// actor's permission (scopes and ceiling, nothing recorded) and domains.
type modelTools struct {
	reg     *registry.Registry
	az      *authz.Authz
	schemas *sync.Map // *registry.Tool → its schema as JSON (a reload makes a new Tool)
}

func (mt modelTools) Schema(id session.ToolID) ([]byte, bool) {
	t, ok := mt.reg.Tool(id)
	if !ok {
		return nil, false
	}
	if b, ok := mt.schemas.Load(t); ok {
		return b.([]byte), true
	}
	b, err := json.Marshal(t.Bound.Schema)
	if err != nil {
		return nil, false
	}
	mt.schemas.Store(t, b)
	return b, true
}

func (mt modelTools) Permits(a session.Actor, id session.ToolID) bool {
	t, ok := mt.reg.Tool(id)
	if !ok || len(t.Decl().Scopes) == 0 || t.Level > mt.az.Ceiling(a) {
		return false
	}
	for _, sc := range t.Decl().Scopes {
		if !mt.az.HoldsScope(a, sc) {
			return false
		}
	}
	return true
}

func (mt modelTools) Domain(ext string) string {
	for _, x := range mt.reg.Extensions() {
		if x.ID() == ext {
			return x.Manifest.Description
		}
	}
	return ""
}
