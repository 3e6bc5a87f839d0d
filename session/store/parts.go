package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/steward-os/steward/session"
)

// The storage contract, one small interface per part of the kernel that
// needs it. A back-end implements them one at a time; storetest checks each
// against the same rules, so a second back-end (Redis) behaves as SQLite
// does. Every method is safe for concurrent use and, unless it says
// otherwise, durable when it returns. "Exactly one of several concurrent
// callers" rules below are the ones the kernel's guarantees rest on.

// Audit appends to the per-tenant hash chains and reads them back.
type Audit interface {
	// AppendAudit appends entries, each to its tenant's chain (ChainHash
	// links it to the tenant's previous record), and returns the rows as
	// stored, once they and everything enqueued before them are durable.
	// An entry without Data is stored (and hashed) with the data {}.
	// With no entries it only waits for what was enqueued before it.
	AppendAudit(ctx context.Context, entries ...AuditEntry) ([]AuditRow, error)
	// EnqueueAudit queues entries, in order, for the next group commit and
	// returns at once. A queued entry that cannot be committed makes every
	// later append fail (the trail never silently misses a record).
	EnqueueAudit(ctx context.Context, entries ...AuditEntry) error
	AuditReader
}

// AuditReader reads the chains (the verifier needs only this).
type AuditReader interface {
	// AuditTenants lists the tenants with a chain, sorted.
	AuditTenants(ctx context.Context) ([]session.TenantID, error)
	// AuditHead is the tenant's last sequence number and hash (0 and
	// GenesisHash for a tenant with no record).
	AuditHead(ctx context.Context, tenant session.TenantID) (int64, string, error)
	// AuditChain calls fn with every record of the tenant in order; it
	// stops at fn's first error and returns it.
	AuditChain(ctx context.Context, tenant session.TenantID, fn func(AuditRow) error) error
}

// Ledger is the fact ledger: verbatim tool outputs, per session.
type Ledger interface {
	// Record stores a fact and returns its id (ids grow). When audit is
	// not nil, the entries it builds from that id are appended to their
	// tenants' chains in the same commit, after everything enqueued
	// before: a fact is never durable without its "result" record.
	Record(ctx context.Context, f session.Fact, audit Audited) (int64, error)
	// Fact loads one fact; ErrNotFound when absent.
	Fact(ctx context.Context, id int64) (session.Fact, error)
	// Recent returns the session's newest facts, oldest first, within the
	// cap: at most Count (20 when 0) and, when Bytes is set, as many of the
	// newest as fit in it by len(Args)+len(Output), but always the newest.
	Recent(ctx context.Context, s session.SessionID, c session.Cap) ([]session.Fact, error)
	// Facts returns every session's facts with an id after after, oldest
	// first, at most limit of them (500 when limit is not in 1..500).
	Facts(ctx context.Context, after int64, limit int) ([]session.Fact, error)
}

// Proposals stores frozen actions and their single-use decisions.
type Proposals interface {
	CreateProposal(ctx context.Context, p ProposalRow) error
	// GetProposal loads one; ErrNotFound when absent.
	GetProposal(ctx context.Context, id session.ProposalID) (ProposalRow, error)
	// TransitionProposal moves a proposal from one state to another and
	// reports whether it did: of concurrent callers with the same from,
	// exactly one wins. at becomes DecidedAt (in UTC); outcome, when set,
	// is stored with the new state (when nil the stored one stays).
	// ErrNotFound when the proposal does not exist.
	TransitionProposal(ctx context.Context, id session.ProposalID, from, to ProposalState, at time.Time, outcome json.RawMessage) (bool, error)
	// ProposalsInState lists every proposal in a state, in the order they
	// were created (recovery).
	ProposalsInState(ctx context.Context, state ProposalState) ([]ProposalRow, error)
	// AcceptProposal moves a pending proposal to executing and takes its
	// execution claim (the key "proposal:<id>", see Executions) in one
	// commit, at at: of concurrent callers exactly one wins. It reports
	// false, changing nothing, when the proposal is not pending or its
	// claim was taken before. ErrNotFound when the proposal does not exist.
	AcceptProposal(ctx context.Context, id session.ProposalID, at time.Time) (bool, error)
}

// Executions are the claims that make every state-changing dispatch run
// at most once across crashes and redeliveries: a claim is durable before
// the handler runs, and its outcome (a fact) is recorded with it in one
// commit, so recovery can tell a claimed dispatch whose outcome was never
// recorded. Keys are the caller's; a bare key (AcceptProposal's) carries
// no dispatch and is never listed as unsettled.
type Executions interface {
	// ClaimDispatch takes e.Key for a dispatch about to run: the first
	// caller gets true, and the claim and the audit entries are stored in
	// one commit (after everything enqueued before); every later caller,
	// across restarts, gets false with the claim as stored (its Fact set
	// once it settled) and stores nothing.
	ClaimDispatch(ctx context.Context, e Execution, audit ...AuditEntry) (first bool, stored Execution, err error)
	// SettleDispatch records the outcome of a claimed dispatch: the fact,
	// the audit entries built from its id and the claim's settlement in
	// one commit. Of concurrent callers exactly one wins (true); a claim
	// settled before records nothing and is returned with the stored Fact.
	// ErrNotFound when the key was never claimed.
	SettleDispatch(ctx context.Context, key string, f session.Fact, audit Audited) (stored Execution, won bool, err error)
	// Execution loads one claim (a bare key: only Key and ClaimedAt set);
	// ErrNotFound when absent.
	Execution(ctx context.Context, key string) (Execution, error)
	// UnsettledDispatches lists the dispatch claims without an outcome,
	// oldest first (recovery).
	UnsettledDispatches(ctx context.Context) ([]Execution, error)
	// DispatchesOf lists the dispatch claims a turn with this inbound
	// dedupe key made, oldest first.
	DispatchesOf(ctx context.Context, inbound string) ([]Execution, error)
}

// Chains stores plans of several steps while they wait.
type Chains interface {
	// SaveChain creates or replaces a chain.
	SaveChain(ctx context.Context, c ChainRow) error
	// GetChain loads one; ErrNotFound when absent.
	GetChain(ctx context.Context, id session.ChainID) (ChainRow, error)
}

// Tasks stores background tasks.
type Tasks interface {
	// SaveTask creates or replaces a running task (progress, heartbeat).
	// It does not check the stored state: saving a task that has ended
	// replaces it too, so callers save only tasks they know run.
	SaveTask(ctx context.Context, t TaskRow) error
	// FinishTask stores a task's end and reports whether this call ended
	// it: a task ends once (of concurrent callers exactly one wins, and a
	// task already ended is not changed). An unknown task is false.
	FinishTask(ctx context.Context, t TaskRow) (bool, error)
	// GetTask loads one; ErrNotFound when absent.
	GetTask(ctx context.Context, id session.TaskID) (TaskRow, error)
	// Tasks lists an actor's tasks newest first (tenant and actor set; at
	// most 200, whatever their state, newest by first save), or with an
	// empty actor every task in state, of every tenant, oldest first.
	Tasks(ctx context.Context, tenant session.TenantID, actor session.ActorID, state TaskState) ([]TaskRow, error)
}

// Events stores deliveries to sessions outside a request, in id order.
type Events interface {
	// AppendEvent stores an outbound for a session and returns its id;
	// ids grow across all sessions.
	AppendEvent(ctx context.Context, sid session.SessionID, at time.Time, out json.RawMessage) (int64, error)
	// Events returns a session's events after an id, oldest first, at
	// most limit of them (500 when limit is not in 1..500).
	Events(ctx context.Context, sid session.SessionID, after int64, limit int) ([]Event, error)
	// AllEvents returns every session's events after an id, oldest first,
	// with the same limit.
	AllEvents(ctx context.Context, after int64, limit int) ([]Event, error)
	// LastEventID is the newest event's id, 0 when there is none.
	LastEventID(ctx context.Context) (int64, error)
}

// Marks are small durable values channels keep (feed cursors, which
// platform message shows a proposal).
type Marks interface {
	Mark(ctx context.Context, key string) (string, bool, error)
	// SetMark writes a mark; an empty value deletes it.
	SetMark(ctx context.Context, key, value string, at time.Time) error
	// Marks lists the marks whose key starts with prefix (bytes compared).
	Marks(ctx context.Context, prefix string) (map[string]string, error)
	// TakeMark deletes a mark and returns its value: of concurrent callers
	// exactly one gets it.
	TakeMark(ctx context.Context, key string) (string, bool, error)
}

// Continuity remembers the channel each session used last.
type Continuity interface {
	// TouchSession records the address a session's last turn came from.
	TouchSession(ctx context.Context, sid session.SessionID, from session.Address, at time.Time) error
	// LastChannel returns it (the zero Address, with ErrNotFound, when
	// there is none).
	LastChannel(ctx context.Context, sid session.SessionID) (session.Address, error)
}

// Links stores identity links and link codes (by hash only).
type Links interface {
	SaveLinkCode(ctx context.Context, c LinkCode) error
	// UseLinkCode marks a code used and returns it: a code is used once
	// (ErrNotFound when unknown or used, whoever asks second). Expiry is
	// the caller's check: a code past Expires is still returned.
	UseLinkCode(ctx context.Context, hash string, at time.Time) (LinkCode, error)
	// SaveLink links a channel account; ErrConflict when the account is
	// linked to another actor. Linking it again to the same actor succeeds
	// and moves LinkedAt.
	SaveLink(ctx context.Context, l Link) error
	// DeleteLink removes the actor's link; ErrNotFound when there is none.
	DeleteLink(ctx context.Context, l Link) error
	// LinkFor returns the link of a channel account; ErrNotFound when none.
	LinkFor(ctx context.Context, channel session.ChannelID, account string) (Link, error)
	// Links lists an actor's links, by channel and then account.
	Links(ctx context.Context, tenant session.TenantID, actor session.ActorID) ([]Link, error)
}

// ExtState is extension key-value state, scoped to one extension and
// tenant, plus the seed markers and delivered notes.
type ExtState interface {
	// StateGet returns a value and whether it exists.
	StateGet(ctx context.Context, ext string, tenant session.TenantID, coll, key string) (json.RawMessage, bool, error)
	StatePut(ctx context.Context, ext string, tenant session.TenantID, coll, key string, v json.RawMessage) error
	StateDelete(ctx context.Context, ext string, tenant session.TenantID, coll, key string) error
	// StateList returns a collection's values in key order (bytes).
	StateList(ctx context.Context, ext string, tenant session.TenantID, coll string) ([]json.RawMessage, error)
	// MarkSeeded reports whether this call is the first to seed the
	// extension for the tenant (again after UnmarkSeeded).
	MarkSeeded(ctx context.Context, ext string, tenant session.TenantID, at time.Time) (bool, error)
	UnmarkSeeded(ctx context.Context, ext string, tenant session.TenantID) error
	// DeliverNote stores a message delivered through an extension's Outbox
	// and returns its id (ids grow).
	DeliverNote(ctx context.Context, n Note) (int64, error)
	// StateVersions lists, for each extension with state in the tenant,
	// the version of that state and how many values it holds. A version
	// grows with every put and delete of that extension's state in that
	// tenant (durably, with the change) and with nothing else: what the
	// kernel read at one version is current while the version stays the
	// same, on every instance sharing the store. An extension whose state
	// was never written in the tenant is absent (version 0). Ordered by
	// extension id.
	StateVersions(ctx context.Context, tenant session.TenantID) ([]StateVersion, error)
}

// Dedupe remembers inbound events so a redelivery runs nothing again.
type Dedupe interface {
	// ClaimInbound takes a key for a request (the caller's hash of it,
	// canonical): first is true for the first caller; a later caller with
	// the same request gets the stored outcome (nil while the first is
	// unfinished); one with another request gets ErrKeyReused. A key
	// stored without a request matches any.
	ClaimInbound(ctx context.Context, key, request string, at time.Time) (first bool, outcome json.RawMessage, err error)
	// FinishInbound stores the outcome of the first delivery.
	FinishInbound(ctx context.Context, key string, outcome json.RawMessage) error
	// UnfinishedInbound lists the keys whose first delivery never
	// finished, in the order they were claimed (recovery).
	UnfinishedInbound(ctx context.Context) ([]string, error)
	// ForgetUnfinishedInbound releases keys whose first delivery never
	// finished (recovery) and returns how many.
	ForgetUnfinishedInbound(ctx context.Context) (int64, error)
}

// Usage counts the model tokens each tenant spends per period (a
// calendar month, "2026-11"), so that a monthly budget survives restarts
// and is shared by every instance on the store.
type Usage interface {
	// AddUsage adds tokens (≥ 0) to a tenant's period and returns the new
	// total: concurrent adds are all counted, none lost.
	AddUsage(ctx context.Context, tenant session.TenantID, period string, tokens int64) (int64, error)
	// UsageOf returns a tenant's total for a period, 0 when nothing was
	// added.
	UsageOf(ctx context.Context, tenant session.TenantID, period string) (int64, error)
}

// Backend is every part at once: what a storage back-end provides and
// what storetest checks.
type Backend interface {
	Audit
	Ledger
	Proposals
	Executions
	Chains
	Tasks
	Events
	Marks
	Continuity
	Links
	ExtState
	Dedupe
	Usage
	Alerts    // alerts.go
	Approvals // approvals.go
	Grants    // grants.go
	Dialogue  // dialogue.go
}

// StateVersion is the version of one extension's state in a tenant.
type StateVersion struct {
	Ext     string
	Version int64
	Values  int64 // how many values the extension holds in the tenant
}
