package alerts

import (
	"fmt"
	"strings"
	"time"

	"github.com/steward-os/steward/session"
)

// OnCall is who a schedule has on call at t: an override covering t wins
// (the latest listed), else the rotation's turn at t.
func (s Schedule) OnCall(t time.Time) session.ActorID {
	for i := len(s.Overrides) - 1; i >= 0; i-- {
		o := s.Overrides[i]
		if !t.Before(o.From) && t.Before(o.To) {
			return session.ActorID(o.Actor)
		}
	}
	if len(s.Rotation) == 0 || s.Shift <= 0 {
		return ""
	}
	n := int64(t.Sub(s.Start) / s.Shift.D())
	if t.Before(s.Start) {
		n = -int64(s.Start.Sub(t)/s.Shift.D()) - 1
	}
	i := n % int64(len(s.Rotation))
	if i < 0 {
		i += int64(len(s.Rotation))
	}
	return session.ActorID(s.Rotation[i])
}

// Targets are the people a level pages at t, in order, each once.
func (t Tenant) Targets(l Level, at time.Time) []session.ActorID {
	var out []session.ActorID
	seen := map[session.ActorID]bool{}
	for _, tg := range l.Targets {
		kind, name, _ := strings.Cut(tg, ":")
		var who session.ActorID
		switch kind {
		case "schedule":
			who = t.Schedules[name].OnCall(at)
		case "user":
			who = session.ActorID(name)
		}
		if who != "" && !seen[who] {
			seen[who] = true
			out = append(out, who)
		}
	}
	return out
}

func (q Quiet) zone() (*time.Location, error) {
	if q.Zone == "" {
		return time.UTC, nil
	}
	return time.LoadLocation(q.Zone)
}

// clock parses "HH:MM" into minutes after midnight.
func clock(s string) (int, error) {
	var h, m int
	if _, err := fmt.Sscanf(s, "%d:%d", &h, &m); err != nil || h < 0 || h > 23 || m < 0 || m > 59 || len(s) != 5 {
		return 0, fmt.Errorf("want HH:MM, got %q", s)
	}
	return h*60 + m, nil
}

// Holds reports whether t falls in the quiet hours and, when it does,
// when they end. Hours that wrap midnight ("22:00" to "07:00") hold from
// the evening into the morning.
func (q *Quiet) Holds(t time.Time) (bool, time.Time) {
	if q == nil {
		return false, time.Time{}
	}
	loc, err := q.zone()
	from, err1 := clock(q.From)
	to, err2 := clock(q.To)
	if err != nil || err1 != nil || err2 != nil || from == to {
		return false, time.Time{}
	}
	lt := t.In(loc)
	now := lt.Hour()*60 + lt.Minute()
	midnight := time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, loc)
	end := func(dayOffset int) time.Time {
		return midnight.AddDate(0, 0, dayOffset).Add(time.Duration(to) * time.Minute).UTC()
	}
	switch {
	case from < to && now >= from && now < to:
		return true, end(0)
	case from > to && now >= from:
		return true, end(1)
	case from > to && now < to:
		return true, end(0)
	}
	return false, time.Time{}
}
