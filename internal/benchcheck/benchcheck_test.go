package benchcheck

import (
	"strconv"
	"strings"
	"testing"
)

const baseline = `goos: linux
goarch: amd64
pkg: github.com/steward-os/steward/kernel
BenchmarkReference-2          	    1000	   100000 ns/op	   50000 cpu-ns/op	     512 B/op	       4 allocs/op
BenchmarkReference-2          	    1000	   110000 ns/op	   52000 cpu-ns/op	     512 B/op	       4 allocs/op
BenchmarkReference-2          	    1000	    90000 ns/op	   48000 cpu-ns/op	     512 B/op	       4 allocs/op
BenchmarkStageRoute-2         	    1000	    40000 ns/op	   20000 cpu-ns/op	    9000 B/op	     100 allocs/op
BenchmarkStageRoute-2         	    1000	    42000 ns/op	   21000 cpu-ns/op	    9000 B/op	     100 allocs/op
BenchmarkStageRoute-2         	    1000	    38000 ns/op	   19000 cpu-ns/op	    9000 B/op	     100 allocs/op
pkg: github.com/steward-os/steward/session/store/sqlite
BenchmarkStageLedgerAppend-2  	    1000	   300000 ns/op	   30000 cpu-ns/op	    2000 B/op	      20 allocs/op
`

// run builds a result file: the machine twice as slow for everything
// (slow), and the route stage changed by the given factors on top.
func run(slow, routeTime, routeAllocs float64) string {
	r := strings.NewReplacer(
		"100000 ns/op", f(100000*slow)+" ns/op", "110000 ns/op", f(110000*slow)+" ns/op", "90000 ns/op", f(90000*slow)+" ns/op",
		"50000 cpu-ns/op", f(50000*slow)+" cpu-ns/op", "52000 cpu-ns/op", f(52000*slow)+" cpu-ns/op", "48000 cpu-ns/op", f(48000*slow)+" cpu-ns/op",
		"20000 cpu-ns/op", f(20000*slow*routeTime)+" cpu-ns/op", "21000 cpu-ns/op", f(21000*slow*routeTime)+" cpu-ns/op", "19000 cpu-ns/op", f(19000*slow*routeTime)+" cpu-ns/op",
		"100 allocs/op", f(100*routeAllocs)+" allocs/op",
		"30000 cpu-ns/op", f(30000*slow)+" cpu-ns/op",
	)
	return r.Replace(baseline)
}

func f(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func compare(t *testing.T, runText string) ([]Finding, error) {
	t.Helper()
	base, err := Read(strings.NewReader(baseline), "baseline")
	if err != nil {
		t.Fatal(err)
	}
	res, err := Read(strings.NewReader(runText), "run")
	if err != nil {
		t.Fatal(err)
	}
	return Compare(base, res, Reference, 0.25)
}

func TestReadMedians(t *testing.T) {
	res, err := Read(strings.NewReader(baseline), "baseline")
	if err != nil {
		t.Fatal(err)
	}
	got := res["kernel.BenchmarkStageRoute"]
	if got[CPUNsOp] != 20000 || got[NsOp] != 40000 || got[AllocsOp] != 100 {
		t.Fatalf("medians: %v", got)
	}
	if res["sqlite.BenchmarkStageLedgerAppend"] == nil {
		t.Fatalf("keys: %v", res)
	}
}

// A machine twice as slow for everything passes: time is a ratio to the
// reference of the same run.
func TestSlowerMachinePasses(t *testing.T) {
	if fs, err := compare(t, run(2, 1, 1)); err != nil {
		t.Fatalf("%v\n%v", err, fs)
	}
}

// A planted regression fails: the route stage 40 % slower than the
// reference allows, or 30 % more allocations.
func TestPlantedRegressionFails(t *testing.T) {
	for _, c := range []struct {
		name         string
		time, allocs float64
		metric       string
	}{
		{"time", 1.4, 1, CPUNsOp},
		{"allocs", 1, 1.3, AllocsOp},
	} {
		t.Run(c.name, func(t *testing.T) {
			fs, err := compare(t, run(2, c.time, c.allocs))
			if err == nil || !strings.Contains(err.Error(), "kernel.BenchmarkStageRoute") {
				t.Fatalf("want a regression of the route stage, got %v", err)
			}
			for _, f := range fs {
				if f.Failed && !strings.HasPrefix(f.Metric, c.metric) {
					t.Errorf("unexpected failure: %v", f)
				}
			}
		})
	}
	// Within the limit passes.
	if _, err := compare(t, run(1, 1.2, 1.2)); err != nil {
		t.Fatalf("20 %% is within the 25 %% limit: %v", err)
	}
}

// A stage missing from the run, or a run without the reference, fails.
func TestMissingStageFails(t *testing.T) {
	cut := strings.ReplaceAll(run(1, 1, 1), "BenchmarkStageLedgerAppend", "BenchmarkSomethingElse")
	if _, err := compare(t, cut); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("missing stage: %v", err)
	}
	noRef := strings.ReplaceAll(run(1, 1, 1), "BenchmarkReference", "BenchmarkOther")
	if _, err := compare(t, noRef); err == nil || !strings.Contains(err.Error(), "reference") {
		t.Fatalf("missing reference: %v", err)
	}
}
