// Package store defines the rows Steward persists and the audit hash chain
// rule shared by every storage back-end (SQLite now, Redis later).
//
// Contract. Row types here are plain data. ChainHash is the single
// definition of how an audit record is bound to its predecessor; back-ends
// and the verifier both call it, so a record edited, deleted or reordered
// anywhere breaks verification. Consumers (the kernel, the session layer)
// declare the narrow interfaces they need; back-ends satisfy them.
package store

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/steward-os/steward/session"
)

// ErrNotFound is returned when a row does not exist.
var ErrNotFound = errors.New("store: not found")

// ErrConflict is returned when a write would overwrite someone else's row.
var ErrConflict = errors.New("store: conflict")

// GenesisHash is the "previous hash" of a tenant chain's first record.
const GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// AuditRow is one record of a tenant's audit chain.
type AuditRow struct {
	Tenant session.TenantID `json:"tenant"`
	Seq    int64            `json:"seq"`
	At     time.Time        `json:"at"`
	Kind   string           `json:"kind"`
	Actor  session.ActorID  `json:"actor"`
	Turn   session.TurnID   `json:"turn,omitempty"`
	Data   json.RawMessage  `json:"data"`
	Prev   string           `json:"prev"`
	Hash   string           `json:"hash"`
}

// ChainHash computes a record's hash from its predecessor's hash and its
// own content. Every field except Hash is covered; fields are length-prefixed
// so no two different records can produce the same pre-image.
func ChainHash(r AuditRow) string {
	h := sha256.New()
	field := func(s string) {
		h.Write([]byte(strconv.Itoa(len(s))))
		h.Write([]byte{':'})
		h.Write([]byte(s))
	}
	field("steward-audit-v1")
	field(r.Prev)
	field(string(r.Tenant))
	field(strconv.FormatInt(r.Seq, 10))
	field(r.At.UTC().Format(time.RFC3339Nano))
	field(r.Kind)
	field(string(r.Actor))
	field(string(r.Turn))
	field(string(r.Data))
	return hex.EncodeToString(h.Sum(nil))
}

// AuditEntry is what a caller appends; the back-end assigns Seq, Prev and Hash.
type AuditEntry struct {
	Tenant session.TenantID
	At     time.Time
	Kind   string
	Actor  session.ActorID
	Turn   session.TurnID
	Data   json.RawMessage
}

// ProposalState is where a proposal is in its life.
type ProposalState = session.ProposalState

// Proposal states.
const (
	ProposalPending   = session.ProposalPending
	ProposalExecuting = session.ProposalExecuting
	ProposalExecuted  = session.ProposalExecuted
	ProposalFailed    = session.ProposalFailed
	ProposalRejected  = session.ProposalRejected
	ProposalExpired   = session.ProposalExpired
)

// ProposalRow is a frozen action awaiting (or past) its decision.
type ProposalRow struct {
	ID           session.ProposalID `json:"id"`
	Tenant       session.TenantID   `json:"tenant"`
	Actor        session.ActorID    `json:"actor"`
	Session      session.SessionID  `json:"session"`
	Turn         session.TurnID     `json:"turn"`
	Tool         session.ToolID     `json:"tool"`
	Args         json.RawMessage    `json:"args"` // canonical JSON, frozen
	ArgsHash     string             `json:"args_hash"`
	Level        int                `json:"level"`
	Card         json.RawMessage    `json:"card"` // the card as shown
	Phrase       string             `json:"phrase,omitempty"`
	CreatedAt    time.Time          `json:"created_at"`
	CoolingUntil time.Time          `json:"cooling_until"`
	ExpiresAt    time.Time          `json:"expires_at"`
	State        ProposalState      `json:"state"`
	DecidedAt    time.Time          `json:"decided_at"`
	// Origin is the channel the proposal was made on.
	Origin session.Address `json:"origin"`
	// Chain and Step name the plan step this proposal gates, if any.
	Chain   session.ChainID `json:"chain,omitempty"`
	Step    session.StepID  `json:"step,omitempty"`
	Outcome json.RawMessage `json:"outcome,omitempty"` // the replies of the execution
}

// Note is a delivered message.
type Note struct {
	ID      int64            `json:"id"`
	Tenant  session.TenantID `json:"tenant"`
	To      session.ActorID  `json:"to"`
	From    session.ActorID  `json:"from"`
	Subject string           `json:"subject,omitempty"`
	Body    string           `json:"body"`
	At      time.Time        `json:"at"`
}

// StepState is where a step of a plan is in its life.
type StepState string

// Chain step states.
const (
	StepPlanned   StepState = "planned"
	StepWaiting   StepState = "waiting" // a proposal or a task awaits its end
	StepDone      StepState = "done"
	StepFailed    StepState = "failed"
	StepRejected  StepState = "rejected"
	StepExpired   StepState = "expired"
	StepCancelled StepState = "cancelled" // a step it depends on did not complete
)

// ChainState is where a plan of several steps is in its life.
type ChainState string

// Chain states.
const (
	ChainRunning ChainState = "running"
	ChainWaiting ChainState = "waiting" // a step waits for a decision or a task
	ChainDone    ChainState = "done"
)

// ChainStep is one step of a running plan.
type ChainStep struct {
	ID        session.StepID     `json:"id"`
	Tool      session.ToolID     `json:"tool"`
	Args      json.RawMessage    `json:"args"` // as planned, references unresolved
	DependsOn []session.StepID   `json:"depends_on"`
	Level     int                `json:"level"`
	State     StepState          `json:"state"`
	Fact      int64              `json:"fact,omitempty"`
	Proposal  session.ProposalID `json:"proposal,omitempty"`
	Task      session.TaskID     `json:"task,omitempty"`
	Reason    string             `json:"reason,omitempty"`
}

// ChainRow is a plan being carried out, persisted while it waits for a
// decision so that accepting or rejecting a step can resume it.
type ChainRow struct {
	ID        session.ChainID   `json:"id"`
	Tenant    session.TenantID  `json:"tenant"`
	Actor     session.ActorID   `json:"actor"`
	Session   session.SessionID `json:"session"`
	Turn      session.TurnID    `json:"turn"`
	Steps     []ChainStep       `json:"steps"` // in execution (topological) order
	State     ChainState        `json:"state"`
	CreatedAt time.Time         `json:"created_at"`
}

// Link ties a channel account (a platform user id) to an actor.
type Link = session.Link

// LinkCode is a short, single-use code that links a second channel.
type LinkCode struct {
	Hash    string           `json:"hash"` // sha256 of the code; the code itself is never stored
	Tenant  session.TenantID `json:"tenant"`
	Actor   session.ActorID  `json:"actor"`
	Expires time.Time        `json:"expires"`
}

// TaskState is where a background task is in its life.
type TaskState = session.TaskState

// Task states.
const (
	TaskRunning   = session.TaskRunning
	TaskSucceeded = session.TaskSucceeded
	TaskFailed    = session.TaskFailed
	TaskCancelled = session.TaskCancelled
	TaskTimedOut  = session.TaskTimedOut
)

// TaskRow is a dispatch promoted to the background.
type TaskRow struct {
	ID         session.TaskID    `json:"id"`
	Tenant     session.TenantID  `json:"tenant"`
	Actor      session.ActorID   `json:"actor"`
	Session    session.SessionID `json:"session"`
	Turn       session.TurnID    `json:"turn"`
	Step       session.StepID    `json:"step"`
	Chain      session.ChainID   `json:"chain,omitempty"`
	Tool       session.ToolID    `json:"tool"`
	Args       json.RawMessage   `json:"args"`
	State      TaskState         `json:"state"`
	Percent    int               `json:"percent"`
	Message    string            `json:"message,omitempty"`
	CapSeconds int               `json:"cap_seconds"`
	Idempotent bool              `json:"idempotent"`
	Attempts   int               `json:"attempts"`
	Claim      string            `json:"claim,omitempty"` // its execution claim's key (level ≥ 1)
	Fact       int64             `json:"fact,omitempty"`
	Error      *session.Error    `json:"error,omitempty"`
	CreatedAt  time.Time         `json:"created_at"`
	Heartbeat  time.Time         `json:"heartbeat"`
	FinishedAt *time.Time        `json:"finished_at,omitempty"`
}

// Event is an outbound message delivered to a session outside a request:
// a task's result or progress, later alerts.
type Event struct {
	ID      int64             `json:"id"`
	Session session.SessionID `json:"session"`
	At      time.Time         `json:"at"`
	Out     json.RawMessage   `json:"outbound"`
}

// View is the task as its owner sees it.
func (t TaskRow) View() session.Task {
	return session.Task{ID: t.ID, Turn: t.Turn, Step: t.Step, Chain: t.Chain, Tool: t.Tool, Args: t.Args, State: t.State,
		Percent: t.Percent, Message: t.Message, CapSeconds: t.CapSeconds, Idempotent: t.Idempotent, Attempts: t.Attempts,
		Fact: t.Fact, Error: t.Error, CreatedAt: t.CreatedAt, Heartbeat: t.Heartbeat, FinishedAt: t.FinishedAt}
}

// View is the proposal as its actor sees it: the card as shown and, once
// it ran, the replies of its execution.
func (p ProposalRow) View() session.Proposal {
	v := session.Proposal{ID: p.ID, Tool: p.Tool, Level: p.Level, State: p.State, Origin: p.Origin,
		CreatedAt: p.CreatedAt, ExpiresAt: p.ExpiresAt, DecidedAt: p.DecidedAt}
	_ = json.Unmarshal(p.Card, &v.Card)
	if len(p.Outcome) > 0 {
		var out session.Outbound
		if json.Unmarshal(p.Outcome, &out) == nil {
			v.Outcome = &out
		}
	}
	return v
}
