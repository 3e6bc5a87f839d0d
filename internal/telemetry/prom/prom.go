// Package prom is telemetry.Metrics over the Prometheus client library:
// one registry per gateway, served by Handler on the metrics listener.
//
// Contract. Every label value passes a guard before it reaches a series:
// it must look like an identifier (lower-case letters, digits and
// "_.:-", at most 64 bytes) and a label may take at most MaxValues
// distinct values; anything else is counted under "other". So a label
// can never carry an e-mail address, a sentence or a person's name
// spelled with capitals or spaces (OBS-02), and cardinality stays bounded.
// The metric names are listed in docs/observability.md.
package prom

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/steward-os/steward/internal/telemetry"
)

// MaxValues bounds the distinct values of one label.
const MaxValues = 256

// Other is the value a refused label value is counted under.
const Other = "other"

// Metrics is the Prometheus implementation of telemetry.Metrics.
type Metrics struct {
	reg *prometheus.Registry

	turns, proposals, tools, tasks, deliveries *prometheus.CounterVec
	modelCalls, modelTokens, failovers, alerts *prometheus.CounterVec
	dropped                                    *prometheus.CounterVec
	stages                                     *prometheus.HistogramVec
	batches                                    prometheus.Histogram

	mu   sync.Mutex
	seen map[string]map[string]bool // label → values admitted
}

var _ telemetry.Metrics = (*Metrics)(nil)

// New registers Steward's metrics, plus the Go runtime and process
// collectors, on a fresh registry.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), seen: map[string]map[string]bool{}}
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "steward", Name: name, Help: help}, labels)
		m.reg.MustRegister(c)
		return c
	}
	m.turns = counter("turns_total", "Finished turns by channel and outcome (ok, proposed, duplicate or a stable error code).", "channel", "outcome")
	m.proposals = counter("proposals_total", "Proposal events by safety level and outcome.", "level", "outcome")
	m.tools = counter("tool_calls_total", "Recorded tool results by tool and result (ok, failed).", "tool", "result")
	m.tasks = counter("tasks_total", "Background tasks reaching a state (running, done, failed, cancelled).", "state")
	m.deliveries = counter("deliveries_total", "Deliveries by channel and result.", "channel", "result")
	m.modelCalls = counter("model_calls_total", "Model attempts by provider and outcome.", "provider", "outcome")
	m.modelTokens = counter("model_tokens_total", "Model tokens by provider and kind (prompt, completion).", "provider", "kind")
	m.failovers = counter("model_failovers_total", "Falls back from the model path to the offline router, by stage.", "stage")
	m.alerts = counter("alerts_total", "Alerts reaching a state.", "state")
	m.dropped = counter("telemetry_dropped_total", "Telemetry thrown away rather than slowing a turn (spans of a full export queue).", "what")
	m.stages = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: "steward", Name: "stage_duration_seconds", Help: "Latency of each stage of a turn.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"stage"})
	m.batches = prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: "steward", Name: "audit_batch_size", Help: "Requests per audit group commit.",
		Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128},
	})
	m.reg.MustRegister(m.stages, m.batches, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry is the registry the metrics are on (tests gather from it).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg, MaxRequestsInFlight: 4, Timeout: 10 * time.Second})
}

// Gauge registers a gauge read at each scrape (queue depths, open sockets).
func (m *Metrics) Gauge(name, help string, read func() float64) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "steward", Name: name, Help: help}, read))
}

// value admits v as a value of label, or returns Other.
func (m *Metrics) value(label, v string) string {
	if !identifier(v) {
		return Other
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	vs := m.seen[label]
	if vs == nil {
		vs = map[string]bool{}
		m.seen[label] = vs
	}
	if !vs[v] {
		if len(vs) >= MaxValues {
			return Other
		}
		vs[v] = true
	}
	return v
}

// identifier reports whether v looks like an identifier rather than text.
func identifier(v string) bool {
	if v == "" || len(v) > 64 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == ':' || c == '-') {
			return false
		}
	}
	return true
}

func (m *Metrics) Turn(channel, outcome string) {
	m.turns.WithLabelValues(m.value("channel", channel), m.value("outcome", outcome)).Inc()
}

func (m *Metrics) Stage(stage string, d time.Duration) {
	m.stages.WithLabelValues(m.value("stage", stage)).Observe(d.Seconds())
}

func (m *Metrics) Proposal(level int, outcome string) {
	lv := Other
	if level >= 0 && level <= 4 {
		lv = strconv.Itoa(level)
	}
	m.proposals.WithLabelValues(lv, m.value("outcome", outcome)).Inc()
}

func (m *Metrics) ToolCall(tool, result string) {
	m.tools.WithLabelValues(m.value("tool", tool), m.value("result", result)).Inc()
}

func (m *Metrics) Task(state string) { m.tasks.WithLabelValues(m.value("state", state)).Inc() }

func (m *Metrics) Delivery(channel, result string) {
	m.deliveries.WithLabelValues(m.value("channel", channel), m.value("result", result)).Inc()
}

func (m *Metrics) ModelCall(provider, outcome string) {
	m.modelCalls.WithLabelValues(m.value("provider", provider), m.value("outcome", outcome)).Inc()
}

func (m *Metrics) ModelTokens(provider, kind string, n int) {
	if n > 0 {
		m.modelTokens.WithLabelValues(m.value("provider", provider), m.value("kind", kind)).Add(float64(n))
	}
}

func (m *Metrics) Failover(stage string) { m.failovers.WithLabelValues(m.value("stage", stage)).Inc() }

func (m *Metrics) AuditBatch(n int) { m.batches.Observe(float64(n)) }

func (m *Metrics) Alert(state string) { m.alerts.WithLabelValues(m.value("state", state)).Inc() }

func (m *Metrics) Dropped(what string, n int) {
	m.dropped.WithLabelValues(m.value("what", what)).Add(float64(n))
}
