package proposals

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/steward-os/steward/session"
)

// Policy is a tenant's approval policy: who must accept a proposal, by
// tool or extension first, then by safety level; anything unlisted is
// "self" (its requester, as without a policy).
type Policy struct {
	// Levels maps a safety level (1–4) to its rule.
	Levels map[int]session.ApprovalRule
	// Tools maps a tool id ("hosting.delete_server") or an extension id
	// ("hosting") to its rule; a tool's own entry wins.
	Tools map[string]session.ApprovalRule
	// EscalateAfter, when set, asks approvers one at a time in line, the
	// next after each window; when zero every eligible approver is asked
	// at once. Either way the request expires with its proposal.
	EscalateAfter time.Duration
}

// For is the rule that applies to a tool at a level.
func (p Policy) For(tool session.ToolID, level int) session.ApprovalRule {
	if r, ok := p.Tools[string(tool)]; ok {
		return r
	}
	ext, _, _ := strings.Cut(string(tool), ".")
	if r, ok := p.Tools[ext]; ok {
		return r
	}
	if r, ok := p.Levels[level]; ok {
		return r
	}
	return session.ApprovalRule{Kind: session.RuleSelf}
}

// People is what the gate reads about people: the directory, and the
// safety ceiling of an actor's roles (an approver may accept only what
// their own role could do).
type People struct {
	Directory session.Directory
	Ceiling   func(session.Actor) int
}

// line is every eligible approver of a rule for a requester at a level,
// in the order they are asked: the requester's manager first when
// eligible, then by id. Nobody is ever their own approver, and nobody
// approves above their role's ceiling. "manager" for a requester with no
// manager is "other".
func (g *Gate) line(ctx context.Context, requester session.Actor, r session.ApprovalRule, level int) ([]session.ActorID, error) {
	if g.people.Directory == nil {
		return nil, fmt.Errorf("approval policy %s: no directory", r)
	}
	members, err := g.people.Directory.Members(ctx, requester.Tenant)
	if err != nil {
		return nil, fmt.Errorf("members: %w", err)
	}
	ok := func(m session.Actor) bool {
		if m.ID == requester.ID || g.people.Ceiling(m) < level {
			return false
		}
		switch r.Kind {
		case session.RuleManager:
			return requester.Manager == "" || m.ID == requester.Manager
		case session.RuleRole, session.RuleNOf:
			return m.HasRole(r.Role)
		}
		return r.Kind == session.RuleOther
	}
	var out []session.ActorID
	for _, m := range members {
		if ok(m) {
			out = append(out, m.ID)
		}
	}
	if i := slices.Index(out, requester.Manager); i > 0 {
		out = append([]session.ActorID{requester.Manager}, slices.Delete(out, i, i+1)...)
	}
	return out, nil
}

// eligible reports whether a may approve the request now: the directory
// is read again, so a role taken away since it was asked counts.
func (g *Gate) eligible(ctx context.Context, a session.Actor, ap approvalView) bool {
	req, ok := g.people.Directory.Lookup(ctx, a.Tenant, ap.Requester)
	if !ok {
		return false
	}
	rule, err := session.ParseApprovalRule(ap.Policy)
	if err != nil {
		return false
	}
	line, err := g.line(ctx, req, rule, ap.Level)
	return err == nil && slices.Contains(line, a.ID)
}
