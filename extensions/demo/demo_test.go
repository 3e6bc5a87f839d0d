package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"slices"
	"sort"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/steward-os/steward/sdk"
	"github.com/steward-os/steward/sdk/sdktest"
)

const worldFile = "../../configs/world.yaml"

func manifestID(t *testing.T, e sdk.Extension) string {
	t.Helper()
	var m struct {
		ID string `yaml:"id"`
	}
	if err := yaml.Unmarshal(e.Manifest, &m); err != nil {
		t.Fatal(err)
	}
	return m.ID
}

func TestExtensions(t *testing.T) {
	var ids []string
	for _, e := range Extensions() {
		ids = append(ids, manifestID(t, e))
		if _, err := sdktest.ManifestTools(e.Manifest); err != nil {
			t.Errorf("%s manifest: %v", manifestID(t, e), err)
		}
		if e.Seed == nil || e.Context == nil || len(e.Handlers) == 0 {
			t.Errorf("%s is incomplete", manifestID(t, e))
		}
	}
	if !slices.Equal(ids, []string{"hosting", "tasks", "messaging"}) {
		t.Errorf("ids = %v", ids)
	}
}

// TestWorldSeedsEveryTenant seeds every tenant of configs/world.yaml the
// way the kernel does: each extension gets its own section (null when the
// tenant has none), in its own State.
func TestWorldSeedsEveryTenant(t *testing.T) {
	raw, err := os.ReadFile(worldFile)
	if err != nil {
		t.Fatal(err)
	}
	var world struct {
		Tenants map[string]map[string]any `yaml:"tenants"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&world); err != nil {
		t.Fatal(err)
	}
	tenants := make([]string, 0, len(world.Tenants))
	for name := range world.Tenants {
		tenants = append(tenants, name)
	}
	sort.Strings(tenants)
	if !slices.Equal(tenants, []string{"acme", "globex"}) {
		t.Errorf("tenants = %v", tenants)
	}
	exts := Extensions(WithClock(func() time.Time { return time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC) }))
	known := map[string]bool{}
	for _, e := range exts {
		known[manifestID(t, e)] = true
	}
	counts := map[string]int{}
	for _, tenant := range tenants {
		for section := range world.Tenants[tenant] {
			if !known[section] {
				t.Errorf("tenants.%s.%s names no extension", tenant, section)
			}
		}
		for _, e := range exts {
			id := manifestID(t, e)
			data, err := sdktest.WorldSection(worldFile, tenant, id)
			if err != nil {
				t.Fatal(err)
			}
			st := sdktest.NewState()
			if err := e.Seed(context.Background(), st, data); err != nil {
				t.Errorf("seed %s/%s: %v", tenant, id, err)
				continue
			}
			res, err := e.Context.Resources(context.Background(), sdk.TenantID(tenant), st)
			if err != nil {
				t.Errorf("resources %s/%s: %v", tenant, id, err)
			}
			counts[tenant+"/"+id] = len(res)
		}
	}
	want := map[string]int{
		"acme/hosting": 20, "acme/tasks": 5, "acme/messaging": 0,
		"globex/hosting": 7, "globex/tasks": 1, "globex/messaging": 0,
	}
	for k, v := range want {
		if counts[k] != v {
			t.Errorf("%s: %d resources, want %d", k, counts[k], v)
		}
	}
}

func TestWithClock(t *testing.T) {
	day := time.Date(2030, 1, 1, 9, 0, 0, 0, time.UTC)
	ext := Extensions(WithClock(func() time.Time { return day }))[0]
	st := sdktest.NewState()
	data, err := sdktest.WorldSection(worldFile, "acme", "hosting")
	if err != nil {
		t.Fatal(err)
	}
	if err := ext.Seed(context.Background(), st, data); err != nil {
		t.Fatal(err)
	}
	h := sdktest.Handler(ext, "list_certificates")
	res, err := h.Invoke(context.Background(), sdk.Caller{Actor: "alice", Tenant: "acme"}, sdktest.NewEnv(st), json.RawMessage(`{"expiring_within_days": 7}`))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(res)
	if string(got) != `{"certificates":[{"domain":"blog.acme.test","expires":"2030-01-06","days_left":5}]}` {
		t.Errorf("certificates = %s", got)
	}
}
