package tasks

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/steward-os/steward/internal/telemetry"
	"github.com/steward-os/steward/kernel/audit"
	"github.com/steward-os/steward/kernel/internal/kit"
	"github.com/steward-os/steward/kernel/internal/registry"
	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// promote turns a still-running invocation into a background task.
func (r *Runner) promote(ctx context.Context, a session.Actor, c Call, inv *invocation) (*store.TaskRow, error) {
	inv.carried = telemetry.Carry(ctx) // the task's span continues the turn's trace
	now := r.now().UTC()
	t := &store.TaskRow{
		ID: session.TaskID(kit.NewID("task_")), Tenant: a.Tenant, Actor: a.ID, Session: session.SessionFor(a), Turn: c.Turn, Step: c.Step, Chain: c.Chain,
		Tool: c.Tool.ID, Args: c.Args, State: store.TaskRunning, CapSeconds: int(r.CapFor(c.Tool) / time.Second),
		Idempotent: c.Tool.Decl().Idempotent, Attempts: 1, Claim: inv.key, CreatedAt: now, Heartbeat: now,
	}
	inv.mu.Lock()
	t.Percent, t.Message = inv.percent, inv.message
	snap := *t
	inv.mu.Unlock()
	if err := r.st.SaveTask(ctx, snap); err != nil {
		inv.cancel(errors.New("task could not be stored"))
		return nil, fmt.Errorf("save task: %w", err)
	}
	r.track(t, inv)
	if err := r.rec.Must(ctx, a, c.Turn, audit.KindPromoted, map[string]any{"task": t.ID, "tool": c.Tool.ID, "step": c.Step, "cap_seconds": t.CapSeconds}); err != nil {
		inv.cancel(err) // its end is still recorded, as a failure
		go r.await(a, c.Tool, t, inv)
		return nil, err
	}
	go r.await(a, c.Tool, t, inv)
	return &snap, nil
}

// track notes that the invocation runs as the task: from now on progress
// is written to it, and it can be cancelled by id.
func (r *Runner) track(t *store.TaskRow, inv *invocation) {
	inv.mu.Lock()
	inv.task = t
	inv.mu.Unlock()
	r.mu.Lock()
	r.running[t.ID] = inv
	r.mu.Unlock()
}

// await finishes a task when its handler returns, with a heartbeat while it runs.
func (r *Runner) await(a session.Actor, tool *registry.Tool, t *store.TaskRow, inv *invocation) {
	hb := time.NewTicker(5 * time.Second)
	defer hb.Stop()
	for {
		select {
		case <-inv.done:
			r.finish(a, tool, t, inv)
			return
		case <-hb.C:
			inv.mu.Lock()
			t.Heartbeat = r.now().UTC()
			snap := *t
			inv.mu.Unlock()
			_ = r.st.SaveTask(context.Background(), snap)
		}
	}
}

// finish records a task's outcome and delivers it to the actor's session.
func (r *Runner) finish(a session.Actor, tool *registry.Tool, t *store.TaskRow, inv *invocation) {
	ctx, end := inv.carried.Start(context.Background(), telemetry.StageTask)
	defer end(nil)
	if r.closing.Load() {
		close(inv.settled)
		return // shut down: the task stays running for the next start to settle
	}
	defer func() {
		r.mu.Lock()
		delete(r.running, t.ID)
		r.mu.Unlock()
		close(inv.settled)
	}()
	f, err := r.record(ctx, a, Call{Origin: Origin{Turn: t.Turn}, Step: t.Step, Chain: t.Chain, Tool: tool, Args: t.Args}, inv)
	if err != nil {
		r.log.Error("record task outcome", "task", t.ID, "err", err)
		return
	}
	inv.mu.Lock()
	snap := *t
	inv.mu.Unlock()
	if won, err := r.ended(ctx, a, snap, f); err != nil || !won {
		r.log.Warn("task already settled", "task", t.ID, "err", err)
	}
}

// ended settles a task with the fact recorded for it, and tells its owner
// how it ended.
func (r *Runner) ended(ctx context.Context, a session.Actor, t store.TaskRow, f session.Fact) (bool, error) {
	now := r.now().UTC()
	t.FinishedAt, t.Fact, t.Heartbeat, t.Error, t.State = &now, f.ID, now, f.Error, stateOf(f)
	if f.OK {
		t.Percent = 100
	}
	end := End{Fact: f, Kind: audit.KindTaskDone, Reason: kit.Message(errOf(f))}
	switch tell := r.Tell(ctx, a, t.Turn, f).(type) {
	case *session.Text:
		end.Tell = &session.Text{Text: fmt.Sprintf("Task %s finished: %s", t.ID, tell.Text)}
	case *session.Error:
		end.Tell = &session.Error{Code: tell.Code, Message: fmt.Sprintf("Task %s: %s", t.ID, tell.Message)}
	}
	return r.settle(ctx, a, t, end)
}

// stateOf is the state a task ends in with this fact.
func stateOf(f session.Fact) store.TaskState {
	switch {
	case f.OK:
		return store.TaskSucceeded
	case f.Error.Code == session.CodeCancelled:
		return store.TaskCancelled
	case f.Error.Code == session.CodeTimedOut:
		return store.TaskTimedOut
	}
	return store.TaskFailed
}

func errOf(f session.Fact) error {
	if f.OK || f.Error == nil {
		return nil
	}
	return &kit.Error{Code: f.Error.Code, Message: f.Error.Message}
}

// End is how a task ended: the fact recorded for it (ID 0 when none was),
// the audit kind of its end, what its owner is told after its progress,
// and why the plan's step did not complete ("" when it did).
type End struct {
	Fact   session.Fact
	Kind   string
	Tell   session.Part
	Reason string
}

// settle ends a task once, however it ended (its handler returned, it was
// cancelled while no handler ran, a restart interrupted it): the end is
// stored (only the first settle wins: false otherwise), audited, the plan
// it belongs to resumes, and its owner is told.
func (r *Runner) settle(ctx context.Context, owner session.Actor, t store.TaskRow, e End) (bool, error) {
	won, err := r.st.FinishTask(ctx, t)
	if err != nil || !won {
		return false, err
	}
	data := map[string]any{"task": t.ID, "tool": t.Tool}
	if e.Kind == audit.KindTaskDone {
		data["state"], data["fact"] = t.State, e.Fact.ID
	}
	r.rec.Note(ctx, owner, t.Turn, e.Kind, data)
	parts := []session.Part{ProgressPart(t), e.Tell}
	if t.Chain != "" && r.resume != nil {
		state := store.StepDone
		if t.State != store.TaskSucceeded {
			state = store.StepFailed
		}
		more, err := r.resume(ctx, owner, Origin{Turn: t.Turn, Identity: "task:" + string(t.ID)}, t.Chain, t.Step, state, e.Fact.ID, e.Reason)
		if err != nil {
			r.log.Error("resume chain after task", "task", t.ID, "err", err)
		}
		parts = append(parts, more...)
	}
	r.rec.SyncLogged(ctx)
	r.bus.Publish(ctx, t.Session, session.Outbound{Turn: t.Turn, Parts: parts})
	return true, nil
}
