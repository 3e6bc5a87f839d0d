// Package llm is the model path of the kernel (router.kind: openai): a
// route.Router and route.Planner backed by any OpenAI-compatible chat
// completions endpoint (OpenAI, Azure OpenAI, Ollama, vLLM, llama.cpp
// server), reached through the openai-go client.
//
// Contract. A model proposes; it never executes. Routing sees only the
// one-line summaries of the tools the actor may run; planning sees only
// the full schemas of the routed tools the actor may run. A plan comes
// back as structured output (a json_schema response format or tool calls,
// per provider) and is parsed strictly; a plan that fails parsing or the
// kernel's plan check gets at most Repairs retries with the problems fed
// back, then the user gets a clarifying question. The kernel checks,
// authorizes and gates every plan again exactly as it does offline plans.
//
// What reaches a model passes the PII gate (the kernel's masker: personal
// data as placeholders unless the tenant opted in, secrets always
// removed); tool results, resources and earlier turns are quoted inside
// data markers carrying a per-call nonce, which the model is told never to
// follow as instructions. Placeholders a model echoes are restored only
// from values of the same prompt. Free text a model writes (a question,
// a narration) passes the grounding check in enforce mode. Every prompt
// and every completion is audited (masked) with token counts and cost.
//
// Providers are tried in order; a timeout, a 5xx, a 429 (whose retry-after
// is honoured: the provider is skipped until then) or a transport error
// moves on to the next; a circuit breaker per provider skips one that
// keeps failing. When no provider answers, the offline router answers and
// the reply says so (route.Intent.Notice). A tenant may pick its
// providers and has a monthly token budget (store.Usage, so it survives
// restarts); a spent budget is the error model_budget_exhausted.
package llm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/steward-os/steward/kernel/internal/kit"
	"github.com/steward-os/steward/kernel/internal/redact"
	"github.com/steward-os/steward/kernel/route"
	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// Output kinds: how a provider returns structured answers.
const (
	OutputJSONSchema = "json_schema" // response_format {type: json_schema}
	OutputTools      = "tools"       // function tool calls
)

// Provider kinds.
const (
	KindOpenAI   = "openai"
	KindAzure    = "azure"
	KindOllama   = "ollama"
	KindVLLM     = "vllm"
	KindLlamaCpp = "llamacpp"
)

// OfflineProvider is the name a tenant lists to be answered by the
// offline router (no model) from that point of its list on.
const OfflineProvider = "offline"

// NoticeOffline is the line shown before a reply that the offline router
// produced because no model could be reached.
const NoticeOffline = "No language model could be reached just now, so the built-in offline router understood this request."

// Provider is one OpenAI-compatible endpoint.
type Provider struct {
	Name    string
	Kind    string // KindOpenAI, KindAzure, KindOllama, KindVLLM, KindLlamaCpp
	BaseURL string // ".../v1/"; for Azure the resource's /openai/v1/ or a deployment's URL
	Model   string // model (or Azure deployment) name
	// APIKey is the resolved credential ("" for a local server that needs
	// none). The kernel adds it to its masker.
	APIKey string
	// APIVersion, for Azure deployment URLs, is the api-version query
	// parameter; empty for the /openai/v1/ API.
	APIVersion string
	Timeout    time.Duration // per call (default 30 s)
	MaxTokens  int           // completion tokens per call (default 1024)
	Output     string        // OutputJSONSchema (default) or OutputTools
	// InputPrice and OutputPrice are the cost of a million prompt and
	// completion tokens, in the operator's currency (audited as cost).
	InputPrice, OutputPrice float64
}

// Tenant is a tenant's model policy.
type Tenant struct {
	// Providers names the providers to try, in order; empty means every
	// provider in configured order. OfflineProvider stops the list there.
	Providers []string
	// MonthlyTokens is the tenant's budget per calendar month (UTC); 0
	// means no budget.
	MonthlyTokens int64
}

// Tools is what the model path reads about registered tools.
type Tools interface {
	// Schema is a tool's full JSON Schema for its arguments.
	Schema(id session.ToolID) ([]byte, bool)
	// Permits reports whether the actor's roles may run the tool (scopes
	// and safety ceiling), without recording anything.
	Permits(a session.Actor, id session.ToolID) bool
	// Domain is an extension's one-line description.
	Domain(ext string) string
}

// Fallback answers when no model can: the offline router.
type Fallback interface {
	route.Router
	route.Planner
}

// Checker is the kernel's whole-plan check (the same one the engine runs
// after planning): nil problems means the plan passes.
type Checker func(ctx context.Context, a session.Actor, p route.Plan, surface []route.ToolSpec) []*kit.Error

// Options configure a Model.
type Options struct {
	Providers []Provider // in failover order
	Tenants   map[session.TenantID]Tenant
	// UnmaskPII lists tenants that opted in to unmasked model context.
	UnmaskPII map[session.TenantID]bool
	// BreakerFailures consecutive failures open a provider's breaker for
	// BreakerCooldown (defaults 3 and 30 s).
	BreakerFailures int
	BreakerCooldown time.Duration
	// MaxRetryAfter caps how long a 429's retry-after keeps a provider
	// aside (default 5 min).
	MaxRetryAfter time.Duration
	// Repairs bounds the re-asks after an invalid plan (default 2).
	Repairs int
	// ContextTokens bounds the conversation context (earlier turns,
	// facts, resources) put in a prompt (default 1500).
	ContextTokens int

	Tools    Tools
	Check    Checker
	Fallback Fallback
	Usage    store.Usage
	Recorder *kit.Recorder
	Masker   *redact.Masker
	Clock    func() time.Time
	Log      *slog.Logger
	// HTTPClient carries the calls (default: a client without a timeout
	// of its own; each call has its provider's).
	HTTPClient *http.Client
}

// Model routes, plans and narrates with models. Safe for concurrent use.
type Model struct {
	o         Options
	endpoints []*endpoint
	byName    map[string]*endpoint
	memory    *memory
	cache     *caches
	usage     *usage
}

// New checks the options and builds a client per provider. It makes no
// network call.
func New(o Options) (*Model, error) {
	if len(o.Providers) == 0 {
		return nil, errors.New("llm: no provider configured")
	}
	if o.Tools == nil || o.Fallback == nil || o.Recorder == nil || o.Usage == nil || o.Masker == nil {
		return nil, errors.New("llm: Tools, Fallback, Recorder, Usage and Masker are required")
	}
	o.defaults()
	m := &Model{o: o, byName: map[string]*endpoint{}, memory: newMemory(4096, 8), cache: newCaches(), usage: newUsage(o.Usage, o.Log)}
	for _, p := range o.Providers {
		if _, dup := m.byName[p.Name]; dup || p.Name == "" || p.Name == OfflineProvider {
			return nil, fmt.Errorf("llm: provider name %q is empty, reserved or used twice", p.Name)
		}
		ep, err := newEndpoint(p, o)
		if err != nil {
			return nil, err
		}
		m.endpoints = append(m.endpoints, ep)
		m.byName[p.Name] = ep
	}
	for t, pol := range o.Tenants {
		for _, n := range pol.Providers {
			if _, ok := m.byName[n]; !ok && n != OfflineProvider {
				return nil, fmt.Errorf("llm: tenant %s names unknown provider %q", t, n)
			}
		}
	}
	return m, nil
}

// Flush waits until the tokens counted so far are written to the store
// (call it at shutdown).
func (m *Model) Flush(ctx context.Context) error { return m.usage.flush(ctx) }

func (o *Options) defaults() {
	setDefault(&o.BreakerFailures, 3)
	setDefault(&o.BreakerCooldown, 30*time.Second)
	setDefault(&o.MaxRetryAfter, 5*time.Minute)
	setDefault(&o.ContextTokens, 1500)
	if o.Repairs <= 0 {
		o.Repairs = 2
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{}
	}
	for i := range o.Providers {
		p := &o.Providers[i]
		setDefault(&p.Timeout, 30*time.Second)
		setDefault(&p.MaxTokens, 1024)
		if p.Output == "" {
			p.Output = OutputJSONSchema
		}
	}
}

func setDefault[T int | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

// chain is the providers a tenant's turn may use, in order, and whether
// the tenant wants the offline router instead (an empty list with
// offline true).
func (m *Model) chain(t session.TenantID) (eps []*endpoint, offline bool) {
	pol, ok := m.o.Tenants[t]
	if !ok || len(pol.Providers) == 0 {
		return m.endpoints, false
	}
	for _, n := range pol.Providers {
		if n == OfflineProvider {
			return eps, len(eps) == 0
		}
		eps = append(eps, m.byName[n])
	}
	return eps, false
}

// Route classifies the turn with a model, or with the offline router when
// no model answers (the intent then carries NoticeOffline).
func (m *Model) Route(ctx context.Context, t route.Turn) (route.Intent, error) {
	if _, offline := m.chain(t.Actor.Tenant); offline {
		return m.o.Fallback.Route(ctx, t)
	}
	in, err := m.route(ctx, t)
	if errors.Is(err, errUnavailable) {
		m.fellBack(ctx, t, "route", err)
		in, err = m.o.Fallback.Route(ctx, t)
		in.Notice = NoticeOffline
	}
	if err == nil {
		m.memory.asked(t, in)
	}
	return in, err
}

// Plan plans the turn on the routed surface with a model (the offline
// planner when the router fell back, or when no model answers now).
func (m *Model) Plan(ctx context.Context, t route.Turn, in route.Intent, surface []route.ToolSpec) (route.Plan, error) {
	if _, offline := m.chain(t.Actor.Tenant); offline || in.Notice == NoticeOffline {
		p, err := m.o.Fallback.Plan(ctx, t, in, surface)
		m.memory.planned(t, p)
		return p, err
	}
	p, err := m.plan(ctx, t, surface)
	if errors.Is(err, errUnavailable) {
		m.fellBack(ctx, t, "plan", err)
		p, err = m.o.Fallback.Plan(ctx, t, in, surface)
		p.Notice = NoticeOffline
	}
	if err == nil {
		m.memory.planned(t, p)
	}
	return p, err
}
