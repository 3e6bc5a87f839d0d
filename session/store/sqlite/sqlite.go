// Package sqlite is the embedded storage back-end: one SQLite file (pure-Go
// driver, WAL, synchronous=FULL) under the data directory holding the audit
// chains, proposals, the fact ledger, extension state and delivered notes.
//
// Contract. Every method is safe for concurrent use. A write has reached
// the disk when its method returns nil. Audit appends are group-committed:
// concurrent appends share one transaction and one fsync, and each caller
// returns only after its records are durable. Within a tenant, audit
// records are numbered without gaps and each carries its predecessor's hash
// (store.ChainHash); the per-tenant head (last seq and hash) is kept in the
// same transaction so that truncating the chain is detected too.
package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// FileName is the database file inside the data directory.
const FileName = "steward.db"

// Store is the SQLite back-end.
type Store struct {
	w, r   *sql.DB
	stmts  map[string]*sql.Stmt // prepared once: parsing SQL is a large share of a turn's cost
	broken atomic.Pointer[error]
	log    *slog.Logger
	audit  chan *appendReq
	done   chan struct{}
	closed chan struct{}
}

const schema = `
CREATE TABLE IF NOT EXISTS audit (
  tenant TEXT NOT NULL, seq INTEGER NOT NULL, at TEXT NOT NULL, kind TEXT NOT NULL,
  actor TEXT NOT NULL, turn TEXT NOT NULL, data TEXT NOT NULL, prev TEXT NOT NULL, hash TEXT NOT NULL,
  PRIMARY KEY (tenant, seq));
CREATE TABLE IF NOT EXISTS audit_head (tenant TEXT PRIMARY KEY, seq INTEGER NOT NULL, hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS proposals (
  id TEXT PRIMARY KEY, tenant TEXT NOT NULL, actor TEXT NOT NULL, state TEXT NOT NULL,
  expires_at TEXT NOT NULL, row TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS proposals_state ON proposals(state, expires_at);
CREATE TABLE IF NOT EXISTS facts (
  id INTEGER PRIMARY KEY AUTOINCREMENT, session TEXT NOT NULL, turn TEXT NOT NULL, step TEXT NOT NULL,
  tool TEXT NOT NULL, args TEXT NOT NULL, args_hash TEXT NOT NULL, ok INTEGER NOT NULL,
  output TEXT, error TEXT, at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS facts_session ON facts(session, id);
CREATE TABLE IF NOT EXISTS ext_state (
  ext TEXT NOT NULL, tenant TEXT NOT NULL, coll TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
  PRIMARY KEY (ext, tenant, coll, key));
CREATE TABLE IF NOT EXISTS seeded (ext TEXT NOT NULL, tenant TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (ext, tenant));
CREATE TABLE IF NOT EXISTS notes (
  id INTEGER PRIMARY KEY AUTOINCREMENT, tenant TEXT NOT NULL, recipient TEXT NOT NULL, sender TEXT NOT NULL,
  subject TEXT NOT NULL, body TEXT NOT NULL, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS executions (key TEXT PRIMARY KEY, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chains (id TEXT PRIMARY KEY, tenant TEXT NOT NULL, state TEXT NOT NULL, row TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tasks (id TEXT PRIMARY KEY, tenant TEXT NOT NULL, actor TEXT NOT NULL, state TEXT NOT NULL, row TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS tasks_owner ON tasks(tenant, actor);
CREATE INDEX IF NOT EXISTS tasks_state ON tasks(state);
CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY AUTOINCREMENT, session TEXT NOT NULL, at TEXT NOT NULL, outbound TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_session ON events(session, id);
CREATE TABLE IF NOT EXISTS marks (key TEXT PRIMARY KEY, value TEXT NOT NULL, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS links (channel TEXT NOT NULL, account TEXT NOT NULL, tenant TEXT NOT NULL, actor TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (channel, account));
CREATE INDEX IF NOT EXISTS links_actor ON links(tenant, actor);
CREATE TABLE IF NOT EXISTS link_codes (hash TEXT PRIMARY KEY, tenant TEXT NOT NULL, actor TEXT NOT NULL, expires TEXT NOT NULL, used_at TEXT);
CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, channel TEXT NOT NULL, account TEXT NOT NULL, chat TEXT NOT NULL, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS inbound (key TEXT PRIMARY KEY, at TEXT NOT NULL, outcome TEXT);
`

// hot are the statements every turn runs; "r:" ones use the read pool.
var hot = map[string]string{
	"auditInsert": `INSERT INTO audit (tenant, seq, at, kind, actor, turn, data, prev, hash) VALUES (?,?,?,?,?,?,?,?,?)`,
	"auditHead":   `SELECT seq, hash FROM audit_head WHERE tenant = ?`,
	"headUpsert":  `INSERT INTO audit_head (tenant, seq, hash) VALUES (?,?,?) ON CONFLICT(tenant) DO UPDATE SET seq = excluded.seq, hash = excluded.hash`,
	"factInsert":  `INSERT INTO facts (session, turn, step, tool, args, args_hash, ok, output, error, at) VALUES (?,?,?,?,?,?,?,?,?,?)`,
	"r:recent":    `SELECT id, turn, step, tool, args, args_hash, ok, output, error, at FROM facts WHERE session = ? ORDER BY id DESC LIMIT ?`,
	"r:stateGet":  `SELECT value FROM ext_state WHERE ext = ? AND tenant = ? AND coll = ? AND key = ?`,
	"r:stateList": `SELECT value FROM ext_state WHERE ext = ? AND tenant = ? AND coll = ? ORDER BY key`,
}

// Open opens (creating if needed) the store in dir.
func Open(ctx context.Context, dir string, log *slog.Logger) (*Store, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	path := filepath.Join(dir, FileName)
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(ON)&_txlock=immediate"
	w, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	r, err := sql.Open("sqlite", dsn+"&mode=ro")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	r.SetMaxOpenConns(4)
	if _, err := w.ExecContext(ctx, schema); err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("create schema in %s: %w", path, err)
	}
	s := &Store{w: w, r: r, log: log, audit: make(chan *appendReq, 256), done: make(chan struct{}), closed: make(chan struct{}), stmts: map[string]*sql.Stmt{}}
	for name, q := range hot {
		db := w
		if strings.HasPrefix(name, "r:") {
			db = r
		}
		st, err := db.PrepareContext(ctx, q)
		if err != nil {
			w.Close()
			r.Close()
			return nil, fmt.Errorf("prepare %s: %w", name, err)
		}
		s.stmts[name] = st
	}
	go s.appender()
	return s, nil
}

// Close stops the appender and closes the database.
func (s *Store) Close() error {
	select {
	case <-s.done:
		return nil
	default:
	}
	close(s.done)
	<-s.closed
	for _, st := range s.stmts {
		st.Close()
	}
	return errors.Join(s.r.Close(), s.w.Close())
}

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func parseTS(v string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, v)
	return t
}

// ---- audit (group commit) ----

type appendReq struct {
	entries []store.AuditEntry
	rows    []store.AuditRow
	err     chan error
	async   bool
	// op, when set, runs inside the batch's transaction (before the
	// entries): writes on a turn's path share the group commit's fsync
	// with every other turn's instead of taking one of their own.
	op func(ctx context.Context, tx *sql.Tx) error
}

// inBatch runs op in the next group commit and returns once it is durable.
// op may run more than once (a failed batch is retried request by
// request), so it must only set what it returns.
func (s *Store) inBatch(ctx context.Context, op func(ctx context.Context, tx *sql.Tx) error) error {
	if b := s.broken.Load(); b != nil {
		return fmt.Errorf("store unavailable: earlier audit records could not be written: %w", *b)
	}
	req := &appendReq{op: op, err: make(chan error, 1)}
	select {
	case s.audit <- req:
	case <-s.done:
		return errors.New("store closed")
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-req.err
}

// AppendAudit appends entries to their tenants' chains durably, in order.
func (s *Store) AppendAudit(ctx context.Context, entries ...store.AuditEntry) ([]store.AuditRow, error) {
	if b := s.broken.Load(); b != nil {
		return nil, fmt.Errorf("audit trail unavailable: earlier records could not be written: %w", *b)
	}
	req := &appendReq{entries: entries, err: make(chan error, 1)}
	select {
	case s.audit <- req:
	case <-s.done:
		return nil, errors.New("store closed")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	// Once queued, the append happens; wait for it regardless of ctx so the
	// caller never believes a durable record was lost.
	if err := <-req.err; err != nil {
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
		if req.op != nil {
			if err := req.op(ctx, tx); err != nil {
				return err
			}
		}
		for _, e := range req.entries {
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
	defer rows.Close()
	var out []session.TenantID
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, err
		}
		out = append(out, session.TenantID(t))
	}
	return out, rows.Err()
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

// ---- proposals ----

// CreateProposal stores a new proposal.
func (s *Store) CreateProposal(ctx context.Context, p store.ProposalRow) error {
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	_, err = s.w.ExecContext(ctx, `INSERT INTO proposals (id, tenant, actor, state, expires_at, row) VALUES (?,?,?,?,?,?)`,
		string(p.ID), string(p.Tenant), string(p.Actor), string(p.State), ts(p.ExpiresAt), string(b))
	if err != nil {
		return fmt.Errorf("create proposal: %w", err)
	}
	return nil
}

// GetProposal loads a proposal; store.ErrNotFound when absent.
func (s *Store) GetProposal(ctx context.Context, id session.ProposalID) (store.ProposalRow, error) {
	var raw, state string
	err := s.w.QueryRowContext(ctx, `SELECT row, state FROM proposals WHERE id = ?`, string(id)).Scan(&raw, &state)
	if errors.Is(err, sql.ErrNoRows) {
		return store.ProposalRow{}, store.ErrNotFound
	}
	if err != nil {
		return store.ProposalRow{}, fmt.Errorf("get proposal: %w", err)
	}
	var p store.ProposalRow
	if err := json.Unmarshal([]byte(raw), &p); err != nil {
		return store.ProposalRow{}, fmt.Errorf("decode proposal: %w", err)
	}
	p.State = store.ProposalState(state)
	return p, nil
}

// TransitionProposal moves a proposal from one state to another atomically;
// it reports false when the proposal was not in state from (someone else
// decided first). outcome, when non-nil, is stored with the new state.
func (s *Store) TransitionProposal(ctx context.Context, id session.ProposalID, from, to store.ProposalState, at time.Time, outcome json.RawMessage) (bool, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("transition proposal: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck
	var raw, state string
	err = tx.QueryRowContext(ctx, `SELECT row, state FROM proposals WHERE id = ?`, string(id)).Scan(&raw, &state)
	if errors.Is(err, sql.ErrNoRows) {
		return false, store.ErrNotFound
	}
	if err != nil {
		return false, fmt.Errorf("transition proposal: %w", err)
	}
	if store.ProposalState(state) != from {
		return false, nil
	}
	var p store.ProposalRow
	if err := json.Unmarshal([]byte(raw), &p); err != nil {
		return false, fmt.Errorf("decode proposal: %w", err)
	}
	p.State, p.DecidedAt = to, at.UTC()
	if outcome != nil {
		p.Outcome = outcome
	}
	b, _ := json.Marshal(p)
	if _, err := tx.ExecContext(ctx, `UPDATE proposals SET state = ?, row = ? WHERE id = ?`, string(to), string(b), string(id)); err != nil {
		return false, fmt.Errorf("transition proposal: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("transition proposal: %w", err)
	}
	return true, nil
}

// ProposalsInState lists the proposals in a state, oldest first.
func (s *Store) ProposalsInState(ctx context.Context, state store.ProposalState) ([]store.ProposalRow, error) {
	rows, err := s.w.QueryContext(ctx, `SELECT row FROM proposals WHERE state = ? ORDER BY rowid`, string(state))
	if err != nil {
		return nil, fmt.Errorf("proposals in state: %w", err)
	}
	out, err := loadRows[store.ProposalRow](rows, "proposal")
	for i := range out {
		out[i].State = state // the column is authoritative
	}
	return out, err
}

// ---- chains ----

// SaveChain creates or replaces a chain's persisted state.
func (s *Store) SaveChain(ctx context.Context, c store.ChainRow) error {
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	if _, err := s.w.ExecContext(ctx, `INSERT INTO chains (id, tenant, state, row) VALUES (?,?,?,?) ON CONFLICT(id) DO UPDATE SET state = excluded.state, row = excluded.row`,
		c.ID, string(c.Tenant), c.State, string(b)); err != nil {
		return fmt.Errorf("save chain: %w", err)
	}
	return nil
}

// GetChain loads a chain; store.ErrNotFound when absent.
func (s *Store) GetChain(ctx context.Context, id session.ChainID) (store.ChainRow, error) {
	return loadRow[store.ChainRow](ctx, s, `SELECT row FROM chains WHERE id = ?`, string(id), "chain")
}

// loadRow reads one JSON-encoded row by id; store.ErrNotFound when absent.
func loadRow[T any](ctx context.Context, s *Store, query, id, what string) (T, error) {
	var v T
	var raw string
	err := s.w.QueryRowContext(ctx, query, id).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return v, store.ErrNotFound
	}
	if err != nil {
		return v, fmt.Errorf("get %s: %w", what, err)
	}
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		return v, fmt.Errorf("decode %s: %w", what, err)
	}
	return v, nil
}

// loadRows reads JSON-encoded rows from a query's single column.
func loadRows[T any](rows *sql.Rows, what string) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		var raw string
		if err := rows.Scan(&raw); err != nil {
			return nil, err
		}
		var v T
		if err := json.Unmarshal([]byte(raw), &v); err != nil {
			return nil, fmt.Errorf("decode %s: %w", what, err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// ---- sessions ----

// TouchSession records the channel a session was last used from.
func (s *Store) TouchSession(ctx context.Context, sid session.SessionID, from session.Address, at time.Time) error {
	if _, err := s.w.ExecContext(ctx, `INSERT INTO sessions (id, channel, account, chat, at) VALUES (?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET channel = excluded.channel, account = excluded.account, chat = excluded.chat, at = excluded.at`,
		string(sid), from.Channel, from.Account, from.Chat, ts(at)); err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	return nil
}

// LastChannel returns the address a session was last used from.
func (s *Store) LastChannel(ctx context.Context, sid session.SessionID) (session.Address, error) {
	var a session.Address
	err := s.w.QueryRowContext(ctx, `SELECT channel, account, chat FROM sessions WHERE id = ?`, string(sid)).Scan(&a.Channel, &a.Account, &a.Chat)
	if errors.Is(err, sql.ErrNoRows) {
		return a, store.ErrNotFound
	}
	return a, err
}

// ---- links ----

// SaveLinkCode stores a new link code (by its hash).
func (s *Store) SaveLinkCode(ctx context.Context, c store.LinkCode) error {
	if _, err := s.w.ExecContext(ctx, `INSERT INTO link_codes (hash, tenant, actor, expires) VALUES (?,?,?,?)`, c.Hash, string(c.Tenant), string(c.Actor), ts(c.Expires)); err != nil {
		return fmt.Errorf("save link code: %w", err)
	}
	return nil
}

// UseLinkCode marks a code used and returns it; store.ErrNotFound when it
// does not exist or was used before (single use, atomically).
func (s *Store) UseLinkCode(ctx context.Context, hash string, at time.Time) (store.LinkCode, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return store.LinkCode{}, fmt.Errorf("use link code: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck
	var c store.LinkCode
	var tenant, actor, expires string
	err = tx.QueryRowContext(ctx, `SELECT tenant, actor, expires FROM link_codes WHERE hash = ? AND used_at IS NULL`, hash).Scan(&tenant, &actor, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return c, store.ErrNotFound
	}
	if err != nil {
		return c, fmt.Errorf("use link code: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE link_codes SET used_at = ? WHERE hash = ?`, ts(at), hash); err != nil {
		return c, fmt.Errorf("use link code: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return c, fmt.Errorf("use link code: %w", err)
	}
	c.Hash, c.Tenant, c.Actor, c.Expires = hash, session.TenantID(tenant), session.ActorID(actor), parseTS(expires)
	return c, nil
}

// SaveLink links a channel account; it fails with store.ErrConflict when
// the account is linked to someone else.
func (s *Store) SaveLink(ctx context.Context, l store.Link) error {
	res, err := s.w.ExecContext(ctx, `INSERT INTO links (channel, account, tenant, actor, at) VALUES (?,?,?,?,?)
		ON CONFLICT(channel, account) DO UPDATE SET at = excluded.at WHERE links.tenant = excluded.tenant AND links.actor = excluded.actor`,
		l.Channel, l.Account, string(l.Tenant), string(l.Actor), ts(l.LinkedAt))
	if err != nil {
		return fmt.Errorf("save link: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrConflict
	}
	return nil
}

// DeleteLink removes an actor's link; store.ErrNotFound when there is none.
func (s *Store) DeleteLink(ctx context.Context, l store.Link) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM links WHERE channel = ? AND account = ? AND tenant = ? AND actor = ?`, l.Channel, l.Account, string(l.Tenant), string(l.Actor))
	if err != nil {
		return fmt.Errorf("delete link: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// LinkFor returns the link of a channel account; store.ErrNotFound when none.
func (s *Store) LinkFor(ctx context.Context, channel session.ChannelID, account string) (store.Link, error) {
	l := store.Link{Channel: channel, Account: account}
	var tenant, actor, at string
	err := s.w.QueryRowContext(ctx, `SELECT tenant, actor, at FROM links WHERE channel = ? AND account = ?`, channel, account).Scan(&tenant, &actor, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return l, store.ErrNotFound
	}
	if err != nil {
		return l, fmt.Errorf("link: %w", err)
	}
	l.Tenant, l.Actor, l.LinkedAt = session.TenantID(tenant), session.ActorID(actor), parseTS(at)
	return l, nil
}

// Links lists an actor's linked accounts.
func (s *Store) Links(ctx context.Context, tenant session.TenantID, actor session.ActorID) ([]store.Link, error) {
	rows, err := s.w.QueryContext(ctx, `SELECT channel, account, at FROM links WHERE tenant = ? AND actor = ? ORDER BY channel, account`, string(tenant), string(actor))
	if err != nil {
		return nil, fmt.Errorf("links: %w", err)
	}
	defer rows.Close()
	var out []store.Link
	for rows.Next() {
		l := store.Link{Tenant: tenant, Actor: actor}
		var at string
		if err := rows.Scan(&l.Channel, &l.Account, &at); err != nil {
			return nil, err
		}
		l.LinkedAt = parseTS(at)
		out = append(out, l)
	}
	return out, rows.Err()
}

// ---- tasks ----

// SaveTask creates or replaces a task.
func (s *Store) SaveTask(ctx context.Context, t store.TaskRow) error {
	b, err := json.Marshal(t)
	if err != nil {
		return err
	}
	if _, err := s.w.ExecContext(ctx, `INSERT INTO tasks (id, tenant, actor, state, row) VALUES (?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET state = excluded.state, row = excluded.row`,
		t.ID, string(t.Tenant), string(t.Actor), string(t.State), string(b)); err != nil {
		return fmt.Errorf("save task: %w", err)
	}
	return nil
}

// FinishTask moves a running task to an end state atomically; it reports
// false when the task had already ended (cancel and completion raced).
func (s *Store) FinishTask(ctx context.Context, t store.TaskRow) (bool, error) {
	b, err := json.Marshal(t)
	if err != nil {
		return false, err
	}
	res, err := s.w.ExecContext(ctx, `UPDATE tasks SET state = ?, row = ? WHERE id = ? AND state = ?`, string(t.State), string(b), t.ID, string(store.TaskRunning))
	if err != nil {
		return false, fmt.Errorf("finish task: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// GetTask loads a task; store.ErrNotFound when absent.
func (s *Store) GetTask(ctx context.Context, id session.TaskID) (store.TaskRow, error) {
	return loadRow[store.TaskRow](ctx, s, `SELECT row FROM tasks WHERE id = ?`, string(id), "task")
}

// Tasks lists tasks, newest first: an actor's (tenant and actor set) or,
// with an empty actor, every task in a state.
func (s *Store) Tasks(ctx context.Context, tenant session.TenantID, actor session.ActorID, state store.TaskState) ([]store.TaskRow, error) {
	q, args := `SELECT row FROM tasks WHERE tenant = ? AND actor = ? ORDER BY rowid DESC LIMIT 200`, []any{string(tenant), string(actor)}
	if actor == "" {
		q, args = `SELECT row FROM tasks WHERE state = ? ORDER BY rowid`, []any{string(state)}
	}
	rows, err := s.w.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("tasks: %w", err)
	}
	return loadRows[store.TaskRow](rows, "task")
}

// ---- events (outbound deliveries) ----

// AppendEvent stores an outbound delivery for a session and returns its id.
func (s *Store) AppendEvent(ctx context.Context, sid session.SessionID, at time.Time, out json.RawMessage) (int64, error) {
	res, err := s.w.ExecContext(ctx, `INSERT INTO events (session, at, outbound) VALUES (?,?,?)`, string(sid), ts(at), string(out))
	if err != nil {
		return 0, fmt.Errorf("append event: %w", err)
	}
	return res.LastInsertId()
}

// Events returns a session's events after an id, oldest first.
func (s *Store) Events(ctx context.Context, sid session.SessionID, after int64, limit int) ([]store.Event, error) {
	if limit <= 0 || limit > 500 {
		limit = 500
	}
	rows, err := s.r.QueryContext(ctx, `SELECT id, at, outbound FROM events WHERE session = ? AND id > ? ORDER BY id LIMIT ?`, string(sid), after, limit)
	if err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	defer rows.Close()
	var out []store.Event
	for rows.Next() {
		e := store.Event{Session: sid}
		var at, o string
		if err := rows.Scan(&e.ID, &at, &o); err != nil {
			return nil, err
		}
		e.At, e.Out = parseTS(at), json.RawMessage(o)
		out = append(out, e)
	}
	return out, rows.Err()
}

// AllEvents returns the events of every session after an id, oldest
// first: the feed a channel that pushes to a platform reads.
func (s *Store) AllEvents(ctx context.Context, after int64, limit int) ([]store.Event, error) {
	if limit <= 0 || limit > 500 {
		limit = 500
	}
	rows, err := s.r.QueryContext(ctx, `SELECT id, session, at, outbound FROM events WHERE id > ? ORDER BY id LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("all events: %w", err)
	}
	defer rows.Close()
	var out []store.Event
	for rows.Next() {
		var e store.Event
		var sid, at, o string
		if err := rows.Scan(&e.ID, &sid, &at, &o); err != nil {
			return nil, err
		}
		e.Session, e.At, e.Out = session.SessionID(sid), parseTS(at), json.RawMessage(o)
		out = append(out, e)
	}
	return out, rows.Err()
}

// LastEventID is the id of the newest event, 0 when there is none.
func (s *Store) LastEventID(ctx context.Context) (int64, error) {
	var id sql.NullInt64
	if err := s.r.QueryRowContext(ctx, `SELECT MAX(id) FROM events`).Scan(&id); err != nil {
		return 0, fmt.Errorf("last event: %w", err)
	}
	return id.Int64, nil
}

// ---- marks (small durable state of channel adapters) ----

// Mark reads a mark.
func (s *Store) Mark(ctx context.Context, key string) (string, bool, error) {
	var v string
	err := s.w.QueryRowContext(ctx, `SELECT value FROM marks WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("mark: %w", err)
	}
	return v, true, nil
}

// SetMark writes a mark; an empty value deletes it.
func (s *Store) SetMark(ctx context.Context, key, value string, at time.Time) error {
	var err error
	if value == "" {
		_, err = s.w.ExecContext(ctx, `DELETE FROM marks WHERE key = ?`, key)
	} else {
		_, err = s.w.ExecContext(ctx, `INSERT INTO marks (key, value, at) VALUES (?,?,?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, at = excluded.at`, key, value, ts(at))
	}
	if err != nil {
		return fmt.Errorf("set mark: %w", err)
	}
	return nil
}

// TakeMark deletes a mark and returns its value; of two callers, one gets
// it and the other finds nothing.
func (s *Store) TakeMark(ctx context.Context, key string) (string, bool, error) {
	var v string
	err := s.w.QueryRowContext(ctx, `DELETE FROM marks WHERE key = ? RETURNING value`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("take mark: %w", err)
	}
	return v, true, nil
}

// Marks lists the marks whose key starts with prefix, by key.
func (s *Store) Marks(ctx context.Context, prefix string) (map[string]string, error) {
	rows, err := s.w.QueryContext(ctx, `SELECT key, value FROM marks WHERE substr(key, 1, ?) = ? ORDER BY key`, len(prefix), prefix)
	if err != nil {
		return nil, fmt.Errorf("marks: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, rows.Err()
}

// ---- executions (idempotency) ----

// ClaimExecution records that the action with this key is about to run; it
// reports false when the key was claimed before (the action must not run again).
func (s *Store) ClaimExecution(ctx context.Context, key string, at time.Time) (bool, error) {
	res, err := s.w.ExecContext(ctx, `INSERT INTO executions (key, at) VALUES (?, ?) ON CONFLICT(key) DO NOTHING`, key, ts(at))
	if err != nil {
		return false, fmt.Errorf("claim execution: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// ---- inbound dedupe ----

// ClaimInbound records an inbound event's dedupe key. It reports false
// with the stored outcome (nil while the first delivery is still running)
// when the key was seen before.
func (s *Store) ClaimInbound(ctx context.Context, key string, at time.Time) (bool, json.RawMessage, error) {
	var first bool
	var out sql.NullString
	err := s.inBatch(ctx, func(ctx context.Context, tx *sql.Tx) error {
		first, out = false, sql.NullString{}
		res, err := tx.ExecContext(ctx, `INSERT INTO inbound (key, at) VALUES (?, ?) ON CONFLICT(key) DO NOTHING`, key, ts(at))
		if err != nil {
			return fmt.Errorf("claim inbound: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			first = true
			return nil
		}
		if err := tx.QueryRowContext(ctx, `SELECT outcome FROM inbound WHERE key = ?`, key).Scan(&out); err != nil {
			return fmt.Errorf("claim inbound: %w", err)
		}
		return nil
	})
	if err != nil || first || !out.Valid {
		return first, nil, err
	}
	return false, json.RawMessage(out.String), nil
}

// ForgetUnfinishedInbound drops dedupe keys whose first delivery never
// finished (the process died mid-turn), so a redelivery is handled instead
// of being answered "in progress" forever. Confirmed actions stay
// protected by their proposals' states and execution claims.
func (s *Store) ForgetUnfinishedInbound(ctx context.Context) (int64, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM inbound WHERE outcome IS NULL`)
	if err != nil {
		return 0, fmt.Errorf("forget unfinished inbound: %w", err)
	}
	return res.RowsAffected()
}

// FinishInbound stores the outcome of a claimed inbound event.
func (s *Store) FinishInbound(ctx context.Context, key string, outcome json.RawMessage) error {
	return s.inBatch(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE inbound SET outcome = ? WHERE key = ?`, string(outcome), key); err != nil {
			return fmt.Errorf("finish inbound: %w", err)
		}
		return nil
	})
}

// ---- fact ledger ----

// Record appends a fact to the ledger and returns its id.
func (s *Store) Record(ctx context.Context, f session.Fact) (int64, error) {
	var errJSON any
	if f.Error != nil {
		b, _ := json.Marshal(f.Error)
		errJSON = string(b)
	}
	var out any
	if len(f.Output) > 0 {
		out = string(f.Output)
	}
	var id int64
	err := s.inBatch(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.StmtContext(ctx, s.stmts["factInsert"]).ExecContext(ctx, string(f.Session), string(f.Turn), f.Step, f.Tool, string(f.Args), f.ArgsHash, f.OK, out, errJSON, ts(f.At))
		if err != nil {
			return fmt.Errorf("record fact: %w", err)
		}
		id, err = res.LastInsertId()
		return err
	})
	return id, err
}

// Fact loads one fact by id; store.ErrNotFound when absent.
func (s *Store) Fact(ctx context.Context, id int64) (session.Fact, error) {
	var f session.Fact
	var sid, turn, args, at string
	var output, errJSON sql.NullString
	err := s.w.QueryRowContext(ctx, `SELECT id, session, turn, step, tool, args, args_hash, ok, output, error, at FROM facts WHERE id = ?`, id).
		Scan(&f.ID, &sid, &turn, &f.Step, &f.Tool, &args, &f.ArgsHash, &f.OK, &output, &errJSON, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return f, store.ErrNotFound
	}
	if err != nil {
		return f, fmt.Errorf("fact: %w", err)
	}
	f.Session, f.Turn, f.Args, f.At = session.SessionID(sid), session.TurnID(turn), json.RawMessage(args), parseTS(at)
	if output.Valid {
		f.Output = json.RawMessage(output.String)
	}
	if errJSON.Valid {
		f.Error = &session.Error{}
		_ = json.Unmarshal([]byte(errJSON.String), f.Error)
	}
	return f, nil
}

// Recent returns the session's newest facts, oldest first, within the cap.
func (s *Store) Recent(ctx context.Context, sid session.SessionID, c session.Cap) ([]session.Fact, error) {
	limit := c.Count
	if limit <= 0 {
		limit = 20
	}
	rows, err := s.stmts["r:recent"].QueryContext(ctx, string(sid), limit)
	if err != nil {
		return nil, fmt.Errorf("recent facts: %w", err)
	}
	defer rows.Close()
	var out []session.Fact
	total := 0
	for rows.Next() {
		var f session.Fact
		var turn, args, at string
		var output, errJSON sql.NullString
		if err := rows.Scan(&f.ID, &turn, &f.Step, &f.Tool, &args, &f.ArgsHash, &f.OK, &output, &errJSON, &at); err != nil {
			return nil, err
		}
		f.Session, f.Turn, f.Args, f.At = sid, session.TurnID(turn), json.RawMessage(args), parseTS(at)
		if output.Valid {
			f.Output = json.RawMessage(output.String)
		}
		if errJSON.Valid {
			f.Error = &session.Error{}
			_ = json.Unmarshal([]byte(errJSON.String), f.Error)
		}
		size := len(f.Args) + len(f.Output)
		if c.Bytes > 0 && total+size > c.Bytes && len(out) > 0 {
			break
		}
		total += size
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

// ---- extension state ----

// StateGet reads one value; ok is false when absent.
func (s *Store) StateGet(ctx context.Context, ext string, tenant session.TenantID, coll, key string) (json.RawMessage, bool, error) {
	var v string
	err := s.stmts["r:stateGet"].QueryRowContext(ctx, ext, string(tenant), coll, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("state get: %w", err)
	}
	return json.RawMessage(v), true, nil
}

// StatePut writes one value.
func (s *Store) StatePut(ctx context.Context, ext string, tenant session.TenantID, coll, key string, v json.RawMessage) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO ext_state (ext, tenant, coll, key, value) VALUES (?,?,?,?,?) ON CONFLICT(ext, tenant, coll, key) DO UPDATE SET value = excluded.value`,
		ext, string(tenant), coll, key, string(v))
	if err != nil {
		return fmt.Errorf("state put: %w", err)
	}
	return nil
}

// StateDelete removes one value.
func (s *Store) StateDelete(ctx context.Context, ext string, tenant session.TenantID, coll, key string) error {
	if _, err := s.w.ExecContext(ctx, `DELETE FROM ext_state WHERE ext = ? AND tenant = ? AND coll = ? AND key = ?`, ext, string(tenant), coll, key); err != nil {
		return fmt.Errorf("state delete: %w", err)
	}
	return nil
}

// StateList returns a collection's values ordered by key.
func (s *Store) StateList(ctx context.Context, ext string, tenant session.TenantID, coll string) ([]json.RawMessage, error) {
	rows, err := s.stmts["r:stateList"].QueryContext(ctx, ext, string(tenant), coll)
	if err != nil {
		return nil, fmt.Errorf("state list: %w", err)
	}
	defer rows.Close()
	var out []json.RawMessage
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, json.RawMessage(v))
	}
	return out, rows.Err()
}

// MarkSeeded records that an extension's tenant state was seeded; it
// reports false when it already was.
func (s *Store) MarkSeeded(ctx context.Context, ext string, tenant session.TenantID, at time.Time) (bool, error) {
	res, err := s.w.ExecContext(ctx, `INSERT INTO seeded (ext, tenant, at) VALUES (?,?,?) ON CONFLICT DO NOTHING`, ext, string(tenant), ts(at))
	if err != nil {
		return false, fmt.Errorf("mark seeded: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// UnmarkSeeded forgets a seeding that failed half-way.
func (s *Store) UnmarkSeeded(ctx context.Context, ext string, tenant session.TenantID) error {
	_, err := s.w.ExecContext(ctx, `DELETE FROM seeded WHERE ext = ? AND tenant = ?`, ext, string(tenant))
	return err
}

// ---- notes ----

// DeliverNote stores a note for its recipient.
func (s *Store) DeliverNote(ctx context.Context, n store.Note) (int64, error) {
	res, err := s.w.ExecContext(ctx, `INSERT INTO notes (tenant, recipient, sender, subject, body, at) VALUES (?,?,?,?,?,?)`,
		string(n.Tenant), string(n.To), string(n.From), n.Subject, n.Body, ts(n.At))
	if err != nil {
		return 0, fmt.Errorf("deliver note: %w", err)
	}
	return res.LastInsertId()
}

// Notes lists the notes delivered to an actor, oldest first.
func (s *Store) Notes(ctx context.Context, tenant session.TenantID, to session.ActorID) ([]store.Note, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, sender, subject, body, at FROM notes WHERE tenant = ? AND recipient = ? ORDER BY id`, string(tenant), string(to))
	if err != nil {
		return nil, fmt.Errorf("notes: %w", err)
	}
	defer rows.Close()
	var out []store.Note
	for rows.Next() {
		n := store.Note{Tenant: tenant, To: to}
		var from, at string
		if err := rows.Scan(&n.ID, &from, &n.Subject, &n.Body, &at); err != nil {
			return nil, err
		}
		n.From, n.At = session.ActorID(from), parseTS(at)
		out = append(out, n)
	}
	return out, rows.Err()
}

var _ store.Backend = (*Store)(nil)
