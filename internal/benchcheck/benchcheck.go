// Package benchcheck compares a run of the stage benchmarks with a
// committed baseline, as `make bench-check` does.
//
// Contract. Read takes `go test -bench -benchmem` output (several -count
// runs allowed) and keeps, per benchmark, the median of each metric.
// Compare fails a benchmark whose allocs/op grew by more than the limit,
// or whose time grew by more than the limit relative to the reference
// benchmark of the same run: time is compared as a ratio (stage ÷
// reference, both from one file), so that a machine that is slower or
// busier for both cancels out. The time metric is cpu-ns/op (process CPU
// per operation, from getrusage) when both files carry it, ns/op
// otherwise. A benchmark of the baseline missing from the run fails too.
package benchcheck

import (
	"fmt"
	"io"
	"path"
	"regexp"
	"slices"
	"sort"

	"golang.org/x/perf/benchfmt"
)

// Metric names, as `go test` prints them.
const (
	NsOp     = "ns/op"
	CPUNsOp  = "cpu-ns/op"
	AllocsOp = "allocs/op"
)

// Results are the medians of one file, by benchmark key ("pkg.Name",
// the package's last path element and the name without its -procs
// suffix), then by metric.
type Results map[string]map[string]float64

var procs = regexp.MustCompile(`-\d+$`)

// Read parses benchmark output and returns the median of every metric.
func Read(r io.Reader, name string) (Results, error) {
	samples := map[string]map[string][]float64{}
	br := benchfmt.NewReader(r, name)
	for br.Scan() {
		res, ok := br.Result().(*benchfmt.Result)
		if !ok {
			continue // a syntax error or unit metadata line: not a result
		}
		key := "Benchmark" + procs.ReplaceAllString(string(res.Name.Full()), "")
		if pkg := res.GetConfig("pkg"); pkg != "" {
			key = path.Base(pkg) + "." + key
		}
		if samples[key] == nil {
			samples[key] = map[string][]float64{}
		}
		for _, v := range res.Values {
			unit, val := v.Unit, v.Value
			if v.OrigUnit != "" {
				unit, val = v.OrigUnit, v.OrigValue
			}
			samples[key][unit] = append(samples[key][unit], val)
		}
	}
	if err := br.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	out := Results{}
	for k, ms := range samples {
		out[k] = map[string]float64{}
		for unit, vs := range ms {
			out[k][unit] = median(vs)
		}
	}
	return out, nil
}

func median(vs []float64) float64 {
	s := slices.Clone(vs)
	sort.Float64s(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// Finding is one benchmark's comparison on one metric.
type Finding struct {
	Bench  string
	Metric string  // AllocsOp, or the time metric with " (÷ reference)"
	Base   float64 // the baseline's value (a ratio for time)
	Got    float64 // the run's value (a ratio for time)
	Change float64 // Got/Base - 1
	Failed bool
}

func (f Finding) String() string {
	verdict := "ok"
	if f.Failed {
		verdict = "REGRESSED"
	}
	return fmt.Sprintf("%-9s %-52s %-26s base %12.4g  now %12.4g  %+7.1f %%", verdict, f.Bench, f.Metric, f.Base, f.Got, 100*f.Change)
}

// Compare checks every benchmark of base against run. ref is the key of
// the reference benchmark (present in both); limit is the allowed growth
// (0.25 for 25 %). It returns every finding, and an error naming the
// regressions when there is at least one.
func Compare(base, run Results, ref string, limit float64) ([]Finding, error) {
	br, rr := base[ref], run[ref]
	if br == nil || rr == nil {
		return nil, fmt.Errorf("reference benchmark %s missing from the baseline or the run", ref)
	}
	keys := make([]string, 0, len(base))
	for k := range base {
		if k != ref {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var out []Finding
	var failed []string
	for _, k := range keys {
		b, r := base[k], run[k]
		if r == nil {
			out = append(out, Finding{Bench: k, Metric: "missing from the run", Failed: true})
			failed = append(failed, k+" (missing)")
			continue
		}
		fs := []Finding{allocs(k, b, r, limit)}
		if t, ok := timed(k, b, r, br, rr, limit); ok {
			fs = append(fs, t)
		}
		for _, f := range fs {
			if f.Failed {
				failed = append(failed, fmt.Sprintf("%s %s %+.0f %%", k, f.Metric, 100*f.Change))
			}
		}
		out = append(out, fs...)
	}
	if len(failed) > 0 {
		return out, fmt.Errorf("%d stage regression(s) over %.0f %%: %v", len(failed), 100*limit, failed)
	}
	return out, nil
}

// allocs compares allocs/op; from 0 any allocation is a regression.
func allocs(k string, b, r map[string]float64, limit float64) Finding {
	f := Finding{Bench: k, Metric: AllocsOp, Base: b[AllocsOp], Got: r[AllocsOp]}
	switch {
	case f.Base > 0:
		f.Change = f.Got/f.Base - 1
		f.Failed = f.Change > limit
	case f.Got > 0:
		f.Change, f.Failed = 1, true
	}
	return f
}

// timed compares the time metric as a ratio to the reference's.
func timed(k string, b, r, br, rr map[string]float64, limit float64) (Finding, bool) {
	unit := CPUNsOp
	for _, m := range []map[string]float64{b, r, br, rr} {
		if m[CPUNsOp] <= 0 {
			unit = NsOp
		}
	}
	if b[unit] <= 0 || br[unit] <= 0 || rr[unit] <= 0 {
		return Finding{}, false
	}
	f := Finding{Bench: k, Metric: unit + " (÷ reference)", Base: b[unit] / br[unit], Got: r[unit] / rr[unit]}
	f.Change = f.Got/f.Base - 1
	f.Failed = f.Change > limit
	return f, true
}

// Reference is the key of the reference benchmark: fixed CPU work
// (kernel's BenchmarkReference) that every stage's time is divided by.
const Reference = "kernel.BenchmarkReference"
