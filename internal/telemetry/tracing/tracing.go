// Package tracing builds the OpenTelemetry tracer provider of a gateway:
// every span is sampled into a bounded queue that one goroutine exports in
// batches, so a collector that refuses, hangs or is slow never blocks the
// span's ender (OBS-07).
//
// Contract. Queue.OnEnd never blocks: when the queue is full the span is
// dropped and counted (telemetry.Metrics.Dropped("span", 1)); a failed or
// timed-out export drops its batch and counts it. Shutdown exports what is
// queued within its context and stops the worker. The SDK's own batch
// processor is not used because it drops without telling anyone.
package tracing

import (
	"context"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/steward-os/steward/internal/telemetry"
)

// Options configure the provider.
type Options struct {
	// Endpoint is the OTLP/HTTP collector's HOST:PORT; "" exports nothing
	// (spans are still made, so trace ids reach logs and audit records).
	Endpoint string
	Insecure bool
	// SampleRatio is the share of new traces sampled.
	SampleRatio float64
	// Queue bounds the spans waiting for export (default 2048).
	Queue int
	// Timeout bounds one export (default 5 s).
	Timeout time.Duration
	// Exporter replaces the OTLP exporter (tests).
	Exporter sdktrace.SpanExporter
	// Version is the service's version attribute.
	Version string
}

// New returns a tracer provider and the queue that feeds its exporter;
// call the provider's Shutdown when done.
func New(ctx context.Context, o Options, m telemetry.Metrics) (*sdktrace.TracerProvider, error) {
	if o.Queue <= 0 {
		o.Queue = 2048
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	exp := o.Exporter
	if exp == nil && o.Endpoint != "" {
		opts := []otlptracehttp.Option{otlptracehttp.WithEndpoint(o.Endpoint), otlptracehttp.WithTimeout(o.Timeout),
			otlptracehttp.WithRetry(otlptracehttp.RetryConfig{Enabled: false})}
		if o.Insecure {
			opts = append(opts, otlptracehttp.WithInsecure())
		}
		var err error
		if exp, err = otlptracehttp.New(ctx, opts...); err != nil {
			return nil, err
		}
	}
	popts := []sdktrace.TracerProviderOption{
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(o.SampleRatio))),
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", "steward"), attribute.String("service.version", o.Version))),
	}
	if exp != nil {
		popts = append(popts, sdktrace.WithSpanProcessor(NewQueue(exp, o.Queue, o.Timeout, m)))
	}
	return sdktrace.NewTracerProvider(popts...), nil
}

// Queue is a span processor with a bounded queue and one export worker.
type Queue struct {
	exp     sdktrace.SpanExporter
	timeout time.Duration
	m       telemetry.Metrics
	q       chan sdktrace.ReadOnlySpan
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
}

// batchMax is the most spans one export carries.
const batchMax = 512

// NewQueue starts a queue of size n in front of exp.
func NewQueue(exp sdktrace.SpanExporter, n int, timeout time.Duration, m telemetry.Metrics) *Queue {
	q := &Queue{exp: exp, timeout: timeout, m: m, q: make(chan sdktrace.ReadOnlySpan, n), stop: make(chan struct{}), done: make(chan struct{})}
	go q.run()
	return q
}

// OnStart does nothing.
func (q *Queue) OnStart(context.Context, sdktrace.ReadWriteSpan) {}

// OnEnd queues a sampled span, or drops and counts it when the queue is full.
func (q *Queue) OnEnd(s sdktrace.ReadOnlySpan) {
	if !s.SpanContext().IsSampled() {
		return
	}
	select {
	case q.q <- s:
	default:
		q.m.Dropped("span", 1)
	}
}

func (q *Queue) run() {
	defer close(q.done)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	batch := make([]sdktrace.ReadOnlySpan, 0, batchMax)
	for {
		select {
		case s := <-q.q:
			if batch = append(batch, s); len(batch) < batchMax {
				continue
			}
		case <-tick.C:
		case <-q.stop:
			q.drain(batch)
			return
		}
		batch = q.export(batch)
	}
}

// drain exports what is queued at shutdown.
func (q *Queue) drain(batch []sdktrace.ReadOnlySpan) {
	for {
		select {
		case s := <-q.q:
			batch = append(batch, s)
		default:
			q.export(batch)
			return
		}
	}
}

// export sends one batch within the timeout; a failed batch is counted
// as dropped. It returns the batch emptied.
func (q *Queue) export(batch []sdktrace.ReadOnlySpan) []sdktrace.ReadOnlySpan {
	if len(batch) == 0 {
		return batch
	}
	ctx, cancel := context.WithTimeout(context.Background(), q.timeout)
	defer cancel()
	if err := q.exp.ExportSpans(ctx, batch); err != nil {
		q.m.Dropped("span", len(batch))
	}
	clear(batch)
	return batch[:0]
}

// Shutdown exports what is queued (bounded by ctx) and stops the exporter.
func (q *Queue) Shutdown(ctx context.Context) error {
	q.once.Do(func() { close(q.stop) })
	select {
	case <-q.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	return q.exp.Shutdown(ctx)
}

// ForceFlush does nothing more: the worker exports every second.
func (q *Queue) ForceFlush(context.Context) error { return nil }
