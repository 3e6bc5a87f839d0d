// Package sdk is the extension SDK: the only package a first-party or
// third-party Go extension imports.
//
// Contract. An extension is a manifest (YAML or JSON, embedded by the
// extension) plus typed Go handlers bound with [Tool]. The kernel infers each
// handler's parameter and result JSON Schema from its Go types, validates the
// arguments before the handler runs, and injects the [Caller] (actor, tenant,
// roles) itself: a handler can read who is calling but never choose it.
// Everything a handler may touch beyond its own parameters reaches it through
// [Env], and each capability there is granted only when the manifest declares
// the matching scope (scopes fail closed). The SDK never performs I/O of its
// own and imports nothing of the kernel.
package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"

	"github.com/google/jsonschema-go/jsonschema"
)

// ActorID names a person (or the system) inside a tenant.
type ActorID string

// TenantID names an isolated organisation.
type TenantID string

// Caller is who a call runs for. It is filled in by the kernel from the
// authenticated session; the model, the router and the handler cannot set it.
type Caller struct {
	Actor   ActorID
	Tenant  TenantID
	Roles   []string
	Manager ActorID
}

// Extension is what a Go extension hands to the kernel.
type Extension struct {
	// Manifest is the raw manifest document (YAML or JSON).
	Manifest []byte
	// Handlers binds every tool the manifest declares; one per tool, no more.
	Handlers []Handler
	// Context, when set, describes the tenant's resources and their relations
	// (ICNLI L3–L8): the router learns resource names from it and the safety
	// layer derives cascade impact from its relations.
	Context ContextProvider
	// Seed, when set, initialises a tenant's state from the demo world the
	// first time the tenant is seen. data is this extension's part of the
	// world file (JSON), possibly null.
	Seed func(ctx context.Context, st State, data json.RawMessage) error
	// Reconcile, when set, tells the kernel what became of a call of one
	// of this extension's tools at level ≥ 1 that a crash cut off before
	// its outcome was recorded. The kernel never runs such a call again:
	// it asks here at its next start, with the tenant's State, and records
	// what it learns, or "outcome_unknown" when this is nil or cannot
	// tell. See [ReconcileFunc].
	Reconcile ReconcileFunc
	// Tenants, when not empty, are the only tenants the extension serves:
	// its tools, context and seed exist for no other tenant (an MCP server
	// configured for one organisation). Empty: every tenant.
	Tenants []TenantID
}

// Serves reports whether the extension serves the tenant.
func (e Extension) Serves(t TenantID) bool {
	if len(e.Tenants) == 0 {
		return true
	}
	for _, x := range e.Tenants {
		if x == t {
			return true
		}
	}
	return false
}

// Pending is a call the kernel started before a crash and whose outcome
// it never recorded: the tool's name (as in the manifest), the
// IdempotencyKey its handler got, who it ran for and its arguments.
type Pending struct {
	Tool   string
	Key    string
	Caller Caller
	Args   json.RawMessage
}

// ReconcileFunc reports what became of a pending call, from the state the
// handler keeps under its idempotency key:
//
//   - known with a nil error: the call took effect, and result is what
//     its handler returned (recorded as its output);
//   - known with an *Error: the call ended with that error (for example
//     [CodeNotApplied]: it took no effect, nothing changed);
//   - not known, or any other error: the kernel cannot tell, and settles
//     the call as "outcome_unknown".
type ReconcileFunc func(ctx context.Context, st State, p Pending) (result any, known bool, err error)

// Resource is one thing an extension manages, as context for routing and
// impact analysis. Kind and ID are the extension's own words.
type Resource struct {
	Kind      string            `json:"kind"`
	ID        string            `json:"id"`
	Attrs     map[string]string `json:"attrs,omitempty"`
	Relations []Relation        `json:"relations,omitempty"`
}

// Relation says this resource depends on another one: "a site runs_on a
// server". When the target changes, the source is in the cascade.
type Relation struct {
	Type string `json:"type"`
	Kind string `json:"kind"`
	ID   string `json:"id"`
}

// ContextProvider lists a tenant's resources. It must return only what
// belongs to the given tenant (the State it receives is already scoped),
// and depend only on that state: the kernel caches the answer until the
// extension's state in that tenant changes.
type ContextProvider interface {
	Resources(ctx context.Context, tenant TenantID, st State) ([]Resource, error)
}

// ContextFunc adapts a function to ContextProvider.
type ContextFunc func(ctx context.Context, tenant TenantID, st State) ([]Resource, error)

// Resources implements ContextProvider.
func (f ContextFunc) Resources(ctx context.Context, tenant TenantID, st State) ([]Resource, error) {
	return f(ctx, tenant, st)
}

// State is an extension's durable key-value storage, scoped by the kernel to
// one extension and one tenant. Values are JSON documents.
type State interface {
	Get(ctx context.Context, collection, key string, v any) (bool, error)
	Put(ctx context.Context, collection, key string, v any) error
	Delete(ctx context.Context, collection, key string) error
	// List returns every value of a collection, ordered by key.
	List(ctx context.Context, collection string) ([]json.RawMessage, error)
}

// Member is a person of the caller's tenant, as the directory shows it.
type Member struct {
	ID      ActorID  `json:"id"`
	Roles   []string `json:"roles"`
	Manager ActorID  `json:"manager,omitempty"`
}

// Directory reads the people of the caller's tenant (scope directory:read).
type Directory interface {
	Members(ctx context.Context) ([]Member, error)
}

// Note is a message delivered to another actor of the same tenant.
type Note struct {
	To      ActorID `json:"to"`
	From    ActorID `json:"from"`
	Subject string  `json:"subject,omitempty"`
	Body    string  `json:"body"`
}

// Outbox delivers notes to actors of the caller's tenant (scope
// messages:deliver). Delivery to another tenant is impossible by
// construction.
type Outbox interface {
	Deliver(ctx context.Context, n Note) (id string, err error)
}

// Env is what the kernel lends a handler for one call.
type Env interface {
	State() State
	// Directory returns ErrScopeDenied unless the manifest declares directory:read.
	Directory() (Directory, error)
	// Outbox returns ErrScopeDenied unless the manifest declares messages:deliver.
	Outbox() (Outbox, error)
	// Progress reports how far a long call has come (0–100).
	Progress(percent int, message string)
	// IdempotencyKey identifies this call of a tool at level ≥ 1 across
	// crashes and redeliveries ("" for a read): the kernel claims it
	// before the handler runs and never runs the same call twice, and a
	// call a crash cut off is reconciled under it (Extension.Reconcile).
	// A handler that stores the key with its change can answer a call it
	// already carried out with the same result instead of changing twice.
	IdempotencyKey() string
}

// Scopes that unlock Env capabilities.
const (
	ScopeDirectoryRead   = "directory:read"
	ScopeMessagesDeliver = "messages:deliver"
)

// ErrScopeDenied is returned when a handler asks for a capability its
// manifest did not declare.
var ErrScopeDenied = errors.New("sdk: scope not declared in the manifest")

// Error is a failure a handler reports to the user: a stable code and a
// plain message. Any other error is reported as an internal failure whose
// text never reaches the user.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf builds a user-facing *Error.
func Errorf(code, format string, args ...any) error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Stable codes handlers commonly use.
const (
	CodeNotFound = "not_found"
	CodeConflict = "conflict"
	CodeInvalid  = "invalid_argument"
	// CodeNotApplied is what Reconcile reports for a call that took no
	// effect before the crash: nothing changed.
	CodeNotApplied = "not_applied"
	// CodeQuotaExceeded is what State.Put returns when the tenant holds as
	// many values of this extension as it may; a handler passes it on.
	CodeQuotaExceeded = "quota_exceeded"
)

// Call is one invocation of a typed tool.
type Call[P any] struct {
	Caller Caller
	Params P
	Env    Env
}

// Handler is a bound tool implementation. Build one with [Tool].
type Handler interface {
	Name() string
	ParamsSchema() (*jsonschema.Schema, error)
	ResultSchema() (*jsonschema.Schema, error)
	Invoke(ctx context.Context, c Caller, env Env, args json.RawMessage) (any, error)
}

// Tool binds the manifest tool name to a typed function. P must be a struct
// whose JSON field names are the tool's parameters (omitempty marks optional
// ones); R is the structured result recorded verbatim in the fact ledger.
func Tool[P, R any](name string, fn func(ctx context.Context, c Call[P]) (R, error)) Handler {
	return &typedTool[P, R]{name: name, fn: fn}
}

type typedTool[P, R any] struct {
	name string
	fn   func(ctx context.Context, c Call[P]) (R, error)
}

func (t *typedTool[P, R]) Name() string { return t.name }

func (t *typedTool[P, R]) ParamsSchema() (*jsonschema.Schema, error) {
	return jsonschema.For[P](nil)
}

func (t *typedTool[P, R]) ResultSchema() (*jsonschema.Schema, error) {
	return jsonschema.ForType(reflect.TypeFor[R](), &jsonschema.ForOptions{IgnoreInvalidTypes: true})
}

func (t *typedTool[P, R]) Invoke(ctx context.Context, c Caller, env Env, args json.RawMessage) (any, error) {
	var p P
	if len(args) > 0 {
		if err := json.Unmarshal(args, &p); err != nil {
			return nil, &Error{Code: CodeInvalid, Message: "arguments do not match the tool's parameters"}
		}
	}
	return t.fn(ctx, Call[P]{Caller: c, Params: p, Env: env})
}
