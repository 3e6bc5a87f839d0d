package profile

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func newTrack(series string, vals ...float64) *track {
	t := &track{key: key{Tenant: "acme", Series: series, Resource: "web-2"}, limit: 120}
	b := Config{}.WithDefaults().Baseline
	for i, v := range vals {
		t.observe(point{Value: v, At: t0.Add(time.Duration(i) * 30 * time.Second), Fact: int64(i + 1)}, b)
	}
	return t
}

func severityOf(vs []verdict, det string) Severity {
	for _, v := range vs {
		if v.detector == det {
			return v.severity
		}
	}
	return "n/a"
}

// Each detector fires on its condition, stays quiet without it and
// resolves when the condition ends (PRO-05).
func TestDetectors(t *testing.T) {
	d := detectors{cfg: Config{}.WithDefaults()}
	calm := []float64{22, 24, 21, 23, 22, 25, 20, 23, 22, 24, 21, 23}
	cases := []struct {
		name   string
		series string
		vals   []float64
		det    string
		want   Severity
	}{
		{"threshold quiet", "cpu_percent", []float64{50}, DetectThreshold, ""},
		{"threshold warning", "cpu_percent", []float64{88}, DetectThreshold, SeverityWarning},
		{"threshold critical", "cpu_percent", []float64{97}, DetectThreshold, SeverityCritical},
		{"threshold resolved", "cpu_percent", []float64{97, 40}, DetectThreshold, ""},
		{"baseline quiet", "cpu_percent", append(calm, 26), DetectBaseline, ""},
		{"baseline fires", "cpu_percent", append(calm, 70), DetectBaseline, SeverityWarning},
		{"baseline resolves", "cpu_percent", append(calm, 70, 23), DetectBaseline, ""},
		{"baseline warming up", "cpu_percent", []float64{22, 23, 70}, DetectBaseline, ""},
		{"cert quiet", "days_left", []float64{60}, DetectCert, ""},
		{"cert warning", "days_left", []float64{5}, DetectCert, SeverityWarning},
		{"cert critical", "days_left", []float64{2}, DetectCert, SeverityCritical},
		{"cert renewed", "days_left", []float64{5, 90}, DetectCert, ""},
		{"disk steady", "disk_percent", []float64{71, 71, 71, 71, 71}, DetectDiskFill, ""},
		{"disk too few points", "disk_percent", []float64{71, 80}, DetectDiskFill, ""},
		{"disk filling fast", "disk_percent", []float64{71, 73, 75, 77, 79}, DetectDiskFill, SeverityCritical},
		{"disk filling slowly", "disk_percent", []float64{71, 71.01, 71.02, 71.03, 71.04}, DetectDiskFill, SeverityWarning},
		{"disk freed", "disk_percent", []float64{71, 73, 75, 77, 40}, DetectDiskFill, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := severityOf(d.judge(newTrack(c.series, c.vals...)), c.det); got != c.want {
				t.Fatalf("severity %q, want %q", got, c.want)
			}
		})
	}
}

// The divergent point's evidence is itself and the last calm point.
func TestBaselineEvidence(t *testing.T) {
	tr := newTrack("cpu_percent", 22, 24, 21, 23, 22, 25, 20, 23, 22, 24, 21, 23, 70)
	v := baseline(tr)
	if len(v.evidence) != 2 || v.evidence[0].Value != 23 || v.evidence[1].Value != 70 {
		t.Fatalf("evidence %+v", v.evidence)
	}
}

func TestFingerprintStable(t *testing.T) {
	k := key{Tenant: "acme", Series: "cpu_percent", Resource: "web-2"}
	a, b := fingerprint(DetectThreshold, k), fingerprint(DetectThreshold, k)
	if a != b || a == fingerprint(DetectBaseline, k) || a == fingerprint(DetectThreshold, key{Tenant: "globex", Series: k.Series, Resource: k.Resource}) {
		t.Fatalf("fingerprints %s %s", a, b)
	}
}
