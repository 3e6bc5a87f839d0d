package redis

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// Alerts: an episode is the JSON string {g}:alert:ep:<id>, listed per
// tenant in {t:T}:alerts (and, while open, {t:T}:alerts:open) by creation
// order, per condition in {t:T}:alert:cond:<source>\x00<fingerprint>; the
// open episode of a condition is {t:T}:alert:opencond:<…>. A step is the
// hash {g}:alert:step:<key> (row, seq), listed per episode in
// {g}:alert:steps:<episode>, and by state: pending in {g}:alert:pending
// (by due time), claimed in {g}:alert:claimed, held in
// {t:T}:alert:held:<actor>. A receipt is {g}:alert:receipt:<key}. Every
// change is a WATCH transaction, so of concurrent writers exactly one
// commits.

func (s *Store) epKey(id session.AlertID) string { return s.g("alert", "ep", string(id)) }
func (s *Store) stepKey(key string) string       { return s.g("alert", "step", key) }
func (s *Store) condKey(e store.EpisodeRow, kind string) string {
	return s.t(e.Tenant, "alert", kind, e.Source+"\x00"+e.Fingerprint)
}

// ApplyAlert stores a change to an episode in one commit.
func (s *Store) ApplyAlert(ctx context.Context, c store.AlertChange) (bool, error) {
	e := c.Episode
	keys := []string{s.epKey(e.ID), s.condKey(e, "opencond"), s.g("alert", "steps", string(e.ID))}
	if c.Receipt != "" {
		keys = append(keys, s.g("alert", "receipt", c.Receipt))
	}
	for _, st := range c.Schedule {
		keys = append(keys, s.stepKey(st.Key))
	}
	applied := false
	err := s.txn(ctx, keys, func(tx *goredis.Tx) error {
		applied = false
		if c.Receipt != "" {
			if n, err := tx.Exists(ctx, s.g("alert", "receipt", c.Receipt)).Result(); err != nil || n == 1 {
				return err
			}
		}
		seq, err := s.checkEpisode(ctx, tx, e)
		if err != nil {
			return err
		}
		var cancel []stepAt
		if c.Cancel {
			if cancel, err = s.pendingSteps(ctx, tx, e.ID); err != nil {
				return err
			}
		}
		fresh, err := s.freshSteps(ctx, tx, c.Schedule)
		if err != nil {
			return err
		}
		_, err = tx.TxPipelined(ctx, func(p goredis.Pipeliner) error {
			return s.queueAlert(ctx, p, c, seq, cancel, fresh)
		})
		applied = err == nil
		return err
	})
	if err != nil {
		return false, fmt.Errorf("apply alert: %w", err)
	}
	return applied, nil
}

// checkEpisode checks the episode may be stored: a new one (version 0)
// when its id is free and its condition has no open episode; a stored
// one at the version it carries. It returns its creation seq (a new one
// for a new episode).
func (s *Store) checkEpisode(ctx context.Context, tx *goredis.Tx, e store.EpisodeRow) (int64, error) {
	if e.Version == 0 {
		n, err := tx.Exists(ctx, s.epKey(e.ID), s.condKey(e, "opencond")).Result()
		if err != nil {
			return 0, err
		}
		if n > 0 {
			return 0, store.ErrConflict
		}
		return tx.Incr(ctx, s.g("alert", "ep", "seq")).Result()
	}
	stored, err := getJSON[store.EpisodeRow](ctx, tx, s.epKey(e.ID), "episode")
	if err != nil {
		return 0, err
	}
	if stored.Version != e.Version {
		return 0, store.ErrConflict
	}
	if e.State != session.AlertResolved && !stored.State.Open() {
		// Reopening: another episode of the condition may be open.
		if cur, err := tx.Get(ctx, s.condKey(e, "opencond")).Result(); err == nil && cur != string(e.ID) {
			return 0, store.ErrConflict
		}
	}
	seq, err := tx.ZScore(ctx, s.t(e.Tenant, "alerts"), string(e.ID)).Result()
	if err != nil {
		return 0, fmt.Errorf("episode %s: %w", e.ID, err)
	}
	return int64(seq), nil
}

// queueAlert queues the writes of an applied change.
func (s *Store) queueAlert(ctx context.Context, p goredis.Pipeliner, c store.AlertChange, seq int64, cancel []stepAt, fresh []stepAt) error {
	e := c.Episode
	e.Version++
	row, err := encode(e, "episode")
	if err != nil {
		return err
	}
	if c.Receipt != "" {
		p.Set(ctx, s.g("alert", "receipt", c.Receipt), string(e.ID), 0)
	}
	p.Set(ctx, s.epKey(e.ID), row, 0)
	z := goredis.Z{Score: float64(seq), Member: string(e.ID)}
	p.ZAdd(ctx, s.t(e.Tenant, "alerts"), z)
	p.ZAdd(ctx, s.condKey(e, "cond"), z)
	if e.State == session.AlertResolved {
		p.ZRem(ctx, s.t(e.Tenant, "alerts", "open"), string(e.ID))
		p.Del(ctx, s.condKey(e, "opencond"))
	} else {
		p.ZAdd(ctx, s.t(e.Tenant, "alerts", "open"), z)
		p.Set(ctx, s.condKey(e, "opencond"), string(e.ID), 0)
	}
	for _, st := range cancel {
		st.State = store.AlertStepCancelled
		if err := s.queueStep(ctx, p, st, store.AlertStepPending); err != nil {
			return err
		}
	}
	for _, st := range fresh {
		p.ZAdd(ctx, s.g("alert", "steps", string(st.Episode)), goredis.Z{Score: float64(st.seq), Member: st.Key})
		if err := s.queueStep(ctx, p, st, ""); err != nil {
			return err
		}
	}
	return nil
}

// stepAt is a step with its schedule order.
type stepAt struct {
	store.StepRow
	seq int64
}

// queueStep queues a step's row and moves it from the index of state from
// ("" for a new step) to the index of its state.
func (s *Store) queueStep(ctx context.Context, p goredis.Pipeliner, st stepAt, from store.AlertStepState) error {
	row, err := encode(st.StepRow, "step")
	if err != nil {
		return err
	}
	p.HSet(ctx, s.stepKey(st.Key), "row", row, "seq", st.seq)
	if from != "" {
		p.ZRem(ctx, s.stepIndex(st.StepRow, from), st.Key)
	}
	if idx := s.stepIndex(st.StepRow, st.State); idx != "" {
		score := float64(st.seq)
		if st.State == store.AlertStepPending {
			score = float64(st.Due.UnixNano())
		}
		p.ZAdd(ctx, idx, goredis.Z{Score: score, Member: st.Key})
	}
	return nil
}

// stepIndex is the index of the steps in a state ("" when none is kept).
func (s *Store) stepIndex(st store.StepRow, state store.AlertStepState) string {
	switch state {
	case store.AlertStepPending:
		return s.g("alert", "pending")
	case store.AlertStepClaimed:
		return s.g("alert", "claimed")
	case store.AlertStepHeld:
		return s.t(st.Tenant, "alert", "held", string(st.Actor))
	}
	return ""
}

// freshSteps are the steps of a schedule not stored before, with their
// seq (a key stored before is kept as it is).
func (s *Store) freshSteps(ctx context.Context, tx *goredis.Tx, sched []store.StepRow) ([]stepAt, error) {
	var out []stepAt
	for _, st := range sched {
		if n, err := tx.Exists(ctx, s.stepKey(st.Key)).Result(); err != nil || n == 1 {
			if err != nil {
				return nil, err
			}
			continue
		}
		if st.State == "" {
			st.State = store.AlertStepPending
		}
		seq, err := tx.Incr(ctx, s.g("alert", "step", "seq")).Result()
		if err != nil {
			return nil, err
		}
		out = append(out, stepAt{st, seq})
	}
	return out, nil
}

// pendingSteps reads (and watches) an episode's pending steps.
func (s *Store) pendingSteps(ctx context.Context, tx *goredis.Tx, id session.AlertID) ([]stepAt, error) {
	all, err := s.stepsOf(ctx, tx, s.g("alert", "steps", string(id)), false, true)
	if err != nil {
		return nil, err
	}
	var out []stepAt
	for _, st := range all {
		if st.State == store.AlertStepPending {
			out = append(out, st)
		}
	}
	return out, nil
}

// stepsOf loads the steps an index lists, in its order (watching each
// when watch is set; reversed when rev).
func (s *Store) stepsOf(ctx context.Context, c goredis.Cmdable, index string, rev, watch bool) ([]stepAt, error) {
	keys, err := c.ZRange(ctx, index, 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("steps: %w", err)
	}
	if rev {
		slices.Reverse(keys)
	}
	var out []stepAt
	for _, k := range keys {
		if tx, ok := c.(*goredis.Tx); ok && watch {
			if err := tx.Watch(ctx, s.stepKey(k)).Err(); err != nil {
				return nil, err
			}
		}
		st, ok, err := s.step(ctx, c, k)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, st)
		}
	}
	return out, nil
}

// step loads one step; ok is false when it does not exist.
func (s *Store) step(ctx context.Context, c goredis.Cmdable, key string) (stepAt, bool, error) {
	m, err := c.HGetAll(ctx, s.stepKey(key)).Result()
	if err != nil || len(m) == 0 {
		return stepAt{}, false, err
	}
	var st stepAt
	if err := json.Unmarshal([]byte(m["row"]), &st.StepRow); err != nil {
		return st, false, fmt.Errorf("decode step: %w", err)
	}
	st.seq, _ = strconv.ParseInt(m["seq"], 10, 64)
	return st, true, nil
}

// rows drops the seq of steps.
func rows(sts []stepAt) []store.StepRow {
	var out []store.StepRow
	for _, st := range sts {
		out = append(out, st.StepRow)
	}
	return out
}

// ClaimStep moves a pending step to claimed; exactly one caller wins.
func (s *Store) ClaimStep(ctx context.Context, key string, at time.Time, mark int64) (bool, error) {
	return s.moveStep(ctx, key, store.AlertStepPending, func(st *store.StepRow) {
		st.State, st.Claimed, st.Mark = store.AlertStepClaimed, at.UTC(), mark
	})
}

// FinishStep moves a claimed step to its end state, once.
func (s *Store) FinishStep(ctx context.Context, key string, state store.AlertStepState, at time.Time, event int64, note string) (bool, error) {
	return s.moveStep(ctx, key, store.AlertStepClaimed, func(st *store.StepRow) {
		st.State, st.Done, st.Event, st.Note = state, at.UTC(), event, note
	})
}

// moveStep changes a step in state from, in a WATCH transaction.
func (s *Store) moveStep(ctx context.Context, key string, from store.AlertStepState, change func(*store.StepRow)) (bool, error) {
	moved := false
	err := s.txn(ctx, []string{s.stepKey(key)}, func(tx *goredis.Tx) error {
		moved = false
		st, ok, err := s.step(ctx, tx, key)
		if err != nil {
			return err
		}
		if !ok {
			return store.ErrNotFound
		}
		if st.State != from {
			return nil
		}
		change(&st.StepRow)
		_, err = tx.TxPipelined(ctx, func(p goredis.Pipeliner) error { return s.queueStep(ctx, p, st, from) })
		moved = err == nil
		return err
	})
	if err != nil {
		return false, fmt.Errorf("step %s: %w", key, err)
	}
	return moved, nil
}
