package mcpserver_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/steward-os/steward/channels"
	"github.com/steward-os/steward/channels/mcpserver"
	"github.com/steward-os/steward/channels/mcpserver/mcptest"
	"github.com/steward-os/steward/kernel/kerneltest"
	"github.com/steward-os/steward/session"
)

// gateway is a real kernel behind /mcp, as serve mounts it.
type gateway struct {
	env *kerneltest.Env
	url string
}

func newGateway(t *testing.T) *gateway {
	env := kerneltest.New(t, kerneltest.Options{})
	srv, err := mcpserver.New(channels.CoreOf(env.K), mcpserver.Options{Clock: env.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler(env.Dir, time.Minute, 0))
	t.Cleanup(hs.Close)
	return &gateway{env: env, url: hs.URL}
}

type bearer struct {
	token string
	next  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	if b.token != "" {
		r.Header.Set("Authorization", "Bearer "+b.token)
	}
	return b.next.RoundTrip(r)
}

// connect is an MCP client of the actor with the token; person, when set,
// answers the forms the server shows (elicitation).
func (g *gateway) connect(t *testing.T, token string, person func(*mcp.ElicitRequest) (*mcp.ElicitResult, error)) *mcp.ClientSession {
	t.Helper()
	opts := &mcp.ClientOptions{}
	if person != nil {
		opts.ElicitationHandler = func(_ context.Context, r *mcp.ElicitRequest) (*mcp.ElicitResult, error) { return person(r) }
	}
	c := mcp.NewClient(&mcp.Implementation{Name: "agent", Version: "1"}, opts)
	tr := &mcp.StreamableClientTransport{Endpoint: g.url, HTTPClient: &http.Client{Transport: bearer{token, http.DefaultTransport}}, MaxRetries: -1}
	cs, err := c.Connect(context.Background(), tr, nil)
	if err != nil {
		t.Fatalf("connect as %s: %v", token, err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	return cs
}

func names(t *testing.T, cs *mcp.ClientSession) map[string]*mcp.Tool { return mcptest.Tools(t, cs) }

func call(t *testing.T, cs *mcp.ClientSession, tool string, args any) *mcp.CallToolResult {
	return mcptest.Call(t, cs, tool, args)
}

func textOf(res *mcp.CallToolResult) string { return mcptest.Text(res) }

// structured decodes a result's structured content.
func structured(t *testing.T, res *mcp.CallToolResult) (out struct {
	Proposal *session.ProposalCard `json:"proposal"`
	Error    *session.Error        `json:"error"`
}) {
	t.Helper()
	b, _ := json.Marshal(res.StructuredContent)
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("structured content %s: %v", b, err)
	}
	return out
}

// tools/list is the actor's own surface: carol (a viewer) sees no
// writes, alice sees the level-4 tools and steward.decide, and dave sees
// nothing of acme.
func TestToolsPerActor(t *testing.T) {
	g := newGateway(t)
	alice := names(t, g.connect(t, "demo-alice", nil))
	if alice["hosting.delete_server"] == nil || alice[mcpserver.DecideTool] == nil || !alice["hosting.list_servers"].Annotations.ReadOnlyHint {
		t.Fatalf("alice's tools: %v", alice)
	}
	carol := names(t, g.connect(t, "demo-carol", nil))
	for n, tl := range carol {
		if n != mcpserver.DecideTool && !tl.Annotations.ReadOnlyHint {
			t.Errorf("carol sees the write %s", n)
		}
	}
	if carol["hosting.list_servers"] == nil {
		t.Fatal("carol sees no reads")
	}
	dave := g.connect(t, "demo-dave", nil)
	res := call(t, dave, "hosting.list_servers", map[string]any{})
	if strings.Contains(textOf(res), "- web-1 ") || !strings.Contains(textOf(res), "gx-web-1") {
		t.Fatalf("dave's servers: %s", textOf(res))
	}
	res = call(t, dave, "hosting.restart_server", map[string]any{"server": "web-1"})
	if s := structured(t, res); !res.IsError || s.Error.Code != session.CodeNotFound {
		t.Fatalf("dave reached acme's server: %s", textOf(res))
	}
	rr, err := dave.ReadResource(context.Background(), &mcp.ReadResourceParams{URI: mcpserver.FactsURI})
	if err != nil || strings.Contains(rr.Contents[0].Text, `"web-1`) || strings.Contains(rr.Contents[0].Text, "acme") || !strings.Contains(rr.Contents[0].Text, "gx-web-1") {
		t.Fatalf("dave's facts: %v %+v", err, rr)
	}
}

// A level-4 call returns the proposal card and changes nothing; accepting
// through steward.decide before the cooling period is cooling_period; the
// right phrase after it carries it out.
func TestLevel4CallIsProposed(t *testing.T) {
	g := newGateway(t)
	cs := g.connect(t, "demo-alice", nil)
	res := call(t, cs, "hosting.delete_server", map[string]any{"server": "staging-1"})
	card := structured(t, res).Proposal
	if res.IsError || card == nil || card.ID == "" || card.ArgsHash == "" || card.CoolingUntil == nil || !card.DangerPhraseRequired || card.Impact.Summary == "" {
		t.Fatalf("result: %s %+v", textOf(res), res.StructuredContent)
	}
	for _, r := range g.env.Audit(t, "acme") {
		if r.Kind == "dispatch" {
			t.Fatalf("something ran: %s", r.Data)
		}
	}
	if !strings.Contains(textOf(call(t, cs, "hosting.list_servers", map[string]any{})), "staging-1") {
		t.Fatal("staging-1 changed before anyone accepted")
	}
	res = call(t, cs, mcpserver.DecideTool, map[string]any{"proposal_id": string(card.ID), "decision": "accept", "phrase": "staging-1"})
	if s := structured(t, res); !res.IsError || s.Error.Code != session.CodeCoolingPeriod {
		t.Fatalf("accepted during cooling: %s", textOf(res))
	}
	g.env.Clock.Advance(31 * time.Second)
	res = call(t, cs, mcpserver.DecideTool, map[string]any{"proposal_id": string(card.ID), "decision": "accept", "phrase": "staging-1"})
	if res.IsError || strings.Contains(textOf(call(t, cs, "hosting.list_servers", map[string]any{})), "staging-1") {
		t.Fatalf("not carried out: %s", textOf(res))
	}
}

// Where the client can show a form, the person decides: a level-2 call
// asks them and runs once they accept; when they decline nothing runs.
func TestElicitationAsksThePerson(t *testing.T) {
	g := newGateway(t)
	var asked []string
	answer := "accept"
	cs := g.connect(t, "demo-alice", func(r *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
		asked = append(asked, r.Params.Message)
		if answer == "dismiss" {
			return &mcp.ElicitResult{Action: "decline"}, nil
		}
		return &mcp.ElicitResult{Action: "accept", Content: map[string]any{"decision": answer}}, nil
	})
	res := call(t, cs, "hosting.restart_server", map[string]any{"server": "web-1"})
	if len(asked) != 1 || !strings.Contains(asked[0], "web-1") || res.IsError || !strings.Contains(textOf(res), "restarted") {
		t.Fatalf("asked %q, result %s", asked, textOf(res))
	}
	answer = "dismiss"
	res = call(t, cs, "hosting.restart_server", map[string]any{"server": "web-2"})
	card := structured(t, res).Proposal
	if card == nil || !strings.Contains(textOf(res), "Not accepted") {
		t.Fatalf("declined: %s", textOf(res))
	}
	p, err := g.env.K.Proposal(context.Background(), kerneltest.Alice, card.ID)
	if err != nil || p.State != session.ProposalPending {
		t.Fatalf("the declined proposal: %v %+v", err, p)
	}
	dispatches := 0
	for _, r := range g.env.Audit(t, "acme") {
		if r.Kind == "dispatch" && strings.Contains(r.Data, "restart_server") {
			dispatches++
		}
	}
	if dispatches != 1 {
		t.Fatalf("%d restarts ran, want 1", dispatches)
	}
}

// steward.decide with a form: the person's phrase is used, not the
// agent's; the kernel still refuses during cooling.
func TestDecideAsksThePersonForThePhrase(t *testing.T) {
	g := newGateway(t)
	cs := g.connect(t, "demo-alice", func(r *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
		return &mcp.ElicitResult{Action: "accept", Content: map[string]any{"decision": "accept", "phrase": "staging-1"}}, nil
	})
	res := call(t, cs, "hosting.delete_server", map[string]any{"server": "staging-1"})
	card := structured(t, res).Proposal
	if card == nil {
		t.Fatalf("no proposal (a cooling proposal is not asked at once): %s", textOf(res))
	}
	res = call(t, cs, mcpserver.DecideTool, map[string]any{"proposal_id": string(card.ID), "decision": "accept", "phrase": "wrong"})
	if s := structured(t, res); !res.IsError || s.Error.Code != session.CodeCoolingPeriod {
		t.Fatalf("during cooling: %s", textOf(res))
	}
	g.env.Clock.Advance(31 * time.Second)
	res = call(t, cs, mcpserver.DecideTool, map[string]any{"proposal_id": string(card.ID), "decision": "accept", "phrase": "wrong"})
	if res.IsError || !strings.Contains(textOf(res), "staging-1") {
		t.Fatalf("the person's phrase was not used: %s", textOf(res))
	}
}

// A request without a known bearer token is refused and audited; a
// session stays with the actor who opened it.
func TestAuthentication(t *testing.T) {
	g := newGateway(t)
	c := mcp.NewClient(&mcp.Implementation{Name: "agent", Version: "1"}, nil)
	for _, tok := range []string{"", "not-a-token"} {
		tr := &mcp.StreamableClientTransport{Endpoint: g.url, HTTPClient: &http.Client{Transport: bearer{tok, http.DefaultTransport}}, MaxRetries: -1}
		if _, err := c.Connect(context.Background(), tr, nil); err == nil {
			t.Fatalf("token %q connected", tok)
		}
	}
	refused := false
	for _, r := range g.env.Audit(t, "_system") {
		refused = refused || (r.Kind == "request_refused" && strings.Contains(r.Data, "mcp"))
	}
	if !refused {
		t.Fatal("the refusal was not audited")
	}
	cs := g.connect(t, "demo-alice", nil)
	body := strings.NewReader(`{"jsonrpc":"2.0","id":9,"method":"tools/list","params":{}}`)
	req, _ := http.NewRequest(http.MethodPost, g.url, body)
	req.Header.Set("Authorization", "Bearer demo-bob")
	req.Header.Set("Mcp-Session-Id", cs.ID())
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("bob used alice's session: %d", resp.StatusCode)
	}
}
