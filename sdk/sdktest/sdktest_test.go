package sdktest

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/steward-os/steward/sdk"
)

func TestState(t *testing.T) {
	ctx := context.Background()
	st := NewState()
	type doc struct {
		N    int      `json:"n"`
		Tags []string `json:"tags"`
	}
	var d doc
	if ok, err := st.Get(ctx, "c", "missing", &d); ok || err != nil {
		t.Fatalf("get missing = %v, %v", ok, err)
	}
	for _, k := range []string{"b", "a", "c"} {
		if err := st.Put(ctx, "c", k, doc{N: int(k[0]), Tags: []string{k}}); err != nil {
			t.Fatal(err)
		}
	}
	if ok, err := st.Get(ctx, "c", "a", &d); !ok || err != nil || d.N != 'a' {
		t.Fatalf("get a = %+v, %v, %v", d, ok, err)
	}
	// Values are copies: changing what was read changes nothing stored.
	d.Tags[0] = "changed"
	var again doc
	st.Get(ctx, "c", "a", &again)
	if again.Tags[0] != "a" {
		t.Error("stored value aliased")
	}
	raws, err := st.List(ctx, "c")
	if err != nil || len(raws) != 3 {
		t.Fatalf("list = %v, %v", raws, err)
	}
	var first doc
	json.Unmarshal(raws[0], &first)
	if first.N != 'a' {
		t.Errorf("list not ordered by key: %s", raws[0])
	}
	if err := st.Delete(ctx, "c", "b"); err != nil {
		t.Fatal(err)
	}
	if err := st.Delete(ctx, "c", "nope"); err != nil {
		t.Fatal(err)
	}
	if keys := st.Keys("c"); !slices.Equal(keys, []string{"a", "c"}) {
		t.Errorf("keys = %v", keys)
	}
	if raws, _ := st.List(ctx, "empty"); raws == nil || len(raws) != 0 {
		t.Errorf("empty list = %v", raws)
	}
	if err := st.Put(ctx, "c", "bad", func() {}); err == nil {
		t.Error("put of a func succeeded")
	}
	var n int
	if _, err := st.Get(ctx, "c", "a", &n); err == nil {
		t.Error("decode into the wrong type succeeded")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := st.Put(cancelled, "c", "x", 1); !errors.Is(err, context.Canceled) {
		t.Errorf("put after cancel: %v", err)
	}

	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			st.Put(ctx, "race", string(rune('a'+i)), i)
			st.List(ctx, "race")
		})
	}
	wg.Wait()
	if len(st.Keys("race")) != 16 {
		t.Errorf("race keys = %v", st.Keys("race"))
	}
}

func TestEnv(t *testing.T) {
	ctx := context.Background()
	people := []sdk.Member{{ID: "alice", Roles: []string{"admin"}}, {ID: "bob", Manager: "alice"}}
	env := NewEnv(NewState(), people...)
	if env.State() == nil {
		t.Fatal("no state")
	}
	dir, err := env.Directory()
	if err != nil {
		t.Fatal(err)
	}
	if ms, _ := dir.Members(ctx); len(ms) != 2 {
		t.Errorf("members = %v", ms)
	}
	out, err := env.Outbox()
	if err != nil {
		t.Fatal(err)
	}
	id, err := out.Deliver(ctx, sdk.Note{To: "bob", From: "alice", Body: "hi"})
	if err != nil || id != "note-1" {
		t.Errorf("deliver = %q, %v", id, err)
	}
	var e *sdk.Error
	if _, err := out.Deliver(ctx, sdk.Note{To: "dave", From: "alice", Body: "hi"}); !errors.As(err, &e) || e.Code != sdk.CodeNotFound {
		t.Errorf("deliver to a stranger: %v", err)
	}
	if n := env.Notes(); len(n) != 1 || n[0].To != "bob" {
		t.Errorf("notes = %+v", n)
	}
	env.Progress(50, "half")
	env.Progress(100, "done")
	if r := env.Reports(); !slices.Equal(r, []Report{{50, "half"}, {100, "done"}}) {
		t.Errorf("reports = %+v", r)
	}

	bare := &Env{Store: NewState(), People: people}
	if _, err := bare.Directory(); !errors.Is(err, sdk.ErrScopeDenied) {
		t.Errorf("directory without scope: %v", err)
	}
	if _, err := bare.Outbox(); !errors.Is(err, sdk.ErrScopeDenied) {
		t.Errorf("outbox without scope: %v", err)
	}
	bare.Scopes = []string{sdk.ScopeMessagesDeliver}
	if out, err := bare.Outbox(); err != nil {
		t.Error(err)
	} else if _, err := out.Deliver(ctx, sdk.Note{To: "alice", Body: "x"}); err != nil || len(bare.Notes()) != 1 {
		t.Errorf("lazy outbox: %v, %v", err, bare.Notes())
	}
}

func TestHandler(t *testing.T) {
	h := sdk.Tool("echo", func(_ context.Context, c sdk.Call[struct {
		X string `json:"x"`
	}]) (string, error) {
		return c.Params.X, nil
	})
	ext := sdk.Extension{Handlers: []sdk.Handler{h}}
	if Handler(ext, "echo") != h || Handler(ext, "nope") != nil {
		t.Error("Handler lookup")
	}
}

func TestWorldSection(t *testing.T) {
	path := filepath.Join(t.TempDir(), "world.yaml")
	os.WriteFile(path, []byte("tenants:\n  acme:\n    hosting:\n      servers: [{name: web-1}]\n"), 0o600)
	got, err := WorldSection(path, "acme", "hosting")
	if err != nil || string(got) != `{"servers":[{"name":"web-1"}]}` {
		t.Errorf("section = %s, %v", got, err)
	}
	for _, missing := range [][2]string{{"acme", "tasks"}, {"globex", "hosting"}} {
		if got, err := WorldSection(path, missing[0], missing[1]); err != nil || string(got) != "null" {
			t.Errorf("%v = %s, %v", missing, got, err)
		}
	}
	if _, err := WorldSection(filepath.Join(t.TempDir(), "none.yaml"), "a", "b"); err == nil {
		t.Error("missing file accepted")
	}
}

func TestManifestTools(t *testing.T) {
	good := []byte("id: x\ntools:\n  - name: a\n    params:\n      p: {description: 'one, two'}\n    narrate: '{{.a}}'\n")
	tools, err := ManifestTools(good)
	if err != nil || tools["a"].Params["p"].Description != "one, two" || tools["a"].Narrate != "{{.a}}" {
		t.Errorf("tools = %+v, %v", tools, err)
	}
	// An unquoted comma in a flow mapping makes a stray key: refused.
	bad := []byte("id: x\ntools:\n  - name: a\n    params:\n      p: {description: one, e.g. two}\n")
	if _, err := ManifestTools(bad); err == nil {
		t.Error("stray key accepted")
	}
}

func TestRender(t *testing.T) {
	type res struct {
		Items []string `json:"items"`
		N     int      `json:"n"`
		Opt   string   `json:"opt,omitempty"`
	}
	got, err := Render(`{{len .items}} {{.n}}{{range .items}} {{.}}{{end}}`, res{Items: []string{"a", "b"}, N: 1240})
	if err != nil || got != "2 1240 a b" {
		t.Errorf("render = %q, %v", got, err)
	}
	if _, err := Render(`{{.opt}}`, res{}); err == nil {
		t.Error("missing key rendered")
	}
	if got, err := Render(`{{with index . "opt"}}[{{.}}]{{end}}`, res{}); err != nil || got != "" {
		t.Errorf("index on a missing key = %q, %v", got, err)
	}
	// As in the kernel (internal/narrate): a missing key may be tested…
	if got, err := Render(`{{.n}}{{if .opt}} {{.opt}}{{end}}`, res{N: 1}); err != nil || got != "1" {
		t.Errorf("if on a missing key = %q, %v", got, err)
	}
	// …but a null printed is a missing value too.
	if got, err := Render(`{{.items}}`, res{}); err == nil {
		t.Errorf("null rendered as %q", got)
	}
	if _, err := Render(`{{`, res{}); err == nil {
		t.Error("bad template rendered")
	}
}
