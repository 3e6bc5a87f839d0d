package storetest

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

var eventChecks = []check{
	{"EmptyStore", eventsEmpty},
	{"IDsGrowAcrossSessions", eventIDsGrow},
	{"SessionEventsAfter", sessionEvents},
	{"AllEventsAfter", allEvents},
}

var continuityChecks = []check{
	{"LastChannelIsLastTouch", continuityLast},
	{"UnknownSessionIsZero", continuityUnknown},
}

// appendEvents stores one event per session, in order, and returns them
// as stored.
func appendEvents(t *testing.T, b store.Backend, sessions ...session.SessionID) []store.Event {
	t.Helper()
	events := make([]store.Event, len(sessions))
	for i, sid := range sessions {
		e := store.Event{Session: sid, At: at(i), Out: json.RawMessage(fmt.Sprintf(`{"parts":[{"text":"event %d"}]}`, i))}
		id, err := b.AppendEvent(t.Context(), sid, e.At, e.Out)
		must(t, err)
		e.ID = id
		events[i] = e
	}
	return events
}

// pick returns the events at the indexes.
func pick(events []store.Event, idx ...int) []store.Event {
	var out []store.Event
	for _, i := range idx {
		out = append(out, events[i])
	}
	return out
}

// eventsEmpty: no events anywhere, and LastEventID is 0.
func eventsEmpty(t *testing.T, b store.Backend) {
	last, err := b.LastEventID(t.Context())
	must(t, err)
	same(t, "last event id", last, int64(0))
	all, err := b.AllEvents(t.Context(), 0, 10)
	must(t, err)
	same(t, "all events", len(all), 0)
}

// eventIDsGrow: ids grow across sessions and LastEventID is the newest.
func eventIDsGrow(t *testing.T, b store.Backend) {
	events := appendEvents(t, b, "s1", "s2", "s1")
	if events[0].ID <= 0 || events[1].ID <= events[0].ID || events[2].ID <= events[1].ID {
		t.Fatalf("ids %d, %d, %d do not grow", events[0].ID, events[1].ID, events[2].ID)
	}
	last, err := b.LastEventID(t.Context())
	must(t, err)
	same(t, "last event id", last, events[2].ID)
}

// sessionEvents: Events returns the session's events after an id, oldest
// first, at most limit of them. Today: a limit of 0 means 500.
func sessionEvents(t *testing.T, b store.Backend) {
	ev := appendEvents(t, b, "s1", "s2", "s1", "s1", "s2")
	for _, c := range []struct {
		name  string
		sid   session.SessionID
		after int64
		limit int
		want  []store.Event
	}{
		{"all of s1", "s1", 0, 10, pick(ev, 0, 2, 3)},
		{"s1 after its first", "s1", ev[0].ID, 10, pick(ev, 2, 3)},
		{"s1 after another session's", "s1", ev[1].ID, 10, pick(ev, 2, 3)},
		{"s1 limit 2", "s1", 0, 2, pick(ev, 0, 2)},
		{"s1 limit 0", "s1", 0, 0, pick(ev, 0, 2, 3)},
		{"s1 after its last", "s1", ev[3].ID, 10, nil},
		{"s2", "s2", 0, 10, pick(ev, 1, 4)},
		{"unknown session", "s9", 0, 10, nil},
	} {
		got, err := b.Events(t.Context(), c.sid, c.after, c.limit)
		must(t, err)
		same(t, c.name, got, c.want)
	}
}

// allEvents: AllEvents returns every session's events after an id, oldest
// first, at most limit of them. Today: a limit of 0 means 500.
func allEvents(t *testing.T, b store.Backend) {
	ev := appendEvents(t, b, "s1", "s2", "s1", "s3")
	for _, c := range []struct {
		name  string
		after int64
		limit int
		want  []store.Event
	}{
		{"all", 0, 10, ev},
		{"after the second", ev[1].ID, 10, ev[2:]},
		{"limit 2", 0, 2, ev[:2]},
		{"after the first, limit 2", ev[0].ID, 2, ev[1:3]},
		{"limit 0", 0, 0, ev},
		{"after the last", ev[3].ID, 10, nil},
	} {
		got, err := b.AllEvents(t.Context(), c.after, c.limit)
		must(t, err)
		same(t, c.name, got, c.want)
	}
}

// continuityLast: LastChannel is the address of the session's last touch,
// per session.
func continuityLast(t *testing.T, b store.Backend) {
	web := session.Address{Channel: "web", Account: "u1", Chat: "c1"}
	tg := session.Address{Channel: "telegram", Account: "42"}
	for _, c := range []struct {
		sid  session.SessionID
		from session.Address
	}{{"s1", web}, {"s2", web}, {"s1", tg}} {
		must(t, b.TouchSession(t.Context(), c.sid, c.from, at(1)))
	}
	for sid, want := range map[session.SessionID]session.Address{"s1": tg, "s2": web} {
		got, err := b.LastChannel(t.Context(), sid)
		must(t, err)
		same(t, "last channel of "+string(sid), got, want)
	}
}

// continuityUnknown: a session never touched has the zero Address. Today:
// with ErrNotFound (callers use the address and ignore the error).
func continuityUnknown(t *testing.T, b store.Backend) {
	got, err := b.LastChannel(t.Context(), "s_nope")
	wantErr(t, err, store.ErrNotFound)
	same(t, "address", got, session.Address{})
}
