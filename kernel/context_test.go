package kernel_test

import (
	"context"
	"strings"
	"testing"

	"github.com/steward-os/steward/kernel"
	kt "github.com/steward-os/steward/kernel/kerneltest"
	"github.com/steward-os/steward/session"
)

func contextRecord(t *testing.T, e *kt.Env, tenant session.TenantID) string {
	t.Helper()
	rec := ""
	for _, r := range e.Audit(t, tenant) {
		if r.Kind == "context" {
			rec = r.Data
		}
	}
	return rec
}

// CTX-01 CTX-05: nine levels resolved in order, L3–L6 from the extensions'
// context providers, L7–L8 from their relations.
func TestCTX01_05_LevelsInOrder(t *testing.T) {
	e := kt.New(t, kt.Options{})
	e.Say(t, kt.Alice, `hosting.list_servers {}`)
	rec := contextRecord(t, e, "acme")
	if !strings.Contains(rec, `"order":["L0","L1","L2","L3","L4","L5","L6","L7","L8"]`) {
		t.Fatalf("order: %s", rec)
	}
	tr := e.Script.Turns[0]
	levels := map[string]string{}
	for _, r := range tr.Resources {
		levels[r.Kind+"/"+r.ID] = r.Level
	}
	for res, want := range map[string]string{"region/eu-west": "L4", "site/shop.acme.test": "L5", "server/web-1": "L6", "task/T-3": "L6"} {
		if levels[res] != want {
			t.Errorf("%s at %q, want %s", res, levels[res], want)
		}
	}
	for _, want := range []string{`"L3":3`, `"L7":`, `"L8":`} {
		if !strings.Contains(rec, want) {
			t.Errorf("context record lacks %s: %s", want, rec)
		}
	}
	if strings.Contains(rec, `"L8":0`) {
		t.Errorf("T-3 \"Patch staging-1\" should be an L8 interconnection: %s", rec)
	}
}

// CTX-07: context is filtered by role as well as tenant.
func TestCTX07_RoleFilteredContext(t *testing.T) {
	roles := kernel.DefaultRoles()
	roles["dns"] = kernel.Role{Ceiling: 0, Scopes: []string{"hosting:read"}}
	e := kt.New(t, kt.Options{Config: kernel.Config{Roles: roles}})
	e.Dir.Add(session.Actor{ID: "erin", Tenant: "acme", Roles: []string{"dns"}}, "demo-erin")
	e.Say(t, session.Actor{ID: "erin", Tenant: "acme"}, `hosting.list_servers {}`)
	for _, r := range e.Script.Turns[0].Resources {
		if r.Extension != "hosting" {
			t.Fatalf("erin's context holds %s %s from %s", r.Kind, r.ID, r.Extension)
		}
	}
	if !strings.Contains(contextRecord(t, e, "acme"), `"L3":1`) {
		t.Fatalf("erin sees more than one service: %s", contextRecord(t, e, "acme"))
	}
}

// CTX-06: cascade impact walks L7/L8 relations before a destructive proposal.
func TestCTX06_CascadeWalksRelations(t *testing.T) {
	e := kt.New(t, kt.Options{})
	card := kt.Card(t, e.Say(t, kt.Alice, `hosting.delete_server {"server":"web-2"}`))
	got := map[string]bool{}
	for _, r := range card.Impact.Cascade {
		got[r.Kind+"/"+r.ID] = true
	}
	for _, want := range []string{"site/blog.acme.test", "site/status.acme.test", "dns_record/blog", "certificate/blog.acme.test"} {
		if !got[want] {
			t.Errorf("cascade lacks %s: %v", want, got)
		}
	}
	if got["site/shop.acme.test"] || got["dns_record/www"] {
		t.Errorf("cascade holds web-1's dependents: %v", got)
	}
}

// AF-04: a per-turn cap bounds what the ledger replays.
func TestAF04_ReplayCap(t *testing.T) {
	e := kt.New(t, kt.Options{Config: kernel.Config{LedgerCap: session.Cap{Count: 3, Bytes: 1 << 20}}})
	for i := 0; i < 5; i++ {
		e.Say(t, kt.Alice, `hosting.list_sites {}`)
	}
	last := e.Script.Turns[len(e.Script.Turns)-1]
	if len(last.Facts) != 3 {
		t.Fatalf("replayed %d facts, cap 3", len(last.Facts))
	}
	e2 := kt.New(t, kt.Options{Config: kernel.Config{LedgerCap: session.Cap{Count: 50, Bytes: 300}}})
	for i := 0; i < 5; i++ {
		e2.Say(t, kt.Alice, `hosting.list_servers {}`)
	}
	total := 0
	for _, f := range e2.Script.Turns[len(e2.Script.Turns)-1].Facts {
		total += len(f.Output) + len(f.Args)
	}
	if n := len(e2.Script.Turns[len(e2.Script.Turns)-1].Facts); n == 0 || n == 4 || total > 300+400 {
		t.Fatalf("byte cap: %d facts, %d bytes", n, total)
	}
}

// AF-10: PII is masked in what reaches a router by default; unmasking is a
// per-tenant opt-in and is audited.
func TestAF10_PIIGate(t *testing.T) {
	const note = "call jane.doe@example.com about T-3"
	for _, unmask := range []bool{false, true} {
		e := kt.New(t, kt.Options{Config: kernel.Config{UnmaskPII: map[session.TenantID]bool{"acme": unmask}}})
		e.Say(t, kt.Alice, `tasks.create_task {"title":"`+note+`"}`)
		e.Say(t, kt.Alice, `tasks.list_tasks {}`)
		tr := e.Script.Turns[len(e.Script.Turns)-1]
		seen := ""
		for _, f := range tr.Facts {
			seen += string(f.Output)
		}
		for _, r := range tr.Resources {
			for _, v := range r.Attrs {
				seen += v
			}
		}
		if leaked := strings.Contains(seen, "jane.doe@example.com"); leaked != unmask {
			t.Fatalf("unmask=%v: email visible to the router = %v", unmask, leaked)
		}
		if audited := count(e.Audit(t, "acme"), "pii_unmasked", "") > 0; audited != unmask {
			t.Fatalf("unmask=%v: audited %v", unmask, audited)
		}
		// The ledger itself stays verbatim (AF-01).
		f := lastFact(t, e, kt.Alice, "tasks.create_task")
		if !strings.Contains(string(f.Output), "jane.doe@example.com") {
			t.Fatal("the ledger was masked")
		}
	}
	_ = context.Background
}
