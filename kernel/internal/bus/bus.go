// Package bus is the kernel's session event bus: deliveries to a session
// outside a request (task progress and results, a decision echoed to the
// proposal's channel), the global feed chat channels push from, their
// durable marks (cursors, which message shows a proposal), and channel
// continuity (the channel each session used last, where a delivery goes).
//
// Contract. An event is stored before anyone is told about it, so a
// channel that reconnects receives what it missed; waiters are woken in
// memory after the store has it. A delivery with no address goes where
// the tenant's delivery policy says (last_used, all, preferred:<channel>).
package bus

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/steward-os/steward/internal/telemetry"
	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// Store is what the bus keeps.
type Store interface {
	store.Events
	store.Marks
	store.Continuity
}

// Bus publishes and reads session events.
type Bus struct {
	st       Store
	delivery string
	now      func() time.Time
	log      *slog.Logger

	mu      sync.Mutex
	waiters map[session.SessionID]chan struct{}
	feed    chan struct{} // closed and replaced when any event is published

	lastMu   sync.Mutex
	lastSeen map[session.SessionID]session.Address // cache of the store's last channel
}

// New returns a Bus. delivery is "last_used", "all" or "preferred:<channel>".
func New(st Store, delivery string, now func() time.Time, log *slog.Logger) *Bus {
	b := &Bus{st: st, delivery: delivery, now: now, log: log, waiters: map[session.SessionID]chan struct{}{}, feed: make(chan struct{}), lastSeen: map[session.SessionID]session.Address{}}
	if w, ok := st.(Watcher); ok {
		b.watch(w) // events appended by other instances wake this one's waiters
	}
	return b
}

// Publish stores an outbound delivery for a session and wakes its waiters.
func (b *Bus) Publish(ctx context.Context, sid session.SessionID, out session.Outbound) {
	ctx, end := telemetry.Stage(ctx, telemetry.StageDeliver) // a task's delivery continues its trace
	defer end(nil)
	if out.To.Channel == "" {
		out.To = b.target(ctx, sid)
	}
	raw, err := json.Marshal(out)
	if err != nil {
		b.log.Error("encode event", "err", err)
		return
	}
	if _, err := b.st.AppendEvent(ctx, sid, b.now(), raw); err != nil {
		b.log.Error("store event", "session", sid, "err", err)
		telemetry.MetricsOf(ctx).Delivery(string(out.To.Channel), "failed")
		return
	}
	telemetry.MetricsOf(ctx).Delivery(string(out.To.Channel), "published")
	b.wake(sid)
}

// target is where an unaddressed delivery goes (CHAN-07): the channel the
// actor used most recently, a preferred channel, or (for "all") nowhere in
// particular, so every channel of the session takes it.
func (b *Bus) target(ctx context.Context, sid session.SessionID) session.Address {
	switch {
	case b.delivery == "last_used":
		return b.LastUsed(ctx, sid)
	case strings.HasPrefix(b.delivery, "preferred:"):
		return session.Address{Channel: session.ChannelID(strings.TrimPrefix(b.delivery, "preferred:"))}
	}
	return session.Address{}
}

// Events returns a session's events after an id; with wait > 0 it blocks
// until one arrives, the wait ends or ctx is done (long poll).
func (b *Bus) Events(ctx context.Context, sid session.SessionID, after int64, wait time.Duration) ([]session.Event, error) {
	return waitEvents(ctx, wait, func() chan struct{} {
		b.mu.Lock()
		defer b.mu.Unlock()
		ch, ok := b.waiters[sid]
		if !ok {
			ch = make(chan struct{})
			b.waiters[sid] = ch
		}
		return ch
	}, func() ([]store.Event, error) { return b.st.Events(ctx, sid, after, 200) })
}

// Feed returns the events of every session after an id, oldest first,
// waiting up to wait for one to arrive. It is for channels that push to a
// platform: they read the whole feed, keep their own cursor (a mark), and
// deliver the events addressed to them.
func (b *Bus) Feed(ctx context.Context, after int64, wait time.Duration) ([]session.Event, error) {
	return waitEvents(ctx, wait, func() chan struct{} {
		b.mu.Lock()
		defer b.mu.Unlock()
		return b.feed
	}, func() ([]store.Event, error) { return b.st.AllEvents(ctx, after, 200) })
}

// LastEventID is the id of the newest event (0 when there is none): where
// a channel starts reading the feed the first time it runs.
func (b *Bus) LastEventID(ctx context.Context) (int64, error) { return b.st.LastEventID(ctx) }

// waitEvents reads events with fetch until there are some, wait has
// passed or ctx has ended. signal returns the channel closed at the next
// publish; it is taken before each read, so no event slips between the
// read and the wait.
func waitEvents(ctx context.Context, wait time.Duration, signal func() chan struct{}, fetch func() ([]store.Event, error)) ([]session.Event, error) {
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for {
		ch := signal()
		evs, err := fetch()
		if err != nil || len(evs) > 0 || wait <= 0 {
			return views(evs), err
		}
		select {
		case <-ch:
		case <-deadline.C:
			return nil, nil
		case <-ctx.Done():
			return nil, nil
		}
	}
}

// views decodes stored events; one that cannot be decoded keeps its raw
// form out of the view (its Out is empty) rather than being dropped.
func views(evs []store.Event) []session.Event {
	if evs == nil {
		return nil
	}
	out := make([]session.Event, len(evs))
	for i, e := range evs {
		out[i] = session.Event{ID: e.ID, Session: e.Session, At: e.At}
		_ = json.Unmarshal(e.Out, &out[i].Out)
	}
	return out
}
