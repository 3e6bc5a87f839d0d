// Package session holds the normalised types every channel and the kernel
// speak: who is talking (Actor), what came in (Inbound), what goes out
// (Outbound with typed Parts), the fact ledger's Fact, and the plan shape
// returned by classification.
//
// Contract. Types here carry no behaviour that depends on a channel or on a
// domain; channels convert to and from them, the kernel consumes and
// produces them. IDs are distinct types so they cannot be swapped by
// accident. Nothing in this package performs I/O except the storage
// back-ends in its sub-packages.
package session

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/steward-os/steward/sdk"
)

// Identifiers. ActorID and TenantID are shared with the extension SDK.
type (
	ActorID    = sdk.ActorID
	TenantID   = sdk.TenantID
	SessionID  string
	ProposalID string
	TurnID     string
	// TaskID names a background task ("task_…").
	TaskID string
	// ChainID names a stored plan of several steps ("c_…").
	ChainID string
	// StepID names a step inside one plan ("s1", "s1.backup").
	StepID string
	// ToolID names a registered tool: "<extension>.<tool>".
	ToolID string
	// ChannelID names a channel: "api", "web", "terminal", "telegram",
	// "slack.ops" (a platform's bot other than its default).
	ChannelID string
)

// SystemActor is the kernel's own identity for records it writes itself.
const SystemActor ActorID = "system"

// Actor is an authenticated person inside one tenant.
type Actor struct {
	ID      ActorID  `json:"id"`
	Tenant  TenantID `json:"tenant"`
	Roles   []string `json:"roles"`
	Manager ActorID  `json:"manager,omitempty"`
}

// Role is what a role may do: the highest safety level it may dispatch or
// propose, and the scopes it holds ("*" matches everything, "*:read" any
// area's read verb, "hosting:*" every verb of one area). The
// configuration defines roles; the kernel enforces them.
type Role struct {
	Ceiling int      `json:"ceiling"`
	Scopes  []string `json:"scopes"`
}

// HasRole reports whether the actor holds role r.
func (a Actor) HasRole(r string) bool { return slices.Contains(a.Roles, r) }

// SessionFor is the one session an actor has across every channel.
func SessionFor(a Actor) SessionID {
	return SessionID("s:" + string(a.Tenant) + ":" + string(a.ID))
}

// Address says where a message came from or goes to.
type Address struct {
	Channel ChannelID `json:"channel"`           // "api", "terminal", …
	Account string    `json:"account,omitempty"` // the platform's user id
	Chat    string    `json:"chat,omitempty"`    // the platform's conversation id
}

// ActionKind is what a structured inbound action does.
type ActionKind string

// Action kinds.
const (
	ActionAccept ActionKind = "accept"
	ActionReject ActionKind = "reject"
)

// Action is a structured decision: a button press, a typed "confirm <id>",
// an API call. It resumes a frozen proposal; it never carries arguments.
type Action struct {
	Kind     ActionKind `json:"kind"`
	Proposal ProposalID `json:"proposal"`
	Phrase   string     `json:"phrase,omitempty"`
	// Grant, on an accept at level 1–2: "once" (default), "session" or a
	// window such as "1h" (see approval.go).
	Grant string `json:"grant,omitempty"`
}

// Call is a structured tool call: an agent naming a tool of its actor's
// surface and its arguments (MCP tools/call). It meets every stage a text
// request meets after routing — schema, authorization, the safety gate,
// dispatch, the ledger — and never bypasses a confirmation.
type Call struct {
	Tool ToolID          `json:"tool"`
	Args json.RawMessage `json:"args,omitempty"`
}

// Inbound is one normalised event from a channel: a text, a decision
// (Action) or a structured call (Call).
type Inbound struct {
	ID     string    `json:"id"` // dedupe key (platform event id)
	From   Address   `json:"from"`
	Text   string    `json:"text,omitempty"`
	Action *Action   `json:"action,omitempty"`
	Call   *Call     `json:"call,omitempty"`
	At     time.Time `json:"at"`
}

// Outbound is the kernel's answer to one turn.
type Outbound struct {
	To    Address `json:"to"`
	Turn  TurnID  `json:"turn_id"`
	Parts []Part  `json:"replies"`
	// Decided names the proposals this turn settled (accepted and carried
	// out, failed, rejected, expired), so a channel updates their cards
	// without reading the replies.
	Decided []Decision `json:"decided,omitempty"`
}

// Part is one piece of an outbound message: *Text, *ProposalCard, *Error,
// *Progress or *AlertCard (alert.go).
type Part interface{ partType() string }

// Text is plain narrated text.
type Text struct {
	Text string `json:"text"`
}

// Error is a user-facing failure: a stable code and a plain message.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Impact is what a proposal would change.
type Impact struct {
	Targets    []sdk.Resource `json:"targets"`
	Cascade    []sdk.Resource `json:"cascade,omitempty"`
	Reversible bool           `json:"reversible"`
	Backup     ToolID         `json:"backup,omitempty"` // tool run first (levels 3–4)
	Summary    string         `json:"summary"`
}

// ProposalCard shows a frozen action waiting for its actor's decision.
type ProposalCard struct {
	ID                   ProposalID      `json:"proposal_id"`
	Tool                 ToolID          `json:"tool"`
	Args                 json.RawMessage `json:"args"`
	ArgsHash             string          `json:"args_hash"`
	SafetyLevel          int             `json:"safety_level"`
	Summary              string          `json:"summary"`
	Impact               Impact          `json:"impact"`
	DangerPhraseRequired bool            `json:"danger_phrase_required"`
	CoolingUntil         *time.Time      `json:"cooling_until,omitempty"`
	ExpiresAt            time.Time       `json:"expires_at"`
	// For a step of a multi-step plan: which step, the producer facts its
	// arguments were resolved from, and what remains of the plan.
	Chain     ChainID    `json:"chain,omitempty"`
	Step      StepID     `json:"step,omitempty"`
	Sources   []Source   `json:"sources,omitempty"`
	Remaining []PlanStep `json:"remaining,omitempty"`
	// Approval is set when the tenant's policy gives the decision to
	// someone other than the requester (approval.go).
	Approval *Approval `json:"approval,omitempty"`
}

// Source says where a resolved argument came from: a ledger fact (verbatim
// output of an earlier step or turn) and the pointer into it.
type Source struct {
	Param string          `json:"param"`
	Ref   string          `json:"ref"`
	Fact  int64           `json:"fact"`
	Tool  ToolID          `json:"tool"`
	Value json.RawMessage `json:"value"`
}

// Progress reports a background task's state and progress.
type Progress struct {
	Task    TaskID `json:"task_id"`
	Tool    ToolID `json:"tool"`
	State   string `json:"state"`
	Percent int    `json:"percent"`
	Message string `json:"message,omitempty"`
}

func (*Progress) partType() string     { return "progress" }
func (*Text) partType() string         { return "text" }
func (*Error) partType() string        { return "error" }
func (*ProposalCard) partType() string { return "proposal" }

// PartType names a part's kind for wire formats ("text", "error", "proposal").
func PartType(p Part) string { return p.partType() }

// MarshalPart renders a part as a JSON object with a "type" field.
func MarshalPart(p Part) ([]byte, error) {
	body, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	typ, _ := json.Marshal(p.partType())
	out := make([]byte, 0, len(body)+len(typ)+9)
	out = append(out, `{"type":`...)
	out = append(out, typ...)
	if len(body) > 2 {
		out = append(out, ',')
		out = append(out, body[1:]...)
	} else {
		out = append(out, '}')
	}
	return out, nil
}

// UnmarshalPart decodes a part written by MarshalPart.
func UnmarshalPart(b []byte) (Part, error) {
	var head struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return nil, err
	}
	var p Part
	switch head.Type {
	case "text":
		p = &Text{}
	case "error":
		p = &Error{}
	case "proposal":
		p = &ProposalCard{}
	case "progress":
		p = &Progress{}
	case "alert":
		p = &AlertCard{}
	default:
		return nil, fmt.Errorf("unknown part type %q", head.Type)
	}
	if err := json.Unmarshal(b, p); err != nil {
		return nil, err
	}
	return p, nil
}

// MarshalJSON renders parts with their "type" field.
func (o Outbound) MarshalJSON() ([]byte, error) {
	parts := make([]json.RawMessage, 0, len(o.Parts))
	for _, p := range o.Parts {
		b, err := MarshalPart(p)
		if err != nil {
			return nil, err
		}
		parts = append(parts, b)
	}
	var to *Address
	if o.To.Channel != "" {
		to = &o.To
	}
	return json.Marshal(struct {
		To      *Address          `json:"to,omitempty"`
		Turn    TurnID            `json:"turn_id"`
		Replies []json.RawMessage `json:"replies"`
		Decided []Decision        `json:"decided,omitempty"`
	}{to, o.Turn, parts, o.Decided})
}

// UnmarshalJSON reads what MarshalJSON writes; a part of an unknown type
// is an error (never silently dropped).
func (o *Outbound) UnmarshalJSON(b []byte) error {
	var raw struct {
		To      *Address          `json:"to"`
		Turn    TurnID            `json:"turn_id"`
		Replies []json.RawMessage `json:"replies"`
		Decided []Decision        `json:"decided"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*o = Outbound{Turn: raw.Turn, Decided: raw.Decided}
	if raw.To != nil {
		o.To = *raw.To
	}
	for i, r := range raw.Replies {
		p, err := UnmarshalPart(r)
		if err != nil {
			return fmt.Errorf("reply %d: %w", i, err)
		}
		o.Parts = append(o.Parts, p)
	}
	return nil
}

// Fact is one dispatch's structured output, recorded verbatim.
type Fact struct {
	ID       int64           `json:"id"`
	Session  SessionID       `json:"session"`
	Turn     TurnID          `json:"turn"`
	Step     StepID          `json:"step"`
	Tool     ToolID          `json:"tool"`
	Args     json.RawMessage `json:"args"`
	ArgsHash string          `json:"args_hash"`
	OK       bool            `json:"ok"`
	Output   json.RawMessage `json:"output,omitempty"`
	Error    *Error          `json:"error,omitempty"`
	At       time.Time       `json:"at"`
}

// Cap bounds how much of the ledger is replayed into one turn.
type Cap struct {
	Count int
	Bytes int
}

// Intent kinds returned by classification.
const (
	IntentRead        = "read"
	IntentWrite       = "write"
	IntentDestructive = "destructive"
	IntentChain       = "chain"
	IntentNone        = "none"
)

// PlanStep is one step of a plan.
type PlanStep struct {
	ID        StepID          `json:"id"`
	Tool      ToolID          `json:"tool"`
	Args      json.RawMessage `json:"args"`
	DependsOn []StepID        `json:"depends_on"`
}

// Classification is what routing and planning concluded, without running anything.
type Classification struct {
	Intent     string     `json:"intent"`
	Confidence float64    `json:"confidence"`
	Domains    []string   `json:"domains,omitempty"`
	Steps      []PlanStep `json:"steps"`
	Clarify    string     `json:"clarify,omitempty"`
}
