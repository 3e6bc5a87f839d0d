// Package audit writes and verifies Steward's tamper-evident audit trail.
//
// Contract. Log.Write appends one record to the actor's tenant chain
// through the storage back-end, after masking PII and removing secrets from
// its data; it returns only when the record is durable. Verify walks every
// tenant chain and reports the first record that was edited, deleted,
// inserted or reordered, and a chain whose head no longer matches (a
// truncated tail). Record kinds are stable strings (Kind*), documented in
// docs/audit.md.
package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/steward-os/steward/kernel/internal/redact"
	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// Record kinds.
const (
	KindAsked            = "asked"
	KindContext          = "context"
	KindClassified       = "classified"
	KindPlanned          = "planned"
	KindAuthorized       = "authorized"
	KindDenied           = "denied"
	KindCrossTenant      = "cross_tenant_refused"
	KindProposed         = "proposed"
	KindConfirmed        = "confirmed"
	KindRejected         = "rejected"
	KindConfirmError     = "confirmation_refused"
	KindExpired          = "expired"
	KindBackup           = "backup"
	KindDispatch         = "dispatch"
	KindResult           = "result"
	KindError            = "error"
	KindReplied          = "replied"
	KindExtension        = "extension"
	KindRequestError     = "request_refused"
	KindRefusalSummary   = "refusal_summary"
	KindActAs            = "act_as"
	KindDuplicate        = "duplicate"
	KindInterrupted      = "interrupted"
	KindPlanRejected     = "plan_rejected"
	KindChain            = "chain"
	KindStepCancelled    = "step_cancelled"
	KindChainDone        = "chain_done"
	KindAnswered         = "answered"
	KindUnmasked         = "pii_unmasked"
	KindPromoted         = "promoted"
	KindTaskDone         = "task_done"
	KindTaskCancel       = "task_cancel"
	KindTaskResumed      = "task_resumed"
	KindGroundingBlocked = "grounding_blocked"
	KindLinkCode         = "link_code_issued"
	KindLinked           = "linked"
	KindUnlinked         = "unlinked"
	KindLinkRefused      = "link_refused"
	KindModelPrompt      = "model_prompt"
	KindModelCompletion  = "model_completion"
	KindModelFallback    = "model_fallback"
	KindReconciled       = "reconciled"
)

// Appender is the storage the Log needs. AppendAudit returns once the
// entries (and everything enqueued before them) are durable; EnqueueAudit
// queues entries in order without waiting.
type Appender interface {
	AppendAudit(ctx context.Context, entries ...store.AuditEntry) ([]store.AuditRow, error)
	EnqueueAudit(ctx context.Context, entries ...store.AuditEntry) error
}

// Log writes audit records.
type Log struct {
	app   Appender
	mask  *redact.Masker
	clock func() time.Time
}

// New returns a Log over the appender.
func New(app Appender, mask *redact.Masker, clock func() time.Time) *Log {
	if clock == nil {
		clock = time.Now
	}
	return &Log{app: app, mask: mask, clock: clock}
}

// Write appends one record and returns when it is durable. data is
// marshalled to JSON and masked.
func (l *Log) Write(ctx context.Context, tenant session.TenantID, actor session.ActorID, turn session.TurnID, kind string, data any) error {
	return l.write(ctx, tenant, actor, turn, kind, data, true)
}

// Enqueue appends one record without waiting for the disk; the next Write
// or Sync from the same goroutine makes it durable.
func (l *Log) Enqueue(ctx context.Context, tenant session.TenantID, actor session.ActorID, turn session.TurnID, kind string, data any) error {
	return l.write(ctx, tenant, actor, turn, kind, data, false)
}

// Sync returns when every record enqueued before it is durable.
func (l *Log) Sync(ctx context.Context) error {
	_, err := l.app.AppendAudit(ctx)
	return err
}

// Entry builds the record Write would append — its data marshalled and
// masked, the tenant "_system" when empty — without appending it, for a
// write the record must be committed with (a claim, a fact).
func (l *Log) Entry(tenant session.TenantID, actor session.ActorID, turn session.TurnID, kind string, data any) (store.AuditEntry, error) {
	var raw json.RawMessage
	switch d := data.(type) {
	case nil:
		raw = json.RawMessage("{}")
	case json.RawMessage:
		raw = l.mask.JSON(d)
	default:
		var err error
		if raw, err = l.mask.EncodeJSON(d); err != nil {
			return store.AuditEntry{}, fmt.Errorf("audit %s: marshal: %w", kind, err)
		}
	}
	if tenant == "" {
		tenant = "_system"
	}
	return store.AuditEntry{Tenant: tenant, At: l.clock(), Kind: kind, Actor: actor, Turn: turn, Data: raw}, nil
}

func (l *Log) write(ctx context.Context, tenant session.TenantID, actor session.ActorID, turn session.TurnID, kind string, data any, wait bool) error {
	e, err := l.Entry(tenant, actor, turn, kind, data)
	if err != nil {
		return err
	}
	if wait {
		_, err = l.app.AppendAudit(ctx, e)
	} else {
		err = l.app.EnqueueAudit(ctx, e)
	}
	if err != nil {
		return fmt.Errorf("audit %s: %w", kind, err)
	}
	return nil
}

// Reader is what Verify needs.
type Reader interface {
	AuditTenants(ctx context.Context) ([]session.TenantID, error)
	AuditHead(ctx context.Context, tenant session.TenantID) (int64, string, error)
	AuditChain(ctx context.Context, tenant session.TenantID, fn func(store.AuditRow) error) error
}

// ChainReport is the verification result for one tenant.
type ChainReport struct {
	Tenant  session.TenantID `json:"tenant"`
	Records int64            `json:"records"`
	OK      bool             `json:"ok"`
	// BrokenAt is the sequence number of the first bad record (0 when OK).
	BrokenAt int64  `json:"broken_at,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

// Verify checks every tenant chain.
func Verify(ctx context.Context, r Reader) ([]ChainReport, error) {
	tenants, err := r.AuditTenants(ctx)
	if err != nil {
		return nil, err
	}
	var out []ChainReport
	for _, t := range tenants {
		rep := ChainReport{Tenant: t, OK: true}
		prev, want := store.GenesisHash, int64(1)
		fail := func(seq int64, reason string) error {
			rep.OK, rep.BrokenAt, rep.Reason = false, seq, reason
			return errStop
		}
		err := r.AuditChain(ctx, t, func(row store.AuditRow) error {
			switch {
			case row.Seq != want:
				return fail(want, fmt.Sprintf("record %d is missing or out of order (found %d)", want, row.Seq))
			case row.Prev != prev:
				return fail(row.Seq, fmt.Sprintf("record %d does not link to record %d", row.Seq, row.Seq-1))
			case store.ChainHash(row) != row.Hash:
				return fail(row.Seq, fmt.Sprintf("record %d was altered (hash mismatch)", row.Seq))
			}
			rep.Records++
			prev, want = row.Hash, want+1
			return nil
		})
		if err != nil && err != errStop {
			return nil, err
		}
		if rep.OK {
			seq, hash, err := r.AuditHead(ctx, t)
			if err != nil {
				return nil, err
			}
			if seq != rep.Records || hash != prev {
				rep.OK, rep.BrokenAt = false, rep.Records+1
				rep.Reason = fmt.Sprintf("chain ends at record %d but its head says %d: records were removed from the end", rep.Records, seq)
				if seq == rep.Records {
					rep.Reason = fmt.Sprintf("the last record (%d) does not match the chain head", seq)
					rep.BrokenAt = seq
				}
			}
		}
		out = append(out, rep)
	}
	return out, nil
}

var errStop = fmt.Errorf("stop")

// FactReader loads ledger facts by id, and lists them all.
type FactReader interface {
	Fact(ctx context.Context, id int64) (session.Fact, error)
	// Facts returns the facts after an id, oldest first, at most limit.
	Facts(ctx context.Context, after int64, limit int) ([]session.Fact, error)
}

// LedgerReport is the result of checking the fact ledger against the
// audit trail.
type LedgerReport struct {
	Checked int64  `json:"checked"`
	OK      bool   `json:"ok"`
	Fact    int64  `json:"fact,omitempty"`
	Reason  string `json:"reason,omitempty"`
	// Unrecorded are the facts no "result" record names: an outcome
	// recorded without its result.
	Unrecorded []int64 `json:"unrecorded,omitempty"`
}

// VerifyLedger checks every fact the audit trail recorded (AF-12): each
// "result" record carries the SHA-256 of the fact's verbatim output, so a
// ledger value substituted after the fact no longer matches its record,
// and the record itself is protected by the hash chain. Then it checks
// the other way: a fact that no "result" record names (an outcome recorded
// without its result, or a fact inserted afterwards) fails the check too.
func VerifyLedger(ctx context.Context, r Reader, facts FactReader) (LedgerReport, error) {
	rep := LedgerReport{OK: true}
	named, err := checkResults(ctx, r, facts, &rep)
	if err != nil || !rep.OK {
		return rep, err
	}
	for after := int64(0); ; {
		fs, err := facts.Facts(ctx, after, 500)
		if err != nil {
			return rep, err
		}
		if len(fs) == 0 {
			break
		}
		for _, f := range fs {
			if _, ok := named[f.ID]; !ok {
				rep.Unrecorded = append(rep.Unrecorded, f.ID)
			}
		}
		after = fs[len(fs)-1].ID
	}
	if n := len(rep.Unrecorded); n > 0 {
		rep.OK, rep.Fact = false, rep.Unrecorded[0]
		shown := rep.Unrecorded[:min(n, 10)]
		rep.Reason = fmt.Sprintf("outcome recorded without result: %d fact(s) no result record names (%s)", n, strings.Trim(fmt.Sprint(shown), "[]"))
	}
	return rep, nil
}

// checkResults walks every "result" record, checks the fact it names and
// returns the ids of the facts named.
func checkResults(ctx context.Context, r Reader, facts FactReader, rep *LedgerReport) (map[int64]struct{}, error) {
	named := map[int64]struct{}{}
	tenants, err := r.AuditTenants(ctx)
	if err != nil {
		return nil, err
	}
	for _, t := range tenants {
		err := r.AuditChain(ctx, t, func(row store.AuditRow) error {
			if row.Kind != KindResult {
				return nil
			}
			var d struct {
				Fact int64  `json:"fact"`
				Sum  string `json:"output_sha256"`
			}
			if json.Unmarshal(row.Data, &d) != nil || d.Fact == 0 {
				return nil
			}
			f, err := facts.Fact(ctx, d.Fact)
			if err != nil {
				rep.OK, rep.Fact, rep.Reason = false, d.Fact, fmt.Sprintf("fact %d (audit record %s/%d) is missing from the ledger", d.Fact, t, row.Seq)
				return errStop
			}
			if sum := sha256.Sum256(f.Output); hex.EncodeToString(sum[:]) != d.Sum {
				rep.OK, rep.Fact, rep.Reason = false, d.Fact, fmt.Sprintf("fact %d no longer matches the output recorded in audit record %s/%d: it was altered", d.Fact, t, row.Seq)
				return errStop
			}
			named[d.Fact] = struct{}{}
			rep.Checked++
			return nil
		})
		if err != nil && err != errStop {
			return nil, err
		}
		if !rep.OK {
			return named, nil
		}
	}
	return named, nil
}
