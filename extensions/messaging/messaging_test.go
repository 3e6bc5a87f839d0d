package messaging

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/steward-os/steward/sdk"
	"github.com/steward-os/steward/sdk/sdktest"
)

var (
	bob  = sdk.Caller{Actor: "bob", Tenant: "acme", Roles: []string{"operator"}, Manager: "alice"}
	acme = []sdk.Member{
		{ID: "alice", Roles: []string{"admin"}},
		{ID: "bob", Roles: []string{"operator"}, Manager: "alice"},
		{ID: "carol", Roles: []string{"viewer"}, Manager: "alice"},
	}
)

type a = map[string]any

func invoke(t *testing.T, env sdk.Env, c sdk.Caller, args any) (any, error) {
	t.Helper()
	raw, err := json.Marshal(args)
	if err != nil {
		t.Fatal(err)
	}
	return sdktest.Handler(Extension(), "send_message").Invoke(context.Background(), c, env, raw)
}

func code(err error) string {
	var e *sdk.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func TestParamsSchema(t *testing.T) {
	tools, err := sdktest.ManifestTools(manifest)
	if err != nil {
		t.Fatal(err)
	}
	ext := Extension()
	if len(ext.Handlers) != 3 || len(tools) != 3 || ext.Seed == nil || ext.Context == nil {
		t.Fatalf("handlers %d, tools %d", len(ext.Handlers), len(tools))
	}
	s, err := ext.Handlers[0].ParamsSchema()
	if err != nil {
		t.Fatal(err)
	}
	req := slices.Sorted(slices.Values(s.Required))
	if !slices.Equal(req, []string{"body", "to"}) {
		t.Errorf("required = %v", req)
	}
	for p := range tools["send_message"].Params {
		if _, ok := s.Properties[p]; !ok {
			t.Errorf("manifest param %s is not in the struct", p)
		}
	}
	if len(s.Properties) != 3 {
		t.Errorf("properties = %v", s.Properties)
	}
}

func TestSend(t *testing.T) {
	st := sdktest.NewState()
	env := sdktest.NewEnv(st, acme...)
	tests := []struct {
		args a
		want Sent
		code string
	}{
		{a{"to": "alice", "body": " the deploy is done "}, Sent{ID: "note-1", To: "alice", Body: "the deploy is done"}, ""},
		{a{"to": "Carol", "subject": "Outage", "body": "web-2 is down"}, Sent{ID: "note-2", To: "carol", Subject: "Outage", Body: "web-2 is down"}, ""},
		{a{"to": "my manager", "body": "running late"}, Sent{ID: "note-3", To: "alice", Body: "running late"}, ""},
		{a{"to": "dave", "body": "hi"}, Sent{}, sdk.CodeNotFound}, // globex's, not acme's
		{a{"to": "mallory", "body": "hi"}, Sent{}, sdk.CodeNotFound},
		{a{"to": "alice", "body": "  "}, Sent{}, sdk.CodeInvalid},
		{a{"to": "", "body": "hi"}, Sent{}, sdk.CodeInvalid},
		{a{"to": "alice", "subject": "a\nb", "body": "hi"}, Sent{}, sdk.CodeInvalid},
		{a{"to": "alice", "body": strings.Repeat("x", MaxBody+1)}, Sent{}, sdk.CodeInvalid},
		{a{"to": 3, "body": "hi"}, Sent{}, sdk.CodeInvalid},
	}
	for _, tt := range tests {
		res, err := invoke(t, env, bob, tt.args)
		if tt.code != "" {
			if code(err) != tt.code {
				t.Errorf("send(%v): %v, want %s", tt.args["to"], err, tt.code)
			}
			continue
		}
		if err != nil {
			t.Fatalf("send(%v): %v", tt.args, err)
		}
		if res.(Sent) != tt.want {
			t.Errorf("send = %+v, want %+v", res, tt.want)
		}
	}
	notes := env.Notes()
	want := []sdk.Note{
		{To: "alice", From: "bob", Body: "the deploy is done"},
		{To: "carol", From: "bob", Subject: "Outage", Body: "web-2 is down"},
		{To: "alice", From: "bob", Body: "running late"},
	}
	if !slices.Equal(notes, want) {
		t.Errorf("delivered %+v, want %+v", notes, want)
	}

	// The sender is the caller, whatever the arguments say.
	if _, err := invoke(t, env, bob, a{"to": "alice", "body": "x", "from": "carol"}); err != nil {
		t.Fatal(err)
	}
	if n := env.Notes(); n[len(n)-1].From != "bob" {
		t.Errorf("from = %s", n[len(n)-1].From)
	}
	// No manager on record.
	if _, err := invoke(t, env, sdk.Caller{Actor: "alice", Tenant: "acme"}, a{"to": "manager", "body": "x"}); code(err) != sdk.CodeNotFound {
		t.Errorf("to manager without one: %v", err)
	}
}

func TestScopesFailClosed(t *testing.T) {
	env := sdktest.NewEnv(sdktest.NewState(), acme...)
	env.Scopes = []string{sdk.ScopeDirectoryRead}
	if _, err := invoke(t, env, bob, a{"to": "alice", "body": "x"}); !errors.Is(err, sdk.ErrScopeDenied) {
		t.Errorf("without messages:deliver: %v", err)
	}
	env.Scopes = []string{sdk.ScopeMessagesDeliver}
	if _, err := invoke(t, env, bob, a{"to": "alice", "body": "x"}); !errors.Is(err, sdk.ErrScopeDenied) {
		t.Errorf("without directory:read: %v", err)
	}
	if len(env.Notes()) != 0 {
		t.Errorf("delivered without scopes: %+v", env.Notes())
	}
	if !strings.Contains(string(manifest), sdk.ScopeMessagesDeliver) || !strings.Contains(string(manifest), sdk.ScopeDirectoryRead) {
		t.Error("manifest must declare messages:deliver and directory:read")
	}
}

func TestTemplates(t *testing.T) {
	tools, err := sdktest.ManifestTools(manifest)
	if err != nil {
		t.Fatal(err)
	}
	mt := tools["send_message"]
	for _, tt := range []struct {
		args          a
		propose, said string
	}{
		{a{"to": "alice", "body": "the deploy is done"}, "Send a message to alice: the deploy is done", "Message note-1 sent to alice."},
		{a{"to": "carol", "subject": "Outage", "body": "web-2 is down"}, `Send a message to carol ("Outage"): web-2 is down`, "Message note-1 sent to carol."},
	} {
		got, err := sdktest.Render(mt.Propose, tt.args)
		if err != nil || got != tt.propose {
			t.Errorf("propose = %q, %v; want %q", got, err, tt.propose)
		}
		res, err := invoke(t, sdktest.NewEnv(sdktest.NewState(), acme...), bob, tt.args)
		if err != nil {
			t.Fatal(err)
		}
		got, err = sdktest.Render(mt.Narrate, res)
		if err != nil || got != tt.said {
			t.Errorf("narrate = %q, %v; want %q", got, err, tt.said)
		}
	}
}

func TestSeed(t *testing.T) {
	data, err := sdktest.WorldSection("../../configs/world.yaml", "acme", "messaging")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{string(data), "", "null", "{}"} {
		if err := Extension().Seed(context.Background(), sdktest.NewState(), json.RawMessage(d)); err != nil {
			t.Errorf("seed %q: %v", d, err)
		}
	}
	if err := Extension().Seed(context.Background(), sdktest.NewState(), json.RawMessage(`{"inbox":[]}`)); err == nil {
		t.Error("seed accepted an unknown key")
	}
	res, err := Extension().Context.Resources(context.Background(), "acme", sdktest.NewState())
	if err != nil || len(res) != 0 {
		t.Errorf("resources = %v, %v", res, err)
	}
}
