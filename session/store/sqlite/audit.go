package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// Audit: the per-tenant hash chains, written by one group-commit appender
// that also carries the other writes on a turn's path (inBatch).

type appendReq struct {
	entries []store.AuditEntry
	rows    []store.AuditRow
	err     chan error
	async   bool
	// op, when set, runs inside the batch's transaction (before the
	// entries): writes on a turn's path share the group commit's fsync
	// with every other turn's instead of taking one of their own.
	op func(ctx context.Context, tx *sql.Tx) error
	// then, when set, returns entries to append after op ran, in the
	// same transaction (entries that depend on what op wrote).
	then func() []store.AuditEntry
}

// inBatch runs op in the next group commit and returns once it is durable.
// op may run more than once (a failed batch is retried request by
// request), so it must only set what it returns.
func (s *Store) inBatch(ctx context.Context, op func(ctx context.Context, tx *sql.Tx) error) error {
	if b := s.broken.Load(); b != nil {
		return fmt.Errorf("store unavailable: earlier audit records could not be written: %w", *b)
	}
	return s.submit(ctx, &appendReq{op: op, err: make(chan error, 1)})
}

// submit queues a request for the next group commit and waits for it.
// Once queued, the commit happens: it waits regardless of ctx, so that a
// caller never believes a durable write was lost.
func (s *Store) submit(ctx context.Context, req *appendReq) error {
	select {
	case s.audit <- req:
	case <-s.done:
		return errors.New("store closed")
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-req.err
}

// inBatchAudited is inBatch with the audit entries then builds once op
// has run, appended in the same transaction. Like AppendAudit, it fails
// when a record enqueued before it was lost.
func (s *Store) inBatchAudited(ctx context.Context, op func(ctx context.Context, tx *sql.Tx) error, then func() []store.AuditEntry) error {
	if b := s.broken.Load(); b != nil {
		return fmt.Errorf("audit trail unavailable: earlier records could not be written: %w", *b)
	}
	if err := s.submit(ctx, &appendReq{op: op, then: then, err: make(chan error, 1)}); err != nil {
		return err
	}
	if b := s.broken.Load(); b != nil {
		return fmt.Errorf("audit trail unavailable: earlier records could not be written: %w", *b)
	}
	return nil
}

// AppendAudit appends entries to their tenants' chains durably, in order.
func (s *Store) AppendAudit(ctx context.Context, entries ...store.AuditEntry) ([]store.AuditRow, error) {
	if b := s.broken.Load(); b != nil {
		return nil, fmt.Errorf("audit trail unavailable: earlier records could not be written: %w", *b)
	}
	req := &appendReq{entries: entries, err: make(chan error, 1)}
	if err := s.submit(ctx, req); err != nil {
		return nil, err
	}
	if b := s.broken.Load(); b != nil { // a queued record before this one was lost
		return nil, fmt.Errorf("audit trail unavailable: earlier records could not be written: %w", *b)
	}
	return req.rows, nil
}

// EnqueueAudit queues entries for the next group commit without waiting.
// Entries queued by one goroutine are committed in order, before anything
// it appends later with AppendAudit, so a later AppendAudit that returns
// nil proves the earlier queued entries are durable too. A failure is
// logged (and surfaces in the next AppendAudit of the same batch).
func (s *Store) EnqueueAudit(ctx context.Context, entries ...store.AuditEntry) error {
	req := &appendReq{entries: entries, err: make(chan error, 1), async: true}
	select {
	case s.audit <- req:
		return nil
	case <-s.done:
		return errors.New("store closed")
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Store) appender() {
	defer close(s.closed)
	for {
		var batch []*appendReq
		select {
		case <-s.done:
			// Commit whatever was queued before Close.
			for {
				select {
				case req := <-s.audit:
					batch = append(batch, req)
				default:
					if len(batch) > 0 {
						s.commitBatch(batch)
					}
					return
				}
			}
		case req := <-s.audit:
			batch = append(batch, req)
		}
	drain:
		for len(batch) < 128 {
			select {
			case req := <-s.audit:
				batch = append(batch, req)
			default:
				break drain
			}
		}
		s.observeBatch(len(batch))
		s.commitBatch(batch)
	}
}

// commitBatch commits a batch; when the group fails it retries each request
// alone so one bad request cannot sink the others. A queued (unawaited)
// request that still fails breaks the store for audit writes: its caller
// was promised the record would be durable before the turn answered, so
// every later append fails closed until the process restarts.
func (s *Store) commitBatch(batch []*appendReq) {
	err := s.commitAudit(batch)
	if err == nil || len(batch) == 1 {
		s.finish(batch, err)
		return
	}
	s.log.Error("audit group commit failed; retrying one by one", "requests", len(batch), "err", err)
	for _, req := range batch {
		s.finish([]*appendReq{req}, s.commitAudit([]*appendReq{req}))
	}
}

func (s *Store) finish(reqs []*appendReq, err error) {
	for _, req := range reqs {
		if err != nil && req.async {
			s.broken.CompareAndSwap(nil, &err)
			s.log.Error("queued audit records were lost; refusing further audit writes", "err", err)
		}
		req.err <- err
	}
}

func (s *Store) commitAudit(batch []*appendReq) (err error) {
	for _, req := range batch {
		req.rows = req.rows[:0]
	}
	defer func() {
		if err != nil {
			for _, req := range batch {
				req.rows = nil
			}
		}
	}()
	ctx := context.Background()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("audit: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit this is a no-op
	type head struct {
		seq  int64
		hash string
	}
	heads := map[session.TenantID]*head{}
	insert := tx.StmtContext(ctx, s.stmts["auditInsert"])
	for _, req := range batch {
		entries := req.entries
		if req.op != nil {
			if err := req.op(ctx, tx); err != nil {
				return err
			}
		}
		if req.then != nil {
			entries = append(slices.Clip(entries), req.then()...)
		}
		for _, e := range entries {
			h, ok := heads[e.Tenant]
			if !ok {
				h = &head{hash: store.GenesisHash}
				err := tx.StmtContext(ctx, s.stmts["auditHead"]).QueryRowContext(ctx, string(e.Tenant)).Scan(&h.seq, &h.hash)
				if err != nil && !errors.Is(err, sql.ErrNoRows) {
					return fmt.Errorf("audit: read head: %w", err)
				}
				heads[e.Tenant] = h
			}
			data := e.Data
			if len(data) == 0 {
				data = json.RawMessage("{}")
			}
			row := store.AuditRow{Tenant: e.Tenant, Seq: h.seq + 1, At: e.At.UTC(), Kind: e.Kind, Actor: e.Actor, Turn: e.Turn, Data: data, Prev: h.hash}
			row.Hash = store.ChainHash(row)
			if _, err := insert.ExecContext(ctx, string(row.Tenant), row.Seq, ts(row.At), row.Kind, string(row.Actor), string(row.Turn), string(row.Data), row.Prev, row.Hash); err != nil {
				return fmt.Errorf("audit: insert: %w", err)
			}
			h.seq, h.hash = row.Seq, row.Hash
			req.rows = append(req.rows, row)
		}
	}
	for t, h := range heads {
		if _, err := tx.StmtContext(ctx, s.stmts["headUpsert"]).ExecContext(ctx, string(t), h.seq, h.hash); err != nil {
			return fmt.Errorf("audit: update head: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("audit: commit: %w", err)
	}
	return nil
}

// AuditTenants lists every tenant with an audit chain or head.
func (s *Store) AuditTenants(ctx context.Context) ([]session.TenantID, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT tenant FROM audit_head UNION SELECT DISTINCT tenant FROM audit ORDER BY 1`)
	if err != nil {
		return nil, fmt.Errorf("audit tenants: %w", err)
	}
	return scanAll(rows, text[session.TenantID])
}

// AuditHead returns a tenant's recorded head (last seq and hash).
func (s *Store) AuditHead(ctx context.Context, tenant session.TenantID) (int64, string, error) {
	var seq int64
	var hash string
	err := s.r.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE tenant = ?`, string(tenant)).Scan(&seq, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, store.GenesisHash, nil
	}
	return seq, hash, err
}

// AuditChain calls fn for each record of a tenant's chain in storage order
// (by seq); it stops at fn's first error.
func (s *Store) AuditChain(ctx context.Context, tenant session.TenantID, fn func(store.AuditRow) error) error {
	rows, err := s.r.QueryContext(ctx, `SELECT seq, at, kind, actor, turn, data, prev, hash FROM audit WHERE tenant = ? ORDER BY rowid`, string(tenant))
	if err != nil {
		return fmt.Errorf("audit chain: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r store.AuditRow
		var at, actor, turn, data string
		if err := rows.Scan(&r.Seq, &at, &r.Kind, &actor, &turn, &data, &r.Prev, &r.Hash); err != nil {
			return err
		}
		r.Tenant, r.At, r.Actor, r.Turn, r.Data = tenant, parseTS(at), session.ActorID(actor), session.TurnID(turn), json.RawMessage(data)
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}
