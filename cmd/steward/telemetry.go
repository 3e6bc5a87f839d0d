package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"golang.org/x/term"

	"github.com/steward-os/steward/configs"
	"github.com/steward-os/steward/internal/telemetry"
	"github.com/steward-os/steward/internal/telemetry/prom"
	"github.com/steward-os/steward/internal/telemetry/tracing"
	"github.com/steward-os/steward/kernel"
	"github.com/steward-os/steward/sdk/module"
)

// observability is a command's telemetry: the Prometheus registry (nil
// with metrics off), the tracer provider, and what the kernel gets.
type observability struct {
	metrics *prom.Metrics
	tp      *sdktrace.TracerProvider
	obs     *kernel.Telemetry
}

// newObservability builds the metrics registry and the tracer provider
// the configuration asks for. Spans are always made (trace ids reach logs
// and audit records); they leave the process only with an exporter.
func newObservability(ctx context.Context, cfg *configs.Config) (*observability, error) {
	o := &observability{}
	var m telemetry.Metrics = telemetry.Nop{}
	if cfg.Metrics.Enabled {
		o.metrics = prom.New()
		m = o.metrics
	}
	t := cfg.Tracing
	opts := tracing.Options{Insecure: t.Insecure, SampleRatio: t.SampleRatio, Queue: t.Queue, Timeout: t.Timeout.D(), Version: kernel.Version}
	if t.Exporter == "otlp-http" {
		opts.Endpoint = t.Endpoint
	}
	tp, err := tracing.New(ctx, opts, m)
	if err != nil {
		return nil, err
	}
	o.tp, o.obs = tp, telemetry.New(m, tp)
	return o, nil
}

// Close exports what spans are queued, within a bound.
func (o *observability) Close() error {
	if o == nil || o.tp == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return o.tp.Shutdown(ctx)
}

// serveMetrics serves /metrics on the metrics listener until ctx ends
// and returns its address ("" when off). The gauges read the audit queue
// and the open sockets at each scrape. A listener that cannot be opened
// is logged: serving goes on without it.
func (g *gateway) serveMetrics(ctx context.Context) string {
	a := g.app
	if a.obs == nil || a.obs.metrics == nil {
		return ""
	}
	m := a.obs.metrics
	if q, ok := a.store.(auditStats); ok { // the embedded store's group commit
		m.Gauge("audit_queue_depth", "Audit append requests waiting for the next group commit.", func() float64 { return float64(q.AuditQueueDepth()) })
		q.ObserveBatches(m.AuditBatch)
	}
	m.Gauge("websocket_sessions", "Open WebSocket sessions of the chat page.", func() float64 { return float64(webSessions(a.modules.Modules())) })
	ln, err := net.Listen("tcp", a.cfg.Metrics.Addr)
	if err != nil {
		a.log.Warn("metrics listener not started", "listen", a.cfg.Metrics.Addr, "err", err)
		return ""
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, WriteTimeout: 30 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Warn("metrics listener stopped", "err", err)
		}
	}()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	return ln.Addr().String()
}

// auditStats is what a store with a group commit tells the metrics.
type auditStats interface {
	AuditQueueDepth() int
	ObserveBatches(fn func(n int))
}

// webSessions adds up the open sockets of every module that counts them.
func webSessions(ms []module.Module) int {
	n := 0
	for _, m := range ms {
		if s, ok := m.(interface{ Sessions() int }); ok {
			n += s.Sessions()
		}
	}
	return n
}

// logHandler is the handler of a command's log: JSON, or text when
// format is "text" or "auto" on a terminal; the active trace id added.
func logHandler(format string, w io.Writer, opts *slog.HandlerOptions) slog.Handler {
	text := format == "text"
	if f, ok := w.(*os.File); ok && format == "auto" {
		text = term.IsTerminal(int(f.Fd()))
	}
	var h slog.Handler = slog.NewJSONHandler(w, opts)
	if text {
		h = slog.NewTextHandler(w, opts)
	}
	return telemetry.NewLogHandler(h)
}
