package configs

import (
	"errors"
	"fmt"
	"net/url"
	"time"
)

// Store chooses where the state lives: empty URL for the embedded SQLite
// file under data, or redis://host:port/db (rediss:// for TLS) for the
// shared Redis several instances use (docs/scale-out.md).
type Store struct {
	URL string `json:"url"`
	// Prefix starts every Redis key ("steward:" when empty), so that
	// several deployments can share one Redis.
	Prefix string `json:"prefix"`
	// DedupeTTL is how long a finished inbound dedupe key is kept in Redis.
	DedupeTTL Duration `json:"dedupe_ttl"`
	// Lease is how long an instance owns single-owner work (polling
	// adapters, background jobs) without renewing it.
	Lease Duration `json:"lease"`
}

// Redis reports whether the store is Redis.
func (s Store) Redis() bool { return s.URL != "" }

// validateStore checks the store block.
func (c *Config) validateStore() []error {
	var errs []error
	if c.Store.URL != "" {
		u, err := url.Parse(c.Store.URL)
		if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
			errs = append(errs, errors.New("store.url: want redis://HOST:PORT[/DB] or rediss://…"))
		}
	}
	if d := c.Store.DedupeTTL.D(); d < 0 {
		errs = append(errs, fmt.Errorf("store.dedupe_ttl %s must not be negative", d))
	}
	if d := c.Store.Lease.D(); d < 0 || (d > 0 && d < time.Second) {
		errs = append(errs, fmt.Errorf("store.lease %s: want 0 (the default, 15s) or at least 1s", d))
	}
	return errs
}
