package bench

import (
	"bytes"
	"strings"
	"testing"
)

// The soak's verdicts: crash-free only when every session finished with
// nothing lost or unexpected; memory bounded only within 50 % growth
// from the first tenth to the end. The table names start, middle, end.
func TestSoakVerdicts(t *testing.T) {
	mk := func(rssEnd int64, lost int64, done int64) *soakResult {
		r := &soakResult{Sessions: 10, Done: done, Lost: lost, Errors: errorCounts{Expected: map[string]int{}, Unexpected: map[string]int{}}}
		for i := int64(1); i <= 10; i++ {
			r.Points = append(r.Points, soakPoint{Sessions: i, RSSBytes: 100 << 20, HeapLive: 10 << 20})
		}
		r.Points[9].RSSBytes = rssEnd
		r.summarise()
		return r
	}
	for _, c := range []struct {
		name         string
		r            *soakResult
		crash, bound bool
	}{
		{"clean", mk(120<<20, 0, 10), true, true},
		{"grew", mk(151<<20, 0, 10), true, false},
		{"lost", mk(100<<20, 1, 10), false, true},
		{"unfinished", mk(100<<20, 0, 9), false, true},
	} {
		v := soakVerdicts(c.r)
		if len(v) != 2 || v[0].Met != c.crash || v[1].Met != c.bound {
			t.Errorf("%s: %+v", c.name, v)
		}
	}
	var b bytes.Buffer
	printSoak(&b, mk(120<<20, 0, 10))
	for _, want := range []string{"start", "middle", "end", "+20.0 %"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
}
