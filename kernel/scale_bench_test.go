package kernel_test

import (
	"context"
	"encoding/json"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/steward-os/steward/kernel/internal/offline"
	kt "github.com/steward-os/steward/kernel/kerneltest"
	"github.com/steward-os/steward/session"
)

// BenchmarkTurnReadTenantState measures one read turn ("list servers") in
// a tenant that holds n tasks of the tasks extension: per-turn cost must
// not grow with what the tenant has stored.
func BenchmarkTurnReadTenantState(b *testing.B) {
	for _, n := range []int{0, 250, 3000, 10000} {
		b.Run(fmt.Sprintf("tasks=%d", n), func(b *testing.B) {
			rt := offline.New(offline.Options{})
			e := kt.New(b, kt.Options{Router: rt, Planner: rt})
			ctx := context.Background()
			for i := 0; i < n; i++ {
				id := fmt.Sprintf("T-%d", 1000+i)
				raw, _ := json.Marshal(map[string]string{"id": id, "title": fmt.Sprintf("Check backup %d of db-1", i), "status": "pending", "assignee": "dave", "due": ""})
				if err := e.Store.StatePut(ctx, "tasks", "globex", "tasks", id, raw); err != nil {
					b.Fatal(err)
				}
			}
			if _, err := e.K.Handle(ctx, kt.Dave, session.Inbound{From: session.Address{Channel: "bench"}, Text: "list servers"}); err != nil {
				b.Fatal(err) // the first turn resolves the context; steady state is what is measured
			}
			b.ResetTimer()
			defer cpuPerOp(b)()
			for i := 0; i < b.N; i++ {
				out, err := e.K.Handle(ctx, kt.Dave, session.Inbound{From: session.Address{Channel: "bench"}, Text: "list servers"})
				if err != nil || kt.ErrCode(out) != "" {
					b.Fatalf("%v %s", err, kt.Dump(out))
				}
			}
		})
	}
}

// BenchmarkTurnReadAfterWrite measures a read turn right after another
// extension's state changed in the tenant (what a write costs the next
// turn): that extension's context is read again, the tasks' is not.
func BenchmarkTurnReadAfterWrite(b *testing.B) {
	for _, n := range []int{250, 3000, 10000} {
		b.Run(fmt.Sprintf("tasks=%d", n), func(b *testing.B) {
			rt := offline.New(offline.Options{})
			e := kt.New(b, kt.Options{Router: rt, Planner: rt})
			ctx := context.Background()
			put := func(i int) {
				id := fmt.Sprintf("T-%d", 1000+i)
				raw, _ := json.Marshal(map[string]string{"id": id, "title": fmt.Sprintf("Check backup %d of db-1", i), "status": "pending", "assignee": "dave", "due": ""})
				if err := e.Store.StatePut(ctx, "tasks", "globex", "tasks", id, raw); err != nil {
					b.Fatal(err)
				}
			}
			for i := 0; i < n; i++ {
				put(i)
			}
			// A write of another extension (hosting) moves only its version.
			putHost := func(i int) {
				raw, _ := json.Marshal(map[string]any{"name": "bench-note", "value": i})
				if err := e.Store.StatePut(ctx, "hosting", "globex", "bench", "k", raw); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			defer cpuPerOp(b)()
			for i := 0; i < b.N; i++ {
				putHost(i)
				out, err := e.K.Handle(ctx, kt.Dave, session.Inbound{From: session.Address{Channel: "bench"}, Text: "list servers"})
				if err != nil || kt.ErrCode(out) != "" {
					b.Fatalf("%v %s", err, kt.Dump(out))
				}
			}
		})
	}
}

// cpuPerOp reports the process's CPU time per operation (user and system),
// a figure other work on a shared machine does not inflate as it does
// wall time. Call as: defer cpuPerOp(b)().
func cpuPerOp(b *testing.B) func() {
	start := cpuTime()
	return func() { b.ReportMetric(float64((cpuTime()-start).Nanoseconds())/float64(b.N), "cpu-ns/op") }
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
