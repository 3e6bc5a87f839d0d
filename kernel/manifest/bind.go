package manifest

import (
	"fmt"
	"slices"

	"github.com/google/jsonschema-go/jsonschema"

	"github.com/steward-os/steward/sdk"
)

// BoundTool is a declared tool joined to its handler, with its effective
// parameter schema (inferred from the handler's Go type, with the
// manifest's annotations laid over it).
type BoundTool struct {
	Tool     Tool
	Handler  sdk.Handler
	Schema   *jsonschema.Schema
	Resolved *jsonschema.Resolved
	Returns  *jsonschema.Schema
}

// Bind joins every declared tool to exactly one handler. It returns issues
// for a declared tool without a handler (B001), a handler without a
// declared tool (B002), a handler bound twice (B003), a manifest schema that
// disagrees with the handler's parameter type (B004), and annotations or
// targets that name no parameter (M018, M031). Any error means nothing may
// be registered.
func Bind(m *Manifest, handlers []sdk.Handler) (map[string]*BoundTool, []Issue) {
	var out []Issue
	byName := map[string]sdk.Handler{}
	for i, h := range handlers {
		if _, dup := byName[h.Name()]; dup {
			out = append(out, Issue{Rule: "B003", Severity: SeverityError, Path: fmt.Sprintf("handlers[%d]", i), Message: fmt.Sprintf("handler %q is bound twice", h.Name()), Fix: "bind each tool once"})
			continue
		}
		byName[h.Name()] = h
		if !slices.ContainsFunc(m.Tools, func(t Tool) bool { return t.Name == h.Name() }) &&
			!slices.ContainsFunc(m.Probes, func(p Probe) bool { return p.Name == h.Name() }) {
			out = append(out, Issue{Rule: "B002", Severity: SeverityError, Path: fmt.Sprintf("handlers[%d]", i), Message: fmt.Sprintf("handler %q has no declared tool in the manifest", h.Name()), Fix: "declare the tool in the manifest or remove the handler"})
		}
	}
	bound := map[string]*BoundTool{}
	for _, d := range declared(m) {
		p, t := d.path, d.tool
		h, ok := byName[t.Name]
		if !ok {
			out = append(out, Issue{Rule: "B001", Severity: SeverityError, Path: p, Message: fmt.Sprintf("%q is declared but has no handler", t.Name), Fix: "bind a handler with sdk.Tool (sdk.Probe for a probe) or remove the declaration"})
			continue
		}
		if issue, bad := probeMismatch(p, t.Name, d.probe, h); bad {
			out = append(out, issue)
			continue
		}
		inferred, err := h.ParamsSchema()
		if err != nil {
			out = append(out, Issue{Rule: "B004", Severity: SeverityError, Path: p, Message: "cannot infer the parameter schema: " + err.Error(), Fix: "use a struct of JSON-representable fields as the parameter type"})
			continue
		}
		if len(t.Parameters) > 0 {
			declared, err := schemaOf(t.Parameters)
			if err == nil {
				if msg := sameShape(declared, inferred); msg != "" {
					out = append(out, Issue{Rule: "B004", Severity: SeverityError, Path: p + ".parameters", Message: msg, Fix: "make the manifest's parameters match the handler's parameter struct, or leave them out"})
				}
			}
		}
		eff := inferred.CloneSchemas()
		if eff.Properties == nil {
			eff.Properties = map[string]*jsonschema.Schema{}
		}
		if len(t.Parameters) == 0 { // declared parameters were checked by Validate
			out = append(out, checkParamRefs(p, t, eff)...)
		}
		for name, a := range t.Params {
			ps, ok := eff.Properties[name]
			if !ok {
				continue
			}
			if len(a.Enum) > 0 {
				ps.Enum = make([]any, len(a.Enum))
				for k, e := range a.Enum {
					ps.Enum[k] = e
				}
			}
			if a.Description != "" {
				ps.Description = a.Description
			}
		}
		res, err := eff.Resolve(nil)
		if err != nil {
			out = append(out, Issue{Rule: "B004", Severity: SeverityError, Path: p, Message: "effective schema does not resolve: " + err.Error(), Fix: "check the parameter annotations"})
			continue
		}
		ret, _ := h.ResultSchema()
		bound[t.Name] = &BoundTool{Tool: t, Handler: h, Schema: eff, Resolved: res, Returns: ret}
	}
	out = append(out, checkBackups(m, bound)...)
	return bound, out
}

// decl is a tool or a probe (as the level-0 tool it is dispatched as),
// with the path of its declaration.
type decl struct {
	path  string
	tool  Tool
	probe bool
}

// declared lists the manifest's tools, then its probes.
func declared(m *Manifest) []decl {
	out := make([]decl, 0, len(m.Tools)+len(m.Probes))
	for i, t := range m.Tools {
		out = append(out, decl{path: fmt.Sprintf("tools[%d]", i), tool: t})
	}
	for i, p := range m.Probes {
		out = append(out, decl{path: fmt.Sprintf("probes[%d]", i), tool: p.AsTool(), probe: true})
	}
	return out
}

// probeMismatch reports a probe bound to a handler not made with
// sdk.Probe, or a tool bound to one (B007): a probe's result must be
// observations, and a tool's handler must not pretend to be a probe.
func probeMismatch(path, name string, probe bool, h sdk.Handler) (Issue, bool) {
	_, isProbe := h.(sdk.ProbeHandler)
	switch {
	case probe && !isProbe:
		return Issue{Rule: "B007", Severity: SeverityError, Path: path, Message: fmt.Sprintf("probe %q is bound to a tool handler", name), Fix: "bind probes with sdk.Probe"}, true
	case !probe && isProbe:
		return Issue{Rule: "B007", Severity: SeverityError, Path: path, Message: fmt.Sprintf("tool %q is bound to a probe handler", name), Fix: "bind tools with sdk.Tool, or declare it under probes"}, true
	}
	return Issue{}, false
}

// checkBackups makes sure the kernel can call each declared backup tool:
// every backup_args entry maps a parameter of the backup tool (B005) to a
// parameter of the tool (B005), and every required parameter of the backup
// tool is supplied (B006).
func checkBackups(m *Manifest, bound map[string]*BoundTool) []Issue {
	var out []Issue
	for i, t := range m.Tools {
		bt, ok := bound[t.Backup]
		self, ok2 := bound[t.Name]
		if t.Backup == "" || !ok || !ok2 {
			continue
		}
		p := fmt.Sprintf("tools[%d].backup_args", i)
		for to, from := range t.BackupArgs {
			if _, ok := bt.Schema.Properties[to]; !ok {
				out = append(out, Issue{Rule: "B005", Severity: SeverityError, Path: p + "." + to, Message: fmt.Sprintf("%q is not a parameter of the backup tool %s", to, t.Backup), Fix: "map the backup tool's parameters only"})
			}
			if _, ok := self.Schema.Properties[from]; !ok {
				out = append(out, Issue{Rule: "B005", Severity: SeverityError, Path: p + "." + to, Message: fmt.Sprintf("%q is not a parameter of %s", from, t.Name), Fix: "map from this tool's parameters"})
			}
		}
		for _, req := range bt.Schema.Required {
			from := req
			if f, ok := t.BackupArgs[req]; ok {
				from = f
			}
			if _, ok := self.Schema.Properties[from]; !ok {
				out = append(out, Issue{Rule: "B006", Severity: SeverityError, Path: fmt.Sprintf("tools[%d].backup", i), Message: fmt.Sprintf("the backup tool %s needs %q, which %s cannot supply", t.Backup, req, t.Name), Fix: "add a backup_args entry mapping it from one of this tool's parameters"})
			}
		}
	}
	return out
}

func sameShape(declared, inferred *jsonschema.Schema) string {
	for name, ps := range inferred.Properties {
		d, ok := declared.Properties[name]
		if !ok {
			return fmt.Sprintf("parameter %q of the handler is missing from the manifest", name)
		}
		if d.Type != "" && ps.Type != "" && d.Type != ps.Type {
			return fmt.Sprintf("parameter %q is %s in the manifest but %s in the handler", name, d.Type, ps.Type)
		}
	}
	for name := range declared.Properties {
		if _, ok := inferred.Properties[name]; !ok {
			return fmt.Sprintf("parameter %q of the manifest is not in the handler's parameter struct", name)
		}
	}
	a, b := slices.Clone(declared.Required), slices.Clone(inferred.Required)
	slices.Sort(a)
	slices.Sort(b)
	if !slices.Equal(a, b) {
		return fmt.Sprintf("required parameters differ: manifest %v, handler %v", a, b)
	}
	return ""
}
