package redis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// Inbound dedupe and usage. A dedupe key is the hash {g}:inbound:<key>
// (at; request, the hash of the request it answers; outcome once
// finished); {g}:inbound:open lists the unfinished keys by claim order. A
// finished key expires after the store's dedupe TTL; an unfinished one
// stays until recovery forgets it. Usage is the hash
// {t:<tenant>}:usage (period → tokens).

// claimInbound: KEYS key, open set, seq; ARGV at, request, key. It
// answers {1} first, {2} reused, {0} seen (with the outcome when finished).
var claimInbound = goredis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then
  local seq = redis.call('INCR', KEYS[3])
  redis.call('HSET', KEYS[1], 'at', ARGV[1])
  if ARGV[2] ~= '' then redis.call('HSET', KEYS[1], 'request', ARGV[2]) end
  redis.call('ZADD', KEYS[2], seq, ARGV[3])
  return {1}
end
local v = redis.call('HMGET', KEYS[1], 'request', 'outcome')
if v[1] and v[1] ~= ARGV[2] then return {2} end
if v[2] then return {0, v[2]} end
return {0}`)

// finishInbound: KEYS key, open set; ARGV outcome, key, ttl seconds.
var finishInbound = goredis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'outcome', ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1`)

// forgetInbound: KEYS open set; ARGV key prefix.
var forgetInbound = goredis.NewScript(`
local keys = redis.call('ZRANGE', KEYS[1], 0, -1)
for _, k in ipairs(keys) do redis.call('DEL', ARGV[1] .. k) end
redis.call('DEL', KEYS[1])
return #keys`)

// ClaimInbound records an inbound event's dedupe key with its request.
func (s *Store) ClaimInbound(ctx context.Context, key, request string, at time.Time) (bool, json.RawMessage, error) {
	res, err := claimInbound.Run(ctx, s.rdb, []string{s.g("inbound", key), s.g("inbound", "open"), s.g("inbound", "seq")}, ts(at), request, key).Slice()
	if err != nil {
		return false, nil, fmt.Errorf("claim inbound: %w", err)
	}
	switch code, _ := res[0].(int64); {
	case code == 1:
		return true, nil, nil
	case code == 2:
		return false, nil, store.ErrKeyReused
	case len(res) > 1:
		out, _ := res[1].(string)
		return false, json.RawMessage(out), nil
	}
	return false, nil, nil
}

// FinishInbound stores the outcome of a claimed inbound event.
func (s *Store) FinishInbound(ctx context.Context, key string, outcome json.RawMessage) error {
	err := finishInbound.Run(ctx, s.rdb, []string{s.g("inbound", key), s.g("inbound", "open")}, string(outcome), key, int64(s.dedupeTTL/time.Second)).Err()
	if err != nil {
		return fmt.Errorf("finish inbound: %w", err)
	}
	return nil
}

// UnfinishedInbound lists the keys whose first delivery never finished.
func (s *Store) UnfinishedInbound(ctx context.Context) ([]string, error) {
	keys, err := s.rdb.ZRange(ctx, s.g("inbound", "open"), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("unfinished inbound: %w", err)
	}
	return keys, nil
}

// ForgetUnfinishedInbound releases the unfinished keys and counts them.
func (s *Store) ForgetUnfinishedInbound(ctx context.Context) (int64, error) {
	n, err := forgetInbound.Run(ctx, s.rdb, []string{s.g("inbound", "open")}, s.g("inbound", "")).Int64()
	if err != nil {
		return 0, fmt.Errorf("forget unfinished inbound: %w", err)
	}
	return n, nil
}

// AddUsage adds tokens to a tenant's period and returns the new total.
func (s *Store) AddUsage(ctx context.Context, tenant session.TenantID, period string, tokens int64) (int64, error) {
	if tokens < 0 {
		return 0, errors.New("add usage: tokens must not be negative")
	}
	n, err := s.rdb.HIncrBy(ctx, s.t(tenant, "usage"), period, tokens).Result()
	if err != nil {
		return 0, fmt.Errorf("add usage: %w", err)
	}
	return n, nil
}

// UsageOf returns a tenant's total for a period (0 when none).
func (s *Store) UsageOf(ctx context.Context, tenant session.TenantID, period string) (int64, error) {
	n, err := s.rdb.HGet(ctx, s.t(tenant, "usage"), period).Int64()
	if err == goredis.Nil {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("usage: %w", err)
	}
	return n, nil
}
