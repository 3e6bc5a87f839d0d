package guard

import (
	"container/list"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiter is a token bucket of refusals per client, for at most max
// clients: the client refused least recently is forgotten first, so the
// memory it takes is bounded whatever the number of addresses.
type limiter struct {
	every rate.Limit
	burst int
	max   int

	mu    sync.Mutex
	items map[string]*list.Element // of *bucket
	lru   list.List                // most recently charged at the front
}

type bucket struct {
	client string
	lim    *rate.Limiter
}

func newLimiter(perMinute float64, burst, max int) *limiter {
	return &limiter{every: rate.Limit(perMinute / 60), burst: burst, max: max, items: map[string]*list.Element{}}
}

// wait is how long the client must wait before a request of its is
// looked at; 0 when it may go on. A client never refused may always.
func (l *limiter) wait(client string, now time.Time) time.Duration {
	if l.burst <= 0 {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.items[client]
	if !ok {
		return 0
	}
	tokens := e.Value.(*bucket).lim.TokensAt(now)
	if tokens >= 1 {
		return 0
	}
	return time.Duration((1 - tokens) / float64(l.every) * float64(time.Second))
}

// charge spends one of the client's refusals (none when they are spent).
func (l *limiter) charge(client string, now time.Time) {
	if l.burst <= 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.items[client]
	if ok {
		l.lru.MoveToFront(e)
	} else {
		if l.lru.Len() >= l.max {
			old := l.lru.Back()
			l.lru.Remove(old)
			delete(l.items, old.Value.(*bucket).client)
		}
		e = l.lru.PushFront(&bucket{client: client, lim: rate.NewLimiter(l.every, l.burst)})
		l.items[client] = e
	}
	e.Value.(*bucket).lim.AllowN(now, 1)
}

// clients is how many clients are remembered.
func (l *limiter) clients() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lru.Len()
}
