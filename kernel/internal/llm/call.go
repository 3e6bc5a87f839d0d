package llm

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/steward-os/steward/kernel/audit"
	"github.com/steward-os/steward/kernel/internal/kit"
	"github.com/steward-os/steward/kernel/route"
	"github.com/steward-os/steward/session"
)

// Message roles.
const (
	roleSystem    = "system"
	roleUser      = "user"
	roleAssistant = "assistant"
)

// message is one chat message, already through the PII gate.
type message struct {
	role, content string
}

// format is a structured answer's schema: a json_schema response format,
// or (for a provider answering with tools) one function of that schema.
type format struct {
	name, description string
	schema            map[string]any
}

// function is one function tool offered to a provider answering with
// tools (planning offers one per routed tool).
type function struct {
	name, description string
	schema            map[string]any
}

// request is one model call: what is sent, whatever the provider.
type request struct {
	stage    string // route, plan, narrate (with "_repair" on a re-ask)
	attempt  int
	messages []message
	format   *format    // nil: free text
	tools    []function // for providers answering with tools; empty: format as one function
}

// completion is a provider's answer.
type completion struct {
	provider         string
	content          string
	calls            []toolCall
	prompt, complete int64 // tokens
}

// toolCall is one function call of an answer.
type toolCall struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

// text is the answer as one string (for a re-ask and the audit trail).
func (c *completion) text() string {
	if len(c.calls) == 0 {
		return c.content
	}
	var b strings.Builder
	for _, tc := range c.calls {
		fmt.Fprintf(&b, "%s(%s)\n", tc.Name, tc.Arguments)
	}
	return strings.TrimSpace(b.String())
}

// errUnavailable: no provider of the tenant answered.
var errUnavailable = errors.New("no model provider answered")

// complete sends a request to the tenant's providers in order until one
// answers. Each provider tried is audited (model_completion) after the
// prompt (model_prompt). A spent budget is model_budget_exhausted; no
// answer from any provider is errUnavailable.
func (m *Model) complete(ctx context.Context, a session.Actor, turn session.TurnID, r *request) (*completion, error) {
	if err := m.budget(ctx, a, turn); err != nil {
		return nil, err
	}
	eps, _ := m.chain(a.Tenant)
	call := kit.NewID("mc_")
	m.o.Recorder.Note(ctx, a, turn, audit.KindModelPrompt, m.promptRecord(a.Tenant, call, r, eps))
	var tried []string
	for _, ep := range eps {
		at := ep.do(ctx, r, m.o.Clock, m.o.MaxRetryAfter)
		rec := map[string]any{"call": call, "stage": r.stage, "provider": ep.Name, "kind": ep.Kind, "model": ep.Model,
			"output": ep.Output, "outcome": at.outcome, "latency_ms": at.latency.Milliseconds()}
		if at.status != 0 {
			rec["status"] = at.status
		}
		if at.retryAfter > 0 {
			rec["retry_after_ms"] = at.retryAfter.Milliseconds()
		}
		if at.outcome != outcomeOK {
			if at.err != nil {
				rec["error"] = truncate(at.err.Error(), 300)
			}
			m.o.Recorder.Note(ctx, a, turn, audit.KindModelCompletion, rec)
			if at.outcome == outcomeCancelled {
				return nil, fmt.Errorf("model call: %w", ctx.Err())
			}
			tried = append(tried, ep.Name+": "+at.outcome)
			continue
		}
		c := answerOf(ep.Name, at)
		m.account(a, ep, c, rec)
		m.o.Recorder.Note(ctx, a, turn, audit.KindModelCompletion, rec)
		return c, nil
	}
	return nil, fmt.Errorf("%w (%s)", errUnavailable, strings.Join(tried, "; "))
}

// answerOf reads the first choice of a successful attempt.
func answerOf(provider string, at attempt) *completion {
	msg := at.resp.Choices[0].Message
	c := &completion{provider: provider, content: msg.Content, prompt: at.resp.Usage.PromptTokens, complete: at.resp.Usage.CompletionTokens}
	for _, tc := range msg.ToolCalls {
		c.calls = append(c.calls, toolCall{Name: tc.Function.Name, Arguments: tc.Function.Arguments})
	}
	return c
}

// account counts a completion's tokens for the tenant's month (written
// to the store in the background) and fills the audit record: tokens,
// cost, the month's total and the answer.
func (m *Model) account(a session.Actor, ep *endpoint, c *completion, rec map[string]any) {
	total := c.prompt + c.complete
	rec["prompt_tokens"], rec["completion_tokens"], rec["total_tokens"] = c.prompt, c.complete, total
	rec["cost"] = (float64(c.prompt)*ep.InputPrice + float64(c.complete)*ep.OutputPrice) / 1e6
	if len(c.calls) > 0 {
		rec["tool_calls"] = c.calls
	} else {
		rec["content"] = c.content
	}
	rec["month_tokens"] = m.usage.add(a.Tenant, period(m.o.Clock()), total)
}

// promptRecord is the data of a model_prompt record: the messages as sent
// (already through the PII gate; the audit log masks them again). A
// system message the tenant's chain already holds in full (the same
// instructions and tool list, since this process started) is recorded by
// its SHA-256 only, which names the earlier record's content.
func (m *Model) promptRecord(t session.TenantID, call string, r *request, eps []*endpoint) map[string]any {
	msgs := make([]map[string]string, len(r.messages))
	for i, msg := range r.messages {
		msgs[i] = map[string]string{"role": msg.role, "content": msg.content}
		if msg.role != roleSystem {
			continue
		}
		first, sum := m.cache.firstSystem(t, msg.content)
		msgs[i]["sha256"] = sum
		if !first {
			delete(msgs[i], "content")
		}
	}
	names := make([]string, len(eps))
	for i, ep := range eps {
		names[i] = ep.Name
	}
	rec := map[string]any{"call": call, "stage": r.stage, "attempt": r.attempt + 1, "messages": msgs, "providers": names}
	if r.format != nil {
		rec["format"] = r.format.name
	}
	if len(r.tools) > 0 {
		fns := make([]string, len(r.tools))
		for i, f := range r.tools {
			fns[i] = f.name
		}
		rec["functions"] = fns
	}
	return rec
}

// period is the budget period of an instant: its UTC calendar month.
func period(t time.Time) string { return t.UTC().Format("2006-01") }

// budget refuses a call when the tenant's month is spent.
func (m *Model) budget(ctx context.Context, a session.Actor, turn session.TurnID) error {
	limit := m.o.Tenants[a.Tenant].MonthlyTokens
	if limit <= 0 {
		return nil
	}
	now := m.o.Clock().UTC()
	used, err := m.usage.total(ctx, a.Tenant, period(now))
	if err != nil {
		return fmt.Errorf("model usage: %w", err)
	}
	if used < limit {
		return nil
	}
	next := time.Date(now.Year(), now.Month()+1, 1, 0, 0, 0, 0, time.UTC)
	m.o.Recorder.Note(ctx, a, turn, audit.KindDenied, map[string]any{"reason": "model_budget", "code": session.CodeModelBudget,
		"period": period(now), "used_tokens": used, "monthly_tokens": limit})
	return kit.Errf(session.CodeModelBudget, "Your organisation has used its language-model allowance for %s (%d of %d tokens). It renews on %s; until then an administrator can raise it.",
		now.Format("January 2006"), used, limit, next.Format("2 January 2006"))
}

// fellBack records that the offline router answers a stage.
func (m *Model) fellBack(ctx context.Context, t route.Turn, stage string, err error) {
	m.o.Log.WarnContext(ctx, "no model answered; the offline router answers", "stage", stage, "err", err)
	m.o.Recorder.Note(ctx, t.Actor, t.ID, audit.KindModelFallback, map[string]any{"stage": stage, "reason": err.Error()})
}

// truncate cuts s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8Start(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }
