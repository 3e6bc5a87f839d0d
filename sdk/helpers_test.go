package sdk_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"

	"github.com/steward-os/steward/sdk"
	"github.com/steward-os/steward/sdk/sdktest"
)

func TestLocked(t *testing.T) {
	var locks sdk.TenantLocks
	var mu sync.Mutex
	inside := map[sdk.TenantID]int{}
	h := sdk.Tool("count", sdk.Locked(&locks, func(_ context.Context, c sdk.Call[struct{}]) (int, error) {
		mu.Lock()
		inside[c.Caller.Tenant]++
		n := inside[c.Caller.Tenant]
		mu.Unlock()
		defer func() {
			mu.Lock()
			inside[c.Caller.Tenant]--
			mu.Unlock()
		}()
		return n, nil
	}))
	var wg sync.WaitGroup
	for i := range 32 {
		tenant := sdk.TenantID([]string{"acme", "globex"}[i%2])
		wg.Go(func() {
			n, err := h.Invoke(context.Background(), sdk.Caller{Tenant: tenant}, nil, nil)
			if err != nil || n != 1 {
				t.Errorf("%s: %d calls at once, %v", tenant, n, err)
			}
		})
	}
	wg.Wait()
	// Another tenant's lock is free while one is held.
	unlock := locks.Lock("acme")
	locks.Lock("globex")()
	unlock()
}

func TestFindMember(t *testing.T) {
	ctx := context.Background()
	env := sdktest.NewEnv(sdktest.NewState(), sdk.Member{ID: "alice"}, sdk.Member{ID: "Bob"})
	if m, ok, err := sdk.FindMember(ctx, env, "ALICE"); err != nil || !ok || m.ID != "alice" {
		t.Errorf("ALICE = %v, %v, %v", m, ok, err)
	}
	if m, ok, err := sdk.FindMember(ctx, env, "bob"); err != nil || !ok || m.ID != "Bob" {
		t.Errorf("bob = %v, %v, %v", m, ok, err)
	}
	if _, ok, err := sdk.FindMember(ctx, env, "dave"); err != nil || ok {
		t.Errorf("dave = %v, %v", ok, err)
	}
	env.Scopes = nil
	if _, _, err := sdk.FindMember(ctx, env, "alice"); !errors.Is(err, sdk.ErrScopeDenied) {
		t.Errorf("without directory:read: %v", err)
	}
}

func TestDecodeSeed(t *testing.T) {
	type data struct {
		N int `json:"n"`
	}
	for _, in := range []string{"", " \n", "null", "{}"} {
		d := data{N: 7}
		if err := sdk.DecodeSeed(json.RawMessage(in), &d); err != nil || d.N != 7 {
			t.Errorf("%q = %+v, %v", in, d, err)
		}
	}
	var d data
	if err := sdk.DecodeSeed(json.RawMessage(`{"n": 2}`), &d); err != nil || d.N != 2 {
		t.Errorf("n = %+v, %v", d, err)
	}
	if err := sdk.DecodeSeed(json.RawMessage(`{"m": 2}`), &d); err == nil {
		t.Error("unknown key accepted")
	}
	if err := sdk.DecodeSeed(json.RawMessage(`[1]`), &d); err == nil {
		t.Error("a list accepted for an object")
	}
}

func TestSeedOnce(t *testing.T) {
	ctx := context.Background()
	type data struct {
		Names []string `json:"names"`
	}
	var got [][]string
	fail := errors.New("refused")
	seed := sdk.SeedOnce(func(_ context.Context, st sdk.State, d data) error {
		if len(d.Names) > 0 && d.Names[0] == "bad" {
			return fail
		}
		got = append(got, d.Names)
		return st.Put(ctx, "names", "all", d.Names)
	})
	st := sdktest.NewState()
	if err := seed(ctx, st, json.RawMessage(`{"names": ["bad"]}`)); !errors.Is(err, fail) {
		t.Fatalf("failing seed: %v", err)
	}
	if keys := st.Keys("meta"); len(keys) != 0 {
		t.Fatalf("marker written after a failure: %v", keys)
	}
	if err := seed(ctx, st, json.RawMessage(`{"names": ["a"], "extra": 1}`)); err == nil {
		t.Fatal("unknown key accepted")
	}
	if err := seed(ctx, st, json.RawMessage(`{"names": ["a"]}`)); err != nil {
		t.Fatal(err)
	}
	// Seeded: left alone, whatever the data.
	if err := seed(ctx, st, json.RawMessage(`{"names": ["b"], "extra": 1}`)); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0][0] != "a" {
		t.Errorf("seeded with %v", got)
	}
	if err := seed(ctx, sdktest.NewState(), nil); err != nil || len(got) != 2 || got[1] != nil {
		t.Errorf("empty section: %v, %v", got, err)
	}
}
