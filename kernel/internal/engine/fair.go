package engine

import (
	"context"
	"sync"
	"time"

	"github.com/steward-os/steward/kernel/internal/kit"
	"github.com/steward-os/steward/session"
)

// refusalGrace bounds recording a turn refused after its request's
// time ran out waiting for a slot.
const refusalGrace = 5 * time.Second

// fairness bounds how many turns of one tenant run at once, so one
// tenant's burst cannot take every worker from the others: a turn over
// the bound waits for a slot of its own tenant (as long as its context
// allows), while other tenants' turns go on.
type fairness struct {
	per   int
	mu    sync.Mutex
	slots map[session.TenantID]chan struct{}
}

func newFairness(per int) *fairness {
	return &fairness{per: per, slots: map[session.TenantID]chan struct{}{}}
}

// acquire takes one of the tenant's slots; release gives it back.
func (f *fairness) acquire(ctx context.Context, t session.TenantID) (release func(), err error) {
	if f == nil || f.per <= 0 {
		return func() {}, nil
	}
	f.mu.Lock()
	ch, ok := f.slots[t]
	if !ok {
		ch = make(chan struct{}, f.per)
		f.slots[t] = ch
	}
	f.mu.Unlock()
	select {
	case ch <- struct{}{}:
		return func() { <-ch }, nil
	case <-ctx.Done():
		return nil, kit.Errf(session.CodeRateLimited, "Your organisation has many requests running; this one could not start in time. Try again in a moment.")
	}
}
