package engine

import (
	"context"
	"fmt"
	"slices"

	"github.com/steward-os/steward/kernel/audit"
	"github.com/steward-os/steward/kernel/internal/kit"
	"github.com/steward-os/steward/kernel/internal/proposals"
	"github.com/steward-os/steward/kernel/internal/tasks"
	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// decide applies an accept or reject to a proposal: the gate checks it,
// an accepted proposal is authorized again and carried out with exactly
// the arguments shown, and the plan it gates resumes. When the decision
// is made on another channel than the proposal, its outcome is also
// delivered to the proposal's channel (CHAN-05), so the conversation
// there shows what happened.
func (e *Engine) decide(ctx context.Context, a session.Actor, t *turn, act session.Action) ([]session.Part, error) {
	if err := e.Recorder.Must(ctx, a, t.id, audit.KindAsked, map[string]any{"channel": t.in.From.Channel, "decision": act.Kind, "proposal": act.Proposal, "inbound": t.in.ID}); err != nil {
		return nil, err
	}
	parts, err := e.decideHere(ctx, a, t, act)
	e.echo(ctx, a, t, act.Proposal, parts, err)
	return parts, err
}

// echo delivers a decision's outcome to the proposal's own channel when
// the decision came from another one.
func (e *Engine) echo(ctx context.Context, a session.Actor, t *turn, id session.ProposalID, parts []session.Part, err error) {
	p, gerr := e.Gate.Get(ctx, id)
	if gerr != nil || p.Tenant != a.Tenant || p.Actor != a.ID || p.Origin.Channel == "" {
		return
	}
	if here := e.Bus.LastUsed(ctx, p.Session); here.Channel == p.Origin.Channel {
		return
	}
	echo := slices.Clone(parts)
	if err != nil {
		echo = append(echo, kit.Part(err))
	}
	if len(echo) > 0 {
		e.Bus.Publish(ctx, p.Session, session.Outbound{To: p.Origin, Turn: t.id, Parts: echo, Decided: t.decided})
	}
}

func (e *Engine) decideHere(ctx context.Context, a session.Actor, t *turn, act session.Action) ([]session.Part, error) {
	d, err := e.Gate.Check(ctx, a, t.id, act)
	switch d.Ended {
	case store.StepExpired:
		t.settled(d.P.ID, store.ProposalExpired)
		more, serr := e.settleChain(ctx, a, t.origin(), d.P.Chain, d.P.Step, store.StepExpired, 0, "expired")
		if serr != nil {
			return nil, serr
		}
		return more, err
	case store.StepRejected:
		t.settled(d.P.ID, store.ProposalRejected)
		parts := []session.Part{&session.Text{Text: "Cancelled: nothing was changed."}}
		more, err := e.settleChain(ctx, a, t.origin(), d.P.Chain, d.P.Step, store.StepRejected, 0, "rejected")
		return append(parts, more...), err
	}
	if err != nil {
		return nil, err
	}
	return e.accept(ctx, a, t, act, d)
}

// accept authorizes an accepted proposal again, takes it (once), carries
// it out and resumes its plan.
func (e *Engine) accept(ctx context.Context, a session.Actor, t *turn, act session.Action, d proposals.Decision) ([]session.Part, error) {
	p := d.P
	resources, err := e.Registry.Resources(ctx, a.Tenant, nil)
	if err != nil {
		return nil, fmt.Errorf("context: %w", err)
	}
	if err := e.Authz.Call(ctx, a, t.id, d.Tool, kit.ArgMap(p.Args), resources); err != nil {
		return nil, err
	}
	if err := e.Gate.Accept(ctx, a, t.id, act, p); err != nil {
		return nil, err
	}
	step := p.Step
	if step == "" {
		step = "s1"
	}
	// Its dispatches answer the proposal (their claims are keyed by it), on
	// behalf of this decision's inbound.
	o := tasks.Origin{Turn: t.id, Identity: "proposal:" + string(p.ID), Inbound: t.inbound}
	parts, f, task, execErr := e.execute(ctx, a, o, step, d.Tool, p.Args, resources, p.Chain)
	if task != nil {
		// Carried out once; it runs on as a task, whose end resumes the plan.
		e.finishProposal(ctx, t, p.ID, store.ProposalExecuted, parts)
		if p.Chain != "" {
			if err := e.markChainTask(ctx, p.Chain, step, task.ID); err != nil {
				return parts, err
			}
		}
		return parts, nil
	}
	final, stepState, recorded := store.ProposalExecuted, store.StepDone, parts
	if execErr != nil {
		final, stepState = store.ProposalFailed, store.StepFailed
		recorded = append(slices.Clone(parts), kit.Part(execErr))
	}
	e.finishProposal(ctx, t, p.ID, final, recorded)
	if p.Chain == "" {
		return parts, execErr
	}
	// A step of a multi-step plan: report it, then resume the plan.
	if execErr != nil {
		ke := kit.AsError(execErr)
		parts = append(parts, &session.Error{Code: ke.Code, Message: fmt.Sprintf("Step %s (%s) failed: %s", step, p.Tool, ke.Message)})
	}
	more, err := e.settleChain(ctx, a, t.origin(), p.Chain, p.Step, stepState, f.ID, kit.Message(execErr))
	return append(parts, more...), err
}

// finishProposal settles an executing proposal with the replies of its
// execution, and notes that this turn settled it.
func (e *Engine) finishProposal(ctx context.Context, t *turn, id session.ProposalID, to store.ProposalState, parts []session.Part) {
	e.Gate.Finish(ctx, id, to, session.Outbound{Turn: t.id, Parts: parts})
	t.settled(id, to)
}

// settled notes that the turn settled a proposal (Outbound.Decided).
func (t *turn) settled(id session.ProposalID, s session.ProposalState) {
	t.decided = append(t.decided, session.Decision{Proposal: id, State: s})
}
