// Package route declares the routing and planning seams of the kernel: the
// Router classifies a turn into an intent and candidate domains (extension
// ids); the Planner turns an intent into steps using only the routed tool
// surface. The embedded offline router (route/offline) and a model-backed
// router implement the same interfaces, so the kernel's guarantees do not
// depend on which one runs.
//
// Contract. Routers and planners never execute anything and never see data
// the actor may not see: the Turn they receive is already tenant- and
// role-filtered and PII-masked by the kernel. A plan is only a proposal; the
// kernel validates every step again before anything runs.
package route

import (
	"context"
	"encoding/json"

	"github.com/steward-os/steward/sdk"
	"github.com/steward-os/steward/session"
)

// Param describes one tool parameter as routers see it.
type Param struct {
	Name        string   `json:"name"`
	Type        string   `json:"type"` // JSON Schema type: string, integer, number, boolean, array, object
	Required    bool     `json:"required"`
	Enum        []string `json:"enum,omitempty"`
	Resource    string   `json:"resource,omitempty"` // resource kind this parameter names (manifest "resource")
	Description string   `json:"description,omitempty"`
}

// ToolSpec is a registered tool as routers and planners see it.
type ToolSpec struct {
	ID          session.ToolID `json:"id"` // extension.tool
	Extension   string         `json:"extension"`
	Name        string         `json:"name"`
	Description string         `json:"description"`
	Examples    []string       `json:"examples"`
	Keywords    []string       `json:"keywords,omitempty"`
	SafetyLevel int            `json:"safety_level"`
	Params      []Param        `json:"params"`
}

// Resource is a context resource tagged with the extension that owns it
// and its ICNLI context level (L4 environment, L5 application, L6 resource).
type Resource struct {
	Extension string `json:"extension"`
	Level     string `json:"level,omitempty"`
	sdk.Resource
}

// Turn is everything a router may use to understand one request.
type Turn struct {
	Text      string         `json:"text"`
	Actor     session.Actor  `json:"actor"`
	Resources []Resource     `json:"resources"` // the actor's tenant only
	Members   []sdk.Member   `json:"members"`   // the actor's tenant only
	Facts     []session.Fact `json:"facts,omitempty"`
	Catalog   []ToolSpec     `json:"-"`                  // every tool the kernel has (routers pick domains from it)
	Feedback  []string       `json:"feedback,omitempty"` // validation errors from a previous planning attempt
	// ContextKey identifies Resources: two turns with the same non-empty
	// key carry the same resources (the kernel derives it from the
	// tenant's state version), so a router may key what it derives from
	// them on it instead of reading them all. Empty means unknown.
	ContextKey string `json:"-"`
	// ID is the kernel's id of the turn, so a router that records what
	// it does (a model's prompts and completions) can tie it to the turn.
	ID session.TurnID `json:"-"`
}

// Intent is the router's classification of a turn.
type Intent struct {
	Kind       string   `json:"intent"` // session.Intent*
	Confidence float64  `json:"confidence"`
	Domains    []string `json:"domains"`           // extension ids, best first
	Clarify    string   `json:"clarify,omitempty"` // a question to ask when confidence is low
	// Notice, when set, is a line the kernel shows before the reply: how
	// the turn was understood when that is not the usual way (a model
	// router that could reach no model and let the offline router answer).
	Notice string `json:"notice,omitempty"`
}

// Step is one planned tool call.
//
// An argument value may be a step-output reference instead of a literal:
//
//	{"$ref": "s1"}                   the whole verbatim output of step s1
//	{"$ref": "s1#/tasks/0/id"}       a JSON Pointer into that output
//	{"$ref": "fact:42#/servers/0/name"}  a fact recorded on an earlier turn
//
// The kernel resolves references at dispatch time from the producer's
// verbatim output in the fact ledger, never from narrated text. A step
// that references another step must list it in DependsOn. A reference to
// a failed, rejected or dropped producer fails the step. When a reference
// that resolves to an object or array fills a string parameter, the kernel
// renders the producer's fact with the producer tool's narration template
// (deterministic, from the verbatim output).
type Step struct {
	ID        session.StepID   `json:"id"`
	Tool      session.ToolID   `json:"tool"`
	Args      json.RawMessage  `json:"args"`
	DependsOn []session.StepID `json:"depends_on"`
}

// Plan is the planner's proposal of what to run.
type Plan struct {
	Steps      []Step  `json:"steps"`
	Confidence float64 `json:"confidence"`
	// Answer, when set (and Steps empty), asks the kernel to answer from a
	// fact already in the ledger instead of running a tool ("how many of
	// those are in eu-west?").
	Answer *LedgerQuery `json:"answer,omitempty"`
	// Clarify, when set, is a question for the user instead of running
	// anything (for example a required argument nobody named).
	Clarify string `json:"clarify,omitempty"`
	// Notice, when set, is shown before the reply (see Intent.Notice).
	Notice string `json:"notice,omitempty"`
}

// LedgerQuery is a question answered from one verbatim fact.
type LedgerQuery struct {
	// Fact is the ledger id of the fact (from Turn.Facts).
	Fact int64 `json:"fact"`
	// Path is a JSON Pointer to an array in the fact's output ("/servers").
	Path string `json:"path"`
	// Where keeps the items whose field equals the value (strings compared
	// case-insensitively); empty keeps every item.
	Where map[string]string `json:"where,omitempty"`
	// Op is "count" (how many) or "list" (which ones).
	Op string `json:"op"`
	// Field names each item in the answer ("name"); empty means the whole item.
	Field string `json:"field,omitempty"`
}

// IsRef reports whether an argument value is a step-output reference and
// returns its target.
func IsRef(v any) (string, bool) {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return "", false
	}
	s, ok := m["$ref"].(string)
	return s, ok
}

// Router classifies a turn.
type Router interface {
	Route(ctx context.Context, t Turn) (Intent, error)
}

// Planner plans a turn against the routed tool surface only.
type Planner interface {
	Plan(ctx context.Context, t Turn, in Intent, surface []ToolSpec) (Plan, error)
}
