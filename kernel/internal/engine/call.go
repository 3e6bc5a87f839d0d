package engine

import (
	"context"

	"github.com/steward-os/steward/kernel/audit"
	"github.com/steward-os/steward/kernel/internal/kit"
	"github.com/steward-os/steward/kernel/route"
	"github.com/steward-os/steward/session"
)

// call runs a structured tool call (an agent's tools/call): the stages of
// a text request after routing, in the same order — context, the plan of
// one step checked on the actor's surface (the tools of extensions that
// serve the tenant: anything else is unknown_tool), then run: authorize,
// gate, dispatch, record, narrate. A call at a level that needs a person
// becomes a proposal like any other; nothing here decides one.
func (e *Engine) call(ctx context.Context, a session.Actor, t *turn) ([]session.Part, error) {
	c := *t.in.Call
	if len(c.Args) == 0 {
		c.Args = []byte("{}")
	}
	e.Recorder.Note(ctx, a, t.id, audit.KindAsked, map[string]any{"channel": t.in.From.Channel, "call": c.Tool, "args": c.Args, "inbound": t.in.ID})
	rt, err := e.context(ctx, a, t.id, t.in.From.Channel, "")
	if err != nil {
		return nil, err
	}
	r := &understood{turn: rt, surface: e.Registry.Callable(a.Tenant), // the catalog and the probes
		plan: route.Plan{Steps: []route.Step{{ID: "s1", Tool: c.Tool, Args: c.Args}}, Confidence: 1}}
	var problems []*kit.Error
	r.steps, problems = e.Plans.Check(ctx, a, r.plan, r.surface)
	e.Recorder.Note(ctx, a, t.id, audit.KindPlanned, map[string]any{"steps": r.plan.Steps, "confidence": 1, "problems": problems, "call": true})
	if len(problems) > 0 {
		return nil, &kit.Error{Code: problems[0].Code, Message: problems[0].Message}
	}
	return e.run(ctx, a, t, r)
}
