// Package sdktest provides test doubles for the extension SDK: an in-memory
// [sdk.State], a fake [sdk.Env] with a member directory, a recording outbox
// and a progress log, and helpers that load a tenant's part of a world file
// and render manifest templates with the kernel's own renderer
// (internal/narrate), so a template renders in a test exactly as in a reply.
//
// Contract. The doubles behave like the kernel's implementations where an
// extension can observe the difference: State stores JSON documents (a value
// read back is a fresh copy, List is ordered by key); Env grants a capability
// only when its scope is listed (fail closed); the outbox delivers only to
// members of the directory. Everything is safe for concurrent use. Nothing
// here touches the network; the loaders read only the file they are given.
package sdktest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"sync"

	"github.com/steward-os/steward/sdk"
)

// State is an in-memory sdk.State. The zero value is not usable; call
// [NewState].
type State struct {
	mu   sync.Mutex
	data map[string]map[string]json.RawMessage
}

var _ sdk.State = (*State)(nil)

// NewState returns an empty in-memory State.
func NewState() *State {
	return &State{data: map[string]map[string]json.RawMessage{}}
}

// Get decodes the value stored under collection/key into v and reports
// whether it exists.
func (s *State) Get(ctx context.Context, collection, key string, v any) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	s.mu.Lock()
	raw, ok := s.data[collection][key]
	s.mu.Unlock()
	if !ok {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return true, fmt.Errorf("sdktest: decode %s/%s: %w", collection, key, err)
	}
	return true, nil
}

// Put stores v (as JSON) under collection/key.
func (s *State) Put(ctx context.Context, collection, key string, v any) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("sdktest: encode %s/%s: %w", collection, key, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.data[collection]
	if c == nil {
		c = map[string]json.RawMessage{}
		s.data[collection] = c
	}
	c[key] = raw
	return nil
}

// Delete removes collection/key; deleting a missing key is not an error.
func (s *State) Delete(ctx context.Context, collection, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.data[collection], key)
	return nil
}

// List returns every value of a collection, ordered by key.
func (s *State) List(ctx context.Context, collection string) ([]json.RawMessage, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.data[collection]
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]json.RawMessage, 0, len(keys))
	for _, k := range keys {
		out = append(out, slices.Clone(c[k]))
	}
	return out, nil
}

// Keys returns the keys of a collection, sorted (a test convenience).
func (s *State) Keys(collection string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]string, 0, len(s.data[collection]))
	for k := range s.data[collection] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Directory is a fixed list of members.
type Directory []sdk.Member

// Members implements sdk.Directory.
func (d Directory) Members(ctx context.Context) ([]sdk.Member, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return slices.Clone(d), nil
}

// Outbox records delivered notes. Deliveries to an actor that is not in
// Members fail with an sdk.CodeNotFound error, as the kernel's outbox
// cannot reach another tenant.
type Outbox struct {
	Members Directory

	mu    sync.Mutex
	notes []sdk.Note
}

// Deliver implements sdk.Outbox; ids are "note-1", "note-2", …
func (o *Outbox) Deliver(ctx context.Context, n sdk.Note) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if !slices.ContainsFunc(o.Members, func(m sdk.Member) bool { return m.ID == n.To }) {
		return "", sdk.Errorf(sdk.CodeNotFound, "no member named %q", n.To)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.notes = append(o.notes, n)
	return "note-" + strconv.Itoa(len(o.notes)), nil
}

// Notes returns the notes delivered so far, in order.
func (o *Outbox) Notes() []sdk.Note {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.notes)
}

// Report is one Progress call.
type Report struct {
	Percent int
	Message string
}

// Env is a fake sdk.Env. Build it with [NewEnv], or as a literal (Store must
// then be set; Mail is created on first use).
type Env struct {
	// Store is what State returns.
	Store sdk.State
	// People is the caller's tenant as Directory shows it.
	People Directory
	// Scopes are the granted scopes: Directory needs sdk.ScopeDirectoryRead
	// and Outbox sdk.ScopeMessagesDeliver, otherwise they return
	// sdk.ErrScopeDenied.
	Scopes []string
	// Mail records deliveries (nil: created on first use over People).
	Mail *Outbox
	// Key is what IdempotencyKey returns ("" by default, as for a read).
	Key string

	mu      sync.Mutex
	reports []Report
}

var _ sdk.Env = (*Env)(nil)

// NewEnv returns an Env over st with the given members that grants both
// directory:read and messages:deliver.
func NewEnv(st sdk.State, people ...sdk.Member) *Env {
	return &Env{
		Store:  st,
		People: people,
		Scopes: []string{sdk.ScopeDirectoryRead, sdk.ScopeMessagesDeliver},
		Mail:   &Outbox{Members: people},
	}
}

// State implements sdk.Env.
func (e *Env) State() sdk.State { return e.Store }

// Directory implements sdk.Env.
func (e *Env) Directory() (sdk.Directory, error) {
	if !slices.Contains(e.Scopes, sdk.ScopeDirectoryRead) {
		return nil, sdk.ErrScopeDenied
	}
	return e.People, nil
}

// Outbox implements sdk.Env.
func (e *Env) Outbox() (sdk.Outbox, error) {
	if !slices.Contains(e.Scopes, sdk.ScopeMessagesDeliver) {
		return nil, sdk.ErrScopeDenied
	}
	return e.outbox(), nil
}

func (e *Env) outbox() *Outbox {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.Mail == nil {
		e.Mail = &Outbox{Members: e.People}
	}
	return e.Mail
}

// Notes returns the notes delivered through this Env's outbox.
func (e *Env) Notes() []sdk.Note { return e.outbox().Notes() }

// Progress implements sdk.Env by recording the report.
func (e *Env) Progress(percent int, message string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.reports = append(e.reports, Report{Percent: percent, Message: message})
}

// IdempotencyKey implements sdk.Env: the Key field.
func (e *Env) IdempotencyKey() string { return e.Key }

// Reports returns the progress reports so far, in order.
func (e *Env) Reports() []Report {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.reports)
}

// Handler returns the extension's handler for tool name, or nil.
func Handler(ext sdk.Extension, name string) sdk.Handler {
	for _, h := range ext.Handlers {
		if h.Name() == name {
			return h
		}
	}
	return nil
}
