package proposals

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/steward-os/steward/kernel/audit"
	"github.com/steward-os/steward/kernel/internal/kit"
	"github.com/steward-os/steward/kernel/internal/registry"
	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// Approvals (APR-01, APR-02): a proposal whose tenant policy names
// someone other than its requester is stored with an approval request;
// its card goes to the approvers asked, on their own channels; only an
// eligible approver may accept it (the requester may still withdraw it);
// the first decision wins (the proposal's single-use transition), and
// everyone asked is told how it ended.

// Notifier delivers an outbound to a session outside a request (the bus).
type Notifier interface {
	Publish(ctx context.Context, sid session.SessionID, out session.Outbound)
}

// approvalView is what eligibility needs of a request.
type approvalView struct {
	Requester session.ActorID
	Policy    string
	Level     int
}

// request builds the approval request of a new proposal when the tenant's
// policy gives it to someone else, and puts it on the card; nil for
// "self". With nobody able to approve, nothing is proposed (no_approver).
func (g *Gate) request(ctx context.Context, a session.Actor, turn session.TurnID, t *registry.Tool, card *session.ProposalCard, now time.Time) (*store.ApprovalRow, error) {
	pol := g.cfg.Approvals[a.Tenant]
	rule := pol.For(t.ID, t.Level)
	need := rule.Needed()
	if need == 0 {
		return nil, nil
	}
	line, err := g.line(ctx, a, rule, t.Level)
	if err != nil {
		return nil, err
	}
	if len(line) < need {
		g.rec.Note(ctx, a, turn, audit.KindDenied, map[string]any{"reason": "no approver", "code": session.CodeNoApprover, "tool": t.ID, "policy": rule.String()})
		return nil, kit.Errf(session.CodeNoApprover, "%s needs approval by someone other than you (policy %s), and nobody who may give it can be asked; nothing was proposed.", t.ID, rule)
	}
	asked, next := len(line), card.ExpiresAt
	if pol.EscalateAfter > 0 && need < len(line) {
		asked = need
		if n := now.Add(pol.EscalateAfter); n.Before(next) {
			next = n
		}
	}
	card.Approval = &session.Approval{Requester: a.ID, Policy: rule.String(), Asked: slices.Clone(line[:asked]), Needed: need}
	return &store.ApprovalRow{Proposal: card.ID, Tenant: a.Tenant, Requester: a.ID, Policy: rule.String(), Line: line, Asked: asked, Needed: need, Next: next, CreatedAt: now}, nil
}

// ask sends the approval card to approvers, each on their own session's
// channel (CHAN-07: where their deliveries go).
func (g *Gate) ask(ctx context.Context, tenant session.TenantID, turn session.TurnID, card *session.ProposalCard, who []session.ActorID) {
	if g.people.Notify == nil {
		return
	}
	for _, id := range who {
		c := *card
		intro := fmt.Sprintf("%s asks for your approval: %s", card.Approval.Requester, card.Summary)
		g.people.Notify.Publish(ctx, session.SessionFor(session.Actor{ID: id, Tenant: tenant}), session.Outbound{Turn: turn, Parts: []session.Part{&session.Text{Text: intro}, &c}})
	}
}

// checkDecider lets the proposal's own actor decide when no approval is
// needed; with an approval request, the requester may only withdraw it
// (self_approval on an accept) and anyone else must be an eligible
// approver (not_an_approver). Another tenant's proposal answers as one
// that does not exist (ISO-02, audited in both).
func (g *Gate) checkDecider(ctx context.Context, a session.Actor, turn session.TurnID, p store.ProposalRow, act session.Action, refuse refuseFunc) (*store.ApprovalRow, error) {
	if p.Tenant != a.Tenant {
		g.rec.CrossTenant(ctx, a, p.Tenant, turn, map[string]any{"proposal": p.ID})
		return nil, kit.Errf(session.CodeProposalNotFound, "There is no proposal with that id.")
	}
	ap, err := g.st.GetApproval(ctx, p.ID)
	if errors.Is(err, store.ErrNotFound) {
		if p.Actor != a.ID {
			return nil, refuse(session.CodeNotYourProposal, "Only the person who asked for this action can decide on it.", map[string]any{"owner": p.Actor})
		}
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load approval: %w", err)
	}
	switch {
	case a.ID == p.Actor && act.Kind == session.ActionAccept:
		return nil, refuse(session.CodeSelfApproval, fmt.Sprintf("You asked for this action, so someone else must approve it (policy %s); it waits for %s. You may still reject it.", ap.Policy, names(ap.Line[:ap.Asked])), map[string]any{"policy": ap.Policy})
	case a.ID != p.Actor && !g.eligible(ctx, a, approvalView{Requester: ap.Requester, Policy: ap.Policy, Level: p.Level}):
		return nil, refuse(session.CodeNotApprover, "You are not one of the approvers of this request; nothing ran.", map[string]any{"policy": ap.Policy, "requester": ap.Requester})
	}
	return &ap, nil
}

// vote records an approver's accept of a request that needs several; it
// reports whether enough have accepted for it to run.
func (g *Gate) vote(ctx context.Context, a session.Actor, turn session.TurnID, d *Decision, channel session.ChannelID, now time.Time) (bool, error) {
	n, _, err := g.st.AddApprovalVote(ctx, d.P.ID, store.ApprovalVote{Approver: a.ID, Channel: channel, At: now})
	if err != nil {
		return false, fmt.Errorf("approval vote: %w", err)
	}
	if n >= d.Approval.Needed {
		return true, nil
	}
	g.rec.Note(ctx, a, turn, audit.KindApprovalVote, map[string]any{"proposal": d.P.ID, "votes": n, "needed": d.Approval.Needed, "channel": channel})
	d.Votes = n
	return false, nil
}

// approvalRecord is what the confirmed (or rejected) record says of an
// approval: who asked, who was asked, the policy, who decided and where.
func approvalRecord(ap *store.ApprovalRow, by session.ActorID, channel session.ChannelID) map[string]any {
	votes := make([]session.ActorID, 0, len(ap.Votes))
	for _, v := range ap.Votes {
		votes = append(votes, v.Approver)
	}
	return map[string]any{"requester": ap.Requester, "policy": ap.Policy, "asked": ap.Line[:ap.Asked], "decided_by": by, "channel": channel, "votes": votes}
}

// Settled closes a decided proposal's approval request and tells everyone
// it concerned: the requester (the outcome, and who decided) and the other
// approvers asked (their cards now stale). told are the decision's
// replies; it does nothing for a proposal without a request.
func (g *Gate) Settled(ctx context.Context, by session.Actor, channel session.ChannelID, turn session.TurnID, id session.ProposalID, state session.ProposalState, told []session.Part) {
	ap, err := g.st.GetApproval(ctx, id)
	if err != nil {
		return
	}
	now := g.now().UTC()
	decider := by.ID
	if state == session.ProposalExpired {
		decider, channel = "", "" // found expired: nobody decided it
	}
	if _, err := g.st.CloseApproval(ctx, id, decider, channel, now); err != nil {
		g.rec.Logger().ErrorContext(ctx, "close approval", "proposal", id, "err", err)
	}
	if g.people.Notify == nil {
		return
	}
	at := now.Format("15:04:05 MST")
	verb := map[session.ProposalState]string{session.ProposalExecuted: "approved", session.ProposalFailed: "approved", session.ProposalRejected: "rejected"}[state]
	decided := []session.Decision{{Proposal: id, State: state}}
	other := fmt.Sprintf("Request %s from %s was %s by %s at %s; nothing for you to do.", id, ap.Requester, verb, by.ID, at)
	switch {
	case state == session.ProposalExpired:
		other = fmt.Sprintf("Request %s from %s expired unanswered; nothing ran.", id, ap.Requester)
		if by.ID == ap.Requester {
			break // they were just told
		}
		msg := fmt.Sprintf("Your request %s expired: nobody approved it in time. Nothing ran; ask again if you still want it.", id)
		g.people.Notify.Publish(ctx, session.SessionFor(session.Actor{ID: ap.Requester, Tenant: ap.Tenant}), session.Outbound{Turn: turn, Parts: []session.Part{&session.Text{Text: msg}}, Decided: decided})
	case by.ID == ap.Requester:
		other = fmt.Sprintf("Request %s from %s was withdrawn at %s; nothing for you to do.", id, ap.Requester, at)
	default:
		line := fmt.Sprintf("Your request %s was %s by %s at %s (on %s).", id, verb, by.ID, at, channel)
		parts := append([]session.Part{&session.Text{Text: line}}, told...)
		g.people.Notify.Publish(ctx, session.SessionFor(session.Actor{ID: ap.Requester, Tenant: ap.Tenant}), session.Outbound{Turn: turn, Parts: parts, Decided: decided})
	}
	for _, who := range ap.Line[:ap.Asked] {
		if who != by.ID {
			g.people.Notify.Publish(ctx, session.SessionFor(session.Actor{ID: who, Tenant: ap.Tenant}), session.Outbound{Turn: turn, Parts: []session.Part{&session.Text{Text: other}}, Decided: decided})
		}
	}
}

// viewApproval fills a card's approval with how the request stands, and
// reports whether a may see it (the requester or an approver asked).
func (g *Gate) viewApproval(ctx context.Context, a session.Actor, p store.ProposalRow, v *session.Proposal) bool {
	ap, err := g.st.GetApproval(ctx, p.ID)
	if err != nil {
		return p.Actor == a.ID
	}
	if p.Actor != a.ID && !slices.Contains(ap.Line[:ap.Asked], a.ID) {
		return false
	}
	av := &session.Approval{Requester: ap.Requester, Policy: ap.Policy, Asked: slices.Clone(ap.Line[:ap.Asked]), Needed: ap.Needed}
	for _, vt := range ap.Votes {
		av.Approved = append(av.Approved, vt.Approver)
	}
	if ap.Closed && ap.ClosedBy != "" {
		at := ap.ClosedAt
		av.DecidedBy, av.DecidedAt, av.Channel = ap.ClosedBy, &at, ap.ClosedOn
	}
	v.Card.Approval = av
	return true
}

func names(ids []session.ActorID) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = string(id)
	}
	return strings.Join(s, " or ")
}
