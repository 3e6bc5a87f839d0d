package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os/exec"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/steward-os/steward/channels/mcpserver/mcptest"
)

func mcpTools(t *testing.T, cs *mcp.ClientSession) map[string]*mcp.Tool { return mcptest.Tools(t, cs) }

func mcpCall(t *testing.T, cs *mcp.ClientSession, tool string, args any) (text string, structured map[string]any, isErr bool) {
	res := mcptest.Call(t, cs, tool, args)
	return mcptest.Text(res), mcptest.Structured(res), res.IsError
}

// stdioSession runs `steward mcp` for the token on a data directory.
func stdioSession(t *testing.T, data, token string) *mcp.ClientSession {
	t.Helper()
	cmd := exec.Command(binary, "mcp", "--data", data)
	cmd.Env = append(cleanEnv(), "STEWARD_TOKEN="+token)
	c := mcp.NewClient(&mcp.Implementation{Name: "agent", Version: "1"}, nil)
	cs, err := c.Connect(context.Background(), &mcp.CommandTransport{Command: cmd}, nil)
	if err != nil {
		t.Fatalf("steward mcp as %s: %v", token, err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	return cs
}

// checkSurfaceAndGate is what both forms must show: carol sees no
// writes, dave sees nothing of acme, and alice's level-4 call returns a
// proposal, changes nothing, and cannot be accepted before its cooling
// period.
func checkSurfaceAndGate(t *testing.T, open func(token string) *mcp.ClientSession) {
	for name, tl := range mcpTools(t, open("demo-carol")) {
		if name != "steward.decide" && !tl.Annotations.ReadOnlyHint {
			t.Errorf("carol sees the write %s", name)
		}
	}
	dave := open("demo-dave")
	if text, _, _ := mcpCall(t, dave, "hosting.list_servers", map[string]any{}); strings.Contains(text, "staging-1") || !strings.Contains(text, "gx-web-1") {
		t.Fatalf("dave's servers: %s", text)
	}
	if _, s, isErr := mcpCall(t, dave, "hosting.get_server", map[string]any{"server": "staging-1"}); !isErr || !strings.Contains(jsonOf(s["error"]), "not_found") {
		t.Fatalf("dave reached acme's server: %v", s)
	}
	alice := open("demo-alice")
	text, s, isErr := mcpCall(t, alice, "hosting.delete_server", map[string]any{"server": "staging-1"})
	p, _ := s["proposal"].(map[string]any)
	if isErr || p == nil || p["proposal_id"] == "" || p["args_hash"] == "" || p["cooling_until"] == nil || p["danger_phrase_required"] != true {
		t.Fatalf("level-4 call: %s %v", text, s)
	}
	if text, _, _ := mcpCall(t, alice, "hosting.list_servers", map[string]any{}); !strings.Contains(text, "staging-1") {
		t.Fatal("the level-4 call changed something")
	}
	// The demo configuration gives acme's level 4 to another admin (four
	// eyes, docs/approvals.md): alice may not accept her own.
	_, s, isErr = mcpCall(t, alice, "steward.decide", map[string]any{"proposal_id": p["proposal_id"], "decision": "accept", "phrase": "staging-1"})
	if !isErr || !strings.Contains(jsonOf(s["error"]), "self_approval") {
		t.Fatalf("accepted her own level-4 proposal: %v", s)
	}
}

func jsonOf(v any) string { b, _ := json.Marshal(v); return string(b) }

// The go-sdk client against `steward mcp` (stdio, STEWARD_TOKEN).
func TestMCPOverStdio(t *testing.T) {
	data := t.TempDir()
	checkSurfaceAndGate(t, func(token string) *mcp.ClientSession { return stdioSession(t, data, token) })
	out, errOut, code := runCmd(t, "", "mcp", "--data", t.TempDir())
	if code != 1 || out != "" || !strings.Contains(errOut, "STEWARD_TOKEN is not set") {
		t.Fatalf("without a token: %d %q %q", code, out, errOut)
	}
}

type bearerRT struct{ token string }

func (b bearerRT) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(r)
}

// The go-sdk client against serve's /mcp (streamable HTTP, bearer token).
func TestMCPOverHTTP(t *testing.T) {
	g := start(t, t.TempDir())
	checkSurfaceAndGate(t, func(token string) *mcp.ClientSession {
		c := mcp.NewClient(&mcp.Implementation{Name: "agent", Version: "1"}, nil)
		tr := &mcp.StreamableClientTransport{Endpoint: g.base + "/mcp", HTTPClient: &http.Client{Transport: bearerRT{token}}, MaxRetries: -1}
		cs, err := c.Connect(context.Background(), tr, nil)
		if err != nil {
			t.Fatalf("connect as %s: %v\n%s", token, err, g.logs)
		}
		t.Cleanup(func() { _ = cs.Close() })
		return cs
	})
	req, _ := http.NewRequest(http.MethodPost, g.base+"/mcp", strings.NewReader(`{}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("no token: %d", resp.StatusCode)
	}
	g.stop()
}
