// Package tasks is the kernel's task runner (LRO-01…04): every handler
// runs in its own goroutine under its cap; a dispatch still running after
// the inline budget is promoted to a background task whose progress is
// recorded, which its actor may cancel, and whose end is recorded in the
// ledger, audited, narrated and delivered to the actor's session.
//
// Contract. A handler gets a kernel-filled Caller and an Env scoped to its
// extension and the caller's tenant; a panic becomes tool_failed. A
// dispatch at level ≥ 1 runs at most once: its execution claim, keyed by
// the request it answers and its step, is durable with its "dispatch"
// record before the handler runs, a claim taken before runs nothing
// again, and its outcome is recorded with the claim's settlement and its
// "result" record in one commit. A task is persisted before the user is
// told about it and ends exactly once (the store decides). What a stopped
// process left unsettled is settled by Recover: a claimed call is
// reconciled with its extension or settled as outcome_unknown, never run
// again, except a task whose tool declares itself idempotent (re-run with
// the same idempotency key, at most three attempts); an unclaimed task is
// failed as interrupted. Its owner is told. Shutdown never cancels a
// running handler: its task stays running for the next start to settle.
package tasks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/steward-os/steward/kernel/audit"
	"github.com/steward-os/steward/kernel/internal/authz"
	"github.com/steward-os/steward/kernel/internal/bus"
	"github.com/steward-os/steward/kernel/internal/kit"
	"github.com/steward-os/steward/kernel/internal/narration"
	"github.com/steward-os/steward/kernel/internal/registry"
	"github.com/steward-os/steward/sdk"
	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// Config bounds the runner.
type Config struct {
	// InlineBudget is how long a dispatch runs inline before it is promoted.
	InlineBudget time.Duration
	// Cap bounds a task; a manifest may opt in to more, up to MaxCap.
	Cap, MaxCap time.Duration
	// MaxResultBytes bounds a recorded result.
	MaxResultBytes int
}

// Store is what the runner keeps.
type Store interface {
	store.Tasks
	store.Ledger
	store.Executions
}

// Resume continues the plan a task's step belongs to, once the task has
// ended, and returns what to tell the actor; o is the task's turn, with
// the identity "task:<id>" for the steps it dispatches. The turn engine
// provides it.
type Resume func(ctx context.Context, a session.Actor, o Origin, chain session.ChainID, step session.StepID, state store.StepState, fact int64, reason string) ([]session.Part, error)

// Runner runs handlers and keeps tasks.
type Runner struct {
	cfg    Config
	st     Store
	reg    *registry.Registry
	az     *authz.Authz
	bus    *bus.Bus
	speak  *narration.Narrator
	rec    *kit.Recorder
	log    *slog.Logger
	now    func() time.Time
	resume Resume

	bg       context.Context // handlers run under it, detached from requests
	stop     context.CancelFunc
	inflight sync.WaitGroup
	closing  atomic.Bool // Shutdown has begun

	mu      sync.Mutex
	running map[session.TaskID]*invocation // task id → running handler
}

// Parts are the runner's collaborators.
type Parts struct {
	Registry *registry.Registry
	Authz    *authz.Authz
	Bus      *bus.Bus
	Narrator *narration.Narrator
	Recorder *kit.Recorder
	Clock    func() time.Time
}

// New returns a Runner.
func New(cfg Config, st Store, p Parts) *Runner {
	bg, stop := context.WithCancel(context.Background())
	return &Runner{cfg: cfg, st: st, reg: p.Registry, az: p.Authz, bus: p.Bus, speak: p.Narrator, rec: p.Recorder, log: p.Recorder.Logger(), now: p.Clock,
		bg: bg, stop: stop, running: map[session.TaskID]*invocation{}}
}

// SetResume sets how a plan continues after one of its tasks ends.
func (r *Runner) SetResume(fn Resume) { r.resume = fn }

// CapFor is a tool's task cap: the default, or the manifest's opt-in up to
// the maximum.
func (r *Runner) CapFor(t *registry.Tool) time.Duration {
	if d := t.Decl().MaxDuration; d != "" {
		if v, err := time.ParseDuration(d); err == nil && v > 0 {
			return min(v, r.cfg.MaxCap)
		}
	}
	return r.cfg.Cap
}

// Origin is what a dispatch answers: its turn, the identity of the
// request (the turn's inbound dedupe key; "proposal:<id>" for a confirmed
// proposal; "task:<id>" for the steps a task's end resumes; "turn:<id>"
// when empty), and the dedupe key of the turn's inbound ("" without one).
type Origin struct {
	Turn     session.TurnID
	Identity string
	Inbound  string
}

// Call is one dispatch: a tool with its canonical arguments, as a step of
// a turn (and of a plan, when Chain is set).
type Call struct {
	Origin
	Step  session.StepID
	Chain session.ChainID
	Tool  *registry.Tool
	Args  json.RawMessage
}

// ClaimKey is the key of the call's execution claim: the request it
// answers and its step, so the same request dispatches each step once.
func (c Call) ClaimKey() string {
	id := c.Identity
	if id == "" {
		id = "turn:" + string(c.Turn)
	}
	return id + "/" + string(c.Step)
}

// dispatch is Dispatch without its telemetry stage.
func (r *Runner) dispatch(ctx context.Context, a session.Actor, c Call, mayPromote bool) (session.Fact, *store.TaskRow, error) {
	t := c.Tool
	var key string
	if t.Level >= 1 {
		var prev *session.Fact
		var err error
		if key, prev, err = r.claim(ctx, a, c); err != nil || prev != nil {
			return deref(prev), nil, err
		}
	} else {
		r.rec.Note(ctx, a, c.Turn, audit.KindDispatch, dispatchRecord(c, ""))
	}
	inv := r.start(a, t, c.Args, r.CapFor(t), key)
	budget := r.cfg.InlineBudget
	if t.Decl().LongRunning {
		budget = 0
	}
	if !mayPromote {
		budget = r.CapFor(t) + 5*time.Second
	}
	timer := time.NewTimer(budget)
	defer timer.Stop()
	select {
	case <-inv.done:
		f, err := r.record(ctx, a, c, inv)
		return f, nil, err
	case <-timer.C:
	}
	if !mayPromote {
		// A handler that ignores its context past the cap: give up on it,
		// and record its end (settling its claim) when it comes.
		inv.cancel(context.DeadlineExceeded)
		go func() {
			<-inv.done
			if _, err := r.record(context.WithoutCancel(ctx), a, c, inv); err != nil {
				r.log.Error("record abandoned call", "tool", t.ID, "err", err)
			}
		}()
		return session.Fact{}, nil, kit.Errf(session.CodeUnavailable, "%s did not finish within its limit, so the step it protects was not run.", t.ID)
	}
	task, err := r.promote(ctx, a, c, inv)
	return session.Fact{}, task, err
}

// claim takes the call's execution claim, with its "dispatch" record in
// the same commit: a change is never made without a durable record that
// it was about to be. A claim taken before (the same request and step
// dispatched again) runs nothing: prev is the fact recorded for it.
func (r *Runner) claim(ctx context.Context, a session.Actor, c Call) (key string, prev *session.Fact, err error) {
	key = c.ClaimKey()
	rec, err := r.rec.Entry(a, c.Turn, audit.KindDispatch, dispatchRecord(c, key))
	if err != nil {
		return "", nil, err
	}
	e := store.Execution{Key: key, Inbound: c.Inbound, Tenant: a.Tenant, Actor: a.ID, Session: session.SessionFor(a), Turn: c.Turn, Chain: c.Chain,
		Step: c.Step, Tool: c.Tool.ID, Args: c.Args, Level: c.Tool.Level, ClaimedAt: r.now().UTC()}
	first, stored, err := r.st.ClaimDispatch(ctx, e, rec)
	switch {
	case err != nil:
		return "", nil, &kit.Error{Code: session.CodeUnavailable, Message: "The audit trail could not be written, so nothing was done. Please try again.", Err: err}
	case first:
		return key, nil, nil
	case stored.Tool != c.Tool.ID || !bytes.Equal(stored.Args, c.Args):
		return "", nil, kit.Errf(session.CodeKeyReused, "This request already ran %s as its step %s; %s did not run.", stored.Tool, c.Step, c.Tool.ID)
	case stored.Fact == 0:
		return "", nil, kit.Errf(session.CodeDuplicate, "%s is already being carried out for this request; it will not run twice.", c.Tool.ID)
	}
	f, err := r.st.Fact(ctx, stored.Fact)
	if err != nil {
		return "", nil, fmt.Errorf("load fact %d: %w", stored.Fact, err)
	}
	return "", &f, nil
}

// dispatchRecord is the "dispatch" audit record of a call.
func dispatchRecord(c Call, key string) map[string]any {
	rec := map[string]any{"step": c.Step, "tool": c.Tool.ID, "level": c.Tool.Level, "args": c.Args, "args_hash": kit.ArgsHash(c.Tool.ID, c.Args)}
	if key != "" {
		rec["idempotency_key"] = kit.IdempotencyKey(key)
	}
	return rec
}

func deref(f *session.Fact) session.Fact {
	if f == nil {
		return session.Fact{}
	}
	return *f
}

// start runs the handler in its own goroutine under the cap, detached from
// the request so that it can outlive it; key is the call's claim ("" for
// a read), whose idempotency key the handler gets.
func (r *Runner) start(a session.Actor, t *registry.Tool, args json.RawMessage, cap time.Duration, key string) *invocation {
	base, cancel := context.WithCancelCause(r.bg)
	ctx, stop := context.WithTimeout(base, cap)
	inv := &invocation{r: r, key: key, cancel: cancel, done: make(chan struct{}), settled: make(chan struct{})}
	caller := callerOf(a)
	r.inflight.Add(1)
	go func() {
		defer r.inflight.Done()
		defer cancel(nil) // detach from the runner's context once done (no leak per dispatch)
		defer stop()
		inv.res, inv.err = invoke(ctx, t, caller, r.reg.Env(t, caller, kit.IdempotencyKey(key), inv.progress), args)
		inv.err = cause(ctx, base, inv.err)
		close(inv.done)
	}()
	return inv
}

// callerOf is the Caller a handler gets: the resolved actor (ISO-01).
func callerOf(a session.Actor) sdk.Caller {
	return sdk.Caller{Actor: a.ID, Tenant: a.Tenant, Roles: append([]string(nil), a.Roles...), Manager: a.Manager}
}

// cause explains a handler's end when its context ended: a handler that
// ignored its context still ends as cut off, with the cancellation's cause
// (its actor, the cap) rather than a bare "context canceled".
func cause(ctx, base context.Context, err error) error {
	if ctx.Err() == nil {
		return err
	}
	if err == nil {
		err = ctx.Err()
	}
	if c := context.Cause(base); c != nil && !errors.Is(c, context.Canceled) {
		return c
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return context.DeadlineExceeded
	}
	return err
}

// invoke calls a handler, turning a panic into an error (no panic crosses
// into the kernel).
func invoke(ctx context.Context, t *registry.Tool, c sdk.Caller, e sdk.Env, args json.RawMessage) (res any, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("tool %s panicked: %v", t.ID, p)
		}
	}()
	return t.Bound.Handler.Invoke(ctx, c, e, args)
}
