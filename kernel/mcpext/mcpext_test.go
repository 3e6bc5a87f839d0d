package mcpext_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/steward-os/steward/kernel/kerneltest"
	"github.com/steward-os/steward/kernel/manifest"
	"github.com/steward-os/steward/kernel/mcpext"
	"github.com/steward-os/steward/sdk/module"
	"github.com/steward-os/steward/session"
)

const testToken = "notes-s3cret-4f9a2c"

// host is the module host a program gives an MCP server: secrets from
// the environment or files, the instance's name, the kernel's registry.
type host struct {
	name string
	reg  mcpext.Registry
}

func (h *host) Logger() *slog.Logger      { return slog.New(slog.DiscardHandler) }
func (h *host) Instance() string          { return h.name }
func (h *host) Registry() mcpext.Registry { return h.reg }
func (h *host) Secret(what, env, file string) (string, error) {
	if env != "" {
		return os.Getenv(env), nil
	}
	b, err := os.ReadFile(file)
	return strings.TrimSpace(string(b)), err
}

// overlay is the notes server's overlay: every tool but "untyped".
const overlay = `
  version: 1.0.0
  description: Notes kept by an MCP server.
  scopes: [notes:read, notes:write]
  tools:
    read_note: {safety_level: 0, scopes: [notes:read], examples: [read the note x]}
    addNote: {safety_level: 0, scopes: [notes:write], examples: [add a note]}
    delete_note: {safety_level: 4, scopes: [notes:write], targets: [name], reversible: false, danger_phrase: name, backup: backup_notes, examples: [delete the note x]}
    backup_notes: {safety_level: 0, scopes: [notes:read], examples: [back up the notes]}
    whoami: {safety_level: 0, scopes: [notes:read], examples: [who are you]}
    inject: {safety_level: 0, scopes: [notes:read], examples: [show the announcements]}
    grow: {safety_level: 1, scopes: [notes:write], examples: [grow the server]}
`

// stdioBlock is the block of the notes server run by this test binary.
func stdioBlock(t *testing.T, extra string) string {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return "command: " + exe + `
env: {MCPEXT_SERVE: {value: stdio}, NOTES_TOKEN: {env: NOTES_TEST_TOKEN}}
tenants: [acme]
restart_min: 20ms
restart_max: 100ms
keepalive: 200ms
` + extra
}

// load decodes a block, provisions the server and loads it into the
// kernel, as the program does for extension_config.mcp.<name>.
func load(t *testing.T, env *kerneltest.Env, name, block string) (*mcpext.Server, []manifest.Issue, error) {
	t.Helper()
	t.Setenv("NOTES_TEST_TOKEN", testToken)
	t.Setenv("STEWARD_PRIVATE", "must-not-reach-the-server")
	var v any
	if err := yaml.Unmarshal([]byte(block), &v); err != nil {
		t.Fatal(err)
	}
	m, err := module.Load(context.Background(), mcpext.ModuleID, v, &host{name: name, reg: env.K})
	if err != nil {
		return nil, nil, err
	}
	s := m.(*mcpext.Server)
	t.Cleanup(func() { _ = s.Cleanup() })
	issues, err := env.K.Load(context.Background(), s.Extension())
	return s, issues, err
}

func newEnv(t *testing.T) *kerneltest.Env {
	return kerneltest.New(t, kerneltest.Options{Secrets: []string{testToken}})
}

func mustLoad(t *testing.T, env *kerneltest.Env) *mcpext.Server {
	t.Helper()
	s, issues, err := load(t, env, "notes", stdioBlock(t, "overlay:"+overlay))
	if err != nil {
		t.Fatalf("load: %v %v", err, issues)
	}
	return s
}

func tool(env *kerneltest.Env, id string) (lvl int, ok bool) {
	for _, s := range env.K.Catalog() {
		if string(s.ID) == id {
			return s.SafetyLevel, true
		}
	}
	return 0, false
}

func lastFact(t *testing.T, env *kerneltest.Env, a session.Actor) session.Fact {
	t.Helper()
	fs, err := env.Store.Recent(context.Background(), session.SessionFor(a), session.Cap{Count: 1})
	if err != nil || len(fs) == 0 {
		t.Fatalf("no fact: %v", err)
	}
	return fs[len(fs)-1]
}

// A real MCP server over stdio becomes an extension: its tools are the
// catalog at the levels its overlay and hints give, a read runs through
// the turn and its result is a verbatim fact, and the server got only the
// environment its block names.
func TestStdioServerLoadsAsExtension(t *testing.T) {
	env := newEnv(t)
	mustLoad(t, env)
	want := map[string]int{"notes.read_note": 0, "notes.add_note": 1, "notes.delete_note": 4, "notes.backup_notes": 0, "notes.untyped": 3, "notes.whoami": 0}
	for id, lvl := range want {
		if got, ok := tool(env, id); !ok || got != lvl {
			t.Errorf("%s: level %d (registered %v), want %d", id, got, ok, lvl)
		}
	}
	out := env.Say(t, kerneltest.Alice, `notes.read_note {"name":"shopping"}`)
	if !strings.Contains(kerneltest.TextOf(out), "buy milk") {
		t.Fatalf("reply: %s", kerneltest.Dump(out))
	}
	f := lastFact(t, env, kerneltest.Alice)
	var res struct {
		Content []struct {
			Type, Text string
		} `json:"content"`
		Structured map[string]any `json:"structuredContent"`
	}
	if err := json.Unmarshal(f.Output, &res); err != nil || res.Content[0].Text != "note shopping: buy milk" || res.Structured["text"] != "buy milk" {
		t.Fatalf("fact output %s: %v", f.Output, err)
	}
	out = env.Say(t, kerneltest.Alice, `notes.whoami {}`)
	f = lastFact(t, env, kerneltest.Alice)
	if !strings.Contains(string(f.Output), `"home_set":true`) || !strings.Contains(string(f.Output), `"leak":""`) {
		t.Fatalf("the server's environment: %s", f.Output)
	}
}

// Secrets passed to a server come from the environment and reach neither
// the audit nor what a model is shown.
func TestSecretsNeverReachAuditOrModel(t *testing.T) {
	env := newEnv(t)
	mustLoad(t, env)
	env.Say(t, kerneltest.Alice, `notes.whoami {}`)
	if f := lastFact(t, env, kerneltest.Alice); !strings.Contains(string(f.Output), testToken) {
		t.Fatalf("the server did not get its token: %s", f.Output)
	}
	for _, tn := range []session.TenantID{"acme", "_system"} {
		for _, r := range env.Audit(t, tn) {
			if strings.Contains(r.Data, testToken) {
				t.Fatalf("audit %s holds the secret: %s", r.Kind, r.Data)
			}
		}
	}
	facts, err := env.K.Surface().Facts(context.Background(), kerneltest.Alice, 10)
	if err != nil || len(facts) == 0 {
		t.Fatalf("facts: %v", err)
	}
	for _, f := range facts {
		if strings.Contains(string(f.Output), testToken) {
			t.Fatalf("a fact shown to a model holds the secret: %s", f.Output)
		}
	}
	env.Say(t, kerneltest.Alice, `notes.read_note {"name":"x"}`)
	for _, rt := range env.Script.Turns {
		for _, f := range rt.Facts {
			if strings.Contains(string(f.Output), testToken) {
				t.Fatalf("the router saw the secret: %s", f.Output)
			}
		}
	}
}

// A tool with neither an overlay nor annotations is the worst case: level
// 3, proposed with the impact "unknown external effect", run only once
// accepted.
func TestMissingOverlayIsWorstCase(t *testing.T) {
	env := newEnv(t)
	mustLoad(t, env)
	out := env.Say(t, kerneltest.Alice, `notes.untyped {}`)
	card := kerneltest.Card(t, out)
	if card.SafetyLevel != 3 || !strings.Contains(card.Impact.Summary, "Unknown external effect") || card.Impact.Reversible {
		t.Fatalf("card: %+v", card)
	}
	if n := countKind(env.Audit(t, "acme"), "dispatch"); n != 0 {
		t.Fatalf("%d dispatches before the decision", n)
	}
	out = env.Decide(t, kerneltest.Alice, card.ID, session.ActionAccept, "")
	if !strings.Contains(kerneltest.TextOf(out), "did something") {
		t.Fatalf("accepted: %s", kerneltest.Dump(out))
	}
}

func countKind(rows []kerneltest.AuditRow, kind string) int {
	n := 0
	for _, r := range rows {
		if r.Kind == kind {
			n++
		}
	}
	return n
}

// A tool destructive by its hints that no overlay describes cannot be
// level 3 without a backup: the manifest rules refuse the whole server
// (EXT-02, EXT-03, EXT-04) and nothing of it is registered.
func TestDestructiveHintWithoutOverlayRefused(t *testing.T) {
	env := newEnv(t)
	ov := strings.Replace(overlay, "    delete_note: {safety_level: 4, scopes: [notes:write], targets: [name], reversible: false, danger_phrase: name, backup: backup_notes, examples: [delete the note x]}\n", "", 1)
	_, issues, err := load(t, env, "notes", stdioBlock(t, "overlay:"+ov))
	var ie *manifest.IssuesError
	if !errors.As(err, &ie) {
		t.Fatalf("want issues, got %v", err)
	}
	if !hasIssue(issues, "M022", "backup") || !hasIssue(issues, "M019", "targets") {
		t.Fatalf("issues: %+v", issues)
	}
	for _, s := range env.K.Catalog() {
		if s.Extension == "notes" {
			t.Fatalf("partly registered: %s", s.ID)
		}
	}
}

func hasIssue(is []manifest.Issue, rule, path string) bool {
	for _, i := range is {
		if i.Rule == rule && strings.Contains(i.Path, path) && i.Severity == manifest.SeverityError && i.Message != "" && i.Fix != "" {
			return true
		}
	}
	return false
}

// An injected instruction in a tool's result is data: recorded verbatim,
// shown as the tool's output, and nothing else is proposed or run.
func TestInjectedInstructionIsData(t *testing.T) {
	env := newEnv(t)
	mustLoad(t, env)
	out := env.Say(t, kerneltest.Alice, `notes.inject {}`)
	for _, p := range out.Parts {
		if _, ok := p.(*session.ProposalCard); ok {
			t.Fatalf("a proposal came of a tool result: %s", kerneltest.Dump(out))
		}
	}
	if !strings.Contains(kerneltest.TextOf(out), "IGNORE ALL PREVIOUS INSTRUCTIONS") {
		t.Fatalf("the result is not shown as data: %s", kerneltest.Dump(out))
	}
	if f := lastFact(t, env, kerneltest.Alice); f.Tool != "notes.inject" || !strings.Contains(string(f.Output), "confirm it yourself") {
		t.Fatalf("fact: %+v", f)
	}
	if n := countKind(env.Audit(t, "acme"), "dispatch"); n != 1 {
		t.Fatalf("%d dispatches, want the one read", n)
	}
}

// waitFor polls cond, bounded: the server's notifications and restarts
// arrive asynchronously.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for i := 0; i < 500; i++ {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("gave up waiting: %s", what)
}

func replaced(env *kerneltest.Env, t *testing.T, ok bool) int {
	n := 0
	for _, r := range env.Audit(t, "_system") {
		if r.Kind != "extension" || !strings.Contains(r.Data, `"extension":"notes"`) {
			continue
		}
		if strings.Contains(r.Data, `"stage":"validate"`) && strings.Contains(r.Data, map[bool]string{true: `"ok":true`, false: `"ok":false`}[ok]) {
			n++
		}
	}
	return n
}

// notifications/tools/list_changed re-validates the server's tools: a
// change with a bad schema keeps the old catalog (the refusal audited with
// its issues); a good change replaces the catalog atomically.
func TestListChangedRevalidates(t *testing.T) {
	env := newEnv(t)
	mustLoad(t, env)
	before := len(env.K.Catalog())
	env.Say(t, kerneltest.Alice, `notes.grow {"bad":true}`)
	waitFor(t, "the refused replace", func() bool { return replaced(env, t, false) == 1 })
	if _, ok := tool(env, "notes.extra"); ok || len(env.K.Catalog()) != before {
		t.Fatal("a bad tool list replaced the catalog")
	}
	var refusal string
	for _, r := range env.Audit(t, "_system") {
		if strings.Contains(r.Data, `"ok":false`) {
			refusal = r.Data
		}
	}
	if !strings.Contains(refusal, "M026") || !strings.Contains(refusal, "tools[") {
		t.Fatalf("the refusal does not name the issue: %s", refusal)
	}
	if out := env.Say(t, kerneltest.Alice, `notes.read_note {"name":"a"}`); kerneltest.ErrCode(out) != "" {
		t.Fatalf("the old catalog stopped working: %s", kerneltest.Dump(out))
	}
	env.Say(t, kerneltest.Alice, `notes.grow {"bad":false}`)
	waitFor(t, "the new tool", func() bool { _, ok := tool(env, "notes.extra"); return ok })
	if lvl, _ := tool(env, "notes.extra"); lvl != 3 {
		t.Fatalf("an undescribed new tool is level %d, want the worst case 3", lvl)
	}
	waitFor(t, "the audited replace", func() bool { return replaced(env, t, true) == 2 }) // the load's and the replace's
	stages := 0
	for _, r := range env.Audit(t, "_system") {
		if strings.Contains(r.Data, `"stage":"replace"`) {
			stages++
		}
	}
	if stages != 2 {
		t.Fatalf("%d replace records, want 2", stages)
	}
}

// A server that dies is restarted with back-off; meanwhile its tools
// answer "unavailable" and nothing runs.
func TestServerCrashAndRestart(t *testing.T) {
	env := newEnv(t)
	mustLoad(t, env)
	env.Say(t, kerneltest.Alice, `notes.whoami {}`)
	var who struct {
		Structured struct {
			PID int `json:"pid"`
		} `json:"structuredContent"`
	}
	if err := json.Unmarshal(lastFact(t, env, kerneltest.Alice).Output, &who); err != nil || who.Structured.PID == 0 {
		t.Fatalf("pid: %v", err)
	}
	p, err := os.FindProcess(who.Structured.PID)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Kill(); err != nil {
		t.Fatal(err)
	}
	out := env.Say(t, kerneltest.Alice, `notes.read_note {"name":"a"}`)
	if code := kerneltest.ErrCode(out); code != session.CodeUnavailable {
		t.Fatalf("a call to a dead server: %s", kerneltest.Dump(out))
	}
	if !strings.Contains(kerneltest.Dump(out), "unavailable") {
		t.Fatalf("no clear error: %s", kerneltest.Dump(out))
	}
	waitFor(t, "the restart", func() bool {
		return kerneltest.ErrCode(env.Say(t, kerneltest.Alice, `notes.read_note {"name":"a"}`)) == ""
	})
	env.Say(t, kerneltest.Alice, `notes.whoami {}`)
	if err := json.Unmarshal(lastFact(t, env, kerneltest.Alice).Output, &who); err != nil || who.Structured.PID == p.Pid {
		t.Fatalf("not a new process: %d", who.Structured.PID)
	}
}

// A streamable HTTP server gets its headers from the environment; a
// wrong token is refused at connect, and the right one reaches the
// server but never the audit.
func TestHTTPServerWithHeaders(t *testing.T) {
	srv := httptest.NewServer(httpNotes(testToken))
	t.Cleanup(srv.Close) // after the connection closes
	env := newEnv(t)
	block := "url: " + srv.URL + `
headers: {Authorization: {env: NOTES_TEST_TOKEN, prefix: "Bearer "}}
overlay:` + overlay
	if _, issues, err := load(t, env, "notes", block); err != nil {
		t.Fatalf("load: %v %v", err, issues)
	}
	env.Say(t, kerneltest.Alice, `notes.whoami {}`)
	if f := lastFact(t, env, kerneltest.Alice); !strings.Contains(string(f.Output), "Bearer "+testToken) {
		t.Fatalf("the header did not reach the server: %s", f.Output)
	}
	for _, r := range env.Audit(t, "acme") {
		if strings.Contains(r.Data, testToken) {
			t.Fatalf("audit %s holds the secret", r.Kind)
		}
	}
	env2 := newEnv(t)
	t.Setenv("WRONG_TOKEN", "nope")
	bad := strings.Replace(block, "env: NOTES_TEST_TOKEN", "env: WRONG_TOKEN", 1)
	var v any
	_ = yaml.Unmarshal([]byte(bad), &v)
	if _, err := module.Load(context.Background(), mcpext.ModuleID, v, &host{name: "notes", reg: env2.K}); err == nil {
		t.Fatal("a refused token loaded")
	}
}

// EXT-01…EXT-07 hold for an MCP-backed extension as for a Go one.
func TestConformanceRowsForMCPExtensions(t *testing.T) {
	env := newEnv(t)
	mustLoad(t, env)
	// EXT-01: the effective manifest declares identity, version, protocol
	// and conformance level, scopes, and each tool's level, parameters and
	// return shape.
	var m *manifest.Manifest
	for _, x := range env.K.Manifests() {
		if x.ID == "notes" {
			m = &x
		}
	}
	if m == nil || m.Version != "1.0.0" || m.ProtocolVersion != "1" || m.ConformanceLevel != 1 || len(m.Scopes) != 2 {
		t.Fatalf("EXT-01 manifest: %+v", m)
	}
	for _, tl := range m.Tools {
		if tl.SafetyLevel == nil || len(tl.Parameters) == 0 || len(tl.Scopes) == 0 {
			t.Fatalf("EXT-01 tool %s: %+v", tl.Name, tl)
		}
	}
	// EXT-02…EXT-04 and EXT-06: validated categorically, a structured
	// refusal, nothing registered; a higher conformance level is refused.
	for _, c := range []struct{ name, overlay, rule string }{
		{"level", strings.Replace(overlay, "version: 1.0.0", "version: 1.0.0\n  conformance_level: 3", 1), "K001"},
		{"scope", strings.Replace(overlay, "read_note: {safety_level: 0, scopes: [notes:read]", "read_note: {safety_level: 0, scopes: []", 1), "M016"},
		{"undeclared", strings.Replace(overlay, "scopes: [notes:read, notes:write]", "scopes: [notes:write]", 1), "M017"},
		{"version", strings.Replace(overlay, "version: 1.0.0", "version: one", 1), "M002"},
	} {
		e := newEnv(t)
		_, issues, err := load(t, e, "notes", stdioBlock(t, "overlay:"+c.overlay))
		var ie *manifest.IssuesError
		if !errors.As(err, &ie) || !hasRule(issues, c.rule) {
			t.Errorf("%s: want %s, got %v %+v", c.name, c.rule, err, issues)
		}
		for _, s := range e.K.Catalog() {
			if s.Extension == "notes" {
				t.Errorf("%s: EXT-04 partly registered %s", c.name, s.ID)
			}
		}
	}
	// EXT-07: scopes fail closed and the tenant boundary holds: a viewer
	// cannot write, another tenant cannot reach the server at all.
	if out := env.Say(t, kerneltest.Carol, `notes.add_note {"name":"x"}`); kerneltest.ErrCode(out) != session.CodeSafetyCeiling && kerneltest.ErrCode(out) != session.CodeForbidden {
		t.Fatalf("EXT-07 viewer wrote: %s", kerneltest.Dump(out))
	}
	if out := env.Say(t, kerneltest.Dave, `notes.read_note {"name":"x"}`); kerneltest.ErrCode(out) != session.CodeUnknownTool {
		t.Fatalf("EXT-07 another tenant reached the server: %s", kerneltest.Dump(out))
	}
	for _, rt := range env.Script.Turns {
		if rt.Actor.Tenant == "globex" {
			for _, s := range rt.Catalog {
				if s.Extension == "notes" {
					t.Fatal("EXT-07 another tenant's router saw the server's tools")
				}
			}
		}
	}
	// EXT-05: load, validate, register, dispatch and unload are audited.
	env.Say(t, kerneltest.Alice, `notes.read_note {"name":"x"}`)
	if err := env.K.Unload(context.Background(), "notes"); err != nil {
		t.Fatal(err)
	}
	var stages []string
	for _, r := range env.Audit(t, "_system") {
		var d struct{ Stage, Extension string }
		if json.Unmarshal([]byte(r.Data), &d) == nil && d.Extension == "notes" {
			stages = append(stages, d.Stage)
		}
	}
	if strings.Join(stages, ",") != "load,validate,register,unload" || countKind(env.Audit(t, "acme"), "dispatch") == 0 {
		t.Fatalf("EXT-05 stages %v", stages)
	}
}

func hasRule(is []manifest.Issue, rule string) bool {
	for _, i := range is {
		if i.Rule == rule {
			return true
		}
	}
	return false
}

// The block is checked without I/O.
func TestBlockValidation(t *testing.T) {
	for _, c := range []struct{ block, want string }{
		{`{}`, "give command"},
		{`{command: x, url: "http://a"}`, "not both"},
		{`{url: "ftp://a"}`, "http or https"},
		{`{url: "http://a", env: {A: {value: b}}}`, "env and args are for a command"},
		{`{command: x, headers: {A: {value: b}}}`, "headers are for an HTTP server"},
		{`{command: x, env: {"1A": {value: b}}}`, "not a variable name"},
		{`{command: x, env: {A: {value: b, env: C}}}`, "exactly one"},
		{`{command: x, keepalive: 2h}`, "keepalive"},
		{`{command: x, overlay: {}, overlay_file: f}`, "not both"},
		{`{command: x, unknown: 1}`, "unknown"},
		{`{command: x, overlay: {tools: {a: {safety_level: 0, parameters: {type: object}}}}}`, "come from the server"},
	} {
		var v any
		_ = yaml.Unmarshal([]byte(c.block), &v)
		if _, err := module.Decode(mcpext.ModuleID, v); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.block, err, c.want)
		}
	}
}
