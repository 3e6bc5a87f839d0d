package kernel

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/steward-os/steward/kernel/audit"
	"github.com/steward-os/steward/internal/narrate"
	"github.com/steward-os/steward/kernel/route"
	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// The single orchestrator (CHAIN-01): every plan, of one step or many, is
// checked as a whole, ordered, authorized, then carried out step by step,
// each step gated at its own safety level. A chain that reaches a step
// needing confirmation is persisted and waits; the decision resumes it.

// checkChain validates a whole plan before anything runs (CHAIN-10) and
// returns its steps in execution order (CHAIN-04). Any problem rejects the
// whole plan: Steward never drops a step, so a destructive step that fails
// validation always fails the chain visibly (CHAIN-05).
func (k *Kernel) checkChain(ctx context.Context, a session.Actor, p route.Plan, surface []route.ToolSpec) ([]store.ChainStep, []*Error) {
	var problems []*Error
	byID := map[session.StepID]int{}
	for i, s := range p.Steps {
		if s.ID == "" {
			problems = append(problems, Errf(session.CodeInvalidPlan, "Step %d has no id.", i+1))
			continue
		}
		if _, dup := byID[s.ID]; dup {
			problems = append(problems, Errf(session.CodeInvalidPlan, "Two steps are called %q.", s.ID))
			continue
		}
		byID[s.ID] = i
	}
	if len(problems) > 0 {
		return nil, problems
	}
	steps := make([]store.ChainStep, len(p.Steps))
	for i, s := range p.Steps {
		cs := store.ChainStep{ID: s.ID, Tool: s.Tool, Args: s.Args, DependsOn: slices.Clone(s.DependsOn), State: store.StepPlanned}
		if cs.DependsOn == nil {
			cs.DependsOn = []session.StepID{}
		}
		if !slices.ContainsFunc(surface, func(t route.ToolSpec) bool { return t.ID == s.Tool }) {
			problems = append(problems, Errf(session.CodeUnknownTool, "Step %s: the tool %q is not available for this request.", s.ID, s.Tool))
			steps[i] = cs
			continue
		}
		te, ok := k.tool(s.Tool)
		if !ok {
			problems = append(problems, Errf(session.CodeUnknownTool, "Step %s: the tool %q is not available for this request.", s.ID, s.Tool))
			continue
		}
		cs.Level = te.level
		for _, d := range cs.DependsOn {
			if _, ok := byID[d]; !ok {
				problems = append(problems, Errf(session.CodeInvalidPlan, "Step %s depends on %q, which is not a step of this plan.", s.ID, d))
			}
		}
		// References: to a step of this plan (implying a dependency) or to a
		// fact of this session; only whole parameter values.
		args := map[string]any{}
		if len(s.Args) > 0 {
			if err := json.Unmarshal(s.Args, &args); err != nil {
				problems = append(problems, Errf(session.CodeInvalidArguments, "Step %s: the arguments for %s must be a JSON object.", s.ID, te.id))
				continue
			}
		}
		placeholder := map[string]any{}
		for name, v := range args {
			ref, isRef := route.IsRef(v)
			if !isRef {
				if nestedRef(v) {
					problems = append(problems, Errf(session.CodeInvalidPlan, "Step %s: a reference must be a whole parameter value (%s).", s.ID, name))
				}
				placeholder[name] = v
				continue
			}
			target, _, err := parseRef(ref)
			if err != nil {
				problems = append(problems, Errf(session.CodeInvalidPlan, "Step %s: %v", s.ID, err))
				continue
			}
			switch {
			case strings.HasPrefix(target, "fact:"):
				id, _ := strconv.ParseInt(strings.TrimPrefix(target, "fact:"), 10, 64)
				f, err := k.st.Fact(ctx, id)
				if err != nil || f.Session != session.SessionFor(a) || !f.OK {
					problems = append(problems, Errf(session.CodeInvalidPlan, "Step %s refers to %s, which is not a successful result of this conversation.", s.ID, target))
				}
			default:
				if _, ok := byID[session.StepID(target)]; !ok {
					problems = append(problems, Errf(session.CodeInvalidPlan, "Step %s refers to %q, which is not a step of this plan.", s.ID, target))
				} else if session.StepID(target) == s.ID {
					problems = append(problems, Errf(session.CodeInvalidPlan, "Step %s refers to its own output.", s.ID))
				} else if !slices.Contains(cs.DependsOn, session.StepID(target)) {
					cs.DependsOn = append(cs.DependsOn, session.StepID(target)) // a reference is a dependency
				}
			}
			placeholder[name] = placeholderFor(te, name)
		}
		raw, _ := json.Marshal(placeholder)
		if err := validateArgs(te, raw); err != nil {
			problems = append(problems, Errf(err.Code, "Step %s: %s", s.ID, err.Message))
		}
		steps[i] = cs
	}
	if len(problems) > 0 {
		return nil, k.destructiveNote(steps, problems)
	}
	order, cycle := kahn(steps)
	if cycle != nil {
		return nil, []*Error{Errf(session.CodeInvalidPlan, "The plan's steps depend on each other in a circle (%s), so it cannot be ordered; nothing was run.", joinIDs(cycle, " → "))}
	}
	return order, nil
}

// destructiveNote makes a rejected plan that holds a level ≥ 3 step say so.
func (k *Kernel) destructiveNote(steps []store.ChainStep, problems []*Error) []*Error {
	for _, s := range steps {
		if s.Level >= 3 {
			first := problems[0]
			return append([]*Error{Errf(first.Code, "%s The plan includes a destructive step (%s: %s), so the whole plan was rejected and nothing was run.", first.Message, s.ID, s.Tool)}, problems[1:]...)
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
func placeholderFor(te *toolEntry, name string) any {
	for _, p := range te.spec.Params {
		if p.Name != name {
			continue
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
	return "ref" // unknown parameter: the schema check reports it
}

// parseRef splits "s1#/a/0" into its target and JSON Pointer.
func parseRef(ref string) (target, pointer string, err error) {
	target, pointer, _ = strings.Cut(ref, "#")
	if target == "" {
		return "", "", fmt.Errorf("the reference %q names no producer", ref)
	}
	if pointer != "" && !strings.HasPrefix(pointer, "/") {
		return "", "", fmt.Errorf("the reference %q has a pointer that does not start with /", ref)
	}
	if strings.HasPrefix(target, "fact:") {
		if _, err := strconv.ParseInt(strings.TrimPrefix(target, "fact:"), 10, 64); err != nil {
			return "", "", fmt.Errorf("the reference %q names no fact", ref)
		}
	}
	return target, pointer, nil
}

// kahn orders steps so every step follows the steps it depends on; among
// ready steps the plan's own order is kept. It returns the remaining
// steps' cycle when there is one.
func kahn(steps []store.ChainStep) ([]store.ChainStep, []session.StepID) {
	indeg := map[session.StepID]int{}
	for _, s := range steps {
		indeg[s.ID] = len(s.DependsOn)
	}
	var out []store.ChainStep
	done := map[session.StepID]bool{}
	for len(out) < len(steps) {
		progressed := false
		for _, s := range steps {
			if done[s.ID] {
				continue
			}
			ready := true
			for _, d := range s.DependsOn {
				if !done[d] {
					ready = false
					break
				}
			}
			if ready {
				done[s.ID] = true
				out = append(out, s)
				progressed = true
				break // restart from the top: keep the listed order among ready steps
			}
		}
		if !progressed {
			return nil, findCycle(steps, done)
		}
	}
	return out, nil
}

func findCycle(steps []store.ChainStep, done map[session.StepID]bool) []session.StepID {
	deps := map[session.StepID][]session.StepID{}
	for _, s := range steps {
		deps[s.ID] = s.DependsOn
	}
	for _, s := range steps {
		if done[s.ID] {
			continue
		}
		// Walk dependencies until a node repeats.
		var path []session.StepID
		seen := map[session.StepID]int{}
		cur := s.ID
		for {
			if i, ok := seen[cur]; ok {
				return append(path[i:], cur)
			}
			seen[cur] = len(path)
			path = append(path, cur)
			var next session.StepID
			for _, d := range deps[cur] {
				if !done[d] {
					next = d
					break
				}
			}
			if next == "" {
				break
			}
			cur = next
		}
	}
	return []session.StepID{"?"}
}

// runChain authorizes every step (scopes and role ceiling, before anything
// runs) and starts carrying the plan out.
func (k *Kernel) runChain(ctx context.Context, a session.Actor, turn session.TurnID, r *routed) ([]session.Part, error) {
	steps, problems := k.checkChain(ctx, a, r.plan, r.surface)
	if len(problems) > 0 {
		k.write(ctx, a, turn, audit.KindPlanRejected, map[string]any{"problems": problems})
		return nil, problems[0]
	}
	for _, s := range steps {
		te, _ := k.tool(s.Tool)
		if err := k.authorizeRole(ctx, a, turn, te); err != nil {
			if len(steps) > 1 {
				ke := AsError(err)
				return nil, Errf(ke.Code, "%s (step %s of the plan; nothing was run)", ke.Message, s.ID)
			}
			return nil, err
		}
	}
	ch := &store.ChainRow{ID: session.ChainID(newID("c_")), Tenant: a.Tenant, Actor: a.ID, Session: session.SessionFor(a), Turn: turn, Steps: steps, State: store.ChainRunning, CreatedAt: k.now().UTC()}
	if len(steps) > 1 {
		k.write(ctx, a, turn, audit.KindChain, map[string]any{"chain": ch.ID, "order": stepIDs(steps)})
	}
	return k.advance(ctx, a, turn, ch, r.turn.Resources, false)
}

func stepIDs(steps []store.ChainStep) []session.StepID {
	out := make([]session.StepID, len(steps))
	for i, s := range steps {
		out[i] = s.ID
	}
	return out
}

// advance carries out the chain's planned steps in order until one needs a
// decision or all are settled. persisted says the chain is already stored.
func (k *Kernel) advance(ctx context.Context, a session.Actor, turn session.TurnID, ch *store.ChainRow, resources []route.Resource, persisted bool) ([]session.Part, error) {
	var parts []session.Part
	multi := len(ch.Steps) > 1
	var lastErr error
	for i := range ch.Steps {
		st := &ch.Steps[i]
		if st.State != store.StepPlanned {
			continue
		}
		if dep, why := k.blocked(ch, st); dep != "" {
			st.State, st.Reason = store.StepCancelled, fmt.Sprintf("not run because step %s %s", dep, why)
			k.write(ctx, a, turn, audit.KindStepCancelled, map[string]any{"chain": ch.ID, "step": st.ID, "tool": st.Tool, "because": dep})
			parts = append(parts, &session.Error{Code: session.CodeDependencyFailed, Message: fmt.Sprintf("Step %s (%s) was not run because step %s %s.", st.ID, st.Tool, dep, why)})
			continue
		}
		te, ok := k.tool(st.Tool)
		if !ok {
			st.State, st.Reason = store.StepFailed, "tool no longer available"
			parts = append(parts, &session.Error{Code: session.CodeUnknownTool, Message: fmt.Sprintf("Step %s: the tool %s is no longer available.", st.ID, st.Tool)})
			continue
		}
		args, sources, err := k.resolve(ctx, a, ch, st, te)
		if err == nil {
			if verr := validateArgs(te, args); verr != nil {
				err = verr
			}
		}
		if err == nil {
			err = k.authorize(ctx, a, turn, te, args, resources)
		}
		if err != nil {
			if ke := AsError(err); ke.Code == session.CodeInternal {
				return parts, err
			}
			parts, lastErr = stepFailed(st, err, "", multi, parts)
			continue
		}
		if te.level >= 2 || (te.level == 1 && k.cfg.ConfirmLevel1[a.Tenant]) {
			card, err := k.propose(ctx, a, turn, te, args, resources, ch, st, sources)
			if err != nil {
				return parts, err
			}
			st.State, st.Proposal = store.StepWaiting, card.ID
			return append(parts, card), k.wait(ctx, ch)
		}
		stepParts, f, err := k.execute(ctx, a, turn, st.ID, te, args, resources, ch.ID)
		if multi {
			stepParts = labelled(st, stepParts)
		}
		parts = append(parts, stepParts...)
		var pr *promoted
		if errors.As(err, &pr) {
			// The step runs on as a task; the plan waits for it (LRO-03).
			st.State, st.Task = store.StepWaiting, pr.task.ID
			return parts, k.wait(ctx, ch)
		}
		if f.ID != 0 {
			st.Fact = f.ID
		}
		if err != nil {
			if ke := AsError(err); ke.Code == session.CodeInternal || ke.Code == session.CodeUnavailable {
				return parts, err
			}
			parts, lastErr = stepFailed(st, err, " failed", multi, parts)
			continue
		}
		st.State = store.StepDone
	}
	ch.State = store.ChainDone
	if persisted {
		if err := k.st.SaveChain(ctx, *ch); err != nil {
			return parts, fmt.Errorf("save chain: %w", err)
		}
	}
	if multi {
		parts = append(parts, &session.Text{Text: chainSummary(ch)})
		k.write(ctx, a, turn, audit.KindChainDone, map[string]any{"chain": ch.ID, "steps": ch.Steps})
		return parts, nil
	}
	return parts, lastErr
}

// stepFailed settles a step as failed and, in a multi-step plan, reports
// it as an error part naming the step.
func stepFailed(st *store.ChainStep, err error, verb string, multi bool, parts []session.Part) ([]session.Part, *Error) {
	ke := AsError(err)
	st.State, st.Reason = store.StepFailed, ke.Message
	if multi {
		parts = append(parts, &session.Error{Code: ke.Code, Message: fmt.Sprintf("Step %s (%s)%s: %s", st.ID, st.Tool, verb, ke.Message)})
	}
	return parts, ke
}

// wait stores a plan that waits for a decision or a task, so that its end
// can resume it; a single step needs no resuming and is not stored.
func (k *Kernel) wait(ctx context.Context, ch *store.ChainRow) error {
	ch.State = store.ChainWaiting
	if len(ch.Steps) < 2 {
		return nil
	}
	if err := k.st.SaveChain(ctx, *ch); err != nil {
		return fmt.Errorf("save chain: %w", err)
	}
	return nil
}

// labelled prefixes a chain step's texts with the step it came from.
func labelled(st *store.ChainStep, parts []session.Part) []session.Part {
	for _, p := range parts {
		if t, ok := p.(*session.Text); ok {
			t.Text = fmt.Sprintf("[%s] %s", st.ID, t.Text)
		}
	}
	return parts
}

func chainSummary(ch *store.ChainRow) string {
	counts := map[store.StepState]int{}
	for _, s := range ch.Steps {
		counts[s.State]++
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Plan finished: %d of %d steps done", counts[store.StepDone], len(ch.Steps))
	for _, k := range []store.StepState{store.StepFailed, store.StepRejected, store.StepExpired, store.StepCancelled} {
		if counts[k] > 0 {
			fmt.Fprintf(&b, ", %d %s", counts[k], k)
		}
	}
	b.WriteString(".")
	return b.String()
}

// blocked reports the first dependency that did not complete, and how.
func (k *Kernel) blocked(ch *store.ChainRow, st *store.ChainStep) (session.StepID, string) {
	for _, d := range st.DependsOn {
		for _, s := range ch.Steps {
			if s.ID != d {
				continue
			}
			switch s.State {
			case store.StepDone:
			case store.StepFailed:
				return d, "failed"
			case store.StepRejected:
				return d, "was rejected"
			case store.StepExpired:
				return d, "expired before it was confirmed"
			case store.StepCancelled:
				return d, "was not run"
			default:
				return d, "has not run"
			}
		}
	}
	return "", ""
}

// resolve replaces step-output references with values from the producers'
// verbatim facts (CHAIN-08, CHAIN-09) and returns canonical arguments.
func (k *Kernel) resolve(ctx context.Context, a session.Actor, ch *store.ChainRow, st *store.ChainStep, te *toolEntry) (json.RawMessage, []session.Source, error) {
	args := map[string]any{}
	if len(st.Args) > 0 {
		dec := json.NewDecoder(bytes.NewReader(st.Args))
		dec.UseNumber()
		if err := dec.Decode(&args); err != nil {
			return nil, nil, Errf(session.CodeInvalidArguments, "The arguments for %s are not valid JSON.", te.id)
		}
	}
	var sources []session.Source
	for name, v := range args {
		ref, ok := route.IsRef(v)
		if !ok {
			continue
		}
		target, pointer, err := parseRef(ref)
		if err != nil {
			return nil, nil, Errf(session.CodeInvalidPlan, "%v", err)
		}
		var factID int64
		if strings.HasPrefix(target, "fact:") {
			factID, _ = strconv.ParseInt(strings.TrimPrefix(target, "fact:"), 10, 64)
		} else {
			for _, s := range ch.Steps {
				if s.ID == session.StepID(target) {
					if s.State != store.StepDone || s.Fact == 0 {
						return nil, nil, Errf(session.CodeDependencyFailed, "Step %s needs the output of step %s, which did not complete.", st.ID, target)
					}
					factID = s.Fact
				}
			}
		}
		f, err := k.st.Fact(ctx, factID)
		if errors.Is(err, store.ErrNotFound) || (err == nil && (f.Session != session.SessionFor(a) || !f.OK)) {
			return nil, nil, Errf(session.CodeDependencyFailed, "The result %s refers to is not available.", ref)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("load fact %d: %w", factID, err)
		}
		dec := json.NewDecoder(bytes.NewReader(f.Output))
		dec.UseNumber()
		var out any
		if err := dec.Decode(&out); err != nil {
			return nil, nil, fmt.Errorf("decode fact %d: %w", factID, err)
		}
		val, err := jsonPointer(out, pointer)
		if err != nil {
			return nil, nil, Errf(session.CodeDependencyFailed, "The reference %s points at nothing in %s's result: %v.", ref, f.Tool, err)
		}
		val = k.fitParam(te, name, val, f, pointer)
		args[name] = val
		enc, _ := json.Marshal(val)
		sources = append(sources, session.Source{Param: name, Ref: ref, Fact: f.ID, Tool: f.Tool, Value: enc})
	}
	raw, _ := json.Marshal(args)
	canon, err := canonical(raw)
	if err != nil {
		return nil, nil, err
	}
	slices.SortFunc(sources, func(x, y session.Source) int { return strings.Compare(x.Param, y.Param) })
	return canon, sources, nil
}

// fitParam adapts a resolved value to a string parameter: an object or an
// array is rendered with the producer tool's narration (the whole output)
// or listed deterministically (a part of it); a number becomes its text.
func (k *Kernel) fitParam(te *toolEntry, name string, val any, f session.Fact, pointer string) any {
	typ := ""
	for _, p := range te.spec.Params {
		if p.Name == name {
			typ = p.Type
		}
	}
	if typ != "string" {
		return val
	}
	switch val.(type) {
	case string, json.Number, bool:
		return scalarText(val)
	case map[string]any, []any:
		if pointer == "" || pointer == "/" {
			if pte, ok := k.tool(f.Tool); ok {
				return k.narrate(pte, f)
			}
		}
		var b strings.Builder
		narrate.WriteValue(&b, val, "\n- ")
		return strings.TrimPrefix(b.String(), "\n")
	}
	return val
}

// jsonPointer resolves an RFC 6901 pointer.
func jsonPointer(v any, pointer string) (any, error) {
	if pointer == "" {
		return v, nil
	}
	for _, tok := range strings.Split(pointer[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch x := v.(type) {
		case map[string]any:
			e, ok := x[tok]
			if !ok {
				return nil, fmt.Errorf("no field %q", tok)
			}
			v = e
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(x) {
				return nil, fmt.Errorf("no item %s (the list has %d)", tok, len(x))
			}
			v = x[i]
		default:
			return nil, fmt.Errorf("%q is not inside an object or list", tok)
		}
	}
	return v, nil
}

// remaining lists the steps after st that have not settled, for a card.
func remaining(ch *store.ChainRow, st *store.ChainStep) []session.PlanStep {
	var out []session.PlanStep
	after := false
	for _, s := range ch.Steps {
		if s.ID == st.ID {
			after = true
			continue
		}
		if after && s.State == store.StepPlanned {
			out = append(out, session.PlanStep{ID: s.ID, Tool: s.Tool, Args: s.Args, DependsOn: s.DependsOn})
		}
	}
	return out
}

// settleChain records a waiting step's outcome (a decision or a finished
// task) and resumes the chain: the step's dependents are cancelled if it did
// not complete, and independent steps carry on.
func (k *Kernel) settleChain(ctx context.Context, a session.Actor, turn session.TurnID, chain session.ChainID, step session.StepID, state store.StepState, fact int64, reason string) ([]session.Part, error) {
	if chain == "" {
		return nil, nil
	}
	ch, err := k.st.GetChain(ctx, chain)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil // a single-step plan is never stored
	}
	if err != nil {
		return nil, fmt.Errorf("load chain %s: %w", chain, err)
	}
	for i := range ch.Steps {
		if ch.Steps[i].ID == step {
			ch.Steps[i].State, ch.Steps[i].Fact, ch.Steps[i].Reason = state, fact, reason
		}
	}
	ch.State = store.ChainRunning
	resources, err := k.resources(ctx, a.Tenant)
	if err != nil {
		return nil, fmt.Errorf("context: %w", err)
	}
	return k.advance(ctx, a, turn, &ch, resources, true)
}

// answer replies to a question about an earlier result from its verbatim
// fact (AF-02): counting or listing the items that match, never
// re-narrating or guessing.
func (k *Kernel) answer(ctx context.Context, a session.Actor, turn session.TurnID, q route.LedgerQuery) ([]session.Part, error) {
	f, err := k.st.Fact(ctx, q.Fact)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (f.Session != session.SessionFor(a) || !f.OK)) {
		return nil, Errf(session.CodeNotFound, "I no longer have that result; ask for it again.")
	}
	if err != nil {
		return nil, fmt.Errorf("load fact %d: %w", q.Fact, err)
	}
	dec := json.NewDecoder(bytes.NewReader(f.Output))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("decode fact %d: %w", q.Fact, err)
	}
	v, err := jsonPointer(out, q.Path)
	items, ok := v.([]any)
	if err != nil || !ok || q.Path == "" || q.Path == "/" {
		return nil, Errf(session.CodeNotFound, "That result (%s) holds no list to answer from.", f.Tool)
	}
	var match []any
	for _, it := range items {
		if matches(it, q.Where) {
			match = append(match, it)
		}
	}
	var names []string
	for _, it := range match {
		names = append(names, itemLabel(it, q.Field))
	}
	var cond []string
	for _, key := range sortedKeys(q.Where) {
		cond = append(cond, key+" "+q.Where[key])
	}
	var b strings.Builder
	where := ""
	if len(cond) > 0 {
		where = " with " + strings.Join(cond, " and ")
	}
	fmt.Fprintf(&b, "%d of the %d %s%s", len(match), len(items), strings.TrimPrefix(q.Path, "/"), where)
	if len(names) > 0 {
		fmt.Fprintf(&b, ": %s", strings.Join(names, ", "))
	}
	fmt.Fprintf(&b, " (from %s at %s).", f.Tool, f.At.UTC().Format("15:04 MST"))
	text := b.String()
	// The answer is itself a fact, so "those" on the next turn means the
	// matched items, not the whole list.
	segs := strings.Split(strings.TrimPrefix(q.Path, "/"), "/")
	if match == nil {
		match = []any{}
	}
	ansOut, _ := json.Marshal(map[string]any{segs[len(segs)-1]: match})
	qargs, _ := json.Marshal(q)
	af := session.Fact{Session: session.SessionFor(a), Turn: turn, Step: "answer", Tool: AnswerTool, Args: qargs, ArgsHash: ArgsHash(AnswerTool, qargs), OK: true, Output: ansOut, At: k.now()}
	id, err := k.st.Record(ctx, af)
	if err != nil {
		return nil, fmt.Errorf("record answer: %w", err)
	}
	k.write(ctx, a, turn, audit.KindAnswered, map[string]any{"fact": f.ID, "query": q, "matched": len(match), "of": len(items), "text": text})
	k.write(ctx, a, turn, audit.KindResult, map[string]any{"step": "answer", "tool": AnswerTool, "ok": true, "fact": id, "output_sha256": sha(ansOut), "output": json.RawMessage(ansOut)})
	return []session.Part{&session.Text{Text: text}}, nil
}

// AnswerTool names the facts the kernel records for answers from the ledger.
const AnswerTool = "kernel.answer"

func matches(item any, where map[string]string) bool {
	m, ok := item.(map[string]any)
	if !ok {
		return len(where) == 0
	}
	for k, want := range where {
		got, ok := m[k]
		if !ok || !strings.EqualFold(scalarText(got), want) {
			return false
		}
	}
	return true
}

func scalarText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func itemLabel(it any, field string) string {
	if m, ok := it.(map[string]any); ok && field != "" {
		if v, ok := m[field]; ok {
			return scalarText(v)
		}
	}
	return scalarText(it)
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// markChainTask notes that a waiting step now runs as a task.
func (k *Kernel) markChainTask(ctx context.Context, chain session.ChainID, step session.StepID, task session.TaskID) error {
	ch, err := k.st.GetChain(ctx, chain)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("load chain %s: %w", chain, err)
	}
	for i := range ch.Steps {
		if ch.Steps[i].ID == step {
			ch.Steps[i].Task = task
		}
	}
	return k.st.SaveChain(ctx, ch)
}

func joinIDs[T ~string](ids []T, sep string) string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = string(id)
	}
	return strings.Join(out, sep)
}
