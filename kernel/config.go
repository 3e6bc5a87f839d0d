package kernel

import (
	"fmt"
	"strings"
	"time"

	"github.com/steward-os/steward/kernel/internal/authz"
	"github.com/steward-os/steward/kernel/internal/proposals"
	"github.com/steward-os/steward/session"
)

// MinCooling is the shortest cooling period a level-4 proposal may have.
const MinCooling = 30 * time.Second

// Role is what a role may do: its safety ceiling and scopes.
type Role = authz.Role

// ApprovalPolicy is a tenant's approval policy: who must accept a
// proposal, by tool, extension or safety level.
type ApprovalPolicy = proposals.Policy

// Config tunes the kernel.
type Config struct {
	Roles map[string]Role
	// ProposalTTL is how long a proposal may be accepted (default 10 min).
	ProposalTTL time.Duration
	// Cooling is the level-4 cooling period (default and minimum 30 s).
	Cooling time.Duration
	// ConfirmLevel1 lists tenants whose policy asks before level-1 tools.
	ConfirmLevel1 map[session.TenantID]bool
	// Approvals are the tenants' approval policies (docs/approvals.md); a
	// tenant without one decides its own proposals ("self").
	Approvals map[session.TenantID]ApprovalPolicy
	// MinConfidence below which the kernel asks instead of acting.
	MinConfidence float64
	// PlanRetries bounds re-planning after invalid arguments (ROUTE-04).
	PlanRetries int
	// LedgerCap bounds the facts replayed to the router per turn (AF-04).
	LedgerCap session.Cap
	// TurnsPerMinute is each actor's quota (L2); 0 means 120.
	TurnsPerMinute int
	// Delivery says where results that arrive outside a turn go:
	// "last_used" (default: the channel the actor used most recently),
	// "all" (every channel of the session) or "preferred:<channel>".
	Delivery string
	// UnmaskPII lists tenants that opted in to unmasked context for
	// routers and models (AF-10); every such turn is audited.
	UnmaskPII map[session.TenantID]bool
	// TenantTurnsPerMinute overrides TurnsPerMinute for a tenant's actors.
	TenantTurnsPerMinute map[session.TenantID]int
	// InlineBudget is how long a dispatch runs inline before it is promoted
	// to a background task (default 5 s; LRO-01).
	InlineBudget time.Duration
	// TaskCap bounds a task (default 180 s); a manifest may opt in to more,
	// up to MaxTaskCap (default 1800 s).
	TaskCap, MaxTaskCap time.Duration
	// MaxResultBytes bounds a recorded result (default 64 KB).
	MaxResultBytes int
	// StateValuesPerTenant bounds how many values each extension may hold
	// in one tenant's state (default 50,000); a put beyond it fails with
	// quota_exceeded.
	StateValuesPerTenant int
	// TenantConcurrency bounds how many turns of one tenant run at once
	// (default 4): a burst from one tenant waits for its own slots and
	// leaves the others' turns alone.
	TenantConcurrency int
	// Models turns on the model path: a model router and planner, model
	// narration (docs/models.md). The zero value is the offline router.
	Models Models
}

func (c *Config) defaults() error {
	if c.ProposalTTL <= 0 {
		c.ProposalTTL = 10 * time.Minute
	}
	if c.Cooling == 0 {
		c.Cooling = MinCooling
	}
	if c.Cooling < MinCooling {
		return fmt.Errorf("cooling period %s is below the minimum %s", c.Cooling, MinCooling)
	}
	if err := c.checkDelivery(); err != nil {
		return err
	}
	if err := c.Models.check(); err != nil {
		return err
	}
	setDefault(&c.MinConfidence, 0.45)
	setDefault(&c.PlanRetries, 2)
	setDefault(&c.LedgerCap.Count, 20)
	setDefault(&c.LedgerCap.Bytes, 32<<10)
	setDefault(&c.TurnsPerMinute, 120)
	setDefault(&c.InlineBudget, 5*time.Second)
	setDefault(&c.TaskCap, 180*time.Second)
	setDefault(&c.MaxTaskCap, 1800*time.Second)
	setDefault(&c.MaxResultBytes, 64<<10)
	setDefault(&c.StateValuesPerTenant, 50_000)
	setDefault(&c.TenantConcurrency, 4)
	if len(c.Roles) == 0 {
		c.Roles = DefaultRoles()
	}
	return nil
}

func (c *Config) checkDelivery() error {
	switch {
	case c.Delivery == "":
		c.Delivery = "last_used"
	case c.Delivery == "last_used", c.Delivery == "all", strings.HasPrefix(c.Delivery, "preferred:") && len(c.Delivery) > len("preferred:"):
	default:
		return fmt.Errorf("delivery %q: want last_used, all or preferred:<channel>", c.Delivery)
	}
	return nil
}

// setDefault sets a value that is not positive to def.
func setDefault[T int | float64 | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

// DefaultRoles are the demo roles: viewer 0, operator 3, admin 4.
func DefaultRoles() map[string]Role {
	return map[string]Role{
		"viewer":   {Ceiling: 0, Scopes: []string{"*:read"}},
		"operator": {Ceiling: 3, Scopes: []string{"*:read", "*:write"}},
		"admin":    {Ceiling: 4, Scopes: []string{"*"}},
	}
}
