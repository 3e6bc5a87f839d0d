// Package channels defines the contract between channel adapters and the
// core, and helpers every adapter shares.
//
// Contract. An adapter authenticates or verifies its platform, normalises
// each event to a session.Inbound (with a dedupe key), hands it to Turns,
// and renders the session.Outbound parts in its own form according to its
// Capabilities: a proposal is a card with buttons where buttons exist and a
// typed "confirm <id>" instruction where they do not — the same gate either
// way. Adapters import session types only, never kernel internals; the
// kernel provides every part of Core.
package channels

import (
	"context"
	"net/http"
	"time"

	"github.com/steward-os/steward/channels/internal/httpjson"
	"github.com/steward-os/steward/session"
)

// Turns is what every channel needs from the core.
type Turns interface {
	// Handle runs one turn for an authenticated actor.
	Handle(ctx context.Context, a session.Actor, in session.Inbound) (session.Outbound, error)
	// Classify routes and plans without running anything.
	Classify(ctx context.Context, a session.Actor, text string) (session.Classification, error)
	// Refuse records in the audit trail a request the channel turned
	// away (bad input, failed authentication, a client over its refusal
	// limit), or a summary of several from one client.
	Refuse(ctx context.Context, r session.Refusal)
	// Proposal returns one of the actor's own proposals as it stands (a
	// card is edited when its proposal ends); anyone else's is
	// proposal_not_found.
	Proposal(ctx context.Context, a session.Actor, id session.ProposalID) (session.Proposal, error)
}

// Events is the part of session.Deliveries a channel that serves people
// directly needs: the actor's own session events.
type Events interface {
	Events(ctx context.Context, a session.Actor, after int64, wait time.Duration) ([]session.Event, error)
}

// Core is the core as channels see it: turns, and the services beside
// them, each a narrow interface of session types (no storage row crosses
// it). cmd/steward builds it from the kernel; a test may fill it with
// fakes.
type Core struct {
	Turns      Turns
	Tasks      session.Tasks
	Identity   session.Identity
	Deliveries session.Deliveries
	// Surface is each actor's own tools and facts, for channels that
	// serve agents (MCP); nil when the provider has none.
	Surface session.Surface
	// Alerts carries out people's acts on alerts (a button, a typed
	// "ack"); nil when no alerts are configured.
	Alerts session.Alerts
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

// Provider provides every part of Core (the kernel does).
type Provider interface {
	Turns
	Tasks() session.Tasks
	Identity() session.Identity
	Deliveries() session.Deliveries
}

// CoreOf is the Core of a provider.
func CoreOf(p Provider) Core {
	c := Core{Turns: p, Tasks: p.Tasks(), Identity: p.Identity(), Deliveries: p.Deliveries()}
	if sp, ok := p.(interface{ Surface() session.Surface }); ok { // optional capability
		c.Surface = sp.Surface()
	}
	return c
}
