package configs_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	_ "github.com/steward-os/steward/channels/all" // every channel's block is decoded by its module

	"github.com/steward-os/steward/configs"
	"github.com/steward-os/steward/internal/fuzzcheck"
)

// FuzzConfig: any configuration file, YAML or JSON, through Load (the
// embedded default, the file overlaid, strict decoding, every module's
// block, Validate). It never panics or hangs (a document is bounded at
// strict.MaxDocument); a refusal is a plain message naming no Go type;
// a configuration it accepts validates, and written back out as JSON it
// loads again to the same configuration.
func FuzzConfig(f *testing.F) {
	for _, s := range []string{
		"server: {addr: '127.0.0.1:9090'}",
		"router: {kind: offline, min_confidence: 0.5}",
		"safety: {cooling_period: 45s, proposal_ttl: 5m}",
		"telegram:\n  default: {tenant: acme, token_env: TELEGRAM_BOT_TOKEN}",
		"web: {max_frame_bytes: 0}",
		"tenants: {acme: {users: {zed: {roles: [wizard]}}}}",
		"server: {addr: [1, 2]}",
		"server: {adrr: x}",
		"&a [*a, *a]",
		"[]", "null", "", "\x00", "{}",
		"safety: {cooling_period: -1s}",
		"limits: {state_values_per_tenant: -5}",
		`{"server":{"addr":"127.0.0.1:1"},"server":{"addr":"127.0.0.1:2"}}`,
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "steward.yaml")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := configs.Load(p, nil, nil)
		if err != nil {
			msg := err.Error()
			fuzzcheck.Plain(t, msg, data)
			for _, goName := range []string{"configs.", "map[string]", "[]string", "struct {", "interface {}"} {
				if strings.Contains(msg, goName) && !strings.Contains(string(data), goName) {
					t.Fatalf("a Go type (%s) in the refusal: %s", goName, msg)
				}
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("Load accepted a configuration Validate refuses: %v", err)
		}
		out := asDocument(t, c)
		q := filepath.Join(dir, "again.json")
		if err := os.WriteFile(q, out, 0o600); err != nil {
			t.Fatal(err)
		}
		again, err := configs.Load(q, nil, nil)
		if err != nil {
			t.Fatalf("an accepted configuration, written back, is refused: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(generic(t, asDocument(t, again)), generic(t, out)) {
			t.Fatalf("round trip changed the configuration:\n%s\n%s", out, asDocument(t, again))
		}
	})
}

// asDocument is a loaded configuration as the JSON document that says
// it: its fields, and each channel's block under its key.
func asDocument(t *testing.T, c *configs.Config) []byte {
	t.Helper()
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for k, v := range c.Channels {
		m[k] = v
	}
	if b, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	return b
}

func generic(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}
