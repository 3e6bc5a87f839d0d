package redis

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	goredis "github.com/redis/go-redis/v9"

	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// Execution claims: {g}:exec:<key> is a hash (at; for a dispatch also
// row, the claim as taken, and seq; fact once settled). A dispatch claim
// is listed in {g}:exec:unsettled until settled and in {g}:exec:in:<inbound>
// for its turn, both by claim order. Claiming and settling are WATCH
// transactions on the claim (and the chain heads of their audit records):
// of concurrent callers exactly one commits.

func (s *Store) execKey(key string) string { return s.g("exec", key) }

// ClaimDispatch takes a dispatch's key, storing the audit entries with the
// claim when it is the first.
func (s *Store) ClaimDispatch(ctx context.Context, e store.Execution, audit ...store.AuditEntry) (bool, store.Execution, error) {
	e.Fact = 0
	row, err := encode(e, "execution")
	if err != nil {
		return false, store.Execution{}, err
	}
	var first bool
	var stored store.Execution
	key := s.execKey(e.Key)
	err = s.commit(ctx, []string{key}, audit, func(tx *goredis.Tx, chain chainFn) error {
		var ok bool
		var err error
		if stored, ok, err = s.execution(ctx, tx, e.Key); err != nil || ok {
			first = false
			return err
		}
		seq, err := tx.Incr(ctx, s.g("exec", "seq")).Result()
		if err != nil {
			return err
		}
		_, queue, err := chain(audit)
		if err != nil {
			return err
		}
		_, err = tx.TxPipelined(ctx, func(p goredis.Pipeliner) error {
			p.HSet(ctx, key, "at", ts(e.ClaimedAt), "row", row, "seq", seq)
			p.ZAdd(ctx, s.g("exec", "unsettled"), goredis.Z{Score: float64(seq), Member: e.Key})
			if e.Inbound != "" {
				p.ZAdd(ctx, s.g("exec", "in", e.Inbound), goredis.Z{Score: float64(seq), Member: e.Key})
			}
			queue(p)
			return nil
		})
		first, stored = err == nil, e
		return err
	})
	if err != nil {
		return false, store.Execution{}, fmt.Errorf("claim dispatch: %w", err)
	}
	return first, stored, nil
}

// SettleDispatch records a claimed dispatch's outcome and settles the claim
// in one commit; a claim settled before records nothing.
func (s *Store) SettleDispatch(ctx context.Context, key string, f session.Fact, audit store.Audited) (store.Execution, bool, error) {
	id, err := s.newFactID(ctx)
	if err != nil {
		return store.Execution{}, false, err
	}
	f.ID = id
	var entries []store.AuditEntry
	if audit != nil {
		entries = audit(id)
	}
	var won bool
	var stored store.Execution
	err = s.commit(ctx, []string{s.execKey(key)}, entries, func(tx *goredis.Tx, chain chainFn) error {
		var ok bool
		var err error
		won = false
		if stored, ok, err = s.execution(ctx, tx, key); err != nil {
			return err
		}
		if !ok {
			return store.ErrNotFound
		}
		if stored.Fact != 0 {
			return nil
		}
		_, queue, err := chain(entries)
		if err != nil {
			return err
		}
		_, err = tx.TxPipelined(ctx, func(p goredis.Pipeliner) error {
			s.queueFact(ctx, p, f)
			p.HSet(ctx, s.execKey(key), "fact", id)
			p.ZRem(ctx, s.g("exec", "unsettled"), key)
			queue(p)
			return nil
		})
		won, stored.Fact = err == nil, id
		return err
	})
	if err != nil {
		return store.Execution{}, false, fmt.Errorf("settle dispatch: %w", err)
	}
	return stored, won, nil
}

// Execution loads one claim; store.ErrNotFound when absent.
func (s *Store) Execution(ctx context.Context, key string) (store.Execution, error) {
	e, ok, err := s.execution(ctx, s.rdb, key)
	if err == nil && !ok {
		err = store.ErrNotFound
	}
	return e, err
}

// execution reads one claim; ok is false when there is none.
func (s *Store) execution(ctx context.Context, c goredis.Cmdable, key string) (store.Execution, bool, error) {
	m, err := c.HGetAll(ctx, s.execKey(key)).Result()
	if err != nil {
		return store.Execution{}, false, fmt.Errorf("execution: %w", err)
	}
	if len(m) == 0 {
		return store.Execution{}, false, nil
	}
	e, err := decodeExecution(key, m)
	return e, err == nil, err
}

// decodeExecution builds a claim from its hash.
func decodeExecution(key string, m map[string]string) (store.Execution, error) {
	var e store.Execution
	if row, ok := m["row"]; ok {
		if err := json.Unmarshal([]byte(row), &e); err != nil {
			return e, fmt.Errorf("decode execution %s: %w", key, err)
		}
	}
	e.Key, e.ClaimedAt = key, parseTS(m["at"])
	if f, ok := m["fact"]; ok {
		e.Fact, _ = strconv.ParseInt(f, 10, 64)
	}
	return e, nil
}

// UnsettledDispatches lists the dispatch claims without an outcome, oldest first.
func (s *Store) UnsettledDispatches(ctx context.Context) ([]store.Execution, error) {
	return s.executions(ctx, s.g("exec", "unsettled"))
}

// DispatchesOf lists the dispatch claims of an inbound key, oldest first.
func (s *Store) DispatchesOf(ctx context.Context, inbound string) ([]store.Execution, error) {
	return s.executions(ctx, s.g("exec", "in", inbound))
}

// executions loads the claims an index lists, in its order.
func (s *Store) executions(ctx context.Context, index string) ([]store.Execution, error) {
	keys, err := s.rdb.ZRange(ctx, index, 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("executions: %w", err)
	}
	cmds, err := s.rdb.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for _, k := range keys {
			p.HGetAll(ctx, s.execKey(k))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("executions: %w", err)
	}
	var out []store.Execution
	for i, c := range cmds {
		m := c.(*goredis.MapStringStringCmd).Val()
		if len(m) == 0 {
			continue
		}
		e, err := decodeExecution(keys[i], m)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}
