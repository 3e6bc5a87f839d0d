package tasks

import (
	"context"
	"time"

	"github.com/steward-os/steward/sdk"
)

// probeOverdue observes every pending task that has a due date: the
// series days_overdue is how many days past its due date it is (0 on
// the day, negative while it is not yet due), labelled with its assignee
// and title, so the background refresh can tell who is late with what.
func (x *tasks) probeOverdue(ctx context.Context, c sdk.ProbeCall) ([]sdk.Observation, error) {
	all, err := loadAll(ctx, c.Env.State())
	if err != nil {
		return nil, err
	}
	now := x.now().UTC()
	today, _ := time.Parse(dateLayout, now.Format(dateLayout))
	out := []sdk.Observation{}
	for _, t := range all {
		if t.Status != StatusPending || t.Due == "" {
			continue
		}
		due, err := time.Parse(dateLayout, t.Due)
		if err != nil {
			continue
		}
		days := float64(int(today.Sub(due).Hours() / 24))
		out = append(out, sdk.Observation{Series: "days_overdue", Resource: t.ID, Value: days, Unit: "days",
			At: now.Truncate(time.Second), Labels: map[string]string{"assignee": t.Assignee, "title": t.Title}})
	}
	return out, nil
}
