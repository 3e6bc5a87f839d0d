package alerts

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// Run carries out due steps until ctx ends: every tick, and at once when
// a receive or an act scheduled one. Call Recover first.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(s.cfg.Tick.D())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.kick:
		}
		if err := s.Tick(ctx); err != nil && ctx.Err() == nil {
			s.p.Log.ErrorContext(ctx, "alert steps", "err", err)
		}
	}
}

// runDue carries out the steps due now, in the caller (a first page goes
// out before the receive answers).
func (s *Service) runDue(ctx context.Context) {
	if err := s.Tick(ctx); err != nil {
		s.p.Log.ErrorContext(ctx, "alert steps", "err", err)
	}
}

// Tick carries out every step due by the clock's now, until none is.
func (s *Service) Tick(ctx context.Context) error {
	for range 20 {
		due, err := s.p.Store.DueSteps(ctx, s.p.Clock(), 100)
		if err != nil || len(due) == 0 {
			return err
		}
		var errs []error
		for _, st := range due {
			won, err := s.p.Store.ClaimStep(ctx, st.Key, s.p.Clock().UTC(), s.mark(ctx))
			if err != nil || !won {
				errs = append(errs, err)
				continue
			}
			errs = append(errs, s.carry(ctx, st))
		}
		if err := errors.Join(errs...); err != nil {
			return err
		}
	}
	return nil
}

// mark is the newest event id, noted when a step is claimed: a notify
// step's page, if it went out, is an event after it.
func (s *Service) mark(ctx context.Context) int64 {
	id, err := s.p.Store.LastEventID(ctx)
	if err != nil {
		return 0
	}
	return id
}

// Recover finishes the steps a stopped process claimed and never
// finished: a page found on the session bus is finished as sent, any
// other step is carried out again (scheduling is idempotent by key).
func (s *Service) Recover(ctx context.Context) error {
	claimed, err := s.p.Store.ClaimedSteps(ctx)
	if err != nil {
		return fmt.Errorf("recover alert steps: %w", err)
	}
	var errs []error
	for _, st := range claimed {
		if st.Kind == store.AlertStepNotify {
			if ev, ok := s.posted(ctx, st); ok {
				_, err := s.p.Store.FinishStep(ctx, st.Key, store.AlertStepSent, s.p.Clock().UTC(), ev, "found after restart")
				errs = append(errs, err)
				continue
			}
		}
		errs = append(errs, s.carry(ctx, st))
	}
	return errors.Join(errs...)
}

// posted finds the event that carried a notify step, after its mark.
func (s *Service) posted(ctx context.Context, st store.StepRow) (int64, bool) {
	sid := session.SessionFor(session.Actor{Tenant: st.Tenant, ID: st.Actor})
	after := st.Mark
	for {
		evs, err := s.p.Store.Events(ctx, sid, after, 500)
		if err != nil || len(evs) == 0 {
			return 0, false
		}
		for _, ev := range evs {
			var out session.Outbound
			if err := out.UnmarshalJSON(ev.Out); err != nil {
				continue
			}
			for _, p := range out.Parts {
				if c, ok := p.(*session.AlertCard); ok && c.Step == st.Key {
					return ev.ID, true
				}
			}
		}
		after = evs[len(evs)-1].ID
	}
}

// carry carries out a claimed step and finishes it.
func (s *Service) carry(ctx context.Context, st store.StepRow) error {
	e, err := s.p.Store.Episode(ctx, st.Episode)
	if err != nil {
		return fmt.Errorf("step %s: %w", st.Key, err)
	}
	state, note := store.AlertStepDone, ""
	var ev int64
	switch st.Kind {
	case store.AlertStepLevel:
		state, note, err = s.page(ctx, e, st)
	case store.AlertStepNotify:
		state, note, err = s.notify(ctx, e, st)
	case store.AlertStepWake:
		state, note, err = s.wake(ctx, e, st)
	case store.AlertStepDigest:
		state, note, err = s.digest(ctx, st)
	}
	if err != nil {
		return fmt.Errorf("step %s: %w", st.Key, err)
	}
	_, err = s.p.Store.FinishStep(ctx, st.Key, state, s.p.Clock().UTC(), ev, note)
	return err
}

// current reports whether a step still belongs to the episode's state:
// the same round, and the episode firing.
func current(e store.EpisodeRow, st store.StepRow) bool {
	return e.State == session.AlertFiring && e.Round == st.Round
}

// page pages a level: its targets' notification steps, and the next
// level after its delay.
func (s *Service) page(ctx context.Context, e store.EpisodeRow, st store.StepRow) (store.AlertStepState, string, error) {
	if !current(e, st) || (st.Level > 0 && e.Level >= st.Level) {
		return store.AlertStepSkipped, "not firing, or the level was reached", nil
	}
	sched, targets := s.levelSchedule(ctx, e, st, s.p.Clock().UTC())
	for range 5 {
		n := e
		n.Level = max(e.Level, st.Level)
		_, err := s.p.Store.ApplyAlert(ctx, store.AlertChange{Episode: n, Schedule: sched})
		if !errors.Is(err, store.ErrConflict) {
			return store.AlertStepDone, fmt.Sprintf("%d people paged", targets), err
		}
		if e, err = s.p.Store.Episode(ctx, e.ID); err != nil {
			return "", "", err
		}
		if !current(e, st) {
			return store.AlertStepSkipped, "changed while paging", nil
		}
	}
	return "", "", store.ErrConflict
}

// levelSchedule is what paging a level schedules: its targets'
// notifications and the next level after its delay.
func (s *Service) levelSchedule(ctx context.Context, e store.EpisodeRow, st store.StepRow, now time.Time) ([]store.StepRow, int) {
	levels := s.policy(e.Tenant).Levels
	var targets []session.ActorID
	if st.Level < len(levels) {
		targets = s.cfg.tenantOf(e.Tenant).Targets(levels[st.Level], now)
	}
	if len(targets) == 0 {
		s.audit(ctx, e.Tenant, "", KindNoRoute, map[string]any{"alert": e.ID, "level": st.Level, "reason": "nobody is on call at this level"})
	}
	var sched []store.StepRow
	for _, who := range targets {
		sched = append(sched, s.notifySteps(ctx, e, st, who, now)...)
	}
	if next := st.Level + 1; next < len(levels) {
		sched = append(sched, levelStep(e, next, now.Add(levels[next].Delay.D()), ""))
	}
	return sched, len(targets)
}

// expand pages a round's first level in the change that starts the round
// (one commit instead of a level step of its own, so the first page
// leaves sooner); the steps it schedules have the keys the level step
// would have given them.
func (s *Service) expand(ctx context.Context, ch *store.AlertChange, now time.Time) {
	out := make([]store.StepRow, 0, len(ch.Schedule))
	for _, st := range ch.Schedule {
		if st.Kind == store.AlertStepLevel && st.Level == 0 && !st.Due.After(now) {
			sched, _ := s.levelSchedule(ctx, ch.Episode, st, now)
			out = append(out, sched...)
			continue
		}
		out = append(out, st)
	}
	ch.Schedule = out
}

// notifySteps are one person's notifications of a level, by their rules
// for the severity; the channels they have no link on are left out and,
// when none is left, they are warned about and notified on every channel
// of their session (the delivery policy).
func (s *Service) notifySteps(ctx context.Context, e store.EpisodeRow, st store.StepRow, who session.ActorID, now time.Time) []store.StepRow {
	rules := s.cfg.tenantOf(e.Tenant).Users[string(who)].rules(e.Severity)
	linked := s.linkedChannels(ctx, e.Tenant, who)
	var keep []Rule
	for _, r := range rules {
		if slices.Contains(linked, session.ChannelID(r.Channel)) || r.Channel == "web" || r.Channel == "api" {
			keep = append(keep, r)
		}
	}
	if len(keep) == 0 {
		if len(rules) > 0 {
			s.audit(ctx, e.Tenant, who, KindNoRoute, map[string]any{"alert": e.ID, "actor": who, "reason": "no channel of the rules is linked"})
			s.p.Log.WarnContext(ctx, "on-call person has no working route", "tenant", e.Tenant, "actor", who)
		}
		keep = []Rule{{}}
	}
	out := make([]store.StepRow, 0, len(keep))
	for i, r := range keep {
		out = append(out, store.StepRow{Key: fmt.Sprintf("%s/%s/%d", st.Key, who, i), Episode: e.ID, Tenant: e.Tenant, Kind: store.AlertStepNotify,
			Round: st.Round, Level: st.Level, Actor: who, Channel: session.ChannelID(r.Channel), Due: now.Add(r.After.D())})
	}
	return out
}

func (s *Service) linkedChannels(ctx context.Context, t session.TenantID, who session.ActorID) []session.ChannelID {
	links, err := s.p.Identity.Links(ctx, session.Actor{Tenant: t, ID: who})
	if err != nil {
		return nil
	}
	out := make([]session.ChannelID, 0, len(links))
	for _, l := range links {
		out = append(out, l.Channel)
	}
	return out
}

// notify sends one notification: held in the person's quiet hours unless
// critical, else the card published on the person's session for the
// rule's channel, with the fix's proposal when there is one.
func (s *Service) notify(ctx context.Context, e store.EpisodeRow, st store.StepRow) (store.AlertStepState, string, error) {
	if !current(e, st) {
		return store.AlertStepSkipped, "no longer firing", nil
	}
	user := s.cfg.tenantOf(e.Tenant).Users[string(st.Actor)]
	now := s.p.Clock().UTC()
	if quiet, until := user.Quiet.Holds(now); quiet && e.Severity != "critical" {
		digest := store.StepRow{Key: fmt.Sprintf("digest/%s/%s/%d", e.Tenant, st.Actor, until.Unix()), Episode: e.ID, Tenant: e.Tenant,
			Kind: store.AlertStepDigest, Actor: st.Actor, Due: until}
		if err := s.schedule(ctx, e, digest); err != nil {
			return "", "", err
		}
		s.audit(ctx, e.Tenant, st.Actor, KindHeld, map[string]any{"alert": e.ID, "step": st.Key, "until": until})
		return store.AlertStepHeld, "quiet hours until " + until.Format(time.RFC3339), nil
	}
	a, ok := s.p.Directory.Lookup(ctx, e.Tenant, st.Actor)
	if !ok {
		s.audit(ctx, e.Tenant, st.Actor, KindFailed, map[string]any{"alert": e.ID, "step": st.Key, "reason": "not in the directory"})
		return store.AlertStepFailed, "unknown actor", nil
	}
	card := s.card(ctx, e, st.Key)
	parts := []session.Part{&card}
	if fix := s.fixFor(ctx, e, a, st.Channel); fix != nil {
		card.Fix = fix.ID
		parts = append(parts, fix)
	}
	s.p.Bus.Publish(ctx, session.SessionFor(a), session.Outbound{To: session.Address{Channel: st.Channel}, Parts: parts})
	s.audit(ctx, e.Tenant, st.Actor, KindNotified, map[string]any{"alert": e.ID, "step": st.Key, "channel": st.Channel, "level": st.Level})
	return store.AlertStepSent, "", nil
}

// schedule adds steps to an episode as it stands.
func (s *Service) schedule(ctx context.Context, e store.EpisodeRow, steps ...store.StepRow) error {
	for range 5 {
		_, err := s.p.Store.ApplyAlert(ctx, store.AlertChange{Episode: e, Schedule: steps})
		if !errors.Is(err, store.ErrConflict) {
			return err
		}
		if e, err = s.p.Store.Episode(ctx, e.ID); err != nil {
			return err
		}
	}
	return store.ErrConflict
}

// wake ends a snooze that is still on: the alert fires again, paged anew.
func (s *Service) wake(ctx context.Context, e store.EpisodeRow, st store.StepRow) (store.AlertStepState, string, error) {
	now := s.p.Clock().UTC()
	if e.State != session.AlertSnoozed || now.Before(e.SnoozedUntil) {
		return store.AlertStepSkipped, "not snoozed any more", nil
	}
	n := e
	n.State, n.SnoozedUntil, n.Round, n.Level, n.Updated = session.AlertFiring, time.Time{}, e.Round+1, 0, now
	ch := store.AlertChange{Episode: n, Schedule: []store.StepRow{levelStep(n, 0, now, "")}}
	s.expand(ctx, &ch, now)
	if _, err := s.p.Store.ApplyAlert(ctx, ch); err != nil {
		return "", "", err
	}
	n.Version++
	s.audit(ctx, e.Tenant, "", KindState, map[string]any{"alert": e.ID, "act": "snooze_ended", "from": e.State, "to": n.State})
	s.editCopies(ctx, n)
	s.poke()
	return store.AlertStepDone, "", nil
}

// digest sends a person, at the end of their quiet hours, what was held
// for them that is still open.
func (s *Service) digest(ctx context.Context, st store.StepRow) (store.AlertStepState, string, error) {
	held, err := s.p.Store.HeldSteps(ctx, st.Tenant, st.Actor)
	if err != nil {
		return "", "", err
	}
	a, ok := s.p.Directory.Lookup(ctx, st.Tenant, st.Actor)
	if !ok {
		return store.AlertStepFailed, "unknown actor", nil
	}
	parts := []session.Part{&session.Text{Text: "While your quiet hours held them, these alerts fired:"}}
	seen := map[session.AlertID]bool{}
	for _, h := range held {
		if seen[h.Episode] || h.Done.After(st.Due) {
			continue
		}
		seen[h.Episode] = true
		if e, err := s.p.Store.Episode(ctx, h.Episode); err == nil && e.State != session.AlertResolved {
			c := s.card(ctx, e, "")
			parts = append(parts, &c)
		}
	}
	if len(parts) == 1 {
		return store.AlertStepSkipped, "nothing held is still open", nil
	}
	s.p.Bus.Publish(ctx, session.SessionFor(a), session.Outbound{Parts: parts})
	s.audit(ctx, st.Tenant, st.Actor, KindNotified, map[string]any{"digest": st.Key, "alerts": len(parts) - 1})
	return store.AlertStepSent, "", nil
}

func (s *Service) poke() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// editCopies publishes the card as it stands to every copy posted, as an
// edit (a channel never posts an edit where it has no copy).
func (s *Service) editCopies(ctx context.Context, e store.EpisodeRow) {
	steps, err := s.p.Store.Steps(ctx, e.ID)
	if err != nil {
		s.p.Log.ErrorContext(ctx, "alert copies", "alert", e.ID, "err", err)
		return
	}
	type copyAt struct {
		actor session.ActorID
		ch    session.ChannelID
	}
	done := map[copyAt]bool{}
	card := s.card(ctx, e, "")
	card.Edit = true
	for _, st := range steps {
		k := copyAt{st.Actor, st.Channel}
		if st.Kind != store.AlertStepNotify || st.State != store.AlertStepSent || done[k] {
			continue
		}
		done[k] = true
		c := card
		sid := session.SessionFor(session.Actor{Tenant: e.Tenant, ID: st.Actor})
		s.p.Bus.Publish(ctx, sid, session.Outbound{To: session.Address{Channel: st.Channel}, Parts: []session.Part{&c}})
	}
}
