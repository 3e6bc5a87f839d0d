package mcpext

import (
	"encoding/json"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

func lvl(n int) *int  { return &n }
func bp(b bool) *bool { return &b }

// Annotations are untrusted hints: they may raise a level above the
// overlay's, never lower it; a tool the overlay does not describe is the
// worst case, or refused when its hints say it is destructive.
func TestOverlayRules(t *testing.T) {
	schema := json.RawMessage(`{"type":"object","properties":{"name":{"type":"string"}}}`)
	read := &mcp.ToolAnnotations{ReadOnlyHint: true}
	additive := &mcp.ToolAnnotations{DestructiveHint: bp(false)}
	destructive := &mcp.ToolAnnotations{DestructiveHint: bp(true)}
	titleOnly := &mcp.ToolAnnotations{Title: "Thing"}
	for _, c := range []struct {
		name     string
		ann      *mcp.ToolAnnotations
		overlay  *int
		want     int
		opaque   bool
		wantNote string
	}{
		{"overlay read, hint read", read, lvl(0), 0, false, ""},
		{"overlay read, hint additive raises", additive, lvl(0), 1, false, "X003"},
		{"overlay write, hint destructive raises", destructive, lvl(1), 3, false, "X003"},
		{"missing destructive hint is the worst case", titleOnly, lvl(0), 3, false, "X003"},
		{"hint read never lowers the overlay", read, lvl(2), 2, false, ""},
		{"overlay without hints stands", nil, lvl(1), 1, false, ""},
		{"no overlay, no hints: worst case", nil, nil, 3, true, ""},
		{"no overlay, hint read is not trusted", read, nil, 3, true, ""},
		{"no overlay, hint additive is not trusted", additive, nil, 3, true, ""},
		{"no overlay, destructive: refused by M022", destructive, nil, 3, false, "X002"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ov := &Overlay{Tools: map[string]ToolOverlay{}}
			if c.overlay != nil {
				ov.Tools["getThing"] = ToolOverlay{SafetyLevel: c.overlay, Scopes: []string{"x:read"}}
			}
			sy := synthesise("things", &mcp.Implementation{Name: "things", Version: "v2.1.0"}, []*mcp.Tool{{Name: "getThing", Description: "d", InputSchema: schema, Annotations: c.ann}}, ov)
			tl := sy.m.Tools[0]
			if tl.Name != "get_thing" || *tl.SafetyLevel != c.want || tl.Opaque != c.opaque {
				t.Fatalf("tool %+v (level %d)", tl, *tl.SafetyLevel)
			}
			got := ""
			for _, n := range sy.notes {
				got = n.Rule
			}
			if got != c.wantNote {
				t.Fatalf("notes %+v, want %s", sy.notes, c.wantNote)
			}
			if sy.m.Version != "2.1.0" || sy.names["get_thing"] != "getThing" {
				t.Fatalf("manifest %+v names %v", sy.m, sy.names)
			}
		})
	}
}

func TestStewardName(t *testing.T) {
	for in, want := range map[string]string{"getIssue": "get_issue", "get-issue": "get_issue", "read_file": "read_file", "HTTPGet": "httpget", "a.b c/d": "a_b_c_d"} {
		if got := stewardName(in, ""); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
}
