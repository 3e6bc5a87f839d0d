package engine

import (
	"context"

	"github.com/steward-os/steward/kernel/internal/tasks"
	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// Escalate moves every approval request whose window has passed to the
// next approver in line, expires those nobody answered (their requesters
// told), and settles the plans the expired proposals gated, telling their
// requesters what became of the rest. It returns how many it expired.
func (e *Engine) Escalate(ctx context.Context) (int, error) {
	expired, err := e.Gate.Escalate(ctx)
	for _, p := range expired {
		if p.Chain == "" {
			continue
		}
		owner, aerr := e.Authz.Actor(ctx, session.Actor{ID: p.Actor, Tenant: p.Tenant})
		if aerr != nil {
			e.log.ErrorContext(ctx, "expired proposal's requester", "proposal", p.ID, "err", aerr)
			continue
		}
		o := tasks.Origin{Turn: p.Turn, Identity: "expired:" + string(p.ID)}
		parts, serr := e.settleChain(ctx, owner, o, p.Chain, p.Step, store.StepExpired, 0, "expired")
		if serr != nil {
			e.log.ErrorContext(ctx, "settle expired plan", "proposal", p.ID, "err", serr)
		}
		if len(parts) > 0 {
			e.Bus.Publish(ctx, p.Session, session.Outbound{Turn: p.Turn, Parts: parts})
		}
	}
	if serr := e.Recorder.Sync(ctx); err == nil {
		err = serr
	}
	return len(expired), err
}
