package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	_ "modernc.org/sqlite"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "steward-e2e")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "steward")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build steward: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// gateway is a running `steward serve` process.
type proc struct {
	t      *testing.T
	cmd    *exec.Cmd
	base   string
	data   string
	logs   *bytes.Buffer
	done   chan error
	exited chan struct{}
}

// reAddr finds the listening address in serve's log, text or JSON.
var reAddr = regexp.MustCompile(`(?:\baddr=|"addr":")(127\.0\.0\.1:\d+)`)

func start(t *testing.T, data string, env ...string) *proc {
	t.Helper()
	return startCmd(t, data, env, nil)
}

// startArgs starts serve with extra arguments.
func startArgs(t *testing.T, data string, args ...string) *proc {
	t.Helper()
	return startCmd(t, data, nil, args)
}

func startCmd(t *testing.T, data string, env, args []string) *proc {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"serve", "--addr", "127.0.0.1:0", "--data", data}, args...)...)
	cmd.Env = append(cleanEnv(), env...)
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	g := &proc{t: t, cmd: cmd, data: data, logs: &bytes.Buffer{}, done: make(chan error, 1), exited: make(chan struct{})}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			g.logs.WriteString(line + "\n")
			if m := reAddr.FindStringSubmatch(line); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
		err := cmd.Wait()
		close(g.exited)
		g.done <- err
	}()
	select {
	case a := <-addr:
		g.base = "http://" + a
	case err := <-g.done:
		t.Fatalf("serve exited: %v\n%s", err, g.logs)
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("serve did not start\n%s", g.logs)
	}
	t.Cleanup(func() {
		select {
		case <-g.exited:
		default:
			_ = g.cmd.Process.Kill()
			<-g.exited
		}
	})
	return g
}

func cleanEnv() []string {
	// Every gateway a test starts takes a free metrics port: tests run
	// side by side, and a taken port is a warning they may look for. Logs
	// are text, as on a terminal, where tests read them line by line.
	out := []string{"STEWARD_METRICS_ADDR=127.0.0.1:0", "STEWARD_LOG_FORMAT=text"}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "STEWARD_") {
			out = append(out, kv)
		}
	}
	return out
}

func (g *proc) post(token, path string, body any) (int, map[string]any) {
	g.t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", g.base+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		g.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		g.t.Fatalf("non-JSON reply %q", raw)
	}
	return resp.StatusCode, m
}

func (g *proc) say(token, text string) map[string]any {
	g.t.Helper()
	_, m := g.post(token, "/v1/messages", map[string]string{"text": text})
	return m
}

func firstReply(m map[string]any) map[string]any {
	rs, _ := m["replies"].([]any)
	if len(rs) == 0 {
		return map[string]any{}
	}
	r, _ := rs[len(rs)-1].(map[string]any)
	return r
}

func (g *proc) stop() {
	g.t.Helper()
	_ = g.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-g.done:
		if err != nil {
			g.t.Fatalf("serve exited with %v after SIGTERM\n%s", err, g.logs)
		}
	case <-time.After(30 * time.Second):
		g.t.Fatalf("serve did not stop on SIGTERM\n%s", g.logs)
	}
}

func runCmd(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = cleanEnv()
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

// The "done means": restart web-1 is proposed, accepted, visible in
// get_server and in the audit, and the audit verifies; the gateway stops
// cleanly on SIGTERM and keeps its state across restarts.
func TestServeRestartFlow(t *testing.T) {
	data := t.TempDir()
	g := start(t, data)
	card := firstReply(g.say("demo-alice", "restart web-1"))
	if card["type"] != "proposal" || card["tool"] != "hosting.restart_server" {
		t.Fatalf("want a proposal, got %v", card)
	}
	id := card["proposal_id"].(string)
	status, res := g.post("demo-alice", "/v1/proposals/"+id, map[string]string{"decision": "accept"})
	if status != 200 || firstReply(res)["type"] != "text" {
		t.Fatalf("accept: %d %v", status, res)
	}
	status, again := g.post("demo-alice", "/v1/proposals/"+id, map[string]string{"decision": "accept"})
	if status != 409 || firstReply(again)["code"] != "already_executed" {
		t.Fatalf("second accept: %d %v", status, again)
	}
	if _, m := g.post("demo-alice", "/v1/classify", map[string]string{"text": "show web-1"}); m["intent"] != "read" {
		t.Fatalf("classify: %v", m)
	}
	// A pending proposal survives a restart and can be accepted afterwards.
	pending := firstReply(g.say("demo-alice", "resize web-2 to xl"))
	if pending["type"] != "proposal" {
		t.Fatalf("resize: %v", pending)
	}
	g.stop()
	g = start(t, data)
	if _, m := g.post("demo-alice", "/v1/proposals/"+pending["proposal_id"].(string), map[string]string{"decision": "accept"}); firstReply(m)["type"] != "text" {
		t.Fatalf("accept after restart: %v", m)
	}
	g.stop()
	// The restart is in the audit and the audit verifies.
	db, err := sql.Open("sqlite", "file:"+filepath.Join(data, "steward.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	var n int
	_ = db.QueryRow(`SELECT count(*) FROM audit WHERE kind = 'result' AND data LIKE '%hosting.restart_server%' AND data LIKE '%"restarts":1%'`).Scan(&n)
	db.Close()
	if n != 1 {
		t.Fatalf("audit holds %d restart results", n)
	}
	out, errOut, code := runCmd(t, "", "audit", "verify", "--data", data)
	if code != 0 || !strings.Contains(out, "ok      acme") {
		t.Fatalf("audit verify: %d %s %s", code, out, errOut)
	}
	// Persistence: get_server after two restarts shows both changes.
	g = start(t, data)
	text := firstReply(g.say("demo-alice", "show me web-2"))["text"]
	if s, _ := text.(string); !strings.Contains(s, "size xl") {
		t.Fatalf("web-2 after restart: %v", text)
	}
}

// OBS-06: `steward audit verify` names the first broken record.
func TestAuditVerifyDetectsTampering(t *testing.T) {
	data := t.TempDir()
	g := start(t, data)
	g.say("demo-alice", "list my servers")
	g.stop()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(data, "steward.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE audit SET actor = 'mallory' WHERE tenant = 'acme' AND seq = 2`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	out, _, code := runCmd(t, "", "audit", "verify", "--data", data)
	if code != 1 || !strings.Contains(out, "BROKEN  acme") || !strings.Contains(out, "record 2") {
		t.Fatalf("verify after tampering: exit %d\n%s", code, out)
	}
}

// Isolation through the real API: dave cannot see or touch acme; carol can
// read but not write; bob cannot run level-4 tools.
func TestIsolationOverHTTP(t *testing.T) {
	g := start(t, t.TempDir())
	for _, text := range []string{"restart web-1", "show me web-1", "delete staging-1", "drop the orders database", "list dns records for acme.test", "send a message to alice saying hi", "what are bob's tasks"} {
		m := g.say("demo-dave", text)
		raw, _ := json.Marshal(m)
		for _, leak := range []string{"shop.acme.test", "eu-west", `"web-1"`, "orders", "proposal_id"} {
			if strings.Contains(string(raw), leak) {
				t.Errorf("dave %q → %s (leaks %s)", text, raw, leak)
			}
		}
	}
	if r := firstReply(g.say("demo-carol", "list my servers")); r["type"] != "text" {
		t.Errorf("carol read: %v", r)
	}
	for _, text := range []string{"restart web-1", "snapshot web-2", "add a todo to water the plants"} {
		if r := firstReply(g.say("demo-carol", text)); r["code"] != "forbidden" {
			t.Errorf("carol %q → %v", text, r)
		}
	}
	if r := firstReply(g.say("demo-bob", "delete staging-1")); r["code"] != "safety_ceiling" {
		t.Errorf("bob delete → %v", r)
	}
}

func TestServeRefusesDemoTokensOffLoopback(t *testing.T) {
	_, errOut, code := runCmd(t, "", "serve", "--addr", "0.0.0.0:0", "--data", t.TempDir())
	if code == 0 || !strings.Contains(errOut, "demo tokens") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
}

func TestConfigErrors(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(cfg, []byte("server:\n  adr: 127.0.0.1:1\n"), 0o600)
	_, errOut, code := runCmd(t, "", "serve", "--config", cfg)
	if code == 0 || !strings.Contains(errOut, "server.adr: unknown key") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	_, errOut, code = runCmd(t, "", "serve", "--set", "safety.cooling_period=5s", "--data", t.TempDir())
	if code == 0 || !strings.Contains(errOut, "cooling") {
		t.Fatalf("cooling 5s: exit %d: %s", code, errOut)
	}
}

func TestValidateCommand(t *testing.T) {
	out, _, code := runCmd(t, "", "validate", "../../extensions/hosting/manifest.yaml")
	if code != 0 || !strings.Contains(out, `"valid": true`) {
		t.Fatalf("valid manifest: %d %s", code, out)
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("id: x\ntools:\n  - name: nuke\n"), 0o600)
	out, _, code = runCmd(t, "", "validate", bad)
	if code != 1 || !strings.Contains(out, `"rule": "M014"`) {
		t.Fatalf("invalid manifest: %d %s", code, out)
	}
}

func TestClassifyCommand(t *testing.T) {
	data := t.TempDir()
	out, errOut, code := runCmd(t, "", "classify", "--data", data, "--as", "alice", "restart", "web-1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var c struct {
		Intent string `json:"intent"`
		Steps  []struct {
			Tool string          `json:"tool"`
			Args json.RawMessage `json:"args"`
		} `json:"steps"`
	}
	if err := json.Unmarshal([]byte(out), &c); err != nil || c.Intent != "write" || len(c.Steps) != 1 || c.Steps[0].Tool != "hosting.restart_server" {
		t.Fatalf("classify: %s (%v)", out, err)
	}
	out, _, code = runCmd(t, "list my servers\nwhat's the weather in Paris\n", "classify", "--data", data, "--as", "acme/bob")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 2 || !strings.Contains(lines[0], `"intent":"read"`) || !strings.Contains(lines[1], `"intent":"none"`) {
		t.Fatalf("classify stdin: %d\n%s", code, out)
	}
}

func TestChatCommand(t *testing.T) {
	data := t.TempDir()
	out, errOut, code := runCmd(t, "restart web-2\nyes\nyes\ndelete staging-1\nyes\n/quit\n", "chat", "--data", data, "--as", "alice")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	// delete staging-1 is level 4: the demo's acme gives it to another
	// admin, erin (docs/approvals.md).
	for _, want := range []string{"Needs your confirmation", "web-2 restarted", "nothing waiting", "irreversible", "Waiting for erin's approval"} {
		if !strings.Contains(out, want) {
			t.Errorf("chat output lacks %q:\n%s", want, out)
		}
	}
	_ = context.Background
}

// ISO-05: a real token never appears in logs, audit or ledger, even when a
// user pastes it into a message.
func TestSecretsNeverWritten(t *testing.T) {
	const secret = "tok-3f9a8b7c6d5e4f3a2b1c"
	dir := t.TempDir()
	base, err := os.ReadFile("../../configs/steward.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.Replace(string(base), "demo_tokens: true", "demo_tokens: false", 1)
	cfg = strings.Replace(cfg, "alice: {roles: [admin]}", "alice: {roles: [admin], token_env: TEST_ALICE_TOKEN}", 1)
	path := filepath.Join(dir, "steward.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	cmd := exec.Command(binary, "serve", "--config", path, "--addr", "127.0.0.1:0", "--data", data, "--set", "log.level=debug")
	cmd.Env = append(cleanEnv(), "TEST_ALICE_TOKEN="+secret)
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	g := &proc{t: t, cmd: cmd, data: data, logs: &bytes.Buffer{}, done: make(chan error, 1)}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			g.logs.WriteString(sc.Text() + "\n")
			if m := reAddr.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
		g.done <- cmd.Wait()
	}()
	select {
	case a := <-addr:
		g.base = "http://" + a
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("no start\n%s", g.logs)
	}
	if status, _ := g.post("demo-alice", "/v1/messages", map[string]string{"text": "hi"}); status != 401 {
		t.Fatalf("demo token accepted with demo_tokens=false: %d", status)
	}
	g.say(secret, "create a task to rotate "+secret)
	g.say(secret, "list my servers")
	g.stop()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(data, "steward.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var audit, facts string
	_ = db.QueryRow(`SELECT coalesce(group_concat(data, ' '), '') FROM audit`).Scan(&audit)
	_ = db.QueryRow(`SELECT coalesce(group_concat(args || coalesce(output, ''), ' '), '') FROM facts`).Scan(&facts)
	if !strings.Contains(audit, "list") {
		t.Fatalf("audit is empty: the turns did not run")
	}
	for name, text := range map[string]string{"logs": g.logs.String(), "audit": audit, "facts": facts} {
		if strings.Contains(text, secret) {
			t.Errorf("the token appears in %s", name)
		}
	}
}

// EXT-01: the effective manifest declares parameters and return shapes.
func TestToolsCommand(t *testing.T) {
	out, errOut, code := runCmd(t, "", "tools", "messaging")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var m struct {
		ID    string `json:"id"`
		Tools []struct {
			Name       string          `json:"name"`
			Parameters json.RawMessage `json:"parameters"`
			Returns    json.RawMessage `json:"returns"`
		} `json:"tools"`
	}
	if err := json.Unmarshal([]byte(out), &m); err != nil || m.ID != "messaging" || len(m.Tools) != 3 {
		t.Fatalf("%v: %s", err, out)
	}
	var p, r struct {
		Type     string   `json:"type"`
		Required []string `json:"required"`
	}
	_ = json.Unmarshal(m.Tools[0].Parameters, &p)
	_ = json.Unmarshal(m.Tools[0].Returns, &r)
	if p.Type != "object" || strings.Join(p.Required, ",") != "to,body" {
		t.Errorf("parameters %s", m.Tools[0].Parameters)
	}
	if r.Type != "object" {
		t.Errorf("returns %s", m.Tools[0].Returns)
	}
}

// Two gateways never share one data directory.
func TestServeLocksDataDir(t *testing.T) {
	data := t.TempDir()
	g := start(t, data)
	_, errOut, code := runCmd(t, "", "serve", "--addr", "127.0.0.1:0", "--data", data)
	if code == 0 || !strings.Contains(errOut, "another steward serve") {
		t.Fatalf("second serve: exit %d: %s", code, errOut)
	}
	g.stop()
}

func (g *proc) get(token, path string) (int, map[string]any) {
	g.t.Helper()
	req, _ := http.NewRequest("GET", g.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		g.t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

// LRO-01…03 over HTTP: a long health check becomes a task, is listed,
// delivers its result as an event (long poll), and can be cancelled by its
// actor only.
func TestTasksOverHTTP(t *testing.T) {
	dir := t.TempDir()
	g := startArgs(t, filepath.Join(dir, "data"), "--set", "tasks.inline_budget=1s", "--set", "world="+crashWorld(t, dir))
	first := g.say("demo-alice", "run a health check on web-2")
	var task string
	for _, r := range first["replies"].([]any) {
		if rep := r.(map[string]any); rep["type"] == "progress" {
			task = rep["task_id"].(string)
		}
	}
	if task == "" {
		t.Fatalf("not promoted: %v", first)
	}
	if _, m := g.get("demo-alice", "/v1/tasks"); !strings.Contains(fmt.Sprint(m), task) {
		t.Fatalf("task list %v", m)
	}
	if st, _ := g.get("demo-bob", "/v1/tasks"); st != 200 {
		t.Fatal("bob's task list")
	}
	if st, m := g.post("demo-bob", "/v1/tasks/"+task+"/cancel", map[string]string{}); st != 404 {
		t.Fatalf("bob cancelled alice's task: %d %v", st, m)
	}
	var after float64
	deadline := time.Now().Add(20 * time.Second)
	found := false
	for !found && time.Now().Before(deadline) {
		_, m := g.get("demo-alice", fmt.Sprintf("/v1/sessions/me/events?after=%d&wait=5s", int64(after)))
		for _, e := range m["events"].([]any) {
			ev := e.(map[string]any)
			after = ev["id"].(float64)
			if strings.Contains(fmt.Sprint(ev["outbound"]), "finished") {
				found = true
			}
		}
	}
	if !found {
		t.Fatal("no finished event")
	}
	// Cancel a second one.
	second := g.say("demo-alice", "run a health check on db-1")
	raw, _ := json.Marshal(second)
	id := regexp.MustCompile(`task_[a-z2-7]{16}`).FindString(string(raw))
	if st, m := g.post("demo-alice", "/v1/tasks/"+id+"/cancel", map[string]string{}); st != 200 || !strings.Contains(fmt.Sprint(m), "cancelled") {
		t.Fatalf("cancel: %d %v", st, m)
	}
	g.stop()
}

// The chains issue's "done means", through the real router and API: bob's
// pending tasks go to his manager only after he confirms, with a body that
// is exactly the ledger's list; later turns are answered from the ledger.
func TestChainOverHTTP(t *testing.T) {
	data := t.TempDir()
	g := start(t, data)
	if _, c := g.post("demo-bob", "/v1/classify", map[string]string{"text": "find my pending tasks and send them to my manager"}); c["intent"] != "chain" || len(c["steps"].([]any)) != 2 {
		t.Fatalf("classify: %v", c)
	}
	out := g.say("demo-bob", "find my pending tasks and send them to my manager")
	card := firstReply(out)
	if card["type"] != "proposal" || card["tool"] != "messaging.send_message" || card["step"] != "s2" {
		t.Fatalf("want the message proposed: %v", out)
	}
	args := card["args"].(map[string]any)
	if args["to"] != "alice" || !strings.Contains(args["body"].(string), "T-3") {
		t.Fatalf("args %v", args)
	}
	first := out["replies"].([]any)[0].(map[string]any)
	if !strings.Contains(first["text"].(string), "[s1]") || !strings.Contains(first["text"].(string), "T-3") {
		t.Fatalf("step 1 narration %v", first)
	}
	// Reject: nothing delivered.
	g.post("demo-bob", "/v1/proposals/"+card["proposal_id"].(string), map[string]string{"decision": "reject"})
	// Again, and accept.
	card2 := firstReply(g.say("demo-bob", "find my pending tasks and send them to my manager"))
	_, res := g.post("demo-bob", "/v1/proposals/"+card2["proposal_id"].(string), map[string]string{"decision": "accept"})
	if !strings.Contains(fmt.Sprint(res), "2 of 2 steps done") {
		t.Fatalf("accept: %v", res)
	}
	g.stop()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(data, "steward.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	var bodies []string
	rows, _ := db.Query(`SELECT body FROM notes WHERE tenant = 'acme' AND recipient = 'alice'`)
	for rows.Next() {
		var b string
		_ = rows.Scan(&b)
		bodies = append(bodies, b)
	}
	rows.Close()
	db.Close()
	if len(bodies) != 1 || bodies[0] != card2["args"].(map[string]any)["body"] {
		t.Fatalf("alice received %q", bodies)
	}
	// Later turns refer to earlier results.
	g = start(t, data)
	g.say("demo-alice", "list my servers")
	ans := firstReply(g.say("demo-alice", "how many of those are in eu-west?"))
	if !strings.HasPrefix(fmt.Sprint(ans["text"]), "2 of the 4 servers") {
		t.Fatalf("answer %v", ans)
	}
	p := firstReply(g.say("demo-alice", "restart the first one"))
	if p["type"] != "proposal" || p["args"].(map[string]any)["server"] != "web-1" {
		t.Fatalf("restart the first one: %v", p)
	}
	g.stop()
}

// Graceful shutdown: an open event stream does not hold SIGTERM up.
func TestShutdownWithOpenStream(t *testing.T) {
	g := start(t, t.TempDir())
	req, _ := http.NewRequest("GET", g.base+"/v1/sessions/me/events", nil)
	req.Header.Set("Authorization", "Bearer demo-alice")
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("content type %q", resp.Header.Get("Content-Type"))
	}
	began := time.Now()
	g.stop() // fails the test unless it exits 0
	if d := time.Since(began); d > 10*time.Second {
		t.Fatalf("shutdown took %s with a stream open", d)
	}
}

// CHAN-05, the continuity scenario: bob starts on the API, accepts on the
// web page, and sees the result on both.
func TestContinuityAPIToWeb(t *testing.T) {
	g := start(t, t.TempDir())
	out := g.say("demo-bob", "find my pending tasks and send them to my manager")
	card := firstReply(out)
	if card["type"] != "proposal" {
		t.Fatalf("want a proposal: %v", out)
	}
	ws, _, err := websocket.DefaultDialer.Dial(strings.Replace(g.base, "http://", "ws://", 1)+"/ws", http.Header{"Origin": {g.base}})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	send := func(v any) {
		if err := ws.WriteJSON(v); err != nil {
			t.Fatal(err)
		}
	}
	read := func(want string) map[string]any {
		_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		for {
			var m map[string]any
			if err := ws.ReadJSON(&m); err != nil {
				t.Fatalf("waiting for %s: %v", want, err)
			}
			if m["type"] == want {
				return m
			}
		}
	}
	send(map[string]string{"type": "auth", "token": "demo-bob"})
	read("ready")
	send(map[string]string{"type": "decision", "id": "d-1", "proposal_id": card["proposal_id"].(string), "decision": "accept"})
	turn := read("turn")
	if !strings.Contains(fmt.Sprint(turn["replies"]), "2 of 2 steps done") {
		t.Fatalf("web turn %v", turn)
	}
	// The API sees the same outcome as an event addressed to it.
	_, m := g.get("demo-bob", "/v1/sessions/me/events?after=0&wait=5s")
	if s := fmt.Sprint(m["events"]); !strings.Contains(s, "2 of 2 steps done") || !strings.Contains(s, "channel:api") {
		t.Fatalf("API events %v", m)
	}
	g.stop()
}
