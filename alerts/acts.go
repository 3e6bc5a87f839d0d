package alerts

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// Error is a refusal with a stable code (session.StableError).
type Error struct{ Code, Message string }

func (e *Error) Error() string                  { return e.Code + ": " + e.Message }
func (e *Error) Stable() (code, message string) { return e.Code, e.Message }
func badRequest(msg string) error               { return &Error{Code: session.CodeBadRequest, Message: msg} }
func notFound() error                           { return &Error{Code: session.CodeNotFound, Message: "No such alert."} }
func closedAlert(state session.AlertState) error {
	return &Error{Code: session.CodeAlertClosed, Message: fmt.Sprintf("That alert is %s; there is nothing to do.", state)}
}

// Act carries out a person's act on an alert of their tenant (an empty
// id: the newest open alert that paged them, else the tenant's newest open
// one) and returns the card as it now stands. Every copy posted is edited.
func (s *Service) Act(ctx context.Context, a session.Actor, act session.AlertAct) (session.AlertCard, error) {
	id, err := s.pick(ctx, a, act.Alert)
	if err != nil {
		return session.AlertCard{}, err
	}
	for range 5 { // a concurrent change: read again and retry
		e, err := s.p.Store.Episode(ctx, id)
		if err != nil || e.Tenant != a.Tenant {
			return session.AlertCard{}, notFound()
		}
		unlock := s.lock(e.Tenant, e.Source, e.Fingerprint)
		now := s.p.Clock().UTC()
		ch, err := s.actChange(e, a, act, now)
		if err != nil {
			unlock()
			return session.AlertCard{}, err
		}
		s.expand(ctx, &ch, now)
		_, err = s.p.Store.ApplyAlert(ctx, ch)
		unlock()
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			return session.AlertCard{}, fmt.Errorf("act: %w", err)
		}
		n := ch.Episode
		n.Version++
		s.audit(ctx, a.Tenant, a.ID, KindState, map[string]any{"alert": n.ID, "act": act.Kind, "from": e.State, "to": n.State,
			"channel": act.From.Channel, "snoozed_until": n.SnoozedUntil})
		s.editCopies(ctx, n)
		s.runDue(ctx)
		return s.card(ctx, n, ""), nil
	}
	return session.AlertCard{}, &Error{Code: session.CodeUnavailable, Message: "The alert is changing too fast; try again."}
}

// pick is the alert an act names, or the one a bare typed command means.
func (s *Service) pick(ctx context.Context, a session.Actor, id session.AlertID) (session.AlertID, error) {
	if id != "" {
		return id, nil
	}
	open, err := s.p.Store.Episodes(ctx, a.Tenant, true, 50)
	if err != nil {
		return "", fmt.Errorf("act: %w", err)
	}
	for _, e := range open {
		steps, err := s.p.Store.Steps(ctx, e.ID)
		if err != nil {
			return "", fmt.Errorf("act: %w", err)
		}
		for _, st := range steps {
			if st.Kind == store.AlertStepNotify && st.Actor == a.ID && st.State == store.AlertStepSent {
				return e.ID, nil
			}
		}
	}
	if len(open) > 0 {
		return open[0].ID, nil
	}
	return "", &Error{Code: session.CodeNotFound, Message: "No alert is open."}
}

// actChange is what an act does to an episode.
func (s *Service) actChange(e store.EpisodeRow, a session.Actor, act session.AlertAct, now time.Time) (store.AlertChange, error) {
	n := e
	n.Updated = now
	switch act.Kind {
	case session.AlertAck:
		if !(e.State == session.AlertFiring || e.State == session.AlertSnoozed) {
			return store.AlertChange{}, closedAlert(e.State)
		}
		n.State, n.AckedBy, n.SnoozedUntil = session.AlertAcknowledged, a.ID, time.Time{}
		return store.AlertChange{Episode: n, Cancel: true}, nil
	case session.AlertUnack:
		if e.State != session.AlertAcknowledged {
			return store.AlertChange{}, &Error{Code: session.CodeAlertClosed, Message: fmt.Sprintf("That alert is %s, not acknowledged.", e.State)}
		}
		n.State, n.AckedBy, n.Round, n.Level = session.AlertFiring, "", e.Round+1, 0
		return store.AlertChange{Episode: n, Schedule: []store.StepRow{levelStep(n, 0, now, "")}}, nil
	case session.AlertSnooze:
		if act.For < time.Minute || act.For > session.MaxSnooze {
			return store.AlertChange{}, badRequest("A snooze lasts from 1 minute to 24 hours, for example \"snooze 30m\".")
		}
		if !(e.State == session.AlertFiring || e.State == session.AlertSnoozed) {
			return store.AlertChange{}, closedAlert(e.State)
		}
		n.State, n.SnoozedUntil = session.AlertSnoozed, now.Add(act.For)
		wake := store.StepRow{Key: fmt.Sprintf("%s/wake/%d", e.ID, e.Version), Episode: e.ID, Tenant: e.Tenant, Kind: store.AlertStepWake,
			Round: e.Round, Due: n.SnoozedUntil}
		return store.AlertChange{Episode: n, Cancel: true, Schedule: []store.StepRow{wake}}, nil
	case session.AlertResolve:
		if e.State == session.AlertResolved {
			return store.AlertChange{}, closedAlert(e.State)
		}
		n.State, n.Resolved, n.SnoozedUntil = session.AlertResolved, now, time.Time{}
		return store.AlertChange{Episode: n, Cancel: true}, nil
	case session.AlertEscalate:
		if e.State != session.AlertFiring {
			return store.AlertChange{}, closedAlert(e.State)
		}
		next := e.Level + 1
		if next >= len(s.policy(e.Tenant).Levels) {
			return store.AlertChange{}, &Error{Code: session.CodeAlertClosed, Message: "There is no higher escalation level."}
		}
		return store.AlertChange{Episode: n, Schedule: []store.StepRow{levelStep(e, next, now, fmt.Sprintf("/x%d", e.Version))}}, nil
	}
	return store.AlertChange{}, badRequest("Unknown act: want ack, unack, snooze, resolve or escalate.")
}

// policy is the tenant's escalation policy (the zero one when none).
func (s *Service) policy(t session.TenantID) Policy {
	tc := s.cfg.tenantOf(t)
	return tc.Policies[tc.Policy]
}
