package kernel_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/steward-os/steward/kernel/audit"
	kt "github.com/steward-os/steward/kernel/kerneltest"
	"github.com/steward-os/steward/kernel/route"
	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store/sqlite"
)

// ROUTE-01 ROUTE-02: domains are chosen first; only their tools reach the planner.
func TestROUTE01_02_SurfaceIsTheRoutedSubset(t *testing.T) {
	e := kt.New(t, kt.Options{})
	e.Say(t, kt.Alice, `tasks.list_tasks {}`)
	if len(e.Script.Surfaces) != 1 {
		t.Fatalf("planner called %d times", len(e.Script.Surfaces))
	}
	for _, s := range e.Script.Surfaces[0] {
		if s.Extension != "tasks" {
			t.Fatalf("planner saw %s outside the routed domain", s.ID)
		}
	}
	rows := e.Audit(t, "acme")
	ks := kinds(rows, rows[len(rows)-1].Turn)
	ci, pi := indexOf(ks, "classified"), indexOf(ks, "planned")
	if ci < 0 || pi < 0 || ci > pi {
		t.Fatalf("classification must precede planning: %v", ks)
	}
}

func indexOf(xs []string, s string) int {
	for i, x := range xs {
		if x == s {
			return i
		}
	}
	return -1
}

// ROUTE-03: a tool outside the routed subset is unreachable.
func TestROUTE03_OutsideSurfaceUnreachable(t *testing.T) {
	e := kt.New(t, kt.Options{})
	out := e.Say(t, kt.Alice, `route:tasks hosting.delete_server {"server":"staging-1"}`)
	if kt.ErrCode(out) != session.CodeUnknownTool {
		t.Fatalf("got %s", kt.Dump(out))
	}
	if count(e.Audit(t, "acme"), "proposed", "") != 0 || count(e.Audit(t, "acme"), "dispatch", "") != 0 {
		t.Fatal("something ran")
	}
}

// ROUTE-04: invalid arguments get a bounded, structured retry.
func TestROUTE04_SchemaValidationAndRetry(t *testing.T) {
	cases := []struct {
		name  string
		req   string
		fixAt int // attempt at which the planner corrects itself; 0 = never
		code  string
		plans int
	}{
		{"enum violated, corrected on retry", `hosting.resize_server {"server":"web-1","size":"huge"}`, 2, "", 2},
		{"missing required, never corrected", `hosting.resize_server {"server":"web-1"}`, 0, session.CodeInvalidArguments, 3},
		{"wrong type", `hosting.list_certificates {"expiring_within_days":"soon"}`, 0, session.CodeInvalidArguments, 3},
		{"extra field", `hosting.get_server {"server":"web-1","force":true}`, 0, session.CodeInvalidArguments, 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := kt.New(t, kt.Options{})
			var feedback []string
			e.Script.Override = func(attempt int, s route.Step) route.Step {
				if c.fixAt > 0 && attempt >= c.fixAt {
					s.Args = json.RawMessage(`{"server":"web-1","size":"xl"}`)
				}
				return s
			}
			out := e.Say(t, kt.Alice, c.req)
			if got := kt.ErrCode(out); got != c.code {
				t.Fatalf("code %q, want %q: %s", got, c.code, kt.Dump(out))
			}
			if e.Script.Plans != c.plans {
				t.Fatalf("planned %d times, want %d", e.Script.Plans, c.plans)
			}
			for _, tt := range e.Script.Turns {
				feedback = append(feedback, tt.Feedback...)
			}
			_ = feedback
		})
	}
}

// CTX-04 CTX-07: L0–L2 resolved for every request; context is tenant-filtered.
func TestCTX04_07_ContextLevelsAndTenantFilter(t *testing.T) {
	e := kt.New(t, kt.Options{})
	e.Say(t, kt.Dave, `hosting.list_servers {}`)
	tr := e.Script.Turns[0]
	for _, r := range tr.Resources {
		if strings.Contains(r.ID, "acme") || r.ID == "web-1" || r.ID == "orders" {
			t.Fatalf("dave's router context holds acme's %s %s", r.Kind, r.ID)
		}
	}
	for _, m := range tr.Members {
		if m.ID != "dave" {
			t.Fatalf("dave's context lists %s", m.ID)
		}
	}
	var ctxRow string
	for _, r := range e.Audit(t, "globex") {
		if r.Kind == "context" {
			ctxRow = r.Data
		}
	}
	for _, lvl := range []string{`"L0"`, `"L1"`, `"L2"`, `"tenant":"globex"`} {
		if !strings.Contains(ctxRow, lvl) {
			t.Fatalf("context record %s lacks %s", ctxRow, lvl)
		}
	}
	// Dave's listing returns only globex servers.
	servers := e.Call(t, kt.Dave, "hosting.list_servers", "{}")
	if s := mustJSON(servers); strings.Contains(s, `"web-1"`) || !strings.Contains(s, "gx-web-1") {
		t.Fatalf("dave sees %s", s)
	}
}

// ISO-02: cross-tenant access is refused at the boundary and audited.
func TestISO02_CrossTenantRefused(t *testing.T) {
	e := kt.New(t, kt.Options{})
	reqs := []string{
		`hosting.get_server {"server":"web-1"}`,
		`hosting.restart_server {"server":"web-1"}`,
		`hosting.drop_database {"database":"orders"}`,
		`hosting.list_dns_records {"zone":"acme.test"}`,
		`messaging.send_message {"to":"alice","body":"hi"}`,
		`tasks.list_tasks {"assignee":"bob"}`,
	}
	for _, r := range reqs {
		out := e.Say(t, kt.Dave, r)
		if kt.ErrCode(out) != session.CodeNotFound {
			t.Errorf("%s: %s", r, kt.Dump(out))
		}
	}
	if n := count(e.Audit(t, "globex"), "cross_tenant_refused", ""); n != len(reqs) {
		t.Errorf("globex audit has %d refusals, want %d", n, len(reqs))
	}
	if n := count(e.Audit(t, "acme"), "cross_tenant_refused", "globex"); n != len(reqs) {
		t.Errorf("acme audit has %d refusals, want %d", n, len(reqs))
	}
	// Nothing of acme changed and nothing was dispatched for dave.
	if count(e.Audit(t, "globex"), "dispatch", "") != 0 {
		t.Fatal("a cross-tenant request reached a tool")
	}
}

// ISO-05 AF-10: secrets never reach audit or ledger; PII is masked in audit.
func TestISO05_SecretsAndPIIMasked(t *testing.T) {
	const secret = "tok-very-secret-value-123"
	e := kt.New(t, kt.Options{Secrets: []string{secret}})
	e.Say(t, kt.Alice, `tasks.create_task {"title":"email jane.doe@example.com with `+secret+` and sk-abcdefghijklmnopqrstuvwx"}`)
	db, err := sql.Open("sqlite", "file:"+filepath.Join(e.Data, sqlite.FileName)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var data string
	if err := db.QueryRow(`SELECT group_concat(data, ' ') FROM audit`).Scan(&data); err != nil {
		t.Fatal(err)
	}
	for _, leak := range []string{secret, "sk-abcdefghijklmnopqrstuvwx", "jane.doe@example.com"} {
		if strings.Contains(data, leak) {
			t.Errorf("audit holds %q", leak)
		}
	}
	if !strings.Contains(data, "<email:") || !strings.Contains(data, "[secret]") {
		t.Errorf("masking placeholders missing from audit")
	}
}

// AF-01: outputs are recorded verbatim.
func TestAF01_VerbatimLedger(t *testing.T) {
	e := kt.New(t, kt.Options{})
	out := e.Say(t, kt.Alice, `hosting.server_metrics {"server":"db-1"}`)
	facts, _ := e.Store.Recent(context.Background(), session.SessionFor(kt.Alice), session.Cap{Count: 1})
	if len(facts) != 1 || !facts[0].OK {
		t.Fatalf("facts %+v", facts)
	}
	var m map[string]any
	if err := json.Unmarshal(facts[0].Output, &m); err != nil {
		t.Fatal(err)
	}
	// AF-05: every number in the narration is one the tool returned.
	text := kt.TextOf(out)
	for _, k := range []string{"cpu", "memory", "disk"} {
		v := mustJSON(m[k])
		if !strings.Contains(text, v) {
			t.Errorf("narration %q lacks %s=%s", text, k, v)
		}
	}
}

// OBS-06: the audit trail is tamper-evident with a verifier.
func TestOBS06_TamperEvident(t *testing.T) {
	cases := []struct {
		name, sql string
		brokenAt  int64
	}{
		{"edited", `UPDATE audit SET data = replace(data, '}', ',"x":1}') WHERE tenant = 'acme' AND seq = 5`, 5},
		{"deleted", `DELETE FROM audit WHERE tenant = 'acme' AND seq = 4`, 4},
		{"reordered", `UPDATE audit SET seq = -1 WHERE tenant = 'acme' AND seq = 3; UPDATE audit SET seq = 3 WHERE tenant = 'acme' AND seq = 6; UPDATE audit SET seq = 6 WHERE tenant = 'acme' AND seq = -1`, 3},
		{"tail truncated", `DELETE FROM audit WHERE tenant = 'acme' AND seq = (SELECT max(seq) FROM audit WHERE tenant = 'acme')`, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := kt.New(t, kt.Options{})
			e.Say(t, kt.Alice, `hosting.restart_server {"server":"web-1"}`)
			e.Say(t, kt.Alice, `hosting.list_servers {}`)
			ctx := context.Background()
			reps, err := audit.Verify(ctx, e.Store)
			if err != nil || len(reps) == 0 {
				t.Fatalf("verify: %v %v", reps, err)
			}
			for _, r := range reps {
				if !r.OK {
					t.Fatalf("intact chain reported broken: %+v", r)
				}
			}
			db, err := sql.Open("sqlite", "file:"+filepath.Join(e.Data, sqlite.FileName))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(c.sql); err != nil {
				t.Fatal(err)
			}
			db.Close()
			reps, err = audit.Verify(ctx, e.Store)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range reps {
				if r.Tenant != "acme" {
					continue
				}
				if r.OK {
					t.Fatalf("tampering (%s) not detected", c.name)
				}
				if c.brokenAt > 0 && r.BrokenAt != c.brokenAt {
					t.Fatalf("broken at %d, want %d (%s)", r.BrokenAt, c.brokenAt, r.Reason)
				}
			}
		})
	}
}

// AF-12: substituting a ledger value is detectable through the hash chain.
func TestAF12_LedgerSubstitutionDetected(t *testing.T) {
	e := kt.New(t, kt.Options{})
	e.Say(t, kt.Alice, `hosting.server_metrics {"server":"web-1"}`)
	e.Say(t, kt.Alice, `hosting.list_servers {}`)
	ctx := context.Background()
	rep, err := audit.VerifyLedger(ctx, e.Store, e.Store)
	if err != nil || !rep.OK || rep.Checked < 2 {
		t.Fatalf("intact ledger: %+v %v", rep, err)
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(e.Data, sqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE facts SET output = replace(output, '"cpu":38', '"cpu":3') WHERE tool = 'hosting.server_metrics'`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	rep, err = audit.VerifyLedger(ctx, e.Store, e.Store)
	if err != nil || rep.OK || !strings.Contains(rep.Reason, "altered") {
		t.Fatalf("substitution not detected: %+v %v", rep, err)
	}
}

// AF-05: the demo extensions' narration templates, over real results, all
// pass the grounding check (none is blocked).
func TestDemoNarrationsAreGrounded(t *testing.T) {
	e := kt.New(t, kt.Options{})
	for _, req := range []string{
		`hosting.list_servers {}`, `hosting.list_servers {"status":"stopped"}`, `hosting.get_server {"server":"web-2"}`,
		`hosting.get_server {"server":"staging-1"}`, `hosting.server_metrics {"server":"db-1"}`, `hosting.server_metrics {"server":"staging-1"}`,
		`hosting.list_sites {}`, `hosting.list_databases {}`, `hosting.list_dns_records {"zone":"acme.test"}`,
		`hosting.export_zone {"zone":"acme.test"}`, `hosting.list_certificates {}`, `hosting.list_certificates {"expiring_within_days":30}`,
		`hosting.snapshot_server {"server":"web-1"}`, `hosting.backup_database {"database":"orders"}`,
		`hosting.add_dns_record {"zone":"acme.test","type":"A","name":"api","value":"203.0.113.7"}`,
		`hosting.renew_certificate {"domain":"blog.acme.test"}`, `hosting.start_server {"server":"staging-1"}`,
		`tasks.list_tasks {}`, `tasks.list_tasks {"status":"done"}`, `tasks.create_task {"title":"Water the plants","due":"2026-12-01"}`,
		`tasks.complete_task {"task":"T-1"}`,
	} {
		out := e.Say(t, kt.Alice, req)
		if kt.ErrCode(out) != "" {
			t.Fatalf("%s: %s", req, kt.Dump(out))
		}
	}
	if n := e.K.GroundingBlocks(); n != 0 {
		for _, r := range e.Audit(t, "acme") {
			if r.Kind == "grounding_blocked" {
				t.Log(r.Data)
			}
		}
		t.Fatalf("%d demo narrations were blocked", n)
	}
}
