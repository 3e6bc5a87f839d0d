package llm

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/steward-os/steward/kernel/internal/redact"
	"github.com/steward-os/steward/kernel/route"
	"github.com/steward-os/steward/session"
)

// The conversation context of a prompt: earlier requests of the session,
// its recorded results (facts) and, for planning, the people and things
// of the actor's tenant. It is held within a budget (Options.
// ContextTokens, counted as 4 bytes a token) and summarised
// deterministically when over: the same turn always gives the same text.
//
//   - Planning gives at most half of the budget to people and things,
//     listed in the kernel's order; what does not fit is counted.
//   - Results start as one-line summaries (tool, outcome, the output's
//     keys with list lengths and short values); the newest are then shown
//     in full while they fit. Routing sees summaries only.
//   - When even the summaries do not fit, the oldest requests go first,
//     then the oldest results, each counted ("3 earlier requests not
//     shown").

// bytesPerToken estimates tokens from bytes.
const bytesPerToken = 4

// renderContext is the context block's text (before quoting).
func (m *Model) renderContext(t route.Turn, g *gate, planning bool) string {
	budget := m.o.ContextTokens * bytesPerToken
	var b strings.Builder
	if planning {
		world := fitLines(worldLines(t, g), budget/2, "more people and things not shown")
		b.WriteString(world)
		budget -= len(world)
	}
	turns := turnLines(m.memory.recent(session.SessionFor(t.Actor), t.ID), g)
	short := make([]string, len(t.Facts))
	full := make([]string, len(t.Facts))
	for i, f := range t.Facts {
		short[i], full[i] = m.cache.fact(f, g)
	}
	b.WriteString(fitHistory(turns, short, full, budget, planning))
	return b.String()
}

// worldLines lists the tenant's people and things.
func worldLines(t route.Turn, g *gate) []string {
	lines := []string{"people:"}
	for _, mb := range t.Members {
		s := "- " + g.text(string(mb.ID))
		if len(mb.Roles) > 0 {
			s += " (" + strings.Join(mb.Roles, ", ") + ")"
		}
		if mb.Manager != "" {
			s += ", manager " + g.text(string(mb.Manager))
		}
		lines = append(lines, s)
	}
	lines = append(lines, "things (kind id attributes):")
	for _, r := range t.Resources {
		s := fmt.Sprintf("- %s %s", g.text(r.Kind), g.text(r.ID))
		if len(r.Attrs) > 0 {
			// The kernel masked the attributes already unless the tenant
			// opted in; then only secrets are removed here.
			b := redact.Marshal(r.Attrs)
			if g.unmask {
				b = g.json(b)
			}
			s += " " + string(b)
		}
		lines = append(lines, s)
	}
	return lines
}

// turnLines renders earlier requests, oldest first.
func turnLines(xs []exchange, g *gate) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = fmt.Sprintf("- %q → %s", g.text(x.text), g.text(x.outcome))
	}
	return out
}

// factLines renders a fact as a one-line summary and in full.
func factLines(f session.Fact, g *gate) (short, full string) {
	head := fmt.Sprintf("- fact:%d %s", f.ID, f.Tool)
	if !f.OK {
		msg := ""
		if f.Error != nil {
			msg = f.Error.Code + ": " + f.Error.Message
		}
		s := head + " failed: " + g.text(msg)
		return s, s
	}
	short = head + " ok, output " + outline(f.Output, g)
	full = head + " ok, args " + string(g.json(f.Args)) + ", output " + string(g.json(f.Output))
	return short, full
}

// outline summarises an output: its keys, with list lengths and short
// scalar values.
func outline(raw json.RawMessage, g *gate) string {
	obj, ok := asObject(raw)
	if !ok {
		return fmt.Sprintf("(%d bytes)", len(raw))
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		switch x := obj[k].(type) {
		case []any:
			parts[i] = fmt.Sprintf("%s[%d items]", k, len(x))
		case map[string]any:
			parts[i] = k + "{…}"
		default:
			parts[i] = k + "=" + truncate(string(g.json(redact.Marshal(x))), 40)
		}
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// fitHistory renders earlier requests and results within budget bytes.
// Planning gets the newest result in full when it fits at all; then the
// oldest requests, and then the oldest results, are dropped (counted)
// until the text fits; then more of the newest results are shown in full
// while it still fits. Routing gets outlines only.
func fitHistory(turns, short, full []string, budget int, planning bool) string {
	h := history{turns: turns, shown: append([]string(nil), short...)}
	if last := len(short) - 1; planning && last >= 0 {
		try := history{turns: turns, shown: append([]string(nil), short...)}
		try.shown[last] = full[last]
		if try.shrink(budget, 1) {
			h = try
		}
	}
	h.shrink(budget, 0)
	if planning {
		off := h.droppedFacts
		for i := len(h.shown) - 1; i >= 0; i-- { // newest first, while they fit
			outline := h.shown[i]
			if h.shown[i] = full[off+i]; len(h.render()) > budget {
				h.shown[i] = outline
				break
			}
		}
	}
	return h.render()
}

// shrink drops the oldest requests, then the oldest results (keeping at
// least keep of them), until the text fits; it reports whether it does.
func (h *history) shrink(budget, keep int) bool {
	for len(h.render()) > budget && len(h.turns) > 0 {
		h.turns, h.droppedTurns = h.turns[1:], h.droppedTurns+1
	}
	for len(h.render()) > budget && len(h.shown) > keep {
		h.shown, h.droppedFacts = h.shown[1:], h.droppedFacts+1
	}
	return len(h.render()) <= budget
}

// history is the part of the context about the conversation so far.
type history struct {
	turns, shown               []string
	droppedTurns, droppedFacts int
}

func (h history) render() string {
	var b strings.Builder
	if len(h.turns) > 0 || h.droppedTurns > 0 {
		b.WriteString("earlier requests in this conversation, oldest first:\n")
		if h.droppedTurns > 0 {
			fmt.Fprintf(&b, "(%d earlier requests not shown)\n", h.droppedTurns)
		}
		writeLines(&b, h.turns)
	}
	if len(h.shown) > 0 || h.droppedFacts > 0 {
		b.WriteString("recorded results, oldest first (refer to one as fact:ID):\n")
		if h.droppedFacts > 0 {
			fmt.Fprintf(&b, "(%d older results not shown)\n", h.droppedFacts)
		}
		writeLines(&b, h.shown)
	}
	return b.String()
}

// fitLines keeps lines while they fit in budget bytes and counts the rest.
func fitLines(lines []string, budget int, more string) string {
	var b strings.Builder
	for i, l := range lines {
		if b.Len()+len(l)+1 > budget {
			fmt.Fprintf(&b, "(%d %s)\n", len(lines)-i, more)
			break
		}
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String()
}

func writeLines(b *strings.Builder, lines []string) {
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
}
