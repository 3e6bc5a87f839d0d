package manifest_test

import (
	"context"
	"slices"
	"testing"

	"github.com/steward-os/steward/kernel/manifest"
	"github.com/steward-os/steward/sdk"
)

const probed = good + `probes:
  - name: thing_load
    description: Load of every thing.
    scopes: [demo:read]
    series: [load_percent]
    interval: 1m
`

// EXT-02: probes are validated like tools, with their own rules.
func TestProbeRules(t *testing.T) {
	if _, issues := manifest.Parse([]byte(probed)); manifest.HasErrors(issues) {
		t.Fatalf("good manifest: %+v", issues)
	}
	cases := []struct {
		name, from, to, rule string
	}{
		{"bad name", "name: thing_load", "name: Thing-Load", "M011"},
		{"name of a tool", "name: thing_load", "name: list_things", "M036"},
		{"no description", "description: Load of every thing.", "description: ' '", "M013"},
		{"writes", "series: [load_percent]", "series: [load_percent]\n    safety_level: 1", "M037"},
		{"no scopes", "scopes: [demo:read]\n    series", "scopes: []\n    series", "M016"},
		{"undeclared scope", "scopes: [demo:read]\n    series", "scopes: [other:read]\n    series", "M017"},
		{"no series", "series: [load_percent]", "series: []", "M038"},
		{"bad series", "series: [load_percent]", "series: [Load]", "M038"},
		{"series twice", "series: [load_percent]", "series: [a, a]", "M038"},
		{"interval too short", "interval: 1m", "interval: 1s", "M039"},
		{"interval not a duration", "interval: 1m", "interval: often", "M039"},
		{"bad template", "interval: 1m", "interval: 1m\n    narrate: '{{.x'", "M028"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc := replaceLast(probed, c.from, c.to)
			_, issues := manifest.Parse([]byte(doc))
			if !slices.Contains(errRules(issues), c.rule) {
				t.Fatalf("want %s, got %+v", c.rule, issues)
			}
		})
	}
}

// replaceLast replaces the last occurrence (the probe's, after the tools).
func replaceLast(s, from, to string) string {
	i := len(s) - len(from)
	for ; i >= 0; i-- {
		if s[i:i+len(from)] == from {
			return s[:i] + to + s[i+len(from):]
		}
	}
	panic("no " + from)
}

type thingParams struct {
	Thing string `json:"thing"`
}

func toolHandlers() []sdk.Handler {
	nop := func(context.Context, sdk.Call[struct{}]) (struct{}, error) { return struct{}{}, nil }
	return []sdk.Handler{sdk.Tool("list_things", nop), sdk.Tool("copy_thing", nop),
		sdk.Tool("drop_thing", func(context.Context, sdk.Call[thingParams]) (struct{}, error) { return struct{}{}, nil })}
}

// B001, B007: a probe is bound to a probe handler, a tool to a tool's.
func TestProbeBinding(t *testing.T) {
	m, _ := manifest.Parse([]byte(probed))
	probe := sdk.Probe("thing_load", func(context.Context, sdk.ProbeCall) ([]sdk.Observation, error) { return nil, nil })
	bound, issues := manifest.Bind(m, append(toolHandlers(), probe))
	if manifest.HasErrors(issues) {
		t.Fatalf("bind: %+v", issues)
	}
	if b := bound["thing_load"]; b == nil || b.Tool.Level() != 0 || len(b.Schema.Properties) != 0 {
		t.Fatalf("probe bound as %+v", b)
	}
	nop := func(context.Context, sdk.Call[struct{}]) (struct{}, error) { return struct{}{}, nil }
	for name, hs := range map[string][]sdk.Handler{
		"B001": toolHandlers(),
		"B007": append(toolHandlers(), sdk.Tool("thing_load", nop)),
	} {
		if _, issues := manifest.Bind(m, hs); !slices.Contains(errRules(issues), name) {
			t.Errorf("want %s, got %+v", name, issues)
		}
	}
	hs := toolHandlers()
	hs[0] = sdk.Probe("list_things", func(context.Context, sdk.ProbeCall) ([]sdk.Observation, error) { return nil, nil })
	if _, issues := manifest.Bind(m, append(hs, probe)); !slices.Contains(errRules(issues), "B007") {
		t.Errorf("a tool bound to a probe handler: %+v", issues)
	}
}
