package mcpext

import (
	"encoding/json"
	"regexp"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/steward-os/steward/internal/fuzzcheck"
	"github.com/steward-os/steward/internal/strict"
	"github.com/steward-os/steward/kernel/manifest"
)

var noteRule = regexp.MustCompile(`^X[0-9]{3}$`)

// FuzzOverlay: an overlay document (an overlay_file, YAML or JSON) and a
// server's tools/list answer, both outside input, through the decoding
// and the synthesis of the server's manifest. Nothing panics; every note
// and every manifest issue names its rule and is plain; a tool's level is
// never below what its overlay entry says nor below what its annotations
// allow, and a tool the overlay does not describe is level 3; and when
// the manifest validates, each Steward tool name stands for exactly one
// of the server's tools.
func FuzzOverlay(f *testing.F) {
	tools := `[{"name":"getThing","description":"d","inputSchema":{"type":"object","properties":{"name":{"type":"string"}}},"annotations":{"readOnlyHint":true}},` +
		`{"name":"deleteThing","description":"d","inputSchema":{"type":"object"},"annotations":{"destructiveHint":true}},` +
		`{"name":"make-thing","inputSchema":{"type":"object"},"annotations":{"destructiveHint":false,"title":"Make"}}]`
	for _, s := range []struct{ ov, tools string }{
		{`{}`, tools},
		{"tools:\n  getThing: {safety_level: 0, scopes: [x:read]}\n", tools},
		{"tools:\n  deleteThing: {safety_level: 1, scopes: [x:write]}\n", tools},
		{"version: 2.0.0\nscopes: [x:read, x:write]\ntools:\n  getThing: {name: fetch, safety_level: 0, scopes: [x:read]}\n  ghost: {safety_level: 0}\n", tools},
		{"tools:\n  getThing: {parameters: {type: object}}\n", tools},
		{`{"tools":{"getThing":{"safety_level":9}}}`, `[{"name":"getThing"},{"name":"get_thing"},{"name":"get-thing"}]`},
		{`[]`, `[]`}, {`{}`, `[{"name":""}]`}, {`{}`, `null`},
	} {
		f.Add([]byte(s.ov), []byte(s.tools))
	}
	f.Fuzz(func(t *testing.T, ovDoc, toolsDoc []byte) {
		var ov Overlay
		if err := strict.Decode(ovDoc, &ov); err != nil {
			fuzzcheck.Plain(t, err.Error(), ovDoc)
			return
		}
		if err := ov.check(); err != nil {
			fuzzcheck.Plain(t, err.Error(), ovDoc)
			return
		}
		var listed []*mcp.Tool
		if json.Unmarshal(toolsDoc, &listed) != nil {
			return
		}
		for _, tl := range listed {
			if tl == nil {
				return // the client library never hands a nil tool
			}
		}
		sy := synthesise("things", &mcp.Implementation{Name: "things", Version: "v1.0.0"}, listed, &ov)
		input := append(append([]byte{}, ovDoc...), toolsDoc...)
		for _, n := range sy.notes {
			if !noteRule.MatchString(n.Rule) || n.Message == "" {
				t.Fatalf("note without a rule or message: %+v", n)
			}
			fuzzcheck.Plain(t, n.Message+" "+n.Fix, input)
		}
		if len(sy.m.Tools) != len(listed) {
			t.Fatalf("%d tools listed, %d synthesised", len(listed), len(sy.m.Tools))
		}
		collide := checkLevels(t, &ov, listed, sy)
		issues := manifest.Validate(&sy.m)
		for _, is := range issues {
			if is.Rule == "" || is.Message == "" {
				t.Fatalf("issue without a rule or message: %+v", is)
			}
			fuzzcheck.Plain(t, is.Message+" "+is.Fix, input)
		}
		if manifest.HasErrors(issues) {
			return
		}
		if collide {
			t.Fatalf("a valid manifest although two server tools share a Steward name: %v", sy.names)
		}
		servers := map[string]bool{}
		for _, mt := range sy.m.Tools {
			s, ok := sy.names[mt.Name]
			if !ok || servers[s] {
				t.Fatalf("a valid manifest whose tool %q names no server tool, or one already named (%q): %v", mt.Name, s, sy.names)
			}
			servers[s] = true
		}
	})
}

// checkLevels: each synthesised tool's level against its overlay entry
// and its annotations. Tools whose Steward names collide are left to the
// manifest rules (a name given twice is refused), which the caller checks.
func checkLevels(t *testing.T, ov *Overlay, listed []*mcp.Tool, sy synthesis) (collide bool) {
	t.Helper()
	byName := map[string][]manifest.Tool{}
	for _, mt := range sy.m.Tools {
		byName[mt.Name] = append(byName[mt.Name], mt)
	}
	for _, tl := range listed {
		floor, hinted := hintFloor(tl.Annotations)
		te, described := ov.Tools[tl.Name]
		same := byName[stewardName(tl.Name, te.Name)]
		if len(same) != 1 {
			collide = true
			continue
		}
		mt := same[0]
		if mt.SafetyLevel == nil {
			if described && te.SafetyLevel == nil {
				continue // the overlay gave no level: the manifest rules refuse it
			}
			t.Fatalf("tool %q without a level", tl.Name)
		}
		lvl := *mt.SafetyLevel
		switch {
		case !described && lvl != 3:
			t.Fatalf("undescribed tool %q at level %d, want 3", tl.Name, lvl)
		case described && te.SafetyLevel != nil && lvl < *te.SafetyLevel:
			t.Fatalf("tool %q lowered from the overlay's %d to %d", tl.Name, *te.SafetyLevel, lvl)
		case described && te.SafetyLevel != nil && hinted && lvl < floor:
			t.Fatalf("tool %q at %d, below its annotations' floor %d", tl.Name, lvl, floor)
		}
	}
	return collide
}
