package hosting

import (
	"context"
	"fmt"
	"time"

	"github.com/steward-os/steward/sdk"
)

// checkHealth probes a server for a while (a simulated long-running job):
// it reports progress every second and stops when its context ends.
func (h *hosting) checkHealth(ctx context.Context, c sdk.Call[ServerParams]) (HealthReport, error) {
	unlock := h.locks.Lock(c.Caller.Tenant)
	s, err := loadServer(ctx, c.Env.State(), c.Params.Server)
	var settings struct {
		HealthCheckSeconds int `json:"health_check_seconds"`
	}
	if err == nil {
		_, err = c.Env.State().Get(ctx, collMeta, "settings", &settings)
	}
	unlock()
	if err != nil {
		return HealthReport{}, err
	}
	seconds := settings.HealthCheckSeconds
	if seconds <= 0 {
		seconds = 8
	}
	probes := []string{"reachability", "cpu", "memory", "disk"}
	for i := 1; i <= seconds; i++ {
		select {
		case <-ctx.Done():
			return HealthReport{}, ctx.Err()
		case <-time.After(time.Second):
		}
		c.Env.Progress(i*100/seconds, fmt.Sprintf("checking %s of %s", probes[(i-1)*len(probes)/seconds], s.Name))
	}
	r := HealthReport{Server: s.Name, Healthy: true, Seconds: seconds}
	add := func(name string, ok, warn bool, detail string) {
		st := "ok"
		switch {
		case !ok:
			st, r.Healthy = "fail", false
		case warn:
			st = "warn"
		}
		r.Checks = append(r.Checks, HealthCheck{Name: name, Status: st, Detail: detail})
	}
	running := s.Status == "running"
	add("reachability", running, false, "status "+s.Status)
	add("cpu", true, running && s.CPU >= 85, fmt.Sprintf("%d%%", s.CPU))
	add("memory", true, running && s.Memory >= 85, fmt.Sprintf("%d%%", s.Memory))
	add("disk", s.Disk < 95, s.Disk >= 80, fmt.Sprintf("%d%%", s.Disk))
	return r, nil
}
