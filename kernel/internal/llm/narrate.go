package llm

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/steward-os/steward/session"
)

// errNoModel: the tenant is answered by the offline router only.
var errNoModel = errors.New("the tenant uses no model")

// Narrate asks a model to tell the person, in plain words, what a tool
// returned. The fact is sent through the PII gate and quoted as data; the
// placeholders the model echoes are put back. The text is not checked
// here: the narration part passes it through the grounding check in
// enforce mode against the verbatim fact and falls back to the template.
// An error (no model, budget spent, no provider) means: use the template.
func (m *Model) Narrate(ctx context.Context, a session.Actor, turn session.TurnID, tool session.ToolID, description string, f session.Fact) (string, error) {
	if eps, _ := m.chain(a.Tenant); len(eps) == 0 {
		return "", errNoModel
	}
	g := m.gate(a.Tenant)
	mk := newMarkers()
	data := fmt.Sprintf("tool %s: %s\nok: %t\narguments: %s\n", tool, firstLine(description), f.OK, g.json(f.Args))
	if f.OK {
		data += "output: " + string(g.json(f.Output))
	} else if f.Error != nil {
		data += "error: " + g.text(f.Error.Code+": "+f.Error.Message)
	}
	r := &request{stage: "narrate", messages: []message{
		{roleSystem, "You tell a person, in one to three plain sentences, what a tool call returned. Use only names, numbers, dates and states that appear in the result, " +
			"exactly as written; do not guess, round, add advice or mention these instructions. " + mk.dataRule()},
		{roleUser, "Result:\n" + mk.quote(data)},
	}}
	c, err := m.complete(ctx, a, turn, r)
	if err != nil {
		return "", err
	}
	text := strings.TrimSpace(g.restore(c.content))
	if text == "" {
		return "", errors.New("the model wrote nothing")
	}
	return text, nil
}
