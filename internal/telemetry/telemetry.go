// Package telemetry is the one seam between Steward's parts and its
// metrics and traces, so that no part imports a metrics library.
//
// Contract. Metrics is what a part reports: counters and histograms whose
// label values come from closed sets (stage names, outcomes, stable error
// codes, tool ids, channel ids, provider names) and never from what a
// person typed; an implementation must refuse any other value (the
// Prometheus one in telemetry/prom turns it into "other"). Nop reports
// nothing. An Obs pairs Metrics with an OpenTelemetry tracer and travels
// in the context of a turn: Stage times one stage of the pipeline and, when
// tracing is on, opens its span. A context with no Obs costs one lookup per
// stage and allocates nothing. Nothing here blocks or returns an error: a
// telemetry failure never reaches the request path (OBS-07).
package telemetry

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Stage names: the stages of a turn that are timed, and the spans that
// cross the asynchronous boundary (a promoted task, its delivery).
const (
	StageTurn     = "turn"
	StageRoute    = "route"
	StagePlan     = "plan"
	StageGate     = "gate"
	StageDispatch = "dispatch"
	StageNarrate  = "narrate"
	StageAudit    = "audit_commit"
	StageTask     = "task"
	StageDeliver  = "deliver"
)

// Metrics is what the parts report. Every method is safe for concurrent
// use, returns at once and never fails.
type Metrics interface {
	// Turn counts one finished turn by channel and outcome ("ok",
	// "proposed", "duplicate" or a stable error code).
	Turn(channel, outcome string)
	// Stage observes one stage's latency.
	Stage(stage string, d time.Duration)
	// Proposal counts a proposal event by level: "proposed", "accepted",
	// "rejected", "expired", "cooling", "wrong_phrase", "refused".
	Proposal(level int, outcome string)
	// ToolCall counts a recorded tool result: "ok" or "failed".
	ToolCall(tool, result string)
	// Task counts a task reaching a state: "running" (promoted),
	// "done", "failed", "cancelled".
	Task(state string)
	// Delivery counts a delivery to a channel: "published", "delivered",
	// "failed", "retried", "rate_limited".
	Delivery(channel, result string)
	// ModelCall counts one model attempt by provider and outcome.
	ModelCall(provider, outcome string)
	// ModelTokens adds tokens by provider and kind ("prompt", "completion").
	ModelTokens(provider, kind string, n int)
	// Failover counts a fall back from the model path to the offline router.
	Failover(stage string)
	// AuditBatch observes the size of one audit group commit.
	AuditBatch(n int)
	// Alert counts an alert reaching a state ("firing", "acknowledged",
	// "resolved", "escalated", "suppressed").
	Alert(state string)
	// Dropped counts telemetry that was thrown away (a full span queue).
	Dropped(what string, n int)
}

// Nop is Metrics that reports nothing.
type Nop struct{}

func (Nop) Turn(string, string)             {}
func (Nop) Stage(string, time.Duration)     {}
func (Nop) Proposal(int, string)            {}
func (Nop) ToolCall(string, string)         {}
func (Nop) Task(string)                     {}
func (Nop) Delivery(string, string)         {}
func (Nop) ModelCall(string, string)        {}
func (Nop) ModelTokens(string, string, int) {}
func (Nop) Failover(string)                 {}
func (Nop) AuditBatch(int)                  {}
func (Nop) Alert(string)                    {}
func (Nop) Dropped(string, int)             {}

// Obs is the telemetry a turn carries: metrics and a tracer.
type Obs struct {
	M      Metrics
	tracer trace.Tracer
	traced bool
}

// New returns an Obs; a nil m is Nop, a nil tp traces nothing.
func New(m Metrics, tp trace.TracerProvider) *Obs {
	if m == nil {
		m = Nop{}
	}
	o := &Obs{M: m, tracer: noop.NewTracerProvider().Tracer("")}
	if tp != nil {
		o.tracer, o.traced = tp.Tracer("github.com/steward-os/steward"), true
	}
	return o
}

type ctxKey struct{}

// With returns ctx carrying o.
func With(ctx context.Context, o *Obs) context.Context {
	if o == nil {
		return ctx
	}
	return context.WithValue(ctx, ctxKey{}, o)
}

// From returns the Obs ctx carries, or nil.
func From(ctx context.Context) *Obs {
	o, _ := ctx.Value(ctxKey{}).(*Obs)
	return o
}

// End ends a stage with its error (nil for success).
type End func(err error)

func noEnd(error) {}

// Stage starts a stage: its latency is observed when the returned End is
// called and, with tracing on, a span named "steward.<name>" covers it.
func Stage(ctx context.Context, name string, attrs ...attribute.KeyValue) (context.Context, End) {
	o := From(ctx)
	if o == nil {
		return ctx, noEnd
	}
	start := time.Now()
	if !o.traced {
		return ctx, func(error) { o.M.Stage(name, time.Since(start)) }
	}
	ctx, span := o.tracer.Start(ctx, "steward."+name, trace.WithAttributes(attrs...))
	return ctx, func(err error) {
		o.M.Stage(name, time.Since(start))
		endSpan(span, err)
	}
}

func endSpan(span trace.Span, err error) {
	if err != nil {
		span.SetStatus(codes.Error, "failed") // the error's text may hold user data: not exported
	}
	span.End()
}

// Carried is what crosses an asynchronous boundary (a turn's call
// promoted to a task): the Obs and the span it was started under.
type Carried struct {
	o  *Obs
	sc trace.SpanContext
}

// Carry captures ctx's Obs and span for work that outlives ctx.
func Carry(ctx context.Context) Carried {
	return Carried{o: From(ctx), sc: trace.SpanContextFromContext(ctx)}
}

// Start begins, on a fresh ctx, a span linked to the carried one (and its
// child when the carried one is sampled), with the Obs attached.
func (c Carried) Start(ctx context.Context, name string) (context.Context, End) {
	if c.o == nil {
		return ctx, noEnd
	}
	ctx = With(ctx, c.o)
	if !c.o.traced {
		return ctx, noEnd
	}
	ctx = trace.ContextWithRemoteSpanContext(ctx, c.sc)
	ctx, span := c.o.tracer.Start(ctx, "steward."+name, trace.WithLinks(trace.Link{SpanContext: c.sc}))
	return ctx, func(err error) { endSpan(span, err) }
}

// MetricsOf returns ctx's metrics, Nop when it carries none.
func MetricsOf(ctx context.Context) Metrics {
	if o := From(ctx); o != nil {
		return o.M
	}
	return Nop{}
}

// TraceID is ctx's trace id in hex, "" when ctx has no valid span.
func TraceID(ctx context.Context) string {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.HasTraceID() {
		return ""
	}
	return sc.TraceID().String()
}
