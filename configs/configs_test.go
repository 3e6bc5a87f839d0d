package configs_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/steward-os/steward/channels/telegram"
	"github.com/steward-os/steward/configs"
	"github.com/steward-os/steward/sdk/module"
)

func TestEmbeddedDefault(t *testing.T) {
	c, err := configs.Load("", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Server.Addr != "127.0.0.1:8080" || c.Data != "./data" || c.Router.Kind != "offline" || !c.Auth.DemoTokens {
		t.Fatalf("default: %+v", c)
	}
	if c.Safety.CoolingPeriod.D() != 30*time.Second || c.Safety.ProposalTTL.D() != 10*time.Minute {
		t.Fatalf("safety: %+v", c.Safety)
	}
	if len(c.Tenants["acme"].Users) != 4 || len(c.Tenants["globex"].Users) != 1 { // acme: alice, bob, carol, erin
		t.Fatalf("tenants: %+v", c.Tenants)
	}
}

func TestOverrides(t *testing.T) {
	env := []string{
		"STEWARD_ADDR=127.0.0.1:9999",
		"STEWARD_DATA=/tmp/x",
		"STEWARD_SAFETY_COOLING_PERIOD=45s",
		"STEWARD_TENANTS_ACME_CONFIRM_LEVEL1=true",
		"STEWARD_EXTENSIONS=hosting,tasks",
		"STEWARD_LOG_FORMAT=json",
	}
	c, err := configs.Load("", env, []string{"router.min_confidence=0.6", "safety.proposal_ttl=20m"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Server.Addr != "127.0.0.1:9999" || c.Data != "/tmp/x" || c.Safety.CoolingPeriod.D() != 45*time.Second ||
		!c.Tenants["acme"].ConfirmLevel1 || strings.Join(c.Extensions, ",") != "hosting,tasks" || c.Log.Format != "json" ||
		c.Router.MinConfidence != 0.6 || c.Safety.ProposalTTL.D() != 20*time.Minute {
		t.Fatalf("overrides not applied: %+v", c)
	}
	// The full name wins over the short form; a misspelt variable is reported.
	c, err = configs.Load("", []string{"STEWARD_SERVER_ADDR=127.0.0.1:3", "STEWARD_ADDR=127.0.0.1:4", "STEWARD_SAFTEY_COOLING_PERIOD=1s"}, nil)
	if err != nil || c.Server.Addr != "127.0.0.1:3" || len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "STEWARD_SAFTEY_COOLING_PERIOD") {
		t.Fatalf("precedence/warnings: %v %v %v", c.Server.Addr, c.Warnings, err)
	}
	// Flags (sets) win over the environment.
	c, err = configs.Load("", []string{"STEWARD_ADDR=127.0.0.1:1"}, []string{"server.addr=127.0.0.1:2"})
	if err != nil || c.Server.Addr != "127.0.0.1:2" {
		t.Fatalf("precedence: %v %v", c.Server.Addr, err)
	}
}

func TestStrictAndValidation(t *testing.T) {
	base, err := os.ReadFile("steward.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		from, to string
		sets     []string
		want     string
	}{
		{"unknown key with path", "  addr: 127.0.0.1:8080\n", "  addr: 127.0.0.1:8080\n  adress: x\n", nil, "server.adress: unknown key"},
		{"secret inlined", "bob: {roles: [operator], manager: alice}", "bob: {roles: [operator], manager: alice, token: hunter2}", nil, "tenants.acme.users.bob.token: unknown key"},
		{"wrong type", "max_body_bytes: 65536", "max_body_bytes: lots", nil, "server.max_body_bytes"},
		{"cooling lowered", "", "", []string{"safety.cooling_period=10s"}, "cooling_period"},
		{"bad duration", "", "", []string{"safety.cooling_period=soon"}, "duration"},
		{"unknown set path", "", "", []string{"server.nope=1"}, "unknown key"},
		{"unknown role", "", "", []string{"tenants.acme.users.bob.roles=root"}, "unknown role"},
		{"zero confidence", "", "", []string{"router.min_confidence=0"}, "min_confidence"},
		{"no retries", "", "", []string{"safety.plan_retries=0"}, "plan_retries"},
		{"ttl not above cooling", "", "", []string{"safety.proposal_ttl=30s"}, "proposal_ttl"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := ""
			if c.from != "" {
				doc := strings.Replace(string(base), c.from, c.to, 1)
				if doc == string(base) {
					t.Fatalf("replacement did not apply")
				}
				path = filepath.Join(t.TempDir(), "c.yaml")
				if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			_, err := configs.Load(path, nil, c.sets)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}
}

func TestTokensFromEnvAndFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "tok")
	os.WriteFile(f, []byte("file-token\n"), 0o600)
	u := configs.User{TokenFile: f}
	if tok, err := u.Token(os.Getenv); err != nil || tok != "file-token" {
		t.Fatalf("%q %v", tok, err)
	}
	u = configs.User{TokenEnv: "X_TOKEN"}
	if tok, _ := u.Token(func(k string) string { return map[string]string{"X_TOKEN": "env-token"}[k] }); tok != "env-token" {
		t.Fatalf("%q", tok)
	}
	// A configured but missing credential is an error, never a fallback.
	if _, err := u.Token(func(string) string { return "" }); err == nil {
		t.Fatal("unset token_env accepted")
	}
}

func TestDemoTokensLoopbackOnly(t *testing.T) {
	for addr, want := range map[string]bool{"127.0.0.1:8080": true, "[::1]:80": true, "localhost:1": true, "0.0.0.0:8080": false, "10.0.0.5:80": false, ":8080": false} {
		if got := configs.DemoTokensAllowed(addr); got != want {
			t.Errorf("%s: %v", addr, got)
		}
	}
}

// A file overlays the embedded default: it names only what it changes,
// except tenants, roles and extensions, which it replaces whole.
func TestFileOverlaysDefault(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.yaml")
	doc := "server:\n  addr: 127.0.0.1:9090\ntenants:\n  initech:\n    users:\n      peter: {roles: [admin], token_env: PETER_TOKEN}\n"
	if err := os.WriteFile(p, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := configs.Load(p, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Server.Addr != "127.0.0.1:9090" || c.Server.MaxBodyBytes != 65536 || c.Delivery != "last_used" || !webBlock(t, c).Enabled {
		t.Fatalf("defaults not kept: %+v", c.Server)
	}
	if len(c.Tenants) != 1 || c.Tenants["initech"].Users["peter"].TokenEnv != "PETER_TOKEN" {
		t.Fatalf("tenants not replaced: %+v", c.Tenants)
	}
}

// Chat platform bots: each block is decoded strictly by its module and
// checked when the configuration loads; the errors name the bot and what
// to set. (That a bot's tenant exists is checked when it starts: see the
// platforms' module tests.)
func TestBotBlocks(t *testing.T) {
	write := func(t *testing.T, doc string) string {
		p := filepath.Join(t.TempDir(), "c.yaml")
		if err := os.WriteFile(p, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := `
telegram:
  default: {tenant: acme, token_env: TG_TOKEN}
  ops: {tenant: globex, token_file: /run/tg, mode: webhook, webhook_url: "https://bot.example.com/hooks/telegram/ops", secret_env: TG_SECRET}
slack:
  default: {tenant: acme, token_env: SLACK_BOT, app_token_env: SLACK_APP}
  events: {tenant: acme, token_env: SLACK_BOT2, mode: events, signing_secret_env: SLACK_SIGNING}
discord:
  default: {tenant: acme, token_env: DISCORD_TOKEN, public_key: "` + strings.Repeat("ab", 32) + `"}
`
	c, err := configs.Load(write(t, good), []string{"TG_TOKEN=x", "TG_SECRET=y", "SLACK_APP=z"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	bots := func(key string) map[string]any { return configs.Instances(c.Channels[key]) }
	if len(bots("telegram")) != 2 || len(bots("slack")) != 2 || len(bots("discord")) != 1 {
		t.Fatalf("decoded %+v", c.Channels)
	}
	tg, err := module.Decode("channels.telegram", bots("telegram")["ops"])
	if err != nil || tg.(*telegram.Bot).Mode != "webhook" {
		t.Fatalf("telegram.ops: %v %+v", err, tg)
	}
	// Variables named as credentials are not reported as misspelt settings.
	if len(c.Warnings) != 0 {
		t.Fatalf("warnings %v", c.Warnings)
	}
	// A setting of a bot can be overridden like any other, the ones every
	// bot shares included.
	c, err = configs.Load(write(t, good), []string{"STEWARD_TELEGRAM_DEFAULT_POLL_TIMEOUT=10s", "STEWARD_TELEGRAM_DEFAULT_TENANT=globex"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tg, _ = module.Decode("channels.telegram", bots("telegram")["default"])
	if b := tg.(*telegram.Bot); b.PollTimeout.D() != 10*time.Second || b.Tenant != "globex" {
		t.Fatalf("override: %+v", tg)
	}
	bad := []struct{ name, doc, want string }{
		{"unknown key", "telegram:\n  default: {tenant: acme, token_env: T, tokn: x}\n", "telegram.default: tokn: unknown key"},
		{"token inline", "slack:\n  default: {tenant: acme, token: xoxb-1, app_token_env: A}\n", "slack.default: token: unknown key"},
		{"no token", "telegram:\n  default: {tenant: acme}\n", "telegram.default: set token_env or token_file"},
		{"not a mapping", "discord: [1, 2]\n", "discord: want a mapping of names to blocks"},
		{"bad mode", "telegram:\n  default: {tenant: acme, token_env: T, mode: push}\n", `telegram.default: mode "push": want poll or webhook`},
		{"webhook without url", "telegram:\n  default: {tenant: acme, token_env: T, mode: webhook, secret_env: S}\n", "webhook mode needs the public https URL"},
		{"webhook over http", "telegram:\n  default: {tenant: acme, token_env: T, mode: webhook, secret_env: S, webhook_url: \"http://x/\"}\n", "webhook mode needs the public https URL"},
		{"webhook without secret", "telegram:\n  default: {tenant: acme, token_env: T, mode: webhook, webhook_url: \"https://x/\"}\n", "webhook mode needs secret_env or secret_file"},
		{"socket without app token", "slack:\n  default: {tenant: acme, token_env: S}\n", "Socket Mode needs app_token_env"},
		{"events without secret", "slack:\n  default: {tenant: acme, token_env: S, mode: events}\n", "the Events API needs signing_secret_env"},
		{"bad public key", "discord:\n  default: {tenant: acme, token_env: D, public_key: xyz}\n", "discord.default: public_key"},
		{"poll timeout", "telegram:\n  default: {tenant: acme, token_env: T, poll_timeout: 2m}\n", "poll_timeout: want 0–50s"},
	}
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			_, err := configs.Load(write(t, b.doc), nil, nil)
			if err == nil || !strings.Contains(err.Error(), b.want) {
				t.Fatalf("err = %v, want %q", err, b.want)
			}
		})
	}
}

// server.allowed_hosts takes Host header forms only; server.refusals is
// bounded.
func TestAllowedHostsAndRefusals(t *testing.T) {
	c, err := configs.Load("", nil, []string{"server.allowed_hosts=chat.example.com, chat.example.com:8443,192.0.2.7,[2001:db8::7]:443"})
	if err != nil || len(c.Server.AllowedHosts) != 4 || c.Server.Refusals.Burst != 20 || c.Server.Refusals.Window.D() != time.Minute {
		t.Fatalf("%v %+v", err, c.Server)
	}
	for _, bad := range []string{"https://chat.example.com", "chat.example.com/x", "*.example.com", "chat.example.com:0", "chat.example.com:", "u@chat.example.com", "[2001:db8::7"} {
		if _, err := configs.Load("", nil, []string{"server.allowed_hosts=" + bad}); err == nil || !strings.Contains(err.Error(), "server.allowed_hosts") {
			t.Errorf("%q: %v", bad, err)
		}
	}
	for _, bad := range []string{"server.refusals.burst=-1", "server.refusals.per_minute=0", "server.refusals.window=0s", "server.refusals.window=2h"} {
		if _, err := configs.Load("", nil, []string{bad}); err == nil || !strings.Contains(err.Error(), "server.refusals") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
