package manifest

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"text/template"
	"time"

	"github.com/google/jsonschema-go/jsonschema"
	"golang.org/x/mod/semver"

	"github.com/steward-os/steward/internal/strict"
)

// Severity of an issue.
const (
	SeverityError   = "error"
	SeverityWarning = "warning"
)

// Issue is one finding of validation.
type Issue struct {
	Rule     string `json:"rule"`
	Severity string `json:"severity"`
	Path     string `json:"path"`
	Message  string `json:"message"`
	Fix      string `json:"fix"`
}

// HasErrors reports whether any issue has error severity.
func HasErrors(issues []Issue) bool {
	for _, i := range issues {
		if i.Severity == SeverityError {
			return true
		}
	}
	return false
}

// IssuesError wraps a list of issues as an error.
type IssuesError struct{ Issues []Issue }

func (e *IssuesError) Error() string {
	var b strings.Builder
	b.WriteString("manifest invalid:")
	for _, i := range e.Issues {
		if i.Severity == SeverityError {
			fmt.Fprintf(&b, " [%s %s] %s;", i.Rule, i.Path, i.Message)
		}
	}
	return b.String()
}

var (
	reID    = regexp.MustCompile(`^[a-z][a-z0-9_]{1,31}$`)
	reTool  = regexp.MustCompile(`^[a-z][a-z0-9_]{1,63}$`)
	reScope = regexp.MustCompile(`^[a-z][a-z0-9_]*:[a-z][a-z0-9_]*$`)
	// reSemver insists on all three numbers (semver.IsValid accepts "v1").
	reSemver = regexp.MustCompile(`^\d+\.\d+\.\d+(?:[-+].*)?$`)
)

// Parse decodes a YAML or JSON manifest strictly and validates it. The
// manifest is returned even when issues were found, when it could be decoded.
func Parse(data []byte) (*Manifest, []Issue) {
	var m Manifest
	if err := strict.Decode(data, &m); err != nil {
		var se *strict.Error
		if errors.As(err, &se) {
			var out []Issue
			for _, p := range se.Problems {
				rule, fix := "M000", "remove the key or correct its spelling"
				if p.Message != "unknown key" {
					rule, fix = "M999", "write the manifest as a YAML or JSON document of the documented shape"
				}
				out = append(out, Issue{Rule: rule, Severity: SeverityError, Path: p.Path, Message: p.Message, Fix: fix})
			}
			return nil, out
		}
		return nil, []Issue{{Rule: "M999", Severity: SeverityError, Path: "$", Message: err.Error(), Fix: "write the manifest as a YAML or JSON document"}}
	}
	return &m, Validate(&m)
}

// Validate checks every rule that needs only the manifest itself.
func Validate(m *Manifest) []Issue {
	var v validation
	v.checkIdentity(m)
	v.checkScopes(m)
	v.checkResources(m)
	names := v.checkTools(m)
	v.checkBackups(m, names)
	v.checkProbes(m, names)
	return v.out
}

// validation collects the issues Validate finds, in the order it finds them.
type validation struct{ out []Issue }

func (v *validation) add(rule, sev, path, msg, fix string) {
	v.out = append(v.out, Issue{Rule: rule, Severity: sev, Path: path, Message: msg, Fix: fix})
}

// checkIdentity checks who the extension says it is: id, version,
// protocol, conformance level and description.
func (v *validation) checkIdentity(m *Manifest) {
	if !reID.MatchString(m.ID) {
		v.add("M001", SeverityError, "id", fmt.Sprintf("id %q must be 2–32 lowercase letters, digits or _ and start with a letter", m.ID), "set id to a short lowercase name such as hosting")
	}
	if !semver.IsValid("v"+m.Version) || !reSemver.MatchString(m.Version) {
		v.add("M002", SeverityError, "version", fmt.Sprintf("version %q is not a semantic version", m.Version), "use MAJOR.MINOR.PATCH, e.g. 1.0.0")
	}
	if m.ProtocolVersion != ProtocolVersion {
		v.add("M003", SeverityError, "protocol_version", fmt.Sprintf("protocol_version %q is not supported (this kernel speaks %q)", m.ProtocolVersion, ProtocolVersion), `set protocol_version: "`+ProtocolVersion+`"`)
	}
	if m.ConformanceLevel < 1 || m.ConformanceLevel > 3 {
		v.add("M004", SeverityError, "conformance_level", fmt.Sprintf("conformance_level %d must be 1, 2 or 3", m.ConformanceLevel), "declare the ICNLI conformance level the extension targets")
	}
	if strings.TrimSpace(m.Description) == "" {
		v.add("M006", SeverityError, "description", "description is empty", "describe what the extension manages; routers use it")
	}
}

// checkScopes checks the extension's own scopes.
func (v *validation) checkScopes(m *Manifest) {
	if len(m.Scopes) == 0 {
		v.add("M007", SeverityError, "scopes", "no scopes declared; an extension without scopes can reach nothing", "list the scopes the extension needs, e.g. [hosting:read, hosting:write]")
	}
	for i, s := range m.Scopes {
		if !reScope.MatchString(s) {
			v.add("M008", SeverityError, fmt.Sprintf("scopes[%d]", i), fmt.Sprintf("scope %q is not of the form area:verb", s), "write scopes as area:verb, e.g. hosting:read")
		}
	}
}

// checkResources checks the declared resource kinds and their levels.
func (v *validation) checkResources(m *Manifest) {
	kinds := map[string]bool{}
	for i, r := range m.Resources {
		p := fmt.Sprintf("resources[%d]", i)
		switch {
		case !reTool.MatchString(r.Kind):
			v.add("M032", SeverityError, p+".kind", fmt.Sprintf("resource kind %q must be lowercase letters, digits or _", r.Kind), "name kinds like server or dns_record")
		case kinds[r.Kind]:
			v.add("M032", SeverityError, p+".kind", fmt.Sprintf("resource kind %q is declared twice", r.Kind), "declare each kind once")
		}
		kinds[r.Kind] = true
		switch r.Level {
		case "L4", "L5", "L6":
		default:
			v.add("M033", SeverityError, p+".level", fmt.Sprintf("level %q is not a context level an extension's resources take", r.Level), "use L4 (environment), L5 (application) or L6 (resource); the extension itself is the L3 service and relations are L7/L8")
		}
	}
}

// checkTools checks every tool on its own and returns the index of each
// tool name (the last tool of a name declared twice).
func (v *validation) checkTools(m *Manifest) map[string]int {
	if len(m.Tools) == 0 {
		v.add("M010", SeverityError, "tools", "no tools declared", "declare at least one tool")
	}
	names := map[string]int{}
	for i, t := range m.Tools {
		p := fmt.Sprintf("tools[%d]", i)
		if !reTool.MatchString(t.Name) {
			v.add("M011", SeverityError, p+".name", fmt.Sprintf("tool name %q must be lowercase letters, digits or _", t.Name), "name tools like restart_server")
		}
		if j, dup := names[t.Name]; dup {
			v.add("M012", SeverityError, p+".name", fmt.Sprintf("tool %q is declared twice (also tools[%d])", t.Name, j), "give every tool a unique name")
		}
		names[t.Name] = i
		v.checkTool(m, p, t)
	}
	return names
}

// checkTool checks one tool, at path p, after its name.
func (v *validation) checkTool(m *Manifest, p string, t Tool) {
	if strings.TrimSpace(t.Description) == "" {
		v.add("M013", SeverityError, p+".description", "description is empty", "say what the tool does; routers use it")
	}
	v.checkLevel(p, t)
	v.checkToolScopes(m, p, t)
	v.checkSafety(p, t)
	v.checkMaxDuration(p, t)
	v.checkUnless(p, t) // unless.go
	if len(t.Examples) == 0 {
		v.add("M027", SeverityError, p+".examples", "no examples of how people ask for this tool", "add a few natural requests")
	}
	v.checkEnums(p, t)
	v.checkTemplates(p, t)
	v.checkSchemas(p, t)
}

// checkLevel checks that the tool declares a safety level in range.
func (v *validation) checkLevel(p string, t Tool) {
	lvl := t.Level()
	switch {
	case t.SafetyLevel == nil:
		v.add("M014", SeverityError, p+".safety_level", "safety_level is missing", "declare safety_level 0 (read) … 4 (critical)")
	case lvl < 0 || lvl > 4:
		v.add("M015", SeverityError, p+".safety_level", fmt.Sprintf("safety_level %d is outside 0–4", lvl), "use 0 read, 1 safe write, 2 write, 3 dangerous, 4 critical")
	}
}

// checkToolScopes checks that the tool has scopes, all declared by the
// extension.
func (v *validation) checkToolScopes(m *Manifest, p string, t Tool) {
	if len(t.Scopes) == 0 {
		v.add("M016", SeverityError, p+".scopes", "tool declares no scopes; scopes fail closed", "list the scopes the tool needs, e.g. [hosting:write]")
	}
	for j, s := range t.Scopes {
		if !slices.Contains(m.Scopes, s) {
			v.add("M017", SeverityError, fmt.Sprintf("%s.scopes[%d]", p, j), fmt.Sprintf("scope %q is not declared by the extension", s), "add it to the extension's scopes or remove it here")
		}
	}
}

// checkSafety checks what the tool's safety level requires: targets,
// reversibility, a danger phrase at level 4 and a backup at level 3 and up.
func (v *validation) checkSafety(p string, t Tool) {
	lvl := t.Level()
	if t.Opaque && (lvl < 2 || lvl > 3) {
		v.add("M035", SeverityError, p+".opaque", fmt.Sprintf("an opaque tool (unknown external effect) must be level 2 or 3, not %d", lvl), "describe the tool (targets, and a backup at level 3–4) instead of marking it opaque")
	}
	if lvl >= 2 && len(t.Targets) == 0 && !t.Opaque {
		v.add("M019", SeverityError, p+".targets", fmt.Sprintf("a level-%d tool must name its target parameters for impact analysis", lvl), "list the parameters that name what the tool changes")
	}
	if lvl >= 2 && t.Reversible == nil {
		v.add("M029", SeverityError, p+".reversible", "a tool at level ≥ 2 must say whether its change is reversible", "set reversible: true or false")
	}
	if lvl == 4 && t.DangerPhrase == "" {
		v.add("M020", SeverityError, p+".danger_phrase", "a level-4 tool must name the parameter whose value is the danger phrase", "set danger_phrase to the target parameter, e.g. server")
	}
	if lvl >= 0 && lvl < 4 && t.DangerPhrase != "" {
		v.add("M021", SeverityWarning, p+".danger_phrase", "danger_phrase is only used at level 4", "remove it or raise the level")
	}
	if t.DangerPhrase != "" && !slices.Contains(t.Targets, t.DangerPhrase) {
		v.add("M020", SeverityError, p+".danger_phrase", fmt.Sprintf("danger_phrase %q must be one of the tool's targets", t.DangerPhrase), "use the target parameter's name")
	}
	if lvl >= 3 && t.Backup == "" && !t.Opaque {
		v.add("M022", SeverityError, p+".backup", fmt.Sprintf("a level-%d tool must declare the backup tool the kernel runs first", lvl), "name a tool of this extension, e.g. snapshot_server")
	}
}

// checkMaxDuration checks the tool's max_duration, when it has one.
func (v *validation) checkMaxDuration(p string, t Tool) {
	if t.MaxDuration == "" {
		return
	}
	d, err := time.ParseDuration(t.MaxDuration)
	switch {
	case err != nil || d <= 0:
		v.add("M034", SeverityError, p+".max_duration", fmt.Sprintf("max_duration %q is not a positive duration", t.MaxDuration), "write a duration such as 20m")
	case d > 30*time.Minute:
		v.add("M034", SeverityError, p+".max_duration", fmt.Sprintf("max_duration %s is above the 30m limit", d), "use at most 30m; split longer work")
	}
}

// checkEnums checks that no parameter annotation lists an empty enum value.
func (v *validation) checkEnums(p string, t Tool) {
	for name, pa := range t.Params {
		for k, e := range pa.Enum {
			if strings.TrimSpace(e) == "" {
				v.add("M025", SeverityError, fmt.Sprintf("%s.params.%s.enum[%d]", p, name, k), "empty enum value", "remove it")
			}
		}
	}
}

// checkTemplates checks that the tool's propose and narrate templates parse.
func (v *validation) checkTemplates(p string, t Tool) {
	for _, tf := range []struct{ field, text string }{{"propose", t.Propose}, {"narrate", t.Narrate}} {
		if tf.text == "" {
			continue
		}
		if _, err := template.New(tf.field).Parse(tf.text); err != nil {
			v.add("M028", SeverityError, p+"."+tf.field, "template does not parse: "+err.Error(), "fix the text/template syntax")
		}
	}
}

// checkSchemas checks the tool's parameters and returns schemas, and the
// parameters its other fields name.
func (v *validation) checkSchemas(p string, t Tool) {
	if len(t.Parameters) > 0 {
		if s, err := schemaOf(t.Parameters); err != nil {
			v.add("M026", SeverityError, p+".parameters", "parameters is not a valid JSON Schema: "+err.Error(), "give a JSON Schema object with type: object")
		} else if s.Type != "object" {
			v.add("M026", SeverityError, p+".parameters", "parameters must be a JSON Schema of type object", "set type: object")
		} else {
			v.out = append(v.out, checkParamRefs(p, t, s)...)
		}
	}
	if len(t.Returns) > 0 {
		if _, err := schemaOf(t.Returns); err != nil {
			v.add("M030", SeverityError, p+".returns", "returns is not a valid JSON Schema: "+err.Error(), "give a JSON Schema or leave it out for Go tools")
		}
	}
}

// checkBackups applies the cross-tool rules: a tool's backup is a declared
// tool of level 0 or 1. names maps each tool name to its index.
func (v *validation) checkBackups(m *Manifest, names map[string]int) {
	for i, t := range m.Tools {
		if t.Backup == "" {
			continue
		}
		p := fmt.Sprintf("tools[%d].backup", i)
		j, ok := names[t.Backup]
		switch {
		case !ok:
			v.add("M023", SeverityError, p, fmt.Sprintf("backup tool %q is not declared by this extension", t.Backup), "name a tool declared in this manifest")
		case m.Tools[j].Level() > 1:
			v.add("M024", SeverityError, p, fmt.Sprintf("backup tool %q has safety level %d; a backup must be level 0 or 1", t.Backup, m.Tools[j].Level()), "use a read or safe-write tool as the backup")
		}
	}
}

// checkParamRefs checks targets, danger phrase and annotations against a known schema.
func checkParamRefs(p string, t Tool, s *jsonschema.Schema) []Issue {
	var out []Issue
	for j, tg := range t.Targets {
		if _, ok := s.Properties[tg]; !ok {
			out = append(out, Issue{Rule: "M018", Severity: SeverityError, Path: fmt.Sprintf("%s.targets[%d]", p, j), Message: fmt.Sprintf("target %q is not a parameter of the tool", tg), Fix: "name one of the tool's parameters"})
		}
	}
	for name := range t.Params {
		if _, ok := s.Properties[name]; !ok {
			out = append(out, Issue{Rule: "M031", Severity: SeverityError, Path: p + ".params." + name, Message: fmt.Sprintf("annotation for %q, which is not a parameter of the tool", name), Fix: "annotate only parameters the tool has"})
		}
	}
	if t.DangerPhrase != "" && !slices.Contains(s.Required, t.DangerPhrase) {
		out = append(out, Issue{Rule: "M020", Severity: SeverityError, Path: p + ".danger_phrase", Message: fmt.Sprintf("danger_phrase parameter %q must be required", t.DangerPhrase), Fix: "make the parameter required"})
	}
	if ps, ok := s.Properties[t.DangerPhrase]; t.DangerPhrase != "" && ok && ps.Type != "string" {
		out = append(out, Issue{Rule: "M020", Severity: SeverityError, Path: p + ".danger_phrase", Message: fmt.Sprintf("danger_phrase parameter %q must be a string (the target's name)", t.DangerPhrase), Fix: "name a string parameter that identifies the target"})
	}
	return out
}

func schemaOf(raw json.RawMessage) (*jsonschema.Schema, error) {
	var s jsonschema.Schema
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, err
	}
	if _, err := s.Resolve(nil); err != nil {
		return nil, err
	}
	return &s, nil
}
