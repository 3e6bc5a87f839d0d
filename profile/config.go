package profile

import (
	"cmp"
	"fmt"
	"time"

	"github.com/steward-os/steward/sdk/module"
)

// Config is the profile: block (docs/configuration.md), decoded strictly.
// Every zero value takes its default, and the defaults work for the demo.
type Config struct {
	// Enabled turns the background refresh on (default true).
	Enabled *bool `json:"enabled"`
	// Every is the time between two refresh passes of one tenant.
	Every module.Duration `json:"every"`
	// Jitter is the most a pass is moved later, at random, so tenants
	// do not refresh in lock step (0 ≤ jitter < every).
	Jitter module.Duration `json:"jitter"`
	// Concurrency bounds how many probes run at once, all tenants
	// together.
	Concurrency int `json:"concurrency"`
	// Budget is how long one extension's probes may take in one pass.
	Budget module.Duration `json:"budget"`
	// Backoff is the first wait after a probe fails; it doubles with every
	// further failure up to MaxBackoff, and a success resets it.
	Backoff    module.Duration `json:"backoff"`
	MaxBackoff module.Duration `json:"max_backoff"`
	// History is how many observations of each series and resource are
	// kept for baselines and trends.
	History int `json:"history"`
	// Actor is the identity probes run as in each tenant, with Roles.
	Actor string   `json:"actor"`
	Roles []string `json:"roles"`
	// Thresholds are fixed limits on series.
	Thresholds []Threshold `json:"thresholds"`
	// Baseline tunes the divergence detector.
	Baseline Baseline `json:"baseline"`
	// Certificates are the certificate expiry windows.
	Certificates Windows `json:"certificates"`
	// Disk tunes the disk-fill forecast.
	Disk DiskFill `json:"disk"`
	// Activity is how far back "recent activity" reaches.
	Activity module.Duration `json:"activity"`
	// Fixes suggest a remedy per series: the tool, and the parameter the
	// resource's id goes into. A fix whose tool is not loaded is left out.
	Fixes map[string]FixRule `json:"fixes"`
}

// FixRule is a suggested remedy for findings on a series.
type FixRule struct {
	Tool  string `json:"tool"`
	Param string `json:"param"`
}

// Threshold raises a finding while a series is beyond a limit.
type Threshold struct {
	Series string `json:"series"`
	// Above: the value must exceed Warning/Critical (default); false: it
	// must fall below them.
	Below    bool     `json:"below"`
	Warning  *float64 `json:"warning"`
	Critical *float64 `json:"critical"`
}

// Baseline is the EWMA divergence detector's tuning (docs/profile.md).
type Baseline struct {
	// Series the detector watches.
	Series []string `json:"series"`
	// Alpha is the EWMA weight of each new observation (0 < alpha ≤ 1).
	Alpha float64 `json:"alpha"`
	// Warmup is how many observations make a baseline before it judges.
	Warmup int `json:"warmup"`
	// Sigmas is how many standard deviations from the mean diverge.
	Sigmas float64 `json:"sigmas"`
	// MinDelta is the least absolute divergence that counts (so a very
	// steady series does not alert on noise).
	MinDelta float64 `json:"min_delta"`
}

// Windows are certificate expiry windows, in days left.
type Windows struct {
	Series   string `json:"series"`
	Warning  int    `json:"warning_days"`
	Critical int    `json:"critical_days"`
}

// DiskFill forecasts when a disk is full from its linear trend.
type DiskFill struct {
	Series string `json:"series"`
	// Window is how far back the trend is fitted.
	Window module.Duration `json:"window"`
	// Points is the least number of observations in the window.
	Points int `json:"points"`
	// Warning and Critical are the forecast times to full.
	Warning  module.Duration `json:"warning"`
	Critical module.Duration `json:"critical"`
}

func f64(v float64) *float64 { return &v }

// WithDefaults fills every zero value with its default.
func (c Config) WithDefaults() Config {
	def := func(d *module.Duration, v time.Duration) {
		if *d == 0 {
			*d = module.Duration(v)
		}
	}
	if c.Enabled == nil {
		t := true
		c.Enabled = &t
	}
	def(&c.Every, 30*time.Second)
	def(&c.Jitter, 5*time.Second)
	def(&c.Budget, 4*time.Second)
	def(&c.Backoff, 30*time.Second)
	def(&c.MaxBackoff, 10*time.Minute)
	def(&c.Activity, 24*time.Hour)
	c.Concurrency = cmp.Or(c.Concurrency, 2)
	c.History = cmp.Or(c.History, 120)
	c.Actor = cmp.Or(c.Actor, "system")
	if len(c.Roles) == 0 {
		c.Roles = []string{"viewer"}
	}
	if c.Thresholds == nil {
		c.Thresholds = []Threshold{
			{Series: "cpu_percent", Warning: f64(85), Critical: f64(95)},
			{Series: "memory_percent", Warning: f64(90), Critical: f64(97)},
			{Series: "days_overdue", Warning: f64(0), Critical: f64(7)},
		}
	}
	if c.Fixes == nil {
		c.Fixes = map[string]FixRule{
			"days_left":      {Tool: "hosting.renew_certificate", Param: "domain"},
			"cpu_percent":    {Tool: "hosting.restart_server", Param: "server"},
			"memory_percent": {Tool: "hosting.restart_server", Param: "server"},
		}
	}
	c.Baseline = c.Baseline.withDefaults()
	c.Certificates = c.Certificates.withDefaults()
	c.Disk = c.Disk.withDefaults()
	return c
}

func (b Baseline) withDefaults() Baseline {
	if b.Series == nil {
		b.Series = []string{"cpu_percent", "memory_percent"}
	}
	b.Alpha = cmp.Or(b.Alpha, 0.1)
	b.Warmup = cmp.Or(b.Warmup, 10)
	b.Sigmas = cmp.Or(b.Sigmas, 4)
	b.MinDelta = cmp.Or(b.MinDelta, 15)
	return b
}

func (w Windows) withDefaults() Windows {
	w.Series = cmp.Or(w.Series, "days_left")
	w.Warning = cmp.Or(w.Warning, 14)
	w.Critical = cmp.Or(w.Critical, 3)
	return w
}

func (d DiskFill) withDefaults() DiskFill {
	d.Series = cmp.Or(d.Series, "disk_percent")
	d.Window = cmp.Or(d.Window, module.Duration(30*time.Minute))
	d.Points = cmp.Or(d.Points, 4)
	d.Warning = cmp.Or(d.Warning, module.Duration(72*time.Hour))
	d.Critical = cmp.Or(d.Critical, module.Duration(6*time.Hour))
	return d
}

// Validate checks the configuration with its defaults filled in.
func (c Config) Validate() error {
	c = c.WithDefaults()
	switch {
	case c.Every.D() < time.Second:
		return fmt.Errorf("profile.every must be at least 1s")
	case c.Jitter.D() < 0 || c.Jitter.D() >= c.Every.D():
		return fmt.Errorf("profile.jitter must be at least 0 and less than profile.every")
	case c.Concurrency < 1 || c.Concurrency > 64:
		return fmt.Errorf("profile.concurrency must be 1–64")
	case c.Budget.D() <= 0 || c.Backoff.D() <= 0 || c.MaxBackoff.D() < c.Backoff.D():
		return fmt.Errorf("profile.budget and profile.backoff must be positive, and max_backoff at least backoff")
	case c.History < 2 || c.History > 10000:
		return fmt.Errorf("profile.history must be 2–10000")
	case c.Baseline.Alpha <= 0 || c.Baseline.Alpha > 1:
		return fmt.Errorf("profile.baseline.alpha must be in (0, 1]")
	case c.Baseline.Warmup < 2 || c.Baseline.Sigmas <= 0 || c.Baseline.MinDelta < 0:
		return fmt.Errorf("profile.baseline: warmup must be at least 2, sigmas positive, min_delta not negative")
	case c.Certificates.Critical < 0 || c.Certificates.Warning < c.Certificates.Critical:
		return fmt.Errorf("profile.certificates: warning_days must be at least critical_days, both not negative")
	case c.Disk.Points < 2 || c.Disk.Window.D() <= 0 || c.Disk.Critical.D() <= 0 || c.Disk.Warning.D() < c.Disk.Critical.D():
		return fmt.Errorf("profile.disk: points at least 2, window positive, warning at least critical")
	}
	for s, f := range c.Fixes {
		if f.Tool == "" || f.Param == "" {
			return fmt.Errorf("profile.fixes.%s: tool and param are required", s)
		}
	}
	for i, t := range c.Thresholds {
		if t.Series == "" || (t.Warning == nil && t.Critical == nil) {
			return fmt.Errorf("profile.thresholds[%d]: a series and a warning or critical limit are required", i)
		}
	}
	return nil
}
