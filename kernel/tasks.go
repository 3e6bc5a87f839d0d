package kernel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/steward-os/steward/kernel/audit"
	"github.com/steward-os/steward/sdk"
	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// Long-running work (LRO-01…04). A dispatch runs inline for up to the
// inline budget; if it is still running then, it is promoted to a
// background task: the user is told at once, the handler keeps running
// under the task's cap, its progress is recorded, its actor may cancel it,
// and its result is recorded in the ledger, audited, narrated and
// delivered to the actor's session as a new event. Tasks are persisted
// when promoted; after a crash, Recover fails them visibly (or re-runs
// those whose tool declares itself idempotent).

// invocation is one running handler call.
type invocation struct {
	k       *Kernel
	cancel  context.CancelCauseFunc
	done    chan struct{} // the handler returned
	settled chan struct{} // a promoted task's outcome is recorded
	res     any
	err     error

	mu      sync.Mutex
	task    *store.TaskRow // set when promoted
	percent int
	message string
	last    time.Time
}

var errCancelledByActor = errors.New("cancelled by its actor")

func (inv *invocation) progress(percent int, message string) {
	percent = min(max(percent, 0), 100)
	if utf8.RuneCountInString(message) > 200 {
		message = string([]rune(message)[:200])
	}
	inv.mu.Lock()
	inv.percent, inv.message = percent, message
	t := inv.task
	now := inv.k.now()
	throttle := now.Sub(inv.last) < 250*time.Millisecond && percent < 100
	if t != nil && !throttle {
		inv.last = now
		t.Percent, t.Message, t.Heartbeat = percent, message, now.UTC()
	}
	var snap store.TaskRow
	if t != nil {
		snap = *t
	}
	inv.mu.Unlock()
	if t == nil || throttle {
		return
	}
	ctx := context.Background()
	if err := inv.k.st.SaveTask(ctx, snap); err != nil {
		inv.k.log.Error("save task progress", "task", snap.ID, "err", err)
		return
	}
	inv.k.publish(ctx, snap.Session, session.Outbound{Turn: snap.Turn, Parts: []session.Part{progressPart(snap)}})
}

func progressPart(t store.TaskRow) *session.Progress {
	return &session.Progress{Task: t.ID, Tool: t.Tool, State: string(t.State), Percent: t.Percent, Message: t.Message}
}

// capFor is a tool's task cap: the default, or the manifest's opt-in up to
// the maximum.
func (k *Kernel) capFor(te *toolEntry) time.Duration {
	if d := te.b.Tool.MaxDuration; d != "" {
		if v, err := time.ParseDuration(d); err == nil && v > 0 {
			return min(v, k.cfg.MaxTaskCap)
		}
	}
	return k.cfg.TaskCap
}

// dispatch invokes a handler with the kernel-injected caller. It returns
// the recorded fact when the call ends within the inline budget, or the
// task it was promoted to.
func (k *Kernel) dispatch(ctx context.Context, a session.Actor, turn session.TurnID, step session.StepID, te *toolEntry, args json.RawMessage, chain session.ChainID, mayPromote bool) (session.Fact, *store.TaskRow, error) {
	rec := map[string]any{"step": step, "tool": te.id, "level": te.level, "args": args, "args_hash": ArgsHash(te.id, args)}
	if te.level >= 1 {
		// A change is never made without a durable record that it was about to be.
		if err := k.mustAudit(ctx, a, turn, audit.KindDispatch, rec); err != nil {
			return session.Fact{}, nil, err
		}
	} else {
		k.write(ctx, a, turn, audit.KindDispatch, rec)
	}
	inv := k.start(a, turn, te, args, k.capFor(te))
	budget := k.cfg.InlineBudget
	if te.b.Tool.LongRunning {
		budget = 0
	}
	if !mayPromote { // a backup must finish before the step it protects
		budget = k.capFor(te) + 5*time.Second
	}
	timer := time.NewTimer(budget)
	defer timer.Stop()
	select {
	case <-inv.done:
		f, err := k.recordOutcome(ctx, a, turn, step, te, args, inv)
		return f, nil, err
	case <-timer.C:
	}
	if !mayPromote {
		// A handler that ignores its context past the cap: give up on it.
		inv.cancel(context.DeadlineExceeded)
		return session.Fact{}, nil, Errf(session.CodeUnavailable, "%s did not finish within its limit, so the step it protects was not run.", te.id)
	}
	t, err := k.promote(ctx, a, turn, step, chain, te, args, inv)
	return session.Fact{}, t, err
}

// start runs the handler in its own goroutine under the cap, detached from
// the request so that it can outlive it.
func (k *Kernel) start(a session.Actor, turn session.TurnID, te *toolEntry, args json.RawMessage, cap time.Duration) *invocation {
	base, cancel := context.WithCancelCause(k.bg)
	ctx, stop := context.WithTimeout(base, cap)
	inv := &invocation{k: k, cancel: cancel, done: make(chan struct{}), settled: make(chan struct{})}
	caller := sdk.Caller{Actor: a.ID, Tenant: a.Tenant, Roles: append([]string(nil), a.Roles...), Manager: a.Manager}
	k.inflight.Add(1)
	go func() {
		defer k.inflight.Done()
		defer cancel(nil) // detach from the kernel's context once done (no leak per dispatch)
		defer stop()
		inv.res, inv.err = invoke(ctx, te, caller, &env{k: k, x: te.ext, caller: caller, turn: turn, inv: inv}, args)
		if inv.err == nil && ctx.Err() != nil {
			inv.err = ctx.Err() // a handler that ignored its context still ends as cut off
		}
		if inv.err != nil && ctx.Err() != nil {
			if c := context.Cause(base); c != nil && !errors.Is(c, context.Canceled) {
				inv.err = c
			} else if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				inv.err = context.DeadlineExceeded
			}
		}
		close(inv.done)
	}()
	return inv
}

// recordOutcome turns a finished invocation into a fact: recorded verbatim
// in the ledger (AF-01; results over the size bound are cut with a marker),
// failures as failures, and audited.
func (k *Kernel) recordOutcome(ctx context.Context, a session.Actor, turn session.TurnID, step session.StepID, te *toolEntry, args json.RawMessage, inv *invocation) (session.Fact, error) {
	res, err := inv.res, inv.err
	f := session.Fact{Session: session.SessionFor(a), Turn: turn, Step: step, Tool: te.id, Args: args, ArgsHash: ArgsHash(te.id, args), At: k.now()}
	if err == nil {
		out, merr := json.Marshal(res)
		if merr != nil {
			err = fmt.Errorf("marshal result: %w", merr)
		} else {
			f.OK, f.Output = true, k.bound(out)
		}
	}
	if err != nil {
		var se *sdk.Error
		switch {
		case errors.As(err, &se):
			f.Error = &session.Error{Code: se.Code, Message: se.Message}
		case errors.Is(err, errCancelledByActor):
			f.Error = &session.Error{Code: session.CodeCancelled, Message: fmt.Sprintf("%s was cancelled.", te.id)}
		case errors.Is(err, context.DeadlineExceeded):
			f.Error = &session.Error{Code: session.CodeTimedOut, Message: fmt.Sprintf("%s did not finish within its limit of %s.", te.id, k.capFor(te))}
		default:
			k.log.ErrorContext(ctx, "tool failed", "tool", te.id, "err", err)
			f.Error = &session.Error{Code: session.CodeToolFailed, Message: fmt.Sprintf("%s failed.", te.id)}
		}
	}
	id, rerr := k.st.Record(ctx, f)
	if rerr != nil {
		return f, fmt.Errorf("record fact: %w", rerr)
	}
	f.ID = id
	rec := map[string]any{"step": step, "tool": te.id, "ok": f.OK, "fact": id, "output_sha256": sha(f.Output)}
	if f.OK {
		rec["output"] = f.Output
	} else {
		rec["error"] = f.Error
	}
	k.write(ctx, a, turn, audit.KindResult, rec)
	return f, nil
}

// bound cuts an output over the size limit, keeping a marker (LRO-03).
func (k *Kernel) bound(out json.RawMessage) json.RawMessage {
	if len(out) <= k.cfg.MaxResultBytes {
		return out
	}
	keep := string(out[:k.cfg.MaxResultBytes])
	for !utf8.ValidString(keep) && len(keep) > 0 {
		keep = keep[:len(keep)-1]
	}
	b, _ := json.Marshal(map[string]any{"truncated": true, "original_bytes": len(out), "kept_bytes": len(keep), "text": keep})
	return b
}

// promote turns a still-running invocation into a background task.
func (k *Kernel) promote(ctx context.Context, a session.Actor, turn session.TurnID, step session.StepID, chain session.ChainID, te *toolEntry, args json.RawMessage, inv *invocation) (*store.TaskRow, error) {
	now := k.now().UTC()
	t := &store.TaskRow{
		ID: session.TaskID(newID("task_")), Tenant: a.Tenant, Actor: a.ID, Session: session.SessionFor(a), Turn: turn, Step: step, Chain: chain,
		Tool: te.id, Args: args, State: store.TaskRunning, CapSeconds: int(k.capFor(te) / time.Second),
		Idempotent: te.b.Tool.Idempotent, Attempts: 1, CreatedAt: now, Heartbeat: now,
	}
	inv.mu.Lock()
	t.Percent, t.Message = inv.percent, inv.message
	snap := *t
	inv.mu.Unlock()
	if err := k.st.SaveTask(ctx, snap); err != nil {
		inv.cancel(errors.New("task could not be stored"))
		return nil, fmt.Errorf("save task: %w", err)
	}
	inv.mu.Lock()
	inv.task = t // from now on progress is written to the task
	inv.mu.Unlock()
	k.tmu.Lock()
	k.running[t.ID] = inv
	k.tmu.Unlock()
	if err := k.mustAudit(ctx, a, turn, audit.KindPromoted, map[string]any{"task": t.ID, "tool": te.id, "step": step, "cap_seconds": t.CapSeconds}); err != nil {
		inv.cancel(err) // its end is still recorded, as a failure
		go k.await(a, te, t, inv)
		return nil, err
	}
	go k.await(a, te, t, inv)
	return &snap, nil
}

// await finishes a task when its handler returns, with a heartbeat while it runs.
func (k *Kernel) await(a session.Actor, te *toolEntry, t *store.TaskRow, inv *invocation) {
	hb := time.NewTicker(5 * time.Second)
	defer hb.Stop()
	for {
		select {
		case <-inv.done:
			k.finish(a, te, t, inv)
			return
		case <-hb.C:
			inv.mu.Lock()
			t.Heartbeat = k.now().UTC()
			snap := *t
			inv.mu.Unlock()
			_ = k.st.SaveTask(context.Background(), snap)
		}
	}
}

// finish records a task's outcome and delivers it to the actor's session.
func (k *Kernel) finish(a session.Actor, te *toolEntry, t *store.TaskRow, inv *invocation) {
	ctx := context.Background()
	if k.closing.Load() {
		close(inv.settled)
		return // shut down: the task stays running for the next start to settle
	}
	defer func() {
		k.tmu.Lock()
		delete(k.running, t.ID)
		k.tmu.Unlock()
		close(inv.settled)
	}()
	f, err := k.recordOutcome(ctx, a, t.Turn, t.Step, te, t.Args, inv)
	if err != nil {
		k.log.Error("record task outcome", "task", t.ID, "err", err)
		return
	}
	inv.mu.Lock()
	now := k.now().UTC()
	t.FinishedAt, t.Fact, t.Heartbeat = &now, f.ID, now
	switch {
	case f.OK:
		t.State, t.Percent = store.TaskSucceeded, 100
	case f.Error.Code == session.CodeCancelled:
		t.State = store.TaskCancelled
	case f.Error.Code == session.CodeTimedOut:
		t.State = store.TaskTimedOut
	default:
		t.State = store.TaskFailed
	}
	t.Error = f.Error
	snap := *t
	inv.mu.Unlock()
	won, err := k.st.FinishTask(ctx, snap)
	if err != nil || !won {
		k.log.Warn("task already settled", "task", t.ID, "err", err)
		return
	}
	k.write(ctx, a, t.Turn, audit.KindTaskDone, map[string]any{"task": t.ID, "tool": t.Tool, "state": t.State, "fact": f.ID})
	parts := []session.Part{progressPart(snap)}
	if f.OK {
		parts = append(parts, &session.Text{Text: fmt.Sprintf("Task %s finished: %s", t.ID, k.grounded(ctx, a, t.Turn, te, f))})
	} else {
		parts = append(parts, &session.Error{Code: f.Error.Code, Message: fmt.Sprintf("Task %s: %s", t.ID, f.Error.Message)})
	}
	if t.Chain != "" {
		state := store.StepDone
		if !f.OK {
			state = store.StepFailed
		}
		more, err := k.settleChain(ctx, a, t.Turn, t.Chain, t.Step, state, f.ID, errText(nilIfOK(f)))
		if err != nil {
			k.log.Error("resume chain after task", "task", t.ID, "err", err)
		}
		parts = append(parts, more...)
	}
	if err := k.audit.Sync(ctx); err != nil {
		k.log.Error("audit sync", "err", err)
	}
	k.publish(ctx, t.Session, session.Outbound{Turn: t.Turn, Parts: parts})
}

func nilIfOK(f session.Fact) error {
	if f.OK || f.Error == nil {
		return nil
	}
	return &Error{Code: f.Error.Code, Message: f.Error.Message}
}

// ---- listing, cancelling ----

// Tasks lists the actor's own tasks, newest first.
func (k *Kernel) Tasks(ctx context.Context, a session.Actor) ([]store.TaskRow, error) {
	a, err := k.resolveActor(ctx, a)
	if err != nil {
		return nil, err
	}
	return k.st.Tasks(ctx, a.Tenant, a.ID, "")
}

// CancelTask cancels one of the actor's running tasks; cancellation
// reaches the handler through its context. Another actor's task is "not
// found"; another tenant's is refused the same way and audited (ISO-02).
func (k *Kernel) CancelTask(ctx context.Context, a session.Actor, id session.TaskID) (store.TaskRow, error) {
	a, err := k.resolveActor(ctx, a)
	if err != nil {
		return store.TaskRow{}, err
	}
	t, err := k.st.GetTask(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return t, Errf(session.CodeTaskNotFound, "There is no task %q.", id)
	}
	if err != nil {
		return t, fmt.Errorf("load task: %w", err)
	}
	if t.Tenant != a.Tenant {
		k.write(ctx, a, "", audit.KindCrossTenant, map[string]any{"task": id})
		k.write(ctx, session.Actor{ID: a.ID, Tenant: t.Tenant}, "", audit.KindCrossTenant, map[string]any{"task": id, "from_tenant": a.Tenant})
		_ = k.audit.Sync(ctx)
		return store.TaskRow{}, Errf(session.CodeTaskNotFound, "There is no task %q.", id)
	}
	if t.Actor != a.ID {
		k.write(ctx, a, "", audit.KindDenied, map[string]any{"task": id, "owner": t.Actor, "code": session.CodeTaskNotFound})
		_ = k.audit.Sync(ctx)
		return store.TaskRow{}, Errf(session.CodeTaskNotFound, "There is no task %q.", id)
	}
	if t.State.Terminal() {
		return t, Errf(session.CodeTaskEnded, "Task %s has already ended (%s).", id, t.State)
	}
	k.tmu.Lock()
	inv := k.running[id]
	k.tmu.Unlock()
	if err := k.mustAudit(ctx, a, t.Turn, audit.KindTaskCancel, map[string]any{"task": id, "tool": t.Tool}); err != nil {
		return t, err
	}
	if inv != nil {
		inv.cancel(errCancelledByActor)
		select { // the handler sees its context end; give it a moment to settle
		case <-inv.settled:
		case <-time.After(5 * time.Second):
		}
		return k.st.GetTask(ctx, id)
	}
	// Not running in this process (an orphan): settle it here as a
	// cancellation, with its fact, record and delivery like any other end.
	f := session.Fact{Session: t.Session, Turn: t.Turn, Step: t.Step, Tool: t.Tool, Args: t.Args, ArgsHash: ArgsHash(t.Tool, t.Args), At: k.now(),
		Error: &session.Error{Code: session.CodeCancelled, Message: fmt.Sprintf("%s was cancelled.", t.Tool)}}
	fid, err := k.st.Record(ctx, f)
	if err != nil {
		return t, fmt.Errorf("record fact: %w", err)
	}
	now := k.now().UTC()
	t.State, t.FinishedAt, t.Error, t.Fact = store.TaskCancelled, &now, f.Error, fid
	won, err := k.st.FinishTask(ctx, t)
	if err != nil || !won {
		return t, err
	}
	k.write(ctx, a, t.Turn, audit.KindResult, map[string]any{"step": t.Step, "tool": t.Tool, "ok": false, "fact": fid, "output_sha256": sha(nil), "error": f.Error})
	k.write(ctx, a, t.Turn, audit.KindTaskDone, map[string]any{"task": t.ID, "tool": t.Tool, "state": t.State, "fact": fid})
	parts := []session.Part{progressPart(t), &session.Error{Code: session.CodeCancelled, Message: fmt.Sprintf("Task %s: %s", t.ID, f.Error.Message)}}
	if t.Chain != "" {
		more, err := k.settleChain(ctx, a, t.Turn, t.Chain, t.Step, store.StepFailed, fid, "cancelled")
		if err == nil {
			parts = append(parts, more...)
		}
	}
	_ = k.audit.Sync(ctx)
	k.publish(ctx, t.Session, session.Outbound{Turn: t.Turn, Parts: parts})
	return t, nil
}

var reCancelThat = regexp.MustCompile(`(?i)^\s*(?:please\s+)?(?:cancel|stop|abort|kill)\s+(?:that|it|this|the\s+task|the\s+last\s+task|my\s+task|(task_[a-z2-7]+))\s*[.!]?\s*$`)

// cancelByText handles "cancel that" / "cancel t_xxx" in chat: the actor's
// named or most recent running task.
func (k *Kernel) cancelByText(ctx context.Context, a session.Actor, text string) ([]session.Part, bool, error) {
	m := reCancelThat.FindStringSubmatch(text)
	if m == nil {
		return nil, false, nil
	}
	id := session.TaskID(strings.ToLower(m[1]))
	if id == "" {
		ts, err := k.st.Tasks(ctx, a.Tenant, a.ID, "")
		if err != nil {
			return nil, true, err
		}
		for _, t := range ts {
			if t.State == store.TaskRunning {
				id = t.ID
				break
			}
		}
		if id == "" {
			return []session.Part{&session.Text{Text: "You have no running task to cancel."}}, true, nil
		}
	}
	t, err := k.CancelTask(ctx, a, id)
	if err != nil {
		return nil, true, err
	}
	return []session.Part{progressPart(t), &session.Text{Text: fmt.Sprintf("Task %s (%s) is %s.", t.ID, t.Tool, t.State)}}, true, nil
}

// ---- events ----

// publish stores an outbound delivery for a session and wakes its waiters.
// A delivery is stored before anyone is told about it, so a channel that
// reconnects receives what it missed.
func (k *Kernel) publish(ctx context.Context, sid session.SessionID, out session.Outbound) {
	if out.To.Channel == "" {
		switch {
		case k.cfg.Delivery == "last_used":
			out.To = k.lastUsed(ctx, sid) // CHAN-07: the channel the actor used most recently
		case strings.HasPrefix(k.cfg.Delivery, "preferred:"):
			out.To = session.Address{Channel: session.ChannelID(strings.TrimPrefix(k.cfg.Delivery, "preferred:"))}
		}
	}
	b, err := json.Marshal(out)
	if err != nil {
		k.log.Error("encode event", "err", err)
		return
	}
	if _, err := k.st.AppendEvent(ctx, sid, k.now(), b); err != nil {
		k.log.Error("store event", "session", sid, "err", err)
		return
	}
	k.emu.Lock()
	ch := k.waiters[sid]
	delete(k.waiters, sid)
	feed := k.feed
	k.feed = make(chan struct{})
	k.emu.Unlock()
	if ch != nil {
		close(ch)
	}
	close(feed)
}

// Events returns the actor's session events after an id; with wait > 0 it
// blocks until one arrives, the wait ends or ctx is done (long poll).
func (k *Kernel) Events(ctx context.Context, a session.Actor, after int64, wait time.Duration) ([]store.Event, error) {
	a, err := k.resolveActor(ctx, a)
	if err != nil {
		return nil, err
	}
	sid := session.SessionFor(a)
	return waitEvents(ctx, wait, func() chan struct{} {
		k.emu.Lock()
		defer k.emu.Unlock()
		ch, ok := k.waiters[sid]
		if !ok {
			ch = make(chan struct{})
			k.waiters[sid] = ch
		}
		return ch
	}, func() ([]store.Event, error) { return k.st.Events(ctx, sid, after, 200) })
}

// waitEvents reads events with fetch until there are some, wait has
// passed or ctx has ended. signal returns the channel closed at the next
// publish; it is taken before each read, so no event slips between the
// read and the wait.
func waitEvents(ctx context.Context, wait time.Duration, signal func() chan struct{}, fetch func() ([]store.Event, error)) ([]store.Event, error) {
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for {
		ch := signal()
		evs, err := fetch()
		if err != nil || len(evs) > 0 || wait <= 0 {
			return evs, err
		}
		select {
		case <-ch:
		case <-deadline.C:
			return nil, nil
		case <-ctx.Done():
			return nil, nil
		}
	}
}

// ---- start-up and shutdown ----

// recoverTasks settles tasks a previous process left running: re-run
// those whose tool is idempotent (up to three attempts), fail the others
// visibly and tell their owners (LRO-04).
func (k *Kernel) recoverTasks(ctx context.Context) (failed, resumed int, err error) {
	ts, err := k.st.Tasks(ctx, "", "", store.TaskRunning)
	if err != nil {
		return 0, 0, err
	}
	for _, t := range ts {
		a, ok := k.dir.Lookup(ctx, t.Tenant, t.Actor)
		te, tok := k.tool(t.Tool)
		if ok && tok && t.Idempotent && t.Attempts < 3 {
			t.Attempts++
			t.Heartbeat = k.now().UTC()
			if err := k.st.SaveTask(ctx, t); err != nil {
				return failed, resumed, err
			}
			k.write(ctx, a, t.Turn, audit.KindTaskResumed, map[string]any{"task": t.ID, "tool": t.Tool, "attempt": t.Attempts})
			inv := k.start(a, t.Turn, te, t.Args, k.capFor(te))
			tt := t
			inv.mu.Lock()
			inv.task = &tt
			inv.mu.Unlock()
			k.tmu.Lock()
			k.running[t.ID] = inv
			k.tmu.Unlock()
			go k.await(a, te, &tt, inv)
			resumed++
			continue
		}
		now := k.now().UTC()
		t.State, t.FinishedAt = store.TaskFailed, &now
		t.Error = &session.Error{Code: session.CodeInterrupted, Message: "Interrupted by a restart before it finished; it was not resumed. Check the target's state before asking again."}
		if won, err := k.st.FinishTask(ctx, t); err != nil {
			return failed, resumed, err
		} else if !won {
			continue
		}
		owner := session.Actor{ID: t.Actor, Tenant: t.Tenant}
		k.write(ctx, owner, t.Turn, audit.KindInterrupted, map[string]any{"task": t.ID, "tool": t.Tool})
		parts := []session.Part{progressPart(t), &session.Error{Code: session.CodeInterrupted, Message: fmt.Sprintf("Task %s (%s): %s", t.ID, t.Tool, t.Error.Message)}}
		if t.Chain != "" {
			more, err := k.settleChain(ctx, owner, t.Turn, t.Chain, t.Step, store.StepFailed, 0, "interrupted by a restart")
			if err == nil {
				parts = append(parts, more...)
			}
		}
		k.publish(ctx, t.Session, session.Outbound{Turn: t.Turn, Parts: parts})
		failed++
	}
	return failed, resumed, nil
}

// Shutdown waits (bounded by ctx) for running handlers to finish. Tasks
// still running when ctx ends stay recorded as running; the next start
// settles them (Recover).
func (k *Kernel) Shutdown(ctx context.Context) error {
	done := make(chan struct{})
	go func() { k.inflight.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
	// Handlers still running are not cancelled (that would record them as
	// failed): their tasks stay "running" in the store and the next start
	// settles them. Outcomes that arrive from now on are not recorded.
	k.closing.Store(true)
	return k.audit.Sync(context.Background())
}

// touch remembers the channel the actor used last (written only when it
// changes, so a turn on the same channel costs nothing).
func (k *Kernel) touch(ctx context.Context, a session.Actor, from session.Address) {
	if from.Channel == "" {
		return
	}
	sid := session.SessionFor(a)
	k.lastMu.Lock()
	same := k.lastSeen[sid] == from
	k.lastSeen[sid] = from
	k.lastMu.Unlock()
	if same {
		return
	}
	if err := k.st.TouchSession(ctx, sid, from, k.now()); err != nil {
		k.log.ErrorContext(ctx, "touch session", "err", err)
		k.lastMu.Lock()
		delete(k.lastSeen, sid) // retried on the next turn
		k.lastMu.Unlock()
	}
}

func (k *Kernel) lastUsed(ctx context.Context, sid session.SessionID) session.Address {
	k.lastMu.Lock()
	a, ok := k.lastSeen[sid]
	k.lastMu.Unlock()
	if ok {
		return a
	}
	a, _ = k.st.LastChannel(ctx, sid)
	return a
}
