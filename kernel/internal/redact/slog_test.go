package redact_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/steward-os/steward/kernel/internal/redact"
)

const (
	botToken = "4242:planted-bot-token"
	late     = "learnt-later-secret"
)

// stringer, marshaler and valuer carry a secret the way a client
// library's values do.
type stringer struct{ s string }

func (s stringer) String() string { return "endpoint " + s.s }

type marshaler struct{ s string }

func (m marshaler) MarshalText() ([]byte, error) { return []byte("text " + m.s), nil }

type valuer struct{ s string }

func (v valuer) LogValue() slog.Value {
	return slog.GroupValue(slog.String("url", "https://x.test/bot"+v.s))
}

type config struct {
	Name  string
	Token string
}

// newLogger is a logger on buf through the masking handler, as text or
// JSON, without the time.
func newLogger(buf *bytes.Buffer, m *redact.Masker, json bool) *slog.Logger {
	opts := &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}
	var h slog.Handler = slog.NewTextHandler(buf, opts)
	if json {
		h = slog.NewJSONHandler(buf, opts)
	}
	return slog.New(redact.NewHandler(h, m))
}

// ISO-05: no secret the masker knows reaches a log line, however it is
// carried: the message, a string, an error wrapping a url.Error (as the
// Telegram client's does), a Stringer, a TextMarshaler, a LogValuer, a
// []byte, a struct, a group, and attributes added with With and inside
// WithGroup.
func TestHandlerMasksEveryValue(t *testing.T) {
	urlErr := &url.Error{Op: "Post", URL: "https://api.telegram.org/bot" + botToken + "/getMe", Err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}}
	cases := []struct {
		name string
		log  func(l *slog.Logger)
	}{
		{"message", func(l *slog.Logger) { l.Info("token " + botToken) }},
		{"string", func(l *slog.Logger) { l.Info("x", "token", botToken) }},
		{"error", func(l *slog.Logger) { l.Error("x", "err", fmt.Errorf("reach the Bot API: %w", urlErr)) }},
		{"stringer", func(l *slog.Logger) { l.Info("x", "endpoint", stringer{botToken}) }},
		{"text marshaler", func(l *slog.Logger) { l.Info("x", "v", marshaler{botToken}) }},
		{"log valuer", func(l *slog.Logger) { l.Info("x", "v", valuer{botToken}) }},
		{"bytes", func(l *slog.Logger) { l.Info("x", "body", []byte("token="+botToken)) }},
		{"struct", func(l *slog.Logger) { l.Info("x", "cfg", config{Name: "bot", Token: botToken}) }},
		{"pointer", func(l *slog.Logger) { l.Info("x", "cfg", &config{Name: "bot", Token: botToken}) }},
		{"map", func(l *slog.Logger) { l.Info("x", "cfg", map[string]string{"token": botToken}) }},
		{"group", func(l *slog.Logger) {
			l.Info("x", slog.Group("req", slog.String("method", "getMe"), slog.Group("inner", slog.Any("err", urlErr))))
		}},
		{"with", func(l *slog.Logger) { l.With("url", "https://x.test/bot"+botToken).Info("x") }},
		{"with group", func(l *slog.Logger) { l.WithGroup("g").With("err", urlErr).Info("x", "k", botToken) }},
		{"attrs", func(l *slog.Logger) {
			l.LogAttrs(context.Background(), slog.LevelWarn, "x", slog.Any("err", urlErr), slog.String("k", "v"))
		}},
	}
	for _, json := range []bool{false, true} {
		for _, c := range cases {
			var buf bytes.Buffer
			c.log(newLogger(&buf, redact.New(botToken), json))
			if out := buf.String(); strings.Contains(out, botToken) || strings.Contains(out, "planted") || !strings.Contains(out, "[secret]") {
				t.Errorf("json=%v %s: %s", json, c.name, out)
			}
		}
	}
}

// A record with no secret reaches the wrapped handler as it was: the
// output is byte for byte what the handler writes without the wrapper.
func TestHandlerLeavesCleanRecords(t *testing.T) {
	log := func(l *slog.Logger) {
		l = l.With("module", "channels.telegram.default").WithGroup("req")
		l.Info("steward is serving", "addr", "127.0.0.1:8080", "chat_bots", []string{"slack", "telegram"}, "n", 3,
			"err", errors.New("dial tcp 127.0.0.1:9: connect: connection refused"), "who", stringer{"x"}, "cfg", &config{Name: "bot"},
			slog.Group("g", slog.Bool("ok", true)), "mail", "jane@example.com")
	}
	for _, json := range []bool{false, true} {
		var plain, masked bytes.Buffer
		opts := &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		}}
		var h slog.Handler = slog.NewTextHandler(&plain, opts)
		if json {
			h = slog.NewJSONHandler(&plain, opts)
		}
		log(slog.New(h))
		log(newLogger(&masked, redact.New(botToken), json))
		if plain.String() != masked.String() {
			t.Errorf("json=%v:\nplain  %s\nmasked %s", json, plain.String(), masked.String())
		}
	}
}

// A secret learnt after a logger was derived with With is masked from
// then on, in the attributes added before it was known too.
func TestHandlerSecretsLearntLater(t *testing.T) {
	for _, json := range []bool{false, true} {
		var buf bytes.Buffer
		m := redact.New()
		l := newLogger(&buf, m, json).With("url", "https://x.test/"+late).WithGroup("g").With("again", late)
		l.Info("before")
		if !strings.Contains(buf.String(), late) {
			t.Fatalf("not yet a secret, yet masked: %s", buf.String())
		}
		buf.Reset()
		m.WithFields("x").AddSecrets(late) // a copy shares the secrets
		l.Info("after " + late)
		l.With("k", "v").Info("derived")
		if out := buf.String(); strings.Contains(out, late) || strings.Count(out, "[secret]") != 5 {
			t.Errorf("json=%v: %s", json, out)
		}
	}
}

// Loggers derived and used from many goroutines while the masker learns
// secrets: safe under the race detector, and once a secret is added every
// record is masked.
func TestHandlerConcurrent(t *testing.T) {
	m := redact.New()
	var mu sync.Mutex
	var buf bytes.Buffer
	base := slog.New(redact.NewHandler(slog.NewTextHandler(&lockedWriter{mu: &mu, w: &buf}, nil), m))
	var wg sync.WaitGroup
	loggers := make([]*slog.Logger, 8)
	for i := range loggers {
		loggers[i] = base.With("worker", i, "token", late)
	}
	for i := range loggers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 200 {
				loggers[i].With("j", j).Info("x", "err", fmt.Errorf("post bot%s: refused", late))
			}
		}()
	}
	m.AddSecrets(late)
	wg.Wait()
	buf.Reset()
	for _, l := range loggers {
		l.Info("after", "v", late)
	}
	if strings.Contains(buf.String(), late) {
		t.Errorf("a secret added before these records was written:\n%s", buf.String())
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// discard is a handler that only counts records: what the wrapper costs
// is all that is measured.
type discard struct{ n *int }

func (d discard) Enabled(context.Context, slog.Level) bool  { return true }
func (d discard) Handle(context.Context, slog.Record) error { *d.n++; return nil }
func (d discard) WithAttrs([]slog.Attr) slog.Handler        { return d }
func (d discard) WithGroup(string) slog.Handler             { return d }

func BenchmarkHandler(b *testing.B) {
	m := redact.New(botToken, "xoxb-planted-slack-token", "planted-signing-secret", "alice-planted-user-token")
	ctx := context.Background()
	var n int
	for _, c := range []struct {
		name string
		h    slog.Handler
	}{
		{"discard/plain", discard{&n}},
		{"discard/masked", redact.NewHandler(discard{&n}, m)},
		{"text/plain", slog.NewTextHandler(io.Discard, nil)},
		{"text/masked", redact.NewHandler(slog.NewTextHandler(io.Discard, nil), m)},
	} {
		l := slog.New(c.h).With("module", "channels.telegram.default", "channel", "telegram")
		b.Run(c.name+"/clean", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				l.LogAttrs(ctx, slog.LevelWarn, "getUpdates failed", slog.String("err", "dial tcp 127.0.0.1:9: connect: connection refused"), slog.Duration("retry_in", 500))
			}
		})
		b.Run(c.name+"/secret", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				l.LogAttrs(ctx, slog.LevelWarn, "getUpdates failed", slog.String("err", "Post \"https://api.telegram.org/bot"+botToken+"/getUpdates\": connection refused"), slog.Duration("retry_in", 500))
			}
		})
	}
}
