package kernel_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/steward-os/steward/kernel/internal/offline"
	kt "github.com/steward-os/steward/kernel/kerneltest"
	"github.com/steward-os/steward/session"
)

// benchPlan is a scripted plan of n steps, each after the one before and
// taking its predecessor's output by reference (the shape the whole-plan
// check works hardest on: references, dependencies, schema with
// placeholders, Kahn order).
func benchPlan(n int) string {
	var b strings.Builder
	b.WriteString(`plan: [{"id":"s1","tool":"tasks.list_tasks","args":{"status":"pending"},"depends_on":[]}`)
	for i := 2; i <= n; i++ {
		fmt.Fprintf(&b, `,{"id":"s%d","tool":"messaging.send_message","args":{"to":"alice","body":{"$ref":"s%d"}},"depends_on":["s%d"]}`, i, i-1, i-1)
	}
	b.WriteString("]")
	return b.String()
}

// BenchmarkPlanValidation measures planning and the whole-plan check
// (CHAIN-10) through Classify, which runs context, routing, planning and
// checkChain but no step. The difference between sizes is the check's
// cost per step; the rest is context and the durable audit records.
func BenchmarkPlanValidation(b *testing.B) {
	for _, n := range []int{1, 3, 8} {
		b.Run(fmt.Sprintf("steps=%d", n), func(b *testing.B) {
			e := kt.New(b, kt.Options{})
			ctx := context.Background()
			text := benchPlan(n)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				c, err := e.K.Classify(ctx, kt.Bob, text)
				if err != nil || len(c.Steps) != n || c.Clarify != "" {
					b.Fatalf("%v %+v", err, c)
				}
			}
		})
	}
	// A plan with a cycle is rejected whole, after the bounded re-plans.
	b.Run("cycle", func(b *testing.B) {
		e := kt.New(b, kt.Options{})
		ctx := context.Background()
		text := `plan: [{"id":"s1","tool":"hosting.list_servers","args":{},"depends_on":["s2"]},{"id":"s2","tool":"hosting.get_server","args":{"server":"web-1"},"depends_on":["s1"]}]`
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			c, err := e.K.Classify(ctx, kt.Bob, text)
			if err != nil || c.Clarify == "" {
				b.Fatalf("%v %+v", err, c)
			}
		}
	})
}

// BenchmarkTurnReadSerial is BenchmarkTurnRead from one goroutine: the
// latency floor of a read turn, with every durable write on its path
// waited for in turn (no other turn to share a group commit with).
func BenchmarkTurnReadSerial(b *testing.B) {
	rt := offline.New(offline.Options{})
	e := kt.New(b, kt.Options{Router: rt, Planner: rt})
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out, err := e.K.Handle(ctx, kt.Alice, session.Inbound{ID: fmt.Sprintf("r-%d", i), From: session.Address{Channel: "bench"}, Text: "list my servers"})
		if err != nil || kt.ErrCode(out) != "" {
			b.Fatalf("%v %s", err, kt.Dump(out))
		}
	}
}
