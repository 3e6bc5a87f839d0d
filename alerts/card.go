package alerts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// card is an episode as a card; step names the notification it posts.
func (s *Service) card(ctx context.Context, e store.EpisodeRow, step string) session.AlertCard {
	c := session.AlertCard{ID: e.ID, Severity: e.Severity, State: e.State, Title: e.Title, Summary: e.Summary, Source: e.Source,
		Resource: e.Resource, Count: e.Count, Since: e.Opened, AckedBy: e.AckedBy, Step: step}
	if !e.SnoozedUntil.IsZero() {
		t := e.SnoozedUntil
		c.SnoozedUntil = &t
	}
	c.Series, c.Unit = s.series(ctx, e)
	return c
}

// observation is one recorded value in a fact's output.
type observation struct {
	Series   string    `json:"series"`
	Resource string    `json:"resource"`
	Value    *float64  `json:"value"`
	Unit     string    `json:"unit"`
	At       time.Time `json:"at"`
}

// series reads the observations an alert rests on from the ledger: each
// fact's recorded values, never a narrated one. A fact's output is one
// observation ({"value":…}) or a probe's {"observations":[…]}, of which
// those of the alert's resource (and series, when its labels name one)
// are taken; the first series found is the one drawn.
func (s *Service) series(ctx context.Context, e store.EpisodeRow) ([]session.AlertPoint, string) {
	var out []session.AlertPoint
	unit, series := "", e.Labels["series"]
	for _, id := range e.Evidence {
		f, err := s.p.Store.Fact(ctx, id)
		if err != nil || !f.OK {
			continue
		}
		for _, o := range observations(f.Output) {
			if o.Value == nil || (e.Resource != "" && o.Resource != "" && o.Resource != e.Resource) || (series != "" && o.Series != series) {
				continue
			}
			series = o.Series
			at := o.At
			if at.IsZero() {
				at = f.At
			}
			if unit == "" {
				unit = o.Unit
			}
			out = append(out, session.AlertPoint{At: at, Value: *o.Value, Fact: id})
		}
	}
	return out, unit
}

// observations are the values a fact's output records.
func observations(raw json.RawMessage) []observation {
	var o struct {
		observation
		Observations []observation `json:"observations"`
	}
	if json.Unmarshal(raw, &o) != nil {
		return nil
	}
	if o.Value != nil {
		return []observation{o.observation}
	}
	return o.Observations
}

// fixFor makes an episode's suggested fix a proposal of the person paged
// (once per person: the turn's dedupe key returns the same answer), and
// returns its card; nil when there is no fix or it could not be proposed.
// The proposal is an ordinary one: confirming it is a separate decision,
// with the confirmation its level needs.
func (s *Service) fixFor(ctx context.Context, e store.EpisodeRow, a session.Actor, ch session.ChannelID) *session.ProposalCard {
	if len(e.Fix) == 0 || s.p.Turns == nil {
		return nil
	}
	var call session.Call
	if err := json.Unmarshal(e.Fix, &call); err != nil || call.Tool == "" {
		return nil
	}
	// The first channel that carried it stays the proposal's origin, so
	// the turn's dedupe key gives the same proposal on every channel.
	first, seen := e.Fixes[string(a.ID)]
	if seen {
		ch = session.ChannelID(first)
	} else if ch == "" {
		ch = "alerts"
	}
	in := session.Inbound{ID: fmt.Sprintf("alertfix:%s:r%d", e.ID, e.Round), From: session.Address{Channel: ch}, Call: &call, At: s.p.Clock()}
	out, err := s.p.Turns.Handle(ctx, a, in)
	if err != nil {
		s.p.Log.ErrorContext(ctx, "propose fix", "alert", e.ID, "err", err)
		return nil
	}
	for _, p := range out.Parts {
		if pc, ok := p.(*session.ProposalCard); ok {
			if !seen {
				s.update(ctx, e.ID, func(n *store.EpisodeRow) { n.Fixes = mapWith(n.Fixes, string(a.ID), string(ch)) })
			}
			s.audit(ctx, e.Tenant, a.ID, KindFix, map[string]any{"alert": e.ID, "proposal": pc.ID, "tool": pc.Tool})
			return pc
		}
	}
	return nil
}

// update changes an episode as it stands, retried on a concurrent change;
// a failure is logged.
func (s *Service) update(ctx context.Context, id session.AlertID, change func(*store.EpisodeRow)) {
	for range 5 {
		e, err := s.p.Store.Episode(ctx, id)
		if err != nil {
			break
		}
		change(&e)
		if _, err = s.p.Store.ApplyAlert(ctx, store.AlertChange{Episode: e}); err == nil {
			return
		} else if !errors.Is(err, store.ErrConflict) {
			s.p.Log.ErrorContext(ctx, "update alert", "alert", id, "err", err)
			return
		}
	}
}

func mapWith(m map[string]string, k, v string) map[string]string {
	out := make(map[string]string, len(m)+1)
	for a, b := range m {
		out[a] = b
	}
	out[k] = v
	return out
}
