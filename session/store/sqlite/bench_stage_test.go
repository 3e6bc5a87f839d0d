package sqlite_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/steward-os/steward/internal/benchcheck"
	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// Stage benchmarks of the store (see kernel/stage_bench_test.go and
// `make bench-check`): allocations and process CPU per operation.

// BenchmarkStageAuditCommit is a read turn's audit records: seven queued,
// then one appended and waited for (one group commit, one fsync).
func BenchmarkStageAuditCommit(b *testing.B) {
	st := open(b)
	ctx := context.Background()
	data := json.RawMessage(`{"steps":[{"id":"s1","tool":"hosting.get_server","args":{"server":"web-1"}}],"confidence":0.9}`)
	b.ReportAllocs()
	b.ResetTimer()
	defer benchcheck.CPUPerOp(b)()
	for i := 0; i < b.N; i++ {
		turn := session.TurnID(fmt.Sprintf("t_%d", i))
		for k := 0; k < 7; k++ {
			if err := st.EnqueueAudit(ctx, store.AuditEntry{Tenant: "acme", At: time.Now(), Kind: "planned", Actor: "alice", Turn: turn, Data: data}); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := st.AppendAudit(ctx, store.AuditEntry{Tenant: "acme", At: time.Now(), Kind: "replied", Actor: "alice", Turn: turn, Data: data}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStageLedgerAppend records one fact with its result record.
func BenchmarkStageLedgerAppend(b *testing.B) {
	st := open(b)
	ctx := context.Background()
	audited := func(id int64) []store.AuditEntry {
		return []store.AuditEntry{{Tenant: "acme", At: time.Now(), Kind: "result", Actor: "alice", Data: json.RawMessage(fmt.Sprintf(`{"fact":%d}`, id))}}
	}
	b.ReportAllocs()
	b.ResetTimer()
	defer benchcheck.CPUPerOp(b)()
	for i := 0; i < b.N; i++ {
		if _, err := st.Record(ctx, benchFact("s"), audited); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStageFactsSince is the per-turn read of what a session's
// ledger gained since the facts held in memory: here, nothing.
func BenchmarkStageFactsSince(b *testing.B) {
	st := open(b)
	ctx := context.Background()
	var last int64
	for i := 0; i < 50; i++ {
		id, err := st.Record(ctx, benchFact("s"), nil)
		if err != nil {
			b.Fatal(err)
		}
		last = id
	}
	b.ReportAllocs()
	b.ResetTimer()
	defer benchcheck.CPUPerOp(b)()
	for i := 0; i < b.N; i++ {
		if fs, err := st.FactsSince(ctx, "s", last, 20); err != nil || len(fs) != 0 {
			b.Fatal(fs, err)
		}
	}
}
