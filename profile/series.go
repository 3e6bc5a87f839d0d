package profile

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"time"

	"github.com/steward-os/steward/session"
)

// key names one series of one resource in one tenant.
type key struct {
	Tenant   session.TenantID
	Series   string
	Resource string
}

// point is one observation as the detectors see it: its value and time,
// and the ledger fact that recorded it.
type point struct {
	Value float64
	At    time.Time
	Fact  int64
}

// track is the history of one series of one resource, newest last, at
// most limit points, with its EWMA baseline.
type track struct {
	key    key
	unit   string
	labels map[string]string
	tool   session.ToolID // the probe that observes it
	seen   time.Time      // when a probe last reported it
	points []point
	limit  int
	ewma   ewma
	// diverged says the last point was judged divergent from the
	// baseline; calm is the last point that was not.
	diverged bool
	calm     point
}

// observe adds a point and judges it against the baseline before folding
// it in: after warmup points, a point more than b.Sigmas standard
// deviations and b.MinDelta away from the mean diverges. A divergent
// point moves the baseline ten times more slowly, so an incident does not
// become the norm within minutes (a lasting new level is learnt over
// about 10/alpha points).
func (t *track) observe(p point, b Baseline) {
	if !t.add(p) {
		return
	}
	t.diverged = false
	if t.ewma.n >= b.Warmup {
		sig, delta := t.ewma.deviation(p.Value)
		t.diverged = sig >= b.Sigmas && delta >= b.MinDelta
	}
	alpha := b.Alpha
	if t.diverged {
		alpha /= 10
	} else {
		t.calm = p
	}
	t.ewma.update(p.Value, alpha)
}

// add appends a point, dropping the oldest beyond the limit. A point no
// newer than the last one is ignored (a probe read twice in one second).
func (t *track) add(p point) bool {
	if n := len(t.points); n > 0 && !p.At.After(t.points[n-1].At) {
		return false
	}
	t.points = append(t.points, p)
	if len(t.points) > t.limit {
		t.points = append(t.points[:0], t.points[len(t.points)-t.limit:]...)
	}
	return true
}

func (t *track) last() point { return t.points[len(t.points)-1] }

// ewma is an exponentially weighted moving mean and variance (West's
// incremental form): each observation moves the mean by alpha of its
// distance from it, and the variance likewise.
type ewma struct {
	n    int
	mean float64
	vr   float64
}

// deviation is how far x is from the mean, in standard deviations and
// absolutely.
func (e ewma) deviation(x float64) (sigmas, delta float64) {
	delta = math.Abs(x - e.mean)
	sd := math.Sqrt(e.vr)
	if sd == 0 {
		return math.Inf(1), delta
	}
	return delta / sd, delta
}

// update folds x in with weight alpha.
func (e *ewma) update(x, alpha float64) {
	if e.n == 0 {
		e.mean, e.n = x, 1
		return
	}
	d := x - e.mean
	e.mean += alpha * d
	e.vr = (1 - alpha) * (e.vr + alpha*d*d)
	e.n++
}

// fingerprint is stable for one detector on one series of one resource
// in one tenant: the same condition found on every pass is one finding.
func fingerprint(detector string, k key) string {
	sum := sha256.Sum256([]byte(string(k.Tenant) + "\x00" + detector + "\x00" + k.Series + "\x00" + k.Resource))
	return detector + ":" + hex.EncodeToString(sum[:8])
}
