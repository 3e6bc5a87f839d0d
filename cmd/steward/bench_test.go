package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// benchLoad is the part of a report's "load" or "baseline" object the
// smoke test reads, decoded by the JSON keys other tools read.
type benchLoad struct {
	Target      string                  `json:"target"`
	Concurrency int                     `json:"concurrency"`
	Turns       int64                   `json:"turns"`
	Ops         map[string]int64        `json:"ops"`
	TurnsPerSec float64                 `json:"turns_per_s"`
	Latency     benchLatency            `json:"latency"`
	ByClass     map[string]benchLatency `json:"latency_by_class"`
	Errors      struct {
		Unexpected map[string]int `json:"unexpected"`
	} `json:"errors"`
	Lost       int64    `json:"lost"`
	Misrouted  int64    `json:"misrouted"`
	Duplicates int64    `json:"duplicates"`
	OddReplies int64    `json:"unexpected_replies"`
	OddSamples []string `json:"unexpected_reply_samples"`
	Server     *struct {
		Before *struct {
			RSSBytes int64 `json:"rss_bytes"`
		} `json:"before"`
		After *struct {
			Goroutines int64 `json:"goroutines"`
		} `json:"after"`
	} `json:"server"`
}

type benchLatency struct {
	Count int     `json:"count"`
	P50   float64 `json:"p50_ms"`
	P99   float64 `json:"p99_ms"`
	Max   float64 `json:"max_ms"`
}

// TestBenchSmoke drives an embedded gateway with 4 actors for 200 turns of
// the default mix, plus the echo baseline, and checks that nothing was
// lost, misrouted or refused unexpectedly, and the JSON report's shape.
func TestBenchSmoke(t *testing.T) {
	began := time.Now()
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"bench", "--embedded", "--baseline", "--concurrency", "4", "--turns", "200", "--duration", "60s", "--json"}, strings.NewReader(""), &out, &errb)
	if code != 0 {
		t.Fatalf("bench exited %d\n%s\n%s", code, out.String(), errb.String())
	}
	var rep struct {
		Machine struct {
			CPUs  int    `json:"nproc"`
			Model string `json:"cpu_model"`
		} `json:"machine"`
		Load     *benchLoad        `json:"load"`
		Baseline *benchLoad        `json:"baseline"`
		Ratio    *float64          `json:"ratio_to_baseline"`
		Targets  []json.RawMessage `json:"targets"`
	}
	dec := json.NewDecoder(bytes.NewReader(out.Bytes()))
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, out.String())
	}
	// The keys other tools read.
	var raw map[string]map[string]any
	_ = json.Unmarshal(out.Bytes(), &raw)
	for _, k := range []string{"turns", "turns_per_s", "latency", "latency_by_class", "errors", "lost", "misrouted", "duplicates", "unexpected_replies", "server", "ops"} {
		if _, ok := raw["load"][k]; !ok {
			t.Errorf("load.%s missing from the report", k)
		}
	}
	if rep.Machine.CPUs < 1 || rep.Machine.Model == "" {
		t.Errorf("machine %+v", rep.Machine)
	}
	l := rep.Load
	if l == nil || rep.Baseline == nil || rep.Ratio == nil {
		t.Fatalf("load, baseline or ratio missing:\n%s", out.String())
	}
	if l.Turns != 200 || l.Target != "embedded" || l.Concurrency != 4 {
		t.Errorf("load: %d turns against %q with %d actors", l.Turns, l.Target, l.Concurrency)
	}
	if l.Lost != 0 || l.Misrouted != 0 || l.Duplicates != 0 || l.OddReplies != 0 {
		t.Errorf("lost %d, misrouted %d, duplicate %d, unexpected replies %d: %v", l.Lost, l.Misrouted, l.Duplicates, l.OddReplies, l.OddSamples)
	}
	if len(l.Errors.Unexpected) != 0 {
		t.Errorf("unexpected errors %v", l.Errors.Unexpected)
	}
	if l.Ops["read"] == 0 || l.Latency.Count != 200 || l.Latency.P50 <= 0 || l.Latency.P99 < l.Latency.P50 || l.Latency.Max < l.Latency.P99 {
		t.Errorf("ops %v, latency %+v", l.Ops, l.Latency)
	}
	if l.TurnsPerSec <= 0 || l.ByClass["read"].Count == 0 {
		t.Errorf("rate %.1f, by class %v", l.TurnsPerSec, l.ByClass)
	}
	if m := l.Server; m == nil || m.Before == nil || m.After == nil || m.Before.RSSBytes <= 0 || m.After.Goroutines <= 0 {
		t.Errorf("server memory %+v", l.Server)
	}
	if b := rep.Baseline; b.Turns != 200 || b.Lost != 0 || b.Misrouted != 0 || len(b.Errors.Unexpected) != 0 || b.TurnsPerSec <= 0 {
		t.Errorf("baseline %+v", b)
	}
	if len(rep.Targets) == 0 {
		t.Error("no target verdicts")
	}
	t.Logf("%.0f turns/s (baseline %.0f), p50 %.1f ms, p99 %.1f ms, in %s", l.TurnsPerSec, rep.Baseline.TurnsPerSec, l.Latency.P50, l.Latency.P99, time.Since(began).Round(time.Millisecond))
}
