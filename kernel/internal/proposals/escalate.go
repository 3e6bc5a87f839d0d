package proposals

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/steward-os/steward/kernel/audit"
	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// Escalation and expiry of approval requests: a request nobody answered
// within its window goes to the next approver in line; with the line
// exhausted (or the proposal past its expiry) it expires, and the
// requester is told. Every step is a compare-and-set in the store, so two
// processes sweeping at once ask each approver once and expire once.

// Escalate handles every approval request whose deadline has passed and
// returns the proposals it expired (their plans may need settling).
func (g *Gate) Escalate(ctx context.Context) ([]store.ProposalRow, error) {
	now := g.now().UTC()
	due, err := g.st.DueApprovals(ctx, now)
	if err != nil {
		return nil, fmt.Errorf("due approvals: %w", err)
	}
	var expired []store.ProposalRow
	for _, ap := range due {
		p, err := g.st.GetProposal(ctx, ap.Proposal)
		if err != nil {
			return expired, fmt.Errorf("load proposal: %w", err)
		}
		system := session.Actor{ID: session.SystemActor, Tenant: ap.Tenant}
		switch {
		case p.State != store.ProposalPending:
			// Decided (and its request closed by then) or expired by a
			// late decision: nothing to ask.
			_, err = g.st.CloseApproval(ctx, p.ID, "", "", now)
		case ap.Asked < len(ap.Line) && now.Before(p.ExpiresAt):
			err = g.escalate(ctx, system, ap, p)
		default:
			var ok bool
			ok, err = g.expire(ctx, system, ap, p)
			if ok {
				expired = append(expired, p)
			}
		}
		if err != nil {
			return expired, err
		}
	}
	return expired, nil
}

// escalate asks the next approver in line, once.
func (g *Gate) escalate(ctx context.Context, system session.Actor, ap store.ApprovalRow, p store.ProposalRow) error {
	now := g.now().UTC()
	next := p.ExpiresAt
	if w := g.cfg.Approvals[ap.Tenant].EscalateAfter; w > 0 && now.Add(w).Before(next) {
		next = now.Add(w)
	}
	won, err := g.st.AdvanceApproval(ctx, p.ID, ap.Asked, ap.Asked+1, next)
	if err != nil || !won {
		return err
	}
	who := ap.Line[ap.Asked]
	g.rec.Note(ctx, system, p.Turn, audit.KindApprovalEscalated, map[string]any{"proposal": p.ID, "requester": ap.Requester, "unanswered": ap.Line[:ap.Asked], "asked": who, "policy": ap.Policy})
	var card session.ProposalCard
	if err := json.Unmarshal(p.Card, &card); err != nil {
		return fmt.Errorf("decode card: %w", err)
	}
	asked := slices.Clone(ap.Line[:ap.Asked+1])
	card.Approval = &session.Approval{Requester: ap.Requester, Policy: ap.Policy, Asked: asked, Needed: ap.Needed}
	g.ask(ctx, ap.Tenant, p.Turn, &card, []session.ActorID{who})
	if g.people.Notify != nil {
		msg := fmt.Sprintf("No answer yet from %s on your request %s; it now goes to %s too.", names(ap.Line[:ap.Asked]), p.ID, who)
		g.people.Notify.Publish(ctx, p.Session, session.Outbound{Turn: p.Turn, Parts: []session.Part{&session.Text{Text: msg}}})
	}
	return g.rec.Sync(ctx)
}

// expire settles an unanswered request as expired, once, and tells the
// requester and every approver asked.
func (g *Gate) expire(ctx context.Context, system session.Actor, ap store.ApprovalRow, p store.ProposalRow) (bool, error) {
	now := g.now().UTC()
	ok, err := g.st.TransitionProposal(ctx, p.ID, store.ProposalPending, store.ProposalExpired, now, nil)
	if err != nil || !ok {
		return false, err
	}
	if _, err := g.st.CloseApproval(ctx, p.ID, "", "", now); err != nil {
		return true, err
	}
	g.rec.Note(ctx, system, p.Turn, audit.KindExpired, map[string]any{"proposal": p.ID, "requester": ap.Requester, "policy": ap.Policy, "asked": ap.Line[:ap.Asked], "reason": "no approver answered"})
	if g.people.Notify != nil {
		decided := []session.Decision{{Proposal: p.ID, State: store.ProposalExpired}}
		msg := fmt.Sprintf("Your request %s (%s) expired: nobody approved it in time (asked %s). Nothing ran; ask again if you still want it.", p.ID, p.Tool, names(ap.Line[:ap.Asked]))
		g.people.Notify.Publish(ctx, p.Session, session.Outbound{Turn: p.Turn, Parts: []session.Part{&session.Error{Code: session.CodeProposalExpired, Message: msg}}, Decided: decided})
		for _, who := range ap.Line[:ap.Asked] {
			other := fmt.Sprintf("Request %s from %s expired unanswered; nothing ran.", p.ID, ap.Requester)
			g.people.Notify.Publish(ctx, session.SessionFor(session.Actor{ID: who, Tenant: ap.Tenant}), session.Outbound{Turn: p.Turn, Parts: []session.Part{&session.Text{Text: other}}, Decided: decided})
		}
	}
	return true, g.rec.Sync(ctx)
}
