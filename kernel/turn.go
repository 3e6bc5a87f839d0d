package kernel

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/steward-os/steward/kernel/audit"
	"github.com/steward-os/steward/kernel/route"
	"github.com/steward-os/steward/sdk"
	"github.com/steward-os/steward/session"
)

// MaxTextLen bounds the text of one inbound message.
const MaxTextLen = 4000

// Handle runs one turn for an authenticated actor: a text request or a
// structured decision on a proposal. It always returns an Outbound; err is
// non-nil only when the turn could not be recorded at all.
//
// An inbound event with a dedupe key (in.ID) is handled once per actor and
// channel: a redelivery gets the first delivery's outcome back and runs
// nothing again.
func (k *Kernel) Handle(ctx context.Context, a session.Actor, in session.Inbound) (session.Outbound, error) {
	out := session.Outbound{To: in.From, Turn: session.TurnID(newID("t_"))}
	var key string
	if in.ID != "" {
		key = strings.Join([]string{string(a.Tenant), string(a.ID), string(in.From.Channel), in.ID}, "\x1f")
		first, prev, err := k.st.ClaimInbound(ctx, key, k.now())
		if err != nil {
			return out, fmt.Errorf("dedupe: %w", err)
		}
		if !first {
			return k.duplicate(ctx, a, in, out, prev), nil
		}
	}
	parts, err := k.handle(ctx, a, in, out.Turn)
	if err != nil {
		ke := AsError(err)
		if ke.Code == session.CodeInternal {
			k.log.ErrorContext(ctx, "turn failed", "turn", out.Turn, "err", err)
		}
		k.write(ctx, a, out.Turn, audit.KindError, map[string]string{"code": ke.Code, "message": ke.Message})
		parts = append(parts, &session.Error{Code: ke.Code, Message: ke.Message})
	}
	out.Parts = parts
	if err := k.audit.Sync(ctx); err != nil {
		return out, fmt.Errorf("audit: %w", err)
	}
	if key != "" {
		if b, err := json.Marshal(out); err == nil {
			b = reLinkCodeAny.ReplaceAll(b, []byte("[link code]")) // only a code's hash is ever stored
			if err := k.st.FinishInbound(ctx, key, b); err != nil {
				k.log.ErrorContext(ctx, "store inbound outcome", "err", err)
			}
		}
	}
	return out, nil
}

// duplicate answers a redelivered inbound event without running it again.
func (k *Kernel) duplicate(ctx context.Context, a session.Actor, in session.Inbound, out session.Outbound, prev json.RawMessage) session.Outbound {
	k.write(ctx, a, out.Turn, audit.KindDuplicate, map[string]string{"channel": string(in.From.Channel), "inbound": in.ID})
	if err := k.audit.Sync(ctx); err != nil {
		k.log.ErrorContext(ctx, "audit sync failed", "err", err)
	}
	var stored struct {
		Turn    session.TurnID    `json:"turn_id"`
		Replies []json.RawMessage `json:"replies"`
	}
	if prev != nil && json.Unmarshal(prev, &stored) == nil {
		out.Turn = stored.Turn
		for _, r := range stored.Replies {
			if p, err := session.UnmarshalPart(r); err == nil {
				out.Parts = append(out.Parts, p)
			}
		}
		return out
	}
	out.Parts = []session.Part{&session.Error{Code: session.CodeDuplicate, Message: "This message was already received and is being handled; it will not run twice."}}
	return out
}

// ParseDecision recognises the typed form of a decision ("confirm p_xxx
// [phrase]", "reject p_xxx") that channels without buttons show.
func ParseDecision(text string) (*session.Action, bool) { return session.ParseDecision(text) }

func (k *Kernel) handle(ctx context.Context, a session.Actor, in session.Inbound, turn session.TurnID) ([]session.Part, error) {
	a, err := k.resolveActor(ctx, a)
	if err != nil {
		return nil, err
	}
	k.touch(ctx, a, in.From)
	if !k.allow(a) {
		k.write(ctx, a, turn, audit.KindDenied, map[string]string{"reason": "quota", "code": session.CodeRateLimited})
		return nil, Errf(session.CodeRateLimited, "You are sending requests faster than your quota allows; wait a moment and try again.")
	}
	act := in.Action
	if act == nil {
		if d, ok := ParseDecision(in.Text); ok {
			act = d
		}
	}
	if act != nil {
		if err := k.mustAudit(ctx, a, turn, audit.KindAsked, map[string]any{"channel": in.From.Channel, "decision": act.Kind, "proposal": act.Proposal, "inbound": in.ID}); err != nil {
			return nil, err
		}
		return k.decide(ctx, a, turn, *act)
	}
	text := k.mask.Secrets(strings.TrimSpace(in.Text)) // ISO-05
	if text == "" {
		return nil, Errf(session.CodeBadRequest, "The message is empty; say what you need, for example \"list my servers\".")
	}
	if utf8.RuneCountInString(text) > MaxTextLen {
		return nil, Errf(session.CodeBadRequest, "The message is longer than %d characters.", MaxTextLen)
	}
	if _, ok := IsLinkRedeem(text); ok {
		// A code typed where the actor is already known: never record it.
		k.write(ctx, a, turn, audit.KindAsked, map[string]any{"channel": in.From.Channel, "text": "link [code]", "inbound": in.ID})
		return []session.Part{&session.Text{Text: "You are already signed in here. Send the code from the app you want to link, within 10 minutes of asking for it."}}, nil
	}
	// Queued, not awaited: nothing changes before the next durable record
	// (a dispatch at level ≥ 1, a proposal), which commits it first, and
	// the turn syncs before it answers.
	k.write(ctx, a, turn, audit.KindAsked, map[string]any{"channel": in.From.Channel, "text": text, "inbound": in.ID})
	if parts, ok, err := k.cancelByText(ctx, a, text); ok {
		return parts, err
	}
	if parts, ok, err := k.linkByText(ctx, a, text); ok {
		return parts, err
	}
	r, err := k.route(ctx, a, turn, in.From.Channel, text)
	if err != nil {
		return nil, err
	}
	if r.clarify != "" {
		k.write(ctx, a, turn, audit.KindReplied, map[string]string{"clarify": r.clarify})
		return []session.Part{&session.Text{Text: r.clarify}}, nil
	}
	if r.plan.Answer != nil {
		return k.answer(ctx, a, turn, *r.plan.Answer)
	}
	return k.runChain(ctx, a, turn, r)
}

// resolveActor re-reads the actor from the directory: the channel says who
// authenticated; the directory says what they may do (ISO-01).
func (k *Kernel) resolveActor(ctx context.Context, a session.Actor) (session.Actor, error) {
	cur, ok := k.dir.Lookup(ctx, a.Tenant, a.ID)
	if !ok {
		return a, Errf(session.CodeUnauthenticated, "Your account is not known here.")
	}
	return cur, nil
}

// routed is the outcome of context, routing, planning and checking.
type routed struct {
	turn    route.Turn
	intent  route.Intent
	plan    route.Plan
	surface []route.ToolSpec
	clarify string
	kind    string
}

// route resolves context (L0–L2 always, L3–L8 from extensions, all
// filtered to the actor's tenant), classifies, plans on the routed surface
// and checks the plan. It runs nothing.
func (k *Kernel) route(ctx context.Context, a session.Actor, turn session.TurnID, channel session.ChannelID, text string) (*routed, error) {
	lv, err := k.resolveContext(ctx, a, channel)
	if err != nil {
		return nil, fmt.Errorf("context: %w", err)
	}
	members, err := k.dir.Members(ctx, a.Tenant)
	if err != nil {
		return nil, fmt.Errorf("context: %w", err)
	}
	facts, err := k.st.Recent(ctx, session.SessionFor(a), k.cfg.LedgerCap)
	if err != nil {
		return nil, fmt.Errorf("context: %w", err)
	}
	unmask := k.cfg.UnmaskPII[a.Tenant]
	if !unmask {
		for i := range facts { // AF-10: what reaches a router or model is masked
			facts[i] = k.maskedFact(facts[i])
		}
	}
	rt := route.Turn{Text: text, Actor: a, Resources: lv.Resources(), Facts: facts, Catalog: k.Catalog()}
	for _, m := range members {
		rt.Members = append(rt.Members, sdk.Member{ID: m.ID, Roles: m.Roles, Manager: m.Manager})
	}
	k.write(ctx, a, turn, audit.KindContext, lv.Summary(len(members), len(facts)))
	if unmask {
		k.write(ctx, a, turn, audit.KindUnmasked, map[string]any{"facts": len(facts), "reason": "tenant policy unmask_pii"})
	}
	r := &routed{turn: rt}
	r.intent, err = k.rt.Route(ctx, rt)
	if err != nil {
		return nil, fmt.Errorf("route: %w", err)
	}
	k.write(ctx, a, turn, audit.KindClassified, r.intent)
	if r.intent.Kind == session.IntentNone || r.intent.Confidence < k.cfg.MinConfidence || len(r.intent.Domains) == 0 {
		r.kind = session.IntentNone
		r.clarify = r.intent.Clarify
		if r.clarify == "" {
			r.clarify = k.cannotHelp()
		}
		return r, nil
	}
	// ROUTE-02: only the routed domains' tools reach the planner.
	for _, s := range rt.Catalog {
		if slices.Contains(r.intent.Domains, s.Extension) {
			r.surface = append(r.surface, s)
		}
	}
	for attempt := 0; ; attempt++ {
		r.plan, err = k.pl.Plan(ctx, rt, r.intent, r.surface)
		if err != nil {
			return nil, fmt.Errorf("plan: %w", err)
		}
		if r.plan.Clarify != "" {
			k.write(ctx, a, turn, audit.KindPlanned, map[string]any{"clarify": r.plan.Clarify, "steps": r.plan.Steps})
			r.clarify = r.plan.Clarify
			r.kind = session.IntentNone
			return r, nil
		}
		var problems []*Error
		if r.plan.Answer == nil {
			_, problems = k.checkChain(ctx, a, r.plan, r.surface)
		}
		k.write(ctx, a, turn, audit.KindPlanned, map[string]any{"steps": r.plan.Steps, "confidence": r.plan.Confidence, "problems": problems, "attempt": attempt + 1})
		if len(problems) == 0 {
			break
		}
		if attempt >= k.cfg.PlanRetries || problems[0].Code == session.CodeUnknownTool {
			return nil, &Error{Code: problems[0].Code, Message: problems[0].Message}
		}
		// ROUTE-04: a bounded, structured retry.
		rt.Feedback = nil
		for _, p := range problems {
			rt.Feedback = append(rt.Feedback, p.Message)
		}
	}
	if r.plan.Answer != nil {
		r.kind = session.IntentRead
		return r, nil
	}
	if len(r.plan.Steps) == 0 {
		r.kind, r.clarify = session.IntentNone, k.cannotHelp()
		return r, nil
	}
	r.kind = k.kindOf(r.plan)
	return r, nil
}

func (k *Kernel) cannotHelp() string {
	var names []string
	for _, x := range k.extensions() {
		names = append(names, x.m.Description)
	}
	return "I can't help with that. I can help with: " + strings.Join(names, "; ")
}

func (k *Kernel) kindOf(p route.Plan) string {
	if len(p.Steps) > 1 {
		return session.IntentChain
	}
	te, ok := k.tool(p.Steps[0].Tool)
	if !ok {
		return session.IntentNone
	}
	switch {
	case te.level >= 3:
		return session.IntentDestructive
	case te.level >= 1:
		return session.IntentWrite
	default:
		return session.IntentRead
	}
}

func validateArgs(te *toolEntry, args json.RawMessage) *Error {
	var v any = map[string]any{}
	if len(args) > 0 {
		if err := json.Unmarshal(args, &v); err != nil {
			return Errf(session.CodeInvalidArguments, "The arguments for %s are not valid JSON.", te.id)
		}
	}
	if _, ok := v.(map[string]any); !ok {
		return Errf(session.CodeInvalidArguments, "The arguments for %s must be an object.", te.id)
	}
	if err := te.b.Resolved.Validate(v); err != nil {
		return Errf(session.CodeInvalidArguments, "The arguments for %s are not valid: %s", te.id, plainSchemaError(err))
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

// Classify routes and plans a request without running anything.
func (k *Kernel) Classify(ctx context.Context, a session.Actor, text string) (session.Classification, error) {
	a, err := k.resolveActor(ctx, a)
	if err != nil {
		return session.Classification{}, err
	}
	if !k.allow(a) {
		return session.Classification{}, Errf(session.CodeRateLimited, "You are sending requests faster than your quota allows; wait a moment and try again.")
	}
	text = k.mask.Secrets(strings.TrimSpace(text))
	if text == "" || utf8.RuneCountInString(text) > MaxTextLen {
		return session.Classification{}, Errf(session.CodeBadRequest, "The text must be 1–%d characters.", MaxTextLen)
	}
	turn := session.TurnID(newID("t_"))
	if err := k.mustAudit(ctx, a, turn, audit.KindAsked, map[string]any{"text": text, "classify_only": true}); err != nil {
		return session.Classification{}, err
	}
	r, err := k.route(ctx, a, turn, "classify", text)
	if serr := k.audit.Sync(ctx); serr != nil && err == nil {
		err = fmt.Errorf("audit: %w", serr)
	}
	if err != nil {
		ke := AsError(err)
		if ke.Code == session.CodeInternal {
			return session.Classification{}, err
		}
		return session.Classification{Intent: session.IntentNone, Confidence: r0(r), Steps: []session.PlanStep{}, Clarify: ke.Message}, nil
	}
	if err := k.audit.Sync(ctx); err != nil {
		return session.Classification{}, fmt.Errorf("audit: %w", err)
	}
	c := session.Classification{Intent: r.kind, Confidence: r.intent.Confidence, Domains: r.intent.Domains, Steps: []session.PlanStep{}, Clarify: r.clarify}
	if r.clarify == "" {
		if r.plan.Confidence > 0 && r.plan.Confidence < c.Confidence {
			c.Confidence = r.plan.Confidence
		}
		for _, s := range r.plan.Steps {
			deps := s.DependsOn
			if deps == nil {
				deps = []session.StepID{}
			}
			c.Steps = append(c.Steps, session.PlanStep{ID: s.ID, Tool: s.Tool, Args: s.Args, DependsOn: deps})
		}
	}
	return c, nil
}

func r0(r *routed) float64 {
	if r == nil {
		return 0
	}
	return r.intent.Confidence
}
