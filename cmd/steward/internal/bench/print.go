package bench

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"strings"
)

// verdicts compares the run with the targets (on the 2-core
// machine): read mix ≥ 20 % of the echo baseline with p99 ≤ 10 ms; no lost
// or misrouted replies and no unexpected errors; 10,000 idle sessions in
// ≤ 300 MB; ready in ≤ 200 ms.
func verdicts(r *report) []targetVerdict {
	var out []targetVerdict
	if l := r.Load; l != nil {
		if l.Mix == "read" && r.Ratio != nil {
			out = append(out, targetVerdict{Target: "read mix ≥ 20 % of the echo baseline", Value: fmt.Sprintf("%.2f %%", *r.Ratio*100), Met: *r.Ratio >= 0.20})
		}
		if l.Mix == "read" {
			out = append(out, targetVerdict{Target: "read mix p99 ≤ 10 ms", Value: fmt.Sprintf("%.1f ms", l.Latency.P99), Met: l.Latency.P99 <= 10})
		}
		unexpected := 0
		for _, n := range l.Errors.Unexpected {
			unexpected += n
		}
		out = append(out, targetVerdict{Target: "no lost or misrouted replies, no unexpected errors",
			Value: fmt.Sprintf("%d lost, %d misrouted, %d duplicate, %d unexpected errors, %d unexpected replies over %d turns", l.Lost, l.Misrouted, l.Duplicates, unexpected, l.OddReplies, l.Turns),
			Met:   l.Lost == 0 && l.Misrouted == 0 && l.Duplicates == 0 && unexpected == 0 && l.OddReplies == 0})
		if l.Mix != "read" {
			out = append(out, targetVerdict{Target: "the default mix over 100,000 turns", Value: fmt.Sprintf("%d turns", l.Turns), Met: l.Turns >= 100000})
		}
	}
	if i := r.Idle; i != nil && i.RSSAfter > 0 {
		proj := i.PerSession * 10000 / (1 << 20)
		out = append(out, targetVerdict{Target: "10,000 idle sessions in ≤ 300 MB RSS",
			Value: fmt.Sprintf("%d open, %.1f KiB/session, %.0f MB total RSS", i.Open, i.PerSession/1024, float64(i.RSSAfter)/(1<<20)),
			Met:   i.Open >= 10000 && float64(i.RSSAfter) <= 300*(1<<20) && proj <= 300})
	}
	if s := r.Startup; s != nil && len(s.Fresh) > 0 {
		out = append(out, targetVerdict{Target: "ready in ≤ 200 ms (embedded default)", Value: fmt.Sprintf("fresh median %.0f ms, warm median %.0f ms", s.FreshMed, s.WarmMed), Met: s.FreshMed <= 200})
	}
	return out
}

func mb(b int64) string { return fmt.Sprintf("%.1f MB", float64(b)/(1<<20)) }

func snapText(p *procSnapshot) string {
	if p == nil {
		return "n/a"
	}
	s := "RSS " + mb(p.RSSBytes)
	if p.Goroutines >= 0 {
		s += fmt.Sprintf(", %d goroutines", p.Goroutines)
	}
	if p.HeapBytes >= 0 {
		s += ", heap " + mb(p.HeapBytes)
	}
	return s + fmt.Sprintf(", %d threads", p.Threads)
}

func countsText(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %d", k, m[k])
	}
	return b.String()
}

func latText(l latencyStats) string {
	return fmt.Sprintf("p50 %.2f ms  p95 %.2f ms  p99 %.2f ms  max %.2f ms  (mean %.2f, n %d)", l.P50, l.P95, l.P99, l.Max, l.Mean, l.Count)
}

func printLoad(w io.Writer, name string, l *loadResult) {
	fmt.Fprintf(w, "%s: %s, mix %s (%.1f/%.1f/%.1f %% read/write/destructive), %d actors, %.1f s\n", name, l.Target, l.Mix, l.MixPct[0], l.MixPct[1], l.MixPct[2], l.Concurrency, l.Seconds)
	if l.State > 0 {
		fmt.Fprintf(w, "  stored state: %d more tasks in bench-1 (actor 1's reads: class read_stateful)\n", l.State)
	}
	fmt.Fprintf(w, "  %-16s %d turns, %.1f turns/s; ops %s (%.1f ops/s)\n", "throughput", l.Turns, l.TurnsPerSec, countsText(intMap(l.Ops)), l.OpsPerSec)
	fmt.Fprintf(w, "  %-16s %s\n", "latency", latText(l.Latency))
	classes := make([]string, 0, len(l.ByClass))
	for c := range l.ByClass {
		classes = append(classes, c)
	}
	sort.Strings(classes)
	for _, c := range classes {
		fmt.Fprintf(w, "  %-16s %s\n", "  "+c, latText(l.ByClass[c]))
	}
	fmt.Fprintf(w, "  %-16s expected: %s; unexpected: %s\n", "errors", countsText(l.Errors.Expected), countsText(l.Errors.Unexpected))
	fmt.Fprintf(w, "  %-16s lost %d, misrouted %d, duplicate %d, unexpected replies %d, events %d, reconnects %d\n", "replies", l.Lost, l.Misrouted, l.Duplicates, l.OddReplies, l.Events, l.Reconnects)
	for _, s := range l.OddSamples {
		fmt.Fprintf(w, "  %-16s %s\n", "  sample", s)
	}
	if m := l.Server; m != nil {
		fmt.Fprintf(w, "  %-16s %s\n", "server memory", m.Source)
		fmt.Fprintf(w, "  %-16s %s\n", "  before", snapText(m.Before))
		fmt.Fprintf(w, "  %-16s %s\n", "  loaded", snapText(m.Loaded))
		fmt.Fprintf(w, "  %-16s %s\n", "  after", snapText(m.After))
		if m.Note != "" {
			fmt.Fprintf(w, "  %-16s %s\n", "", m.Note)
		}
	}
}

func intMap(m map[string]int64) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = int(v)
	}
	return out
}

func printReport(w io.Writer, r *report) {
	var b bytes.Buffer
	m := r.Machine
	fmt.Fprintf(&b, "steward bench — %d × %s, %s %s\n", m.CPUs, m.Model, m.Go, m.OS)
	if r.Startup != nil {
		s := r.Startup
		fmt.Fprintf(&b, "start-up: %s\n", s.Mode)
		fmt.Fprintf(&b, "  fresh data dir   median %.1f ms  %v\n", s.FreshMed, s.Fresh)
		if len(s.Warm) > 0 {
			fmt.Fprintf(&b, "  same data dir    median %.1f ms  %v\n", s.WarmMed, s.Warm)
		}
	}
	if i := r.Idle; i != nil {
		fmt.Fprintf(&b, "idle sessions: %s\n", i.Mode)
		fmt.Fprintf(&b, "  %d of %d open in %.1f s (%d still open at the reading; %d failures; RLIMIT_NOFILE %d)\n", i.Open, i.Requested, i.OpenSeconds, i.StillOpen, i.Failures, i.NoFile)
		if i.RSSAfter > 0 {
			fmt.Fprintf(&b, "  RSS %s → %s: %.1f KiB per session; threads %d → %d\n", mb(i.RSSBefore), mb(i.RSSAfter), i.PerSession/1024, i.Threads[0], i.Threads[1])
			if i.Goroutines[0] >= 0 {
				fmt.Fprintf(&b, "  goroutines %d → %d, Go heap %s → %s\n", i.Goroutines[0], i.Goroutines[1], mb(i.Heap[0]), mb(i.Heap[1]))
			}
		}
		if i.FirstError != "" {
			fmt.Fprintf(&b, "  first error: %s\n", i.FirstError)
		}
		if i.Note != "" {
			fmt.Fprintf(&b, "  note: %s\n", i.Note)
		}
	}
	if r.Soak != nil {
		printSoak(&b, r.Soak)
	}
	if r.Baseline != nil {
		printLoad(&b, "baseline", r.Baseline)
	}
	if r.Load != nil {
		printLoad(&b, "load", r.Load)
	}
	if r.Ratio != nil {
		fmt.Fprintf(&b, "ratio to the echo baseline: %.2f %% (%.1f / %.1f turns/s)\n", *r.Ratio*100, r.Load.TurnsPerSec, r.Baseline.TurnsPerSec)
	}
	if r.Profile != "" {
		fmt.Fprintf(&b, "cpu profile: %s (go tool pprof -top %s)\n", r.Profile, r.Profile)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	if len(r.Targets) > 0 {
		fmt.Fprintln(&b, "targets:")
		for _, t := range r.Targets {
			mark := "NOT MET"
			if t.Met {
				mark = "met"
			}
			fmt.Fprintf(&b, "  %-8s %s: %s\n", mark, t.Target, t.Value)
		}
	}
	_, _ = w.Write(b.Bytes())
}
