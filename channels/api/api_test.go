package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/steward-os/steward/channels"
	"github.com/steward-os/steward/channels/api"
	"github.com/steward-os/steward/session"
)

// fakeTurns fakes the core; what the API never calls is left to the
// embedded nil interfaces.
type fakeTurns struct {
	session.Identity
	session.Deliveries
	mu      sync.Mutex
	handled []session.Inbound
	refused []string
}

func (f *fakeTurns) Handle(_ context.Context, a session.Actor, in session.Inbound) (session.Outbound, error) {
	f.mu.Lock()
	f.handled = append(f.handled, in)
	f.mu.Unlock()
	if in.Action != nil && in.Action.Proposal == "p_missing" {
		return session.Outbound{Turn: "t_1", Parts: []session.Part{&session.Error{Code: session.CodeProposalNotFound, Message: "There is no proposal with that id."}}}, nil
	}
	return session.Outbound{Turn: "t_1", Parts: []session.Part{&session.Text{Text: "hello " + string(a.ID)}}}, nil
}

func (f *fakeTurns) Classify(_ context.Context, _ session.Actor, text string) (session.Classification, error) {
	return session.Classification{Intent: session.IntentNone, Steps: []session.PlanStep{}}, nil
}

func (f *fakeTurns) Proposal(context.Context, session.Actor, session.ProposalID) (session.Proposal, error) {
	return session.Proposal{}, taskErr{}
}

func (f *fakeTurns) Tasks(context.Context, session.Actor) ([]session.Task, error) { return nil, nil }

func (f *fakeTurns) CancelTask(_ context.Context, _ session.Actor, id session.TaskID) (session.Task, error) {
	return session.Task{}, taskErr{}
}

func (f *fakeTurns) Events(context.Context, session.Actor, int64, time.Duration) ([]session.Event, error) {
	return nil, nil
}

func (f *fakeTurns) LinkCode(context.Context, session.Actor) (string, time.Time, error) {
	return "ABCD-EFGH", time.Now(), nil
}

func (f *fakeTurns) Links(context.Context, session.Actor) ([]session.Link, error) { return nil, nil }

func (f *fakeTurns) Unlink(context.Context, session.Actor, session.ChannelID, string) error {
	return nil
}

type taskErr struct{}

func (taskErr) Error() string            { return "no task" }
func (taskErr) Stable() (string, string) { return session.CodeTaskNotFound, "There is no task." }

func (f *fakeTurns) Refuse(_ context.Context, r session.Refusal) {
	f.mu.Lock()
	f.refused = append(f.refused, r.Code)
	f.mu.Unlock()
}

func server(t *testing.T) (*httptest.Server, *fakeTurns) {
	dir := session.NewStaticDirectory()
	dir.Add(session.Actor{ID: "alice", Tenant: "acme", Roles: []string{"admin"}}, "demo-alice")
	ft := &fakeTurns{}
	a := api.New(channels.Core{Turns: ft, Tasks: ft, Identity: ft, Deliveries: ft}, dir, api.Options{MaxBodyBytes: 1024})
	a.SetReady(true)
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	return srv, ft
}

func do(t *testing.T, srv *httptest.Server, method, path, token, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatalf("%s %s: non-JSON response: %v", method, path, err)
	}
	return resp.StatusCode, m
}

// ISO-04: every bad request gets a stable code, a plain message, and an audit record.
func TestBadRequests(t *testing.T) {
	srv, ft := server(t)
	cases := []struct {
		name, method, path, token, body string
		status                          int
		code                            string
	}{
		{"no token", "POST", "/v1/messages", "", `{"text":"hi"}`, 401, session.CodeUnauthenticated},
		{"bad token", "POST", "/v1/messages", "demo-mallory", `{"text":"hi"}`, 401, session.CodeUnauthenticated},
		{"malformed json", "POST", "/v1/messages", "demo-alice", `{"text":`, 400, session.CodeBadRequest},
		{"not an object", "POST", "/v1/messages", "demo-alice", `["hi"]`, 400, session.CodeBadRequest},
		{"wrong type", "POST", "/v1/messages", "demo-alice", `{"text":5}`, 400, session.CodeBadRequest},
		{"unknown field", "POST", "/v1/messages", "demo-alice", `{"text":"hi","admin":true}`, 400, session.CodeUnknownField},
		{"trailing data", "POST", "/v1/messages", "demo-alice", `{"text":"hi"} {"text":"again"}`, 400, session.CodeBadRequest},
		{"empty body", "POST", "/v1/messages", "demo-alice", ``, 400, session.CodeBadRequest},
		{"empty text", "POST", "/v1/messages", "demo-alice", `{"text":"  "}`, 400, session.CodeBadRequest},
		{"oversize", "POST", "/v1/messages", "demo-alice", `{"text":"` + strings.Repeat("a", 2000) + `"}`, 413, session.CodeBodyTooLarge},
		{"bad decision", "POST", "/v1/proposals/p_x", "demo-alice", `{"decision":"maybe"}`, 400, session.CodeBadRequest},
		{"unknown proposal", "POST", "/v1/proposals/p_missing", "demo-alice", `{"decision":"accept"}`, 404, ""},
		{"wrong method", "GET", "/v1/messages", "demo-alice", ``, 405, session.CodeMethodNotAllowed},
		{"unknown path", "GET", "/v1/nope", "demo-alice", ``, 404, session.CodeNotFound},
		{"someone else's events", "GET", "/v1/sessions/s:acme:bob/events", "demo-alice", ``, 404, session.CodeNotFound},
		{"bad after", "GET", "/v1/sessions/me/events?after=x", "demo-alice", ``, 400, session.CodeBadRequest},
		{"bad wait", "GET", "/v1/sessions/me/events?wait=forever", "demo-alice", ``, 400, session.CodeBadRequest},
		{"unknown task", "POST", "/v1/tasks/t_nope/cancel", "demo-alice", ``, 404, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := len(ft.refused)
			status, body := do(t, srv, c.method, c.path, c.token, c.body)
			if status != c.status {
				t.Fatalf("status %d, want %d (%v)", status, c.status, body)
			}
			if c.code == "" {
				return // a turn-level error: the kernel audits it
			}
			e, _ := body["error"].(map[string]any)
			if e["code"] != c.code || e["message"] == "" {
				t.Fatalf("body %v, want code %s", body, c.code)
			}
			if len(ft.refused) != before+1 {
				t.Fatalf("refusal not audited")
			}
		})
	}
	if len(ft.handled) != 1 {
		t.Fatalf("%d bad requests reached the kernel", len(ft.handled)-1)
	}
}

func TestHappyPathsAndHealth(t *testing.T) {
	srv, _ := server(t)
	status, body := do(t, srv, "POST", "/v1/messages", "demo-alice", `{"text":"hi"}`)
	if status != 200 || body["turn_id"] != "t_1" {
		t.Fatalf("%d %v", status, body)
	}
	replies := body["replies"].([]any)
	if r := replies[0].(map[string]any); r["type"] != "text" || r["text"] != "hello alice" {
		t.Fatalf("reply %v", r)
	}
	if status, _ := do(t, srv, "GET", "/healthz", "", ""); status != 200 {
		t.Fatal("healthz")
	}
	if status, _ := do(t, srv, "GET", "/readyz", "", ""); status != 200 {
		t.Fatal("readyz")
	}
	if status, body := do(t, srv, "POST", "/v1/classify", "demo-alice", `{"text":"hi"}`); status != 200 || body["intent"] != "none" {
		t.Fatalf("classify %d %v", status, body)
	}
}
