package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/steward-os/steward/sdk"
	"github.com/steward-os/steward/sdk/sdktest"
)

const worldFile = "../../configs/world.yaml"

var now = time.Date(2026, 3, 10, 15, 4, 5, 0, time.UTC)

var (
	alice = sdk.Caller{Actor: "alice", Tenant: "acme", Roles: []string{"admin"}}
	bob   = sdk.Caller{Actor: "bob", Tenant: "acme", Roles: []string{"operator"}, Manager: "alice"}
	carol = sdk.Caller{Actor: "carol", Tenant: "acme", Roles: []string{"viewer"}, Manager: "alice"}
	acme  = []sdk.Member{
		{ID: "alice", Roles: []string{"admin"}},
		{ID: "bob", Roles: []string{"operator"}, Manager: "alice"},
		{ID: "carol", Roles: []string{"viewer"}, Manager: "alice"},
	}
)

type a = map[string]any

type world struct {
	ext sdk.Extension
	st  *sdktest.State
	env *sdktest.Env
}

func newWorld(t *testing.T, tenant string, members ...sdk.Member) *world {
	t.Helper()
	data, err := sdktest.WorldSection(worldFile, tenant, "tasks")
	if err != nil {
		t.Fatal(err)
	}
	w := &world{ext: ExtensionWithClock(func() time.Time { return now }), st: sdktest.NewState()}
	w.env = sdktest.NewEnv(w.st, members...)
	if err := w.ext.Seed(context.Background(), w.st, data); err != nil {
		t.Fatalf("seed: %v", err)
	}
	return w
}

func (w *world) call(t *testing.T, c sdk.Caller, tool string, args any) (any, error) {
	t.Helper()
	raw, err := json.Marshal(args)
	if err != nil {
		t.Fatal(err)
	}
	return sdktest.Handler(w.ext, tool).Invoke(context.Background(), c, w.env, raw)
}

func (w *world) ok(t *testing.T, c sdk.Caller, tool string, args any) any {
	t.Helper()
	res, err := w.call(t, c, tool, args)
	if err != nil {
		t.Fatalf("%s(%v) as %s: %v", tool, args, c.Actor, err)
	}
	return res
}

func code(err error) string {
	var e *sdk.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func ids(ts []Task) []string {
	out := []string{}
	for _, t := range ts {
		out = append(out, t.ID)
	}
	return out
}

func TestParamsSchema(t *testing.T) {
	tools, err := sdktest.ManifestTools(manifest)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{"list_tasks": nil, "create_task": {"title"}, "complete_task": {"task"}}
	ext := Extension()
	var handlers []sdk.Handler
	for _, h := range ext.Handlers {
		if _, probe := h.(sdk.ProbeHandler); !probe {
			handlers = append(handlers, h)
		}
	}
	if len(handlers) != len(tools) || ext.Context == nil || ext.Seed == nil {
		t.Fatalf("%d handlers for %d tools", len(handlers), len(tools))
	}
	for _, h := range handlers {
		s, err := h.ParamsSchema()
		if err != nil {
			t.Fatal(err)
		}
		req := slices.Clone(s.Required)
		sort.Strings(req)
		if !slices.Equal(req, want[h.Name()]) {
			t.Errorf("%s required = %v, want %v", h.Name(), req, want[h.Name()])
		}
		if len(s.Properties) != len(tools[h.Name()].Params) {
			t.Errorf("%s: %d properties, manifest declares %d params", h.Name(), len(s.Properties), len(tools[h.Name()].Params))
		}
		for p := range tools[h.Name()].Params {
			if _, ok := s.Properties[p]; !ok {
				t.Errorf("%s: manifest param %s is not in the struct", h.Name(), p)
			}
		}
	}
}

func TestList(t *testing.T) {
	w := newWorld(t, "acme", acme...)
	tests := []struct {
		caller sdk.Caller
		args   a
		want   []string
		code   string
	}{
		{alice, a{}, []string{"T-1", "T-2", "T-5"}, ""},
		{alice, a{"status": "pending"}, []string{"T-1", "T-2"}, ""},
		{alice, a{"status": "done"}, []string{"T-5"}, ""},
		{alice, a{"assignee": "me"}, []string{"T-1", "T-2", "T-5"}, ""},
		{bob, a{}, []string{"T-3", "T-4"}, ""},
		{alice, a{"assignee": "Bob", "status": "pending"}, []string{"T-3"}, ""},
		{carol, a{"assignee": "bob"}, []string{"T-3", "T-4"}, ""},
		{carol, a{}, []string{}, ""},
		{alice, a{"assignee": "dave"}, nil, sdk.CodeNotFound}, // another tenant's person
		{alice, a{"status": "someday"}, nil, sdk.CodeInvalid},
	}
	for _, tt := range tests {
		res, err := w.call(t, tt.caller, "list_tasks", tt.args)
		if tt.code != "" {
			if code(err) != tt.code {
				t.Errorf("list_tasks(%v) as %s: err %v, want %s", tt.args, tt.caller.Actor, err, tt.code)
			}
			continue
		}
		if err != nil {
			t.Fatalf("list_tasks(%v) as %s: %v", tt.args, tt.caller.Actor, err)
		}
		if got := ids(res.(TaskList).Tasks); !slices.Equal(got, tt.want) {
			t.Errorf("list_tasks(%v) as %s = %v, want %v", tt.args, tt.caller.Actor, got, tt.want)
		}
	}
	res := w.ok(t, alice, "list_tasks", a{"status": "pending"}).(TaskList)
	want := Task{ID: "T-1", Title: "Review the hosting invoice", Status: "pending", Assignee: "alice", Due: "2026-03-13", Created: "2026-03-10"}
	if res.Assignee != "alice" || res.Tasks[0] != want {
		t.Errorf("T-1 = %+v", res)
	}

	// Without directory:read, only the caller's own tasks can be listed.
	w.env.Scopes = nil
	if _, err := w.call(t, alice, "list_tasks", a{}); err != nil {
		t.Errorf("own tasks without directory: %v", err)
	}
	if _, err := w.call(t, alice, "list_tasks", a{"assignee": "bob"}); !errors.Is(err, sdk.ErrScopeDenied) {
		t.Errorf("others' tasks without directory: %v", err)
	}
}

func TestCreateAndComplete(t *testing.T) {
	w := newWorld(t, "acme", acme...)
	got := w.ok(t, bob, "create_task", a{"title": "  Call the bank ", "due": "2026-12-01"}).(Task)
	want := Task{ID: "T-6", Title: "Call the bank", Status: "pending", Assignee: "bob", Due: "2026-12-01", Created: "2026-03-10"}
	if got != want {
		t.Errorf("create = %+v, want %+v", got, want)
	}
	if got := w.ok(t, alice, "create_task", a{"title": "Write the report"}).(Task); got.ID != "T-7" || got.Due != "" || got.Assignee != "alice" {
		t.Errorf("second create = %+v", got)
	}
	for _, bad := range []a{{"title": " "}, {"title": "x", "due": "next friday"}, {"title": "x", "due": "2026-13-01"}} {
		if _, err := w.call(t, bob, "create_task", bad); code(err) != sdk.CodeInvalid {
			t.Errorf("create_task(%v): %v, want invalid", bad, err)
		}
	}
	// A task is always the caller's: an extra "assignee" (which the kernel's
	// schema check would refuse anyway) changes nothing.
	if got := w.ok(t, bob, "create_task", a{"title": "x", "assignee": "carol"}).(Task); got.Assignee != "bob" {
		t.Errorf("create with assignee = %+v", got)
	}
	if tasks := w.ok(t, carol, "list_tasks", a{}).(TaskList).Tasks; len(tasks) != 0 {
		t.Errorf("carol got tasks: %+v", tasks)
	}

	done := w.ok(t, bob, "complete_task", a{"task": "t-6"}).(Task)
	if done.ID != "T-6" || done.Status != "done" || done.Completed != "2026-03-10" {
		t.Errorf("complete = %+v", done)
	}
	var stored Task
	if ok, err := w.st.Get(context.Background(), collTasks, "T-6", &stored); !ok || err != nil || stored.Status != "done" {
		t.Errorf("stored T-6 = %+v, %v, %v", stored, ok, err)
	}
	for _, tt := range []struct {
		task, code string
	}{
		{"T-6", sdk.CodeConflict},
		{"T-4", sdk.CodeConflict},
		{"T-99", sdk.CodeNotFound},
		{"banana", sdk.CodeNotFound},
		{"", sdk.CodeInvalid},
	} {
		if _, err := w.call(t, bob, "complete_task", a{"task": tt.task}); code(err) != tt.code {
			t.Errorf("complete_task(%q): %v, want %s", tt.task, err, tt.code)
		}
	}
	if got := w.ok(t, alice, "complete_task", a{"task": "3"}).(Task); got.ID != "T-3" || got.Status != "done" {
		t.Errorf("complete 3 = %+v", got)
	}
}

func TestIDsAfterTen(t *testing.T) {
	w := newWorld(t, "acme", acme...)
	for range 6 {
		w.ok(t, alice, "create_task", a{"title": "x"})
	}
	got := ids(w.ok(t, alice, "list_tasks", a{"status": "pending"}).(TaskList).Tasks)
	want := []string{"T-1", "T-2", "T-6", "T-7", "T-8", "T-9", "T-10", "T-11"}
	if !slices.Equal(got, want) {
		t.Errorf("ids = %v, want %v", got, want)
	}
}

func TestTemplates(t *testing.T) {
	tools, err := sdktest.ManifestTools(manifest)
	if err != nil {
		t.Fatal(err)
	}
	samples := []struct {
		caller sdk.Caller
		tool   string
		args   a
		want   string
	}{
		{alice, "list_tasks", a{"status": "pending"}, "alice has 2 pending task(s):\n- T-1 Review the hosting invoice (pending, due 2026-03-13)\n- T-2 Renew the blog certificate (pending, due 2026-03-14)"},
		{bob, "list_tasks", a{}, "bob has 2 task(s):\n- T-3 Patch staging-1 (pending, due 2026-03-17)\n- T-4 Rotate the database passwords (done)"},
		{carol, "list_tasks", a{}, "carol has 0 task(s)."},
		{alice, "create_task", a{"title": "Call the bank", "due": "2026-12-01"}, "Created task T-6: Call the bank (due 2026-12-01)."},
		{alice, "create_task", a{"title": "Write the report"}, "Created task T-6: Write the report."},
		{alice, "complete_task", a{"task": "T-2"}, "Task T-2 (Renew the blog certificate) is now done."},
	}
	for _, s := range samples {
		w := newWorld(t, "acme", acme...)
		mt := tools[s.tool]
		if mt.Propose != "" {
			if _, err := sdktest.Render(mt.Propose, s.args); err != nil {
				t.Errorf("%s propose over %v: %v", s.tool, s.args, err)
			}
		}
		got, err := sdktest.Render(mt.Narrate, w.ok(t, s.caller, s.tool, s.args))
		if err != nil || got != s.want {
			t.Errorf("%s narrate = %q, %v; want %q", s.tool, got, err, s.want)
		}
	}
	if got, _ := sdktest.Render(tools["create_task"].Propose, a{"title": "x", "due": "2026-12-01"}); got != `Create task "x" due 2026-12-01` {
		t.Errorf("create propose = %q", got)
	}
}

func TestContextAndTenants(t *testing.T) {
	w := newWorld(t, "acme", acme...)
	res, err := w.ext.Context.Resources(context.Background(), "acme", w.st)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 5 {
		t.Fatalf("resources = %+v", res)
	}
	if r := res[2]; r.Kind != "task" || r.ID != "T-3" || r.Attrs["title"] != "Patch staging-1" || r.Attrs["status"] != "pending" || r.Attrs["assignee"] != "bob" {
		t.Errorf("T-3 = %+v", r)
	}
	g := newWorld(t, "globex", sdk.Member{ID: "dave", Roles: []string{"admin"}})
	gres, err := g.ext.Context.Resources(context.Background(), "globex", g.st)
	if err != nil || len(gres) != 1 || gres[0].Attrs["assignee"] != "dave" {
		t.Errorf("globex resources = %+v, %v", gres, err)
	}
	dave := sdk.Caller{Actor: "dave", Tenant: "globex", Roles: []string{"admin"}}
	if _, err := g.call(t, dave, "list_tasks", a{"assignee": "alice"}); code(err) != sdk.CodeNotFound {
		t.Errorf("dave listing alice: %v", err)
	}
}

func TestSeed(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, "acme", acme...)
	w.ok(t, alice, "complete_task", a{"task": "T-1"})
	data, _ := sdktest.WorldSection(worldFile, "acme", "tasks")
	if err := w.ext.Seed(ctx, w.st, data); err != nil {
		t.Fatal(err)
	}
	var t1 Task
	if _, err := w.st.Get(ctx, collTasks, "T-1", &t1); err != nil || t1.Status != "done" {
		t.Errorf("reseed reset T-1: %+v, %v", t1, err)
	}
	for _, bad := range []string{
		`{"tasks":[{"id":"X","title":"t","assignee":"a"}]}`,
		`{"tasks":[{"id":"T-1","title":"t","assignee":"a","status":"maybe"}]}`,
		`{"tasks":[{"id":"T-1","title":"","assignee":"a"}]}`,
		`{"tasks":[{"id":"T-1","title":"t","assignee":"a","due":"soon"}]}`,
		`{"tasks":[{"id":"T-1","title":"t","assignee":"a","owner":"b"}]}`,
	} {
		if err := Extension().Seed(ctx, sdktest.NewState(), json.RawMessage(bad)); err == nil {
			t.Errorf("seed accepted %s", bad)
		}
	}
	for _, empty := range []string{"", "null", "{}"} {
		if err := Extension().Seed(ctx, sdktest.NewState(), json.RawMessage(empty)); err != nil {
			t.Errorf("seed %q: %v", empty, err)
		}
	}
}

func TestConcurrentCreate(t *testing.T) {
	w := newWorld(t, "acme", acme...)
	const n = 8
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := sdktest.Handler(w.ext, "create_task").Invoke(context.Background(), bob, w.env, json.RawMessage(`{"title":"x"}`))
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if got := len(w.st.Keys(collTasks)); got != 5+n {
		t.Errorf("tasks = %d, want %d", got, 5+n)
	}
}
