package tasks

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/steward-os/steward/kernel/audit"
	"github.com/steward-os/steward/kernel/internal/kit"
	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// Tasks lists the actor's own tasks, newest first.
func (r *Runner) Tasks(ctx context.Context, a session.Actor) ([]session.Task, error) {
	a, err := r.az.Actor(ctx, a)
	if err != nil {
		return nil, err
	}
	rows, err := r.st.Tasks(ctx, a.Tenant, a.ID, "")
	if err != nil {
		return nil, err
	}
	out := make([]session.Task, len(rows))
	for i, t := range rows {
		out[i] = t.View()
	}
	return out, nil
}

// CancelTask cancels one of the actor's running tasks; cancellation
// reaches the handler through its context. Another actor's task is "not
// found"; another tenant's is refused the same way and audited (ISO-02).
func (r *Runner) CancelTask(ctx context.Context, a session.Actor, id session.TaskID) (session.Task, error) {
	t, err := r.cancel(ctx, a, id)
	return t.View(), err
}

func (r *Runner) cancel(ctx context.Context, a session.Actor, id session.TaskID) (store.TaskRow, error) {
	a, err := r.az.Actor(ctx, a)
	if err != nil {
		return store.TaskRow{}, err
	}
	t, err := r.owned(ctx, a, id)
	if err != nil {
		return t, err
	}
	if t.State.Terminal() {
		return t, kit.Errf(session.CodeTaskEnded, "Task %s has already ended (%s).", id, t.State)
	}
	r.mu.Lock()
	inv := r.running[id]
	r.mu.Unlock()
	if err := r.rec.Must(ctx, a, t.Turn, audit.KindTaskCancel, map[string]any{"task": id, "tool": t.Tool}); err != nil {
		return t, err
	}
	if inv != nil {
		inv.cancel(errCancelledByActor)
		select { // the handler sees its context end; give it a moment to settle
		case <-inv.settled:
		case <-time.After(5 * time.Second):
		}
		return r.st.GetTask(ctx, id)
	}
	return r.cancelOrphan(ctx, a, t)
}

// owned loads one of the actor's tasks; anyone else's is task_not_found,
// audited (in both tenants for another tenant's).
func (r *Runner) owned(ctx context.Context, a session.Actor, id session.TaskID) (store.TaskRow, error) {
	t, err := r.st.GetTask(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return t, kit.Errf(session.CodeTaskNotFound, "There is no task %q.", id)
	}
	if err != nil {
		return t, fmt.Errorf("load task: %w", err)
	}
	if t.Tenant != a.Tenant || t.Actor != a.ID {
		if t.Tenant != a.Tenant {
			r.rec.CrossTenant(ctx, a, t.Tenant, "", map[string]any{"task": id})
		} else {
			r.rec.Note(ctx, a, "", audit.KindDenied, map[string]any{"task": id, "owner": t.Actor, "code": session.CodeTaskNotFound})
		}
		r.rec.SyncLogged(ctx)
		return store.TaskRow{}, kit.Errf(session.CodeTaskNotFound, "There is no task %q.", id)
	}
	return t, nil
}

// cancelOrphan settles a task no handler of this process runs (a task
// another process left) as a cancellation, with its fact, record and
// delivery like any other end.
func (r *Runner) cancelOrphan(ctx context.Context, a session.Actor, t store.TaskRow) (store.TaskRow, error) {
	f := session.Fact{Session: t.Session, Turn: t.Turn, Step: t.Step, Tool: t.Tool, Args: t.Args, ArgsHash: kit.ArgsHash(t.Tool, t.Args), At: r.now(),
		Error: &session.Error{Code: session.CodeCancelled, Message: fmt.Sprintf("%s was cancelled.", t.Tool)}}
	f, err := r.recordFact(ctx, a, t.Claim, f, nil)
	if err != nil {
		return t, err
	}
	if _, err := r.ended(ctx, a, t, f); err != nil {
		return t, err
	}
	return r.st.GetTask(ctx, t.ID)
}

var reCancelThat = regexp.MustCompile(`(?i)^\s*(?:please\s+)?(?:cancel|stop|abort|kill)\s+(?:that|it|this|the\s+task|the\s+last\s+task|my\s+task|(task_[a-z2-7]+))\s*[.!]?\s*$`)

// ByText handles "cancel that" / "cancel task_xxx" in chat: the actor's
// named or most recent running task. It reports whether the text was such
// a request: with no task named and none running, a text that does not
// say "task" ("stop it", "cancel that") is not, and is read as a request
// or a confirmation word instead.
func (r *Runner) ByText(ctx context.Context, a session.Actor, text string) ([]session.Part, bool, error) {
	m := reCancelThat.FindStringSubmatch(text)
	if m == nil {
		return nil, false, nil
	}
	id := session.TaskID(strings.ToLower(m[1]))
	if id == "" {
		ts, err := r.st.Tasks(ctx, a.Tenant, a.ID, "")
		if err != nil {
			return nil, true, err
		}
		for _, t := range ts {
			if t.State == store.TaskRunning {
				id = t.ID
				break
			}
		}
		if id == "" && !strings.Contains(strings.ToLower(text), "task") {
			// "stop it" with no task running is about something else
			// (the server just restarted, a pending proposal).
			return nil, false, nil
		}
		if id == "" {
			return []session.Part{&session.Text{Text: "You have no running task to cancel."}}, true, nil
		}
	}
	t, err := r.cancel(ctx, a, id)
	if err != nil {
		return nil, true, err
	}
	return []session.Part{ProgressPart(t), &session.Text{Text: fmt.Sprintf("Task %s (%s) is %s.", t.ID, t.Tool, t.State)}}, true, nil
}
