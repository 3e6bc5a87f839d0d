package kernel

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/steward-os/steward/kernel/audit"
	"github.com/steward-os/steward/kernel/ground"
	"github.com/steward-os/steward/internal/narrate"
	"github.com/steward-os/steward/kernel/route"
	"github.com/steward-os/steward/sdk"
	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// canonical re-encodes JSON with sorted keys and no insignificant space, so
// the same arguments always hash the same.
func canonical(raw json.RawMessage) (json.RawMessage, error) {
	if len(raw) == 0 {
		return json.RawMessage("{}"), nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

// ArgsHash is the hash shown on a proposal and re-checked at execution.
func ArgsHash(tool session.ToolID, canonicalArgs json.RawMessage) string {
	h := sha256.New()
	h.Write([]byte(tool))
	h.Write([]byte{0})
	h.Write(canonicalArgs)
	return hex.EncodeToString(h.Sum(nil))
}

func argMap(raw json.RawMessage) map[string]any {
	m := map[string]any{}
	_ = json.Unmarshal(raw, &m)
	return m
}

// authorizeRole checks the actor's scopes and role safety ceiling for a tool
// (SAFE-09); every refusal is audited.
func (k *Kernel) authorizeRole(ctx context.Context, a session.Actor, turn session.TurnID, te *toolEntry) error {
	deny := func(code, reason string, e *Error) error {
		k.write(ctx, a, turn, audit.KindDenied, map[string]any{"tool": te.id, "code": code, "reason": reason, "roles": a.Roles})
		return e
	}
	for _, sc := range te.b.Tool.Scopes {
		if !k.holdsScope(a, sc) {
			return deny(session.CodeForbidden, "scope "+sc, Errf(session.CodeForbidden, "Your role (%s) does not allow %s.", strings.Join(a.Roles, ", "), te.id))
		}
	}
	if c := k.ceiling(a); te.level > c {
		return deny(session.CodeSafetyCeiling, fmt.Sprintf("level %d above ceiling %d", te.level, c),
			Errf(session.CodeSafetyCeiling, "%s is a level-%d action; your role (%s) may go up to level %d. Ask someone with a higher role.", te.id, te.level, strings.Join(a.Roles, ", "), max(c, 0)))
	}
	return nil
}

// authorize checks tenant, scopes and the role's safety ceiling, and that
// every resource named in the arguments belongs to the actor's tenant.
func (k *Kernel) authorize(ctx context.Context, a session.Actor, turn session.TurnID, te *toolEntry, args json.RawMessage, resources []route.Resource) error {
	if err := k.authorizeRole(ctx, a, turn, te); err != nil {
		return err
	}
	am := argMap(args)
	for _, p := range te.spec.Params {
		if p.Resource == "" {
			continue
		}
		v, ok := am[p.Name].(string)
		if !ok || v == "" {
			continue
		}
		if k.inTenant(ctx, a, p.Resource, v, resources) {
			continue
		}
		if owner := k.ownerElsewhere(ctx, a.Tenant, p.Resource, v); owner != "" {
			// ISO-02: refused at the boundary and audited, in both tenants;
			// the answer is the same as for something that does not exist.
			k.write(ctx, a, turn, audit.KindCrossTenant, map[string]any{"tool": te.id, "param": p.Name, "kind": p.Resource, "id": v})
			k.write(ctx, session.Actor{ID: a.ID, Tenant: owner}, turn, audit.KindCrossTenant, map[string]any{"from_tenant": a.Tenant, "tool": te.id, "kind": p.Resource, "id": v})
		} else {
			k.write(ctx, a, turn, audit.KindDenied, map[string]any{"tool": te.id, "code": session.CodeNotFound, "param": p.Name, "kind": p.Resource, "id": v})
		}
		return Errf(session.CodeNotFound, "I can't find a %s called %q.", p.Resource, v)
	}
	k.write(ctx, a, turn, audit.KindAuthorized, map[string]any{"tool": te.id, "level": te.level, "roles": a.Roles})
	return nil
}

const personKind = "person"

func (k *Kernel) inTenant(ctx context.Context, a session.Actor, kind, id string, resources []route.Resource) bool {
	if kind == personKind {
		_, ok := k.dir.Lookup(ctx, a.Tenant, session.ActorID(id))
		return ok
	}
	for _, r := range resources {
		if r.Kind == kind && r.ID == id {
			return true
		}
	}
	return false
}

// ownerElsewhere returns another tenant that has the resource, if any.
func (k *Kernel) ownerElsewhere(ctx context.Context, self session.TenantID, kind, id string) session.TenantID {
	for _, t := range k.dir.Tenants(ctx) {
		if t == self {
			continue
		}
		if kind == personKind {
			if _, ok := k.dir.Lookup(ctx, t, session.ActorID(id)); ok {
				return t
			}
			continue
		}
		rs, err := k.resources(ctx, t)
		if err != nil {
			continue
		}
		for _, r := range rs {
			if r.Kind == kind && r.ID == id {
				return t
			}
		}
	}
	return ""
}

// execute runs the declared backup (levels 3–4) then the tool, records
// both verbatim and narrates the result.
//
// When the tool is still running after the inline budget, it returns the
// parts announcing the task and a *promoted error carrying it.
func (k *Kernel) execute(ctx context.Context, a session.Actor, turn session.TurnID, step session.StepID, te *toolEntry, args json.RawMessage, resources []route.Resource, chain session.ChainID) ([]session.Part, session.Fact, error) {
	var parts []session.Part
	var none session.Fact
	if te.level >= 3 && te.b.Tool.Backup != "" {
		bte, ok := k.tool(session.ToolID(te.ext.m.ID + "." + te.b.Tool.Backup))
		if !ok {
			return nil, none, Errf(session.CodeUnavailable, "The backup step for %s is not available, so nothing was done.", te.id)
		}
		bargs := backupArgs(te, bte, args)
		// The backup is a dispatch like any other: schema-checked and authorized.
		if err := validateArgs(bte, bargs); err != nil {
			return nil, none, Errf(session.CodeUnavailable, "The backup step for %s could not be prepared, so nothing was done.", te.id)
		}
		if err := k.authorize(ctx, a, turn, bte, bargs, resources); err != nil {
			return nil, none, err
		}
		k.write(ctx, a, turn, audit.KindBackup, map[string]any{"for": te.id, "tool": bte.id, "args": bargs})
		f, _, err := k.dispatch(ctx, a, turn, step+".backup", bte, bargs, "", false)
		if err != nil {
			return nil, none, err
		}
		if !f.OK {
			return nil, none, Errf(session.CodeToolFailed, "The backup (%s) failed, so %s was not run: %s", bte.id, te.id, f.Error.Message)
		}
		parts = append(parts, &session.Text{Text: k.grounded(ctx, a, turn, bte, f)})
	}
	f, task, err := k.dispatch(ctx, a, turn, step, te, args, chain, true)
	if err != nil {
		return nil, none, err
	}
	if task != nil {
		msg := fmt.Sprintf("This is taking a while, so %s carries on in the background as task %s; I'll tell you when it's done. Say \"cancel %s\" to stop it.", te.id, task.ID, task.ID)
		if te.b.Tool.LongRunning {
			msg = fmt.Sprintf("%s runs in the background as task %s; I'll tell you when it's done. Say \"cancel %s\" to stop it.", te.id, task.ID, task.ID)
		}
		parts = append(parts, progressPart(*task), &session.Text{Text: msg})
		return parts, none, &promoted{task: task}
	}
	if !f.OK {
		return parts, f, &Error{Code: f.Error.Code, Message: f.Error.Message}
	}
	text := k.grounded(ctx, a, turn, te, f)
	k.write(ctx, a, turn, audit.KindReplied, map[string]any{"fact": f.ID, "text": text})

	return append(parts, &session.Text{Text: text}), f, nil
}

func backupArgs(te, bte *toolEntry, args json.RawMessage) json.RawMessage {
	src := argMap(args)
	out := map[string]any{}
	for _, p := range bte.spec.Params {
		from := p.Name
		if m, ok := te.b.Tool.BackupArgs[p.Name]; ok {
			from = m
		}
		if v, ok := src[from]; ok {
			out[p.Name] = v
		}
	}
	b, _ := json.Marshal(out)
	return b
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// invoke calls a handler, turning a panic into an error (no panic crosses
// into the kernel).
func invoke(ctx context.Context, te *toolEntry, c sdk.Caller, e sdk.Env, args json.RawMessage) (res any, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("tool %s panicked: %v", te.id, p)
		}
	}()
	return te.b.Handler.Invoke(ctx, c, e, args)
}

// grounded narrates a fact and runs the grounding check on the text in
// enforce mode (AF-05…08): a narration claiming anything the fact does not
// support is never sent; it is replaced by the plain listing of the fact,
// and the block is counted and audited.
func (k *Kernel) grounded(ctx context.Context, a session.Actor, turn session.TurnID, te *toolEntry, f session.Fact) string {
	text := k.narrate(te, f)
	res := ground.Check(text, []session.Fact{f}, ground.Options{})
	if res.Grounded {
		return text
	}
	k.ungrounded.Add(1)
	var data any
	_ = json.Unmarshal(f.Output, &data)
	plain := narrate.Listing(string(te.id), data)
	k.write(ctx, a, turn, audit.KindGroundingBlocked, map[string]any{"tool": te.id, "fact": f.ID, "violations": res.Violations, "blocked_text": text})
	return plain
}

// GroundingBlocks is how many narrations the grounding check has blocked.
func (k *Kernel) GroundingBlocks() int64 { return k.ungrounded.Load() }

// narrate renders a fact with the tool's template; every value in the text
// comes from the fact (AF-05…07). Without a usable template it lists the
// fact's fields.
func (k *Kernel) narrate(te *toolEntry, f session.Fact) string {
	var data any
	_ = json.Unmarshal(f.Output, &data)
	if tpl := te.b.Tool.Narrate; tpl != "" {
		if s, err := narrate.Render(tpl, data); err == nil {
			return s
		}
	}
	return narrate.Listing(string(te.id), data)
}

// promoted is execute's signal that the step became a background task.
type promoted struct{ task *store.TaskRow }

func (p *promoted) Error() string { return "promoted to task " + string(p.task.ID) }
