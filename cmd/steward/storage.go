package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/steward-os/steward/configs"
	"github.com/steward-os/steward/session/store"
	"github.com/steward-os/steward/session/store/redis"
	"github.com/steward-os/steward/session/store/sqlite"
)

// backend is a storage back-end the app owns.
type backend interface {
	store.Backend
	Close() error
}

// openStore opens the configured store: the embedded file under the data
// directory, or the shared Redis of store.url.
func openStore(ctx context.Context, cfg *configs.Config, log *slog.Logger) (backend, error) {
	if !cfg.Store.Redis() {
		return sqlite.Open(ctx, cfg.Data, log)
	}
	return redis.Open(ctx, cfg.Store.URL, redis.Options{Prefix: cfg.Store.Prefix, DedupeTTL: cfg.Store.DedupeTTL.D(), Log: log})
}

// defaultLease is how long an instance counts as alive without renewing.
const defaultLease = 15 * time.Second

// joinStore registers a serving instance on a shared store and reports
// whether start-up recovery may run: on the embedded store always (the
// data directory's lock makes this process the only one), on Redis only
// when no other instance is alive, because a live instance's turns in
// flight look exactly like a dead one's.
func (a *app) joinStore(ctx context.Context) (bool, error) {
	rs, ok := a.store.(*redis.Store)
	if !ok {
		return true, nil
	}
	ttl := a.cfg.Store.Lease.D()
	if ttl <= 0 {
		ttl = defaultLease
	}
	others, leave, err := rs.Join(ctx, instanceID(a.cfg.Data), ttl)
	if err != nil {
		return false, err
	}
	a.leave = leave
	if others > 0 {
		a.log.Warn("other instances are serving from this store: start-up recovery is left to an instance that starts alone", "others", others)
		return false, nil
	}
	return true, nil
}

// instanceID names this process among the instances on a shared store:
// its host and data directory, which the directory's lock gives to one
// live process at a time, so that a restarted instance replaces its own
// entry instead of waiting for it to expire.
func instanceID(data string) string {
	host, _ := os.Hostname()
	if abs, err := filepath.Abs(data); err == nil {
		data = abs
	}
	return host + ":" + data
}

// openReader opens the configured store for a tool (audit verify): it
// fails when the embedded store does not exist rather than creating one.
func openReader(ctx context.Context, cfg *configs.Config) (backend, error) {
	if !cfg.Store.Redis() {
		if _, err := os.Stat(cfg.Data + "/" + sqlite.FileName); err != nil {
			return nil, fmt.Errorf("no store in %s: %w", cfg.Data, err)
		}
	}
	return openStore(ctx, cfg, nil)
}
