package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/steward-os/steward/kernel/audit"
	"github.com/steward-os/steward/kernel/internal/kit"
	"github.com/steward-os/steward/kernel/internal/registry"
	"github.com/steward-os/steward/sdk"
	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// Recovered counts what Recover settled.
type Recovered struct {
	Ended, Resumed int // tasks left running: settled, or re-run
	Inline         int // claimed calls a crash cut off inline, now settled
}

// Recover settles what a previous process left unsettled (LRO-04), before
// anything is served. A task still running whose claimed call has an
// outcome (recorded before the stop, or known to its extension) ends with
// it; otherwise a task of an idempotent tool is re-run with the same
// idempotency key (up to three attempts); otherwise it fails, as
// outcome_unknown when its call was claimed, as interrupted when not.
// Then every other claimed call without an outcome (one a crash cut off
// inline) is reconciled with its extension or settled as outcome_unknown,
// and its actor told. Nothing claimed runs a second time.
func (r *Runner) Recover(ctx context.Context, dir session.Directory) (Recovered, error) {
	var n Recovered
	ts, err := r.st.Tasks(ctx, "", "", store.TaskRunning)
	if err != nil {
		return n, err
	}
	rerun := map[string]bool{}
	for _, t := range ts {
		resumed, err := r.recoverTask(ctx, dir, t)
		if err != nil {
			return n, err
		}
		if resumed {
			n.Resumed++
			rerun[t.Claim] = true
		} else {
			n.Ended++
		}
	}
	open, err := r.st.UnsettledDispatches(ctx)
	if err != nil {
		return n, err
	}
	for _, e := range open {
		if rerun[e.Key] {
			continue
		}
		a := Owner(ctx, dir, e.Tenant, e.Actor)
		f, known := r.pendingFact(ctx, a, e)
		if f, err = r.settleClaim(ctx, a, e, f, known); err != nil {
			return n, err
		}
		r.rec.SyncLogged(ctx)
		r.bus.Publish(ctx, e.Session, session.Outbound{Turn: e.Turn, Parts: []session.Part{r.Tell(ctx, a, e.Turn, f)}})
		n.Inline++
	}
	return n, nil
}

// recoverTask settles one task left running; resumed says it runs again.
func (r *Runner) recoverTask(ctx context.Context, dir session.Directory, t store.TaskRow) (resumed bool, err error) {
	a, known := dir.Lookup(ctx, t.Tenant, t.Actor)
	if !known {
		a = session.Actor{ID: t.Actor, Tenant: t.Tenant}
	}
	tool, tok := r.reg.Tool(t.Tool)
	var e store.Execution
	if t.Claim != "" {
		if e, err = r.st.Execution(ctx, t.Claim); err != nil {
			return false, fmt.Errorf("claim of task %s: %w", t.ID, err)
		}
		if e.Fact != 0 { // its outcome was recorded; the stop came before the task's end
			f, err := r.st.Fact(ctx, e.Fact)
			if err != nil {
				return false, err
			}
			_, err = r.ended(ctx, a, t, f)
			return false, err
		}
	}
	f, reconciled := session.Fact{}, false
	if t.Claim != "" {
		f, reconciled = r.pendingFact(ctx, a, e)
	}
	if !reconciled && known && tok && t.Idempotent && t.Attempts < 3 {
		return true, r.rerun(ctx, a, tool, t)
	}
	if t.Claim == "" {
		_, err := r.interrupt(ctx, t)
		return false, err
	}
	if f, err = r.settleClaim(ctx, a, e, f, reconciled); err != nil {
		return false, err
	}
	_, err = r.ended(ctx, a, t, f)
	return false, err
}

// rerun starts a task of an idempotent tool again, with its arguments and
// its idempotency key.
func (r *Runner) rerun(ctx context.Context, a session.Actor, tool *registry.Tool, t store.TaskRow) error {
	t.Attempts++
	t.Heartbeat = r.now().UTC()
	if err := r.st.SaveTask(ctx, t); err != nil {
		return err
	}
	r.rec.Note(ctx, a, t.Turn, audit.KindTaskResumed, map[string]any{"task": t.ID, "tool": t.Tool, "attempt": t.Attempts})
	inv := r.start(a, tool, t.Args, r.CapFor(tool), t.Claim)
	r.track(&t, inv)
	go r.await(a, tool, &t, inv)
	return nil
}

// Owner is the actor a recovered call ran for, as the directory knows
// them now (only their id and tenant when it no longer does).
func Owner(ctx context.Context, dir session.Directory, tenant session.TenantID, id session.ActorID) session.Actor {
	if a, ok := dir.Lookup(ctx, tenant, id); ok {
		return a
	}
	return session.Actor{ID: id, Tenant: tenant}
}

// pendingFact is the fact of a claimed call that never recorded one: what
// its extension reports (known), or outcome_unknown.
func (r *Runner) pendingFact(ctx context.Context, a session.Actor, e store.Execution) (session.Fact, bool) {
	f := session.Fact{Session: e.Session, Turn: e.Turn, Step: e.Step, Tool: e.Tool, Args: e.Args, ArgsHash: kit.ArgsHash(e.Tool, e.Args), At: r.now()}
	if r.ask(ctx, a, e, &f) {
		return f, true
	}
	f.Error = &session.Error{Code: session.CodeOutcomeUnknown, Message: fmt.Sprintf(
		"The process stopped while %s was running, before its outcome was recorded; whether it took effect is not known, and it will not run again. Check before asking again.", e.Tool)}
	return f, false
}

// settleClaim records a recovered claim's fact, with a "reconciled"
// record saying whether the extension knew what became of the call.
func (r *Runner) settleClaim(ctx context.Context, a session.Actor, e store.Execution, f session.Fact, known bool) (session.Fact, error) {
	return r.recordFact(ctx, a, e.Key, f, func(id int64) []store.AuditEntry {
		rec, err := r.rec.Entry(a, e.Turn, audit.KindReconciled, map[string]any{"tool": e.Tool, "step": e.Step, "idempotency_key": kit.IdempotencyKey(e.Key), "known": known, "fact": id})
		if err != nil {
			r.log.Error("audit reconciled record", "tool", e.Tool, "err", err)
			return nil
		}
		return []store.AuditEntry{rec}
	})
}

// ask asks the call's extension what became of it (Extension.Reconcile)
// and reports whether it knew; f then holds the outcome.
func (r *Runner) ask(ctx context.Context, a session.Actor, e store.Execution, f *session.Fact) bool {
	t, ok := r.reg.Tool(e.Tool)
	if !ok || t.Ext.Ext.Reconcile == nil {
		return false
	}
	p := sdk.Pending{Tool: t.Decl().Name, Key: kit.IdempotencyKey(e.Key), Caller: callerOf(a), Args: e.Args}
	res, known, err := reconcile(ctx, t, r.reg.State(t.Ext.ID(), e.Tenant), p)
	var se *sdk.Error
	switch {
	case known && errors.As(err, &se):
		f.Error = &session.Error{Code: se.Code, Message: se.Message}
		return true
	case err != nil:
		r.log.ErrorContext(ctx, "reconcile", "tool", e.Tool, "err", err)
		return false
	case !known:
		return false
	}
	out, err := json.Marshal(res)
	if err != nil {
		r.log.ErrorContext(ctx, "reconcile: marshal result", "tool", e.Tool, "err", err)
		return false
	}
	f.OK, f.Output = true, r.bound(out)
	return true
}

// reconcile calls the extension's Reconcile, turning a panic into an error.
func reconcile(ctx context.Context, t *registry.Tool, st sdk.State, p sdk.Pending) (res any, known bool, err error) {
	defer func() {
		if v := recover(); v != nil {
			res, known, err = nil, false, fmt.Errorf("reconcile %s panicked: %v", t.ID, v)
		}
	}()
	return t.Ext.Ext.Reconcile(ctx, st, p)
}

// interrupt fails a task a restart cut off, and tells its owner.
func (r *Runner) interrupt(ctx context.Context, t store.TaskRow) (bool, error) {
	now := r.now().UTC()
	t.State, t.FinishedAt = store.TaskFailed, &now
	t.Error = &session.Error{Code: session.CodeInterrupted, Message: "Interrupted by a restart before it finished; it was not resumed. Check the target's state before asking again."}
	owner := session.Actor{ID: t.Actor, Tenant: t.Tenant}
	tell := &session.Error{Code: session.CodeInterrupted, Message: fmt.Sprintf("Task %s (%s): %s", t.ID, t.Tool, t.Error.Message)}
	return r.settle(ctx, owner, t, End{Kind: audit.KindInterrupted, Tell: tell, Reason: "interrupted by a restart"})
}

// Shutdown waits (bounded by ctx) for running handlers to finish. Tasks
// still running when ctx ends stay recorded as running; the next start
// settles them (Recover).
func (r *Runner) Shutdown(ctx context.Context) {
	done := make(chan struct{})
	go func() { r.inflight.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
	// Handlers still running are not cancelled (that would record them as
	// failed): their tasks stay "running" in the store and the next start
	// settles them. Outcomes that arrive from now on are not recorded.
	r.closing.Store(true)
}
