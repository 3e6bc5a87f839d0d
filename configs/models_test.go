package configs_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/steward-os/steward/configs"
)

const modelsFile = `
router:
  kind: openai
  failover: [local, cloud]
  providers:
    local: {kind: ollama, model: llama3.1:8b, output: tools}
    cloud: {kind: openai, model: gpt-4o-mini, api_key_env: STEWARD_TEST_OPENAI_KEY, timeout: 20s, max_tokens: 800, input_price: 0.15, output_price: 0.6}
tenants:
  acme:
    models: {providers: [cloud, offline], monthly_tokens: 2000000}
    users: {alice: {roles: [admin]}}
`

// The router section configures the model path: providers by name, the
// failover order, a tenant's providers and budget; environment overrides
// reach a provider's settings; its key variable is a credential, not a
// misspelt setting.
func TestModelsConfig(t *testing.T) {
	c, err := configs.Load("", nil, nil)
	if err != nil || c.Router.Kind != "offline" || c.Router.Narration != "template" || len(c.Router.Providers) != 0 || c.Router.ContextTokens != 1500 {
		t.Fatalf("default: %v %+v", err, c.Router)
	}
	path := filepath.Join(t.TempDir(), "steward.yaml")
	if err := os.WriteFile(path, []byte(modelsFile), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"STEWARD_ROUTER_PROVIDERS_LOCAL_MODEL=qwen2.5:7b", "STEWARD_TEST_OPENAI_KEY=sk-x", "STEWARD_TENANTS_ACME_MODELS_MONTHLY_TOKENS=500"}
	c, err = configs.Load(path, env, []string{"router.providers.cloud.timeout=25s"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Router.Providers["local"].Model != "qwen2.5:7b" || c.Router.Providers["cloud"].Timeout.D() != 25*time.Second ||
		c.Tenants["acme"].Models.MonthlyTokens != 500 || strings.Join(c.FailoverOrder(), ",") != "local,cloud" || len(c.Warnings) != 0 {
		t.Fatalf("got %+v %+v warnings %v", c.Router, c.Tenants["acme"].Models, c.Warnings)
	}
	key, err := c.Router.Providers["cloud"].Key(func(n string) string { return map[string]string{"STEWARD_TEST_OPENAI_KEY": "sk-x"}[n] })
	if err != nil || key != "sk-x" {
		t.Fatalf("key %q %v", key, err)
	}
	if _, err := c.Router.Providers["cloud"].Key(func(string) string { return "" }); err == nil {
		t.Fatal("a missing key must be an error")
	}
}

// Every model setting is checked, strictly.
func TestModelsValidation(t *testing.T) {
	for _, c := range []struct {
		sets []string
		want string
	}{
		{[]string{"router.kind=anthropic"}, `router.kind "anthropic"`},
		{[]string{"router.kind=openai"}, "need at least one provider"},
		{[]string{"router.narration=poetry"}, `router.narration "poetry"`},
		{[]string{"router.providers.p.kind=openai", "router.providers.p.model=m"}, "needs api_key_env or api_key_file"},
		{[]string{"router.providers.p.kind=vllm", "router.providers.p.model=m"}, "base_url must be set"},
		{[]string{"router.providers.p.kind=vllm", "router.providers.p.model=m", "router.providers.p.base_url=ftp://x"}, "want http(s)"},
		{[]string{"router.providers.p.kind=ollama"}, "model must be set"},
		{[]string{"router.providers.p.kind=ollama", "router.providers.p.model=m", "router.providers.p.api_version=1"}, "for kind azure only"},
		{[]string{"router.providers.p.kind=ollama", "router.providers.p.model=m", "router.providers.p.output=xml"}, `output "xml"`},
		{[]string{"router.providers.p.kind=gemini"}, `kind "gemini"`},
		{[]string{"router.providers.offline.kind=ollama", "router.providers.offline.model=m"}, "reserved"},
		{[]string{"router.failover=nope"}, `router.failover: "nope" is not a provider`},
		{[]string{"router.providers.p.kind=ollama", "router.providers.p.model=m", "router.providers.q.kind=ollama", "router.providers.q.model=m", "router.failover=p"}, `provider "q" is not listed`},
		{[]string{"tenants.acme.models.providers=nope"}, `tenants.acme.models.providers: "nope"`},
		{[]string{"tenants.acme.models.monthly_tokens=-1"}, "monthly_tokens must not be negative"},
		{[]string{"router.breaker_failures=0"}, "breaker_failures"},
		{[]string{"router.context_tokens=10"}, "context_tokens"},
		{[]string{"router.providers.p.key=sk-inline"}, "unknown key"},
	} {
		if _, err := configs.Load("", nil, c.sets); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want %q", c.sets, err, c.want)
		}
	}
	ok := []string{"router.kind=openai", "router.providers.p.kind=ollama", "router.providers.p.model=m", "tenants.acme.models.providers=offline"}
	if _, err := configs.Load("", nil, ok); err != nil {
		t.Fatal(err)
	}
}
