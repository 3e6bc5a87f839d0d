package kernel_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/steward-os/steward/extensions/demo"
	"github.com/steward-os/steward/extensions/hosting"
	"github.com/steward-os/steward/extensions/tasks"
	"github.com/steward-os/steward/kernel"
	kt "github.com/steward-os/steward/kernel/kerneltest"
	"github.com/steward-os/steward/sdk"
	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
	"github.com/steward-os/steward/session/store/sqlite"
)

const writesManifest = `
id: writes
version: 0.1.0
protocol_version: "1"
conformance_level: 1
description: Level-1 writes for exactly-once tests.
scopes: [writes:write]
tools:
  - name: add
    description: Add one to a counter.
    safety_level: 1
    scopes: [writes:write]
    reversible: true
    examples: [add one]
    narrate: 'Added {{.label}}.'
  - name: put
    description: Put a value, in the background.
    safety_level: 1
    scopes: [writes:write]
    reversible: true
    long_running: true
    idempotent: true
    examples: [put one]
`

type addParams struct {
	Label string `json:"label"`
}

type addResult struct {
	Label string `json:"label"`
	Count int    `json:"count"`
}

// writes is a level-1 tool that counts its runs per label. The first run
// of a label given in block applies its change, signals entered, then
// blocks until release closes: the process "dies" there.
type writes struct {
	mu      sync.Mutex
	runs    map[string]int
	keys    map[string][]string // the idempotency keys each label's runs got
	block   string
	entered chan struct{}
	release chan struct{}
}

func newWrites(block string) *writes {
	return &writes{runs: map[string]int{}, keys: map[string][]string{}, block: block, entered: make(chan struct{}), release: make(chan struct{})}
}

func (w *writes) count(label string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.runs[label]
}

func (w *writes) keysOf(label string) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.keys[label])
}

func (w *writes) ext() sdk.Extension {
	run := func(ctx context.Context, c sdk.Call[addParams]) (addResult, error) {
		w.mu.Lock()
		w.runs[c.Params.Label]++
		w.keys[c.Params.Label] = append(w.keys[c.Params.Label], c.Env.IdempotencyKey())
		n := w.runs[c.Params.Label]
		w.mu.Unlock()
		if c.Params.Label == w.block && n == 1 {
			close(w.entered)
			<-w.release
		}
		return addResult{Label: c.Params.Label, Count: n}, nil
	}
	return sdk.Extension{Manifest: []byte(writesManifest), Handlers: []sdk.Handler{sdk.Tool("add", run), sdk.Tool("put", run)}}
}

// writesEnv is a kernel with the writes extension loaded, whose label
// block dies in its first run.
func writesEnv(t *testing.T, budget time.Duration, block string) (*kt.Env, *writes) {
	e := kt.New(t, kt.Options{Config: kernel.Config{InlineBudget: budget}})
	w := newWrites(block)
	if _, err := e.K.Load(context.Background(), w.ext()); err != nil {
		t.Fatal(err)
	}
	return e, w
}

// restarted builds a second kernel over the first one's store, as the next
// start of the process builds it, with the extensions loaded and Recover
// run.
func restarted(t *testing.T, e *kt.Env, exts ...sdk.Extension) *kernel.Kernel {
	t.Helper()
	k, err := kernel.New(kernel.Config{TurnsPerMinute: 1 << 30, InlineBudget: 30 * time.Second}, kernel.Deps{Store: e.Store, Directory: e.Dir, Router: e.Script, Planner: e.Script, Clock: e.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range exts {
		if _, err := k.Load(context.Background(), x); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := k.Recover(context.Background()); err != nil {
		t.Fatalf("recover: %v", err)
	}
	return k
}

// LRO-04 SAFE-04: a level-1 write that a crash cuts off between its
// dispatch and its result is never run again: the next start settles it,
// and a resend of the same inbound (same dedupe id) gets that settled
// answer instead of a second run.
func TestLRO04_Level1WriteNotRunTwiceAfterCrash(t *testing.T) {
	e, w := writesEnv(t, 30*time.Second, "a")
	ctx := context.Background()
	in := session.Inbound{ID: "evt-1", From: session.Address{Channel: "test"}, Text: `writes.add {"label":"a"}`}
	done := make(chan struct{})
	go func() { // the first process: it dies inside the handler
		defer close(done)
		_, _ = e.K.Handle(ctx, kt.Alice, in)
	}()
	<-w.entered
	k2 := restarted(t, e, w.ext())
	out, err := k2.Handle(ctx, kt.Alice, in) // the client resends
	if err != nil {
		t.Fatal(err)
	}
	close(w.release)
	<-done
	if n := w.count("a"); n != 1 {
		t.Fatalf("the write ran %d times; answer %s", n, kt.Dump(out))
	}
	if c := kt.ErrCode(out); c != "outcome_unknown" {
		t.Fatalf("resend answered %s", kt.Dump(out))
	}
}

// crashing wraps one tool of an extension so that its first call carries
// out its change, signals entered, then blocks until release closes: the
// process "dies" right after the change, before its outcome is recorded.
type crashing struct {
	sdk.Handler
	entered, release chan struct{}
	once             sync.Once
}

func (c *crashing) Invoke(ctx context.Context, caller sdk.Caller, env sdk.Env, args json.RawMessage) (any, error) {
	res, err := c.Handler.Invoke(ctx, caller, env, args)
	first := false
	c.once.Do(func() { first = true })
	if first {
		close(c.entered)
		<-c.release
	}
	return res, err
}

// crashAfter returns x with its tool wrapped by crashing.
func crashAfter(x sdk.Extension, tool string) (sdk.Extension, *crashing) {
	c := &crashing{entered: make(chan struct{}), release: make(chan struct{})}
	hs := make([]sdk.Handler, len(x.Handlers))
	for i, h := range x.Handlers {
		hs[i] = h
		if h.Name() == tool {
			c.Handler = h
			hs[i] = c
		}
	}
	x.Handlers = hs
	return x, c
}

// dies runs in as the first process would, until the crashing tool has
// carried out its change; the returned function lets it go on and waits
// for it (after the test's checks: the process is dead by then).
func dies(t *testing.T, k *kernel.Kernel, a session.Actor, in session.Inbound, c *crashing) func() {
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = k.Handle(context.Background(), a, in)
	}()
	select {
	case <-c.entered:
	case <-done:
		t.Fatal("the turn ended without reaching the tool")
	}
	return func() { close(c.release); <-done }
}

// LRO-04: a level-1 write a crash cut off after it took effect is
// reconciled with its extension at the next start: the ledger records the
// task it created, its actor is told, and a resend of the inbound gets
// "Created task …" without a second task.
func TestLRO04_Level1WriteReconciled(t *testing.T) {
	e := kt.New(t, kt.Options{NoExtend: true, Config: kernel.Config{InlineBudget: 30 * time.Second}})
	ctx := context.Background()
	x, c := crashAfter(tasks.ExtensionWithClock(e.Clock.Now), "create_task")
	if _, err := e.K.Load(ctx, x); err != nil {
		t.Fatal(err)
	}
	in := session.Inbound{ID: "evt-7", From: session.Address{Channel: "test"}, Text: `tasks.create_task {"title":"renew the domain"}`}
	finish := dies(t, e.K, kt.Alice, in, c)
	k2 := restarted(t, e, tasks.ExtensionWithClock(e.Clock.Now))
	out, err := k2.Handle(ctx, kt.Alice, in)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(kt.TextOf(out), "Created task T-1: renew the domain") {
		t.Fatalf("resend answered %s", kt.Dump(out))
	}
	if n := countTasks(t, e, "renew the domain"); n != 1 {
		t.Fatalf("%d tasks created", n)
	}
	waitEvent(t, e, kt.Alice, "Created task T-1")
	if count(e.Audit(t, "acme"), "reconciled", `"known":true`) != 1 {
		t.Fatal("reconciliation not audited")
	}
	finish()
	if n := countTasks(t, e, "renew the domain"); n != 1 {
		t.Fatalf("%d tasks after the first process went on", n)
	}
}

// countTasks counts the tasks extension's own tasks with a title.
func countTasks(t *testing.T, e *kt.Env, title string) int {
	t.Helper()
	raws, err := e.Store.StateList(context.Background(), "tasks", "acme", "tasks")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, raw := range raws {
		var x struct{ Title string }
		_ = json.Unmarshal(raw, &x)
		if x.Title == title {
			n++
		}
	}
	return n
}

// crashingHosting is a kernel with only the hosting extension, seeded,
// whose tool dies after its change.
func crashingHosting(t *testing.T, tool string) (*kt.Env, *crashing) {
	e := kt.New(t, kt.Options{NoExtend: true, Config: kernel.Config{InlineBudget: 30 * time.Second}})
	x, c := crashAfter(hosting.ExtensionWithClock(e.Clock.Now), tool)
	if _, err := e.K.Load(context.Background(), x); err != nil {
		t.Fatal(err)
	}
	if err := e.K.Seed(context.Background(), "acme", kt.World(t)["acme"]); err != nil {
		t.Fatal(err)
	}
	return e, c
}

// LRO-04 SAFE-11: a confirmed restart that a crash cut off after it took
// effect is settled as executed at the next start, never run again, and
// the resent decision gets that outcome.
func TestLRO04_ConfirmedChangeReconciled(t *testing.T) {
	e, c := crashingHosting(t, "restart_server")
	ctx := context.Background()
	before := restarts(t, e, "web-1")
	card := kt.Card(t, e.Say(t, kt.Alice, `hosting.restart_server {"server":"web-1"}`))
	accept := session.Inbound{ID: "evt-8", From: session.Address{Channel: "test"}, Action: &session.Action{Kind: session.ActionAccept, Proposal: card.ID}}
	finish := dies(t, e.K, kt.Alice, accept, c)
	defer finish()
	k2 := restarted(t, e, hosting.ExtensionWithClock(e.Clock.Now))
	p, err := k2.Proposal(ctx, kt.Alice, card.ID)
	if err != nil || p.State != session.ProposalExecuted {
		t.Fatalf("proposal after recovery: %+v %v", p, err)
	}
	again, _ := k2.Handle(ctx, kt.Alice, accept)
	if !strings.Contains(kt.TextOf(again), "web-1") || kt.ErrCode(again) != "" {
		t.Fatalf("resent accept: %s", kt.Dump(again))
	}
	other, _ := k2.Handle(ctx, kt.Alice, session.Inbound{From: session.Address{Channel: "test"}, Action: accept.Action})
	if kt.ErrCode(other) != session.CodeAlreadyExecuted {
		t.Fatalf("new accept: %s", kt.Dump(other))
	}
	if n := restarts(t, e, "web-1"); n != before+1 {
		t.Fatalf("restarted %d times", n-before)
	}
}

func restarts(t *testing.T, e *kt.Env, server string) int {
	t.Helper()
	raw, ok, err := e.Store.StateGet(context.Background(), "hosting", "acme", "servers", server)
	if err != nil || !ok {
		t.Fatalf("server %s: %v", server, err)
	}
	var s struct{ Restarts int }
	_ = json.Unmarshal(raw, &s)
	return s.Restarts
}

// LRO-04 SAFE-05: a level-3 tool's backup is claimed like any other
// dispatch: a crash after the snapshot was taken settles the backup from
// the extension's state, the proposal fails as interrupted (its tool never
// started), and nothing runs again.
func TestLRO04_BackupClaimed(t *testing.T) {
	e, c := crashingHosting(t, "snapshot_server")
	ctx := context.Background()
	card := kt.Card(t, e.Say(t, kt.Alice, `hosting.stop_server {"server":"web-2"}`))
	finish := dies(t, e.K, kt.Alice, session.Inbound{From: session.Address{Channel: "test"}, Action: &session.Action{Kind: session.ActionAccept, Proposal: card.ID}}, c)
	defer finish()
	k2 := restarted(t, e, hosting.ExtensionWithClock(e.Clock.Now))
	p, err := k2.Proposal(ctx, kt.Alice, card.ID)
	if err != nil || p.State != session.ProposalFailed || p.Outcome == nil || kt.ErrCode(*p.Outcome) != session.CodeInterrupted {
		t.Fatalf("proposal after recovery: %+v %v", p, err)
	}
	snaps, err := e.Store.StateList(ctx, "hosting", "acme", "snapshots")
	if err != nil || len(snaps) != 1 {
		t.Fatalf("%d snapshots: %v", len(snaps), err)
	}
	if n := count(e.Audit(t, "acme"), "reconciled", "hosting.snapshot_server"); n != 1 {
		t.Fatalf("%d reconciled backups", n)
	}
	if n := count(e.Audit(t, "acme"), "dispatch", "hosting.stop_server"); n != 0 {
		t.Fatalf("the tool was dispatched %d times", n)
	}
}

// LRO-04: a level-1 call promoted to a task and cut off by a crash is
// settled at the next start: outcome_unknown (its tool cannot reconcile,
// and it is not idempotent) in the task, the ledger and an event, never
// run again; a task of an idempotent tool is re-run by declaration, with
// the idempotency key its first run got.
func TestLRO04_ClaimedTasksAcrossRestart(t *testing.T) {
	e, w := writesEnv(t, 50*time.Millisecond, "t")
	ctx := context.Background()
	out := e.Say(t, kt.Alice, `writes.add {"label":"t"}`)
	plain := progressOf(out)
	if plain == nil {
		t.Fatalf("not promoted: %s", kt.Dump(out))
	}
	w2 := newWrites("i")
	x := w2.ext()
	x.Manifest = []byte(strings.ReplaceAll(writesManifest, "id: writes", "id: writes2"))
	if _, err := e.K.Load(ctx, x); err != nil {
		t.Fatal(err)
	}
	idem := progressOf(e.Say(t, kt.Alice, `writes2.put {"label":"i"}`))
	<-w2.entered
	k2 := restarted(t, e, w.ext(), x)
	t.Cleanup(func() { close(w.release); close(w2.release); _ = k2.Shutdown(ctx) })
	task, err := e.Store.GetTask(ctx, plain.Task)
	if err != nil || task.State != session.TaskFailed || task.Error.Code != session.CodeOutcomeUnknown {
		t.Fatalf("task after recovery: %+v %v", task, err)
	}
	waitEvent(t, e, kt.Alice, session.CodeOutcomeUnknown)
	if n := w.count("t"); n != 1 {
		t.Fatalf("ran %d times", n)
	}
	waitEvent(t, e, kt.Alice, string(idem.Task)+" finished")
	keys := w2.keysOf("i")
	if len(keys) != 2 || keys[0] != keys[1] || !strings.HasPrefix(keys[0], "ik_") {
		t.Fatalf("idempotent task's keys: %q", keys)
	}
	if k := w.keysOf("t"); len(k) != 1 || k[0] == keys[0] || k[0] == "" {
		t.Fatalf("keys of another call: %q", k)
	}
}

// sender sends inbound events as a on the channel "test", with a dedupe id.
func sender(t *testing.T, e *kt.Env, a session.Actor) func(id, text string, act *session.Action) session.Outbound {
	return func(id, text string, act *session.Action) session.Outbound {
		t.Helper()
		out, err := e.K.Handle(context.Background(), a, session.Inbound{ID: id, From: session.Address{Channel: "test"}, Text: text, Action: act})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
}

// A dedupe id answers only the request it first answered: reused for
// another text or another decision it is refused with
// idempotency_key_reused and nothing runs; the same request again still
// gets the first outcome.
func TestInboundIDBoundToRequest(t *testing.T) {
	e := kt.New(t, kt.Options{})
	ctx := context.Background()
	send := sender(t, e, kt.Alice)
	first := send("evt-1", `hosting.list_servers {}`, nil)
	if c := kt.ErrCode(send("evt-1", `hosting.get_server {"server":"web-1"}`, nil)); c != session.CodeKeyReused {
		t.Fatalf("reuse for another text answered %q", c)
	}
	if again := send("evt-1", `  hosting.list_servers {}  `, nil); kt.Dump(again) != kt.Dump(first) {
		t.Fatalf("the same request: %s, first %s", kt.Dump(again), kt.Dump(first))
	}
	p1 := kt.Card(t, e.Say(t, kt.Alice, `hosting.restart_server {"server":"web-1"}`))
	p2 := kt.Card(t, e.Say(t, kt.Alice, `hosting.restart_server {"server":"web-2"}`))
	if c := kt.ErrCode(send("evt-2", "", &session.Action{Kind: session.ActionAccept, Proposal: p1.ID})); c != "" {
		t.Fatalf("accept: %q", c)
	}
	if c := kt.ErrCode(send("evt-2", "", &session.Action{Kind: session.ActionAccept, Proposal: p2.ID})); c != session.CodeKeyReused {
		t.Fatalf("reuse for another proposal answered %q", c)
	}
	if c := kt.ErrCode(send("evt-2", "confirm "+string(p1.ID), nil)); c != "" {
		t.Fatalf("the same decision typed: %q", c)
	}
	if p, _ := e.K.Proposal(ctx, kt.Alice, p2.ID); p.State != session.ProposalPending {
		t.Fatalf("the second proposal is %s", p.State)
	}
	if n := count(e.Audit(t, "acme"), "duplicate", session.CodeKeyReused); n != 2 {
		t.Fatalf("%d refusals audited", n)
	}
}

// failingAccept is the store with the commit that accepts a proposal (and
// takes its execution claim) failing, as a crash or a disk error there does.
type failingAccept struct{ *sqlite.Store }

func (failingAccept) AcceptProposal(context.Context, session.ProposalID, time.Time) (bool, error) {
	return false, errors.New("disk gone")
}

// SAFE-11 LRO-04: a failure while a proposal is accepted never leaves it
// executing (or, after recovery, interrupted) without its execution
// claim: the transition and the claim are one commit. The proposal stays
// pending and can be accepted once the store works again; the accept that
// works takes the claim.
func TestAcceptNeverLeavesExecutingWithoutClaim(t *testing.T) {
	e := kt.New(t, kt.Options{})
	ctx := context.Background()
	card := kt.Card(t, e.Say(t, kt.Alice, `hosting.restart_server {"server":"web-1"}`))
	k, err := kernel.New(kernel.Config{TurnsPerMinute: 1 << 30}, kernel.Deps{Store: failingAccept{e.Store}, Directory: e.Dir, Router: e.Script, Planner: e.Script, Clock: e.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range demo.Extensions(demo.WithClock(e.Clock.Now)) {
		if _, err := k.Load(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	accept := session.Inbound{From: session.Address{Channel: "test"}, Action: &session.Action{Kind: session.ActionAccept, Proposal: card.ID}}
	if out, _ := k.Handle(ctx, kt.Alice, accept); kt.ErrCode(out) != session.CodeInternal {
		t.Fatalf("accept on a failing store: %s", kt.Dump(out))
	}
	if _, err := e.K.Recover(ctx); err != nil {
		t.Fatal(err)
	}
	p, _ := e.K.Proposal(ctx, kt.Alice, card.ID)
	_, cerr := e.Store.Execution(ctx, "proposal:"+string(card.ID))
	if p.State != session.ProposalPending || !errors.Is(cerr, store.ErrNotFound) {
		t.Fatalf("after a failed accept: %s, claim %v", p.State, cerr)
	}
	if out := e.Decide(t, kt.Alice, card.ID, session.ActionAccept, ""); kt.ErrCode(out) != "" {
		t.Fatalf("accept: %s", kt.Dump(out))
	}
	if _, err := e.Store.Execution(ctx, "proposal:"+string(card.ID)); err != nil {
		t.Fatalf("accepted without a claim: %v", err)
	}
}
