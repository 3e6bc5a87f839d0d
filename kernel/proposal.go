package kernel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/steward-os/steward/kernel/audit"
	"github.com/steward-os/steward/internal/narrate"
	"github.com/steward-os/steward/kernel/route"
	"github.com/steward-os/steward/sdk"
	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// impact derives direct targets and the cascade through the extensions'
// relations (CTX-06, SAFE-06: at every level that proposes, the stricter
// reading of the specification), reversibility, and at levels 3–4 the
// backup that runs first.
func (k *Kernel) impact(te *toolEntry, args json.RawMessage, resources []route.Resource) session.Impact {
	am := argMap(args)
	t := te.b.Tool
	im := session.Impact{Reversible: t.Reversible != nil && *t.Reversible, Targets: []sdk.Resource{}}
	if te.level >= 3 && t.Backup != "" {
		im.Backup = session.ToolID(te.ext.m.ID + "." + t.Backup)
	}
	type key struct{ kind, id string }
	kindOf := map[string]string{}
	for _, p := range te.spec.Params {
		kindOf[p.Name] = p.Resource
	}
	var direct []key
	for _, name := range t.Targets {
		v, ok := am[name].(string)
		if !ok || v == "" {
			continue
		}
		kd := kindOf[name]
		found := false
		for _, r := range resources {
			if r.ID == v && (kd == "" || r.Kind == kd) {
				im.Targets = append(im.Targets, r.Resource)
				direct = append(direct, key{r.Kind, r.ID})
				found = true
				break
			}
		}
		if !found {
			if kd == "" {
				kd = name
			}
			im.Targets = append(im.Targets, sdk.Resource{Kind: kd, ID: v})
		}
	}
	{
		dependents := map[key][]sdk.Resource{}
		for _, r := range resources {
			for _, rel := range r.Relations {
				dependents[key{rel.Kind, rel.ID}] = append(dependents[key{rel.Kind, rel.ID}], r.Resource)
			}
		}
		seen := map[key]bool{}
		for _, d := range direct {
			seen[d] = true
		}
		queue := slices.Clone(direct)
		for len(queue) > 0 {
			cur := queue[0]
			queue = queue[1:]
			for _, dep := range dependents[cur] {
				kk := key{dep.Kind, dep.ID}
				if seen[kk] {
					continue
				}
				seen[kk] = true
				im.Cascade = append(im.Cascade, dep)
				queue = append(queue, kk)
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Changes %s", describe(im.Targets))
	if len(im.Cascade) > 0 {
		fmt.Fprintf(&b, "; also affects %s", describe(im.Cascade))
	}
	if im.Reversible {
		b.WriteString("; reversible")
	} else {
		b.WriteString("; NOT reversible")
	}
	if im.Backup != "" {
		fmt.Fprintf(&b, "; %s runs first", im.Backup)
	}
	b.WriteString(".")
	im.Summary = b.String()
	return im
}

func describe(rs []sdk.Resource) string {
	if len(rs) == 0 {
		return "nothing named"
	}
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = r.Kind + " " + r.ID
	}
	return strings.Join(parts, ", ")
}

// propose freezes the step as a proposal and returns its card.
func (k *Kernel) propose(ctx context.Context, a session.Actor, turn session.TurnID, te *toolEntry, args json.RawMessage, resources []route.Resource, ch *store.ChainRow, st *store.ChainStep, sources []session.Source) (*session.ProposalCard, error) {
	now := k.now().UTC()
	card := &session.ProposalCard{
		ID: session.ProposalID(newID("p_")), Tool: te.id, Args: args, ArgsHash: ArgsHash(te.id, args),
		SafetyLevel: te.level, Impact: k.impact(te, args, resources), ExpiresAt: now.Add(k.cfg.ProposalTTL),
	}
	card.Summary = string(te.id)
	if tpl := te.b.Tool.Propose; tpl != "" {
		if s, err := narrate.Render(tpl, argMap(args)); err == nil {
			card.Summary = s
		}
	}
	row := store.ProposalRow{
		ID: card.ID, Tenant: a.Tenant, Actor: a.ID, Session: session.SessionFor(a), Turn: turn, Tool: te.id,
		Args: args, ArgsHash: card.ArgsHash, Level: te.level, CreatedAt: now, ExpiresAt: card.ExpiresAt, State: store.ProposalPending,
	}
	row.Origin = k.lastUsed(ctx, row.Session) // the channel of this turn
	if ch != nil && st != nil && len(ch.Steps) > 1 {
		row.Chain, row.Step = ch.ID, st.ID
		card.Chain, card.Step, card.Sources, card.Remaining = ch.ID, st.ID, sources, remaining(ch, st)
	}
	if te.level >= 4 {
		card.DangerPhraseRequired = true
		row.Phrase, _ = argMap(args)[te.b.Tool.DangerPhrase].(string)
		if strings.TrimSpace(row.Phrase) == "" {
			// Never create a level-4 proposal that an empty phrase could confirm.
			return nil, Errf(session.CodeInvalidArguments, "%s needs the name of its target (%s) before it can be proposed.", te.id, te.b.Tool.DangerPhrase)
		}
		cu := now.Add(k.cfg.Cooling)
		card.CoolingUntil, row.CoolingUntil = &cu, cu
	}
	row.Card, _ = json.Marshal(card)
	if err := k.st.CreateProposal(ctx, row); err != nil {
		return nil, fmt.Errorf("store proposal: %w", err)
	}
	if err := k.mustAudit(ctx, a, turn, audit.KindProposed, map[string]any{"proposal": card.ID, "chain": row.Chain, "step": row.Step, "sources": sources, "tool": te.id, "args": args, "args_hash": card.ArgsHash, "level": te.level, "impact": card.Impact, "expires_at": card.ExpiresAt, "cooling_until": card.CoolingUntil}); err != nil {
		return nil, err
	}
	return card, nil
}

// decide applies an accept or reject to a proposal (SAFE-03, 07, 08, 11, 12).
// When the decision is made on another channel than the proposal, its
// outcome is also delivered to the proposal's channel (CHAN-05), so the
// conversation there shows what happened.
func (k *Kernel) decide(ctx context.Context, a session.Actor, turn session.TurnID, act session.Action) ([]session.Part, error) {
	parts, err := k.decideHere(ctx, a, turn, act)
	if p, gerr := k.st.GetProposal(ctx, act.Proposal); gerr == nil && p.Tenant == a.Tenant && p.Actor == a.ID && p.Origin.Channel != "" {
		if here := k.lastUsed(ctx, p.Session); here.Channel != p.Origin.Channel {
			echo := append([]session.Part(nil), parts...)
			if err != nil {
				ke := AsError(err)
				echo = append(echo, &session.Error{Code: ke.Code, Message: ke.Message})
			}
			if len(echo) > 0 {
				k.publish(ctx, p.Session, session.Outbound{To: p.Origin, Turn: turn, Parts: echo})
			}
		}
	}
	return parts, err
}

func (k *Kernel) decideHere(ctx context.Context, a session.Actor, turn session.TurnID, act session.Action) ([]session.Part, error) {
	refuse := func(code, msg string, extra map[string]any) error {
		d := map[string]any{"proposal": act.Proposal, "decision": act.Kind, "code": code}
		for k, v := range extra {
			d[k] = v
		}
		k.write(ctx, a, turn, audit.KindConfirmError, d)
		return Errf(code, "%s", msg)
	}
	if act.Kind != session.ActionAccept && act.Kind != session.ActionReject {
		return nil, refuse(session.CodeBadRequest, `The decision must be "accept" or "reject".`, nil)
	}
	p, err := k.st.GetProposal(ctx, act.Proposal)
	if errors.Is(err, store.ErrNotFound) {
		return nil, refuse(session.CodeProposalNotFound, "There is no proposal with that id.", nil)
	}
	if err != nil {
		return nil, fmt.Errorf("load proposal: %w", err)
	}
	if p.Tenant != a.Tenant {
		// ISO-02: same answer as a proposal that does not exist; audited in both tenants.
		k.write(ctx, a, turn, audit.KindCrossTenant, map[string]any{"proposal": p.ID})
		k.write(ctx, session.Actor{ID: a.ID, Tenant: p.Tenant}, turn, audit.KindCrossTenant, map[string]any{"proposal": p.ID, "from_tenant": a.Tenant})
		return nil, Errf(session.CodeProposalNotFound, "There is no proposal with that id.")
	}
	if p.Actor != a.ID {
		return nil, refuse(session.CodeNotYourProposal, "Only the person who asked for this action can decide on it.", map[string]any{"owner": p.Actor})
	}
	now := k.now().UTC()
	switch p.State {
	case store.ProposalExecuted, store.ProposalExecuting, store.ProposalFailed:
		return nil, refuse(session.CodeAlreadyExecuted, "This proposal was already decided and carried out; nothing ran again.", map[string]any{"state": p.State})
	case store.ProposalRejected:
		return nil, refuse(session.CodeProposalRejected, "This proposal was rejected; nothing ran. Ask again if you still want it.", nil)
	case store.ProposalExpired:
		return nil, refuse(session.CodeProposalExpired, "This proposal has expired; nothing ran. Ask again if you still want it.", nil)
	}
	if !now.Before(p.ExpiresAt) {
		var more []session.Part
		if ok, _ := k.st.TransitionProposal(ctx, p.ID, store.ProposalPending, store.ProposalExpired, now, nil); ok {
			k.write(ctx, a, turn, audit.KindExpired, map[string]any{"proposal": p.ID})
			var err error
			if more, err = k.settleChain(ctx, a, turn, p.Chain, p.Step, store.StepExpired, 0, "expired"); err != nil {
				return nil, err
			}
		}
		return more, refuse(session.CodeProposalExpired, "This proposal has expired; nothing ran. Ask again if you still want it.", nil)
	}
	if act.Kind == session.ActionReject {
		ok, err := k.st.TransitionProposal(ctx, p.ID, store.ProposalPending, store.ProposalRejected, now, nil)
		if err != nil {
			return nil, fmt.Errorf("reject proposal: %w", err)
		}
		if !ok {
			return nil, refuse(session.CodeAlreadyExecuted, "This proposal was already decided; nothing changed.", nil)
		}
		k.write(ctx, a, turn, audit.KindRejected, map[string]any{"proposal": p.ID, "tool": p.Tool, "chain": p.Chain, "step": p.Step})
		parts := []session.Part{&session.Text{Text: "Cancelled: nothing was changed."}}
		more, err := k.settleChain(ctx, a, turn, p.Chain, p.Step, store.StepRejected, 0, "rejected")
		return append(parts, more...), err
	}
	if p.Level >= 4 {
		if now.Before(p.CoolingUntil) {
			left := p.CoolingUntil.Sub(now).Round(time.Second)
			return nil, refuse(session.CodeCoolingPeriod, fmt.Sprintf("This is irreversible, so it can be confirmed only after a cooling period: wait %s and confirm again.", left), map[string]any{"cooling_until": p.CoolingUntil})
		}
		if strings.TrimSpace(act.Phrase) != p.Phrase {
			return nil, refuse(session.CodeWrongDangerPhrase, "The confirmation phrase does not match. Type the exact name of the target to confirm.", nil)
		}
	}
	te, ok := k.tool(p.Tool)
	if !ok {
		return nil, refuse(session.CodeUnknownTool, "The tool for this proposal is no longer available; nothing ran.", nil)
	}
	if ArgsHash(p.Tool, p.Args) != p.ArgsHash {
		return nil, refuse(session.CodeArgsTampered, "The stored arguments no longer match what you were shown; nothing ran.", nil)
	}
	resources, err := k.resources(ctx, a.Tenant)
	if err != nil {
		return nil, fmt.Errorf("context: %w", err)
	}
	if err := k.authorize(ctx, a, turn, te, p.Args, resources); err != nil {
		return nil, err
	}
	won, err := k.st.TransitionProposal(ctx, p.ID, store.ProposalPending, store.ProposalExecuting, now, nil)
	if err != nil {
		return nil, fmt.Errorf("accept proposal: %w", err)
	}
	if !won {
		return nil, refuse(session.CodeAlreadyExecuted, "This proposal was already decided and carried out; nothing ran again.", nil)
	}
	claimed, err := k.st.ClaimExecution(ctx, "proposal:"+string(p.ID), now)
	if err != nil {
		return nil, fmt.Errorf("claim execution: %w", err)
	}
	if !claimed {
		return nil, refuse(session.CodeAlreadyExecuted, "This proposal was already carried out; nothing ran again.", nil)
	}
	if err := k.mustAudit(ctx, a, turn, audit.KindConfirmed, map[string]any{"proposal": p.ID, "chain": p.Chain, "step": p.Step, "tool": p.Tool, "args_hash": p.ArgsHash, "level": p.Level, "proposed_in": p.Turn}); err != nil {
		// Nothing ran; the proposal is settled as failed rather than left
		// half-accepted, and it cannot run later (its claim stays).
		outcome, _ := json.Marshal(session.Outbound{Turn: turn, Parts: []session.Part{&session.Error{Code: session.CodeUnavailable, Message: "not carried out: the audit trail was unavailable"}}})
		_, _ = k.st.TransitionProposal(ctx, p.ID, store.ProposalExecuting, store.ProposalFailed, k.now(), outcome)
		return nil, err
	}
	step := p.Step
	if step == "" {
		step = "s1"
	}
	parts, f, execErr := k.execute(ctx, a, turn, step, te, p.Args, resources, p.Chain)
	var pr *promoted
	if errors.As(execErr, &pr) {
		// Carried out once; it runs on as a task, whose end resumes the plan.
		outcome, _ := json.Marshal(session.Outbound{Turn: turn, Parts: parts})
		if _, err := k.st.TransitionProposal(ctx, p.ID, store.ProposalExecuting, store.ProposalExecuted, k.now(), outcome); err != nil {
			k.log.ErrorContext(ctx, "finish proposal", "proposal", p.ID, "err", err)
		}
		if p.Chain != "" {
			if err := k.markChainTask(ctx, p.Chain, step, pr.task.ID); err != nil {
				return parts, err
			}
		}
		return parts, nil
	}
	final, stepState := store.ProposalExecuted, store.StepDone
	recorded := parts
	if execErr != nil {
		final, stepState = store.ProposalFailed, store.StepFailed
		ke := AsError(execErr)
		recorded = append(slices.Clone(parts), &session.Error{Code: ke.Code, Message: ke.Message})
	}
	outcome, _ := json.Marshal(session.Outbound{Turn: turn, Parts: recorded})
	if _, err := k.st.TransitionProposal(ctx, p.ID, store.ProposalExecuting, final, k.now(), outcome); err != nil {
		k.log.ErrorContext(ctx, "finish proposal", "proposal", p.ID, "err", err)
	}
	if p.Chain == "" {
		return parts, execErr
	}
	// A step of a multi-step plan: report it, then resume the plan.
	if execErr != nil {
		ke := AsError(execErr)
		parts = append(parts, &session.Error{Code: ke.Code, Message: fmt.Sprintf("Step %s (%s) failed: %s", step, p.Tool, ke.Message)})
	}
	more, err := k.settleChain(ctx, a, turn, p.Chain, p.Step, stepState, f.ID, errText(execErr))
	return append(parts, more...), err
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return AsError(err).Message
}
