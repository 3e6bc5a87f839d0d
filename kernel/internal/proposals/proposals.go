// Package proposals is the safety gate (SAFE-02…12): it decides which
// calls need a person's confirmation, freezes each as a proposal with its
// impact, and checks every decision on one — actor, tenant, expiry,
// cooling period, danger phrase, arguments hash, single use — before the
// turn engine may carry it out.
//
// Contract. A proposal freezes a tool and its canonical arguments; it is
// carried out only with exactly those (hash-compared), at most once (a
// state transition and an execution claim, both atomic in the store),
// accepted by its own actor — or, when the tenant's approval policy gives
// it to someone else, only by an eligible approver, never its requester
// (approve.go, policy.go) — before it expires, and at level 4 only after
// the cooling period with the exact danger phrase. Approval requests
// escalate and expire once however many processes sweep (escalate.go). A
// grant lets a level-1–2 tool run again without asking only within its
// targets, conversation and session (grants.go). Every refusal is audited
// with its stable code. A level-4 proposal that an empty phrase could
// confirm is never created. The gate runs no tool itself.
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
	// Approvals are the tenants' approval policies (policy.go); a tenant
	// without one decides its own proposals.
	Approvals map[session.TenantID]Policy
	// GrantIdle ends a session grant after this long without a turn on
	// its conversation (default 30 min); GrantMax bounds any grant
	// (default 8 h).
	GrantIdle, GrantMax time.Duration
}

// Store is what the gate keeps.
type Store interface {
	store.Proposals
	store.Approvals
	store.Grants
}

// Gate creates and checks proposals.
type Gate struct {
	cfg    Config
	st     Store
	reg    *registry.Registry
	rec    *kit.Recorder
	now    func() time.Time
	people Parties
}

// Parties are who the gate reads about and tells: the directory and role
// ceilings (approval policies), and the bus (approval cards, outcomes).
type Parties struct {
	People
	Notify Notifier
}

// New returns a Gate.
func New(cfg Config, st Store, reg *registry.Registry, rec *kit.Recorder, now func() time.Time, people Parties) *Gate {
	if cfg.GrantIdle <= 0 {
		cfg.GrantIdle = 30 * time.Minute
	}
	if cfg.GrantMax <= 0 {
		cfg.GrantMax = 8 * time.Hour
	}
	return &Gate{cfg: cfg, st: st, reg: reg, rec: rec, now: now, people: people}
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
	// Approval is the proposal's approval request, when its policy gives
	// it to someone other than its requester.
	Approval *store.ApprovalRow
	// Votes, when not 0, is how many approvers have accepted a request
	// that needs more: it does not run yet.
	Votes int
	// Channel is where the decision was made.
	Channel session.ChannelID
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
	ap, err := g.request(ctx, a, turn, t, card, now)
	if err != nil {
		return nil, err
	}
	row.Card, _ = json.Marshal(card)
	if err := g.st.CreateProposal(ctx, row); err != nil {
		return nil, fmt.Errorf("store proposal: %w", err)
	}
	if ap != nil {
		if err := g.st.CreateApproval(ctx, *ap); err != nil {
			return nil, fmt.Errorf("store approval: %w", err)
		}
	}
	if err := g.rec.Must(ctx, a, turn, audit.KindProposed, map[string]any{"proposal": card.ID, "chain": row.Chain, "step": row.Step, "sources": c.Sources, "tool": t.ID, "args": args, "args_hash": card.ArgsHash, "level": t.Level, "impact": card.Impact, "expires_at": card.ExpiresAt, "cooling_until": card.CoolingUntil, "approval": card.Approval}); err != nil {
		return nil, err
	}
	if ap != nil {
		g.rec.Note(ctx, a, turn, audit.KindApprovalAsked, map[string]any{"proposal": card.ID, "requester": a.ID, "policy": ap.Policy, "asked": card.Approval.Asked, "line": ap.Line, "needed": ap.Needed})
		g.ask(ctx, a.Tenant, turn, card, card.Approval.Asked)
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
