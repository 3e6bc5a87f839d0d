package bus

import (
	"context"

	"github.com/steward-os/steward/session"
)

// Watcher is an optional capability of a shared store (one that several
// gateway instances use): it calls fn with the session of every event
// appended by any process, until ctx ends or the store closes. A missed
// notice only delays a waiter until its wait ends and it reads again.
type Watcher interface {
	WatchEvents(ctx context.Context, fn func(sid session.SessionID))
}

// watch wakes this process's waiters for events other processes append.
func (b *Bus) watch(w Watcher) {
	go w.WatchEvents(context.Background(), b.wake)
}

// wake wakes the waiters of a session and of the feed.
func (b *Bus) wake(sid session.SessionID) {
	b.mu.Lock()
	ch := b.waiters[sid]
	delete(b.waiters, sid)
	feed := b.feed
	b.feed = make(chan struct{})
	b.mu.Unlock()
	if ch != nil {
		close(ch)
	}
	close(feed)
}
