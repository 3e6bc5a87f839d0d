// Package manifest parses and validates extension manifests.
//
// Contract. Parse decodes YAML or JSON strictly: an unknown key is an issue
// with its path, never silently ignored. Validate is categorical and
// all-or-nothing: it returns every issue it finds, each with a stable rule
// id (documented in docs/manifest.md), a severity, the path of the offending
// value, a plain message and a suggested fix. A manifest with any
// error-severity issue must not be registered. This package performs no I/O
// beyond reading the bytes it is given.
package manifest

import (
	"encoding/json"
)

// ProtocolVersion is the extension protocol this kernel speaks.
const ProtocolVersion = "1"

// Manifest declares an extension: identity, version, what it may touch, and
// its tools.
type Manifest struct {
	ID               string   `json:"id"`
	Version          string   `json:"version"`
	ProtocolVersion  string   `json:"protocol_version"`
	ConformanceLevel int      `json:"conformance_level"`
	Description      string   `json:"description"`
	Scopes           []string `json:"scopes"`
	// Resources lists the resource kinds this extension's context provider
	// describes and the ICNLI context level of each (L4 environment, L5
	// application, L6 resource; default L6). The extension itself is the
	// L3 service; relations are L7 (inside it) and L8 (across services).
	Resources []ResourceKind `json:"resources,omitempty"`
	Tools     []Tool         `json:"tools"`
	// Probes are the extension's read-only measurements for the
	// background refresh (probe.go).
	Probes []Probe `json:"probes,omitempty"`
}

// ResourceKind places a resource kind at a context level.
type ResourceKind struct {
	Kind  string `json:"kind"`
	Level string `json:"level"`
}

// LevelOf returns the context level of a kind ("L6" when undeclared).
func (m *Manifest) LevelOf(kind string) string {
	for _, r := range m.Resources {
		if r.Kind == kind && r.Level != "" {
			return r.Level
		}
	}
	return "L6"
}

// Tool declares one tool.
type Tool struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	// SafetyLevel is a pointer so that a missing level is an error (SAFE-01)
	// rather than a silent 0.
	SafetyLevel *int     `json:"safety_level"`
	Scopes      []string `json:"scopes"`
	// Targets names the parameters whose values are the resources the tool
	// changes (impact analysis).
	Targets []string `json:"targets,omitempty"`
	// Reversible says whether the change can be undone without the backup.
	Reversible *bool `json:"reversible,omitempty"`
	// DangerPhrase names the parameter whose value the user must type to
	// confirm (level 4).
	DangerPhrase string `json:"danger_phrase,omitempty"`
	// Backup names a tool of the same extension that the kernel runs first
	// (levels 3–4), with BackupArgs mapping its parameters to this tool's
	// parameters (default: parameters of the same name).
	Backup     string            `json:"backup,omitempty"`
	BackupArgs map[string]string `json:"backup_args,omitempty"`
	// Parameters is the tool's full JSON Schema. Go tools may leave it out:
	// it is inferred from the handler's parameter struct and Params is laid
	// over it.
	Parameters json.RawMessage `json:"parameters,omitempty"`
	// Params annotates parameters: resource kind, enum, description.
	Params map[string]Param `json:"params,omitempty"`
	// Returns is the result's JSON Schema (inferred for Go tools when absent).
	Returns  json.RawMessage `json:"returns,omitempty"`
	Examples []string        `json:"examples"`
	Keywords []string        `json:"keywords,omitempty"`
	// Propose is a text/template over the arguments, used as the proposal
	// summary ("Restart {{.server}}").
	Propose string `json:"propose,omitempty"`
	// Narrate is a text/template over the result, used as the reply.
	Narrate string `json:"narrate,omitempty"`
	// LongRunning asks the kernel to run the tool as a background task at
	// once instead of inline first.
	LongRunning bool `json:"long_running,omitempty"`
	// Unless lists cheap preconditions: states in which the change has
	// nothing to do (unless.go).
	Unless []Unless `json:"unless,omitempty"`
	// MaxDuration opts in to a task cap above the default (180 s), up to
	// 30m, as a Go duration ("20m").
	MaxDuration string `json:"max_duration,omitempty"`
	// Idempotent says a run interrupted by a restart may be started again
	// with the same arguments.
	Idempotent bool `json:"idempotent,omitempty"`
	// Opaque says the kernel cannot know what the tool changes (a tool of
	// an MCP server that neither an overlay nor annotations describe):
	// its proposals show the impact "unknown external effect", it needs no
	// targets or backup (M019, M022 do not apply), and it must be at level
	// 2 or 3 (M035).
	Opaque bool `json:"opaque,omitempty"`
}

// Param annotates one parameter.
type Param struct {
	Resource    string   `json:"resource,omitempty"`
	Enum        []string `json:"enum,omitempty"`
	Description string   `json:"description,omitempty"`
}

// Level returns the tool's safety level, or -1 when it is missing.
func (t Tool) Level() int {
	if t.SafetyLevel == nil {
		return -1
	}
	return *t.SafetyLevel
}
