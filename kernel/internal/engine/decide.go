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
	d, err := e.Gate.Check(ctx, a, t.id, act, t.in.From.Channel)
	switch d.Ended {
	case store.StepExpired:
		t.settled(d.P.ID, store.ProposalExpired)
		e.Gate.Settled(ctx, a, t.in.From.Channel, t.id, d.P.ID, store.ProposalExpired, nil)
		more, serr := e.settleAs(ctx, a, t, d, store.StepExpired, 0, "expired")
		if serr != nil {
			return nil, serr
		}
		return more, err
	case store.StepRejected:
		t.settled(d.P.ID, store.ProposalRejected)
		parts := []session.Part{&session.Text{Text: "Cancelled: nothing was changed."}}
		e.Gate.Settled(ctx, a, t.in.From.Channel, t.id, d.P.ID, store.ProposalRejected, parts)
		more, err := e.settleAs(ctx, a, t, d, store.StepRejected, 0, "rejected")
		return append(parts, more...), err
	}
	if err != nil {
		return nil, err
	}
	if d.Votes > 0 {
		return []session.Part{&session.Text{Text: fmt.Sprintf("Your approval of %s is recorded (%d of %d); it runs once %d approvers have accepted.", d.P.ID, d.Votes, d.Approval.Needed, d.Approval.Needed)}}, nil
	}
	return e.accept(ctx, a, t, act, d)
}

// owner is the actor a proposal runs as: its requester, re-read from the
// directory (ISO-01) when an approver decides it.
func (e *Engine) owner(ctx context.Context, a session.Actor, p store.ProposalRow) (session.Actor, error) {
	if p.Actor == a.ID {
		return a, nil
	}
	return e.Authz.Actor(ctx, session.Actor{ID: p.Actor, Tenant: p.Tenant})
}

// settleAs resumes the plan a decided proposal gates, as its requester.
func (e *Engine) settleAs(ctx context.Context, a session.Actor, t *turn, d proposals.Decision, st store.StepState, fact int64, reason string) ([]session.Part, error) {
	if d.P.Chain == "" {
		return nil, nil
	}
	owner, err := e.owner(ctx, a, d.P)
	if err != nil {
		return nil, err
	}
	return e.settleChain(ctx, owner, t.origin(), d.P.Chain, d.P.Step, st, fact, reason)
}

// accept authorizes an accepted proposal again, takes it (once), carries
// it out as its requester and resumes its plan. An approver's accept is
// told to the requester and the other approvers (Gate.Settled); an accept
// with a grant stores it (Gate.Grant).
func (e *Engine) accept(ctx context.Context, a session.Actor, t *turn, act session.Action, d proposals.Decision) ([]session.Part, error) {
	p := d.P
	owner, err := e.owner(ctx, a, p)
	if err != nil {
		return nil, err
	}
	resources, err := e.Registry.Resources(ctx, owner.Tenant, nil)
	if err != nil {
		return nil, fmt.Errorf("context: %w", err)
	}
	if err := e.Authz.Call(ctx, owner, t.id, d.Tool, kit.ArgMap(p.Args), resources); err != nil {
		return nil, err
	}
	if err := e.Gate.Accept(ctx, a, t.id, act, d); err != nil {
		return nil, err
	}
	step := p.Step
	if step == "" {
		step = "s1"
	}
	// Its dispatches answer the proposal (their claims are keyed by it), on
	// behalf of this decision's inbound.
	o := tasks.Origin{Turn: t.id, Identity: "proposal:" + string(p.ID), Inbound: t.inbound}
	parts, f, task, execErr := e.execute(ctx, owner, o, step, d.Tool, p.Args, resources, p.Chain)
	final, stepState, recorded := store.ProposalExecuted, store.StepDone, parts
	if execErr != nil && task == nil {
		final, stepState = store.ProposalFailed, store.StepFailed
		recorded = append(slices.Clone(parts), kit.Part(execErr))
	}
	e.finishProposal(ctx, t, p.ID, final, recorded)
	if d.Approval != nil {
		e.Gate.Settled(ctx, a, t.in.From.Channel, t.id, p.ID, final, recorded)
	} else if execErr == nil {
		if err := e.Gate.Grant(ctx, a, t.id, act, p, e.Bus.LastUsed(ctx, session.SessionFor(a))); err != nil {
			return parts, err
		}
	}
	if task != nil {
		// Carried out once; it runs on as a task, whose end resumes the plan.
		if p.Chain != "" {
			if err := e.markChainTask(ctx, p.Chain, step, task.ID); err != nil {
				return parts, err
			}
		}
		return parts, nil
	}
	if p.Chain == "" {
		return parts, execErr
	}
	// A step of a multi-step plan: report it, then resume the plan.
	if execErr != nil {
		ke := kit.AsError(execErr)
		parts = append(parts, &session.Error{Code: ke.Code, Message: fmt.Sprintf("Step %s (%s) failed: %s", step, p.Tool, ke.Message)})
	}
	more, err := e.settleChain(ctx, owner, t.origin(), p.Chain, p.Step, stepState, f.ID, kit.Message(execErr))
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
