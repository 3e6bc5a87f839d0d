package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"

	"github.com/steward-os/steward/kernel/internal/redact"
	"github.com/steward-os/steward/kernel/route"
	"github.com/steward-os/steward/sdk"
	"github.com/steward-os/steward/session"
)

// AF-10: the gate masks personal data and puts back, from the same
// prompt only, the values a placeholder stood for.
func TestGateMasksAndRestores(t *testing.T) {
	m := redact.New("hunter2-secret")
	cases := []struct {
		in      string
		hidden  []string
		restore bool
	}{
		{"mail ops@example.com now", []string{"ops@example.com"}, true},
		{"call +44 20 7946 0958 or a@b.io, x", []string{"+44 20 7946 0958", "a@b.io"}, true},
		{"ends with bob@example.org", []string{"bob@example.org"}, true},
		{"two a@example.com b@example.com", []string{"a@example.com", "b@example.com"}, true},
		{"secret hunter2-secret and c@example.com", []string{"hunter2-secret", "c@example.com"}, false},
	}
	for _, c := range cases {
		g := &gate{m: m, back: map[string]string{}}
		masked := g.text(c.in)
		for _, h := range c.hidden {
			if strings.Contains(masked, h) {
				t.Fatalf("%q still holds %q: %q", c.in, h, masked)
			}
		}
		back := g.restore(masked)
		if c.restore && back != c.in {
			t.Fatalf("restore(%q) = %q, want %q", masked, back, c.in)
		}
		if strings.Contains(back, "hunter2-secret") {
			t.Fatal("a secret came back")
		}
		other := &gate{m: m, back: map[string]string{}}
		if other.restore(masked) != masked {
			t.Fatal("another prompt's gate restored values it never saw")
		}
	}
	g := &gate{m: m, unmask: true, back: map[string]string{}}
	if got := g.text("mail ops@example.com, key hunter2-secret"); got != "mail ops@example.com, key [secret]" {
		t.Fatalf("unmasked tenant: %q", got)
	}
}

// The context is held within its budget and summarised deterministically:
// the newest results in full, older ones as one-line outlines, and what
// does not fit at all counted.
func TestContextWithinBudget(t *testing.T) {
	mdl := &Model{o: Options{ContextTokens: 200}, memory: newMemory(4, 8), cache: newCaches()}
	tr := route.Turn{ID: "t_now", Actor: session.Actor{ID: "bob", Tenant: "acme"}, Members: []sdk.Member{{ID: "bob"}}}
	for i := 1; i <= 12; i++ {
		out, _ := json.Marshal(map[string]any{"servers": []map[string]any{{"name": fmt.Sprintf("web-%d", i), "status": "running", "region": "eu-west"}}, "total": 1})
		tr.Facts = append(tr.Facts, session.Fact{ID: int64(i), Tool: "hosting.list_servers", OK: true, Args: json.RawMessage(`{}`), Output: out})
	}
	for i := range 6 {
		prev := route.Turn{ID: session.TurnID(fmt.Sprintf("t_%d", i)), Actor: tr.Actor, Text: fmt.Sprintf("list servers please, request number %d", i)}
		mdl.memory.asked(prev, route.Intent{Domains: []string{"hosting"}})
	}
	g := &gate{m: redact.New(), back: map[string]string{}}
	a, b := mdl.renderContext(tr, g, true), mdl.renderContext(tr, g, true)
	if a != b {
		t.Fatal("the same turn must give the same context")
	}
	if len(a) > 200*bytesPerToken+80 {
		t.Fatalf("context of %d bytes over a budget of %d:\n%s", len(a), 200*bytesPerToken, a)
	}
	for _, want := range []string{"not shown", "fact:12 hosting.list_servers ok, args", "servers[1 items]"} {
		if !strings.Contains(a, want) {
			t.Fatalf("context lacks %q:\n%s", want, a)
		}
	}
	if strings.Contains(a, "fact:1 ") {
		t.Fatalf("the oldest result should have been dropped:\n%s", a)
	}
	routing := mdl.renderContext(tr, g, false)
	if strings.Contains(routing, ", args ") || strings.Contains(routing, "people:") {
		t.Fatalf("routing sees outlines only:\n%s", routing)
	}
}

// Answers are parsed strictly: unknown fields, a second value, another
// shape are issues; a code fence is tolerated; function calls become
// steps with their dependencies.
func TestParse(t *testing.T) {
	g := &gate{m: redact.New(), back: map[string]string{"<email:0123abcd>": "ops@example.com"}}
	for _, c := range []struct {
		content string
		issue   string
	}{
		{`{"steps":[],"confirmed":true}`, `unknown field "confirmed"`},
		{`{"steps":[]} {"steps":[]}`, "more than one JSON value"},
		{`sure! here is the plan`, "not the expected JSON object"},
		{`{"steps":[{"id":"s1","tool":"x.y","args":[1],"depends_on":[]}]}`, "args must be a JSON object"},
		{"```json\n{\"steps\":[{\"id\":\"s1\",\"tool\":\"x.y\",\"args\":{\"to\":\"<email:0123abcd>\"},\"depends_on\":[]}]}\n```", ""},
	} {
		p, issues := parsePlan(&completion{content: c.content}, g)
		if got := strings.Join(issues, "; "); c.issue == "" && got != "" || !strings.Contains(got, c.issue) {
			t.Fatalf("%s: issues %q, want %q", c.content, got, c.issue)
		}
		if c.issue == "" && string(p.Steps[0].Args) != `{"to":"ops@example.com"}` {
			t.Fatalf("args %s", p.Steps[0].Args)
		}
	}
	p, issues := parsePlan(&completion{calls: []toolCall{
		{Name: "tasks__list_tasks", Arguments: `{}`},
		{Name: "messaging__send_message", Arguments: `{"to":"alice","body":{"$ref":"s1"}}`},
	}}, g)
	if len(issues) != 0 || len(p.Steps) != 2 || p.Steps[1].Tool != "messaging.send_message" || len(p.Steps[1].DependsOn) != 1 || p.Steps[1].DependsOn[0] != "s1" {
		t.Fatalf("from calls: %+v %v", p, issues)
	}
	in, issues := parseRoute(&completion{content: `{"intent":"write","confidence":0.8,"domains":["hosting","payroll"]}`}, fnRoute, []domain{{id: "hosting"}})
	if len(issues) != 1 || !strings.Contains(issues[0], "payroll") || in.Kind != "write" {
		t.Fatalf("route: %+v %v", in, issues)
	}
}

// A 429's wait is read from retry-after-ms, Retry-After seconds or date.
func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		h    map[string]string
		want time.Duration
	}{
		{map[string]string{"Retry-After": "30"}, 30 * time.Second},
		{map[string]string{"Retry-After-Ms": "1500", "Retry-After": "30"}, 1500 * time.Millisecond},
		{map[string]string{"Retry-After": now.Add(2 * time.Minute).Format(http.TimeFormat)}, 2 * time.Minute},
		{map[string]string{"Retry-After": "soon"}, 0},
		{nil, 0},
	} {
		h := http.Header{}
		for k, v := range c.h {
			h.Set(k, v)
		}
		if got := retryAfter(h, now); got != c.want {
			t.Fatalf("%v: %s, want %s", c.h, got, c.want)
		}
	}
}

// Which failures count against a provider's health (its breaker).
func TestUnhealthy(t *testing.T) {
	for status, want := range map[int]bool{500: true, 503: true, 429: true, 401: true, 403: true, 400: false, 404: false, 422: false} {
		if got := unhealthy(&openai.Error{StatusCode: status}); got != want {
			t.Fatalf("status %d: %v", status, got)
		}
	}
	if !unhealthy(fmt.Errorf("dial tcp: connection refused")) {
		t.Fatal("a transport error is unhealthy")
	}
}

// memUsage is a store.Usage in memory that can be told to fail.
type memUsage struct {
	mu    sync.Mutex
	n     map[string]int64
	fails int
}

func (s *memUsage) AddUsage(_ context.Context, t session.TenantID, p string, n int64) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fails > 0 {
		s.fails--
		return 0, errors.New("disk full")
	}
	s.n[string(t)+p] += n
	return s.n[string(t)+p], nil
}

func (s *memUsage) UsageOf(_ context.Context, t session.TenantID, p string) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n[string(t)+p], nil
}

// Token counts never wait for the store, are never under-counted while
// they are being written, survive a failing write (written with the next
// one) and are all in the store after a flush.
func TestUsageCountsInBackground(t *testing.T) {
	st := &memUsage{n: map[string]int64{}, fails: 2}
	u := newUsage(st, slog.New(slog.DiscardHandler))
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			u.add("acme", "2026-11", 10)
			if n, err := u.total(t.Context(), "acme", "2026-11"); err != nil || n < 10 {
				t.Errorf("total %d %v", n, err)
			}
		})
	}
	wg.Wait()
	if n, _ := u.total(t.Context(), "acme", "2026-11"); n < 500 {
		t.Fatalf("total %d before the writes, want at least 500", n)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := u.flush(ctx); err != nil { // the failed writes are tried again
		t.Fatal(err)
	}
	if n, _ := st.UsageOf(t.Context(), "acme", "2026-11"); n != 500 {
		t.Fatalf("store holds %d, want 500", n)
	}
}
