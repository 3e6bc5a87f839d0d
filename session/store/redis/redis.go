// Package redis is the scale-out storage back-end: every part of the
// storage contract (store.Backend) kept in one Redis, so that several
// gateway instances share one state.
//
// Contract. Every method is safe for concurrent use, from one process or
// many. A write is acknowledged by Redis when its method returns nil; it is
// on disk only as far as the server's persistence promises (appendonly yes
// with appendfsync always: on disk; everysec: up to a second may be lost on
// a power cut; see docs/scale-out.md). Every "exactly one of several
// concurrent callers" rule of store.Backend holds across instances: it is
// enforced inside Redis, by a Lua script or by a WATCH/MULTI/EXEC
// transaction retried on conflict, never by a lock in one process.
//
// The audit chains use store.ChainHash exactly as the SQLite back-end does
// (so one verifier reads both): a record's hash is computed here, and the
// append commits only if the tenant's head is still the one it links to.
//
// Keys (all under a configurable prefix, "steward:" by default): what is
// addressed by a tenant lives under the hash tag {t:<tenant>}; what the
// contract addresses by a global id (a proposal, a task, a fact, a claim, a
// dedupe key, a mark, an event) lives under the hash tag {g}. The layout is
// in docs/scale-out.md. A commit may span {g} and one tenant's tag, so the
// back-end needs one Redis primary (with replicas or Sentinel), not a
// Redis Cluster.
package redis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// DefaultPrefix starts every key the store writes.
const DefaultPrefix = "steward:"

// DefaultDedupeTTL is how long a finished inbound dedupe key is kept.
const DefaultDedupeTTL = 7 * 24 * time.Hour

// Options tune a store; the zero value is the defaults.
type Options struct {
	Prefix    string        // key prefix; DefaultPrefix when empty
	DedupeTTL time.Duration // lifetime of a finished dedupe key; DefaultDedupeTTL when 0
	// EnqueueTimeout is how long EnqueueAudit tries before it declares
	// its records lost (30s when 0).
	EnqueueTimeout time.Duration
	Log            *slog.Logger
}

// Store is the Redis back-end.
type Store struct {
	rdb       *goredis.Client
	prefix    string
	dedupeTTL time.Duration
	enqueueTO time.Duration
	log       *slog.Logger
	broken    atomic.Pointer[error] // set when an enqueued audit record was lost
	closing   context.Context       // ends at Close: stops watchers
	close     context.CancelFunc

	mu      sync.Mutex
	tenants map[session.TenantID]*sync.Mutex // serialises this process's appends per tenant
}

// Open connects to the Redis at url (redis://[user:password@]host:port/db
// or rediss:// for TLS) and checks that it answers.
func Open(ctx context.Context, url string, o Options) (*Store, error) {
	opt, err := goredis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("redis store: bad address: %w", redactURL(err, url))
	}
	opt.ReadTimeout, opt.WriteTimeout = 10*time.Second, 10*time.Second
	// No retries: a command whose reply was lost may have run, and a
	// script or transaction run twice (an id taken twice, a claim answered
	// "seen" to its own first caller) would break exactly-once; the error
	// goes to the caller, whose request is redelivered.
	opt.MaxRetries = -1
	rdb := goredis.NewClient(opt)
	if err := rdb.Ping(ctx).Err(); err != nil {
		rdb.Close()
		return nil, fmt.Errorf("redis store: connect %s: %w", opt.Addr, err)
	}
	return New(rdb, o), nil
}

// New wraps a connected client.
func New(rdb *goredis.Client, o Options) *Store {
	s := &Store{rdb: rdb, prefix: o.Prefix, dedupeTTL: o.DedupeTTL, enqueueTO: o.EnqueueTimeout, log: o.Log, tenants: map[session.TenantID]*sync.Mutex{}}
	if s.prefix == "" {
		s.prefix = DefaultPrefix
	}
	if s.dedupeTTL <= 0 {
		s.dedupeTTL = DefaultDedupeTTL
	}
	if s.enqueueTO <= 0 {
		s.enqueueTO = 30 * time.Second
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.closing, s.close = context.WithCancel(context.Background())
	return s
}

// Client is the connection the store uses (leases and the bus share it).
func (s *Store) Client() *goredis.Client { return s.rdb }

// Prefix is the key prefix of the store.
func (s *Store) Prefix() string { return s.prefix }

// Close stops the store's watchers and closes the connection.
func (s *Store) Close() error {
	s.close()
	return s.rdb.Close()
}

// redactURL keeps a password in a URL out of an error message.
func redactURL(err error, url string) error {
	msg := err.Error()
	if i := strings.Index(url, "@"); i > 0 {
		msg = strings.ReplaceAll(msg, url[:i], "redis://…")
	}
	return errors.New(msg)
}

// g is a key under the global hash tag.
func (s *Store) g(parts ...string) string { return s.prefix + "{g}:" + strings.Join(parts, ":") }

// t is a key under a tenant's hash tag.
func (s *Store) t(tenant session.TenantID, parts ...string) string {
	return s.prefix + "{t:" + string(tenant) + "}:" + strings.Join(parts, ":")
}

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func parseTS(v string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, v)
	return t
}

// maxAttempts bounds the retries of an optimistic transaction.
const maxAttempts = 200

// txn runs fn in a WATCH transaction on keys (fn may watch more) and runs
// it again when a watched key changed before its EXEC.
func (s *Store) txn(ctx context.Context, keys []string, fn func(tx *goredis.Tx) error) error {
	for attempt := range maxAttempts {
		err := s.rdb.Watch(ctx, fn, keys...)
		if !errors.Is(err, goredis.TxFailedErr) {
			return err
		}
		wait := time.Duration(rand.IntN(1+min(attempt, 20))) * time.Millisecond
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
	return errors.New("redis store: transaction kept conflicting")
}

// lockTenants serialises this process's chain appends for the tenants of
// entries (in a fixed order) so that its own goroutines do not make each
// other retry; other instances are still fenced by the head check.
func (s *Store) lockTenants(entries []store.AuditEntry) func() {
	var ts []session.TenantID
	for _, e := range entries {
		if !slices.Contains(ts, e.Tenant) {
			ts = append(ts, e.Tenant)
		}
	}
	slices.Sort(ts)
	locks := make([]*sync.Mutex, len(ts))
	s.mu.Lock()
	for i, t := range ts {
		if s.tenants[t] == nil {
			s.tenants[t] = &sync.Mutex{}
		}
		locks[i] = s.tenants[t]
	}
	s.mu.Unlock()
	for _, l := range locks {
		l.Lock()
	}
	return func() {
		for _, l := range slices.Backward(locks) {
			l.Unlock()
		}
	}
}

// getJSON loads one JSON value; store.ErrNotFound when the key is absent.
func getJSON[T any](ctx context.Context, c goredis.Cmdable, key, what string) (T, error) {
	var v T
	raw, err := c.Get(ctx, key).Result()
	if errors.Is(err, goredis.Nil) {
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

// getJSONs loads JSON values by key, in order, skipping absent ones.
func getJSONs[T any](ctx context.Context, c goredis.Cmdable, keys []string, what string) ([]T, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	vals, err := c.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", what, err)
	}
	var out []T
	for _, raw := range vals {
		str, ok := raw.(string)
		if !ok {
			continue
		}
		var v T
		if err := json.Unmarshal([]byte(str), &v); err != nil {
			return nil, fmt.Errorf("decode %s: %w", what, err)
		}
		out = append(out, v)
	}
	return out, nil
}

// encode encodes a row; what names it in errors.
func encode(v any, what string) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode %s: %w", what, err)
	}
	return string(b), nil
}

var _ store.Backend = (*Store)(nil)
