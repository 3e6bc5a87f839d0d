package session

import (
	"context"
	"encoding/json"
	"time"
)

// The services the core offers channels besides turns, declared here so
// the kernel (which provides them) and every channel (which consumes them)
// name the same contract without importing each other.

// Tasks lists and cancels an actor's own background tasks (LRO-02).
type Tasks interface {
	// Tasks lists the actor's tasks, newest first.
	Tasks(ctx context.Context, a Actor) ([]Task, error)
	// CancelTask cancels one of the actor's running tasks. Anyone else's
	// task answers task_not_found.
	CancelTask(ctx context.Context, a Actor, id TaskID) (Task, error)
}

// Identity links channel accounts to actors, verified by single-use codes.
type Identity interface {
	// LinkCode issues a code the actor sends from another channel.
	LinkCode(ctx context.Context, a Actor) (string, time.Time, error)
	// Links lists the actor's linked accounts.
	Links(ctx context.Context, a Actor) ([]Link, error)
	// Unlink removes one of the actor's linked accounts.
	Unlink(ctx context.Context, a Actor, channel ChannelID, account string) error
	// ActorFor returns the actor a channel account of the tenant is
	// linked to, if any.
	ActorFor(ctx context.Context, tenant TenantID, channel ChannelID, account string) (Actor, bool)
	// Redeem links a channel account of the tenant to the actor who
	// issued the code.
	Redeem(ctx context.Context, tenant TenantID, channel ChannelID, account, code string) (Actor, error)
}

// Deliveries is what a channel needs to deliver what happens outside a
// request: an actor's session events, the global feed that chat channels
// push from, and the channel's own small durable marks (a feed cursor,
// which platform message shows a proposal).
type Deliveries interface {
	// Events returns the actor's session events after an id, waiting up
	// to wait for one to arrive (long poll).
	Events(ctx context.Context, a Actor, after int64, wait time.Duration) ([]Event, error)
	// Feed returns every session's events after an id, oldest first,
	// waiting up to wait for one to arrive.
	Feed(ctx context.Context, after int64, wait time.Duration) ([]Event, error)
	// LastEventID is the newest event's id (0 when none): where a channel
	// starts reading the feed the first time it runs.
	LastEventID(ctx context.Context) (int64, error)
	Mark(ctx context.Context, key string) (string, bool, error)
	// SetMark writes a mark; an empty value deletes it.
	SetMark(ctx context.Context, key, value string) error
	// Marks lists the marks whose key starts with prefix.
	Marks(ctx context.Context, prefix string) (map[string]string, error)
	// TakeMark deletes a mark and returns its value: of two callers,
	// exactly one gets it.
	TakeMark(ctx context.Context, key string) (string, bool, error)
}

// Surface is an actor's own tool surface and recent facts, as agents see
// them (the MCP channel): only tools of extensions that serve the actor's
// tenant, whose scopes the actor's roles hold and whose level is within
// the role's ceiling; facts of the actor's own session, masked as for a
// model (AF-10).
type Surface interface {
	// Tools lists the tools the actor may call or propose, in catalog order.
	Tools(ctx context.Context, a Actor) ([]ToolView, error)
	// Facts lists the actor's most recent facts, newest last, at most limit.
	Facts(ctx context.Context, a Actor, limit int) ([]Fact, error)
}

// ToolView is a tool as an agent sees it: its id, what it does, its
// safety level (2 and above are proposed, never run, by a call) and its
// parameters' JSON Schema.
type ToolView struct {
	ID          ToolID          `json:"id"`
	Description string          `json:"description"`
	SafetyLevel int             `json:"safety_level"`
	Parameters  json.RawMessage `json:"parameters"`
}
