package registry

import (
	"sync"

	"github.com/steward-os/steward/kernel/route"
	"github.com/steward-os/steward/session"
)

// maxCached bounds the cache: tenants × extensions held at once.
const maxCached = 4096

type resourceKey struct {
	ext    string
	tenant session.TenantID
}

type cachedResources struct {
	version int64
	rs      []route.Resource
}

// resourceCache holds each extension's context per tenant, valid for one
// state version of the tenant. The store keeps the version, so the rule
// holds across every instance that shares it.
type resourceCache struct {
	mu sync.Mutex
	m  map[resourceKey]cachedResources
}

func (c *resourceCache) get(k resourceKey, version int64) ([]route.Resource, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	return e.rs, ok && e.version == version
}

func (c *resourceCache) put(k resourceKey, version int64, rs []route.Resource) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCached {
		c.m = map[resourceKey]cachedResources{}
	}
	c.m[k] = cachedResources{version: version, rs: rs}
}

func (c *resourceCache) clear() {
	c.mu.Lock()
	c.m = nil
	c.mu.Unlock()
}
