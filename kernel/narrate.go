package kernel

import (
	"encoding/json"

	"github.com/steward-os/steward/internal/narrate"
	"github.com/steward-os/steward/kernel/internal/ground"
	"github.com/steward-os/steward/session"
)

// Narration is a text narrated from ledger facts and the verdict of the
// grounding check on it.
type Narration struct {
	Text string
	// Grounded is false when the rendered text claimed something the
	// facts do not support: Text is then the plain listing of the newest
	// fact's output.
	Grounded bool
	// Violations are the unsupported claims of the rendered text.
	Violations []string
}

// Narrate is the kernel's narration seam for parts outside a turn (the
// profile's findings): a text/template over data, rendered by the same
// renderer as every tool's narration, then checked by the grounding check
// (docs/grounding.md) against the facts it claims to rest on. A text with
// any unsupported claim, or a template that fails, is replaced by the
// plain listing of the newest fact — as a turn's narration falls back to
// its fact. It is a function, not a Kernel method: it needs no state.
func Narrate(tpl string, data any, facts []session.Fact) Narration {
	text, err := narrate.Render(tpl, data)
	if err != nil {
		return Narration{Text: listing(facts), Violations: []string{"template: " + err.Error()}}
	}
	res := ground.Check(text, facts, ground.Options{})
	if res.Grounded {
		return Narration{Text: text, Grounded: true}
	}
	out := Narration{Text: listing(facts)}
	for _, v := range res.Violations {
		out.Violations = append(out.Violations, v.String())
	}
	return out
}

// listing is the plain listing of the newest fact's output ("" without
// facts).
func listing(facts []session.Fact) string {
	if len(facts) == 0 {
		return ""
	}
	f := facts[len(facts)-1]
	var data any
	_ = json.Unmarshal(f.Output, &data)
	return narrate.Listing(string(f.Tool), data)
}
