package kit

import (
	"context"
	"log/slog"

	"github.com/steward-os/steward/kernel/audit"
	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// Recorder writes the kernel's audit records. Note queues a record for
// the next group commit (the turn syncs before it answers); Must waits
// for the disk and is used before anything changes; Sync waits for
// everything queued.
type Recorder struct {
	log *audit.Log
	lg  *slog.Logger
	tap func(store.AuditEntry) // sees the records Entry builds; nil for none
}

// NewRecorder returns a Recorder over the audit log.
func NewRecorder(l *audit.Log, lg *slog.Logger) *Recorder { return &Recorder{log: l, lg: lg} }

// Note queues an audit record. An error is logged, not returned: an audit
// failure on a refusal path must not hide the refusal. Paths that change
// state use Must.
func (r *Recorder) Note(ctx context.Context, a session.Actor, turn session.TurnID, kind string, data any) {
	if err := r.log.Enqueue(ctx, a.Tenant, a.ID, turn, kind, data); err != nil {
		r.lg.ErrorContext(ctx, "audit write failed", "kind", kind, "err", err)
	}
}

// Must writes an audit record and waits for the disk; when it cannot, the
// caller must not go on (nothing changes without a durable record).
func (r *Recorder) Must(ctx context.Context, a session.Actor, turn session.TurnID, kind string, data any) error {
	if err := r.log.Write(ctx, a.Tenant, a.ID, turn, kind, data); err != nil {
		return &Error{Code: session.CodeUnavailable, Message: "The audit trail could not be written, so nothing was done. Please try again.", Err: err}
	}
	return nil
}

// Sync waits until every record queued before it is durable.
func (r *Recorder) Sync(ctx context.Context) error { return r.log.Sync(ctx) }

// SyncLogged syncs and logs a failure (refusal paths).
func (r *Recorder) SyncLogged(ctx context.Context) {
	if err := r.log.Sync(ctx); err != nil {
		r.lg.ErrorContext(ctx, "audit sync failed", "err", err)
	}
}

// CrossTenant records a reach into another tenant (ISO-02) in both
// tenants: data in the actor's, data plus "from_tenant" in the owner's.
// The caller answers as if the thing did not exist.
func (r *Recorder) CrossTenant(ctx context.Context, a session.Actor, owner session.TenantID, turn session.TurnID, data map[string]any) {
	r.Note(ctx, a, turn, audit.KindCrossTenant, data)
	theirs := make(map[string]any, len(data)+1)
	for k, v := range data {
		theirs[k] = v
	}
	theirs["from_tenant"] = a.Tenant
	r.Note(ctx, session.Actor{ID: a.ID, Tenant: owner}, turn, audit.KindCrossTenant, theirs)
}

// Logger is the kernel's logger.
func (r *Recorder) Logger() *slog.Logger { return r.lg }

// Entry builds an audit record as Must would write it, for a store write
// that commits it together with a change (a claim, a fact).
func (r *Recorder) Entry(a session.Actor, turn session.TurnID, kind string, data any) (store.AuditEntry, error) {
	e, err := r.log.Entry(a.Tenant, a.ID, turn, kind, data)
	if err == nil && r.tap != nil {
		r.tap(e)
	}
	return e, err
}

// Tap has fn see every record Entry builds (they are committed with a
// claim or a fact, not through the audit log's appender). Call it before
// the Recorder is shared.
func (r *Recorder) Tap(fn func(store.AuditEntry)) { r.tap = fn }

// Result builds the "result" record of a fact once the store gives it its
// id, committed with the fact (AF-12: the verifier checks the output's
// hash against the ledger, and every fact against its record).
func (r *Recorder) Result(a session.Actor, turn session.TurnID, f session.Fact) store.Audited {
	return func(id int64) []store.AuditEntry {
		data := map[string]any{"step": f.Step, "tool": f.Tool, "ok": f.OK, "fact": id, "output_sha256": SHA(f.Output)}
		if f.OK {
			data["output"] = f.Output
		} else {
			data["error"] = f.Error
		}
		e, err := r.Entry(a, turn, audit.KindResult, data)
		if err != nil {
			r.lg.Error("audit result record", "fact", id, "err", err)
			return nil
		}
		return []store.AuditEntry{e}
	}
}
