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
// frozen proposal that only its actor can accept, once, before it expires,
// with the exact arguments shown. Channels reach the kernel only through
// session types; the kernel imports no channel.
package kernel

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/steward-os/steward/kernel/audit"
	"github.com/steward-os/steward/kernel/redact"
	"github.com/steward-os/steward/kernel/route"
	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// ConformanceLevel is the ICNLI conformance level this kernel implements
// (self-attested). Extensions targeting a higher level are refused.
const ConformanceLevel = 2

// Version of the kernel.
const Version = "0.1.0"

// MinCooling is the shortest cooling period a level-4 proposal may have.
const MinCooling = 30 * time.Second

// Role is what a role may do.
type Role struct {
	// Ceiling is the highest safety level the role may dispatch or propose.
	Ceiling int `json:"ceiling"`
	// Scopes the role holds; "*" matches everything, "*:read" any area's
	// read verb, "hosting:*" every verb of one area.
	Scopes []string `json:"scopes"`
}

// Config tunes the kernel.
type Config struct {
	Roles map[string]Role
	// ProposalTTL is how long a proposal may be accepted (default 10 min).
	ProposalTTL time.Duration
	// Cooling is the level-4 cooling period (default and minimum 30 s).
	Cooling time.Duration
	// ConfirmLevel1 lists tenants whose policy asks before level-1 tools.
	ConfirmLevel1 map[session.TenantID]bool
	// MinConfidence below which the kernel asks instead of acting.
	MinConfidence float64
	// PlanRetries bounds re-planning after invalid arguments (ROUTE-04).
	PlanRetries int
	// LedgerCap bounds the facts replayed to the router per turn (AF-04).
	LedgerCap session.Cap
	// TurnsPerMinute is each actor's quota (L2); 0 means 120.
	TurnsPerMinute int
	// Delivery says where results that arrive outside a turn go:
	// "last_used" (default: the channel the actor used most recently),
	// "all" (every channel of the session) or "preferred:<channel>".
	Delivery string
	// UnmaskPII lists tenants that opted in to unmasked context for
	// routers and models (AF-10); every such turn is audited.
	UnmaskPII map[session.TenantID]bool
	// TenantTurnsPerMinute overrides TurnsPerMinute for a tenant's actors.
	TenantTurnsPerMinute map[session.TenantID]int
	// InlineBudget is how long a dispatch runs inline before it is promoted
	// to a background task (default 5 s; LRO-01).
	InlineBudget time.Duration
	// TaskCap bounds a task (default 180 s); a manifest may opt in to more,
	// up to MaxTaskCap (default 1800 s).
	TaskCap, MaxTaskCap time.Duration
	// MaxResultBytes bounds a recorded result (default 64 KB).
	MaxResultBytes int
}

func (c *Config) defaults() error {
	if c.ProposalTTL <= 0 {
		c.ProposalTTL = 10 * time.Minute
	}
	if c.Cooling == 0 {
		c.Cooling = MinCooling
	}
	if c.Cooling < MinCooling {
		return fmt.Errorf("cooling period %s is below the minimum %s", c.Cooling, MinCooling)
	}
	if c.MinConfidence <= 0 {
		c.MinConfidence = 0.45
	}
	if c.PlanRetries <= 0 {
		c.PlanRetries = 2
	}
	if c.LedgerCap.Count <= 0 {
		c.LedgerCap.Count = 20
	}
	if c.LedgerCap.Bytes <= 0 {
		c.LedgerCap.Bytes = 32 << 10
	}
	switch {
	case c.Delivery == "":
		c.Delivery = "last_used"
	case c.Delivery == "last_used", c.Delivery == "all", strings.HasPrefix(c.Delivery, "preferred:") && len(c.Delivery) > len("preferred:"):
	default:
		return fmt.Errorf("delivery %q: want last_used, all or preferred:<channel>", c.Delivery)
	}
	if c.TurnsPerMinute <= 0 {
		c.TurnsPerMinute = 120
	}
	if c.InlineBudget <= 0 {
		c.InlineBudget = 5 * time.Second
	}
	if c.TaskCap <= 0 {
		c.TaskCap = 180 * time.Second
	}
	if c.MaxTaskCap <= 0 {
		c.MaxTaskCap = 1800 * time.Second
	}
	if c.MaxResultBytes <= 0 {
		c.MaxResultBytes = 64 << 10
	}
	if len(c.Roles) == 0 {
		c.Roles = DefaultRoles()
	}
	return nil
}

// DefaultRoles are the demo roles: viewer 0, operator 3, admin 4.
func DefaultRoles() map[string]Role {
	return map[string]Role{
		"viewer":   {Ceiling: 0, Scopes: []string{"*:read"}},
		"operator": {Ceiling: 3, Scopes: []string{"*:read", "*:write"}},
		"admin":    {Ceiling: 4, Scopes: []string{"*"}},
	}
}

// Store is the storage the kernel needs.
type Store interface {
	audit.Appender
	CreateProposal(ctx context.Context, p store.ProposalRow) error
	GetProposal(ctx context.Context, id session.ProposalID) (store.ProposalRow, error)
	TransitionProposal(ctx context.Context, id session.ProposalID, from, to store.ProposalState, at time.Time, outcome json.RawMessage) (bool, error)
	ClaimExecution(ctx context.Context, key string, at time.Time) (bool, error)
	ClaimInbound(ctx context.Context, key string, at time.Time) (bool, json.RawMessage, error)
	FinishInbound(ctx context.Context, key string, outcome json.RawMessage) error
	ForgetUnfinishedInbound(ctx context.Context) (int64, error)
	ProposalsInState(ctx context.Context, state store.ProposalState) ([]store.ProposalRow, error)
	SaveTask(ctx context.Context, t store.TaskRow) error
	FinishTask(ctx context.Context, t store.TaskRow) (bool, error)
	GetTask(ctx context.Context, id session.TaskID) (store.TaskRow, error)
	Tasks(ctx context.Context, tenant session.TenantID, actor session.ActorID, state store.TaskState) ([]store.TaskRow, error)
	TouchSession(ctx context.Context, sid session.SessionID, from session.Address, at time.Time) error
	LastChannel(ctx context.Context, sid session.SessionID) (session.Address, error)
	SaveLinkCode(ctx context.Context, c store.LinkCode) error
	UseLinkCode(ctx context.Context, hash string, at time.Time) (store.LinkCode, error)
	SaveLink(ctx context.Context, l store.Link) error
	DeleteLink(ctx context.Context, l store.Link) error
	LinkFor(ctx context.Context, channel session.ChannelID, account string) (store.Link, error)
	Links(ctx context.Context, tenant session.TenantID, actor session.ActorID) ([]store.Link, error)
	AppendEvent(ctx context.Context, sid session.SessionID, at time.Time, out json.RawMessage) (int64, error)
	Events(ctx context.Context, sid session.SessionID, after int64, limit int) ([]store.Event, error)
	AllEvents(ctx context.Context, after int64, limit int) ([]store.Event, error)
	LastEventID(ctx context.Context) (int64, error)
	Mark(ctx context.Context, key string) (string, bool, error)
	SetMark(ctx context.Context, key, value string, at time.Time) error
	Marks(ctx context.Context, prefix string) (map[string]string, error)
	TakeMark(ctx context.Context, key string) (string, bool, error)
	Record(ctx context.Context, f session.Fact) (int64, error)
	Fact(ctx context.Context, id int64) (session.Fact, error)
	SaveChain(ctx context.Context, c store.ChainRow) error
	GetChain(ctx context.Context, id session.ChainID) (store.ChainRow, error)
	Recent(ctx context.Context, s session.SessionID, c session.Cap) ([]session.Fact, error)
	StateGet(ctx context.Context, ext string, tenant session.TenantID, coll, key string) (json.RawMessage, bool, error)
	StatePut(ctx context.Context, ext string, tenant session.TenantID, coll, key string, v json.RawMessage) error
	StateDelete(ctx context.Context, ext string, tenant session.TenantID, coll, key string) error
	StateList(ctx context.Context, ext string, tenant session.TenantID, coll string) ([]json.RawMessage, error)
	MarkSeeded(ctx context.Context, ext string, tenant session.TenantID, at time.Time) (bool, error)
	UnmarkSeeded(ctx context.Context, ext string, tenant session.TenantID) error
	DeliverNote(ctx context.Context, n store.Note) (int64, error)
}

// Deps are the kernel's collaborators.
type Deps struct {
	Store     Store
	Directory session.Directory
	Router    route.Router
	Planner   route.Planner
	Masker    *redact.Masker
	Log       *slog.Logger
	Clock     func() time.Time
}

// Kernel is the core. Create it with New.
type Kernel struct {
	cfg   Config
	st    Store
	dir   session.Directory
	rt    route.Router
	pl    route.Planner
	mask  *redact.Masker
	log   *slog.Logger
	now   func() time.Time
	audit *audit.Log

	mu      sync.RWMutex
	exts    map[string]*extension
	tools   map[session.ToolID]*toolEntry
	order   []string         // extension ids in load order
	catalog []route.ToolSpec // every registered tool, rebuilt on load and unload

	qmu    sync.Mutex
	quotas map[string]*rate.Limiter

	fmu    sync.Mutex
	masked map[int64]session.Fact // facts are immutable: mask each once

	bg         context.Context // handlers run under it, detached from requests
	stop       context.CancelFunc
	inflight   sync.WaitGroup
	tmu        sync.Mutex
	running    map[session.TaskID]*invocation // task id → running handler
	emu        sync.Mutex
	waiters    map[session.SessionID]chan struct{}
	feed       chan struct{} // closed and replaced when any event is published
	ungrounded atomic.Int64  // narrations blocked by the grounding check
	closing    atomic.Bool   // Shutdown has begun
	lastMu     sync.Mutex
	lastSeen   map[session.SessionID]session.Address // cache of the store's last channel
}

const maskedCacheSize = 8192

// maskedFact returns the fact with PII masked and secrets removed, as a
// router or model may see it.
func (k *Kernel) maskedFact(f session.Fact) session.Fact {
	k.fmu.Lock()
	m, ok := k.masked[f.ID]
	k.fmu.Unlock()
	if ok && f.ID != 0 {
		return m
	}
	f.Output = k.mask.JSON(f.Output)
	f.Args = k.mask.JSON(f.Args)
	k.fmu.Lock()
	if len(k.masked) >= maskedCacheSize {
		clear(k.masked)
	}
	k.masked[f.ID] = f
	k.fmu.Unlock()
	return f
}

// New builds a kernel.
func New(cfg Config, d Deps) (*Kernel, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	if d.Store == nil || d.Directory == nil || d.Router == nil || d.Planner == nil {
		return nil, errors.New("kernel: Store, Directory, Router and Planner are required")
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
	bg, stop := context.WithCancel(context.Background())
	return &Kernel{
		bg: bg, stop: stop, running: map[session.TaskID]*invocation{}, waiters: map[session.SessionID]chan struct{}{}, feed: make(chan struct{}), lastSeen: map[session.SessionID]session.Address{},
		cfg: cfg, st: d.Store, dir: d.Directory, rt: d.Router, pl: d.Planner, mask: d.Masker,
		log: d.Log, now: d.Clock, audit: audit.New(d.Store, d.Masker, d.Clock),
		exts: map[string]*extension{}, tools: map[session.ToolID]*toolEntry{}, quotas: map[string]*rate.Limiter{}, masked: map[int64]session.Fact{},
	}, nil
}

// Config returns the effective configuration.
func (k *Kernel) Config() Config { return k.cfg }

var idEnc = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

func newID(prefix string) string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	return prefix + idEnc.EncodeToString(b[:])
}

func (k *Kernel) quota(t session.TenantID) int {
	if q, ok := k.cfg.TenantTurnsPerMinute[t]; ok && q > 0 {
		return q
	}
	return k.cfg.TurnsPerMinute
}

// allowKey is a small token bucket per key: burst attempts, refilled at one
// every two minutes (link codes and their redemption).
func (k *Kernel) allowKey(key string, burst int) bool {
	k.qmu.Lock()
	lim, ok := k.quotas[key]
	if !ok {
		lim = rate.NewLimiter(rate.Every(2*time.Minute), burst)
		k.quotas[key] = lim
	}
	k.qmu.Unlock()
	return lim.AllowN(k.now(), 1)
}

// allow applies the actor's turn quota (L2).
func (k *Kernel) allow(a session.Actor) bool {
	key := string(a.Tenant) + "/" + string(a.ID)
	k.qmu.Lock()
	lim, ok := k.quotas[key]
	if !ok {
		per := k.quota(a.Tenant)
		lim = rate.NewLimiter(rate.Limit(float64(per)/60), per/4+1)
		k.quotas[key] = lim
	}
	k.qmu.Unlock()
	return lim.AllowN(k.now(), 1)
}

// scopeMatches reports whether a held scope pattern grants a needed scope.
func scopeMatches(held, need string) bool {
	if held == "*" || held == need {
		return true
	}
	ha, hv, _ := strings.Cut(held, ":")
	na, nv, _ := strings.Cut(need, ":")
	return (ha == "*" || ha == na) && (hv == "*" || hv == nv)
}

// roleAllows reports the actor's best ceiling and whether their roles hold scope.
func (k *Kernel) ceiling(a session.Actor) int {
	c := -1
	for _, r := range a.Roles {
		if role, ok := k.cfg.Roles[r]; ok && role.Ceiling > c {
			c = role.Ceiling
		}
	}
	return c
}

func (k *Kernel) holdsScope(a session.Actor, need string) bool {
	for _, r := range a.Roles {
		for _, h := range k.cfg.Roles[r].Scopes {
			if scopeMatches(h, need) {
				return true
			}
		}
	}
	return false
}

// write queues an audit record for the next group commit; Handle syncs
// before it answers, so every record of a turn is durable before the reply
// leaves. Errors are logged: an audit failure on a refusal path must not
// hide the refusal. Paths that change state call mustAudit, which waits
// for the disk and stops the turn when the record cannot be written.
func (k *Kernel) write(ctx context.Context, a session.Actor, turn session.TurnID, kind string, data any) {
	if err := k.audit.Enqueue(ctx, a.Tenant, a.ID, turn, kind, data); err != nil {
		k.log.ErrorContext(ctx, "audit write failed", "kind", kind, "err", err)
	}
}

func (k *Kernel) mustAudit(ctx context.Context, a session.Actor, turn session.TurnID, kind string, data any) error {
	if err := k.audit.Write(ctx, a.Tenant, a.ID, turn, kind, data); err != nil {
		return &Error{Code: session.CodeUnavailable, Message: "The audit trail could not be written, so nothing was done. Please try again.", Err: err}
	}
	return nil
}

// Refuse records a request a channel turned away (bad input, failed
// authentication, unknown route) so every refusal is audited.
func (k *Kernel) Refuse(ctx context.Context, a *session.Actor, channel session.ChannelID, code, detail string) {
	who := session.Actor{ID: "anonymous", Tenant: "_system"}
	if a != nil {
		who = *a
	}
	if len(detail) > 300 {
		detail = detail[:300]
	}
	k.write(ctx, who, "", audit.KindRequestError, map[string]string{"channel": string(channel), "code": code, "detail": detail})
	if err := k.audit.Sync(ctx); err != nil {
		k.log.ErrorContext(ctx, "audit sync failed", "err", err)
	}
}

// RecordActAs audits that the local system operator acts as a user (the
// terminal's --as), the only way to act as someone else (ISO-03).
func (k *Kernel) RecordActAs(ctx context.Context, a session.Actor, channel session.ChannelID) error {
	return k.mustAudit(ctx, session.Actor{ID: session.SystemActor, Tenant: a.Tenant}, "", audit.KindActAs, map[string]string{"as": string(a.ID), "channel": string(channel)})
}

// Recover settles what a previous process left unfinished: a proposal
// caught between acceptance and its outcome is marked failed (it never runs
// again: its execution claim stays) and its actor can see why; dedupe keys
// of turns that never finished are released. Call it once at start-up,
// before serving.
func (k *Kernel) Recover(ctx context.Context) (interrupted int, err error) {
	ps, err := k.st.ProposalsInState(ctx, store.ProposalExecuting)
	if err != nil {
		return 0, err
	}
	for _, p := range ps {
		msg := "Interrupted by a restart while it was being carried out; it will not run again. Check the target's state before asking again."
		outcome, _ := json.Marshal(session.Outbound{Turn: p.Turn, Parts: []session.Part{&session.Error{Code: session.CodeInterrupted, Message: msg}}})
		ok, err := k.st.TransitionProposal(ctx, p.ID, store.ProposalExecuting, store.ProposalFailed, k.now(), outcome)
		if err != nil {
			return interrupted, err
		}
		if ok {
			interrupted++
			k.write(ctx, session.Actor{ID: p.Actor, Tenant: p.Tenant}, p.Turn, audit.KindInterrupted, map[string]any{"proposal": p.ID, "tool": p.Tool})
		}
	}
	failed, resumed, err := k.recoverTasks(ctx)
	if err != nil {
		return interrupted, err
	}
	if failed+resumed > 0 {
		k.log.Warn("tasks left running by the previous process", "failed", failed, "resumed", resumed)
	}
	if _, err := k.st.ForgetUnfinishedInbound(ctx); err != nil {
		return interrupted, err
	}
	return interrupted, k.audit.Sync(ctx)
}
