package kernel_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/steward-os/steward/extensions/demo"
	"github.com/steward-os/steward/kernel"
	"github.com/steward-os/steward/kernel/internal/llm"
	"github.com/steward-os/steward/kernel/internal/llm/llmtest"
	kt "github.com/steward-os/steward/kernel/kerneltest"
	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store/sqlite"
)

// The model path (router.kind: openai) driven through the real kernel and
// the real openai-go client against fake OpenAI-compatible servers.

// testKey is a provider key shaped like a real one.
const testKey = "sk-test-provider-key-0123456789"

// prov is a provider served by a fake.
func prov(name string, f *llmtest.Server) kernel.ModelProvider {
	return kernel.ModelProvider{Name: name, Kind: llm.KindVLLM, BaseURL: f.URL, Model: "model-" + name, APIKey: testKey + name,
		Timeout: 5 * time.Second, InputPrice: 0.5, OutputPrice: 1.5}
}

// modelEnv is a test kernel on the model path.
func modelEnv(t testing.TB, m kernel.Models, tune ...func(*kernel.Config)) *kt.Env {
	t.Helper()
	if m.Router == "" {
		m.Router = kernel.RouterOpenAI
	}
	cfg := kernel.Config{Models: m}
	for _, f := range tune {
		f(&cfg)
	}
	return kt.New(t, kt.Options{Config: cfg})
}

// rowsOf returns a tenant's audit rows of one kind.
func rowsOf(t *testing.T, e *kt.Env, tenant session.TenantID, kind string) []kt.AuditRow {
	t.Helper()
	var out []kt.AuditRow
	for _, r := range e.Audit(t, tenant) {
		if r.Kind == kind {
			out = append(out, r)
		}
	}
	return out
}

// changes counts dispatches at level ≥ 1 in a tenant's trail (the tests
// that use it confirm nothing, so each would be an unconfirmed change).
func changes(t *testing.T, e *kt.Env, tenant session.TenantID) int {
	n := 0
	for _, r := range rowsOf(t, e, tenant, "dispatch") {
		if !strings.Contains(r.Data, `"level":0`) {
			n++
		}
	}
	return n
}

// ROUTE-01 ROUTE-02 SAFE-03 CORE-06: a model routes on one-line summaries,
// plans on the routed tools' full schemas (only those the actor may run),
// and its plan is gated like any other: a proposal, nothing run.
func TestModelPath_ProposesNeverExecutes(t *testing.T) {
	f := llmtest.New(t, llmtest.Obedient(false))
	e := modelEnv(t, kernel.Models{Providers: []kernel.ModelProvider{prov("a", f)}})
	out := e.Say(t, kt.Bob, `hosting.restart_server {"server":"web-1"}`)
	if c := kt.Card(t, out); c.Tool != "hosting.restart_server" {
		t.Fatalf("card %+v", c)
	}
	reqs := f.Requests()
	if len(reqs) != 2 || reqs[0].Stage() != "route" || reqs[1].Stage() != "plan" {
		t.Fatalf("requests %d: %v", len(reqs), reqs)
	}
	routing, planning := reqs[0].Prompt(), reqs[1].Prompt()
	if !strings.Contains(routing, "hosting.restart_server: ") || strings.Contains(routing, "JSON Schema") {
		t.Fatalf("routing prompt must list one-line summaries only:\n%s", routing)
	}
	if !strings.Contains(planning, "### hosting.restart_server") || strings.Contains(planning, "### tasks.") {
		t.Fatalf("planning prompt must hold only the routed domain's tools:\n%s", planning)
	}
	// bob (operator, ceiling 3) never sees level-4 tools, in either prompt.
	if strings.Contains(routing, "hosting.delete_server") || strings.Contains(planning, "hosting.drop_database") {
		t.Fatal("a tool above the actor's ceiling reached the model")
	}
	if changes(t, e, "acme") != 0 || len(rowsOf(t, e, "acme", "proposed")) != 1 {
		t.Fatal("the plan must become one proposal and run nothing")
	}
	prompts, completions := rowsOf(t, e, "acme", "model_prompt"), rowsOf(t, e, "acme", "model_completion")
	if len(prompts) != 2 || len(completions) != 2 {
		t.Fatalf("prompts %d completions %d", len(prompts), len(completions))
	}
	classified := rowsOf(t, e, "acme", "classified")
	for _, r := range completions {
		for _, want := range []string{`"outcome":"ok"`, `"total_tokens":`, `"cost":`, `"month_tokens":`, `"provider":"a"`} {
			if !strings.Contains(r.Data, want) {
				t.Fatalf("completion record lacks %s: %s", want, r.Data)
			}
		}
		if r.Turn != classified[0].Turn {
			t.Fatalf("model records must carry the turn id: %s vs %s", r.Turn, classified[0].Turn)
		}
	}
	for _, r := range e.Audit(t, "acme") {
		if strings.Contains(r.Data, testKey) {
			t.Fatalf("the provider key reached the audit trail: %s", r.Data)
		}
	}
}

// A provider answering with tool calls instead of a json_schema response
// format gets function tools and tool_choice "required"; the plan runs
// the same way (a read runs and is narrated).
func TestModelPath_ToolCalls(t *testing.T) {
	f := llmtest.New(t, llmtest.Obedient(true))
	p := prov("a", f)
	p.Output = llm.OutputTools
	e := modelEnv(t, kernel.Models{Providers: []kernel.ModelProvider{p}})
	out := e.Say(t, kt.Alice, `hosting.get_server {"server":"web-1"}`)
	if kt.ErrCode(out) != "" || !strings.Contains(kt.TextOf(out), "web-1") {
		t.Fatalf("got %s", kt.Dump(out))
	}
	reqs := f.Requests()
	for _, r := range reqs {
		if r.Format() != "" || len(r.Body.Tools) == 0 || string(r.Body.ToolChoice) != `"required"` {
			t.Fatalf("tools provider got response_format %q, %d tools, choice %s", r.Format(), len(r.Body.Tools), r.Body.ToolChoice)
		}
	}
	var names []string
	for _, tl := range reqs[1].Body.Tools {
		names = append(names, tl.Function.Name)
	}
	if !strings.Contains(strings.Join(names, " "), "hosting__get_server") || !strings.Contains(strings.Join(names, " "), "ask_user") {
		t.Fatalf("planning functions: %v", names)
	}
}

// Each provider kind is reached the way its server expects: the path,
// how the key is sent (bearer, Azure's api-key header, none for a local
// server), api-version for an Azure deployment, and which completion cap
// field. No OPENAI_* variable of the environment leaks into a request.
func TestModelPath_ProviderKinds(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "sk-from-the-environment-0000000000")
	t.Setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1/")
	cases := []struct {
		kind, key, version string
		auth, apiKey       string
		completionCap      bool
	}{
		{llm.KindOpenAI, "sk-openai-key-000000000000", "", "Bearer sk-openai-key-000000000000", "", true},
		{llm.KindAzure, "azure-key-0000000000", "2024-10-21", "", "azure-key-0000000000", true},
		{llm.KindOllama, "", "", "", "", false},
		{llm.KindVLLM, "vllm-key-000000", "", "Bearer vllm-key-000000", "", false},
		{llm.KindLlamaCpp, "", "", "", "", false},
	}
	for _, c := range cases {
		t.Run(c.kind, func(t *testing.T) {
			f := llmtest.New(t, llmtest.Obedient(false))
			p := kernel.ModelProvider{Name: "p", Kind: c.kind, BaseURL: f.URL, Model: "m1", APIKey: c.key, APIVersion: c.version, MaxTokens: 321}
			e := modelEnv(t, kernel.Models{Providers: []kernel.ModelProvider{p}})
			if out := e.Say(t, kt.Alice, `hosting.list_servers {}`); kt.ErrCode(out) != "" {
				t.Fatalf("got %s", kt.Dump(out))
			}
			r := f.Requests()[0]
			if r.Path != "/v1/chat/completions" || r.Body.Model != "m1" || r.Body.Stream {
				t.Fatalf("path %s model %s stream %v", r.Path, r.Body.Model, r.Body.Stream)
			}
			if got := r.Header.Get("Authorization"); got != c.auth {
				t.Fatalf("Authorization %q, want %q", got, c.auth)
			}
			if got := r.Header.Get("Api-Key"); got != c.apiKey {
				t.Fatalf("api-key %q, want %q", got, c.apiKey)
			}
			if c.version != "" && r.Query != "api-version="+c.version {
				t.Fatalf("query %q", r.Query)
			}
			if c.completionCap != (r.Body.MaxCompletionTokens == 321) || c.completionCap == (r.Body.MaxTokens == 321) {
				t.Fatalf("max_completion_tokens %d, max_tokens %d", r.Body.MaxCompletionTokens, r.Body.MaxTokens)
			}
		})
	}
}

// Failover in order on a 5xx, a timeout and a 429, each audited; a 429's
// retry-after is honoured: the provider is not asked again before it.
func TestModelPath_Failover(t *testing.T) {
	cases := []struct {
		name    string
		first   llmtest.Response
		outcome string
	}{
		{"server error", llmtest.Fail(http.StatusServiceUnavailable, "overloaded"), "server_error"},
		{"slow", llmtest.Response{Delay: 3 * time.Second, Content: "{}"}, "timeout"},
		{"rate limited", llmtest.RateLimited(30), "rate_limited"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			bad := llmtest.New(t, func(llmtest.Request) llmtest.Response { return c.first })
			good := llmtest.New(t, llmtest.Obedient(false))
			a := prov("a", bad)
			a.Timeout = 200 * time.Millisecond
			e := modelEnv(t, kernel.Models{Providers: []kernel.ModelProvider{a, prov("b", good)}, BreakerFailures: 10})
			kt.Card(t, e.Say(t, kt.Alice, `hosting.restart_server {"server":"web-1"}`))
			if good.Count() != 2 {
				t.Fatalf("b answered %d calls, want 2", good.Count())
			}
			recs := rowsOf(t, e, "acme", "model_completion")
			if !strings.Contains(recs[0].Data, `"provider":"a"`) || !strings.Contains(recs[0].Data, `"outcome":"`+c.outcome+`"`) ||
				!strings.Contains(recs[1].Data, `"provider":"b"`) || !strings.Contains(recs[1].Data, `"outcome":"ok"`) {
				t.Fatalf("records %s / %s", recs[0].Data, recs[1].Data)
			}
			if c.outcome != "rate_limited" {
				return
			}
			if bad.Count() != 1 || !strings.Contains(recs[0].Data, `"retry_after_ms":30000`) || !strings.Contains(recs[2].Data, `"outcome":"retry_after"`) {
				t.Fatalf("a was asked %d times; %s", bad.Count(), recs[2].Data)
			}
			e.Clock.Advance(31 * time.Second)
			e.Say(t, kt.Alice, `hosting.list_servers {}`)
			if bad.Count() != 2 {
				t.Fatalf("after its retry-after, a was asked %d times, want 2", bad.Count())
			}
		})
	}
}

// A provider that keeps failing is skipped by its circuit breaker
// (circuit_open, not called) until the cooldown passes; then one trial.
func TestModelPath_CircuitBreaker(t *testing.T) {
	bad := llmtest.New(t, func(llmtest.Request) llmtest.Response { return llmtest.Fail(http.StatusBadGateway, "down") })
	good := llmtest.New(t, llmtest.Obedient(false))
	e := modelEnv(t, kernel.Models{Providers: []kernel.ModelProvider{prov("a", bad), prov("b", good)}, BreakerFailures: 2, BreakerCooldown: 300 * time.Millisecond})
	e.Say(t, kt.Alice, `hosting.list_servers {}`) // route and plan: two failures of a, the breaker opens
	e.Say(t, kt.Alice, `hosting.list_servers {}`)
	if bad.Count() != 2 {
		t.Fatalf("a asked %d times, want 2 (then skipped)", bad.Count())
	}
	if n := strings.Count(dumpRows(rowsOf(t, e, "acme", "model_completion")), `"outcome":"circuit_open"`); n != 2 {
		t.Fatalf("%d circuit_open records, want 2", n)
	}
	time.Sleep(400 * time.Millisecond)
	e.Say(t, kt.Alice, `hosting.list_servers {}`)
	if bad.Count() != 3 {
		t.Fatalf("after the cooldown a was asked %d times in all, want 3 (one trial)", bad.Count())
	}
}

func dumpRows(rows []kt.AuditRow) string {
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(r.Data + "\n")
	}
	return b.String()
}

// CORE-06: when every provider is down, the offline router answers and the
// reply says so; the fallback is audited.
func TestModelPath_AllDownOfflineAnswers(t *testing.T) {
	down := llmtest.New(t, func(llmtest.Request) llmtest.Response { return llmtest.Fail(http.StatusInternalServerError, "boom") })
	e := modelEnv(t, kernel.Models{Providers: []kernel.ModelProvider{prov("a", down), prov("b", down)}})
	out := e.Say(t, kt.Alice, "list my servers")
	txt, ok := out.Parts[0].(*session.Text)
	if !ok || txt.Text != llm.NoticeOffline || !strings.Contains(kt.TextOf(out), "web-1") {
		t.Fatalf("got %s", kt.Dump(out))
	}
	if fb := rowsOf(t, e, "acme", "model_fallback"); len(fb) != 1 || !strings.Contains(fb[0].Data, `"stage":"route"`) {
		t.Fatalf("fallback records %v", fb)
	}
}

// withUsage makes every answer report the given token counts.
func withUsage(script func(llmtest.Request) llmtest.Response, prompt, completion int) func(llmtest.Request) llmtest.Response {
	return func(r llmtest.Request) llmtest.Response {
		resp := script(r)
		resp.Prompt, resp.Completion = prompt, completion
		return resp
	}
}

// A tenant's monthly token budget: spent, it is a clear error
// (model_budget_exhausted, audited) that survives a restart; another
// tenant is not affected; the next month starts afresh.
func TestModelPath_MonthlyBudget(t *testing.T) {
	f := llmtest.New(t, withUsage(llmtest.Obedient(false), 30, 10))
	m := kernel.Models{Providers: []kernel.ModelProvider{prov("a", f)}, Tenants: map[session.TenantID]kernel.TenantModels{"acme": {MonthlyTokens: 50}}}
	e := modelEnv(t, m)
	if out := e.Say(t, kt.Alice, `hosting.list_servers {}`); kt.ErrCode(out) != "" {
		t.Fatalf("first turn: %s", kt.Dump(out)) // 40 tokens to route, then 40 to plan
	}
	out := e.Say(t, kt.Alice, `hosting.list_servers {}`)
	if kt.ErrCode(out) != session.CodeModelBudget || !strings.Contains(kt.Dump(out), "80 of 50 tokens") {
		t.Fatalf("spent budget: %s", kt.Dump(out))
	}
	if d := rowsOf(t, e, "acme", "denied"); len(d) != 1 || !strings.Contains(d[0].Data, "model_budget") {
		t.Fatalf("denied records %v", d)
	}
	if out := e.Say(t, kt.Dave, `hosting.list_servers {}`); kt.ErrCode(out) != "" {
		t.Fatalf("globex has no budget: %s", kt.Dump(out))
	}

	// The next process on the same data directory still refuses.
	ctx := context.Background()
	if err := e.K.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(ctx, e.Data, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	k, err := kernel.New(kernel.Config{Models: withRouter(m), TurnsPerMinute: 1 << 30}, kernel.Deps{Store: st, Directory: e.Dir, Clock: e.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range demo.Extensions(demo.WithClock(e.Clock.Now)) {
		if _, err := k.Load(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	again, err := k.Handle(ctx, kt.Alice, session.Inbound{From: session.Address{Channel: "test"}, Text: `hosting.list_servers {}`})
	if err != nil || kt.ErrCode(again) != session.CodeModelBudget {
		t.Fatalf("after a restart: %v %s", err, kt.Dump(again))
	}
	e.Clock.Advance(8 * 24 * time.Hour) // 2026-12-01: a new month
	if next, _ := k.Handle(ctx, kt.Alice, session.Inbound{From: session.Address{Channel: "test"}, Text: `hosting.list_servers {}`}); kt.ErrCode(next) != "" {
		t.Fatalf("next month: %s", kt.Dump(next))
	}
}

func withRouter(m kernel.Models) kernel.Models {
	m.Router = kernel.RouterOpenAI
	return m
}

// ROUTE-04: an answer that is not JSON gets at most two re-asks, each with
// the problem fed back; then the person gets a question and nothing runs.
// A plan corrected on a re-ask runs as usual.
func TestModelPath_BoundedRepair(t *testing.T) {
	for _, c := range []struct {
		name     string
		goodFrom int // the planning call (1-based) from which the model answers well; 0 = never
		plans    int
	}{{"never valid", 0, 3}, {"valid on the second try", 2, 2}} {
		t.Run(c.name, func(t *testing.T) {
			plans := 0
			obey := llmtest.Obedient(false)
			f := llmtest.New(t, func(r llmtest.Request) llmtest.Response {
				if r.Stage() != "plan" {
					return obey(r)
				}
				plans++
				if c.goodFrom > 0 && plans >= c.goodFrom {
					return obey(r)
				}
				return llmtest.Reply(`{"steps": [ {"id": "s1", "tool": "hosting.restart_server", "args": {"server": "web-1"`)
			})
			e := modelEnv(t, kernel.Models{Providers: []kernel.ModelProvider{prov("a", f)}})
			out := e.Say(t, kt.Alice, `hosting.restart_server {"server":"web-1"}`)
			if plans != c.plans {
				t.Fatalf("%d planning calls, want %d", plans, c.plans)
			}
			reqs := f.Requests()
			if last := reqs[len(reqs)-1].Last(); c.plans > 1 && !strings.Contains(last, "not the expected JSON object") {
				t.Fatalf("the re-ask must carry the problem: %q", last)
			}
			if c.goodFrom == 0 {
				if kt.ErrCode(out) != "" || !strings.Contains(kt.TextOf(out), "couldn't put together a valid plan") || len(rowsOf(t, e, "acme", "proposed")) != 0 {
					t.Fatalf("got %s", kt.Dump(out))
				}
				return
			}
			kt.Card(t, out)
		})
	}
}

// ROUTE-04: a plan failing the tool's schema is re-asked with the
// kernel's own validation message, and the corrected plan is gated.
func TestModelPath_SchemaIssuesFedBack(t *testing.T) {
	plans := 0
	f := llmtest.New(t, func(r llmtest.Request) llmtest.Response {
		if r.Stage() == "route" {
			return llmtest.Reply(`{"intent":"write","confidence":0.9,"domains":["hosting"]}`)
		}
		plans++
		size := "huge"
		if strings.Contains(r.Last(), "not valid") {
			size = "xl"
		}
		return llmtest.Reply(`{"steps":[{"id":"s1","tool":"hosting.resize_server","args":{"server":"web-1","size":"` + size + `"},"depends_on":[]}]}`)
	})
	e := modelEnv(t, kernel.Models{Providers: []kernel.ModelProvider{prov("a", f)}})
	c := kt.Card(t, e.Say(t, kt.Alice, "make web-1 huge"))
	if plans != 2 || !strings.Contains(string(c.Args), `"xl"`) {
		t.Fatalf("plans %d, card args %s", plans, c.Args)
	}
}

// ROUTE-03: a plan naming a tool outside the routed surface is refused
// (unknown_tool) without a re-ask, and nothing is proposed or run.
func TestModelPath_ToolOutsideSurface(t *testing.T) {
	order := llmtest.Order{Route: []string{"tasks"}, Plan: json.RawMessage(`{"steps":[{"id":"s1","tool":"hosting.delete_server","args":{"server":"staging-1"},"depends_on":[]}]}`)}
	f := llmtest.New(t, llmtest.Obedient(false))
	e := modelEnv(t, kernel.Models{Providers: []kernel.ModelProvider{prov("a", f)}})
	out := e.Say(t, kt.Alice, "tidy up "+order.Token())
	if kt.ErrCode(out) != session.CodeUnknownTool || f.Count() != 2 {
		t.Fatalf("got %s after %d calls", kt.Dump(out), f.Count())
	}
	if len(rowsOf(t, e, "acme", "proposed"))+changes(t, e, "acme") != 0 {
		t.Fatal("something was proposed or run")
	}
}
