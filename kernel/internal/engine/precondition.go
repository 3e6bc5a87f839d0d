package engine

import (
	"fmt"
	"strings"
	"text/template"

	"github.com/steward-os/steward/kernel/internal/kit"
	"github.com/steward-os/steward/kernel/internal/registry"
	"github.com/steward-os/steward/kernel/route"
)

// nothingToDo checks a tool's declared preconditions (manifest "unless")
// against the tenant's context resources, before anything is proposed or
// run: it returns the tool's message when the change has nothing to do
// ("staging-1 is already stopped — nothing to do."), else "". Only a
// single-step plan is answered this way: in a longer plan a later step
// may depend on the change, and the proposal shows the state instead.
func nothingToDo(t *registry.Tool, args []byte, resources []route.Resource) string {
	decl := t.Decl()
	if len(decl.Unless) == 0 {
		return ""
	}
	am := kit.ArgMap(args)
	for _, u := range decl.Unless {
		id, _ := am[u.Param].(string)
		kind := decl.Params[u.Param].Resource
		for _, r := range resources {
			if r.Kind != kind || r.ID != id || r.Extension != t.Ext.ID() {
				continue
			}
			if strings.EqualFold(r.Attrs[u.Attr], u.Is) {
				return say(u.Say, am)
			}
		}
	}
	return ""
}

// say renders a precondition's message over the arguments.
func say(text string, args map[string]any) string {
	tpl, err := template.New("say").Option("missingkey=zero").Parse(text)
	if err != nil {
		return text
	}
	var b strings.Builder
	if err := tpl.Execute(&b, args); err != nil {
		return fmt.Sprint(text)
	}
	return b.String()
}
