package llm

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// usage counts the tokens each tenant spends per month without making a
// model call wait for the disk: an add is counted in memory at once and
// written to the store (store.Usage, so it survives restarts) by one
// background writer, merged per tenant and month. A tenant's total is
// the store's plus what is not written yet; while a write is under way
// the total may count it twice for a moment, never zero times, so a
// budget is never under-counted. Flush waits for the writes (the kernel's
// Shutdown); adds a crash cuts off before they are written are lost,
// which at worst lets a tenant spend that much more.
type usage struct {
	st  store.Usage
	log *slog.Logger

	mu       sync.Mutex
	pending  map[usageKey]int64 // counted, not handed to the writer
	inflight map[usageKey]int64 // handed to the writer, not confirmed
	known    map[usageKey]int64 // the store's total as last read or written
	idle     *sync.Cond         // signalled when nothing is pending or in flight
	wake     chan struct{}
}

type usageKey struct {
	tenant session.TenantID
	period string
}

func newUsage(st store.Usage, log *slog.Logger) *usage {
	u := &usage{st: st, log: log, pending: map[usageKey]int64{}, inflight: map[usageKey]int64{}, known: map[usageKey]int64{}, wake: make(chan struct{}, 1)}
	u.idle = sync.NewCond(&u.mu)
	go u.write()
	return u
}

// add counts tokens and returns the tenant's month total.
func (u *usage) add(t session.TenantID, period string, n int64) int64 {
	k := usageKey{t, period}
	u.mu.Lock()
	u.pending[k] += n
	total := u.known[k] + u.pending[k] + u.inflight[k]
	u.mu.Unlock()
	select {
	case u.wake <- struct{}{}:
	default:
	}
	return total
}

// total is the tenant's month total: the store's and what is not written.
func (u *usage) total(ctx context.Context, t session.TenantID, period string) (int64, error) {
	stored, err := u.st.UsageOf(ctx, t, period)
	if err != nil {
		return 0, err
	}
	k := usageKey{t, period}
	u.mu.Lock()
	defer u.mu.Unlock()
	u.known[k] = stored
	return stored + u.pending[k] + u.inflight[k], nil
}

// write is the background writer: it hands what is pending to the store.
// It runs for the life of the process (the kernel has no stop for it; a
// flushed writer only waits).
func (u *usage) write() {
	for range u.wake {
		u.mu.Lock()
		batch := u.pending
		u.pending = map[usageKey]int64{}
		for k, n := range batch {
			u.inflight[k] += n
		}
		u.mu.Unlock()
		for k, n := range batch {
			total, err := u.st.AddUsage(context.Background(), k.tenant, k.period, n)
			u.mu.Lock()
			if err != nil {
				u.pending[k] += n // tried again with the next add
				u.log.Error("model usage not written", "tenant", k.tenant, "period", k.period, "tokens", n, "err", err)
			} else {
				u.known[k] = total
			}
			if u.inflight[k] -= n; u.inflight[k] == 0 {
				delete(u.inflight, k)
			}
			u.mu.Unlock()
		}
		u.mu.Lock()
		if len(u.inflight) == 0 {
			u.idle.Broadcast()
		}
		u.mu.Unlock()
	}
}

// flush waits until every add counted before it is written, or until
// ctx ends (noticed within a moment).
func (u *usage) flush(ctx context.Context) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	for len(u.pending)+len(u.inflight) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		select {
		case u.wake <- struct{}{}:
		default:
		}
		u.waitIdle()
	}
	return nil
}

// waitIdle waits (holding u.mu) for the writer's next idle signal, at
// most a moment, so that neither a failing store nor an ended context
// keeps flush waiting.
func (u *usage) waitIdle() {
	t := time.AfterFunc(100*time.Millisecond, func() {
		u.mu.Lock()
		u.idle.Broadcast()
		u.mu.Unlock()
	})
	u.idle.Wait()
	t.Stop()
}
