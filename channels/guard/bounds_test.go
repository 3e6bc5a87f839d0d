package guard

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/steward-os/steward/session"
)

type sink struct {
	mu   sync.Mutex
	recs []session.Refusal
}

func (s *sink) Refuse(_ context.Context, r session.Refusal) {
	s.mu.Lock()
	s.recs = append(s.recs, r)
	s.mu.Unlock()
}

// Memory is bounded whatever the number of addresses: allowances and
// open windows are capped at MaxClients, and a window closed early to
// make room is still summarised, so every refusal is counted.
func TestBoundedMemory(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	out := &sink{}
	g := New(out, Options{MaxClients: 50, Burst: 3, Now: func() time.Time { return now }})
	ctx := context.Background()
	const addrs, each = 1000, 4
	for i := range addrs {
		for range each {
			g.Refuse(ctx, session.Refusal{Channel: "api", From: fmt.Sprintf("198.51.%d.%d", i/256, i%256), Code: session.CodeUnauthenticated})
		}
		if g.limits.clients() > 50 || g.sum.pending() > 50 {
			t.Fatalf("%d allowances, %d windows", g.limits.clients(), g.sum.pending())
		}
	}
	g.Flush(ctx)
	total := 0
	for _, r := range out.recs {
		if r.Codes == nil {
			total++
			continue
		}
		for _, n := range r.Codes {
			total += n
		}
	}
	if total != addrs*each || len(out.recs) != 2*addrs {
		t.Fatalf("%d records counting %d refusals, want %d records counting %d", len(out.recs), total, 2*addrs, addrs*each)
	}
	// The addresses still remembered are limited; a forgotten one starts over.
	if g.limits.wait("198.51.3.231", now) == 0 {
		t.Fatal("the most recent address is not limited")
	}
	if g.limits.wait("198.51.0.0", now) != 0 {
		t.Fatal("a forgotten address is still remembered")
	}
}

// A refusal without an address, or a summary, goes on at once and spends
// nothing.
func TestPassThrough(t *testing.T) {
	out := &sink{}
	g := New(out, Options{Burst: 1})
	for range 3 {
		g.Refuse(context.Background(), session.Refusal{Channel: "telegram", Code: session.CodeUnknownSender})
	}
	if len(out.recs) != 3 || g.limits.clients() != 0 || g.sum.pending() != 0 {
		t.Fatalf("%d records, %d allowances, %d windows", len(out.recs), g.limits.clients(), g.sum.pending())
	}
}
