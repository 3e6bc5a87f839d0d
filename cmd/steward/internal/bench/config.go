package bench

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/steward-os/steward/configs"
	"github.com/steward-os/steward/internal/strict"
)

// benchTenant and benchUser name actor i's tenant and user (1-based); the
// user's demo token is "demo-" + benchUser(i).
func benchTenant(i int) string { return fmt.Sprintf("bench-%d", i) }
func benchUser(i int) string   { return fmt.Sprintf("bench%d", i) }

// benchConfig is the embedded default plus tenants bench-1…n, each with one
// admin and the acme tenant's demo world. confirm_level1 makes every write
// a confirmed one; the quota is raised so that it never throttles the run.
func benchConfig(n int, world string) (*configs.Config, error) {
	cfg, err := configs.Load("", nil, []string{"log.level=warn"})
	if err != nil {
		return nil, err
	}
	for i := 1; i <= n; i++ {
		cfg.Tenants[benchTenant(i)] = configs.Tenant{
			ConfirmLevel1: true, TurnsPerMinute: 6_000_000,
			Users: map[string]configs.User{benchUser(i): {Roles: []string{"admin"}}},
		}
	}
	cfg.World = world
	cfg.Warnings = nil
	return cfg, cfg.Validate()
}

// benchWorld is the embedded demo world with bench-1…n copied from acme,
// bench-1 holding state more tasks of its own besides (the stored-state
// scenario: per-turn cost must not grow with them, in that tenant or in
// the others). One tenant holds them: the world is one document, bounded
// at strict.MaxDocument, which 10,000 tasks in each of 8 tenants exceed.
func benchWorld(n, state int) ([]byte, error) {
	g, err := strict.Generic(configs.World)
	if err != nil {
		return nil, err
	}
	root, _ := g.(map[string]any)
	tenants, _ := root["tenants"].(map[string]any)
	acme, ok := tenants["acme"]
	if !ok {
		return nil, errors.New("the embedded world has no acme tenant to copy")
	}
	for i := 1; i <= n; i++ {
		extra := 0
		if i == 1 {
			extra = state
		}
		tenants[benchTenant(i)] = withTasks(acme, benchUser(i), extra)
	}
	return json.MarshalIndent(root, "", " ")
}

// writeBenchFiles writes dir/world.json and dir/steward.yaml (JSON, which
// is YAML) for n bench tenants, and returns the configuration's path.
func writeBenchFiles(dir string, n, state int) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	world, err := benchWorld(n, state)
	if err != nil {
		return "", err
	}
	wp, err := filepath.Abs(filepath.Join(dir, "world.json"))
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(wp, world, 0o600); err != nil {
		return "", err
	}
	cfg, err := benchConfig(n, wp)
	if err != nil {
		return "", err
	}
	b, err := json.MarshalIndent(cfg, "", " ")
	if err != nil {
		return "", err
	}
	cp := filepath.Join(dir, "steward.yaml")
	hdr := "# Written by `steward bench --write-config`: the embedded default plus bench-1…N\n# (one admin each, the acme demo world, confirm_level1, a quota that never throttles).\n"
	return cp, os.WriteFile(cp, append([]byte(hdr), b...), 0o600)
}

// withTasks is a tenant's world section with extra pending tasks of user
// appended to its tasks (ids from T-1000 on).
func withTasks(section any, user string, extra int) any {
	if extra <= 0 {
		return section
	}
	sec, _ := section.(map[string]any)
	out := map[string]any{}
	for k, v := range sec {
		out[k] = v
	}
	tasksExt, _ := out["tasks"].(map[string]any)
	list, _ := tasksExt["tasks"].([]any)
	list = append([]any(nil), list...)
	for j := 0; j < extra; j++ {
		list = append(list, map[string]any{"id": fmt.Sprintf("T-%d", 1000+j), "title": fmt.Sprintf("Check backup %d of the orders database", j), "assignee": user, "status": "pending"})
	}
	out["tasks"] = map[string]any{"tasks": list}
	return out
}
