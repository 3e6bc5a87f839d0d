package profile

import (
	"math"
	"slices"
	"strconv"
	"time"
)

// Detector names (Finding.Detector).
const (
	DetectThreshold = "threshold"
	DetectBaseline  = "baseline"
	DetectCert      = "cert_expiry"
	DetectDiskFill  = "disk_fill"
)

// verdict is what one detector concludes about one track: a severity
// ("" when the condition does not hold), the points it rests on and the
// template and data of its summary — data holds only values copied from
// those points, so the summary passes the grounding check.
type verdict struct {
	detector string
	severity Severity
	evidence []point
	tpl      string
	data     map[string]any
}

// Summary templates. Every value they print is an observed one.
const (
	tplThreshold = `{{.resource}}{{with .title}} ({{.}}){{end}}: {{.series}} is {{.value}}{{with .unit}} {{.}}{{end}} at {{.at}}{{with .assignee}}, assigned to {{.}}{{end}}.`
	tplBaseline  = `{{.resource}}: {{.series}} is {{.value}}{{with .unit}} {{.}}{{end}} at {{.at}}, away from its usual level ({{.earlier}} at {{.earlier_at}}).`
	tplCert      = `The certificate of {{.resource}} expires in {{.value}} days (observed at {{.at}}).`
	tplDisk      = `{{.resource}}: {{.series}} rose from {{.first}} at {{.first_at}} to {{.value}} at {{.at}}.`
)

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// base is a verdict's data for the track's last point.
func base(t *track) map[string]any {
	p := t.last()
	d := map[string]any{"resource": t.key.Resource, "series": t.key.Series, "value": num(p.Value), "unit": t.unit, "at": stamp(p.At)}
	for _, l := range []string{"title", "assignee"} {
		if v := t.labels[l]; v != "" {
			d[l] = v
		}
	}
	return d
}

// detectors judges tracks with the configured detectors.
type detectors struct{ cfg Config }

// judge returns the verdict of every detector that applies to the track.
func (d detectors) judge(t *track) []verdict {
	var out []verdict
	for _, th := range d.cfg.Thresholds {
		if th.Series == t.key.Series {
			out = append(out, threshold(th, t))
		}
	}
	if slices.Contains(d.cfg.Baseline.Series, t.key.Series) {
		out = append(out, baseline(t))
	}
	if t.key.Series == d.cfg.Certificates.Series {
		out = append(out, certExpiry(d.cfg.Certificates, t))
	}
	if t.key.Series == d.cfg.Disk.Series {
		out = append(out, diskFill(d.cfg.Disk, t))
	}
	return out
}

// threshold: the last value beyond the critical or warning limit.
func threshold(th Threshold, t *track) verdict {
	p := t.last()
	v := verdict{detector: DetectThreshold, evidence: []point{p}, tpl: tplThreshold, data: base(t)}
	beyond := func(limit *float64) bool {
		if limit == nil {
			return false
		}
		if th.Below {
			return p.Value < *limit
		}
		return p.Value > *limit
	}
	switch {
	case beyond(th.Critical):
		v.severity = SeverityCritical
	case beyond(th.Warning):
		v.severity = SeverityWarning
	}
	return v
}

// baseline: the last value diverged from the EWMA baseline it was judged
// against when it arrived (track.observe); the evidence is that point
// and the last one that did not diverge.
func baseline(t *track) verdict {
	v := verdict{detector: DetectBaseline, tpl: tplBaseline, data: base(t)}
	if !t.diverged || t.calm.Fact == 0 {
		return v
	}
	v.severity = SeverityWarning
	v.evidence = []point{t.calm, t.last()}
	v.data["earlier"], v.data["earlier_at"] = num(t.calm.Value), stamp(t.calm.At)
	return v
}

// certExpiry: days left within the critical or warning window.
func certExpiry(w Windows, t *track) verdict {
	p := t.last()
	v := verdict{detector: DetectCert, evidence: []point{p}, tpl: tplCert, data: base(t)}
	switch {
	case p.Value <= float64(w.Critical):
		v.severity = SeverityCritical
	case p.Value <= float64(w.Warning):
		v.severity = SeverityWarning
	}
	return v
}

// diskFill: the least-squares line through the window's points reaches
// 100 within the critical or warning horizon.
func diskFill(c DiskFill, t *track) verdict {
	v := verdict{detector: DetectDiskFill, tpl: tplDisk, data: base(t)}
	last := t.last()
	var win []point
	for _, p := range t.points {
		if last.At.Sub(p.At) <= c.Window.D() {
			win = append(win, p)
		}
	}
	if len(win) < c.Points {
		return v
	}
	eta, ok := fillETA(win)
	if !ok {
		return v
	}
	switch {
	case eta <= c.Critical.D():
		v.severity = SeverityCritical
	case eta <= c.Warning.D():
		v.severity = SeverityWarning
	default:
		return v
	}
	v.evidence = win
	v.data["first"], v.data["first_at"] = num(win[0].Value), stamp(win[0].At)
	return v
}

// fillETA fits value = a + b·hours by least squares and returns how long
// from the last point until the line reaches 100; false when it does not
// rise.
func fillETA(ps []point) (time.Duration, bool) {
	t0 := ps[0].At
	var sx, sy, sxx, sxy float64
	for _, p := range ps {
		x := p.At.Sub(t0).Hours()
		sx, sy, sxx, sxy = sx+x, sy+p.Value, sxx+x*x, sxy+x*p.Value
	}
	n := float64(len(ps))
	den := n*sxx - sx*sx
	if den == 0 {
		return 0, false
	}
	b := (n*sxy - sx*sy) / den
	if b <= 0 {
		return 0, false
	}
	a := (sy - b*sx) / n
	lastX := ps[len(ps)-1].At.Sub(t0).Hours()
	hours := (100-a)/b - lastX
	if hours < 0 {
		hours = 0
	}
	return time.Duration(math.Min(hours, 1e5) * float64(time.Hour)), true
}
