package engine

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/steward-os/steward/kernel/internal/tasks"
	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// Recover settles what a previous process left unfinished, before
// anything is served, and returns how many proposals it settled:
//
//  1. tasks left running and claimed calls without an outcome
//     (tasks.Runner.Recover): reconciled with their extension or settled
//     as outcome_unknown, never run again (an idempotent task excepted);
//  2. proposals caught between acceptance and their outcome: executed or
//     failed with their tool's recorded outcome, or failed as interrupted
//     when their tool never started;
//  3. dedupe keys of turns that never finished: a turn that had claimed a
//     call gets the settled outcome of its calls as its answer, so a
//     resend gets that answer and runs nothing again; the other keys
//     (their turn changed nothing that could run twice) are released.
func (e *Engine) Recover(ctx context.Context) (int, error) {
	n, err := e.Tasks.Recover(ctx, e.Directory)
	if err != nil {
		return 0, err
	}
	if n.Ended+n.Resumed+n.Inline > 0 {
		e.log.Warn("work left unsettled by the previous process", "tasks_ended", n.Ended, "tasks_resumed", n.Resumed, "calls_settled", n.Inline)
	}
	interrupted, err := e.Gate.Interrupted(ctx, e.executed)
	if err != nil {
		return interrupted, err
	}
	if err := e.settleInbound(ctx); err != nil {
		return interrupted, err
	}
	return interrupted, e.Recorder.Sync(ctx)
}

// executed is what became of an interrupted proposal's tool: the outcome
// its execution claim recorded, if it started.
func (e *Engine) executed(ctx context.Context, p store.ProposalRow) (session.Fact, []session.Part, bool) {
	step := p.Step
	if step == "" {
		step = "s1"
	}
	x, err := e.st.Execution(ctx, "proposal:"+string(p.ID)+"/"+string(step))
	if err != nil || x.Fact == 0 {
		return session.Fact{}, nil, false
	}
	f, err := e.st.Fact(ctx, x.Fact)
	if err != nil {
		return session.Fact{}, nil, false
	}
	a := tasks.Owner(ctx, e.Directory, p.Tenant, p.Actor)
	return f, []session.Part{e.Tasks.Tell(ctx, a, p.Turn, f)}, true
}

// settleInbound stores, for each unfinished inbound key whose turn claimed
// a call, the settled outcome of its calls (in claim order) as its answer,
// then releases the other unfinished keys.
func (e *Engine) settleInbound(ctx context.Context) error {
	keys, err := e.st.UnfinishedInbound(ctx)
	if err != nil {
		return err
	}
	for _, key := range keys {
		xs, err := e.st.DispatchesOf(ctx, key)
		if err != nil {
			return err
		}
		if len(xs) == 0 {
			continue
		}
		out := session.Outbound{Turn: xs[0].Turn}
		for _, x := range xs {
			if x.Fact == 0 { // a task of an idempotent tool, re-run
				out.Parts = append(out.Parts, &session.Text{Text: fmt.Sprintf("%s runs again in the background after a restart; its result will be delivered when it ends.", x.Tool)})
				continue
			}
			f, err := e.st.Fact(ctx, x.Fact)
			if err != nil {
				return fmt.Errorf("outcome of %s: %w", x.Tool, err)
			}
			out.Parts = append(out.Parts, e.Tasks.Tell(ctx, tasks.Owner(ctx, e.Directory, x.Tenant, x.Actor), x.Turn, f))
		}
		b, err := json.Marshal(out)
		if err != nil {
			return err
		}
		if err := e.st.FinishInbound(ctx, key, session.RedactLinkCodes(b)); err != nil {
			return err
		}
	}
	_, err = e.st.ForgetUnfinishedInbound(ctx)
	return err
}
