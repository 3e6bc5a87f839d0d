package authz

import (
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/steward-os/steward/session"
)

// Quotas are token buckets per actor (the turn quota, L2) and per key
// (link codes and their redemption).
type Quotas struct {
	perMinute map[session.TenantID]int
	def       int
	now       func() time.Time

	mu  sync.Mutex
	lim map[string]*rate.Limiter
}

// NewQuotas returns quotas of def turns a minute, or perTenant's for a
// tenant that sets one.
func NewQuotas(def int, perTenant map[session.TenantID]int, now func() time.Time) *Quotas {
	return &Quotas{perMinute: perTenant, def: def, now: now, lim: map[string]*rate.Limiter{}}
}

// PerMinute is the turn quota of the tenant's actors.
func (q *Quotas) PerMinute(t session.TenantID) int {
	if v, ok := q.perMinute[t]; ok && v > 0 {
		return v
	}
	return q.def
}

func (q *Quotas) limiter(key string, mk func() *rate.Limiter) *rate.Limiter {
	q.mu.Lock()
	defer q.mu.Unlock()
	lim, ok := q.lim[key]
	if !ok {
		lim = mk()
		q.lim[key] = lim
	}
	return lim
}

// Allow applies the actor's turn quota (L2).
func (q *Quotas) Allow(a session.Actor) bool {
	lim := q.limiter(string(a.Tenant)+"/"+string(a.ID), func() *rate.Limiter {
		per := q.PerMinute(a.Tenant)
		return rate.NewLimiter(rate.Limit(float64(per)/60), per/4+1)
	})
	return lim.AllowN(q.now(), 1)
}

// AllowKey is a small token bucket per key: burst attempts, refilled at
// one every two minutes (link codes and their redemption).
func (q *Quotas) AllowKey(key string, burst int) bool {
	lim := q.limiter(key, func() *rate.Limiter { return rate.NewLimiter(rate.Every(2*time.Minute), burst) })
	return lim.AllowN(q.now(), 1)
}
