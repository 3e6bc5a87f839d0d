package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/steward-os/steward/session"
)

// Alerts stores alert episodes and the schedule of their notification
// steps, so that escalation timers and notification attempts survive a
// restart: a step is claimed before it is carried out (of concurrent
// callers exactly one wins) and finished once, by its idempotency key.
type Alerts interface {
	// ApplyAlert stores a change to an episode in one commit: the episode
	// (inserted when c.Episode.Version is 0, else replacing the stored
	// version c.Episode.Version; the stored version becomes one more), the
	// receipt that caused it, with Cancel the cancellation of the
	// episode's pending steps stored before, and the steps it schedules (a
	// key stored before is kept as it is; the new ones stay pending). A receipt stored before makes it change
	// nothing and report false. ErrConflict when the stored version is
	// another, or when an episode is inserted while another one with the
	// same tenant, source and fingerprint is open (not resolved).
	ApplyAlert(ctx context.Context, c AlertChange) (applied bool, err error)
	// Episode loads one; ErrNotFound when absent.
	Episode(ctx context.Context, id session.AlertID) (EpisodeRow, error)
	// LatestEpisode is the newest episode with that tenant, source and
	// fingerprint; ErrNotFound when there is none.
	LatestEpisode(ctx context.Context, tenant session.TenantID, source, fingerprint string) (EpisodeRow, error)
	// Episodes lists a tenant's episodes newest first, at most limit (200
	// when not in 1..200); with open set, only those not resolved.
	Episodes(ctx context.Context, tenant session.TenantID, open bool, limit int) ([]EpisodeRow, error)
	// DueSteps lists pending steps due at or before until, oldest due
	// first, at most limit (500 when not in 1..500).
	DueSteps(ctx context.Context, until time.Time, limit int) ([]StepRow, error)
	// NextDue is the due time of the earliest pending step; false when
	// none is pending.
	NextDue(ctx context.Context) (time.Time, bool, error)
	// ClaimedSteps lists the steps claimed and never finished (recovery),
	// oldest claim first.
	ClaimedSteps(ctx context.Context) ([]StepRow, error)
	// ClaimStep moves a pending step to claimed, recording at and mark
	// (the caller's note of where it stood, such as the newest event id):
	// of concurrent callers exactly one gets true. A step that is not
	// pending is not changed (false). ErrNotFound for an unknown key.
	ClaimStep(ctx context.Context, key string, at time.Time, mark int64) (bool, error)
	// FinishStep moves a claimed step to state (sent, failed, held,
	// skipped or done) with its outcome, once: false when it was not
	// claimed. ErrNotFound for an unknown key.
	FinishStep(ctx context.Context, key string, state AlertStepState, at time.Time, event int64, note string) (bool, error)
	// Steps lists an episode's steps in the order they were scheduled.
	Steps(ctx context.Context, id session.AlertID) ([]StepRow, error)
	// HeldSteps lists a tenant actor's held steps (quiet hours), oldest
	// first.
	HeldSteps(ctx context.Context, tenant session.TenantID, actor session.ActorID) ([]StepRow, error)
}

// AlertChange is one change ApplyAlert stores.
type AlertChange struct {
	Episode  EpisodeRow
	Receipt  string
	Schedule []StepRow
	Cancel   bool
}

// EpisodeRow is one alert episode: every firing of one condition (tenant,
// source, fingerprint) from its first until it is resolved, re-fires
// within the flap window included.
type EpisodeRow struct {
	ID          session.AlertID    `json:"id"`
	Tenant      session.TenantID   `json:"tenant"`
	Source      string             `json:"source"`
	Fingerprint string             `json:"fingerprint"`
	State       session.AlertState `json:"state"`
	Severity    string             `json:"severity"`
	Title       string             `json:"title"`
	Summary     string             `json:"summary,omitempty"`
	Resource    string             `json:"resource,omitempty"`
	Labels      map[string]string  `json:"labels,omitempty"`
	Evidence    []int64            `json:"evidence,omitempty"`
	// Fix is a suggested tool call ({"tool":…,"args":…}), made a proposal
	// for each person paged.
	Fix     json.RawMessage `json:"fix,omitempty"`
	Count   int             `json:"count"`
	Round   int             `json:"round"` // escalation rounds started (a reopen, unack or wake starts one)
	Level   int             `json:"level"` // the highest level reached in the current round
	Opened  time.Time       `json:"opened"`
	Fired   time.Time       `json:"fired"` // the last firing
	Updated time.Time       `json:"updated"`
	// Resolved is when it was last resolved (zero while open).
	Resolved     time.Time         `json:"resolved,omitzero"`
	AckedBy      session.ActorID   `json:"acked_by,omitempty"`
	SnoozedUntil time.Time         `json:"snoozed_until,omitzero"`
	Version      int64             `json:"version"`
	Fixes        map[string]string `json:"fixes,omitempty"` // actor → proposal of the fix
}

// AlertStepKind is what a scheduled step does.
type AlertStepKind string

// Step kinds.
const (
	AlertStepLevel  AlertStepKind = "level"  // page the targets of an escalation level
	AlertStepNotify AlertStepKind = "notify" // one notification to one person on one channel
	AlertStepWake   AlertStepKind = "wake"   // a snooze ends
	AlertStepDigest AlertStepKind = "digest" // quiet hours end: the held notifications
)

// AlertStepState is where a step is.
type AlertStepState string

// Step states.
const (
	AlertStepPending   AlertStepState = "pending"
	AlertStepClaimed   AlertStepState = "claimed"
	AlertStepSent      AlertStepState = "sent"
	AlertStepFailed    AlertStepState = "failed"
	AlertStepHeld      AlertStepState = "held"
	AlertStepSkipped   AlertStepState = "skipped"
	AlertStepDone      AlertStepState = "done"
	AlertStepCancelled AlertStepState = "cancelled"
)

// StepRow is one scheduled step. Key is its idempotency key, stable for
// the same step of the same round ("al_x/r1/l0/bob/0").
type StepRow struct {
	Key     string            `json:"key"`
	Episode session.AlertID   `json:"episode"`
	Tenant  session.TenantID  `json:"tenant"`
	Kind    AlertStepKind     `json:"kind"`
	Round   int               `json:"round"`
	Level   int               `json:"level"`
	Actor   session.ActorID   `json:"actor,omitempty"`
	Channel session.ChannelID `json:"channel,omitempty"`
	Due     time.Time         `json:"due"`
	State   AlertStepState    `json:"state"`
	Claimed time.Time         `json:"claimed,omitzero"`
	Mark    int64             `json:"mark,omitempty"`
	Done    time.Time         `json:"done,omitzero"`
	Event   int64             `json:"event,omitempty"` // the session event that carried it
	Note    string            `json:"note,omitempty"`
}
