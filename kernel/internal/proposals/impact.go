package proposals

import (
	"fmt"
	"slices"
	"strings"

	"encoding/json"

	"github.com/steward-os/steward/kernel/internal/kit"
	"github.com/steward-os/steward/kernel/internal/registry"
	"github.com/steward-os/steward/kernel/route"
	"github.com/steward-os/steward/sdk"
	"github.com/steward-os/steward/session"
)

type resKey struct{ kind, id string }

// Impact derives direct targets and the cascade through the extensions'
// relations (CTX-06, SAFE-06: at every level that proposes, the stricter
// reading of the specification), reversibility, and at levels 3–4 the
// backup that runs first.
func Impact(t *registry.Tool, args json.RawMessage, resources []route.Resource) session.Impact {
	d := t.Decl()
	im := session.Impact{Reversible: d.Reversible != nil && *d.Reversible, Targets: []sdk.Resource{}}
	if t.Level >= 3 {
		im.Backup = t.BackupID()
	}
	var direct []resKey
	im.Targets, direct = targets(t, kit.ArgMap(args), resources)
	im.Cascade = cascade(direct, resources)
	im.Summary = summary(im)
	if d.Opaque {
		im.Summary = "Unknown external effect: " + string(t.ID) + " is an external tool whose change the kernel cannot analyse; NOT reversible."
	}
	return im
}

// targets are the resources a call names in its declared target
// parameters: the context's resource when known, else kind and value.
func targets(t *registry.Tool, am map[string]any, resources []route.Resource) ([]sdk.Resource, []resKey) {
	out := []sdk.Resource{}
	var direct []resKey
	for _, name := range t.Decl().Targets {
		v, ok := am[name].(string)
		if !ok || v == "" {
			continue
		}
		p, _ := t.Param(name)
		kd := p.Resource
		i := slices.IndexFunc(resources, func(r route.Resource) bool { return r.ID == v && (kd == "" || r.Kind == kd) })
		if i >= 0 {
			out = append(out, resources[i].Resource)
			direct = append(direct, resKey{resources[i].Kind, resources[i].ID})
			continue
		}
		if kd == "" {
			kd = name
		}
		out = append(out, sdk.Resource{Kind: kd, ID: v})
	}
	return out, direct
}

// cascade walks the relations from the direct targets to everything that
// depends on them, breadth first.
func cascade(direct []resKey, resources []route.Resource) []sdk.Resource {
	dependents := map[resKey][]sdk.Resource{}
	for _, r := range resources {
		for _, rel := range r.Relations {
			k := resKey{rel.Kind, rel.ID}
			dependents[k] = append(dependents[k], r.Resource)
		}
	}
	seen := map[resKey]bool{}
	for _, d := range direct {
		seen[d] = true
	}
	var out []sdk.Resource
	queue := slices.Clone(direct)
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, dep := range dependents[cur] {
			k := resKey{dep.Kind, dep.ID}
			if seen[k] {
				continue
			}
			seen[k] = true
			out = append(out, dep)
			queue = append(queue, k)
		}
	}
	return out
}

func summary(im session.Impact) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Changes %s", describe(im.Targets))
	if len(im.Cascade) > 0 {
		fmt.Fprintf(&b, "; also affects %s", describe(im.Cascade))
	}
	if im.Reversible {
		b.WriteString("; reversible")
	} else {
		b.WriteString("; NOT reversible")
	}
	if im.Backup != "" {
		fmt.Fprintf(&b, "; %s runs first", im.Backup)
	}
	b.WriteString(".")
	return b.String()
}

func describe(rs []sdk.Resource) string {
	if len(rs) == 0 {
		return "nothing named"
	}
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = r.Kind + " " + r.ID
	}
	return strings.Join(parts, ", ")
}
