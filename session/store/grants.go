package store

import (
	"context"
	"time"

	"github.com/steward-os/steward/session"
)

// Grants stores what a person allowed to run without asking again ("allow
// for this session", "allow for 1h"): one tool, within the targets it was
// granted for, for one actor, on one conversation, until it expires, goes
// idle or is revoked.
type Grants interface {
	// SaveGrant stores a new grant; ErrConflict when its id exists.
	SaveGrant(ctx context.Context, g GrantRow) error
	// ActiveGrants lists the actor's grants that are not revoked and
	// whose Expires is after at, oldest first.
	ActiveGrants(ctx context.Context, tenant session.TenantID, actor session.ActorID, at time.Time) ([]GrantRow, error)
	// TouchGrant moves a grant's LastUsed to at (never back).
	// ErrNotFound when there is no such grant.
	TouchGrant(ctx context.Context, id string, at time.Time) error
	// RevokeGrants revokes every active grant of the actor at at and
	// returns how many it revoked.
	RevokeGrants(ctx context.Context, tenant session.TenantID, actor session.ActorID, at time.Time) (int, error)
}

// GrantRow is one grant.
type GrantRow struct {
	ID     string           `json:"id"`
	Tenant session.TenantID `json:"tenant"`
	Actor  session.ActorID  `json:"actor"`
	Tool   session.ToolID   `json:"tool"`
	Level  int              `json:"level"`
	// Targets are the resources ("kind:id") a call may name and still
	// run under the grant.
	Targets []string `json:"targets"`
	// ArgsHash, set when the tool names no target, limits the grant to
	// exactly these arguments.
	ArgsHash string `json:"args_hash,omitempty"`
	// Where is the conversation the grant holds in.
	Where session.Address `json:"where"`
	// Proposal is the proposal whose accept made the grant.
	Proposal  session.ProposalID `json:"proposal"`
	Kind      string             `json:"kind"` // "session" or the window ("1h")
	CreatedAt time.Time          `json:"created_at"`
	LastUsed  time.Time          `json:"last_used"`
	Expires   time.Time          `json:"expires"`
	Revoked   bool               `json:"revoked"`
	RevokedAt time.Time          `json:"revoked_at"`
}
