//go:build !race

// The race detector's sync.Pool drops pooled values at random, so
// allocations are counted only in a build without it: `make test` runs the
// allocation tests once more without -race (target test-alloc).

package redact_test

import (
	"context"
	"log/slog"
	"testing"

	"github.com/steward-os/steward/kernel/internal/redact"
)

// A record that holds no secret costs no allocation in the wrapper.
func TestHandlerAllocationFree(t *testing.T) {
	var n int
	l := slog.New(redact.NewHandler(discard{&n}, redact.New(botToken, "another-secret"))).With("module", "channels.slack.default")
	ctx := context.Background()
	allocs := testing.AllocsPerRun(200, func() {
		l.LogAttrs(ctx, slog.LevelInfo, "retrying", slog.String("what", "auth.test"), slog.Int("attempt", 2),
			slog.String("err", `Post "https://slack.test/api/auth.test": dial tcp 127.0.0.1:9: connect: connection refused`))
	})
	if allocs != 0 || n == 0 {
		t.Errorf("%v allocations per clean record (%d handled)", allocs, n)
	}
}
