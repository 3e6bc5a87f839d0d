package tasks

import (
	"context"
	"testing"
	"time"

	"github.com/steward-os/steward/sdk"
	"github.com/steward-os/steward/sdk/sdktest"
)

// overdue_tasks reports every pending task with a due date, counting days
// past due, with its assignee and title.
func TestProbeOverdue(t *testing.T) {
	clock := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	data, err := sdktest.WorldSection(worldFile, "acme", "tasks")
	if err != nil {
		t.Fatal(err)
	}
	ext := ExtensionWithClock(func() time.Time { return clock })
	st := sdktest.NewState()
	if err := ext.Seed(context.Background(), st, data); err != nil {
		t.Fatal(err)
	}
	read := func() map[string]sdk.Observation {
		res, err := sdktest.Handler(ext, "overdue_tasks").Invoke(context.Background(), sdk.Caller{Actor: "system", Tenant: "acme"}, sdktest.NewEnv(st), nil)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]sdk.Observation{}
		for _, o := range res.(sdk.Observations).Observations {
			out[o.Resource] = o
		}
		return out
	}
	obs := read()
	if len(obs) != 3 || obs["T-1"].Value != -3 || obs["T-1"].Labels["assignee"] != "alice" || obs["T-4"].Series != "" {
		t.Fatalf("at seeding: %+v", obs)
	}
	clock = clock.AddDate(0, 0, 5)
	if obs := read(); obs["T-1"].Value != 2 || obs["T-3"].Value != -2 {
		t.Fatalf("five days later: %+v", obs)
	}
}
