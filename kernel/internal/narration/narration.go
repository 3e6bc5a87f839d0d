// Package narration turns a verbatim fact into the text a person reads,
// and proves it (AF-05…08): a tool's template over its output, checked by
// the grounding check in enforce mode.
//
// Contract. Every value in a narration comes from the fact. A narration
// that claims anything the fact does not support is never sent: it is
// replaced by the plain listing of the fact, counted and audited
// (grounding_blocked). Without a usable template the listing is used.
// With a model writer (optional), the model's text is tried first under
// the same check; a blocked one falls back to the template.
package narration

import (
	"context"
	"encoding/json"
	"sync/atomic"

	"github.com/steward-os/steward/internal/narrate"
	"github.com/steward-os/steward/internal/telemetry"
	"github.com/steward-os/steward/kernel/audit"
	"github.com/steward-os/steward/kernel/internal/ground"
	"github.com/steward-os/steward/kernel/internal/kit"
	"github.com/steward-os/steward/kernel/internal/registry"
	"github.com/steward-os/steward/session"
)

// Narrator narrates facts.
type Narrator struct {
	rec     *kit.Recorder
	model   Writer       // optional: a model writes first
	blocked atomic.Int64 // narrations blocked by the grounding check
}

// Writer writes a narration of a fact with a model. An error means the
// template narrates instead.
type Writer interface {
	Narrate(ctx context.Context, a session.Actor, turn session.TurnID, tool session.ToolID, description string, f session.Fact) (string, error)
}

// New returns a Narrator.
func New(rec *kit.Recorder) *Narrator { return &Narrator{rec: rec} }

// WithModel makes a model write narrations first (router.narration:
// model); its text is sent only when the grounding check passes it, and
// the template narrates otherwise. Call it before the Narrator is used.
func (n *Narrator) WithModel(w Writer) *Narrator {
	n.model = w
	return n
}

// Text renders a fact with the tool's template; without a usable template
// it lists the fact's fields.
func Text(t *registry.Tool, f session.Fact) string {
	var data any
	_ = json.Unmarshal(f.Output, &data)
	if tpl := t.Decl().Narrate; tpl != "" {
		if s, err := narrate.Render(tpl, data); err == nil {
			return s
		}
	}
	return narrate.Listing(string(t.ID), data)
}

// Grounded narrates a fact and runs the grounding check on the text: a
// narration claiming anything the fact does not support is replaced by
// the plain listing of the fact, and the block is counted and audited.
func (n *Narrator) Grounded(ctx context.Context, a session.Actor, turn session.TurnID, t *registry.Tool, f session.Fact) string {
	ctx, end := telemetry.Stage(ctx, telemetry.StageNarrate)
	defer end(nil)
	if n.model != nil {
		if text, ok := n.byModel(ctx, a, turn, t, f); ok {
			return text
		}
	}
	text := Text(t, f)
	res := ground.Check(text, []session.Fact{f}, ground.Options{})
	if res.Grounded {
		return text
	}
	n.blocked.Add(1)
	var data any
	_ = json.Unmarshal(f.Output, &data)
	n.rec.Note(ctx, a, turn, audit.KindGroundingBlocked, map[string]any{"tool": t.ID, "fact": f.ID, "violations": res.Violations, "blocked_text": text})
	return narrate.Listing(string(t.ID), data)
}

// byModel is the model's narration when it passes the grounding check;
// a blocked one is counted and audited (source "model"), and the template
// narrates instead.
func (n *Narrator) byModel(ctx context.Context, a session.Actor, turn session.TurnID, t *registry.Tool, f session.Fact) (string, bool) {
	text, err := n.model.Narrate(ctx, a, turn, t.ID, t.Decl().Description, f)
	if err != nil || text == "" {
		return "", false
	}
	res := ground.Check(text, []session.Fact{f}, ground.Options{})
	if res.Grounded {
		return text, true
	}
	n.blocked.Add(1)
	n.rec.Note(ctx, a, turn, audit.KindGroundingBlocked, map[string]any{"tool": t.ID, "fact": f.ID, "source": "model", "violations": res.Violations, "blocked_text": text})
	return "", false
}

// Blocks is how many narrations the grounding check has blocked.
func (n *Narrator) Blocks() int64 { return n.blocked.Load() }
