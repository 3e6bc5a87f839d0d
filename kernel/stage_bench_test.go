package kernel_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/steward-os/steward/kernel"
	"github.com/steward-os/steward/kernel/internal/engine"
	"github.com/steward-os/steward/kernel/internal/levels"
	"github.com/steward-os/steward/kernel/internal/offline"
	"github.com/steward-os/steward/kernel/internal/registry"
	"github.com/steward-os/steward/kernel/internal/tasks"
	kt "github.com/steward-os/steward/kernel/kerneltest"
	"github.com/steward-os/steward/kernel/route"
	"github.com/steward-os/steward/session"
)

// The stage benchmarks: each stage of a read turn ("show web-1", the
// offline router, the demo world, SQLite with synchronous=FULL) measured
// alone, with allocations and process CPU per operation (cpu-ns/op).
// `make bench-check` compares them with testdata/bench/baseline.txt,
// dividing time by BenchmarkReference of the same run.

// stage is a kernel after one warm-up turn, with what each stage takes
// as input already computed by the stages before it.
type stage struct {
	e       *kt.Env
	p       engine.Parts
	a       session.Actor
	turn    route.Turn
	intent  route.Intent
	surface []route.ToolSpec
	plan    route.Plan
	tool    *registry.Tool
	args    map[string]any
	fact    session.Fact
}

func newStage(b *testing.B) *stage {
	b.Helper()
	ctx := context.Background()
	rt := offline.New(offline.Options{})
	s := &stage{e: kt.New(b, kt.Options{Router: rt, Planner: rt}), a: kt.Alice}
	if _, err := s.e.K.Handle(ctx, s.a, session.Inbound{From: session.Address{Channel: "bench"}, Text: "show web-1"}); err != nil {
		b.Fatal(err)
	}
	s.p = kernel.StageParts(s.e.K)
	lv, err := s.p.Levels.Resolve(ctx, s.a, "bench")
	if err != nil {
		b.Fatal(err)
	}
	facts, err := s.e.Store.Recent(ctx, session.SessionFor(s.a), session.Cap{Count: 20})
	if err != nil {
		b.Fatal(err)
	}
	s.turn = route.Turn{Text: "show web-1", Actor: s.a, Resources: lv.Resources(), ContextKey: lv.Key, ID: "t-stage", Facts: facts, Catalog: s.p.Registry.CatalogFor(s.a.Tenant)}
	if s.intent, err = s.p.Router.Route(ctx, s.turn); err != nil {
		b.Fatal(err)
	}
	for _, t := range s.turn.Catalog {
		if slices.Contains(s.intent.Domains, t.Extension) {
			s.surface = append(s.surface, t)
		}
	}
	if s.plan, err = s.p.Planner.Plan(ctx, s.turn, s.intent, s.surface); err != nil || len(s.plan.Steps) != 1 {
		b.Fatalf("plan: %v %+v", err, s.plan)
	}
	var ok bool
	if s.tool, ok = s.p.Registry.Tool(s.plan.Steps[0].Tool); !ok {
		b.Fatalf("no tool %s", s.plan.Steps[0].Tool)
	}
	if err := json.Unmarshal(s.plan.Steps[0].Args, &s.args); err != nil {
		b.Fatal(err)
	}
	s.fact = s.dispatch(b, 0)
	return s
}

func (s *stage) dispatch(b *testing.B, i int) session.Fact {
	c := tasks.Call{Origin: tasks.Origin{Turn: session.TurnID(fmt.Sprintf("t-stage-%d", i))}, Step: "s1", Tool: s.tool, Args: s.plan.Steps[0].Args}
	f, task, err := s.p.Tasks.Dispatch(context.Background(), s.a, c, true)
	if err != nil || task != nil || !f.OK {
		b.Fatalf("dispatch: %v %v %+v", err, task, f)
	}
	return f
}

// measure runs op b.N times after the set-up, reporting cpu-ns/op.
func measure(b *testing.B, op func(i int)) {
	b.ReportAllocs()
	b.ResetTimer()
	defer cpuPerOp(b)()
	for i := 0; i < b.N; i++ {
		op(i)
	}
}

// BenchmarkReference is fixed CPU work (hashing and JSON), the yardstick
// bench-check divides every stage's time by.
func BenchmarkReference(b *testing.B) {
	buf := make([]byte, 16<<10)
	for i := range buf {
		buf[i] = byte(i * 7)
	}
	doc := map[string]any{"servers": []string{"web-1", "web-2", "db-1"}, "cpu": 0.42, "ok": true}
	measure(b, func(int) {
		sum := sha256.Sum256(buf)
		raw, _ := json.Marshal(doc)
		var back map[string]any
		_ = json.Unmarshal(raw, &back)
		buf[0] = sum[0]
	})
}

// BenchmarkStageContext resolves L0–L8 (cached by the tenant's state
// versions: one version read).
func BenchmarkStageContext(b *testing.B) {
	s := newStage(b)
	measure(b, func(int) {
		lv, err := s.p.Levels.Resolve(context.Background(), s.a, "bench")
		if err != nil || len(lv.Resources()) == 0 {
			b.Fatal(err)
		}
	})
}

// BenchmarkStageRecentFacts is the replay a turn routes with, masked,
// served from memory while the session's ledger version is unchanged.
func BenchmarkStageRecentFacts(b *testing.B) {
	s := newStage(b)
	r := levels.NewRecentFacts(s.e.Store, s.p.Facts)
	measure(b, func(int) {
		fs, err := r.Recent(context.Background(), session.SessionFor(s.a), session.Cap{Count: 20, Bytes: 32 << 10}, true)
		if err != nil || len(fs) == 0 {
			b.Fatal(err)
		}
	})
}

// BenchmarkStageRoute is the offline router's classification.
func BenchmarkStageRoute(b *testing.B) {
	s := newStage(b)
	measure(b, func(int) {
		if _, err := s.p.Router.Route(context.Background(), s.turn); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkStagePlanCheck plans on the routed surface and checks the
// whole plan.
func BenchmarkStagePlanCheck(b *testing.B) {
	s := newStage(b)
	ctx := context.Background()
	measure(b, func(int) {
		p, err := s.p.Planner.Plan(ctx, s.turn, s.intent, s.surface)
		if err != nil {
			b.Fatal(err)
		}
		if _, problems := s.p.Plans.Check(ctx, s.a, p, s.surface); len(problems) > 0 {
			b.Fatal(problems[0])
		}
	})
}

// BenchmarkStageAuthorize checks tenant, scopes, ceiling and resources.
func BenchmarkStageAuthorize(b *testing.B) {
	s := newStage(b)
	measure(b, func(int) {
		if err := s.p.Authz.Call(context.Background(), s.a, "t-stage", s.tool, s.args, s.turn.Resources); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkStageDispatch runs the tool and records its fact durably (one
// group commit with its audit records).
func BenchmarkStageDispatch(b *testing.B) {
	s := newStage(b)
	measure(b, func(i int) { s.dispatch(b, i+1) })
}

// BenchmarkStageNarrate narrates the fact and checks it is grounded.
func BenchmarkStageNarrate(b *testing.B) {
	s := newStage(b)
	measure(b, func(int) {
		if text := s.p.Narrator.Grounded(context.Background(), s.a, "t-stage", s.tool, s.fact); text == "" {
			b.Fatal("no narration")
		}
	})
}

// BenchmarkStageTurnRead is the whole read turn, one at a time.
func BenchmarkStageTurnRead(b *testing.B) {
	s := newStage(b)
	measure(b, func(i int) {
		out, err := s.e.K.Handle(context.Background(), s.a, session.Inbound{ID: fmt.Sprintf("st-%d", i), From: session.Address{Channel: "bench"}, Text: "show web-1"})
		if err != nil || kt.ErrCode(out) != "" {
			b.Fatalf("%v %s", err, kt.Dump(out))
		}
	})
}
