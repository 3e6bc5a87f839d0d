package kernel_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/steward-os/steward/internal/telemetry"
	"github.com/steward-os/steward/internal/telemetry/prom"
	"github.com/steward-os/steward/kernel"
	"github.com/steward-os/steward/kernel/audit"
	kt "github.com/steward-os/steward/kernel/kerneltest"
	"github.com/steward-os/steward/session"
)

// observedEnv is the demo world with the slow extension, reporting to a
// Prometheus registry and an in-memory span exporter.
func observedEnv(t *testing.T) (*kt.Env, *gate, *prom.Metrics, *tracetest.InMemoryExporter) {
	t.Helper()
	m := prom.New()
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	e, g := taskEnv(t, kernel.Config{}, telemetry.New(m, tp))
	return e, g, m, spans
}

// demoRun drives several turns: reads, proposals accepted, rejected and
// refused for the wrong phrase, a refused request, and a promoted task.
func demoRun(t *testing.T, e *kt.Env, g *gate) session.TaskID {
	t.Helper()
	e.Say(t, kt.Alice, `hosting.list_servers {}`)
	e.Say(t, kt.Carol, `hosting.restart_server {"server":"web-1"}`)   // above her ceiling
	e.Say(t, kt.Alice, "please email bob@acme.test about the outage") // free text routed nowhere
	c := kt.Card(t, e.Say(t, kt.Alice, `hosting.restart_server {"server":"web-1"}`))
	e.Decide(t, kt.Alice, c.ID, session.ActionAccept, "")
	c = kt.Card(t, e.Say(t, kt.Bob, `hosting.restart_server {"server":"web-2"}`))
	e.Decide(t, kt.Bob, c.ID, session.ActionReject, "")
	c = kt.Card(t, e.Say(t, kt.Alice, `hosting.delete_server {"server":"staging-1"}`))
	e.Decide(t, kt.Alice, c.ID, session.ActionAccept, "staging-1") // in its cooling period
	e.Clock.Advance(31 * time.Second)
	e.Decide(t, kt.Alice, c.ID, session.ActionAccept, "wrong")
	p := progressOf(e.Say(t, kt.Alice, `slow.work {"label":"x"}`))
	if p == nil {
		t.Fatal("not promoted")
	}
	g.open()
	waitEvent(t, e, kt.Alice, "finished")
	return p.Task
}

// OBS-01, OBS-02: after a run of the demo world every metric the
// pipeline reports is there, and no label value is anything but an
// identifier from a closed set: no name, address, argument or text.
func TestOBS02_NoPIIInLabels(t *testing.T) {
	e, g, m, _ := observedEnv(t)
	demoRun(t, e, g)
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[string]bool{"test": true, "ok": true, "proposed": true, "accepted": true, "rejected": true, "failed": true,
		"running": true, "succeeded": true, "published": true, "wrong_phrase": true, "cooling": true, "refused": true, "expired": true,
		"0": true, "1": true, "2": true, "3": true, "4": true, prom.Other: true}
	for _, s := range []string{telemetry.StageTurn, telemetry.StageRoute, telemetry.StagePlan, telemetry.StageGate, telemetry.StageDispatch,
		telemetry.StageNarrate, telemetry.StageAudit, telemetry.StageTask, telemetry.StageDeliver} {
		allowed[s] = true
	}
	for _, ts := range e.K.Catalog() {
		allowed[string(ts.ID)] = true
	}
	for _, c := range []string{session.CodeForbidden, session.CodeWrongDangerPhrase, session.CodeCoolingPeriod} {
		allowed[c] = true // the stable codes this run answers with
	}
	seen := map[string]bool{}
	for _, f := range fams {
		if !strings.HasPrefix(f.GetName(), "steward_") {
			continue
		}
		for _, mt := range f.GetMetric() {
			for _, lp := range mt.GetLabel() {
				v := lp.GetValue()
				seen[f.GetName()+"{"+lp.GetName()+"="+v+"}"] = true
				if !allowed[v] {
					t.Errorf("%s{%s=%q}: not a value from a closed set", f.GetName(), lp.GetName(), v)
				}
				for _, pii := range []string{"alice", "bob", "carol", "acme", "web-1", "web-2", "staging-1", "@", " "} {
					if strings.Contains(v, pii) {
						t.Errorf("%s{%s=%q} holds %q", f.GetName(), lp.GetName(), v, pii)
					}
				}
			}
		}
	}
	for _, want := range []string{
		"steward_turns_total{channel=test}", "steward_turns_total{outcome=proposed}", "steward_turns_total{outcome=" + session.CodeForbidden + "}",
		"steward_proposals_total{level=2}", "steward_proposals_total{outcome=accepted}", "steward_proposals_total{outcome=rejected}",
		"steward_proposals_total{outcome=wrong_phrase}", "steward_proposals_total{outcome=cooling}", "steward_proposals_total{level=4}",
		"steward_tool_calls_total{tool=hosting.list_servers}", "steward_tool_calls_total{result=ok}",
		"steward_tasks_total{state=running}", "steward_tasks_total{state=succeeded}", "steward_deliveries_total{result=published}",
		"steward_stage_duration_seconds{stage=route}", "steward_stage_duration_seconds{stage=plan}", "steward_stage_duration_seconds{stage=gate}",
		"steward_stage_duration_seconds{stage=dispatch}", "steward_stage_duration_seconds{stage=narrate}", "steward_stage_duration_seconds{stage=audit_commit}",
	} {
		if !seen[want] {
			t.Errorf("missing series %s", want)
		}
	}
	if t.Failed() {
		keys := make([]string, 0, len(seen))
		for k := range seen {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		t.Log(strings.Join(keys, "\n"))
	}
}

// OBS-03: every stage of a turn is a span of the turn's trace, and a
// task promoted from the turn continues that trace to its delivery.
func TestOBS03_TraceAcrossPromotedTask(t *testing.T) {
	e, g, _, spans := observedEnv(t)
	demoRun(t, e, g)
	byName := map[string][]sdktrace.ReadOnlySpan{}
	// The task's span ends just after its event is published: wait for it.
	for deadline := time.Now().Add(10 * time.Second); len(byName["steward.task"]) == 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		clear(byName)
		for _, s := range spans.GetSpans().Snapshots() {
			byName[s.Name()] = append(byName[s.Name()], s)
		}
	}
	for _, n := range []string{"turn", "route", "plan", "gate", "dispatch", "narrate", "audit_commit", "task", "deliver"} {
		if len(byName["steward."+n]) == 0 {
			t.Errorf("no span steward.%s", n)
		}
	}
	tasks := byName["steward.task"]
	if len(tasks) != 1 {
		t.Fatalf("task spans: %d", len(tasks))
	}
	ts := tasks[0]
	var turn sdktrace.ReadOnlySpan
	for _, s := range byName["steward.turn"] {
		if s.SpanContext().TraceID() == ts.SpanContext().TraceID() {
			turn = s
		}
	}
	if turn == nil || ts.Parent().SpanID() == [8]byte{} || len(ts.Links()) != 1 {
		t.Fatalf("the task span does not continue a turn's trace: parent %v links %d", ts.Parent(), len(ts.Links()))
	}
	delivered := false
	for _, s := range byName["steward.deliver"] {
		if s.Parent().SpanID() == ts.SpanContext().SpanID() {
			delivered = true
		}
	}
	if !delivered {
		t.Error("the task's delivery is not a child of its span")
	}
	// OBS-04 (audit side): the records of the turn carry its trace id,
	// and the chain still verifies.
	found := false
	for _, r := range e.Audit(t, "acme") {
		var d struct {
			Trace string `json:"trace_id"`
		}
		_ = json.Unmarshal([]byte(r.Data), &d)
		if d.Trace == turn.SpanContext().TraceID().String() && r.Kind == audit.KindPromoted {
			found = true
		}
	}
	if !found {
		t.Error("the promoted record does not carry the turn's trace id")
	}
	reps, err := audit.Verify(context.Background(), e.Store)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range reps {
		if !r.OK {
			t.Fatalf("audit verify: %+v", r)
		}
	}
}
