package sqlite_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/steward-os/steward/session"
)

var benchFactOutput = json.RawMessage(`{"servers":[{"name":"web-1","region":"eu-west","status":"running","size":"m"},{"name":"web-2","region":"eu-west","status":"running","size":"m"}]}`)

func benchFact(sid session.SessionID) session.Fact {
	return session.Fact{Session: sid, Turn: "t_bench", Step: "s1", Tool: "hosting.list_servers", Args: json.RawMessage(`{}`),
		ArgsHash: "0123456789abcdef", OK: true, Output: benchFactOutput, At: time.Now()}
}

// BenchmarkLedgerAppend records one fact (one transaction, one fsync).
func BenchmarkLedgerAppend(b *testing.B) {
	st := open(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := st.Record(ctx, benchFact("s"), nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLedgerAppendParallel records facts from every core at once:
// unlike audit appends they are not group-committed, so they queue on
// the single writer connection.
func BenchmarkLedgerAppendParallel(b *testing.B) {
	st := open(b)
	ctx := context.Background()
	var n atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		sid := session.SessionID(fmt.Sprintf("s%d", n.Add(1)))
		for pb.Next() {
			if _, err := st.Record(ctx, benchFact(sid), nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkLedgerRecent reads a session's newest facts under the replay cap
// (every turn does this to build its context).
func BenchmarkLedgerRecent(b *testing.B) {
	st := open(b)
	ctx := context.Background()
	for i := 0; i < 200; i++ {
		if _, err := st.Record(ctx, benchFact("s"), nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		fs, err := st.Recent(ctx, "s", session.Cap{Count: 20, Bytes: 32768})
		if err != nil || len(fs) != 20 {
			b.Fatal(len(fs), err)
		}
	}
}

// BenchmarkInboundClaimFinish is the dedupe bracket around every turn with
// an id: claim the key, store the outcome (two transactions, two fsyncs).
func BenchmarkInboundClaimFinish(b *testing.B) {
	st := open(b)
	ctx := context.Background()
	out := json.RawMessage(`{"turn_id":"t_x","replies":[{"type":"text","text":"4 server(s)"}]}`)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		key := fmt.Sprintf("acme\x1falice\x1fweb\x1fm-%d", i)
		first, _, err := st.ClaimInbound(ctx, key, "req", time.Now())
		if err != nil || !first {
			b.Fatal(first, err)
		}
		if err := st.FinishInbound(ctx, key, out); err != nil {
			b.Fatal(err)
		}
	}
}
