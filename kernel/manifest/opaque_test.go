package manifest_test

import (
	"strings"
	"testing"

	"github.com/steward-os/steward/kernel/manifest"
)

const opaqueDoc = `
id: ext
version: 1.0.0
protocol_version: "1"
conformance_level: 1
description: An external service.
scopes: [ext:write]
tools:
  - name: act
    description: Does something nobody described.
    safety_level: LEVEL
    scopes: [ext:write]
    reversible: false
    opaque: true
    examples: [act]
`

// An opaque tool (unknown external effect) needs no targets or backup at
// level 2 or 3, and may be nothing else (M035).
func TestOpaqueTool(t *testing.T) {
	for lvl, want := range map[string]string{"0": "M035", "1": "M035", "2": "", "3": "", "4": "M035"} {
		_, issues := manifest.Parse([]byte(strings.Replace(opaqueDoc, "LEVEL", lvl, 1)))
		var rules []string
		for _, i := range issues {
			if i.Severity == manifest.SeverityError {
				rules = append(rules, i.Rule)
			}
		}
		if want == "" && len(rules) > 0 || want != "" && !strings.Contains(strings.Join(rules, ","), want) {
			t.Errorf("level %s: %v, want %q", lvl, rules, want)
		}
		if strings.Contains(strings.Join(rules, ","), "M019") || strings.Contains(strings.Join(rules, ","), "M022") {
			t.Errorf("level %s: an opaque tool was asked for targets or a backup: %v", lvl, rules)
		}
	}
}
