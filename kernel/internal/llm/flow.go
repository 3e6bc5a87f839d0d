package llm

import (
	"context"
	"strings"

	"github.com/steward-os/steward/kernel/audit"
	"github.com/steward-os/steward/kernel/internal/ground"
	"github.com/steward-os/steward/kernel/route"
	"github.com/steward-os/steward/session"
)

// Function and response-format names of the structured answers.
const (
	fnRoute = "steward_route"
	fnPlan  = "steward_plan"
)

// Replies the kernel gives instead of a model's text.
const (
	notUnderstood = "I'm not sure what you'd like me to do. Could you say it in other words?"
	noPermission  = "Your role does not allow any of the actions that would answer this request."
)

// route asks a model for the intent, re-asking with the problems of an
// unusable answer at most Repairs times.
func (m *Model) route(ctx context.Context, t route.Turn) (route.Intent, error) {
	ds := m.domains(t)
	if len(ds) == 0 {
		return route.Intent{Kind: session.IntentNone}, nil
	}
	g := m.gate(t.Actor.Tenant)
	mk := newMarkers()
	r := &request{stage: "route", format: &format{name: fnRoute, description: "The domains that can serve the request.", schema: routeSchema(ds)},
		messages: []message{
			{roleSystem, routeSystem(mk, ds)},
			{roleUser, userPrompt(mk, m.renderContext(t, g, false), g.text(t.Text), nil)},
		}}
	for {
		c, err := m.complete(ctx, t.Actor, t.ID, r)
		if err != nil {
			return route.Intent{}, err
		}
		in, issues := parseRoute(c, fnRoute, ds)
		if len(issues) == 0 {
			in.Clarify = m.groundQuestion(ctx, t, g, in.Clarify, "route", "")
			return in, nil
		}
		if r.attempt >= m.o.Repairs {
			return route.Intent{Kind: session.IntentNone, Clarify: notUnderstood}, nil
		}
		r.reask(c, issues)
	}
}

// reask appends the unusable answer and its problems to the request.
func (r *request) reask(c *completion, issues []string) {
	r.messages = append(r.messages, message{roleAssistant, c.text()}, message{roleUser, repairPrompt(issues)})
	r.attempt++
	r.stage = strings.TrimSuffix(r.stage, "_repair") + "_repair"
}

// plan asks a model for a plan over the surface tools the actor may run;
// a plan that does not parse or fails the kernel's check is re-asked
// with its problems at most Repairs times, then the person gets a
// question. A plan whose only problem is a tool outside that surface is
// returned as it is: the kernel refuses it (unknown_tool, ROUTE-03).
func (m *Model) plan(ctx context.Context, t route.Turn, surface []route.ToolSpec) (route.Plan, error) {
	var allowed []route.ToolSpec
	for _, s := range surface {
		if m.o.Tools.Permits(t.Actor, s.ID) {
			allowed = append(allowed, s)
		}
	}
	if len(allowed) == 0 {
		return route.Plan{Clarify: noPermission}, nil
	}
	g := m.gate(t.Actor.Tenant)
	mk := newMarkers()
	feedback := make([]string, len(t.Feedback))
	for i, f := range t.Feedback {
		feedback[i] = g.text(f)
	}
	r := &request{stage: "plan", tools: m.functions(allowed),
		format: &format{name: fnPlan, description: "The steps that answer the request.", schema: planSchema(allowed)},
		messages: []message{
			{roleSystem, m.planSystem(mk, t.Actor, allowed)},
			{roleUser, userPrompt(mk, m.renderContext(t, g, true), g.text(t.Text), feedback)},
		}}
	for {
		c, err := m.complete(ctx, t.Actor, t.ID, r)
		if err != nil {
			return route.Plan{}, err
		}
		p, issues := parsePlan(c, g)
		if len(issues) == 0 {
			if p.Clarify != "" {
				p.Clarify = m.groundQuestion(ctx, t, g, p.Clarify, "plan", notUnderstood)
				return p, nil
			}
			if issues = m.problems(ctx, t.Actor, p, allowed); issues == nil {
				return p, nil
			}
		}
		if r.attempt >= m.o.Repairs {
			return route.Plan{Clarify: "I couldn't put together a valid plan for that (" + strings.TrimSuffix(issues[0], ".") + "). Could you rephrase it or give the missing details?"}, nil
		}
		r.reask(c, issues)
	}
}

// problems runs the kernel's plan check: nil when the plan passes or its
// only problems are tools outside the surface (the kernel refuses those).
func (m *Model) problems(ctx context.Context, a session.Actor, p route.Plan, surface []route.ToolSpec) []string {
	if m.o.Check == nil || p.Answer != nil {
		return nil
	}
	var out []string
	outside := true
	for _, e := range m.o.Check(ctx, a, p, surface) {
		out = append(out, e.Message)
		outside = outside && e.Code == session.CodeUnknownTool
	}
	if outside {
		return nil
	}
	return out
}

// groundQuestion passes a model's question through the grounding check
// (enforce mode): names of the turn's context may be used, but a question
// that claims a value or a state the facts do not hold ("Done — I
// restarted web-1. Anything else?") is replaced by instead and audited.
func (m *Model) groundQuestion(ctx context.Context, t route.Turn, g *gate, text, stage, instead string) string {
	if text == "" {
		return ""
	}
	res := ground.Check(text, t.Facts, ground.Options{Request: g.text(t.Text), Words: contextWords(t)})
	if res.Grounded {
		return g.restore(text)
	}
	m.o.Recorder.Note(ctx, t.Actor, t.ID, audit.KindGroundingBlocked, map[string]any{"source": "model", "stage": stage, "violations": res.Violations, "blocked_text": text})
	return instead
}

// contextWords are the names a question may use: the tools, extensions,
// people and things of the turn.
func contextWords(t route.Turn) []string {
	var w []string
	for _, s := range t.Catalog {
		w = append(w, string(s.ID), s.Name, s.Extension)
		for _, p := range s.Params {
			w = append(w, p.Name)
			w = append(w, p.Enum...)
		}
	}
	for _, r := range t.Resources {
		w = append(w, r.ID, r.Kind)
	}
	for _, mb := range t.Members {
		w = append(w, string(mb.ID))
	}
	return w
}
