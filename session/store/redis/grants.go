package redis

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// Grants: {t:<tenant>}:grant:<id> is a hash (row: the grant as saved;
// last: its last use; revoked: when revoked; expires: unix ns), listed per
// actor in {t:<tenant>}:grants:<actor> by save order; {g}:grant:<id> names
// its tenant (TouchGrant has only the id).

// saveGrant: KEYS grant, actor list, id index, seq; ARGV row, last,
// expires, id, tenant, last in unix ns.
var saveGrant = goredis.NewScript(`
if redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
local seq = redis.call('INCR', KEYS[4])
redis.call('SET', KEYS[3], ARGV[5])
redis.call('HSET', KEYS[1], 'row', ARGV[1], 'last', ARGV[2], 'expires', ARGV[3], 'lastns', ARGV[6])
redis.call('ZADD', KEYS[2], seq, ARGV[4])
return 1`)

// revokeGrants: KEYS actor list; ARGV grant key prefix, at, at ns.
var revokeGrants = goredis.NewScript(`
local n = 0
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local k = ARGV[1] .. id
  local v = redis.call('HMGET', k, 'revoked', 'expires')
  if not v[1] and v[2] and tonumber(v[2]) > tonumber(ARGV[3]) then
    redis.call('HSET', k, 'revoked', ARGV[2])
    n = n + 1
  end
end
return n`)

// touchGrant: KEYS grant; ARGV at, at ns (last moves forward only).
var touchGrant = goredis.NewScript(`
local last = redis.call('HGET', KEYS[1], 'lastns')
if not redis.call('HGET', KEYS[1], 'row') then return -1 end
if last and tonumber(last) >= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], 'last', ARGV[1], 'lastns', ARGV[2])
return 1`)

// SaveGrant stores a new grant; store.ErrConflict when the id exists.
func (s *Store) SaveGrant(ctx context.Context, g store.GrantRow) error {
	row, err := encode(g, "grant")
	if err != nil {
		return err
	}
	n, err := saveGrant.Run(ctx, s.rdb, []string{s.t(g.Tenant, "grant", g.ID), s.t(g.Tenant, "grants", string(g.Actor)), s.g("grant", g.ID), s.g("grant", "seq")},
		row, ts(g.LastUsed), g.Expires.UnixNano(), g.ID, string(g.Tenant), unixNano(g.LastUsed)).Int()
	if err != nil {
		return fmt.Errorf("save grant: %w", err)
	}
	if n == 0 {
		return store.ErrConflict
	}
	return nil
}

// ActiveGrants lists the actor's grants neither revoked nor expired at at,
// oldest first.
func (s *Store) ActiveGrants(ctx context.Context, tenant session.TenantID, actor session.ActorID, at time.Time) ([]store.GrantRow, error) {
	ids, err := s.rdb.ZRange(ctx, s.t(tenant, "grants", string(actor)), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("grants: %w", err)
	}
	cmds, err := s.rdb.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for _, id := range ids {
			p.HGetAll(ctx, s.t(tenant, "grant", id))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("grants: %w", err)
	}
	var out []store.GrantRow
	for _, c := range cmds {
		m := c.(*goredis.MapStringStringCmd).Val()
		exp, _ := strconv.ParseInt(m["expires"], 10, 64)
		if _, revoked := m["revoked"]; revoked || m["row"] == "" || exp <= at.UnixNano() {
			continue
		}
		var g store.GrantRow
		if err := json.Unmarshal([]byte(m["row"]), &g); err != nil {
			return nil, fmt.Errorf("decode grant: %w", err)
		}
		g.LastUsed = parseTS(m["last"])
		out = append(out, g)
	}
	return out, nil
}

// TouchGrant moves a grant's last use forward.
func (s *Store) TouchGrant(ctx context.Context, id string, at time.Time) error {
	tenant, err := s.rdb.Get(ctx, s.g("grant", id)).Result()
	if err == goredis.Nil {
		return store.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("touch grant: %w", err)
	}
	n, err := touchGrant.Run(ctx, s.rdb, []string{s.t(session.TenantID(tenant), "grant", id)}, ts(at), at.UnixNano()).Int()
	if err != nil {
		return fmt.Errorf("touch grant: %w", err)
	}
	if n < 0 {
		return store.ErrNotFound
	}
	return nil
}

// RevokeGrants revokes the actor's active grants and counts them.
func (s *Store) RevokeGrants(ctx context.Context, tenant session.TenantID, actor session.ActorID, at time.Time) (int, error) {
	n, err := revokeGrants.Run(ctx, s.rdb, []string{s.t(tenant, "grants", string(actor))}, s.t(tenant, "grant", ""), ts(at), at.UnixNano()).Int()
	if err != nil {
		return 0, fmt.Errorf("revoke grants: %w", err)
	}
	return n, nil
}

// unixNano is t in unix nanoseconds, with the zero time as the smallest.
func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return math.MinInt64
	}
	return t.UnixNano()
}
