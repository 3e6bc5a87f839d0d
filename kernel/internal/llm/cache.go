package llm

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sync"

	"github.com/steward-os/steward/session"
)

// cacheSize bounds each cache: a full cache is cleared.
const cacheSize = 4096

// caches hold what a turn derives from inputs that do not change: decoded
// tool schemas (keyed by their JSON), rendered facts (facts are immutable;
// keyed by id and the tenant's PII policy) and which system prompts a
// tenant's audit chain already holds in full.
type caches struct {
	mu      sync.Mutex
	schemas map[string]map[string]any
	facts   map[factKey][2]string
	systems map[string]bool
}

type factKey struct {
	id     int64
	unmask bool
}

func newCaches() *caches {
	return &caches{schemas: map[string]map[string]any{}, facts: map[factKey][2]string{}, systems: map[string]bool{}}
}

// schema decodes a tool's schema once; the map is shared and read only.
func (c *caches) schema(raw []byte) map[string]any {
	c.mu.Lock()
	s, ok := c.schemas[string(raw)]
	c.mu.Unlock()
	if ok {
		return s
	}
	if err := json.Unmarshal(raw, &s); err != nil || s == nil {
		s = object(map[string]any{})
	}
	c.mu.Lock()
	if len(c.schemas) >= cacheSize {
		clear(c.schemas)
	}
	c.schemas[string(raw)] = s
	c.mu.Unlock()
	return s
}

// fact renders a fact once (outline and full line).
func (c *caches) fact(f session.Fact, g *gate) (short, full string) {
	if f.ID <= 0 {
		return factLines(f, g)
	}
	k := factKey{f.ID, g.unmask}
	c.mu.Lock()
	v, ok := c.facts[k]
	c.mu.Unlock()
	if ok {
		return v[0], v[1]
	}
	short, full = factLines(f, g)
	c.mu.Lock()
	if len(c.facts) >= cacheSize {
		clear(c.facts)
	}
	c.facts[k] = [2]string{short, full}
	c.mu.Unlock()
	return short, full
}

// firstSystem reports whether this system prompt is new to the tenant's
// audit chain (in this process), and its hash.
func (c *caches) firstSystem(t session.TenantID, content string) (bool, string) {
	h := sha256.Sum256([]byte(content))
	sum := hex.EncodeToString(h[:])
	c.mu.Lock()
	defer c.mu.Unlock()
	k := string(t) + "\x1f" + sum
	if c.systems[k] {
		return false, sum
	}
	if len(c.systems) >= cacheSize {
		clear(c.systems)
	}
	c.systems[k] = true
	return true, sum
}
