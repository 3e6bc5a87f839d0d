package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/steward-os/steward/kernel/audit"
	"github.com/steward-os/steward/kernel/internal/dialogue"
	"github.com/steward-os/steward/kernel/internal/kit"
	"github.com/steward-os/steward/sdk"
	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// followed is a text request read against the session's dialogue state
// (docs/conversation.md): the request to plan, and what the turn already
// answered.
type followed struct {
	text  string
	parts []session.Part
	done  bool
	ds    *dialogue.Session
}

// follow reads the request against the dialogue state: a confirmation
// word decides the one pending proposal, a greeting or thanks is answered,
// an answer to the pending question completes the original request, a
// follow-up repeats the last request with the new name. Nothing runs here.
func (e *Engine) follow(ctx context.Context, a session.Actor, t *turn, text string) (followed, error) {
	f := followed{text: text}
	if e.Dialogue == nil {
		return f, nil
	}
	ds, err := e.Dialogue.Load(ctx, session.SessionFor(a))
	if err != nil {
		return f, err
	}
	f.ds = ds
	lv, err := e.Levels.Resolve(ctx, a, t.in.From.Channel)
	if err != nil {
		return f, fmt.Errorf("context: %w", err)
	}
	names := dialogue.Names{Resources: lv.Resources(), Catalog: e.Registry.CatalogFor(a.Tenant)}
	if members, err := e.Directory.Members(ctx, a.Tenant); err == nil {
		for _, m := range members {
			names.Members = append(names.Members, sdk.Member{ID: m.ID, Roles: m.Roles, Manager: m.Manager})
		}
	}
	rd := dialogue.Follow(ds.State, text, names)
	switch rd.Kind {
	case dialogue.Confirm, dialogue.Reject:
		f.parts, err = e.confirmWord(ctx, a, t, ds, rd.Kind == dialogue.Confirm)
		f.done = true
		return f, err
	case dialogue.Greeting:
		f.parts, f.done = []session.Part{&session.Text{Text: e.greeting(a.Tenant)}}, true
	case dialogue.Thanks:
		f.parts, f.done = []session.Part{&session.Text{Text: "You're welcome."}}, true
	case dialogue.Dismiss:
		e.Dialogue.Drop(ds)
		f.parts, f.done = []session.Part{&session.Text{Text: "OK, I've dropped that question; nothing was done."}}, true
	case dialogue.Answer, dialogue.FollowUp:
		f.text = rd.Text
		e.Recorder.Note(ctx, a, t.id, audit.KindContext, map[string]any{"dialogue": followKind(rd.Kind), "request": rd.Text})
	}
	if rd.Dropped && !f.done {
		f.parts = append(f.parts, &session.Text{Text: "(I've dropped my earlier question.)"})
		e.Dialogue.Drop(ds)
	}
	return f, nil
}

func followKind(k dialogue.Kind) string {
	if k == dialogue.Answer {
		return "answer"
	}
	return "follow-up"
}

// remember updates the dialogue state with what the turn did and saves
// it. A failure to save is logged: the turn's answer stands.
func (e *Engine) remember(ctx context.Context, f followed, r *understood, parts []session.Part) {
	if f.ds == nil {
		return
	}
	if r != nil {
		switch {
		case r.clarify != "":
			tool := ""
			if len(r.plan.Steps) == 1 {
				tool = string(r.plan.Steps[0].Tool)
			}
			e.Dialogue.Asked(f.ds, f.text, tool, r.clarify)
		case len(r.plan.Steps) > 0:
			e.Dialogue.Planned(f.ds, f.text, string(r.plan.Steps[0].Tool))
		}
	}
	for _, p := range parts {
		if c, ok := p.(*session.ProposalCard); ok {
			e.Dialogue.Proposed(f.ds, dialogue.Proposal{ID: c.ID, Tool: string(c.Tool), Level: c.SafetyLevel})
		}
	}
	if err := e.Dialogue.Save(ctx, f.ds); err != nil {
		e.log.ErrorContext(ctx, "save dialogue state", "err", err)
	}
}

// confirmWord applies "yes" / "no" to the actor's one pending proposal of
// this session; with several it asks which, with none it says so. A
// proposal at level 4 still needs its phrase.
func (e *Engine) confirmWord(ctx context.Context, a session.Actor, t *turn, ds *dialogue.Session, accept bool) ([]session.Part, error) {
	var open []store.ProposalRow
	now := e.Clock()
	e.Dialogue.Forget(ds, func(p dialogue.Proposal) bool {
		row, err := e.Gate.Get(ctx, p.ID)
		gone := err != nil || row.State != store.ProposalPending || row.Tenant != a.Tenant || row.Actor != a.ID || now.After(row.ExpiresAt)
		if !gone {
			open = append(open, row)
		}
		return gone
	})
	defer func() {
		if err := e.Dialogue.Save(ctx, ds); err != nil {
			e.log.ErrorContext(ctx, "save dialogue state", "err", err)
		}
	}()
	switch {
	case len(open) == 0 && !accept && ds.State.Pending != nil:
		e.Dialogue.Drop(ds)
		return []session.Part{&session.Text{Text: "OK, I've dropped that question; nothing was done."}}, nil
	case len(open) == 0:
		return []session.Part{&session.Text{Text: "There is nothing waiting for your confirmation."}}, nil
	case len(open) > 1:
		var b []string
		for _, p := range open {
			b = append(b, fmt.Sprintf("%s (%s)", p.ID, p.Tool))
		}
		return []session.Part{&session.Text{Text: fmt.Sprintf("Several proposals are waiting: %s. Which one? Say “confirm <id>” or “reject <id>”.", strings.Join(b, ", "))}}, nil
	}
	p := open[0]
	if accept && p.Level >= 4 {
		return []session.Part{&session.Text{Text: fmt.Sprintf("%s (%s) is irreversible: type “confirm %s” followed by the confirmation phrase shown on the card.", p.ID, p.Tool, p.ID)}}, nil
	}
	kind := session.ActionReject
	if accept {
		kind = session.ActionAccept
	}
	parts, err := e.decide(ctx, a, t, session.Action{Kind: kind, Proposal: p.ID})
	for _, part := range parts { // the next step of a plan, proposed now
		if c, ok := part.(*session.ProposalCard); ok {
			e.Dialogue.Proposed(ds, dialogue.Proposal{ID: c.ID, Tool: string(c.Tool), Level: c.SafetyLevel})
		}
	}
	return parts, err
}

// greeting answers "hi, what can you do?": what the tenant's extensions
// do, an example of each, and what runs without a confirmation.
func (e *Engine) greeting(tenant session.TenantID) string {
	var ex []string
	seen := map[string]bool{}
	for _, s := range e.Registry.CatalogFor(tenant) {
		if seen[s.Extension] || len(s.Examples) == 0 {
			continue
		}
		seen[s.Extension] = true
		ex = append(ex, "“"+s.Examples[0]+"”")
	}
	return "Hello! I can help with: " + strings.Join(e.Registry.Descriptions(tenant), "; ") +
		". For example: " + strings.Join(ex, ", ") + ". Questions are answered at once; anything that changes something is shown to you first, and waits for your confirmation unless your organisation lets small, reversible changes run directly."
}

// notHere turns a plan for a request that names something the tenant does
// not have ("show acme.test dns records" in another tenant) into "not
// found": the planner, which sees only the tenant's names, would have
// answered for something else. The answer is the same whether or not the
// name exists in another tenant.
func (e *Engine) notHere(ctx context.Context, a session.Actor, turn session.TurnID, r *understood, text string) {
	if len(r.plan.Steps) == 0 {
		return
	}
	var used []string
	people := false
	for _, s := range r.plan.Steps {
		for _, spec := range r.turn.Catalog {
			if spec.ID == s.Tool {
				for _, p := range spec.Params {
					people = people || p.Resource == "person"
				}
			}
		}
		for _, v := range kit.ArgMap(s.Args) {
			if str, ok := v.(string); ok {
				used = append(used, str)
			}
		}
	}
	names := dialogue.Names{Resources: r.turn.Resources, Members: r.turn.Members, Catalog: r.turn.Catalog}
	if w := dialogue.UnknownName(text, names, used, people); w != "" {
		e.Recorder.Note(ctx, a, turn, audit.KindReplied, map[string]string{"not_found": w})
		r.clarify = fmt.Sprintf("Not found: “%s” is not a name I know here, so I haven't done anything. Check the name, or ask me to list what there is.", w)
		r.plan.Steps = nil
	}
}
