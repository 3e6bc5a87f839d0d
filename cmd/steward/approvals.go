package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/steward-os/steward/configs"
	"github.com/steward-os/steward/kernel"
	"github.com/steward-os/steward/session"
)

// approvalPolicies are the tenants' approval policies as the kernel takes
// them (docs/approvals.md); a tenant with none is left out ("self").
func approvalPolicies(cfg *configs.Config) map[session.TenantID]kernel.ApprovalPolicy {
	out := map[session.TenantID]kernel.ApprovalPolicy{}
	for tn, t := range cfg.Tenants {
		levels, tools := t.Approvals.Rules()
		if len(levels) == 0 && len(tools) == 0 {
			continue
		}
		out[session.TenantID(tn)] = kernel.ApprovalPolicy{Levels: levels, Tools: tools, EscalateAfter: t.Approvals.EscalateAfter.D()}
	}
	return out
}

// escalateEvery is how often serve looks for approval requests whose
// window has passed.
const escalateEvery = 5 * time.Second

// escalate asks the next approver of, or expires, every approval request
// whose window has passed, every escalateEvery until ctx ends.
func escalate(ctx context.Context, k *kernel.Kernel, log *slog.Logger) {
	next := time.NewTimer(escalateEvery)
	defer next.Stop()
	for ; ; next.Reset(escalateEvery) {
		select {
		case <-ctx.Done():
			return
		case <-next.C:
		}
		if n, err := k.Escalate(ctx); err != nil && ctx.Err() == nil {
			log.Error("approval escalation", "err", err)
		} else if n > 0 {
			log.Info("approval requests expired unanswered", "count", n)
		}
	}
}
