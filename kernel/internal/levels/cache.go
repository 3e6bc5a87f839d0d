package levels

import "sync"

// maxCached bounds the cache: what tenants' actors may see, one entry per
// tenant, state version and set of visible services.
const maxCached = 1024

// levelsCache holds resolved L3–L8 by Levels.Key. A key names a state
// version, so an entry never goes stale: a write moves the version and
// the next turn resolves again.
type levelsCache struct {
	mu sync.Mutex
	m  map[string]*Levels
}

func (c *levelsCache) get(key string) (*Levels, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	lv, ok := c.m[key]
	return lv, ok
}

func (c *levelsCache) put(key string, lv *Levels) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCached {
		c.m = map[string]*Levels{}
	}
	c.m[key] = lv
}
