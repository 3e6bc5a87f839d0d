package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

var alertChecks = []check{
	{"ApplyInsertsAndReplacesByVersion", checkAlertVersions},
	{"ReceiptChangesNothingTwice", checkAlertReceipt},
	{"OneOpenEpisodePerCondition", checkAlertOpenUnique},
	{"EpisodesListing", checkAlertListing},
	{"StepsScheduledOnceByKey", checkAlertStepsOnce},
	{"ClaimStepExactlyOne", checkAlertClaimRace},
	{"FinishStepOnce", checkAlertFinish},
	{"CancelPendingOnly", checkAlertCancel},
	{"DueAndNextDue", checkAlertDue},
}

func episode(id, fp string, i int) store.EpisodeRow {
	return store.EpisodeRow{ID: session.AlertID(id), Tenant: "acme", Source: "alertmanager", Fingerprint: fp,
		State: session.AlertFiring, Severity: "critical", Title: "disk full", Count: 1, Opened: at(i), Fired: at(i), Updated: at(i)}
}

func step(ep, key string, due int) store.StepRow {
	return store.StepRow{Key: key, Episode: session.AlertID(ep), Tenant: "acme", Kind: store.AlertStepNotify, Actor: "bob", Channel: "slack", Due: at(due)}
}

func mustApply(t *testing.T, b store.Backend, c store.AlertChange) {
	t.Helper()
	ok, err := b.ApplyAlert(context.Background(), c)
	if err != nil || !ok {
		t.Fatalf("ApplyAlert(%s) = %v, %v; want applied", c.Episode.ID, ok, err)
	}
}

func checkAlertVersions(t *testing.T, b store.Backend) {
	ctx := context.Background()
	e := episode("al_a", "fp1", 0)
	mustApply(t, b, store.AlertChange{Episode: e})
	got, err := b.Episode(ctx, "al_a")
	if err != nil || got.Version != 1 || got.Title != "disk full" || !got.Opened.Equal(at(0)) {
		t.Fatalf("Episode = %+v, %v; want version 1 as stored", got, err)
	}
	got.Count = 2
	mustApply(t, b, store.AlertChange{Episode: got})
	if _, err := b.ApplyAlert(ctx, store.AlertChange{Episode: got}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("stale version: err = %v, want ErrConflict", err)
	}
	now, _ := b.Episode(ctx, "al_a")
	if now.Version != 2 || now.Count != 2 {
		t.Fatalf("after replace: %+v", now)
	}
	if _, err := b.Episode(ctx, "al_none"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown episode: %v", err)
	}
}

func checkAlertReceipt(t *testing.T, b store.Backend) {
	ctx := context.Background()
	e := episode("al_r", "fp", 0)
	mustApply(t, b, store.AlertChange{Episode: e, Receipt: "am:fp:1", Schedule: []store.StepRow{step("al_r", "k1", 0)}})
	e.Version = 1
	e.Count = 9
	ok, err := b.ApplyAlert(ctx, store.AlertChange{Episode: e, Receipt: "am:fp:1", Schedule: []store.StepRow{step("al_r", "k2", 0)}})
	if err != nil || ok {
		t.Fatalf("second receipt = %v, %v; want not applied", ok, err)
	}
	got, _ := b.Episode(ctx, "al_r")
	steps, _ := b.Steps(ctx, "al_r")
	if got.Count != 1 || got.Version != 1 || len(steps) != 1 {
		t.Fatalf("a repeated receipt changed something: %+v, %d steps", got, len(steps))
	}
}

func checkAlertOpenUnique(t *testing.T, b store.Backend) {
	ctx := context.Background()
	mustApply(t, b, store.AlertChange{Episode: episode("al_1", "fp", 0)})
	if _, err := b.ApplyAlert(ctx, store.AlertChange{Episode: episode("al_2", "fp", 1)}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second open episode: err = %v, want ErrConflict", err)
	}
	e, _ := b.Episode(ctx, "al_1")
	e.State = session.AlertResolved
	mustApply(t, b, store.AlertChange{Episode: e})
	mustApply(t, b, store.AlertChange{Episode: episode("al_2", "fp", 2)})
	latest, err := b.LatestEpisode(ctx, "acme", "alertmanager", "fp")
	if err != nil || latest.ID != "al_2" {
		t.Fatalf("LatestEpisode = %s, %v; want al_2", latest.ID, err)
	}
	if _, err := b.LatestEpisode(ctx, "other", "alertmanager", "fp"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("other tenant: %v", err)
	}
}

func checkAlertListing(t *testing.T, b store.Backend) {
	ctx := context.Background()
	for i := range 3 {
		e := episode(fmt.Sprintf("al_%d", i), fmt.Sprintf("fp%d", i), i)
		if i == 1 {
			e.State = session.AlertResolved
		}
		mustApply(t, b, store.AlertChange{Episode: e})
	}
	all, _ := b.Episodes(ctx, "acme", false, 0)
	open, _ := b.Episodes(ctx, "acme", true, 0)
	if len(all) != 3 || all[0].ID != "al_2" || len(open) != 2 || open[1].ID != "al_0" {
		t.Fatalf("Episodes: all %d (first %s), open %d", len(all), all[0].ID, len(open))
	}
	if other, _ := b.Episodes(ctx, "other", false, 0); len(other) != 0 {
		t.Fatalf("another tenant sees %d episodes", len(other))
	}
}

func checkAlertStepsOnce(t *testing.T, b store.Backend) {
	ctx := context.Background()
	e := episode("al_s", "fp", 0)
	mustApply(t, b, store.AlertChange{Episode: e, Schedule: []store.StepRow{step("al_s", "a", 5), step("al_s", "b", 6)}})
	if ok, _ := b.ClaimStep(ctx, "a", at(5), 7); !ok {
		t.Fatal("claim a")
	}
	e.Version = 1
	again := step("al_s", "a", 9)
	mustApply(t, b, store.AlertChange{Episode: e, Schedule: []store.StepRow{again, step("al_s", "c", 7)}})
	steps, _ := b.Steps(ctx, "al_s")
	if len(steps) != 3 || steps[0].Key != "a" || steps[0].State != store.AlertStepClaimed || steps[0].Mark != 7 || !steps[0].Due.Equal(at(5)) || steps[2].Key != "c" {
		t.Fatalf("steps = %+v; want a (kept as claimed), b, c", steps)
	}
}

func checkAlertClaimRace(t *testing.T, b store.Backend) {
	ctx := context.Background()
	mustApply(t, b, store.AlertChange{Episode: episode("al_c", "fp", 0), Schedule: []store.StepRow{step("al_c", "k", 0)}})
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range racers {
		wg.Go(func() {
			if ok, err := b.ClaimStep(ctx, "k", at(1), 0); err == nil && ok {
				wins.Add(1)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d claims won, want exactly 1", wins.Load())
	}
	if _, err := b.ClaimStep(ctx, "nope", at(1), 0); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown key: %v", err)
	}
	claimed, _ := b.ClaimedSteps(ctx)
	if len(claimed) != 1 || !claimed[0].Claimed.Equal(at(1)) {
		t.Fatalf("ClaimedSteps = %+v", claimed)
	}
}

func checkAlertFinish(t *testing.T, b store.Backend) {
	ctx := context.Background()
	mustApply(t, b, store.AlertChange{Episode: episode("al_f", "fp", 0), Schedule: []store.StepRow{step("al_f", "k", 0)}})
	if ok, _ := b.FinishStep(ctx, "k", store.AlertStepSent, at(2), 5, ""); ok {
		t.Fatal("finished a step never claimed")
	}
	_, _ = b.ClaimStep(ctx, "k", at(1), 0)
	if ok, err := b.FinishStep(ctx, "k", store.AlertStepHeld, at(2), 5, "quiet hours"); !ok || err != nil {
		t.Fatalf("finish: %v %v", ok, err)
	}
	if ok, _ := b.FinishStep(ctx, "k", store.AlertStepSent, at(3), 6, ""); ok {
		t.Fatal("finished twice")
	}
	steps, _ := b.Steps(ctx, "al_f")
	held, _ := b.HeldSteps(ctx, "acme", "bob")
	if steps[0].State != store.AlertStepHeld || steps[0].Event != 5 || steps[0].Note != "quiet hours" || len(held) != 1 {
		t.Fatalf("step = %+v, held %d", steps[0], len(held))
	}
	if claimed, _ := b.ClaimedSteps(ctx); len(claimed) != 0 {
		t.Fatalf("a finished step is still claimed: %+v", claimed)
	}
}

func checkAlertCancel(t *testing.T, b store.Backend) {
	ctx := context.Background()
	e := episode("al_x", "fp", 0)
	mustApply(t, b, store.AlertChange{Episode: e, Schedule: []store.StepRow{step("al_x", "p", 0), step("al_x", "c", 0)}})
	_, _ = b.ClaimStep(ctx, "c", at(1), 0)
	e.Version, e.State = 1, session.AlertSnoozed
	mustApply(t, b, store.AlertChange{Episode: e, Cancel: true, Schedule: []store.StepRow{step("al_x", "wake", 50)}})
	steps, _ := b.Steps(ctx, "al_x")
	if steps[0].State != store.AlertStepCancelled || steps[1].State != store.AlertStepClaimed || steps[2].State != store.AlertStepPending {
		t.Fatalf("after cancel: %s %s %s; want cancelled, claimed, and the new step pending", steps[0].State, steps[1].State, steps[2].State)
	}
	if due, _ := b.DueSteps(ctx, at(100), 0); len(due) != 1 || due[0].Key != "wake" {
		t.Fatalf("due after cancel: %+v; want only the new step", due)
	}
}

func checkAlertDue(t *testing.T, b store.Backend) {
	ctx := context.Background()
	if _, ok, err := b.NextDue(ctx); ok || err != nil {
		t.Fatalf("NextDue on empty = %v, %v", ok, err)
	}
	mustApply(t, b, store.AlertChange{Episode: episode("al_d", "fp", 0), Schedule: []store.StepRow{step("al_d", "late", 30), step("al_d", "early", 10), step("al_d", "mid", 20)}})
	next, ok, err := b.NextDue(ctx)
	if !ok || err != nil || !next.Equal(at(10)) {
		t.Fatalf("NextDue = %v %v %v; want at(10)", next, ok, err)
	}
	due, _ := b.DueSteps(ctx, at(20), 0)
	if len(due) != 2 || due[0].Key != "early" || due[1].Key != "mid" {
		t.Fatalf("DueSteps = %+v; want early, mid", due)
	}
}
