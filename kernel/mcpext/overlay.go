package mcpext

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"unicode"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"golang.org/x/mod/semver"

	"github.com/steward-os/steward/internal/strict"
	"github.com/steward-os/steward/kernel/manifest"
	"github.com/steward-os/steward/sdk"
)

// Overlay is what MCP does not say about a server and its tools: the
// manifest's fields that the server's tools/list cannot give. Tools are
// keyed by the name the server lists them under.
type Overlay struct {
	Version          string                  `json:"version,omitempty"`
	Description      string                  `json:"description,omitempty"`
	ConformanceLevel int                     `json:"conformance_level,omitempty"`
	Scopes           []string                `json:"scopes,omitempty"`
	Resources        []manifest.ResourceKind `json:"resources,omitempty"`
	// Context is the resources the server's tools act on and their
	// relations (for impact and cascade), in every tenant it serves.
	Context []sdk.Resource         `json:"context,omitempty"`
	Tools   map[string]ToolOverlay `json:"tools,omitempty"`
}

// ToolOverlay is one tool's part of the overlay: a manifest tool without
// its parameters and return shape, which are the server's (giving them,
// or opaque, is an error). Its name, when given, is the tool's name in
// Steward (default: the server's, in snake case).
type ToolOverlay = manifest.Tool

// check refuses what an overlay may not say.
func (ov *Overlay) check() error {
	for _, name := range sortedKeys(ov.Tools) {
		t := ov.Tools[name]
		if len(t.Parameters) > 0 || len(t.Returns) > 0 || t.Opaque {
			return fmt.Errorf("overlay.tools.%s: parameters, returns and opaque come from the server, not the overlay", name)
		}
	}
	return nil
}

// overlay is the block's overlay, inline or read from its file.
func (s *Server) overlay() (*Overlay, error) {
	if s.OverlayFile == "" {
		if s.Overlay == nil {
			return &Overlay{}, nil
		}
		return s.Overlay, s.Overlay.check()
	}
	b, err := os.ReadFile(s.OverlayFile)
	if err != nil {
		return nil, fmt.Errorf("overlay_file: %w", err)
	}
	var ov Overlay
	if err := strict.Decode(b, &ov); err != nil {
		return nil, fmt.Errorf("overlay_file %s: %w", s.OverlayFile, err)
	}
	return &ov, ov.check()
}

// Opaque is the impact shown for a tool nothing describes.
const Opaque = "unknown external effect"

// synthesis is a manifest made from a server's tools and its overlay,
// with the notes (warnings) that explain how levels were reached, and the
// server's name of each Steward tool.
type synthesis struct {
	m     manifest.Manifest
	notes []manifest.Issue
	names map[string]string // Steward tool name → the server's
}

// synthesise builds the manifest of the server id from its tools and
// overlay. It never refuses: the manifest rules do, when the kernel
// validates what it builds (a tool destructive by its hints with no
// overlay comes out at level 3 without a backup, which M022 refuses).
func synthesise(id string, info *mcp.Implementation, tools []*mcp.Tool, ov *Overlay) synthesis {
	sy := synthesis{names: map[string]string{}}
	m := manifest.Manifest{ID: id, Version: version(ov, info), ProtocolVersion: manifest.ProtocolVersion,
		ConformanceLevel: ov.ConformanceLevel, Description: ov.Description, Scopes: append([]string(nil), ov.Scopes...), Resources: ov.Resources}
	if m.ConformanceLevel == 0 {
		m.ConformanceLevel = 1
	}
	if m.Description == "" {
		m.Description = "Tools of the MCP server " + serverName(info, id) + "."
	}
	listed := map[string]bool{}
	for _, t := range tools {
		listed[t.Name] = true
		te, ok := ov.Tools[t.Name]
		var mt manifest.Tool
		if ok {
			mt = sy.overlaid(t, te)
		} else {
			mt = sy.bare(id, t)
			if !contains(m.Scopes, mt.Scopes[0]) {
				m.Scopes = append(m.Scopes, mt.Scopes[0])
			}
		}
		sy.names[mt.Name] = t.Name
		m.Tools = append(m.Tools, mt)
	}
	for i := range m.Tools { // a backup may be named as the server names it
		if b := m.Tools[i].Backup; b != "" {
			if te, ok := ov.Tools[b]; ok && listed[b] {
				m.Tools[i].Backup = stewardName(b, te.Name)
			}
		}
	}
	for _, name := range sortedKeys(ov.Tools) {
		if !listed[name] {
			sy.note("X001", "overlay.tools."+name, fmt.Sprintf("the overlay describes %q, which the server does not list", name), "remove the entry, or check the server's tool names")
		}
	}
	sort.SliceStable(m.Tools, func(i, j int) bool { return m.Tools[i].Name < m.Tools[j].Name })
	sy.m = m
	return sy
}

// overlaid is a tool the overlay describes: the overlay's fields, the
// server's schemas, and a level its hints may raise but never lower.
func (sy *synthesis) overlaid(t *mcp.Tool, te ToolOverlay) manifest.Tool {
	mt := te
	mt.Name = stewardName(t.Name, te.Name)
	if mt.Description == "" {
		mt.Description = t.Description
	}
	schemas(&mt, t)
	if floor, hinted := hintFloor(t.Annotations); hinted && te.SafetyLevel != nil && floor > *te.SafetyLevel {
		sy.note("X003", "tools."+t.Name, fmt.Sprintf("the server's annotations raise %q from level %d to %d", t.Name, *te.SafetyLevel, floor),
			"annotations may raise a level, never lower it; describe the tool for its real level (targets, and a backup at level 3–4)")
		mt.SafetyLevel = &floor
	}
	return mt
}

// bare is a tool the overlay does not describe. Its hints are untrusted,
// so none lowers it: it is the worst case, level 3 and opaque ("unknown
// external effect") — unless its hints say it is destructive: then it is
// a known level-3 tool with no backup, which the manifest rules refuse
// until an overlay gives one.
func (sy *synthesis) bare(id string, t *mcp.Tool) manifest.Tool {
	lvl, no := 3, false
	mt := manifest.Tool{Name: stewardName(t.Name, ""), Description: t.Description, SafetyLevel: &lvl, Scopes: []string{id + ":write"},
		Reversible: &no, Examples: []string{example(t)}}
	schemas(&mt, t)
	if floor, hinted := hintFloor(t.Annotations); hinted && floor >= 3 {
		sy.note("X002", "tools."+t.Name, fmt.Sprintf("%q is destructive by its annotations and the overlay does not describe it: a level-3 tool needs targets and a backup", t.Name),
			"add an overlay entry for it with safety_level, targets, reversible and backup")
		return mt
	}
	mt.Opaque = true
	return mt
}

func (sy *synthesis) note(rule, path, msg, fix string) {
	sy.notes = append(sy.notes, manifest.Issue{Rule: rule, Severity: manifest.SeverityWarning, Path: path, Message: msg, Fix: fix})
}

// hintFloor is the lowest level a tool's annotations allow, as the
// specification reads them (destructiveHint defaults to true for a tool
// that is not read-only); hinted is false without annotations.
func hintFloor(a *mcp.ToolAnnotations) (floor int, hinted bool) {
	switch {
	case a == nil:
		return 0, false
	case a.ReadOnlyHint:
		return 0, true
	case a.DestructiveHint == nil || *a.DestructiveHint:
		return 3, true
	}
	return 1, true
}

// schemas copies the server's input and output schemas into the tool.
func schemas(mt *manifest.Tool, t *mcp.Tool) {
	if t.InputSchema != nil {
		mt.Parameters, _ = json.Marshal(t.InputSchema)
	}
	if t.OutputSchema != nil {
		mt.Returns, _ = json.Marshal(t.OutputSchema)
	}
}

// stewardName is the tool's name in Steward: the overlay's, or the
// server's in snake case ("getIssue", "get-issue" → "get_issue").
func stewardName(server, given string) string {
	if given != "" {
		return given
	}
	var b strings.Builder
	prev := rune(0)
	for _, r := range server {
		switch {
		case unicode.IsUpper(r):
			if prev != 0 && prev != '_' && !unicode.IsUpper(prev) {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(r))
		case r == '-' || r == '.' || r == ' ' || r == '/':
			b.WriteByte('_')
			r = '_'
		default:
			b.WriteRune(r)
		}
		prev = r
	}
	return b.String()
}

// example is a request synthesised for a tool the overlay does not
// describe: its title, or its name in words.
func example(t *mcp.Tool) string {
	if t.Title != "" {
		return t.Title
	}
	if t.Annotations != nil && t.Annotations.Title != "" {
		return t.Annotations.Title
	}
	return strings.ReplaceAll(stewardName(t.Name, ""), "_", " ")
}

// version is the overlay's, else the server's own when it is a semantic
// version, else 0.0.0.
func version(ov *Overlay, info *mcp.Implementation) string {
	if ov.Version != "" {
		return ov.Version
	}
	if info != nil {
		v := strings.TrimPrefix(info.Version, "v")
		if semver.IsValid("v"+v) && strings.Count(v, ".") >= 2 {
			return v
		}
	}
	return "0.0.0"
}

func serverName(info *mcp.Implementation, id string) string {
	switch {
	case info == nil:
		return id
	case info.Title != "":
		return info.Title
	case info.Name != "":
		return info.Name
	}
	return id
}

func contains(xs []string, x string) bool {
	for _, s := range xs {
		if s == x {
			return true
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
