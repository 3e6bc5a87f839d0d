package offline

import "testing"

// devCases is the development set plus every manifest example.
func devCases(t testing.TB) []routeCase {
	var cs []routeCase
	for _, spec := range loadCatalog(t) {
		for _, e := range spec.Examples {
			cs = append(cs, routeCase{text: e, tool: string(spec.ID), clarify: clarAny})
		}
	}
	return append(cs, devSet...)
}

// Thresholds are set from honest measurements (docs/router.md), a little
// below them so that the test guards against regressions, not noise.
func TestAccuracy(t *testing.T) {
	sets := []struct {
		name         string
		cases        []routeCase
		minAccuracy  float64
		maxForceFits int
	}{
		// ROUTE-01/ROUTE-02: tuned against.
		{"dev", devCases(t), 0.97, 0},
		// ROUTE-01/ROUTE-02: never tuned against. Blind first run 80.6%,
		// 83.3% after two generic bug fixes; no force-fit.
		{"held-out", heldOut, 0.80, 0},
		// Written after those fixes and run once, blind: 97.8%, and one
		// force-fit to a read ("open spotify" → tasks.list_tasks), kept as
		// measured rather than tuned away.
		{"held-out-B", heldOutB, 0.90, 1},
	}
	for _, s := range sets {
		t.Run(s.name, func(t *testing.T) {
			m := score(t, s.name, s.cases)
			if m.accuracy() < s.minAccuracy {
				t.Errorf("%s accuracy %.1f%% < %.0f%%", s.name, 100*m.accuracy(), 100*s.minAccuracy)
			}
			if m.forceFits > s.maxForceFits {
				t.Errorf("%s: %d out-of-scope force-fits, at most %d allowed", s.name, m.forceFits, s.maxForceFits)
			}
			// Whatever the router gets wrong, it must never pick a wrong tool
			// that changes something without asking first.
			if m.harmful > 0 {
				t.Errorf("%s: %d wrong state-changing plans", s.name, m.harmful)
			}
		})
	}
}
