package sdktest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"

	"go.yaml.in/yaml/v3"

	"github.com/steward-os/steward/internal/narrate"
)

// WorldSection reads a world file (configs/world.yaml) and returns the JSON
// of one extension's section for one tenant, as the kernel passes it to
// that extension's Seed. A tenant or section that is absent yields "null".
func WorldSection(path, tenant, extension string) (json.RawMessage, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var world struct {
		Tenants map[string]map[string]any `yaml:"tenants"`
	}
	if err := yaml.Unmarshal(raw, &world); err != nil {
		return nil, fmt.Errorf("sdktest: %s: %w", path, err)
	}
	section, err := json.Marshal(world.Tenants[tenant][extension])
	if err != nil {
		return nil, fmt.Errorf("sdktest: %s: tenants.%s.%s: %w", path, tenant, extension, err)
	}
	return section, nil
}

// ManifestParam is a parameter annotation of a manifest tool.
type ManifestParam struct {
	Resource    string   `yaml:"resource"`
	Enum        []string `yaml:"enum"`
	Description string   `yaml:"description"`
}

// ManifestTool is a manifest tool as tests check it.
type ManifestTool struct {
	Name         string                   `yaml:"name"`
	Description  string                   `yaml:"description"`
	Level        int                      `yaml:"safety_level"`
	Scopes       []string                 `yaml:"scopes"`
	Targets      []string                 `yaml:"targets"`
	Reversible   *bool                    `yaml:"reversible"`
	DangerPhrase string                   `yaml:"danger_phrase"`
	Backup       string                   `yaml:"backup"`
	BackupArgs   map[string]string        `yaml:"backup_args"`
	Params       map[string]ManifestParam `yaml:"params"`
	Examples     []string                 `yaml:"examples"`
	Keywords     []string                 `yaml:"keywords"`
	Propose      string                   `yaml:"propose"`
	Narrate      string                   `yaml:"narrate"`
	LongRunning  bool                     `yaml:"long_running"`
	MaxDuration  string                   `yaml:"max_duration"`
	Idempotent   bool                     `yaml:"idempotent"`
	// Unless are the tool's cheap preconditions (docs/manifest.md).
	Unless []ManifestUnless `yaml:"unless"`
}

// ManifestUnless is one precondition: when the resource named by Param
// has Attr equal to Is, the change has nothing to do and Say is the reply.
type ManifestUnless struct {
	Param string `yaml:"param"`
	Attr  string `yaml:"attr"`
	Is    string `yaml:"is"`
	Say   string `yaml:"say"`
}

// ManifestTools decodes the tools of a YAML (or JSON) manifest, keyed by
// name. Decoding is strict, as the kernel's is: an unknown key anywhere
// (often a stray comma in a flow mapping) is an error.
func ManifestTools(manifest []byte) (map[string]ManifestTool, error) {
	var m struct {
		ID               string   `yaml:"id"`
		Version          string   `yaml:"version"`
		ProtocolVersion  string   `yaml:"protocol_version"`
		ConformanceLevel int      `yaml:"conformance_level"`
		Description      string   `yaml:"description"`
		Scopes           []string `yaml:"scopes"`
		Resources        []struct {
			Kind  string `yaml:"kind"`
			Level string `yaml:"level"`
		} `yaml:"resources"`
		Tools []ManifestTool `yaml:"tools"`
		// Probes are checked for their shape only (docs/manifest.md).
		Probes []struct {
			Name        string   `yaml:"name"`
			Description string   `yaml:"description"`
			SafetyLevel *int     `yaml:"safety_level"`
			Scopes      []string `yaml:"scopes"`
			Series      []string `yaml:"series"`
			Interval    string   `yaml:"interval"`
			Narrate     string   `yaml:"narrate"`
		} `yaml:"probes"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(manifest))
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	out := make(map[string]ManifestTool, len(m.Tools))
	for _, t := range m.Tools {
		out[t.Name] = t
	}
	return out, nil
}

// Render executes a manifest template (propose over arguments, narrate over
// a result) with the kernel's own renderer, [narrate.Render], so a test sees
// exactly what the kernel would say. The value is marshalled to JSON and
// decoded into generic maps first, as the kernel holds arguments and results.
// A missing key is tolerated where the template only tests it ({{if .x}},
// {{with index . "x"}}); a template that prints a missing or null value
// ("<no value>") is an error, where the kernel would fall back to the tool id
// (propose) or the plain listing of the result (narrate).
func Render(tmpl string, v any) (string, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	var data any
	if err := json.Unmarshal(raw, &data); err != nil {
		return "", err
	}
	return narrate.Render(tmpl, data)
}
