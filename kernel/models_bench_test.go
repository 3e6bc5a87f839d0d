package kernel_test

import (
	"slices"
	"testing"
	"time"

	"github.com/steward-os/steward/kernel"
	"github.com/steward-os/steward/kernel/internal/llm/llmtest"
	kt "github.com/steward-os/steward/kernel/kerneltest"
)

// modelLatency is the fake model's fixed time per call.
const modelLatency = time.Second

// BenchmarkModelTurnOverhead measures what a turn on the model path costs
// besides the model: a fake model answers every call after exactly
// modelLatency, and the overhead of a turn is its wall time minus the
// time the fake spent answering its calls (routing and planning: two; the
// delay and the fake's own reading and writing of the wire format).
// Everything else counts as overhead: context, prompts, the client's
// encoding and decoding, the HTTP round trips, usage accounting, audit
// records, checks, the gate, the dispatch and the narration. Reported per
// turn as p50 and p99, in milliseconds and as a share of the turn.
//
//	go test ./kernel -run '^$' -bench ModelTurnOverhead -benchtime 100x
func BenchmarkModelTurnOverhead(b *testing.B) {
	for _, c := range []struct{ name, text string }{
		{"read", `hosting.list_servers {}`},
		{"proposal", `hosting.restart_server {"server":"web-1"}`},
	} {
		b.Run(c.name, func(b *testing.B) {
			obey := llmtest.Obedient(false)
			f := llmtest.New(b, func(r llmtest.Request) llmtest.Response {
				resp := obey(r)
				resp.Delay = modelLatency
				return resp
			})
			e := modelEnv(b, kernel.Models{Providers: []kernel.ModelProvider{prov("a", f)}})
			// The first turn pays once for what later turns reuse (the
			// connection, decoded schemas, the system prompts recorded in
			// full): it is reported on its own.
			before := f.Busy()
			start := time.Now()
			e.Say(b, kt.Alice, c.text)
			first := time.Since(start) - (f.Busy() - before)
			var overhead, turns []time.Duration
			for b.Loop() {
				before := f.Busy()
				start := time.Now()
				e.Say(b, kt.Alice, c.text)
				took := time.Since(start)
				overhead = append(overhead, took-(f.Busy()-before))
				turns = append(turns, took)
			}
			slices.Sort(overhead)
			slices.Sort(turns)
			p50, p99 := percentile(overhead, 50), percentile(overhead, 99)
			b.ReportMetric(float64(first.Microseconds())/1000, "first-turn-overhead-ms")
			b.ReportMetric(float64(p50.Microseconds())/1000, "overhead-p50-ms")
			b.ReportMetric(float64(p99.Microseconds())/1000, "overhead-p99-ms")
			b.ReportMetric(100*p50.Seconds()/percentile(turns, 50).Seconds(), "overhead-p50-%")
			b.ReportMetric(100*p99.Seconds()/percentile(turns, 99).Seconds(), "overhead-p99-%")
		})
	}
}

// percentile of sorted durations (nearest rank).
func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	return sorted[min(max(i-1, 0), len(sorted)-1)]
}
