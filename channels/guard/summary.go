package guard

import (
	"container/list"
	"context"
	"maps"
	"sync"
	"time"

	"github.com/steward-os/steward/session"
)

// Refuser is where refusals are recorded: the kernel, as channels see it.
type Refuser interface {
	Refuse(ctx context.Context, r session.Refusal)
}

// summaries gathers the refusals of one requester (tenant and actor,
// channel, client) into windows: the first of a window goes to next at
// once, the others are counted by code and go as one summary when the
// window ends (Sweep), when it must make room, or at Flush.
type summaries struct {
	next   Refuser
	window time.Duration
	max    int
	now    func() time.Time

	mu    sync.Mutex
	open  map[windowKey]*list.Element // of *window
	order list.List                   // by start: the oldest at the front
}

type windowKey struct {
	tenant  session.TenantID
	actor   session.ActorID
	channel session.ChannelID
	from    string
}

type window struct {
	key         windowKey
	actor       *session.Actor
	start       time.Time
	codes       map[string]int
	first, last time.Time
}

func newSummaries(next Refuser, window time.Duration, max int, now func() time.Time) *summaries {
	return &summaries{next: next, window: window, max: max, now: now, open: map[windowKey]*list.Element{}}
}

// refuse records one refusal: at once when it opens a window (or came
// from no client, or is itself a summary), otherwise counted.
func (s *summaries) refuse(ctx context.Context, r session.Refusal) {
	if r.From == "" || r.Codes != nil {
		s.next.Refuse(ctx, r)
		return
	}
	k := windowKey{channel: r.Channel, from: r.From, actor: "anonymous", tenant: "_system"}
	if r.Actor != nil {
		k.tenant, k.actor = r.Actor.Tenant, r.Actor.ID
	}
	now := s.now()
	s.mu.Lock()
	due := s.ended(now)
	e, ok := s.open[k]
	if ok {
		w := e.Value.(*window)
		if w.first.IsZero() {
			w.first = now
		}
		w.codes[r.Code]++
		w.last = now
	} else {
		if s.order.Len() >= s.max {
			due = append(due, s.remove(s.order.Front()))
		}
		w := &window{key: k, start: now, codes: map[string]int{}}
		if r.Actor != nil {
			a := *r.Actor
			w.actor = &a
		}
		s.open[k] = s.order.PushBack(w)
	}
	s.mu.Unlock()
	s.write(ctx, due)
	if !ok {
		s.next.Refuse(ctx, r)
	}
}

// ended removes and returns the windows that ended by now. s.mu is held.
func (s *summaries) ended(now time.Time) []*window {
	var out []*window
	for e := s.order.Front(); e != nil && !now.Before(e.Value.(*window).start.Add(s.window)); e = s.order.Front() {
		out = append(out, s.remove(e))
	}
	return out
}

func (s *summaries) remove(e *list.Element) *window {
	w := s.order.Remove(e).(*window)
	delete(s.open, w.key)
	return w
}

// sweep writes the summaries of the windows that have ended.
func (s *summaries) sweep(ctx context.Context) {
	s.mu.Lock()
	due := s.ended(s.now())
	s.mu.Unlock()
	s.write(ctx, due)
}

// flush ends every window now and writes their summaries.
func (s *summaries) flush(ctx context.Context) {
	s.mu.Lock()
	var due []*window
	for e := s.order.Front(); e != nil; e = s.order.Front() {
		due = append(due, s.remove(e))
	}
	s.mu.Unlock()
	s.write(ctx, due)
}

// write records a summary for each window that counted any refusal
// beyond its first.
func (s *summaries) write(ctx context.Context, ws []*window) {
	ctx = context.WithoutCancel(ctx)
	for _, w := range ws {
		if len(w.codes) == 0 {
			continue
		}
		s.next.Refuse(ctx, session.Refusal{Actor: w.actor, Channel: w.key.channel, From: w.key.from,
			Codes: maps.Clone(w.codes), First: w.first, Last: w.last})
	}
}

// pending is how many windows are open.
func (s *summaries) pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.order.Len()
}
