// Package plan checks a planner's plan as a whole before anything runs
// (CHAIN-10), orders its steps (CHAIN-04, Kahn's algorithm), validates each
// step's arguments against its tool's schema, and resolves step-output
// references from the producers' verbatim facts (CHAIN-08, CHAIN-09).
//
// Contract. Any problem rejects the whole plan: a step is never dropped,
// so a destructive step that fails validation fails the plan visibly
// (CHAIN-05). A reference is resolved only from a successful fact of the
// same session, never from narrated text. It runs no tool.
package plan

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/steward-os/steward/kernel/internal/kit"
	"github.com/steward-os/steward/kernel/internal/registry"
	"github.com/steward-os/steward/kernel/route"
	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// Checker checks plans against the registered tools and the ledger.
type Checker struct {
	reg    *registry.Registry
	ledger store.Ledger
}

// New returns a Checker.
func New(reg *registry.Registry, ledger store.Ledger) *Checker {
	return &Checker{reg: reg, ledger: ledger}
}

// Check validates a whole plan against the routed surface and returns its
// steps in execution order. Any problem rejects the plan.
func (c *Checker) Check(ctx context.Context, a session.Actor, p route.Plan, surface []route.ToolSpec) ([]store.ChainStep, []*kit.Error) {
	byID, problems := indexSteps(p.Steps)
	if len(problems) > 0 {
		return nil, problems
	}
	steps := make([]store.ChainStep, len(p.Steps))
	for i, s := range p.Steps {
		var more []*kit.Error
		steps[i], more = c.checkStep(ctx, a, s, byID, surface)
		problems = append(problems, more...)
	}
	if len(problems) > 0 {
		return nil, destructiveNote(steps, problems)
	}
	order, cycle := kahn(steps)
	if cycle != nil {
		return nil, []*kit.Error{kit.Errf(session.CodeInvalidPlan, "The plan's steps depend on each other in a circle (%s), so it cannot be ordered; nothing was run.", joinIDs(cycle, " → "))}
	}
	return order, nil
}

// indexSteps maps step ids to their place, reporting missing and
// duplicate ids.
func indexSteps(steps []route.Step) (map[session.StepID]int, []*kit.Error) {
	var problems []*kit.Error
	byID := map[session.StepID]int{}
	for i, s := range steps {
		if s.ID == "" {
			problems = append(problems, kit.Errf(session.CodeInvalidPlan, "Step %d has no id.", i+1))
			continue
		}
		if _, dup := byID[s.ID]; dup {
			problems = append(problems, kit.Errf(session.CodeInvalidPlan, "Two steps are called %q.", s.ID))
			continue
		}
		byID[s.ID] = i
	}
	return byID, problems
}

// checkStep checks one step: its tool is on the surface, its dependencies
// and references name steps of the plan (or successful facts of this
// session), and its arguments fit the schema with references stood in for.
func (c *Checker) checkStep(ctx context.Context, a session.Actor, s route.Step, byID map[session.StepID]int, surface []route.ToolSpec) (store.ChainStep, []*kit.Error) {
	cs := store.ChainStep{ID: s.ID, Tool: s.Tool, Args: s.Args, DependsOn: slices.Clone(s.DependsOn), State: store.StepPlanned}
	if cs.DependsOn == nil {
		cs.DependsOn = []session.StepID{}
	}
	unknown := kit.Errf(session.CodeUnknownTool, "Step %s: the tool %q is not available for this request.", s.ID, s.Tool)
	if !slices.ContainsFunc(surface, func(t route.ToolSpec) bool { return t.ID == s.Tool }) {
		return cs, []*kit.Error{unknown}
	}
	t, ok := c.reg.Tool(s.Tool)
	if !ok {
		return cs, []*kit.Error{unknown}
	}
	cs.Level = t.Level
	var problems []*kit.Error
	for _, d := range cs.DependsOn {
		if _, ok := byID[d]; !ok {
			problems = append(problems, kit.Errf(session.CodeInvalidPlan, "Step %s depends on %q, which is not a step of this plan.", s.ID, d))
		}
	}
	args := map[string]any{}
	if len(s.Args) > 0 {
		if err := json.Unmarshal(s.Args, &args); err != nil {
			return store.ChainStep{}, append(problems, kit.Errf(session.CodeInvalidArguments, "Step %s: the arguments for %s must be a JSON object.", s.ID, t.ID))
		}
	}
	placeholder, more := c.checkRefs(ctx, a, &cs, t, args, byID)
	problems = append(problems, more...)
	raw, _ := json.Marshal(placeholder)
	if err := ValidateArgs(t, raw); err != nil {
		problems = append(problems, kit.Errf(err.Code, "Step %s: %s", s.ID, err.Message))
	}
	return cs, problems
}

// checkRefs checks a step's references — to a step of this plan (which
// implies a dependency) or to a fact of this session, only as whole
// parameter values — and returns the arguments with each reference stood
// in for by a value of the parameter's type.
func (c *Checker) checkRefs(ctx context.Context, a session.Actor, cs *store.ChainStep, t *registry.Tool, args map[string]any, byID map[session.StepID]int) (map[string]any, []*kit.Error) {
	var problems []*kit.Error
	placeholder := map[string]any{}
	for name, v := range args {
		ref, isRef := route.IsRef(v)
		if !isRef {
			if nestedRef(v) {
				problems = append(problems, kit.Errf(session.CodeInvalidPlan, "Step %s: a reference must be a whole parameter value (%s).", cs.ID, name))
			}
			placeholder[name] = v
			continue
		}
		target, _, err := ParseRef(ref)
		if err != nil {
			problems = append(problems, kit.Errf(session.CodeInvalidPlan, "Step %s: %v", cs.ID, err))
			continue
		}
		if p := c.checkTarget(ctx, a, cs, target, byID); p != nil {
			problems = append(problems, p)
		}
		placeholder[name] = placeholderFor(t, name)
	}
	return placeholder, problems
}

// checkTarget checks what one reference names.
func (c *Checker) checkTarget(ctx context.Context, a session.Actor, cs *store.ChainStep, target string, byID map[session.StepID]int) *kit.Error {
	if id, ok := factTarget(target); ok {
		if _, err := c.sessionFact(ctx, a, id); err != nil {
			return kit.Errf(session.CodeInvalidPlan, "Step %s refers to %s, which is not a successful result of this conversation.", cs.ID, target)
		}
		return nil
	}
	step := session.StepID(target)
	switch _, ok := byID[step]; {
	case !ok:
		return kit.Errf(session.CodeInvalidPlan, "Step %s refers to %q, which is not a step of this plan.", cs.ID, target)
	case step == cs.ID:
		return kit.Errf(session.CodeInvalidPlan, "Step %s refers to its own output.", cs.ID)
	case !slices.Contains(cs.DependsOn, step):
		cs.DependsOn = append(cs.DependsOn, step) // a reference is a dependency
	}
	return nil
}

// factTarget reports whether a reference target names a fact ("fact:42").
func factTarget(target string) (int64, bool) {
	rest, ok := strings.CutPrefix(target, "fact:")
	if !ok {
		return 0, false
	}
	id, _ := strconv.ParseInt(rest, 10, 64)
	return id, true
}

// destructiveNote makes a rejected plan that holds a level ≥ 3 step say so.
func destructiveNote(steps []store.ChainStep, problems []*kit.Error) []*kit.Error {
	for _, s := range steps {
		if s.Level >= 3 {
			first := problems[0]
			return append([]*kit.Error{kit.Errf(first.Code, "%s The plan includes a destructive step (%s: %s), so the whole plan was rejected and nothing was run.", first.Message, s.ID, s.Tool)}, problems[1:]...)
		}
	}
	return problems
}

func nestedRef(v any) bool {
	switch x := v.(type) {
	case map[string]any:
		if _, ok := x["$ref"]; ok {
			return true
		}
		for _, e := range x {
			if nestedRef(e) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if nestedRef(e) {
				return true
			}
		}
	}
	return false
}

// placeholderFor stands in for a reference during plan validation: a value
// of the parameter's type, so everything but the reference is checked now;
// the resolved value is checked again at dispatch.
func placeholderFor(t *registry.Tool, name string) any {
	p, ok := t.Param(name)
	if !ok {
		return "ref" // unknown parameter: the schema check reports it
	}
	switch {
	case len(p.Enum) > 0:
		return p.Enum[0]
	case p.Type == "integer" || p.Type == "number":
		return 0
	case p.Type == "boolean":
		return false
	case p.Type == "array":
		return []any{}
	case p.Type == "object":
		return map[string]any{}
	}
	return "ref"
}

// ValidateArgs checks arguments against the tool's schema.
func ValidateArgs(t *registry.Tool, args json.RawMessage) *kit.Error {
	var v any = map[string]any{}
	if len(args) > 0 {
		if err := json.Unmarshal(args, &v); err != nil {
			return kit.Errf(session.CodeInvalidArguments, "The arguments for %s are not valid JSON.", t.ID)
		}
	}
	if _, ok := v.(map[string]any); !ok {
		return kit.Errf(session.CodeInvalidArguments, "The arguments for %s must be an object.", t.ID)
	}
	if err := t.Bound.Resolved.Validate(v); err != nil {
		return kit.Errf(session.CodeInvalidArguments, "The arguments for %s are not valid: %s", t.ID, plainSchemaError(err))
	}
	return nil
}

func plainSchemaError(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 && i+2 < len(s) {
		s = s[i+2:]
	}
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}
