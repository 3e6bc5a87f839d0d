package redis

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// Reads of the alert episodes and steps (keys in alerts.go).

// Episode loads one episode.
func (s *Store) Episode(ctx context.Context, id session.AlertID) (store.EpisodeRow, error) {
	return getJSON[store.EpisodeRow](ctx, s.rdb, s.epKey(id), "episode")
}

// LatestEpisode is the newest episode of a condition.
func (s *Store) LatestEpisode(ctx context.Context, tenant session.TenantID, source, fingerprint string) (store.EpisodeRow, error) {
	e := store.EpisodeRow{Tenant: tenant, Source: source, Fingerprint: fingerprint}
	ids, err := s.rdb.ZRevRange(ctx, s.condKey(e, "cond"), 0, 0).Result()
	if err != nil {
		return store.EpisodeRow{}, fmt.Errorf("latest episode: %w", err)
	}
	if len(ids) == 0 {
		return store.EpisodeRow{}, store.ErrNotFound
	}
	return s.Episode(ctx, session.AlertID(ids[0]))
}

// Episodes lists a tenant's episodes, newest first.
func (s *Store) Episodes(ctx context.Context, tenant session.TenantID, open bool, limit int) ([]store.EpisodeRow, error) {
	if limit < 1 || limit > 200 {
		limit = 200
	}
	index := s.t(tenant, "alerts")
	if open {
		index = s.t(tenant, "alerts", "open")
	}
	ids, err := s.rdb.ZRevRange(ctx, index, 0, int64(limit-1)).Result()
	if err != nil {
		return nil, fmt.Errorf("episodes: %w", err)
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = s.epKey(session.AlertID(id))
	}
	return getJSONs[store.EpisodeRow](ctx, s.rdb, keys, "episode")
}

// DueSteps lists pending steps due by until, by due time then schedule.
func (s *Store) DueSteps(ctx context.Context, until time.Time, limit int) ([]store.StepRow, error) {
	if limit < 1 || limit > 500 {
		limit = 500
	}
	keys, err := s.rdb.ZRangeByScore(ctx, s.g("alert", "pending"), &goredis.ZRangeBy{Min: "-inf", Max: strconv.FormatInt(until.UnixNano(), 10)}).Result()
	if err != nil {
		return nil, fmt.Errorf("due steps: %w", err)
	}
	var due []stepAt
	for _, k := range keys {
		st, ok, err := s.step(ctx, s.rdb, k)
		if err != nil {
			return nil, err
		}
		if ok && st.State == store.AlertStepPending && !st.Due.After(until) {
			due = append(due, st)
		}
	}
	slices.SortFunc(due, func(a, b stepAt) int {
		if c := a.Due.Compare(b.Due); c != 0 {
			return c
		}
		return int(a.seq - b.seq)
	})
	return rows(due[:min(limit, len(due))]), nil
}

// NextDue is the earliest pending step's due time.
func (s *Store) NextDue(ctx context.Context) (time.Time, bool, error) {
	keys, err := s.rdb.ZRange(ctx, s.g("alert", "pending"), 0, 0).Result()
	if err != nil {
		return time.Time{}, false, fmt.Errorf("next due: %w", err)
	}
	if len(keys) == 0 {
		return time.Time{}, false, nil
	}
	st, ok, err := s.step(ctx, s.rdb, keys[0])
	if err != nil || !ok {
		return time.Time{}, false, err
	}
	return st.Due.UTC(), true, nil
}

// ClaimedSteps lists claimed steps never finished, oldest claim first.
func (s *Store) ClaimedSteps(ctx context.Context) ([]store.StepRow, error) {
	sts, err := s.stepsOf(ctx, s.rdb, s.g("alert", "claimed"), false, false)
	if err != nil {
		return nil, err
	}
	out := rows(sts)
	slices.SortStableFunc(out, func(a, b store.StepRow) int { return a.Claimed.Compare(b.Claimed) })
	return out, nil
}

// Steps lists an episode's steps in schedule order.
func (s *Store) Steps(ctx context.Context, id session.AlertID) ([]store.StepRow, error) {
	sts, err := s.stepsOf(ctx, s.rdb, s.g("alert", "steps", string(id)), false, false)
	return rows(sts), err
}

// HeldSteps lists an actor's held steps, oldest first.
func (s *Store) HeldSteps(ctx context.Context, tenant session.TenantID, actor session.ActorID) ([]store.StepRow, error) {
	sts, err := s.stepsOf(ctx, s.rdb, s.t(tenant, "alert", "held", string(actor)), false, false)
	return rows(sts), err
}
