package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/steward-os/steward/configs"
	"github.com/steward-os/steward/kernel"
	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// The router section reaches the kernel as settings: keys resolved from
// the environment (and masked from then on), providers in failover
// order, tenants' budgets; the gateway then routes through the model.
func TestModelsWiring(t *testing.T) {
	const key = "sk-wiring-test-key-0123456789"
	t.Setenv("STEWARD_TEST_MODEL_KEY", key)
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.Header.Get("Authorization") != "Bearer "+key {
			http.Error(w, `{"error":{"message":"bad key","type":"invalid_request_error"}}`, http.StatusUnauthorized)
			return
		}
		content := `{"intent":"read","confidence":0.9,"domains":["hosting"]}`
		var body struct {
			ResponseFormat struct {
				JSONSchema struct{ Name string } `json:"json_schema"`
			} `json:"response_format"`
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		if body.ResponseFormat.JSONSchema.Name == "steward_plan" {
			content = `{"steps":[{"id":"s1","tool":"hosting.list_servers","args":{},"depends_on":[]}]}`
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"id": "c1", "object": "chat.completion", "created": 1, "model": "m",
			"choices": []any{map[string]any{"index": 0, "finish_reason": "stop", "message": map[string]any{"role": "assistant", "content": content}}},
			"usage":   map[string]any{"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}})
	}))
	defer srv.Close()
	sets := []string{"data=" + t.TempDir(), "router.kind=openai", "router.providers.main.kind=vllm", "router.providers.main.model=m",
		"router.providers.main.base_url=" + srv.URL + "/v1/", "router.providers.main.api_key_env=STEWARD_TEST_MODEL_KEY",
		"tenants.acme.models.monthly_tokens=1000"}
	cfg, err := configs.Load("", nil, sets)
	if err != nil {
		t.Fatal(err)
	}
	m := kernel.NewMasker()
	models, err := modelsConfig(cfg, func(n string) string { return map[string]string{"STEWARD_TEST_MODEL_KEY": key}[n] }, m)
	if err != nil || len(models.Providers) != 1 || models.Providers[0].APIKey != key || models.Tenants["acme"].MonthlyTokens != 1000 {
		t.Fatalf("%v %+v", err, models)
	}
	if got := m.String("key " + key); strings.Contains(got, key) {
		t.Fatalf("the key is not masked: %q", got)
	}
	if _, err := modelsConfig(cfg, func(string) string { return "" }, m); err == nil || !strings.Contains(err.Error(), "router.providers.main") {
		t.Fatalf("a missing key: %v", err)
	}
	var logs bytes.Buffer
	a, err := openApp(context.Background(), cfg, kernel.NewMasker(), &logs, false)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	out, err := a.kernel.Handle(context.Background(), session.Actor{ID: "alice", Tenant: "acme", Roles: []string{"admin"}}, session.Inbound{From: session.Address{Channel: "test"}, Text: "what runs where?"})
	if err != nil || calls.Load() != 2 || !strings.Contains(channelsText(out), "web-1") {
		_ = a.store.AuditChain(context.Background(), "acme", func(r store.AuditRow) error { t.Log(r.Kind, string(r.Data)); return nil })
		b, _ := json.Marshal(out)
		t.Fatalf("%v after %d calls: %s", err, calls.Load(), b)
	}
	if strings.Contains(logs.String(), key) {
		t.Fatal("the key reached the log")
	}
}

// channelsText joins an outbound's text parts.
func channelsText(out session.Outbound) string {
	var b strings.Builder
	for _, p := range out.Parts {
		if x, ok := p.(*session.Text); ok {
			b.WriteString(x.Text)
		}
	}
	return b.String()
}
