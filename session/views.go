package session

import (
	"encoding/json"
	"time"
)

// The views a channel sees of the kernel's state: what a person may be
// shown about their own tasks, proposals, links and session events. They
// are not storage rows; the kernel builds them, and storage may hold more.

// TaskState is where a background task is in its life.
type TaskState string

// Task states.
const (
	TaskRunning   TaskState = "running"
	TaskSucceeded TaskState = "succeeded"
	TaskFailed    TaskState = "failed"
	TaskCancelled TaskState = "cancelled"
	TaskTimedOut  TaskState = "timed_out"
)

// Terminal reports whether a task in this state has ended.
func (s TaskState) Terminal() bool { return s != TaskRunning }

// Task is a background task as its owner sees it.
type Task struct {
	ID         TaskID          `json:"id"`
	Turn       TurnID          `json:"turn"`
	Step       StepID          `json:"step"`
	Chain      ChainID         `json:"chain,omitempty"`
	Tool       ToolID          `json:"tool"`
	Args       json.RawMessage `json:"args"`
	State      TaskState       `json:"state"`
	Percent    int             `json:"percent"`
	Message    string          `json:"message,omitempty"`
	CapSeconds int             `json:"cap_seconds"`
	Idempotent bool            `json:"idempotent"`
	Attempts   int             `json:"attempts"`
	Fact       int64           `json:"fact,omitempty"`
	Error      *Error          `json:"error,omitempty"`
	CreatedAt  time.Time       `json:"created_at"`
	Heartbeat  time.Time       `json:"heartbeat"`
	FinishedAt *time.Time      `json:"finished_at,omitempty"`
}

// ProposalState is where a proposal is in its life.
type ProposalState string

// Proposal states.
const (
	ProposalPending   ProposalState = "pending"
	ProposalExecuting ProposalState = "executing"
	ProposalExecuted  ProposalState = "executed"
	ProposalFailed    ProposalState = "failed"
	ProposalRejected  ProposalState = "rejected"
	ProposalExpired   ProposalState = "expired"
)

// Open reports whether a proposal in this state may still be decided or
// is being carried out (its card is not final yet).
func (s ProposalState) Open() bool { return s == ProposalPending || s == ProposalExecuting }

// Proposal is a proposal as its actor sees it after the fact: the card
// that was shown, where it was made, and how it ended.
type Proposal struct {
	ID        ProposalID    `json:"id"`
	Tool      ToolID        `json:"tool"`
	Level     int           `json:"level"`
	State     ProposalState `json:"state"`
	Card      ProposalCard  `json:"card"`
	Origin    Address       `json:"origin"`
	CreatedAt time.Time     `json:"created_at"`
	ExpiresAt time.Time     `json:"expires_at"`
	DecidedAt time.Time     `json:"decided_at"`
	// Outcome holds the replies of its execution, when it ran.
	Outcome *Outbound `json:"outcome,omitempty"`
}

// Link ties a channel account (a platform user id) to an actor.
type Link struct {
	Channel  ChannelID `json:"channel"`
	Account  string    `json:"account"`
	Tenant   TenantID  `json:"tenant"`
	Actor    ActorID   `json:"actor"`
	LinkedAt time.Time `json:"linked_at"`
}

// Event is a delivery to a session outside a request (a task's progress
// or result, a decision echoed to the proposal's channel), in id order.
type Event struct {
	ID      int64     `json:"id"`
	Session SessionID `json:"session"`
	At      time.Time `json:"at"`
	Out     Outbound  `json:"outbound"`
}

// Decision says that a turn settled a proposal, and how, so a channel can
// update the card that shows it without reading the replies.
type Decision struct {
	Proposal ProposalID    `json:"proposal_id"`
	State    ProposalState `json:"state"`
}
