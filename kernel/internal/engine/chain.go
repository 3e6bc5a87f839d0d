package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/steward-os/steward/internal/telemetry"
	"github.com/steward-os/steward/kernel/audit"
	"github.com/steward-os/steward/kernel/internal/kit"
	"github.com/steward-os/steward/kernel/internal/plan"
	"github.com/steward-os/steward/kernel/internal/proposals"
	"github.com/steward-os/steward/kernel/internal/registry"
	"github.com/steward-os/steward/kernel/internal/tasks"
	"github.com/steward-os/steward/kernel/route"
	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// The single orchestrator (CHAIN-01): every plan, of one step or many, is
// validated as a whole (understand), authorized, then carried out step by
// step, each step gated at its own safety level. A plan that reaches a
// step needing confirmation (or a step promoted to a task) is persisted
// and waits; the decision or the task's end resumes it.

// run authorizes every step of a validated plan (scopes and role ceiling,
// before anything runs) and starts carrying it out.
func (e *Engine) run(ctx context.Context, a session.Actor, t *turn, r *understood) ([]session.Part, error) {
	steps := r.steps
	for _, s := range steps {
		tool, _ := e.Registry.Tool(s.Tool)
		if err := e.Authz.Role(ctx, a, t.id, tool); err != nil {
			if len(steps) > 1 {
				ke := kit.AsError(err)
				return nil, kit.Errf(ke.Code, "%s (step %s of the plan; nothing was run)", ke.Message, s.ID)
			}
			return nil, err
		}
	}
	ch := &store.ChainRow{ID: session.ChainID(kit.NewID("c_")), Tenant: a.Tenant, Actor: a.ID, Session: session.SessionFor(a), Turn: t.id, Steps: steps, State: store.ChainRunning, CreatedAt: e.Clock().UTC()}
	if len(steps) > 1 {
		e.Recorder.Note(ctx, a, t.id, audit.KindChain, map[string]any{"chain": ch.ID, "order": plan.StepIDs(steps)})
	}
	return e.advance(ctx, a, t.origin(), ch, r.turn.Resources, false)
}

// advance carries out the chain's planned steps in order until one needs a
// decision or a task, or all are settled. persisted says the chain is
// already stored; o is the request its dispatches answer.
func (e *Engine) advance(ctx context.Context, a session.Actor, o tasks.Origin, ch *store.ChainRow, resources []route.Resource, persisted bool) ([]session.Part, error) {
	var parts []session.Part
	var lastErr error
	for i := range ch.Steps {
		st := &ch.Steps[i]
		if st.State != store.StepPlanned {
			continue
		}
		more, waits, err := e.step(ctx, a, o, ch, st, resources)
		parts = append(parts, more...)
		var f fatal
		if errors.As(err, &f) {
			return parts, f.error
		}
		if waits {
			return parts, err
		}
		if err != nil {
			lastErr = err
		}
	}
	ch.State = store.ChainDone
	if persisted {
		if err := e.st.SaveChain(ctx, *ch); err != nil {
			return parts, fmt.Errorf("save chain: %w", err)
		}
	}
	if len(ch.Steps) > 1 {
		parts = append(parts, &session.Text{Text: chainSummary(ch)})
		e.Recorder.Note(ctx, a, o.Turn, audit.KindChainDone, map[string]any{"chain": ch.ID, "steps": ch.Steps})
		return parts, nil
	}
	return parts, lastErr
}

// fatal marks an error that stops the whole turn rather than one step.
type fatal struct{ error }

// step carries out one planned step: its dependencies completed, its
// references resolved, its arguments valid and authorized, then the gate —
// a proposal (the plan waits), or a dispatch whose fact is recorded and
// narrated (a promoted dispatch makes the plan wait for its task). waits
// says the plan stops here; a fatal error stops the turn; any other error
// failed only this step.
func (e *Engine) step(ctx context.Context, a session.Actor, o tasks.Origin, ch *store.ChainRow, st *store.ChainStep, resources []route.Resource) ([]session.Part, bool, error) {
	multi := len(ch.Steps) > 1
	if dep, why := blocked(ch, st); dep != "" {
		st.State, st.Reason = store.StepCancelled, fmt.Sprintf("not run because step %s %s", dep, why)
		e.Recorder.Note(ctx, a, o.Turn, audit.KindStepCancelled, map[string]any{"chain": ch.ID, "step": st.ID, "tool": st.Tool, "because": dep})
		return []session.Part{&session.Error{Code: session.CodeDependencyFailed, Message: fmt.Sprintf("Step %s (%s) was not run because step %s %s.", st.ID, st.Tool, dep, why)}}, false, nil
	}
	tool, ok := e.Registry.Tool(st.Tool)
	if !ok {
		st.State, st.Reason = store.StepFailed, "tool no longer available"
		return []session.Part{&session.Error{Code: session.CodeUnknownTool, Message: fmt.Sprintf("Step %s: the tool %s is no longer available.", st.ID, st.Tool)}}, false, nil
	}
	args, sources, err := e.prepare(ctx, a, o.Turn, ch, st, tool, resources)
	if err != nil {
		if kit.AsError(err).Code == session.CodeInternal {
			return nil, false, fatal{err}
		}
		return stepFailed(st, err, "", multi), false, err
	}
	if msg := nothingToDo(tool, args, resources); msg != "" && !multi { // precondition.go
		st.State, st.Reason = store.StepCancelled, "nothing to do"
		e.Recorder.Note(ctx, a, o.Turn, audit.KindReplied, map[string]any{"step": st.ID, "tool": st.Tool, "nothing_to_do": msg})
		return []session.Part{&session.Text{Text: msg}}, false, nil
	}
	if e.Gate.NeedsConfirmation(a.Tenant, tool.Level) {
		call := proposals.Call{Tool: tool, Args: args, Sources: sources, Resources: resources}
		if g, err := e.Gate.Granted(ctx, a, o.Turn, e.Bus.LastUsed(ctx, session.SessionFor(a)), call); err != nil || g != nil {
			if err != nil {
				return nil, false, fatal{err}
			}
			return e.dispatchStep(ctx, a, o, ch, st, tool, args, resources) // allowed for this session (APR-03)
		}
		card, err := e.gate(ctx, a, o.Turn, ch, st, call)
		if err != nil {
			return nil, true, err
		}
		if card.Approval != nil {
			return []session.Part{card, &session.Text{Text: card.Approval.Waiting()}}, true, e.wait(ctx, ch)
		}
		return []session.Part{card}, true, e.wait(ctx, ch)
	}
	return e.dispatchStep(ctx, a, o, ch, st, tool, args, resources)
}

// prepare resolves a step's references and checks the resolved arguments
// against the schema and the actor's authority (ISO-02).
func (e *Engine) prepare(ctx context.Context, a session.Actor, turn session.TurnID, ch *store.ChainRow, st *store.ChainStep, tool *registry.Tool, resources []route.Resource) ([]byte, []session.Source, error) {
	args, sources, err := e.Plans.Resolve(ctx, a, ch, st, tool)
	if err != nil {
		return nil, nil, err
	}
	if verr := plan.ValidateArgs(tool, args); verr != nil {
		return nil, nil, verr
	}
	if err := e.Authz.Call(ctx, a, turn, tool, kit.ArgMap(args), resources); err != nil {
		return nil, nil, err
	}
	return args, sources, nil
}

// gate freezes the step as a proposal made on the channel of this turn.
func (e *Engine) gate(ctx context.Context, a session.Actor, turn session.TurnID, ch *store.ChainRow, st *store.ChainStep, c proposals.Call) (*session.ProposalCard, error) {
	var in *proposals.Step
	if len(ch.Steps) > 1 {
		in = &proposals.Step{Chain: ch.ID, Step: st.ID, Remaining: remaining(ch, st)}
	}
	gctx, end := telemetry.Stage(ctx, telemetry.StageGate)
	card, err := e.Gate.Propose(gctx, a, turn, c, e.Bus.LastUsed(ctx, session.SessionFor(a)), in)
	end(err)
	if err != nil {
		return nil, err
	}
	st.State, st.Proposal = store.StepWaiting, card.ID
	return card, nil
}

// dispatchStep runs a step that needs no confirmation.
func (e *Engine) dispatchStep(ctx context.Context, a session.Actor, o tasks.Origin, ch *store.ChainRow, st *store.ChainStep, tool *registry.Tool, args []byte, resources []route.Resource) ([]session.Part, bool, error) {
	parts, f, task, err := e.execute(ctx, a, o, st.ID, tool, args, resources, ch.ID)
	if len(ch.Steps) > 1 {
		parts = labelled(st, parts)
	}
	if task != nil {
		// The step runs on as a task; the plan waits for it (LRO-03).
		st.State, st.Task = store.StepWaiting, task.ID
		return parts, true, e.wait(ctx, ch)
	}
	if f.ID != 0 {
		st.Fact = f.ID
	}
	if err != nil {
		if code := kit.AsError(err).Code; code == session.CodeInternal || code == session.CodeUnavailable {
			return parts, false, fatal{err}
		}
		return append(parts, stepFailed(st, err, " failed", len(ch.Steps) > 1)...), false, err
	}
	st.State = store.StepDone
	return parts, false, nil
}

// stepFailed settles a step as failed and, in a multi-step plan, reports
// it as an error part naming the step.
func stepFailed(st *store.ChainStep, err error, verb string, multi bool) []session.Part {
	ke := kit.AsError(err)
	st.State, st.Reason = store.StepFailed, ke.Message
	if !multi {
		return nil
	}
	return []session.Part{&session.Error{Code: ke.Code, Message: fmt.Sprintf("Step %s (%s)%s: %s", st.ID, st.Tool, verb, ke.Message)}}
}

// wait stores a plan that waits for a decision or a task, so that its end
// can resume it; a single step needs no resuming and is not stored.
func (e *Engine) wait(ctx context.Context, ch *store.ChainRow) error {
	ch.State = store.ChainWaiting
	if len(ch.Steps) < 2 {
		return nil
	}
	if err := e.st.SaveChain(ctx, *ch); err != nil {
		return fmt.Errorf("save chain: %w", err)
	}
	return nil
}

// labelled prefixes a chain step's texts with the step it came from.
func labelled(st *store.ChainStep, parts []session.Part) []session.Part {
	for _, p := range parts {
		if t, ok := p.(*session.Text); ok {
			t.Text = fmt.Sprintf("[%s] %s", st.ID, t.Text)
		}
	}
	return parts
}

func chainSummary(ch *store.ChainRow) string {
	counts := map[store.StepState]int{}
	for _, s := range ch.Steps {
		counts[s.State]++
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Plan finished: %d of %d steps done", counts[store.StepDone], len(ch.Steps))
	for _, k := range []store.StepState{store.StepFailed, store.StepRejected, store.StepExpired, store.StepCancelled} {
		if counts[k] > 0 {
			fmt.Fprintf(&b, ", %d %s", counts[k], k)
		}
	}
	b.WriteString(".")
	return b.String()
}

// blocked reports the first dependency that did not complete, and how.
func blocked(ch *store.ChainRow, st *store.ChainStep) (session.StepID, string) {
	for _, d := range st.DependsOn {
		for _, s := range ch.Steps {
			if s.ID != d {
				continue
			}
			switch s.State {
			case store.StepDone:
			case store.StepFailed:
				return d, "failed"
			case store.StepRejected:
				return d, "was rejected"
			case store.StepExpired:
				return d, "expired before it was confirmed"
			case store.StepCancelled:
				return d, "was not run"
			default:
				return d, "has not run"
			}
		}
	}
	return "", ""
}

// remaining lists the steps after st that have not settled, for a card.
func remaining(ch *store.ChainRow, st *store.ChainStep) []session.PlanStep {
	var out []session.PlanStep
	after := false
	for _, s := range ch.Steps {
		if s.ID == st.ID {
			after = true
			continue
		}
		if after && s.State == store.StepPlanned {
			out = append(out, session.PlanStep{ID: s.ID, Tool: s.Tool, Args: s.Args, DependsOn: s.DependsOn})
		}
	}
	return out
}

// settleChain records a waiting step's outcome (a decision or a finished
// task) and resumes the chain: the step's dependents are cancelled if it did
// not complete, and independent steps carry on.
func (e *Engine) settleChain(ctx context.Context, a session.Actor, o tasks.Origin, chain session.ChainID, step session.StepID, state store.StepState, fact int64, reason string) ([]session.Part, error) {
	if chain == "" {
		return nil, nil
	}
	ch, err := e.st.GetChain(ctx, chain)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil // a single-step plan is never stored
	}
	if err != nil {
		return nil, fmt.Errorf("load chain %s: %w", chain, err)
	}
	for i := range ch.Steps {
		if ch.Steps[i].ID == step {
			ch.Steps[i].State, ch.Steps[i].Fact, ch.Steps[i].Reason = state, fact, reason
		}
	}
	ch.State = store.ChainRunning
	resources, err := e.Registry.Resources(ctx, a.Tenant, nil)
	if err != nil {
		return nil, fmt.Errorf("context: %w", err)
	}
	return e.advance(ctx, a, o, &ch, resources, true)
}

// markChainTask notes that a waiting step now runs as a task.
func (e *Engine) markChainTask(ctx context.Context, chain session.ChainID, step session.StepID, task session.TaskID) error {
	ch, err := e.st.GetChain(ctx, chain)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("load chain %s: %w", chain, err)
	}
	for i := range ch.Steps {
		if ch.Steps[i].ID == step {
			ch.Steps[i].Task = task
		}
	}
	return e.st.SaveChain(ctx, ch)
}
