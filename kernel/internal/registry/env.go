package registry

import (
	"context"
	"fmt"
	"slices"

	"github.com/steward-os/steward/sdk"
	"github.com/steward-os/steward/session/store"
)

// Env is what a handler of the tool may touch, for its caller: its own
// state in the caller's tenant, and the directory and outbox only when
// the extension declares their scopes. key is the call's idempotency key
// ("" for a read); progress receives Env.Progress.
func (r *Registry) Env(t *Tool, caller sdk.Caller, key string, progress func(percent int, message string)) sdk.Env {
	return &env{r: r, x: t.Ext, caller: caller, key: key, progress: progress}
}

type env struct {
	r        *Registry
	x        *Extension
	caller   sdk.Caller
	key      string
	progress func(int, string)
}

func (e *env) State() sdk.State { return e.r.State(e.x.ID(), e.caller.Tenant) }

func (e *env) declared(scope string) bool { return slices.Contains(e.x.Manifest.Scopes, scope) }

func (e *env) Directory() (sdk.Directory, error) {
	if !e.declared(sdk.ScopeDirectoryRead) {
		return nil, sdk.ErrScopeDenied
	}
	return dirView{e}, nil
}

func (e *env) Outbox() (sdk.Outbox, error) {
	if !e.declared(sdk.ScopeMessagesDeliver) {
		return nil, sdk.ErrScopeDenied
	}
	return outbox{e}, nil
}

func (e *env) Progress(percent int, message string) {
	if e.progress != nil {
		e.progress(percent, message)
	}
}

func (e *env) IdempotencyKey() string { return e.key }

type dirView struct{ e *env }

func (d dirView) Members(ctx context.Context) ([]sdk.Member, error) {
	as, err := d.e.r.dir.Members(ctx, d.e.caller.Tenant)
	if err != nil {
		return nil, err
	}
	out := make([]sdk.Member, len(as))
	for i, a := range as {
		out[i] = sdk.Member{ID: a.ID, Roles: a.Roles, Manager: a.Manager}
	}
	return out, nil
}

type outbox struct{ e *env }

func (o outbox) Deliver(ctx context.Context, n sdk.Note) (string, error) {
	if _, ok := o.e.r.dir.Lookup(ctx, o.e.caller.Tenant, n.To); !ok {
		return "", sdk.Errorf(sdk.CodeNotFound, "nobody called %q here", n.To)
	}
	note := store.Note{Tenant: o.e.caller.Tenant, To: n.To, From: o.e.caller.Actor, Subject: n.Subject, Body: n.Body, At: o.e.r.now()}
	id, err := o.e.r.st.DeliverNote(ctx, note)
	if err != nil {
		return "", err
	}
	if h := o.e.r.onNote; h != nil {
		note.ID = id
		h(ctx, note)
	}
	return fmt.Sprintf("m-%d", id), nil
}
