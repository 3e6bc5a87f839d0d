package engine

import (
	"context"
)

// Recover settles what a previous process left unfinished: proposals
// caught between acceptance and their outcome are marked failed (they
// never run again), tasks left running are re-run or failed (tasks.Recover),
// and dedupe keys of turns that never finished are released. It returns
// how many proposals were interrupted.
func (e *Engine) Recover(ctx context.Context) (int, error) {
	interrupted, err := e.Gate.Interrupted(ctx)
	if err != nil {
		return interrupted, err
	}
	failed, resumed, err := e.Tasks.Recover(ctx, e.Directory)
	if err != nil {
		return interrupted, err
	}
	if failed+resumed > 0 {
		e.log.Warn("tasks left running by the previous process", "failed", failed, "resumed", resumed)
	}
	if _, err := e.st.ForgetUnfinishedInbound(ctx); err != nil {
		return interrupted, err
	}
	return interrupted, e.Recorder.Sync(ctx)
}
