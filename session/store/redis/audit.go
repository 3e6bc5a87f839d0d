package redis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// Audit: a tenant's chain is the list {t:<tenant>}:audit of its records
// in order, and its head the hash {t:<tenant>}:audit:head (seq, hash).
// An append WATCHes the heads it links to, computes each record's hash
// with store.ChainHash, and commits the records and the new heads in one
// MULTI/EXEC: when another writer (another instance) moved a head in
// between, nothing is written and the append starts again from the new
// head. Redis's Lua has no SHA-256, which is why the link is checked this
// way rather than computed in a script.

// auditWire is a stored record: Data is kept as the exact bytes hashed.
type auditWire struct {
	Seq   int64  `json:"seq"`
	At    string `json:"at"`
	Kind  string `json:"kind"`
	Actor string `json:"actor"`
	Turn  string `json:"turn,omitempty"`
	Data  string `json:"data"`
	Prev  string `json:"prev"`
	Hash  string `json:"hash"`
}

func (s *Store) auditKey(t session.TenantID) string     { return s.t(t, "audit") }
func (s *Store) auditHeadKey(t session.TenantID) string { return s.t(t, "audit", "head") }

// AppendAudit appends entries to their tenants' chains in one commit.
func (s *Store) AppendAudit(ctx context.Context, entries ...store.AuditEntry) ([]store.AuditRow, error) {
	rows, err := s.appendAudit(ctx, entries)
	if err != nil {
		return nil, err
	}
	return rows, nil
}

// appendAudit is AppendAudit that also returns, on an error, the rows of
// the last attempt (which may have been committed if only its reply was
// lost).
func (s *Store) appendAudit(ctx context.Context, entries []store.AuditEntry) ([]store.AuditRow, error) {
	if err := s.auditBroken(); err != nil {
		return nil, err
	}
	if len(entries) == 0 {
		return nil, nil // every earlier append returned once committed
	}
	var rows []store.AuditRow
	err := s.commit(ctx, nil, entries, func(tx *goredis.Tx, chain chainFn) error {
		var queue func(goredis.Pipeliner)
		var err error
		rows, queue, err = chain(entries)
		if err != nil {
			return err
		}
		_, err = tx.TxPipelined(ctx, func(p goredis.Pipeliner) error {
			queue(p)
			return nil
		})
		return err
	})
	if err != nil {
		return rows, fmt.Errorf("audit: append: %w", err)
	}
	return rows, nil
}

// EnqueueAudit appends entries before it returns: an append here is a
// direct write, so nothing is queued in the process; the order of a
// caller's records is its call order. Like a queued entry it is written
// whatever becomes of the caller's context, and an attempt that fails is
// tried again (after checking whether it was committed and only its reply
// lost) until Options.EnqueueTimeout. An entry that still cannot be written makes
// every later append of this process fail: a caller may only log an
// enqueue's error, and the trail must never silently miss a record before
// a turn is answered.
func (s *Store) EnqueueAudit(ctx context.Context, entries ...store.AuditEntry) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.enqueueTO)
	defer cancel()
	for {
		rows, err := s.appendAudit(ctx, entries)
		if err == nil || errors.Is(err, errAuditBroken) || s.committed(ctx, rows) {
			return err
		}
		select {
		case <-ctx.Done():
			s.broken.CompareAndSwap(nil, &err)
			s.log.Error("enqueued audit records were lost; refusing further audit writes until restart", "err", err)
			return err
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// committed reports whether rows (an attempt whose reply was lost) are in
// their chains: the head of each tenant is the hash of its last row.
func (s *Store) committed(ctx context.Context, rows []store.AuditRow) bool {
	last := map[session.TenantID]string{}
	for _, r := range rows {
		last[r.Tenant] = r.Hash
	}
	if len(last) == 0 {
		return false
	}
	for t, hash := range last {
		h, err := s.readHead(ctx, s.rdb, t)
		if err != nil || h.hash != hash {
			return false
		}
	}
	return true
}

// errAuditBroken marks the errors of a store that lost an audit record.
var errAuditBroken = errors.New("audit trail unavailable: earlier records could not be written")

// auditBroken is the error every audit write returns once an enqueued
// record was lost.
func (s *Store) auditBroken() error {
	if b := s.broken.Load(); b != nil {
		return fmt.Errorf("%w: %w", errAuditBroken, *b)
	}
	return nil
}

// chainFn prepares the append of entries inside a transaction: it returns
// the rows as they will be stored and a function queuing their writes.
type chainFn func(entries []store.AuditEntry) ([]store.AuditRow, func(goredis.Pipeliner), error)

// commit runs fn in a WATCH transaction on keys and on the chain heads of
// the tenants of audit (which fn may append with the chainFn it is given,
// also with entries built later, of the same tenants). This process's
// appends to those tenants are serialised while it runs.
func (s *Store) commit(ctx context.Context, keys []string, audit []store.AuditEntry, fn func(tx *goredis.Tx, chain chainFn) error) error {
	if err := s.auditBroken(); err != nil {
		return err
	}
	unlock := s.lockTenants(audit)
	defer unlock()
	for _, e := range audit {
		if k := s.auditHeadKey(e.Tenant); !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	return s.txn(ctx, keys, func(tx *goredis.Tx) error {
		return fn(tx, func(entries []store.AuditEntry) ([]store.AuditRow, func(goredis.Pipeliner), error) {
			return s.chain(ctx, tx, entries)
		})
	})
}

type head struct {
	seq  int64
	hash string
}

// chain reads the heads of the entries' tenants in tx (watching them) and
// builds the rows that continue them.
func (s *Store) chain(ctx context.Context, tx *goredis.Tx, entries []store.AuditEntry) ([]store.AuditRow, func(goredis.Pipeliner), error) {
	heads := map[session.TenantID]*head{}
	rows := make([]store.AuditRow, 0, len(entries))
	for _, e := range entries {
		h, ok := heads[e.Tenant]
		if !ok {
			if err := tx.Watch(ctx, s.auditHeadKey(e.Tenant)).Err(); err != nil {
				return nil, nil, err
			}
			var err error
			if h, err = s.readHead(ctx, tx, e.Tenant); err != nil {
				return nil, nil, err
			}
			heads[e.Tenant] = h
		}
		data := e.Data
		if len(data) == 0 {
			data = json.RawMessage("{}")
		}
		row := store.AuditRow{Tenant: e.Tenant, Seq: h.seq + 1, At: e.At.UTC(), Kind: e.Kind, Actor: e.Actor, Turn: e.Turn, Data: data, Prev: h.hash}
		row.Hash = store.ChainHash(row)
		h.seq, h.hash = row.Seq, row.Hash
		rows = append(rows, row)
	}
	return rows, func(p goredis.Pipeliner) {
		for _, r := range rows {
			w := auditWire{Seq: r.Seq, At: ts(r.At), Kind: r.Kind, Actor: string(r.Actor), Turn: string(r.Turn), Data: string(r.Data), Prev: r.Prev, Hash: r.Hash}
			b, _ := json.Marshal(w) // strings and numbers only
			p.RPush(ctx, s.auditKey(r.Tenant), b)
		}
		for t, h := range heads {
			p.HSet(ctx, s.auditHeadKey(t), "seq", h.seq, "hash", h.hash)
			p.SAdd(ctx, s.g("audit", "tenants"), string(t))
		}
	}, nil
}

// readHead reads a tenant's head: (0, GenesisHash) when it has none.
func (s *Store) readHead(ctx context.Context, c goredis.Cmdable, t session.TenantID) (*head, error) {
	vals, err := c.HMGet(ctx, s.auditHeadKey(t), "seq", "hash").Result()
	if err != nil {
		return nil, fmt.Errorf("read head of %s: %w", t, err)
	}
	h := &head{hash: store.GenesisHash}
	seq, okSeq := vals[0].(string)
	hash, okHash := vals[1].(string)
	if okSeq != okHash {
		return nil, fmt.Errorf("head of %s is damaged", t)
	}
	if okSeq {
		n, err := strconv.ParseInt(seq, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("head of %s is damaged: %w", t, err)
		}
		h.seq, h.hash = n, hash
	}
	return h, nil
}

// AuditTenants lists the tenants with a chain, sorted.
func (s *Store) AuditTenants(ctx context.Context) ([]session.TenantID, error) {
	names, err := s.rdb.SMembers(ctx, s.g("audit", "tenants")).Result()
	if err != nil {
		return nil, fmt.Errorf("audit tenants: %w", err)
	}
	slices.Sort(names)
	out := make([]session.TenantID, len(names))
	for i, n := range names {
		out[i] = session.TenantID(n)
	}
	return out, nil
}

// AuditHead returns a tenant's recorded head.
func (s *Store) AuditHead(ctx context.Context, tenant session.TenantID) (int64, string, error) {
	h, err := s.readHead(ctx, s.rdb, tenant)
	if err != nil {
		return 0, "", err
	}
	return h.seq, h.hash, nil
}

// auditPage is how many records AuditChain reads per round trip.
const auditPage = 1000

// AuditChain calls fn for each record of a tenant's chain in order.
func (s *Store) AuditChain(ctx context.Context, tenant session.TenantID, fn func(store.AuditRow) error) error {
	for start := int64(0); ; start += auditPage {
		raws, err := s.rdb.LRange(ctx, s.auditKey(tenant), start, start+auditPage-1).Result()
		if err != nil {
			return fmt.Errorf("audit chain: %w", err)
		}
		for _, raw := range raws {
			var w auditWire
			if err := json.Unmarshal([]byte(raw), &w); err != nil {
				return fmt.Errorf("audit chain of %s: decode record: %w", tenant, err)
			}
			r := store.AuditRow{Tenant: tenant, Seq: w.Seq, At: parseTS(w.At), Kind: w.Kind, Actor: session.ActorID(w.Actor),
				Turn: session.TurnID(w.Turn), Data: json.RawMessage(w.Data), Prev: w.Prev, Hash: w.Hash}
			if err := fn(r); err != nil {
				return err
			}
		}
		if len(raws) < auditPage {
			return nil
		}
	}
}
