package proposals

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/steward-os/steward/kernel/audit"
	"github.com/steward-os/steward/kernel/internal/kit"
	"github.com/steward-os/steward/kernel/internal/registry"
	"github.com/steward-os/steward/sdk"
	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// Grants (APR-03): "allow for this session" or "allow for 1h" on the
// accept of a level-1 or level-2 proposal that its requester decides
// alone. The same tool, with arguments whose targets are among the
// granted ones, then runs without asking, on the same conversation only,
// until the grant expires, its session goes idle or its actor stops
// auto-approving. Never at level 3 or above, never for a proposal an
// approver must accept, never across sessions; every call it lets through
// is audited with the grant.

// checkGrant refuses a grant the gate may not give (grant_not_allowed).
func (g *Gate) checkGrant(p store.ProposalRow, act session.Action, ap *store.ApprovalRow, refuse refuseFunc) error {
	if act.Grant == "" || act.Grant == session.GrantOnce {
		return nil
	}
	if _, ok := session.GrantWindow(act.Grant); !ok {
		return refuse(session.CodeGrantRefused, `A grant is "once", "session" or a window from 1m to 24h (such as "1h"); nothing ran.`, nil)
	}
	if p.Level >= 3 {
		return refuse(session.CodeGrantRefused, "A level-3 or level-4 action is never auto-approved: confirm it on its own; nothing ran.", map[string]any{"level": p.Level})
	}
	if ap != nil {
		return refuse(session.CodeGrantRefused, "This action needs an approver, so it cannot be auto-approved; nothing ran.", nil)
	}
	return nil
}

// Grant stores the grant an accepted proposal carried (act.Grant
// "session" or a window) for the conversation where, and audits it.
func (g *Gate) Grant(ctx context.Context, a session.Actor, turn session.TurnID, act session.Action, p store.ProposalRow, where session.Address) error {
	if act.Grant == "" || act.Grant == session.GrantOnce {
		return nil
	}
	now := g.now().UTC()
	window, _ := session.GrantWindow(act.Grant)
	expires := now.Add(g.cfg.GrantMax)
	if window > 0 {
		expires = now.Add(window)
	}
	var card session.ProposalCard
	_ = json.Unmarshal(p.Card, &card)
	gr := store.GrantRow{ID: kit.NewID("g_"), Tenant: a.Tenant, Actor: a.ID, Tool: p.Tool, Level: p.Level, Targets: targetKeys(card.Impact.Targets),
		Where: where, Proposal: p.ID, Kind: act.Grant, CreatedAt: now, LastUsed: now, Expires: expires}
	if len(gr.Targets) == 0 {
		gr.ArgsHash = p.ArgsHash // a tool that names no target: these arguments only
	}
	if err := g.st.SaveGrant(ctx, gr); err != nil {
		return fmt.Errorf("save grant: %w", err)
	}
	g.rec.Note(ctx, a, turn, audit.KindGranted, map[string]any{"grant": gr.ID, "proposal": p.ID, "tool": p.Tool, "targets": gr.Targets, "kind": gr.Kind, "expires": gr.Expires, "channel": where.Channel})
	return nil
}

// Granted returns the grant that lets this call run without asking, if
// one does: same actor, tool and conversation; its targets among the
// granted ones; not expired, not idle (a session grant), not revoked;
// level 1–2 only, and only while the tenant's policy lets the requester
// decide alone. The grant's use is recorded (auto_approved).
func (g *Gate) Granted(ctx context.Context, a session.Actor, turn session.TurnID, where session.Address, c Call) (*store.GrantRow, error) {
	t := c.Tool
	if t.Level < 1 || t.Level > 2 || g.cfg.Approvals[a.Tenant].For(t.ID, t.Level).Needed() > 0 {
		return nil, nil
	}
	now := g.now().UTC()
	grants, err := g.st.ActiveGrants(ctx, a.Tenant, a.ID, now)
	if err != nil {
		return nil, fmt.Errorf("grants: %w", err)
	}
	keys := targetKeys(Impact(t, c.Args, c.Resources).Targets)
	hash := kit.ArgsHash(t.ID, c.Args)
	for _, gr := range grants {
		if !g.covers(gr, t, where, keys, hash, now) {
			continue
		}
		if err := g.st.TouchGrant(ctx, gr.ID, now); err != nil {
			return nil, fmt.Errorf("use grant: %w", err)
		}
		if err := g.rec.Must(ctx, a, turn, audit.KindAutoApproved, map[string]any{"grant": gr.ID, "granted_by": gr.Proposal, "kind": gr.Kind, "tool": t.ID, "args_hash": hash, "targets": keys, "level": t.Level}); err != nil {
			return nil, err
		}
		return &gr, nil
	}
	return nil, nil
}

// covers reports whether a grant lets this call through.
func (g *Gate) covers(gr store.GrantRow, t *registry.Tool, where session.Address, keys []string, hash string, now time.Time) bool {
	if gr.Tool != t.ID || gr.Level != t.Level || gr.Where != where {
		return false
	}
	if gr.Kind == session.GrantSession && now.Sub(gr.LastUsed) >= g.cfg.GrantIdle {
		return false // that session has ended
	}
	if gr.ArgsHash != "" {
		return gr.ArgsHash == hash
	}
	if len(keys) == 0 {
		return false
	}
	for _, k := range keys {
		if !slices.Contains(gr.Targets, k) {
			return false
		}
	}
	return true
}

// Revoke ends every grant of the actor ("stop auto-approving") and
// answers how many it ended.
func (g *Gate) Revoke(ctx context.Context, a session.Actor, turn session.TurnID) ([]session.Part, error) {
	n, err := g.st.RevokeGrants(ctx, a.Tenant, a.ID, g.now().UTC())
	if err != nil {
		return nil, fmt.Errorf("revoke grants: %w", err)
	}
	g.rec.Note(ctx, a, turn, audit.KindGrantsRevoked, map[string]any{"revoked": n})
	if n == 0 {
		return []session.Part{&session.Text{Text: "Nothing was being auto-approved for you."}}, nil
	}
	return []session.Part{&session.Text{Text: fmt.Sprintf("Stopped auto-approving: %d grant(s) revoked. Every change will ask again.", n)}}, nil
}

// targetKeys are resources as a grant keeps them ("kind:id").
func targetKeys(rs []sdk.Resource) []string {
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		out = append(out, r.Kind+":"+r.ID)
	}
	return out
}
