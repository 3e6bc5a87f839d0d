package redis

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// Extension state, all under the tenant's tag: the hash
// {t:<tenant>}:state:<ext>:<collection> maps keys to values; the hashes
// {t:<tenant>}:statever and {t:<tenant>}:statecount hold each extension's
// state version and value count, changed by the same script as the value
// (so a version read on any instance names exactly one state). Seed
// markers are {t:<tenant>}:seeded (ext → at); notes {t:<tenant>}:note:<id>
// with ids from {g}:note:seq, listed per recipient in
// {t:<tenant>}:notes:<actor>.

// statePut: KEYS collection, versions, counts; ARGV key, value, ext.
var statePut = goredis.NewScript(`
if redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) == 1 then redis.call('HINCRBY', KEYS[3], ARGV[3], 1) end
redis.call('HINCRBY', KEYS[2], ARGV[3], 1)
return 1`)

// stateDelete: KEYS collection, versions, counts; ARGV key, ext.
var stateDelete = goredis.NewScript(`
if redis.call('HDEL', KEYS[1], ARGV[1]) == 1 then
  redis.call('HINCRBY', KEYS[3], ARGV[2], -1)
  redis.call('HINCRBY', KEYS[2], ARGV[2], 1)
end
return 1`)

func (s *Store) collKey(ext string, tenant session.TenantID, coll string) string {
	return s.t(tenant, "state", ext, coll)
}

// StateGet reads one value; ok is false when absent.
func (s *Store) StateGet(ctx context.Context, ext string, tenant session.TenantID, coll, key string) (json.RawMessage, bool, error) {
	v, err := s.rdb.HGet(ctx, s.collKey(ext, tenant, coll), key).Result()
	if err == goredis.Nil {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("state get: %w", err)
	}
	return json.RawMessage(v), true, nil
}

// StatePut writes one value and moves the extension's version.
func (s *Store) StatePut(ctx context.Context, ext string, tenant session.TenantID, coll, key string, v json.RawMessage) error {
	err := statePut.Run(ctx, s.rdb, []string{s.collKey(ext, tenant, coll), s.t(tenant, "statever"), s.t(tenant, "statecount")}, key, string(v), ext).Err()
	if err != nil {
		return fmt.Errorf("state put: %w", err)
	}
	return nil
}

// StateDelete removes one value (moving the version when there was one).
func (s *Store) StateDelete(ctx context.Context, ext string, tenant session.TenantID, coll, key string) error {
	err := stateDelete.Run(ctx, s.rdb, []string{s.collKey(ext, tenant, coll), s.t(tenant, "statever"), s.t(tenant, "statecount")}, key, ext).Err()
	if err != nil {
		return fmt.Errorf("state delete: %w", err)
	}
	return nil
}

// StateList returns a collection's values in key order (bytes).
func (s *Store) StateList(ctx context.Context, ext string, tenant session.TenantID, coll string) ([]json.RawMessage, error) {
	m, err := s.rdb.HGetAll(ctx, s.collKey(ext, tenant, coll)).Result()
	if err != nil {
		return nil, fmt.Errorf("state list: %w", err)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]json.RawMessage, len(keys))
	for i, k := range keys {
		out[i] = json.RawMessage(m[k])
	}
	return out, nil
}

// MarkSeeded reports whether this call is the first to seed ext for tenant.
func (s *Store) MarkSeeded(ctx context.Context, ext string, tenant session.TenantID, at time.Time) (bool, error) {
	ok, err := s.rdb.HSetNX(ctx, s.t(tenant, "seeded"), ext, ts(at)).Result()
	if err != nil {
		return false, fmt.Errorf("mark seeded: %w", err)
	}
	return ok, nil
}

// UnmarkSeeded forgets a seeding.
func (s *Store) UnmarkSeeded(ctx context.Context, ext string, tenant session.TenantID) error {
	if err := s.rdb.HDel(ctx, s.t(tenant, "seeded"), ext).Err(); err != nil {
		return fmt.Errorf("unmark seeded: %w", err)
	}
	return nil
}

// DeliverNote stores a note for its recipient and returns its id.
func (s *Store) DeliverNote(ctx context.Context, n store.Note) (int64, error) {
	id, err := s.rdb.Incr(ctx, s.g("note", "seq")).Result()
	if err != nil {
		return 0, fmt.Errorf("deliver note: %w", err)
	}
	n.ID = id
	row, err := encode(n, "note")
	if err != nil {
		return 0, err
	}
	_, err = s.rdb.TxPipelined(ctx, func(p goredis.Pipeliner) error {
		p.Set(ctx, s.t(n.Tenant, "note", strconv.FormatInt(id, 10)), row, 0)
		p.ZAdd(ctx, s.t(n.Tenant, "notes", string(n.To)), goredis.Z{Score: float64(id), Member: id})
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("deliver note: %w", err)
	}
	return id, nil
}

// StateVersions lists the tenant's extension state versions, by extension.
func (s *Store) StateVersions(ctx context.Context, tenant session.TenantID) ([]store.StateVersion, error) {
	var vers, counts *goredis.MapStringStringCmd
	_, err := s.rdb.Pipelined(ctx, func(p goredis.Pipeliner) error {
		vers, counts = p.HGetAll(ctx, s.t(tenant, "statever")), p.HGetAll(ctx, s.t(tenant, "statecount"))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("state versions: %w", err)
	}
	var out []store.StateVersion
	for ext, v := range vers.Val() {
		n, _ := strconv.ParseInt(v, 10, 64)
		c, _ := strconv.ParseInt(counts.Val()[ext], 10, 64)
		out = append(out, store.StateVersion{Ext: ext, Version: n, Values: c})
	}
	slices.SortFunc(out, func(a, b store.StateVersion) int {
		switch {
		case a.Ext < b.Ext:
			return -1
		case a.Ext > b.Ext:
			return 1
		}
		return 0
	})
	return out, nil
}
