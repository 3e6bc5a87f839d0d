package configs_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/steward-os/steward/configs"
	"github.com/steward-os/steward/session"
)

// APR-01: the demo configuration turns four eyes on for acme (level 3:
// the manager, level 4: another admin, erin the second admin) and leaves
// globex deciding its own proposals.
func TestAPR01DemoApprovalPolicy(t *testing.T) {
	c, err := configs.Load("", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	levels, tools := c.Tenants["acme"].Approvals.Rules()
	if levels[3] != (session.ApprovalRule{Kind: session.RuleManager}) || levels[4] != (session.ApprovalRule{Kind: session.RuleOther}) || len(tools) != 0 {
		t.Fatalf("acme: %+v %+v", levels, tools)
	}
	if u, ok := c.Tenants["acme"].Users["erin"]; !ok || strings.Join(u.Roles, ",") != "admin" {
		t.Fatalf("erin: %+v", u)
	}
	if l, tl := c.Tenants["globex"].Approvals.Rules(); len(l) != 0 || len(tl) != 0 {
		t.Fatalf("globex: %+v %+v", l, tl)
	}
}

// Every rule is checked when the configuration loads, with its path.
func TestApprovalPolicyValidation(t *testing.T) {
	for _, c := range []struct{ block, want string }{
		{`{levels: {"3": boss}}`, `tenants.acme.approvals.levels.3: approval rule "boss"`},
		{`{levels: {"5": other}}`, "tenants.acme.approvals.levels.5: want a safety level 1–4"},
		{`{levels: {"3": "role:root"}}`, `tenants.acme.approvals.levels.3: unknown role "root"`},
		{`{levels: {"4": "n_of:0:admin"}}`, "k must be 1–9"},
		{`{tools: {hosting.delete_server: "n_of:2:wizard"}}`, `unknown role "wizard"`},
		{`{levels: {"3": other}, escalate_after: 1s}`, "escalate_after 1s: want 10s–24h"},
		{`{levels: {"3": other}, escalate: 5m}`, "tenants.acme.approvals.escalate: unknown key"},
	} {
		doc := "tenants:\n  acme:\n    users:\n      alice: {roles: [admin]}\n    approvals: " + c.block + "\n"
		p := filepath.Join(t.TempDir(), "c.yaml")
		if err := os.WriteFile(p, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := configs.Load(p, nil, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.block, err, c.want)
		}
	}
	ok := "tenants:\n  acme:\n    users:\n      alice: {roles: [admin]}\n    approvals: {levels: {\"2\": \"role:admin\"}, tools: {hosting: \"n_of:2:admin\"}, escalate_after: 5m}\n"
	p := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(p, []byte(ok), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := configs.Load(p, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a := c.Tenants["acme"].Approvals; a.EscalateAfter.D() != 5*time.Minute || a.Tools["hosting"] != "n_of:2:admin" {
		t.Fatalf("approvals: %+v", a)
	}
}
