package session

import (
	"context"
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
