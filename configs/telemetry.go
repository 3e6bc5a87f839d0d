package configs

import (
	"errors"
	"fmt"
	"net"
)

// Metrics is the metrics: block: Prometheus /metrics on its own listener.
type Metrics struct {
	Enabled bool `json:"enabled"`
	// Addr is HOST:PORT of the metrics listener (loopback by default).
	Addr string `json:"addr"`
}

// Tracing is the tracing: block: OpenTelemetry spans and their exporter.
type Tracing struct {
	// Exporter is "none" (spans stay in the process: trace ids still
	// reach logs and audit records) or "otlp-http".
	Exporter string `json:"exporter"`
	// Endpoint is the collector's HOST:PORT for otlp-http.
	Endpoint string `json:"endpoint"`
	// Insecure sends without TLS.
	Insecure bool `json:"insecure"`
	// SampleRatio is the share of new traces sampled, 0–1.
	SampleRatio float64 `json:"sample_ratio"`
	// Queue bounds the spans waiting for the exporter; more are dropped.
	Queue int `json:"queue"`
	// Timeout bounds one export.
	Timeout Duration `json:"timeout"`
}

// validateTelemetry checks the metrics: and tracing: blocks.
func (c *Config) validateTelemetry() []error {
	var errs []error
	if c.Metrics.Enabled {
		if _, _, err := net.SplitHostPort(c.Metrics.Addr); err != nil {
			errs = append(errs, fmt.Errorf("metrics.addr %q: want HOST:PORT", c.Metrics.Addr))
		}
	}
	t := c.Tracing
	switch t.Exporter {
	case "none":
	case "otlp-http":
		if _, _, err := net.SplitHostPort(t.Endpoint); err != nil {
			errs = append(errs, fmt.Errorf("tracing.endpoint %q: want HOST:PORT of the collector", t.Endpoint))
		}
	default:
		errs = append(errs, fmt.Errorf("tracing.exporter %q: want none or otlp-http", t.Exporter))
	}
	if t.SampleRatio < 0 || t.SampleRatio > 1 {
		errs = append(errs, fmt.Errorf("tracing.sample_ratio %v: want 0–1", t.SampleRatio))
	}
	if t.Queue < 1 || t.Queue > 1<<20 {
		errs = append(errs, fmt.Errorf("tracing.queue %d: want 1–1048576", t.Queue))
	}
	if t.Timeout.D() <= 0 {
		errs = append(errs, errors.New("tracing.timeout: want a positive duration"))
	}
	return errs
}
