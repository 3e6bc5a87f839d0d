// Package module is Steward's one lifecycle for pluggable parts (after
// Caddy's module system): a channel or an extension registers itself with
// an id, gets its own configuration block decoded strictly into a fresh
// value of its type, and is then provisioned, validated, started and
// stopped by its host in a fixed order.
//
// Contract. Register is called from a package's init; an id is registered
// once (a second registration panics: it is a programming error). Decode
// decodes a block strictly — an unknown key is an error naming its path —
// and calls Validate, with no I/O; Load then calls Provision. A module that
// fails any stage is not returned. A Group starts modules in the order
// they were added and stops the started ones in reverse order, each Stop
// bounded by the context. Every stage is optional: a module implements
// only the interfaces it needs. The package lives in the SDK because
// extensions, which import only the SDK, register with it too; it imports
// nothing of the kernel or the channels.
package module

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
)

// ID names a module: "<namespace>.<name>", for example "channels.telegram"
// or "extensions.hosting".
type ID string

// Namespace is the part of the id before the last dot.
func (id ID) Namespace() string {
	ns, _, _ := cutLast(string(id))
	return ns
}

// Name is the part of the id after the last dot.
func (id ID) Name() string {
	_, name, _ := cutLast(string(id))
	return name
}

func cutLast(s string) (string, string, bool) {
	i := strings.LastIndexByte(s, '.')
	if i < 0 {
		return "", s, false
	}
	return s[:i], s[i+1:], true
}

// Info describes a module type.
type Info struct {
	ID ID
	// New returns a new, empty value of the module, ready for its
	// configuration block to be decoded into it.
	New func() Module
	// Instances says the module's configuration block is a mapping of
	// instance names to blocks (a platform's bots: "default", "ops"): the
	// host loads one module value per instance and tells each its name.
	Instances bool
}

// Module is implemented by every module value: it names its type.
type Module interface {
	Module() Info
}

// Provisioner sets a module up from its checked configuration: resolve
// secrets, build clients, find the services it needs from its host.
type Provisioner interface {
	Provision(ctx context.Context, h Host) error
}

// Validator checks a module's decoded configuration, before anything is
// provisioned: it does no I/O.
type Validator interface {
	Validate() error
}

// Starter starts a module's work. Start returns once the module runs (its
// goroutines started); the context it gets ends when the host stops.
type Starter interface {
	Start(ctx context.Context) error
}

// Stopper stops a module's work, finishing what it started, within ctx.
type Stopper interface {
	Stop(ctx context.Context) error
}

// Cleaner releases what Provision acquired (a connection, a child
// process) for a module that may never start: the host calls Cleanup once
// it is done with a module it provisioned, started or not (after Stop,
// when it started). Cleanup must be safe to call after Stop.
type Cleaner interface {
	Cleanup() error
}

// Host is what a module gets from the program that runs it. A host may
// offer more (the channels' host gives the kernel's services and a place
// for webhooks); a module finds that by a type assertion.
type Host interface {
	// Logger is the host's logger, for this module.
	Logger() *slog.Logger
	// Secret resolves a credential named by an environment variable (env)
	// or a file: "" when neither is set, an error when one is set but
	// missing or empty. The value is masked everywhere the host writes
	// text (logs, errors, audit) from then on. what names the setting in
	// errors ("token" for token_env).
	Secret(what, env, file string) (string, error)
}

var (
	mu       sync.RWMutex
	registry = map[ID]Info{}
)

// Register registers a module type. It panics when the id is malformed or
// already registered.
func Register(m Module) {
	info := m.Module()
	ns, name, ok := cutLast(string(info.ID))
	if !ok || ns == "" || name == "" || info.New == nil {
		panic(fmt.Sprintf("module: bad registration %q", info.ID))
	}
	mu.Lock()
	defer mu.Unlock()
	if _, dup := registry[info.ID]; dup {
		panic(fmt.Sprintf("module: %q registered twice", info.ID))
	}
	registry[info.ID] = info
}

// Lookup returns a registered module type.
func Lookup(id ID) (Info, bool) {
	mu.RLock()
	defer mu.RUnlock()
	info, ok := registry[id]
	return info, ok
}

// Namespace lists the module types registered in a namespace, by id.
func Namespace(ns string) []Info {
	mu.RLock()
	defer mu.RUnlock()
	var out []Info
	for id, info := range registry {
		if id.Namespace() == ns {
			out = append(out, info)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}
