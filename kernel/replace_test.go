package kernel_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/steward-os/steward/kernel/kerneltest"
	"github.com/steward-os/steward/kernel/manifest"
	"github.com/steward-os/steward/sdk"
	"github.com/steward-os/steward/session"
)

const pingManifest = `
id: ping
version: %s
protocol_version: "1"
conformance_level: 1
description: A ping for replace tests.
scopes: [ping:read]
tools:
  - name: ping
    description: Answer pong.
    safety_level: %s
    scopes: [ping:read]
    examples: [ping]
`

func pingExt(version, level string, tenants ...sdk.TenantID) sdk.Extension {
	m := strings.Replace(strings.Replace(pingManifest, "%s", version, 1), "%s", level, 1)
	return sdk.Extension{Manifest: []byte(m), Tenants: tenants, Handlers: []sdk.Handler{
		sdk.Tool("ping", func(context.Context, sdk.Call[noParams]) (map[string]string, error) {
			return map[string]string{"answer": "pong"}, nil
		}),
	}}
}

// Replace swaps an extension atomically: a bad version keeps the
// registered one (audited with its issues), an unknown id is K003, a good
// version takes its place in the catalog.
func TestReplaceIsAllOrNothing(t *testing.T) {
	env := kerneltest.New(t, kerneltest.Options{})
	ctx := context.Background()
	if _, err := env.K.Replace(ctx, pingExt("1.0.0", "0")); !hasRuleErr(err, "K003") {
		t.Fatalf("replace before load: %v", err)
	}
	if _, err := env.K.Load(ctx, pingExt("1.0.0", "0")); err != nil {
		t.Fatal(err)
	}
	if _, err := env.K.Replace(ctx, pingExt("1.1.0", "7")); !hasRuleErr(err, "M015") {
		t.Fatalf("a bad version: %v", err)
	}
	for _, m := range env.K.Manifests() {
		if m.ID == "ping" && m.Version != "1.0.0" {
			t.Fatalf("the bad version replaced the good one: %s", m.Version)
		}
	}
	if _, err := env.K.Replace(ctx, pingExt("1.2.0", "1")); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, s := range env.K.Catalog() {
		if s.Extension == "ping" {
			n++
			if s.SafetyLevel != 1 {
				t.Fatalf("level %d after replace", s.SafetyLevel)
			}
		}
	}
	if n != 1 {
		t.Fatalf("%d ping tools", n)
	}
	var stages []string
	for _, r := range env.Audit(t, "_system") {
		var d struct{ Stage, Extension string }
		if json.Unmarshal([]byte(r.Data), &d) == nil && d.Extension == "ping" {
			stages = append(stages, d.Stage)
		}
	}
	if got := strings.Join(stages, ","); got != "replace,validate,load,validate,register,replace,validate,replace,validate,register" {
		t.Fatalf("stages %s", got)
	}
}

func hasRuleErr(err error, rule string) bool {
	var ie *manifest.IssuesError
	if !errors.As(err, &ie) {
		return false
	}
	for _, i := range ie.Issues {
		if i.Rule == rule {
			return true
		}
	}
	return false
}

// An extension that serves some tenants does not exist for the others:
// not in their surface or router catalog, and a structured call is
// unknown_tool; its own tenant calls it through the gate.
func TestTenantExtensionAndStructuredCall(t *testing.T) {
	env := kerneltest.New(t, kerneltest.Options{})
	ctx := context.Background()
	if _, err := env.K.Load(ctx, pingExt("1.0.0", "0", "acme")); err != nil {
		t.Fatal(err)
	}
	call := func(a session.Actor, id string, args string) session.Outbound {
		out, err := env.K.Handle(ctx, a, session.Inbound{ID: id, From: session.Address{Channel: "test"}, Call: &session.Call{Tool: "ping.ping", Args: json.RawMessage(args)}})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if out := call(kerneltest.Dave, "", `{}`); kerneltest.ErrCode(out) != session.CodeUnknownTool {
		t.Fatalf("dave reached acme's extension: %s", kerneltest.Dump(out))
	}
	tools, err := env.K.Surface().Tools(ctx, kerneltest.Dave)
	if err != nil {
		t.Fatal(err)
	}
	for _, tl := range tools {
		if strings.HasPrefix(string(tl.ID), "ping.") {
			t.Fatal("dave's surface lists acme's extension")
		}
	}
	env.Say(t, kerneltest.Dave, "hosting.list_servers {}")
	for _, s := range env.Script.Turns[len(env.Script.Turns)-1].Catalog {
		if s.Extension == "ping" {
			t.Fatal("dave's router saw acme's extension")
		}
	}
	if out := call(kerneltest.Alice, "k1", `{}`); !strings.Contains(kerneltest.TextOf(out), "pong") {
		t.Fatalf("alice's call: %s", kerneltest.Dump(out))
	}
	if out := call(kerneltest.Alice, "k1", `{"x":1}`); kerneltest.ErrCode(out) != session.CodeKeyReused {
		t.Fatalf("a dedupe key reused for other arguments: %s", kerneltest.Dump(out))
	}
	if out := call(kerneltest.Alice, "", `{"x":1}`); kerneltest.ErrCode(out) != session.CodeInvalidArguments {
		t.Fatalf("schema not checked on a structured call: %s", kerneltest.Dump(out))
	}
	out := call(kerneltest.Alice, "", "")
	if n := strings.Count(kerneltest.Dump(out), "pong"); n == 0 {
		t.Fatalf("empty arguments: %s", kerneltest.Dump(out))
	}
}
