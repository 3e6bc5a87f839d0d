package redis

import (
	"context"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// Instances: every serving instance keeps itself in the sorted set
// {g}:instances, scored by when it stops counting as alive unless it
// renews. Start-up recovery (settling what a dead process left unfinished)
// is safe only when no other instance is alive: a live one's turns in
// flight look exactly like a dead one's.

// joinInstances: KEYS instances; ARGV now ms, expiry ms, id. It answers
// how many other instances are alive.
var joinInstances = goredis.NewScript(`
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
redis.call('ZREM', KEYS[1], ARGV[3])
local n = redis.call('ZCARD', KEYS[1])
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
return n`)

// Join registers the instance id as alive for ttl, renewing it until ctx
// ends or leave is called, and reports how many other instances are alive.
func (s *Store) Join(ctx context.Context, id string, ttl time.Duration) (others int64, leave func(), err error) {
	key := s.g("instances")
	join := func(ctx context.Context) (int64, error) {
		now := time.Now()
		return joinInstances.Run(ctx, s.rdb, []string{key}, now.UnixMilli(), now.Add(ttl).UnixMilli(), id).Int64()
	}
	others, err = join(ctx)
	if err != nil {
		return 0, nil, fmt.Errorf("join instances: %w", err)
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(ttl / 3)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if _, err := join(ctx); err != nil && ctx.Err() == nil {
					s.log.Warn("instance heartbeat failed", "err", err)
				}
			}
		}
	}()
	return others, func() {
		cancel()
		<-done
		rctx, rc := context.WithTimeout(context.Background(), 2*time.Second)
		defer rc()
		s.rdb.ZRem(rctx, key, id)
	}, nil
}
