// Package proposals is the safety gate (SAFE-02…12): it decides which
// calls need a person's confirmation, freezes each as a proposal with its
// impact, and checks every decision on one — actor, tenant, expiry,
// cooling period, danger phrase, arguments hash, single use — before the
// turn engine may carry it out.
//
// Contract. A proposal freezes a tool and its canonical arguments; it is
// carried out only with exactly those (hash-compared), at most once (a
// state transition and an execution claim, both atomic in the store), by
// its own actor, before it expires, and at level 4 only after the cooling
// period with the exact danger phrase. Every refusal is audited with its
// stable code. A level-4 proposal that an empty phrase could confirm is
// never created. The gate runs no tool itself.
package proposals

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/steward-os/steward/internal/narrate"
	"github.com/steward-os/steward/kernel/audit"
	"github.com/steward-os/steward/kernel/internal/kit"
	"github.com/steward-os/steward/kernel/internal/registry"
	"github.com/steward-os/steward/kernel/route"
	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// Config tunes the gate.
type Config struct {
	// TTL is how long a proposal may be accepted.
	TTL time.Duration
	// Cooling is the level-4 cooling period.
	Cooling time.Duration
	// ConfirmLevel1 lists tenants whose policy asks before level-1 tools.
	ConfirmLevel1 map[session.TenantID]bool
}

// Gate creates and checks proposals.
type Gate struct {
	cfg Config
	st  store.Proposals
	reg *registry.Registry
	rec *kit.Recorder
	now func() time.Time
}

// New returns a Gate.
func New(cfg Config, st store.Proposals, reg *registry.Registry, rec *kit.Recorder, now func() time.Time) *Gate {
	return &Gate{cfg: cfg, st: st, reg: reg, rec: rec, now: now}
}

// Decision is what a checked decision found.
type Decision struct {
	P store.ProposalRow
	// Tool is set when the decision is an accept that passed every check
	// of the gate: the caller authorizes the call, then Accepts it.
	Tool *registry.Tool
	// Ended is StepRejected or StepExpired when this decision settled the
	// proposal without running it (the plan it gates resumes).
	Ended store.StepState
}

// NeedsConfirmation reports whether a call at this level must be proposed
// first: level 2 and above, and level 1 where the tenant asks.
func (g *Gate) NeedsConfirmation(tenant session.TenantID, level int) bool {
	return level >= 2 || (level == 1 && g.cfg.ConfirmLevel1[tenant])
}

// Step places a proposal inside a plan of several steps.
type Step struct {
	Chain     session.ChainID
	Step      session.StepID
	Remaining []session.PlanStep
}

// Call is what a proposal freezes: a tool, its canonical arguments, where
// resolved arguments came from, and the context its impact is read from.
type Call struct {
	Tool      *registry.Tool
	Args      json.RawMessage
	Sources   []session.Source
	Resources []route.Resource
}

// Propose freezes a call as a proposal made on origin and returns its card;
// in places it in a plan of several steps (nil for a single step).
func (g *Gate) Propose(ctx context.Context, a session.Actor, turn session.TurnID, c Call, origin session.Address, in *Step) (*session.ProposalCard, error) {
	t, args := c.Tool, c.Args
	now := g.now().UTC()
	card := &session.ProposalCard{
		ID: session.ProposalID(kit.NewID("p_")), Tool: t.ID, Args: args, ArgsHash: kit.ArgsHash(t.ID, args),
		SafetyLevel: t.Level, Impact: Impact(t, args, c.Resources), ExpiresAt: now.Add(g.cfg.TTL), Summary: summaryOf(t, args),
	}
	row := store.ProposalRow{
		ID: card.ID, Tenant: a.Tenant, Actor: a.ID, Session: session.SessionFor(a), Turn: turn, Tool: t.ID, Origin: origin,
		Args: args, ArgsHash: card.ArgsHash, Level: t.Level, CreatedAt: now, ExpiresAt: card.ExpiresAt, State: store.ProposalPending,
	}
	if in != nil {
		row.Chain, row.Step = in.Chain, in.Step
		card.Chain, card.Step, card.Sources, card.Remaining = in.Chain, in.Step, c.Sources, in.Remaining
	}
	if t.Level >= 4 {
		row.Phrase, _ = kit.ArgMap(args)[t.Decl().DangerPhrase].(string)
		if strings.TrimSpace(row.Phrase) == "" {
			// Never create a level-4 proposal that an empty phrase could confirm.
			return nil, kit.Errf(session.CodeInvalidArguments, "%s needs the name of its target (%s) before it can be proposed.", t.ID, t.Decl().DangerPhrase)
		}
		cu := now.Add(g.cfg.Cooling)
		card.DangerPhraseRequired, card.CoolingUntil, row.CoolingUntil = true, &cu, cu
	}
	row.Card, _ = json.Marshal(card)
	if err := g.st.CreateProposal(ctx, row); err != nil {
		return nil, fmt.Errorf("store proposal: %w", err)
	}
	if err := g.rec.Must(ctx, a, turn, audit.KindProposed, map[string]any{"proposal": card.ID, "chain": row.Chain, "step": row.Step, "sources": c.Sources, "tool": t.ID, "args": args, "args_hash": card.ArgsHash, "level": t.Level, "impact": card.Impact, "expires_at": card.ExpiresAt, "cooling_until": card.CoolingUntil}); err != nil {
		return nil, err
	}
	return card, nil
}

// summaryOf is the card's one-line summary: the tool's propose template
// over the arguments, or the tool's id.
func summaryOf(t *registry.Tool, args json.RawMessage) string {
	if tpl := t.Decl().Propose; tpl != "" {
		if s, err := narrate.Render(tpl, kit.ArgMap(args)); err == nil {
			return s
		}
	}
	return string(t.ID)
}

// Get loads a proposal (store errors wrapped; store.ErrNotFound kept).
func (g *Gate) Get(ctx context.Context, id session.ProposalID) (store.ProposalRow, error) {
	return g.st.GetProposal(ctx, id)
}

// checkAccept enforces the level-4 cooling period and danger phrase.
func (g *Gate) checkAccept(p store.ProposalRow, act session.Action, now time.Time, refuse refuseFunc) error {
	if p.Level < 4 {
		return nil
	}
	if now.Before(p.CoolingUntil) {
		left := p.CoolingUntil.Sub(now).Round(time.Second)
		return refuse(session.CodeCoolingPeriod, fmt.Sprintf("This is irreversible, so it can be confirmed only after a cooling period: wait %s and confirm again.", left), map[string]any{"cooling_until": p.CoolingUntil})
	}
	if strings.TrimSpace(act.Phrase) != p.Phrase {
		return refuse(session.CodeWrongDangerPhrase, "The confirmation phrase does not match. Type the exact name of the target to confirm.", nil)
	}
	return nil
}
