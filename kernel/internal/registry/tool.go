package registry

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"

	"github.com/steward-os/steward/kernel/manifest"
	"github.com/steward-os/steward/kernel/route"
	"github.com/steward-os/steward/sdk"
	"github.com/steward-os/steward/session"
)

// Extension is a registered extension.
type Extension struct {
	Manifest *manifest.Manifest
	Ext      sdk.Extension
}

// ID is the extension's id.
func (x *Extension) ID() string { return x.Manifest.ID }

// Serves reports whether the extension serves the tenant: its tools,
// context and seed exist for no other (sdk.Extension.Tenants).
func (x *Extension) Serves(t session.TenantID) bool { return x.Ext.Serves(t) }

// Tool is a registered tool: its manifest declaration bound to a handler.
type Tool struct {
	ID    session.ToolID
	Ext   *Extension
	Bound *manifest.BoundTool
	Spec  route.ToolSpec
	Level int
}

// Decl is the tool's manifest declaration.
func (t *Tool) Decl() *manifest.Tool { return &t.Bound.Tool }

// BackupID is the id of the tool run before this one (levels 3–4), "" when
// it declares none.
func (t *Tool) BackupID() session.ToolID {
	if t.Bound.Tool.Backup == "" {
		return ""
	}
	return session.ToolID(t.Ext.Manifest.ID + "." + t.Bound.Tool.Backup)
}

// Param returns the routers' view of one of the tool's parameters.
func (t *Tool) Param(name string) (route.Param, bool) {
	for _, p := range t.Spec.Params {
		if p.Name == name {
			return p, true
		}
	}
	return route.Param{}, false
}

func specOf(te *Tool) route.ToolSpec {
	t := te.Bound.Tool
	s := route.ToolSpec{ID: te.ID, Extension: te.Ext.Manifest.ID, Name: t.Name, Description: t.Description,
		Examples: t.Examples, Keywords: t.Keywords, SafetyLevel: t.Level()}
	schema := te.Bound.Schema
	names := make([]string, 0, len(schema.Properties))
	for n := range schema.Properties {
		names = append(names, n)
	}
	sort.SliceStable(names, func(i, j int) bool {
		return slices.Index(schema.PropertyOrder, names[i]) < slices.Index(schema.PropertyOrder, names[j])
	})
	for _, n := range names {
		ps := schema.Properties[n]
		p := route.Param{Name: n, Type: ps.Type, Required: slices.Contains(schema.Required, n), Description: ps.Description}
		for _, e := range ps.Enum {
			p.Enum = append(p.Enum, fmt.Sprint(e))
		}
		if a, ok := t.Params[n]; ok {
			p.Resource = a.Resource
		}
		s.Params = append(s.Params, p)
	}
	return s
}

// Manifests returns the effective manifest of every loaded extension: as
// declared, with each tool's parameters (the handler's inferred schema with
// the manifest's annotations) and return shape filled in.
func (r *Registry) Manifests() []manifest.Manifest {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []manifest.Manifest
	for _, id := range r.order {
		x := r.exts[id]
		m := *x.Manifest
		m.Tools = make([]manifest.Tool, len(x.Manifest.Tools))
		for i, t := range x.Manifest.Tools {
			if te, ok := r.tools[session.ToolID(id+"."+t.Name)]; ok {
				effective(&t, te.Bound)
			}
			m.Tools[i] = t
		}
		out = append(out, m)
	}
	return out
}

// effective fills a declared tool's parameters and return shape from its
// binding.
func effective(t *manifest.Tool, b *manifest.BoundTool) {
	if raw, err := json.Marshal(b.Schema); err == nil {
		t.Parameters = raw
	}
	if len(t.Returns) == 0 && b.Returns != nil {
		if raw, err := json.Marshal(b.Returns); err == nil {
			t.Returns = raw
		}
	}
}
