package tasks

import (
	"context"
	"fmt"

	"github.com/steward-os/steward/kernel/audit"
	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// Recover settles tasks a previous process left running: re-run those
// whose tool is idempotent (up to three attempts), fail the others
// visibly and tell their owners (LRO-04).
func (r *Runner) Recover(ctx context.Context, dir session.Directory) (failed, resumed int, err error) {
	ts, err := r.st.Tasks(ctx, "", "", store.TaskRunning)
	if err != nil {
		return 0, 0, err
	}
	for _, t := range ts {
		a, ok := dir.Lookup(ctx, t.Tenant, t.Actor)
		tool, tok := r.reg.Tool(t.Tool)
		if ok && tok && t.Idempotent && t.Attempts < 3 {
			t.Attempts++
			t.Heartbeat = r.now().UTC()
			if err := r.st.SaveTask(ctx, t); err != nil {
				return failed, resumed, err
			}
			r.rec.Note(ctx, a, t.Turn, audit.KindTaskResumed, map[string]any{"task": t.ID, "tool": t.Tool, "attempt": t.Attempts})
			inv := r.start(a, tool, t.Args, r.CapFor(tool))
			tt := t
			r.track(&tt, inv)
			go r.await(a, tool, &tt, inv)
			resumed++
			continue
		}
		won, err := r.interrupt(ctx, t)
		if err != nil {
			return failed, resumed, err
		}
		if won {
			failed++
		}
	}
	return failed, resumed, nil
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
