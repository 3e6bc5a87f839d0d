package manifest

import (
	"fmt"
	"text/template"
)

// Unless is a cheap precondition a tool declares (docs/manifest.md,
// "unless"): when the resource named by the tool's parameter Param has
// the attribute Attr equal to Is in the tenant's context, the change has
// nothing to do, and the kernel answers Say (a text/template over the
// arguments) instead of proposing or running it: "stop staging-1" when
// staging-1 is already stopped.
type Unless struct {
	Param string `json:"param"`
	Attr  string `json:"attr"`
	Is    string `json:"is"`
	Say   string `json:"say"`
}

// checkUnless validates a tool's preconditions (M040): the parameter is a
// resource parameter of the tool, the attribute and value are given, and
// the message parses.
func (v *validation) checkUnless(p string, t Tool) {
	for i, u := range t.Unless {
		at := fmt.Sprintf("%s.unless[%d]", p, i)
		if prm, ok := t.Params[u.Param]; !ok || prm.Resource == "" {
			v.add("M040", SeverityError, at+".param", fmt.Sprintf("unless names %q, which is not a resource parameter of the tool", u.Param), "name a parameter annotated with resource:")
		}
		if u.Attr == "" || u.Is == "" || u.Say == "" {
			v.add("M040", SeverityError, at, "unless needs attr, is and say", "e.g. {param: server, attr: status, is: stopped, say: '{{.server}} is already stopped'}")
		}
		if _, err := template.New("say").Option("missingkey=zero").Parse(u.Say); err != nil {
			v.add("M040", SeverityError, at+".say", fmt.Sprintf("say is not a valid template: %v", err), "fix the template")
		}
	}
}
