package alerts

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// Store is what the service keeps and reads: its episodes and schedule,
// the session events (to find a page a crash left unconfirmed) and the
// ledger's facts (an alert's series).
type Store interface {
	store.Alerts
	Events(ctx context.Context, sid session.SessionID, after int64, limit int) ([]store.Event, error)
	LastEventID(ctx context.Context) (int64, error)
	Fact(ctx context.Context, id int64) (session.Fact, error)
}

// Publisher is the session bus: an outbound stored for a session, then
// its channels told.
type Publisher interface {
	Publish(ctx context.Context, sid session.SessionID, out session.Outbound)
}

// Auditor writes audit records durably.
type Auditor interface {
	Write(ctx context.Context, tenant session.TenantID, actor session.ActorID, turn session.TurnID, kind string, data any) error
}

// Turns runs a structured call as a turn of its actor (a fix becomes a
// proposal there, never a dispatch past its confirmation).
type Turns interface {
	Handle(ctx context.Context, a session.Actor, in session.Inbound) (session.Outbound, error)
}

// Audit record kinds the service writes.
const (
	KindReceived = "alert_received"
	KindRefused  = "alert_refused"
	KindState    = "alert_state"
	KindNotified = "alert_notified"
	KindHeld     = "alert_held"
	KindFailed   = "alert_notify_failed"
	KindNoRoute  = "alert_no_route"
	KindFix      = "alert_fix_proposed"
)

// Parts are the service's collaborators.
type Parts struct {
	Store     Store
	Bus       Publisher
	Identity  session.Identity
	Directory session.Directory
	Turns     Turns // nil: fixes are not proposed
	Audit     Auditor
	Log       *slog.Logger
	Clock     func() time.Time
}

// Service receives alerts, pages people and carries out their acts.
type Service struct {
	cfg   Config
	p     Parts
	locks [64]sync.Mutex
	kick  chan struct{}
}

// New returns a Service; cfg is validated (and its defaults filled).
func New(cfg Config, p Parts) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if p.Store == nil || p.Bus == nil || p.Identity == nil || p.Directory == nil || p.Audit == nil {
		return nil, errors.New("alerts: Store, Bus, Identity, Directory and Audit are required")
	}
	if p.Log == nil {
		p.Log = slog.New(slog.DiscardHandler)
	}
	if p.Clock == nil {
		p.Clock = time.Now
	}
	return &Service{cfg: cfg, p: p, kick: make(chan struct{}, 1)}, nil
}

// Alert is one report from a source.
type Alert struct {
	Tenant      session.TenantID
	Source      string // "alertmanager", "api", "profile"
	Fingerprint string
	Severity    string
	Title       string
	Summary     string
	Resource    string
	Labels      map[string]string
	Evidence    []int64
	Fix         json.RawMessage
	Resolved    bool
	// Receipt is the report's idempotency key: a report with a receipt
	// seen before changes nothing. Empty: every report counts.
	Receipt string
	// By is who reported it (an API caller; the source's name otherwise).
	By session.ActorID
}

// Outcome says what a receive did.
type Outcome struct {
	Alert     session.AlertID    `json:"alert_id,omitempty"`
	State     session.AlertState `json:"state,omitempty"`
	Count     int                `json:"count,omitempty"`
	Duplicate bool               `json:"duplicate,omitempty"`
}

func (s *Service) lock(tenant session.TenantID, source, fp string) func() {
	h := fnv.New32a()
	h.Write([]byte(string(tenant) + "\x00" + source + "\x00" + fp))
	m := &s.locks[h.Sum32()%uint32(len(s.locks))]
	m.Lock()
	return m.Unlock
}

// Receive applies one report: a new episode (paged), a repeat (counted,
// copies edited), a re-fire within the flap window (the same episode
// reopened and paged), a resolution (copies edited, pages stopped).
func (s *Service) Receive(ctx context.Context, a Alert) (Outcome, error) {
	a.Severity = normSeverity(a.Severity)
	if a.Tenant == "" || a.Source == "" || a.Fingerprint == "" {
		return Outcome{}, badRequest("An alert needs a tenant, a source and a fingerprint.")
	}
	defer s.lock(a.Tenant, a.Source, a.Fingerprint)()
	now := s.p.Clock().UTC()
	prev, err := s.p.Store.LatestEpisode(ctx, a.Tenant, a.Source, a.Fingerprint)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return Outcome{}, fmt.Errorf("receive: %w", err)
	}
	exists := err == nil
	ch, ok := s.change(prev, exists, a, now)
	if !ok {
		s.audit(ctx, a.Tenant, a.By, KindReceived, map[string]any{"source": a.Source, "fingerprint": a.Fingerprint, "resolved": a.Resolved, "effect": "none"})
		return Outcome{Duplicate: true}, nil
	}
	ch.Receipt = receiptKey(a)
	s.expand(ctx, &ch, now)
	applied, err := s.p.Store.ApplyAlert(ctx, ch)
	if err != nil {
		return Outcome{}, fmt.Errorf("receive: %w", err)
	}
	e := ch.Episode
	out := Outcome{Alert: e.ID, State: e.State, Count: e.Count, Duplicate: !applied}
	effect := "applied"
	if !applied {
		effect = "duplicate"
	}
	s.audit(ctx, a.Tenant, a.By, KindReceived, map[string]any{"source": a.Source, "fingerprint": a.Fingerprint, "alert": e.ID,
		"severity": e.Severity, "state": e.State, "count": e.Count, "resolved": a.Resolved, "effect": effect})
	if !applied {
		return out, nil
	}
	e.Version++
	if exists && prev.ID == e.ID {
		s.editCopies(ctx, e)
	}
	s.runDue(ctx)
	return out, nil
}

// change is what a report does to the condition's latest episode; false
// when it does nothing (a resolution of nothing open).
func (s *Service) change(prev store.EpisodeRow, exists bool, a Alert, now time.Time) (store.AlertChange, bool) {
	open := exists && prev.State != session.AlertResolved
	flapping := exists && !open && now.Sub(prev.Resolved) <= s.cfg.FlapWindow.D()
	switch {
	case a.Resolved && !open:
		return store.AlertChange{}, false
	case a.Resolved:
		e := prev
		e.State, e.Resolved, e.Updated, e.SnoozedUntil = session.AlertResolved, now, now, time.Time{}
		return store.AlertChange{Episode: e, Cancel: true}, true
	case !exists || (!open && !flapping):
		e := store.EpisodeRow{ID: newID(), Tenant: a.Tenant, Source: a.Source, Fingerprint: a.Fingerprint, State: session.AlertFiring,
			Count: 1, Round: 1, Opened: now}
		merge(&e, a, now)
		return store.AlertChange{Episode: e, Schedule: []store.StepRow{levelStep(e, 0, now, "")}}, true
	case !open: // flapping: the same episode again
		e := prev
		merge(&e, a, now)
		e.State, e.Count, e.Round, e.Level, e.Resolved, e.AckedBy = session.AlertFiring, e.Count+1, e.Round+1, 0, time.Time{}, ""
		return store.AlertChange{Episode: e, Schedule: []store.StepRow{levelStep(e, 0, now, "")}}, true
	}
	e := prev
	rise := rank(a.Severity) > rank(e.Severity)
	merge(&e, a, now)
	e.Count++
	if rise && e.State == session.AlertSnoozed { // a severity rise breaks through a snooze
		e.State, e.SnoozedUntil, e.Round, e.Level = session.AlertFiring, time.Time{}, e.Round+1, 0
		return store.AlertChange{Episode: e, Schedule: []store.StepRow{levelStep(e, 0, now, "")}}, true
	}
	if !rise {
		e.Severity = prev.Severity
	}
	return store.AlertChange{Episode: e}, true
}

// merge takes a report's description into an episode.
func merge(e *store.EpisodeRow, a Alert, now time.Time) {
	e.Severity, e.Title, e.Summary, e.Resource, e.Fired, e.Updated = a.Severity, a.Title, a.Summary, a.Resource, now, now
	if e.Title == "" {
		e.Title = a.Fingerprint
	}
	if a.Labels != nil {
		e.Labels = a.Labels
	}
	if len(a.Evidence) > 0 {
		e.Evidence = a.Evidence
	}
	if len(a.Fix) > 0 {
		e.Fix = a.Fix
	}
}

func receiptKey(a Alert) string {
	if a.Receipt == "" {
		return ""
	}
	return string(a.Tenant) + "/" + a.Source + "/" + a.Receipt
}

// levelStep is the step that pages a level of the episode's round.
// Manual escalations carry a suffix, so they never collide with the
// scheduled one.
func levelStep(e store.EpisodeRow, level int, due time.Time, suffix string) store.StepRow {
	return store.StepRow{Key: fmt.Sprintf("%s/r%d/l%d%s", e.ID, e.Round, level, suffix), Episode: e.ID, Tenant: e.Tenant,
		Kind: store.AlertStepLevel, Round: e.Round, Level: level, Due: due}
}

func rank(sev string) int { return slices.Index(severities, sev) }

func normSeverity(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	switch s {
	case "critical", "page", "error", "high":
		return "critical"
	case "info", "none", "low":
		return "info"
	}
	return "warning"
}

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

func newID() session.AlertID {
	var b [10]byte
	_, _ = rand.Read(b[:])
	return session.AlertID("al_" + strings.ToLower(b32.EncodeToString(b[:])))
}

func (s *Service) audit(ctx context.Context, tenant session.TenantID, actor session.ActorID, kind string, data any) {
	if actor == "" {
		actor = "alerts"
	}
	if err := s.p.Audit.Write(context.WithoutCancel(ctx), tenant, actor, "", kind, data); err != nil {
		s.p.Log.ErrorContext(ctx, "audit", "kind", kind, "err", err)
	}
}

// Episodes lists a tenant's alerts, newest first, as cards.
func (s *Service) Episodes(ctx context.Context, tenant session.TenantID, open bool) ([]session.AlertCard, error) {
	rows, err := s.p.Store.Episodes(ctx, tenant, open, 0)
	if err != nil {
		return nil, err
	}
	out := make([]session.AlertCard, 0, len(rows))
	for _, e := range rows {
		out = append(out, s.card(ctx, e, ""))
	}
	return out, nil
}
