// Package engine is the kernel's turn engine: one authenticated request in,
// one answer out, through the stages of docs/pipeline.md in order — actor,
// quota, context, route, plan, validate, authorize, gate, dispatch,
// record, narrate — with an audit record at every stage. turn.go reads top
// to bottom as that pipeline; chain.go carries a checked plan out step by
// step; decide.go resumes a frozen plan when a person decides.
//
// Contract. Nothing a user types and nothing a router proposes can skip a
// stage: tools outside the routed surface are unreachable, arguments are
// schema-checked, every step is authorized against the actor's tenant,
// scopes and role ceiling, and any change the gate says needs a person
// becomes a frozen proposal. A redelivered inbound event (same dedupe key,
// same request) runs nothing again and gets the first answer back; the key
// reused for another request is refused. Every dispatch at level ≥ 1 is
// claimed before it runs, keyed by the request it answers and its step,
// so nothing that changes state runs twice, across crashes too (Recover).
// A turn answers only after its audit records are durable. The engine
// owns no tool, knows no domain word and imports no channel.
package engine

import (
	"log/slog"
	"time"

	"github.com/steward-os/steward/kernel/internal/authz"
	"github.com/steward-os/steward/kernel/internal/bus"
	"github.com/steward-os/steward/kernel/internal/dialogue"
	"github.com/steward-os/steward/kernel/internal/kit"
	"github.com/steward-os/steward/kernel/internal/levels"
	"github.com/steward-os/steward/kernel/internal/links"
	"github.com/steward-os/steward/kernel/internal/narration"
	"github.com/steward-os/steward/kernel/internal/plan"
	"github.com/steward-os/steward/kernel/internal/proposals"
	"github.com/steward-os/steward/kernel/internal/redact"
	"github.com/steward-os/steward/kernel/internal/registry"
	"github.com/steward-os/steward/kernel/internal/tasks"
	"github.com/steward-os/steward/kernel/route"
	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// Config tunes the engine.
type Config struct {
	// MinConfidence below which the engine asks instead of acting.
	MinConfidence float64
	// PlanRetries bounds re-planning after invalid arguments (ROUTE-04).
	PlanRetries int
	// LedgerCap bounds the facts replayed to the router per turn (AF-04).
	LedgerCap session.Cap
	// TenantConcurrency bounds how many turns of one tenant run at once
	// (0: no bound).
	TenantConcurrency int
}

// Store is what the engine keeps itself.
type Store interface {
	store.Dedupe
	store.Ledger
	store.Chains
	store.Executions
}

// Parts are the kernel parts a turn passes through.
type Parts struct {
	Registry  *registry.Registry
	Authz     *authz.Authz
	Quotas    *authz.Quotas
	Levels    *levels.Resolver
	Facts     *levels.FactMasker
	Plans     *plan.Checker
	Gate      *proposals.Gate
	Tasks     *tasks.Runner
	Bus       *bus.Bus
	Links     *links.Links
	Dialogue  *dialogue.Dialogue // nil: no dialogue state
	Narrator  *narration.Narrator
	Recorder  *kit.Recorder
	Masker    *redact.Masker
	Directory session.Directory
	Router    route.Router
	Planner   route.Planner
	Clock     func() time.Time
}

// Engine runs turns.
type Engine struct {
	cfg Config
	st  Store
	Parts
	log  *slog.Logger
	fair *fairness
	// recent serves each session's replayed facts from memory while its
	// ledger version is unchanged.
	recent *levels.RecentFacts
}

// New returns an Engine and tells the task runner how a plan resumes when
// one of its tasks ends.
func New(cfg Config, st Store, p Parts) *Engine {
	e := &Engine{cfg: cfg, st: st, Parts: p, log: p.Recorder.Logger(), fair: newFairness(cfg.TenantConcurrency), recent: levels.NewRecentFacts(st, p.Facts)}
	p.Tasks.SetResume(e.settleChain)
	return e
}
