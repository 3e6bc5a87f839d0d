package session

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"sort"
	"sync"
)

// Directory knows the actors of every tenant and which credential belongs
// to whom. Lookups never cross tenants: Members(t) returns only t's people.
type Directory interface {
	Lookup(ctx context.Context, tenant TenantID, id ActorID) (Actor, bool)
	Members(ctx context.Context, tenant TenantID) ([]Actor, error)
	Tenants(ctx context.Context) []TenantID
	// Authenticate maps a bearer credential to its actor.
	Authenticate(ctx context.Context, token string) (Actor, bool)
}

// StaticDirectory is a Directory built from configuration.
type StaticDirectory struct {
	mu     sync.RWMutex
	actors map[TenantID]map[ActorID]Actor
	tokens map[[32]byte]Actor // sha256(token) → actor
}

// NewStaticDirectory returns an empty directory.
func NewStaticDirectory() *StaticDirectory {
	return &StaticDirectory{actors: map[TenantID]map[ActorID]Actor{}, tokens: map[[32]byte]Actor{}}
}

// Add registers an actor and, when token is non-empty, its credential.
func (d *StaticDirectory) Add(a Actor, token string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.actors[a.Tenant] == nil {
		d.actors[a.Tenant] = map[ActorID]Actor{}
	}
	d.actors[a.Tenant][a.ID] = a
	if token != "" {
		d.tokens[sha256.Sum256([]byte(token))] = a
	}
}

// Lookup implements Directory.
func (d *StaticDirectory) Lookup(_ context.Context, tenant TenantID, id ActorID) (Actor, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	a, ok := d.actors[tenant][id]
	return a, ok
}

// Members implements Directory, sorted by id.
func (d *StaticDirectory) Members(_ context.Context, tenant TenantID) ([]Actor, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	out := make([]Actor, 0, len(d.actors[tenant]))
	for _, a := range d.actors[tenant] {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// Tenants implements Directory, sorted.
func (d *StaticDirectory) Tenants(context.Context) []TenantID {
	d.mu.RLock()
	defer d.mu.RUnlock()
	out := make([]TenantID, 0, len(d.actors))
	for t := range d.actors {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Authenticate implements Directory. Tokens are compared by their SHA-256
// digest in constant time, so neither timing nor the map reveals them.
func (d *StaticDirectory) Authenticate(_ context.Context, token string) (Actor, bool) {
	if token == "" {
		return Actor{}, false
	}
	sum := sha256.Sum256([]byte(token))
	d.mu.RLock()
	defer d.mu.RUnlock()
	for k, a := range d.tokens {
		if subtle.ConstantTimeCompare(k[:], sum[:]) == 1 {
			return a, true
		}
	}
	return Actor{}, false
}
