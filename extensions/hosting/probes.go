package hosting

import (
	"context"
	"hash/fnv"
	"math"
	"time"

	"github.com/steward-os/steward/sdk"
)

// The demo world moves: a tenant whose world settings give a motion_seed
// sees its running servers' CPU and memory wander around their seeded
// figures (a slow wave plus noise, both a pure function of the seed, the
// server and the minute, so a test with a fixed clock reads the same
// numbers every time), and their disks fill at disk_per_day percent a day
// from the moment of seeding. An injected incident (inject_incident)
// overrides one metric of one server for a while; server_metrics shows the
// seeded figures with the incidents, the probes the motion as well.

// Motion parameters: the wave's amplitude and period, the noise's spread.
const (
	waveCPU     = 6.0
	waveMemory  = 3.0
	wavePeriod  = 30 * time.Minute
	noiseSpread = 2.0
	// IncidentMinutes is how long an injected incident lasts by default.
	IncidentMinutes = 30
)

// motion is what seeding stored for the world's movement (meta "motion").
type motion struct {
	Seed       int64     `json:"seed"`
	Origin     time.Time `json:"origin"`
	DiskPerDay float64   `json:"disk_per_day"`
}

// incident is one injected incident (collection "incidents", key
// "<server>/<metric>").
type incident struct {
	Server string    `json:"server"`
	Metric string    `json:"metric"` // cpu | memory | disk
	Since  time.Time `json:"since"`
	Until  time.Time `json:"until"`
}

const collIncidents = "incidents"

// Incident metrics and the level each drives its metric to.
var incidentLevel = map[string]float64{"cpu": 97, "memory": 95, "disk": 0}

// incidentDiskPerMinute is how fast a disk incident fills the disk.
const incidentDiskPerMinute = 2.0

// wobble is a deterministic value in [-1, 1] for (seed, server, series, n).
func wobble(seed int64, server, series string, n int64) float64 {
	h := fnv.New64a()
	var b [16]byte
	for i := 0; i < 8; i++ {
		b[i] = byte(seed >> (8 * i))
		b[8+i] = byte(n >> (8 * i))
	}
	h.Write(b[:])
	h.Write([]byte(server + "\x00" + series))
	return float64(h.Sum64()%2001)/1000 - 1
}

// moved is a base figure moved by the wave and the noise at time at.
func (m motion) moved(base float64, amp float64, server, series string, at time.Time) float64 {
	if m.Seed == 0 {
		return base
	}
	phase := (wobble(m.Seed, server, series, 0) + 1) * math.Pi
	t := float64(at.Sub(m.Origin)) / float64(wavePeriod)
	v := base + amp*math.Sin(2*math.Pi*t+phase) + noiseSpread*wobble(m.Seed, server, series, at.Unix()/60)
	return clampPercent(v)
}

// disk is a base disk figure filled since the origin.
func (m motion) disk(base float64, running bool, at time.Time) float64 {
	if m.DiskPerDay <= 0 || !running || at.Before(m.Origin) {
		return base
	}
	return clampPercent(base + m.DiskPerDay*at.Sub(m.Origin).Hours()/24)
}

func clampPercent(v float64) float64 {
	return math.Round(math.Max(0, math.Min(100, v))*10) / 10
}

// overlay applies an incident active at time at to a metric's value.
func overlay(v float64, in incident, at time.Time) float64 {
	if at.Before(in.Since) || !at.Before(in.Until) {
		return v
	}
	if in.Metric == "disk" {
		return clampPercent(v + incidentDiskPerMinute*at.Sub(in.Since).Minutes())
	}
	return math.Max(v, incidentLevel[in.Metric])
}

// worldOf reads the tenant's motion and its incidents.
func worldOf(ctx context.Context, st sdk.State) (motion, map[string]incident, error) {
	m, _, err := get[motion](ctx, st, collMeta, "motion")
	if err != nil {
		return m, nil, err
	}
	ins, err := list[incident](ctx, st, collIncidents)
	if err != nil {
		return m, nil, err
	}
	out := make(map[string]incident, len(ins))
	for _, in := range ins {
		out[in.Server+"/"+in.Metric] = in
	}
	return m, out, nil
}

// live is a running server's CPU, memory and disk at time at, with the
// motion when withMotion is set, and the incidents.
func live(s server, m motion, ins map[string]incident, at time.Time, withMotion bool) (cpu, mem, disk float64) {
	cpu, mem, disk = float64(s.CPU), float64(s.Memory), float64(s.Disk)
	running := s.Status == "running"
	if withMotion {
		cpu = m.moved(cpu, waveCPU, s.Name, "cpu_percent", at)
		mem = m.moved(mem, waveMemory, s.Name, "memory_percent", at)
		disk = m.disk(disk, running, at)
	}
	cpu = overlay(cpu, ins[s.Name+"/cpu"], at)
	mem = overlay(mem, ins[s.Name+"/memory"], at)
	disk = overlay(disk, ins[s.Name+"/disk"], at)
	if !running {
		cpu, mem = 0, 0
	}
	return cpu, mem, disk
}

// probes binds the manifest's probes.
func (h *hosting) probes() []sdk.Handler {
	return []sdk.Handler{
		sdk.Probe("server_load", h.probeLoad),
		sdk.Probe("disk_usage", h.probeDisk),
		sdk.Probe("certificate_expiry", h.probeCertificates),
	}
}

// probeLoad observes the CPU and memory of every running server.
func (h *hosting) probeLoad(ctx context.Context, c sdk.ProbeCall) ([]sdk.Observation, error) {
	return h.observeServers(ctx, c.Env.State(), func(s server, cpu, mem, _ float64, at time.Time) []sdk.Observation {
		if s.Status != "running" {
			return nil
		}
		return []sdk.Observation{
			{Series: "cpu_percent", Resource: s.Name, Value: cpu, Unit: "percent", At: at},
			{Series: "memory_percent", Resource: s.Name, Value: mem, Unit: "percent", At: at},
		}
	})
}

// probeDisk observes the disk of every server.
func (h *hosting) probeDisk(ctx context.Context, c sdk.ProbeCall) ([]sdk.Observation, error) {
	return h.observeServers(ctx, c.Env.State(), func(s server, _, _, disk float64, at time.Time) []sdk.Observation {
		return []sdk.Observation{{Series: "disk_percent", Resource: s.Name, Value: disk, Unit: "percent", At: at}}
	})
}

func (h *hosting) observeServers(ctx context.Context, st sdk.State, obs func(s server, cpu, mem, disk float64, at time.Time) []sdk.Observation) ([]sdk.Observation, error) {
	m, ins, err := worldOf(ctx, st)
	if err != nil {
		return nil, err
	}
	servers, err := list[server](ctx, st, collServers)
	if err != nil {
		return nil, err
	}
	at := h.now().UTC().Truncate(time.Second)
	out := []sdk.Observation{}
	for _, s := range servers {
		cpu, mem, disk := live(s, m, ins, at, true)
		out = append(out, obs(s, cpu, mem, disk, at)...)
	}
	return out, nil
}

// probeCertificates observes the days left of every certificate.
func (h *hosting) probeCertificates(ctx context.Context, c sdk.ProbeCall) ([]sdk.Observation, error) {
	certs, err := list[certificate](ctx, c.Env.State(), collCerts)
	if err != nil {
		return nil, err
	}
	at := h.now().UTC().Truncate(time.Second)
	out := []sdk.Observation{}
	for _, ct := range certs {
		v := h.certView(ct)
		out = append(out, sdk.Observation{Series: "days_left", Resource: v.Domain, Value: float64(v.DaysLeft), Unit: "days", At: at})
	}
	return out, nil
}

// IncidentParams are inject_incident's parameters.
type IncidentParams struct {
	Server  string `json:"server"`
	Metric  string `json:"metric"`
	Minutes int    `json:"minutes,omitempty"`
	// Clear ends the server's incident on that metric now.
	Clear bool `json:"clear,omitempty"`
}

// IncidentResult is what inject_incident did.
type IncidentResult struct {
	Server string `json:"server"`
	Metric string `json:"metric"`
	Active bool   `json:"active"`
	Until  string `json:"until,omitempty"`
}

// injectIncident starts (or clears) a demo incident on a server's metric.
func (h *hosting) injectIncident(ctx context.Context, c sdk.Call[IncidentParams]) (IncidentResult, error) {
	st := c.Env.State()
	s, err := loadServer(ctx, st, norm(c.Params.Server))
	if err != nil {
		return IncidentResult{}, err
	}
	metric := norm(c.Params.Metric)
	if _, ok := incidentLevel[metric]; !ok {
		return IncidentResult{}, sdk.Errorf(sdk.CodeInvalid, "metric must be cpu, memory or disk")
	}
	if c.Params.Minutes < 0 || c.Params.Minutes > 24*60 {
		return IncidentResult{}, sdk.Errorf(sdk.CodeInvalid, "minutes must be 0–1440")
	}
	key := s.Name + "/" + metric
	if c.Params.Clear {
		return IncidentResult{Server: s.Name, Metric: metric}, del(ctx, st, collIncidents, key)
	}
	minutes := c.Params.Minutes
	if minutes == 0 {
		minutes = IncidentMinutes
	}
	now := h.now().UTC().Truncate(time.Second)
	in := incident{Server: s.Name, Metric: metric, Since: now, Until: now.Add(time.Duration(minutes) * time.Minute)}
	if err := put(ctx, st, collIncidents, key, in); err != nil {
		return IncidentResult{}, err
	}
	return IncidentResult{Server: s.Name, Metric: metric, Active: true, Until: in.Until.Format(time.RFC3339)}, nil
}
