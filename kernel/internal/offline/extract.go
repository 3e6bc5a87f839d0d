package offline

import (
	"fmt"
	"strings"

	"github.com/steward-os/steward/kernel/route"
)

// maxListed bounds how many candidates a question lists.
const maxListed = 8

// extraction is the state of filling one tool's arguments.
type extraction struct {
	a        *analysis
	d        *toolDoc
	args     map[string]any
	usedMent map[int]bool // mentions already bound to a parameter
	usedTok  map[int]bool // tokens already bound to a parameter
	narrowed map[string]bool
	question string
	h        *hooks
}

// hooks let the chain planner fill what a clause leaves to its context.
type hooks struct {
	// resource fills a required resource the clause does not name
	// ("… and then restart the server" after "snapshot web-1").
	resource func(p route.Param) (any, bool)
	// prose replaces the main prose value when it is missing or only
	// points at an earlier result ("send them to alice").
	prose func(p route.Param, v any) (any, bool)
}

// extract fills d's parameters from the request. It returns the arguments
// it is sure of and, when a required one is missing or ambiguous, one
// question for the user.
func (a *analysis) extract(d *toolDoc) (map[string]any, string) { return a.extractWith(d, nil) }

// extractWith is extract with hooks for what the clause leaves to its
// context.
func (a *analysis) extractWith(d *toolDoc, h *hooks) (map[string]any, string) {
	x := &extraction{a: a, d: d, args: map[string]any{}, usedMent: map[int]bool{}, usedTok: map[int]bool{}, narrowed: map[string]bool{}, h: h}
	ambiguous := map[string][]string{} // candidates of parameters left open
	x.fillWritten(ambiguous)
	x.fillSlots()
	x.fillProse()
	x.fillUnnamed(ambiguous)
	x.ask(ambiguous)
	return x.args, x.question
}

// fillWritten fills the values written out: resources, enum values,
// amounts, dates. Conflicting values go to ambiguous.
func (x *extraction) fillWritten(ambiguous map[string][]string) {
	params := x.d.spec.Params
	for _, p := range params {
		if p.Resource != "" {
			if ids := x.resourceByMention(p); len(ids) == 1 {
				x.args[p.Name] = ids[0]
			} else if len(ids) > 1 {
				ambiguous[p.Name] = ids
			}
		}
	}
	for _, p := range params {
		switch {
		case p.Resource != "":
		case len(p.Enum) > 0:
			if v, amb := x.enumValue(p); v != "" {
				x.args[p.Name] = v
			} else if len(amb) > 1 {
				ambiguous[p.Name] = amb
			}
		case p.Type == "integer" || p.Type == "number":
			if n, ok := x.amount(p); ok {
				x.args[p.Name] = n
			}
		case isDateParam(p):
			if dates := x.a.dates; len(dates) > 0 {
				x.args[p.Name] = dates[0].date.Format("2006-01-02")
				for i := dates[0].start; i < dates[0].end; i++ {
					x.usedTok[i] = true
				}
			}
		}
	}
}

// fillSlots fills the short strings: attribute values, "called X", "value
// X", shapes.
func (x *extraction) fillSlots() {
	for _, i := range x.d.slots {
		p := x.d.spec.Params[i]
		if v := x.slotValue(p); v != "" {
			x.args[p.Name] = v
		}
	}
}

// fillProse fills the prose parameters: named ones ("subject X") first, so
// that the main one (quoted, or the request's content) does not swallow
// them; then the main one, which the prose hook may replace.
func (x *extraction) fillProse() {
	params, free := x.d.spec.Params, x.d.freeText
	for _, i := range free {
		if v := x.named(params[i].Name); v != "" {
			x.args[params[i].Name] = v
		}
	}
	if len(free) > 0 && x.args[params[free[0]].Name] == nil {
		if v := x.prose(); v != "" {
			x.args[params[free[0]].Name] = v
		}
	}
	if x.h != nil && x.h.prose != nil && len(free) > 0 && params[free[0]].Required {
		main := params[free[0]]
		if v, ok := x.h.prose(main, x.args[main.Name]); ok {
			x.args[main.Name] = v
		}
	}
}

// fillUnnamed fills the resources nobody named: from the resource hook,
// by following relations from the named ones or matching titles, or it
// lists the candidates in ambiguous.
func (x *extraction) fillUnnamed(ambiguous map[string][]string) {
	for _, p := range x.d.spec.Params {
		if p.Resource == "" || x.args[p.Name] != nil || len(ambiguous[p.Name]) > 0 {
			continue
		}
		if x.h != nil && x.h.resource != nil && p.Required {
			if v, ok := x.h.resource(p); ok {
				x.args[p.Name] = v
				continue
			}
		}
		ids := x.inferResource(p)
		if len(ids) == 1 && (x.narrowed[p.Name] || x.d.spec.SafetyLevel == 0) {
			x.args[p.Name] = ids[0]
			continue
		}
		if p.Required {
			ambiguous[p.Name] = ids
		}
	}
}

// ask sets one question, for the first required parameter still open,
// listing its candidates from ambiguous.
func (x *extraction) ask(ambiguous map[string][]string) {
	for _, p := range x.d.spec.Params {
		if !p.Required || x.args[p.Name] != nil {
			continue
		}
		delete(x.args, p.Name)
		x.question = question(p, ambiguous[p.Name])
		break
	}
}

// enumValue returns the one enum value the request states for p, or the
// conflicting values.
func (x *extraction) enumValue(p route.Param) (string, []string) {
	canon := map[string]string{}
	for _, v := range p.Enum {
		canon[strings.ToLower(v)] = v
	}
	var exact, natural []string
	for _, e := range x.a.enums {
		v, ok := canon[e.value]
		if !ok || !x.a.inHead(e.pos, x.a.head) || x.usedTok[e.pos] {
			continue
		}
		if e.natural {
			if !contains(natural, v) {
				natural = append(natural, v)
			}
		} else if !contains(exact, v) {
			exact = append(exact, v)
		}
	}
	vals := exact
	if len(vals) == 0 {
		vals = natural
	}
	if len(vals) == 1 {
		return vals[0], nil
	}
	return "", vals
}

// amount returns an integer for p: a duration converted to p's unit, or a
// bare number.
func (x *extraction) amount(p route.Param) (int, bool) {
	unit := 1
	name := strings.ToLower(p.Name)
	switch {
	case strings.Contains(name, "week"):
		unit = 7
	case strings.Contains(name, "month"):
		unit = 30
	case strings.Contains(name, "hour"), strings.Contains(name, "minute"):
		unit = 0 // durations in days do not convert
	}
	for _, h := range x.a.durs {
		if !x.a.inHead(h.start, x.a.head) {
			continue
		}
		if h.number {
			return h.days, true
		}
		if unit > 0 {
			return h.days / unit, true
		}
	}
	return 0, false
}

// question asks for one parameter in plain words.
func question(p route.Param, cands []string) string {
	what := strings.ReplaceAll(p.Name, "_", " ")
	switch {
	case p.Resource == personKind:
		if len(cands) == 0 {
			return "Who do you mean?"
		}
		return "Who do you mean: " + listOr(cands) + "?"
	case p.Resource != "":
		kind := strings.ReplaceAll(p.Resource, "_", " ")
		if len(cands) == 0 {
			return fmt.Sprintf("Which %s do you mean?", kind)
		}
		return fmt.Sprintf("Which %s do you mean: %s?", kind, listOr(cands))
	case len(p.Enum) > 0:
		opts := cands
		if len(opts) < 2 {
			opts = p.Enum
		}
		return fmt.Sprintf("Which %s: %s?", what, listOr(opts))
	case strings.HasPrefix(p.Description, "the "):
		return fmt.Sprintf("What should %s be?", strings.TrimSuffix(p.Description, "."))
	case p.Description != "":
		return fmt.Sprintf("What is the %s (%s)?", what, strings.TrimSuffix(p.Description, "."))
	}
	return fmt.Sprintf("What is the %s?", what)
}

// listOr writes "a, b or c", at most maxListed items.
func listOr(items []string) string {
	if len(items) > maxListed {
		return strings.Join(items[:maxListed], ", ") + " or another one"
	}
	return joinOr(items, "or")
}
