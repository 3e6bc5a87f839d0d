package configs

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/steward-os/steward/session"
)

// Approvals is a tenant's approval policy (docs/approvals.md): who must
// accept a proposal, by safety level ("3": manager) and optionally by
// tool or extension ("hosting.delete_server": other). Rules are self
// (the default), other, manager, role:<name> and n_of:<k>:<role>.
type Approvals struct {
	Levels map[string]string `json:"levels"`
	Tools  map[string]string `json:"tools"`
	// EscalateAfter, when set, asks approvers one at a time, the next in
	// line after each such window; otherwise all at once.
	EscalateAfter Duration `json:"escalate_after"`
}

// Rules returns the policy's rules by level and by tool; Validate has
// checked them.
func (a Approvals) Rules() (levels map[int]session.ApprovalRule, tools map[string]session.ApprovalRule) {
	levels, tools = map[int]session.ApprovalRule{}, map[string]session.ApprovalRule{}
	for k, v := range a.Levels {
		n, _ := strconv.Atoi(k)
		levels[n], _ = session.ParseApprovalRule(v)
	}
	for k, v := range a.Tools {
		tools[k], _ = session.ParseApprovalRule(v)
	}
	return levels, tools
}

// validateApprovals checks every tenant's approval policy: levels 1–4,
// rules that parse, roles that exist.
func (c *Config) validateApprovals() []error {
	var errs []error
	for _, tn := range slices.Sorted(maps.Keys(c.Tenants)) {
		a := c.Tenants[tn].Approvals
		for k, v := range a.Levels {
			if n, err := strconv.Atoi(k); err != nil || n < 1 || n > 4 {
				errs = append(errs, fmt.Errorf("tenants.%s.approvals.levels.%s: want a safety level 1–4", tn, k))
			}
			errs = append(errs, c.checkRule(fmt.Sprintf("tenants.%s.approvals.levels.%s", tn, k), v)...)
		}
		for k, v := range a.Tools {
			if k == "" {
				errs = append(errs, fmt.Errorf("tenants.%s.approvals.tools: an empty tool or extension id", tn))
			}
			errs = append(errs, c.checkRule(fmt.Sprintf("tenants.%s.approvals.tools.%s", tn, k), v)...)
		}
		if d := a.EscalateAfter.D(); d != 0 && (d < 10*time.Second || d > 24*time.Hour) {
			errs = append(errs, fmt.Errorf("tenants.%s.approvals.escalate_after %s: want 10s–24h (or unset: everyone at once)", tn, d))
		}
	}
	return errs
}

func (c *Config) checkRule(path, v string) []error {
	r, err := session.ParseApprovalRule(v)
	if err != nil {
		return []error{fmt.Errorf("%s: %w", path, err)}
	}
	if r.Role != "" {
		if _, ok := c.Roles[r.Role]; !ok {
			return []error{fmt.Errorf("%s: unknown role %q", path, r.Role)}
		}
	}
	return nil
}
