package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/steward-os/steward/kernel/audit"
	"github.com/steward-os/steward/kernel/internal/kit"
	"github.com/steward-os/steward/kernel/internal/plan"
	"github.com/steward-os/steward/kernel/route"
	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// AnswerTool names the facts the kernel records for answers from the ledger.
const AnswerTool session.ToolID = "kernel.answer"

// answer replies to a question about an earlier result from its verbatim
// fact (AF-02): counting or listing the items that match, never
// re-narrating or guessing. A read's fact is read again first (reread),
// so the answer is current; the reply says when its source was read. The answer is itself a fact, so "those" on the
// next turn means the matched items, not the whole list.
func (e *Engine) answer(ctx context.Context, a session.Actor, turn session.TurnID, q route.LedgerQuery) ([]session.Part, error) {
	f, out, err := e.Plans.SessionFact(ctx, a, q.Fact)
	if err != nil {
		return nil, err
	}
	if nf, nout, ok := e.reread(ctx, a, turn, f); ok { // fresh.go
		f, out, q.Fact = nf, nout, nf.ID
	}
	v, err := plan.JSONPointer(out, q.Path)
	items, ok := v.([]any)
	if err != nil || !ok || q.Path == "" || q.Path == "/" {
		return nil, kit.Errf(session.CodeNotFound, "That result (%s) holds no list to answer from.", f.Tool)
	}
	var match []any
	for _, it := range items {
		if matches(it, q.Where) {
			match = append(match, it)
		}
	}
	text := answerText(q, f, match, len(items))
	segs := strings.Split(strings.TrimPrefix(q.Path, "/"), "/")
	if match == nil {
		match = []any{}
	}
	ansOut, _ := json.Marshal(map[string]any{segs[len(segs)-1]: match})
	qargs, _ := json.Marshal(q)
	af := session.Fact{Session: session.SessionFor(a), Turn: turn, Step: "answer", Tool: AnswerTool, Args: qargs, ArgsHash: kit.ArgsHash(AnswerTool, qargs), OK: true, Output: ansOut, At: e.Clock()}
	// "answered", then the answer's own fact's "result", in its commit.
	answered, err := e.Recorder.Entry(a, turn, audit.KindAnswered, map[string]any{"fact": f.ID, "query": q, "matched": len(match), "of": len(items), "text": text})
	if err != nil {
		return nil, fmt.Errorf("record answer: %w", err)
	}
	result := e.Recorder.Result(a, turn, af)
	if _, err := e.st.Record(ctx, af, func(id int64) []store.AuditEntry { return append([]store.AuditEntry{answered}, result(id)...) }); err != nil {
		return nil, fmt.Errorf("record answer: %w", err)
	}
	return []session.Part{&session.Text{Text: text}}, nil
}

// answerText says how many items matched, which, and where from.
func answerText(q route.LedgerQuery, f session.Fact, match []any, of int) string {
	var names, cond []string
	for _, it := range match {
		names = append(names, itemLabel(it, q.Field))
	}
	for _, key := range sortedKeys(q.Where) {
		cond = append(cond, key+" "+q.Where[key])
	}
	var b strings.Builder
	where := ""
	if len(cond) > 0 {
		where = " with " + strings.Join(cond, " and ")
	}
	fmt.Fprintf(&b, "%d of the %d %s%s", len(match), of, strings.TrimPrefix(q.Path, "/"), where)
	if len(names) > 0 {
		fmt.Fprintf(&b, ": %s", strings.Join(names, ", "))
	}
	fmt.Fprintf(&b, " (from %s, read at %s).", f.Tool, f.At.UTC().Format("15:04 MST"))
	return b.String()
}

func matches(item any, where map[string]string) bool {
	m, ok := item.(map[string]any)
	if !ok {
		return len(where) == 0
	}
	for k, want := range where {
		got, ok := m[k]
		if !ok || !strings.EqualFold(plan.ScalarText(got), want) {
			return false
		}
	}
	return true
}

func itemLabel(it any, field string) string {
	if m, ok := it.(map[string]any); ok && field != "" {
		if v, ok := m[field]; ok {
			return plan.ScalarText(v)
		}
	}
	return plan.ScalarText(it)
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
