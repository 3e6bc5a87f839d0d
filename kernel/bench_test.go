package kernel_test

import (
	"context"
	"testing"

	"github.com/steward-os/steward/kernel/internal/offline"
	kt "github.com/steward-os/steward/kernel/kerneltest"
	"github.com/steward-os/steward/session"
)

// BenchmarkTurnRead measures a whole level-0 turn (context, routing,
// checks, dispatch, ledger, narration, ~8 durable audit records) with the
// offline router, parallel over the machine's cores.
func BenchmarkTurnRead(b *testing.B) {
	rt := offline.New(offline.Options{})
	e := kt.New(b, kt.Options{Router: rt, Planner: rt})
	ctx := context.Background()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			out, err := e.K.Handle(ctx, kt.Alice, session.Inbound{From: session.Address{Channel: "bench"}, Text: "list my servers"})
			if err != nil || kt.ErrCode(out) != "" {
				b.Fatalf("%v %s", err, kt.Dump(out))
			}
		}
	})
}

// BenchmarkProposeAccept measures a level-2 proposal and its acceptance.
func BenchmarkProposeAccept(b *testing.B) {
	rt := offline.New(offline.Options{})
	e := kt.New(b, kt.Options{Router: rt, Planner: rt})
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out, _ := e.K.Handle(ctx, kt.Alice, session.Inbound{From: session.Address{Channel: "bench"}, Text: "restart web-1"})
		c := kt.Card(b, out)
		res, _ := e.K.Handle(ctx, kt.Alice, session.Inbound{From: session.Address{Channel: "bench"}, Action: &session.Action{Kind: session.ActionAccept, Proposal: c.ID}})
		if kt.ErrCode(res) != "" {
			b.Fatal(kt.Dump(res))
		}
	}
}
