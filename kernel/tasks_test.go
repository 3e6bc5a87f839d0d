package kernel_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/steward-os/steward/kernel"
	kt "github.com/steward-os/steward/kernel/kerneltest"
	"github.com/steward-os/steward/sdk"
	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

const slowManifest = `
id: slow
version: 0.1.0
protocol_version: "1"
conformance_level: 1
description: Slow work for task tests.
scopes: [slow:read, slow:write]
tools:
  - name: work
    description: Work until released.
    safety_level: 0
    scopes: [slow:read]
    examples: [do the work]
    narrate: 'Work {{.label}} done.'
  - name: background
    description: Always a task.
    safety_level: 0
    scopes: [slow:read]
    long_running: true
    idempotent: true
    examples: [background work]
  - name: change
    description: A slow change.
    safety_level: 2
    scopes: [slow:write]
    targets: [label]
    reversible: true
    examples: [change it]
  - name: big
    description: A huge result.
    safety_level: 0
    scopes: [slow:read]
    examples: [big]
`

type workParams struct {
	Label string `json:"label,omitempty"`
}

type workResult struct {
	Label string `json:"label"`
	Blob  string `json:"blob,omitempty"`
}

// gate releases blocked handlers.
type gate struct {
	mu      sync.Mutex
	release chan struct{}
	started chan string
}

func newGate() *gate { return &gate{release: make(chan struct{}), started: make(chan string, 16)} }

func (g *gate) open() { close(g.release) }

func slowExt(g *gate) sdk.Extension {
	wait := func(ctx context.Context, c sdk.Call[workParams]) (workResult, error) {
		g.started <- c.Params.Label
		c.Env.Progress(50, "half way")
		later := time.After(300 * time.Millisecond) // after promotion
		for {
			select {
			case <-g.release:
				return workResult{Label: c.Params.Label}, nil
			case <-ctx.Done():
				return workResult{}, ctx.Err()
			case <-later:
				c.Env.Progress(75, "three quarters")
			}
		}
	}
	return sdk.Extension{Manifest: []byte(slowManifest), Handlers: []sdk.Handler{
		sdk.Tool("work", wait),
		sdk.Tool("background", wait),
		sdk.Tool("change", wait),
		sdk.Tool("big", func(ctx context.Context, c sdk.Call[workParams]) (workResult, error) {
			return workResult{Label: "big", Blob: strings.Repeat("x", 5000)}, nil
		}),
	}}
}

func taskEnv(t *testing.T, cfg kernel.Config, tel ...*kernel.Telemetry) (*kt.Env, *gate) {
	if cfg.InlineBudget == 0 {
		cfg.InlineBudget = 100 * time.Millisecond
	}
	o := kt.Options{Config: cfg}
	if len(tel) > 0 {
		o.Telemetry = tel[0]
	}
	e := kt.New(t, o)
	g := newGate()
	if _, err := e.K.Load(context.Background(), slowExt(g)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		select {
		case <-g.release:
		default:
			g.open()
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = e.K.Shutdown(ctx)
	})
	return e, g
}

func progressOf(out session.Outbound) *session.Progress {
	for _, p := range out.Parts {
		if x, ok := p.(*session.Progress); ok {
			return x
		}
	}
	return nil
}

// waitEvent long-polls the actor's events until one contains want.
func waitEvent(t *testing.T, e *kt.Env, a session.Actor, want string) string {
	t.Helper()
	var after int64
	deadline := time.Now().Add(10 * time.Second)
	var seen []string
	for time.Now().Before(deadline) {
		evs, err := e.K.Deliveries().Events(context.Background(), a, after, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			after = ev.ID
			raw, _ := json.Marshal(ev.Out)
			seen = append(seen, string(raw))
			if strings.Contains(string(raw), want) {
				return string(raw)
			}
		}
	}
	t.Fatalf("no event with %q; saw %v", want, seen)
	return ""
}

// LRO-01 LRO-03: a call still running after the inline budget is promoted,
// the user is told at once, and the result is delivered as an event,
// recorded in the ledger and audited.
func TestLRO01_PromotionAndDelivery(t *testing.T) {
	e, g := taskEnv(t, kernel.Config{})
	out := e.Say(t, kt.Alice, `slow.work {"label":"a"}`)
	p := progressOf(out)
	if p == nil || p.State != "running" || !strings.Contains(kt.TextOf(out), string(p.Task)) {
		t.Fatalf("not promoted: %s", kt.Dump(out))
	}
	task, err := e.Store.GetTask(context.Background(), p.Task)
	if err != nil || task.State != store.TaskRunning || task.Actor != "alice" {
		t.Fatalf("task row %+v %v", task, err)
	}
	g.open()
	ev := waitEvent(t, e, kt.Alice, "finished")
	if !strings.Contains(ev, "Work a done.") || !strings.Contains(ev, `"state":"succeeded"`) {
		t.Fatalf("event %s", ev)
	}
	f := lastFact(t, e, kt.Alice, "slow.work")
	if !f.OK || !strings.Contains(string(f.Output), `"label":"a"`) {
		t.Fatalf("fact %+v", f)
	}
	rows := e.Audit(t, "acme")
	if count(rows, "promoted", string(p.Task)) != 1 || count(rows, "task_done", string(p.Task)) != 1 {
		t.Fatal("promotion or completion not audited")
	}
}

// LRO-01: a tool declared long-running is a task at once.
func TestLRO01_LongRunningPromotedAtOnce(t *testing.T) {
	e, g := taskEnv(t, kernel.Config{InlineBudget: time.Hour})
	out := e.Say(t, kt.Alice, `slow.background {"label":"b"}`)
	if progressOf(out) == nil {
		t.Fatalf("not promoted: %s", kt.Dump(out))
	}
	g.open()
	waitEvent(t, e, kt.Alice, "finished")
}

// LRO-02: progress is recorded; the actor can cancel; others cannot see it.
func TestLRO02_ProgressAndCancel(t *testing.T) {
	e, _ := taskEnv(t, kernel.Config{})
	out := e.Say(t, kt.Bob, `slow.work {"label":"c"}`)
	p := progressOf(out)
	id := p.Task
	if p.Percent != 50 || p.Message != "half way" {
		t.Fatalf("progress at promotion %+v", p)
	}
	ev := waitEvent(t, e, kt.Bob, `"percent":75`)
	if !strings.Contains(ev, "three quarters") {
		t.Fatalf("progress event %s", ev)
	}
	if task, _ := e.Store.GetTask(context.Background(), id); task.Percent != 75 {
		t.Fatalf("task row percent %d", task.Percent)
	}
	ctx := context.Background()
	for _, other := range []session.Actor{kt.Alice, kt.Dave} {
		if _, err := e.K.Tasks().CancelTask(ctx, other, id); kernel.AsError(err).Code != session.CodeTaskNotFound {
			t.Fatalf("%s cancelled bob's task: %v", other.ID, err)
		}
		ts, _ := e.K.Tasks().Tasks(ctx, other)
		for _, tt := range ts {
			if tt.ID == id {
				t.Fatalf("%s lists bob's task", other.ID)
			}
		}
	}
	if count(e.Audit(t, "globex"), "cross_tenant_refused", string(id)) != 1 {
		t.Fatal("cross-tenant cancel not audited")
	}
	res := e.Say(t, kt.Bob, "cancel that")
	if !strings.Contains(kt.TextOf(res), "cancelled") {
		t.Fatalf("cancel that: %s", kt.Dump(res))
	}
	task, _ := e.Store.GetTask(ctx, id)
	if task.State != store.TaskCancelled {
		t.Fatalf("state %s", task.State)
	}
	f := lastFact(t, e, kt.Bob, "slow.work")
	if f.OK || f.Error.Code != session.CodeCancelled {
		t.Fatalf("cancelled fact %+v", f)
	}
	if _, err := e.K.Tasks().CancelTask(ctx, kt.Bob, id); kernel.AsError(err).Code != session.CodeTaskEnded {
		t.Fatalf("second cancel: %v", err)
	}
}

// LRO-02: a task that outlives its cap is stopped as timed out.
func TestLRO02_Cap(t *testing.T) {
	e, _ := taskEnv(t, kernel.Config{TaskCap: 400 * time.Millisecond})
	out := e.Say(t, kt.Alice, `slow.work {"label":"d"}`)
	id := progressOf(out).Task
	ev := waitEvent(t, e, kt.Alice, `"state":"timed_out"`)
	if !strings.Contains(ev, string(id)) || !strings.Contains(ev, session.CodeTimedOut) {
		t.Fatalf("event %s", ev)
	}
}

// LRO-03: results are bounded with a marker.
func TestLRO03_ResultBound(t *testing.T) {
	e, _ := taskEnv(t, kernel.Config{MaxResultBytes: 1024})
	e.Say(t, kt.Alice, `slow.big {}`)
	f := lastFact(t, e, kt.Alice, "slow.big")
	if len(f.Output) > 1400 || !strings.Contains(string(f.Output), `"truncated":true`) {
		t.Fatalf("output %d bytes: %.120s", len(f.Output), f.Output)
	}
}

// A promoted step of a plan resumes the plan when it ends.
func TestLRO_ChainWaitsForTask(t *testing.T) {
	e, g := taskEnv(t, kernel.Config{})
	out := e.Say(t, kt.Alice, `plan: [{"id":"s1","tool":"slow.work","args":{"label":"web-1"}},
	 {"id":"s2","tool":"hosting.get_server","args":{"server":{"$ref":"s1#/label"}},"depends_on":["s1"]}]`)
	if progressOf(out) == nil {
		t.Fatalf("not promoted: %s", kt.Dump(out))
	}
	g.open()
	ev := waitEvent(t, e, kt.Alice, "Plan finished")
	if !strings.Contains(ev, "[s2] web-1 is running") || !strings.Contains(ev, "2 of 2 steps done") {
		t.Fatalf("event %s", ev)
	}
}

// A confirmed change that runs long is carried out once, then finishes as a task.
func TestLRO_ConfirmedChangePromoted(t *testing.T) {
	e, g := taskEnv(t, kernel.Config{})
	card := kt.Card(t, e.Say(t, kt.Alice, `slow.change {"label":"x"}`))
	res := e.Decide(t, kt.Alice, card.ID, session.ActionAccept, "")
	if progressOf(res) == nil {
		t.Fatalf("not promoted: %s", kt.Dump(res))
	}
	if c := kt.ErrCode(e.Decide(t, kt.Alice, card.ID, session.ActionAccept, "")); c != session.CodeAlreadyExecuted {
		t.Fatalf("second accept: %q", c)
	}
	g.open()
	waitEvent(t, e, kt.Alice, "finished")
	if n := count(e.Audit(t, "acme"), "dispatch", "slow.change"); n != 1 {
		t.Fatalf("%d dispatches", n)
	}
}

// LRO-04: tasks survive a restart: failed visibly, or re-run when the tool
// is idempotent.
func TestLRO04_TasksAcrossRestart(t *testing.T) {
	e, _ := taskEnv(t, kernel.Config{})
	ctx := context.Background()
	now := time.Now().UTC()
	for _, tr := range []store.TaskRow{
		{ID: "task_crashedplain", Tenant: "acme", Actor: "alice", Session: session.SessionFor(kt.Alice), Turn: "t_x", Step: "s1", Tool: "slow.work", Args: []byte(`{"label":"p"}`), State: store.TaskRunning, Attempts: 1, CreatedAt: now, Heartbeat: now},
		{ID: "task_crashedidem", Tenant: "acme", Actor: "alice", Session: session.SessionFor(kt.Alice), Turn: "t_y", Step: "s1", Tool: "slow.background", Args: []byte(`{"label":"q"}`), State: store.TaskRunning, Idempotent: true, Attempts: 1, CreatedAt: now, Heartbeat: now},
	} {
		if err := e.Store.SaveTask(ctx, tr); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.K.Recover(ctx); err != nil {
		t.Fatal(err)
	}
	plain, _ := e.Store.GetTask(ctx, "task_crashedplain")
	if plain.State != store.TaskFailed || plain.Error.Code != session.CodeInterrupted {
		t.Fatalf("plain task %+v", plain)
	}
	waitEvent(t, e, kt.Alice, "task_crashedplain")
	idem, _ := e.Store.GetTask(ctx, "task_crashedidem")
	if idem.State != store.TaskRunning || idem.Attempts != 2 {
		t.Fatalf("idempotent task %+v", idem)
	}
	if count(e.Audit(t, "acme"), "task_resumed", "task_crashedidem") != 1 {
		t.Fatal("resume not audited")
	}
	_ = fmt.Sprint
}

// CHAN-05 CHAN-07: one session across channels — a proposal made on one
// channel is accepted on another, and a task's result goes to the channel
// the actor used most recently.
func TestContinuityAcrossChannels(t *testing.T) {
	e, g := taskEnv(t, kernel.Config{})
	ctx := context.Background()
	say := func(ch session.ChannelID, text string) session.Outbound {
		out, err := e.K.Handle(ctx, kt.Bob, session.Inbound{From: session.Address{Channel: ch, Account: "bob"}, Text: text})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	card := kt.Card(t, say("api", `hosting.restart_server {"server":"web-2"}`))
	res, _ := e.K.Handle(ctx, kt.Bob, session.Inbound{From: session.Address{Channel: "terminal", Account: "bob"}, Action: &session.Action{Kind: session.ActionAccept, Proposal: card.ID}})
	if kt.ErrCode(res) != "" {
		t.Fatalf("accept on another channel: %s", kt.Dump(res))
	}
	// The outcome is shown on both: the reply here, an event for the API.
	if ev := waitEvent(t, e, kt.Bob, "web-2 restarted"); !strings.Contains(ev, `"to":{"channel":"api"`) {
		t.Fatalf("outcome event %s", ev)
	}
	out := say("api", `slow.work {"label":"z"}`)
	if progressOf(out) == nil {
		t.Fatal("not promoted")
	}
	say("web", `hosting.list_sites {}`) // bob moves to the web page
	g.open()
	ev := waitEvent(t, e, kt.Bob, "finished")
	if !strings.Contains(ev, `"to":{"channel":"web"`) {
		t.Fatalf("delivered to %s", ev)
	}
}

// CHAN-07: a preferred channel receives deliveries whatever was used last.
func TestPreferredDelivery(t *testing.T) {
	e, g := taskEnv(t, kernel.Config{Delivery: "preferred:telegram"})
	out, _ := e.K.Handle(context.Background(), kt.Bob, session.Inbound{From: session.Address{Channel: "api"}, Text: `slow.work {"label":"p"}`})
	if progressOf(out) == nil {
		t.Fatal("not promoted")
	}
	g.open()
	if ev := waitEvent(t, e, kt.Bob, "finished"); !strings.Contains(ev, `"to":{"channel":"telegram"`) {
		t.Fatalf("event %s", ev)
	}
	if _, err := kernel.New(kernel.Config{Delivery: "somewhere"}, kernel.Deps{}); err == nil {
		t.Fatal("bad delivery accepted")
	}
}
