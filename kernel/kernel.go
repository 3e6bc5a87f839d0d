// Package kernel is Steward's finite core: it turns one authenticated
// request into routing, planning, checks, authorization, the safety gate,
// dispatch, a verbatim fact and a narrated reply, writing an audit record at
// every stage.
//
// Contract. The kernel owns no tool and knows no domain word: tools come
// from extensions loaded through the manifest contract. Nothing a user
// types, and nothing a router or model proposes, can skip a stage: tools
// outside the routed surface are unreachable, arguments are schema-checked,
// every step is authorized against the actor's tenant, scopes and role
// ceiling, and any change at level ≥ 2 (or 1 by tenant policy) becomes a
// frozen proposal that only its actor (or, under the tenant's approval
// policy, an eligible approver other than its actor) can accept, once,
// before it expires, with the exact arguments shown. Channels reach the kernel only through
// session types; the kernel imports no channel.
//
// Kernel is a thin composition of parts, each its own package under
// kernel/internal with a narrow interface (docs/architecture.md): the
// extension registry, the turn engine, the safety gate (proposals), the
// task runner, the session bus, identity links, authorization, context
// levels, plan checks and grounded narration. The parts a channel uses
// besides turns are handed out as session.Tasks, session.Identity and
// session.Deliveries.
package kernel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/steward-os/steward/kernel/audit"
	"github.com/steward-os/steward/kernel/internal/authz"
	"github.com/steward-os/steward/kernel/internal/bus"
	"github.com/steward-os/steward/kernel/internal/dialogue"
	"github.com/steward-os/steward/kernel/internal/engine"
	"github.com/steward-os/steward/kernel/internal/kit"
	"github.com/steward-os/steward/kernel/internal/levels"
	"github.com/steward-os/steward/kernel/internal/links"
	"github.com/steward-os/steward/kernel/internal/narration"
	"github.com/steward-os/steward/kernel/internal/offline"
	"github.com/steward-os/steward/kernel/internal/plan"
	"github.com/steward-os/steward/kernel/internal/proposals"
	"github.com/steward-os/steward/kernel/internal/redact"
	"github.com/steward-os/steward/kernel/internal/registry"
	"github.com/steward-os/steward/kernel/internal/tasks"
	"github.com/steward-os/steward/kernel/manifest"
	"github.com/steward-os/steward/kernel/route"
	"github.com/steward-os/steward/sdk"
	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// ConformanceLevel is the ICNLI conformance level this kernel implements
// (self-attested). Extensions targeting a higher level are refused.
const ConformanceLevel = registry.ConformanceLevel

// Version of the kernel.
const Version = "0.1.0"

// LinkCodeTTL is how long a link code may be redeemed.
const LinkCodeTTL = links.TTL

// AnswerTool names the facts the kernel records for answers from the ledger.
const AnswerTool = engine.AnswerTool

// Store is the storage the kernel needs: every part's store interface.
type Store = store.Backend

// Masker masks personal data and removes secrets from what leaves the kernel.
type Masker = redact.Masker

// NewMasker returns a Masker that also removes the given secrets.
func NewMasker(secrets ...string) *Masker { return redact.New(secrets...) }

// NewLogHandler wraps a log handler so that no secret m knows, now or
// later, and no well-known token shape reaches it: every record's message
// and attribute values are masked first (redact.Handler).
func NewLogHandler(next slog.Handler, m *Masker) slog.Handler { return redact.NewHandler(next, m) }

// Deps are the kernel's collaborators. Router and Planner default to the
// embedded offline router (no network, no model, no key).
type Deps struct {
	Store     Store
	Directory session.Directory
	Router    route.Router
	Planner   route.Planner
	Masker    *Masker
	Log       *slog.Logger
	Clock     func() time.Time
	// Telemetry receives metrics and traces (nil: none; docs/observability.md).
	Telemetry *Telemetry
}

// Kernel is the core. Create it with New.
type Kernel struct {
	cfg      Config
	reg      *registry.Registry
	engine   *engine.Engine
	gate     *proposals.Gate
	tasks    *tasks.Runner
	links    *links.Links
	bus      *bus.Bus
	speak    *narration.Narrator
	rec      *kit.Recorder
	sessions deliveries
	surface  surface
	flush    func(context.Context) error // the model path's token counts; nil without it
	obs      *Telemetry                  // nil without Deps.Telemetry
}

// New builds a kernel from its parts.
func New(cfg Config, d Deps) (*Kernel, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	routed := d.Router != nil && d.Planner != nil // the caller's own router wins
	if err := d.defaults(cfg); err != nil {
		return nil, err
	}
	rec := newRecorder(d)
	reg := registry.New(rec, d.Store, d.Directory, d.Clock, cfg.StateValuesPerTenant)
	az := authz.New(cfg.Roles, reg, d.Directory, rec)
	quotas := authz.NewQuotas(cfg.TurnsPerMinute, cfg.TenantTurnsPerMinute, d.Clock)
	b := bus.New(d.Store, cfg.Delivery, d.Clock, d.Log)
	reg.OnNote(deliverNotes(b)) // inbox.go
	speak := narration.New(rec)
	plans := plan.New(reg, d.Store)
	flushModels, err := useModels(cfg, &d, routed, modelParts{reg: reg, az: az, plans: plans, rec: rec, speak: speak})
	if err != nil {
		return nil, err
	}
	if d.Telemetry != nil {
		d.Router, d.Planner = observedRouter{d.Router}, observedPlanner{d.Planner}
	}
	gate := proposals.New(proposals.Config{TTL: cfg.ProposalTTL, Cooling: cfg.Cooling, ConfirmLevel1: cfg.ConfirmLevel1, Approvals: cfg.Approvals}, d.Store, reg, rec, d.Clock,
		proposals.Parties{People: proposals.People{Directory: d.Directory, Ceiling: az.Ceiling}, Notify: b})
	runner := tasks.New(tasks.Config{InlineBudget: cfg.InlineBudget, Cap: cfg.TaskCap, MaxCap: cfg.MaxTaskCap, MaxResultBytes: cfg.MaxResultBytes}, d.Store,
		tasks.Parts{Registry: reg, Authz: az, Bus: b, Narrator: speak, Recorder: rec, Clock: d.Clock})
	ln := links.New(d.Store, az, quotas, d.Directory, rec, d.Clock)
	eng := engine.New(engine.Config{MinConfidence: cfg.MinConfidence, PlanRetries: cfg.PlanRetries, LedgerCap: cfg.LedgerCap, TenantConcurrency: cfg.TenantConcurrency}, d.Store, engine.Parts{
		Registry: reg, Authz: az, Quotas: quotas, Plans: plans, Gate: gate, Tasks: runner, Bus: b, Links: ln,
		Levels: levels.New(reg, az, quotas, d.Masker, levels.Policy{ConfirmLevel1: cfg.ConfirmLevel1, UnmaskPII: cfg.UnmaskPII}, d.Clock, Version, ConformanceLevel),
		Facts:  levels.NewFactMasker(d.Masker), Narrator: speak, Recorder: rec, Masker: d.Masker, Directory: d.Directory,
		Router: d.Router, Planner: d.Planner, Clock: d.Clock, Dialogue: dialogue.New(d.Store, d.Clock),
	})
	return &Kernel{cfg: cfg, reg: reg, engine: eng, gate: gate, tasks: runner, links: ln, bus: b, speak: speak, rec: rec,
		sessions: deliveries{Bus: b, az: az},
		surface:  surface{reg: reg, az: az, ledger: d.Store, mask: levels.NewFactMasker(d.Masker), unmask: cfg.UnmaskPII}, flush: flushModels, obs: d.Telemetry}, nil
}

func (d *Deps) defaults(cfg Config) error {
	if d.Store == nil || d.Directory == nil {
		return errors.New("kernel: Store and Directory are required")
	}
	if d.Router == nil || d.Planner == nil {
		r := offline.New(offline.Options{MinConfidence: cfg.MinConfidence})
		d.Router, d.Planner = r, r
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Clock == nil {
		d.Clock = time.Now
	}
	if d.Masker == nil {
		d.Masker = redact.New()
	}
	return nil
}

// Config returns the effective configuration.
func (k *Kernel) Config() Config { return k.cfg }

// Handle runs one turn for an authenticated actor: a text request or a
// structured decision on a proposal. It always returns an Outbound; err is
// non-nil only when the turn could not be recorded at all. A redelivered
// inbound event (same in.ID from the same actor and channel, same request)
// runs nothing again and gets the first answer back; the same in.ID with
// another request is refused (idempotency_key_reused).
func (k *Kernel) Handle(ctx context.Context, a session.Actor, in session.Inbound) (session.Outbound, error) {
	return k.observeTurn(ctx, in, func(ctx context.Context) (session.Outbound, error) { return k.engine.Handle(ctx, a, in) })
}

// Classify routes and plans a request without running anything.
func (k *Kernel) Classify(ctx context.Context, a session.Actor, text string) (session.Classification, error) {
	return k.engine.Classify(ctx, a, text)
}

// Proposal returns one of the actor's own proposals, so that a channel
// can show what became of it (a card edited when it expires). Anyone
// else's proposal, or one that does not exist, is proposal_not_found.
func (k *Kernel) Proposal(ctx context.Context, a session.Actor, id session.ProposalID) (session.Proposal, error) {
	return k.gate.View(ctx, a, id)
}

// Refuse records requests a channel turned away (bad input, failed
// authentication, unknown route, a client over its refusal limit): one
// as request_refused, a channel's summary of several from one client as
// refusal_summary. Either is in the actor's tenant, or in _system as
// "anonymous" when no actor is known.
func (k *Kernel) Refuse(ctx context.Context, r session.Refusal) {
	who := session.Actor{ID: "anonymous", Tenant: "_system"}
	if r.Actor != nil {
		who = *r.Actor
	}
	if r.Codes != nil {
		k.rec.Note(ctx, who, "", audit.KindRefusalSummary, refusalSummary(r))
		k.rec.SyncLogged(ctx)
		return
	}
	detail := r.Detail
	if len(detail) > 300 {
		detail = strings.ToValidUTF8(detail[:300], "")
	}
	data := map[string]string{"channel": string(r.Channel), "code": r.Code, "detail": detail}
	if r.From != "" {
		data["from"] = r.From
	}
	k.rec.Note(ctx, who, "", audit.KindRequestError, data)
	k.rec.SyncLogged(ctx)
}

// refusalSummary is the data of a refusal_summary record.
func refusalSummary(r session.Refusal) map[string]any {
	n := 0
	for _, c := range r.Codes {
		n += c
	}
	from := r.From
	if from == "" {
		from = "an unknown address"
	}
	return map[string]any{
		"channel": r.Channel, "from": r.From, "count": n, "codes": r.Codes, "first": r.First.UTC(), "last": r.Last.UTC(),
		"summary": fmt.Sprintf("%d refused from %s between %s and %s", n, from, r.First.UTC().Format(time.RFC3339), r.Last.UTC().Format(time.RFC3339)),
	}
}

// RecordActAs audits that the local system operator acts as a user (the
// terminal's --as), the only way to act as someone else (ISO-03).
func (k *Kernel) RecordActAs(ctx context.Context, a session.Actor, channel session.ChannelID) error {
	return k.rec.Must(ctx, session.Actor{ID: session.SystemActor, Tenant: a.Tenant}, "", audit.KindActAs, map[string]string{"as": string(a.ID), "channel": string(channel)})
}

// Tasks is the task runner as channels see it (listing, cancelling).
func (k *Kernel) Tasks() session.Tasks { return k.tasks }

// Identity is identity linking as channels see it.
func (k *Kernel) Identity() session.Identity { return k.links }

// Deliveries is the session bus as channels see it: an actor's events,
// the global feed, and the channels' marks.
func (k *Kernel) Deliveries() session.Deliveries { return k.sessions }

// Load validates and registers an extension, all or nothing (EXT-02…05).
// It returns the issues found; when any has error severity, nothing was
// registered and the error is a *manifest.IssuesError.
func (k *Kernel) Load(ctx context.Context, e sdk.Extension) ([]manifest.Issue, error) {
	return k.reg.Load(ctx, e)
}

// Replace swaps a loaded extension for a new version of itself (same id),
// all or nothing: on any error-severity issue the loaded version stays
// as it was and the error is a *manifest.IssuesError. Audited like Load.
func (k *Kernel) Replace(ctx context.Context, e sdk.Extension) ([]manifest.Issue, error) {
	return k.reg.Replace(ctx, e)
}

// Surface is each actor's own tool surface and recent facts, as agents
// see them (session.Surface).
func (k *Kernel) Surface() session.Surface { return k.surface }

// Unload removes an extension and its tools.
func (k *Kernel) Unload(ctx context.Context, id string) error { return k.reg.Unload(ctx, id) }

// Seed initialises each loaded extension's state for a tenant from the
// world data (extension id → JSON), once per tenant and extension.
func (k *Kernel) Seed(ctx context.Context, tenant session.TenantID, world map[string]json.RawMessage) error {
	return k.reg.Seed(ctx, tenant, world)
}

// Catalog lists every registered tool, in load order then by name. The
// slice is shared: callers must not change it.
func (k *Kernel) Catalog() []route.ToolSpec { return k.reg.Catalog() }

// Manifests returns the effective manifest of every loaded extension.
func (k *Kernel) Manifests() []manifest.Manifest { return k.reg.Manifests() }

// GroundingBlocks is how many narrations the grounding check has blocked.
func (k *Kernel) GroundingBlocks() int64 { return k.speak.Blocks() }

// Recover settles what a previous process left unfinished, and runs
// nothing that was claimed again: a call at level ≥ 1 cut off before its
// outcome was recorded is settled with what its extension reconciles, or
// as outcome_unknown, and its actor told; tasks left running end with
// their call's outcome, are re-run (idempotent tools, same idempotency
// key) or fail, and their owners are told; a proposal caught between
// acceptance and its outcome ends with its tool's outcome, or failed as
// interrupted when its tool never started; a dedupe key of a turn that
// never finished gets its calls' settled outcome as its answer, or is
// released when the turn claimed none. Call it once at start-up, before
// serving.
func (k *Kernel) Recover(ctx context.Context) (interrupted int, err error) {
	return k.engine.Recover(ctx)
}

// Escalate handles approval requests whose window has passed: the next
// approver in line is asked, or, with nobody left, the request expires and
// its requester is told (docs/approvals.md). It returns how many expired.
// serve calls it periodically; any instance may, each step happens once.
func (k *Kernel) Escalate(ctx context.Context) (int, error) { return k.engine.Escalate(ctx) }

// Shutdown waits (bounded by ctx) for running handlers to finish. Tasks
// still running when ctx ends stay recorded as running; the next start
// settles them (Recover). The model path's token counts are written.
func (k *Kernel) Shutdown(ctx context.Context) error {
	k.tasks.Shutdown(ctx)
	var flushed error
	if k.flush != nil {
		flushed = k.flush(ctx)
	}
	return errors.Join(flushed, k.rec.Sync(context.Background()))
}

// deliveries is the bus with an actor's events read from their session.
type deliveries struct {
	*bus.Bus
	az *authz.Authz
}

// Events returns the actor's session events after an id; with wait > 0
// it blocks until one arrives, the wait ends or ctx is done (long poll).
func (d deliveries) Events(ctx context.Context, a session.Actor, after int64, wait time.Duration) ([]session.Event, error) {
	a, err := d.az.Actor(ctx, a)
	if err != nil {
		return nil, err
	}
	return d.Bus.Events(ctx, session.SessionFor(a), after, wait)
}
