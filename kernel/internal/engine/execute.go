package engine

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/steward-os/steward/kernel/audit"
	"github.com/steward-os/steward/kernel/internal/kit"
	"github.com/steward-os/steward/kernel/internal/plan"
	"github.com/steward-os/steward/kernel/internal/registry"
	"github.com/steward-os/steward/kernel/internal/tasks"
	"github.com/steward-os/steward/kernel/route"
	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// execute dispatches a call (after its declared backup, at levels 3–4),
// and narrates the recorded fact through the grounding check. When the
// tool is still running after the inline budget, it returns the parts
// announcing the task and the task.
func (e *Engine) execute(ctx context.Context, a session.Actor, o tasks.Origin, step session.StepID, t *registry.Tool, args json.RawMessage, resources []route.Resource, chain session.ChainID) ([]session.Part, session.Fact, *store.TaskRow, error) {
	var parts []session.Part
	var none session.Fact
	if t.Level >= 3 && t.BackupID() != "" {
		text, err := e.backup(ctx, a, o, step, t, args, resources)
		if err != nil {
			return nil, none, nil, err
		}
		parts = append(parts, &session.Text{Text: text})
	}
	f, task, err := e.Tasks.Dispatch(ctx, a, tasks.Call{Origin: o, Step: step, Chain: chain, Tool: t, Args: args}, true)
	if err != nil {
		return nil, none, nil, err
	}
	if task != nil {
		return append(parts, promotedParts(t, task)...), none, task, nil
	}
	if !f.OK {
		return parts, f, nil, &kit.Error{Code: f.Error.Code, Message: f.Error.Message}
	}
	text := e.narrate(ctx, a, o.Turn, t, f)
	return append(parts, &session.Text{Text: text}), f, nil, nil
}

// narrate is the last stage: the fact narrated through the grounding
// check, and the reply audited.
func (e *Engine) narrate(ctx context.Context, a session.Actor, turn session.TurnID, t *registry.Tool, f session.Fact) string {
	text := e.Narrator.Grounded(ctx, a, turn, t, f)
	e.Recorder.Note(ctx, a, turn, audit.KindReplied, map[string]any{"fact": f.ID, "text": text})
	return text
}

// backup runs the declared backup before a level-3/4 tool: a dispatch
// like any other, schema-checked and authorized, that must finish and
// succeed before the tool runs. It returns the backup's narration.
func (e *Engine) backup(ctx context.Context, a session.Actor, o tasks.Origin, step session.StepID, t *registry.Tool, args json.RawMessage, resources []route.Resource) (string, error) {
	b, ok := e.Registry.Tool(t.BackupID())
	if !ok {
		return "", kit.Errf(session.CodeUnavailable, "The backup step for %s is not available, so nothing was done.", t.ID)
	}
	bargs := backupArgs(t, b, args)
	if err := plan.ValidateArgs(b, bargs); err != nil {
		return "", kit.Errf(session.CodeUnavailable, "The backup step for %s could not be prepared, so nothing was done.", t.ID)
	}
	if err := e.Authz.Call(ctx, a, o.Turn, b, kit.ArgMap(bargs), resources); err != nil {
		return "", err
	}
	e.Recorder.Note(ctx, a, o.Turn, audit.KindBackup, map[string]any{"for": t.ID, "tool": b.ID, "args": bargs})
	f, _, err := e.Tasks.Dispatch(ctx, a, tasks.Call{Origin: o, Step: step + ".backup", Tool: b, Args: bargs}, false)
	if err != nil {
		return "", err
	}
	if !f.OK {
		return "", kit.Errf(session.CodeToolFailed, "The backup (%s) failed, so %s was not run: %s", b.ID, t.ID, f.Error.Message)
	}
	return e.Narrator.Grounded(ctx, a, o.Turn, b, f), nil
}

// backupArgs maps the tool's arguments to its backup's parameters (by
// the manifest's backup_args, else by name).
func backupArgs(t, b *registry.Tool, args json.RawMessage) json.RawMessage {
	src := kit.ArgMap(args)
	out := map[string]any{}
	for _, p := range b.Spec.Params {
		from := p.Name
		if m, ok := t.Decl().BackupArgs[p.Name]; ok {
			from = m
		}
		if v, ok := src[from]; ok {
			out[p.Name] = v
		}
	}
	raw, _ := json.Marshal(out)
	return raw
}

// promotedParts tell the actor a call carries on as a task.
func promotedParts(t *registry.Tool, task *store.TaskRow) []session.Part {
	msg := fmt.Sprintf("This is taking a while, so %s carries on in the background as task %s; I'll tell you when it's done. Say \"cancel %s\" to stop it.", t.ID, task.ID, task.ID)
	if t.Decl().LongRunning {
		msg = fmt.Sprintf("%s runs in the background as task %s; I'll tell you when it's done. Say \"cancel %s\" to stop it.", t.ID, task.ID, task.ID)
	}
	return []session.Part{tasks.ProgressPart(*task), &session.Text{Text: msg}}
}
