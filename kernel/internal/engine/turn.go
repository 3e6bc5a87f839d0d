package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/steward-os/steward/kernel/audit"
	"github.com/steward-os/steward/kernel/internal/kit"
	"github.com/steward-os/steward/kernel/internal/tasks"
	"github.com/steward-os/steward/kernel/route"
	"github.com/steward-os/steward/sdk"
	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// Handle runs one turn for an authenticated actor: a text request or a
// structured decision on a proposal. It always returns an Outbound; err is
// non-nil only when the turn could not be recorded at all.
//
// An inbound event with a dedupe key (in.ID) is handled once per actor and
// channel: a redelivery of the same request gets the first delivery's
// outcome back and runs nothing again; the key reused for another request
// is refused (idempotency_key_reused).
func (e *Engine) Handle(ctx context.Context, a session.Actor, in session.Inbound) (session.Outbound, error) {
	out := session.Outbound{To: in.From, Turn: session.TurnID(kit.NewID("t_"))}
	key, first, prev, err := e.claim(ctx, a, in)
	if errors.Is(err, store.ErrKeyReused) {
		return e.reused(ctx, a, in, out), nil
	}
	if err != nil {
		return out, err
	}
	if !first {
		return e.duplicate(ctx, a, in, out, prev), nil
	}
	t := &turn{id: out.Turn, in: in, inbound: key}
	var parts []session.Part
	release, err := e.fair.acquire(ctx, a.Tenant)
	if err == nil {
		parts, err = e.stages(ctx, a, t)
		release()
	} else {
		// The wait used up the request's time; its refusal is still
		// recorded and answered.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), refusalGrace)
		defer cancel()
	}
	if err != nil {
		ke := kit.AsError(err)
		if ke.Code == session.CodeInternal {
			e.log.ErrorContext(ctx, "turn failed", "turn", out.Turn, "err", err)
		}
		e.Recorder.Note(ctx, a, out.Turn, audit.KindError, map[string]string{"code": ke.Code, "message": ke.Message})
		parts = append(parts, &session.Error{Code: ke.Code, Message: ke.Message})
	}
	out.Parts, out.Decided = parts, t.decided
	if err := e.Recorder.Sync(ctx); err != nil {
		return out, fmt.Errorf("audit: %w", err)
	}
	e.finish(ctx, key, out)
	return out, nil
}

// turn is one turn as it passes the stages.
type turn struct {
	id      session.TurnID
	in      session.Inbound
	inbound string             // its dedupe key, "" without one
	decided []session.Decision // proposals this turn settled
}

// origin is the request this turn's dispatches answer: its dedupe key
// when it has one (a resend of it finds their claims), else the turn.
func (t *turn) origin() tasks.Origin {
	return tasks.Origin{Turn: t.id, Identity: t.inbound, Inbound: t.inbound}
}

// stages runs the pipeline of docs/pipeline.md, in order.
func (e *Engine) stages(ctx context.Context, a session.Actor, t *turn) ([]session.Part, error) {
	a, err := e.actor(ctx, a, t)
	if err != nil {
		return nil, err
	}
	if err := e.quota(ctx, a, t); err != nil {
		return nil, err
	}
	if act := decision(t.in); act != nil {
		return e.decide(ctx, a, t, *act) // a decision resumes a frozen plan
	}
	if t.in.Call != nil {
		return e.call(ctx, a, t) // a structured call: the same stages, without routing
	}
	text, parts, done, err := e.request(ctx, a, t)
	if done || err != nil {
		return parts, err
	}
	f, err := e.follow(ctx, a, t, text) // dialogue state: answers, follow-ups, "yes" (dialogue.go)
	if f.done || err != nil {
		return f.parts, err
	}
	r, parts, err := e.respond(ctx, a, t, f.text)
	e.remember(ctx, f, r, parts)
	return append(f.parts, parts...), err
}

// respond understands a text request and carries it out.
func (e *Engine) respond(ctx context.Context, a session.Actor, t *turn, text string) (*understood, []session.Part, error) {
	r, err := e.understand(ctx, a, t.id, t.in.From.Channel, text) // context → route → plan → validate
	if err != nil {
		return nil, nil, err
	}
	parts := r.notices()             // how the turn was understood, when not the usual way
	e.notHere(ctx, a, t.id, r, text) // a name the tenant does not have (dialogue.go)
	switch {
	case r.clarify != "":
		e.Recorder.Note(ctx, a, t.id, audit.KindReplied, map[string]string{"clarify": r.clarify})
		return r, append(parts, &session.Text{Text: r.clarify}), nil
	case r.plan.Answer != nil:
		more, err := e.answer(ctx, a, t.id, *r.plan.Answer)
		return r, append(parts, more...), err
	}
	more, err := e.run(ctx, a, t, r) // authorize → gate → dispatch → record → narrate, step by step
	return r, append(parts, more...), err
}

// actor re-reads the actor from the directory (ISO-01) and remembers the
// channel the turn came from (continuity).
func (e *Engine) actor(ctx context.Context, a session.Actor, t *turn) (session.Actor, error) {
	a, err := e.Authz.Actor(ctx, a)
	if err != nil {
		return a, err
	}
	e.Bus.Touch(ctx, session.SessionFor(a), t.in.From)
	return a, nil
}

// quota applies the actor's turn quota (L2).
func (e *Engine) quota(ctx context.Context, a session.Actor, t *turn) error {
	if e.Quotas.Allow(a) {
		return nil
	}
	e.Recorder.Note(ctx, a, t.id, audit.KindDenied, map[string]string{"reason": "quota", "code": session.CodeRateLimited})
	return kit.Errf(session.CodeRateLimited, "You are sending requests faster than your quota allows; wait a moment and try again.")
}

// decision is the inbound's decision on a proposal: a structured action,
// or its typed form ("confirm p_… [phrase]", "reject p_…").
func decision(in session.Inbound) *session.Action {
	if in.Action != nil {
		return in.Action
	}
	if d, ok := session.ParseDecision(in.Text); ok {
		return d
	}
	return nil
}

// request checks and records a text request (secrets removed, ISO-05), and
// answers the requests that are not for a tool: a link code typed where
// the actor is known, "cancel that", "link my account". done says the
// turn is answered.
func (e *Engine) request(ctx context.Context, a session.Actor, t *turn) (string, []session.Part, bool, error) {
	text := e.Masker.Secrets(strings.TrimSpace(t.in.Text))
	if text == "" {
		return "", nil, true, kit.Errf(session.CodeBadRequest, "The message is empty; say what you need, for example \"list my servers\".")
	}
	if utf8.RuneCountInString(text) > session.MaxTextLen {
		return "", nil, true, kit.Errf(session.CodeBadRequest, "The message is longer than %d characters.", session.MaxTextLen)
	}
	asked := map[string]any{"channel": t.in.From.Channel, "text": text, "inbound": t.in.ID}
	if _, ok := session.LinkRedeemCode(text); ok {
		asked["text"] = "link [code]" // a code is never recorded
		e.Recorder.Note(ctx, a, t.id, audit.KindAsked, asked)
		return "", []session.Part{&session.Text{Text: "You are already signed in here. Send the code from the app you want to link, within 10 minutes of asking for it."}}, true, nil
	}
	// Queued, not awaited: nothing changes before the next durable record
	// (a dispatch at level ≥ 1, a proposal), which commits it first, and
	// the turn syncs before it answers.
	e.Recorder.Note(ctx, a, t.id, audit.KindAsked, asked)
	if parts, ok, err := e.Tasks.ByText(ctx, a, text); ok {
		return "", parts, true, err
	}
	if parts, ok, err := e.Links.ByText(ctx, a, text); ok {
		return "", parts, true, err
	}
	if session.IsStopGrants(text) { // "stop auto-approving" (APR-03)
		parts, err := e.Gate.Revoke(ctx, a, t.id)
		return "", parts, true, err
	}
	return text, nil, false, nil
}

// understood is the outcome of context, routing, planning and validation.
type understood struct {
	turn    route.Turn
	intent  route.Intent
	plan    route.Plan
	surface []route.ToolSpec
	steps   []store.ChainStep // the validated plan, in execution order
	clarify string
	kind    string
}

// understand resolves context, routes, plans on the routed surface and
// validates the plan. It runs nothing.
func (e *Engine) understand(ctx context.Context, a session.Actor, turn session.TurnID, channel session.ChannelID, text string) (*understood, error) {
	rt, err := e.context(ctx, a, turn, channel, text)
	if err != nil {
		return nil, err
	}
	r := &understood{turn: rt}
	if err := e.route(ctx, a, turn, r); err != nil {
		return nil, err
	}
	if r.clarify != "" {
		return r, nil
	}
	if err := e.planAndValidate(ctx, a, turn, r); err != nil {
		return nil, err
	}
	if r.clarify != "" {
		return r, nil
	}
	switch {
	case r.plan.Answer != nil:
		r.kind = session.IntentRead
	case len(r.plan.Steps) == 0:
		r.kind, r.clarify = session.IntentNone, e.cannotHelp(a.Tenant)
	default:
		r.kind = e.kindOf(r.plan)
	}
	return r, nil
}

// context resolves L0–L8 for the actor (tenant- and role-filtered,
// PII-masked) with the tenant's members and the session's recent facts.
func (e *Engine) context(ctx context.Context, a session.Actor, turn session.TurnID, channel session.ChannelID, text string) (route.Turn, error) {
	lv, err := e.Levels.Resolve(ctx, a, channel)
	if err != nil {
		return route.Turn{}, fmt.Errorf("context: %w", err)
	}
	members, err := e.Directory.Members(ctx, a.Tenant)
	if err != nil {
		return route.Turn{}, fmt.Errorf("context: %w", err)
	}
	unmask := e.Levels.Unmasked(a.Tenant)
	// AF-10: what reaches a router or model is masked.
	facts, err := e.recent.Recent(ctx, session.SessionFor(a), e.cfg.LedgerCap, !unmask)
	if err != nil {
		return route.Turn{}, fmt.Errorf("context: %w", err)
	}
	rt := route.Turn{Text: text, Actor: a, Resources: lv.Resources(), ContextKey: lv.Key, ID: turn, Facts: facts, Catalog: e.Registry.CatalogFor(a.Tenant)}
	for _, m := range members {
		rt.Members = append(rt.Members, sdk.Member{ID: m.ID, Roles: m.Roles, Manager: m.Manager})
	}
	e.Recorder.Note(ctx, a, turn, audit.KindContext, lv.Summary(len(members), len(facts)))
	if unmask {
		e.Recorder.Note(ctx, a, turn, audit.KindUnmasked, map[string]any{"facts": len(facts), "reason": "tenant policy unmask_pii"})
	}
	return rt, nil
}

// route classifies the turn and picks the routed surface: only the routed
// domains' tools reach the planner (ROUTE-02). Below the confidence floor
// it asks instead.
func (e *Engine) route(ctx context.Context, a session.Actor, turn session.TurnID, r *understood) error {
	var err error
	r.intent, err = e.Router.Route(ctx, r.turn)
	if err != nil {
		return fmt.Errorf("route: %w", err)
	}
	e.Recorder.Note(ctx, a, turn, audit.KindClassified, r.intent)
	if r.intent.Kind == session.IntentNone || r.intent.Confidence < e.cfg.MinConfidence || len(r.intent.Domains) == 0 {
		r.kind, r.clarify = session.IntentNone, r.intent.Clarify
		if r.clarify == "" {
			r.clarify = e.cannotHelp(a.Tenant)
		}
		return nil
	}
	for _, s := range r.turn.Catalog {
		if slices.Contains(r.intent.Domains, s.Extension) {
			r.surface = append(r.surface, s)
		}
	}
	return nil
}

// planAndValidate plans on the routed surface and validates the whole
// plan, re-planning with the problems as feedback a bounded number of
// times (ROUTE-04). The validated steps are kept for the run.
func (e *Engine) planAndValidate(ctx context.Context, a session.Actor, turn session.TurnID, r *understood) error {
	for attempt := 0; ; attempt++ {
		var err error
		r.plan, err = e.Planner.Plan(ctx, r.turn, r.intent, r.surface)
		if err != nil {
			return fmt.Errorf("plan: %w", err)
		}
		if r.plan.Clarify != "" {
			e.Recorder.Note(ctx, a, turn, audit.KindPlanned, map[string]any{"clarify": r.plan.Clarify, "steps": r.plan.Steps})
			r.clarify, r.kind = r.plan.Clarify, session.IntentNone
			return nil
		}
		var problems []*kit.Error
		if r.plan.Answer == nil {
			r.steps, problems = e.Plans.Check(ctx, a, r.plan, r.surface)
		}
		e.Recorder.Note(ctx, a, turn, audit.KindPlanned, map[string]any{"steps": r.plan.Steps, "confidence": r.plan.Confidence, "problems": problems, "attempt": attempt + 1})
		if len(problems) == 0 {
			return nil
		}
		if attempt >= e.cfg.PlanRetries || problems[0].Code == session.CodeUnknownTool {
			return &kit.Error{Code: problems[0].Code, Message: problems[0].Message}
		}
		r.turn.Feedback = nil
		for _, p := range problems {
			r.turn.Feedback = append(r.turn.Feedback, p.Message)
		}
	}
}

func (e *Engine) cannotHelp(tenant session.TenantID) string {
	return "I can't help with that. I can help with: " + strings.Join(e.Registry.Descriptions(tenant), "; ")
}

// kindOf is the intent of a plan: a chain, or the level of its one tool.
func (e *Engine) kindOf(p route.Plan) string {
	if len(p.Steps) > 1 {
		return session.IntentChain
	}
	t, ok := e.Registry.Tool(p.Steps[0].Tool)
	switch {
	case !ok:
		return session.IntentNone
	case t.Level >= 3:
		return session.IntentDestructive
	case t.Level >= 1:
		return session.IntentWrite
	}
	return session.IntentRead
}

// claim takes the inbound's dedupe key for its request; first is false
// for a redelivery, with the first delivery's stored outcome (nil while it
// is unfinished). store.ErrKeyReused when the key answered another
// request.
func (e *Engine) claim(ctx context.Context, a session.Actor, in session.Inbound) (key string, first bool, prev json.RawMessage, err error) {
	if in.ID == "" {
		return "", true, nil, nil
	}
	key = strings.Join([]string{string(a.Tenant), string(a.ID), string(in.From.Channel), in.ID}, "\x1f")
	first, prev, err = e.st.ClaimInbound(ctx, key, requestHash(in), e.Clock())
	if err != nil {
		return "", false, nil, fmt.Errorf("dedupe: %w", err)
	}
	return key, first, prev, nil
}

// requestHash is what a dedupe key is bound to: the SHA-256 of the
// request in canonical form — a decision (structured or typed) as its
// kind, proposal and phrase, a text as its trimmed text.
func requestHash(in session.Inbound) string {
	if act := decision(in); act != nil {
		parts := []string{"decision", string(act.Kind), string(act.Proposal), strings.TrimSpace(act.Phrase)}
		if act.Grant != "" {
			parts = append(parts, "grant:"+act.Grant) // absent before grants existed: keys stored then still match
		}
		return kit.SHA([]byte(strings.Join(parts, "\x00")))
	}
	if c := in.Call; c != nil {
		args, err := kit.Canonical(c.Args)
		if err != nil {
			args = c.Args
		}
		return kit.SHA([]byte("call\x00" + kit.ArgsHash(c.Tool, args)))
	}
	return kit.SHA([]byte("text\x00" + strings.TrimSpace(in.Text)))
}

// reused refuses an inbound whose dedupe key answered another request:
// nothing runs, and the first request's outcome is not given away.
func (e *Engine) reused(ctx context.Context, a session.Actor, in session.Inbound, out session.Outbound) session.Outbound {
	e.Recorder.Note(ctx, a, out.Turn, audit.KindDuplicate, map[string]string{"channel": string(in.From.Channel), "inbound": in.ID, "code": session.CodeKeyReused})
	e.Recorder.SyncLogged(ctx)
	out.Parts = []session.Part{&session.Error{Code: session.CodeKeyReused, Message: "This message id was already used for a different request; nothing was run. Send a new id for a new request."}}
	return out
}

// finish stores a turn's outcome under its dedupe key, link codes
// redacted (only a code's hash is ever stored).
func (e *Engine) finish(ctx context.Context, key string, out session.Outbound) {
	if key == "" {
		return
	}
	b, err := json.Marshal(out)
	if err != nil {
		return
	}
	if err := e.st.FinishInbound(ctx, key, session.RedactLinkCodes(b)); err != nil {
		e.log.ErrorContext(ctx, "store inbound outcome", "err", err)
	}
}

// duplicate answers a redelivered inbound event without running it again.
func (e *Engine) duplicate(ctx context.Context, a session.Actor, in session.Inbound, out session.Outbound, prev json.RawMessage) session.Outbound {
	e.Recorder.Note(ctx, a, out.Turn, audit.KindDuplicate, map[string]string{"channel": string(in.From.Channel), "inbound": in.ID})
	e.Recorder.SyncLogged(ctx)
	var stored session.Outbound
	if prev != nil && json.Unmarshal(prev, &stored) == nil {
		stored.To = out.To
		return stored
	}
	out.Parts = []session.Part{&session.Error{Code: session.CodeDuplicate, Message: "This message was already received and is being handled; it will not run twice."}}
	return out
}
