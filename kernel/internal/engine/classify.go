package engine

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/steward-os/steward/kernel/audit"
	"github.com/steward-os/steward/kernel/internal/kit"
	"github.com/steward-os/steward/session"
)

// Classify routes and plans a request without running anything.
func (e *Engine) Classify(ctx context.Context, a session.Actor, text string) (session.Classification, error) {
	a, err := e.Authz.Actor(ctx, a)
	if err != nil {
		return session.Classification{}, err
	}
	if !e.Quotas.Allow(a) {
		return session.Classification{}, kit.Errf(session.CodeRateLimited, "You are sending requests faster than your quota allows; wait a moment and try again.")
	}
	text = e.Masker.Secrets(strings.TrimSpace(text))
	if text == "" || utf8.RuneCountInString(text) > session.MaxTextLen {
		return session.Classification{}, kit.Errf(session.CodeBadRequest, "The text must be 1–%d characters.", session.MaxTextLen)
	}
	turn := session.TurnID(kit.NewID("t_"))
	if err := e.Recorder.Must(ctx, a, turn, audit.KindAsked, map[string]any{"text": text, "classify_only": true}); err != nil {
		return session.Classification{}, err
	}
	r, err := e.understand(ctx, a, turn, "classify", text)
	if serr := e.Recorder.Sync(ctx); serr != nil && err == nil {
		err = fmt.Errorf("audit: %w", serr)
	}
	if err != nil {
		ke := kit.AsError(err)
		if ke.Code == session.CodeInternal {
			return session.Classification{}, err
		}
		return session.Classification{Intent: session.IntentNone, Steps: []session.PlanStep{}, Clarify: ke.Message}, nil
	}
	return classification(r), nil
}

// classification is what Classify reports of an understood request.
func classification(r *understood) session.Classification {
	c := session.Classification{Intent: r.kind, Confidence: r.intent.Confidence, Domains: r.intent.Domains, Steps: []session.PlanStep{}, Clarify: r.clarify}
	if r.clarify != "" {
		return c
	}
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
	return c
}
