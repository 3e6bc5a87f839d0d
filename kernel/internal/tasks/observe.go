package tasks

import (
	"context"

	"github.com/steward-os/steward/internal/telemetry"
	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// Dispatch invokes a handler with the kernel-injected caller. It returns
// the recorded fact when the call ends within the inline budget, or the
// task it was promoted to. mayPromote false (a backup) waits up to the
// tool's cap instead: a backup finishes before the step it protects. A
// call at level ≥ 1 whose claim was taken before runs nothing: it returns
// the fact recorded for it (duplicate_in_progress while there is none).
// The call is the turn's "dispatch" stage (telemetry).
func (r *Runner) Dispatch(ctx context.Context, a session.Actor, c Call, mayPromote bool) (session.Fact, *store.TaskRow, error) {
	ctx, end := telemetry.Stage(ctx, telemetry.StageDispatch)
	f, t, err := r.dispatch(ctx, a, c, mayPromote)
	end(err)
	return f, t, err
}
