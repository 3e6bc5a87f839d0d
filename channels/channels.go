// Package channels defines the contract between channel adapters and the
// core, and helpers every adapter shares.
//
// Contract. An adapter authenticates or verifies its platform, normalises
// each event to a session.Inbound (with a dedupe key), hands it to Turns,
// and renders the session.Outbound parts in its own form according to its
// Capabilities: a proposal is a card with buttons where buttons exist and a
// typed "confirm <id>" instruction where they do not — the same gate either
// way. Adapters import session types only, never kernel internals; the
// kernel satisfies Turns.
package channels

import (
	"context"
	"net/http"
	"time"

	"github.com/steward-os/steward/channels/internal/httpjson"
	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// Turns is what a channel needs from the core.
type Turns interface {
	// Handle runs one turn for an authenticated actor.
	Handle(ctx context.Context, a session.Actor, in session.Inbound) (session.Outbound, error)
	// Classify routes and plans without running anything.
	Classify(ctx context.Context, a session.Actor, text string) (session.Classification, error)
	// Refuse records a request the channel turned away (bad input,
	// failed authentication) in the audit trail; a may be nil.
	Refuse(ctx context.Context, a *session.Actor, channel session.ChannelID, code, detail string)
}

// Tasks is what a channel needs for background work and deliveries
// outside a request (LRO-02, LRO-03).
type Tasks interface {
	Tasks(ctx context.Context, a session.Actor) ([]store.TaskRow, error)
	CancelTask(ctx context.Context, a session.Actor, id session.TaskID) (store.TaskRow, error)
	// Events returns the actor's session events after an id, waiting up to
	// wait for one to arrive.
	Events(ctx context.Context, a session.Actor, after int64, wait time.Duration) ([]store.Event, error)
}

// Links is what a channel needs for identity linking.
type Links interface {
	// LinkCode issues a single-use code the actor sends from another channel.
	LinkCode(ctx context.Context, a session.Actor) (string, time.Time, error)
	Links(ctx context.Context, a session.Actor) ([]store.Link, error)
	Unlink(ctx context.Context, a session.Actor, channel session.ChannelID, account string) error
}

// ChatCore is what a chat-platform adapter (Telegram, Slack, Discord)
// needs from the core; the kernel satisfies it.
type ChatCore interface {
	Turns
	ActorFor(ctx context.Context, tenant session.TenantID, channel session.ChannelID, account string) (session.Actor, bool)
	Redeem(ctx context.Context, tenant session.TenantID, channel session.ChannelID, account, code string) (session.Actor, error)
	Links(ctx context.Context, a session.Actor) ([]store.Link, error)
	Proposal(ctx context.Context, a session.Actor, id session.ProposalID) (store.ProposalRow, error)
	Feed(ctx context.Context, after int64, wait time.Duration) ([]store.Event, error)
	LastEventID(ctx context.Context) (int64, error)
	Mark(ctx context.Context, key string) (string, bool, error)
	SetMark(ctx context.Context, key, value string) error
	Marks(ctx context.Context, prefix string) (map[string]string, error)
	TakeMark(ctx context.Context, key string) (string, bool, error)
}

// Capabilities says what a channel can render.
type Capabilities struct {
	Buttons bool `json:"buttons"`
	Edits   bool `json:"edits"`
	Threads bool `json:"threads"`
	MaxText int  `json:"max_text"`
	Audio   bool `json:"audio"`
}

// Adapter is a running channel.
type Adapter interface {
	Name() session.ChannelID
	Capabilities() Capabilities
	// Run serves until ctx ends, then returns nil.
	Run(ctx context.Context) error
}

// WriteError answers an HTTP request with a refusal,
// {"error":{"code":…,"message":…}}, as every channel endpoint does (for a
// path the gateway mounts no channel at).
func WriteError(w http.ResponseWriter, status int, code, msg string) {
	httpjson.Error(w, status, code, msg)
}
