package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/steward-os/steward/internal/telemetry"
	"github.com/steward-os/steward/kernel/internal/kit"
	"github.com/steward-os/steward/kernel/internal/registry"
	"github.com/steward-os/steward/sdk"
	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// invocation is one running handler call.
type invocation struct {
	r       *Runner
	key     string // its execution claim ("" for a read)
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
	carried telemetry.Carried // the turn's telemetry, for a promoted task's span
}

var errCancelledByActor = errors.New("cancelled by its actor")

// progress records a handler's progress: on its task once promoted (at
// most four times a second, always at 100 %), published to the session.
func (inv *invocation) progress(percent int, message string) {
	percent = min(max(percent, 0), 100)
	if utf8.RuneCountInString(message) > 200 {
		message = string([]rune(message)[:200])
	}
	inv.mu.Lock()
	inv.percent, inv.message = percent, message
	t := inv.task
	now := inv.r.now()
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
	if err := inv.r.st.SaveTask(ctx, snap); err != nil {
		inv.r.log.Error("save task progress", "task", snap.ID, "err", err)
		return
	}
	inv.r.bus.Publish(ctx, snap.Session, session.Outbound{Turn: snap.Turn, Parts: []session.Part{ProgressPart(snap)}})
}

// ProgressPart shows a task's state and progress.
func ProgressPart(t store.TaskRow) *session.Progress {
	return &session.Progress{Task: t.ID, Tool: t.Tool, State: string(t.State), Percent: t.Percent, Message: t.Message}
}

// record turns a finished invocation into a fact: recorded verbatim in
// the ledger (AF-01; results over the size bound are cut with a marker),
// failures as failures, and audited, settling its claim.
func (r *Runner) record(ctx context.Context, a session.Actor, c Call, inv *invocation) (session.Fact, error) {
	t := c.Tool
	f := session.Fact{Session: session.SessionFor(a), Turn: c.Turn, Step: c.Step, Tool: t.ID, Args: c.Args, ArgsHash: kit.ArgsHash(t.ID, c.Args), At: r.now()}
	err := inv.err
	if err == nil {
		out, merr := json.Marshal(inv.res)
		if merr != nil {
			err = fmt.Errorf("marshal result: %w", merr)
		} else {
			f.OK, f.Output = true, r.bound(out)
		}
	}
	if err != nil {
		f.Error = r.failure(ctx, t, err)
	}
	return r.recordFact(ctx, a, inv.key, f, nil)
}

// recordFact stores a fact with its "result" record (and the records more
// builds from its id) in one commit; for a claimed call (key set) the same
// commit settles the claim. A claim settled before (by another process's
// recovery) records nothing: the fact recorded then is returned.
func (r *Runner) recordFact(ctx context.Context, a session.Actor, key string, f session.Fact, more func(id int64) []store.AuditEntry) (session.Fact, error) {
	result := r.rec.Result(a, f.Turn, f)
	audited := func(id int64) []store.AuditEntry {
		if more == nil {
			return result(id)
		}
		return append(more(id), result(id)...)
	}
	if key == "" {
		id, err := r.st.Record(ctx, f, audited)
		if err != nil {
			return f, fmt.Errorf("record fact: %w", err)
		}
		f.ID = id
		return f, nil
	}
	e, won, err := r.st.SettleDispatch(ctx, key, f, audited)
	if err != nil {
		return f, fmt.Errorf("record fact: %w", err)
	}
	if !won {
		return r.st.Fact(ctx, e.Fact)
	}
	f.ID = e.Fact
	return f, nil
}

// Tell is how a recorded fact is told to its actor: its narration through
// the grounding check, or its error.
func (r *Runner) Tell(ctx context.Context, a session.Actor, turn session.TurnID, f session.Fact) session.Part {
	if !f.OK {
		if f.Error == nil {
			return &session.Error{Code: session.CodeToolFailed, Message: fmt.Sprintf("%s failed.", f.Tool)}
		}
		return &session.Error{Code: f.Error.Code, Message: f.Error.Message}
	}
	t, ok := r.reg.Tool(f.Tool)
	if !ok {
		return &session.Text{Text: fmt.Sprintf("%s succeeded.", f.Tool)}
	}
	return &session.Text{Text: r.speak.Grounded(ctx, a, turn, t, f)}
}

// failure is what the ledger records of a failed call.
func (r *Runner) failure(ctx context.Context, t *registry.Tool, err error) *session.Error {
	var se *sdk.Error
	switch {
	case errors.As(err, &se):
		return &session.Error{Code: se.Code, Message: se.Message}
	case errors.Is(err, errCancelledByActor):
		return &session.Error{Code: session.CodeCancelled, Message: fmt.Sprintf("%s was cancelled.", t.ID)}
	case errors.Is(err, context.DeadlineExceeded):
		return &session.Error{Code: session.CodeTimedOut, Message: fmt.Sprintf("%s did not finish within its limit of %s.", t.ID, r.CapFor(t))}
	}
	r.log.ErrorContext(ctx, "tool failed", "tool", t.ID, "err", err)
	return &session.Error{Code: session.CodeToolFailed, Message: fmt.Sprintf("%s failed.", t.ID)}
}

// bound cuts an output over the size limit, keeping a marker (LRO-03).
func (r *Runner) bound(out json.RawMessage) json.RawMessage {
	if len(out) <= r.cfg.MaxResultBytes {
		return out
	}
	keep := string(out[:r.cfg.MaxResultBytes])
	for !utf8.ValidString(keep) && len(keep) > 0 {
		keep = keep[:len(keep)-1]
	}
	b, _ := json.Marshal(map[string]any{"truncated": true, "original_bytes": len(out), "kept_bytes": len(keep), "text": keep})
	return b
}
