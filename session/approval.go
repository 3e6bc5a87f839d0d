package session

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Approvals: a proposal that a tenant's policy gives to someone other than
// its requester (four eyes, the requester's manager, a role) carries an
// Approval on its card; the same card goes to each approver asked, and the
// requester sees who it waits for. A decision on it is the same Action as
// any other; the kernel decides who may take it.

// Approval says who must decide a proposal when its requester may not.
type Approval struct {
	// Requester asked for the action.
	Requester ActorID `json:"requester"`
	// Policy is the rule that applied ("other", "manager", "role:admin",
	// "n_of:2:admin").
	Policy string `json:"policy"`
	// Asked are the approvers the request has gone to so far, in order.
	Asked []ActorID `json:"asked"`
	// Needed is how many distinct approvers must accept (1 unless n_of).
	Needed int `json:"needed"`
	// Approved are the approvers who accepted so far (n_of).
	Approved []ActorID `json:"approved,omitempty"`
	// DecidedBy and DecidedAt say who settled it, once someone did.
	DecidedBy ActorID    `json:"decided_by,omitempty"`
	DecidedAt *time.Time `json:"decided_at,omitempty"`
	// Channel is where the settling decision was made.
	Channel ChannelID `json:"channel,omitempty"`
}

// Waiting is the line a requester reads while the request waits.
func (a *Approval) Waiting() string {
	names := make([]string, len(a.Asked))
	for i, n := range a.Asked {
		names[i] = string(n)
	}
	who := strings.Join(names, " or ")
	if a.Needed > 1 {
		return "Waiting for the approval of " + strconv.Itoa(a.Needed) + " of: " + strings.Join(names, ", ") + ". You will be told the outcome."
	}
	return "Waiting for " + who + "'s approval. You will be told the outcome."
}

// Line is the line an approval card shows: who asked, or how it ended.
func (a *Approval) Line() string {
	if a.DecidedBy != "" && a.DecidedAt != nil {
		return "decided by " + string(a.DecidedBy) + " at " + a.DecidedAt.UTC().Format("15:04:05 MST")
	}
	return "requested by " + string(a.Requester) + " (policy " + a.Policy + ")"
}

// Grant forms of an accept: "once" (the default), "session" (the same
// tool within the same targets runs without asking for the rest of this
// session), or a window such as "1h".
const (
	GrantOnce    = "once"
	GrantSession = "session"
)

var (
	reAllow     = regexp.MustCompile(`(?i)^\s*allow\s+(p_[a-z2-7]+)\s+(?:for\s+)?(this\s+session|once|\d{1,2}\s*[hm])\s*[.!]?\s*$`)
	reStopGrant = regexp.MustCompile(`(?i)^\s*(?:please\s+)?(?:stop|end|revoke)\s+(?:auto[- ]?approv(?:ing|al|als)|(?:my\s+|all\s+)?(?:session\s+)?grants)\s*[.!]?\s*$`)
)

// ParseGrant recognises the typed form of an accept with a grant: "allow
// p_xxx for this session", "allow p_xxx for 1h", "allow p_xxx once".
func ParseGrant(text string) (*Action, bool) {
	m := reAllow.FindStringSubmatch(text)
	if m == nil {
		return nil, false
	}
	g := strings.ToLower(strings.Join(strings.Fields(m[2]), ""))
	if g == "thissession" {
		g = GrantSession
	}
	return &Action{Kind: ActionAccept, Proposal: ProposalID(strings.ToLower(m[1])), Grant: g}, true
}

// IsStopGrants recognises "stop auto-approving" (and "revoke my grants").
func IsStopGrants(text string) bool { return reStopGrant.MatchString(text) }

// GrantWindow reads a grant: ok is false for a form that is not one;
// window is 0 for "once" and "session".
func GrantWindow(g string) (window time.Duration, ok bool) {
	switch g {
	case "", GrantOnce, GrantSession:
		return 0, true
	}
	d, err := time.ParseDuration(g)
	if err != nil || d < time.Minute || d > 24*time.Hour {
		return 0, false
	}
	return d, true
}

// Approval rule kinds (ParseApprovalRule).
const (
	RuleSelf    = "self"
	RuleOther   = "other"
	RuleManager = "manager"
	RuleRole    = "role"
	RuleNOf     = "n_of"
)

// ApprovalRule is one policy entry: who must accept a proposal.
type ApprovalRule struct {
	Kind string // self, other, manager, role, n_of
	Role string // role and n_of
	N    int    // n_of: how many distinct approvers
}

// String is the rule as configured.
func (r ApprovalRule) String() string {
	switch r.Kind {
	case RuleRole:
		return "role:" + r.Role
	case RuleNOf:
		return "n_of:" + strconv.Itoa(r.N) + ":" + r.Role
	case "":
		return RuleSelf
	}
	return r.Kind
}

// Needed is how many distinct approvers the rule needs (0 for self).
func (r ApprovalRule) Needed() int {
	switch r.Kind {
	case "", RuleSelf:
		return 0
	case RuleNOf:
		return r.N
	}
	return 1
}

// ParseApprovalRule reads "self", "other", "manager", "role:<name>" or
// "n_of:<k>:<role>" (k from 1 to 9).
func ParseApprovalRule(s string) (ApprovalRule, error) {
	parts := strings.Split(strings.TrimSpace(s), ":")
	switch {
	case len(parts) == 1 && (parts[0] == RuleSelf || parts[0] == RuleOther || parts[0] == RuleManager):
		return ApprovalRule{Kind: parts[0]}, nil
	case len(parts) == 2 && parts[0] == RuleRole && parts[1] != "":
		return ApprovalRule{Kind: RuleRole, Role: parts[1]}, nil
	case len(parts) == 3 && parts[0] == RuleNOf && parts[2] != "":
		n, err := strconv.Atoi(parts[1])
		if err != nil || n < 1 || n > 9 {
			return ApprovalRule{}, fmt.Errorf("approval rule %q: k must be 1–9", s)
		}
		return ApprovalRule{Kind: RuleNOf, N: n, Role: parts[2]}, nil
	}
	return ApprovalRule{}, fmt.Errorf("approval rule %q: want self, other, manager, role:<name> or n_of:<k>:<role>", s)
}

// Grantable reports whether a card may offer "allow for this session": a
// level-1 or level-2 proposal its requester decides alone.
func (c *ProposalCard) Grantable() bool {
	return c.SafetyLevel >= 1 && c.SafetyLevel <= 2 && c.Approval == nil
}
