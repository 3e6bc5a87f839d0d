package manifest_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/steward-os/steward/kernel/manifest"
)

const good = `
id: demo
version: 1.2.3
protocol_version: "1"
conformance_level: 1
description: Demo things.
scopes: [demo:read, demo:write]
tools:
  - name: list_things
    description: List things.
    safety_level: 0
    scopes: [demo:read]
    examples: [list things]
  - name: copy_thing
    description: Copy a thing.
    safety_level: 1
    scopes: [demo:write]
    examples: [copy thing a]
  - name: drop_thing
    description: Drop a thing.
    safety_level: 4
    scopes: [demo:write]
    targets: [thing]
    reversible: false
    danger_phrase: thing
    backup: copy_thing
    parameters: {type: object, properties: {thing: {type: string}}, required: [thing]}
    examples: [drop thing a]
`

func errRules(issues []manifest.Issue) []string {
	var out []string
	for _, i := range issues {
		if i.Severity == manifest.SeverityError {
			out = append(out, i.Rule)
		}
	}
	return out
}

// EXT-01 EXT-02 EXT-03 SAFE-01: the manifest is validated categorically with structured issues.
func TestRules(t *testing.T) {
	if _, issues := manifest.Parse([]byte(good)); manifest.HasErrors(issues) {
		t.Fatalf("good manifest: %+v", issues)
	}
	cases := []struct {
		name, from, to, rule string
	}{
		{"unknown key", "id: demo", "id: demo\nowner: x", "M000"},
		{"bad id", "id: demo", "id: Demo!", "M001"},
		{"bad version", "version: 1.2.3", "version: one", "M002"},
		{"protocol", `protocol_version: "1"`, `protocol_version: "9"`, "M003"},
		{"conformance", "conformance_level: 1", "conformance_level: 7", "M004"},
		{"description", "description: Demo things.", "description: ''", "M006"},
		{"no scopes", "scopes: [demo:read, demo:write]", "scopes: []", "M007"},
		{"bad scope", "scopes: [demo:read, demo:write]", "scopes: [demo:read, demo:write, 'x y']", "M008"},
		{"duplicate tool", "  - name: copy_thing", "  - name: list_things", "M012"},
		{"missing level", "    safety_level: 0\n", "", "M014"},
		{"level out of range", "safety_level: 1", "safety_level: 5", "M015"},
		{"tool without scopes", "    scopes: [demo:read]\n    examples: [list things]", "    examples: [list things]", "M016"},
		{"undeclared scope", "    scopes: [demo:read]\n    examples: [list things]", "    scopes: [other:read]\n    examples: [list things]", "M017"},
		{"target not a parameter", "targets: [thing]", "targets: [thing, other]", "M018"},
		{"level 4 without phrase", "    danger_phrase: thing\n", "", "M020"},
		{"level 4 without backup", "    backup: copy_thing\n", "", "M022"},
		{"backup unknown", "backup: copy_thing", "backup: nope", "M023"},
		{"backup too dangerous", "backup: copy_thing", "backup: drop_thing", "M024"},
		{"no examples", "    examples: [drop thing a]", "    examples: []", "M027"},
		{"template", "    examples: [list things]", "    examples: [list things]\n    narrate: '{{.x'", "M028"},
		{"reversible missing", "    reversible: false\n", "", "M029"},
		{"not yaml", "id: demo", "id: [demo", "M999"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc := strings.Replace(good, c.from, c.to, 1)
			if doc == good {
				t.Fatalf("replacement %q did not apply", c.from)
			}
			_, issues := manifest.Parse([]byte(doc))
			got := errRules(issues)
			found := false
			for _, r := range got {
				found = found || r == c.rule
			}
			if !found {
				t.Fatalf("rules %v, want %s", got, c.rule)
			}
			for _, i := range issues {
				if i.Path == "" || i.Message == "" || i.Fix == "" {
					t.Errorf("incomplete issue %+v", i)
				}
			}
		})
	}
}

// Every rule id used in the code is documented.
func TestRulesDocumented(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "manifest.md"))
	if err != nil {
		t.Fatalf("docs/manifest.md: %v", err)
	}
	src := ""
	for _, f := range []string{"validate.go", "bind.go", "probe.go", filepath.Join("..", "internal", "registry", "registry.go")} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src += string(b)
	}
	for _, id := range ruleIDs(src) {
		if !strings.Contains(string(doc), id) {
			t.Errorf("rule %s is not documented in docs/manifest.md", id)
		}
	}
}

func ruleIDs(src string) []string {
	seen := map[string]bool{}
	var out []string
	for i := 0; i+6 <= len(src); i++ {
		if src[i] == '"' && (src[i+1] == 'M' || src[i+1] == 'B' || src[i+1] == 'K') && isDigits(src[i+2:i+5]) && src[i+5] == '"' {
			id := src[i+1 : i+5]
			if !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
	}
	return out
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// The shipped manifests are valid.
func TestShippedManifests(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join("..", "..", "extensions", "*", "manifest.yaml"))
	if len(paths) < 3 {
		t.Fatalf("found %d manifests", len(paths))
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, issues := manifest.Parse(b); manifest.HasErrors(issues) {
			t.Errorf("%s: %+v", p, issues)
		}
	}
}
