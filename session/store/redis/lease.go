package redis

import (
	"context"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// Leases give single-owner work (a polling adapter, a background job) to
// one instance at a time. A lease is the hash {g}:lease:<name> (owner,
// token) that expires unless its owner renews it; each new owner gets a
// larger fencing token from {g}:lease:<name>:fence, so work done under a
// lease that was lost can be refused by comparing tokens (Fenced).

// acquireLease: KEYS lease, fence; ARGV owner, ttl ms. It answers
// {1, token} when owner holds the lease (taken or renewed), else {0, 0}.
var acquireLease = goredis.NewScript(`
local cur = redis.call('HGET', KEYS[1], 'owner')
if cur and cur ~= ARGV[1] then return {0, 0} end
local tok
if cur then tok = tonumber(redis.call('HGET', KEYS[1], 'token')) else tok = redis.call('INCR', KEYS[2]) end
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'token', tok)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {1, tok}`)

// releaseLease: KEYS lease; ARGV owner, token.
var releaseLease = goredis.NewScript(`
if redis.call('HGET', KEYS[1], 'owner') == ARGV[1] and redis.call('HGET', KEYS[1], 'token') == ARGV[2] then
  return redis.call('DEL', KEYS[1])
end
return 0`)

// Lease is one named lease as seen by one owner.
type Lease struct {
	s     *Store
	name  string
	owner string
	ttl   time.Duration
}

// Lease returns the lease name for owner (an instance id); ttl is how long
// it stays held without renewal (the longest a dead owner blocks others).
func (s *Store) Lease(name, owner string, ttl time.Duration) *Lease {
	return &Lease{s: s, name: name, owner: owner, ttl: ttl}
}

// TryAcquire takes or renews the lease: held is true with the fencing
// token when the owner holds it.
func (l *Lease) TryAcquire(ctx context.Context) (held bool, token int64, err error) {
	res, err := acquireLease.Run(ctx, l.s.rdb, []string{l.s.g("lease", l.name), l.s.g("lease", l.name, "fence")}, l.owner, l.ttl.Milliseconds()).Int64Slice()
	if err != nil {
		return false, 0, fmt.Errorf("lease %s: %w", l.name, err)
	}
	return res[0] == 1, res[1], nil
}

// Release gives the lease up if the owner still holds it with token.
func (l *Lease) Release(ctx context.Context, token int64) error {
	if err := releaseLease.Run(ctx, l.s.rdb, []string{l.s.g("lease", l.name)}, l.owner, token).Err(); err != nil {
		return fmt.Errorf("release lease %s: %w", l.name, err)
	}
	return nil
}

// Fenced reports whether token is still the lease's current one (work
// done under an older token must not be committed).
func (l *Lease) Fenced(ctx context.Context, token int64) (bool, error) {
	v, err := l.s.rdb.HGet(ctx, l.s.g("lease", l.name), "token").Int64()
	if err == goredis.Nil {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("lease %s: %w", l.name, err)
	}
	return v == token, nil
}

// Hold runs fn whenever the owner holds the lease: it tries to take it
// every ttl/3, and once held renews it as often, cancelling fn's context
// as soon as a renewal fails (the lease may be someone else's by the end
// of the ttl). It returns when ctx ends, after releasing the lease.
func (l *Lease) Hold(ctx context.Context, fn func(ctx context.Context, token int64)) error {
	tick := time.NewTicker(max(l.ttl/3, 10*time.Millisecond))
	defer tick.Stop()
	for {
		held, token, err := l.TryAcquire(ctx)
		if err == nil && held {
			l.run(ctx, token, tick, fn)
		} else if err != nil && ctx.Err() == nil {
			l.s.log.Warn("lease: cannot reach the store", "lease", l.name, "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// run runs fn under a held lease until a renewal fails or ctx ends.
func (l *Lease) run(ctx context.Context, token int64, tick *time.Ticker, fn func(ctx context.Context, token int64)) {
	work, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(work, token)
	}()
	defer func() {
		cancel()
		<-done
		rctx, rc := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer rc()
		_ = l.Release(rctx, token)
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case <-done:
			return
		case <-tick.C:
			rctx, rc := context.WithTimeout(ctx, l.ttl/3)
			held, t, err := l.TryAcquire(rctx)
			rc()
			if err != nil || !held || t != token {
				l.s.log.Warn("lease lost", "lease", l.name, "err", err)
				return
			}
		}
	}
}
