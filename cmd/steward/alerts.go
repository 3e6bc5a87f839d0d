package main

import (
	"context"
	"sync"

	"github.com/steward-os/steward/alerts"
	"github.com/steward-os/steward/channels"
	"github.com/steward-os/steward/kernel/audit"
	"github.com/steward-os/steward/profile"
	"github.com/steward-os/steward/session"
)

// alertSlot holds the alerts service once its module (channels.alerts,
// the alerts: block) is provisioned: the channels' typed acts and buttons
// reach it through Core.Alerts, and the profile's refresher raises its
// findings through Sink. Without the block, acts answer unavailable and
// findings are dropped.
type alertSlot struct {
	mu  sync.RWMutex
	svc *alerts.Service
}

func (s *alertSlot) set(svc *alerts.Service) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.svc = svc
}

func (s *alertSlot) get() *alerts.Service {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.svc
}

// Act carries out an act on an alert (session.Alerts).
func (s *alertSlot) Act(ctx context.Context, a session.Actor, act session.AlertAct) (session.AlertCard, error) {
	svc := s.get()
	if svc == nil {
		return session.AlertCard{}, &alerts.Error{Code: session.CodeUnavailable, Message: "Alerts are not configured here."}
	}
	return svc.Act(ctx, a, act)
}

// Raise hands a profile finding to the alerts (profile.Sink).
func (s *alertSlot) Raise(ctx context.Context, f profile.Finding) error {
	svc := s.get()
	if svc == nil {
		return nil
	}
	return svc.Sink().Raise(ctx, f)
}

var _ profile.Sink = (*alertSlot)(nil)

// AlertBacking gives the alerts module the store and an audit writer
// (alerts.Backing).
func (h *host) AlertBacking() (alerts.Store, alerts.Auditor) {
	return h.store, audit.New(h.store, h.masker, nil)
}

// OfferAlerts is told the alerts service when its module is provisioned.
func (h *host) OfferAlerts(svc *alerts.Service) { h.alerts.set(svc) }

// alertTurns answers the typed acts on alerts ("ack", "snooze 30m") of
// every channel that hands text to turns (the web page, the API) with
// the alerts service, and hands every other inbound to the turns.
type alertTurns struct {
	channels.Turns
	slot *alertSlot
}

// Handle carries out a typed act on an alert, or runs the turn.
func (t alertTurns) Handle(ctx context.Context, a session.Actor, in session.Inbound) (session.Outbound, error) {
	if in.Action != nil || in.Call != nil || t.slot.get() == nil {
		return t.Turns.Handle(ctx, a, in)
	}
	act, ok := session.ParseAlertCommand(in.Text)
	if !ok {
		return t.Turns.Handle(ctx, a, in)
	}
	act.From = in.From
	c, err := t.slot.Act(ctx, a, act)
	if err != nil {
		return session.Outbound{To: in.From, Parts: []session.Part{session.ErrorPart(err)}}, nil
	}
	return session.Outbound{To: in.From, Parts: []session.Part{&session.Text{Text: channels.ActDone(act, &c)}, &c}}, nil
}
