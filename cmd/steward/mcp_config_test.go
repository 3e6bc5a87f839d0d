package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// peerConfig writes a configuration that loads another gateway's
// `steward mcp` (carol's surface on its own data directory) as the MCP
// server "peer" for acme only, with the overlay given.
func peerConfig(t *testing.T, overlay string) string {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "steward.yaml")
	body := `extensions: [hosting, tasks, messaging, mcp]
extension_config:
  mcp:
    peer:
      command: ` + binary + `
      args: [mcp, --data, ` + filepath.Join(dir, "peer") + `]
      env:
        STEWARD_TOKEN: {env: PEER_TOKEN}
      tenants: [acme]
      overlay:
` + overlay
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg
}

const peerTools = `        description: Another gateway's servers.
        scopes: [peer:read, peer:write]
        tools:
          hosting.list_servers:
            safety_level: 0
            scopes: [peer:read]
            examples: [list the peer gateway's servers]
`

// peerOverlay also describes the peer's steward.decide, which its
// annotations call destructive: a level-3 tool needs targets and a
// backup.
const peerOverlay = peerTools + `          steward.decide:
            safety_level: 3
            scopes: [peer:write]
            targets: [proposal_id]
            reversible: false
            backup: hosting.list_servers
            examples: [decide on the peer's proposal]
`

// An MCP server declared in the configuration file is started by the
// real binary, its tools/list becomes a validated extension (overlay
// levels; tools without an entry are the opaque worst case), its secret
// comes from the environment and never shows, and a bad overlay stops
// start-up with the manifest rule that refused it (EXT-02, EXT-04).
func TestMCPServerFromConfig(t *testing.T) {
	const secret = "demo-carol"
	cfg := peerConfig(t, peerOverlay)
	env := append(cleanEnv(), "PEER_TOKEN="+secret)
	out, errOut := runEnv(t, env, "tools", "--config", cfg, "--data", t.TempDir(), "peer")
	var m struct {
		ID    string `json:"id"`
		Tools []struct {
			Name   string `json:"name"`
			Level  int    `json:"safety_level"`
			Opaque bool   `json:"opaque"`
		} `json:"tools"`
	}
	if err := json.Unmarshal([]byte(out), &m); err != nil || m.ID != "peer" || len(m.Tools) < 2 {
		t.Fatalf("tools peer: %v\n%s\n%s", err, out, errOut)
	}
	for _, tl := range m.Tools {
		switch {
		case tl.Name == "hosting_list_servers":
			if tl.Level != 0 || tl.Opaque {
				t.Errorf("the overlaid tool: %+v", tl)
			}
		case tl.Name == "steward_decide":
			if tl.Level != 3 || tl.Opaque {
				t.Errorf("the overlaid tool: %+v", tl)
			}
		case tl.Level != 3 || !tl.Opaque:
			t.Errorf("a tool without an overlay entry must be the opaque worst case: %+v", tl)
		}
		if strings.Contains(tl.Name, "restart") || strings.Contains(tl.Name, "delete") {
			t.Errorf("carol's surface holds a write: %s", tl.Name)
		}
	}
	if strings.Contains(out+errOut, secret) {
		t.Error("the server's secret was printed")
	}

	g := startCmd(t, t.TempDir(), []string{"PEER_TOKEN=" + secret}, []string{"--config", cfg})
	reply := g.say("demo-alice", "list the peer gateway's servers")
	if b, _ := json.Marshal(reply); !strings.Contains(string(b), "peer.hosting_list_servers") || !strings.Contains(string(b), "web-1") {
		t.Errorf("alice's turn through the peer: %s", b)
	}
	reply = g.say("demo-dave", "list the peer gateway's servers")
	if b, _ := json.Marshal(reply); strings.Contains(string(b), "peer.") {
		t.Errorf("globex reached acme's MCP server: %s", b)
	}
	g.stop()
	if strings.Contains(g.logs.String(), secret) {
		t.Error("the server's secret was logged")
	}

	bad := peerConfig(t, peerTools) // steward.decide not described
	cmd := []string{"serve", "--addr", "127.0.0.1:0", "--config", bad, "--data", t.TempDir()}
	_, errOut, code := runEnvCode(t, env, cmd...)
	if code == 0 || !strings.Contains(errOut, "peer") || !strings.Contains(errOut, "M022") {
		t.Fatalf("serve with a bad overlay: exit %d\n%s", code, errOut)
	}
	if strings.Contains(errOut, secret) {
		t.Error("the server's secret was printed")
	}
}

// runEnvCode runs the binary with the environment given.
func runEnvCode(t *testing.T, env []string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return out.String(), errb.String(), ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return out.String(), errb.String(), 0
}

// runEnv runs the binary and fails the test unless it succeeds.
func runEnv(t *testing.T, env []string, args ...string) (string, string) {
	t.Helper()
	out, errOut, code := runEnvCode(t, env, args...)
	if code != 0 {
		t.Fatalf("%v: exit %d\n%s", args, code, errOut)
	}
	return out, errOut
}
