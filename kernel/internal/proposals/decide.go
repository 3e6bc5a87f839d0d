package proposals

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/steward-os/steward/kernel/audit"
	"github.com/steward-os/steward/kernel/internal/kit"
	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// Check applies the gate's rules to a decision (SAFE-03, 07, 08, 11, 12;
// APR-01…03) made on channel. A reject settles the proposal at once; an
// expired proposal is settled as expired and refused; an accept that
// passes is returned with its tool (with Votes set when it still needs
// other approvers).
func (g *Gate) Check(ctx context.Context, a session.Actor, turn session.TurnID, act session.Action, channel session.ChannelID) (Decision, error) {
	refuse := g.refuser(ctx, a, turn, act)
	if act.Kind != session.ActionAccept && act.Kind != session.ActionReject {
		return Decision{}, refuse(session.CodeBadRequest, `The decision must be "accept" or "reject".`, nil)
	}
	p, err := g.st.GetProposal(ctx, act.Proposal)
	if errors.Is(err, store.ErrNotFound) {
		return Decision{}, refuse(session.CodeProposalNotFound, "There is no proposal with that id.", nil)
	}
	if err != nil {
		return Decision{}, fmt.Errorf("load proposal: %w", err)
	}
	d := Decision{P: p, Channel: channel}
	if d.Approval, err = g.checkDecider(ctx, a, turn, p, act, refuse); err != nil {
		return d, err
	}
	if err := checkState(p, refuse); err != nil {
		return d, err
	}
	now := g.now().UTC()
	if !now.Before(p.ExpiresAt) {
		if ok, _ := g.st.TransitionProposal(ctx, p.ID, store.ProposalPending, store.ProposalExpired, now, nil); ok {
			g.rec.Note(ctx, a, turn, audit.KindExpired, map[string]any{"proposal": p.ID})
			d.Ended = store.StepExpired
		}
		return d, refuse(session.CodeProposalExpired, "This proposal has expired; nothing ran. Ask again if you still want it.", nil)
	}
	if act.Kind == session.ActionReject {
		return g.reject(ctx, a, turn, d, now, refuse)
	}
	if err := g.checkAccept(p, act, now, refuse); err != nil {
		return d, err
	}
	if err := g.checkGrant(p, act, d.Approval, refuse); err != nil {
		return d, err
	}
	t, ok := g.reg.Tool(p.Tool)
	if !ok {
		return d, refuse(session.CodeUnknownTool, "The tool for this proposal is no longer available; nothing ran.", nil)
	}
	if kit.ArgsHash(p.Tool, p.Args) != p.ArgsHash {
		return d, refuse(session.CodeArgsTampered, "The stored arguments no longer match what you were shown; nothing ran.", nil)
	}
	if d.Approval != nil && d.Approval.Needed > 1 {
		if enough, err := g.vote(ctx, a, turn, &d, channel, now); err != nil || !enough {
			return d, err
		}
	}
	d.Tool = t
	return d, nil
}

type refuseFunc func(code, msg string, extra map[string]any) error

// refuser audits a refused decision (confirmation_refused) and returns
// its stable error.
func (g *Gate) refuser(ctx context.Context, a session.Actor, turn session.TurnID, act session.Action) refuseFunc {
	return func(code, msg string, extra map[string]any) error {
		d := map[string]any{"proposal": act.Proposal, "decision": act.Kind, "code": code}
		for k, v := range extra {
			d[k] = v
		}
		g.rec.Note(ctx, a, turn, audit.KindConfirmError, d)
		return kit.Errf(code, "%s", msg)
	}
}

// checkState refuses a decision on a proposal that was already decided.
func checkState(p store.ProposalRow, refuse refuseFunc) error {
	switch p.State {
	case store.ProposalExecuted, store.ProposalExecuting, store.ProposalFailed:
		return refuse(session.CodeAlreadyExecuted, "This proposal was already decided and carried out; nothing ran again.", map[string]any{"state": p.State})
	case store.ProposalRejected:
		return refuse(session.CodeProposalRejected, "This proposal was rejected; nothing ran. Ask again if you still want it.", nil)
	case store.ProposalExpired:
		return refuse(session.CodeProposalExpired, "This proposal has expired; nothing ran. Ask again if you still want it.", nil)
	}
	return nil
}

// reject settles a pending proposal as rejected, once.
func (g *Gate) reject(ctx context.Context, a session.Actor, turn session.TurnID, d Decision, now time.Time, refuse refuseFunc) (Decision, error) {
	ok, err := g.st.TransitionProposal(ctx, d.P.ID, store.ProposalPending, store.ProposalRejected, now, nil)
	if err != nil {
		return d, fmt.Errorf("reject proposal: %w", err)
	}
	if !ok {
		return d, refuse(session.CodeAlreadyExecuted, "This proposal was already decided; nothing changed.", nil)
	}
	rec := map[string]any{"proposal": d.P.ID, "tool": d.P.Tool, "chain": d.P.Chain, "step": d.P.Step}
	if d.Approval != nil {
		rec["approval"] = approvalRecord(d.Approval, a.ID, d.Channel)
	}
	g.rec.Note(ctx, a, turn, audit.KindRejected, rec)
	d.Ended = store.StepRejected
	return d, nil
}

// Accept takes a checked and authorized proposal for execution: it moves
// it to executing and claims its execution in one commit (of concurrent
// accepts exactly one gets here, and no proposal is ever executing
// without its claim), then records the confirmation durably. When that
// record cannot be written, the proposal is settled as failed: it never
// runs.
func (g *Gate) Accept(ctx context.Context, a session.Actor, turn session.TurnID, act session.Action, d Decision) error {
	refuse, p := g.refuser(ctx, a, turn, act), d.P
	won, err := g.st.AcceptProposal(ctx, p.ID, g.now().UTC())
	if err != nil {
		return fmt.Errorf("accept proposal: %w", err)
	}
	if !won {
		return refuse(session.CodeAlreadyExecuted, "This proposal was already decided and carried out; nothing ran again.", nil)
	}
	rec := map[string]any{"proposal": p.ID, "chain": p.Chain, "step": p.Step, "tool": p.Tool, "args_hash": p.ArgsHash, "level": p.Level, "proposed_in": p.Turn}
	if d.Approval != nil {
		if ap, err := g.st.GetApproval(ctx, p.ID); err == nil {
			d.Approval = &ap // with every vote
		}
		rec["approval"] = approvalRecord(d.Approval, a.ID, d.Channel)
	}
	if act.Grant != "" && act.Grant != session.GrantOnce {
		rec["grant"] = act.Grant
	}
	if err := g.rec.Must(ctx, a, turn, audit.KindConfirmed, rec); err != nil {
		// Nothing ran; the proposal is settled as failed rather than left
		// half-accepted, and it cannot run later (its claim stays).
		g.Finish(ctx, p.ID, store.ProposalFailed, session.Outbound{Turn: turn, Parts: []session.Part{&session.Error{Code: session.CodeUnavailable, Message: "not carried out: the audit trail was unavailable"}}})
		return err
	}
	return nil
}

// Finish settles an executing proposal with its outcome (the replies of
// its execution).
func (g *Gate) Finish(ctx context.Context, id session.ProposalID, to store.ProposalState, outcome session.Outbound) {
	raw, _ := json.Marshal(outcome)
	if _, err := g.st.TransitionProposal(ctx, id, store.ProposalExecuting, to, g.now(), raw); err != nil {
		g.rec.Logger().ErrorContext(ctx, "finish proposal", "proposal", id, "err", err)
	}
}

// Executed is what became of an interrupted proposal's tool: the fact its
// execution recorded (before the stop, or when recovery settled its
// claim) and how it is told. ok is false when the tool never started.
type Executed func(ctx context.Context, p store.ProposalRow) (f session.Fact, told []session.Part, ok bool)

// Interrupted settles every proposal a stopped process left executing: as
// executed or failed with its tool's recorded outcome when there is one,
// otherwise as failed (interrupted), its tool never having started. It
// never runs again (its execution claim stays), and its actor can see
// why. It returns how many it settled.
func (g *Gate) Interrupted(ctx context.Context, executed Executed) (int, error) {
	ps, err := g.st.ProposalsInState(ctx, store.ProposalExecuting)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, p := range ps {
		to, rec := store.ProposalFailed, map[string]any{"proposal": p.ID, "tool": p.Tool}
		parts := []session.Part{&session.Error{Code: session.CodeInterrupted, Message: "Interrupted by a restart before it was carried out; it did not run and will not run again. Ask again if you still want it."}}
		if f, told, ok := executed(ctx, p); ok {
			parts, rec["fact"] = told, f.ID
			if f.OK {
				to = store.ProposalExecuted
			}
		}
		rec["state"] = to
		outcome, _ := json.Marshal(session.Outbound{Turn: p.Turn, Parts: parts})
		ok, err := g.st.TransitionProposal(ctx, p.ID, store.ProposalExecuting, to, g.now(), outcome)
		if err != nil {
			return n, err
		}
		if ok {
			n++
			g.rec.Note(ctx, session.Actor{ID: p.Actor, Tenant: p.Tenant}, p.Turn, audit.KindInterrupted, rec)
		}
	}
	return n, nil
}

// View returns one of the actor's own proposals, so that a channel can
// show what became of it (a card edited when it expires). Anyone else's
// proposal, or one that does not exist, is proposal_not_found.
func (g *Gate) View(ctx context.Context, a session.Actor, id session.ProposalID) (session.Proposal, error) {
	p, err := g.st.GetProposal(ctx, id)
	notFound := kit.Errf(session.CodeProposalNotFound, "There is no such proposal.")
	if errors.Is(err, store.ErrNotFound) || (err == nil && p.Tenant != a.Tenant) {
		return session.Proposal{}, notFound
	}
	if err != nil {
		return session.Proposal{}, fmt.Errorf("proposal: %w", err)
	}
	if p.State == store.ProposalPending && !g.now().Before(p.ExpiresAt) {
		p.State = store.ProposalExpired // as a decision now would find it
	}
	v := p.View()
	if !g.viewApproval(ctx, a, p, &v) {
		return session.Proposal{}, notFound
	}
	return v, nil
}
