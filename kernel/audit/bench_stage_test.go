package audit_test

import (
	"testing"
	"time"

	"github.com/steward-os/steward/internal/benchcheck"
	"github.com/steward-os/steward/kernel/audit"
	"github.com/steward-os/steward/kernel/internal/redact"
)

// BenchmarkStageAuditEntry builds a turn's "planned" record: encode once,
// scan for anything to mask, no decode/re-encode when there is nothing.
func BenchmarkStageAuditEntry(b *testing.B) {
	l := audit.New(nil, redact.New("hunter2-long-secret"), time.Now)
	data := map[string]any{
		"steps":      []map[string]any{{"id": "s1", "tool": "hosting.get_server", "args": map[string]string{"server": "web-1"}}},
		"confidence": 0.93, "problems": nil, "attempt": 1,
	}
	b.ReportAllocs()
	b.ResetTimer()
	defer benchcheck.CPUPerOp(b)()
	for i := 0; i < b.N; i++ {
		if _, err := l.Entry("acme", "alice", "t_1", audit.KindPlanned, data); err != nil {
			b.Fatal(err)
		}
	}
}
