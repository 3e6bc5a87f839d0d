package kernel_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/steward-os/steward/kernel"
	kt "github.com/steward-os/steward/kernel/kerneltest"
	"github.com/steward-os/steward/sdk"
	"github.com/steward-os/steward/session"
)

// countingContext is an extension whose context provider counts its calls.
func countingContext(calls *atomic.Int64) sdk.Extension {
	return sdk.Extension{
		Manifest: []byte(`
id: counted
version: 0.1.0
protocol_version: "1"
conformance_level: 1
description: Things counted for tests.
scopes: [counted:read]
tools:
  - name: look
    description: Look at the things.
    safety_level: 0
    scopes: [counted:read]
    examples: [look at the counted things]
`),
		Handlers: []sdk.Handler{sdk.Tool("look", func(ctx context.Context, c sdk.Call[struct{}]) (map[string]int, error) {
			return map[string]int{"n": 1}, c.Env.State().Put(ctx, "things", "last", 1)
		})},
		Context: sdk.ContextFunc(func(ctx context.Context, _ sdk.TenantID, st sdk.State) ([]sdk.Resource, error) {
			calls.Add(1)
			return []sdk.Resource{{Kind: "thing", ID: "thing-1"}}, nil
		}),
	}
}

// Context is read once per version of the tenant's state, not per turn:
// turns in a tenant cost the same whatever it stores (issue: cost per turn
// grew with a tenant's state). A write to the extension's state makes the
// next turn read it again; another tenant's write does not.
func TestContextReadOncePerStateVersion(t *testing.T) {
	e := kt.New(t, kt.Options{})
	var calls atomic.Int64
	if _, err := e.K.Load(context.Background(), countingContext(&calls)); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		e.Say(t, kt.Alice, `hosting.list_servers {}`)
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("the context provider ran %d times for 5 turns of one tenant, want 1", n)
	}
	e.Say(t, kt.Dave, `counted.look {}`) // globex writes its state
	e.Say(t, kt.Alice, `hosting.list_servers {}`)
	if n := calls.Load(); n != 2 { // dave's own turn read globex's context
		t.Fatalf("after another tenant's write: %d calls, want 2", n)
	}
	e.Say(t, kt.Alice, `counted.look {}`) // acme's state changes
	e.Say(t, kt.Alice, `hosting.list_servers {}`)
	if n := calls.Load(); n != 3 {
		t.Fatalf("after the tenant's own write: %d calls, want 3", n)
	}
}

// jar is an extension whose tool puts one value under the key it is given,
// and whose wait tool blocks until released (after saying it started).
func jar(started chan<- struct{}, release <-chan struct{}) sdk.Extension {
	type key struct {
		Key string `json:"key"`
	}
	return sdk.Extension{
		Manifest: []byte(`
id: jar
version: 0.1.0
protocol_version: "1"
conformance_level: 1
description: A jar of values for tests.
scopes: [jar:read]
tools:
  - name: put
    description: Put a value in the jar.
    safety_level: 0
    scopes: [jar:read]
    parameters:
      type: object
      properties:
        key: {type: string}
      required: [key]
    examples: [put a value in the jar]
  - name: wait
    description: Wait until released.
    safety_level: 0
    scopes: [jar:read]
    examples: [wait at the jar]
`),
		Handlers: []sdk.Handler{
			sdk.Tool("put", func(ctx context.Context, c sdk.Call[key]) (map[string]string, error) {
				return map[string]string{"key": c.Params.Key}, c.Env.State().Put(ctx, "values", c.Params.Key, 1)
			}),
			sdk.Tool("wait", func(ctx context.Context, c sdk.Call[struct{}]) (map[string]bool, error) {
				started <- struct{}{}
				select {
				case <-release:
				case <-ctx.Done():
				}
				return map[string]bool{"done": true}, nil
			}),
		},
	}
}

// A tenant cannot store without bound: a new value beyond the extension's
// limit is refused with quota_exceeded; replacing a value still works, and
// another tenant has its own room.
func TestStateQuota(t *testing.T) {
	const limit = 24 // room for the demo world's seed of every extension
	e := kt.New(t, kt.Options{Config: kernel.Config{StateValuesPerTenant: limit}})
	if _, err := e.K.Load(context.Background(), jar(nil, nil)); err != nil {
		t.Fatal(err)
	}
	for i := range limit {
		if out := e.Say(t, kt.Alice, fmt.Sprintf(`jar.put {"key":"k%d"}`, i)); kt.ErrCode(out) != "" {
			t.Fatalf("put %d: %s", i, kt.Dump(out))
		}
	}
	if out := e.Say(t, kt.Alice, `jar.put {"key":"d"}`); kt.ErrCode(out) != session.CodeQuotaExceeded {
		t.Fatalf("over the quota: %s", kt.Dump(out))
	}
	if out := e.Say(t, kt.Alice, `jar.put {"key":"k0"}`); kt.ErrCode(out) != "" {
		t.Fatalf("replacing a value at the quota: %s", kt.Dump(out))
	}
	if out := e.Say(t, kt.Dave, `jar.put {"key":"d"}`); kt.ErrCode(out) != "" {
		t.Fatalf("another tenant's first value: %s", kt.Dump(out))
	}
}

// One tenant's burst waits for its own slots and leaves other tenants'
// turns alone (per-tenant fairness).
func TestTenantFairness(t *testing.T) {
	e := kt.New(t, kt.Options{Config: kernel.Config{TenantConcurrency: 1}})
	started, release := make(chan struct{}, 1), make(chan struct{})
	if _, err := e.K.Load(context.Background(), jar(started, release)); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	slow := make(chan session.Outbound, 1)
	go func() {
		out, _ := e.K.Handle(ctx, kt.Alice, session.Inbound{From: session.Address{Channel: "test"}, Text: `jar.wait {}`})
		slow <- out
	}()
	<-started
	// acme's only slot is taken: bob waits, bounded by his context.
	bctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	out, err := e.K.Handle(bctx, kt.Bob, session.Inbound{From: session.Address{Channel: "test"}, Text: `hosting.list_servers {}`})
	if err != nil || kt.ErrCode(out) != session.CodeRateLimited {
		t.Fatalf("acme's second turn did not wait for the slot: %v %s", err, kt.Dump(out))
	}
	// globex is not held up by acme.
	if out := e.Say(t, kt.Dave, `hosting.list_servers {}`); kt.ErrCode(out) != "" {
		t.Fatalf("another tenant's turn: %s", kt.Dump(out))
	}
	close(release)
	<-slow
	// the slot is free again.
	if out := e.Say(t, kt.Bob, `hosting.list_servers {}`); kt.ErrCode(out) != "" {
		t.Fatalf("acme after the slot was released: %s", kt.Dump(out))
	}
}
