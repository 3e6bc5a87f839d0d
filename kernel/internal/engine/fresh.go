package engine

import (
	"context"

	"github.com/steward-os/steward/kernel/internal/kit"
	"github.com/steward-os/steward/kernel/internal/tasks"
	"github.com/steward-os/steward/session"
)

// reread reads an answer's source again when its tool is a read (level
// 0, cheap), so that an answer from the ledger never contradicts a change
// made since, by anyone in the tenant (docs/conversation.md, "Fresh
// answers"): the answer then comes from the new fact and says when that
// was read. The read is authorized as any other. ok is false — and the
// answer stays with the recorded fact and its time — when the tool is not
// a read, is gone, is refused or fails.
func (e *Engine) reread(ctx context.Context, a session.Actor, turn session.TurnID, f session.Fact) (session.Fact, any, bool) {
	t, found := e.Registry.Tool(f.Tool)
	if !found || t.Level != 0 {
		return f, nil, false
	}
	lv, err := e.Levels.Resolve(ctx, a, "")
	if err != nil {
		return f, nil, false
	}
	if err := e.Authz.Call(ctx, a, turn, t, kit.ArgMap(f.Args), lv.Resources()); err != nil {
		return f, nil, false
	}
	nf, task, err := e.Tasks.Dispatch(ctx, a, tasks.Call{Origin: tasks.Origin{Turn: turn}, Step: "reread", Tool: t, Args: f.Args}, false)
	if err != nil || task != nil || !nf.OK {
		return f, nil, false
	}
	var out any
	if err := kit.DecodeNumbers(nf.Output, &out); err != nil {
		return f, nil, false
	}
	return nf, out, true
}
